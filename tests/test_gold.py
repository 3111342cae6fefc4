"""Tests of utils.gold: the shipped gold set is usable as a test of every question, and every
kind of broken file is refused with a message naming the file, the record and the fix."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from utils.gold import GoldError, load_gold
from utils.tasks import questions

GOLD = Path(__file__).resolve().parent.parent / "Data" / "gold" / "GoldComments.json"
TYPES = ("vendor", "customer")
LINK_KEYS = ("apache_jira_link", "vendor_doc_link", "other_link")


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return load_gold(GOLD)


def by_type(gold: list[dict], comment_type: str) -> list[dict]:
    return [r for r in gold if r["type"] == comment_type]


def number(comment_type: str, key: str) -> int:
    return next(q.number for q in questions(comment_type) if q.key == key)


# ------------------------------------------------------------------------------- the shipped set
def test_shipped_file_is_the_object_form():
    data = json.loads(GOLD.read_text(encoding="utf-8"))
    assert data["format"] == "kd-gold-v1" and "by hand" in data["description"]


@pytest.mark.parametrize("comment_type", TYPES)
def test_enough_comments_per_type(gold, comment_type):
    assert len(by_type(gold, comment_type)) >= 45


@pytest.mark.parametrize("comment_type", TYPES)
def test_every_bool_and_score_question_is_labelled_and_varies(gold, comment_type):
    recs = by_type(gold, comment_type)
    for q in questions(comment_type):
        if q.kind == "TEXT":
            assert all(q.number not in r["labels"] for r in recs)
            continue
        assert all(q.number in r["labels"] for r in recs), q.key
        counts = Counter(r["labels"][q.number] for r in recs)
        if q.kind == "BOOL":
            # both classes, and enough of the rare one that agreement on it means something
            assert min(counts[0], counts[1]) >= 5, (q.key, counts)
        else:
            assert len(counts) >= 3, (q.key, counts)


_URL = re.compile(r"https?://\S+")


def _link_kinds(comment: str) -> set[str]:
    kinds = set()
    for url in _URL.findall(comment):
        if "issues.apache.org/jira" in url:
            kinds.add("apache_jira_link")
        elif re.match(r"https?://(docs|community)\.cloudera\.com", url):
            kinds.add("vendor_doc_link")
        else:
            kinds.add("other_link")
    return kinds


@pytest.mark.parametrize("comment_type", TYPES)
def test_link_labels_match_the_links_in_the_text(gold, comment_type):
    recs = by_type(gold, comment_type)
    for key in LINK_KEYS:
        n = number(comment_type, key)
        assert sum(r["labels"][n] for r in recs) >= 5, key
        for r in recs:
            assert r["labels"][n] == (key in _link_kinds(r["comment"])), (r["id"], key)


def test_frustration_is_zero_exactly_when_there_is_no_complaint(gold):
    complaint, frustration = number("customer", "complaint"), number("customer", "frustration")
    for r in by_type(gold, "customer"):
        assert (r["labels"][complaint] == 0) == (r["labels"][frustration] == 0), r["id"]


def test_ids_are_unique_and_follow_the_type(gold):
    ids = [r["id"] for r in gold]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(rf"gold-{r['type']}-\d{{3}}", r["id"]) for r in gold)


def test_no_comment_is_duplicated(gold):
    normalised = [" ".join(r["comment"].lower().split()) for r in gold]
    assert len(normalised) == len(set(normalised))


def test_every_comment_has_a_summary(gold):
    assert all(r["summary"] for r in gold)


# ------------------------------------------------------------------------------- loading
VENDOR_RECORD = {"id": "v1", "type": "vendor", "comment": "Please attach the NameNode log.",
                 "labels": {"technical": 1, "severity": 3, "action_request": 1}}


def write(tmp_path: Path, data, name: str = "gold.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_bare_list_loads_with_question_numbers(tmp_path):
    path = write(tmp_path, [VENDOR_RECORD, {**VENDOR_RECORD, "id": "v2", "summary": " Asks for a log. "}])
    records = load_gold(path)
    assert records[0] == {"type": "vendor", "id": "v1", "comment": "Please attach the NameNode log.",
                          "labels": {1: 1, 2: 3, 6: 1}, "summary": None}
    assert records[1]["summary"] == "Asks for a log."


def test_object_form_loads(tmp_path):
    path = write(tmp_path, {"format": "kd-gold-v1", "comments": [VENDOR_RECORD]})
    assert [r["id"] for r in load_gold(path)] == ["v1"]


# ------------------------------------------------------------------------------- errors
def refused(path: Path, *fragments: str) -> str:
    """Load `path`, expect a GoldError naming the file and every fragment; return the message."""
    with pytest.raises(GoldError) as info:
        load_gold(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def test_missing_file(tmp_path):
    refused(tmp_path / "nope.json", "does not exist", "GOLD_FILE")


def test_invalid_json_names_line_and_column(tmp_path):
    path = write(tmp_path, '[\n  {"id": "v1",\n   "type": "vendor",,\n}]')
    refused(path, "line 3", "column", "not valid JSON")


@pytest.mark.parametrize("data, found", [({"comments": "x"}, "str"), (42, "int"), ({"rows": []}, "missing")])
def test_wrong_top_level_shape(tmp_path, data, found):
    refused(write(tmp_path, data), found, "list of comment records")


def test_wrong_format_tag(tmp_path):
    refused(write(tmp_path, {"format": "kd-gold-v0", "comments": []}), "kd-gold-v0", "kd-gold-v1")


def test_record_not_an_object(tmp_path):
    refused(write(tmp_path, [VENDOR_RECORD, "just text"]), "record 1", "not an object", "id, type, comment")


@pytest.mark.parametrize("bad_id", [None, "", "   ", 7])
def test_missing_or_empty_id(tmp_path, bad_id):
    record = {k: v for k, v in VENDOR_RECORD.items() if k != "id"}
    if bad_id is not None:
        record["id"] = bad_id
    refused(write(tmp_path, [VENDOR_RECORD, record]), "record 1", "no id", "gold-vendor-001")


def test_duplicate_id(tmp_path):
    refused(write(tmp_path, [VENDOR_RECORD, VENDOR_RECORD]), "record 1 (id 'v1')", "record 0", "own id")


def test_unknown_type_lists_valid_types(tmp_path):
    refused(write(tmp_path, [{**VENDOR_RECORD, "type": "engineer"}]),
            "record 0 (id 'v1')", "'engineer'", "vendor, customer")


@pytest.mark.parametrize("comment", ["", "  \n ", None])
def test_empty_comment(tmp_path, comment):
    refused(write(tmp_path, [{**VENDOR_RECORD, "comment": comment}]), "record 0 (id 'v1')", "empty", '"comment"')


def test_unknown_label_key_suggests_close_matches(tmp_path):
    record = {**VENDOR_RECORD, "labels": {"severty": 2}}
    message = refused(write(tmp_path, [record]), "record 0 (id 'v1')", "'severty'", "Did you mean 'severity'")
    assert "Valid keys: technical, severity, urgency" in message


def test_customer_key_on_a_vendor_comment(tmp_path):
    record = {**VENDOR_RECORD, "labels": {"frustration": 2}}
    refused(write(tmp_path, [record]), "record 0 (id 'v1')", "unknown label 'frustration'", "Valid keys:")


def test_label_for_the_text_question(tmp_path):
    record = {**VENDOR_RECORD, "labels": {"summary": "Asks for a log."}}
    refused(write(tmp_path, [record]), "record 0 (id 'v1')", "'summary'", 'put the reference text in "summary"')


@pytest.mark.parametrize("key, value, valid", [
    ("technical", "yes", "0 or 1"), ("technical", True, "0 or 1"), ("severity", 2.0, "from 1 to 4"),
    ("severity", "2", "from 1 to 4")])
def test_value_of_the_wrong_kind(tmp_path, key, value, valid):
    record = {**VENDOR_RECORD, "labels": {key: value}}
    refused(write(tmp_path, [record]), "record 0 (id 'v1')", repr(key), valid)


@pytest.mark.parametrize("comment_type, key, value, valid", [
    ("vendor", "technical", 2, "0 or 1"), ("vendor", "severity", 0, "from 1 to 4"),
    ("customer", "frustration", 5, "from 0 to 4"), ("customer", "priority_change", -1, "from 0 to 4")])
def test_value_out_of_range(tmp_path, comment_type, key, value, valid):
    record = {**VENDOR_RECORD, "type": comment_type, "labels": {key: value}}
    refused(write(tmp_path, [record]), "record 0 (id 'v1')", "out of range", valid)


@pytest.mark.parametrize("labels, found", [([1, 0, 1], "list"), (None, "missing"), ("technical=1", "str")])
def test_labels_not_an_object(tmp_path, labels, found):
    record = {k: v for k, v in VENDOR_RECORD.items() if k != "labels"}
    if labels is not None:
        record["labels"] = labels
    refused(write(tmp_path, [record]), "record 0 (id 'v1')", found, "must be an object mapping question keys")


def test_empty_summary(tmp_path):
    path = write(tmp_path, [{**VENDOR_RECORD, "summary": "  "}])
    refused(path, "record 0 (id 'v1')", '"summary"', "leave the field out")
