"""Serving the merged student: the request is the training prompt, and a real server answers it."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from Config.Config import load_config
from utils import models, serving
from utils.chat import render_prompt
from utils.tasks import build_prompt, questions

COMMENT = "Hi team, the Kudu tablet server on node 3 crashes after the upgrade to 7.1.9. Logs attached."


@pytest.fixture(scope="module")
def tiny_folder():
    return models.setup_model(load_config("tiny"))


@pytest.mark.parametrize("profile", ["tiny", "amp"])  # compact and full prompt styles
def test_request_renders_exactly_like_training(tiny_folder, profile):
    cfg = load_config(profile)
    tok = models.load_tokenizer(tiny_folder, cfg)
    messages = serving.request_messages(COMMENT, "customer", cfg)
    served = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    trained = render_prompt(tok, build_prompt(COMMENT, "customer", cfg.VENDOR_NAME, cfg.PROMPT_STYLE),
                            cfg.system_prompt)
    assert served == trained
    assert messages[0] == {"role": "system", "content": cfg.system_prompt}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_ask_a_transformers_server(tiny_folder):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "transformers.cli.transformers", "serve", str(tiny_folder),
         "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    pytest.fail(f"transformers serve did not start: {server.stderr.read()[-2000:]}")
                time.sleep(1)
        cfg = load_config("tiny", {"GEN_MAX_NEW_TOKENS": 16})
        parsed = serving.ask(f"http://127.0.0.1:{port}/v1", str(tiny_folder), COMMENT, "vendor", cfg)
        # a random model answers nonsense: every question is there, most without a valid value
        assert set(parsed.values) == {q.number for q in questions("vendor")}
        assert set(parsed.errors) <= set(parsed.values)
    finally:
        server.terminate()
        server.wait(timeout=30)
