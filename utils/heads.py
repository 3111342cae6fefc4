"""Decision heads: the student reads each yes/no and score answer from its own hidden states.

A small causal LM fine-tuned for a few CPU minutes learns the answer format and the summary, but
not the decisions: it answers each of them with the training set's most common value. Its hidden
states already hold the decisions (a probe of the frozen SmolLM2-135M's middle layer reaches 0.98
teacher agreement on the demo's evaluation comments), so with `DECISION_HEADS_LAYER` set, Step 2
also fits one head per task on the fine-tuned student's token states at that layer: per question,
an attention over the comment's tokens and a linear read-out of the attended and the mean state.
`DECISION_HEADS_MEMBERS` such heads per task, fitted from consecutive seeds, answer by averaging
their probabilities (one fit's answers on new comments swing with its seed), and
`DECISION_HEADS_BALANCE` weighs rare answers up in their loss (a rare "yes" otherwise stays drowned).
Step 3 and the app run the comment through the student's first layers, write the heads' decisions
as the answer's first lines (`1. 1`, `2. 4`, ...) and let the student write the summary after them,
so the answer keeps the `N. value` format and the summary is conditioned on the decisions.

This module owns the heads: their features (`comment_features`), fitting (`fit_heads`), the two
files beside the merged model (`decision_heads.safetensors`, weights only, never a pickle, and
`decision_heads.json`, the layer, questions, classes and normalisation), and the answer prefix they
write (`DecisionHeads.prefixes`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

from utils.files import write_json
from utils.tasks import COMMENT_TYPE_LABELS, questions

WEIGHTS_FILE = "decision_heads.safetensors"
CARD_FILE = "decision_heads.json"
MAX_COMMENT_TOKENS = 512  # the heads read at most this many tokens of a comment


class _StopForward(Exception):
    """Raised by the hook once the layer the heads read has run: the upper layers are skipped."""


def feature_text(comment: str, comment_type: str) -> str:
    """The text whose token states the heads read: the comment and its kind, no question list."""
    return f"A {COMMENT_TYPE_LABELS[comment_type]}:\n{comment.strip()}"


def has_heads(folder: Path) -> bool:
    return (Path(folder) / CARD_FILE).exists() and (Path(folder) / WEIGHTS_FILE).exists()


def comment_features(model, tokenizer, comments: Sequence[str], comment_types: Sequence[str], layer: int,
                     batch_size: int = 16, progress: bool = False, desc: str = "decision features"):
    """Token states of each comment at `layer` (the output of the model's layer `layer`-1, counting from 1),
    as a list of (tokens, hidden) float32 CPU tensors; only the layers up to `layer` run."""
    import torch
    from utils.progress import progress_bar

    layers = _decoder_layers(model)
    if not 1 <= layer <= len(layers):
        raise ValueError(f"DECISION_HEADS_LAYER={layer}, but the student has {len(layers)} layers: "
                         f"choose 1-{len(layers)} (the demo uses about half the depth).")
    captured = {}

    def hook(_module, _inputs, output):
        captured["h"] = output[0] if isinstance(output, tuple) else output
        raise _StopForward

    ids = [tokenizer(feature_text(c, t), add_special_tokens=False)["input_ids"][:MAX_COMMENT_TOKENS]
           for c, t in zip(comments, comment_types)]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out: list = [None] * len(ids)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = next(model.parameters()).device
    handle = layers[layer - 1].register_forward_hook(hook)
    try:
        with torch.inference_mode():
            for start in progress_bar(range(0, len(order), batch_size), desc=desc, unit="batch", disable=not progress):
                rows = order[start:start + batch_size]
                width = max(len(ids[i]) for i in rows)
                batch = torch.full((len(rows), width), pad, dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for j, i in enumerate(rows):  # right padding: causal states of real tokens are unchanged
                    batch[j, :len(ids[i])] = torch.tensor(ids[i])
                    mask[j, :len(ids[i])] = 1
                try:
                    model(input_ids=batch.to(device), attention_mask=mask.to(device), use_cache=False)
                except _StopForward:
                    pass
                hidden = captured.pop("h").float().cpu()
                for j, i in enumerate(rows):
                    out[i] = hidden[j, :len(ids[i])].clone()
    finally:
        handle.remove()
    return out


def _decoder_layers(model):
    """The list of decoder layers of a causal LM (plain or wrapped by peft)."""
    inner = model
    for attr in ("base_model", "model"):
        while hasattr(inner, attr) and not hasattr(inner, "layers"):
            inner = getattr(inner, attr)
    if not hasattr(inner, "layers"):
        raise ValueError("Decision heads need a decoder with a `layers` list (Llama, Qwen, Mistral, Phi-3 ...).")
    return inner.layers


def _pad(states, indices):
    import torch

    width = max(states[i].shape[0] for i in indices)
    dim = states[indices[0]].shape[1]
    hidden = torch.zeros(len(indices), width, dim)
    mask = torch.zeros(len(indices), width, dtype=torch.bool)
    for j, i in enumerate(indices):
        n = states[i].shape[0]
        hidden[j, :n] = states[i]
        mask[j, :n] = True
    return hidden, mask


def _standardise(hidden, mask, mean, std):
    """Token states scaled with the training states' per-dimension mean and spread; padding stays 0."""
    return (hidden - mean) / std * mask.unsqueeze(-1)


def _class_mask(classes: Sequence[list]):
    """Added to the logits: 0 for each question's own classes, -inf for the padding classes."""
    import torch

    valid = torch.full((len(classes), max(len(c) for c in classes)), float("-inf"))
    for k, cl in enumerate(classes):
        valid[k, :len(cl)] = 0.0
    return valid


def _task_module(dim: int, n_questions: int, n_classes: int):
    """One task's heads: per question, attention logits over tokens and a read-out of [attended, mean]."""
    import torch

    class TaskHeads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attend = torch.nn.Linear(dim, n_questions)
            self.readout = torch.nn.Parameter(torch.zeros(n_questions, 2 * dim, n_classes))
            self.bias = torch.nn.Parameter(torch.zeros(n_questions, n_classes))

        def forward(self, hidden, mask):  # hidden: B,T,d  mask: B,T
            weights = self.attend(hidden).masked_fill(~mask.unsqueeze(-1), float("-inf")).softmax(1)  # B,T,Q
            attended = torch.einsum("btq,btd->bqd", weights, hidden)
            mean = (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
            both = torch.cat([attended, mean.unsqueeze(1).expand_as(attended)], -1)  # B,Q,2d
            return torch.einsum("bqe,qec->bqc", both, self.readout) + self.bias

    return TaskHeads()


def _class_weights(target, n_classes: int, balance: float):
    """Per question and class, the loss weight (1 / class share) ** balance, scaled so a question's
    answers weigh 1 on average; all ones when balance is 0."""
    import torch

    weight = torch.ones(target.shape[1], n_classes)
    if not balance:
        return weight
    for k in range(target.shape[1]):
        seen = target[:, k][target[:, k] >= 0]
        if len(seen):
            count = torch.bincount(seen, minlength=n_classes).float()
            raw = (len(seen) / count.clamp(min=1)) ** balance * (count > 0)
            weight[k] = raw * len(seen) / (raw * count).sum()
    return weight


def _soft_targets(target, valid, ordinal, smoothing: float):
    """Per answer, the class distribution the loss aims at: all mass on the teacher's class, except on
    ordinal (score) questions, where `smoothing` of it goes to the teacher's neighbouring classes
    (split between them when both exist). Rows of unknown answers (-100) are zeros.
    target: B,Q  valid: Q,C (0 or -inf)  ordinal: Q booleans."""
    import torch

    n_classes = valid.shape[1]
    known = target >= 0
    hard = torch.nn.functional.one_hot(target.clamp(min=0), n_classes).float() * known.unsqueeze(-1)
    if not smoothing:
        return hard
    near = torch.zeros_like(hard)
    near[..., :-1] += hard[..., 1:]
    near[..., 1:] += hard[..., :-1]
    near = near * torch.isfinite(valid)  # never onto a question's padding classes
    has_near = near.sum(-1, keepdim=True) > 0
    near = near / near.sum(-1, keepdim=True).clamp(min=1e-9)
    soft = torch.where(has_near, (1 - smoothing) * hard + smoothing * near, hard)
    return torch.where(ordinal.view(1, -1, 1), soft, hard)


def _fit_member(hidden, mask, target, weight, valid, seed: int, epochs: int, learning_rate: float,
                weight_decay: float, batch_size: int, token_dropout: float = 0.0, soft=None):
    """One task's heads fitted from one seed (AdamW over shuffled batches, weighted cross-entropy
    against the teacher's answers, or against `soft`, the target distributions of `_soft_targets`).
    With `token_dropout`, each training step hides that share of each comment's tokens from the
    heads (at least one stays), so no single phrase can carry an answer alone."""
    import torch

    torch.manual_seed(seed)
    n_classes = valid.shape[1]
    module = _task_module(hidden.shape[-1], target.shape[1], n_classes)
    opt = torch.optim.AdamW(module.parameters(), lr=learning_rate, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(target), generator=gen)
        for start in range(0, len(target), batch_size):
            rows = perm[start:start + batch_size]
            seen = mask[rows]
            if token_dropout:
                kept = seen & (torch.rand(seen.shape, generator=gen) >= token_dropout)
                seen = torch.where(kept.any(1, keepdim=True), kept, seen)
            logits = module(hidden[rows], seen) + valid
            tgt = target[rows]
            known = tgt >= 0
            if soft is None:
                loss_each = torch.nn.functional.cross_entropy(logits.reshape(-1, n_classes), tgt.reshape(-1),
                                                              ignore_index=-100, reduction="none").reshape(tgt.shape)
            else:  # cross-entropy against the soft targets; padding classes (-inf) carry no target
                loss_each = -(soft[rows] * logits.log_softmax(-1).clamp(min=-1e4)).sum(-1)
            w = weight.gather(1, tgt.clamp(min=0).T).T * known
            loss = (loss_each * w).sum() / known.sum().clamp(min=1)
            if known.any() and torch.isfinite(loss):
                loss.backward()
                opt.step()
            opt.zero_grad(set_to_none=True)
    module.eval()
    return module


def _ensemble_probs(members, hidden, mask, valid):
    """The members' class probabilities, averaged (B, Q, classes)."""
    return sum((m(hidden, mask) + valid).softmax(-1) for m in members) / len(members)


class DecisionHeads:
    """The fitted heads of every task, with what they need to turn token states into answers."""

    def __init__(self, card: dict, modules: dict):
        self.card, self.modules = card, modules
        self.layer = int(card["layer"])

    # -- fitting ---------------------------------------------------------------------------
    @classmethod
    def fit(cls, states, comment_types: Sequence[str], answers: Sequence[dict], layer: int, epochs: int,
            seed: int, members: int = 1, balance: float = 0.0, token_dropout: float = 0.0,
            ordinal_smoothing: float = 0.0, learning_rate: float = 3e-3, weight_decay: float = 0.05,
            batch_size: int = 64):
        """Fit each task's heads on token states and the teacher's answers ({question number: value}).

        `members` heads per task are fitted from seeds `seed`, `seed`+1, ... and answer together by
        averaging their class probabilities: one fit's answers on new comments swing with its seed.
        `balance` weights each training answer by (1 / its class's share) ** balance, so a rare "yes"
        is not drowned by the common "no" (0: plain loss). `token_dropout` hides that share of each
        comment's tokens at every training step (0: none). `ordinal_smoothing` moves that share of
        each score answer's target to its neighbouring values (a 3 is nearer a 4 than a 1; 0: none).
        A question whose training answers never vary keeps that one value (and says so in the card).
        """
        import torch

        if members < 1:
            raise ValueError(f"members must be at least 1, not {members}")
        card = {"layer": layer, "epochs": epochs, "seed": seed, "members": members, "balance": balance,
                "token_dropout": token_dropout, "ordinal_smoothing": ordinal_smoothing, "tasks": {}}
        modules = {}
        for ctype in dict.fromkeys(comment_types):
            idx = [i for i, t in enumerate(comment_types) if t == ctype]
            qs = [q for q in questions(ctype) if q.kind != "TEXT"]
            classes = [sorted({answers[i][q.number] for i in idx if answers[i].get(q.number) is not None}) for q in qs]
            hidden, mask = _pad(states, idx)
            flat = hidden[mask]
            mean, std = flat.mean(0), flat.std(0) + 1e-4
            hidden = _standardise(hidden, mask, mean, std)
            n_classes = max(len(c) for c in classes)
            target = torch.full((len(idx), len(qs)), -100, dtype=torch.long)
            for j, i in enumerate(idx):
                for k, (q, cl) in enumerate(zip(qs, classes)):
                    value = answers[i].get(q.number)
                    if value is not None and len(cl) > 1:
                        target[j, k] = cl.index(value)
            weight = _class_weights(target, n_classes, balance)
            valid = _class_mask(classes)
            soft = (_soft_targets(target, valid, torch.tensor([q.kind == "SCORE" for q in qs]), ordinal_smoothing)
                    if ordinal_smoothing else None)
            modules[ctype] = [_fit_member(hidden, mask, target, weight, valid, seed + m, epochs, learning_rate,
                                          weight_decay, batch_size, token_dropout, soft) for m in range(members)]
            with torch.no_grad():
                pred = _ensemble_probs(modules[ctype], hidden, mask, valid).argmax(-1)
            card["tasks"][ctype] = {
                "questions": [q.number for q in qs], "keys": [q.key for q in qs], "classes": classes,
                "mean": mean.tolist(), "std": std.tolist(), "train_comments": len(idx),
                "train_agreement": {q.key: round(float((pred[:, k] == target[:, k])[target[:, k] >= 0].float().mean()), 4)
                                    if len(classes[k]) > 1 else None for k, q in enumerate(qs)},
                "constant": [q.key for q, cl in zip(qs, classes) if len(cl) == 1],
            }
        return cls(card, modules)

    # -- answering -------------------------------------------------------------------------
    def predict(self, states, comment_types: Sequence[str]) -> list[dict[int, int]]:
        """{question number: value} for each comment's token states."""
        import torch

        out: list = [None] * len(states)
        for ctype in dict.fromkeys(comment_types):
            task = self.card["tasks"].get(ctype)
            if task is None:
                raise ValueError(f"The decision heads were fitted without {ctype!r} comments: rerun Step 2.")
            idx = [i for i, t in enumerate(comment_types) if t == ctype]
            hidden, mask = _pad(states, idx)
            mean, std = torch.tensor(task["mean"]), torch.tensor(task["std"])
            hidden = _standardise(hidden, mask, mean, std)
            classes = task["classes"]
            valid = _class_mask(classes)
            with torch.no_grad():
                pred = _ensemble_probs(self.modules[ctype], hidden, mask, valid).argmax(-1).tolist()
            for j, i in enumerate(idx):
                out[i] = {n: classes[k][pred[j][k]] for k, n in enumerate(task["questions"])}
        return out

    def prefixes(self, model, tokenizer, comments: Sequence[str], comment_types: Sequence[str]) -> list[str]:
        """Each comment's answer up to its summary: the decisions as `N. value` lines, then `N.`."""
        states = comment_features(model, tokenizer, comments, comment_types, self.layer)
        decisions = self.predict(states, comment_types)
        out = []
        for values, ctype in zip(decisions, comment_types):
            lines = []
            for q in questions(ctype):
                if q.kind == "TEXT":
                    lines.append(f"{q.number}.")  # the student writes " text": the space as in training
                    break  # the student writes the text answer (and anything after it)
                lines.append(f"{q.number}. {values[q.number]}\n")
            out.append("".join(lines))
        return out

    # -- files -----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Weights as safetensors, the rest as JSON, both beside the model they read."""
        from safetensors.torch import save_file

        folder = Path(folder)
        tensors = {f"{ctype}.{j}.{name}": p.detach().contiguous() for ctype, members in self.modules.items()
                   for j, m in enumerate(members) for name, p in m.state_dict().items()}
        tmp = folder / (WEIGHTS_FILE + ".tmp")
        save_file(tensors, str(tmp))
        tmp.replace(folder / WEIGHTS_FILE)
        write_json(folder / CARD_FILE, self.card)

    @classmethod
    def load(cls, folder: Path) -> Optional["DecisionHeads"]:
        """The heads saved in a model folder, or None when it has none."""
        folder = Path(folder)
        if not has_heads(folder):
            return None
        from safetensors.torch import load_file

        card = json.loads((folder / CARD_FILE).read_text())
        tensors = load_file(str(folder / WEIGHTS_FILE))
        modules = {}
        for ctype, task in card["tasks"].items():
            members = []
            for j in range(int(card.get("members", 1))):
                prefix = f"{ctype}.{j}."
                weights = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
                if not weights:
                    raise ValueError(f"{folder / WEIGHTS_FILE} lacks the weights of {ctype} head {j}: rerun Step 2.")
                n_q, dim2, n_classes = weights["readout"].shape
                module = _task_module(dim2 // 2, n_q, n_classes)
                module.load_state_dict(weights)
                module.eval()
                members.append(module)
            modules[ctype] = members
        return cls(card, modules)


def fit_heads(model, tokenizer, records: Sequence[dict], layer: int, epochs: int, seed: int,
              members: int = 1, balance: float = 0.0, progress: bool = True) -> DecisionHeads:
    """Fit the heads on training records ({"Comment", "type", "Completion"}) read through `model`."""
    from utils.tasks import parse_answers

    types = [r["type"] for r in records]
    states = comment_features(model, tokenizer, [r["Comment"] for r in records], types, layer, progress=progress,
                              desc="decision heads: reading training comments")
    answers = [parse_answers(r["Completion"], r["type"]) for r in records]
    return DecisionHeads.fit(states, types, answers, layer, epochs, seed, members=members, balance=balance)
