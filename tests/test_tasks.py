"""Tests of utils.tasks: the prompt builder and the answer parser's robustness rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from utils.tasks import (
    COMMENT_TYPE_LABELS,
    answers_finished,
    CUSTOMER_QUESTIONS,
    VENDOR_QUESTIONS,
    build_prompt,
    format_answers,
    parse_answers,
    parse_answers_detailed,
    questions,
)

AMP_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "amp_original"

VENDOR_OK = {1: 1, 2: 2, 3: 3, 4: 0, 5: 1, 6: 1, 7: 0, 8: 0, 9: 1, 10: 0,
             11: "The engineer asks for HiveServer2 logs after a 7.1.9 upgrade."}


def canonical(answers: dict = VENDOR_OK) -> str:
    return format_answers(answers, "vendor")


# ------------------------------------------------------------------------------- prompt
@pytest.mark.parametrize("comment_type", ["vendor", "customer"])
@pytest.mark.parametrize("style", ["full", "compact"])
def test_prompt_layout(comment_type, style):
    prompt = build_prompt("  Line one.\n\n  Line two.  \n", comment_type, vendor="Acme", style=style)
    lines = prompt.splitlines()
    assert COMMENT_TYPE_LABELS[comment_type] in lines[0] and "Acme" in lines[0]
    assert "`N. value`" in lines[0]
    start, end = lines.index("Comment:"), lines.index("Questions:")
    # the comment sits verbatim between the delimiters, outer whitespace stripped only
    assert "\n".join(lines[start + 1:end]).strip() == "Line one.\n\n  Line two."
    qs = questions(comment_type)
    assert len(lines) - end - 1 == len(qs)
    for q, line in zip(qs, lines[end + 1:]):
        assert line.startswith(f"{q.number}. ")
        assert line.endswith(f"[{q.answer_hint}]")
        assert q.render("Acme", short=style == "compact") in line
    assert "{vendor}" not in prompt
    assert prompt == build_prompt("  Line one.\n\n  Line two.  \n", comment_type, vendor="Acme", style=style)


def test_compact_prompt_is_short():
    # the demo student is a 135M model trained on a CPU: the fixed part of its prompt must stay small
    vendor = build_prompt("", "vendor", style="compact")
    assert len(vendor) < 600
    assert len(build_prompt("", "customer", style="compact")) < 800
    assert len(build_prompt("", "vendor", style="full")) > len(vendor)


def test_prompt_refuses_unknown_type_and_style():
    with pytest.raises(ValueError, match="valid types"):
        build_prompt("x", "partner")
    with pytest.raises(ValueError, match="valid styles"):
        build_prompt("x", "vendor", style="tiny")


# ------------------------------------------------------------------------------- parser basics
def test_round_trip_of_canonical_answers():
    for comment_type, qs in (("vendor", VENDOR_QUESTIONS), ("customer", CUSTOMER_QUESTIONS)):
        answers = {q.number: ("A short summary." if q.kind == "TEXT" else q.high) for q in qs}
        parsed = parse_answers_detailed(format_answers(answers, comment_type), comment_type)
        assert parsed.complete and parsed.errors == {}
        assert parsed.values == answers


def test_every_question_has_an_entry_even_for_empty_text():
    parsed = parse_answers_detailed("", "customer")
    assert set(parsed.values) == set(range(1, 18))
    assert all(v is None for v in parsed.values.values())
    assert all(e == "missing" for e in parsed.errors.values())
    assert not parsed.complete
    assert parse_answers("", "vendor") == {n: None for n in range(1, 12)}


def test_errors_say_why():
    text = "1. maybe\n2. 7\n3. 2.5\n4. 2\n5. 0\n6. 0\n7. 0\n8. 0\n9. 0\n11.   "
    parsed = parse_answers_detailed(text, "vendor")
    assert parsed.errors == {
        1: "not a number: 'maybe'",
        2: "out of range 1-4: 7",
        3: "not an integer: '2.5'",
        4: "out of range 0-1: 2",
        10: "missing",
        11: "empty",
    }
    assert all(parsed.values[n] is None for n in parsed.errors)
    assert parsed.values[5] == 0


# ------------------------------------------------------------------------------- robustness
@pytest.mark.parametrize("header", [
    "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "<|begin_of_text|><|start_header_id|>assistant<|end_header_id|>",
    "assistant\n",
    "Assistant: ",
    "<|im_start|>assistant\n",
])
def test_role_headers(header):
    assert parse_answers(header + canonical(), "vendor") == VENDOR_OK


def test_end_of_turn_marker_ends_the_answer():
    text = canonical() + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n1. 0\n2. 4"
    assert parse_answers(text, "vendor") == VENDOR_OK
    assert parse_answers(canonical() + "<|im_end|>\nmore", "vendor") == VENDOR_OK


def test_preamble_and_blank_lines():
    body = canonical().replace("\n", "\n\n")
    text = "Here are the answers:\n\nI read the comment carefully.\n" + body
    assert parse_answers(text, "vendor") == VENDOR_OK


def test_trailing_chatter_after_a_blank_line_is_not_the_summary():
    text = canonical() + "\n\nLet me know if you need anything else!\nThanks."
    assert parse_answers(text, "vendor") == VENDOR_OK


def test_chatter_on_the_next_line_stays_in_the_summary():
    # documented limit: without a blank line the parser cannot tell chatter from summary
    text = canonical() + "\nLet me know if you need more."
    assert parse_answers(text, "vendor")[11].endswith("logs after a 7.1.9 upgrade. Let me know if you need more.")


@pytest.mark.parametrize("template", [
    "**{n}.** {v}", "**{n}. {v}**", "**{n}**. {v}", "{n}) {v}", "{n}: {v}", "Q{n}: {v}", "Q{n}. {v}",
    "Question {n}: {v}", "{n} - {v}", "- {n}. {v}", "### {n}. {v}", "{n}. **{v}**", "({n}) {v}",
])
def test_numbering_variants(template):
    text = "\n".join(template.format(n=n, v=v) for n, v in VENDOR_OK.items())
    assert parse_answers(text, "vendor") == VENDOR_OK


@pytest.mark.parametrize("value, expected", [
    ("1 (yes)", 1), ("0 (no)", 0), ("Yes", 1), ("no", 0), ("True", 1), ("FALSE", 0),
    ("Yes, the engineer proposes a fix.", 1), ("1 = yes", 1), ("`1`", 1),
    ("technical information? 1", 1), ("Technical information? No", 0),
    ("Does the comment contain technical information (errors, logs, configuration, versions, "
     "commands, components)? 1 = yes, 0 = no. 0", 0),
])
def test_bool_values(value, expected):
    assert parse_answers(f"1. {value}", "vendor")[1] == expected


@pytest.mark.parametrize("value, expected", [
    ("S2", 2), ("s1", 1), ("2 - major impact", 2), ("3/4", 3), ("**4**", 4), ("2 (major)", 2),
    ("The severity is 2", 2), ("Severity: 3", 3), ("severity, 1 critical to 4 minor: 1", 1),
    ("(2) major", 2), ("Impact on 7.1.9 is 2", 2), ("CDP 7.1.9 is down: 1", 1),
])
def test_score_values(value, expected):
    assert parse_answers(f"2. {value}", "vendor")[2] == expected


@pytest.mark.parametrize("value, error", [
    ("Yes", "not a number: 'Yes'"),  # words only count for BOOL questions
    ("between 2 and 3", "not a number: 'between 2 and 3'"),  # two integers, none first: ambiguous
    ("5", "out of range 1-4: 5"),
    ("0", "out of range 1-4: 0"),
    ("N/A", "not a number: 'N/A'"),
    ("-1", "not a number: '-1'"),
    ("CDP 7.1.9", "not a number: 'CDP 7.1.9'"),  # a version is not a score
])
def test_score_values_refused(value, error):
    assert parse_answers_detailed(f"2. {value}", "vendor").errors[2] == error


def test_customer_priority_in_s_notation():
    text = "9. S1\n3. 0"
    values = parse_answers(text, "customer")
    assert values[9] == 1 and values[3] == 0


def test_duplicated_question_numbers_keep_the_first():
    text = canonical() + "\n\n1. 0\n2. 4\n"
    assert parse_answers(text, "vendor") == VENDOR_OK
    text = "1. 1\n1. 0\n2. 3\n2. 1\n" + canonical()
    values = parse_answers(text, "vendor")
    assert values[1] == 1 and values[2] == 3


def test_a_repeated_answer_does_not_leak_into_the_next_empty_one():
    values = parse_answers_detailed("1. 1\n2.\n1. 0\n3. 2", "vendor")
    assert values.values[2] is None and values.errors[2] == "empty"
    assert values.values[3] == 2


def test_value_on_the_next_line():
    text = "1.\n1\n2.\n\n3\n11.\nA summary on its own line."
    values = parse_answers(text, "vendor")
    assert values[1] == 1 and values[2] == 3 and values[11] == "A summary on its own line."


def test_multi_line_summary_is_joined():
    text = canonical().replace(VENDOR_OK[11], "The engineer asks for\n  the HiveServer2 logs\n- and the config.")
    assert parse_answers(text, "vendor")[11] == "The engineer asks for the HiveServer2 logs - and the config."


def test_numbered_steps_inside_a_summary_stay_in_it():
    text = canonical().replace(VENDOR_OK[11], "Steps given:\n1. restart the service\n2. send 2.5 GB of logs")
    assert parse_answers(text, "vendor")[11] == "Steps given: 1. restart the service 2. send 2.5 GB of logs"


def test_summary_before_other_answers_ends_at_the_next_unanswered_number():
    text = "11. Short summary.\nSecond line.\n\n1. 1\n2. 2"
    values = parse_answers(text, "vendor")
    assert values[11] == "Short summary. Second line." and values[1] == 1 and values[2] == 2


@pytest.mark.parametrize("line", [
    "11. Summary: The engineer asks for logs.",
    "11. **Summary:** The engineer asks for logs.",
    "11.\nSummary: The engineer asks for logs.",
    "**11.** **The engineer asks for logs.**",
])
def test_summary_label_and_bold_are_dropped(line):
    assert parse_answers(line, "vendor")[11] == "The engineer asks for logs."


def test_numbers_outside_the_task_are_text():
    values = parse_answers("12. 1\n0. 1\n11. Summary.\n12. more text", "vendor")
    assert values[11] == "Summary. 12. more text"
    assert values[1] is None


# ------------------------------------------------------------------------------- real outputs
# Real raw answers of the untuned Llama-3.1-8B-Instruct from the original AMP's evaluation data.
# These records answer 0 to severity and urgency, which the task defines as 1-4: the parser rightly
# refuses the value instead of inventing one. Checked by eye; the rest of each answer is well formed.
EXPECTED_INCOMPLETE = {
    "vendor": ({"vendor-027", "vendor-033", "vendor-072", "vendor-357", "vendor-372", "vendor-408",
                "vendor-417", "vendor-439"}, {2: "out of range 1-4: 0", 3: "out of range 1-4: 0"}),
    "customer": ({"customer-095", "customer-156", "customer-177", "customer-218", "customer-238",
                  "customer-271", "customer-308", "customer-315", "customer-326", "customer-342",
                  "customer-356", "customer-382", "customer-399", "customer-401", "customer-408",
                  "customer-411", "customer-420", "customer-456", "customer-457", "customer-459",
                  "customer-492"}, {4: "out of range 1-4: 0", 5: "out of range 1-4: 0"}),
}


@pytest.mark.parametrize("comment_type", ["vendor", "customer"])
def test_real_base_model_outputs_parse(comment_type):
    path = AMP_DIR / f"{comment_type}_comments_llama31_8b_base.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent (the original AMP's outputs are not shipped with the project)")
    records = json.loads(path.read_text(encoding="utf-8"))
    assert len(records) == 500
    allowed, allowed_errors = EXPECTED_INCOMPLETE[comment_type]
    incomplete = set()
    for rec in records:
        parsed = parse_answers_detailed(rec["base_model_output"], comment_type)
        assert set(parsed.values) == {q.number for q in questions(comment_type)}
        if rec["id"] in allowed:
            assert parsed.errors == allowed_errors, rec["id"]
            incomplete.add(rec["id"])
            continue
        assert parsed.complete, (rec["id"], parsed.errors)
        summary = parsed.values[max(parsed.values)]
        assert isinstance(summary, str) and len(summary) > 20, rec["id"]
        assert "<|" not in summary and "\n" not in summary, rec["id"]
    assert incomplete == allowed


FINISH_CASES = [
    canonical() + "\n\nLet me know if you need more detail.\n11. 0",  # chatter after a blank line
    canonical() + "\nThe logs are attached to the case.\n\nThanks!",  # a second summary line, then chatter
    "Sure, here are the answers:\n" + canonical() + "<|im_end|>\n1. 0",  # end of turn
    "\n".join(canonical().splitlines()[::-1]) + "\n\n9. 0\nnote",  # summary first, a score last
    canonical().replace("3. 3", "3. The severity is 3 of 4") + "\n\nHope this helps.",
    "1. 1\n2.\n2\n" + "\n".join(canonical().splitlines()[2:]) + "\nmore words\n\nBye",  # a value on the next line
]


@pytest.mark.parametrize("full", FINISH_CASES)
def test_generation_may_stop_once_answers_are_finished_without_changing_any(full):
    """At every point where answers_finished says stop, the parse equals the whole text's parse."""
    whole = parse_answers(full, "vendor")
    stops = [i for i in range(len(full) + 1) if answers_finished(full[:i], "vendor")]
    assert stops, "a complete answer must be finishable"
    for i in stops:
        assert parse_answers(full[:i], "vendor") == whole, repr(full[:i][-40:])
    assert stops[0] < len(full)  # it stops before the chatter, not at the very end


def test_answers_are_not_finished_while_a_question_or_the_summary_is_open():
    lines = canonical().splitlines()
    assert not answers_finished("\n".join(lines[:-1]) + "\n", "vendor")  # the summary is missing
    assert not answers_finished(canonical(), "vendor")  # the summary may go on
    assert not answers_finished(canonical() + "\n", "vendor")  # ...on its next line, too
    assert answers_finished(canonical() + "\n\n", "vendor")
    reordered = "\n".join(lines[-1:] + lines[:-1])  # the summary first, the bug question (10) last
    assert not answers_finished(reordered, "vendor")  # "10. 0" could still become "10. 0.5"
    assert answers_finished(reordered + "\n", "vendor")
    assert not answers_finished("", "vendor") and not answers_finished("I cannot answer that.", "vendor")
    assert answers_finished("No answer.<|eot_id|>", "vendor")
    customer = format_answers({q.number: (0 if q.kind != "TEXT" else "Asks for an update.")
                               for q in CUSTOMER_QUESTIONS}, "customer")
    assert answers_finished(customer + "\n\n", "customer") and not answers_finished(customer[:-1], "customer")
