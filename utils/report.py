"""What Step 3 writes and shows: the results folder, the PASS/FAIL check and the tables.

This module owns `results/` except `results/generations/` (owned by the inference step). Numbers
come from `utils.metrics`; nothing here computes a rate of its own.

    results/
      metrics.json        compute_metrics() output + profile, created, judge, check, config, versions
      per_question.csv    one row per question (utils.metrics.per_question_frame)
      verdicts.jsonl      one judge record per (comment, question), as made by utils.judge
      answers.jsonl       one record per comment: {"type", "id", "comment", "base", "finetuned", "majority", "teacher"}
      gold_answers.jsonl  the same for the hand-labelled gold comments (when GOLD_FILE is set)
      plots/*.png         win rates, teacher agreement, kappa per question, outcomes
      history/<created>/  the files above from earlier runs, moved there by the next write
      generations/        raw generations (inference step); their paths are recorded in metrics.json

Used by the Step 3 notebook and the comparison app:

    >>> path = write_results(cfg, metrics, verdicts, answers, generations, {"speed": speed})  # or
    >>> path = utils.evaluation.score_and_write(cfg, records, generations, speed, gold)["path"]
    >>> print(format_check(read_json(path)["check"]))

The plots themselves live in `utils.figures` (`save_plots` writes them here); the file names in
`utils.paths`. No model library is imported here.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

from Config.Config import Config, public_url
from utils import figures
from utils.files import atomic_path, file_sha256, library_versions, read_json, read_jsonl, write_json
from utils.metrics import answerer_frame, get_answer, interval, per_question_frame
from utils.paths import (ANSWERS_FILE, GOLD_ANSWERS_FILE, HISTORY_DIR, METRICS_FILE, PER_QUESTION_FILE, PLOTS_DIR,
                         RESULT_FILES, STUDENTS, VERDICTS_FILE)
from utils.tasks import answers_from_json, questions

VERDICT_KINDS = ("win", "tie", "loss")
# Top-level keys of metrics.json that `extra` may not replace.
RESERVED_KEYS = ("profile", "created", "check", "summary", "by_type", "by_question", "gold",
                 "judge_calibration", "judge", "generations", "files", "previous", "config", "versions")


# ================================================================================ the check
def check_expectations(cfg: Config, metrics: Mapping[str, Any]) -> dict[str, Any]:
    """PASS/FAIL of the run against the profile's expectations.

    Every profile: the adjusted win rate against the base within EXPECTED_WIN_RATE, the lower
    bound of its 95% interval at least EXPECTED_CI_LOW, the fine-tuned teacher agreement at least
    EXPECTED_TEACHER_AGREEMENT. Every profile but `tiny` (a random model) also needs what a
    constant answerer cannot give: the lower bound of `agreement_lift` over the majority baseline
    above 0, the fine-tuned `mean_kappa` at least EXPECTED_MEAN_KAPPA, and no constant question
    (one value where the teacher's answers vary). An LLM judge that was calibrated must prefer the
    teacher over the majority baseline (adjusted win rate at least JUDGE_CALIBRATION_MIN). A
    missing value fails and says why. Returns {"passed", "profile", "checks": [{"name", "value",
    "expected", "passed", "reason", "low_exclusive"}], "message"}.
    """
    summary = metrics.get("summary") or {}
    ci = interval(summary)
    agreement = (summary.get("teacher_agreement") or {}).get("finetuned")
    no_verdicts = (f"no decided verdict (n = {summary.get('n', 0)}, "
                   f"{summary.get('unparsed', 0)} unparsed), so there is no win rate")
    no_teacher = "no BOOL or SCORE answer has a teacher value to compare with"
    low, high = cfg.EXPECTED_WIN_RATE
    # name, value, [low, high], why a missing value is missing, low bound exclusive, what a FAIL names
    specs = [
        ("adjusted win rate vs base", summary.get("adjusted_win_rate"), [low, high], no_verdicts, False, None),
        ("95% CI lower bound", ci[0], [cfg.EXPECTED_CI_LOW, 1.0], no_verdicts, False, None),
        ("fine-tuned teacher agreement", agreement, [cfg.EXPECTED_TEACHER_AGREEMENT, 1.0], no_teacher, False, None),
    ]
    if cfg.PROFILE != "tiny":
        lift = summary.get("agreement_lift") or {}
        constants = (summary.get("constant_questions") or {}).get("finetuned")
        specs += [
            ("agreement lift over the majority baseline, 95% CI lower bound", interval(lift, "ci95")[0],
             [0.0, 1.0], "no majority baseline or no teacher value", True, None),
            ("fine-tuned mean kappa", (summary.get("mean_kappa") or {}).get("finetuned"),
             [cfg.EXPECTED_MEAN_KAPPA, 1.0], "no BOOL or SCORE question with a defined kappa", False, None),
            ("fine-tuned constant questions", None if constants is None else len(constants), [0, 0],
             "no constant-answer analysis", False, ", ".join(constants or [])),
        ]
    calibration = metrics.get("judge_calibration")
    if calibration is not None:
        specs.append(("judge prefers the teacher over the majority baseline",
                      calibration.get("teacher_adjusted_win_rate"), [cfg.JUDGE_CALIBRATION_MIN, 1.0],
                      "no calibration verdict could be read", False, None))
    checks = []
    for name, value, expected, missing, exclusive, detail in specs:
        if value is None:
            checks.append({"name": name, "value": None, "expected": expected, "passed": False,
                           "reason": f"missing: {missing}", "low_exclusive": exclusive})
            continue
        # a tiny tolerance so 0.8999999999 from float sums is not a FAIL against 0.9
        above = value > expected[0] if exclusive else expected[0] - 1e-9 <= value
        ok = above and value <= expected[1] + 1e-9
        reason = None if ok else (f"{value:.3f} {'<=' if exclusive else '<'} {expected[0]:.3f}" if not above
                                  else f"{value:.3f} > {expected[1]:.3f}")
        if reason and detail:
            reason += f" ({detail})"
        checks.append({"name": name, "value": float(value), "expected": expected, "passed": ok, "reason": reason,
                       "low_exclusive": exclusive})
    passed = all(c["passed"] for c in checks)
    if passed:
        message = (f"PASS: on the {cfg.PROFILE} profile all {len(checks)} expectations are met: win rate vs base "
                   f"{_num(summary.get('adjusted_win_rate'))} [{_num(ci[0])}, {_num(ci[1])}], fine-tuned "
                   f"teacher agreement {_num(agreement)}.")
    else:
        failed = [c for c in checks if not c["passed"]]
        message = (f"FAIL: on the {cfg.PROFILE} profile {len(failed)} of {len(checks)} checks failed: "
                   + "; ".join(f"{c['name']} ({c['reason']})" for c in failed) + ".")
    if calibration is not None and not next(c for c in checks if c["name"].startswith("judge prefers"))["passed"]:
        message += (" The judge could not prefer the teacher's answers over a constant answerer: its win rates "
                    "cannot be trusted; use a stronger judge model.")
    return {"passed": passed, "profile": cfg.PROFILE, "checks": checks, "message": message}


def format_check(check: Mapping[str, Any]) -> str:
    """The final PASS/FAIL text: the one-sentence message, then one line per check."""
    lines = [check["message"]]
    for c in check["checks"]:
        low, high = c["expected"]
        value = "missing" if c["value"] is None else f"{c['value']:.3f}"
        bound = f"({low:.3f}" if c.get("low_exclusive") else f"[{low:.3f}"
        line = f"  {'PASS' if c['passed'] else 'FAIL'}  {c['name']}: {value}, expected within {bound}, {high:.3f}]"
        if c["value"] is None or (c["reason"] and "(" in c["reason"]):
            line += f" ({c['reason']})"
        lines.append(line)
    return "\n".join(lines)


def _num(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# ================================================================================ the results folder
def judge_info(cfg: Config) -> dict[str, Any]:
    """Which judge made the verdicts: kind, model and endpoint (host only; never a key)."""
    if cfg.JUDGE == "reference":
        return {"kind": "reference", "model": None, "endpoint": None,
                "method": "compared with the teacher's answers (BOOL/SCORE closer, TEXT ROUGE-L)",
                "rouge_margin": cfg.ROUGE_MARGIN}
    if cfg.JUDGE_ENDPOINT_URL:
        return {"kind": "llm", "model": cfg.JUDGE_ENDPOINT_MODEL, "endpoint": public_url(cfg.JUDGE_ENDPOINT_URL),
                "method": "pairwise, both orders, disagreement = tie"}
    return {"kind": "llm", "model": cfg.JUDGE_MODEL, "endpoint": None,
            "method": "pairwise, both orders, disagreement = tie"}


def archive_previous(results_dir: Path) -> Optional[Path]:
    """Move the previous results (metrics.json, tables, JSONL, plots) into history/<created>/.

    Does nothing unless a previous metrics.json exists. The folder is named after the old
    metrics' `created` time (its file time when that cannot be read), e.g. 20261122-013000;
    a suffix keeps two results of the same second apart. generations/ is never touched.
    """
    results_dir = Path(results_dir)
    old = results_dir / METRICS_FILE
    if not old.exists():
        return None
    try:
        stamp = datetime.fromisoformat(read_json(old)["created"]).strftime("%Y%m%d-%H%M%S")
    except (ValueError, KeyError, TypeError):  # unreadable, hand-made or older file
        stamp = datetime.fromtimestamp(old.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
    target = results_dir / HISTORY_DIR / stamp
    suffix = 1
    while target.exists():
        suffix += 1
        target = results_dir / HISTORY_DIR / f"{stamp}-{suffix}"
    target.mkdir(parents=True)
    # metrics.json last: if the move is interrupted, the next write archives the rest.
    for name in (*RESULT_FILES[1:], PLOTS_DIR, METRICS_FILE):
        if (results_dir / name).exists():
            os.replace(results_dir / name, target / name)
    return target


def write_results(cfg: Config, metrics: Mapping[str, Any], verdicts: Sequence[dict], answers: Sequence[dict],
                  generations: Optional[Mapping[str, Union[str, Path]]] = None,
                  extra: Optional[Mapping[str, Any]] = None, *, plots: bool = True,
                  gold_answers: Sequence[dict] = ()) -> Path:
    """Write one evaluation into cfg.results_dir and return the path of its metrics.json.

    `metrics` is `utils.metrics.compute_metrics` output, with `gold` (`compute_gold_metrics`) and
    `judge_calibration` when they were made; `verdicts` the judge records; `answers` one record
    per comment, `gold_answers` one per gold comment; `generations` names the raw generation files (recorded with their
    SHA-256, not moved); `extra` adds top-level keys (e.g. {"speed": ...}) but may not replace one
    of RESERVED_KEYS. Earlier results are first moved to history/. Every file is written
    atomically and metrics.json last, so its presence means the set is complete.
    """
    if not {"summary", "by_type", "by_question"} <= set(metrics):
        raise ValueError("metrics must be the output of utils.metrics.compute_metrics "
                         "(keys 'summary', 'by_type', 'by_question')")
    extra = dict(extra or {})
    clash = sorted(set(extra) & set(RESERVED_KEYS))
    if clash:
        raise ValueError(f"extra may not replace the metrics.json keys {clash}; use other names")

    results_dir = cfg.results_dir
    results_dir.mkdir(parents=True, exist_ok=True)
    check = check_expectations(cfg, metrics)
    config = cfg.to_dict()
    previous = archive_previous(results_dir)

    files = [f for f in RESULT_FILES if f != GOLD_ANSWERS_FILE or gold_answers]
    _write_jsonl(results_dir / VERDICTS_FILE, verdicts)
    _write_jsonl(results_dir / ANSWERS_FILE, answers)
    if gold_answers:
        _write_jsonl(results_dir / GOLD_ANSWERS_FILE, gold_answers)
    with atomic_path(results_dir / PER_QUESTION_FILE) as tmp:
        per_question_frame(metrics).to_csv(tmp, index=False)
    if plots:
        files += [str(p.relative_to(results_dir)) for p in save_plots(metrics, results_dir / PLOTS_DIR)]

    payload = {
        "profile": cfg.PROFILE,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "check": check,
        "summary": metrics["summary"],
        "by_type": metrics["by_type"],
        "by_question": metrics["by_question"],
        **{k: metrics[k] for k in ("gold", "judge_calibration") if k in metrics},
        "judge": judge_info(cfg),
        "generations": {name: _file_record(Path(p)) for name, p in (generations or {}).items()},
        **extra,
        "files": files,
        "previous": None if previous is None else str(previous.relative_to(results_dir)),
        "config": config,
        "versions": library_versions(),
    }
    return write_json(results_dir / METRICS_FILE, _plain(payload))


def load_results(where: Union[Config, str, os.PathLike]) -> dict[str, Any]:
    """{"metrics", "verdicts", "answers", "gold_answers"} of a results folder (a Config's, or a
    history folder); `gold_answers` is [] when the run had no gold set. Answers come back keyed by
    question number, as they were written (JSON made the keys strings)."""
    folder = where.results_dir if isinstance(where, Config) else Path(where)
    if not (folder / METRICS_FILE).exists():
        raise FileNotFoundError(f"No {METRICS_FILE} in {folder}; run Step 3 first.")
    gold = folder / GOLD_ANSWERS_FILE
    return {"metrics": read_json(folder / METRICS_FILE), "verdicts": read_jsonl(folder / VERDICTS_FILE),
            "answers": _answer_records(read_jsonl(folder / ANSWERS_FILE)),
            "gold_answers": _answer_records(read_jsonl(gold)) if gold.exists() else []}


def _answer_records(rows: list[dict]) -> list[dict]:
    """Answer records read from JSONL with each answerer's answers keyed by question number again."""
    answerers = ("teacher", *STUDENTS, "majority")
    return [{k: answers_from_json(v) if k in answerers and isinstance(v, dict) else v for k, v in row.items()}
            for row in rows]


def save_plots(metrics: Mapping[str, Any], folder: Union[str, os.PathLike]) -> list[Path]:
    """Write the four plots of `utils.figures` as PNG files into `folder` (atomically); returns their paths."""
    folder = Path(folder)
    out = []
    for name, make in (("win_rates", figures.plot_win_rates), ("teacher_agreement", figures.plot_teacher_agreement),
                       ("kappa", figures.plot_kappa), ("outcomes", figures.plot_outcomes)):
        path = folder / f"{name}.png"
        with atomic_path(path) as tmp:
            make(metrics).savefig(tmp, format="png", dpi=120, bbox_inches="tight")
        out.append(path)
    return out


def _file_record(path: Path) -> dict[str, Any]:
    path = path.expanduser().resolve()
    return {"path": str(path), "sha256": file_sha256(path) if path.is_file() else None}


def _default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable: {obj!r:.80}")


def _plain(obj: Any) -> Any:
    """A JSON-ready copy: numpy numbers, paths and sets become plain JSON values."""
    return json.loads(json.dumps(obj, default=_default, ensure_ascii=False))


def _write_jsonl(path: Path, rows: Sequence[dict]) -> None:
    with atomic_path(path) as tmp:
        with tmp.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, default=_default, ensure_ascii=False) + "\n")


# ================================================================================ tables
def summary_frame(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """The comparison with the untuned base, one row for all comments, then one per comment type:
    counts, the adjusted win rate with its interval (what a no-model answerer gets on the same
    judge beside it, when known), and each model's format compliance, which the base's losses
    mostly come from."""
    columns = ["comments", "n", "wins", "ties", "losses", "unparsed", "adjusted_win_rate", "ci_low", "ci_high",
               "majority_adjusted_win_rate", "mean_win_rate_excl_ties", "win_rate_excl_ties",
               "position_consistency", "format_compliance_base", "format_compliance_finetuned",
               "teacher_agreement_base", "teacher_agreement_finetuned"]
    rows = {}
    for scope, block in [("overall", metrics["summary"]), *metrics["by_type"].items()]:
        ci = interval(block)
        agreement = block.get("teacher_agreement") or {}
        compliance = block.get("format_compliance") or {}
        rows[scope] = {
            **{k: block.get(k) for k in ("comments", "n", "wins", "ties", "losses", "unparsed", "adjusted_win_rate",
                                         "majority_adjusted_win_rate", "mean_win_rate_excl_ties",
                                         "win_rate_excl_ties", "position_consistency")},
            "ci_low": ci[0], "ci_high": ci[1],
            "format_compliance_base": compliance.get("base"),
            "format_compliance_finetuned": compliance.get("finetuned"),
            "teacher_agreement_base": agreement.get("base"),
            "teacher_agreement_finetuned": agreement.get("finetuned"),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame.index.name = "scope"
    return frame


def knowledge_frame(block: Mapping[str, Any]) -> pd.DataFrame:
    """Did the student learn the teacher's decisions? One row per (scope, answerer): base,
    fine-tuned and the no-model majority baseline, for all comments and per type, with teacher
    agreement, mean kappa, format compliance, constant questions and the fine-tuned lift over the
    baseline. `block` is metrics.json, or its `gold` block."""
    frames = []
    for scope, part in [("overall", block["summary"]), *block.get("by_type", {}).items()]:
        frame = answerer_frame(part).reset_index()
        frame.insert(0, "scope", scope)
        frame.insert(2, "comments", part.get("comments"))
        frames.append(frame)
    return pd.concat(frames).set_index(["scope", "answerer"]) if frames else pd.DataFrame()


def examples(verdicts: Sequence[dict], answers: Sequence[dict], kind: str = "win", n: int = 3,
             seed: int = 0) -> pd.DataFrame:
    """Up to `n` judged items with verdict `kind`, answers side by side (teacher, base, fine-tuned).

    The sample depends only on the records and `seed`, not on their order in the lists. Columns:
    type, id, question ("Q2 severity"), teacher, base, finetuned, verdict, comment.
    """
    if kind not in VERDICT_KINDS:
        raise ValueError(f"kind must be one of {VERDICT_KINDS}, not {kind!r}")
    columns = ["type", "id", "question", "teacher", "base", "finetuned", "verdict", "comment"]
    by_comment = {(a.get("type"), str(a.get("id"))): a for a in answers}
    pool = sorted((v for v in verdicts if v.get("verdict") == kind),
                  key=lambda v: (str(v.get("type")), str(v.get("id")), int(v.get("question"))))
    if not pool:
        return pd.DataFrame(columns=columns)
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(pool), size=min(int(n), len(pool)), replace=False))
    rows = []
    for i in picked:
        v = pool[i]
        a = by_comment.get((v.get("type"), str(v.get("id"))), {})
        number = int(v["question"])
        rows.append({"type": v.get("type"), "id": v.get("id"), "question": _question_label(v.get("type"), number),
                     "teacher": get_answer(a.get("teacher"), number), "base": get_answer(a.get("base"), number),
                     "finetuned": get_answer(a.get("finetuned"), number), "verdict": v.get("verdict"),
                     "comment": a.get("comment")})
    return pd.DataFrame(rows, columns=columns, dtype=object)  # keep 1 as 1 and None as None


def _question_label(comment_type: Optional[str], number: int) -> str:
    try:
        key = next(q.key for q in questions(comment_type) if q.number == number)
    except (ValueError, StopIteration):
        return f"Q{number}"
    return f"Q{number} {key}"
