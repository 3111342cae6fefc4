"""Ablation: decision heads (utils/heads.py) by layer, training size, epochs, ensemble size, balance,
token dropout, ordinal smoothing of score answers, weight decay and learning rate.

    python -m utils.pipeline --profile demo --steps 0,1 --set 'TRAIN_SIZE={"vendor": 5000, "customer": 5000}'
    .venv/bin/python scripts/ablations/decision_heads.py --layer 16 --per-type 500   # ~2 minutes on 2 cores
    .venv/bin/python scripts/ablations/decision_heads.py --model tmp/merged_demo --per-type 600 \
        --epochs 10 --members 3 --balance 0.5 --seed 42                            # the demo's Step-2 heads
    .venv/bin/python scripts/ablations/decision_heads.py --model tmp/merged_demo --cache tmp/heads_cache \
        --per-type 600 2000 --token-dropout 0 0.3 --seed 42 7 --members 3 --epochs 10 --balance 0.5

Fits the heads on the token states of N random training comments per type at one layer and scores
them (with `--model`, on the states of a fine-tuned student's folder instead of the frozen base)
on the evaluation comments (against the teacher) and on the gold comments (against the
labels), beside the majority baseline of the same training comments. Every option that takes
several values runs each combination on the same token states, read once (and with `--cache`,
kept as safetensors for the next run). Not part of the pipeline: a measurement for the README's
ablation table.
"""
import argparse
import collections
import functools
import hashlib
import itertools
import json
import random
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from Config.Config import load_config  # noqa: E402
from utils.heads import DecisionHeads, comment_features  # noqa: E402
from utils.models import load_model, load_tokenizer, model_dir  # noqa: E402
from utils.tasks import parse_answers, questions  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--layer", type=int, default=16)
p.add_argument("--per-type", type=int, nargs="+", default=[500])
p.add_argument("--epochs", type=int, nargs="+", default=[20])
p.add_argument("--members", type=int, nargs="+", default=[1], help="heads per task, averaged (DECISION_HEADS_MEMBERS)")
p.add_argument("--balance", type=float, nargs="+", default=[0.0], help="class-balance exponent (DECISION_HEADS_BALANCE)")
p.add_argument("--token-dropout", type=float, nargs="+", default=[0.0],
               help="share of tokens hidden per training step (DecisionHeads.fit token_dropout; no Config key)")
p.add_argument("--ordinal-smoothing", type=float, nargs="+", default=[0.0],
               help="share of a score answer's target moved to its neighbours (DecisionHeads.fit ordinal_smoothing)")
p.add_argument("--weight-decay", type=float, nargs="+", default=[0.05], help="AdamW weight decay (DecisionHeads.fit)")
p.add_argument("--learning-rate", type=float, nargs="+", default=[3e-3], help="AdamW learning rate (DecisionHeads.fit)")
p.add_argument("--seed", type=int, nargs="+", default=None, help="the heads' first seed (default: Config's SEED)")
p.add_argument("--model", type=Path, default=None, help="a model folder (default: the demo's base student)")
p.add_argument("--cache", type=Path, default=None, help="a folder keeping the token states between runs")
p.add_argument("--per-question", action="store_true", help="also print each question's gold kappa")
args = p.parse_args()
torch.set_num_threads(2)
cfg = load_config("demo")
folder = args.model or model_dir(cfg, "student")
read = lambda name: json.loads((cfg.data_dir / name).read_text())  # noqa: E731
most = max(args.per_type)
train, evaluation = [], []
for ctype, stem in (("vendor", "VendorComments"), ("customer", "CustomerComments")):
    rows = read(f"{stem}_Train_Clean.json")
    random.Random(cfg.SEED).shuffle(rows)
    train += [dict(r, type=ctype) for r in rows[:most]]
    evaluation += [dict(r, type=ctype) for r in read(f"{stem}_Evaluation_Clean.json")]
gold = json.loads(cfg.path(cfg.GOLD_FILE).read_text())["comments"]
train_answers = [parse_answers(r["Completion"], r["type"]) for r in train]  # parsed once, for every fit
eval_answers = [parse_answers(r["Completion"], r["type"]) for r in evaluation]
sets = {"train": ([r["Comment"] for r in train], [r["type"] for r in train]),
        "evaluation": ([r["Comment"] for r in evaluation], [r["type"] for r in evaluation]),
        "gold": ([g["comment"] for g in gold], [g["type"] for g in gold])}


@functools.cache
def student():
    """The model and tokenizer, loaded once and only when a set's states are not cached."""
    return load_model(folder, cfg), load_tokenizer(folder, cfg)


def token_states(name):
    """The set's token states at the layer, from the cache when it holds them for the same texts."""
    from safetensors.torch import load_file, save_file

    comments, types = sets[name]
    key = hashlib.sha256(json.dumps([str(folder.resolve()), args.layer, comments, types]).encode()).hexdigest()
    path = args.cache / f"{name}.layer{args.layer}.safetensors" if args.cache else None
    if path and path.exists() and path.with_suffix(".key").read_text() == key:
        tensors = load_file(str(path))
        return [tensors[str(i)] for i in range(len(comments))]
    states = comment_features(*student(), comments, types, args.layer, progress=True, desc=f"{name} states")
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({str(i): s.contiguous() for i, s in enumerate(states)}, str(path))
        path.with_suffix(".key").write_text(key)
    return states


start = time.time()
states = {name: token_states(name) for name in sets}
print(f"{folder.name}, layer {args.layer}: token states of {', '.join(f'{len(v)} {k}' for k, v in states.items())} "
      f"in {time.time() - start:.0f} s")


def kappa(pred, true):
    n = len(pred)
    po = sum(a == b for a, b in zip(pred, true)) / n
    pe = sum(pred.count(c) / n * true.count(c) / n for c in set(pred) | set(true))
    return (po - pe) / (1 - pe) if pe < 1 else 0.0


def score(name, heads, rows, truth):
    types = sets[name][1]
    pred = heads.predict(states[name], types)
    agree = majority = total = constant = 0
    kappas, each = [], []
    for ctype in ("vendor", "customer"):
        for q in questions(ctype):
            if q.kind == "TEXT":
                continue
            common = collections.Counter(train_answers[i][q.number] for i in rows
                                         if train[i]["type"] == ctype).most_common(1)[0][0]
            pairs = [(pred[i][q.number], truth(i, q)) for i, t in enumerate(types) if t == ctype and truth(i, q) is not None]
            p_, t_ = [a for a, _ in pairs], [b for _, b in pairs]
            agree += sum(a == b for a, b in pairs)
            majority += sum(common == b for b in t_)
            total += len(pairs)
            if len(set(t_)) > 1:
                kappas.append(kappa(p_, t_))
                each.append(f"{ctype[0]}.{q.key} {kappas[-1]:.2f}")
                constant += len(set(p_)) == 1
    print(f"  [{name}] agreement {agree / total:.3f} (majority {majority / total:.3f}, n={total}), "
          f"mean kappa {sum(kappas) / len(kappas):.3f} over {len(kappas)} questions, {constant} constant")
    if args.per_question and name == "gold":
        print("    " + ", ".join(each))


seeds = args.seed or [cfg.SEED]
for n, epochs, members, balance, dropout, smoothing, decay, lr, seed in itertools.product(
        args.per_type, args.epochs, args.members, args.balance, args.token_dropout, args.ordinal_smoothing,
        args.weight_decay, args.learning_rate, seeds):
    taken, rows = collections.Counter(), []
    for i, r in enumerate(train):  # the first n of each type, as one run with --per-type n reads them
        if taken[r["type"]] < n:
            taken[r["type"]] += 1
            rows.append(i)
    start = time.time()
    heads = DecisionHeads.fit([states["train"][i] for i in rows], [train[i]["type"] for i in rows],
                              [train_answers[i] for i in rows], args.layer, epochs, seed,
                              members=members, balance=balance, token_dropout=dropout,
                              ordinal_smoothing=smoothing, weight_decay=decay, learning_rate=lr)
    print(f"{n} comments per type, {members} x {epochs} epochs, balance {balance}, token dropout {dropout}, "
          f"ordinal smoothing {smoothing}, weight decay {decay}, learning rate {lr}, seed {seed}: "
          f"fit {time.time() - start:.0f} s")
    score("evaluation", heads, rows, lambda i, q: eval_answers[i][q.number])
    score("gold", heads, rows, lambda i, q: gold[i]["labels"].get(q.key))
