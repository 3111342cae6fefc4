"""The comparison app on the tiny models: the table, a missing model, its HTTP API and a real browser.

The "fine-tuned" model is a copy of the tiny base folder under the name Step 2 gives a merged model,
so no training is needed; the evaluation comments and results are small hand-made files.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from Config.Config import PROJECT_ROOT, load_config
from utils import app, models
from utils.files import write_json
from utils.metrics import compute_metrics
from utils.report import write_results
from utils.tasks import TASKS, build_prompt, format_answers, parse_answers, questions
from utils.paths import merged_dir, write_merged_pointer

CHROMIUM = Path("/usr/bin/chromium")
# Chromium on a machine without network: no background calls, no sandbox as root, a fresh profile.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
COMMENT = "Hi team, the Kudu tablet server on node 3 crashes after the upgrade to 7.1.9. Can you send the logs?"


def eval_record(i: int) -> dict:
    comment = f"Kudu tablet server {i} is down since the upgrade; see https://issues.apache.org/jira/browse/KUDU-{i}."
    answers = {q.number: (1 if q.kind == "BOOL" else q.low if q.kind == "SCORE" else "Kudu is down") for q in questions("vendor")}
    return {"id": f"vendor-{i:05d}", "type": "vendor", "Comment": comment,
            "Prompt": build_prompt(comment, "vendor", style="compact"), "Completion": format_answers(answers, "vendor")}


def project(root: Path) -> dict[str, str]:
    """A tiny project under `root`: evaluation comments, a 'merged' model and a results set."""
    overrides = {"TMP_DIR": str(root / "tmp"), "DATA_DIR": str(root / "Data"), "RESULTS_DIR": str(root / "results")}
    cfg = load_config("tiny", overrides)
    base = models.setup_model(cfg)
    shutil.copytree(base, merged_dir(cfg))
    write_merged_pointer(cfg, merged_dir(cfg))  # as Step 2 does once it has published
    write_json(cfg.data_dir / "VendorComments_Evaluation_Clean.json", [eval_record(i) for i in range(3)])
    write_json(cfg.data_dir / "CustomerComments_Evaluation_Clean.json", [])
    answers = [{"type": "vendor", "id": f"vendor-{i:05d}", "comment": "c", "teacher": {1: 1}, "base": {1: 0},
                "finetuned": {1: 1}} for i in range(3)]
    verdicts = [{"type": "vendor", "id": f"vendor-{i:05d}", "question": 1, "judge": "reference",
                 "verdict": "win", "unparsed": False} for i in range(3)]
    write_results(cfg, compute_metrics(verdicts, answers, TASKS, n_boot=50, seed=0), verdicts, answers)
    return overrides


def test_a_missing_finetuned_model_is_reported_and_the_base_still_answers(tmp_path):
    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path / "tmp"), "DATA_DIR": str(tmp_path / "Data"),
                               "GEN_MAX_NEW_TOKENS": 8})
    models.setup_model(cfg)
    comparer = app.Comparer(cfg)
    assert any("fine-tuned model is not there yet" in n and "Step 2" in n for n in comparer.notes)
    assert any("No evaluation comments" in n for n in comparer.notes)
    result = comparer.compare("vendor", COMMENT)
    assert result["models"]["base"]["available"] and result["models"]["base"]["latency_s"] > 0
    assert not result["models"]["finetuned"]["available"]
    assert [r["question"] for r in result["rows"]] == list(range(1, 12))
    assert not any(r["differs"] for r in result["rows"]) and result["evaluation_id"] is None
    assert "fine-tuned**: not available" in app.latency_markdown(result)
    with pytest.raises(ValueError, match="Paste a comment"):
        comparer.compare("vendor", "  ")


# What the app is sent besides a comment, and the sentence each one gets back (nothing is generated).
BAD_REQUESTS = [
    (("vendor", ""), "Paste a comment first"),
    (("vendor", " \n\t "), "Paste a comment first"),
    (("vendor", None), "Paste a comment first"),
    (("vendor", 123), "The comment must be text \\(a string\\), not int"),
    (("vendor", ["a comment"]), "The comment must be text \\(a string\\), not list"),
    (("vendor", {"comment": "x"}), "The comment must be text \\(a string\\), not dict"),
    (("bogus", COMMENT), "Unknown comment type 'bogus'; valid: vendor, customer"),
    ((7, COMMENT), "Unknown comment type 7; valid: vendor, customer"),
    ((["vendor"], COMMENT), "Unknown comment type \\['vendor'\\]"),
    # longer than the students read: refused with the limit (tiny: MAX_LENGTH 1024 of 2048 positions)
    (("vendor", "Kudu is down again. " * 5000), "too long for the students: .*\\(100,000 characters\\).* at most 1,024 "
                                                  "\\(MAX_LENGTH=1024\\)"),
]


def test_bad_requests_get_a_clear_message_and_nothing_is_generated(tmp_path):
    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path / "tmp"), "DATA_DIR": str(tmp_path / "Data"),
                               "GEN_MAX_NEW_TOKENS": 8})
    models.setup_model(cfg)
    comparer = app.Comparer(cfg)
    engine, calls = comparer.engines["base"], []
    real_generate = engine.generate
    engine.generate = lambda texts, on_text=None, **kw: calls.append(texts) or real_generate(texts, on_text, **kw)
    assert engine.max_prompt_tokens == 1024
    for (comment_type, comment), message in BAD_REQUESTS:
        with pytest.raises(ValueError, match=message):
            comparer.compare(comment_type, comment)
    assert calls == []
    # the longest comment of whole sentences that fits is answered
    def tokens(n):
        prompt = engine.render(build_prompt("Kudu is down again. " * n, "vendor", style="compact"))
        return len(engine.tokenizer(prompt, add_special_tokens=False)["input_ids"])

    n = max(k for k in range(1, 400) if tokens(k) <= engine.max_prompt_tokens)
    assert tokens(n + 1) > engine.max_prompt_tokens
    assert comparer.compare("vendor", "Kudu is down again. " * n)["models"]["base"]["available"] and len(calls) == 1
    with pytest.raises(ValueError, match="too long"):
        comparer.compare("vendor", "Kudu is down again. " * (n + 1))


def test_the_shared_batch_answers_exactly_like_the_two_models_apart(tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from utils.inference import Engine
    from utils.paths import adapter_dir, paired_adapter

    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path / "tmp"), "DATA_DIR": str(tmp_path / "Data"),
                               "GEN_MAX_NEW_TOKENS": 12, "DTYPE": "float32"})
    base = models.setup_model(cfg)
    torch.manual_seed(0)  # a random, non-zero adapter: the fine-tuned answer differs from the base's
    tuned = get_peft_model(AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32),
                           LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj", "down_proj"],
                                      init_lora_weights=False))
    tuned.save_pretrained(adapter_dir(cfg))
    tuned.merge_and_unload().save_pretrained(merged_dir(cfg))
    models.load_tokenizer(base, cfg).save_pretrained(merged_dir(cfg))
    for folder in (adapter_dir(cfg), merged_dir(cfg)):  # what Step 2 writes to pair them
        write_json(folder / ("run_fingerprint.json" if folder == adapter_dir(cfg) else "training_card.json"),
                   {"fingerprint": "run-1"})
    write_json(merged_dir(cfg) / models.MARKER, {"source": "merged"})
    write_merged_pointer(cfg, merged_dir(cfg), adapter_dir(cfg))
    assert paired_adapter(cfg) == adapter_dir(cfg)

    comparer = app.Comparer(cfg)
    assert comparer.pair is not None
    result = comparer.compare("vendor", COMMENT)
    apart = {name: Engine(folder, cfg, 12) for name, folder in (("base", base), ("finetuned", merged_dir(cfg)))}
    for name, engine in apart.items():
        text, new_tokens = engine.generate([engine.render(build_prompt(COMMENT, "vendor", style="compact"))])[0]
        got = result["models"][name]
        assert (got["text"], got["new_tokens"]) == (text, new_tokens), name
        assert got["shared_batch"] and 0 < got["latency_s"] <= result["total_latency_s"]
    assert result["models"]["base"]["text"] != result["models"]["finetuned"]["text"]
    assert "one shared batch" in app.latency_markdown(result)

    updates = list(comparer.compare_live("vendor", COMMENT, every_s=0.01))  # what the page shows
    partial, final = [u for u in updates if "partial" in u], updates[-1]
    assert partial and "partial" not in final and final["rows"] == result["rows"]
    for name in ("base", "finetuned"):  # the answers grow to the final texts
        texts = [u["partial"][name] for u in partial] + [final["models"][name]["text"]]
        assert all(later.startswith(earlier) for earlier, later in zip(texts, texts[1:]))
    assert "kd-live" in app.live_html(partial[0]["partial"])
    with pytest.raises(ValueError, match="Paste a comment"):
        list(comparer.compare_live("vendor", " "))

    write_json(adapter_dir(cfg) / "run_fingerprint.json", {"fingerprint": "an older run"})
    assert paired_adapter(cfg) is None and app.Comparer(cfg).pair is None  # the merged folders, apart


def test_model_work_submitted_from_server_threads_runs_on_the_serving_thread():
    import threading

    calls = app.MainThreadCalls()
    results = {}

    def handler():  # what a Gradio worker thread does
        try:
            results["ident"] = calls.submit(threading.get_ident).result(timeout=10)
            calls.submit(int, "a bad comment").result(timeout=10)
        except ValueError as err:  # the call's own error reaches the caller
            results["error"] = str(err)
        finally:
            calls.stop()

    threading.Thread(target=handler).start()
    calls.serve_forever()  # returns after stop()
    assert results["ident"] == threading.get_ident() and "a bad comment" in results["error"]


def test_the_table_marks_differences_and_colours_answers_against_the_teacher():
    rows = [{"question": 1, "key": "technical", "kind": "BOOL", "text": "technical information?", "teacher": 1,
             "base": 0, "finetuned": 1, "base_error": None, "finetuned_error": None, "differs": True},
            {"question": 11, "key": "summary", "kind": "TEXT", "text": "summary <b>", "teacher": "x",
             "base": None, "finetuned": None, "base_error": "missing", "finetuned_error": "empty", "differs": False}]
    page = app.comparison_html({"evaluation_id": "vendor-1", "rows": rows})
    assert page.count("<tr") == 3 and page.count('class="kd-differs"') == 1
    assert '<td class="kd-wrong">0</td>' in page and '<td class="kd-right">1</td>' in page
    assert "summary &lt;b&gt;" in page and ">missing<" in page  # escaped text, the parse error shown
    assert "<th>teacher</th>" not in app.comparison_html({"evaluation_id": None, "rows": rows})


def test_port_comes_from_cml_when_set(monkeypatch):
    cfg = load_config("tiny")
    monkeypatch.delenv("CDSW_APP_PORT", raising=False)
    assert app.listen_port(cfg) == cfg.APP_PORT and app.listen_port(cfg, 9000) == 9000
    monkeypatch.setenv("CDSW_APP_PORT", "8100")
    assert app.listen_port(cfg) == 8100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`python utils/app.py` started as a CML application starts it: as a file, from another folder."""
    root = tmp_path_factory.mktemp("app")
    overrides = project(root)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "CDSW_APP_PORT"} | {"KD_PROFILE": "tiny"}
    cmd = [sys.executable, str(PROJECT_ROOT / "utils" / "app.py"), "--port", str(port)]
    cmd += [arg for key, value in overrides.items() for arg in ("--set", f"{key}={value}")]
    log = (root / "app.log").open("w")
    server = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    pytest.fail(f"the app did not start:\n{(root / 'app.log').read_text()[-3000:]}")
                time.sleep(1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_the_api_compares_both_models_question_by_question(served):
    from gradio_client import Client

    client = Client(served, verbose=False)
    record = eval_record(1)
    result = client.predict("vendor", record["Comment"], api_name="/compare")
    assert result["evaluation_id"] == record["id"] and result["notes"] == []
    teacher = parse_answers(record["Completion"], "vendor")
    assert [r["teacher"] for r in result["rows"]] == [teacher[q.number] for q in questions("vendor")]
    for name in ("base", "finetuned"):
        assert result["models"][name]["available"] and result["models"][name]["latency_s"] > 0
    # the "fine-tuned" model is a copy of the base, and decoding is greedy: the same answers
    assert not any(r["differs"] for r in result["rows"])
    assert result["models"]["base"]["text"] == result["models"]["finetuned"]["text"]

    pasted = client.predict("vendor", COMMENT, api_name="/compare")
    assert pasted["evaluation_id"] is None and all(r["teacher"] is None for r in pasted["rows"])


# Bodies of the wrong shape for /compare's HTTP call, and what gradio answers (the HTTP error's
# detail, or the call's error event).
WRONG_SHAPES = [
    (b'{"data": "vendor"}', "Input should be a valid list"),
    (b'{"data": ["vendor"]}', "didn't receive enough input values (needed: 2, got: 1)"),
    (b'{"comment": "x"}', "Field required"),
    (b"not json", "JSON decode error"),
]


def raw_call(url: str, body: bytes) -> str:
    """POST `body` to the /compare call endpoint; the HTTP error's body, or the result stream's text."""
    request = urllib.request.Request(f"{url}gradio_api/call/compare", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        event = json.loads(urllib.request.urlopen(request, timeout=30).read())["event_id"]
    except urllib.error.HTTPError as err:
        assert 400 <= err.code < 500
        return err.read().decode()
    reply = urllib.request.urlopen(f"{url}gradio_api/call/compare/{event}", timeout=60).read().decode()
    assert reply.startswith("event: error"), reply[:300]
    return reply


@pytest.mark.slow
def test_the_api_answers_bad_requests_with_their_message(served):
    """Each bad request over HTTP: the app's own sentence comes back as the error, and the app serves on."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(served, verbose=False)
    for (comment_type, comment), message in BAD_REQUESTS:
        with pytest.raises(AppError, match=message):
            client.predict(comment_type, comment, api_name="/compare")
    # a request of the wrong shape, sent by hand: refused with gradio's own message, never answered
    for body, message in WRONG_SHAPES:
        reply = raw_call(served, body)
        assert message in reply, (body, reply[:500])
    assert client.predict("vendor", COMMENT, api_name="/compare")["models"]["base"]["available"]


@pytest.mark.slow
def test_eight_concurrent_requests_all_get_their_answers(served):
    from gradio_client import Client

    client = Client(served, verbose=False)
    types = ["vendor", "customer"] * 4
    jobs = [client.submit(t, f"{COMMENT} (request {i})", api_name="/compare") for i, t in enumerate(types)]
    results = [job.result(timeout=300) for job in jobs]
    for comment_type, result in zip(types, results):  # each answer is its own request's
        assert result["comment_type"] == comment_type and len(result["rows"]) == len(questions(comment_type))
        assert all(result["models"][name]["available"] for name in ("base", "finetuned"))


@pytest.mark.slow
def test_a_browser_submits_a_comment_and_sees_the_table(served, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(served, wait_until="load")
            page.get_by_label("Comment", exact=True).fill(COMMENT)
            page.get_by_role("button", name="Compare", exact=True).click()
            page.locator(".kd-table").wait_for(timeout=60_000)
            assert page.locator(".kd-table tr").count() == 1 + 11  # header + vendor questions
            assert "answers parsed" in page.inner_text("body")
            page.get_by_role("tab", name="Evaluation", exact=True).click()
            page.get_by_text("adjusted win rate").first.wait_for(timeout=30_000)
            page.get_by_role("tab", name="Compare", exact=True).click()
            shot = tmp_path / "app.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000


def test_on_llama_cpp_each_student_answers_through_its_gguf_one_after_the_other(tmp_path):
    """With llama-cpp-python installed the app answers through llama.cpp, even with an adapter to pair
    (the paired batch is transformers'), and shows both answers as they grow."""
    pytest.importorskip("llama_cpp")
    cfg = load_config("tiny", project(tmp_path) | {"INFERENCE_BACKEND": "llama.cpp", "GEN_MAX_NEW_TOKENS": 8})
    comparer = app.Comparer(cfg)
    assert comparer.pair is None and all(e.gguf is not None for e in comparer.engines.values())
    result = comparer.compare("vendor", COMMENT)
    for name in ("base", "finetuned"):
        got = result["models"][name]
        assert got["new_tokens"] == 8 and got["latency_s"] > 0 and "shared_batch" not in got
    # the copy of the base as "fine-tuned" is the same model: the same greedy answer
    assert result["models"]["base"]["text"] == result["models"]["finetuned"]["text"]
    assert result["total_latency_s"] >= result["models"]["base"]["latency_s"] + result["models"]["finetuned"]["latency_s"] - 0.01
    updates = list(comparer.compare_live("vendor", COMMENT, every_s=0.001))
    assert any("partial" in u for u in updates) and updates[-1]["rows"] == result["rows"]
