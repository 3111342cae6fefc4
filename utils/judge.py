"""Step 3 judging: for each (comment, question), is the fine-tuned student's answer better than the base's?

This module owns the verdicts and nothing after them (counting, rates and intervals live in
`utils.metrics`). Every verdict is given from the fine-tuned model's side: "win", "tie" or "loss".

Two judges produce the same record shape, so metrics and reports do not care which one ran:

  - the reference judge (`reference_verdict`, `judge_with_reference`) needs no model. It compares
    both answers with the teacher's answer, the ground truth the student was trained on:
      BOOL   the answer equal to the teacher's wins over one that is not; both right or both
             wrong is a tie.
      SCORE  the answer closer to the teacher's wins; equal distance is a tie. An unparseable
             answer (None) counts as wrong and farther than any parsed answer.
      TEXT   ROUGE-L F1 of each answer against the teacher's text; the higher one wins only when
             the gap exceeds `rouge_margin`, otherwise it is a tie. None or empty scores 0.
    When the teacher's own value is missing (None, or empty text) there is nothing to compare
    with, so the verdict is always a tie.

  - the LLM judge (`build_judge_messages`, `parse_verdict`, `judge_pairs_llm`) asks a judge model
    which of two answers is better, with one question per request and a JSON reply. Each pair is
    judged in both orders (A = base, then A = fine-tuned) so that a judge that simply prefers a
    position cannot create wins: two agreeing verdicts stand, any disagreement becomes a tie.
    A verdict that cannot be parsed is asked again (`retries` times); one still unreadable after
    that leaves the item with `verdict: None` and `unparsed: True`. Such items are never turned
    into ties or dropped: `utils.metrics` counts them and leaves them out of the rates.
    Two answers that are identical after collapsing whitespace are a tie without asking the model
    (saves judge time); they count as position-consistent.

  - `endpoint_generate_fn` builds a `generate_fn` for any OpenAI-compatible server (vLLM, TGI,
    Cloudera AI Inference, OpenAI ...). A local model backend only has to offer the same call:
    `generate_fn(list_of_message_lists) -> list_of_reply_strings`, one reply per conversation.

Record produced for each (comment, question), by both judges:

    {"id", "type", "question", "judge": "reference" | "llm", "verdict": "win"|"tie"|"loss"|None,
     "verdict_ab", "verdict_ba", "raw_ab", "raw_ba", "consistent": bool | None, "unparsed": bool,
     "retried": int}

`consistent` is None for the reference judge (it has no positions). The LLM judge adds
"identical": bool; the reference judge adds "rouge_base"/"rouge_finetuned" for TEXT questions.

No model library is imported here: the module is safe to import on any machine.
"""

from __future__ import annotations

import json
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Callable, Iterable, Optional, Sequence

from utils.tasks import AnswerValue, Question, get_answer, questions

WIN, TIE, LOSS = "win", "tie", "loss"
VERDICTS = (WIN, TIE, LOSS)
CHOICES = ("A", "B", "tie")

Messages = list[dict[str, str]]
GenerateFn = Callable[[list[Messages]], list[str]]


# ================================================================================ reference judge
@lru_cache(maxsize=1)
def _rouge_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(candidate: Optional[str], reference: Optional[str]) -> float:
    """ROUGE-L F1 of `candidate` against `reference`; None or empty on either side gives 0.0."""
    if not candidate or not reference or not str(candidate).strip() or not str(reference).strip():
        return 0.0
    return float(_rouge_scorer().score(str(reference), str(candidate))["rougeL"].fmeasure)


def as_int(value: Any) -> Optional[int]:
    """An integer answer from an int or a numeric string ("3", " 1 "); anything else is None."""
    if value is None or isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    return None


def _text_or_none(value: Any) -> Optional[str]:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _from_difference(diff: float, margin: float = 0.0) -> str:
    """Fine-tuned minus base, where higher is better; within the margin is a tie."""
    if diff > margin:
        return WIN
    if diff < -margin:
        return LOSS
    return TIE


def reference_verdict(
    question: Question,
    base: AnswerValue,
    finetuned: AnswerValue,
    teacher: AnswerValue,
    rouge_margin: float,
) -> str:
    """The fine-tuned side's verdict ("win"/"tie"/"loss") against the teacher's answer.

    See the module docstring for the rule of each kind. A missing teacher value is always a tie.
    """
    return _reference_detail(question, base, finetuned, teacher, rouge_margin)[0]


def _reference_detail(question: Question, base: AnswerValue, finetuned: AnswerValue,
                      teacher: AnswerValue, rouge_margin: float) -> tuple[str, dict[str, float]]:
    if question.kind == "TEXT":
        ref = _text_or_none(teacher)
        if ref is None:
            return TIE, {}
        score_b = rouge_l(_text_or_none(base), ref)
        score_f = rouge_l(_text_or_none(finetuned), ref)
        return _from_difference(score_f - score_b, rouge_margin), {
            "rouge_base": score_b, "rouge_finetuned": score_f}

    t = as_int(teacher)
    if t is None:
        return TIE, {}
    b, f = as_int(base), as_int(finetuned)
    if question.kind == "BOOL":
        return _from_difference(int(f == t) - int(b == t)), {}
    if question.kind == "SCORE":
        dist_b = math.inf if b is None else abs(b - t)
        dist_f = math.inf if f is None else abs(f - t)
        if dist_b == dist_f:  # also both unparsed
            return TIE, {}
        return (WIN if dist_f < dist_b else LOSS), {}
    raise ValueError(f"Unknown question kind {question.kind!r} (expected BOOL, SCORE or TEXT)")


def _question_of(item: dict, cache: dict) -> Question:
    key = (item["type"], int(item["question"]))
    if key not in cache:
        found = [q for q in questions(item["type"]) if q.number == key[1]]
        if not found:
            raise ValueError(f"Question {key[1]} does not exist for comment type {key[0]!r}")
        cache[key] = found[0]
    return cache[key]


def judge_with_reference(items: Iterable[dict], rouge_margin: float) -> list[dict]:
    """Reference verdicts for many items.

    Each item holds {"id", "type", "question" (its number), "base", "finetuned", "teacher"} with
    parsed answer values (None when unparseable); the question is looked up in `utils.tasks`.
    Returns one record per item in the module's record shape (`judge` = "reference").
    """
    cache: dict = {}
    out = []
    for item in items:
        q = _question_of(item, cache)
        verdict, extra = _reference_detail(q, item.get("base"), item.get("finetuned"),
                                           item.get("teacher"), rouge_margin)
        out.append({
            "id": item["id"], "type": item["type"], "question": q.number, "judge": "reference",
            "verdict": verdict, "verdict_ab": None, "verdict_ba": None, "raw_ab": None, "raw_ba": None,
            "consistent": None, "unparsed": False, "retried": 0, **extra,
        })
    return out


def reference_items(comment_id: Any, comment_type: str, base: dict, finetuned: dict,
                    teacher: dict) -> list[dict]:
    """The per-question items of one comment for `judge_with_reference`, from parsed answer dicts.

    Answer dicts map a question number (int, or its string after a JSON round trip) to a value.
    """
    return [
        {"id": comment_id, "type": comment_type, "question": q.number,
         "base": get_answer(base, q.number), "finetuned": get_answer(finetuned, q.number),
         "teacher": get_answer(teacher, q.number)}
        for q in questions(comment_type)
    ]


# ================================================================================ LLM judge prompt
JUDGE_SYSTEM_PROMPT = (
    "You review answers given by assistants that analyse comments from technical support cases. "
    "You will see one comment, one question about it, and two candidate answers labelled A and B. "
    "Decide which answer is the more correct and useful answer to that question for that comment. "
    "Judge only the content: the order in which the answers appear and their length must not sway "
    "you. If both answers are equally good, or equally wrong, call it a tie. "
    'Reply with a single JSON object and nothing else: {"choice": "A"}, {"choice": "B"} or '
    '{"choice": "tie"}.'
)

_USER_TEMPLATE = (
    "Comment:\n<<<\n{comment}\n>>>\n\n"
    "Question: {question}\n\n"
    "Answer A:\n{answer_a}\n\n"
    "Answer B:\n{answer_b}\n\n"
    'Which answer is better? Reply with JSON only: {{"choice": "A" | "B" | "tie"}}'
)

_NO_ANSWER = "(no answer)"

# Three worked examples, one per possible choice, shown as earlier turns of the conversation.
_FEW_SHOT: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "Could you please run `hdfs dfsadmin -report` on the active NameNode and attach the output "
        "here? That will tell us whether the DataNodes are reporting their blocks.",
        "Does the comment ask the customer to do something (run a command, send logs or files, "
        "change a setting, confirm a detail)? 1 = yes, 0 = no.",
        "1",
        "0",
        "A",
    ),
    (
        "Since this morning every Impala query fails with 'Memory limit exceeded' and our month-end "
        "reports are blocked. We need help right away.",
        "How urgent is a response? 1 = immediate (hours matter), 2 = today or tomorrow, "
        "3 = within the next days, 4 = no time pressure.",
        "4",
        "1",
        "B",
    ),
    (
        "The Kafka broker restarts kept failing after the upgrade to 7.1.8 because the keystore "
        "path changed. I updated ssl.keystore.location and the brokers are up again. Call details: "
        "Zoom link in the invite, passcode 4411.",
        "Summarise the comment in one or two sentences. Keep the technical facts (products, "
        "versions, errors, steps) and leave out meeting logistics such as dial-in numbers, links "
        "and passcodes.",
        "After the upgrade to 7.1.8 Kafka brokers failed to restart because the keystore path had "
        "changed; updating ssl.keystore.location fixed it.",
        "Kafka brokers would not start after upgrading to 7.1.8 due to a changed keystore path; "
        "setting ssl.keystore.location brought them back.",
        "tie",
    ),
)


def _show(answer: Optional[str]) -> str:
    text = "" if answer is None else str(answer).strip()
    return text or _NO_ANSWER


def _user_message(comment: str, question_text: str, answer_a: Optional[str], answer_b: Optional[str]) -> str:
    return _USER_TEMPLATE.format(comment=str(comment).strip(), question=str(question_text).strip(),
                                 answer_a=_show(answer_a), answer_b=_show(answer_b))


def build_judge_messages(comment: str, question_text: str, answer_a: Optional[str],
                         answer_b: Optional[str]) -> Messages:
    """The chat sent to the judge: system role, three worked examples, then the real pair.

    `question_text` is the question's full wording with the vendor's name already filled in
    (`Question.render(vendor)`). An empty or None answer is shown as "(no answer)".
    """
    messages: Messages = [{"role": "system", "content": JUDGE_SYSTEM_PROMPT}]
    for ex_comment, ex_question, ex_a, ex_b, ex_choice in _FEW_SHOT:
        messages.append({"role": "user", "content": _user_message(ex_comment, ex_question, ex_a, ex_b)})
        messages.append({"role": "assistant", "content": json.dumps({"choice": ex_choice})})
    messages.append({"role": "user", "content": _user_message(comment, question_text, answer_a, answer_b)})
    return messages


# ================================================================================ verdict parser
_FENCE = re.compile(r"```[a-zA-Z]*")
_OBJECT = re.compile(r"\{[^{}]*\}", re.S)
_KEYED = re.compile(r"""["']?choice["']?\s*[:=]\s*["']?\s*(a|b|tie)\b""", re.I)
_BARE = re.compile(r"""^[\s"'`(\[]*(a|b|tie)[\s"'`)\].!]*$""", re.I)


def _normalise_choice(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return None
    v = value.strip().strip("\"'`.!").strip().lower()
    return {"a": "A", "b": "B", "tie": "tie"}.get(v)


def parse_verdict(text: Optional[str]) -> Optional[str]:
    """"A", "B" or "tie" from a judge reply, or None when no choice can be read.

    Accepts the JSON object anywhere in the reply (code fences and prose around it are ignored),
    single quotes, any case, and a bare "A"/"B"/"tie" reply. The first object holding a `choice`
    wins (a model that keeps talking may invent more turns after it).
    """
    if not isinstance(text, str) or not text.strip():
        return None
    cleaned = _FENCE.sub(" ", text)
    for match in _OBJECT.finditer(cleaned):
        raw = match.group(0)
        for candidate in (raw, raw.replace("'", '"')):
            try:
                obj = json.loads(candidate)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                for key, value in obj.items():
                    if str(key).strip().lower() == "choice":
                        choice = _normalise_choice(value)
                        if choice:
                            return choice
            break
    keyed = _KEYED.search(cleaned)
    if keyed:
        return _normalise_choice(keyed.group(1))
    bare = _BARE.match(cleaned)
    if bare:
        return _normalise_choice(bare.group(1))
    return None


# ================================================================================ both-order judging
# A choice read from each order, mapped to the fine-tuned model's side.
_AB = {"A": LOSS, "B": WIN, "tie": TIE}  # order AB: A = base, B = fine-tuned
_BA = {"A": WIN, "B": LOSS, "tie": TIE}  # order BA: A = fine-tuned, B = base


def same_answer(a: Optional[str], b: Optional[str]) -> bool:
    """Two answers equal after collapsing whitespace (judged a tie without asking the model)."""
    return " ".join(str(a or "").split()) == " ".join(str(b or "").split())


def _call(generate_fn: GenerateFn, batch: list[Messages]) -> list[str]:
    if not batch:
        return []
    replies = list(generate_fn(batch))
    if len(replies) != len(batch):
        raise ValueError(f"generate_fn returned {len(replies)} replies for {len(batch)} conversations; "
                         "it must return exactly one reply per conversation, in order")
    return ["" if r is None else str(r) for r in replies]


def judge_pairs_llm(items: Sequence[dict], generate_fn: GenerateFn, retries: int = 1) -> list[dict]:
    """Judge each item in both orders with an LLM and combine the two verdicts.

    Each item holds at least {"id", "type", "question", "question_text", "comment", "base",
    "finetuned"}, the answers as strings. All orders go to `generate_fn` in one batched call; the
    replies that cannot be parsed are asked again, together, up to `retries` more times.
    Combination: both orders agree -> that verdict; they disagree (a tie against a win included)
    -> "tie"; an order still unreadable -> `verdict: None, unparsed: True` (counted by metrics,
    left out of the rates). Returns one record per item, in order (see the module docstring).
    """
    records: list[dict] = []
    pending: list[tuple[int, str]] = []  # (record index, order) still to be judged
    prompts: dict[tuple[int, str], Messages] = {}
    for i, item in enumerate(items):
        rec = {"id": item["id"], "type": item["type"], "question": item["question"], "judge": "llm",
               "verdict": None, "verdict_ab": None, "verdict_ba": None, "raw_ab": None, "raw_ba": None,
               "consistent": False, "unparsed": False, "retried": 0, "identical": False}
        records.append(rec)
        if same_answer(item.get("base"), item.get("finetuned")):
            rec.update(verdict=TIE, verdict_ab=TIE, verdict_ba=TIE, consistent=True, identical=True)
            continue
        base, ft = item.get("base"), item.get("finetuned")
        prompts[(i, "ab")] = build_judge_messages(item["comment"], item["question_text"], base, ft)
        prompts[(i, "ba")] = build_judge_messages(item["comment"], item["question_text"], ft, base)
        pending += [(i, "ab"), (i, "ba")]

    for attempt in range(1 + max(0, int(retries))):
        if not pending:
            break
        replies = _call(generate_fn, [prompts[key] for key in pending])
        still: list[tuple[int, str]] = []
        for (i, order), reply in zip(pending, replies):
            rec = records[i]
            if attempt:
                rec["retried"] += 1
            rec[f"raw_{order}"] = reply
            choice = parse_verdict(reply)
            if choice is None:
                still.append((i, order))
            else:
                rec[f"verdict_{order}"] = (_AB if order == "ab" else _BA)[choice]
        pending = still

    for rec in records:
        if rec["identical"]:
            continue
        ab, ba = rec["verdict_ab"], rec["verdict_ba"]
        if ab is None or ba is None:
            rec.update(verdict=None, unparsed=True, consistent=False)
        else:
            rec.update(verdict=ab if ab == ba else TIE, consistent=ab == ba)
    return records


def llm_items(comment_id: Any, comment_type: str, comment: str, vendor: str,
              base: dict, finetuned: dict) -> list[dict]:
    """The per-question items of one comment for `judge_pairs_llm`, from answer dicts.

    `base`/`finetuned` map a question number (int or string) to the answer as shown to the judge
    (the parsed value or the raw answer line); None becomes an empty answer.
    """
    def get(answers: dict, n: int) -> str:
        value = get_answer(answers, n)
        return "" if value is None else str(value)

    return [
        {"id": comment_id, "type": comment_type, "question": q.number, "question_text": q.render(vendor),
         "comment": comment, "base": get(base, q.number), "finetuned": get(finetuned, q.number)}
        for q in questions(comment_type)
    ]


# ================================================================================ endpoint backend
class JudgeEndpointError(RuntimeError):
    """The OpenAI-compatible judge endpoint could not be used; the message says how to fix it."""


def endpoint_generate_fn(
    base_url: str,
    model: str,
    api_key_env: str,
    max_tokens: int,
    temperature: float = 0.0,
    *,
    workers: int = 4,
    timeout: float = 120.0,
    max_retries: int = 2,
    json_mode: bool = False,
) -> GenerateFn:
    """A `generate_fn` that sends each conversation to an OpenAI-compatible chat endpoint.

    The key is read from the environment variable named `api_key_env` ("EMPTY" when unset, which
    keyless local servers accept); it is never logged or stored. Conversations go out on a small
    thread pool (`workers`) and the replies come back in order. `json_mode` asks for a JSON object
    reply (`response_format`), which not every server supports. An unreachable server, an unknown
    model or a refused key raises `JudgeEndpointError` naming the URL and the Config keys to check.
    """
    import openai

    if not base_url or not model:
        raise JudgeEndpointError("Set both JUDGE_ENDPOINT_URL and JUDGE_ENDPOINT_MODEL to use a judge endpoint.")
    client = openai.OpenAI(base_url=base_url, api_key=os.environ.get(api_key_env) or "EMPTY",
                           timeout=timeout, max_retries=max_retries)
    extra: dict[str, Any] = {"response_format": {"type": "json_object"}} if json_mode else {}

    def one(messages: Messages) -> str:
        try:
            resp = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens,
                                                  temperature=temperature, **extra)
        except openai.APIConnectionError as err:  # timeouts included
            raise JudgeEndpointError(
                f"Cannot reach the judge endpoint at {base_url} ({type(err).__name__}). Check that the "
                "server is running and that JUDGE_ENDPOINT_URL (an OpenAI-compatible base URL, usually "
                "ending in /v1) and JUDGE_ENDPOINT_MODEL are right."
            ) from None
        except openai.AuthenticationError:
            raise JudgeEndpointError(
                f"The judge endpoint at {base_url} refused the key. Put a valid key in the environment "
                f"variable {api_key_env} (named by JUDGE_API_KEY_ENV)."
            ) from None
        except openai.NotFoundError:
            raise JudgeEndpointError(
                f"The judge endpoint at {base_url} does not serve model {model!r} (or the URL path is "
                "wrong). Check JUDGE_ENDPOINT_MODEL and JUDGE_ENDPOINT_URL."
            ) from None
        if not resp.choices:
            return ""
        return resp.choices[0].message.content or ""

    def generate(batch: list[Messages]) -> list[str]:
        batch = list(batch)
        if not batch:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(batch)))) as pool:
            return list(pool.map(one, batch))

    return generate
