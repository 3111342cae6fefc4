"""llama.cpp as the CPU runtime: the app (and Step 3, when asked) generates from GGUF files of the model folders.

On a CPU, one answer at a time is bound by reading the weights once per new token, and eager
transformers adds Python overhead to every step; llama.cpp decodes the same student 5-6x faster
(12 against 64-71 ms per token; README "CPU runtimes", `scripts/bench_runtimes.py`). Its prompt
evaluation is no faster than torch's, so Step 3's batches stay faster on transformers. With
INFERENCE_BACKEND="auto" on a CPU for one comment at a time (the app), or "llama.cpp" for
everything, `utils.inference.Engine` hands generation to a `GgufGenerator` when llama-cpp-python
imports and the folder is a Llama-architecture model (what `utils.export` can write), else it
stays on transformers and says why (`cpu_backend`). llama-cpp-python is an optional extra
(`make install-llama-cpp`): it compiles from source, which `make demo` must not wait for.

What stays as under transformers, so the two runtimes answer alike:
- the tokens: a prompt's ids come from the folder's own tokenizer (exactly as training made them),
  never from llama.cpp's, and the new tokens are decoded by that tokenizer too;
- greedy decoding with no penalties, the folder's end-of-turn tokens (its generation_config), the
  token cap, and the stop once the answers are finished (`utils.tasks.answers_finished`);
- decision heads (utils/heads.py) still run in transformers (they read hidden states llama.cpp
  does not hand out); llama.cpp continues the answer from their lines.
What differs: the weights are the folder's written as GGUF (`utils.export.write_gguf`) in
LLAMA_CPP_TYPE (bf16, f16 or q8_0), once per folder contents, into
`tmp/gguf_runtime/<model id>-w<writer>.<type>.gguf`; and llama.cpp's kernels round differently from torch's,
so long greedy texts can part ways (the benchmark counts how often, and Step 3 records which
runtime made each answer).

A llama.cpp context keeps the tokens of its last prompt: a prompt that starts the same way (the
system prompt and instruction) only evaluates what is new.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from Config.Config import Config
from utils.files import read_json
from utils.paths import partial_dir, runtime_gguf_file

PACKAGE = "llama_cpp"  # the module llama-cpp-python installs
INSTALL_HINT = "`make install-llama-cpp` (compiles llama-cpp-python once, ~6 minutes on 2 cores; pip caches the build)"


def cpu_backend(cfg: Config, folder: Path) -> tuple[str, Optional[str]]:
    """("llama.cpp", None) when llama.cpp can run `folder` on this CPU, else ("hf", why not).

    INFERENCE_BACKEND="llama.cpp" turns a reason into an error that names the fix.
    """
    from utils.install import import_problem

    problem = import_problem(PACKAGE)
    if problem == "not installed":
        problem = f"llama-cpp-python is not installed ({INSTALL_HINT})"
    elif problem is not None:
        problem = f"llama-cpp-python fails to import ({problem})"
    else:
        config = Path(folder) / "config.json"
        kind = read_json(config).get("model_type") if config.exists() else None
        if kind != "llama":
            problem = f"{Path(folder).name} is a {kind!r} model and the GGUF export writes Llama-architecture models only"
    if problem is None:
        return "llama.cpp", None
    if cfg.INFERENCE_BACKEND == "llama.cpp":
        raise RuntimeError(f"INFERENCE_BACKEND='llama.cpp' cannot be used: {problem}. "
                           "Set INFERENCE_BACKEND='auto' or 'hf' to generate with transformers.")
    return "hf", problem


def runtime_gguf(cfg: Config, folder: Path, tokenizer) -> Path:
    """The GGUF file of `folder` in LLAMA_CPP_TYPE, written first if it is not there yet."""
    from utils.export import WRITER_VERSION, write_gguf
    from utils.inference import model_identity

    path = runtime_gguf_file(cfg, f"{model_identity(folder)}-w{WRITER_VERSION}", cfg.LLAMA_CPP_TYPE)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_dir(path)
    start = time.perf_counter()
    print(f"Writing {path} ({cfg.LLAMA_CPP_TYPE}) from {folder} for llama.cpp ...", flush=True)
    write_gguf(Path(folder), tmp, cfg.LLAMA_CPP_TYPE, tokenizer, name=f"kd-{Path(folder).name}")
    os.replace(tmp, path)  # whole or not there: a killed export never passes for a model
    print(f"Wrote {path.name} in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def threads(cfg: Config) -> int:
    """The CPU threads llama.cpp uses: TORCH_THREADS, else every core (its own default is half)."""
    return cfg.TORCH_THREADS or os.cpu_count() or 1


def llama_cpp_version() -> str:
    from importlib.metadata import version

    return version("llama_cpp_python")


class GgufGenerator:
    """One GGUF model under llama.cpp that continues token-id prompts greedily, one prompt at a time."""

    def __init__(self, cfg: Config, folder: Path, tokenizer, max_new_tokens: int, n_ctx: int):
        from llama_cpp import Llama

        from utils.inference import line_break_test

        self.tokenizer, self.max_new_tokens = tokenizer, max_new_tokens
        self.path = runtime_gguf(cfg, folder, tokenizer)
        self.llm = Llama(model_path=str(self.path), n_ctx=n_ctx, n_batch=512, n_threads=threads(cfg),
                         n_threads_batch=threads(cfg), seed=cfg.SEED, verbose=False)
        eos = _eos_ids(folder, tokenizer)
        self.eos = set(eos) or {self.llm.token_eos()}
        self._breaks_line = line_break_test(tokenizer)
        self.name = f"llama.cpp {llama_cpp_version()} ({cfg.LLAMA_CPP_TYPE} GGUF)"

    def generate_ids(self, ids: Sequence[int], answer: Optional[tuple[str, str]] = None,
                     on_text: Optional[Callable[[str], None]] = None) -> tuple[str, int]:
        """(decoded new text, new tokens) for one prompt's token ids.

        Stops at an end-of-turn token (counted, as transformers counts it), the token cap, or with
        `answer` = (the text the answer starts with, its comment type) once the answers are finished.
        `on_text`, if given, gets the text so far after every token.
        """
        from utils.tasks import answers_finished

        new: list[int] = []
        for token in self.llm.generate(list(ids), temp=0.0, top_k=1, top_p=1.0, min_p=0.0, typical_p=1.0,
                                       repeat_penalty=1.0, reset=True):
            new.append(token)
            if token in self.eos or len(new) >= self.max_new_tokens:
                break
            if on_text is not None or (answer is not None and self._breaks_line(token)):
                text = self.tokenizer.decode(new, skip_special_tokens=True)
                if on_text is not None:
                    on_text(text)
                if answer is not None and self._breaks_line(token) and answers_finished(answer[0] + text, answer[1]):
                    break
        return self.tokenizer.decode(new, skip_special_tokens=True), len(new)

    def warm(self, ids: Sequence[int]) -> None:
        """Evaluate a prompt once, unanswered: llama.cpp sizes its buffers, and a later prompt that
        starts with the same tokens (the system prompt, the instruction) reuses them."""
        self.llm.reset()
        self.llm.eval(list(ids))

    def close(self) -> None:
        llm = self.__dict__.pop("llm", None)
        if llm is not None:
            llm.close()


def _eos_ids(folder: Path, tokenizer) -> list[int]:
    """The end-of-turn ids transformers stops at: the folder's generation_config, else the tokenizer's."""
    config = Path(folder) / "generation_config.json"
    eos = read_json(config).get("eos_token_id") if config.exists() else None
    if eos is None:
        eos = tokenizer.eos_token_id
    return [] if eos is None else list(eos) if isinstance(eos, (list, tuple)) else [eos]
