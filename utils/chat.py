"""The one way a record becomes the chat the student sees, at training and at inference alike.

A record `{"Prompt", "Completion"}` becomes three messages: the system prompt from Config, the user
turn (the Prompt) and, for training, the assistant turn (the Completion). Both sides use
`render_prompt`, so the text before the answer is byte-identical when training and when serving.

Training examples are tokenized in two pieces, the rendered prompt and the answer that follows it,
so that the model learns to continue exactly the token sequence it will be given at inference.
Loss is on the answer tokens only, ending with the template's end-of-turn token; labels are masked
by position (never by comparing ids with the pad id), so padding cannot hide the end-of-turn token.
"""

from __future__ import annotations

from typing import Optional

IGNORE_INDEX = -100


def build_messages(prompt: str, system_prompt: Optional[str], completion: Optional[str] = None) -> list[dict]:
    """The chat messages for one record; the assistant turn only when a completion is given."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.append({"role": "user", "content": prompt})
    if completion is not None:
        messages.append({"role": "assistant", "content": completion})
    return messages


def render_prompt(tokenizer, prompt: str, system_prompt: Optional[str]) -> str:
    """The text the model is given, ending where the assistant's answer starts."""
    return tokenizer.apply_chat_template(
        build_messages(prompt, system_prompt), tokenize=False, add_generation_prompt=True
    )


def end_of_turn_token(tokenizer) -> str:
    """The token that closes an assistant turn (ChatML `<|im_end|>`, Llama 3 `<|eot_id|>`)."""
    return tokenizer.eos_token


def render_answer(tokenizer, prompt: str, completion: str, system_prompt: Optional[str]) -> str:
    """The assistant's part of the rendered chat: the completion and its end-of-turn token.

    Taken from the template itself (whatever it writes after the prompt), cut right after the
    end-of-turn token so no trailing newline is learned as part of the answer.
    """
    prefix = render_prompt(tokenizer, prompt, system_prompt)
    full = tokenizer.apply_chat_template(
        build_messages(prompt, system_prompt, completion), tokenize=False
    )
    eot = end_of_turn_token(tokenizer)
    if not full.startswith(prefix):
        # A template that renders the prompt differently once an answer follows (rare): fall
        # back to prompt + completion + end-of-turn, which is what generation will see.
        return completion + eot
    answer = full[len(prefix):]
    cut = answer.find(eot)
    return answer[: cut + len(eot)] if cut >= 0 else answer + eot


def tokenize_example(tokenizer, prompt: str, completion: str, system_prompt: Optional[str]) -> dict:
    """input_ids, labels (-100 on the prompt) and lengths for one training record."""
    prompt_ids = tokenizer(render_prompt(tokenizer, prompt, system_prompt), add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(render_answer(tokenizer, prompt, completion, system_prompt),
                           add_special_tokens=False)["input_ids"]
    return {
        "input_ids": prompt_ids + answer_ids,
        "labels": [IGNORE_INDEX] * len(prompt_ids) + answer_ids,
        "prompt_tokens": len(prompt_ids),
        "answer_tokens": len(answer_ids),
    }


def show_loss_tokens(tokenizer, example: dict, max_chars: int = 4000) -> str:
    """Decode an example with the loss-carrying tokens wrapped in [[...]] (for the notebook)."""
    parts, current, in_loss = [], [], False
    for token_id, label in zip(example["input_ids"], example["labels"]):
        carries = label != IGNORE_INDEX
        if carries != in_loss and current:
            text = tokenizer.decode(current)
            parts.append(f"[[{text}]]" if in_loss else text)
            current = []
        in_loss = carries
        current.append(token_id)
    if current:
        text = tokenizer.decode(current)
        parts.append(f"[[{text}]]" if in_loss else text)
    out = "".join(parts)
    return out if len(out) <= max_chars else out[: max_chars // 2] + "\n...\n" + out[-max_chars // 2:]


def check_loss_masking(tokenizer, examples) -> dict:
    """Check every tokenized example: loss starts after the prompt and ends on the end-of-turn token.

    Raises AssertionError naming the first bad example; returns counts for the notebook.
    """
    eot_id = tokenizer.convert_tokens_to_ids(end_of_turn_token(tokenizer))
    answer_tokens = total = 0
    for i, ex in enumerate(examples):
        labels = ex["labels"]
        first = next((j for j, label in enumerate(labels) if label != IGNORE_INDEX), None)
        assert first is not None and first > 0, f"example {i}: no answer tokens, or no prompt"
        assert all(label != IGNORE_INDEX for label in labels[first:]), f"example {i}: a gap in the answer's loss"
        assert labels[first:] == ex["input_ids"][first:], f"example {i}: labels differ from the answer tokens"
        assert labels[-1] == eot_id, f"example {i}: the answer does not end with {tokenizer.decode([eot_id])}"
        answer_tokens += len(labels) - first
        total += len(labels)
    return {"examples": len(examples), "answer_tokens": answer_tokens, "all_tokens": total,
            "loss_share": round(answer_tokens / total, 3) if total else None,
            "ends_with": tokenizer.decode([eot_id])}
