"""Judges without a model: the reference judge, the judge prompt, the verdict parser, both-order
judging with fake backends, and the endpoint backend's error when nothing listens."""

import json
import re
import socket
import sys
from pathlib import Path

import pytest

from utils import judge
from utils.judge import (
    build_judge_messages, judge_pairs_llm, judge_with_reference, parse_verdict, reference_verdict,
)
from utils.tasks import VENDOR_QUESTIONS

ROOT = Path(__file__).resolve().parent.parent

BOOL_Q = VENDOR_QUESTIONS[0]  # technical, BOOL
SCORE_Q = VENDOR_QUESTIONS[1]  # severity, SCORE 1-4
TEXT_Q = VENDOR_QUESTIONS[10]  # summary, TEXT


# ------------------------------------------------------------------------------ reference judge
@pytest.mark.parametrize("base, ft, teacher, expected", [
    (0, 1, 1, "win"), (1, 0, 1, "loss"), (1, 1, 1, "tie"), (0, 0, 1, "tie"),
    (None, 1, 1, "win"), (1, None, 1, "loss"), (None, None, 0, "tie"), ("1", 0, "0", "win"),
])
def test_reference_bool(base, ft, teacher, expected):
    assert reference_verdict(BOOL_Q, base, ft, teacher, 0.05) == expected


# An unparsed answer (None) counts as farther from the teacher than any parsed one, so (None, 4)
# with teacher 1 is a win although 4 is the worst score: the judge rewards an answer in the format
# over none. That is why beating the base (which rarely writes the format) is no evidence that the
# student learned the teacher's decisions; Step 3's knowledge headline (kappa, lift over the
# majority baseline) is.
@pytest.mark.parametrize("base, ft, teacher, expected", [
    (4, 2, 1, "win"), (2, 4, 1, "loss"), (1, 3, 2, "tie"), (2, 2, 2, "tie"),
    (None, 4, 1, "win"), (4, None, 1, "loss"), (None, None, 1, "tie"), (3, 1, 2, "tie"),
])
def test_reference_score(base, ft, teacher, expected):
    assert reference_verdict(SCORE_Q, base, ft, teacher, 0.05) == expected


def test_reference_text_margin_and_missing():
    teacher = "The NameNode fails over repeatedly; the engineer asks for the NameNode logs."
    good = "The NameNode keeps failing over and the engineer asks for NameNode logs."
    bad = "Meeting at 10am, dial-in attached."
    assert reference_verdict(TEXT_Q, bad, good, teacher, 0.05) == "win"
    assert reference_verdict(TEXT_Q, good, bad, teacher, 0.05) == "loss"
    assert reference_verdict(TEXT_Q, None, good, teacher, 0.05) == "win"
    assert reference_verdict(TEXT_Q, "", "", teacher, 0.05) == "tie"
    # a gap smaller than the margin is a tie
    near = "The NameNode keeps failing over and the engineer asks for the NameNode logs."
    gap = judge.rouge_l(near, teacher) - judge.rouge_l(good, teacher)
    assert 0 < gap < 0.2
    assert reference_verdict(TEXT_Q, good, near, teacher, 0.2) == "tie"
    assert reference_verdict(TEXT_Q, good, near, teacher, gap / 2) == "win"


@pytest.mark.parametrize("question", [BOOL_Q, SCORE_Q, TEXT_Q])
def test_reference_without_teacher_is_tie(question):
    assert reference_verdict(question, 1, 2, None, 0.05) == "tie"
    assert reference_verdict(question, None, "x", None, 0.05) == "tie"


def test_judge_with_reference_records():
    items = [
        {"id": 7, "type": "vendor", "question": 1, "base": 0, "finetuned": 1, "teacher": 1},
        {"id": 7, "type": "vendor", "question": 11, "base": "", "finetuned": "logs asked", "teacher": "logs asked"},
        {"id": 3, "type": "customer", "question": 3, "base": 0, "finetuned": 0, "teacher": 0},
    ]
    out = judge_with_reference(items, 0.05)
    assert [r["verdict"] for r in out] == ["win", "win", "tie"]
    assert all(r["judge"] == "reference" and r["consistent"] is None and not r["unparsed"] for r in out)
    assert out[1]["rouge_finetuned"] == pytest.approx(1.0) and out[1]["rouge_base"] == 0.0
    with pytest.raises(ValueError, match="does not exist"):
        judge_with_reference([{"id": 1, "type": "vendor", "question": 99}], 0.05)


def test_reference_items_reads_string_keys():
    items = judge.reference_items(5, "vendor", {"1": 1}, {1: 0}, {"1": 1, "11": "text"})
    assert len(items) == len(VENDOR_QUESTIONS)
    assert items[0] == {"id": 5, "type": "vendor", "question": 1, "base": 1, "finetuned": 0, "teacher": 1}
    assert items[10]["teacher"] == "text" and items[10]["base"] is None


# ------------------------------------------------------------------------------ prompt
def test_build_judge_messages_shape():
    msgs = build_judge_messages("Please send the logs.", "Does it ask for logs? 1 = yes, 0 = no.", "1", "")
    assert msgs[0]["role"] == "system" and "JSON" in msgs[0]["content"]
    roles = [m["role"] for m in msgs[1:]]
    assert roles == ["user", "assistant"] * 3 + ["user"]
    shots = [json.loads(m["content"])["choice"] for m in msgs if m["role"] == "assistant"]
    assert sorted(shots) == ["A", "B", "tie"]
    last = msgs[-1]["content"]
    assert "Please send the logs." in last and "Does it ask for logs?" in last
    assert "Answer A:\n1" in last and "Answer B:\n(no answer)" in last
    assert '"choice"' in last


# ------------------------------------------------------------------------------ parser
@pytest.mark.parametrize("text, expected", [
    ('{"choice": "A"}', "A"),
    ('  {"choice":"b"}\n', "B"),
    ('```json\n{"choice": "Tie"}\n```', "tie"),
    ("Sure. {'choice': 'a'} is my verdict.", "A"),
    ('The better one: {"choice": "B", "reason": "closer"} thanks', "B"),
    ('{"Choice": "TIE"}', "tie"),
    ('"choice": "B"', "B"),
    ("A", "A"),
    (" tie. ", "tie"),
    ('{"choice": "A"}\nuser: ... {"choice": "B"}', "A"),
    ('{"choice": "C"}', None),
    ("I cannot decide", None),
    ("Answer A is better", None),
    ("", None),
    (None, None),
    ('{"choice": "both"}', None),
])
def test_parse_verdict(text, expected):
    assert parse_verdict(text) == expected


# ------------------------------------------------------------------------------ both-order judging
def _answers_of(messages):
    text = messages[-1]["content"]
    a = re.search(r"Answer A:\n(.*?)\n\nAnswer B:", text, re.S).group(1)
    b = re.search(r"Answer B:\n(.*?)\n\nWhich answer", text, re.S).group(1)
    return a, b


def _prefer(good):
    calls = []

    def fn(batch):
        calls.append(len(batch))
        out = []
        for msgs in batch:
            a, b = _answers_of(msgs)
            out.append('{"choice": "A"}' if a == good else '{"choice": "B"}' if b == good else '{"choice": "tie"}')
        return out
    fn.calls = calls
    return fn


def _item(i, base, ft):
    return {"id": i, "type": "vendor", "question": 2, "question_text": "Severity?", "comment": f"comment {i}",
            "base": base, "finetuned": ft}


def test_both_orders_agree_gives_verdict():
    fn = _prefer("2")
    out = judge_pairs_llm([_item(1, "4", "2"), _item(2, "2", "3"), _item(3, "1", "3")], fn)
    assert [r["verdict"] for r in out] == ["win", "loss", "tie"]
    assert all(r["consistent"] and not r["unparsed"] and r["retried"] == 0 for r in out)
    assert out[0]["verdict_ab"] == out[0]["verdict_ba"] == "win"
    assert fn.calls == [6]  # both orders of every item in one batched call


def test_position_bias_becomes_tie_and_inconsistent():
    from utils.metrics import position_consistency

    out = judge_pairs_llm([_item(i, "1", "2") for i in range(4)], lambda batch: ['{"choice": "A"}'] * len(batch))
    assert all(r["verdict"] == "tie" and r["consistent"] is False for r in out)
    assert {(r["verdict_ab"], r["verdict_ba"]) for r in out} == {("loss", "win")}
    assert position_consistency(out) == 0.0


def test_tie_against_win_is_tie():
    replies = iter(['{"choice": "tie"}', '{"choice": "A"}'])  # AB tie, BA fine-tuned wins
    out = judge_pairs_llm([_item(1, "3", "2")], lambda batch: [next(replies) for _ in batch])
    assert out[0]["verdict"] == "tie" and out[0]["verdict_ab"] == "tie" and out[0]["verdict_ba"] == "win"
    assert out[0]["consistent"] is False


def test_garbage_once_is_retried():
    calls = []

    def fn(batch):
        calls.append(len(batch))
        if len(calls) == 1:
            return ["no idea", '{"choice": "A"}']  # AB unreadable, BA says fine-tuned
        return ['{"choice": "B"}']  # retry of AB: fine-tuned
    out = judge_pairs_llm([_item(1, "3", "2")], fn)
    assert calls == [2, 1]
    rec = out[0]
    assert rec["verdict"] == "win" and rec["retried"] == 1 and not rec["unparsed"] and rec["consistent"]
    assert rec["raw_ab"] == '{"choice": "B"}'


def test_still_unparseable_is_counted_not_tied():
    from utils.metrics import position_consistency, win_counts

    calls = []

    def fn(batch):
        calls.append(len(batch))
        return ["???" if "comment 1" in m[-1]["content"] else '{"choice": "B"}' for m in batch]
    out = judge_pairs_llm([_item(1, "3", "2"), _item(2, "3", "2")], fn, retries=1)
    assert calls == [4, 2]
    bad, good = out
    assert bad["verdict"] is None and bad["unparsed"] is True and bad["retried"] == 2
    assert bad["raw_ab"] == "???"
    assert good["verdict"] == "tie" and good["verdict_ab"] == "win" and good["verdict_ba"] == "loss"
    counts = win_counts(out)
    assert counts["unparsed"] == 1 and counts["n"] == 1
    assert position_consistency(out) == 0.0  # unparsed left out of the denominator


def test_no_retry_when_retries_zero():
    calls = []
    out = judge_pairs_llm([_item(1, "3", "2")], lambda b: calls.append(len(b)) or ["x"] * len(b), retries=0)
    assert calls == [2] and out[0]["unparsed"] and out[0]["retried"] == 0


def test_identical_answers_skip_the_model():
    def boom(batch):
        raise AssertionError("the model must not be called")
    out = judge_pairs_llm([_item(1, " 2 ", "2"), _item(2, "a  b", "a b\n")], boom)
    assert all(r["verdict"] == "tie" and r["consistent"] and r["identical"] for r in out)


def test_wrong_reply_count_is_refused():
    with pytest.raises(ValueError, match="one reply per conversation"):
        judge_pairs_llm([_item(1, "1", "2")], lambda batch: ["A"])


def test_llm_items_fill_vendor():
    items = judge.llm_items(9, "vendor", "text", "Acme", {1: 1, "9": 0}, {})
    assert len(items) == len(VENDOR_QUESTIONS)
    assert items[8]["question_text"].count("Acme") == 2 and items[8]["base"] == "0"
    assert items[0]["finetuned"] == ""


# ------------------------------------------------------------------------------ endpoint backend
def test_endpoint_unreachable_names_url_and_keys(monkeypatch):
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    monkeypatch.setenv("KD_TEST_JUDGE_KEY", "secret-value-123")
    fn = judge.endpoint_generate_fn(url, "judge-model", "KD_TEST_JUDGE_KEY", 8, max_retries=0, timeout=5)
    with pytest.raises(judge.JudgeEndpointError) as err:
        fn([[{"role": "user", "content": "hi"}]])
    message = str(err.value)
    assert url in message and "JUDGE_ENDPOINT_URL" in message and "JUDGE_ENDPOINT_MODEL" in message
    assert "secret-value-123" not in message


def test_module_does_not_import_torch():
    import subprocess

    code = "import sys; import utils.judge, utils.metrics; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
