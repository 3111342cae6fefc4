"""Step 3 generation: batched, greedy, resumable answers from a model folder (transformers or vLLM).

Both students answer every evaluation comment with the same rendered prompt as training
(`utils.chat.render_prompt`). Each (model, comment type) appends its answers to
`results/generations/<model>_<type>.jsonl` batch by batch, so a killed run resumes where it
stopped; a `.meta.json` beside it names the model and settings, and answers made under others are
set aside rather than mixed in.

    {"id": "vendor-00042", "text": "1. 1\\n2. 3\\n...", "new_tokens": 61}

How long each batch took goes to `<model>_<type>.timing.jsonl` beside it
(`{"batch", "ids", "batch_seconds", "batch_size"}`), not into the answers: two runs of the same
model on the same comments write byte-identical answer files, which `metrics.json` pins by SHA-256.
`generate_answers` returns each answer with its batch's timing joined in.

The same engine serves a local LLM judge (`chat_generate_fn`): a list of chat conversations in,
one reply string per conversation out.

On vLLM the engine is given token ids, never text: vLLM tokenizes text prompts with
`add_special_tokens=True`, which puts a second BOS before Llama 3.1's chat template, so the model
would be scored on tokens it was never trained on. The ids come from the same tokenizer call as
training's (`add_special_tokens=False`), and every reply's `prompt_token_ids` is checked against
them. All pending prompts go to vLLM in calls of VLLM_BATCH_PROMPTS (continuous batching needs
many in flight; transformers takes GEN_BATCH_SIZE). An engine is shut down explicitly, and the
next one starts only once the GPU memory it needs is free again.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from Config.Config import Config
from utils.chat import render_prompt
from utils.files import JsonlProgress, append_jsonl, read_json, read_jsonl, write_json
from utils.models import load_model, load_tokenizer
from utils.paths import MARKER, STUDENTS, generation_file, timing_file
from utils.runtime import CPU_RUNTIMES, Runtime, check_machine, cpu_runtime_on_gpu, prepare, step_backend
from utils.tasks import parse_answers_detailed


GPU_MEMORY_WAIT_S = 120  # how long a new vLLM engine waits for the previous one's memory
MIN_SHARED_PREFIX = 16  # tokens: a shorter common start is not worth a forward pass of its own


def select_backend(cfg: Config, runtime: Runtime, folder: Optional[Path] = None, one_at_a_time: bool = False) -> str:
    """"vllm" on CUDA when it imports (or when asked for). On a CPU, under "auto", the fastest runtime
    that can run the folder: for batches (Step 3, the loop, a local judge) "openvino"
    (`utils.openvino_runtime.why_not_openvino`); for one comment at a time (the app) "llama.cpp"
    (`utils.gguf_runtime.cpu_backend`), then "openvino"; else "hf" (transformers), saying why once.
    "openvino" or "llama.cpp" insists on that runtime for both.

    Why this order (README "CPU runtimes" has the measurements): OpenVINO's continuous batching was the
    fastest for batches on every CPU measured, and llama.cpp's batches of sequences no faster than
    transformers'; for one stream llama.cpp was as fast as OpenVINO or faster."""
    choice = cfg.INFERENCE_BACKEND
    if choice in CPU_RUNTIMES and runtime.on_gpu:
        raise RuntimeError(cpu_runtime_on_gpu(choice) + ".")
    if runtime.on_gpu or folder is None or choice not in ("auto", "llama.cpp", "openvino"):
        return step_backend("inference", cfg, runtime)
    from utils.gguf_runtime import cpu_backend
    from utils.openvino_runtime import why_not_openvino

    # what "auto" tries, in order: one comment at a time llama.cpp, then OpenVINO; batches OpenVINO
    # only (the docstring says why)
    order = {"openvino": ["openvino"], "llama.cpp": ["llama.cpp"],
             "auto": ["llama.cpp", "openvino"] if one_at_a_time else ["openvino"]}[choice]
    reasons = []
    for backend in order:
        if backend == "openvino":
            why_not = why_not_openvino(cfg, folder)
            if why_not is not None and choice == "openvino":
                raise RuntimeError(f"INFERENCE_BACKEND='openvino' cannot be used: {why_not}. "
                                   "Set INFERENCE_BACKEND='auto' or 'hf' to generate with transformers.")
        else:
            why_not = cpu_backend(cfg, folder)[1]  # raises itself when llama.cpp was insisted on
        if why_not is None:
            break
        reasons.append(why_not)
    else:
        backend = "hf"
    if reasons:
        said = f"Generating with {'transformers' if backend == 'hf' else backend}: " + "; ".join(reasons) + "."
        if said not in _said:
            _said.add(said)
            print(said, flush=True)
    return backend


_said: set[str] = set()  # fallback reasons already printed (once per process)


def gpu_memory() -> tuple[int, int]:
    """(free, total) bytes on the current CUDA device, as the driver sees them (all processes)."""
    import torch

    return torch.cuda.mem_get_info()


def wait_for_gpu_memory(share: float, timeout_s: float = GPU_MEMORY_WAIT_S, poll_s: float = 1.0,
                        raise_on_timeout: bool = True) -> tuple[int, int]:
    """Wait until `share` of the GPU is free (a closed vLLM engine's process takes seconds to exit).

    Returns (free, total); on timeout raises a RuntimeError that says what to do, or returns.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        free, total = gpu_memory()
        if free >= share * total or time.monotonic() >= deadline:
            break
        time.sleep(poll_s)
    if free < share * total and raise_on_timeout:
        raise RuntimeError(
            f"Only {free / 2**30:.1f} of {total / 2**30:.1f} GiB of GPU memory is free after {timeout_s:.0f} s, "
            f"and a vLLM engine needs VLLM_GPU_MEMORY_UTILIZATION={share} of it. Another process, or an engine "
            "that was not closed (an exception held in a notebook), still holds the rest: `nvidia-smi` shows "
            "which. Free it (restart the kernel), or lower VLLM_GPU_MEMORY_UTILIZATION.")
    return free, total


def shutdown_vllm(llm) -> str:
    """Stop a vLLM engine's worker process now instead of whenever garbage collection gets to it.

    vLLM 0.32 has no public `LLM.shutdown()`; its V1 engine client has `shutdown()`, which stops
    and joins the EngineCore process. Newer releases' `LLM.shutdown()` is used when present.
    Returns which call was made.
    """
    for path in (("shutdown",), ("llm_engine", "engine_core", "shutdown")):
        target = llm
        for name in path:
            target = getattr(target, name, None)
        if callable(target):
            target()
            return ".".join(path)
    return "none (left to garbage collection)"


def _destroy_vllm_process_groups() -> None:
    """vLLM's own cleanup of the distributed state it may have set up in this process."""
    try:
        from vllm.distributed.parallel_state import destroy_distributed_environment, destroy_model_parallel
    except ImportError:
        return
    destroy_model_parallel()
    destroy_distributed_environment()


class PromptTooLong(ValueError):
    """A prompt longer than the student reads (`max_prompt_tokens`): it is never generated from."""


def max_prompt_tokens(cfg: Config, folder: Path, max_new_tokens: int) -> int:
    """The longest rendered prompt, in tokens, a student is given: MAX_LENGTH (what Step 1 keeps and
    Step 2 trains on, and vLLM's `max_model_len` less the answer), less where the model's positions
    (`max_position_embeddings` in its config.json) could not hold the prompt and `max_new_tokens`."""
    config = Path(folder) / "config.json"
    positions = read_json(config).get("max_position_embeddings") if config.exists() else None
    return min(cfg.MAX_LENGTH, positions - max_new_tokens) if positions else cfg.MAX_LENGTH


def common_prefix_length(rows: Sequence[Sequence[int]]) -> int:
    """How many leading token ids all rows share, leaving every row at least one of its own (the
    logits of a row's last prompt token start its answer); 0 for a single row."""
    if len(rows) < 2:
        return 0
    return min(len(os.path.commonprefix([list(r) for r in rows])), min(len(r) for r in rows) - 1)


def check_prompt_lengths(engine, ids: Sequence[str], texts: Sequence[str], what: str) -> None:
    """Raise PromptTooLong naming every prompt longer than `engine.max_prompt_tokens`: a model fed more
    would answer from positions it was never trained on (or has none for), with no sign of it."""
    lengths = [len(row) for row in engine.tokenizer(list(texts), add_special_tokens=False)["input_ids"]] if texts else []
    over = [(cid, n) for cid, n in zip(ids, lengths) if n > engine.max_prompt_tokens]
    if over:
        listed = ", ".join(f"{cid} ({n} tokens)" for cid, n in over[:5]) + (", ..." if len(over) > 5 else "")
        raise PromptTooLong(
            f"{len(over)} of {len(ids)} {what} are longer than the student reads: {listed}; the limit is "
            f"{engine.max_prompt_tokens} prompt tokens (MAX_LENGTH={engine.cfg.MAX_LENGTH}, within the model's "
            "positions less GEN_MAX_NEW_TOKENS). Nothing was generated. Step 1 drops such evaluation comments "
            "(stage too_long): rerun Step 1 with this MAX_LENGTH (gold comments: shorten them in GOLD_FILE), "
            "or raise MAX_LENGTH and run Steps 1-3 again.")


class Engine:
    """One loaded model that turns rendered prompts into greedy completions, batch by batch."""

    def __init__(self, folder: Path, cfg: Config, max_new_tokens: int, runtime: Optional[Runtime] = None,
                 one_at_a_time: bool = False):
        check_machine(cfg, "inference", runtime)
        self.folder, self.cfg, self.max_new_tokens = Path(folder), cfg, max_new_tokens
        self.runtime = runtime or prepare(cfg)
        self.backend = select_backend(cfg, self.runtime, self.folder, one_at_a_time)
        self.tokenizer = load_tokenizer(self.folder, cfg)
        self.max_prompt_tokens = max_prompt_tokens(cfg, self.folder, max_new_tokens)
        self.gguf = self.openvino = None
        if self.backend == "openvino":
            from utils.heads import has_heads
            from utils.openvino_runtime import OpenVinoGenerator

            self.openvino = OpenVinoGenerator(cfg, self.folder, self.tokenizer, max_new_tokens, self.runtime.dtype_name)
            if has_heads(self.folder):  # the heads read the transformers model's hidden states
                self.model = load_model(self.folder, cfg, self.runtime)
        elif self.backend == "llama.cpp":
            from utils.gguf_runtime import GgufGenerator
            from utils.heads import has_heads

            self.gguf = GgufGenerator(cfg, self.folder, self.tokenizer, max_new_tokens,
                                      n_ctx=self.max_prompt_tokens + max_new_tokens + 8)
            if has_heads(self.folder):  # the heads read the transformers model's hidden states
                self.model = load_model(self.folder, cfg, self.runtime)
        elif self.backend == "vllm":
            from vllm import LLM

            share = cfg.VLLM_GPU_MEMORY_UTILIZATION
            if not 0 < share < 1:
                raise ValueError(f"VLLM_GPU_MEMORY_UTILIZATION must be between 0 and 1, not {share}.")
            wait_for_gpu_memory(share)  # the previous engine's process may still be exiting
            self.llm = LLM(model=str(self.folder), dtype=self.runtime.dtype_name, seed=cfg.SEED,
                           trust_remote_code=cfg.TRUST_REMOTE_CODE, gpu_memory_utilization=share,
                           max_model_len=cfg.MAX_LENGTH + max_new_tokens, enforce_eager=cfg.VLLM_ENFORCE_EAGER)
        else:
            self.model = load_model(self.folder, cfg, self.runtime)
        self.heads = self._load_heads()

    @property
    def runtime_name(self) -> str:
        """What makes the answers, as Step 3 records it with each one."""
        if self.gguf is not None:
            return self.gguf.name
        if self.openvino is not None:
            return self.openvino.name
        if self.backend == "vllm":
            return f"vllm ({self.runtime.dtype_name})"
        return f"transformers ({self.runtime.dtype_name})"

    def _load_heads(self):
        """The folder's decision heads (utils/heads.py), or None; vLLM cannot run them, so it refuses."""
        from utils.heads import DecisionHeads, has_heads

        if has_heads(self.folder) and self.backend == "vllm":
            raise ValueError(f"{self.folder} has decision heads (Step 2 with DECISION_HEADS_LAYER set), which need "
                             "the transformers backend: set INFERENCE_BACKEND='hf', or retrain with DECISION_HEADS_LAYER=None.")
        return DecisionHeads.load(self.folder)

    def answer_prefixes(self, records: Sequence[dict]) -> list[str]:
        """What each answer starts with before the model writes: the decision heads' `N. value` lines
        (utils/heads.py) when the folder has heads, else nothing."""
        if self.heads is None:
            return [""] * len(records)
        return self.heads.prefixes(self.model, self.tokenizer, [r["Comment"] for r in records],
                                   [r["type"] for r in records])

    def render(self, prompt: str) -> str:
        return render_prompt(self.tokenizer, prompt, self.cfg.system_prompt)

    def prompt_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of rendered prompts exactly as training tokenizes them (no added BOS/EOS)."""
        return [list(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    def chunk_size(self, batch_size: int) -> int:
        """Prompts per `generate` call: VLLM_BATCH_PROMPTS on vLLM and OPENVINO_BATCH_PROMPTS on OpenVINO
        (continuous batching: more keeps each step full), else `batch_size` (transformers pads them into
        one batch; llama.cpp decodes them as one batch of sequences, `utils.gguf_runtime.GgufBatch`)."""
        if self.backend == "vllm":
            return self.cfg.VLLM_BATCH_PROMPTS
        return self.cfg.OPENVINO_BATCH_PROMPTS if self.openvino is not None else batch_size

    def generate(self, texts: Sequence[str], on_text: Optional[Callable[[list[str]], None]] = None,
                 answers: Optional[Sequence[tuple[str, str]]] = None) -> list[tuple[str, int]]:
        """Greedy completions of already-rendered texts: (decoded text, number of new tokens).

        `on_text`, if given, is called after every decoding step with each row's text so far
        (transformers backend; vLLM returns whole answers only). `answers`, if given, names each
        row's task answer as (the text it starts with, its comment type): a row stops once its
        answers are finished (`utils.tasks.answers_finished`), not at the token limit
        (transformers backend; vLLM stops at its end-of-turn token or the limit).
        """
        if self.openvino is not None:  # all rows in each step (Step 3; the app's one comment too)
            return self.openvino.generate_many(self.prompt_ids(texts), answers, on_text)
        if self.gguf is not None and len(texts) > 1 and on_text is None:  # all rows in each step (Step 3)
            return self.gguf.generate_many(self.prompt_ids(texts), answers)
        if self.gguf is not None:  # one prompt, or text shown as it grows (the app)
            rows = []
            for i, ids in enumerate(self.prompt_ids(texts)):
                shown = None if on_text is None else (lambda text, i=i: on_text([*[""] * i, text]))
                rows.append(self.gguf.generate_ids(ids, answers[i] if answers else None, shown))
            return rows
        if self.backend == "vllm":
            from vllm import SamplingParams

            params = SamplingParams(temperature=0.0, max_tokens=self.max_new_tokens)
            ids = self.prompt_ids(texts)
            outs = self.llm.generate([{"prompt_token_ids": row} for row in ids], params, use_tqdm=False)
            for sent, out in zip(ids, outs):
                seen = getattr(out, "prompt_token_ids", None)
                if seen is not None and list(seen) != sent:
                    raise RuntimeError(f"vLLM ran the prompt on other tokens than it was given (first ids sent "
                                       f"{sent[:5]}, run {list(seen)[:5]}): the answers would not be the "
                                       "trained model's. Check the vLLM version against constraints-gpu.txt.")
            return [(o.outputs[0].text, len(o.outputs[0].token_ids)) for o in outs]
        import torch
        from transformers import StoppingCriteriaList

        tok = self.tokenizer
        ids = self.prompt_ids(texts)
        shared = common_prefix_length(ids) if self.cfg.SHARE_PROMPT_PREFIX else 0
        with torch.inference_mode():
            if shared >= MIN_SHARED_PREFIX:
                batch = self._shared_prefix_batch(ids, shared)
            else:
                batch = tok(list(texts), return_tensors="pt", padding=True, add_special_tokens=False).to(self.model.device)
            stop = None if answers is None else StoppingCriteriaList([AnswerStop(tok, batch["input_ids"].shape[1], answers)])
            out = self.model.generate(**batch, max_new_tokens=self.max_new_tokens, do_sample=False,
                                      pad_token_id=tok.pad_token_id, streamer=_text_streamer(tok, on_text),
                                      stopping_criteria=stop)
        return decode_new_tokens(tok, out, batch["input_ids"].shape[1])

    def _shared_prefix_batch(self, ids: list[list[int]], shared: int) -> dict:
        """`generate` inputs for rows that all start with the same `shared` token ids: those run once,
        and every row continues from a copy of their cache.

        Each row is the shared start, then its padding, then the rest of its prompt, with the
        padding masked out; positions come from the mask, so every token sits where it sits in its
        own unpadded prompt, as with left padding. Only numerics can differ from a fully padded
        batch (the shared start is computed at batch size 1).
        """
        import torch

        device = self.model.device
        out = self.model(input_ids=torch.tensor([ids[0][:shared]], device=device), use_cache=True)
        key = "cache" if "cache" in out else "past_key_values"  # transformers >= 5.2x calls it `cache`
        cache = out[key]
        cache.batch_repeat_interleave(len(ids))
        width, pad = max(len(row) for row in ids), self.tokenizer.pad_token_id
        rows = [row[:shared] + [pad] * (width - len(row)) + row[shared:] for row in ids]
        mask = [[1] * shared + [0] * (width - len(row)) + [1] * (len(row) - shared) for row in ids]
        return {"input_ids": torch.tensor(rows, device=device), "attention_mask": torch.tensor(mask, device=device),
                key: cache}

    def close(self) -> None:
        """Free the model (and GPU memory) before the next one loads.

        A vLLM engine is shut down explicitly, then this waits (up to GPU_MEMORY_WAIT_S) until the
        share the next engine needs is free, and prints what is free.
        """
        for name in ("gguf", "openvino"):
            cpu_runtime = self.__dict__.pop(name, None)
            if cpu_runtime is not None:
                cpu_runtime.close()
        llm, how = self.__dict__.pop("llm", None), "already closed"
        if llm is not None:
            how = shutdown_vllm(llm)
            del llm
            _destroy_vllm_process_groups()
        self.__dict__.pop("model", None)
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            return
        if self.backend == "vllm" and torch.cuda.is_available():
            free, total = wait_for_gpu_memory(self.cfg.VLLM_GPU_MEMORY_UTILIZATION, raise_on_timeout=False)
            print(f"Closed the vLLM engine of {self.folder.name} ({how}): {free / 2**30:.1f} of "
                  f"{total / 2**30:.1f} GiB of GPU memory free", flush=True)


class PairEngine:
    """The base student and its LoRA adapter in one model: both answer one prompt in one batch.

    For a single comment, a decode step on a CPU is bound by reading the weights and by per-step
    overhead, not by arithmetic. PEFT's mixed-adapter batches send row 0 through the base weights
    only and row 1 through base + adapter, so both answers share every step: on 2 cores, two
    150-token answers took 15.8 s this way against 22 s one model after the other (measured). The
    adapter is Step 2's, unmerged; it equals the merged folder up to rounding (Step 2 reports the
    largest logit difference). Greedy, like Step 3.
    """

    NAMES = STUDENTS

    def __init__(self, base_folder: Path, adapter_folder: Path, cfg: Config, max_new_tokens: int,
                 runtime: Optional[Runtime] = None, heads_folder: Optional[Path] = None):
        from peft import PeftModel

        from utils.heads import DecisionHeads

        self.cfg, self.max_new_tokens = cfg, max_new_tokens
        self.tokenizer = load_tokenizer(base_folder, cfg)
        base = load_model(base_folder, cfg, runtime)
        self.model = PeftModel.from_pretrained(base, str(adapter_folder)).eval()
        self.max_prompt_tokens = max_prompt_tokens(cfg, Path(base_folder), max_new_tokens)
        # the fine-tuned student's decision heads (in its merged folder), read through the adapter
        self.heads = DecisionHeads.load(heads_folder) if heads_folder else None

    def answer_prefix(self, comment: str, comment_type: str) -> str:
        """The fine-tuned answer's start written by its decision heads ("" without heads)."""
        if self.heads is None:
            return ""
        return self.heads.prefixes(self.model, self.tokenizer, [comment], [comment_type])[0]

    def render(self, prompt: str) -> str:
        return render_prompt(self.tokenizer, prompt, self.cfg.system_prompt)

    def generate_pair(self, text: str, on_text: Optional[Callable[[dict[str, str]], None]] = None,
                      prefix: str = "", comment_type: Optional[str] = None) -> dict[str, dict]:
        """{"base"|"finetuned": {"text", "new_tokens", "latency_s"}} for one rendered prompt.

        Each latency is the time until that model's answer ended (its end-of-turn token or the
        token limit, or with `comment_type` given, its finished answers: `AnswerStop`), measured by
        the stopping criterion that watches every row. `on_text`, if given,
        gets {"base": text so far, "finetuned": text so far} after every decoding step. `prefix`
        (the decision heads' lines, `answer_prefix`) starts the fine-tuned answer; the model goes on from it.
        """
        import torch
        from transformers import StoppingCriteriaList

        tok = self.tokenizer
        starts = ("", prefix)  # what each row's answer starts with before the model writes
        batch = tok([text, text + prefix], return_tensors="pt", padding=True,
                    add_special_tokens=False).to(self.model.device)
        stop = AnswerStop(tok, batch["input_ids"].shape[1], [(s, comment_type) for s in starts]
                          if comment_type else None, eos=self.model.generation_config.eos_token_id)
        named = None if on_text is None else (
            lambda texts: on_text({n: s + t for n, s, t in zip(self.NAMES, starts, texts)}))
        start = stop.start
        with torch.inference_mode():
            out = self.model.generate(**batch, max_new_tokens=self.max_new_tokens, do_sample=False,
                                      pad_token_id=tok.pad_token_id, adapter_names=["__base__", "default"],
                                      stopping_criteria=StoppingCriteriaList([stop]), streamer=_text_streamer(tok, named))
        finished = stop.finished
        total = time.perf_counter() - start
        answers = decode_new_tokens(tok, out, batch["input_ids"].shape[1])
        return {name: {"text": start_text + text, "new_tokens": n, "latency_s": round(finished.get(i, total), 3)}
                for i, (name, start_text, (text, n)) in enumerate(zip(self.NAMES, starts, answers))}


def line_break_test(tokenizer) -> Callable[[int], bool]:
    """token id -> whether it decodes to a line break (where `answers_finished` can turn true),
    remembered per token: the stop checks of both runtimes ask it after every new token."""
    known: dict[int, bool] = {}

    def breaks_line(token: int) -> bool:
        if token not in known:
            known[token] = "\n" in tokenizer.decode([token])
        return known[token]

    return breaks_line


class AnswerStop:
    """A `generate` stopping criterion: a row is done once its task answers are finished.

    `answers` gives each row (the text its answer starts with, its comment type); a row is checked
    only after a token holding a line break (where `utils.tasks.answers_finished` can turn true),
    so the check costs little. Whether or not it stops rows, it records when each row ended (its
    end-of-turn token, or its finished answers) in `finished` (seconds since it was made).
    """

    def __init__(self, tokenizer, prompt_length: int, answers: Optional[Sequence[tuple[str, str]]], eos=None):
        import torch

        self.tokenizer, self.prompt_length, self.answers = tokenizer, prompt_length, answers
        eos = tokenizer.eos_token_id if eos is None else eos
        self.eos = torch.tensor(eos if isinstance(eos, (list, tuple)) else [] if eos is None else [eos])
        self._breaks_line = line_break_test(tokenizer)
        self.finished: dict[int, float] = {}
        self.start = time.perf_counter()

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        from utils.tasks import answers_finished

        now = time.perf_counter() - self.start
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        for row in torch.isin(input_ids[:, -1].cpu(), self.eos).nonzero().flatten().tolist():
            self.finished.setdefault(row, now)
        if self.answers is None:
            return done
        for row, ((start, comment_type), last) in enumerate(zip(self.answers, input_ids[:, -1].tolist())):
            if row in self.finished:
                done[row] = True
                continue
            if self._breaks_line(last):
                text = self.tokenizer.decode(input_ids[row, self.prompt_length:], skip_special_tokens=True)
                if answers_finished(start + text, comment_type):
                    self.finished[row] = now
                    done[row] = True
        return done


def _text_streamer(tokenizer, on_text: Optional[Callable[[list[str]], None]]):
    """A `generate` streamer that hands `on_text` every row's decoded answer after each step.

    transformers' own text streamers take one row only; this one keeps a row per prompt. The
    first `put` is the prompt itself, the later ones one new token per row.
    """
    if on_text is None:
        return None
    from transformers.generation.streamers import BaseStreamer

    class _Rows(BaseStreamer):
        def __init__(self):
            self.rows: Optional[list[list[int]]] = None

        def put(self, value):
            if self.rows is None:  # the prompt
                self.rows = [[] for _ in range(value.shape[0])]
                return
            for row, token in zip(self.rows, value.reshape(len(self.rows), -1).tolist()):
                row.extend(token)
            on_text([tokenizer.decode(row, skip_special_tokens=True) for row in self.rows])

        def end(self):
            pass

    return _Rows()


def decode_new_tokens(tokenizer, out, prompt_length: int) -> list[tuple[str, int]]:
    """(decoded text, number of new tokens) per row of a left-padded `generate` output."""
    results = []
    for row in out[:, prompt_length:]:
        n = int((row != tokenizer.pad_token_id).sum())
        results.append((tokenizer.decode(row, skip_special_tokens=True), n))
    return results


def model_identity(folder: Path) -> str:
    """A short id of a model folder's contents (its marker or config), to detect a changed model."""
    folder = Path(folder)
    source = folder / MARKER if (folder / MARKER).exists() else folder / "config.json"
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def generate_answers(cfg: Config, engine: Engine, model_name: str, records: Sequence[dict],
                     comment_type: str, progress: bool = True) -> list[dict]:
    """Answer every record, appending batch by batch; finished ids are never recomputed."""
    from utils.progress import progress_bar

    path = generation_file(cfg, model_name, comment_type)
    meta = {"model": str(engine.folder), "model_id": model_identity(engine.folder),
            "max_new_tokens": engine.max_new_tokens, "system_prompt": cfg.system_prompt,
            "backend": engine.backend, "decision_heads": engine.heads.layer if engine.heads else None,
            "stop": "end of turn" if engine.backend == "vllm" else "answers finished", "runtime": engine.runtime_name}
    meta_path = path.with_suffix(".meta.json")
    if path.exists() and (not meta_path.exists() or read_json(meta_path) != meta):
        stale = path.with_suffix(f".stale-{int(time.time())}.jsonl")
        path.rename(stale)  # made by another model or settings: keep it aside, never mix
        if timing_file(path).exists():
            timing_file(path).rename(timing_file(stale))
        print(f"{path.name} came from another model or settings; moved to {stale.name}")
    write_json(meta_path, meta)
    answers = JsonlProgress(path, key="id")
    done = answers.done
    todo = [r for r in records if r["id"] not in done]
    if done:
        print(f"{model_name}/{comment_type}: {len(done)} answers already on disk, {len(todo)} to go")
    rendered = [(r["id"], engine.render(r["Prompt"])) for r in todo]  # checked before the heads' prefixes
    check_prompt_lengths(engine, [cid for cid, _ in rendered], [text for _, text in rendered],
                         f"{model_name}/{comment_type} comments")  # before any generation: none is cut or skipped
    # Longest first: similar lengths share a batch (little padding) and memory peaks early.
    rendered.sort(key=lambda item: -len(item[1]))
    size = engine.chunk_size(engine.cfg.GEN_BATCH_SIZE)
    bar = progress_bar(total=len(records), initial=len(done), desc=f"{model_name} answers {comment_type}",
               unit="comment", disable=not progress)
    timing_path = timing_file(path)
    batch = len(read_jsonl(timing_path))
    by_id = {r["id"]: r for r in todo}
    for start in range(0, len(rendered), size):
        chunk = rendered[start:start + size]
        t0 = time.time()
        prefixes = engine.answer_prefixes([by_id[cid] for cid, _ in chunk])
        outputs = engine.generate([text + prefix for (_, text), prefix in zip(chunk, prefixes)],
                                  answers=[(prefix, comment_type) for prefix in prefixes])
        seconds = time.time() - t0
        answers.add([{"id": cid, "text": prefix + text, "new_tokens": n, "runtime": engine.runtime_name}
                     for (cid, _), prefix, (text, n) in zip(chunk, prefixes, outputs)])
        append_jsonl(timing_path, [{"batch": batch, "ids": [cid for cid, _ in chunk],
                                    "batch_seconds": round(seconds, 3), "batch_size": len(chunk)}])
        batch += 1
        bar.update(len(chunk))
    bar.close()
    timing = {cid: {k: t[k] for k in ("batch", "batch_seconds", "batch_size")}
              for t in read_jsonl(timing_path) for cid in t["ids"]}
    return [timing.get(r["id"], {}) | done[r["id"]] for r in records]


def speed_stats(rows: Sequence[dict], comment_type: str) -> dict:
    """prompts/s, generated tokens/s, mean latency and the share of answers that parse completely."""
    batches = {}
    for row in rows:  # rows of one batch share its timing; count each batch once
        batches.setdefault(row.get("batch", (row.get("batch_seconds", 0.0), row.get("batch_size", 1))),
                           (row.get("batch_seconds", 0.0), row.get("batch_size", 1)))
    seconds = sum(s for s, _ in batches.values())
    tokens = sum(r["new_tokens"] for r in rows)
    complete = sum(parse_answers_detailed(r["text"], comment_type).complete for r in rows)
    return {
        "prompts": len(rows),
        "seconds": round(seconds, 2),
        "prompts_per_s": round(len(rows) / seconds, 3) if seconds else None,
        "tokens_per_s": round(tokens / seconds, 1) if seconds else None,
        "mean_latency_s": round(sum(r.get("batch_seconds", 0.0) for r in rows) / len(rows), 3) if rows else None,
        "mean_new_tokens": round(tokens / len(rows), 1) if rows else None,
        "parse_complete_share": round(complete / len(rows), 4) if rows else None,
    }


def chat_generate_fn(engine: Engine, batch_size: int) -> Callable[[list[list[dict]]], list[str]]:
    """A `generate_fn` for `utils.judge.judge_pairs_llm` backed by a local model."""
    from utils.progress import progress_bar

    def generate(conversations: list[list[dict]]) -> list[str]:
        texts = [engine.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
                 for c in conversations]
        replies: list[str] = []
        size = engine.chunk_size(batch_size)
        for start in progress_bar(range(0, len(texts), size), desc="judge", unit="batch", leave=False):
            replies += [text for text, _ in engine.generate(texts[start:start + size])]
        return replies

    return generate

