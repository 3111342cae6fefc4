"""Step (6) of scripts/gpu_smoke.sh: read what steps (1)-(5) wrote and check the GPU path's numbers.

    python scripts/gpu_smoke_checks.py tmp/gpu_smoke

Prints the two training cards (unsloth, QLoRA) with their merge checks, how often vLLM's and
transformers' greedy answers agree, the vLLM engine-close lines of step (4), and then builds the
three vLLM engines of Step 3 again in turn (base, fine-tuned, judge) to compare each one's prompt
ids with training's and print the GPU memory after each close. Exits 1 when a hard check fails.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from Config.Config import load_config  # noqa: E402
from utils.chat import render_prompt, tokenize_example  # noqa: E402
from utils.files import read_json, read_jsonl  # noqa: E402
from utils.models import model_dir  # noqa: E402
from utils.paths import MissingStepOutput, finetuned_dir, training_card_file  # noqa: E402

CARD_KEYS = ("backend", "device", "dtype", "optimizer_steps", "first_dev_loss", "final_dev_loss",
             "tokens_per_second", "peak_memory_mb", "merge_max_logit_diff")


def smoke_config(work: Path, **extra):
    """The Config of the smoke run's steps (the same overrides as gpu_smoke.sh)."""
    values = {"STUDENT_MODEL": "embedded:smollm2", "JUDGE_MODEL": "./models/SmolLM2-135M-Instruct",
              "DEVICE": "cuda", "DATA_DIR": str(work / "data"), "TMP_DIR": str(work / "tmp"),
              "RESULTS_DIR": str(work / "results"), "MAX_LENGTH": 2048, "GEN_MAX_NEW_TOKENS": 128,
              "JUDGE_MAX_NEW_TOKENS": 16, "GOLD_FILE": None, "MLFLOW_TRACKING": False,
              "VLLM_GPU_MEMORY_UTILIZATION": 0.5, "TRAIN_SIZE": 40, "EVAL_SIZE": 10}
    return load_config("amp", values | extra)


def main(work: Path) -> int:
    failures: list[str] = []

    print("-- training cards")
    for name, tmp, backend in (("unsloth", "tmp", "unsloth"), ("QLoRA", "tmp_qlora", "hf")):
        try:
            card_file = training_card_file(finetuned_dir(smoke_config(work, TMP_DIR=str(work / tmp))))
        except MissingStepOutput as err:
            failures.append(str(err))
            continue
        if not card_file.exists():
            failures.append(f"no training card at {card_file}")
            continue
        card = read_json(card_file)
        print(f"{name}: " + json.dumps({k: card.get(k) for k in CARD_KEYS}))
        print(f"{name} merge check: " + json.dumps(card.get("merge_check")))
        if card.get("backend") != backend:
            failures.append(f"{name}: backend {card.get('backend')}, expected {backend}")
        if "skipped" in (card.get("merge_check") or {"skipped": "missing"}):
            failures.append(f"{name}: the merge check was skipped: {card.get('merge_check')}")

    print("-- vLLM (step 4) against transformers (step 5), greedy answers")
    for vllm_file in sorted((work / "results" / "generations").glob("*.jsonl")):
        if not re.fullmatch(r"(base|finetuned)_(vendor|customer)\.jsonl", vllm_file.name):
            continue
        hf_file = work / "results_hf" / "generations" / vllm_file.name
        a = {r["id"]: r["text"] for r in read_jsonl(vllm_file)}
        b = {r["id"]: r["text"] for r in read_jsonl(hf_file)} if hf_file.exists() else {}
        same = sum(a[k] == b.get(k) for k in a) / max(len(a), 1)
        prefix = sum(_common_prefix(a[k], b.get(k, "")) / max(len(a[k]), 1) for k in a) / max(len(a), 1)
        print(f"{vllm_file.name}: identical {same:.2f} (expect >= ~0.9), mean shared prefix {prefix:.2f}")

    print("-- vLLM engine closes in step (4)")
    for notebook in sorted((work / "runs" / "vllm").glob("*.ipynb")):
        for line in sorted(set(re.findall(r"Closed the vLLM engine[^\"\\]*", notebook.read_text()))):
            print(f"{notebook.name}: {line}")

    print("-- prompt ids against training's, and memory after each engine (three engines in turn)")
    failures += check_engines(smoke_config(work, VLLM_ENFORCE_EAGER=True))
    print("PASS" if not failures else "FAIL:\n  " + "\n  ".join(failures))
    return 1 if failures else 0


def check_engines(cfg) -> list[str]:
    """Build base, fine-tuned and judge vLLM engines one after the other, as Step 3 does."""
    import torch
    from vllm import SamplingParams

    from utils.evaluation import load_eval_records
    from utils.inference import Engine

    record = next(iter(load_eval_records(cfg).values()))[0]
    failures = []
    for name, folder in (("base", model_dir(cfg, "student")), ("finetuned", finetuned_dir(cfg)),
                         ("judge", model_dir(cfg, "judge"))):
        engine = Engine(folder, cfg, max_new_tokens=1)
        try:
            if engine.backend != "vllm":
                failures.append(f"{name}: backend {engine.backend}, not vllm")
                continue
            tok = engine.tokenizer
            example = tokenize_example(tok, record["Prompt"], record["Completion"], cfg.system_prompt)
            trained = example["input_ids"][: example["prompt_tokens"]]
            text = render_prompt(tok, record["Prompt"], cfg.system_prompt)
            [sent] = engine.prompt_ids([text])
            engine.generate([text])  # raises when vLLM ran other ids than it was sent
            as_text = engine.llm.generate([text], SamplingParams(max_tokens=1), use_tqdm=False)[0].prompt_token_ids
            print(f"{name}: ids sent == training ids: {sent == trained}; a text prompt (vLLM's own "
                  f"tokenization) == training ids: {list(as_text) == trained} (SmolLM2 adds no BOS: expect True; "
                  "Llama 3.1 gets a second BOS that way)")
            if sent != trained:
                failures.append(f"{name}: the prompt ids differ from training's")
        finally:
            engine.close()
        free, total = torch.cuda.mem_get_info()
        print(f"after closing {name}: {free / 2**30:.1f} of {total / 2**30:.1f} GiB free")
    return failures


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "tmp/gpu_smoke")))
