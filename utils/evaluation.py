"""Step 3 from end to end: who answers, who judges, and the records that metrics are computed from.

    eval records (Step 1) -> base and fine-tuned answers (utils.inference) -> parsed answers
    -> verdicts (utils.judge: reference or LLM, both orders) -> utils.metrics -> utils.report

An answer record, one per evaluation comment:

    {"type": "vendor", "id": "vendor-00042", "comment": "...",
     "teacher": {1: 1, 2: 3, ...}, "base": {1: None, 2: 2, ...}, "finetuned": {...},
     "base_text": "<raw generation>", "finetuned_text": "..."}
"""

from __future__ import annotations

from pathlib import Path

from Config.Config import Config
from utils import judge as judges
from utils.inference import Engine, chat_generate_fn, generate_answers, generation_file, speed_stats
from utils.io import append_jsonl, read_json, read_jsonl
from utils.models import is_ready, model_dir
from utils.tasks import parse_answers
from utils.train import merged_dir

MODELS = ("base", "finetuned")


def eval_file(cfg: Config, comment_type: str) -> Path:
    """Step 1's evaluation file for a comment type: Data/<input stem>_Evaluation_Clean.json."""
    return cfg.data_dir / f"{cfg.sds_file(comment_type).stem}_Evaluation_Clean.json"


def load_eval_records(cfg: Config) -> dict[str, list[dict]]:
    """The evaluation comments per type (the first EVAL_LIMIT when set)."""
    out = {}
    for comment_type in cfg.COMMENT_TYPES:
        path = eval_file(cfg, comment_type)
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: run Step 1 (1_Data_Preparation.ipynb) first.")
        records = read_json(path)
        out[comment_type] = records[: cfg.EVAL_LIMIT] if cfg.EVAL_LIMIT else records
    return out


def model_folders(cfg: Config) -> dict[str, Path]:
    """The base student (Step 0) and the merged fine-tuned student (Step 2)."""
    folders = {"base": model_dir(cfg, "student"), "finetuned": merged_dir(cfg)}
    for name, folder in folders.items():
        if not is_ready(folder):
            step = "Step 0 (0_Setup_Models.ipynb)" if name == "base" else "Step 2 (2_Finetune_LoRA.ipynb)"
            raise FileNotFoundError(f"The {name} model folder {folder} is not ready: run {step} first.")
    return folders


def answer_all(cfg: Config, records: dict[str, list[dict]]) -> tuple[dict, dict]:
    """Both models answer every comment of every type, one model in memory at a time.

    Returns ({(model, type): generation rows}, {model: {type: speed stats}}).
    """
    generations, speed = {}, {}
    for name, folder in model_folders(cfg).items():
        engine = Engine(folder, cfg, cfg.GEN_MAX_NEW_TOKENS)
        try:
            for comment_type, recs in records.items():
                rows = generate_answers(cfg, engine, name, recs, comment_type)
                generations[(name, comment_type)] = rows
                speed.setdefault(name, {})[comment_type] = speed_stats(rows, comment_type) | {"backend": engine.backend}
        finally:
            engine.close()
    return generations, speed


def answer_records(records: dict[str, list[dict]], generations: dict) -> list[dict]:
    """One record per comment with the teacher's, the base's and the fine-tuned model's answers."""
    out = []
    for comment_type, recs in records.items():
        texts = {name: {row["id"]: row["text"] for row in generations[(name, comment_type)]} for name in MODELS}
        for rec in recs:
            row = {"type": comment_type, "id": rec["id"], "comment": rec["Comment"],
                   "teacher": parse_answers(rec["Completion"], comment_type)}
            for name in MODELS:
                row[name] = parse_answers(texts[name][rec["id"]], comment_type)
                row[f"{name}_text"] = texts[name][rec["id"]]
            out.append(row)
    return out


def judge_all(cfg: Config, answers: list[dict]) -> list[dict]:
    """Verdicts for every (comment, question), from the judge Config names."""
    if cfg.JUDGE == "reference":
        items = [item for a in answers
                 for item in judges.reference_items(a["id"], a["type"], a["base"], a["finetuned"], a["teacher"])]
        return judges.judge_with_reference(items, cfg.ROUGE_MARGIN)
    items = [item for a in answers
             for item in judges.llm_items(a["id"], a["type"], a["comment"], cfg.VENDOR_NAME, a["base"], a["finetuned"])]
    return judge_with_llm(cfg, items)


def judge_with_llm(cfg: Config, items: list[dict], chunk: int = 64) -> list[dict]:
    """Both-order LLM judging in chunks, appended to a progress file so an interrupted run resumes."""
    from tqdm.auto import tqdm

    progress = cfg.results_dir / "generations" / "judge_verdicts.jsonl"
    done = {(r["type"], r["id"], r["question"]): r for r in read_jsonl(progress)}
    todo = [i for i in items if (i["type"], i["id"], i["question"]) not in done]
    engine = None
    if todo:
        if cfg.JUDGE_ENDPOINT_URL:
            generate = judges.endpoint_generate_fn(cfg.JUDGE_ENDPOINT_URL, cfg.JUDGE_ENDPOINT_MODEL,
                                                   cfg.JUDGE_API_KEY_ENV, cfg.JUDGE_MAX_NEW_TOKENS)
        else:
            engine = Engine(model_dir(cfg, "judge"), cfg, cfg.JUDGE_MAX_NEW_TOKENS)
            generate = chat_generate_fn(engine, cfg.JUDGE_BATCH_SIZE)
        try:
            for start in tqdm(range(0, len(todo), chunk), desc="judging pairs (both orders)", unit="chunk"):
                rows = judges.judge_pairs_llm(todo[start:start + chunk], generate)
                append_jsonl(progress, rows)
                done.update({(r["type"], r["id"], r["question"]): r for r in rows})
        finally:
            if engine is not None:
                engine.close()
    return [done[(i["type"], i["id"], i["question"])] for i in items]


def generation_files(cfg: Config, records: dict[str, list[dict]]) -> dict[str, Path]:
    return {f"{name}_{t}": generation_file(cfg, name, t) for name in MODELS for t in records}
