"""Reading Synthetic Data Studio (SDS) exports into plain comment/answer pairs.

SDS writes two kinds of file, both handled here and nowhere else:

  * an *evaluated* export: a JSON object keyed by topic (the key may be the string "null"), each
    topic holding `evaluated_pairs` (comment in `question`, teacher answers in `solution`, and an
    `evaluation` with a `score`) and `failed_pairs` (generation failures, never data), plus a
    float `Overall_Average`;
  * a *generation* export: a flat JSON list of records with a topic, a prompt (the comment) and a
    completion (the answers), with no scores. The key names are configurable in SDS and here.

This module only reads and checks the structure. Deciding which pairs are good enough (score
threshold, parsing the answers, duplicates) is the data step's job.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Union

FORMATS = ("auto", "evaluated", "generation")
_ALT_TOPIC_KEY = {"Seeds": "Generated_From", "Generated_From": "Seeds"}


class SDSFormatError(ValueError):
    """An SDS export that cannot be read: the message names the file, the record and the fix."""


class SDSFileMissing(SDSFormatError, FileNotFoundError):
    """The configured SDS export does not exist (catchable as ValueError or FileNotFoundError)."""


@dataclass
class SDSPair:
    """One comment with the teacher's answers, as found in the export."""

    source: str  # the export's file name
    index: int  # position among the file's pairs in file order (failed pairs not counted)
    topic: Optional[str]  # None when the export has no topic for it (or the topic is "null")
    comment: str
    solution: str
    score: Optional[float]  # None: unscored (generation export, no evaluation, or not a number)
    justification: Optional[str]


@dataclass
class SDSExport:
    """Everything read from one export file."""

    path: Path
    format: Literal["evaluated", "generation"]
    pairs: list[SDSPair] = field(default_factory=list)
    failed_pairs: int = 0  # generation failures SDS recorded; they are never returned as pairs
    topics: int = 0
    overall_average: Optional[float] = None

    @property
    def scored(self) -> int:
        """How many pairs carry a numeric score."""
        return sum(p.score is not None for p in self.pairs)


def load_sds(
    path: Union[str, Path],
    fmt: str = "auto",
    topic_key: str = "Seeds",
    prompt_key: str = "Prompt",
    completion_key: str = "Completion",
    config_key: Optional[str] = None,
) -> SDSExport:
    """Read an SDS export. `fmt="auto"` picks the format from the top-level JSON type.

    `topic_key`, `prompt_key` and `completion_key` name the fields of a generation export
    (Config: SDS_TOPIC_KEY, SDS_PROMPT_KEY, SDS_COMPLETION_KEY); with the default topic key,
    `Generated_From` is used when `Seeds` is absent. `config_key` (e.g. "VENDOR_SDS_FILE") is the
    setting that named the file, so an error can say what to change.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown SDS format {fmt!r}; valid formats: {', '.join(FORMATS)} (Config SDS_FORMAT).")
    path = Path(path)
    data = _read(path, config_key)
    if isinstance(data, dict) and fmt in ("auto", "evaluated"):
        return _load_evaluated(path, data)
    if isinstance(data, list) and fmt in ("auto", "generation"):
        return _load_generation(path, data, topic_key, prompt_key, completion_key)
    found = type(data).__name__
    if fmt == "evaluated" and isinstance(data, list):
        fix = "This looks like a generation export (a list): set SDS_FORMAT='generation' or 'auto'."
    elif fmt == "generation" and isinstance(data, dict):
        fix = "This looks like an evaluated export (an object): set SDS_FORMAT='evaluated' or 'auto'."
    else:
        fix = ("An evaluated export is a JSON object keyed by topic; a generation export is a JSON "
               "list of records. Check that the file is an SDS export.")
    raise SDSFormatError(f"{path}: the top-level JSON value is a {found}. {fix}")


def require_scores(export: SDSExport, threshold: Optional[float]) -> None:
    """Refuse a score threshold for an export that has no scores to compare with it."""
    if threshold is None:
        return
    if export.format == "generation" or (export.pairs and export.scored == 0):
        why = ("is a generation export, which has no scores" if export.format == "generation"
               else "has no numeric score in any of its pairs")
        raise SDSFormatError(
            f"{export.path} {why}, but SCORE_THRESHOLD is {threshold}. Set SCORE_THRESHOLD=None to "
            "accept unscored data, or export the evaluated file from Synthetic Data Studio."
        )


# ------------------------------------------------------------------------------- internals
def _read(path: Path, config_key: Optional[str]) -> Any:
    setting = f" Set {config_key} to the path of the SDS export." if config_key else ""
    if not path.is_file():
        what = "is a folder, not a file" if path.exists() else "does not exist"
        raise SDSFileMissing(f"SDS export {path} {what}.{setting}")
    try:
        text = path.read_text(encoding="utf-8-sig")  # tolerate a byte-order mark from Windows tools
    except UnicodeDecodeError as err:
        raise SDSFormatError(
            f"{path} is not UTF-8 text (byte {err.start}); export it again from Synthetic Data Studio."
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SDSFormatError(
            f"{path} is not valid JSON (line {err.lineno}, column {err.colno}, character {err.pos} "
            f"of {len(text)}: {err.msg}). The file is probably truncated or was edited by hand; "
            "export it again from Synthetic Data Studio."
        ) from None


def _load_evaluated(path: Path, data: dict) -> SDSExport:
    export = SDSExport(path=path, format="evaluated")
    overall = data.get("Overall_Average")
    export.overall_average = _number(overall)
    for key, block in data.items():
        if not isinstance(block, dict):
            continue  # Overall_Average and any other summary value
        if "evaluated_pairs" not in block and "failed_pairs" not in block:
            raise SDSFormatError(
                f"{path}: topic {key!r} has neither 'evaluated_pairs' nor 'failed_pairs' (keys found: "
                f"{_keys(block)}). Is this an SDS evaluated export? A generation export is a list."
            )
        export.topics += 1
        topic = None if key == "null" else key
        failed = block.get("failed_pairs")
        if isinstance(failed, list):
            export.failed_pairs += len(failed)
        elif isinstance(block.get("total_failed"), int):
            export.failed_pairs += block["total_failed"]
        pairs = block.get("evaluated_pairs") or []
        if not isinstance(pairs, list):
            raise SDSFormatError(
                f"{path}: topic {key!r} has 'evaluated_pairs' of type {type(pairs).__name__}, "
                "expected a list. Export the file again from Synthetic Data Studio."
            )
        for pos, pair in enumerate(pairs):
            where = f"{path}: topic {key!r}, evaluated pair {pos} (pair {len(export.pairs)} of the file)"
            if not isinstance(pair, dict):
                raise SDSFormatError(f"{where} is a {type(pair).__name__}, expected an object.")
            for name in ("question", "solution"):
                if not isinstance(pair.get(name), str):
                    raise SDSFormatError(
                        f"{where} has no text in {name!r} (keys found: {_keys(pair)}). Every evaluated "
                        "pair needs 'question' (the comment) and 'solution' (the answers); "
                        "fix or remove that pair, or export the file again."
                    )
            evaluation = pair.get("evaluation")
            evaluation = evaluation if isinstance(evaluation, dict) else {}
            justification = evaluation.get("justification")
            export.pairs.append(SDSPair(
                source=path.name,
                index=len(export.pairs),
                topic=topic,
                comment=pair["question"],
                solution=pair["solution"],
                score=_number(evaluation.get("score")),
                justification=justification if isinstance(justification, str) else None,
            ))
    return export


def _load_generation(path: Path, data: list, topic_key: str, prompt_key: str, completion_key: str) -> SDSExport:
    export = SDSExport(path=path, format="generation")
    topics: set[Optional[str]] = set()
    for pos, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise SDSFormatError(f"{path}: record {pos} is a {type(rec).__name__}, expected an object.")
        for name, setting in ((prompt_key, "SDS_PROMPT_KEY"), (completion_key, "SDS_COMPLETION_KEY")):
            if not isinstance(rec.get(name), str):
                raise SDSFormatError(
                    f"{path}: record {pos} (topic {_topic(rec, topic_key)!r}) has no text in {name!r} "
                    f"(keys found: {_keys(rec)}). If the export names it differently, set {setting} "
                    "to that key."
                )
        topic = _topic(rec, topic_key)
        topics.add(topic)
        export.pairs.append(SDSPair(
            source=path.name, index=pos, topic=topic, comment=rec[prompt_key],
            solution=rec[completion_key], score=None, justification=None,
        ))
    export.topics = len(topics)
    return export


def _topic(rec: dict, topic_key: str) -> Optional[str]:
    value = rec.get(topic_key)
    if value is None and topic_key in _ALT_TOPIC_KEY:
        value = rec.get(_ALT_TOPIC_KEY[topic_key])
    if value is None or value == "null":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _number(value: Any) -> Optional[float]:
    """A finite number as float, also from numeric text ("4.5"); anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _keys(d: dict) -> str:
    return ", ".join(repr(k) for k in list(d)[:12]) or "none"
