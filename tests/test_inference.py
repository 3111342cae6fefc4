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

    def dies_after_one_batch(texts, **kw):
        if calls:
            raise KeyboardInterrupt  # the kernel is stopped during the second batch
        calls.append(len(texts))
        return real_generate(texts, **kw)

    engine.generate = dies_after_one_batch
    with pytest.raises(KeyboardInterrupt):
        inference.generate_answers(cfg, engine, "base", records, "vendor", progress=False)
    path = inference.generation_file(cfg, "base", "vendor")
    first = read_jsonl(path)
    assert len(first) == 4

    calls.clear()
    engine.generate = lambda texts, **kw: calls.append(len(texts)) or real_generate(texts, **kw)
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
        assert all(set(r) == {"id", "text", "new_tokens", "runtime"} for r in read_jsonl(path))  # which runtime made it
        files.append(path.read_bytes())
    assert files[0] == files[1]


def test_common_prefix_leaves_every_row_a_token_of_its_own():
    assert inference.common_prefix_length([[1, 2, 3, 4], [1, 2, 3, 5, 6], [1, 2, 3, 4, 7]]) == 3
    assert inference.common_prefix_length([[1, 2, 3], [1, 2, 3, 4]]) == 2  # the shorter row keeps its last token
    assert inference.common_prefix_length([[1, 2, 3]]) == 0  # nothing to share with
    assert inference.common_prefix_length([[9, 2], [1, 2]]) == 0


def test_shared_prefix_batch_gives_the_answers_of_a_padded_batch(tiny_folder):
    """The rows' common start runs once and its cache is copied; in float32 every greedy answer is
    the one the same prompts give in an ordinary left-padded batch, and the stop still works."""
    records = [dict(r, Comment=c, Prompt=build_prompt(c, "vendor", style="compact")) for r, c in zip(_records(3), (
        "Kudu down.", "The Impala daemon on node 7 keeps restarting after the upgrade to 7.1.9, see the log below.",
        "Ranger policies do not sync to HDFS since Tuesday."))]
    outputs = {}
    for share in (False, True):
        cfg = load_config("tiny", {"GEN_MAX_NEW_TOKENS": 12, "DTYPE": "float32", "SHARE_PROMPT_PREFIX": share})
        engine = inference.Engine(tiny_folder, cfg, cfg.GEN_MAX_NEW_TOKENS)
        texts = [engine.render(r["Prompt"]) for r in records]
        ids = engine.prompt_ids(texts)
        assert len({len(row) for row in ids}) == 3  # different lengths: the padding sits mid-row
        assert inference.common_prefix_length(ids) >= inference.MIN_SHARED_PREFIX
        seen = []
        outputs[share] = engine.generate(texts, on_text=seen.append, answers=[("", "vendor")] * 3)
        assert len(seen[-1]) == 3 and all(isinstance(t, str) for t in seen[-1])
        engine.close()
    assert outputs[True] == outputs[False]
    assert all(n > 0 for _, n in outputs[True])


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


def test_generation_stops_once_the_answers_are_finished(tiny_folder, tmp_path):
    """The tiny model is made to write a complete answer and then chatter (each next token forced):
    with the stop, generation ends at the blank line after the summary, and the parse is the same."""
    import torch
    from transformers import StoppingCriteriaList

    from utils.tasks import parse_answers

    cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path)})
    engine = inference.Engine(tiny_folder, cfg, 400)
    tok = engine.tokenizer
    answer = format_answers({q.number: (1 if q.kind != "TEXT" else "Kudu is down.") for q in questions("vendor")},
                            "vendor")
    script = tok(answer + "\n\nLet me know if anything else is needed, I am happy to help further today.",
                 add_special_tokens=False)["input_ids"]
    prompt = engine.render(build_prompt("Kudu tablet server 3 is down.", "vendor", style="compact"))
    batch = tok([prompt], return_tensors="pt", add_special_tokens=False)
    n = batch["input_ids"].shape[1]

    def forced(_row, ids):
        step = len(ids) - n
        return [script[step]] if step < len(script) else [tok.eos_token_id]

    def run(stop):
        with torch.inference_mode():
            out = engine.model.generate(**batch, max_new_tokens=len(script), do_sample=False,
                                        prefix_allowed_tokens_fn=forced, pad_token_id=tok.pad_token_id,
                                        stopping_criteria=StoppingCriteriaList(stop))
        return inference.decode_new_tokens(tok, out, n)[0]

    full_text, full_tokens = run([])
    stopper = inference.AnswerStop(tok, n, [("", "vendor")])
    text, tokens = run([stopper])
    assert full_tokens == len(script) and "Let me know" in full_text
    assert tokens < full_tokens - 10 and "Let me know" not in text
    assert parse_answers(text, "vendor") == parse_answers(full_text, "vendor") == parse_answers(answer, "vendor")
    assert 0 in stopper.finished
    # the heads' prefix counts as the answer's start: with ten lines given, the model's part is shorter still
    prefix = "\n".join(answer.splitlines()[:10]) + "\n11."
    script = tok(" Kudu is down.\n\nMore chatter that nobody reads at all.", add_special_tokens=False)["input_ids"]
    batch = tok([prompt + prefix], return_tensors="pt", add_special_tokens=False)
    n = batch["input_ids"].shape[1]
    text, tokens = run([inference.AnswerStop(tok, n, [(prefix, "vendor")])])
    assert "chatter" not in text and parse_answers(prefix + text, "vendor") == parse_answers(answer, "vendor")
