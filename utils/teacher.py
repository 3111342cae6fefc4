"""Teacher labelling without Synthetic Data Studio: your own comments, any OpenAI-compatible endpoint.

This module owns everything between a file of raw comments and an SDS *evaluated* export: reading
the comments, asking the teacher the task's questions, asking a judge to score each answer set,
rate limits, retries, the resumable log of raw replies, usage and cost. What happens to the
export afterwards (score threshold, duplicates, split) is Step 1's job (`utils.data`), which
reads the file unchanged, exactly as it reads an export of Synthetic Data Studio.

Two passes per comment, both through the same rate limiter:
  answer  system = Config SYSTEM_PROMPT, user = `utils.tasks.build_prompt(comment, type,
          VENDOR_NAME, PROMPT_STYLE)`: the very prompt the student is trained and served with.
          A reply whose answers do not all parse is asked once more, then kept as a reject.
  judge   the judge model sees the comment, the questions and the answers and returns
          {"score": 1-5, "justification": "..."}, the rubric of SDS's evaluation, so that
          SCORE_THRESHOLD keeps the same meaning. An unreadable verdict is asked once more, then
          the pair is written with score 0, SDS's own mark of a failed evaluation.

Run it (the key is read from the variable named by TEACHER_API_KEY_ENV, never written anywhere):

    export TEACHER_API_KEY=...
    python -m utils.teacher --input comments.csv --output Data/MyVendorComments.json --type vendor \\
        --set TEACHER_ENDPOINT_URL=https://host/v1 --set TEACHER_MODEL=my-model

An input record (CSV columns, JSON Lines keys or the objects of a JSON list; `topic` is optional):

    {"id": "c-0001", "type": "vendor", "comment": "Please attach the NameNode logs from nn1."}

Files written, paths from `raw_log_path` and `usage_path`:
  Data/MyVendorComments.json                 the SDS evaluated export (input order, atomic write)
  Data/MyVendorComments_teacher_raw.jsonl    one row per reply, appended as it arrives:
      {"id", "type", "pass": "answer"|"judge", "attempt", "fingerprint", "model", "reply",
       "ok", "error", "score", "prompt_tokens", "completion_tokens", "retries", "seconds"}
  Data/MyVendorComments_teacher_usage.json   the usage summary of the last run
`utils.synth` adds a third pass, "write" (new comments from seed comments), through the same
`Labeller`: its rows share the raw log, and the usage counts it beside the other two.

Resuming: a killed run is started again with the same command. A comment whose answer (or verdict)
is already in the raw log with the same fingerprint (model, prompt, settings, comment text) is not
asked again; rows of other settings are ignored, so changing only the judge re-judges only. The
export is rebuilt from the log in input order, so the same inputs and settings give the same file.
Transport failures (429, 5xx, timeouts) are retried with exponential backoff and jitter, honouring
`Retry-After`; a comment that still fails is counted in the summary and asked again on the next run.
"""

from __future__ import annotations

import argparse
import csv
import email.utils
import hashlib
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

from Config.Config import Config, ConfigError, add_config_arguments, load_config, parse_set_args, public_url
from utils.files import append_jsonl, read_jsonl, repair_jsonl, write_json
from utils.tasks import TASKS, build_prompt, format_answers, parse_answers_detailed, questions

INPUT_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
REQUIRED_FIELDS = ("id", "type", "comment")
NO_TOPIC = "null"  # SDS's topic key for pairs without a topic
PARSE_ATTEMPTS = 2  # a reply that does not parse is asked once more, then it is a reject
CHARS_PER_TOKEN = 4  # the rate limiter's estimate before the endpoint reports the real count
FAILED_EVALUATION = "Error during evaluation"  # SDS's justification for a score of 0
INPUT_FIX = ("Each record needs the fields 'id', 'type' ('vendor' or 'customer') and 'comment' "
             "(CSV: a header row with those column names; JSON: a list of objects; JSON Lines: one object per line).")


class TeacherInputError(ValueError):
    """A comments file that cannot be labelled: the message names the file, the record and the fix."""


class TeacherEndpointError(RuntimeError):
    """The endpoint cannot be used at all (unreachable, wrong key, unknown model): the run stops."""


# ================================================================================ input
@dataclass(frozen=True)
class Comment:
    """One raw comment to label; `where` says where it sits in its file (for messages)."""

    id: str
    type: str
    text: str
    topic: str = NO_TOPIC
    where: str = ""


def read_comments(path: Union[str, Path], comment_type: Optional[str] = None) -> list[Comment]:
    """Read a CSV, JSON Lines or JSON list of comments; anything else is refused with the fix.

    `comment_type` keeps only comments of that type; without it, a file must hold one type only,
    since one export feeds one Step 1 input (VENDOR_SDS_FILE or CUSTOMER_SDS_FILE).
    """
    path = Path(path)
    kind = INPUT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise TeacherInputError(f"{path}: unsupported file type {path.suffix or '(none)'!r}. Save the comments as "
                                f".csv, .jsonl or .json. {INPUT_FIX}")
    if not path.is_file():
        raise TeacherInputError(f"{path}: no such file. Pass the comments file with --input.")
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark in front of CSV
    except UnicodeDecodeError as err:
        raise TeacherInputError(f"{path}: not UTF-8 text (byte {err.start}). Save the file as UTF-8.") from None
    records = {"csv": _csv_records, "jsonl": _jsonl_records, "json": _json_records}[kind](path, text)
    comments = [_comment(path, where, rec) for where, rec in records]
    if not comments:
        raise TeacherInputError(f"{path}: no comments found. {INPUT_FIX}")
    seen: dict[str, str] = {}
    for c in comments:
        if c.id in seen:
            raise TeacherInputError(f"{path}, {c.where}: id {c.id!r} was already used at {seen[c.id]}. "
                                    "Give every comment its own id (resuming a run relies on it).")
        seen[c.id] = c.where
    if comment_type is not None:
        questions(comment_type)  # an unknown type is refused with the valid names
        comments = [c for c in comments if c.type == comment_type]
        if not comments:
            raise TeacherInputError(f"{path}: no comment has type {comment_type!r}.")
    types = Counter(c.type for c in comments)
    if len(types) > 1:
        counts = ", ".join(f"{n} {t}" for t, n in types.items())
        raise TeacherInputError(f"{path} holds more than one comment type ({counts}), but one export feeds one "
                                "Step 1 input. Label each type into its own file: pass --type vendor and "
                                "--type customer with two --output names.")
    return comments


def _csv_records(path: Path, text: str) -> list[tuple[str, dict]]:
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [f for f in REQUIRED_FIELDS if f not in header]
    if missing:
        raise TeacherInputError(f"{path}, line 1: the header {header or '(empty)'} lacks the column(s) "
                                f"{', '.join(missing)}. {INPUT_FIX}")
    reader.fieldnames = header
    out = []
    for row in reader:
        if None in row:  # more cells than header columns: usually an unquoted comma
            raise TeacherInputError(f"{path}, line {reader.line_num}: more cells than columns. Put a comment "
                                    "that holds commas or line breaks in double quotes.")
        out.append((f"line {reader.line_num}", row))
    return out


def _jsonl_records(path: Path, text: str) -> list[tuple[str, dict]]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append((f"line {number}", json.loads(line)))
        except json.JSONDecodeError as err:
            raise TeacherInputError(f"{path}, line {number}: not valid JSON (column {err.colno}: {err.msg}). "
                                    f"{INPUT_FIX}") from None
    return out


def _json_records(path: Path, text: str) -> list[tuple[str, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        hint = " It looks like JSON Lines: name the file .jsonl." if err.msg == "Extra data" else ""
        raise TeacherInputError(f"{path}, line {err.lineno}, column {err.colno}: not valid JSON ({err.msg})."
                                f"{hint} {INPUT_FIX}") from None
    if not isinstance(data, list):
        raise TeacherInputError(f"{path}, line 1: the file holds {type(data).__name__}, expected a list of "
                                f"comment objects. {INPUT_FIX}")
    return [(f"record {i}", rec) for i, rec in enumerate(data)]


def _comment(path: Path, where: str, rec: Any) -> Comment:
    if not isinstance(rec, dict):
        raise TeacherInputError(f"{path}, {where}: {type(rec).__name__}, expected an object. {INPUT_FIX}")
    missing = [f for f in REQUIRED_FIELDS if rec.get(f) is None or str(rec.get(f)).strip() == ""]
    if missing:
        raise TeacherInputError(f"{path}, {where}: empty or missing {', '.join(missing)} "
                                f"(fields found: {', '.join(map(str, rec)) or 'none'}). {INPUT_FIX}")
    ctype = str(rec["type"]).strip().lower()
    if ctype not in TASKS:
        raise TeacherInputError(f"{path}, {where}: type {rec['type']!r} is not one of {', '.join(TASKS)}. "
                                "Set the type column to 'vendor' (support-engineer comments) or 'customer'.")
    if not isinstance(rec["comment"], str):
        raise TeacherInputError(f"{path}, {where}: 'comment' must be text, not {type(rec['comment']).__name__}.")
    topic = rec.get("topic")
    return Comment(str(rec["id"]).strip(), ctype, rec["comment"],
                   str(topic).strip() if topic not in (None, "") else NO_TOPIC, where)


# ================================================================================ settings
@dataclass(frozen=True)
class EndpointSettings:
    """One OpenAI-compatible chat endpoint and how to call it (the key stays in the environment)."""

    base_url: str
    model: str
    api_key_env: str
    temperature: float
    max_tokens: int
    price_per_mtok: tuple[float, float]  # (prompt, completion), currency per million tokens
    seed: Optional[int] = None  # sent as the request's `seed` when set (sampling passes: utils.synth)

    @property
    def public(self) -> dict:
        """What may be written to disk: no key, the URL without credentials or query."""
        return {"base_url": public_url(self.base_url), "model": self.model, "temperature": self.temperature,
                "max_tokens": self.max_tokens, "api_key_env": self.api_key_env}


def teacher_settings(cfg: Config) -> EndpointSettings:
    """The answering endpoint from Config; missing settings are refused with the keys to set."""
    check_settings(cfg)
    return EndpointSettings(cfg.TEACHER_ENDPOINT_URL, cfg.TEACHER_MODEL, cfg.TEACHER_API_KEY_ENV,
                            cfg.TEACHER_TEMPERATURE, cfg.TEACHER_MAX_TOKENS, tuple(cfg.TEACHER_PRICE_PER_MTOK))


def judge_settings(cfg: Config) -> EndpointSettings:
    """The scoring endpoint: TEACHER_JUDGE_* where set, else the teacher's own; temperature 0."""
    check_settings(cfg)
    price = cfg.TEACHER_JUDGE_PRICE_PER_MTOK or cfg.TEACHER_PRICE_PER_MTOK
    return EndpointSettings(cfg.TEACHER_JUDGE_URL or cfg.TEACHER_ENDPOINT_URL,
                            cfg.TEACHER_JUDGE_MODEL or cfg.TEACHER_MODEL,
                            cfg.TEACHER_JUDGE_API_KEY_ENV or cfg.TEACHER_API_KEY_ENV,
                            0.0, cfg.TEACHER_JUDGE_MAX_TOKENS, tuple(price))


def check_settings(cfg: Config) -> None:
    """Refuse teacher settings that cannot work, one sentence per problem."""
    problems = []
    if not cfg.TEACHER_ENDPOINT_URL or not cfg.TEACHER_MODEL:
        problems.append("set TEACHER_ENDPOINT_URL (an OpenAI-compatible base URL, usually ending in /v1) and "
                        "TEACHER_MODEL (the model name it serves)")
    for name in ("TEACHER_WORKERS", "TEACHER_MAX_TOKENS", "TEACHER_JUDGE_MAX_TOKENS"):
        if getattr(cfg, name) < 1:
            problems.append(f"{name} must be at least 1, not {getattr(cfg, name)!r}")
    for name in ("TEACHER_REQUESTS_PER_MINUTE", "TEACHER_TOKENS_PER_MINUTE"):
        if getattr(cfg, name) is not None and not getattr(cfg, name) > 0:
            problems.append(f"{name} must be above 0, or None for no limit")
    if not 0 <= cfg.TEACHER_TEMPERATURE <= 2:
        problems.append("TEACHER_TEMPERATURE must be in [0, 2]")
    if not cfg.TEACHER_TIMEOUT_S > 0 or cfg.TEACHER_MAX_RETRIES < 0 or cfg.TEACHER_BACKOFF_S < 0:
        problems.append("TEACHER_TIMEOUT_S must be above 0, TEACHER_MAX_RETRIES and TEACHER_BACKOFF_S at least 0")
    for name in ("TEACHER_PRICE_PER_MTOK", "TEACHER_JUDGE_PRICE_PER_MTOK"):
        value = getattr(cfg, name)
        if value is not None and (len(value) != 2 or min(value) < 0):
            problems.append(f"{name} must be (prompt price, completion price) per million tokens, both >= 0")
    if problems:
        raise ConfigError("Invalid teacher settings:\n  - " + "\n  - ".join(problems))


# ================================================================================ rate limits
class TokenBucket:
    """A thread-safe token bucket: `per_minute` tokens refill evenly; `acquire` blocks until there are enough.

    `capacity` is the burst: 1 for requests spreads them evenly (no rush at the start). A request
    larger than the whole bucket waits for a full bucket and then leaves it in debt, so the long-run
    rate still holds. `adjust` corrects an estimate once the real count is known; `pause` holds every
    caller back (a 429's Retry-After applies to the whole account, not to one thread).
    """

    def __init__(self, per_minute: float, capacity: Optional[float] = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.rate = per_minute / 60.0
        self.capacity = capacity if capacity is not None else max(1.0, self.rate)
        self.level = self.capacity
        self.clock, self.sleep = clock, sleep
        self.stamp = clock()
        self.paused_until = 0.0
        self.lock = threading.Lock()

    def _refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def acquire(self, amount: float = 1.0) -> float:
        """Take `amount` tokens, waiting as long as needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self.lock:
                now = self.clock()
                self._refill(now)
                need = min(amount, self.capacity)
                if now >= self.paused_until and self.level >= need:
                    self.level -= amount
                    return waited
                delay = max(self.paused_until - now, (need - self.level) / self.rate, 1e-4)
            self.sleep(delay)
            waited += delay

    def adjust(self, delta: float) -> None:
        """Give back (positive) or take (negative) tokens after the fact."""
        with self.lock:
            self._refill(self.clock())
            self.level = min(self.capacity, self.level + delta)

    def pause(self, seconds: float) -> None:
        with self.lock:
            self.paused_until = max(self.paused_until, self.clock() + seconds)


class RateLimiter:
    """Requests per minute and tokens per minute together; None for either means no limit."""

    def __init__(self, requests_per_minute: Optional[float], tokens_per_minute: Optional[float]):
        self.requests = TokenBucket(requests_per_minute, capacity=1.0) if requests_per_minute else None
        self.tokens = TokenBucket(tokens_per_minute) if tokens_per_minute else None

    def acquire(self, estimated_tokens: int) -> float:
        waited = self.tokens.acquire(estimated_tokens) if self.tokens else 0.0
        return waited + (self.requests.acquire() if self.requests else 0.0)

    def settle(self, estimated_tokens: int, used_tokens: int) -> None:
        if self.tokens:
            self.tokens.adjust(estimated_tokens - used_tokens)

    def pause(self, seconds: float) -> None:
        for bucket in (self.requests, self.tokens):
            if bucket:
                bucket.pause(seconds)


# ================================================================================ usage
@dataclass
class PassUsage:
    """What one pass (answer or judge) cost in this run."""

    model: str = ""
    requests: int = 0  # HTTP requests sent, failed ones included
    retries: int = 0  # requests repeated after a 429, a 5xx, a timeout or a lost connection
    reasks: int = 0  # replies that did not parse and were asked once more
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rejects: int = 0  # comments whose reply still did not parse after the second ask
    failures: int = 0  # comments given up after the transport retries (asked again next run)
    price_per_mtok: tuple[float, float] = (0.0, 0.0)

    @property
    def cost(self) -> float:
        return (self.prompt_tokens * self.price_per_mtok[0] + self.completion_tokens * self.price_per_mtok[1]) / 1e6


@dataclass
class Usage:
    """Counters of one run, shared by the worker threads (update under `lock`)."""

    answer: PassUsage = field(default_factory=PassUsage)
    judge: PassUsage = field(default_factory=PassUsage)
    write: PassUsage = field(default_factory=PassUsage)  # new comments written from seeds (utils.synth)
    comments: int = 0
    resumed: int = 0  # comments whose passes were all found in the raw log
    seconds: float = 0.0
    reject_reasons: Counter = field(default_factory=Counter)
    stale_rows: int = 0  # raw-log rows made with other settings, ignored
    exported: dict = field(default_factory=dict)  # what the written export holds (all runs together)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def passes(self) -> tuple[str, ...]:
        """The passes of this run: answer and judge, and write when a run wrote new comments."""
        return ("write", "answer", "judge") if self.write.model else ("answer", "judge")

    @property
    def requests(self) -> int:
        return sum(getattr(self, name).requests for name in self.passes)

    @property
    def cost(self) -> float:
        return sum(getattr(self, name).cost for name in self.passes)

    @property
    def requests_per_minute(self) -> float:
        return 60.0 * self.requests / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        out = {"comments": self.comments, "resumed": self.resumed, "seconds": round(self.seconds, 3),
               "requests": self.requests, "requests_per_minute": round(self.requests_per_minute, 2),
               "cost": round(self.cost, 6), "reject_reasons": dict(self.reject_reasons),
               "stale_rows_ignored": self.stale_rows, "exported": dict(self.exported)}
        for name in self.passes:
            p = getattr(self, name)
            out[name] = {**asdict(p), "price_per_mtok": list(p.price_per_mtok), "cost": round(p.cost, 6)}
        return out

    def summary(self) -> str:
        """The usage summary the command line prints."""
        lines = [f"Teacher labelling: {self.comments} comments ({self.resumed} already in the raw log) in "
                 f"{self.seconds:.1f} s, {self.requests} requests ({self.requests_per_minute:.1f} per minute)"]
        for name in self.passes:
            p = getattr(self, name)
            lines.append(f"  {name:<6} {p.model}: {p.requests} requests, {p.retries} retries, {p.reasks} re-asked, "
                         f"{p.rejects} rejected, {p.failures} failed; tokens {p.prompt_tokens:,} prompt + "
                         f"{p.completion_tokens:,} completion; cost {p.cost:.4f}")
        lines.append(f"  total cost {self.cost:.4f} (TEACHER_PRICE_PER_MTOK per million tokens)")
        if self.exported:
            e = self.exported
            lines.append(f"  export: {e['scored']} scored pairs (mean {e['mean_score']}), {e['failed_evaluations']} "
                         f"failed evaluations (score 0), {e['failed_pairs']} failed pairs, {e['missing']} not done yet")
        for reason, n in self.reject_reasons.most_common():
            lines.append(f"  reject x{n}: {reason}")
        if self.stale_rows:
            lines.append(f"  {self.stale_rows} raw-log rows from other settings were ignored")
        return "\n".join(lines)


# ================================================================================ the endpoint
@dataclass
class Reply:
    text: str
    prompt_tokens: int
    completion_tokens: int
    retries: int
    seconds: float


class RetryableError(Exception):
    """A transport failure worth another try; `retry_after` is the server's wish in seconds, if any."""

    def __init__(self, message: str, retry_after: Optional[float] = None):
        super().__init__(message)
        self.retry_after = retry_after


class RequestRefused(Exception):
    """The endpoint refused this one request (400, 413, 422): a reject, not a reason to stop."""


class Endpoint:
    """Chat completions against one OpenAI-compatible endpoint with rate limits, retries and usage."""

    def __init__(self, settings: EndpointSettings, limiter: RateLimiter, usage: PassUsage, *,
                 timeout: float, max_retries: int, backoff: float, backoff_max: float,
                 stop: Optional[threading.Event] = None, usage_lock: Optional[threading.Lock] = None):
        import openai

        self.settings, self.limiter, self.usage = settings, limiter, usage
        self.max_retries, self.backoff, self.backoff_max = max_retries, backoff, backoff_max
        self.stop = stop or threading.Event()
        self.lock = usage_lock or threading.Lock()
        self.openai = openai
        # The client's own retries are off: this class retries, so that every try is counted and paced.
        self.client = openai.OpenAI(base_url=settings.base_url, api_key=os.environ.get(settings.api_key_env) or "EMPTY",
                                    timeout=timeout, max_retries=0)
        self.rng = random.Random()
        usage.model, usage.price_per_mtok = settings.model, settings.price_per_mtok

    def chat(self, messages: list[dict]) -> Reply:
        """One reply; transport failures retried with backoff; raises RetryableError when they persist."""
        estimate = sum(len(m["content"]) for m in messages) // CHARS_PER_TOKEN + self.settings.max_tokens
        start, retries = time.monotonic(), 0
        while True:
            if self.stop.is_set():
                raise TeacherEndpointError("stopped")
            self.limiter.acquire(estimate)
            with self.lock:
                self.usage.requests += 1
            try:
                text, prompt_tokens, completion_tokens = self._send(messages)
            except RetryableError as err:
                self.limiter.settle(estimate, 0)
                if retries >= self.max_retries:
                    raise RetryableError(f"{err} (gave up after {retries} retries)") from None
                retries += 1
                with self.lock:
                    self.usage.retries += 1
                delay = min(self.backoff_max, self.backoff * 2 ** (retries - 1)) * self.rng.uniform(0.5, 1.0)
                if err.retry_after is not None:
                    delay = max(delay, err.retry_after)
                    self.limiter.pause(err.retry_after)
                time.sleep(delay)
                continue
            self.limiter.settle(estimate, prompt_tokens + completion_tokens)
            with self.lock:
                self.usage.prompt_tokens += prompt_tokens
                self.usage.completion_tokens += completion_tokens
            return Reply(text, prompt_tokens, completion_tokens, retries, time.monotonic() - start)

    def _send(self, messages: list[dict]) -> tuple[str, int, int]:
        openai, s = self.openai, self.settings
        try:
            seed = {} if s.seed is None else {"seed": s.seed}
            resp = self.client.chat.completions.create(model=s.model, messages=messages, max_tokens=s.max_tokens,
                                                       temperature=s.temperature, **seed)
        except openai.APITimeoutError:
            raise RetryableError("timed out") from None
        except openai.APIConnectionError as err:
            raise RetryableError(f"connection failed ({type(err).__name__})") from None
        except openai.APIStatusError as err:
            status = err.status_code
            if status == 429 or status == 408 or status >= 500:
                raise RetryableError(f"HTTP {status}", _retry_after(err.response.headers)) from None
            if status in (401, 403):
                raise TeacherEndpointError(
                    f"The endpoint at {public_url(s.base_url)} refused the key (HTTP {status}). Put a valid key "
                    f"in the environment variable {s.api_key_env}.") from None
            if status == 404:
                raise TeacherEndpointError(
                    f"The endpoint at {public_url(s.base_url)} does not serve model {s.model!r}, or the URL path "
                    "is wrong (HTTP 404). Check the model name and that the base URL ends where /chat/completions "
                    "starts (usually /v1).") from None
            raise RequestRefused(f"HTTP {status}: {str(err.message)[:200]}") from None
        text = (resp.choices[0].message.content or "") if resp.choices else ""
        u = resp.usage
        return text, int(getattr(u, "prompt_tokens", 0) or 0), int(getattr(u, "completion_tokens", 0) or 0)


def _retry_after(headers: Any) -> Optional[float]:
    """Retry-After in seconds (a number or an HTTP date), or retry-after-ms; None when absent or unreadable."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    try:
        if ms is not None:
            return max(0.0, float(ms) / 1000)
    except ValueError:
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


# ================================================================================ prompts and parsing
JUDGE_SYSTEM_PROMPT = (
    "You check the work of an assistant that answers a fixed list of questions about comments from "
    "{vendor} support cases. You will see one comment, the questions and the assistant's numbered answers. "
    "Score the answers as a whole from 1 to 5: 5 = every answer is correct and the summary keeps the "
    "technical facts; 4 = one small slip; 3 = a clear error or several slips; 2 = many errors; "
    "1 = mostly wrong or unusable. Reply with one JSON object and nothing else: "
    '{{"score": <1-5>, "justification": "<one or two sentences>"}}'
)


def answer_messages(comment: Comment, cfg: Config) -> list[dict]:
    """The teacher's conversation: the project's system prompt and the student's own prompt."""
    return [{"role": "system", "content": cfg.system_prompt},
            {"role": "user", "content": build_prompt(comment.text, comment.type, cfg.VENDOR_NAME, cfg.PROMPT_STYLE)}]


def judge_messages(comment: Comment, solution: str, cfg: Config) -> list[dict]:
    """The judge's conversation: comment, the questions in full and the answers to score."""
    qs = "\n".join(f"{q.number}. {q.render(cfg.VENDOR_NAME)} [{q.answer_hint}]" for q in questions(comment.type))
    user = (f"Comment:\n<<<\n{comment.text.strip()}\n>>>\n\nQuestions:\n{qs}\n\nAnswers:\n{solution}\n\n"
            'Score the answers. Reply with JSON only: {"score": <1-5>, "justification": "..."}')
    return [{"role": "system", "content": JUDGE_SYSTEM_PROMPT.format(vendor=cfg.VENDOR_NAME)},
            {"role": "user", "content": user}]


def parse_solution(reply: str, comment_type: str) -> tuple[Optional[str], Optional[str]]:
    """(canonical answer text, None) when every answer parses, else (None, the reason)."""
    parsed = parse_answers_detailed(reply, comment_type)
    if parsed.complete:
        return format_answers(parsed.values, comment_type), None
    errors = "; ".join(f"{n}: {e}" for n, e in sorted(parsed.errors.items()))
    return None, f"answers unusable ({len(parsed.errors)} of {len(questions(comment_type))}): {errors}"


def parse_verdict(reply: str) -> tuple[Optional[dict], Optional[str]]:
    """({"score", "justification"}, None) from the judge's JSON reply, else (None, the reason)."""
    text = (reply or "").strip()
    start = text.find("{")
    if start < 0:
        return None, "judge reply holds no JSON object"
    try:
        obj, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as err:
        return None, f"judge reply is not valid JSON ({err.msg})"
    if not isinstance(obj, dict):
        return None, "judge reply is not a JSON object"
    score = obj.get("score")
    if isinstance(score, str):
        try:
            score = float(score.strip())
        except ValueError:
            pass
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 1 <= score <= 5:
        return None, f"judge score is not a number from 1 to 5: {str(obj.get('score'))[:40]!r}"
    justification = obj.get("justification")
    if not isinstance(justification, str) or not justification.strip():
        return None, "judge reply has no justification"
    return {"score": int(score) if float(score).is_integer() else float(score),
            "justification": justification.strip()}, None


# ================================================================================ the run
def raw_log_path(output: Union[str, Path]) -> Path:
    """The raw-reply log beside the export: written (appended) by `label_comments`, read when resuming."""
    output = Path(output)
    return output.with_name(f"{output.stem}_teacher_raw.jsonl")


def usage_path(output: Union[str, Path]) -> Path:
    """The usage summary beside the export, rewritten at the end of each run."""
    output = Path(output)
    return output.with_name(f"{output.stem}_teacher_usage.json")


def request_fingerprint(pass_name: str, comment: Comment, messages: list[dict], s: EndpointSettings,
                        *extra: Any) -> str:
    """Same pass, comment, prompt and endpoint settings: the same fingerprint (the key never enters it)."""
    parts = (pass_name, comment.id, messages, public_url(s.base_url), s.model, s.temperature, s.max_tokens, *extra)
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def answer_fingerprint(comment: Comment, messages: list[dict], s: EndpointSettings) -> str:
    return request_fingerprint("answer", comment, messages, s)


def judge_fingerprint(comment: Comment, messages: list[dict], s: EndpointSettings) -> str:
    return request_fingerprint("judge", comment, messages, s)


@dataclass
class _State:
    """Where one comment stands, rebuilt from the raw log."""

    solution: Optional[str] = None
    answer_attempts: int = 0
    answer_error: Optional[str] = None
    verdict: Optional[dict] = None
    judge_attempts: int = 0
    judge_error: Optional[str] = None


def replay(rows: list[dict], fp: str, parse: Callable[[str], tuple[Any, Optional[str]]]
           ) -> tuple[Any, int, Optional[str]]:
    """(parsed value or None, attempts made, last reason) from the log rows of one pass of one comment."""
    attempts, reason = 0, None
    for row in sorted((r for r in rows if r.get("fingerprint") == fp and r.get("reply") is not None),
                      key=lambda r: r.get("attempt", 0)):
        value, reason = parse(row["reply"])
        attempts += 1
        if value is not None:
            return value, attempts, None
    return None, attempts, reason


class Labeller:
    """One labelling run: the comments, both endpoints, the raw log and the usage counters.

    `endpoint`, `run_pass`, `run_all` and `count_reject` are also what `utils.synth` builds its
    writing pass from: the same rate limiter, retries, raw log and usage, one more pass name.
    """

    def __init__(self, cfg: Config, output: Union[str, Path], progress: bool = True):
        self.cfg, self.output, self.progress = cfg, Path(output), progress
        self.teacher, self.judge = teacher_settings(cfg), judge_settings(cfg)
        self.raw = raw_log_path(output)
        self.usage = Usage()
        self.stop = threading.Event()
        self.log_lock = threading.Lock()
        self.limiter = RateLimiter(cfg.TEACHER_REQUESTS_PER_MINUTE, cfg.TEACHER_TOKENS_PER_MINUTE)
        self.answer_endpoint = self.endpoint(self.teacher, self.usage.answer)
        self.judge_endpoint = self.endpoint(self.judge, self.usage.judge)

    def endpoint(self, settings: EndpointSettings, usage: PassUsage) -> Endpoint:
        """An endpoint that shares this run's rate limits, retry settings, stop signal and usage lock."""
        cfg = self.cfg
        return Endpoint(settings, self.limiter, usage, timeout=cfg.TEACHER_TIMEOUT_S,
                        max_retries=cfg.TEACHER_MAX_RETRIES, backoff=cfg.TEACHER_BACKOFF_S,
                        backoff_max=cfg.TEACHER_BACKOFF_MAX_S, stop=self.stop, usage_lock=self.usage.lock)

    # -- the log -------------------------------------------------------------------------------
    def _log(self, row: dict) -> None:
        with self.log_lock:
            append_jsonl(self.raw, [row])

    def _ask(self, endpoint: Endpoint, comment: Comment, pass_name: str, fp: str, messages: list[dict],
             attempt: int, parse: Callable[[str], tuple[Any, Optional[str]]]) -> tuple[Any, Optional[str]]:
        """One ask, logged: (parsed value, reason it failed to parse). Transport failures propagate."""
        try:
            reply = endpoint.chat(messages)
        except RequestRefused as err:
            reply, refused = Reply("", 0, 0, 0, 0.0), str(err)
        else:
            refused = None
        value, reason = (None, f"endpoint refused the request: {refused}") if refused else parse(reply.text)
        extra = {"score": value["score"]} if pass_name == "judge" and value else {}
        self._log({"id": comment.id, "type": comment.type, "pass": pass_name, "attempt": attempt, "fingerprint": fp,
                   "model": endpoint.settings.model, "reply": reply.text, "ok": value is not None, "error": reason,
                   **extra, "prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                   "retries": reply.retries, "seconds": round(reply.seconds, 3)})
        return value, reason

    # -- one comment ---------------------------------------------------------------------------
    def run_pass(self, endpoint: Endpoint, comment: Comment, pass_name: str, fp: str, messages: list[dict],
                 attempts: int, parse: Callable[[str], tuple[Any, Optional[str]]]) -> tuple[Any, int, Optional[str]]:
        """Ask until the reply parses, at most PARSE_ATTEMPTS asks in all (`attempts` made before):
        (value or None, attempts made, last reason). Transport failures propagate."""
        value, reason = None, None
        while value is None and attempts < PARSE_ATTEMPTS:
            if attempts:
                with self.usage.lock:
                    getattr(self.usage, pass_name).reasks += 1
            attempts += 1
            value, reason = self._ask(endpoint, comment, pass_name, fp, messages, attempts, parse)
        return value, attempts, reason

    def _label(self, comment: Comment, state: _State) -> _State:
        amsg = answer_messages(comment, self.cfg)
        afp = answer_fingerprint(comment, amsg, self.teacher)
        try:
            if state.solution is None and state.answer_attempts < PARSE_ATTEMPTS:
                state.solution, state.answer_attempts, state.answer_error = self.run_pass(
                    self.answer_endpoint, comment, "answer", afp, amsg, state.answer_attempts,
                    lambda r: parse_solution(r, comment.type))
                if state.solution is None:
                    self.count_reject("answer", state.answer_error)
            if state.solution is None:
                return state
            jmsg = judge_messages(comment, state.solution, self.cfg)
            jfp = judge_fingerprint(comment, jmsg, self.judge)
            if state.verdict is None and state.judge_attempts < PARSE_ATTEMPTS:
                state.verdict, state.judge_attempts, state.judge_error = self.run_pass(
                    self.judge_endpoint, comment, "judge", jfp, jmsg, state.judge_attempts, parse_verdict)
                if state.verdict is None:
                    self.count_reject("judge", state.judge_error)
        except RetryableError as err:  # asked again on the next run
            self.count_failure("judge" if state.solution is not None else "answer", err)
        return state

    def count_reject(self, pass_name: str, reason: Optional[str]) -> None:
        """A reply that never parsed: kept as a reject, counted by its reason."""
        with self.usage.lock:
            getattr(self.usage, pass_name).rejects += 1
            self.usage.reject_reasons[_reason_class(reason)] += 1

    def count_failure(self, pass_name: str, err: Exception) -> None:
        """A request given up after the transport retries: counted, asked again on the next run."""
        with self.usage.lock:
            getattr(self.usage, pass_name).failures += 1
            self.usage.reject_reasons[f"endpoint failed: {err}"] += 1

    # -- the whole file ------------------------------------------------------------------------
    def resume_states(self, comments: Sequence[Comment]) -> dict[str, _State]:
        """Each comment's state from the raw log rows made with the current settings."""
        repair_jsonl(self.raw)  # a torn last line from a kill
        by_id: dict[str, list[dict]] = {}
        for row in read_jsonl(self.raw):
            if row.get("pass") in ("answer", "judge"):  # utils.synth's "write" rows share the log
                by_id.setdefault(str(row.get("id")), []).append(row)
        states, used = {}, 0
        for c in comments:
            rows = by_id.get(c.id, [])
            st = _State()
            amsg = answer_messages(c, self.cfg)
            afp = answer_fingerprint(c, amsg, self.teacher)
            st.solution, st.answer_attempts, st.answer_error = replay(
                [r for r in rows if r.get("pass") == "answer"], afp, lambda r, t=c.type: parse_solution(r, t))
            if st.solution is not None:
                jfp = judge_fingerprint(c, judge_messages(c, st.solution, self.cfg), self.judge)
                st.verdict, st.judge_attempts, st.judge_error = replay(
                    [r for r in rows if r.get("pass") == "judge"], jfp, parse_verdict)
                used += sum(r.get("fingerprint") in (afp, jfp) for r in rows)
            else:
                used += sum(r.get("fingerprint") == afp for r in rows)
            states[c.id] = st
        self.usage.stale_rows = sum(len(v) for v in by_id.values()) - used
        return states

    def run_all(self, tasks: Sequence[Callable[[], Any]], total: int, desc: str, start: float) -> None:
        """Run the tasks on TEACHER_WORKERS threads under one progress bar (`total - len(tasks)` done
        before) with the request rate; the first TeacherEndpointError stops every worker and propagates."""
        from utils.progress import progress_bar

        bar = progress_bar(total=total, initial=total - len(tasks), desc=desc, unit="comment",
                   disable=not self.progress or not tasks, dynamic_ncols=True)
        pool = ThreadPoolExecutor(max_workers=self.cfg.TEACHER_WORKERS, thread_name_prefix="teacher")
        try:
            pending = {pool.submit(task) for task in tasks}
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
                for fut in done:
                    fut.result()  # a TeacherEndpointError stops the run here
                bar.update(len(done))
                elapsed = time.monotonic() - start
                bar.set_postfix(req_per_min=f"{60 * self.usage.requests / max(elapsed, 1e-9):.0f}",
                                retries=sum(getattr(self.usage, p).retries for p in self.usage.passes), refresh=False)
        except BaseException:
            self.stop.set()  # running workers stop at their next request; finished replies are logged
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            bar.close()
            self.usage.seconds = time.monotonic() - start

    def run(self, comments: Sequence[Comment], start: Optional[float] = None) -> dict:
        """Label every comment not finished yet, then write and return the SDS evaluated export.

        `start` (a `time.monotonic()` value) counts earlier work of the same run into the seconds.
        """
        start = time.monotonic() if start is None else start
        states = self.resume_states(comments)
        todo = [c for c in comments if not _finished(states[c.id])]
        self.usage.comments, self.usage.resumed = len(comments), len(comments) - len(todo)
        self.run_all([lambda c=c: self._label(c, states[c.id]) for c in todo], len(comments), "teacher labelling",
                     start)
        export = build_export(comments, states)
        self.usage.exported = export_counts(export, len(comments))
        write_json(self.output, export)
        write_json(usage_path(self.output), {"input_comments": len(comments), "output": self.output.name,
                                             "teacher": self.teacher.public, "judge": self.judge.public,
                                             "usage": self.usage.to_dict()})
        return export


def _finished(st: _State) -> bool:
    answered = st.solution is not None or st.answer_attempts >= PARSE_ATTEMPTS
    judged = st.solution is None or st.verdict is not None or st.judge_attempts >= PARSE_ATTEMPTS
    return answered and judged


def _reason_class(reason: Optional[str]) -> str:
    """A reason without its details, for counting ("answers unusable", "judge reply is not valid JSON")."""
    return (reason or "unknown").split(" (")[0].split(":")[0]


def build_export(comments: Sequence[Comment], states: dict[str, _State]) -> dict:
    """The SDS evaluated export, topics in order of first appearance, pairs in input order.

    A comment whose answers never parsed is a failed pair; one whose verdict never parsed is an
    evaluated pair with score 0 (SDS's mark of a failed evaluation, which Step 1 drops as low_score).
    A comment with no result yet (the endpoint failed) is left out; the next run asks it again.
    Averages are over the pairs the judge scored.
    """
    topics: dict[str, dict] = {}
    for c in comments:
        st = states[c.id]
        block = topics.setdefault(c.topic, {"evaluated_pairs": [], "failed_pairs": []})
        if st.solution is None:
            if st.answer_attempts >= PARSE_ATTEMPTS:
                block["failed_pairs"].append({"error": st.answer_error or "answers unusable",
                                              "pair": {"question": c.text, "solution": ""}})
            continue
        if st.verdict is not None:
            evaluation = dict(st.verdict)
        elif st.judge_attempts >= PARSE_ATTEMPTS:
            evaluation = {"score": 0, "justification": f"{FAILED_EVALUATION}: {st.judge_error}"}
        else:
            continue
        block["evaluated_pairs"].append({"question": c.text, "solution": st.solution, "evaluation": evaluation})
    out: dict[str, Any] = {}
    all_scores: list[float] = []
    for name, block in topics.items():
        scores = [p["evaluation"]["score"] for p in block["evaluated_pairs"] if p["evaluation"]["score"] > 0]
        all_scores += scores
        out[name] = {"average_score": round(sum(scores) / len(scores), 4) if scores else 0.0,
                     "min_score": min(scores) if scores else 0, "max_score": max(scores) if scores else 0,
                     "evaluated_pairs": block["evaluated_pairs"], "failed_pairs": block["failed_pairs"],
                     "total_evaluated": len(block["evaluated_pairs"]), "total_failed": len(block["failed_pairs"])}
    out["Overall_Average"] = round(sum(all_scores) / len(all_scores), 4) if all_scores else 0.0
    return out


def export_counts(export: dict, comments: int) -> dict:
    """How many pairs an export holds, by outcome (for the summary)."""
    blocks = [b for k, b in export.items() if k != "Overall_Average"]
    pairs = [p for b in blocks for p in b["evaluated_pairs"]]
    failed = sum(len(b["failed_pairs"]) for b in blocks)
    scored = sum(p["evaluation"]["score"] > 0 for p in pairs)
    return {"scored": scored, "failed_evaluations": len(pairs) - scored, "failed_pairs": failed,
            "missing": comments - len(pairs) - failed, "mean_score": export["Overall_Average"]}


def label_comments(cfg: Config, input_path: Union[str, Path], output: Union[str, Path],
                   comment_type: Optional[str] = None, progress: bool = True) -> tuple[dict, Usage]:
    """Read the comments, label and judge those not done yet, write the export; returns (export, usage)."""
    comments = read_comments(input_path, comment_type)
    labeller = Labeller(cfg, output, progress=progress)
    export = labeller.run(comments)
    return export, labeller.usage


# ================================================================================ command line
def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.teacher",
                                     description="Label raw comments with a teacher endpoint into an SDS evaluated export.")
    parser.add_argument("--input", required=True, help="comments file: .csv, .jsonl or .json with id, type, comment")
    parser.add_argument("--output", required=True, help="the export to write, e.g. Data/MyVendorComments.json")
    parser.add_argument("--type", choices=sorted(TASKS), help="label only comments of this type")
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.profile, parse_set_args(args.set))
        _, usage = label_comments(cfg, args.input, cfg.path(args.output), args.type, progress=not args.no_progress)
    except (TeacherInputError, ConfigError, TeacherEndpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(usage.summary())
    print(f"Wrote {cfg.path(args.output)} (raw replies: {raw_log_path(cfg.path(args.output))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
