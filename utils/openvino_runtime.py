"""OpenVINO GenAI as Step 3's CPU runtime: many prompts at once, from a GGUF file of the model folder.

On a CPU, Step 3's batches are bound by evaluating prompts (~420 tokens each) and by the per-step
overhead of eager transformers; OpenVINO's continuous-batching pipeline evaluates and decodes the
same student two to two and a half times faster on 2 cores (README "CPU runtimes" has the figures,
`scripts/bench_runtimes.py` makes them), taking OPENVINO_BATCH_PROMPTS prompts per call to keep its
batches full. It
reads the GGUF file `utils.export.write_gguf` writes (no model conversion tool, no second copy of
transformers), and it installs as a wheel with `make install`: nothing compiles.

With INFERENCE_BACKEND "auto" on a CPU, `utils.inference.Engine` hands batches (Step 3, the improve
loop, a local judge) to an `OpenVinoGenerator` when openvino-genai imports and the folder is a
Llama-architecture model; one answer at a time (the app) goes to llama.cpp when it is installed (its
single-stream decoding is faster still), else here too (`utils.inference.select_backend`).
"openvino" insists on it for both.

What stays as under transformers, so the runtimes answer alike:
- the tokens: prompts go in as the folder's own tokenizer's ids (exactly as training made them),
  never as text, and the new ids are decoded by that tokenizer;
- greedy decoding with no penalties, the folder's end-of-turn tokens, the token cap, and the stop
  once the answers are finished (`utils.tasks.answers_finished`): each request is read after every
  pipeline step and stopped there, as `utils.gguf_runtime.GgufBatch` does;
- decision heads (utils/heads.py) still run in transformers; OpenVINO continues from their lines.
What differs: the weights are the folder's written as an f16 (or q8_0) GGUF once per folder contents
(`tmp/gguf_runtime/`, shared with llama.cpp's files; OpenVINO reads no bf16 GGUF), computed in the
CPU's own inference precision (bf16 where the CPU has it); long greedy texts can part from
transformers' (the benchmark counts how often) and each answer records the runtime that made it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

from Config.Config import Config
from utils.files import read_json

PACKAGE = "openvino_genai"  # the module openvino-genai installs
INSTALL_HINT = "`make install` (requirements.txt pins openvino-genai)"


PRECISION = {"float32": "f32", "bfloat16": "bf16", "float16": "f16"}  # torch dtype -> OpenVINO's name


def why_not_openvino(cfg: Config, folder: Path) -> Optional[str]:
    """Why OpenVINO cannot run `folder` here, or None when it can."""
    from utils.install import import_problem

    problem = import_problem(PACKAGE)
    if problem == "not installed":
        return f"openvino-genai is not installed ({INSTALL_HINT})"
    if problem is not None:
        return f"openvino-genai fails to import ({problem})"
    config = Path(folder) / "config.json"
    kind = read_json(config).get("model_type") if config.exists() else None
    if kind != "llama":
        return f"{Path(folder).name} is a {kind!r} model and the GGUF export writes Llama-architecture models only"
    return None


def openvino_version() -> str:
    from importlib.metadata import version

    return version("openvino_genai")


class OpenVinoGenerator:
    """One GGUF model in OpenVINO's continuous-batching pipeline, continuing token-id prompts greedily."""

    def __init__(self, cfg: Config, folder: Path, tokenizer, max_new_tokens: int, dtype_name: str = "auto"):
        import openvino as ov
        import openvino_genai as genai

        from utils.export import WRITER_VERSION
        from utils.gguf_runtime import _eos_ids, runtime_gguf, threads
        from utils.inference import line_break_test

        self.tokenizer, self.max_new_tokens = tokenizer, max_new_tokens
        self.path = runtime_gguf(cfg, folder, tokenizer, cfg.OPENVINO_GGUF_TYPE)
        scheduler = genai.SchedulerConfig()
        scheduler.cache_size = cfg.OPENVINO_CACHE_GB  # GB of KV cache, taken once when the pipeline starts
        scheduler.max_num_batched_tokens = 2048  # prompt tokens per step: fewer, larger matrix products
        properties = {"INFERENCE_NUM_THREADS": threads(cfg)}
        if dtype_name in PRECISION:  # the precision transformers would compute in here (utils.runtime.prepare)
            properties["INFERENCE_PRECISION_HINT"] = PRECISION[dtype_name]
        self.pipe = genai.ContinuousBatchingPipeline(str(self.path), scheduler, "CPU", properties)
        self.config = genai.GenerationConfig()
        self.config.max_new_tokens, self.config.do_sample = max_new_tokens, False
        self.config.repetition_penalty = 1.0
        self.eos = set(_eos_ids(folder, tokenizer))
        self.config.stop_token_ids = self.eos
        self._breaks_line = line_break_test(tokenizer)
        precision = PRECISION.get(dtype_name) or ov.Core().get_property("CPU", "INFERENCE_PRECISION_HINT").to_string()
        # the compute precision too: the same file answers a little differently in bf16 and in f32
        self.name = (f"openvino-genai {openvino_version()} ({cfg.OPENVINO_GGUF_TYPE} GGUF, writer {WRITER_VERSION}, "
                     f"{precision} compute)")

    def _answered(self, new: list[int], answer: Optional[tuple[str, str]]) -> bool:
        """The last token ends a line after which `answer`'s task answers are finished."""
        from utils.tasks import answers_finished

        if answer is None or not new or not self._breaks_line(new[-1]):
            return False
        return answers_finished(answer[0] + self.tokenizer.decode(new, skip_special_tokens=True), answer[1])

    def generate_many(self, prompts: Sequence[Sequence[int]], answers: Optional[Sequence[tuple[str, str]]] = None,
                      on_text: Optional[Callable[[list[str]], None]] = None) -> list[tuple[str, int]]:
        """(decoded new text, new tokens) per prompt: all in the pipeline at once, each read after every
        step and stopped once its answers are finished (or at an end-of-turn token or the cap).
        `on_text`, if given, gets every row's text so far after each step (the app shows it growing)."""
        handles = [self.pipe.add_request(row, self._tensor(ids), self.config) for row, ids in enumerate(prompts)]
        new: list[list[int]] = [[] for _ in prompts]
        stopped: set[int] = set()
        while self.pipe.has_non_finished_requests():
            self.pipe.step()
            for row, handle in enumerate(handles):
                if row in stopped or not handle.can_read():
                    continue
                for token in (t for output in handle.read().values() for t in output.generated_ids):
                    new[row].append(int(token))
                    if answers is not None and self._answered(new[row], answers[row]):
                        handle.stop()  # its answers are whole: the pipeline drops it
                        stopped.add(row)
                        break
            if on_text is not None:
                on_text([self.tokenizer.decode(tokens, skip_special_tokens=True) for tokens in new])
        return [(self.tokenizer.decode(tokens, skip_special_tokens=True), len(tokens)) for tokens in new]

    @staticmethod
    def _tensor(ids: Sequence[int]):
        import numpy as np
        import openvino as ov

        return ov.Tensor(np.array([list(ids)], dtype=np.int64))

    def close(self) -> None:
        self.__dict__.pop("pipe", None)
