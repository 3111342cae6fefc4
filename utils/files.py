"""Files on disk: atomic JSON/JSONL writes and folders, resumable JSONL progress, content hashes,
and the run metadata saved beside results.

Every file another step reads is written to a temporary name in the same folder and renamed into
place, so an interrupted run never leaves a half-written file that looks complete; a folder is built
beside its final place and renamed into it once its last file is written (`publish_folder`). Where
the files are and what they are called is `utils.paths`'s business, not this module's.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

TRACKED_LIBRARIES = (
    "torch", "transformers", "trl", "peft", "datasets", "accelerate", "bitsandbytes", "unsloth",
    "vllm", "gguf", "papermill", "pandas", "numpy", "rouge-score", "gradio", "mlflow-skinny",
)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; results are for the whole team to read
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def publish_folder(partial: str | os.PathLike, final: str | os.PathLike, last_file: str) -> Path:
    """Move a folder built beside its final place (`partial`) into it, once `last_file`, written
    last, is in it. The old folder goes only now, so an interruption leaves either the old complete
    folder, nothing, or the partial one: a folder at `final` is always complete."""
    partial, final = Path(partial), Path(final)
    if not (partial / last_file).exists():
        raise RuntimeError(f"{partial} has no {last_file}: it is not complete and is not published.")
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    return final


def write_json(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> Path:
    """Write JSON atomically, UTF-8, keys in insertion order (deterministic for equal input)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")
    return Path(path)


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file; a broken file raises a ValueError that names it and the position."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{path} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}). "
            "The file may be truncated or hand-edited; export it again."
        ) from None


def repair_jsonl(path: str | os.PathLike) -> int:
    """Cut a torn last line (a write a kill interrupted) off a JSONL file; returns the bytes cut.

    Every complete line ends in a newline, so whatever follows the last newline is a torn row:
    without this, the next append would glue a new row onto it and the file would stay broken.
    """
    path = Path(path)
    if not path.exists():
        return 0
    size = path.stat().st_size
    with path.open("rb+") as fh:
        keep, end = 0, size
        while end > 0:  # the last newline, reading back in blocks
            start = max(0, end - 65536)
            fh.seek(start)
            cut = fh.read(end - start).rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            end = start
        if keep < size:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
    return size - keep


def append_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    """Append rows to a JSONL file and flush them to disk (used for resumable progress).

    A torn last line left by a killed run is cut off first (`repair_jsonl`), so the file stays
    one valid row per line.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    repair_jsonl(path)
    with path.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Read a JSONL file; a torn last line (from a killed run) is ignored, others must parse."""
    path = Path(path)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if i == len(lines) - 1:
                break  # the write that was interrupted
            raise ValueError(f"{path}: line {i + 1} is not valid JSON; delete the file to start over.")
    return rows


class JsonlProgress:
    """The finished rows of a resumable job, one per key, in an append-only JSONL file.

    The rows already on disk are read once (a torn last line from a kill is ignored); the caller
    works only on the keys not in `done` and hands each finished batch to `add`, which appends it,
    flushed to disk (`append_jsonl`), and only then counts it as done. A killed run loses at most
    the batch it was on, and a rerun does only what is missing. A key written twice keeps its last row.

        progress = JsonlProgress(path, key="id")
        todo = [r for r in records if r["id"] not in progress.done]
    """

    def __init__(self, path: str | os.PathLike, key: str):
        self.path, self.key = Path(path), key
        self.done: dict[Any, dict] = {row[key]: row for row in read_jsonl(self.path) if key in row}

    def add(self, rows: Sequence[dict]) -> None:
        """Append finished rows to the file (flushed to disk), then count them as done."""
        append_jsonl(self.path, rows)
        self.done.update({row[self.key]: row for row in rows})


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, for data cards and training cards."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries that shape results (None when not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out
