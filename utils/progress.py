"""Progress of long work, in a notebook and in the terminal that runs it headless.

In Jupyter, tqdm draws widgets and the Trainer a table: neither reaches a terminal. The runner
(`utils.pipeline`) executes each notebook with `KD_TERMINAL_PROGRESS=1` in its kernel's
environment and forwards the kernel's stdout and stderr to its own, so there every bar is a plain
text bar on stderr and every training log (step, loss, dev loss, tokens/s) is one printed line:
`make demo` shows the inner progress of a long cell, not only "13/20 cells". Elsewhere nothing
changes. This module owns that choice; every bar in `utils/` comes from `progress_bar`.
"""

from __future__ import annotations

import os
import sys

TERMINAL_ENV = "KD_TERMINAL_PROGRESS"


def terminal_progress() -> bool:
    """True in a kernel the runner started (its progress must be plain text)."""
    return os.environ.get(TERMINAL_ENV) == "1"


def progress_bar(*args, **kwargs):
    """A tqdm bar: the notebook widget normally, a text bar on stderr under the runner."""
    if terminal_progress():
        from tqdm import tqdm

        kwargs.setdefault("file", sys.stderr)
        kwargs.setdefault("mininterval", 5.0)  # a line every few seconds, not a flood
        kwargs.setdefault("ascii", True)
        return tqdm(*args, **kwargs)
    from tqdm.auto import tqdm

    return tqdm(*args, **kwargs)


def log_line(logs: dict, step: int, max_steps: int) -> str:
    """One training log as a short line: `step 20/60  loss 0.912  eval_loss 0.604  tokens_per_s 131`."""
    shown = []
    for key in ("loss", "eval_loss", "learning_rate", "tokens_per_s"):
        if key in logs:
            value = logs[key]
            shown.append(f"{key} {value:.3g}" if isinstance(value, float) else f"{key} {value}")
    where = f"step {step}/{max_steps}" if max_steps else "before training"
    return f"{where}  " + "  ".join(shown)
