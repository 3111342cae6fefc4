"""Benchmark: the CPU runtimes installed here, side by side in one run, as ratios to transformers.

    .venv/bin/python scripts/bench_runtimes.py                      # after make demo (+ make install-llama-cpp)
    .venv/bin/python scripts/bench_runtimes.py --app 6 --step3 25 --micro 16

Three tables, each from the same comments and the same models in this one process (a 2-core
machine is noisy from minute to minute, so only ratios within one run mean much):

1. micro: per runtime, load time, the prompt's prefill, batch-1 decode ms/token (the base student,
   150 tokens, which it always writes), the throughput over `--micro` prompts (transformers in one
   batch, llama.cpp one after the other, as each serves best) and how many of those greedy texts are
   identical to transformers float32's.
2. app: `utils.app.Comparer` as the app builds it, both answers to `--app` evaluation comments of
   each type: median and max seconds for both answers, and whether the parsed answers match.
3. step3: Step 3's own generation (`utils.inference.generate_answers`, into a scratch results
   folder, in each runtime's own calls: GEN_BATCH_SIZE prompts, OPENVINO_BATCH_PROMPTS on OpenVINO)
   for both students on `--step3` comments of each type: seconds, and greedy agreement with
   transformers (identical texts, identical parsed yes/no and score answers).

Runtimes: transformers in the dtype Step 3 uses (`utils.runtime.prepare`) and float32; OpenVINO
(OPENVINO_GGUF_TYPE, computing in that dtype) when openvino-genai imports; llama.cpp in each of
LLAMA_CPP_TYPE bf16 and q8_0 when llama-cpp-python imports. "Today" is transformers with
every prompt run in full; the step3 table adds its batches with their common start run once
(SHARE_PROMPT_PREFIX). Not part of the pipeline: the
README's "CPU runtimes" table comes from it.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from Config.Config import load_config  # noqa: E402
from utils.evaluation import load_eval_records, model_folders  # noqa: E402
from utils.install import import_problem  # noqa: E402
from utils.runtime import prepare  # noqa: E402
from utils.tasks import parse_answers  # noqa: E402


def records_per_type(cfg, n: int) -> list[dict]:
    out = []
    for ctype, rows in load_eval_records(cfg).items():
        out += [dict(r, type=ctype) for r in rows[:n]]
    return out


def runtimes(cfg, llama_types=("bf16", "q8_0")) -> list[tuple[str, dict]]:
    """(label, Config overrides) of every runtime installed here; the first is today's path."""
    dtype = prepare(cfg).dtype_name
    out = [(f"transformers {dtype}", {"INFERENCE_BACKEND": "hf", "DTYPE": dtype, "SHARE_PROMPT_PREFIX": False})]
    if dtype != "float32":
        out.append(("transformers float32", {"INFERENCE_BACKEND": "hf", "DTYPE": "float32"}))
    if import_problem("openvino_genai") is None:
        out.append((f"openvino {cfg.OPENVINO_GGUF_TYPE}", {"INFERENCE_BACKEND": "openvino"}))
    if import_problem("llama_cpp") is None:
        out += [(f"llama.cpp {t}", {"INFERENCE_BACKEND": "llama.cpp", "LLAMA_CPP_TYPE": t}) for t in llama_types]
    else:
        print("llama-cpp-python is not installed (make install-llama-cpp): no llama.cpp rows.")
    return out


def micro(cfg, label: str, overrides: dict, records: list[dict], base_folder: Path) -> dict:
    import torch

    from utils.inference import Engine

    rcfg = dataclasses.replace(cfg, **overrides)
    t0 = time.perf_counter()
    engine = Engine(base_folder, rcfg, 150, prepare(rcfg))
    load = time.perf_counter() - t0
    prompts = [engine.render(r["Prompt"]) for r in records]
    one = [sorted(prompts, key=len)[len(prompts) // 2]]  # a median-length prompt
    n_prompt = len(engine.prompt_ids(one)[0])
    engine.generate([prompts[-1]])  # first calls allocate buffers and pick kernels: not timed
    if engine.gguf is not None:
        ids = engine.prompt_ids(one)[0]
        t0 = time.perf_counter()
        engine.gguf.warm(ids)  # a fresh evaluation of the whole prompt
        prefill = time.perf_counter() - t0
        engine.gguf.llm.reset()
        t0 = time.perf_counter()
        _, n = engine.gguf.generate_ids(ids)
        decode = (time.perf_counter() - t0 - prefill) / max(n - 1, 1)
        t0 = time.perf_counter()
        texts = [engine.gguf.generate_ids(ids, None)[0] for ids in engine.prompt_ids(prompts)]
        seconds = time.perf_counter() - t0
    elif engine.openvino is not None:
        ids, ov = engine.prompt_ids(one)[0], engine.openvino
        ov.config.max_new_tokens = 1
        t0 = time.perf_counter()
        ov.generate_many([ids])  # the prompt and one token
        prefill = time.perf_counter() - t0
        ov.config.max_new_tokens = 150
        t0 = time.perf_counter()
        _, n = ov.generate_many([ids])[0]
        decode = (time.perf_counter() - t0 - prefill) / max(n - 1, 1)
        t0 = time.perf_counter()
        texts = [t for t, _ in engine.generate(prompts)]  # all at once, as Step 3 runs it
        seconds = time.perf_counter() - t0
    else:
        tok, model = engine.tokenizer, engine.model
        batch = tok(one, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            t0 = time.perf_counter()
            model(**batch)
            prefill = time.perf_counter() - t0
            t0 = time.perf_counter()
            model.generate(**batch, max_new_tokens=150, min_new_tokens=150, do_sample=False, pad_token_id=tok.pad_token_id)
            decode = (time.perf_counter() - t0 - prefill) / 149
        t0 = time.perf_counter()
        texts = [t for t, _ in engine.generate(prompts)]
        seconds = time.perf_counter() - t0
    tokens = sum(len(engine.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)
    engine.close()
    return {"label": label, "load_s": load, "prompt_tokens": n_prompt, "prefill_s": prefill,
            "decode_ms": decode * 1000, "tok_per_s": tokens / seconds, "texts": texts}


def app(cfg, overrides: dict, records: list[dict]) -> dict:
    from utils.app import Comparer

    comparer = Comparer(dataclasses.replace(cfg, **overrides))
    seconds, values = [], []
    for r in records:
        out = comparer.compare(r["type"], r["Comment"])
        seconds.append(out["total_latency_s"])
        values.append([(row["base"], row["finetuned"]) for row in out["rows"] if row["kind"] != "TEXT"])
    return {"median_s": statistics.median(seconds), "max_s": max(seconds), "values": values,
            "paired": comparer.pair is not None}


def step3(cfg, overrides: dict, records: list[dict], scratch: Path) -> dict:
    from utils.inference import Engine, generate_answers

    rcfg = dataclasses.replace(cfg, **overrides, RESULTS_DIR=str(scratch))
    out = {}
    for name, folder in model_folders(rcfg).items():
        t0 = time.perf_counter()
        engine = Engine(folder, rcfg, rcfg.GEN_MAX_NEW_TOKENS)
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = {}
        for ctype in rcfg.COMMENT_TYPES:
            mine = [r for r in records if r["type"] == ctype]
            rows |= {row["id"]: row for row in generate_answers(rcfg, engine, name, mine, ctype, progress=False)}
        out[name] = {"load_s": load, "seconds": time.perf_counter() - t0, "rows": rows,
                     "runtime": engine.runtime_name}
        engine.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="demo")
    p.add_argument("--micro", type=int, default=16, help="prompts per runtime in the micro table (0: skip)")
    p.add_argument("--app", type=int, default=6, help="evaluation comments per type through the app (0: skip)")
    p.add_argument("--step3", type=int, default=25, help="evaluation comments per type through Step 3 (0: skip)")
    p.add_argument("--llama-types", default="bf16,q8_0",
                   help="LLAMA_CPP_TYPEs to run (q8_0 crashed llama.cpp 0.3.36 on an Intel AMX CPU: use bf16 there)")
    args = p.parse_args()
    cfg = load_config(args.profile)
    kinds = runtimes(cfg, tuple(t for t in args.llama_types.split(",") if t))
    folders = model_folders(cfg)
    print(f"{cfg.PROFILE}: {cfg.STUDENT_MODEL}; {len(kinds)} runtimes: {', '.join(k for k, _ in kinds)}", flush=True)

    if args.micro:
        recs = records_per_type(cfg, (args.micro + 1) // 2)[:args.micro]
        rows = [micro(cfg, label, o, recs, folders["base"]) for label, o in kinds]
        ref = next(r for r in rows if r["label"] == "transformers float32")
        first = rows[0]
        print(f"\n### micro: base student, {len(recs)} prompts, greedy, 150 tokens for decode, "
              "150 for throughput too\n")
        print("| runtime | load | prefill | batch-1 decode | throughput | speed vs today | identical to transformers float32 |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            same = sum(a == b for a, b in zip(r["texts"], ref["texts"]))
            print(f"| {r['label']} | {r['load_s']:.1f} s | {r['prefill_s']:.2f} s ({r['prompt_tokens']} tokens) | "
                  f"{r['decode_ms']:.0f} ms/token | {r['tok_per_s']:.0f} tok/s | {r['tok_per_s'] / first['tok_per_s']:.2f}x | "
                  f"{same}/{len(recs)} |", flush=True)

    if args.app:
        recs = records_per_type(cfg, args.app)
        # today's app: transformers, its own float32 choice for one comment (DTYPE auto), one shared batch
        app_kinds = [("transformers", {"INFERENCE_BACKEND": "hf"})] + [k for k in kinds if k[0].startswith(("llama", "openvino"))]
        results = [(label, app(cfg, o, recs)) for label, o in app_kinds]
        today = results[0][1]
        print(f"\n### app: both answers to {len(recs)} evaluation comments ({args.app} per type)\n")
        print("| runtime | median | max | speed vs today (median) | parsed answers as today's |")
        print("|---|---|---|---|---|")
        for label, r in results:
            pairs = [(a, b) for va, vb in zip(r["values"], today["values"]) for a, b in zip(va, vb)]
            same = sum(a == b for a, b in pairs)
            how = " (one shared batch)" if r["paired"] else ""
            print(f"| {label}{how} | {r['median_s']:.2f} s | {r['max_s']:.2f} s | "
                  f"{today['median_s'] / r['median_s']:.2f}x | {same}/{len(pairs)} |", flush=True)

    if args.step3:
        recs = records_per_type(cfg, args.step3)
        with tempfile.TemporaryDirectory() as scratch:
            # today's Step 3 (every prompt run in full), its batches sharing their prompts' common start
            # (SHARE_PROMPT_PREFIX, the default since 2026-12-04), and llama.cpp
            shared = (f"{kinds[0][0]}, common prompt start shared", dict(kinds[0][1], SHARE_PROMPT_PREFIX=True))
            step3_kinds = [kinds[0], shared] + [k for k in kinds if k[0].startswith(("llama", "openvino"))]
            results = [(label, step3(cfg, o, recs, Path(scratch) / str(i))) for i, (label, o) in enumerate(step3_kinds)]
        today = results[0][1]
        print(f"\n### Step 3: both students, {len(recs)} evaluation comments ({args.step3} per type), "
              f"GEN_BATCH_SIZE {cfg.GEN_BATCH_SIZE} (OpenVINO: OPENVINO_BATCH_PROMPTS {cfg.OPENVINO_BATCH_PROMPTS}), "
              f"{cfg.GEN_MAX_NEW_TOKENS} new tokens at most\n")
        print("| runtime | base | fine-tuned | both | speed vs today | identical texts (base, fine-tuned) | "
              "fine-tuned yes/no and score answers as today's |")
        print("|---|---|---|---|---|---|---|")
        for label, r in results:
            both = r["base"]["seconds"] + r["finetuned"]["seconds"]
            today_both = today["base"]["seconds"] + today["finetuned"]["seconds"]
            same = {m: sum(r[m]["rows"][k]["text"] == today[m]["rows"][k]["text"] for k in today[m]["rows"])
                    for m in ("base", "finetuned")}
            values = [(v, today_v) for k, row in r["finetuned"]["rows"].items()
                      for v, today_v in zip(_decisions(row, recs), _decisions(today["finetuned"]["rows"][k], recs))]
            agree = sum(a == b for a, b in values)
            print(f"| {label} | {r['base']['seconds']:.0f} s | {r['finetuned']['seconds']:.0f} s | {both:.0f} s | "
                  f"{today_both / both:.2f}x | {same['base']}/{len(recs)}, {same['finetuned']}/{len(recs)} | "
                  f"{agree}/{len(values)} |", flush=True)
    return 0


def _decisions(row: dict, records: list[dict]) -> list:
    """The yes/no and score answers of one answer row, in question order."""
    from utils.tasks import questions

    ctype = next(r["type"] for r in records if r["id"] == row["id"])
    parsed = parse_answers(row["text"], ctype)
    return [parsed.get(q.number) for q in questions(ctype) if q.kind != "TEXT"]


if __name__ == "__main__":
    sys.exit(main())
