"""llama.cpp as the CPU runtime: the app (and Step 3, when asked for) generates from GGUF files of the model folders.

On a CPU, one answer at a time is bound by reading the weights once per new token, and eager
transformers adds Python overhead to every step; llama.cpp decodes the same student several times
faster (README "CPU runtimes" has the figures, `scripts/bench_runtimes.py` makes them), which is
the app's case (`GgufGenerator.generate_ids`). Many prompts can go through `GgufBatch`: one
llama.cpp sequence per prompt, every unfinished answer advancing one token in one decode call;
in the bench those were slower than transformers' padded batches on one CPU and little faster on
another, while OpenVINO's were 2-2.5x faster on both, so "auto" sends batches to OpenVINO
(utils/openvino_runtime.py) or transformers, and only INFERENCE_BACKEND="llama.cpp" sends them here.
With INFERENCE_BACKEND "auto" (or "llama.cpp") on a CPU, `utils.inference.Engine` made for one
comment at a time (the app) hands generation to a `GgufGenerator` when llama-cpp-python imports and
the folder is a Llama-architecture model (what `utils.export` can write), else it says why
(`cpu_backend`) and takes the next runtime. llama-cpp-python is an optional extra
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
INSTALL_HINT = "`make install-llama-cpp` (compiles llama-cpp-python once, 4-6 minutes on 2 cores; pip caches the build)"


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


def runtime_gguf(cfg: Config, folder: Path, tokenizer, qtype: Optional[str] = None) -> Path:
    """The GGUF file of `folder` in `qtype` (LLAMA_CPP_TYPE unless given), written first if it is not
    there yet; utils/openvino_runtime.py reads these files too."""
    from utils.export import WRITER_VERSION, write_gguf
    from utils.inference import model_identity

    qtype = qtype or cfg.LLAMA_CPP_TYPE
    path = runtime_gguf_file(cfg, f"{model_identity(folder)}-w{WRITER_VERSION}", qtype)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_dir(path)
    start = time.perf_counter()
    print(f"Writing {path} ({qtype}) from {folder} for the CPU runtime ...", flush=True)
    write_gguf(Path(folder), tmp, qtype, tokenizer, name=f"kd-{Path(folder).name}")
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
    """One GGUF model under llama.cpp that continues token-id prompts greedily: one prompt at a time
    (`generate_ids`, the app) or many at once (`generate_many`, Step 3)."""

    def __init__(self, cfg: Config, folder: Path, tokenizer, max_new_tokens: int, n_ctx: int):
        from llama_cpp import Llama

        from utils.inference import line_break_test

        self.tokenizer, self.max_new_tokens = tokenizer, max_new_tokens
        self.path = runtime_gguf(cfg, folder, tokenizer)
        self.n_threads = threads(cfg)
        self.llm = Llama(model_path=str(self.path), n_ctx=n_ctx, n_batch=512, n_threads=self.n_threads,
                         n_threads_batch=self.n_threads, seed=cfg.SEED, verbose=False)
        self.batch: Optional[GgufBatch] = None  # made on the first `generate_many`
        eos = _eos_ids(folder, tokenizer)
        self.eos = set(eos) or {self.llm.token_eos()}
        self._breaks_line = line_break_test(tokenizer)
        from utils.export import WRITER_VERSION

        # the writer version too: answers of a file an older export wrote are another artifact's
        self.name = f"llama.cpp {llama_cpp_version()} ({cfg.LLAMA_CPP_TYPE} GGUF, writer {WRITER_VERSION})"

    def generate_ids(self, ids: Sequence[int], answer: Optional[tuple[str, str]] = None,
                     on_text: Optional[Callable[[str], None]] = None) -> tuple[str, int]:
        """(decoded new text, new tokens) for one prompt's token ids.

        Stops at an end-of-turn token (counted, as transformers counts it), the token cap, or with
        `answer` = (the text the answer starts with, its comment type) once the answers are finished.
        `on_text`, if given, gets the text so far after every token.
        """
        new: list[int] = []
        for token in self.llm.generate(list(ids), temp=0.0, top_k=1, top_p=1.0, min_p=0.0, typical_p=1.0,
                                       repeat_penalty=1.0, reset=True):
            new.append(token)
            if self._capped(new):
                break
            if on_text is not None:
                on_text(self.tokenizer.decode(new, skip_special_tokens=True))
            if self._answered(new, answer):
                break
        return self.tokenizer.decode(new, skip_special_tokens=True), len(new)

    def _capped(self, new: list[int]) -> bool:
        """The last token ends the turn (it is counted, as transformers counts it) or reaches the cap."""
        return new[-1] in self.eos or len(new) >= self.max_new_tokens

    def _answered(self, new: list[int], answer: Optional[tuple[str, str]]) -> bool:
        """The last token ends a line after which `answer`'s task answers are finished."""
        from utils.tasks import answers_finished

        if answer is None or not self._breaks_line(new[-1]):
            return False
        return answers_finished(answer[0] + self.tokenizer.decode(new, skip_special_tokens=True), answer[1])

    def generate_many(self, prompts: Sequence[Sequence[int]],
                      answers: Optional[Sequence[tuple[str, str]]] = None) -> list[tuple[str, int]]:
        """`generate_ids` for many prompts at once (`GgufBatch`), with the same stops: what Step 3 uses."""
        def done(row: int, new: list[int]) -> bool:
            return self._capped(new) or self._answered(new, None if answers is None else answers[row])

        per_slot = max(map(len, prompts)) + self.max_new_tokens + 1
        if self.batch is None or self.batch.slots < len(prompts) or self.batch.per_slot < per_slot:
            if self.batch is not None:
                self.batch.close()
            self.batch = GgufBatch(self.path, self.n_threads, len(prompts), per_slot)
        return [(self.tokenizer.decode(new, skip_special_tokens=True), len(new))
                for new in self.batch.run(prompts, done)]

    def warm(self, ids: Sequence[int]) -> None:
        """Evaluate a prompt once, unanswered: llama.cpp sizes its buffers, and a later prompt that
        starts with the same tokens (the system prompt, the instruction) reuses them."""
        self.llm.reset()
        self.llm.eval(list(ids))

    def close(self) -> None:
        llm = self.__dict__.pop("llm", None)
        if llm is not None:
            llm.close()
        batch = self.__dict__.pop("batch", None)
        if batch is not None:
            batch.close()


class GgufBatch:
    """Many prompts at once under llama.cpp: one sequence per slot, one decode call per step for all.

    The same greedy continuation as `GgufGenerator.generate_ids`, but each step evaluates one new
    token of every unfinished row together (a matrix product over the rows instead of one vector
    per row), and a finished row's slot takes the next prompt at once (its prompt tokens ride in
    the same call), so the batch never waits for its slowest row. Low-level llama.cpp API: the
    high-level `Llama` keeps a single sequence.
    """

    def __init__(self, path: Path, n_threads: int, slots: int, per_slot: int, n_batch: int = 512):
        import llama_cpp as ll

        per_slot = -(-per_slot // 256) * 256  # llama.cpp cuts each sequence's share to a multiple of 256
        self.ll, self.slots, self.per_slot = ll, slots, per_slot
        ll.llama_backend_init()
        self.model = ll.llama_model_load_from_file(str(path).encode(), ll.llama_model_default_params())
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load {path}")
        params = ll.llama_context_default_params()
        params.n_ctx, params.n_seq_max = slots * per_slot, slots
        params.n_batch = params.n_ubatch = max(n_batch, slots)
        params.kv_unified = False  # each row attends to its own cells only: the rows share no long prefix
        params.n_threads = params.n_threads_batch = n_threads
        self.ctx = ll.llama_init_from_model(self.model, params)
        if not self.ctx:
            ll.llama_model_free(self.model)
            raise RuntimeError(f"llama.cpp could not make a context of {slots} x {per_slot} tokens for {path}")
        self.n_batch = params.n_batch
        self.memory = ll.llama_get_memory(self.ctx)
        self.n_vocab = ll.llama_vocab_n_tokens(ll.llama_model_get_vocab(self.model))
        self.batch = ll.llama_batch_init(self.n_batch, 0, 1)

    def run(self, prompts: Sequence[Sequence[int]], done: Callable[[int, list[int]], bool]) -> list[list[int]]:
        """Each prompt's new tokens, greedily, until `done(row, tokens so far)` says it is finished."""
        import numpy as np

        ll = self.ll
        for row, ids in enumerate(prompts):
            if not 0 < len(ids) < self.per_slot:
                raise ValueError(f"prompt {row} has {len(ids)} tokens; the slots hold {self.per_slot - 1}")
        new: list[list[int]] = [[] for _ in prompts]
        waiting = list(range(len(prompts)))[::-1]  # pop() takes the first
        slot_row: dict[int, int] = {}  # slot -> row it is answering
        pending: dict[int, list[tuple[int, int]]] = {}  # slot -> (position, token) still to evaluate
        ll.llama_memory_clear(self.memory, True)
        while waiting or slot_row:
            for slot in range(self.slots):  # free slots take the next prompts
                if slot not in slot_row and waiting:
                    row = waiting.pop()
                    slot_row[slot] = row
                    pending[slot] = list(enumerate(prompts[row]))
            # One call: every slot's next token(s); a prompt's tokens as many as fit after the others' one.
            self.batch.n_tokens, wants = 0, {}
            order = sorted(slot_row, key=lambda s: len(pending[s]))  # the one-token rows first
            for slot in order:
                room = self.n_batch - self.batch.n_tokens
                if room <= 0:
                    break
                take, pending[slot] = pending[slot][:room], pending[slot][room:]
                for position, token in take:
                    i = self.batch.n_tokens
                    self.batch.token[i], self.batch.pos[i] = token, position
                    self.batch.n_seq_id[i], self.batch.seq_id[i][0] = 1, slot
                    self.batch.logits[i] = False
                    self.batch.n_tokens += 1
                if not pending[slot]:  # its last token is in: read the next one from here
                    self.batch.logits[self.batch.n_tokens - 1] = True
                    wants[slot] = self.batch.n_tokens - 1
            code = ll.llama_decode(self.ctx, self.batch)
            if code != 0:
                raise RuntimeError(f"llama.cpp's decode failed with code {code} ({len(slot_row)} rows)")
            for slot, i in wants.items():
                logits = np.ctypeslib.as_array(ll.llama_get_logits_ith(self.ctx, i), shape=(self.n_vocab,))
                row = slot_row[slot]
                new[row].append(int(np.argmax(logits)))
                if done(row, new[row]) or len(prompts[row]) + len(new[row]) >= self.per_slot:  # or its slot is full
                    del slot_row[slot], pending[slot]
                    ll.llama_memory_seq_rm(self.memory, slot, -1, -1)
                else:
                    pending[slot] = [(len(prompts[row]) + len(new[row]) - 1, new[row][-1])]
        return new

    def close(self) -> None:
        ll = self.ll
        for name, free in (("batch", ll.llama_batch_free), ("ctx", ll.llama_free), ("model", ll.llama_model_free)):
            value = self.__dict__.pop(name, None)
            if value is not None:
                free(value)


def _eos_ids(folder: Path, tokenizer) -> list[int]:
    """The end-of-turn ids transformers stops at: the folder's generation_config, else the tokenizer's."""
    config = Path(folder) / "generation_config.json"
    eos = read_json(config).get("eos_token_id") if config.exists() else None
    if eos is None:
        eos = tokenizer.eos_token_id
    return [] if eos is None else list(eos) if isinstance(eos, (list, tuple)) else [eos]
