"""Step 3 numbers: win/tie/loss counts, win rates with bootstrap intervals, and what each answerer
learned of the teacher's decisions.

This module owns everything computed from verdict records (made by `utils.judge`) and parsed
answers; writing files, tables and plots belongs to `utils.report`.

Answerers
  `base` (the untuned student), `finetuned` (Step 2's student) and `majority`, the no-model
  baseline of `utils.baseline` (each question's most common training answer). A model that learned
  only the answer format and each question's usual value scores what `majority` scores; what a
  student learned of the teacher's decisions is what it scores above it.

Verdicts and rates (fine-tuned against the base, from the judge)
  - A verdict is "win", "tie" or "loss" from the fine-tuned model's side, or None when the judge's
    reply could not be read (`unparsed`). `n` counts decided verdicts only; unparsed ones are
    reported as their own count and left out of every rate, so they can neither help nor hurt.
  - `adjusted_win_rate` = (wins + 0.5 ties) / n: 0.5 means no difference from the base. It says
    the fine-tuned student beats its untuned base, which never writes the answer format; it does
    not say it learned the teacher's decisions (a constant answerer in the right format wins too).
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

Teacher agreement, per question and answerer (`teacher_agreement.<answerer>` of a question)
  all    `format_compliance`: the share of the answers to that question that parse (over every
         comment of the type, whether or not the teacher's value is known).
  BOOL   `accuracy` (an unparsed answer counts as wrong), `kappa` (Cohen's), `balanced_accuracy`
         (the mean over the teacher's classes of the share answered right).
  SCORE  `accuracy`, `kappa` (quadratic-weighted), `mae` over parsed answers with `mae_n`.
  TEXT   `rouge_l`: mean ROUGE-L F1 against the teacher's text (None or empty scores 0).
  Kappa counts an unparsed answer as a class of its own that never matches the teacher (for the
  weighted kappa it lies at the largest distance from every value), so a model that does not
  answer cannot look like chance agreement. Kappa is None when it is undefined (the expected
  disagreement is 0: both sides give one and the same value). `kappa_kind` says which one.
  `constant` is True when one value covers at least 95% of the parsed answers (CONSTANT_SHARE);
  `top_share` is that value's share. The question's own `teacher_constant` says the same of the
  teacher's answers: a student that is constant where the teacher is too has learned nothing wrong.
  Items whose teacher value is missing are left out of everything but format compliance.

The knowledge headline, in `summary` and each `by_type` block
  `teacher_agreement` {base, finetuned, majority}: the pooled share of BOOL and SCORE answers
      equal to the teacher's.
  `mean_kappa` {base, finetuned, majority}: the mean of the questions' kappas over BOOL and SCORE
      questions where it is defined (`mean_kappa_questions` counts them).
  `agreement_lift` {"value", "ci95", "n"}: fine-tuned teacher agreement minus the majority
      baseline's on the same items, with a paired 95% bootstrap interval resampling comments.
  `constant_questions` {base, finetuned}: "type Qn key" of each question where that model is
      constant and the teacher is not.
  `format_compliance` {base, finetuned, majority}: the share of all answers that parse;
      `complete_answers` the same three: the share of comments whose answers all parse.

Answer records (input of teacher agreement) are either a list of
`{"type", "id", "base": {...}, "finetuned": {...}, "majority": {...}, "teacher": {...}}` or a dict
keyed by `(type, id)` holding the same keys; each answer dict maps a question number (int, or its
string after a JSON round trip) to a parsed value. `majority` may be absent (older records): the
answerers are those every record has.

Rates are fractions in [0, 1]. No model library is imported here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np

from utils.judge import VERDICTS, as_int, rouge_l
from utils.paths import STUDENTS
from utils.tasks import Question, get_answer

MODELS = STUDENTS  # the two students; the judge compares them
ANSWERERS = (*MODELS, "majority")  # and the no-model baseline of utils.baseline


def interval(block: Optional[Mapping[str, Any]], key: str = "adjusted_win_rate_ci95") -> tuple[Any, Any]:
    """(low, high) of a 95% interval in a metrics block, (None, None) when it has none.

    `key` is the interval's name: `adjusted_win_rate_ci95` of a summary, by_type or question block,
    `ci95` of an `agreement_lift` block.
    """
    low, high = (block or {}).get(key) or (None, None)
    return low, high


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
UNPARSED = "<unparsed>"  # the class an unparsed answer falls in for kappa: it never matches
CONSTANT_SHARE = 0.95  # one value on at least this share of the parsed answers: `constant`


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


def weighted_kappa(a: Sequence[Any], b: Sequence[Any], low: int, high: int) -> Optional[float]:
    """Quadratic-weighted kappa of two score sequences on the scale [low, high].

    A value that is not an integer on the scale (None, UNPARSED, out of range) lies at the largest
    distance (weight 1) from every value, itself included, so it can only count against agreement.
    None when undefined (no expected disagreement) or empty.
    """
    if len(a) != len(b):
        raise ValueError("weighted_kappa needs two sequences of equal length")
    if not a:
        return None
    k = high - low + 1
    def idx(v: Any) -> int:
        return v - low if isinstance(v, int) and not isinstance(v, bool) and low <= v <= high else k

    weights = np.ones((k + 1, k + 1))
    grid = np.arange(k)
    weights[:k, :k] = ((grid[:, None] - grid[None, :]) / max(k - 1, 1)) ** 2
    table = np.zeros((k + 1, k + 1))
    for x, y in zip(a, b):
        table[idx(x), idx(y)] += 1
    table /= table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    denominator = float((weights * expected).sum())
    if denominator <= 1e-12:
        return None
    return float(1.0 - (weights * table).sum() / denominator)


def balanced_accuracy(answers: Sequence[Any], truth: Sequence[Any]) -> Optional[float]:
    """Mean over the true classes of the share answered right; None when empty."""
    by_class: dict[Any, list[bool]] = defaultdict(list)
    for m, t in zip(answers, truth):
        by_class[t].append(m == t)
    return float(np.mean([np.mean(v) for v in by_class.values()])) if by_class else None


def top_share(values: Sequence[Any]) -> Optional[float]:
    """The share of the most common value; None when there is no value."""
    if not values:
        return None
    counts: dict[Any, int] = defaultdict(int)
    for v in values:
        counts[v] += 1
    return max(counts.values()) / len(values)


def _text(value: Any) -> Optional[str]:
    return None if value is None or not str(value).strip() else str(value)


def _parsed(question: Question, value: Any) -> bool:
    """Whether an answer parsed: non-empty text for TEXT, an integer otherwise."""
    return (_text(value) if question.kind == "TEXT" else as_int(value)) is not None


def _agreement(question: Question, pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
    """Stats of (answer, teacher value) pairs for one question and one answerer."""
    compliance = sum(_parsed(question, m) for m, _ in pairs) / len(pairs) if pairs else None
    if question.kind == "TEXT":
        kept = [(m, t) for m, t in pairs if _text(t) is not None]
        scores = [rouge_l(_text(m), str(t)) for m, t in kept]
        unparsed = sum(1 for m, _ in kept if _text(m) is None)
        mean = float(np.mean(scores)) if scores else None
        return {"n": len(kept), "rouge_l": mean, "unparsed": unparsed, "agreement": mean,
                "format_compliance": compliance}
    kept = [(as_int(m), as_int(t)) for m, t in pairs if as_int(t) is not None]
    n = len(kept)
    parsed = [(m, t) for m, t in kept if m is not None]
    correct = sum(1 for m, t in kept if m == t)
    labels = [UNPARSED if m is None else m for m, _ in kept]
    truth = [t for _, t in kept]
    share = top_share([m for m, _ in parsed])
    out: dict[str, Any] = {"n": n, "accuracy": correct / n if n else None, "unparsed": n - len(parsed),
                           "correct": correct, "format_compliance": compliance}
    if question.kind == "BOOL":
        out["kappa"] = cohen_kappa(labels, truth)
        out["kappa_kind"] = "cohen"
        out["balanced_accuracy"] = balanced_accuracy(labels, truth)
    else:
        out["kappa"] = weighted_kappa(labels, truth, question.low, question.high)
        out["kappa_kind"] = "quadratic"
        out["mae"] = float(np.mean([abs(m - t) for m, t in parsed])) if parsed else None
        out["mae_n"] = len(parsed)
    out["top_share"] = share
    out["constant"] = share is not None and share >= CONSTANT_SHARE
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


def answerers_of(rows: Sequence[dict]) -> tuple[str, ...]:
    """The answerers every record has, in ANSWERERS order (base and fine-tuned at least)."""
    present = tuple(m for m in ANSWERERS if all(m in r for r in rows)) if rows else MODELS
    return present if set(MODELS) <= set(present) else MODELS


def question_label(block: Mapping[str, Any]) -> str:
    """"vendor Q2 severity": how a question is named in lists and messages."""
    return f"{block['type']} Q{block['question']} {block['key']}"


def agreement_blocks(rows: Sequence[dict], questions_by_type: Mapping[str, Sequence[Question]],
                     answerers: Sequence[str]) -> list[dict]:
    """Per-question teacher agreement of each answerer, in task order, for the types present."""
    blocks = []
    for ctype, qs in questions_by_type.items():
        type_rows = [r for r in rows if r["type"] == ctype]
        if not type_rows:
            continue
        for q in qs:
            teacher = [get_answer(r.get("teacher"), q.number) for r in type_rows]
            known = [as_int(t) for t in teacher if as_int(t) is not None] if q.kind != "TEXT" else []
            share = top_share(known)
            blocks.append({
                "type": ctype, "question": q.number, "key": q.key, "kind": q.kind,
                "teacher_constant": share is not None and share >= CONSTANT_SHARE,
                "teacher_agreement": {m: _agreement(q, [(get_answer(r.get(m), q.number), t)
                                                       for r, t in zip(type_rows, teacher)])
                                      for m in answerers},
            })
    return blocks


def agreement_lift(rows: Sequence[dict], questions_by_type: Mapping[str, Sequence[Question]],
                   n_boot: int, seed: int, model: str = "finetuned", baseline: str = "majority",
                   level: float = 0.95) -> dict[str, Any]:
    """`model`'s pooled BOOL/SCORE teacher agreement minus `baseline`'s, on the same items.

    The interval is a paired percentile bootstrap over comments: each resample draws comments
    with replacement and takes both answerers' answers to a drawn comment together. Deterministic
    for a seed. {"value": None, "ci95": None, "n": 0} when no item has a teacher value.
    """
    cells = []  # per comment: [model correct, baseline correct, items]
    for r in rows:
        qs = [q for q in questions_by_type.get(r["type"], ()) if q.kind in ("BOOL", "SCORE")]
        cell = [0, 0, 0]
        for q in qs:
            t = as_int(get_answer(r.get("teacher"), q.number))
            if t is None:
                continue
            cell[0] += as_int(get_answer(r.get(model), q.number)) == t
            cell[1] += as_int(get_answer(r.get(baseline), q.number)) == t
            cell[2] += 1
        if cell[2]:
            cells.append(cell)
    if not cells:
        return {"value": None, "ci95": None, "n": 0}
    data = np.array(cells, dtype=float)
    value = float((data[:, 0].sum() - data[:, 1].sum()) / data[:, 2].sum())
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(data), size=(int(n_boot), len(data)))
    picked = data[draws]  # (n_boot, comments, 3)
    lifts = (picked[..., 0].sum(axis=1) - picked[..., 1].sum(axis=1)) / picked[..., 2].sum(axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(lifts, [alpha, 1.0 - alpha])
    return {"value": value, "ci95": [float(lo), float(hi)], "n": int(data[:, 2].sum())}


def knowledge_block(rows: Sequence[dict], blocks: Sequence[dict],
                    questions_by_type: Mapping[str, Sequence[Question]], answerers: Sequence[str],
                    n_boot: int, seed: int) -> dict[str, Any]:
    """The knowledge headline of a set of comments (see the module docstring)."""
    decision = [b for b in blocks if b["kind"] in ("BOOL", "SCORE")]
    out: dict[str, Any] = {"teacher_agreement": {}, "mean_kappa": {}, "mean_kappa_questions": {},
                           "format_compliance": {}, "complete_answers": {}}
    for m in answerers:
        correct = sum(b["teacher_agreement"][m]["correct"] for b in decision)
        total = sum(b["teacher_agreement"][m]["n"] for b in decision)
        out["teacher_agreement"][m] = correct / total if total else None
        kappas = [b["teacher_agreement"][m]["kappa"] for b in decision
                  if b["teacher_agreement"][m]["kappa"] is not None]
        out["mean_kappa"][m] = float(np.mean(kappas)) if kappas else None
        out["mean_kappa_questions"][m] = len(kappas)
        parsed = total_answers = complete = 0
        for r in rows:
            qs = questions_by_type.get(r["type"], ())
            ok = [_parsed(q, get_answer(r.get(m), q.number)) for q in qs]
            parsed += sum(ok)
            total_answers += len(ok)
            complete += all(ok)
        out["format_compliance"][m] = parsed / total_answers if total_answers else None
        out["complete_answers"][m] = complete / len(rows) if rows else None
    out["constant_questions"] = {m: [question_label(b) for b in decision
                                     if b["teacher_agreement"][m]["constant"] and not b["teacher_constant"]]
                                 for m in MODELS}
    out["agreement_lift"] = (agreement_lift(rows, questions_by_type, n_boot, seed)
                             if "majority" in answerers else {"value": None, "ci95": None, "n": 0})
    return out


# ================================================================================ the metrics.json
def _summary_block(verdicts: list[dict], question_blocks: list[dict], answer_rows: list[dict],
                   questions_by_type: Mapping[str, Sequence[Question]], answerers: Sequence[str],
                   n_boot: int, seed: int, baseline_verdicts: Optional[list[dict]]) -> dict:
    block = _group_stats(verdicts, n_boot, seed)
    rates = [q["win_rate_excl_ties"] for q in question_blocks]
    decided = [r for r in rates if r is not None]
    block["mean_win_rate_excl_ties"] = float(np.mean(decided)) if decided else None
    block["questions_skipped"] = len(rates) - len(decided)
    if baseline_verdicts is not None:
        counts = win_counts(baseline_verdicts)
        block["majority_adjusted_win_rate"] = adjusted_win_rate(counts)
        block["majority_adjusted_win_rate_ci95"] = bootstrap_ci(baseline_verdicts, n_boot, seed)
    block.update(knowledge_block(answer_rows, question_blocks, questions_by_type, answerers, n_boot, seed))
    block["comments"] = len({(r.get("type"), r.get("id")) for r in verdicts} |
                            {(r.get("type"), r.get("id")) for r in answer_rows})
    return block


def compute_metrics(verdicts: Sequence[dict], answers: Any,
                    questions_by_type: Mapping[str, Sequence[Question]],
                    n_boot: int, seed: int,
                    baseline_verdicts: Optional[Sequence[dict]] = None) -> dict[str, Any]:
    """The metrics.json structure: {"summary", "by_type", "by_question"} (see module docstring).

    `baseline_verdicts`, when given, are the same judge's verdicts on the majority baseline
    against the base (records shaped like `verdicts`, the baseline in the fine-tuned seat): they
    add `majority_adjusted_win_rate` and its interval, what a no-model answerer scores on the
    win-rate headline. Types appear in the order of `questions_by_type`, only those with verdicts
    or answers; a verdict for an unknown type or question is refused.
    """
    verdicts = list(verdicts)
    baseline = None if baseline_verdicts is None else list(baseline_verdicts)
    rows = _answer_rows(answers)
    answerers = answerers_of(rows)
    for rec in verdicts + rows + (baseline or []):
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
        agreement = {b["question"]: b for b in agreement_blocks(type_rows, {ctype: qs}, answerers)}
        blocks = []
        for q in qs:
            recs = by_q_verdicts.get((ctype, q.number), [])
            found = agreement.get(q.number)
            blocks.append({"type": ctype, "question": q.number, "key": q.key, "kind": q.kind,
                           **_group_stats(recs, n_boot, seed),
                           "teacher_constant": found["teacher_constant"] if found else False,
                           "teacher_agreement": found["teacher_agreement"] if found else
                           {m: _agreement(q, []) for m in answerers}})
        type_verdicts = [r for r in verdicts if r["type"] == ctype]
        type_baseline = None if baseline is None else [r for r in baseline if r["type"] == ctype]
        by_type[ctype] = _summary_block(type_verdicts, blocks, type_rows, {ctype: qs}, answerers,
                                        n_boot, seed, type_baseline)
        by_question += blocks

    summary = _summary_block(verdicts, by_question, rows, questions_by_type, answerers, n_boot, seed, baseline)
    return {"summary": summary, "by_type": by_type, "by_question": by_question}


def compute_gold_metrics(rows: Sequence[dict], questions_by_type: Mapping[str, Sequence[Question]],
                         n_boot: int, seed: int) -> dict[str, Any]:
    """The `gold` block: every answerer scored on hand-labelled comments.

    `rows` are answer records whose `teacher` holds the people's labels (only the labelled
    questions are scored). {"comments", "summary", "by_type", "by_question"}, the summary and
    by-type blocks holding the knowledge headline only (no judge runs on gold comments).
    """
    rows = list(rows)
    answerers = answerers_of(rows)
    blocks = agreement_blocks(rows, questions_by_type, answerers)
    by_type = {}
    for ctype, qs in questions_by_type.items():
        type_rows = [r for r in rows if r["type"] == ctype]
        if type_rows:
            type_blocks = [b for b in blocks if b["type"] == ctype]
            by_type[ctype] = {"comments": len(type_rows),
                              **knowledge_block(type_rows, type_blocks, {ctype: qs}, answerers, n_boot, seed)}
    return {"comments": len(rows), "summary": {"comments": len(rows), **knowledge_block(
        rows, blocks, questions_by_type, answerers, n_boot, seed)}, "by_type": by_type, "by_question": blocks}


def per_question_frame(metrics: Mapping[str, Any]):
    """One row per question, the columns of a results table (rates as fractions).

    Works on metrics.json and on its `gold` block (which has no verdict columns): for each
    answerer its agreement, kappa, format compliance and `constant` flag.
    """
    import pandas as pd

    verdict_columns = ["wins", "ties", "losses", "n", "unparsed", "win_rate_excl_ties", "adjusted_win_rate",
                       "ci_low", "ci_high", "position_consistency"]
    rows, answerers = [], []
    for q in metrics["by_question"]:
        agree = q.get("teacher_agreement", {})
        answerers = answerers or [m for m in ANSWERERS if m in agree]
        row = {"type": q["type"], "q": q["question"], "key": q["key"], "kind": q["kind"],
               "teacher_constant": q.get("teacher_constant")}
        if "wins" in q:
            low, high = interval(q)
            row |= {k: q.get(k) for k in verdict_columns if k not in ("ci_low", "ci_high")}
            row |= {"ci_low": low, "ci_high": high}
        for m in answerers:
            stats = agree.get(m, {})
            row |= {f"{m}_agreement": stats.get("agreement"), f"{m}_kappa": stats.get("kappa"),
                    f"{m}_format": stats.get("format_compliance"), f"{m}_constant": stats.get("constant")}
        rows.append(row)
    has_verdicts = any("wins" in q for q in metrics["by_question"])
    columns = (["type", "q", "key", "kind"] + (verdict_columns if has_verdicts else []) + ["teacher_constant"]
               + [f"{m}_{k}" for m in answerers for k in ("agreement", "kappa", "format", "constant")])
    return pd.DataFrame(rows, columns=columns)


def answerer_frame(block: Mapping[str, Any]):
    """One row per answerer (base, fine-tuned, the majority baseline) of a summary block: teacher
    agreement, mean kappa, format compliance, constant questions and, for the fine-tuned student,
    the lift over the baseline with its interval."""
    import pandas as pd

    rows = {}
    lift = block.get("agreement_lift") or {}
    low, high = interval(lift, "ci95")
    for m in ANSWERERS:
        if m not in (block.get("teacher_agreement") or {}):
            continue
        constants = (block.get("constant_questions") or {}).get(m)
        rows[m] = {
            "teacher_agreement": block["teacher_agreement"].get(m),
            "mean_kappa": (block.get("mean_kappa") or {}).get(m),
            "format_compliance": (block.get("format_compliance") or {}).get(m),
            "complete_answers": (block.get("complete_answers") or {}).get(m),
            "constant_questions": None if constants is None else len(constants),
            "lift_over_majority": lift.get("value") if m == "finetuned" else None,
            "lift_ci_low": low if m == "finetuned" else None,
            "lift_ci_high": high if m == "finetuned" else None,
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "answerer"
    return frame
