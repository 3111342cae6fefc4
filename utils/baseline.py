"""The no-model baseline: what an answerer scores that learned each question's usual answer and
nothing about the comment in front of it.

This module owns the `majority` answerer of Step 3. It is built from Step 1's training files
only, never from evaluation or gold comments:

  BOOL, SCORE  each question's most common teacher answer in the training file (a tie goes to the
               smaller value, so the choice does not depend on record order);
  TEXT         the one training summary with the highest mean ROUGE-L F1 to the other training
               summaries of its type, over a seeded sample of MAJORITY_TEXT_SAMPLE of them (the
               "most typical" summary: what a model that ignores the comment would do best to write).

It is given to every evaluation and gold comment of its type, scored by the same code as the two
students (`utils.metrics`), and judged against the base like the fine-tuned student where the judge
needs no model. A student that learned only the answer format and each question's usual value
scores what this baseline scores; Step 3's check asks for more.

    >>> answers = majority_answers(cfg)      # {"vendor": {1: 1, 2: 3, ..., 11: "..."}, "customer": {...}}

No model library is imported here.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Mapping, Sequence

from Config.Config import Config
from utils.files import read_json
from utils.judge import as_int, rouge_l
from utils.paths import require, train_file
from utils.tasks import AnswerValue, parse_answers, questions


def most_common(values: Sequence[Any]) -> Any:
    """The most common value; a tie goes to the smallest, None when there is no value."""
    counts = Counter(v for v in values if v is not None)
    if not counts:
        return None
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best)


def typical_text(texts: Sequence[str], sample: int, seed: int) -> str | None:
    """The text with the highest mean ROUGE-L F1 to the others, among a seeded sample of them."""
    pool = sorted({t for t in texts if t and t.strip()})
    if not pool:
        return None
    if len(pool) > sample:
        pool = random.Random(seed).sample(pool, sample)
    if len(pool) == 1:
        return pool[0]
    scores = {t: 0.0 for t in pool}
    for i, a in enumerate(pool):
        for b in pool[i + 1:]:
            score = rouge_l(a, b)  # F1 is symmetric: one computation serves both texts
            scores[a] += score
            scores[b] += score
    return max(pool, key=lambda t: (scores[t], t))


def majority_from_records(records: Sequence[Mapping[str, Any]], comment_type: str, sample: int,
                          seed: int) -> dict[int, AnswerValue]:
    """The baseline's answers to every question of a type, from training records (`Completion`)."""
    parsed = [parse_answers(r["Completion"], comment_type) for r in records]
    out: dict[int, AnswerValue] = {}
    for q in questions(comment_type):
        values = [p.get(q.number) for p in parsed]
        if q.kind == "TEXT":
            out[q.number] = typical_text([v for v in values if isinstance(v, str)], sample, seed)
        else:
            out[q.number] = most_common([as_int(v) for v in values])
    return out


def majority_answers(cfg: Config) -> dict[str, dict[int, AnswerValue]]:
    """The baseline's answers per comment type, from Step 1's training files."""
    out = {}
    for comment_type in cfg.COMMENT_TYPES:
        path = require(train_file(cfg, comment_type), "Step 1 (1_Data_Preparation.ipynb)",
                       "the majority baseline is built from its training file")
        out[comment_type] = majority_from_records(read_json(path), comment_type, cfg.MAJORITY_TEXT_SAMPLE, cfg.SEED)
    return out
