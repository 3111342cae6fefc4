"""Step 3 numbers: win/tie/loss counts, win rates with bootstrap intervals, and teacher agreement.

This module owns everything computed from verdict records (made by `utils.judge`) and parsed
answers; writing files, tables and plots belongs to `utils.report`.

Verdicts and rates
  - A verdict is "win", "tie" or "loss" from the fine-tuned model's side, or None when the judge's
    reply could not be read (`unparsed`). `n` counts decided verdicts only; unparsed ones are
    reported as their own count and left out of every rate, so they can neither help nor hurt.
  - `adjusted_win_rate` = (wins + 0.5 ties) / n, the headline: 0.5 means no difference.
  - `win_rate_excl_ties` = wins / (wins + losses), None when there is no decisive verdict.
  - `mean_win_rate_excl_ties`: the mean over questions of the per-question excluded-ties rates,
    the original AMP's headline, kept for comparison; questions without a decisive verdict are
    skipped and counted in `questions_skipped`.
  - 95% intervals come from a cluster bootstrap over comments: every resample draws comments with
    replacement (a comment is the pair (type, id)) and keeps all of a drawn comment's verdicts,
    because the answers to one comment's questions are not independent. Percentile interval,
    `numpy.random.default_rng(seed)` started afresh for each interval, so a group's interval does
    not depend on which other groups exist. All ties give [0.5, 0.5], only wins [1, 1], only
    losses [0, 0], no decided verdict None.
  - `position_consistency`: the share of LLM-judged, parsed items whose two orders agreed
    (identical answers, judged without the model, count as consistent). None for the reference
    judge, which has no positions.

Teacher agreement (how often each student gives the teacher's answer), per question and model:
  BOOL   accuracy and Cohen's kappa. An unparsed answer (None) counts as wrong for accuracy; kappa
         is computed over the pairs where both answers are parsed, and is None when it is
         undefined (both sides use one and the same single value, or no pair).
  SCORE  accuracy (None counts as wrong) and the mean absolute error over parsed answers, with the
         number of unparsed answers beside it.
  TEXT   mean ROUGE-L F1 against the teacher's text (None or empty scores 0).
  Items whose teacher value is missing are left out (`n` counts the rest). The summary's
  `teacher_agreement` is the pooled share of BOOL and SCORE answers equal to the teacher's.

Answer records (input of teacher agreement) are either a list of
`{"type", "id", "base": {...}, "finetuned": {...}, "teacher": {...}}` or a dict keyed by
`(type, id)` holding `{"base", "finetuned", "teacher"}`; each answer dict maps a question number
(int, or its string after a JSON round trip) to a parsed value.

Rates are fractions in [0, 1]. No model library is imported here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np

from utils.judge import VERDICTS, as_int, rouge_l
from utils.tasks import Question

MODELS = ("base", "finetuned")


# ================================================================================ counts and rates
def _check(record: dict) -> Optional[str]:
    verdict = record.get("verdict")
    if verdict is not None and verdict not in VERDICTS:
        raise ValueError(f"Unknown verdict {verdict!r} in record {record.get('type')}/{record.get('id')} "
                         f"question {record.get('question')}; expected one of {VERDICTS} or None")
    return verdict


def win_counts(verdicts: Iterable[dict]) -> dict[str, int]:
    """{"wins", "ties", "losses", "n" (decided verdicts), "unparsed" (verdict None)}."""
    counts = {"wins": 0, "ties": 0, "losses": 0, "n": 0, "unparsed": 0}
    names = {"win": "wins", "tie": "ties", "loss": "losses"}
    for rec in verdicts:
        verdict = _check(rec)
        if verdict is None:
            counts["unparsed"] += 1
        else:
            counts[names[verdict]] += 1
            counts["n"] += 1
    return counts


def win_rate_excl_ties(counts: Mapping[str, int]) -> Optional[float]:
    """wins / (wins + losses) from `win_counts` output; None without a decisive verdict."""
    decisive = counts["wins"] + counts["losses"]
    return counts["wins"] / decisive if decisive else None


def adjusted_win_rate(counts: Mapping[str, int]) -> Optional[float]:
    """(wins + 0.5 ties) / n from `win_counts` output; None when n == 0."""
    n = counts["wins"] + counts["ties"] + counts["losses"]
    return (counts["wins"] + 0.5 * counts["ties"]) / n if n else None


def bootstrap_ci(verdicts: Sequence[dict], n_boot: int, seed: int,
                 level: float = 0.95) -> Optional[list[float]]:
    """Percentile interval of the adjusted win rate, resampling comments (cluster bootstrap).

    Comments are identified by (type, id); all decided verdicts of a drawn comment go together.
    Deterministic for a given seed; None when there is no decided verdict.
    """
    per_comment: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])  # [points, n]
    for rec in verdicts:
        verdict = _check(rec)
        if verdict is None:
            continue
        cell = per_comment[(rec.get("type"), rec.get("id"))]
        cell[0] += {"win": 1.0, "tie": 0.5, "loss": 0.0}[verdict]
        cell[1] += 1
    if not per_comment:
        return None
    points, sizes = np.array(list(per_comment.values())).T
    rng = np.random.default_rng(seed)
    n_boot, n_clusters = int(n_boot), len(points)
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    step = max(1, 4_000_000 // n_clusters)  # bounded memory for large runs
    rates = np.empty(n_boot)
    for start in range(0, n_boot, step):
        draws = rng.integers(0, n_clusters, size=(min(step, n_boot - start), n_clusters))
        rates[start:start + len(draws)] = points[draws].sum(axis=1) / sizes[draws].sum(axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(rates, [alpha, 1.0 - alpha])
    return [float(min(max(lo, 0.0), 1.0)), float(min(max(hi, 0.0), 1.0))]


def position_consistency(verdicts: Iterable[dict]) -> Optional[float]:
    """Share of consistent verdicts among LLM-judged, parsed ones; None when there are none."""
    flags = [bool(r["consistent"]) for r in verdicts
             if r.get("consistent") is not None and r.get("judge", "llm") != "reference"
             and not r.get("unparsed") and r.get("verdict") is not None]
    return sum(flags) / len(flags) if flags else None


def _group_stats(verdicts: Sequence[dict], n_boot: int, seed: int) -> dict[str, Any]:
    counts = win_counts(verdicts)
    return {
        **counts,
        "adjusted_win_rate": adjusted_win_rate(counts),
        "adjusted_win_rate_ci95": bootstrap_ci(verdicts, n_boot, seed),
        "win_rate_excl_ties": win_rate_excl_ties(counts),
        "position_consistency": position_consistency(verdicts),
    }


# ================================================================================ teacher agreement
def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> Optional[float]:
    """Cohen's kappa of two equally long label sequences; None when undefined (expected
    agreement of 1, i.e. both use one and the same single label) or when empty."""
    if len(a) != len(b):
        raise ValueError("cohen_kappa needs two sequences of equal length")
    if not a:
        return None
    labels = sorted(set(a) | set(b), key=repr)
    index = {label: i for i, label in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    for x, y in zip(a, b):
        table[index[x], index[y]] += 1
    total = table.sum()
    observed = np.trace(table) / total
    expected = float((table.sum(axis=1) / total) @ (table.sum(axis=0) / total))
    if expected >= 1.0 - 1e-12:
        return None
    return float((observed - expected) / (1.0 - expected))


def _get(answers: Optional[Mapping], number: int) -> Any:
    if not answers:
        return None
    return answers.get(number, answers.get(str(number)))


def _agreement(question: Question, pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
    """Stats of (model value, teacher value) pairs for one question and one model."""
    if question.kind == "TEXT":
        kept = [(m, t) for m, t in pairs if t is not None and str(t).strip()]
        scores = [rouge_l(None if m is None else str(m), str(t)) for m, t in kept]
        unparsed = sum(1 for m, _ in kept if m is None or not str(m).strip())
        return {"n": len(kept), "rouge_l": float(np.mean(scores)) if scores else None, "unparsed": unparsed,
                "agreement": float(np.mean(scores)) if scores else None}
    kept = [(as_int(m), as_int(t)) for m, t in pairs if as_int(t) is not None]
    n = len(kept)
    parsed = [(m, t) for m, t in kept if m is not None]
    correct = sum(1 for m, t in kept if m == t)
    out: dict[str, Any] = {"n": n, "accuracy": correct / n if n else None, "unparsed": n - len(parsed),
                           "correct": correct}
    if question.kind == "BOOL":
        out["kappa"] = cohen_kappa([m for m, _ in parsed], [t for _, t in parsed]) if parsed else None
    else:
        out["mae"] = float(np.mean([abs(m - t) for m, t in parsed])) if parsed else None
        out["mae_n"] = len(parsed)
    out["agreement"] = out["accuracy"]
    return out


def _answer_rows(answers: Any) -> list[dict]:
    if answers is None:
        return []
    if isinstance(answers, Mapping):
        rows = []
        for key, value in answers.items():
            ctype, cid = key
            rows.append({"type": ctype, "id": cid, **value})
        return rows
    return list(answers)


# ================================================================================ the metrics.json
def _summary_block(verdicts: list[dict], question_blocks: list[dict], answer_rows: list[dict],
                   n_boot: int, seed: int) -> dict:
    block = _group_stats(verdicts, n_boot, seed)
    rates = [q["win_rate_excl_ties"] for q in question_blocks]
    decided = [r for r in rates if r is not None]
    block["mean_win_rate_excl_ties"] = float(np.mean(decided)) if decided else None
    block["questions_skipped"] = len(rates) - len(decided)
    pooled = {}
    for model in MODELS:
        correct = total = 0
        for q in question_blocks:
            stats = q["teacher_agreement"][model]
            if q["kind"] in ("BOOL", "SCORE"):
                correct += stats["correct"]
                total += stats["n"]
        pooled[model] = correct / total if total else None
    block["teacher_agreement"] = pooled
    block["comments"] = len({(r.get("type"), r.get("id")) for r in verdicts} |
                            {(r.get("type"), r.get("id")) for r in answer_rows})
    return block


def compute_metrics(verdicts: Sequence[dict], answers: Any,
                    questions_by_type: Mapping[str, Sequence[Question]],
                    n_boot: int, seed: int) -> dict[str, Any]:
    """The metrics.json structure: {"summary", "by_type", "by_question"} (see module docstring).

    Types appear in the order of `questions_by_type`, only those with verdicts or answers; a
    verdict for an unknown type or question is refused.
    """
    verdicts = list(verdicts)
    rows = _answer_rows(answers)
    for rec in verdicts + rows:
        if rec.get("type") not in questions_by_type:
            raise ValueError(f"Comment type {rec.get('type')!r} is not in questions_by_type "
                             f"({', '.join(questions_by_type)})")
    by_q_verdicts: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for rec in verdicts:
        by_q_verdicts[(rec["type"], int(rec["question"]))].append(rec)
    present = {r["type"] for r in verdicts} | {r["type"] for r in rows}

    by_question: list[dict] = []
    by_type: dict[str, dict] = {}
    for ctype, qs in questions_by_type.items():
        if ctype not in present:
            continue
        known = {q.number for q in qs}
        unknown = sorted({n for (t, n) in by_q_verdicts if t == ctype} - known)
        if unknown:
            raise ValueError(f"Verdicts for {ctype} questions {unknown}, which do not exist")
        type_rows = [r for r in rows if r["type"] == ctype]
        blocks = []
        for q in qs:
            recs = by_q_verdicts.get((ctype, q.number), [])
            agreement = {
                model: _agreement(q, [(_get(r.get(model), q.number), _get(r.get("teacher"), q.number))
                                      for r in type_rows])
                for model in MODELS
            }
            blocks.append({"type": ctype, "question": q.number, "key": q.key, "kind": q.kind,
                           **_group_stats(recs, n_boot, seed), "teacher_agreement": agreement})
        type_verdicts = [r for r in verdicts if r["type"] == ctype]
        by_type[ctype] = _summary_block(type_verdicts, blocks, type_rows, n_boot, seed)
        by_question += blocks

    summary = _summary_block(verdicts, by_question, rows, n_boot, seed)
    return {"summary": summary, "by_type": by_type, "by_question": by_question}


def per_question_frame(metrics: Mapping[str, Any]):
    """One row per question, the columns of a results table (rates as fractions)."""
    import pandas as pd

    rows = []
    for q in metrics["by_question"]:
        ci = q.get("adjusted_win_rate_ci95") or [None, None]
        agree = q.get("teacher_agreement", {})
        rows.append({
            "type": q["type"], "q": q["question"], "key": q["key"], "kind": q["kind"],
            "wins": q["wins"], "ties": q["ties"], "losses": q["losses"], "n": q["n"],
            "unparsed": q["unparsed"], "win_rate_excl_ties": q["win_rate_excl_ties"],
            "adjusted_win_rate": q["adjusted_win_rate"], "ci_low": ci[0], "ci_high": ci[1],
            "base_agreement": agree.get("base", {}).get("agreement"),
            "finetuned_agreement": agree.get("finetuned", {}).get("agreement"),
            "position_consistency": q.get("position_consistency"),
        })
    columns = ["type", "q", "key", "kind", "wins", "ties", "losses", "n", "unparsed", "win_rate_excl_ties",
               "adjusted_win_rate", "ci_low", "ci_high", "base_agreement", "finetuned_agreement",
               "position_consistency"]
    return pd.DataFrame(rows, columns=columns)
