"""Step 3 generation and LLM judging: resume after a kill, a local judge folder, a real HTTP endpoint."""

import pytest

from Config.Config import load_config
from utils import evaluation, inference
from utils.files import read_jsonl
from utils.tasks import build_prompt, format_answers, questions


def _records(n):
    return [{"id": f"vendor-{i:03d}", "type": "vendor", "Comment": f"Kudu tablet server {i} is down.",
             "Prompt": build_prompt(f"Kudu tablet server {i} is down.", "vendor", style="compact"),
             "Completion": format_answers({q.number: (1 if q.kind != "TEXT" else "Kudu down") for q in questions("vendor")}, "vendor")}
            for i in range(n)]




def test_killed_inference_resumes_without_recomputing(tiny_folder, tmp_path):
    cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path), "GEN_BATCH_SIZE": 4, "GEN_MAX_NEW_TOKENS": 4})
    engine = inference.Engine(tiny_folder, cfg, cfg.GEN_MAX_NEW_TOKENS)
    records = _records(10)
    real_generate, calls = engine.generate, []

    def dies_after_one_batch(texts):
        if calls:
            raise KeyboardInterrupt  # the kernel is stopped during the second batch
        calls.append(len(texts))
        return real_generate(texts)

    engine.generate = dies_after_one_batch
    with pytest.raises(KeyboardInterrupt):
        inference.generate_answers(cfg, engine, "base", records, "vendor", progress=False)
    path = inference.generation_file(cfg, "base", "vendor")
    first = read_jsonl(path)
    assert len(first) == 4

    calls.clear()
    engine.generate = lambda texts: calls.append(len(texts)) or real_generate(texts)
    rows = inference.generate_answers(cfg, engine, "base", records, "vendor", progress=False)
    assert calls == [4, 2], "only the six unfinished comments are generated again"
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert read_jsonl(path)[:4] == first
    stats = inference.speed_stats(rows, "vendor")
    assert stats["prompts"] == 10 and stats["tokens_per_s"] > 0
    timings = read_jsonl(inference.timing_file(path))
    assert [t["batch_size"] for t in timings] == [4, 4, 2] and [t["batch"] for t in timings] == [0, 1, 2]
    assert abs(stats["seconds"] - sum(t["batch_seconds"] for t in timings)) < 0.01  # each batch once


def test_two_runs_write_byte_identical_answer_files(tiny_folder, tmp_path):
    """Timings live beside the answers, so the SHA-256 that metrics.json records is stable."""
    records = _records(6)
    files = []
    for run in ("one", "two"):
        cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path / run), "GEN_BATCH_SIZE": 4, "GEN_MAX_NEW_TOKENS": 4})
        engine = inference.Engine(tiny_folder, cfg, cfg.GEN_MAX_NEW_TOKENS)
        try:
            rows = inference.generate_answers(cfg, engine, "base", records, "vendor", progress=False)
        finally:
            engine.close()
        assert all("batch_seconds" in r for r in rows)  # joined in for speed_stats
        path = inference.generation_file(cfg, "base", "vendor")
        assert all(set(r) == {"id", "text", "new_tokens"} for r in read_jsonl(path))
        files.append(path.read_bytes())
    assert files[0] == files[1]


def _answers():
    teacher = {q.number: (1 if q.kind != "TEXT" else "Kudu tablet server down") for q in questions("vendor")}
    base = {q.number: (0 if q.kind == "BOOL" else None) for q in questions("vendor")}
    return [{"type": "vendor", "id": "vendor-000", "comment": "Kudu tablet server 0 is down.",
             "teacher": teacher, "base": base, "finetuned": dict(teacher)}]


def _check_llm_verdicts(verdicts):
    assert len(verdicts) == len(questions("vendor"))
    for v in verdicts:
        assert v["judge"] == "llm"
        # a random tiny judge rarely answers in JSON: such verdicts are retried, then counted
        assert v["unparsed"] == (v["verdict"] is None)
        if v["unparsed"]:
            assert v["retried"] >= 1 and v["raw_ab"] is not None


def test_llm_judge_with_a_local_model_folder(tiny_folder, tmp_path):
    cfg = load_config("tiny", {"JUDGE": "llm", "JUDGE_MODEL": str(tiny_folder), "RESULTS_DIR": str(tmp_path),
                               "JUDGE_MAX_NEW_TOKENS": 6})
    verdicts, calibration = evaluation.judge_all(cfg, _answers())
    _check_llm_verdicts(verdicts)
    assert calibration is None  # these answer records have no majority baseline to calibrate on
    again, _ = evaluation.judge_all(cfg, _answers())  # resumes from the verdict store: same records
    assert again == verdicts


@pytest.mark.slow
def test_llm_judge_against_an_openai_compatible_server(tiny_folder, tiny_server, tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_API_KEY", "not-a-real-key")
    cfg = load_config("tiny", {"JUDGE": "llm", "JUDGE_ENDPOINT_URL": tiny_server,
                               "JUDGE_ENDPOINT_MODEL": str(tiny_folder), "RESULTS_DIR": str(tmp_path),
                               "JUDGE_MAX_NEW_TOKENS": 6})
    verdicts, _ = evaluation.judge_all(cfg, _answers())
    _check_llm_verdicts(verdicts)
    asked = [v for v in verdicts if not v.get("identical")]
    assert asked and all(isinstance(v["raw_ab"], str) for v in asked), "replies came from the server"


def test_a_torn_last_line_is_repaired_not_fatal(tmp_path):
    """A kill mid-write leaves half a row; the next append must not glue a row onto it."""
    from utils.files import append_jsonl, read_jsonl, repair_jsonl

    path = tmp_path / "progress.jsonl"
    append_jsonl(path, [{"id": 1}, {"id": 2}])
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"id": 3, "text": "half a ro')  # the torn write
    assert [r["id"] for r in read_jsonl(path)] == [1, 2]
    append_jsonl(path, [{"id": 3}, {"id": 4}])
    assert [r["id"] for r in read_jsonl(path)] == [1, 2, 3, 4]  # readable for every later run
    assert path.read_text().count("\n") == 4 and repair_jsonl(path) == 0
    path.write_text('{"id": 9')  # a file that is only a torn line
    assert repair_jsonl(path) == 8 and path.read_text() == ""
