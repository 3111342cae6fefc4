"""Serving the merged student: the request is the training prompt, and a real server answers it."""

import pytest

from Config.Config import load_config
from utils import models, serving
from utils.chat import render_prompt
from utils.tasks import build_prompt, questions

COMMENT = "Hi team, the Kudu tablet server on node 3 crashes after the upgrade to 7.1.9. Logs attached."




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


@pytest.mark.slow
def test_ask_a_transformers_server(tiny_folder, tiny_server):
    cfg = load_config("tiny", {"GEN_MAX_NEW_TOKENS": 16})
    parsed = serving.ask(tiny_server, str(tiny_folder), COMMENT, "vendor", cfg)
    # a random model answers nonsense: every question is there, most without a valid value
    assert set(parsed.values) == {q.number for q in questions("vendor")}
    assert set(parsed.errors) <= set(parsed.values)
