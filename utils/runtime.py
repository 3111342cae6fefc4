"""The machine a step runs on: device and dtype chosen once from Config, seeds, CPU threads.

Every step calls `prepare(cfg)` first, so the same Config gives the same device, dtype and random
state whether it runs in a notebook, under the pipeline runner or under accelerate.

It also owns the checks that only the machine or the model can answer (Config checks everything
else when it is built): `check_machine(cfg, step)` at the start of Steps 2 and 3 (a CUDA GPU for
DEVICE='cuda', LOAD_IN_4BIT, unsloth and vLLM), and `check_target_modules(model, cfg)` where Step 2
loads the student (LORA_TARGET_MODULES against the modules the model has). And the one choice of
backend both steps make (`step_backend`): unsloth or vLLM on a GPU when they import, else transformers.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from Config.Config import Config


@dataclass(frozen=True)
class Runtime:
    device: str  # "cuda" or "cpu"
    dtype_name: str  # "bfloat16", "float16" or "float32"

    @property
    def dtype(self):
        import torch

        return getattr(torch, self.dtype_name)

    @property
    def on_gpu(self) -> bool:
        return self.device == "cuda"


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (when installed) so runs repeat."""
    random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:
        pass


@lru_cache(maxsize=1)
def cpu_supports_bf16() -> bool:
    """True when the CPU has native bf16 matrix instructions (AVX-512 BF16 or AMX)."""
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def prepare(cfg: Config) -> Runtime:
    """Seed everything, set CPU threads, and pick the device and dtype for this run."""
    import torch

    set_seed(cfg.SEED)
    if cfg.TORCH_THREADS:
        torch.set_num_threads(cfg.TORCH_THREADS)
    cuda = torch.cuda.is_available()
    if cfg.DEVICE == "cuda" and not cuda:
        raise RuntimeError("DEVICE='cuda' but no CUDA GPU is visible. Set DEVICE='auto' or 'cpu'.")
    device = "cuda" if (cfg.DEVICE == "cuda" or (cfg.DEVICE == "auto" and cuda)) else "cpu"
    if cfg.DTYPE != "auto":
        dtype = cfg.DTYPE
    elif device == "cuda":
        dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    else:
        dtype = "bfloat16" if cpu_supports_bf16() else "float32"
    return Runtime(device=device, dtype_name=dtype)


# ------------------------------------------------------------------------------ checks before a step
class SetupCheckError(RuntimeError):
    """A setting this machine or this model cannot honour, found before a step does any work."""


STEP_NAMES = {"train": "Step 2 (training)", "inference": "Step 3 (inference)"}


def machine_summary() -> str:
    """What this machine offers a step, in words: its torch build, CUDA GPU and CPU cores."""
    import torch

    build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU-only build"
    gpu = "a CUDA GPU" if torch.cuda.is_available() else "no CUDA GPU"
    return f"{gpu}, torch {torch.__version__} ({build}), {os.cpu_count()} CPU cores"


# The one wording of a refusal both machine_problems and utils.inference.select_backend give.
def cpu_runtime_on_gpu(backend: str) -> str:
    return (f"INFERENCE_BACKEND={backend!r} is a CPU runtime, but this run is on a GPU; set "
            "INFERENCE_BACKEND='auto' (vLLM when it imports) or 'hf'")


LLAMA_CPP_ON_GPU = cpu_runtime_on_gpu("llama.cpp")
# The CPU runtimes INFERENCE_BACKEND can insist on: (module, package, how to install it)
CPU_RUNTIMES = {"llama.cpp": ("llama_cpp", "llama-cpp-python", "install it with `make install-llama-cpp`"),
                "openvino": ("openvino_genai", "openvino-genai", "reinstall with `make install` (requirements.txt pins it)")}


def machine_problems(cfg: Config, step: str, runtime: Optional[Runtime] = None) -> list[str]:
    """One sentence per setting of `step` ("train" or "inference") that this machine cannot run.

    `runtime`, when the caller has one, says which device the run uses; else Config and torch do.
    """
    import torch

    from utils.install import import_problem

    if step not in STEP_NAMES:
        raise ValueError(f"step must be one of {', '.join(STEP_NAMES)}, not {step!r}")
    machine_gpu = torch.cuda.is_available()
    on_gpu = runtime.on_gpu if runtime is not None else machine_gpu and cfg.DEVICE != "cpu"
    why = (f"this machine has {machine_summary()}" if not machine_gpu
           else "DEVICE='cpu' keeps this run on the CPU" if cfg.DEVICE == "cpu" else "this run is on the CPU")
    problems = []
    if cfg.DEVICE == "cuda" and not on_gpu:
        problems.append(f"DEVICE='cuda' needs a CUDA GPU, but {why}; set DEVICE='auto' (the GPU when there "
                        "is one) or 'cpu'")
    # (the setting as written, the module it needs, the way out); each import is tried once per
    # process in a fresh interpreter, as select_backend tries it (utils.install.import_problem)
    needs = []
    if step == "train" and cfg.LOAD_IN_4BIT:
        needs.append(("LOAD_IN_4BIT=True", "bitsandbytes", "set LOAD_IN_4BIT=False"))
    if step == "train" and cfg.TRAIN_BACKEND == "unsloth":
        needs.append(("TRAIN_BACKEND='unsloth'", "unsloth", "set TRAIN_BACKEND='auto' or 'hf'"))
    if step == "inference" and cfg.INFERENCE_BACKEND == "vllm":
        needs.append(("INFERENCE_BACKEND='vllm'", "vllm", "set INFERENCE_BACKEND='auto' or 'hf'"))
    if step == "inference" and cfg.INFERENCE_BACKEND in CPU_RUNTIMES:
        module, package, install = CPU_RUNTIMES[cfg.INFERENCE_BACKEND]
        if on_gpu:
            problems.append(cpu_runtime_on_gpu(cfg.INFERENCE_BACKEND))
        elif (missing := import_problem(module)) is not None:
            problems.append(f"INFERENCE_BACKEND={cfg.INFERENCE_BACKEND!r} needs {package}, which does not import here "
                            f"({missing}); {install}, or set INFERENCE_BACKEND='auto' "
                            "(transformers when it is missing) or 'hf'")
    for setting, module, fix in needs:
        if not on_gpu:
            problems.append(f"{setting} needs a CUDA GPU, but {why}; {fix}")
        elif (missing := import_problem(module)) is not None:
            problems.append(f"{setting} needs {module}, which does not import here ({missing}); install the "
                            f"GPU stack (`make install-gpu`) or {fix}")
    return problems


def check_machine(cfg: Config, step: str, runtime: Optional[Runtime] = None) -> None:
    """Stop before `step` does any work when this machine cannot run its settings, naming each one."""
    problems = machine_problems(cfg, step, runtime)
    if problems:
        raise SetupCheckError(f"{STEP_NAMES[step]} cannot run these settings here:\n  - " + "\n  - ".join(problems))


def target_module_names(cfg: Config) -> Optional[list[str]]:
    """LORA_TARGET_MODULES as a list of names, or None for "all-linear"."""
    if cfg.LORA_TARGET_MODULES.strip() == "all-linear":
        return None
    return [name.strip() for name in cfg.LORA_TARGET_MODULES.split(",") if name.strip()]


def check_target_modules(model, cfg: Config) -> None:
    """Stop unless every LORA_TARGET_MODULES name is a module that LoRA can adapt in `model`.

    A name matches as peft matches a list: a module whose full name is it or ends with ".name".
    The error lists the linear module names the model has, the usual targets.
    """
    import torch

    wanted = target_module_names(cfg)
    if wanted is None:
        return
    adaptable = (torch.nn.Linear, torch.nn.Embedding, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)
    names = [name for name, module in model.named_modules()
             if isinstance(module, adaptable) or type(module).__name__ == "Conv1D"]  # Conv1D: GPT-2's linear
    missing = [w for w in wanted if not any(n == w or n.endswith("." + w) for n in names)]
    if not missing:
        return
    linear = sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                     if isinstance(module, torch.nn.Linear)})
    source = getattr(getattr(model, "config", None), "name_or_path", None) or cfg.STUDENT_MODEL
    raise SetupCheckError(
        f"LORA_TARGET_MODULES names {', '.join(map(repr, missing))}, which the student ({source}) does not "
        f"have. Its linear modules are: {', '.join(linear) or 'none'}. Set LORA_TARGET_MODULES to a comma "
        "list of those, or to 'all-linear'."
    )


def gpu_backend(setting: str, value: str, package: str, runtime: Runtime, fallback: str) -> bool:
    """Whether a step uses its GPU backend (`package`, e.g. unsloth or vllm) or transformers.

    `setting` is the Config key choosing it (TRAIN_BACKEND, INFERENCE_BACKEND) and `value` its
    value: "hf" never, the package's name always (an error names the fix when it cannot be used),
    "auto" when there is a CUDA GPU and the package imports. The import is tried, not assumed from
    an installed package (`utils.install.import_problem`, a fresh interpreter once per process):
    a build for another torch must not crash the step under "auto"; it falls back with a warning
    that says what `fallback` costs.
    """
    import warnings

    from utils.install import import_problem

    if value == "hf":
        return False
    problem = import_problem(package) if runtime.on_gpu else "there is no CUDA GPU"
    if problem is None:
        return True
    if value == package:
        raise RuntimeError(f"{setting}={package!r} cannot be used: {problem}. It needs a CUDA GPU and the GPU "
                           f"stack (`make install-gpu`); or set {setting}='auto' or 'hf'.")
    if runtime.on_gpu and problem != "not installed":
        warnings.warn(f"{package} is installed but fails to import ({problem}); {fallback}. Reinstall the GPU "
                      "stack: `make install-gpu`.", RuntimeWarning, stacklevel=3)
    return False


# The GPU backend each step can use instead of transformers: the Config key that chooses it, its
# package, and what falling back costs (said in gpu_backend's warning).
GPU_BACKENDS = {
    "train": ("TRAIN_BACKEND", "unsloth", "Step 2 trains with transformers + peft instead (slower)"),
    "inference": ("INFERENCE_BACKEND", "vllm", "Step 3 generates with transformers instead (5-10x slower)"),
}


def step_backend(step: str, cfg: Config, runtime: Runtime) -> str:
    """The backend `step` ("train" or "inference") runs on: its GPU package (GPU_BACKENDS: unsloth,
    vllm) when `gpu_backend` says so, else "hf" (transformers). `utils.train.select_backend` and
    `utils.inference.select_backend` are this with their step filled in."""
    setting, package, fallback = GPU_BACKENDS[step]
    return package if gpu_backend(setting, getattr(cfg, setting), package, runtime, fallback) else "hf"
