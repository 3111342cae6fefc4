"""The LLM judge's calibration (teacher against the majority baseline) and its verdict store."""

import json
import re


from Config.Config import load_config
from test_judge import _answers_of  # reads the two answers out of a judge prompt
from utils import evaluation, report
from utils.metrics import compute_metrics
from utils.tasks import TASKS, questions


def _answers(n=12):
    rows = []
    for i in range(n):
        teacher = {q.number: (i % 2 if q.kind == "BOOL" else 1 + i % 4 if q.kind == "SCORE" else f"case {i} summary")
                   for q in questions("vendor")}
        rows.append({"type": "vendor", "id": f"v{i}", "comment": f"comment number {i}", "teacher": teacher,
                     "base": {}, "finetuned": dict(teacher),
                     "majority": {q.number: (0 if q.kind == "BOOL" else 2 if q.kind == "SCORE" else "a summary")
                                  for q in questions("vendor")}})
    return rows


def _cfg(tmp_path, **extra):
    return load_config("demo", {"JUDGE": "llm", "JUDGE_ENDPOINT_URL": "http://127.0.0.1:9/v1",
                                "JUDGE_ENDPOINT_MODEL": "fake-judge", "RESULTS_DIR": str(tmp_path),
                                "JUDGE_CALIBRATION_ITEMS": 20, **extra})


def teacher_preferring_judge(rows):
    """Knows the teacher's answer to each (comment, question) and picks it: a judge that can tell."""
    truth = {(r["comment"], q.render("Cloudera")): str(r["teacher"][q.number])
             for r in rows for q in questions(r["type"])}
    calls = []

    def generate(batch):
        calls.append(len(batch))
        out = []
        for messages in batch:
            text = messages[-1]["content"]
            comment = re.search(r"<<<\n(.*?)\n>>>", text, re.S).group(1)
            question = re.search(r"Question: (.*?)\n\nAnswer A:", text, re.S).group(1)
            right = truth[(comment, question)]
            a, b = _answers_of(messages)
            out.append(json.dumps({"choice": "A" if a == right != b else "B" if b == right != a else "tie"}))
        return out

    return generate, calls


def position_biased_judge(batch):
    """Always picks the first answer: both orders disagree, every pair becomes a tie."""
    return ['{"choice": "A"}'] * len(batch)


def test_a_judge_that_can_tell_passes_calibration(tmp_path):
    rows = _answers()
    generate, _ = teacher_preferring_judge(rows)
    calibration = evaluation.judge_calibration(_cfg(tmp_path), rows, generate)
    assert calibration["items"] == 20 and calibration["teacher_adjusted_win_rate"] == 1.0
    assert calibration["position_consistency"] == 1.0 and calibration["wins"] == 20


def test_a_position_biased_judge_is_flagged(tmp_path):
    rows = _answers()
    cfg = _cfg(tmp_path)
    calibration = evaluation.judge_calibration(cfg, rows, position_biased_judge)
    assert calibration["teacher_adjusted_win_rate"] == 0.5 and calibration["position_consistency"] == 0.0
    verdicts = evaluation.judge_with_llm(cfg, evaluation_items(cfg, rows), position_biased_judge)
    metrics = compute_metrics(verdicts, rows, {"vendor": TASKS["vendor"]}, 100, 0)
    metrics["judge_calibration"] = calibration
    check = report.check_expectations(cfg, metrics)
    assert check["passed"] is False and "could not prefer the teacher" in check["message"]


def test_calibration_sample_is_seeded_and_skips_equal_answers(tmp_path):
    rows = _answers()
    generate, _ = teacher_preferring_judge(rows)
    first = evaluation.judge_calibration(_cfg(tmp_path / "a"), rows, generate)
    again = evaluation.judge_calibration(_cfg(tmp_path / "b"), list(reversed(rows)), generate)
    assert first == again
    stored = [json.loads(line) for line in (tmp_path / "a" / "generations" / "judge_calibration.jsonl").open()]
    assert all(not r["identical"] for r in stored)  # teacher == majority items are never sampled


def evaluation_items(cfg, rows):
    from utils import judge

    return [item for a in rows for item in judge.llm_items(a["id"], a["type"], a["comment"], cfg.VENDOR_NAME,
                                                          a["base"], a["finetuned"])]


def test_the_verdict_store_reuses_only_verdicts_on_the_same_answers(tmp_path):
    rows = _answers(4)
    cfg = _cfg(tmp_path)
    generate, calls = teacher_preferring_judge(rows)
    first = evaluation.judge_with_llm(cfg, evaluation_items(cfg, rows), generate)
    asked = sum(calls)
    assert asked > 0
    again = evaluation.judge_with_llm(cfg, evaluation_items(cfg, rows), generate)
    assert again == first and sum(calls) == asked  # nothing asked again
    rows[0]["finetuned"][2] = 4 if rows[0]["finetuned"][2] != 4 else 3  # retrained: one answer changed
    evaluation.judge_with_llm(cfg, evaluation_items(cfg, rows), generate)
    assert sum(calls) == asked + 2  # that one item, in both orders
    other = _cfg(tmp_path, JUDGE_ENDPOINT_MODEL="another-judge")
    evaluation.judge_with_llm(other, evaluation_items(other, rows), generate)
    assert sum(calls) > asked + 2  # another judge model reuses nothing
