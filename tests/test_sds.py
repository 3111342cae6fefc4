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


def test_record_missing_solution(tmp_path):
    bad = pair("c1")
    del bad["solution"]
    path = write(tmp_path, {"Kafka": topic([pair("c0"), bad]), "Overall_Average": 5.0})
    with pytest.raises(SDSFormatError) as err:
        load_sds(path)
    msg = str(err.value)
    assert str(path) in msg and "'Kafka'" in msg and "pair 1" in msg
    assert "'solution'" in msg and "'question', 'evaluation'" in msg


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


def test_generation_record_missing_prompt_names_the_setting(tmp_path):
    path = write(tmp_path, [{"Seeds": "x", "Prompt": "c0", "Completion": ANSWERS},
                            {"Seeds": "x", "Input": "c1", "Completion": ANSWERS}])
    with pytest.raises(SDSFormatError) as err:
        load_sds(path)
    msg = str(err.value)
    assert str(path) in msg and "record 1" in msg and "'Input'" in msg and "SDS_PROMPT_KEY" in msg
    with pytest.raises(SDSFormatError, match="SDS_COMPLETION_KEY"):
        load_sds(write(tmp_path, [{"Prompt": "c", "Output": "a"}], "g.json"))


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
    ("just text", "auto", "str"),
    (42, "auto", "int"),
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
