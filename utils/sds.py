"""Reading Synthetic Data Studio (SDS) exports into plain comment/answer pairs.

This module owns every shape SDS writes and nothing after it. It detects the shape, reads each
record into an `SDSPair`, and keeps every record it cannot use as an `Unusable` with its reason,
so the data step can count and write it. Deciding which pairs are good enough (score threshold,
parsing the answers, duplicates, length) is the data step's job (`utils.data`).

The shapes, as `SDSExport.shape` names them:

  sft_evaluated        {"<topic>": {"evaluated_pairs": [{"question", "solution",
                                                         "evaluation": {"score", "justification"}}],
                                    "failed_pairs": [{"error", "pair"}], "total_failed", ...},
                        "Overall_Average": 4.6}
                       The topic key may be "null". A pair whose evaluation failed is written under the
                       generation keys instead ({"Prompt", "Completion", "evaluation": {"score": 0,
                       "justification": "Error during evaluation"}}), and a topic block may hold only
                       {"error": "..."}.
  freeform_evaluated   {"evaluated_rows": [{"row": {...}, "evaluation": {"score", "justification"}}],
                        "failed_rows": [{"error", "row"}], "total_failed", ..., "Overall_Average": 4.6}
  sft_generation       [{"Seeds" or "Generated_From": topic, "Prompt": comment, "Completion": answers}]
  custom_workflow_generation   [{"Prompt": comment, "Completion": answers}]  (no topic)
  freeform_generation  [{"Seeds": topic, ...the fields of the freeform schema}]

Each may come as one JSON document or as JSON Lines (`container: "jsonl"`, one record per line: a
generation record, an evaluated pair or an evaluated row). Where the comment and the answers sit
is found per record: `question`/`solution` first for evaluated pairs, the configured generation keys
(Config SDS_PROMPT_KEY / SDS_COMPLETION_KEY) first everywhere else, each falling back to the other.

What ends in an `SDSFormatError` (the whole file is unusable; the message names the file, the
place and the fix): a missing file; a JSON document that is not UTF-8, does not parse (line and
column) or nests deeper than the JSON reader can follow; a top-level value that is no SDS shape; a
file in which no record has the keys of any mapping; a score threshold for an export without
scores (`require_scores`). Everything smaller is an `Unusable`: a failed pair SDS recorded (stage
`failed_pairs`), or a record that is not a readable pair (stage `unreadable`: not an object, no
text under the keys, a key repeated with different values, nested too deep, a JSON Lines line
that is not UTF-8 or does not parse, a topic block holding only an error or no pairs). Repeated
topic keys and a topic written as a bare list lose no pair: both are read, and `notes` says so.

    >>> export = load_sds("Data/VendorComments.json")
    >>> export.shape, len(export.pairs), len(export.unusable)
    ('sft_evaluated', 2600, 6)
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Optional, Union

FORMATS = ("auto", "evaluated", "generation")
SHAPES = ("sft_evaluated", "freeform_evaluated", "sft_generation", "custom_workflow_generation",
          "freeform_generation")
SCORE_SCALE = (0.0, 5.0)  # SDS's judge scores 1-5 and writes 0 when the evaluation failed
FAILED_SCORE = 0.0
JSONL_SUFFIXES = (".jsonl", ".ndjson")
MAX_RECORD_DEPTH = 32  # an SDS record nests 3 levels; deeper is not an export and could not be written back
_ALT_TOPIC_KEY = {"Seeds": "Generated_From", "Generated_From": "Seeds"}
_SFT_KEYS = ("question", "solution")
_PREVIEW = 500  # characters of an unparseable line kept in its reject


class SDSFormatError(ValueError):
    """An SDS export that cannot be read: the message names the file, the record and the fix."""


class SDSFileMissing(SDSFormatError, FileNotFoundError):
    """The configured SDS export does not exist (catchable as ValueError or FileNotFoundError)."""


@dataclass
class SDSPair:
    """One comment with the teacher's answers, as found in the export."""

    source: str  # the export's file name
    index: int  # position among the file's records in file order (failed pairs not counted)
    topic: Optional[str]  # None when the export has no topic for it (or the topic is "null")
    comment: str
    solution: str
    score: Optional[float]  # None: unscored (generation export, no evaluation, or not a number)
    justification: Optional[str]
    raw_score: Any = None  # the score as written, so a reject can say what was there
    line: Optional[int] = None  # JSON Lines: the line it came from


@dataclass
class Unusable:
    """A record of the export that is not a usable pair, with the reason (Step 1 writes it to rejects)."""

    stage: Literal["failed_pairs", "unreadable"]  # failed_pairs: SDS recorded the failure itself
    reason: str
    where: str  # "topic 'Kafka', evaluated pair 3", "line 7", ...
    topic: Optional[str] = None
    index: Optional[int] = None  # as SDSPair.index; None for failed pairs and whole topic blocks
    line: Optional[int] = None
    record: Any = None  # the entry as found in the file (a preview string when it could not be kept)


@dataclass
class SDSExport:
    """Everything read from one export file."""

    path: Path
    format: Literal["evaluated", "generation"]  # scored or not; what SDS_FORMAT names
    shape: str = ""  # one of SHAPES
    container: Literal["json", "jsonl"] = "json"
    pairs: list[SDSPair] = field(default_factory=list)
    unusable: list[Unusable] = field(default_factory=list)
    failed_pairs: int = 0  # failures SDS recorded (entries, or total_failed where no list was written)
    topics: int = 0
    overall_average: Optional[float] = None
    keys: dict[str, int] = field(default_factory=dict)  # "comment key -> answers key": pairs read so
    notes: list[str] = field(default_factory=list)  # what was read in an unusual way, in words

    @property
    def scored(self) -> int:
        """How many pairs carry a numeric score."""
        return sum(p.score is not None for p in self.pairs)

    @property
    def unreadable(self) -> int:
        """How many records could not be read as a pair (failed pairs not counted)."""
        return sum(u.stage == "unreadable" for u in self.unusable)


def load_sds(
    path: Union[str, Path],
    fmt: str = "auto",
    topic_key: str = "Seeds",
    prompt_key: str = "Prompt",
    completion_key: str = "Completion",
    config_key: Optional[str] = None,
) -> SDSExport:
    """Read an SDS export of any shape; `fmt="auto"` detects it, "evaluated"/"generation" insist.

    `topic_key`, `prompt_key` and `completion_key` name the generation fields (Config:
    SDS_TOPIC_KEY, SDS_PROMPT_KEY, SDS_COMPLETION_KEY); with the default topic key,
    `Generated_From` is used when `Seeds` is absent. `config_key` (e.g. "VENDOR_SDS_FILE") is the
    setting that named the file, so an error can say what to change.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown SDS format {fmt!r}; valid formats: {', '.join(FORMATS)} (Config SDS_FORMAT).")
    path = Path(path)
    reader = _Reader(path, topic_key, prompt_key, completion_key)
    data, lines = _read(path, config_key)
    if lines is not None:
        export = reader.jsonl(lines)
    elif isinstance(data, dict):
        export = reader.freeform_evaluated(data) if _is_freeform_evaluated(data) else reader.sft_evaluated(data)
    elif isinstance(data, list):
        export = reader.generation(data)
    else:
        raise SDSFormatError(
            f"{path}: the top-level JSON value is {_kind(data)}. An evaluated export is a JSON "
            "object (keyed by topic, or with 'evaluated_rows'); a generation export is a JSON list of "
            "records, or JSON Lines. Check that the file is an SDS export."
        )
    if fmt != "auto" and export.format != fmt:
        other = "generation" if fmt == "evaluated" else "evaluated"
        raise SDSFormatError(
            f"{path}: this looks like a {export.format} export ({export.shape}, {export.container}), but "
            f"SDS_FORMAT is {fmt!r}. Set SDS_FORMAT='{other}' or 'auto'."
        )
    reader.check_mapped(export)
    return export


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


# ------------------------------------------------------------------------------- the file
class _Object(dict):
    """A JSON object that remembers every (key, value) when a key was repeated (json keeps the last)."""

    __slots__ = ("all_items",)


def _object(items: list[tuple[str, Any]]) -> dict:
    obj = _Object(items)
    if len(obj) != len(items):
        obj.all_items = items
    return obj


def _items(obj: dict) -> list[tuple[str, Any]]:
    """All (key, value) in file order, repeated keys included."""
    return getattr(obj, "all_items", None) or list(obj.items())


def _read(path: Path, config_key: Optional[str]) -> tuple[Any, Optional[list[tuple[int, Union[str, bytes]]]]]:
    """(the parsed JSON document, None) or (None, [(line number, text)]) for JSON Lines."""
    setting = f" Set {config_key} to the path of the SDS export." if config_key else ""
    if not path.is_file():
        what = "is a folder, not a file" if path.exists() else "does not exist"
        raise SDSFileMissing(f"SDS export {path} {what}.{setting}")
    raw = path.read_bytes()
    jsonl = path.suffix.lower() in JSONL_SUFFIXES
    try:
        text = raw.decode("utf-8-sig")  # tolerate a byte-order mark from Windows tools
    except UnicodeDecodeError as err:
        if jsonl:  # one bad line is that line's problem, not the file's
            return None, _split_lines(raw.removeprefix(b"\xef\xbb\xbf"))
        raise SDSFormatError(
            f"{path} is not UTF-8 text (byte {err.start}); export it again from Synthetic Data Studio."
        ) from None
    if jsonl:
        return None, _split_lines(text)
    try:
        return json.loads(text, object_pairs_hook=_object), None
    except RecursionError:
        raise SDSFormatError(
            f"{path} nests JSON deeper than the reader can follow (about a thousand levels; an SDS export "
            "nests 5). It is not an SDS export: check the file, or export it again from Synthetic Data Studio."
        ) from None
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and _first_line_is_object(text):
            return None, _split_lines(text)  # JSON Lines under a .json name
        raise SDSFormatError(
            f"{path} is not valid JSON (line {err.lineno}, column {err.colno}, character {err.pos} "
            f"of {len(text)}: {err.msg}). The file is probably truncated or was edited by hand; "
            "export it again from Synthetic Data Studio."
        ) from None


def _split_lines(content: Union[str, bytes]) -> list[tuple[int, Union[str, bytes]]]:
    lines = content.splitlines() if isinstance(content, str) else content.split(b"\n")
    return [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]


def _first_line_is_object(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


def _is_freeform_evaluated(data: dict) -> bool:
    return isinstance(data.get("evaluated_rows"), list) or isinstance(data.get("failed_rows"), list)


# ------------------------------------------------------------------------------- the records
class _Reader:
    """Reads the records of one file into an SDSExport; one method per shape."""

    def __init__(self, path: Path, topic_key: str, prompt_key: str, completion_key: str):
        self.path = path
        self.topic_key = topic_key
        generation = (prompt_key, completion_key)
        # evaluated pairs hold question/solution; SDS writes a failed evaluation under the generation keys
        self.pair_maps = list(dict.fromkeys([_SFT_KEYS, generation]))
        self.row_maps = list(dict.fromkeys([generation, _SFT_KEYS]))
        self.index = 0
        self.unmapped: Counter[str] = Counter()  # keys of the records that hold no mapping's keys at all
        self.unmapped_records = 0
        self.records = 0  # object records seen, for the no-mapping error

    # ---------------------------------------------------------------- shapes
    def sft_evaluated(self, data: dict) -> SDSExport:
        export = SDSExport(path=self.path, format="evaluated", shape="sft_evaluated")
        export.overall_average = _number(data.get("Overall_Average"))
        items = _items(data)
        seen = Counter(key for key, _ in items)
        for key in (k for k, n in seen.items() if n > 1):
            export.notes.append(f"topic {key!r} appears {seen[key]} times: the pairs of every block are read")
        unknown: list[tuple[str, dict]] = []
        for key, block in items:
            topic = None if key == "null" else key
            if isinstance(block, list):
                export.topics += 1
                export.notes.append(f"topic {key!r} is a list, not a topic block: read as its evaluated pairs")
                self._sft_pairs(export, key, topic, block)
            elif not isinstance(block, dict):
                if key != "Overall_Average":
                    export.notes.append(f"key {key!r} holds {_kind(block)}, not a topic: ignored")
            elif "evaluated_pairs" in block or "failed_pairs" in block:
                export.topics += 1
                self._sft_block(export, key, topic, block)
            elif isinstance(block.get("error"), str):
                export.topics += 1
                export.unusable.append(Unusable(
                    "unreadable", f"SDS recorded an error for the whole topic: {block['error']}",
                    f"topic {key!r}", topic, record=_keep(block)))
            else:
                unknown.append((key, block))
        if unknown and not export.topics:
            key, block = unknown[0]
            raise SDSFormatError(
                f"{self.path}: topic {key!r} has neither 'evaluated_pairs' nor 'failed_pairs' (keys found: "
                f"{_keys(block)}). Is this an SDS evaluated export? A generation export is a list; a "
                "Freeform evaluated export has 'evaluated_rows'."
            )
        for key, block in unknown:
            export.unusable.append(Unusable(
                "unreadable", f"neither 'evaluated_pairs' nor 'failed_pairs' in this topic block "
                f"(keys found: {_keys(block)})", f"topic {key!r}", None if key == "null" else key,
                record=_keep(block)))
        return export

    def freeform_evaluated(self, data: dict) -> SDSExport:
        export = SDSExport(path=self.path, format="evaluated", shape="freeform_evaluated")
        export.overall_average = _number(data.get("Overall_Average"))
        if isinstance(data.get("error"), str):
            export.notes.append(f"SDS recorded an error for the evaluation: {data['error']}")
        self._failed(export, data.get("failed_rows"), data.get("total_failed"), "row", None, "failed row")
        rows = data.get("evaluated_rows") or []
        if not isinstance(rows, list):
            rows = []
            export.unusable.append(Unusable("unreadable", "'evaluated_rows' is not a list", "evaluated_rows",
                                            record=_keep(data["evaluated_rows"])))
        for pos, entry in enumerate(rows):
            self._row(export, entry, f"evaluated row {pos}")
        export.topics = len({p.topic for p in export.pairs})
        return export

    def generation(self, records: list) -> SDSExport:
        export = SDSExport(path=self.path, format="generation")
        for pos, rec in enumerate(records):
            self._take(export, rec, f"record {pos}", self.row_maps, topic=self._topic_of(rec), evaluation=None)
        export.shape = self._generation_shape(records)
        export.topics = len({p.topic for p in export.pairs})
        return export

    def jsonl(self, lines: list[tuple[int, Union[str, bytes]]]) -> SDSExport:
        parsed: list[tuple[int, Any]] = []
        broken: list[Unusable] = []
        for number, line in lines:
            try:
                parsed.append((number, json.loads(line, object_pairs_hook=_object)))
            except RecursionError:
                broken.append(Unusable("unreadable", "nested deeper than the JSON reader can follow",
                                       f"line {number}", line=number, record=_preview(line)))
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                what = (f"not UTF-8 text (byte {err.start})" if isinstance(err, UnicodeDecodeError)
                        else f"not valid JSON (column {err.colno}: {err.msg})")
                broken.append(Unusable("unreadable", f"{what}; the line is probably truncated or was edited by hand",
                                       f"line {number}", line=number, record=_preview(line)))
        objects = [v for _, v in parsed if isinstance(v, dict)]
        if any(isinstance(v.get("row"), dict) for v in objects):
            shape, kind = "freeform_evaluated", "evaluated"
        elif any("evaluation" in v for v in objects):
            shape, kind = "sft_evaluated", "evaluated"
        else:
            shape, kind = self._generation_shape(objects), "generation"
        export = SDSExport(path=self.path, format=kind, shape=shape, container="jsonl")
        bad_at = {u.line: u for u in broken}
        values = dict(parsed)
        for number, _ in lines:
            if number in bad_at:
                bad_at[number].index = self._next()
                export.unusable.append(bad_at[number])
                continue
            rec, where = values[number], f"line {number}"
            if isinstance(rec, dict) and isinstance(rec.get("error"), str) and ("pair" in rec or "row" in rec):
                self._failed(export, [rec], None, "pair" if "pair" in rec else "row", None, "failed pair", number)
            elif shape == "freeform_evaluated":
                self._row(export, rec, where, line=number)
            elif kind == "evaluated":
                self._take(export, rec, where, self.pair_maps, topic=self._topic_of(rec),
                           evaluation=rec.get("evaluation") if isinstance(rec, dict) else None, line=number)
            else:
                self._take(export, rec, where, self.row_maps, topic=self._topic_of(rec), evaluation=None, line=number)
        export.topics = len({p.topic for p in export.pairs})
        return export

    # ---------------------------------------------------------------- pieces
    def _sft_block(self, export: SDSExport, key: str, topic: Optional[str], block: dict) -> None:
        if isinstance(block.get("error"), str):
            export.notes.append(f"topic {key!r} carries an SDS error ({block['error']}); its pairs are read")
        self._failed(export, block.get("failed_pairs"), block.get("total_failed"), "pair", topic,
                     f"topic {key!r}, failed pair")
        pairs = block.get("evaluated_pairs")
        if pairs is None:
            return
        if not isinstance(pairs, list):
            export.unusable.append(Unusable(
                "unreadable", f"'evaluated_pairs' is {_kind(pairs)}, expected a list", f"topic {key!r}",
                topic, record=_keep(pairs)))
            return
        self._sft_pairs(export, key, topic, pairs)

    def _sft_pairs(self, export: SDSExport, key: str, topic: Optional[str], pairs: list) -> None:
        for pos, pair in enumerate(pairs):
            evaluation = pair.get("evaluation") if isinstance(pair, dict) else None
            self._take(export, pair, f"topic {key!r}, evaluated pair {pos}", self.pair_maps, topic, evaluation)

    def _row(self, export: SDSExport, entry: Any, where: str, line: Optional[int] = None) -> None:
        """A Freeform evaluated row: {"row": {...fields}, "evaluation": {...}}."""
        if isinstance(entry, dict) and not isinstance(entry.get("row"), dict):
            index = self._next()
            export.unusable.append(Unusable(
                "unreadable", f"no 'row' object (keys found: {_keys(entry)})", where, index=index, line=line,
                record=_keep(entry)))
            return
        row = entry["row"] if isinstance(entry, dict) else entry
        evaluation = entry.get("evaluation") if isinstance(entry, dict) else None
        self._take(export, row, where, self.row_maps, self._topic_of(row), evaluation, line=line, whole=entry)

    def _failed(self, export: SDSExport, entries: Any, total: Any, inner: str, topic: Optional[str],
                where: str, line: Optional[int] = None) -> None:
        if not isinstance(entries, list):
            if isinstance(total, int) and not isinstance(total, bool) and total > 0:
                export.failed_pairs += total  # counted by SDS, not written out
            return
        for pos, entry in enumerate(entries):
            error = entry.get("error") if isinstance(entry, dict) else None
            reason = f"SDS recorded a failure: {error}" if isinstance(error, str) else "SDS recorded a failure"
            record = entry.get(inner) if isinstance(entry, dict) else None
            own_topic = self._topic_of(record) if isinstance(record, dict) else None
            export.unusable.append(Unusable("failed_pairs", reason, f"line {line}" if line else f"{where} {pos}",
                                            topic if topic is not None else own_topic, line=line,
                                            record=_keep(entry)))
            export.failed_pairs += 1

    def _take(self, export: SDSExport, rec: Any, where: str, maps: list[tuple[str, str]], topic: Optional[str],
              evaluation: Any, line: Optional[int] = None, whole: Any = None) -> None:
        """One record that should be a pair: a pair, or an Unusable saying why not."""
        index = self._next()

        def unusable(reason: str) -> None:
            export.unusable.append(Unusable("unreadable", reason, where, topic, index, line,
                                            _keep(rec if whole is None else whole)))

        if not isinstance(rec, dict):
            return unusable(f"{_kind(rec)}, expected an object")
        self.records += 1
        if _depth(rec) > MAX_RECORD_DEPTH:
            return unusable(f"nested more than {MAX_RECORD_DEPTH} levels deep; an SDS record nests 2 or 3")
        found = [m for m in maps if m[0] in rec or m[1] in rec]
        mapping = next((m for m in found if isinstance(rec.get(m[0]), str) and isinstance(rec.get(m[1]), str)), None)
        if mapping is None:
            if not found:
                self.unmapped.update(rec.keys())
                self.unmapped_records += 1
                names = " or ".join(f"{c!r}/{s!r}" for c, s in maps)
                return unusable(f"no text under {names} (keys found: {_keys(rec)}){self._fix(maps)}")
            c, s = found[0]
            problems = [f"{k!r} {_what(rec, k)}" for k in (c, s) if not isinstance(rec.get(k), str)]
            return unusable(f"{' and '.join(problems)} (keys found: {_keys(rec)}); the comment must be text "
                            f"under {c!r} and the teacher's answers text under {s!r}")
        evaluation = evaluation if isinstance(evaluation, dict) else {}
        repeated = _repeated(rec, mapping) + _repeated(evaluation, ("score", "justification"))
        if repeated:
            return unusable(f"key {repeated[0]!r} appears more than once with different values; "
                            "fix the record or export the file again")
        justification = evaluation.get("justification")
        export.pairs.append(SDSPair(
            source=self.path.name, index=index, topic=topic, comment=rec[mapping[0]], solution=rec[mapping[1]],
            score=_number(evaluation.get("score")),
            justification=justification if isinstance(justification, str) else None,
            raw_score=_raw(evaluation.get("score")), line=line,
        ))
        name = f"{mapping[0]} -> {mapping[1]}"
        export.keys[name] = export.keys.get(name, 0) + 1

    def check_mapped(self, export: SDSExport) -> None:
        """Refuse a file in which no record holds the keys of any mapping: the keys are set wrong."""
        if export.pairs or not self.records or self.unmapped_records < self.records:
            return
        maps = self.row_maps if export.shape != "sft_evaluated" else self.pair_maps
        seen = ", ".join(f"{k!r} ({n})" for k, n in self.unmapped.most_common(12))
        names = " or ".join(f"{c!r}/{s!r}" for c, s in maps)
        raise SDSFormatError(
            f"{self.path} ({export.shape}, {export.container}): none of its {self.records} records has the comment "
            f"and the answers under {names}. Keys seen (records holding them): {seen}.{self._fix(maps)}"
        )

    def _fix(self, maps: list[tuple[str, str]]) -> str:
        prompt, completion = next(m for m in maps if m != _SFT_KEYS) if len(maps) > 1 else maps[0]
        return (f" If the export names them differently, set SDS_PROMPT_KEY (now {prompt!r}) to the key of the "
                f"comment and SDS_COMPLETION_KEY (now {completion!r}) to the key of the teacher's answers.")

    def _generation_shape(self, records: Iterable[Any]) -> str:
        """sft: topic + comment + answers; custom_workflow: comment + answers; freeform: other fields too."""
        objects = [r for r in records if isinstance(r, dict)]
        if not objects:
            return "sft_generation"
        topic_keys = {self.topic_key, _ALT_TOPIC_KEY.get(self.topic_key, self.topic_key)}

        def fits(rec: dict, extra: set) -> bool:
            return any(set(rec) <= set(m) | extra for m in self.row_maps)

        if any(k in r for r in objects for k in topic_keys):
            return "sft_generation" if all(fits(r, topic_keys) for r in objects) else "freeform_generation"
        return "custom_workflow_generation" if all(fits(r, set()) for r in objects) else "freeform_generation"

    def _topic_of(self, rec: Any) -> Optional[str]:
        return _topic(rec, self.topic_key) if isinstance(rec, dict) else None

    def _next(self) -> int:
        self.index += 1
        return self.index - 1


# ------------------------------------------------------------------------------- helpers
def _topic(rec: dict, topic_key: str) -> Optional[str]:
    value = rec.get(topic_key)
    if value is None and topic_key in _ALT_TOPIC_KEY:
        value = rec.get(_ALT_TOPIC_KEY[topic_key])
    if value is None or value == "null":
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False) if _depth(value) <= MAX_RECORD_DEPTH else "<nested value>"


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


def _raw(value: Any) -> Any:
    """A score as written, for the rejects file: scalars as they are, NaN/Infinity and containers as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value)[:_PREVIEW] if _depth(value) <= MAX_RECORD_DEPTH else "<nested value>"


def _what(rec: dict, key: str) -> str:
    """How a value that should be text looks: missing, null, empty-ish types."""
    if key not in rec:
        return "is missing"
    value = rec[key]
    return "is null" if value is None else f"is {_kind(value)}, expected text"


def _kind(value: Any) -> str:
    """A JSON value's type in words: "a string", "a number", "an object", ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", dict: "an object", list: "a list"}.get(type(value), f"a {type(value).__name__}")


def _repeated(obj: dict, keys: Iterable[str]) -> list[str]:
    """The keys among `keys` that the object holds more than once with different values."""
    items = getattr(obj, "all_items", None)
    if not items:
        return []
    values: dict[str, list] = {}
    for k, v in items:
        if k in keys:
            values.setdefault(k, []).append(v)
    return [k for k, vs in values.items() if any(v != vs[0] for v in vs[1:])]


def _depth(value: Any) -> int:
    """How deep objects and lists nest (a scalar is 0), without recursion; stops counting past the limit."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
        else:
            deepest = max(deepest, d)
            continue
        deepest = max(deepest, d + 1)
        if deepest > MAX_RECORD_DEPTH + 1:
            break  # deep enough to refuse; no need to walk the rest
    return deepest


def _keep(value: Any) -> Any:
    """The record for the rejects file: as found, unless too deep to write back."""
    return value if _depth(value) <= MAX_RECORD_DEPTH else f"<not kept: nested over {MAX_RECORD_DEPTH} levels>"


def _preview(line: Union[str, bytes]) -> str:
    text = line if isinstance(line, str) else line.decode("utf-8", errors="replace")
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "..."


def _keys(d: dict) -> str:
    return ", ".join(repr(k) for k in list(d)[:12]) or "none"
