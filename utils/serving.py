"""Serving the merged student behind an OpenAI-compatible endpoint, and asking it the training way.

The merged folder from Step 2 (`tmp/merged_<run>/`) is a plain transformers model with its
tokenizer and chat template, so existing servers serve it as it is:

    transformers serve tmp/merged_AllComments_Clean_Train_r32_a64_d0.0 --host 127.0.0.1 --port 8000   # CPU
    vllm serve tmp/merged_AllComments_Clean_Train_r128_a64_d0.05 --port 8000                         # GPU

The server applies the model's chat template to the messages it receives. `request_messages`
builds the messages training used (the Config's system prompt, then the question prompt of
`utils.tasks.build_prompt` in the Config's style and vendor name), so the rendered text equals
`utils.chat.render_prompt`'s byte for byte. `ask` sends them at temperature 0 and parses the reply:

    >>> from utils.serving import ask
    >>> ask("http://127.0.0.1:8000/v1", "tmp/merged_...", "Kudu tablet server is down", "vendor", cfg).values
    {1: 1, 2: 2, 3: 2, ...}
"""

from __future__ import annotations

import os

from Config.Config import Config
from utils.chat import build_messages
from utils.tasks import ParsedAnswers, build_prompt, parse_answers_detailed


def request_messages(comment: str, comment_type: str, cfg: Config) -> list[dict]:
    """The chat messages for one comment, exactly as in training: system prompt, then the questions."""
    prompt = build_prompt(comment, comment_type, vendor=cfg.VENDOR_NAME, style=cfg.PROMPT_STYLE)
    return build_messages(prompt, cfg.system_prompt)


def ask(base_url: str, model: str, comment: str, comment_type: str, cfg: Config,
        api_key_env: str = "STUDENT_API_KEY", timeout: float = 120.0) -> ParsedAnswers:
    """Ask a served student about one comment (greedy, at most GEN_MAX_NEW_TOKENS) and parse the reply.

    `base_url` is the server's OpenAI-compatible base URL (ending in /v1); `model` the name it
    serves the student under (for `transformers serve` and `vllm serve`, the folder given to them).
    A key, where the server wants one, is read from the variable named `api_key_env`.
    """
    import openai

    client = openai.OpenAI(base_url=base_url, api_key=os.environ.get(api_key_env) or "EMPTY",
                           timeout=timeout, max_retries=1)
    reply = client.chat.completions.create(
        model=model, messages=request_messages(comment, comment_type, cfg),
        temperature=0.0, max_tokens=cfg.GEN_MAX_NEW_TOKENS,
    )
    return parse_answers_detailed(reply.choices[0].message.content or "", comment_type)

