"""Tests of utils.sds: reading evaluated and generation exports, and their error messages."""

from __future__ import annotations

import json

import pytest

from utils.sds import SDSExport, SDSFileMissing, SDSFormatError, load_sds, require_scores

ANSWERS = "1. 1\n2. 3\n3. 3\n4. 0\n5. 0\n6. 1\n7. 0\n8. 0\n9. 0\n10. 0\n11. Asks for logs."


def pair(comment: str, score=5, justification="fine", **extra) -> dict:
    out = {"question": comment, "solution": ANSWERS}
    if score is not ...:
        out["evaluation"] = {"score": score, "justification": justification}
    out.update(extra)
    return out


def topic(pairs: list, failed: int = 0) -> dict:
    scores = [p.get("evaluation", {}).get("score") for p in pairs]
    scores = [s for s in scores if isinstance(s, (int, float))]
    return {
        "average_score": sum(scores) / len(scores) if scores else 0,
        "min_score": min(scores, default=0),
        "max_score": max(scores, default=0),
        "evaluated_pairs": pairs,
        "failed_pairs": [{"error": "timeout", "pair": {"question": f"lost {i}"}} for i in range(failed)],
        "total_evaluated": len(pairs),
        "total_failed": failed,
    }


def write(tmp_path, obj, name="VendorComments.json"):
    path = tmp_path / name
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


@pytest.fixture
def evaluated(tmp_path):
    no_score = pair("c-no-score")
    del no_score["evaluation"]["score"]
    return write(tmp_path, {
        "HDFS outages": topic([pair("c0", 5), pair("c1", 4.9), pair("c2", 0)], failed=2),
        "null": topic([pair("c3", ...), no_score, pair("c5", "high"), pair("c6", "4.5")], failed=1),
        "Empty topic": topic([], failed=3),
        "Overall_Average": 4.2,
        "Generated_At": "2024-01-01",  # any other non-object value is skipped too
    })


def test_evaluated_export(evaluated):
    export = load_sds(evaluated)
    assert isinstance(export, SDSExport)
    assert export.format == "evaluated" and export.path == evaluated
    assert export.topics == 3
    assert export.overall_average == 4.2
    assert export.failed_pairs == 6
    assert [p.comment for p in export.pairs] == ["c0", "c1", "c2", "c3", "c-no-score", "c5", "c6"]
    assert [p.index for p in export.pairs] == list(range(7))
    assert all(p.source == "VendorComments.json" and p.solution == ANSWERS for p in export.pairs)
    # failed pairs are counted, never returned
    assert not any(p.comment.startswith("lost") for p in export.pairs)


def test_topics_including_null(evaluated):
    topics = [p.topic for p in load_sds(evaluated).pairs]
    assert topics == ["HDFS outages"] * 3 + [None] * 4


def test_scores(evaluated):
    pairs = load_sds(evaluated).pairs
    scores = [p.score for p in pairs]
    # 4.9 and 0 are kept exactly; missing evaluation, missing score and text give None
    assert scores == [5.0, 4.9, 0.0, None, None, None, 4.5]
    assert isinstance(scores[2], float) and scores[2] == 0.0
    assert pairs[0].justification == "fine" and pairs[3].justification is None
    assert load_sds(evaluated).scored == 4


def test_evaluated_auto_and_forced_format_agree(evaluated):
    assert load_sds(evaluated, fmt="evaluated") == load_sds(evaluated, fmt="auto")


def test_record_missing_solution_is_unreadable_not_fatal(tmp_path):
    bad = pair("c1")
    del bad["solution"]
    path = write(tmp_path, {"Kafka": topic([pair("c0"), bad, pair("c2")]), "Overall_Average": 5.0})
    export = load_sds(path)
    assert [(p.index, p.comment) for p in export.pairs] == [(0, "c0"), (2, "c2")]  # positions stay
    [u] = export.unusable
    assert (u.stage, u.index, u.topic, u.where) == ("unreadable", 1, "Kafka", "topic 'Kafka', evaluated pair 1")
    assert "'solution' is missing" in u.reason and "'question', 'evaluation'" in u.reason
    assert u.record == bad and export.unreadable == 1


def test_failed_evaluation_under_the_generation_keys_is_a_pair_with_score_0(tmp_path):
    """SDS writes a pair whose evaluation failed under Prompt/Completion (its output keys), score 0."""
    failed = {"Prompt": "c1", "Completion": ANSWERS,
              "evaluation": {"score": 0, "justification": "Error during evaluation"}}
    export = load_sds(write(tmp_path, {"Kafka": topic([pair("c0"), failed])}))
    assert [(p.comment, p.score, p.justification) for p in export.pairs] == [
        ("c0", 5.0, "fine"), ("c1", 0.0, "Error during evaluation")]
    assert export.keys == {"question -> solution": 1, "Prompt -> Completion": 1}
    custom = {"comment": "c2", "answers": ANSWERS, "evaluation": {"score": 0, "justification": "Error"}}
    export = load_sds(write(tmp_path, {"Kafka": topic([pair("c0"), custom])}, "c.json"),
                      prompt_key="comment", completion_key="answers")
    assert [p.comment for p in export.pairs] == ["c0", "c2"]


@pytest.mark.parametrize("bad, reason", [
    ('"just a string"', "a string, expected an object"),
    ('{"question": "c", "solution": null}', "'solution' is null"),
    ('{"question": ["c"], "solution": "1. 1"}', "'question' is a list, expected text"),
    ('{"question": 42, "solution": "1. 1"}', "'question' is a number, expected text"),
    ('{"comment": "c"}', "no text under 'question'/'solution' or 'Prompt'/'Completion'"),
    ('{"question": "c", "solution": "1. 1", "evaluation": {"score": 5, "score": 1}}',  # json keeps the last
     "key 'score' appears more than once with different values"),
])
def test_unreadable_pairs_are_kept_with_their_reason(tmp_path, bad, reason):
    path = tmp_path / "v.json"
    path.write_text('{"t": {"evaluated_pairs": [%s, %s]}}' % (json.dumps(pair("c0")), bad), encoding="utf-8")
    export = load_sds(path)
    assert [p.comment for p in export.pairs] == ["c0"]
    [u] = export.unusable
    assert reason in u.reason and u.record == json.loads(bad)


def test_failed_pairs_and_error_topics_are_unusable_records(tmp_path):
    path = write(tmp_path, {"ok": topic([pair("c0")], failed=2),
                            "broken": {"error": "Critical error in evaluate_topic: timeout"},
                            "counted only": {"evaluated_pairs": [pair("c1")], "total_failed": 3}})
    export = load_sds(path)
    assert export.failed_pairs == 5 and export.topics == 3 and [p.comment for p in export.pairs] == ["c0", "c1"]
    assert [(u.stage, u.topic, u.index) for u in export.unusable] == [
        ("failed_pairs", "ok", None), ("failed_pairs", "ok", None), ("unreadable", "broken", None)]
    assert export.unusable[0].reason == "SDS recorded a failure: timeout"
    assert "Critical error in evaluate_topic: timeout" in export.unusable[2].reason


def test_repeated_topic_keys_and_list_topics_lose_no_pair(tmp_path):
    path = tmp_path / "v.json"
    path.write_text('{"HDFS": %s, "HDFS": %s, "Kafka": [%s], "Overall_Average": 5}' % (
        json.dumps(topic([pair("c0")])), json.dumps(topic([pair("c1")])), json.dumps(pair("c2"))), encoding="utf-8")
    export = load_sds(path)
    assert [(p.topic, p.comment) for p in export.pairs] == [("HDFS", "c0"), ("HDFS", "c1"), ("Kafka", "c2")]
    assert any("'HDFS' appears 2 times" in n for n in export.notes)
    assert any("'Kafka' is a list" in n for n in export.notes)


def test_too_deep_nesting(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    with pytest.raises(SDSFormatError, match=r"deep.json nests JSON deeper.*export it again"):
        load_sds(deep)
    nested = pair("c1", extra=json.loads("[" * 40 + "]" * 40))
    export = load_sds(write(tmp_path, {"t": topic([pair("c0"), nested])}))
    assert [p.comment for p in export.pairs] == ["c0"]
    assert "nested more than 32 levels deep" in export.unusable[0].reason
    assert export.unusable[0].record.startswith("<not kept")  # a record too deep to write back


def test_topic_without_pairs_is_refused(tmp_path):
    path = write(tmp_path, {"settings": {"model": "x"}})
    with pytest.raises(SDSFormatError, match="'settings'.*evaluated_pairs.*'model'"):
        load_sds(path)


# ------------------------------------------------------------------------------- generation
def test_generation_export_default_keys(tmp_path):
    path = write(tmp_path, [
        {"Seeds": "HDFS", "Prompt": "c0", "Completion": ANSWERS},
        {"Seeds": "Kafka", "Prompt": "c1", "Completion": ANSWERS},
        {"Prompt": "c2", "Completion": ANSWERS},
    ])
    export = load_sds(path)
    assert export.format == "generation"
    assert [(p.index, p.topic, p.comment, p.score) for p in export.pairs] == [
        (0, "HDFS", "c0", None), (1, "Kafka", "c1", None), (2, None, "c2", None)]
    assert export.failed_pairs == 0 and export.overall_average is None and export.topics == 3


def test_generation_export_generated_from(tmp_path):
    path = write(tmp_path, [{"Generated_From": "guide.pdf", "Prompt": "c0", "Completion": ANSWERS}])
    assert load_sds(path).pairs[0].topic == "guide.pdf"
    assert load_sds(path, topic_key="Generated_From").pairs[0].topic == "guide.pdf"


def test_generation_export_custom_keys(tmp_path):
    path = write(tmp_path, [{"Generated_From": "doc", "comment": "c0", "answers": ANSWERS}])
    export = load_sds(path, fmt="generation", topic_key="Generated_From", prompt_key="comment",
                      completion_key="answers")
    assert (export.pairs[0].topic, export.pairs[0].comment, export.pairs[0].solution) == ("doc", "c0", ANSWERS)


def test_generation_record_missing_prompt_is_unreadable_naming_the_setting(tmp_path):
    path = write(tmp_path, [{"Seeds": "x", "Prompt": "c0", "Completion": ANSWERS},
                            {"Seeds": "x", "Input": "c1", "Completion": ANSWERS}])
    export = load_sds(path)
    assert [p.comment for p in export.pairs] == ["c0"]
    [u] = export.unusable
    assert u.where == "record 1" and "'Prompt' is missing" in u.reason and "'Input'" in u.reason


def test_no_record_with_the_keys_names_the_keys_seen_and_the_settings(tmp_path):
    path = write(tmp_path, [{"Seeds": "x", "comment": f"c{i}", "labels": ANSWERS} for i in range(3)])
    with pytest.raises(SDSFormatError) as err:
        load_sds(path)
    msg = str(err.value)
    assert str(path) in msg and "none of its 3 records" in msg
    assert "'Prompt'/'Completion' or 'question'/'solution'" in msg
    assert "'comment' (3)" in msg and "'labels' (3)" in msg and "SDS_PROMPT_KEY" in msg and "SDS_COMPLETION_KEY" in msg


@pytest.mark.parametrize("records, shape", [
    ([{"Seeds": "HDFS", "Prompt": "c", "Completion": "a"}], "sft_generation"),
    ([{"Generated_From": "doc.pdf", "Prompt": "c", "Completion": "a"}], "sft_generation"),
    ([{"Prompt": "c", "Completion": "a"}], "custom_workflow_generation"),
    ([{"Seeds": "HDFS", "Prompt": "c", "Completion": "a", "product": "HDFS"}], "freeform_generation"),
    ([{"Seeds": "HDFS", "question": "c", "solution": "a"}], "sft_generation"),
])
def test_generation_shapes(tmp_path, records, shape):
    export = load_sds(write(tmp_path, records))
    assert (export.format, export.shape, export.container) == ("generation", shape, "json")
    assert export.pairs[0].comment == "c" and export.pairs[0].solution == "a"


# ------------------------------------------------------------------------------- freeform evaluated
def test_freeform_evaluated_export(tmp_path):
    """SDS's Freeform evaluation: one object with evaluated_rows of {row, evaluation} and failed_rows."""
    path = write(tmp_path, {
        "average_score": 4.5, "min_score": 4, "max_score": 5,
        "evaluated_rows": [
            {"row": {"Seeds": "HDFS", "Prompt": "c0", "Completion": ANSWERS},
             "evaluation": {"score": 5, "justification": "ok"}},
            {"row": {"Seeds": "null", "question": "c1", "solution": ANSWERS},
             "evaluation": {"score": 4, "justification": "ok"}},
            {"row": {"Seeds": "HDFS", "Prompt": "c2"},  # no answers: unreadable
             "evaluation": {"score": 0, "justification": "Error during evaluation"}},
            {"evaluation": {"score": 5}},
        ],
        "failed_rows": [{"error": "Error processing future result: boom", "row": {"Seeds": "Kafka", "Prompt": "c9"}}],
        "total_evaluated": 4, "total_failed": 1, "Overall_Average": 4.5,
    })
    export = load_sds(path)
    assert (export.format, export.shape, export.overall_average) == ("evaluated", "freeform_evaluated", 4.5)
    assert [(p.index, p.topic, p.comment, p.score) for p in export.pairs] == [
        (0, "HDFS", "c0", 5.0), (1, None, "c1", 4.0)]
    assert [(u.stage, u.index, u.topic) for u in export.unusable] == [
        ("failed_pairs", None, "Kafka"), ("unreadable", 2, "HDFS"), ("unreadable", 3, None)]
    assert "'Completion' is missing" in export.unusable[1].reason
    assert "no 'row' object" in export.unusable[2].reason
    assert export.failed_pairs == 1 and export.topics == 2


def test_freeform_evaluated_without_usable_keys_names_the_keys(tmp_path):
    rows = [{"row": {"field1": "v", "field2": "w"}, "evaluation": {"score": 4, "justification": "ok"}}]
    with pytest.raises(SDSFormatError, match=r"freeform_evaluated.*'field1' \(1\), 'field2' \(1\).*SDS_PROMPT_KEY"):
        load_sds(write(tmp_path, {"evaluated_rows": rows, "failed_rows": [], "Overall_Average": 4}))
    export = load_sds(write(tmp_path, {"evaluated_rows": rows}, "f.json"), prompt_key="field1", completion_key="field2")
    assert export.pairs[0].comment == "v" and export.keys == {"field1 -> field2": 1}


# ------------------------------------------------------------------------------- JSON Lines
def test_json_lines_one_pair_per_line_and_a_bad_line_is_a_reject(tmp_path):
    path = tmp_path / "VendorComments.jsonl"
    lines = [json.dumps({"Seeds": "HDFS", "Prompt": "c0", "Completion": ANSWERS}), "",
             '{"Seeds": "HDFS", "Prompt": "c1", "Compl', json.dumps({"Prompt": "c2", "Completion": ANSWERS})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    export = load_sds(path)
    assert (export.format, export.shape, export.container) == ("generation", "sft_generation", "jsonl")
    assert [(p.index, p.line, p.comment) for p in export.pairs] == [(0, 1, "c0"), (2, 4, "c2")]
    [u] = export.unusable
    assert (u.line, u.index, u.where) == (3, 1, "line 3") and u.reason.startswith("not valid JSON (column")


def test_json_lines_of_evaluated_pairs_and_rows(tmp_path):
    pairs = tmp_path / "p.jsonl"
    pairs.write_text("\n".join(json.dumps(x) for x in [pair("c0", 5), pair("c1", 3),
                                                       {"error": "timeout", "pair": {"question": "c9"}}]))
    export = load_sds(pairs)
    assert (export.shape, [p.score for p in export.pairs], export.failed_pairs) == ("sft_evaluated", [5.0, 3.0], 1)
    rows = tmp_path / "VendorComments.json"  # JSON Lines under a .json name are recognised too
    rows.write_text("\n".join(json.dumps({"row": {"Prompt": f"c{i}", "Completion": ANSWERS},
                                          "evaluation": {"score": 5, "justification": "ok"}}) for i in range(3)))
    export = load_sds(rows)
    assert (export.shape, export.container, len(export.pairs)) == ("freeform_evaluated", "jsonl", 3)
    with pytest.raises(SDSFormatError, match="SDS_FORMAT='evaluated'"):
        load_sds(rows, fmt="generation")


def test_json_lines_with_a_bad_byte_loses_only_that_line(tmp_path):
    path = tmp_path / "v.jsonl"
    good = json.dumps({"Prompt": "c0", "Completion": ANSWERS}).encode()
    path.write_bytes(good + b"\n" + b'{"Prompt": "caf\xe9", "Completion": "x"}\n' + good.replace(b"c0", b"c2"))
    export = load_sds(path)
    assert [p.comment for p in export.pairs] == ["c0", "c2"]
    assert export.unusable[0].line == 2 and "not UTF-8" in export.unusable[0].reason


# ------------------------------------------------------------------------------- file errors
def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "CustomerComments.json"
    path.write_text(json.dumps({"t": topic([pair("c0")])})[:-40], encoding="utf-8")
    with pytest.raises(SDSFormatError) as err:
        load_sds(path)
    msg = str(err.value)
    assert str(path) in msg and "line 1" in msg and "export it again" in msg


def test_missing_file_names_the_setting(tmp_path):
    path = tmp_path / "nothing.json"
    with pytest.raises(SDSFileMissing) as err:
        load_sds(path, config_key="CUSTOMER_SDS_FILE")
    assert str(path) in str(err.value) and "CUSTOMER_SDS_FILE" in str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, FileNotFoundError)


@pytest.mark.parametrize("obj, fmt, hint", [
    ("just text", "auto", "a string"),
    (42, "auto", "a number"),
    ([], "evaluated", "SDS_FORMAT='generation'"),
    ({}, "generation", "SDS_FORMAT='evaluated'"),
])
def test_wrong_top_level_type(tmp_path, obj, fmt, hint):
    path = write(tmp_path, obj)
    with pytest.raises(SDSFormatError, match=hint) as err:
        load_sds(path, fmt=fmt)
    assert str(path) in str(err.value)


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="SDS_FORMAT"):
        load_sds(write(tmp_path, []), fmt="csv")


# ------------------------------------------------------------------------------- require_scores
def test_require_scores(tmp_path, evaluated):
    generation = load_sds(write(tmp_path, [{"Prompt": "c", "Completion": "a"}], "g.json"))
    with pytest.raises(SDSFormatError, match="SCORE_THRESHOLD=None"):
        require_scores(generation, 4.9)
    require_scores(generation, None)

    unscored = load_sds(write(tmp_path, {"t": topic([pair("c", ...)])}, "u.json"))
    with pytest.raises(SDSFormatError, match="SCORE_THRESHOLD=None"):
        require_scores(unscored, 0)
    require_scores(unscored, None)

    require_scores(load_sds(evaluated), 4.9)  # some scores present: the filter decides per pair
