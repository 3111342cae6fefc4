"""Step 3 from end to end: who answers, who judges, and the records that metrics are computed from.

    eval records (Step 1) -> base and fine-tuned answers (utils.inference) -> parsed answers
    + the majority baseline (utils.baseline) -> verdicts (utils.judge: reference or LLM, both
    orders) -> utils.metrics -> utils.report
    gold comments (GOLD_FILE, utils.gold) -> the same answerers -> the `gold` block

An answer record, one per evaluation (or gold) comment:

    {"type": "vendor", "id": "vendor-00042", "comment": "...",
     "teacher": {1: 1, 2: 3, ...}, "base": {1: None, 2: 2, ...}, "finetuned": {...},
     "majority": {1: 1, 2: 3, ...}, "base_text": "<raw generation>", "finetuned_text": "..."}

For gold comments `teacher` holds the people's labels (only the labelled questions).

LLM judge: verdicts are kept in `results/generations/judge_verdicts.jsonl` (`utils.paths.verdict_store`) under a key hashed from
the judge model, the question and both answers (`verdict_key`), so a rerun reuses only verdicts on
exactly the same answers by the same judge; after retraining, changed answers are judged afresh.
Before the students are judged, `judge_calibration` has the same judge compare the teacher's
answer with the majority baseline's on JUDGE_CALIBRATION_ITEMS seeded items where they differ,
both orders: a judge that cannot prefer the teacher there cannot be trusted to rank the students.
"""

from __future__ import annotations

import hashlib
import json
import random
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional

from Config.Config import Config
from utils import judge as judges
from utils.baseline import majority_answers
from utils.inference import Engine, chat_generate_fn, generate_answers, speed_stats
from utils.files import JsonlProgress, read_json
from utils.models import is_ready, model_dir
from utils.metrics import (adjusted_win_rate, compute_gold_metrics, compute_metrics, position_consistency,
                           win_counts)
from utils.paths import (CALIBRATION_STORE, STUDENTS, VERDICT_STORE, eval_file, finetuned_dir, generation_file,
                         require, verdict_store)
from utils.tasks import build_prompt, parse_answers, questions

MODELS = STUDENTS


def load_eval_records(cfg: Config) -> dict[str, list[dict]]:
    """The evaluation comments per type (the first EVAL_LIMIT when set)."""
    out = {}
    for comment_type in cfg.COMMENT_TYPES:
        path = require(eval_file(cfg, comment_type), "Step 1 (1_Data_Preparation.ipynb)")
        records = read_json(path)
        out[comment_type] = records[: cfg.EVAL_LIMIT] if cfg.EVAL_LIMIT else records
    return out


def model_folders(cfg: Config) -> dict[str, Path]:
    """The base student (Step 0) and the merged fine-tuned student Step 2 published (its pointer)."""
    folders = {}
    for name, step in (("base", "Step 0 (0_Setup_Models.ipynb)"), ("finetuned", "Step 2 (2_Finetune_LoRA.ipynb)")):
        folder = model_dir(cfg, "student") if name == "base" else finetuned_dir(cfg)  # no pointer: names Step 2
        if not is_ready(folder):
            raise FileNotFoundError(f"The {name} model folder {folder} is not ready: run {step} first.")
        folders[name] = folder
    return folders


def load_gold_records(cfg: Config) -> dict[str, list[dict]]:
    """The hand-labelled comments of GOLD_FILE per type, shaped like evaluation records (with the
    prompt of Config's PROMPT_STYLE); {} when GOLD_FILE is None."""
    if not cfg.GOLD_FILE:
        return {}
    from utils.gold import load_gold

    path = cfg.path(cfg.GOLD_FILE)
    if not path.exists():
        raise FileNotFoundError(f"GOLD_FILE {path} does not exist: point GOLD_FILE at your labelled comments "
                                "(format in utils/gold.py), or set GOLD_FILE=None to skip the gold set.")
    out: dict[str, list[dict]] = {}
    for rec in load_gold(path):
        if rec["type"] in cfg.COMMENT_TYPES:
            out.setdefault(rec["type"], []).append({
                "id": rec["id"], "type": rec["type"], "Comment": rec["comment"], "labels": rec["labels"],
                "summary": rec.get("summary"),
                "Prompt": build_prompt(rec["comment"], rec["type"], vendor=cfg.VENDOR_NAME, style=cfg.PROMPT_STYLE)})
    return out


GOLD_SET = "gold"  # generation files of gold answers: results/generations/<model>_gold_<type>.jsonl


def answer_all(cfg: Config, records: dict[str, list[dict]],
               gold: Optional[dict[str, list[dict]]] = None) -> tuple[dict, dict]:
    """Both models answer every comment of every type (and every gold comment), one model in
    memory at a time.

    Returns ({(model, type): generation rows}, {model: {type: speed stats}}); gold answers are
    under (model, "gold:<type>").
    """
    generations, speed = {}, {}
    for name, folder in model_folders(cfg).items():
        engine = Engine(folder, cfg, cfg.GEN_MAX_NEW_TOKENS)
        try:
            for comment_type, recs in records.items():
                rows = generate_answers(cfg, engine, name, recs, comment_type)
                generations[(name, comment_type)] = rows
                speed.setdefault(name, {})[comment_type] = speed_stats(rows, comment_type) | {"backend": engine.backend, "runtime": engine.runtime_name}
            for comment_type, recs in (gold or {}).items():
                generations[(name, f"{GOLD_SET}:{comment_type}")] = generate_answers(
                    cfg, engine, f"{name}_{GOLD_SET}", recs, comment_type)
        finally:
            engine.close()
    return generations, speed


def answer_records(records: dict[str, list[dict]], generations: dict,
                   majority: Optional[Mapping[str, dict]] = None, gold: bool = False) -> list[dict]:
    """One record per comment with the teacher's, the base's and the fine-tuned model's answers,
    and the majority baseline's when `majority` ({type: answers}) is given.

    `gold=True`: `records` are gold comments; the teacher's side holds their labels.
    """
    out = []
    for comment_type, recs in records.items():
        key = f"{GOLD_SET}:{comment_type}" if gold else comment_type
        texts = {name: {row["id"]: row["text"] for row in generations[(name, key)]} for name in MODELS}
        for rec in recs:
            teacher = dict(rec["labels"]) if gold else parse_answers(rec["Completion"], comment_type)
            if gold and rec.get("summary"):
                summary = next(q.number for q in questions(comment_type) if q.kind == "TEXT")
                teacher[summary] = rec["summary"]
            row = {"type": comment_type, "id": rec["id"], "comment": rec["Comment"], "teacher": teacher}
            for name in MODELS:
                row[name] = parse_answers(texts[name][rec["id"]], comment_type)
                row[f"{name}_text"] = texts[name][rec["id"]]
            if majority is not None:
                row["majority"] = dict(majority[comment_type])
            out.append(row)
    return out


def judge_all(cfg: Config, answers: list[dict]) -> tuple[list[dict], Optional[dict[str, Any]]]:
    """Verdicts for every (comment, question) from the judge Config names, and for the LLM judge
    its calibration on teacher against majority answers (None for the reference judge)."""
    if cfg.JUDGE == "reference":
        return judge_reference(cfg, answers), None
    items = [item for a in answers
             for item in judges.llm_items(a["id"], a["type"], a["comment"], cfg.VENDOR_NAME, a["base"], a["finetuned"])]
    with judge_backend(cfg) as generate:
        calibration = judge_calibration(cfg, answers, generate)
        return judge_with_llm(cfg, items, generate), calibration


def judge_reference(cfg: Config, answers: list[dict], challenger: str = "finetuned") -> list[dict]:
    """Reference verdicts of `challenger` (the fine-tuned student, or `majority`) against the base."""
    items = [item for a in answers
             for item in judges.reference_items(a["id"], a["type"], a["base"], a[challenger], a["teacher"])]
    return judges.judge_with_reference(items, cfg.ROUGE_MARGIN)


def baseline_verdicts(cfg: Config, answers: list[dict]) -> Optional[list[dict]]:
    """The majority baseline judged against the base by the reference judge: what a no-model
    answerer scores on the win-rate headline. None for the LLM judge (it would double the judging;
    its calibration is `judge_calibration`) or without baseline answers."""
    if cfg.JUDGE != "reference" or not answers or "majority" not in answers[0]:
        return None
    return judge_reference(cfg, answers, challenger="majority")


def judge_identity(cfg: Config) -> str:
    """Which judge makes LLM verdicts: the endpoint's model, or the local judge folder's identity."""
    if cfg.JUDGE_ENDPOINT_URL:
        return f"endpoint:{cfg.JUDGE_ENDPOINT_MODEL}"
    from utils.inference import model_identity

    return f"local:{cfg.JUDGE_MODEL}:{model_identity(model_dir(cfg, 'judge'))}"


def verdict_key(judge: str, item: Mapping[str, Any]) -> str:
    """A verdict's store key: the judge, the comment, the question and both answers, hashed."""
    fields = [judge, item["type"], str(item["id"]), int(item["question"]), item.get("comment"),
              item.get("base"), item.get("finetuned")]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()[:32]


@contextmanager
def judge_backend(cfg: Config) -> Iterator[Callable]:
    """`with judge_backend(cfg) as generate:` the LLM judge's generate_fn: the endpoint's, or a
    local engine loaded at the first call (nothing to judge, no load), shared by calibration and
    judging and closed on exit."""
    if cfg.JUDGE_ENDPOINT_URL:
        yield judges.endpoint_generate_fn(cfg.JUDGE_ENDPOINT_URL, cfg.JUDGE_ENDPOINT_MODEL,
                                          cfg.JUDGE_API_KEY_ENV, cfg.JUDGE_MAX_NEW_TOKENS)
        return
    engine: Optional[Engine] = None

    def generate(batch: list) -> list[str]:
        nonlocal engine
        if engine is None:
            engine = Engine(model_dir(cfg, "judge"), cfg, cfg.JUDGE_MAX_NEW_TOKENS)
        return chat_generate_fn(engine, cfg.JUDGE_BATCH_SIZE)(batch)

    try:
        yield generate
    finally:
        if engine is not None:
            engine.close()


def judge_with_llm(cfg: Config, items: list[dict], generate: Callable, chunk: int = 64,
                   store: str = VERDICT_STORE, desc: str = "judging pairs (both orders)") -> list[dict]:
    """Both-order LLM judging in chunks, appended to a store so an interrupted run resumes.

    A stored verdict is reused only under the same `verdict_key` (same judge, same answers).
    """
    from utils.progress import progress_bar

    progress = JsonlProgress(verdict_store(cfg, store), key="key")
    judge = judge_identity(cfg)
    keys = [verdict_key(judge, i) for i in items]
    todo = [(k, i) for k, i in zip(keys, items) if k not in progress.done]
    for start in progress_bar(range(0, len(todo), chunk), desc=desc, unit="chunk", disable=not todo):
        part = todo[start:start + chunk]
        rows = [r | {"key": k} for (k, _), r in zip(part, judges.judge_pairs_llm([i for _, i in part], generate))]
        progress.add(rows)
    return [progress.done[k] for k in keys]


def judge_calibration(cfg: Config, answers: list[dict], generate: Callable) -> Optional[dict[str, Any]]:
    """The LLM judge on the teacher's answer against the majority baseline's, on a seeded sample of
    JUDGE_CALIBRATION_ITEMS items where the two differ, both orders (see the module docstring).

    {"items", "wins", "ties", "losses", "unparsed", "teacher_adjusted_win_rate",
    "position_consistency"}, the teacher in the winning seat; None when it cannot run.
    """
    if cfg.JUDGE != "llm" or cfg.JUDGE_CALIBRATION_ITEMS < 1 or not answers or "majority" not in answers[0]:
        return None
    pool = [item for a in answers
            for item in judges.llm_items(a["id"], a["type"], a["comment"], cfg.VENDOR_NAME,
                                         a["majority"], a["teacher"])
            if item["finetuned"] != "" and not judges.same_answer(item["base"], item["finetuned"])]
    if not pool:
        return None
    pool.sort(key=lambda i: (i["type"], str(i["id"]), i["question"]))
    sample = random.Random(cfg.SEED).sample(pool, min(cfg.JUDGE_CALIBRATION_ITEMS, len(pool)))
    records = judge_with_llm(cfg, sample, generate, store=CALIBRATION_STORE,
                             desc="calibrating the judge (teacher vs majority)")
    counts = win_counts(records)
    return {"items": len(records), **{k: counts[k] for k in ("wins", "ties", "losses", "unparsed")},
            "teacher_adjusted_win_rate": adjusted_win_rate(counts),
            "position_consistency": position_consistency(records)}


def score_and_write(cfg: Config, records: dict[str, list[dict]], generations: dict,
                    speed: Optional[dict] = None, gold: Optional[dict[str, list[dict]]] = None) -> dict[str, Any]:
    """Step 3 after the answers: baseline, judging, metrics (and gold metrics), results written.

    Returns {"metrics", "verdicts", "answers", "gold_answers", "path"}: the metrics.json
    structure, the judge records, the answer records and where metrics.json was written.
    """
    from utils.report import write_results

    majority = majority_answers(cfg)
    answers = answer_records(records, generations, majority)
    questions_by_type = {t: questions(t) for t in records}
    verdicts, calibration = judge_all(cfg, answers)
    metrics = compute_metrics(verdicts, answers, questions_by_type, cfg.BOOTSTRAP_SAMPLES, cfg.SEED,
                              baseline_verdicts=baseline_verdicts(cfg, answers))
    gold_answers = answer_records(gold, generations, majority, gold=True) if gold else []
    extra: dict[str, Any] = {"speed": speed or {}}
    if gold_answers:
        metrics["gold"] = compute_gold_metrics(gold_answers, {t: questions(t) for t in gold},
                                               cfg.BOOTSTRAP_SAMPLES, cfg.SEED)
        metrics["gold"]["file"] = str(cfg.path(cfg.GOLD_FILE))
    if calibration is not None:
        metrics["judge_calibration"] = calibration
    files = generation_files(cfg, records) | generation_files(cfg, gold or {}, GOLD_SET)
    path = write_results(cfg, metrics, verdicts, answers, files, extra=extra, gold_answers=gold_answers)
    return {"metrics": metrics, "verdicts": verdicts, "answers": answers, "gold_answers": gold_answers,
            "path": path}


def generation_files(cfg: Config, records: dict[str, list[dict]], subset: str = "") -> dict[str, Path]:
    """The raw generation files of both models for these comment types ({name: path})."""
    prefix = f"_{subset}" if subset else ""
    return {f"{name}{prefix}_{t}": generation_file(cfg, f"{name}{prefix}", t) for name in MODELS for t in records}
