"""Serving the merged student: a real `transformers serve` on loopback sees the training prompt's
tokens and gives the answers the in-process engine gives."""

import openai
import pytest

from Config.Config import load_config
from utils import models, serving
from utils.chat import render_prompt
from utils.inference import Engine
from utils.tasks import build_prompt, parse_answers_detailed

COMMENT = "Hi team, the Kudu tablet server on node 3 crashes after the upgrade to 7.1.9. Logs attached."


def _prompt_tokens(server: str, model: str, messages: list[dict]) -> int:
    """How many prompt tokens the server counted for these messages (it renders them itself)."""
    client = openai.OpenAI(base_url=server, api_key="EMPTY", timeout=120, max_retries=0)
    reply = client.chat.completions.create(model=model, messages=messages, max_tokens=1, temperature=0.0)
    return reply.usage.prompt_tokens


@pytest.mark.slow
def test_the_server_sees_the_tokens_training_saw(tiny_folder, tiny_server):
    cfg = load_config("tiny")
    tok = models.load_tokenizer(tiny_folder, cfg)
    trained = render_prompt(tok, build_prompt(COMMENT, "customer", cfg.VENDOR_NAME, cfg.PROMPT_STYLE),
                            cfg.system_prompt)
    trained_ids = tok(trained, add_special_tokens=False)["input_ids"]
    messages = serving.request_messages(COMMENT, "customer", cfg)
    assert messages[0] == {"role": "system", "content": cfg.system_prompt}
    assert _prompt_tokens(tiny_server, str(tiny_folder), messages) == len(trained_ids)
    # the check can fail: the same comment without the system prompt is a different token count
    assert _prompt_tokens(tiny_server, str(tiny_folder), messages[1:]) != len(trained_ids)


@pytest.mark.slow
def test_the_served_answer_is_the_engines_answer(tiny_folder, tiny_server):
    cfg = load_config("tiny", {"GEN_MAX_NEW_TOKENS": 16, "DTYPE": "float32"})
    served = serving.ask(tiny_server, str(tiny_folder), COMMENT, "vendor", cfg)
    engine = Engine(tiny_folder, cfg, cfg.GEN_MAX_NEW_TOKENS)
    try:
        [(text, _)] = engine.generate([engine.render(build_prompt(COMMENT, "vendor", cfg.VENDOR_NAME,
                                                                  cfg.PROMPT_STYLE))])
    finally:
        engine.close()
    local = parse_answers_detailed(text, "vendor")
    # greedy decoding of the same tokens by the same weights: the same parsed answers and errors
    assert (served.values, served.errors) == (local.values, local.errors)
