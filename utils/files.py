"""Files on disk: atomic JSON/JSONL writes, content hashes, and the run metadata saved beside results.

Every file another step reads is written to a temporary name in the same folder and renamed into
place, so an interrupted run never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Iterator

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
