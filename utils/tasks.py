"""The two analysis tasks as data: their questions, the prompt built from them, and the answer parser.

A task is the list of questions asked about one kind of support-case comment:
  - `vendor`: comments written by the vendor's support engineers (11 questions)
  - `customer`: comments written by customers (17 questions)

Answers are one per line, `N. value`:

    1. 1
    2. 3
    ...
    11. The engineer asks for the NameNode logs after a failover loop on CDP 7.1.9.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Mapping, Optional, Union

AnswerValue = Union[int, str, None]
Kind = Literal["BOOL", "SCORE", "TEXT"]


@dataclass(frozen=True)
class Question:
    """One question of a task. `text` and `short` may hold `{vendor}`."""

    number: int
    key: str  # stable identifier used in tables and metrics
    kind: Kind  # BOOL: 0/1; SCORE: an integer in [low, high]; TEXT: free text
    text: str  # the full wording shown to the student
    short: str  # a few words, for compact prompts and for the judge
    low: Optional[int] = None
    high: Optional[int] = None

    def render(self, vendor: str, short: bool = False) -> str:
        """The question's wording with the vendor's name filled in."""
        return (self.short if short else self.text).format(vendor=vendor)

    @property
    def answer_hint(self) -> str:
        """How an answer must look, e.g. `0 or 1`, `1-4`, `text`."""
        if self.kind == "BOOL":
            return "0 or 1"
        if self.kind == "SCORE":
            return f"{self.low}-{self.high}"
        return "text"


def _bool(n: int, key: str, text: str, short: str) -> Question:
    return Question(n, key, "BOOL", text, short, 0, 1)


def _score(n: int, key: str, text: str, short: str, low: int, high: int) -> Question:
    return Question(n, key, "SCORE", text, short, low, high)


_SEVERITY = (
    "How severe is the impact on the customer? 1 = critical (production down or data at risk), "
    "2 = major (serious degradation, no workaround), 3 = moderate (partial impact or a workaround "
    "exists), 4 = minor (a question, cosmetic issue or no real impact)."
)
_URGENCY = (
    "How urgent is a response? 1 = immediate (hours matter), 2 = today or tomorrow, "
    "3 = within the next days, 4 = no time pressure."
)
_SUMMARY = (
    "Summarise the comment in one or two sentences. Keep the technical facts (products, versions, "
    "errors, steps) and leave out meeting logistics such as dial-in numbers, links and passcodes."
)
_JIRA = (
    "Does the comment contain a link to an Apache JIRA issue (issues.apache.org/jira)? "
    "Links to {vendor}'s own tracker do not count. 1 = yes, 0 = no."
)
_DOCS = "Does the comment contain a link to {vendor} documentation or a {vendor} community article? 1 = yes, 0 = no."
_OTHER_LINK = "Does the comment contain any other hyperlink (not Apache JIRA, not {vendor} docs or community)? 1 = yes, 0 = no."
_BUG = "Does the comment say or suggest that the problem is a bug in {vendor} software? 1 = yes, 0 = no."
_TECH = (
    "Does the comment contain technical information (errors, logs, configuration, versions, "
    "commands, components)? 1 = yes, 0 = no."
)

VENDOR_QUESTIONS: tuple[Question, ...] = (
    _bool(1, "technical", _TECH, "technical information?"),
    _score(2, "severity", _SEVERITY, "severity, 1 critical to 4 minor", 1, 4),
    _score(3, "urgency", _URGENCY, "urgency, 1 immediate to 4 none", 1, 4),
    _bool(4, "solution", "Does the comment propose a solution that should fix the problem? 1 = yes, 0 = no.",
          "proposes a solution?"),
    _bool(5, "workaround", "Does the comment propose a workaround that avoids the problem for now? 1 = yes, 0 = no.",
          "proposes a workaround?"),
    _bool(6, "action_request",
          "Does the comment ask the customer to do something (run a command, send logs or files, "
          "change a setting, confirm a detail)? 1 = yes, 0 = no.",
          "asks the customer to act?"),
    _bool(7, "bug", _BUG, "bug in {vendor} software?"),
    _bool(8, "apache_jira_link", _JIRA, "Apache JIRA link?"),
    _bool(9, "vendor_doc_link", _DOCS, "{vendor} docs/community link?"),
    _bool(10, "other_link", _OTHER_LINK, "any other link?"),
    Question(11, "summary", "TEXT", _SUMMARY, "summary without meeting details"),
)

CUSTOMER_QUESTIONS: tuple[Question, ...] = (
    _bool(1, "technical", _TECH, "technical information?"),
    _bool(2, "complaint", "Does the customer complain about the product or the support received? 1 = yes, 0 = no.",
          "a complaint?"),
    _score(3, "frustration",
           "How frustrated is the customer? 0 = no complaint, 1 = mildly annoyed, 2 = clearly unhappy, "
           "3 = angry, 4 = furious or threatening to leave.",
           "frustration, 0 none to 4 furious", 0, 4),
    _score(4, "severity", _SEVERITY, "severity, 1 critical to 4 minor", 1, 4),
    _score(5, "urgency", _URGENCY, "urgency, 1 immediate to 4 none", 1, 4),
    _bool(6, "update_request", "Does the customer ask for an update on the case? 1 = yes, 0 = no.",
          "asks for an update?"),
    _bool(7, "meeting_request",
          "Does the customer explicitly ask for a call, a meeting or a screen share? A hint is not "
          "enough; it must be a request. 1 = yes, 0 = no.",
          "explicitly asks for a call/meeting?"),
    _bool(8, "escalation_request", "Does the customer ask to escalate the case? 1 = yes, 0 = no.",
          "asks to escalate?"),
    _score(9, "priority_change",
           "Does the customer ask to change the case priority, and to which level? 0 = no request, "
           "1 = S1 (highest), 2 = S2, 3 = S3, 4 = S4 (lowest).",
           "requested priority, 0 none or 1-4", 0, 4),
    _bool(10, "transfer_request", "Does the customer ask for the case to move to another support engineer? 1 = yes, 0 = no.",
          "asks for another engineer?"),
    _bool(11, "manager_request", "Does the customer ask to speak to a manager or supervisor? 1 = yes, 0 = no.",
          "asks for a manager?"),
    _bool(12, "expert_request", "Does the customer ask for a subject-matter expert? 1 = yes, 0 = no.",
          "asks for an expert?"),
    _bool(13, "bug", _BUG, "bug in {vendor} software?"),
    _bool(14, "apache_jira_link", _JIRA, "Apache JIRA link?"),
    _bool(15, "vendor_doc_link", _DOCS, "{vendor} docs/community link?"),
    _bool(16, "other_link", _OTHER_LINK, "any other link?"),
    Question(17, "summary", "TEXT", _SUMMARY, "summary without meeting details"),
)

# The task registry: a comment type is a key here, with its label below and its SDS export in
# Config (<TYPE>_SDS_FILE); everything else (Config's checks, the data card, the plots) reads it.
TASKS: dict[str, tuple[Question, ...]] = {"vendor": VENDOR_QUESTIONS, "customer": CUSTOMER_QUESTIONS}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)  # the comment types, in order
COMMENT_TYPE_LABELS = {"vendor": "support-engineer comment", "customer": "customer comment"}


def questions(comment_type: str) -> tuple[Question, ...]:
    """The questions of one task; an unknown type is refused with the valid names."""
    try:
        return TASKS[comment_type]
    except KeyError:
        raise ValueError(f"Unknown comment type {comment_type!r}; valid types: {', '.join(TASKS)}") from None


def get_answer(answers: Optional[Mapping], number: int) -> Any:
    """An answer by question number, whether the keys are ints or (after a JSON round trip) strings."""
    if not answers:
        return None
    return answers.get(number, answers.get(str(number)))


def answers_from_json(answers: Optional[Mapping]) -> Optional[dict]:
    """Answers read back from JSON (keys "1", "2", ...) keyed by question number again."""
    if answers is None:
        return None
    return {int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in answers.items()}


def format_answers(answers: dict[int, AnswerValue], comment_type: str) -> str:
    """The canonical answer text: one `N. value` line per question, in order."""
    lines = []
    for q in questions(comment_type):
        value = answers.get(q.number)
        text = "" if value is None else " ".join(str(value).split())
        lines.append(f"{q.number}. {text}".rstrip())
    return "\n".join(lines)


# ------------------------------------------------------------------------------- prompt
_INSTRUCTION = {
    "full": (
        "Below is a {label} from a {vendor} support case. Answer each numbered question on its own "
        "line as `N. value`, and write nothing else."
    ),
    "compact": "A {vendor} {label}. Answer each question on its own line as `N. value`, nothing else.",
}


def build_prompt(comment: str, comment_type: str, vendor: str = "Cloudera", style: str = "full") -> str:
    """The user message the student sees: instruction, the comment verbatim, then the questions.

    `style="full"` words each question in full; `style="compact"` uses the short wording, which keeps
    prompts small for a tiny model trained on a CPU. The same inputs always give the same text.
    """
    if style not in _INSTRUCTION:
        raise ValueError(f"Unknown prompt style {style!r}; valid styles: {', '.join(_INSTRUCTION)}")
    qs = questions(comment_type)
    short = style == "compact"
    head = _INSTRUCTION[style].format(label=COMMENT_TYPE_LABELS[comment_type], vendor=vendor)
    lines = [head, "", "Comment:", comment.strip(), "", "Questions:"]
    lines += [f"{q.number}. {q.render(vendor, short=short)} [{q.answer_hint}]" for q in qs]
    return "\n".join(lines)


# ------------------------------------------------------------------------------- parser
@dataclass
class ParsedAnswers:
    """What a model's answer text says, question by question.

    `values` has one entry per question of the task (None where no valid answer was found);
    `errors` says, for each question that failed, why: "missing", "empty",
    "not a number: 'maybe'", "not an integer: '2.5'", "out of range 0-1: 2".
    """

    values: dict[int, AnswerValue]
    errors: dict[int, str]

    @property
    def complete(self) -> bool:
        """True when every question got a valid answer."""
        return not self.errors


# Chat-template debris a raw generation may carry. Role headers are removed from the front; an
# end-of-turn marker ends the answer (anything after it is another turn, not this one).
_ROLE_HEADER = re.compile(
    r"^\s*(?:<\|begin_of_text\|>\s*)?"
    r"(?:<\|start_header_id\|>\s*assistant\s*<\|end_header_id\|>"
    r"|<\|im_start\|>\s*assistant\b"
    r"|assistant\s*(?::[ \t]*|\n|$))",
    re.IGNORECASE,
)
_END_OF_TURN = re.compile(r"<\|eot_id\|>|<\|im_end\|>|<\|end_of_text\|>|<\|endoftext\|>|</s>")

# A line that opens an answer: optional bullet/heading/bold, optional "Q"/"Question", the number,
# then `.`, `)`, `:` or a spaced dash. The separator must be followed by a space, bold or the
# line's end, so "2.5 GB" or "1-4" inside a summary never reads as a new answer.
_NUMBERED = re.compile(
    r"^\s*(?:[-*+>#]+\s+)?(?:\*\*|__)?\s*(?:(?:Q|Question)\s*)?\(?(\d{1,3})\s*(?:\*\*|__)?"
    r"(?:[.):]|\s+[-\u2013\u2014])(?=\s|\*|_|$)\s*(?:\*\*|__)?\s*(.*)$",
    re.IGNORECASE,
)
_SUMMARY_LABEL = re.compile(r"^(?:\*\*|__)?\s*summary\s*(?:\*\*|__)?\s*[:\-\u2013]\s*(?:\*\*|__)?\s*", re.I)
_BOLD_ENDS = re.compile(r"^(?:\*\*|__)\s*|\s*(?:\*\*|__)$")
_LEADING_INT = re.compile(r"^\(?\s*S?(\d+)(\.\d+)?(?![\w])", re.IGNORECASE)
# A standalone integer: not part of a version ("7.1.9"), a decimal, a word or a negative number.
_ANY_INT = re.compile(r"(?<![\w.\-])S?(\d+)(?![\w]|\.\d)", re.IGNORECASE)
_BOOL_WORD = re.compile(r"^(yes|no|true|false)\b", re.IGNORECASE)
_BOOL_WORDS = {"yes": 1, "true": 1, "no": 0, "false": 0}


def parse_answers(text: str, comment_type: str) -> dict[int, AnswerValue]:
    """One value per question number of the task; None where the answer is missing or invalid."""
    return parse_answers_detailed(text, comment_type).values


def parse_answers_detailed(text: str, comment_type: str) -> ParsedAnswers:
    """Read `N. value` answers from a model's raw text, saying per question why one failed.

    Rules (each has a test in tests/test_tasks.py):
      * Chat role headers in front are dropped; the text ends at an end-of-turn marker.
      * An answer line is `N. value`, also `N)`, `N:`, `N -`, `QN:`, `Question N:`, with markdown
        bold or a bullet around the number. Lines before the first answer (preambles) and blank
        lines are ignored; numbers that are not questions of the task are ordinary text.
      * A question answered twice keeps its first answer.
      * BOOL and SCORE: the value's leading integer counts, whatever follows it ("2 - major",
        "1 (yes)", "3/4" -> 3); `S2` reads as 2; BOOL also takes a leading Yes/No/True/False.
        If the value does not start with one, the question echoed in front is skipped
        ("technical information? 1"), then anything up to the last `?` or `:` ("Severity: 2");
        failing that, a value holding exactly one standalone integer ("The severity is 2"; version
        numbers such as 7.1.9 and decimals do not count) gives it. A decimal ("2.5") is "not an
        integer"; anything else is "not a number". Range is checked last ("out of range").
        A value left empty on its line is taken from the next non-blank line.
      * TEXT: the value plus the following lines, joined with single spaces, up to the next line
        that opens a question not answered yet (so numbered steps inside a summary stay in it).
        A leading "Summary:" label is dropped. When the text answer is the last one in the output,
        a blank line after it has started ends it, so closing chatter ("Let me know if...")
        separated by a blank line is not kept; chatter on the very next line is kept.
    """
    qs = {q.number: q for q in questions(comment_type)}
    segments, order = _segments(_answer_body(text), qs)
    values: dict[int, AnswerValue] = {}
    errors: dict[int, str] = {}
    for n, q in qs.items():
        if n not in segments:
            values[n], errors[n] = None, "missing"
            continue
        inline, rest = segments[n]
        if q.kind == "TEXT":
            value, error = _text_value(inline, rest, last=order[-1] == n)
        else:
            raw = inline.strip() or next((r.strip() for r in rest if r.strip()), "")
            value, error = _number_value(raw, q)
        values[n] = value
        if error:
            errors[n] = error
    return ParsedAnswers(values, errors)


def _answer_body(text: str) -> str:
    """The answer without chat role headers in front and without anything after an end-of-turn marker."""
    body = _END_OF_TURN.split(text or "", maxsplit=1)[0]
    while True:  # a generation may repeat the header, e.g. after a BOS token
        stripped = _ROLE_HEADER.sub("", body, count=1)
        if stripped == body:
            return body
        body = stripped


def _segments(body: str, qs: Mapping[int, Question]) -> tuple[dict[int, tuple[str, list[str]]], list[int]]:
    """The answer split per question: {number: (text on its line, the lines that follow)} and the
    order the questions were answered in."""
    segments: dict[int, tuple[str, list[str]]] = {}
    order: list[int] = []
    current: Optional[int] = None
    for line in body.splitlines():
        m = _NUMBERED.match(line)
        number = int(m.group(1)) if m else None
        if number in qs and number not in segments:
            segments[number] = (m.group(2), [])
            order.append(number)
            current = number
        elif current is not None and m and number in qs and qs[current].kind != "TEXT":
            current = None  # a repeated answer: its value and any following lines are ignored
        elif current is not None:
            segments[current][1].append(line)
    return segments, order


def answers_finished(text: str, comment_type: str) -> bool:
    """True once more text can no longer change what `parse_answers` reads from `text`.

    That is: an end-of-turn marker, or every question has its line and the last one answered is
    closed, a number answer by the end of its line, a text answer (the summary) by a blank line
    after it has started (where the parser ends the last text answer). Generation stops there
    (`utils.inference`), not at the token limit: chatter after the answers costs seconds and
    changes no answer.
    """
    if _END_OF_TURN.search(text or ""):
        return True
    qs = {q.number: q for q in questions(comment_type)}
    body = _answer_body(text)
    segments, order = _segments(body, qs)
    if len(segments) < len(qs):
        return False
    inline, rest = segments[order[-1]]
    lines = [inline] + rest
    ended = body.endswith(("\n", "\r"))  # the last line of `lines` is closed too

    def closed(i: int) -> bool:
        return i < len(lines) - 1 or ended

    started = next((i for i, line in enumerate(lines) if line.strip()), None)
    if started is None:
        return False
    if qs[order[-1]].kind != "TEXT":
        return closed(started)  # the value's line is read whole ("2 of 4" differs from "2")
    return any(not lines[i].strip() and closed(i) for i in range(started + 1, len(lines)))


@lru_cache(maxsize=None)
def _echo_pattern(q: Question) -> re.Pattern[str]:
    """Matches the question's own wording (full or short) at the start of a value."""
    alts = []
    for template in (q.text, q.short):
        parts = [re.escape(p) for p in template.split("{vendor}")]
        alts.append(r".+?".join(p.replace(r"\ ", r"\s+") for p in parts))
    return re.compile(r"^\s*(?:" + "|".join(alts) + r")\s*[:?\-]?\s*", re.IGNORECASE)


def _clean(value: str) -> str:
    return value.replace("**", "").replace("`", "").strip(" \t*_\"'")


def _number_value(raw: str, q: Question) -> tuple[Optional[int], Optional[str]]:
    value = _clean(raw)
    if not value:
        return None, "empty"
    number = _read_int(value, q)
    if number is None:
        echo = _echo_pattern(q).match(value)
        if echo and echo.end() < len(value):
            number = _read_int(value[echo.end():], q)
    if number is None:
        tail = re.split(r"[?:]", value)[-1].strip()
        if tail and tail != value:
            number = _read_int(tail, q)
    if number is None:
        found = _ANY_INT.findall(value)
        if len(found) == 1:
            number = int(found[0])
    if isinstance(number, str):  # _read_int's refusal of a decimal
        return None, number
    if number is None:
        return None, f"not a number: {_show(value)}"
    if not q.low <= number <= q.high:
        return None, f"out of range {q.low}-{q.high}: {number}"
    return number, None


def _read_int(value: str, q: Question) -> Union[int, str, None]:
    """The leading integer (or Yes/No for BOOL); a string is an error message."""
    value = _clean(value)
    m = _LEADING_INT.match(value)
    if m:
        if m.group(2):
            return f"not an integer: {_show(m.group(0).lstrip('( '))}"
        return int(m.group(1))
    if q.kind == "BOOL":
        w = _BOOL_WORD.match(value)
        if w:
            return _BOOL_WORDS[w.group(1).lower()]
    return None


def _text_value(inline: str, rest: list[str], last: bool) -> tuple[Optional[str], Optional[str]]:
    pieces = [inline.strip()] if inline.strip() else []
    for line in rest:
        if not line.strip():
            if pieces and last:
                break
            continue
        pieces.append(line.strip())
    text = " ".join(" ".join(pieces).split())
    # bold may open on the number's side and close at the value's end, so each end is cleaned alone
    text = _BOLD_ENDS.sub("", _SUMMARY_LABEL.sub("", _BOLD_ENDS.sub("", text)))
    if not text:
        return None, "empty"
    return text, None


def _show(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")
