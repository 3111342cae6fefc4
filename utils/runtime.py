"""The machine a step runs on: device and dtype chosen once from Config, seeds, CPU threads.

Every step calls `prepare(cfg)` first, so the same Config gives the same device, dtype and random
state whether it runs in a notebook, under the pipeline runner or under accelerate.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from functools import lru_cache

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
