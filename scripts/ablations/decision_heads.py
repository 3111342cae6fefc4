"""Ablation: decision heads (utils/heads.py) by layer, training size, epochs, ensemble size and balance.

    python -m utils.pipeline --profile demo --steps 0,1 --set 'TRAIN_SIZE={"vendor": 5000, "customer": 5000}'
    .venv/bin/python scripts/ablations/decision_heads.py --layer 16 --per-type 500   # ~2 minutes on 2 cores
    .venv/bin/python scripts/ablations/decision_heads.py --model tmp/merged_demo --per-type 600 \
        --epochs 10 --members 3 --balance 0.5 --seed 42                            # the demo's Step-2 heads

Fits the heads on the token states of N random training comments per type at one layer and scores
them (with `--model`, on the states of a fine-tuned student's folder instead of the frozen base)
on the evaluation comments (against the teacher) and on the gold comments (against the
labels), beside the majority baseline of the same training comments. Not part of the pipeline: a
measurement for the README's ablation table.
"""
import argparse
import collections
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
p.add_argument("--per-type", type=int, default=500)
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--members", type=int, default=1, help="heads per task, averaged (DECISION_HEADS_MEMBERS)")
p.add_argument("--balance", type=float, default=0.0, help="class-balance exponent (DECISION_HEADS_BALANCE)")
p.add_argument("--seed", type=int, default=None, help="the heads' first seed (default: Config's SEED)")
p.add_argument("--model", type=Path, default=None, help="a model folder (default: the demo's base student)")
args = p.parse_args()
torch.set_num_threads(2)
cfg = load_config("demo")
folder = args.model or model_dir(cfg, "student")
model, tok = load_model(folder, cfg), load_tokenizer(folder, cfg)
read = lambda name: json.loads((cfg.data_dir / name).read_text())  # noqa: E731
train, evaluation = [], []
for ctype, stem in (("vendor", "VendorComments"), ("customer", "CustomerComments")):
    rows = read(f"{stem}_Train_Clean.json")
    random.Random(cfg.SEED).shuffle(rows)
    train += [dict(r, type=ctype) for r in rows[:args.per_type]]
    evaluation += [dict(r, type=ctype) for r in read(f"{stem}_Evaluation_Clean.json")]
gold = json.loads(cfg.path(cfg.GOLD_FILE).read_text())["comments"]
start = time.time()
states = comment_features(model, tok, [r["Comment"] for r in train], [r["type"] for r in train], args.layer)
read_s = time.time() - start
heads = DecisionHeads.fit(states, [r["type"] for r in train], [parse_answers(r["Completion"], r["type"]) for r in train],
                          args.layer, args.epochs, cfg.SEED if args.seed is None else args.seed,
                          members=args.members, balance=args.balance)
print(f"{folder.name}, layer {args.layer}, {args.per_type} comments per type, {args.members} x {args.epochs} epochs, "
      f"balance {args.balance}: features {read_s:.0f} s, fit {time.time() - start - read_s:.0f} s")


def kappa(pred, true):
    n = len(pred)
    po = sum(a == b for a, b in zip(pred, true)) / n
    pe = sum(pred.count(c) / n * true.count(c) / n for c in set(pred) | set(true))
    return (po - pe) / (1 - pe) if pe < 1 else 0.0


def score(name, comments, types, truth):
    pred = heads.predict(comment_features(model, tok, comments, types, args.layer), types)
    agree = majority = total = constant = 0
    kappas = []
    for ctype in ("vendor", "customer"):
        for q in questions(ctype):
            if q.kind == "TEXT":
                continue
            common = collections.Counter(parse_answers(r["Completion"], ctype)[q.number] for r in train
                                         if r["type"] == ctype).most_common(1)[0][0]
            pairs = [(pred[i][q.number], truth(i, q)) for i, t in enumerate(types) if t == ctype and truth(i, q) is not None]
            p_, t_ = [a for a, _ in pairs], [b for _, b in pairs]
            agree += sum(a == b for a, b in pairs)
            majority += sum(common == b for b in t_)
            total += len(pairs)
            if len(set(t_)) > 1:
                kappas.append(kappa(p_, t_))
                constant += len(set(p_)) == 1
    print(f"[{name}] agreement {agree / total:.3f} (majority {majority / total:.3f}, n={total}), "
          f"mean kappa {sum(kappas) / len(kappas):.3f} over {len(kappas)} questions, {constant} constant")


score("evaluation", [r["Comment"] for r in evaluation], [r["type"] for r in evaluation],
      lambda i, q: parse_answers(evaluation[i]["Completion"], evaluation[i]["type"])[q.number])
score("gold", [g["comment"] for g in gold], [g["type"] for g in gold], lambda i, q: gold[i]["labels"].get(q.key))
