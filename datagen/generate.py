"""The demo SDS exports: comments with teacher answers, wrapped the way Synthetic Data Studio writes them.

    python -m datagen [--out Data] [--seed 1234]   # writes VendorComments.json, CustomerComments.json
    python -m datagen --check                      # regenerate in memory, compare bytes, exit 1 if not equal
    python -m datagen --stats                      # realism figures, label shares, Step 1's funnel

This module owns the export around the comments (topics, scores, justifications, the noise that
gives Step 1's filters work) and the command line. The comments and their answers come from
`datagen.compose`; the statistics from `datagen.stats`. The files are committed, and the generator
reproduces them byte for byte: one `random.Random` per comment type, seeded from a string, no
clock, no set or hash ordering.

The shape (an SFT *evaluated* export, the shape `utils.sds` calls `sft_evaluated`):

    {"<topic>": {"average_score": 4.62, "min_score": 0, "max_score": 5,
                 "evaluated_pairs": [{"question": comment, "solution": "1. 1\\n2. 3\\n...",
                                      "evaluation": {"score": 5, "justification": "..."}},
                                     {"Prompt": comment, "Completion": "...",          # the judge call failed:
                                      "evaluation": {"score": 0, "justification": "Error during evaluation"}}],
                 "failed_pairs": [{"error": "Error processing future result: ...",
                                   "pair": {"Prompt": comment, "Completion": "..."}}],
                 "total_evaluated": 212, "total_failed": 1},
     ...,
     "Overall_Average": 4.58}

Noise, so that every filter of Step 1 has work (the shares are exact per file, see NOISE):
  * low teacher scores (1 to 4.9) carrying deliberately wrong answers, and score 0 pairs whose
    judge gave no score ("did not generate valid score and justification");
  * evaluation errors in SDS's real shape: the pair under the generation keys Prompt/Completion
    with score 0 and an "Error ..." justification (Step 1: a low_score reject);
  * failed pairs in `failed_pairs`, `{"error", "pair"}` with the pair under Prompt/Completion
    (Step 1: failed_pairs rejects);
  * exact duplicates of kept comments (some with whitespace or letter-case changes);
  * invalid answers under a high score (a missing line, `2. 7`, `4. maybe`, an empty summary, cut off);
  * pairs without an evaluation or without a score; a topic named "null".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from datagen import phrases as P
from datagen.catalog import PRODUCTS
from datagen.compose import LINK_KINDS, Comment, Writer
from datagen.grammar import cap, expand, pick, weighted
from utils.files import write_json
from utils.tasks import format_answers, questions

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = 1234
SIZES = {"vendor": 2600, "customer": 2200}  # evaluated pairs per file, noise included (~84% survive Step 1)
FILES = {"vendor": "VendorComments.json", "customer": "CustomerComments.json"}
JSON_INDENT = 1
NOISE = {"low": 0.11, "unscored": 0.006, "evaluation_error": 0.006, "dup": 0.025, "invalid": 0.015, "noeval": 0.004}
NULL_TOPIC_SHARE = 0.03  # pairs filed under the topic "null"
# Comments with a URL. Real teacher-written ones almost never hold one (vendor 0.2%, customer 0%), but
# with so few the student never sees a link question answered "yes" (0.2% of 600 training comments
# per type is one): 3% and 2.5%, within a few points of the real shares, give it ~18 and ~15 per type.
LINK_RATE = {"vendor": 0.03, "customer": 0.025}
LOW_SCORES = {1: 8, 2: 14, 3: 22, 3.5: 6, 4: 22, 4.5: 10, 4.9: 10}
TOPIC_ORDER = ([p.topic for p in PRODUCTS] + ["Case follow-ups and scheduling", "Status requests and escalations", "null"])


class _Export:
    """Builds one export: draws comments, gives each its role, and wraps them in topics."""

    def __init__(self, comment_type: str, seed: int, vendor: str):
        self.ctype = comment_type
        self.qs = questions(comment_type)
        self.rng = random.Random(f"kd-demo-data:{comment_type}:{seed}")
        self.writer = Writer(comment_type, self.rng, vendor)
        self.seen: set[str] = set()
        self.links = 0  # comments given a URL so far

    def p(self, prob: float) -> bool:
        return self.rng.random() < prob

    def say(self, template: str) -> str:
        return expand(template, self.rng, {})

    def fresh(self) -> Comment:
        """A comment whose normalised text has not been drawn before."""
        while True:
            link = None
            if self.p(LINK_RATE[self.ctype]):  # the kinds in turn, so each one occurs
                link = LINK_KINDS[self.links % len(LINK_KINDS)]
                self.links += 1
            comment = self.writer.comment(link)
            key = _norm(comment.text)
            if key not in self.seen:
                self.seen.add(key)
                return comment

    def answers(self, comment: Comment) -> dict[int, Any]:
        return {q.number: comment.labels[q.key] for q in self.qs}

    def good_evaluation(self) -> dict:
        return {"score": 5 if self.p(0.8) else 4.95, "justification": self.say(pick(self.rng, P.GOOD_JUSTIFICATIONS))}

    # ------------------------------------------------------------------ one pair per role
    def pair(self, role: str, comment: Comment) -> dict:
        answers = self.answers(comment)
        solution = format_answers(answers, self.ctype)
        if role == "good":
            return {"question": comment.text, "solution": solution, "evaluation": self.good_evaluation()}
        if role == "low":
            wrong, note = self.corrupt(answers)
            return {"question": comment.text, "solution": format_answers(wrong, self.ctype),
                    "evaluation": {"score": weighted(self.rng, LOW_SCORES), "justification": note}}
        if role == "unscored":  # the judge answered without a score: SDS writes 0
            return {"question": comment.text, "solution": solution,
                    "evaluation": {"score": 0, "justification": P.UNSCORED_JUSTIFICATION}}
        if role == "evaluation_error":  # the judge call failed: SDS keeps the generation keys
            return {"Prompt": comment.text, "Completion": solution,
                    "evaluation": {"score": 0, "justification": pick(self.rng, P.EVALUATION_ERRORS)}}
        if role == "invalid":
            return {"question": comment.text, "solution": self.invalid_solution(answers),
                    "evaluation": self.good_evaluation()}
        if role == "noeval":
            pair: dict[str, Any] = {"question": comment.text, "solution": solution}
            which = self.rng.randrange(3)
            if which == 1:
                pair["evaluation"] = {"justification": "The evaluation did not return a score."}
            elif which == 2:
                pair["evaluation"] = {"score": None, "justification": "Score missing in the judge response."}
            return pair
        raise ValueError(role)

    def corrupt(self, answers: dict[int, Any]) -> tuple[dict[int, Any], str]:
        """Answers with 1-3 wrong values (and sometimes a useless summary), and the judge's note."""
        scored = [q for q in self.qs if q.kind != "TEXT"]
        picked = sorted(self.rng.sample(scored, weighted(self.rng, {1: 45, 2: 35, 3: 20})), key=lambda q: q.number)
        new = dict(answers)
        notes = []
        for q in picked:
            if q.kind == "BOOL":
                new[q.number] = 1 - new[q.number]
            else:
                new[q.number] = pick(self.rng, [x for x in range(q.low, q.high + 1) if x != answers[q.number]])
            notes.append(f"answer {q.number} ({q.key}) should be {answers[q.number]}, not {new[q.number]}")
        if self.p(0.25):
            new[self.qs[-1].number] = pick(self.rng, P.BAD_SUMMARIES)
            notes.append("the summary misses the technical facts")
        return new, cap("; ".join(notes)) + "."

    def invalid_solution(self, answers: dict[int, Any]) -> str:
        """Answers that no parser should accept, whatever the score says."""
        lines = format_answers(answers, self.ctype).split("\n")
        scored = [q for q in self.qs if q.kind != "TEXT"]
        kind = pick(self.rng, ["missing", "range", "nonnum", "empty_summary", "truncated"])
        if kind == "missing":
            del lines[self.rng.randrange(len(lines) - 1)]
        elif kind == "range":
            q = pick(self.rng, scored)
            lines[q.number - 1] = f"{q.number}. {q.high + self.rng.randint(1, 5)}"
        elif kind == "nonnum":
            q = pick(self.rng, scored)
            lines[q.number - 1] = f"{q.number}. {pick(self.rng, P.NONNUMBERS)}"
        elif kind == "empty_summary":
            lines[-1] = f"{len(lines)}."
        else:
            lines = lines[: self.rng.randint(2, len(lines) - 2)]
        return "\n".join(lines)

    def duplicate_text(self, text: str) -> tuple[str, str]:
        """An exact copy, or one with whitespace or letter-case changes."""
        which = weighted(self.rng, {"exact": 50, "space": 25, "case": 25})
        if which == "space":
            return pick(self.rng, [text + "\n", "  " + text, text.replace(". ", ".  ", 1),
                                   text.replace("\n\n", "\n \n", 1) + " "]), which
        if which == "case":
            return pick(self.rng, [text.lower(), text.upper(), text[:1].swapcase() + text[1:]]), which
        return text, which

    # ------------------------------------------------------------------ the export
    def build(self, n_pairs: int) -> dict:
        R = self.rng
        n_dup = round(n_pairs * NOISE["dup"])
        counts = {role: max(1, round(n_pairs * share)) for role, share in NOISE.items() if role != "dup"}
        roles = [role for role, k in counts.items() for _ in range(k)]
        roles += ["good"] * (n_pairs - n_dup - len(roles))
        R.shuffle(roles)
        items: list[list] = []  # [topic, pair, role]
        for role in roles:
            comment = self.fresh()
            items.append([comment.topic, self.pair(role, comment), role])
        for it in items:  # a few pairs whose topic was lost
            if R.random() < NULL_TOPIC_SHARE:
                it[0] = "null"
        # duplicates of kept comments, placed after their original; a copy that is not byte-identical
        # stays in the original's topic, so the original is always met first
        originals = R.sample([i for i, it in enumerate(items) if it[2] == "good"], n_dup)
        copies = []
        for i in originals:
            topic, pair, _ = items[i]
            text, kind = self.duplicate_text(pair["question"])
            copy = {"question": text, "solution": pair["solution"], "evaluation": self.good_evaluation()}
            if kind == "exact" and self.p(0.4):
                topic = R.choice(items)[0]
            copies.append((id(pair), [topic, copy, "dup"]))
        for anchor, item in copies:
            pos = next(k for k, it in enumerate(items) if id(it[1]) == anchor)
            items.insert(R.randint(pos + 1, len(items)), item)
        failed: dict[str, list] = {}
        used = [t for t in TOPIC_ORDER if any(it[0] == t for it in items)]
        for _ in range(max(2, min(8, n_pairs // 400))):
            comment = self.fresh()
            completion = format_answers(self.answers(comment), self.ctype) if self.p(0.6) else ""
            failed.setdefault(R.choice(used), []).append(
                {"error": pick(self.rng, P.FAILED_PAIR_ERRORS), "pair": {"Prompt": comment.text, "Completion": completion}})
        export: dict[str, Any] = {}
        all_scores: list[float] = []
        for topic in TOPIC_ORDER:
            pairs = [it[1] for it in items if it[0] == topic]
            if not pairs and topic not in failed:
                continue
            scores = [p["evaluation"]["score"] for p in pairs
                      if isinstance(p.get("evaluation"), dict) and isinstance(p["evaluation"].get("score"), (int, float))]
            all_scores += scores
            export[topic] = {
                "average_score": round(sum(scores) / len(scores), 2) if scores else 0.0,
                "min_score": min(scores) if scores else 0,
                "max_score": max(scores) if scores else 0,
                "evaluated_pairs": pairs,
                "failed_pairs": failed.get(topic, []),
                "total_evaluated": len(pairs),
                "total_failed": len(failed.get(topic, [])),
            }
        export["Overall_Average"] = round(sum(all_scores) / len(all_scores), 2) if all_scores else 0.0
        return export


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


# =============================================================================== public functions
def generate_export(comment_type: str, n_pairs: int, seed: int, vendor: str = "Cloudera") -> dict:
    """One SDS evaluated export of `n_pairs` evaluated pairs (noise included), deterministic for a seed."""
    questions(comment_type)  # an unknown type is refused with the valid names
    if n_pairs < 40:
        raise ValueError(f"n_pairs must be at least 40 (got {n_pairs}) so every kind of noise fits")
    return _Export(comment_type, seed, vendor).build(n_pairs)


def generate_comments(comment_type: str, n: int, seed: int, vendor: str = "Cloudera") -> list[Comment]:
    """`n` distinct comments with their answers and traits, without the export around them."""
    gen = _Export(comment_type, seed, vendor)
    return [gen.fresh() for _ in range(n)]


def render_export(export: dict) -> str:
    """The exact bytes written to disk (as `utils.files.write_json` writes them)."""
    return json.dumps(export, indent=JSON_INDENT, ensure_ascii=False) + "\n"


def build_exports(seed: int = DEFAULT_SEED, vendor: str = "Cloudera",
                  sizes: Optional[dict[str, int]] = None) -> dict[str, dict]:
    """Both exports, by comment type."""
    sizes = sizes or SIZES
    return {t: generate_export(t, sizes[t], seed, vendor) for t in FILES}


def write_demo_data(out_dir: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write both exports atomically into `out_dir`; returns the paths written."""
    out = Path(out_dir)
    paths = []
    for t, export in build_exports(seed).items():
        path = write_json(out / FILES[t], export, indent=JSON_INDENT)
        path.chmod(0o644)  # the temporary file it came from was private
        paths.append(path)
    return paths


@lru_cache(maxsize=2)
def rendered_exports(seed: int = DEFAULT_SEED) -> dict[str, bytes]:
    """The bytes of both files for a seed (cached: building them takes a few seconds)."""
    return {t: render_export(export).encode("utf-8") for t, export in build_exports(seed).items()}


def check_demo_data(out_dir: str | Path, seed: int = DEFAULT_SEED) -> list[str]:
    """Regenerate in memory and compare bytes; returns a problem line per file that differs."""
    problems = []
    for t, want in rendered_exports(seed).items():
        path = Path(out_dir) / FILES[t]
        if not path.exists():
            problems.append(f"{path}: missing")
            continue
        have = path.read_bytes()
        if have != want:
            problems.append(f"{path}: differs from the generator (sha256 {hashlib.sha256(have).hexdigest()[:12]} on disk, "
                            f"{hashlib.sha256(want).hexdigest()[:12]} generated)")
    return problems


def pairs_of(export: dict) -> list[dict]:
    """Every evaluated pair of an export, in file order."""
    return [p for k, topic in export.items() if k != "Overall_Average" for p in topic["evaluated_pairs"]]


def comment_of(pair: dict) -> str:
    """The comment of an evaluated pair, under the SFT or the generation key."""
    return pair.get("question", pair.get("Prompt", ""))


# =============================================================================== command line
def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datagen", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(PROJECT_ROOT / "Data"), help="folder for the two exports (default: Data)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default: {DEFAULT_SEED})")
    parser.add_argument("--check", action="store_true", help="regenerate in memory and compare with the files on disk")
    parser.add_argument("--stats", action="store_true",
                        help="print the realism figures, the label shares and Step 1's funnel on the generated files")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.check:
        problems = check_demo_data(out, args.seed)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("Regenerate with: python -m datagen", file=sys.stderr)
            return 1
        print(f"OK: {', '.join(str(out / f) for f in FILES.values())} match the generator (seed {args.seed}).")
        return 0
    if args.stats:
        from datagen.stats import print_stats

        print_stats(build_exports(args.seed), args.seed)
        return 0
    for path in write_demo_data(out, args.seed):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
