"""Every file in tests/corpus/ through Step 1 itself, against the outcome MANIFEST.json names for it.

Each file is a small SDS export with one thing wrong or unusual. Its manifest entry says either
`{"error": "<part of the message>"}` (the file as a whole cannot be used) or `{"kept": n,
"rejects": {"<stage>: <cause>": count}}` (exact counts; `funnel` and `shape` are checked when
given), plus `why` in words, `type` (default vendor) and Config overrides in `config`. The files
run through `prepare_data`, the function Step 1 runs, on the tiny profile with no student model
on disk, so lengths use the documented estimate and the outcome never depends on Step 0.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path

import pytest

from Config.Config import load_config
from utils.data import REJECT_STAGES, prepare_data, reject_cause

CORPUS = Path(__file__).resolve().parent / "corpus"
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))
SETTING = {"vendor": "VENDOR_SDS_FILE", "customer": "CUSTOMER_SDS_FILE"}


def run_step1(name: str, tmp_path: Path):
    entry = MANIFEST[name]
    ctype = entry.get("type", "vendor")
    over = {"DATA_DIR": str(tmp_path / "out"), "MODELS_DIR": str(tmp_path / "models"),
            SETTING[ctype]: str(CORPUS / name), "COMMENT_TYPES": (ctype,),
            "EVAL_SIZE": 1, "TRAIN_SIZE": {"vendor": 100, "customer": 100}, **entry.get("config", {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "only n usable comments": the corpus files are small on purpose
        return prepare_data(load_config("tiny", over)), ctype


def test_the_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.name != "MANIFEST.json"}
    assert files == set(MANIFEST), files ^ set(MANIFEST)  # every file has an outcome, every outcome a file
    assert len(files) >= 40
    errors = sum("error" in e for e in MANIFEST.values())
    assert errors >= 10 and len(files) - errors >= 30


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus_file(name, tmp_path):
    entry = MANIFEST[name]
    if "error" in entry:
        with pytest.raises(ValueError) as err:
            run_step1(name, tmp_path)
        msg = str(err.value)
        assert name in msg, msg  # the message names the file
        assert entry["error"] in msg, msg
        assert not (tmp_path / "out").exists()  # nothing written
        return
    result, ctype = run_step1(name, tmp_path)
    data = result.types[ctype]
    funnel = data.funnel
    causes = Counter(f"{r['stage']}: {reject_cause(r)}" for r in data.rejects)
    assert (funnel["kept"], dict(causes)) == (entry["kept"], entry["rejects"]), [r["reason"] for r in data.rejects]
    for key, value in entry.get("funnel", {}).items():
        assert funnel[key] == value, (key, funnel)
    assert (data.shape, data.container) == (entry["shape"], entry["container"])
    # nothing lost without a reason: every drop and every unusable record is one reject, written out
    assert funnel["input"] == funnel["kept"] + sum(funnel[s] for s in REJECT_STAGES[2:])
    written = json.loads(result.paths[f"{ctype}_rejects"].read_text(encoding="utf-8"))
    assert len(written) == len(data.rejects) == sum(causes.values())
    assert all(r["stage"] in REJECT_STAGES and r["reason"] for r in written)
    card = json.loads(result.paths["data_card"].read_text(encoding="utf-8"))["files"][ctype]
    assert (card["shape"], card["container"], card["funnel"]) == (data.shape, data.container, funnel)
