"""Teacher labelling against a real OpenAI-compatible HTTP server on loopback (tests/fake_openai_server.py).

The server answers from known labels and scores every answer set 5; faults are injected per
comment. The tests check exact request, retry and reject counts, the rate limit, resuming after a
kill, that Step 1 reads the export unchanged, the input formats, and that the key is never written.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from Config.Config import PROJECT_ROOT, ConfigError, load_config
from fake_openai_server import FakeOpenAI
from utils.data import prepare_data
from utils.sds import load_sds
from utils.tasks import format_answers, parse_answers, questions
from utils.teacher import (
    TeacherEndpointError, TeacherInputError, TokenBucket, label_comments, main, parse_verdict, raw_log_path,
    read_comments, teacher_settings, usage_path,
)

KEY = "sk-test-canary-7f3a9c1e55"  # must reach the server and never a file
WORDS = ("namenode datanode zookeeper kafka broker hive impala query metastore ranger policy kerberos ticket "
         "keytab spark executor yarn queue oozie workflow hbase region server replication snapshot upgrade "
         "rollback parcel cluster gateway knox ldap certificate truststore disk quota balancer heap garbage").split()


def make_comments(n: int, comment_type: str = "vendor", seed: int = 0) -> tuple[list[dict], dict[str, str]]:
    """n comments of random vocabulary (no two near-duplicates), each tagged with its id, and their labels."""
    rng = random.Random(seed)
    prefix = comment_type[0]
    rows, labels = [], {}
    for i in range(n):
        cid = f"{prefix}-{i:03d}"
        text = f"[{cid}] " + " ".join(rng.choice(WORDS) for _ in range(24)).capitalize() + "."
        rows.append({"id": cid, "type": comment_type, "comment": text})
        values = {q.number: (f"The engineer discusses item {cid} and asks for logs." if q.kind == "TEXT"
                             else rng.randint(q.low, q.high)) for q in questions(comment_type)}
        labels[cid] = format_answers(values, comment_type)
    return rows, labels


def write_json_list(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def teacher_config(url: str, **extra):
    over = {"TEACHER_ENDPOINT_URL": url, "TEACHER_MODEL": "fake-teacher", "TEACHER_REQUESTS_PER_MINUTE": None,
            "TEACHER_TOKENS_PER_MINUTE": None, "TEACHER_BACKOFF_S": 0.01, "TEACHER_TIMEOUT_S": 5.0,
            "TEACHER_WORKERS": 4, "TEACHER_PRICE_PER_MTOK": (1.0, 2.0)}
    over.update(extra)
    return load_config("tiny", over)


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("TEACHER_API_KEY", KEY)


def assert_no_key(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(encoding="utf-8", errors="replace"), f"the API key leaked into {path}"


# ------------------------------------------------------------------------------ faults, counts, Step 1
def test_faults_are_retried_and_rejects_counted_exactly(tmp_path):
    rows, labels = make_comments(12)
    faults = {("answer", "v-001"): ["429"], ("answer", "v-002"): ["500"], ("answer", "v-003"): ["slow"],
              ("answer", "v-004"): ["missing"], ("answer", "v-005"): ["missing", "missing"],
              ("judge", "v-006"): ["malformed"], ("judge", "v-007"): ["malformed", "malformed"]}
    src = write_json_list(tmp_path / "comments.json", rows)
    out = tmp_path / "Data" / "MyVendorComments.json"
    with FakeOpenAI(labels, faults, api_key=KEY, slow_s=1.5, retry_after=1.0) as server:
        cfg = teacher_config(server.base_url, TEACHER_TIMEOUT_S=0.5)
        export, usage = label_comments(cfg, src, out, progress=False)
        counts, sent = server.counts(), list(server.requests)

    # answers: 12 first asks + 3 transport retries (429, 500, timeout) + 2 re-asks (v-004, v-005)
    assert (usage.answer.requests, usage.answer.retries, usage.answer.reasks, usage.answer.rejects) == (17, 3, 2, 1)
    # verdicts: 11 comments (v-005 never got usable answers) + 2 re-asks (v-006, v-007)
    assert (usage.judge.requests, usage.judge.retries, usage.judge.reasks, usage.judge.rejects) == (13, 0, 2, 1)
    assert sum(n for (mode, _), n in counts.items() if mode == "answer") == 17  # the server saw every try
    assert sum(n for (mode, _), n in counts.items() if mode == "judge") == 13
    assert counts[("answer", "v-001")] == counts[("answer", "v-003")] == 2 and counts[("judge", "v-005")] == 0
    assert all(r["auth"] == f"Bearer {KEY}" for r in sent)
    t429 = [r["t"] for r in sent if (r["mode"], r["id"]) == ("answer", "v-001")]
    assert t429[1] - t429[0] >= 0.95, "the retry after a 429 must wait for Retry-After (1 s)"
    # tokens are the server's own counts; the cost uses (1, 2) per million tokens
    assert usage.answer.prompt_tokens > 0 and usage.judge.completion_tokens > 0
    expected_cost = (usage.answer.prompt_tokens + usage.judge.prompt_tokens
                     + 2 * (usage.answer.completion_tokens + usage.judge.completion_tokens)) / 1e6
    assert usage.cost == pytest.approx(expected_cost)
    assert usage.exported == {"scored": 10, "failed_evaluations": 1, "failed_pairs": 1, "missing": 0, "mean_score": 5.0}

    # the export is what SDS writes, in input order, and utils.sds reads it
    block = export["null"]
    assert [p["question"] for p in block["evaluated_pairs"]] == [r["comment"] for r in rows if r["id"] != "v-005"]
    assert block["failed_pairs"][0]["error"].startswith("answers unusable (3 of 11)")
    sds = load_sds(out)
    assert (sds.shape, len(sds.pairs), sds.failed_pairs, export["Overall_Average"]) == ("sft_evaluated", 11, 1, 5.0)
    assert sorted(p.score for p in sds.pairs) == [0.0] + [5.0] * 10  # v-007's failed evaluation is SDS's score 0
    by_text = {r["comment"]: r["id"] for r in rows}
    for p in sds.pairs:
        assert parse_answers(p.solution, "vendor") == parse_answers(labels[by_text[p.comment]], "vendor")

    # every raw reply is in the log: 17 + 13 replies minus the 3 transport failures
    raw = [json.loads(line) for line in raw_log_path(out).read_text().splitlines()]
    assert len(raw) == 27 and sum(not r["ok"] for r in raw) == 6  # v-004, v-006 once; v-005, v-007 twice

    # Step 1 reads it unchanged: 1 failed pair, 1 low score (the 0), 10 kept
    step1 = load_config("tiny", {"DATA_DIR": str(tmp_path / "step1"), "MODELS_DIR": str(tmp_path / "models"),
                                 "VENDOR_SDS_FILE": str(out), "COMMENT_TYPES": ("vendor",), "EVAL_SIZE": 2,
                                 "TRAIN_SIZE": {"vendor": 3, "customer": 3}})
    funnel = prepare_data(step1).types["vendor"].funnel
    assert (funnel["failed_pairs"], funnel["low_score"], funnel["kept"]) == (1, 1, 10)
    assert (funnel["eval"], funnel["train"], funnel["unused"]) == (2, 3, 5)
    assert_no_key(tmp_path)


def test_rate_limit_holds_requests_per_minute(tmp_path):
    rows, labels = make_comments(10)
    src = write_json_list(tmp_path / "comments.json", rows)
    with FakeOpenAI(labels) as server:
        cfg = teacher_config(server.base_url, TEACHER_REQUESTS_PER_MINUTE=120.0, TEACHER_WORKERS=4)
        _, usage = label_comments(cfg, src, tmp_path / "out.json", progress=False)
        times = server.times()
    assert len(times) == 20  # 10 answers + 10 verdicts
    rate = 60 * (len(times) - 1) / (times[-1] - times[0])
    assert 108 <= rate <= 126, f"measured {rate:.1f} requests per minute against a limit of 120"
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) > 0.3, "requests leave evenly spaced (a burst of one), never in a rush"


def test_token_bucket_holds_tokens_per_minute_and_takes_corrections():
    now = [0.0]
    bucket = TokenBucket(600, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))  # 10 per second
    assert bucket.capacity == 10 and bucket.acquire(4) == 0  # a full bucket to start: no wait
    assert bucket.acquire(25) == pytest.approx(0.4)  # larger than the bucket: wait until full, then owe 15
    assert bucket.acquire(5) == pytest.approx(2.0)  # the debt of 15 and 5 more at 10 per second
    bucket.adjust(+5)  # the reply used 5 tokens fewer than estimated
    assert bucket.acquire(5) == pytest.approx(0.0)
    start = now[0]
    for _ in range(60):
        bucket.acquire(10)
    assert now[0] - start == pytest.approx(60.0, abs=0.01)  # from an empty bucket: 600 tokens take a minute


# ------------------------------------------------------------------------------ resume and determinism
def cli(args: list[str], url: str, **env) -> subprocess.Popen:
    full_env = {**os.environ, "TEACHER_API_KEY": KEY, "PYTHONPATH": str(PROJECT_ROOT), **env}
    base = [sys.executable, "-m", "utils.teacher", "--profile", "tiny", "--no-progress",
            "--set", f"TEACHER_ENDPOINT_URL={url}", "--set", "TEACHER_MODEL=fake-teacher",
            "--set", "TEACHER_TOKENS_PER_MINUTE=None", "--set", "TEACHER_WORKERS=2"]
    return subprocess.Popen(base + args, cwd=PROJECT_ROOT, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_killed_run_resumes_without_asking_again_and_gives_the_same_file(tmp_path):
    rows, labels = make_comments(12)
    src = tmp_path / "comments.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "type", "comment"])
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "Data" / "Resumed.json"
    with FakeOpenAI(labels, delay_s=0.02) as server:
        proc = cli(["--input", str(src), "--output", str(out), "--set", "TEACHER_REQUESTS_PER_MINUTE=600"],
                   server.base_url)
        deadline = time.monotonic() + 30
        while len(server.requests) < 9 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        proc.kill()  # SIGKILL mid-run: no clean-up, possibly a torn last line
        proc.wait(timeout=10)
        assert not out.exists(), "the run was killed before the export was written"
        logged = [json.loads(line) for line in raw_log_path(out).read_text().splitlines() if line.endswith("}")]
        before = server.counts()
        assert 0 < len(logged) < 24

        _, usage = label_comments(teacher_config(server.base_url), src, out, progress=False)
        after = server.counts()
        for row in logged:  # nothing already answered or judged is asked again
            assert after[(row["pass"], row["id"])] == before[(row["pass"], row["id"])], row["id"]
        assert usage.resumed == sum(1 for cid in labels if ("judge", cid) in {(r["pass"], r["id"]) for r in logged})
        assert usage.requests == 24 - len(logged)  # the rest once each (the kill may have cut off in-flight asks)

        fresh = tmp_path / "Data" / "Fresh.json"
        label_comments(teacher_config(server.base_url), src, fresh, progress=False)
        assert out.read_bytes() == fresh.read_bytes(), "same inputs and settings: the same export, byte for byte"

        # a finished run started again asks nothing; another judge model re-judges and re-asks no answer
        proc = cli(["--input", str(src), "--output", str(out)], server.base_url)
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        assert "12 comments (12 already in the raw log)" in stdout and "0 requests" in stdout
        n = len(server.requests)
        _, usage = label_comments(teacher_config(server.base_url, TEACHER_JUDGE_MODEL="other-judge"), src, out,
                                  progress=False)
        assert (usage.answer.requests, usage.judge.requests, len(server.requests) - n) == (0, 12, 12)
        assert usage.stale_rows == 12  # the old judge's rows, ignored
    print(stdout)
    assert_no_key(tmp_path)


# ------------------------------------------------------------------------------ inputs
def test_csv_jsonl_and_json_inputs_read_the_same(tmp_path):
    rows, _ = make_comments(3)
    rows[1]["comment"] = 'Quoted, with a comma and a "quote",\nand a second line.'
    with (tmp_path / "c.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "type", "comment", "topic"])
        writer.writeheader()
        writer.writerows({**r, "topic": ""} for r in rows)
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    write_json_list(tmp_path / "c.json", [{**r, "id": i} if i == 0 else r for i, r in enumerate(rows)])
    read = {s: read_comments(tmp_path / f"c.{s}") for s in ("csv", "jsonl", "json")}
    assert [(c.id, c.type, c.text, c.topic) for c in read["csv"]] == [(c.id, c.type, c.text, c.topic) for c in read["jsonl"]]
    assert read["csv"][1].text == rows[1]["comment"] and read["json"][0].id == "0"  # numeric ids become text


@pytest.mark.parametrize("name, content, expected", [
    ("c.txt", "hello", ["unsupported file type '.txt'", ".csv, .jsonl or .json"]),
    ("c.csv", "id,kind,comment\n1,vendor,hi\n", ["line 1", "lacks the column(s) type", "header row"]),
    ("c.csv", "id,type,comment\n1,vendor,hi\n2,vendor,a,b\n", ["line 3", "more cells than columns", "double quotes"]),
    ("c.jsonl", '{"id": 1, "type": "vendor", "comment": "a"}\n{"id": 2, "type": "vendor", "comment": "b"}\n{"id": 3,\n',
     ["line 3", "not valid JSON", "one object per line"]),
    ("c.jsonl", '{"id": 1, "type": "vendor", "comment": "a"}\n{"id": 2, "type": "engineer", "comment": "b"}\n',
     ["line 2", "'engineer'", "'vendor' (support-engineer comments) or 'customer'"]),
    ("c.jsonl", '{"id": 1, "type": "vendor", "comment": ""}\n', ["line 1", "empty or missing comment"]),
    ("c.json", '{"id": 1}', ["line 1", "expected a list of comment objects"]),
    ("c.json", '{"id": 1, "type": "vendor", "comment": "a"}\n{"id": 2, "type": "vendor", "comment": "b"}',
     ["line 2", "name the file .jsonl"]),
    ("c.json", '[{"id": 1, "type": "vendor", "comment": "a"}, {"id": 1, "type": "vendor", "comment": "b"}]',
     ["record 1", "id '1' was already used at record 0", "its own id"]),
    ("c.json", '[{"id": 1, "type": "vendor", "comment": "a"}, {"id": 2, "type": "customer", "comment": "b"}]',
     ["more than one comment type (1 vendor, 1 customer)", "--type vendor"]),
])
def test_bad_input_is_refused_with_the_line_and_the_fix(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TeacherInputError) as err:
        read_comments(path)
    assert str(path) in str(err.value)
    for part in expected:
        assert part in str(err.value)


def test_type_filter_and_cli_refusal(tmp_path, capsys):
    vendor, _ = make_comments(2, "vendor")
    customer, _ = make_comments(3, "customer")
    path = write_json_list(tmp_path / "mixed.json", vendor + customer)
    assert [c.id for c in read_comments(path, "customer")] == ["c-000", "c-001", "c-002"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,comment\n1,hi\n", encoding="utf-8")
    assert main(["--input", str(bad), "--output", str(tmp_path / "o.json"), "--profile", "tiny",
                 "--set", "TEACHER_ENDPOINT_URL=http://127.0.0.1:9/v1", "--set", "TEACHER_MODEL=m"]) == 2
    assert "line 1" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="TEACHER_ENDPOINT_URL"):
        label_comments(load_config("tiny"), path, tmp_path / "o.json", "vendor")


# ------------------------------------------------------------------------------ endpoint errors, parsing
def test_wrong_key_stops_the_run_with_the_variable_to_fix(tmp_path, monkeypatch):
    rows, labels = make_comments(20)
    src = write_json_list(tmp_path / "comments.json", rows)
    monkeypatch.setenv("TEACHER_API_KEY", "sk-wrong")
    with FakeOpenAI(labels, api_key=KEY) as server:
        with pytest.raises(TeacherEndpointError, match="TEACHER_API_KEY"):
            label_comments(teacher_config(server.base_url), src, tmp_path / "o.json", progress=False)
        assert len(server.requests) <= 4 + 4  # the workers stop; the queue is not sent
        with pytest.raises(TeacherEndpointError, match="does not serve model 'no-such-model'"):
            monkeypatch.setenv("TEACHER_API_KEY", KEY)
            label_comments(teacher_config(server.base_url, TEACHER_MODEL="no-such-model"), src,
                           tmp_path / "o2.json", progress=False)


def test_usage_file_and_verdict_parser(tmp_path):
    rows, labels = make_comments(2)
    src = write_json_list(tmp_path / "comments.json", rows)
    with FakeOpenAI(labels) as server:
        label_comments(teacher_config(server.base_url), src, tmp_path / "o.json", progress=False)
    saved = json.loads(usage_path(tmp_path / "o.json").read_text())
    assert saved["teacher"]["base_url"] == server.base_url and saved["teacher"]["api_key_env"] == "TEACHER_API_KEY"
    secret_url = teacher_settings(teacher_config("https://user:pw@host:8443/v1?token=abc")).public["base_url"]
    assert secret_url == "https://host:8443/v1"  # what is written never holds credentials or a query
    assert saved["usage"]["answer"]["requests"] == 2 and saved["usage"]["judge"]["requests"] == 2
    assert parse_verdict('```json\n{"score": "4", "justification": "one slip"}\n```') == (
        {"score": 4, "justification": "one slip"}, None)
    assert parse_verdict('{"score": 7, "justification": "x"}')[1].startswith("judge score is not a number from 1 to 5")
    assert parse_verdict('{"score": 5}')[1] == "judge reply has no justification"
    assert parse_verdict("five")[1] == "judge reply holds no JSON object"
