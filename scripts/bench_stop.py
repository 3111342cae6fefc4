"""Benchmark: Step 3's generation with and without stopping once the answers are finished.

    .venv/bin/python scripts/bench_stop.py --per-type 16        # after make demo; ~5 minutes on 2 cores

Both students answer the same evaluation comments twice in one run, batch by batch as Step 3
does (longest first, GEN_BATCH_SIZE, the fine-tuned one after its decision heads' prefix): once to
the token limit or end of turn, once with `utils.inference.AnswerStop`. Prints seconds, new tokens
and the speed-up per student, and how many parsed answers differ between the two (they must not:
the stop is placed where more text cannot change a parse). Not part of the pipeline: a
measurement for the README.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from Config.Config import load_config  # noqa: E402
from utils.inference import Engine  # noqa: E402
from utils.models import model_dir  # noqa: E402
from utils.paths import eval_file, finetuned_dir  # noqa: E402
from utils.tasks import TASK_NAMES, parse_answers  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--profile", default="demo")
p.add_argument("--per-type", type=int, default=16)
args = p.parse_args()
cfg = load_config(args.profile)
torch.manual_seed(cfg.SEED)
records = []
for ctype in TASK_NAMES:
    rows = json.loads(eval_file(cfg, ctype).read_text())[:args.per_type]
    records += [dict(r, type=ctype) for r in rows]
print(f"{len(records)} evaluation comments, GEN_BATCH_SIZE {cfg.GEN_BATCH_SIZE}, at most {cfg.GEN_MAX_NEW_TOKENS} new tokens")
for name, folder in (("base", model_dir(cfg, "student")), ("finetuned", finetuned_dir(cfg))):
    engine = Engine(folder, cfg, cfg.GEN_MAX_NEW_TOKENS)
    figures = {}
    for mode in ("limit", "stop"):
        seconds, tokens, parsed = 0.0, 0, {}
        for ctype in TASK_NAMES:
            todo = sorted((r for r in records if r["type"] == ctype), key=lambda r: -len(r["Prompt"]))
            for start in range(0, len(todo), cfg.GEN_BATCH_SIZE):
                chunk = todo[start:start + cfg.GEN_BATCH_SIZE]
                t0 = time.perf_counter()
                prefixes = engine.answer_prefixes(chunk)
                texts = [engine.render(r["Prompt"]) + pre for r, pre in zip(chunk, prefixes)]
                out = engine.generate(texts, answers=[(pre, ctype) for pre in prefixes] if mode == "stop" else None)
                seconds += time.perf_counter() - t0
                for r, pre, (text, n) in zip(chunk, prefixes, out):
                    tokens += n
                    parsed[r["id"]] = parse_answers(pre + text, ctype)
        figures[mode] = (seconds, tokens, parsed)
        print(f"{name:9s} {mode:5s}: {seconds:7.1f} s, {tokens:6d} new tokens", flush=True)
    (s0, t0_, p0), (s1, t1, p1) = figures["limit"], figures["stop"]
    differ = sum(p0[k] != p1[k] for k in p0)
    print(f"{name:9s} speed-up {s0 / s1:.2f}x, tokens {t0_ / max(t1, 1):.2f}x fewer; parsed answers that differ: "
          f"{differ} of {len(p0)}", flush=True)
    engine.close()
