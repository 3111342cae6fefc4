"""Step 1: the teacher's SDS exports become clean, deduplicated, seeded train and evaluation files.

This module owns the filtering funnel, the clean-up of the teacher's answer lines, exact and
near-duplicate detection, the length check, PII masking, the seeded split and the data card.
Reading an export's shape and records belongs to `utils.sds`; the questions, the prompt and the
answer parser to `utils.tasks`.

    >>> from Config.Config import load_config
    >>> from utils.data import prepare_data, funnel_frame
    >>> result = prepare_data(load_config("tiny"))
    >>> funnel_frame(result)            # one column per SDS file, one row per stage

The funnel of one SDS file, in order. Nothing leaves without a count and a reason:
  failed_pairs     failures SDS recorded itself (`failed_pairs`, `failed_rows`): never data; each
                   one written in the file is also a reject
  unreadable       records that are not a readable pair (not an object, no text under the keys, a
                   JSON Lines line that does not parse, a topic block holding only an error; see
                   `utils.sds`): rejects, never an abort
  input            the pairs read from the file; a pair leaves at the first stage below that drops it
  low_score        the score is missing or not a number, off SDS's 0-5 scale, 0 (SDS's mark of a
                   failed evaluation), or not strictly above SCORE_THRESHOLD (None keeps every
                   pair, scores unread)
  duplicate        the same comment after whitespace normalisation and case folding (first one stays)
  near_duplicate   word 3-gram Jaccard >= NEAR_DUP_THRESHOLD with a comment kept before it
  invalid_answers  the teacher's answers do not all parse (the reason lists each question's error),
                   a question is answered twice with different values, or the comment is empty
  too_long         Prompt + Completion is longer than MAX_LENGTH student tokens: the student could
                   not read it whole (counted as the data card counts, see `length_counter`)
  kept             input minus the five drops above (checked on every run)
  answers_cleaned  kept records whose answer text lost lines before parsing: numbered lines beyond
                   the task's last question (the parser would glue them onto the summary), or an
                   answer repeated with the same value; the data card lists each one
  pii_scrubbed     kept records whose text was masked (SCRUB_PII): changed, never dropped
  eval, train, unused   the split of the kept records
Every dropped record goes to `Data/rejects/<input stem>_rejects.json` with its stage and reason.

Extra exports (<TYPE>_EXTRA_SDS_FILES, e.g. `utils.synth`'s synthetic pairs) pass the same funnel
after the main export has been split, their duplicate stages also comparing with every comment
kept before them (the main export's, then earlier extras'), and join the merged training file
only: the per-type train and evaluation files, and so the split, the majority baseline and Step 3,
are the main export's alone. Their ids are `<type>-<extra stem>-<index>`; their funnels (and the
card `utils.synth` wrote beside each, `extra_card_path`) go into the data card under `extra_files`.
Beyond a file `utils.sds` cannot read at all, a file fails only when fewer than two usable
comments are left; the message holds the funnel, the most common reasons and the setting to change.

A kept record, as written to `Data/<input stem>_Train_Clean.json` and `..._Evaluation_Clean.json`:

    {"id": "vendor-00042",
     "type": "vendor",
     "Comment": "The NameNode fails over every hour since the upgrade to 7.1.9 ...",
     "Prompt": "A Cloudera support-engineer comment. Answer each question on its own line ...",
     "Completion": "1. 1\\n2. 2\\n3. 2\\n...\\n11. NameNode failover loop after the 7.1.9 upgrade."}

Decisions
  * `id` is the comment type and the record's position in its export (failed pairs not counted,
    unreadable records counted, as `utils.sds` numbers them), so it stays the same while the
    export does and points back into it. A reject with no position (a failed pair, a whole topic
    block) is `<type>-failed-<k>` or `<type>-topic-<k>`.
  * `Completion` is the teacher's answers re-written by `utils.tasks.format_answers`: one `N. value`
    line per question, whatever markdown or spacing the teacher used, so the student learns one format.
  * Duplicates are judged on the text the student will see: with SCRUB_PII on, after masking, so
    masking can never make a training comment equal to an evaluation comment.
  * Near-duplicates are found exactly, without sampling: prefix filtering over rare-first 3-grams
    proposes every pair that can reach the threshold, and exact Jaccard decides.
  * Length is checked before the split, so an unreadable comment is dropped from evaluation as
    well as from training (Step 2 would only have dropped it from training).
  * The split shuffles with `random.Random(SEED)` per type, carves the evaluation set out first, and
    both files keep the shuffled order: Step 2 holds out the tail of the training file as its dev
    set and EVAL_LIMIT takes the head of the evaluation file, so neither may follow topic order.
"""

from __future__ import annotations

import ipaddress
import math
import random
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from Config.Config import Config, extra_sds_key, sds_file_key
from utils.paths import data_card_file, eval_file, merged_train_file, rejects_file, train_file
from utils.files import file_sha256, library_versions, write_json
from utils.sds import SCORE_SCALE, FAILED_SCORE, SDSExport, SDSPair, Unusable, load_sds, require_scores
from utils.tasks import _NUMBERED as _ANSWER_LINE  # the parser's own test of "this line opens answer N"
from utils.tasks import build_prompt, format_answers, parse_answers, parse_answers_detailed, questions

READ_STAGES = ("failed_pairs", "unreadable")  # records that never became pairs
DROP_STAGES = ("low_score", "duplicate", "near_duplicate", "invalid_answers", "too_long")
REJECT_STAGES = READ_STAGES + DROP_STAGES
SPLIT_STAGES = ("eval", "train", "unused")
ID_SCHEME = "<type>-<index>: the record's position in its SDS export, failed pairs not counted"
BYTES_PER_TOKEN = 3  # the length estimate before Step 0: SmolLM2's tokenizer reads 2.6-3 bytes/token here


class DataError(ValueError):
    """Data that cannot give a usable split, or a broken guarantee; the message names the file."""


@dataclass
class ExtraData:
    """One extra export of a type: its funnel and the records it adds to the merged training file."""

    source: Path
    sha256: str
    format: str
    shape: str
    funnel: dict[str, int]
    kept: list[dict]
    rejects: list[dict]
    rejects_path: Path
    card: Optional[dict] = None  # what made the export (`extra_card_path`), when its maker wrote one


@dataclass
class TypeData:
    """Everything Step 1 made from one comment type's SDS export."""

    comment_type: str
    source: Path
    sha256: str
    format: str  # "evaluated" or "generation"
    topics: int
    funnel: dict[str, int]
    kept: list[dict]
    rejects: list[dict]
    train: list[dict] = field(default_factory=list)
    eval: list[dict] = field(default_factory=list)
    shape: str = ""  # the SDS shape detected (utils.sds.SHAPES)
    container: str = "json"  # "json" or "jsonl"
    keys: dict[str, int] = field(default_factory=dict)  # "comment key -> answers key": pairs read so
    notes: list[str] = field(default_factory=list)  # what utils.sds read in an unusual way
    cleaned: dict[str, list[str]] = field(default_factory=dict)  # kept id -> answer lines removed
    extras: list[ExtraData] = field(default_factory=list)  # extra exports: training records only

    @property
    def extra_train(self) -> list[dict]:
        return [rec for e in self.extras for rec in e.kept]


@dataclass
class DataResult:
    """The outcome of `prepare_data`: per-type data, the merged training set, the card, the files."""

    types: dict[str, TypeData]
    merged_train: list[dict]
    card: dict
    paths: dict[str, Path]


@dataclass(frozen=True)
class LengthCounter:
    """texts -> lengths in student tokens, and how they were counted."""

    count: Callable[[list[str]], list[int]]
    counted_by: str
    tokenizer: Optional[str] = None  # the student folder's name; None: an estimate (not on disk yet)

    @property
    def exact(self) -> bool:
        return self.tokenizer is not None


@dataclass
class _Candidate:
    """A pair moving through the funnel, with the comment text the student would see."""

    pair: SDSPair
    id: str
    text: str
    masked: int = 0  # PII replacements made in the comment
    values: Optional[dict] = None  # the parsed answers, once they have passed the validity stage
    removed: list[str] = field(default_factory=list)  # answer lines taken out before parsing
    record: Optional[dict] = None  # the clean record, once built for the length check
    scrubbed: bool = False  # masking changed the record's text


# ================================================================================ the step
def prepare_data(cfg: Config) -> DataResult:
    """Run Step 1 for every type in COMMENT_TYPES and write the clean files, rejects and data card.

    Nothing is written until every type has been filtered and split, so a bad second file leaves
    the outputs of the last good run untouched.
    """
    _check_distinct_stems(cfg)
    counter = length_counter(cfg)
    types: dict[str, TypeData] = {}
    for ctype in cfg.COMMENT_TYPES:
        path = cfg.sds_file(ctype)
        export = load_export(cfg, ctype)
        kept, rejects, funnel, cleaned = filter_export(export, ctype, cfg, counter)
        require_usable(path, funnel, rejects)
        train, evaluation = split_records(kept, cfg.EVAL_SIZE, _train_size(cfg, ctype), cfg.SEED,
                                          what=f"{path} ({_funnel_text(funnel)})")
        extras = load_extras(cfg, ctype, kept, counter)
        check_disjoint(train + [r for e in extras for r in e.kept], evaluation, cfg.NEAR_DUP_THRESHOLD, what=str(path))
        funnel.update(eval=len(evaluation), train=len(train), unused=len(kept) - len(train) - len(evaluation))
        types[ctype] = TypeData(ctype, path, file_sha256(path), export.format, export.topics, funnel,
                                kept, rejects, train, evaluation, shape=export.shape, container=export.container,
                                keys=export.keys, notes=export.notes, cleaned=cleaned, extras=extras)
    merged = [rec for t in types.values() for rec in t.train + t.extra_train]
    random.Random(cfg.SEED).shuffle(merged)  # types interleaved, the same way for the same seed
    paths = output_paths(cfg)
    card = build_data_card(types, cfg, paths, counter)
    result = DataResult(types, merged, card, paths)
    _write_outputs(result)
    return result


def load_export(cfg: Config, comment_type: str) -> SDSExport:
    """Read one type's SDS export with the Config's format and key settings (what Step 1 reads)."""
    export = load_sds(cfg.sds_file(comment_type), fmt=cfg.SDS_FORMAT, topic_key=cfg.SDS_TOPIC_KEY,
                      prompt_key=cfg.SDS_PROMPT_KEY, completion_key=cfg.SDS_COMPLETION_KEY,
                      config_key=sds_file_key(comment_type))
    require_scores(export, cfg.SCORE_THRESHOLD)
    return export


def extra_card_path(export: Path) -> Path:
    """The card beside an extra export saying what made it (written by `utils.synth`, read by Step 1)."""
    export = Path(export)
    return export.with_name(f"{export.stem}_card.json")


def load_extras(cfg: Config, comment_type: str, kept: Sequence[dict], counter: LengthCounter) -> list[ExtraData]:
    """Pass each extra export of a type through the funnel, duplicates judged against all kept before it."""
    from utils.files import read_json

    key = extra_sds_key(comment_type)
    known = [(r["id"], r["Comment"]) for r in kept]
    out = []
    for value in getattr(cfg, key, ()):
        path = cfg.path(value)
        export = load_sds(path, fmt=cfg.SDS_FORMAT, topic_key=cfg.SDS_TOPIC_KEY, prompt_key=cfg.SDS_PROMPT_KEY,
                          completion_key=cfg.SDS_COMPLETION_KEY, config_key=key)
        require_scores(export, cfg.SCORE_THRESHOLD)
        records, rejects, funnel, _ = filter_export(export, comment_type, cfg, counter,
                                                   id_prefix=f"{comment_type}-{path.stem}", known=known)
        funnel.update(eval=0, train=len(records), unused=0)
        card = extra_card_path(path)
        out.append(ExtraData(path, file_sha256(path), export.format, export.shape, funnel, records, rejects,
                             rejects_file(cfg, comment_type).with_name(f"{path.stem}_rejects.json"),
                             read_json(card) if card.exists() else None))
        known += [(r["id"], r["Comment"]) for r in records]
    return out


def output_paths(cfg: Config) -> dict[str, Path]:
    """Where Step 1 writes, by name: `<type>_train`, `<type>_eval`, `<type>_rejects`, merged, card
    (each one named by `utils.paths`)."""
    out: dict[str, Path] = {}
    for ctype in cfg.COMMENT_TYPES:
        out[f"{ctype}_train"] = train_file(cfg, ctype)
        out[f"{ctype}_eval"] = eval_file(cfg, ctype)
        out[f"{ctype}_rejects"] = rejects_file(cfg, ctype)
    out["merged_train"] = merged_train_file(cfg)
    out["data_card"] = data_card_file(cfg)
    return out


def _write_outputs(result: DataResult) -> None:
    for ctype, data in result.types.items():
        write_json(result.paths[f"{ctype}_train"], data.train)
        write_json(result.paths[f"{ctype}_eval"], data.eval)
        write_json(result.paths[f"{ctype}_rejects"], data.rejects)
        for extra in data.extras:
            write_json(extra.rejects_path, extra.rejects)
    write_json(result.paths["merged_train"], result.merged_train)
    write_json(result.paths["data_card"], result.card)  # last, so a card never describes unwritten files


def _train_size(cfg: Config, comment_type: str) -> int:
    if comment_type not in cfg.TRAIN_SIZE:
        raise DataError(f"TRAIN_SIZE has no entry for {comment_type!r} (it holds {cfg.TRAIN_SIZE}); add one "
                        "in Config/Config.py or with --set TRAIN_SIZE='{...}'.")
    return cfg.TRAIN_SIZE[comment_type]


def _check_distinct_stems(cfg: Config) -> None:
    stems = [cfg.sds_file(t).stem for t in cfg.COMMENT_TYPES]
    if len(set(stems)) != len(stems):
        same = [sds_file_key(t) for t, stem in zip(cfg.COMMENT_TYPES, stems) if stems.count(stem) > 1]
        raise DataError(
            f"{' and '.join(same)} have the same file name ({next(s for s in stems if stems.count(s) > 1)}); "
            "the outputs are named after it and would overwrite each other. Give each export its own name."
        )


# ================================================================================ the funnel
def filter_export(export: SDSExport, comment_type: str, cfg: Config, counter: Optional[LengthCounter] = None,
                  id_prefix: Optional[str] = None, known: Sequence[tuple[str, str]] = ()
                  ) -> tuple[list[dict], list[dict], dict[str, int], dict[str, list[str]]]:
    """Pass one export through the funnel. Returns (kept records, rejects, funnel counts, cleaned).

    `cleaned` maps the id of each kept record whose answer text lost lines to those lines. The
    counts always add up: input = kept + the five drops, and every drop and every record SDS
    wrote but `utils.sds` could not use is one reject. Ids start with `id_prefix` (default: the
    type); `known` holds (id, comment) pairs kept before this export, which its duplicates and
    near-duplicates are dropped against as well (extra exports).
    """
    questions(comment_type)  # an unknown type fails here, before any work
    counter = counter or length_counter(cfg)
    prefix = id_prefix or comment_type
    rejects = _read_rejects(export.unusable, prefix)
    candidates = [_candidate(p, prefix, cfg.SCRUB_PII) for p in export.pairs]
    funnel = {"failed_pairs": export.failed_pairs, "unreadable": export.unreadable, "input": len(candidates)}
    stages: list[tuple[str, Callable[[list[_Candidate]], list[_Candidate]]]] = [
        ("low_score", lambda cs: _drop_low_scores(cs, cfg.SCORE_THRESHOLD, rejects)),
        ("duplicate", lambda cs: _drop_duplicates(cs, rejects, known)),
        ("near_duplicate", lambda cs: _drop_near_duplicates(cs, cfg.NEAR_DUP_THRESHOLD, rejects, known)),
        ("invalid_answers", lambda cs: _drop_invalid(cs, comment_type, rejects)),
        ("too_long", lambda cs: _drop_too_long(cs, comment_type, cfg, counter, rejects)),
    ]
    for stage, run in stages:
        before = len(candidates)
        candidates = run(candidates)
        funnel[stage] = before - len(candidates)
    kept = [c.record for c in candidates]
    cleaned = {c.id: c.removed for c in candidates if c.removed}
    funnel["kept"] = len(kept)
    funnel["answers_cleaned"] = len(cleaned)
    funnel["pii_scrubbed"] = sum(c.scrubbed for c in candidates)
    dropped = sum(funnel[s] for s in DROP_STAGES)
    if funnel["input"] != funnel["kept"] + dropped or len(rejects) != dropped + len(export.unusable):
        raise DataError(f"{export.path}: the funnel does not add up ({_funnel_text(funnel)}, "
                        f"{len(rejects)} rejects); this is a bug in utils.data.")
    rejects.sort(key=lambda r: (r["index"] is None, r["index"] or 0))  # file order; failed pairs last
    return kept, rejects, funnel, cleaned


def require_usable(path: Path, funnel: dict[str, int], rejects: list[dict]) -> None:
    """Fail when fewer than two comments are left, saying what took them and what to change."""
    n = funnel["kept"]
    if n >= 2:
        return
    causes = Counter((r["stage"], reject_cause(r)) for r in rejects)
    example = {}
    for r in rejects:
        example.setdefault((r["stage"], reject_cause(r)), r)
    shown = "; ".join(f"{count} x {stage}: {example[(stage, cause)]['reason']} "
                      f"({example[(stage, cause)].get('where') or example[(stage, cause)]['id']})"
                      for (stage, cause), count in causes.most_common(3))
    biggest = max(REJECT_STAGES, key=lambda s: funnel.get(s, 0))
    fix = _FIXES[biggest] if funnel.get(biggest, 0) else "The export holds no pairs: export a file with data."
    raise DataError(
        f"{path} ({_funnel_text(funnel)}): {n} usable comment(s) remain after filtering, but at least 2 are "
        f"needed (one to train on, one to evaluate). {('Most common reasons: ' + shown + '. ') if shown else ''}"
        f"{fix}"
    )


_FIXES = {
    "failed_pairs": "SDS failed on these pairs: run the generation or evaluation again in Synthetic Data Studio.",
    "unreadable": ("The records are not readable pairs (reasons above): fix those records, set SDS_PROMPT_KEY / "
                   "SDS_COMPLETION_KEY to the keys that hold the comment and the answers, or export the file "
                   "again from Synthetic Data Studio."),
    "low_score": ("Relax SCORE_THRESHOLD (None keeps unscored pairs), or evaluate the export again if its "
                  "scores are 0 (failed evaluations) or off SDS's 0-5 scale."),
    "duplicate": "The comments repeat each other: export more distinct pairs.",
    "near_duplicate": "The comments nearly repeat each other: export more distinct pairs, or raise NEAR_DUP_THRESHOLD.",
    "invalid_answers": ("The teacher's answers do not fit the task: check that the file holds this type's comments "
                        "(VENDOR_SDS_FILE vs CUSTOMER_SDS_FILE) and that every question is answered once."),
    "too_long": "The comments are longer than the student reads: raise MAX_LENGTH, or export shorter comments.",
}


def _read_rejects(unusable: list[Unusable], comment_type: str) -> list[dict]:
    """The records `utils.sds` could not use, as rejects, the record kept as found in the file.

    `comment_type` is the ids' prefix (the type, or `<type>-<stem>` for an extra export)."""
    out, counts = [], Counter()
    for u in unusable:
        if u.index is not None:
            rid = f"{comment_type}-{u.index:05d}"
        else:
            kind = "failed" if u.stage == "failed_pairs" else "topic"
            rid = f"{comment_type}-{kind}-{counts[kind]:05d}"
            counts[kind] += 1
        rej = {"id": rid, "stage": u.stage, "reason": u.reason, "where": u.where, "topic": u.topic, "index": u.index}
        if u.line is not None:
            rej["line"] = u.line
        rej["record"] = u.record
        out.append(rej)
    return out


def _candidate(pair: SDSPair, comment_type: str, scrub: bool) -> _Candidate:
    text, masked = scrub_pii(pair.comment) if scrub else (pair.comment, 0)
    return _Candidate(pair, f"{comment_type}-{pair.index:05d}", text.strip(), masked)


def _reject(c: _Candidate, stage: str, reason: str, **details: Any) -> dict:
    p = c.pair
    rej = {"id": c.id, "stage": stage, "reason": reason, **details, "topic": p.topic, "index": p.index}
    if p.line is not None:
        rej["line"] = p.line
    score = p.raw_score if p.raw_score is not None else p.score
    rej["record"] = {"question": p.comment, "solution": p.solution,
                     "evaluation": {"score": score, "justification": p.justification}}
    return rej


def _drop_low_scores(cands: list[_Candidate], threshold: Optional[float], rejects: list[dict]) -> list[_Candidate]:
    if threshold is None:
        return cands
    low, high = SCORE_SCALE
    kept = []
    for c in cands:
        score, raw = c.pair.score, c.pair.raw_score
        if score is None:
            why = "no score" if raw is None else f"score {raw!r} is not a number"
        elif not low <= score <= high:
            why = f"score {score:g} is outside SDS's {low:g}-{high:g} scale"
        elif score == FAILED_SCORE:
            why = f"score 0: SDS's mark of a failed evaluation ({c.pair.justification or 'no justification'})"
        elif score <= threshold:
            why = f"score {score:g} is not above {threshold:g}"
        else:
            kept.append(c)
            continue
        rejects.append(_reject(c, "low_score", why))
    return kept


def normalize(text: str) -> str:
    """The key of exact-duplicate detection: whitespace collapsed, case folded."""
    return " ".join(text.split()).casefold()


def _drop_duplicates(cands: list[_Candidate], rejects: list[dict],
                     known: Sequence[tuple[str, str]] = ()) -> list[_Candidate]:
    first: dict[str, str] = {}
    for rid, text in known:
        first.setdefault(normalize(text), rid)
    kept = []
    for c in cands:
        key = normalize(c.text)
        if key in first:
            rejects.append(_reject(c, "duplicate", f"same comment as {first[key]}", duplicate_of=first[key]))
        else:
            first[key] = c.id
            kept.append(c)
    return kept


def _drop_near_duplicates(cands: list[_Candidate], threshold: Optional[float], rejects: list[dict],
                          known: Sequence[tuple[str, str]] = ()) -> list[_Candidate]:
    if threshold is None:
        return cands
    earlier: dict[int, list[tuple[int, float]]] = defaultdict(list)
    k = len(known)  # the known comments come first: indexes below k are theirs, and always kept
    for i, j, jac in near_duplicate_pairs([t for _, t in known] + [c.text for c in cands], threshold):
        if j >= k:
            earlier[j - k].append((i, jac))
    ids = [rid for rid, _ in known] + [c.id for c in cands]
    alive = [True] * (k + len(cands))
    for j, c in enumerate(cands):
        # only a comment still kept can make a later one redundant
        hit = next(((i, jac) for i, jac in sorted(earlier[j]) if alive[i]), None)
        if hit:
            alive[k + j] = False
            other = ids[hit[0]]
            rejects.append(_reject(c, "near_duplicate", f"word 3-gram Jaccard {hit[1]:.3f} with {other}",
                                   duplicate_of=other, jaccard=round(hit[1], 4)))
    return [c for c, a in zip(cands, alive[k:]) if a]


def _drop_invalid(cands: list[_Candidate], comment_type: str, rejects: list[dict]) -> list[_Candidate]:
    kept = []
    for c in cands:
        lines = clean_answer_lines(c.pair.solution, comment_type)
        parsed = parse_answers_detailed(lines.text, comment_type)
        errors = {str(n): e for n, e in sorted({**parsed.errors, **lines.conflicts}.items())}
        if not c.text:
            rejects.append(_reject(c, "invalid_answers", "empty comment", errors={}))
        elif errors:
            why = "invalid answers: " + "; ".join(f"{n}: {e}" for n, e in errors.items())
            rejects.append(_reject(c, "invalid_answers", why, errors=errors))
        else:
            c.values, c.removed = parsed.values, lines.removed
            kept.append(c)
    return kept


def _drop_too_long(cands: list[_Candidate], comment_type: str, cfg: Config, counter: LengthCounter,
                   rejects: list[dict]) -> list[_Candidate]:
    for c in cands:
        c.record, c.scrubbed = _record(c, comment_type, cfg)
    lengths = counter.count([c.record["Prompt"] + "\n" + c.record["Completion"] for c in cands]) if cands else []
    kept = []
    for c, n in zip(cands, lengths):
        if n > cfg.MAX_LENGTH:
            how = "" if counter.exact else " (estimated; the student's tokenizer is not on disk yet)"
            rejects.append(_reject(c, "too_long", f"Prompt + Completion is {n} student tokens{how}, over MAX_LENGTH "
                                   f"{cfg.MAX_LENGTH} (the comment has {len(c.text):,} characters)", tokens=n))
        else:
            kept.append(c)
    return kept


def _record(c: _Candidate, comment_type: str, cfg: Config) -> tuple[dict, bool]:
    """The clean record of a kept pair, and whether masking changed any of its text."""
    values = dict(c.values)
    masked = c.masked
    if cfg.SCRUB_PII:  # the teacher's summary may quote what the comment held
        for n, v in values.items():
            if isinstance(v, str):
                values[n], k = scrub_pii(v)
                masked += k
    record = {
        "id": c.id,
        "type": comment_type,
        "Comment": c.text,
        "Prompt": build_prompt(c.text, comment_type, vendor=cfg.VENDOR_NAME, style=cfg.PROMPT_STYLE),
        "Completion": format_answers(values, comment_type),
    }
    return record, masked > 0


def _funnel_text(funnel: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in funnel.items())


# ================================================================================ answer lines
@dataclass
class AnswerLines:
    """The teacher's answer text with stray lines taken out, and the questions answered twice differently."""

    text: str  # what the parser reads; the original text when nothing was taken out
    removed: list[str]  # the lines taken out, in order
    conflicts: dict[int, str]  # question number -> "conflicting: 3, then 4 on line 14"


def clean_answer_lines(solution: str, comment_type: str) -> AnswerLines:
    """Take out the lines the parser would misread, and find answers that contradict each other.

    `utils.tasks.parse_answers_detailed` glues every line after the last answer onto it, so a
    teacher's `12. ...` (a question the task does not have) or a second round of answers would end
    up inside the summary. Taken out here, each with the lines that follow it up to the next answer:
      * a numbered line beyond the task's last question;
      * a repeat of an answer ("2. 3" when question 2 was answered before). Inside the summary a
        repeat of a yes/no or score question must be short (at most 3 words) to count, so numbered
        steps such as "2. Restart the 3 NameNodes" stay summary text.
    A repeat whose value differs from the first answer is a conflict: the record is rejected,
    since keeping the first answer would be a guess.
    """
    qs = {q.number: q for q in questions(comment_type)}
    last = max(qs)
    kept: list[str] = []
    removed: list[str] = []
    repeats: list[list] = []  # [number, value lines, line number]
    answered: set[int] = set()
    current: Optional[int] = None
    skipping, active = False, None
    for lineno, line in enumerate(solution.splitlines(), start=1):
        m = _ANSWER_LINE.match(line)
        n = int(m.group(1)) if m else None
        if n is not None and n > last:
            removed.append(line)
            skipping, active = True, None
        elif n in qs and n not in answered:
            answered.add(n)
            current, skipping, active = n, False, None
            kept.append(line)
        elif n in qs and _repeats_answer(qs[n], m.group(2), comment_type,
                                         in_summary=current is not None and qs[current].kind == "TEXT"):
            removed.append(line)
            active = [n, [m.group(2)], lineno]
            repeats.append(active)
            skipping = True
        elif skipping:
            removed.append(line)
            if active is not None:
                active[1].append(line)
        else:
            kept.append(line)
    if not removed:
        return AnswerLines(solution, [], {})
    text = "\n".join(kept)
    first = parse_answers_detailed(text, comment_type).values
    conflicts: dict[int, str] = {}
    for n, value_lines, lineno in repeats:
        again = _answer_alone(n, "\n".join(value_lines), comment_type)
        if first.get(n) is None or n in conflicts or _same(first[n], again):
            continue
        conflicts[n] = f"conflicting: {_short(first[n])}, then {_short(again)} on line {lineno}"
    return AnswerLines(text, removed, conflicts)


def _repeats_answer(q, value: str, comment_type: str, in_summary: bool) -> bool:
    """Whether `N. value`, for a question already answered, is a second answer rather than text."""
    if q.kind == "TEXT":
        return True
    if _answer_alone(q.number, value, comment_type) is None:
        return False
    return not in_summary or len(value.split()) <= 3


def _answer_alone(number: int, value: str, comment_type: str):
    """The value read as the answer to question `number` on its own; None when it is not one."""
    parsed = parse_answers_detailed(f"{number}. {value}", comment_type)
    return None if number in parsed.errors else parsed.values[number]


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and normalize(a) == normalize(b) or a == b


def _short(value: Any, limit: int = 40) -> str:
    if not isinstance(value, str):
        return str(value)
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


# ================================================================================ near-duplicates
_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 3) -> list[tuple[str, ...]]:
    """Word n-grams of the case-folded text (punctuation ignored), in text order.

    A text of fewer than n words is one shingle of all its words, so short comments compare too.
    """
    words = _WORD.findall(text.casefold())
    if len(words) < n:
        return [tuple(words)] if words else []
    return list(zip(*(words[k:] for k in range(n))))


def jaccard(a: set, b: set) -> float:
    """|a & b| / |a | b|; 0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def near_duplicate_pairs(texts: Sequence[str], threshold: float) -> list[tuple[int, int, float]]:
    """Every pair (i, j, jaccard) with i < j whose word 3-gram Jaccard is at least `threshold`.

    Exact and deterministic: shingles are ranked rare-first, and two sets with Jaccard >= t must
    share a shingle among the first |s| - ceil(t |s|) + 1 of each (prefix filtering), so only pairs
    sharing such a rare shingle are compared, with their exact Jaccard. ~6,000 comments take about
    a second at t = 0.9. Empty texts have no shingles and pair with nothing.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    ids: dict[tuple[str, ...], int] = {}
    sets: list[set[int]] = []
    for text in texts:
        sets.append({ids.setdefault(g, len(ids)) for g in shingles(text)})
    freq = Counter(g for s in sets for g in s)
    rank = {g: r for r, g in enumerate(sorted(freq, key=lambda g: (freq[g], g)))}
    eps = 1e-9  # t * n computed in floating point must not shorten a prefix
    index: dict[int, list[int]] = defaultdict(list)
    pairs = []
    for j, s in enumerate(sets):
        if not s:
            continue
        ordered = sorted(s, key=rank.__getitem__)
        prefix = len(s) - math.ceil(threshold * len(s) - eps) + 1
        candidates: set[int] = set()
        for g in ordered[:prefix]:
            candidates.update(index[g])
            index[g].append(j)
        for i in sorted(candidates):
            small, large = sorted((len(sets[i]), len(s)))
            if small < threshold * large - eps:
                continue  # the size gap alone keeps Jaccard below the threshold
            inter = len(sets[i] & s)
            union = len(sets[i]) + len(s) - inter
            if inter >= threshold * union - eps:
                pairs.append((i, j, inter / union))
    return sorted(pairs)


# ================================================================================ PII masking
# Links are never touched: three questions per task ask about them. Everything else is masked with
# a tag that says what was there, so the student still learns that a comment held an address.
_URL = re.compile(r"(?:\b(?:https?|ftps?)://|\bwww\.)[^\s<>\"'`]+", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_BEARER = re.compile(r"\b(Bearer|Basic)(\s+)[A-Za-z0-9\-._~+/]{8,}=*", re.IGNORECASE)
_SECRET_KEY = re.compile(  # `password=...`, `api_key: ...`, `ssl.keystore.password = "..."`
    r"(?i)\b([\w.\-]*(?:password|passwd|pwd|passphrase|secret|api[_\-]?key|apikey|access[_\-]?key(?:[_\-]?id)?"
    r"|secret[_\-]?key|private[_\-]?key|token)[\"']?[ \t]*[:=][ \t]*)(\"[^\"\n]*\"|'[^'\n]*'|[^\s,;\"']+)"
)
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|AIPA)[0-9A-Z]{16}\b")
_JWT = re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_LONG_HEX = re.compile(r"(?<![\w/+=.-])[0-9a-fA-F]{32,}(?![\w/+=-])")
_LONG_TOKEN = re.compile(r"(?<![\w/+=.-])[A-Za-z0-9+/_\-]{32,}={0,2}(?![\w/+=.-])")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:]|\.\d)")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
_PHONE = re.compile(
    r"(?<![\w+.\-/])(?:"
    r"\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]?\d{2,4}){1,4}"  # +1 (408) 555-0123, +44 20 7946 0958
    r"|(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}"  # (408) 555-0123, 408-555-0123, 408.555.0123
    r")(?![\w\-]|\.\d)"
)


def _random_looking(token: str) -> bool:
    """Heuristic for a key rather than a name: mixed case that switches often, digits, few separators.

    Measured on random base64 keys of 32-40 characters, about 5% escape (those with fewer than two
    digits); CamelCase class names, parcel names and log-file names are left alone.
    """
    letters = [ch for ch in token if ch.isalpha()]
    switches = sum(a.isupper() != b.isupper() for a, b in zip(letters, letters[1:]))
    counts = Counter(token)
    entropy = -sum(k / len(token) * math.log2(k / len(token)) for k in counts.values())
    return (not token.startswith("/") and entropy >= 4.0
            and switches >= 0.3 * max(1, len(letters) - 1)
            and sum(ch.isdigit() for ch in token) >= 2
            and sum(ch in "-_/+" for ch in token) <= 0.1 * len(token))


def _valid_ipv6(candidate: str) -> bool:
    if sum(ch not in ":" for ch in candidate) < 4:
        return False  # `::1` identifies nobody, and `a::b` is code
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


_PHONE_DIGITS = (8, 15)  # fewer digits is an id or a date piece; more is not a phone number

# (pattern, replacement, condition on the match); order matters: secrets before the generic
# token rules, e-mails before phones, IPv6 before IPv4.
_RULES: tuple[tuple[re.Pattern, str, Optional[Callable[[re.Match], bool]]], ...] = (
    (_BEARER, r"\1\2[SECRET]", None),
    (_SECRET_KEY, r"\1[SECRET]", lambda m: m.group(2) not in ("[SECRET]", '""', "''")),
    (_AWS_KEY_ID, "[SECRET]", None),
    (_JWT, "[SECRET]", None),
    (_EMAIL, "[EMAIL]", None),
    (_LONG_HEX, "[SECRET]", None),
    (_LONG_TOKEN, "[SECRET]", lambda m: _random_looking(m.group(0))),
    (_IPV6, "[IP]", lambda m: _valid_ipv6(m.group(0))),
    (_IPV4, "[IP]", None),
    (_PHONE, "[PHONE]", lambda m: _PHONE_DIGITS[0] <= sum(ch.isdigit() for ch in m.group(0)) <= _PHONE_DIGITS[1]),
)


def scrub_pii(text: str) -> tuple[str, int]:
    """Mask e-mail addresses, phone numbers, IPv4/IPv6 addresses and secrets; keep links intact.

    Secrets are values after `password`/`secret`/`token`/`api_key`-like keys, bearer and basic
    credentials, AWS access key ids, JWTs, and long hex or random-looking base64 tokens (32+
    characters). Returns the masked text and the number of replacements made.
    """
    pieces, count, last = [], 0, 0
    for url in _URL.finditer(text):
        masked, k = _mask(text[last:url.start()])
        pieces += [masked, url.group(0)]
        count += k
        last = url.end()
    masked, k = _mask(text[last:])
    pieces.append(masked)
    return "".join(pieces), count + k


def _mask(text: str) -> tuple[str, int]:
    total = 0
    for rule in _RULES:
        text, count = _apply(rule, text)
        total += count
    return text, total


def _apply(rule: tuple, text: str) -> tuple[str, int]:
    pattern, replacement, condition = rule
    count = 0

    def substitute(m: re.Match) -> str:
        nonlocal count
        if condition is not None and not condition(m):
            return m.group(0)
        count += 1
        return m.expand(replacement)

    return pattern.sub(substitute, text), count


# ================================================================================ the split
def split_records(records: Sequence[dict], eval_size: int, train_size: int, seed: int,
                  what: str = "the data") -> tuple[list[dict], list[dict]]:
    """Shuffle with `random.Random(seed)`, carve out the evaluation set, then take the training set.

    Returns (train, evaluation), both in the shuffled order. When data are short, evaluation gets at
    most all but one record and train what is left (a warning says so); fewer than 2 records raise.
    """
    n = len(records)
    if n < 2:
        raise DataError(
            f"{what}: {n} usable comment(s) remain after filtering, but at least 2 are needed (one to "
            "train on, one to evaluate). Export more pairs, or relax SCORE_THRESHOLD / NEAR_DUP_THRESHOLD."
        )
    order = list(records)
    random.Random(seed).shuffle(order)
    n_eval = min(eval_size, n - 1)
    n_train = min(train_size, n - n_eval)
    if n_eval < eval_size or n_train < train_size:
        warnings.warn(f"{what}: only {n} usable comments for EVAL_SIZE={eval_size} and TRAIN_SIZE={train_size}; "
                      f"using {n_eval} for evaluation and {n_train} for training.", stacklevel=2)
    return order[n_eval:n_eval + n_train], order[:n_eval]


def check_disjoint(train: Sequence[dict], evaluation: Sequence[dict], threshold: Optional[float],
                   what: str = "the data") -> None:
    """Raise unless no training comment equals, or is a near-duplicate of, an evaluation comment.

    The funnel removes duplicates before the split, so this holds by construction; the check makes
    a future change that breaks it fail loudly instead of inflating the evaluation.
    """
    eval_ids = {normalize(r["Comment"]): r["id"] for r in evaluation}
    clashes = [(r["id"], eval_ids[normalize(r["Comment"])]) for r in train if normalize(r["Comment"]) in eval_ids]
    if threshold is not None:
        both = list(evaluation) + list(train)
        n_eval = len(evaluation)
        clashes += [(both[j]["id"], both[i]["id"])
                    for i, j, _ in near_duplicate_pairs([r["Comment"] for r in both], threshold)
                    if i < n_eval <= j]
    if clashes:
        shown = ", ".join(f"train {a} ~ eval {b}" for a, b in clashes[:5])
        raise DataError(f"{what}: {len(clashes)} training comment(s) repeat evaluation comments ({shown}).")


# ================================================================================ the data card
def label_distribution(records: Sequence[dict], comment_type: str) -> dict[str, dict]:
    """Per question (by key): value counts for BOOL and SCORE (every value in range), mean words for TEXT."""
    parsed = [parse_answers(r["Completion"], comment_type) for r in records]
    out: dict[str, dict] = {}
    for q in questions(comment_type):
        values = [p[q.number] for p in parsed if p[q.number] is not None]
        if q.kind == "TEXT":
            words = [len(str(v).split()) for v in values]
            mean = round(sum(words) / len(words), 2) if words else None
            out[q.key] = {"number": q.number, "kind": q.kind, "mean_words": mean}
        else:
            counts = Counter(values)
            out[q.key] = {"number": q.number, "kind": q.kind,
                          "counts": {str(v): counts.get(v, 0) for v in range(q.low, q.high + 1)}}
    return out


def length_counter(cfg: Config) -> LengthCounter:
    """How Step 1 measures a record: student tokens of Prompt + newline + Completion.

    Exact with the student's tokenizer once Step 0 has put the student on disk; before that an
    estimate of one token per BYTES_PER_TOKEN UTF-8 bytes (measured with SmolLM2's tokenizer on the
    demo exports: 2.6 bytes per token for customer records, 3.0 for vendor records).
    """
    from utils.models import is_ready, model_dir

    folder = model_dir(cfg, "student")
    if is_ready(folder):
        return LengthCounter(_token_counter(folder, cfg), f"the student's tokenizer ({folder.name})", folder.name)
    return LengthCounter(
        lambda texts: [math.ceil(len(t.encode("utf-8")) / BYTES_PER_TOKEN) for t in texts],
        f"an estimate, UTF-8 bytes / {BYTES_PER_TOKEN}: the student model folder {folder} is not ready yet "
        "(run Step 0 first for exact counts)")


def token_lengths(types: dict[str, TypeData], cfg: Config, counter: Optional[LengthCounter] = None) -> dict:
    """Prompt + Completion lengths in student tokens per type and split, or a note saying why not.

    The chat template and system prompt add a few dozen tokens in Step 2. `over_max_length`
    counts records already longer than MAX_LENGTH without them: 0, since the funnel drops those.
    """
    counter = counter or length_counter(cfg)
    if not counter.exact:
        from utils.models import model_dir

        return {"skipped": f"the student model folder {model_dir(cfg, 'student')} is not ready yet (run Step 0 first)"}
    out: dict[str, Any] = {"tokenizer": counter.tokenizer,
                           "counted": "Prompt + newline + Completion, no special tokens"}
    for ctype, data in types.items():
        out[ctype] = {}
        for split, records in (("train", data.train), ("eval", data.eval)):
            lengths = sorted(counter.count([r["Prompt"] + "\n" + r["Completion"] for r in records]))
            out[ctype][split] = _length_stats(lengths, cfg.MAX_LENGTH)
    return out


def _token_counter(folder: Path, cfg: Config):
    """texts -> token counts with the student's tokenizer, without special tokens.

    Through the `tokenizers` library when the folder has a `tokenizer.json` (the same ids as
    transformers' fast tokenizer, without importing transformers: ~10 s less for this step on
    2 cores), else through transformers.
    """
    if (folder / "tokenizer.json").exists():
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        return lambda texts: [len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)]
    from utils.models import load_tokenizer

    tok = load_tokenizer(folder, cfg)
    return lambda texts: [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]]


def _length_stats(lengths: list[int], max_length: int) -> dict:
    if not lengths:
        return {"n": 0}
    p95 = lengths[min(len(lengths) - 1, math.ceil(0.95 * len(lengths)) - 1)]  # nearest-rank percentile
    return {"n": len(lengths), "min": lengths[0], "mean": round(sum(lengths) / len(lengths), 1), "p95": p95,
            "max": lengths[-1], "over_max_length": sum(x > max_length for x in lengths)}


def build_data_card(types: dict[str, TypeData], cfg: Config, paths: dict[str, Path],
                    counter: Optional[LengthCounter] = None) -> dict:
    """What went in, what came out and why: the JSON saved as `utils.paths.data_card_file`.

    Per file: the SDS shape detected, the keys the pairs were read from, what was read in an
    unusual way (`notes`), the funnel, and the answer lines taken out of each kept record.
    """
    counter = counter or length_counter(cfg)
    return {
        "step": "1_Data_Preparation",
        "seed": cfg.SEED,
        "id_scheme": ID_SCHEME,
        "files": {
            t: {"input": str(d.source), "sha256": d.sha256, "format": d.format, "shape": d.shape,
                "container": d.container, "keys": d.keys, "topics": d.topics, "notes": d.notes,
                "funnel": d.funnel, "answers_cleaned": d.cleaned,
                "outputs": {k.split("_", 1)[1]: str(p) for k, p in paths.items() if k.startswith(f"{t}_")}}
            for t, d in types.items()
        },
        "length_check": {"max_length": cfg.MAX_LENGTH, "counted": "Prompt + newline + Completion",
                         "counted_by": counter.counted_by},
        "merged_train": {"path": str(paths["merged_train"]),
                         "records": sum(len(d.train) + len(d.extra_train) for d in types.values()),
                         "from_extra_files": sum(len(d.extra_train) for d in types.values())},
        "extra_files": {t: [{"input": str(e.source), "sha256": e.sha256, "format": e.format, "shape": e.shape,
                             "funnel": e.funnel, "rejects": str(e.rejects_path), "card": e.card} for e in d.extras]
                        for t, d in types.items() if d.extras},
        "split": {t: {"train": len(d.train), "eval": len(d.eval), "available": len(d.kept)} for t, d in types.items()},
        "labels": {t: {"train": label_distribution(d.train, t), "eval": label_distribution(d.eval, t)}
                   for t, d in types.items()},
        "token_lengths": token_lengths(types, cfg, counter),
        "config": cfg.to_dict(),
        "versions": library_versions(),
    }


# ================================================================================ tables (plots: utils.figures)
def funnel_frame(result: DataResult):
    """The funnel as a table: one row per stage, one column per SDS file (extra exports included)."""
    import pandas as pd

    columns = {}
    for d in result.types.values():
        columns[d.source.name] = d.funnel
        columns.update({e.source.name: e.funnel for e in d.extras})
    return pd.DataFrame(columns)


def label_distribution_frame(result: DataResult):
    """BOOL and SCORE answers as a long table: type, question, split, value, count and share."""
    import pandas as pd

    rows = []
    for ctype, splits in result.card["labels"].items():
        for split, dist in splits.items():
            for key, q in dist.items():
                total = sum(q.get("counts", {}).values())
                for value, count in q.get("counts", {}).items():
                    rows.append({"type": ctype, "number": q["number"], "question": key, "split": split,
                                 "value": int(value), "count": count, "share": count / total if total else 0.0})
    return pd.DataFrame(rows, columns=["type", "number", "question", "split", "value", "count", "share"])


def rejects_frame(result: DataResult):
    """Rejects counted by file, stage and cause (for invalid answers, the kinds of error)."""
    import pandas as pd

    rows = Counter()
    for data in result.types.values():
        for rej in data.rejects:
            rows[(data.source.name, rej["stage"], reject_cause(rej))] += 1
    frame = pd.DataFrame([(*k, v) for k, v in rows.items()], columns=["file", "stage", "cause", "count"])
    order = {s: i for i, s in enumerate(REJECT_STAGES)}
    return frame.sort_values(["file", "stage", "count"], key=lambda c: c.map(order) if c.name == "stage" else c,
                             ascending=[True, True, False], ignore_index=True)


def reject_cause(rej: dict) -> str:
    """A reject's reason without its particulars, to count like with like."""
    stage, reason = rej["stage"], rej["reason"]
    if stage == "failed_pairs":
        return "failed in SDS"
    if stage == "unreadable":
        return re.split(r" \(|; |: ", reason, maxsplit=1)[0]
    if stage == "low_score":
        for start, cause in _SCORE_CAUSES:
            if re.match(start, reason):
                return cause
        return "score not above threshold"
    if stage in ("duplicate", "near_duplicate", "too_long"):
        return stage.replace("_", " ")
    if not rej.get("errors"):
        return reason
    kinds = sorted({re.match(r"[a-z ]+", e).group(0).strip() for e in rej["errors"].values()})
    return "answers " + " + ".join(kinds)


_SCORE_CAUSES = (("no score$", "no score"), (r"score .* is not a number$", "score not a number"),
                 (r"score .* is outside", "score off the 0-5 scale"), ("score 0:", "evaluation failed (score 0)"))
