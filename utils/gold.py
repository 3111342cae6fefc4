"""The gold set: hand-labelled support comments, its file format and its loader.

This module owns the format of the gold file (Config's GOLD_FILE, `Data/gold/GoldComments.json` by
default) and reading it into records keyed by question number. It does not score anything; the
evaluation step compares answers with these labels.

The file is a JSON object (a bare JSON list of comment records is accepted too):

    {
      "format": "kd-gold-v1",
      "description": "Written and labelled by hand ...",
      "comments": [
        {
          "id": "gold-vendor-001",
          "type": "vendor",
          "comment": "Please run `hdfs dfsadmin -report` and attach the output.",
          "labels": {"technical": 1, "severity": 3, "urgency": 3, "action_request": 1},
          "summary": "The engineer asks for the output of hdfs dfsadmin -report."
        }
      ]
    }

  * `id`: unique, non-empty text; `type`: a task of utils/tasks.py (`vendor` or `customer`).
  * `labels`: reference answers keyed by question `key` of that type's task; any subset of the
    BOOL (0 or 1) and SCORE (an integer in the question's range) questions. The TEXT question's
    reference goes in `summary` (optional), never in `labels`.

`load_gold` returns one record per comment, labels keyed by question NUMBER:

    {"type": "vendor", "id": "gold-vendor-001", "comment": "...",
     "labels": {1: 1, 2: 3, 3: 3, 6: 1}, "summary": "The engineer asks ..."}
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Optional, Union

from utils.tasks import TASKS, Question, questions

GOLD_FORMAT = "kd-gold-v1"


class GoldError(ValueError):
    """A gold file that cannot be used: the message names the file, the record and the fix."""


def load_gold(path: Union[str, Path]) -> list[dict]:
    """Read and check a gold file; labels come back keyed by question number, in file order."""
    path = Path(path)
    items = _comment_list(_read_json(path), path)
    records: list[dict] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        record = _check_record(item, index, path)
        if record["id"] in seen:
            raise GoldError(
                f"{_where(path, index, record['id'])}: the id is also used by record {seen[record['id']]}. "
                "Give every comment its own id, e.g. gold-vendor-012.")
        seen[record["id"]] = index
        records.append(record)
    return records


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise GoldError(
            f"Gold file {path} does not exist. Point GOLD_FILE at your labelled comments (format in "
            "utils/gold.py), or set GOLD_FILE=None to skip the gold set.")
    try:
        text = path.read_text(encoding="utf-8-sig")  # tolerate a byte-order mark from Windows editors
    except UnicodeDecodeError as err:
        raise GoldError(f"{path} is not UTF-8 text (byte {err.start}); save it again as UTF-8.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise GoldError(
            f"{path} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}). Fix the file "
            "at that place; a trailing comma or an unescaped quote or newline inside a comment's text is the "
            "usual cause.") from None


def _comment_list(data: Any, path: Path) -> list:
    """The list of comment records, from the object form or a bare list."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        fmt = data.get("format", GOLD_FORMAT)
        if fmt != GOLD_FORMAT:
            raise GoldError(f"{path}: \"format\" is {fmt!r}; this loader reads {GOLD_FORMAT!r}. "
                            f"Set \"format\": \"{GOLD_FORMAT}\" or convert the file.")
        comments = data.get("comments")
        if isinstance(comments, list):
            return comments
        found = "missing" if comments is None else f"a {type(comments).__name__}"
        raise GoldError(f"{path}: the object's \"comments\" is {found}; it must be a list of comment "
                        "records (format in utils/gold.py).")
    raise GoldError(
        f"{path}: the top-level JSON value is a {type(data).__name__}. A gold file is an object "
        f"{{\"format\": \"{GOLD_FORMAT}\", \"comments\": [...]}} or a list of comment records "
        "(format in utils/gold.py).")


def _where(path: Path, index: int, record_id: Optional[str] = None) -> str:
    """`file: record N (id 'x')`, the place named by every record error."""
    return f"{path}: record {index}" + (f" (id {record_id!r})" if record_id else "")


def _check_record(item: Any, index: int, path: Path) -> dict:
    """One record checked and normalised to question numbers."""
    if not isinstance(item, dict):
        raise GoldError(f"{_where(path, index)} is a {type(item).__name__}, not an object. Each comment "
                        "is an object with id, type, comment and labels (format in utils/gold.py).")
    record_id = item.get("id")
    if not isinstance(record_id, str) or not record_id.strip():
        raise GoldError(f"{_where(path, index)} has no id (found {record_id!r}). Add a unique, non-empty "
                        "\"id\" such as \"gold-vendor-001\".")
    where = _where(path, index, record_id)
    comment_type = item.get("type")
    if comment_type not in TASKS:
        raise GoldError(f"{where}: unknown type {comment_type!r}. Set \"type\" to one of: {', '.join(TASKS)}.")
    comment = item.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        raise GoldError(f"{where}: the comment is empty or missing. Put the comment's text in \"comment\".")
    summary = item.get("summary")
    if summary is not None and (not isinstance(summary, str) or not summary.strip()):
        raise GoldError(f"{where}: \"summary\" must be a non-empty string; write the reference summary "
                        "or leave the field out.")
    labels = _check_labels(item.get("labels"), comment_type, where)
    return {"type": comment_type, "id": record_id, "comment": comment, "labels": labels,
            "summary": summary.strip() if summary else None}


def _check_labels(labels: Any, comment_type: str, where: str) -> dict[int, int]:
    """Labels keyed by question number; every key and value checked against the task."""
    by_key = {q.key: q for q in questions(comment_type)}
    labelled = [k for k, q in by_key.items() if q.kind != "TEXT"]
    if not isinstance(labels, dict):
        found = "missing" if labels is None else f"a {type(labels).__name__}"
        raise GoldError(f"{where}: \"labels\" is {found}; it must be an object mapping question keys to "
                        f"values, e.g. {{\"{labelled[0]}\": 1}}. Keys of {comment_type}: {', '.join(labelled)}.")
    out: dict[int, int] = {}
    for key, value in labels.items():
        q = by_key.get(key)
        if q is None:
            close = difflib.get_close_matches(str(key), labelled, n=3)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise GoldError(f"{where}: unknown label {key!r} for type {comment_type}.{hint} "
                            f"Valid keys: {', '.join(labelled)}.")
        if q.kind == "TEXT":
            raise GoldError(f"{where}: {key!r} is a free-text question; put the reference text in "
                            f"\"summary\" instead of \"labels\".")
        out[q.number] = _check_value(value, q, where)
    return out


def _check_value(value: Any, q: Question, where: str) -> int:
    valid = "0 or 1" if q.kind == "BOOL" else f"an integer from {q.low} to {q.high}"
    # bool is an int in Python, so JSON true/false would pass as 1/0 unnoticed; the file says 0 or 1
    if isinstance(value, bool) or not isinstance(value, int):
        raise GoldError(f"{where}: label {q.key!r} is {value!r} ({type(value).__name__}); "
                        f"{q.kind} questions take {valid}.")
    if not q.low <= value <= q.high:
        raise GoldError(f"{where}: label {q.key!r} is {value}, out of range; {q.kind} questions take {valid}.")
    return value
