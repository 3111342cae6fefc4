"""The comparison app: the base and the fine-tuned student side by side, and the latest evaluation.

    python utils/app.py [--profile demo] [--set KEY=VALUE ...] [--host 127.0.0.1] [--port 7860]
    make app

Tab "Compare": pick a comment type, paste a comment or pick one of the evaluation comments
(Step 1's `Data/<stem>_Evaluation_Clean.json`), and both students answer it with the prompt they
were trained on (`utils.tasks.build_prompt`, rendered by `utils.inference.Engine`). While they
decode, the page shows what each has written so far (`Comparer.compare_live`). Then a table shows
the parsed answer to every question side by side, marks the questions where the two differ and,
for an evaluation comment, colours each answer against the teacher's. Each model's latency shows
below. Each model is loaded once, at startup; a missing model is reported, never fatal. On a CPU
under INFERENCE_BACKEND "auto", each student answers one after the other through llama.cpp when
llama-cpp-python is installed (`make install-llama-cpp`; utils/gguf_runtime.py), the fastest way
here, else through OpenVINO (`make install` has it; utils/openvino_runtime.py); the decision heads
still read the fine-tuned student in transformers. Without either (or with "hf") and with
APP_PAIRED_BATCH (default) both answers come from one transformers batch: the base weights once,
with Step 2's LoRA adapter applied to the fine-tuned row only (`utils.inference.PairEngine`); on a
CPU the app computes in float32, faster than bf16 for one comment at a time.

Tab "Evaluation": the latest `results/metrics.json` (Step 3): the check, what each answerer learned
(base, fine-tuned, the majority baseline), kappa per question, the gold set, the per-question table,
the win rates with their intervals and judged examples.

The same comparison is an HTTP API endpoint, `/compare`:

    >>> from gradio_client import Client
    >>> Client("http://127.0.0.1:7860/").predict("vendor", "Kudu is down ...", api_name="/compare")
    {"comment_type": "vendor", "evaluation_id": None, "models": {"base": {"latency_s": 2.1, ...},
     "finetuned": {...}}, "rows": [{"question": 1, "key": "technical", "base": 1, "finetuned": 1,
     "teacher": None, "differs": False, ...}, ...], "notes": []}

Where it listens: 127.0.0.1 (`--host` to change), on `--port`, else $CDSW_APP_PORT (a Cloudera AI
application must listen on 127.0.0.1 and that port), else Config `APP_PORT`. The profile comes
from `--profile`, else $KD_PROFILE, as everywhere.
"""

from __future__ import annotations

if not __package__:  # run as a file (`python utils/app.py`, as a CML application does): import `utils` from the project root
    import sys as _sys
    from pathlib import Path as _Path

    _sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))

import argparse
import dataclasses
import html
import io
import os
import queue
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Iterator, Optional

from Config.Config import Config, load_config, parse_set_args
from utils.evaluation import load_eval_records
from utils.inference import Engine, PairEngine, PromptTooLong, select_backend
from utils.models import is_ready, model_dir
from utils.paths import STUDENTS, MissingStepOutput, finetuned_dir, merged_pointer, paired_adapter
from utils.runtime import prepare
from utils.tasks import COMMENT_TYPE_LABELS, build_prompt, parse_answers, parse_answers_detailed, questions

MODELS = dict(zip(STUDENTS, ("base", "fine-tuned")))  # name -> label
STEP_OF = dict(zip(STUDENTS, ("Step 0 (0_Setup_Models.ipynb)", "Step 2 (2_Finetune_LoRA.ipynb)")))
OnText = Callable[[dict[str, str]], None]  # {model name: its answer so far}, after each decoding step


class Comparer:
    """Both students, each loaded once, and the evaluation comments with the teacher's answers."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.model_notes: list[str] = []  # models that are not there yet: said on the page and in replies
        self.engines: dict[str, Optional[Engine]] = {}
        try:
            finetuned = finetuned_dir(cfg)  # the merged folder Step 2 published last
        except MissingStepOutput:
            finetuned = merged_pointer(cfg)  # none yet: the note below names the pointer Step 2 writes
        self.folders = {"base": model_dir(cfg, "student"), "finetuned": finetuned}
        self._lock = threading.Lock()  # one generation at a time: the models are not thread-safe
        self.calls: Optional[MainThreadCalls] = None  # set by the app: where model work runs
        self.pair: Optional[PairEngine] = None
        runtime = prepare(cfg)
        if not runtime.on_gpu and cfg.DTYPE == "auto":
            # One comment at a time is bound by per-step overhead and weight reads, where float32
            # kernels beat bf16 ones on a CPU (150 tokens: 11.1 s against 13.1 s, measured).
            runtime = dataclasses.replace(runtime, dtype_name="float32")
        # One comment at a time needs no vLLM, and two vLLM engines would each claim most of the GPU.
        # On a CPU "auto" stays: llama.cpp answers when it is installed (utils/gguf_runtime.py), else
        # OpenVINO (utils/openvino_runtime.py), else transformers.
        engine_cfg = (dataclasses.replace(cfg, INFERENCE_BACKEND="hf")
                      if cfg.INFERENCE_BACKEND == "auto" and runtime.on_gpu else cfg)
        ready = {name: is_ready(folder) for name, folder in self.folders.items()}
        adapter = paired_adapter(cfg)
        # llama.cpp or OpenVINO answers one model after the other, each faster than the shared
        # transformers batch
        on_cpu_runtime = any(ready[name] and select_backend(engine_cfg, runtime, folder, one_at_a_time=True)
                             in ("llama.cpp", "openvino") for name, folder in self.folders.items())
        if cfg.APP_PAIRED_BATCH and all(ready.values()) and adapter is not None and not on_cpu_runtime:
            self.pair = PairEngine(self.folders["base"], adapter, engine_cfg, cfg.GEN_MAX_NEW_TOKENS, runtime,
                                   heads_folder=self.folders["finetuned"])
        for name, folder in self.folders.items():  # apart: when not paired, each ready model alone
            apart = ready[name] and self.pair is None
            self.engines[name] = (Engine(folder, engine_cfg, cfg.GEN_MAX_NEW_TOKENS, runtime, one_at_a_time=True)
                                  if apart else None)
            if not ready[name]:
                self.model_notes.append(f"The {MODELS[name]} model is not there yet ({folder}): run {STEP_OF[name]}.")
        self.notes = list(self.model_notes)
        for engine in self.engines.values():  # the first comment should not pay for buffers and the
            if engine is not None and engine.gguf is not None:  # system prompt: llama.cpp keeps both
                engine.gguf.warm(engine.prompt_ids([engine.render(self._prompt("", cfg.COMMENT_TYPES[0]))])[0])
        try:
            self.records = load_eval_records(cfg)
        except FileNotFoundError as err:
            self.records = {}
            self.notes.append(f"No evaluation comments to pick from: {err}")

    def find_record(self, comment_type: str, comment: str) -> Optional[dict]:
        """The evaluation record whose comment this is, if any (its teacher answers are known)."""
        text = comment.strip()
        return next((r for r in self.records.get(comment_type, []) if r["Comment"].strip() == text), None)

    def answer(self, name: str, comment: str, comment_type: str, on_text: Optional[OnText] = None) -> dict[str, Any]:
        """One model's raw answer, parse and latency (greedy, GEN_MAX_NEW_TOKENS at most)."""
        engine = self.engines[name]
        if engine is None:
            return {"available": False, "folder": str(self.folders[name])}
        partial = None if on_text is None else (lambda texts: on_text({name: texts[0]}))
        with self._lock:
            start = time.perf_counter()
            prefix = engine.answer_prefixes([{"Comment": comment, "type": comment_type}])[0]
            if partial is not None and prefix:
                partial = (lambda texts, shown=partial: shown([prefix + texts[0]]))
            text, new_tokens = engine.generate([engine.render(self._prompt(comment, comment_type)) + prefix], partial,
                                               answers=[(prefix, comment_type)])[0]
            text = prefix + text
            seconds = time.perf_counter() - start
        return self._answer_row(name, text, new_tokens, seconds, comment_type)

    def answer_both(self, comment: str, comment_type: str, on_text: Optional[OnText] = None
                    ) -> dict[str, dict[str, Any]]:
        """Both models' answers: in one shared batch when paired, else one after the other.

        `on_text` gets {model name: its text so far} after every decoding step.
        """
        if self.pair is None:
            return {name: self.answer(name, comment, comment_type, on_text) for name in MODELS}
        with self._lock:
            out = self.pair.generate_pair(self.pair.render(self._prompt(comment, comment_type)), on_text,
                                          prefix=self.pair.answer_prefix(comment, comment_type),
                                          comment_type=comment_type)
        return {name: self._answer_row(name, o["text"], o["new_tokens"], o["latency_s"], comment_type)
                | {"shared_batch": True} for name, o in out.items()}

    def check_length(self, comment: str, comment_type: str) -> None:
        """Refuse (PromptTooLong) a comment whose prompt is longer than the students read: past that a
        model answers from positions it was never trained on, or has none for, and would not say so."""
        engine = self.pair or next((e for e in self.engines.values() if e is not None), None)
        if engine is None:  # no model to answer: the reply says so
            return
        tokens = len(engine.tokenizer(engine.render(self._prompt(comment, comment_type)),
                                      add_special_tokens=False)["input_ids"])
        if tokens > engine.max_prompt_tokens:
            raise PromptTooLong(
                f"This comment is too long for the students: with the questions it is {tokens:,} tokens "
                f"({len(comment):,} characters), and they read at most {engine.max_prompt_tokens:,} "
                f"(MAX_LENGTH={self.cfg.MAX_LENGTH}). Shorten it to about "
                f"{len(comment) * engine.max_prompt_tokens // tokens:,} characters; nothing was generated.")

    def _prompt(self, comment: str, comment_type: str) -> str:
        """The user message the students were trained on, for this comment."""
        return build_prompt(comment, comment_type, self.cfg.VENDOR_NAME, self.cfg.PROMPT_STYLE)

    def _answer_row(self, name: str, text: str, new_tokens: int, seconds: float, comment_type: str) -> dict[str, Any]:
        parsed = parse_answers_detailed(text, comment_type)
        return {"available": True, "folder": str(self.folders[name]), "latency_s": round(seconds, 3),
                "new_tokens": new_tokens, "complete": parsed.complete, "text": text,
                "values": parsed.values, "errors": parsed.errors}

    def compare(self, comment_type: str, comment: str, on_text: Optional[OnText] = None) -> dict[str, Any]:
        """Both answers to one comment, question by question (the `/compare` API's reply)."""
        if not isinstance(comment_type, str) or comment_type not in self.cfg.COMMENT_TYPES:
            raise ValueError(f"Unknown comment type {comment_type!r}; valid: {', '.join(self.cfg.COMMENT_TYPES)}")
        if comment is not None and not isinstance(comment, str):
            raise ValueError(f"The comment must be text (a string), not {type(comment).__name__}: {str(comment)[:60]!r}")
        if not comment or not comment.strip():
            raise ValueError("Paste a comment first, or pick one from the evaluation set.")
        self.check_length(comment, comment_type)
        record = self.find_record(comment_type, comment)
        teacher = parse_answers(record["Completion"], comment_type) if record else {}
        start = time.perf_counter()
        answers = self.answer_both(comment, comment_type, on_text)
        total = round(time.perf_counter() - start, 3)
        rows = []
        for q in questions(comment_type):
            row = {"question": q.number, "key": q.key, "kind": q.kind,
                   "text": q.render(self.cfg.VENDOR_NAME, short=True), "teacher": teacher.get(q.number)}
            for name, a in answers.items():
                row[name] = a.get("values", {}).get(q.number)
                row[f"{name}_error"] = a.get("errors", {}).get(q.number)
            row["differs"] = all(a["available"] for a in answers.values()) and row["base"] != row["finetuned"]
            rows.append(row)
        models = {name: {k: v for k, v in a.items() if k not in ("values", "errors")} for name, a in answers.items()}
        return {"comment_type": comment_type, "evaluation_id": record["id"] if record else None,
                "models": models, "rows": rows, "total_latency_s": total, "notes": self.model_notes}

    def compare_live(self, comment_type: str, comment: str, every_s: float = 0.4) -> Iterator[dict[str, Any]]:
        """`compare`, with what each model has written so far while it writes.

        Yields {"partial": {model name: text so far}, "elapsed_s": seconds} about every `every_s`
        while the answers are decoded (a CPU takes many seconds for two 150-token answers), then the
        result of `compare` itself. An error of `compare` is raised here.
        """
        latest: dict[str, str] = {}
        shown: dict[str, str] = {}
        start = time.perf_counter()
        future = self.submit(self.compare, comment_type, comment, on_text=latest.update)
        while True:
            try:
                result = future.result(timeout=every_s)  # compare's own error is raised here
                break
            except FutureTimeout:
                if latest and latest != shown:
                    shown = dict(latest)
                    yield {"partial": shown, "elapsed_s": round(time.perf_counter() - start, 1)}
        yield result

    def submit(self, fn: Callable, *args, **kwargs) -> Future:
        """Run a call on the models' thread (`calls`, when the app set one), else on a new thread."""
        if self.calls is not None:
            return self.calls.submit(fn, *args, **kwargs)
        future: Future = Future()
        threading.Thread(target=_settle, args=(future, fn, args, kwargs), daemon=True).start()
        return future


class MainThreadCalls:
    """Runs the models' work on the main thread, for calls made on the web server's threads.

    Gradio calls handlers on worker threads. With torch on a CPU, a second thread then starts a
    second OpenMP team, and the idle threads of one spin against the busy ones of the other on the
    same cores: one comparison took 19 to 20 s on a worker thread against 16 s on the main thread
    (demo models, 2 cores, measured). So handlers `submit` here, and the main thread, which loaded
    the models, runs every call in turn (`serve_forever`).
    """

    def __init__(self):
        self._jobs: queue.Queue = queue.Queue()

    def submit(self, fn: Callable, *args, **kwargs) -> Future:
        future: Future = Future()
        self._jobs.put((future, fn, args, kwargs))
        return future

    def serve_forever(self) -> None:
        """Run submitted calls one after another until a `stop()` (or Ctrl-C)."""
        while True:
            future, fn, args, kwargs = self._jobs.get()
            if future is None:
                return
            _settle(future, fn, args, kwargs)

    def stop(self) -> None:
        self._jobs.put((None, None, (), {}))


def _settle(future: Future, fn: Callable, args: tuple, kwargs: dict) -> None:
    """Run fn and put its result, or its exception, in the future."""
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(fn(*args, **kwargs))
    except BaseException as err:  # the caller's thread re-raises it
        future.set_exception(err)


# ------------------------------------------------------------------------------ how a result looks
_CSS = """
.kd-table {border-collapse: collapse; width: 100%; font-size: 0.92em}
.kd-table th, .kd-table td {border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top}
.kd-table th {background: #f3f4f6}
.kd-table tr.kd-differs td {background: #fff7d6}
.kd-table td.kd-right {color: #166534; font-weight: 600}
.kd-table td.kd-wrong {color: #b91c1c}
.kd-table .kd-none {color: #6b7280; font-style: italic}
.kd-live {width: 100%; table-layout: fixed} .kd-live td {vertical-align: top; width: 50%}
.kd-live pre {white-space: pre-wrap; font-size: 0.9em}
"""


def comparison_html(result: dict[str, Any]) -> str:
    """The comparison as an HTML table: differing rows highlighted, answers coloured against the teacher."""
    has_teacher = result.get("evaluation_id") is not None
    head = ["#", "question", "base", "fine-tuned"] + (["teacher"] if has_teacher else []) + ["differs"]
    lines = ['<table class="kd-table"><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for row in result["rows"]:
        cells = [f"<td>{row['question']}</td>", f"<td title=\"{html.escape(row['key'])}\">{html.escape(row['text'])}</td>"]
        for name in MODELS:
            cells.append(_cell(row[name], row.get(f"{name}_error"), row["kind"], row["teacher"] if has_teacher else None))
        if has_teacher:
            cells.append(_cell(row["teacher"], None, "TEXT", None))
        cells.append(f"<td>{'&#8800;' if row['differs'] else ''}</td>")
        klass = ' class="kd-differs"' if row["differs"] else ""
        lines.append(f"<tr{klass}>" + "".join(cells) + "</tr>")
    return "\n".join(lines) + "</table>"


def _cell(value: Any, error: Optional[str], kind: str, teacher: Any) -> str:
    if value is None:
        return f'<td class="kd-none">{html.escape(error or "no answer")}</td>'
    klass = ""
    if teacher is not None and kind != "TEXT":
        klass = ' class="kd-right"' if value == teacher else ' class="kd-wrong"'
    return f"<td{klass}>{html.escape(str(value))}</td>"


def live_html(partial: dict[str, str]) -> str:
    """Each model's answer so far, side by side, while they are being written."""
    cells = "".join(f"<td><b>{MODELS[name]}</b><pre>{html.escape(partial.get(name, ''))}</pre></td>"
                    for name in MODELS)
    return f"<table class='kd-live'><tr>{cells}</tr></table>"


def latency_markdown(result: dict[str, Any]) -> str:
    """One line per model: latency, new tokens, how many answers parsed; then any notes."""
    lines = []
    n = len(result["rows"])
    for name, label in MODELS.items():
        m = result["models"][name]
        if not m["available"]:
            lines.append(f"- **{label}**: not available")
            continue
        parsed = sum(r[name] is not None for r in result["rows"])
        lines.append(f"- **{label}**: {m['latency_s']:.2f} s, {m['new_tokens']} new tokens, {parsed}/{n} answers parsed")
    if result.get("total_latency_s") is not None:
        shared = any(m.get("shared_batch") for m in result["models"].values())
        how = "in one shared batch (base + Step 2's unmerged adapter)" if shared else "one after the other"
        lines.append(f"- both answers {how}: **{result['total_latency_s']:.2f} s** in total")
    differs = sum(r["differs"] for r in result["rows"])
    source = f"evaluation comment `{result['evaluation_id']}`" if result["evaluation_id"] else "a pasted comment"
    lines.append(f"\n{differs} of {n} answers differ ({source}; teacher values shown for evaluation comments).")
    return "\n".join(lines + [f"\n> {note}" for note in result["notes"]])


# ------------------------------------------------------------------------------ the app
def build_app(comparer: Comparer):
    """The Gradio Blocks: a Compare tab, an Evaluation tab, and the `/compare` API endpoint."""
    import gradio as gr

    cfg = comparer.cfg
    with gr.Blocks(title="Knowledge distillation: base vs fine-tuned student") as app:
        gr.Markdown(f"# Base vs fine-tuned student\nProfile `{cfg.PROFILE}`; base `{comparer.folders['base']}`, "
                    f"fine-tuned `{comparer.folders['finetuned']}`.")
        for note in comparer.notes:
            gr.Markdown(f"> {note}")
        with gr.Tab("Compare"):
            with gr.Row():
                ctype = gr.Radio([(f"{COMMENT_TYPE_LABELS[t]} ({t})", t) for t in cfg.COMMENT_TYPES],
                                 value=cfg.COMMENT_TYPES[0], label="Comment type")
                pick = gr.Dropdown(_choices(comparer, cfg.COMMENT_TYPES[0]), value=None,
                                   label="Or pick an evaluation comment", allow_custom_value=False)
            comment = gr.Textbox(lines=8, label="Comment", placeholder="Paste a support-case comment here")
            run = gr.Button("Compare", variant="primary")
            summary = gr.Markdown()
            table = gr.HTML()
            with gr.Accordion("Structured result (what the /compare API returns)", open=False):
                result = gr.JSON()
        with gr.Tab("Evaluation"):
            _evaluation_tab(cfg)

        ctype.change(lambda t: gr.update(choices=_choices(comparer, t), value=None), ctype, pick,
                     api_visibility="private")
        pick.change(lambda t, rid: next((r["Comment"] for r in comparer.records.get(t, []) if r["id"] == rid),
                                        gr.update()), [ctype, pick], comment, api_visibility="private")
        # The page shows both answers as they are written; the API returns the finished comparison.
        run.click(_live(comparer), [ctype, comment], [result, table, summary], api_visibility="private")
        gr.api(_api(comparer), api_name="compare")
    return app


def _api(comparer: Comparer):
    import gradio as gr

    def compare(comment_type: str, comment: str) -> dict:
        """Both students' parsed answers to one comment, question by question, with latencies."""
        try:
            if comparer.calls is None:  # no models' thread to hand over to: answer here
                return comparer.compare(comment_type, comment)
            return comparer.calls.submit(comparer.compare, comment_type, comment).result()
        except ValueError as err:
            raise gr.Error(str(err)) from None

    return compare


def _live(comparer: Comparer):
    import gradio as gr

    def compare_live(comment_type: str, comment: str):
        """(result, table, summary) for the page: the answers so far while decoding, then all."""
        try:
            for update in comparer.compare_live(comment_type, comment):
                if "partial" in update:
                    yield gr.update(), live_html(update["partial"]), f"Writing... {update['elapsed_s']:.1f} s"
                else:
                    yield update, comparison_html(update), latency_markdown(update)
        except ValueError as err:
            raise gr.Error(str(err)) from None

    return compare_live


def _choices(comparer: Comparer, comment_type: str) -> list[tuple[str, str]]:
    return [(f"{r['id']}: {' '.join(r['Comment'].split())[:70]}", r["id"])
            for r in comparer.records.get(comment_type, [])]


def _evaluation_tab(cfg: Config) -> None:
    """The latest results/metrics.json: check, what each answerer learned (base, fine-tuned, the
    majority baseline), kappa per question, the win rate against the base, the gold set, examples."""
    import gradio as gr
    import pandas as pd

    from utils.figures import plot_kappa, plot_win_rates
    from utils.metrics import interval, per_question_frame
    from utils.report import examples, format_check, knowledge_frame, load_results

    try:
        results = load_results(cfg)
    except FileNotFoundError as err:
        gr.Markdown(f"No evaluation yet: {err}")
        return
    m = results["metrics"]
    s = m["summary"]
    lo, hi = interval(s)
    agree = s.get("teacher_agreement") or {}
    lift = s.get("agreement_lift") or {}
    llo, lhi = interval(lift, "ci95")
    kappa = s.get("mean_kappa") or {}
    gr.Markdown(f"Results of {m.get('created')} (profile `{m.get('profile')}`), {s.get('comments')} comments. "
                f"Teacher agreement: fine-tuned **{_num(agree.get('finetuned'))}**, majority baseline (no model) "
                f"{_num(agree.get('majority'))}, lift {_num(lift.get('value'))} [{_num(llo)}, {_num(lhi)}]; "
                f"mean kappa fine-tuned **{_num(kappa.get('finetuned'))}** (base {_num(kappa.get('base'))}). "
                f"Against the untuned base: adjusted win rate {_num(s.get('adjusted_win_rate'))} "
                f"[{_num(lo)}, {_num(hi)}], n = {s.get('n')}.\n\n```\n{format_check(m['check'])}\n```")
    gr.Dataframe(knowledge_frame(m).round(3).reset_index(), label="What each answerer learned", wrap=True)
    gr.Image(_png(plot_kappa(m)), label="Kappa per question", interactive=False)
    if m.get("gold"):
        gr.Dataframe(knowledge_frame(m["gold"]).round(3).reset_index(),
                     label="Gold set: hand-labelled comments", wrap=True)
    gr.Image(_png(plot_win_rates(m)), label="Win rates against the base, with 95% intervals", interactive=False)
    gr.Dataframe(per_question_frame(m).round(3), label="Per question", wrap=True)
    picked = [examples(results["verdicts"], results["answers"], kind=k, n=3, seed=cfg.SEED) for k in ("win", "loss", "tie")]
    gr.Dataframe(pd.concat(picked).astype(str), label="Examples: wins, losses, ties", wrap=True)


def _png(figure):
    """A figure as a PIL image (gr.Plot takes pyplot figures only; ours are built without pyplot)."""
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return Image.open(io.BytesIO(buffer.getvalue()))


def _num(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def theme_and_css():
    """A theme with system fonts only (no web fonts to fetch), and the table's styles."""
    import gradio as gr

    fonts = ["ui-sans-serif", "system-ui", "sans-serif"]
    return gr.themes.Default(font=fonts, font_mono=["ui-monospace", "monospace"]), _CSS


def listen_port(cfg: Config, port: Optional[int] = None) -> int:
    """--port, else $CDSW_APP_PORT (Cloudera AI applications), else Config APP_PORT."""
    return port or int(os.environ.get("CDSW_APP_PORT") or cfg.APP_PORT)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python utils/app.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default=None, help="tiny, demo, amp or auto (default: $KD_PROFILE or auto)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="default: $CDSW_APP_PORT, else Config APP_PORT")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a private app
    cfg = load_config(args.profile, parse_set_args(args.sets))
    port = listen_port(cfg, args.port)
    print(f"Loading the students of profile {cfg.PROFILE} ...", flush=True)
    comparer = Comparer(cfg)
    comparer.calls = calls = MainThreadCalls()
    app = build_app(comparer)
    theme, css = theme_and_css()
    print(f"Serving on http://{args.host}:{port}/", flush=True)
    app.launch(server_name=args.host, server_port=port, ssr_mode=False, theme=theme, css=css, show_error=True,
               prevent_thread_lock=True)
    try:
        calls.serve_forever()  # the models answer on this thread; the server runs on its own
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
