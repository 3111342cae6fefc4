"""More data like the training data: the teacher writes new comments from seed comments, then labels them.

This module owns the writing pass, the screening of new comments (duplicates and contamination) and
the card of a synthetic export. Talking to the endpoint (rate limits, retries, the resumable raw log,
usage and cost) is `utils.teacher.Labeller`'s, shared with one more pass name, "write"; the new
comments are then answered and scored exactly as `utils.teacher` labels a user's comments. Step 1
reads the export unchanged as an extra export (<TYPE>_EXTRA_SDS_FILES: training data only).

    python -m utils.synth --type vendor --count 100 --output Data/synthetic/VendorComments_more.json \\
        [--focus 3,5] --set TEACHER_ENDPOINT_URL=https://host/v1 --set TEACHER_MODEL=my-model
    # then: --set VENDOR_EXTRA_SDS_FILES='["Data/synthetic/VendorComments_more.json"]' for Steps 1-3

Seeds are comments of Step 1's training file of the type only (never evaluation or gold comments),
drawn without replacement with `random.Random(SEED)`. One request per seed: the writer sees the seed
and the questions to make clear (`focus`: the loop passes the ones the student got wrong on it) and
writes one new comment (SYNTH_TEMPERATURE, SYNTH_MAX_TOKENS, the request's `seed` = SEED). A reply
that is not a comment (empty, under MIN_WORDS words, or the answers instead) is asked once more.

Every new comment is screened in this order; the first match drops it and is counted in the card.
A match is the same text (whitespace and case aside) or a word 3-gram Jaccard of at least
NEAR_DUP_THRESHOLD (utils.data's near-duplicate test; None: exact matches only):
  eval_contaminated     an evaluation comment of Step 1 (any type)
  gold_contaminated     a gold comment (GOLD_FILE)
  duplicate_of_data     any comment of the type's main export (training, evaluation and unused)
  duplicate_of_earlier  a comment of an earlier extra export of the type (earlier rounds)
  duplicate_in_batch    a new comment kept before it in this batch
What is left is answered and scored, as `utils.teacher` does. Files, beside the export:

  <out>.json                 the SDS evaluated export of the kept comments, in seed order
  <out>_teacher_raw.jsonl    every reply: "write" rows (id = the new comment's), answer and judge rows
  <out>_teacher_usage.json   the usage of the three passes
  <out>_card.json            seeds, counts, every dropped comment with what it matched, usage
                             (`utils.data.extra_card_path`; Step 1 copies it into the data card)

A run killed midway is resumed by the same command: no seed is written from twice, no new comment
asked twice; the same inputs and settings give the same files.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Sequence, Union

from Config.Config import (Config, ConfigError, add_config_arguments, extra_sds_key, load_config,
                           parse_set_args)
from utils.data import extra_card_path, load_export, near_duplicate_pairs, normalize
from utils.files import read_json, read_jsonl, repair_jsonl, write_json
from utils.paths import eval_file, train_file
from utils.sds import load_sds
from utils.tasks import COMMENT_TYPE_LABELS, parse_answers_detailed, questions
from utils.teacher import (PARSE_ATTEMPTS, Comment, EndpointSettings, Labeller, RetryableError, TeacherEndpointError,
                           TeacherInputError, Usage, raw_log_path, replay, request_fingerprint, teacher_settings)

SCREEN_STAGES = ("eval_contaminated", "gold_contaminated", "duplicate_of_data", "duplicate_of_earlier",
                 "duplicate_in_batch")
MIN_WORDS = 5  # a shorter reply is not a support comment
SYNTH_TOPIC = "synthetic"  # the SDS topic of every new pair
WRITER_SYSTEM_PROMPT = (
    "You write realistic comments from {vendor} support cases for a training set. You are shown one "
    "comment from a case; write one new support comment of the same kind: the same kind of writer, tone "
    "and length, but a different case, with its own product details, symptoms, versions and wording. "
    "Never copy sentences from the example. Reply with the new comment only: no title, no quotes, no notes."
)


@dataclass(frozen=True)
class Seed:
    """A training comment to write a new one from; `focus`: question numbers the new one should make clear."""

    id: str
    type: str
    text: str
    focus: tuple[int, ...] = ()


@dataclass
class _Write:
    """Where one seed's new comment stands, rebuilt from the raw log."""

    seed: Seed
    comment: Comment  # id: the new comment's; text: the seed's (what the request is about)
    messages: list[dict]
    fingerprint: str
    text: Optional[str] = None
    attempts: int = 0
    reason: Optional[str] = None


@dataclass
class SynthResult:
    """What one synthesis run made: the export, its card and the usage of all three passes."""

    output: Path
    export: dict
    card: dict
    usage: Usage = field(repr=False)


# ================================================================================ prompts and parsing
def writer_settings(cfg: Config) -> EndpointSettings:
    """The teacher endpoint with the writing pass's sampling settings (checked like the teacher's)."""
    return replace(teacher_settings(cfg), temperature=cfg.SYNTH_TEMPERATURE, max_tokens=cfg.SYNTH_MAX_TOKENS,
                   seed=cfg.SEED)


def writer_messages(seed: Seed, cfg: Config) -> list[dict]:
    """The writer's conversation: the seed between <<< >>> and the questions the new comment should make clear."""
    label = COMMENT_TYPE_LABELS[seed.type]
    by_number = {q.number: q for q in questions(seed.type)}
    focus = ""
    if seed.focus:
        asked = "; ".join(f"{n}. {by_number[n].render(cfg.VENDOR_NAME)}" for n in seed.focus if n in by_number)
        focus = (" Let a reader answer these questions about it from what it says, with answers that differ from "
                 f"the example's where it fits the new case: {asked}")
    user = (f"Example {label}:\n<<<\n{seed.text.strip()}\n>>>\n\nWrite one new {label} from another "
            f"{cfg.VENDOR_NAME} support case, about as long as the example.{focus}\nReply with the new comment only.")
    return [{"role": "system", "content": WRITER_SYSTEM_PROMPT.format(vendor=cfg.VENDOR_NAME)},
            {"role": "user", "content": user}]


def parse_new_comment(reply: str, comment_type: str) -> tuple[Optional[str], Optional[str]]:
    """(the new comment, None), or (None, why the reply is not one)."""
    text = (reply or "").strip()
    if text.startswith("```"):  # a fenced block: drop the fence lines
        lines = text.splitlines()
        text = "\n".join(lines[1:] if len(lines) > 1 else lines).strip().strip("`").strip()
    text = text.removeprefix("<<<").removesuffix(">>>").strip()
    for label in ("New comment:", "Comment:"):
        if text.lower().startswith(label.lower()):
            text = text[len(label):].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    if not text:
        return None, "new comment is empty"
    if len(text.split()) < MIN_WORDS:
        return None, f"new comment is too short ({len(text.split())} words, at least {MIN_WORDS})"
    if parse_answers_detailed(text, comment_type).complete:
        return None, "the reply answers the questions instead of writing a comment"
    return text, None


def new_id(seed: Seed) -> str:
    """The new comment's id in the raw log: one per seed, so a seed is written from once per export."""
    return f"new-{seed.id}"


# ================================================================================ seeds and references
def draw_seeds(records: Sequence[dict], count: int, seed: int, exclude: Sequence[str] = (),
               focus: Sequence[int] = ()) -> list[Seed]:
    """`count` training records (Step 1 records) drawn without replacement, those in `exclude` left out."""
    skip = set(exclude)
    pool = [r for r in records if r["id"] not in skip]
    picked = random.Random(seed).sample(pool, min(count, len(pool)))
    return [Seed(r["id"], r["type"], r["Comment"], tuple(focus)) for r in picked]


def reference_comments(cfg: Config, comment_type: str, output: Optional[Path] = None
                       ) -> dict[str, list[tuple[str, str]]]:
    """(id, comment) pairs per screening stage (but the last): what a new comment may not repeat.

    Needs Step 1's evaluation files. The type's main export is read whole; earlier extra exports are
    those its <TYPE>_EXTRA_SDS_FILES list, `output` itself left out.
    """
    evaluation = []
    for ctype in cfg.COMMENT_TYPES:
        path = eval_file(cfg, ctype)
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: run Step 1 first; new comments are screened against "
                                    "its evaluation comments.")
        evaluation += [(r["id"], r["Comment"]) for r in read_json(path)]
    gold = []
    if cfg.GOLD_FILE:
        from utils.gold import load_gold

        gold = [(g["id"], g["comment"]) for g in load_gold(cfg.path(cfg.GOLD_FILE))]
    data = [(f"{comment_type}-{p.index:05d}", p.comment) for p in load_export(cfg, comment_type).pairs]
    earlier = []
    for value in getattr(cfg, extra_sds_key(comment_type), ()):
        path = cfg.path(value)
        if output is not None and path.resolve() == Path(output).resolve():
            continue
        export = load_sds(path, fmt=cfg.SDS_FORMAT, topic_key=cfg.SDS_TOPIC_KEY, prompt_key=cfg.SDS_PROMPT_KEY,
                          completion_key=cfg.SDS_COMPLETION_KEY, config_key=extra_sds_key(comment_type))
        earlier += [(f"{comment_type}-{path.stem}-{p.index:05d}", p.comment) for p in export.pairs]
    return {"eval_contaminated": evaluation, "gold_contaminated": gold, "duplicate_of_data": data,
            "duplicate_of_earlier": earlier}


def screen(new: Sequence[tuple[str, str]], references: dict[str, Sequence[tuple[str, str]]],
           threshold: Optional[float]) -> tuple[list[str], list[dict]]:
    """Which new comments (id, text) are kept: (kept ids in order, one reject per dropped comment).

    A reject is {"id", "stage", "matched", "jaccard", "comment"}: the first stage of SCREEN_STAGES
    that matches (exact: jaccard 1.0), against the reference or earlier kept comment it matched.
    """
    refs = [(stage, rid, text) for stage in SCREEN_STAGES[:-1] for rid, text in references.get(stage, ())]
    rank = {stage: i for i, stage in enumerate(SCREEN_STAGES)}
    exact: dict[str, tuple[str, str]] = {}
    for stage, rid, text in refs:
        exact.setdefault(normalize(text), (stage, rid))
    near: dict[int, list[tuple[int, float]]] = {}
    if threshold is not None:
        for i, j, jac in near_duplicate_pairs([t for _, _, t in refs] + [t for _, t in new], threshold):
            if j >= len(refs):
                near.setdefault(j - len(refs), []).append((i, jac))
    kept: list[str] = []
    kept_keys: dict[str, str] = {}
    alive = [False] * len(new)
    rejects = []
    for j, (nid, text) in enumerate(new):
        hits = []  # (stage rank, -jaccard, stage, matched id)
        key = normalize(text)
        if key in exact:
            hits.append((rank[exact[key][0]], -1.0, *exact[key]))
        if key in kept_keys:
            hits.append((rank["duplicate_in_batch"], -1.0, "duplicate_in_batch", kept_keys[key]))
        for i, jac in near.get(j, ()):
            if i < len(refs):
                hits.append((rank[refs[i][0]], -jac, refs[i][0], refs[i][1]))
            elif alive[i - len(refs)]:
                hits.append((rank["duplicate_in_batch"], -jac, "duplicate_in_batch", new[i - len(refs)][0]))
        if hits:
            _, neg, stage, matched = min(hits)
            rejects.append({"id": nid, "stage": stage, "matched": matched, "jaccard": round(-neg, 4), "comment": text})
            continue
        alive[j] = True
        kept.append(nid)
        kept_keys.setdefault(key, nid)
    return kept, rejects


# ================================================================================ the run
def synthesize(cfg: Config, seeds: Sequence[Seed], output: Union[str, Path], progress: bool = True,
               extra_card: Optional[dict] = None) -> SynthResult:
    """Write one new comment per seed, screen them, label and score the kept ones; write the export and card.

    `extra_card` adds keys to the card (the loop: its round and the weak questions).
    """
    output = Path(output)
    types = {s.type for s in seeds}
    if len(types) != 1:
        raise TeacherInputError(f"{output}: the seeds must be of one comment type (got {sorted(types) or 'none'}); "
                                "one export feeds one type's training data.")
    comment_type = types.pop()
    start = time.monotonic()
    references = reference_comments(cfg, comment_type, output)
    labeller = Labeller(cfg, output, progress=progress)
    writer = writer_settings(cfg)
    endpoint = labeller.endpoint(writer, labeller.usage.write)

    writes = []
    for s in seeds:
        comment = Comment(new_id(s), s.type, s.text)
        messages = writer_messages(s, cfg)
        fp = request_fingerprint("write", comment, messages, writer, writer.seed)
        writes.append(_Write(s, comment, messages, fp))
    repair_jsonl(labeller.raw)
    rows = [r for r in read_jsonl(labeller.raw) if r.get("pass") == "write"]
    by_id: dict[str, list[dict]] = {}
    for row in rows:
        by_id.setdefault(str(row.get("id")), []).append(row)
    for w in writes:
        w.text, w.attempts, w.reason = replay(by_id.get(w.comment.id, []), w.fingerprint,
                                              lambda r, t=comment_type: parse_new_comment(r, t))
    failed: set[str] = set()

    def write(w: _Write) -> None:
        try:
            w.text, w.attempts, w.reason = labeller.run_pass(endpoint, w.comment, "write", w.fingerprint, w.messages,
                                                             w.attempts, lambda r: parse_new_comment(r, comment_type))
            if w.text is None:
                labeller.count_reject("write", w.reason)
        except RetryableError as err:  # written on the next run
            labeller.count_failure("write", err)
            failed.add(w.comment.id)

    todo = [w for w in writes if w.text is None and w.attempts < PARSE_ATTEMPTS]
    labeller.run_all([lambda w=w: write(w) for w in todo], len(writes), "writing new comments", start)

    written = [(w.comment.id, w.text) for w in writes if w.text is not None]
    kept_ids, rejects = screen(written, references, cfg.NEAR_DUP_THRESHOLD)
    by_new = {w.comment.id: w for w in writes}
    kept = set(kept_ids)
    comments = [Comment(w.comment.id, comment_type, w.text, SYNTH_TOPIC) for w in writes if w.comment.id in kept]
    export = labeller.run(comments, start=start)

    counts = Counter(r["stage"] for r in rejects)
    card = {
        "made_by": "utils.synth",
        "type": comment_type,
        "export": output.name,
        "seed": cfg.SEED,
        "near_dup_threshold": cfg.NEAR_DUP_THRESHOLD,
        **(extra_card or {}),
        "counts": {"seeds": len(seeds), "written": len(written),
                   "unusable": sum(w.text is None and w.attempts >= PARSE_ATTEMPTS for w in writes),
                   "failed": len(failed), **{s: counts.get(s, 0) for s in SCREEN_STAGES}, "kept": len(kept_ids),
                   "resumed": len(writes) - len(todo)},
        "labelled": dict(labeller.usage.exported),
        "references": {stage: len(items) for stage, items in references.items()},
        "seeds": [{"seed": w.seed.id, "new": w.comment.id, "focus": list(w.seed.focus)} for w in writes],
        "rejects": [{**r, "seed": by_new[r["id"]].seed.id} for r in rejects],
        "writer": writer.public,
        "usage": labeller.usage.to_dict(),
    }
    write_json(extra_card_path(output), card)
    return SynthResult(output, export, card, labeller.usage)


def summary(result: SynthResult) -> str:
    """The counts line and the usage summary the command line prints."""
    c = result.card["counts"]
    screened = ", ".join(f"{c[s]} {s}" for s in SCREEN_STAGES)
    return (f"Synthesis: {c['seeds']} seeds, {c['written']} new comments written ({c['unusable']} unusable, "
            f"{c['failed']} failed); dropped {screened}; {c['kept']} kept and labelled\n" + result.usage.summary())


# ================================================================================ command line
def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.synth",
                                     description="Write new comments like Step 1's training comments, then label them.")
    parser.add_argument("--type", required=True, choices=sorted(COMMENT_TYPE_LABELS), help="comment type")
    parser.add_argument("--count", type=int, default=None, help="seeds to draw (default SYNTH_PER_ROUND)")
    parser.add_argument("--output", required=True,
                        help="the export to write, e.g. Data/synthetic/VendorComments_more.json")
    parser.add_argument("--focus", default="", help="question numbers the new comments should make clear, e.g. 3,5")
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.profile, parse_set_args(args.set))
        focus = tuple(int(n) for n in args.focus.split(",") if n.strip())
        path = train_file(cfg, args.type)
        if not path.exists():
            raise TeacherInputError(f"{path} does not exist: run Step 1 first; seeds come from its training file.")
        seeds = draw_seeds(read_json(path), args.count or cfg.SYNTH_PER_ROUND, cfg.SEED, focus=focus)
        result = synthesize(cfg, seeds, cfg.path(args.output), progress=not args.no_progress)
    except (TeacherInputError, ConfigError, TeacherEndpointError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary(result))
    print(f"Wrote {result.output} (card: {extra_card_path(result.output)}, raw replies: {raw_log_path(result.output)})")
    print(f"Train on it: --set {extra_sds_key(args.type)}='{json.dumps([str(args.output)])}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
