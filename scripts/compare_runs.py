"""Are two project checkouts' results the same? Step 1's files, the merged weights, Step 3's answers
and `results/metrics.json` compared byte for byte, bar what holds a time or the checkout's own path.

    python scripts/compare_runs.py /path/to/checkout_a /path/to/checkout_b

Made to check that a change of code alone (a restructuring) leaves the demo's results as they were:
run the same profile in two checkouts on one machine, then compare them. Left out of the
comparison: metrics.json's `created` and the speed figures that are times (SPEED_TIME_KEYS), the
cards' times, speeds and memory peaks (CARD_TIME_KEYS), the
`*.timing.jsonl` and `*.meta.json` files beside the answers (latencies, and a model id hashed from
the model's path), and each checkout's root path inside any JSON text (written as `<root>`).
Everything else that differs is listed; the exit status is 1 when anything does. The reliability
suite (tests/test_reliability.py) uses `comparable` for its two-runs test.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

TIME_KEYS = ("created",)  # metrics.json: when it was written
SPEED_TIME_KEYS = ("seconds", "prompts_per_s", "tokens_per_s", "mean_latency_s")  # in metrics.json's `speed`
DATA_CARD, TRAINING_CARD = "data_card.json", "training_card.json"  # compared as JSON, bar CARD_TIME_KEYS
CARD_TIME_KEYS = re.compile(r"runtime|per_second|preparation_time|wall|seconds|peak_memory|created")
RESULT_FILES = ("answers.jsonl", "verdicts.jsonl", "gold_answers.jsonl", "per_question.csv")


def comparable(metrics: dict) -> dict:
    """metrics.json without the keys that hold a time (TIME_KEYS, SPEED_TIME_KEYS in `speed`)."""
    out = {k: v for k, v in metrics.items() if k not in TIME_KEYS}
    out["speed"] = {model: {ctype: {k: v for k, v in stats.items() if k not in SPEED_TIME_KEYS}
                            for ctype, stats in by_type.items()} for model, by_type in metrics.get("speed", {}).items()}
    return out


def json_differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Every place two JSON values differ, as `path: a vs b` (or `only in a|b`)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in b or key not in a:
                out.append(f"{where}/{key}: only in {'a' if key in a else 'b'}")
            else:
                out += json_differences(a[key], b[key], f"{where}/{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in json_differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where or '/'}: {a!r} vs {b!r}"[:300]]


def _text(path: Path, root: Path) -> bytes:
    """A file's bytes with the checkout's root path written as <root> (JSON paths name their checkout)."""
    data = path.read_bytes()
    return data.replace(str(root.resolve()).encode(), b"<root>") if path.suffix in (".json", ".jsonl") else data


def compared_files(root: Path) -> list[str]:
    """The files compared, relative to the checkout: Step 1's JSON, the merged weights, Step 3's answers."""
    data = [p for p in (root / "Data").rglob("*.json")
            if "gold" not in p.relative_to(root / "Data").parts and p.name != DATA_CARD]  # the cards: below
    merged = [p for p in (root / "tmp").glob("merged_*/*") if p.suffix in (".safetensors", ".json")
              and p.name != TRAINING_CARD]
    answers = [p for p in (root / "results" / "generations").glob("*.jsonl") if not p.name.endswith(".timing.jsonl")]
    results = [root / "results" / name for name in RESULT_FILES]
    return sorted(str(p.relative_to(root)) for p in data + merged + answers + results if p.is_file())


def compare(a: Path, b: Path) -> list[str]:
    """What differs between two checkouts' results (empty: the same)."""
    out = []
    names_a, names_b = compared_files(a), compared_files(b)
    out += [f"{n}: only in a" for n in sorted(set(names_a) - set(names_b))]
    out += [f"{n}: only in b" for n in sorted(set(names_b) - set(names_a))]
    out += [f"{n}: differs" for n in sorted(set(names_a) & set(names_b)) if _text(a / n, a) != _text(b / n, b)]
    metrics = [json.loads(_text(r / "results" / "metrics.json", r)) for r in (a, b)]
    out += [f"results/metrics.json {d}" for d in json_differences(*(comparable(m) for m in metrics))]
    for pattern in (f"Data/{DATA_CARD}", f"tmp/merged_*/{TRAINING_CARD}"):
        cards = [next(r.glob(pattern), None) for r in (a, b)]
        if all(cards):
            loaded = [_timeless(json.loads(_text(c, r))) for c, r in zip(cards, (a, b))]
            out += [f"{pattern} {d}" for d in json_differences(*loaded)]
        elif any(cards):
            out.append(f"{pattern}: only in {'a' if cards[0] else 'b'}")
    return out


def _timeless(value: Any) -> Any:
    """A card without the keys that hold a time, a speed or a memory peak (CARD_TIME_KEYS)."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if not CARD_TIME_KEYS.search(str(k))}
    return [_timeless(v) for v in value] if isinstance(value, list) else value


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    a, b = (Path(p) for p in argv)
    for root in (a, b):
        if not (root / "results" / "metrics.json").is_file():
            print(f"{root}: no results/metrics.json; run Step 3 (or `python -m utils.pipeline`) there first.",
                  file=sys.stderr)
            return 2
    names = compared_files(a)
    differences = compare(a, b)
    print(f"compared {len(names)} files, metrics.json and the training card of {a} (a) and {b} (b)")
    for line in differences:
        print("  " + line)
    print("the same, bar times and paths" if not differences else f"{len(differences)} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
