"""Step 2: LoRA / QLoRA fine-tuning of the student, resumable, merged and checked.

    python -m utils.train --profile tiny [--set KEY=VALUE ...]
    accelerate launch --multi_gpu --num_processes 2 -m utils.train --profile tiny  # DDP (gloo on CPU)
    accelerate launch --config_file Config/accelerate_fsdp.yaml -m utils.train   # FSDP on GPUs

Backends: unsloth when CUDA and unsloth are present (TRAIN_BACKEND=auto), else transformers + peft
+ trl; 4-bit QLoRA through bitsandbytes with LOAD_IN_4BIT. Checkpoints go to
`tmp/checkpoints_<run>/` every SAVE_STEPS; running again resumes from the last one unless
RESTART_TRAINING. The adapter is merged into the 16-bit base (never a 4-bit one) on the run's
device and written to `tmp/merged_<train file stem>_r<r>_a<alpha>_d<dropout>/`: built in a `.partial`
sibling that gets the `training_card.json` (config, data hashes, seed, versions, loss curves, wall
time, tokens/s, memory, the merge check) and then the `kd_model.json` marker, and only then renamed
into place, so a folder at the final path is always complete.

The merge check compares the model that was trained (still in memory: base + adapter, or the 4-bit
base + adapter with QLoRA) with the merged folder, loaded the way the backend loads models, on the
same device, one extra model in memory. With QLoRA the difference is the gap between the trained
NF4 model and the 16-bit model Step 3 evaluates; it is recorded, not hidden.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import inspect
import json
import math
import random
import resource
import shutil
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Optional

from Config.Config import Config, load_config, parse_set_args
from utils.chat import IGNORE_INDEX, tokenize_example
from utils.files import file_sha256, library_versions, publish_folder, read_json, write_json
from utils.models import available_memory_bytes, folder_size, load_tokenizer, model_dir
from utils.paths import (MARKER, TRAIN_FILE, adapter_dir, checkpoints_dir, fingerprint_file, first_dev_loss_file,
                         merged_dir, partial_dir, run_name, training_card_file, write_merged_pointer)
from utils.runtime import Runtime, check_machine, check_target_modules, prepare, set_seed, step_backend

LLAMA_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# Settings that change what is learned: a checkpoint made under other values is not resumed.
FINGERPRINT_KEYS = (
    "STUDENT_MODEL", "SEED", "LORA_R", "LORA_ALPHA", "LORA_DROPOUT", "LORA_TARGET_MODULES",
    "LEARNING_RATE", "LR_SCHEDULER", "WARMUP_RATIO", "NUM_EPOCHS", "MAX_STEPS", "BATCH_SIZE",
    "GRAD_ACCUM", "MAX_LENGTH", "DEV_FRACTION", "LOAD_IN_4BIT", "SYSTEM_PROMPT", "VENDOR_NAME",
    "LORA_LAST_LAYERS", "DECISION_HEADS_LAYER", "DECISION_HEADS_TRAIN", "DECISION_HEADS_EPOCHS",
    "DECISION_HEADS_MEMBERS", "DECISION_HEADS_BALANCE",
)


# ------------------------------------------------------------------------------ names and places
# A run's folders (run_name, merged_dir, adapter_dir, checkpoints_dir) and the train file are named in
# utils.paths. Once the merged folder is published, Step 2 records it (write_merged_pointer), and
# Step 3, the app and the runner find it there: they never rebuild its name from the LoRA settings.
def fingerprint(cfg: Config, data_hash: str) -> str:
    """A short hash of the data and of every setting that changes what is learned."""
    payload = {k: getattr(cfg, k) for k in FINGERPRINT_KEYS} | {"data": data_hash}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------ data
@dataclass
class TrainingData:
    train: object  # datasets.Dataset with input_ids, labels
    dev: object
    records: int
    dropped_too_long: int
    data_file: Path
    data_hash: str
    tokens: int  # all tokens of the train split (prompt + answer), for tokens/s


def load_training_data(cfg: Config, tokenizer) -> TrainingData:
    """Tokenize the clean training file and split it (seeded) into train and dev."""
    from datasets import Dataset

    path = cfg.data_dir / TRAIN_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run Step 1 (1_Data_Preparation.ipynb) first.")
    records = read_json(path)
    rows, too_long = [], 0
    for rec in records:
        ex = tokenize_example(tokenizer, rec["Prompt"], rec["Completion"], cfg.system_prompt)
        if len(ex["input_ids"]) > cfg.MAX_LENGTH:
            too_long += 1  # never cut an answer short: a cut answer teaches the wrong ending
            continue
        rows.append({"input_ids": ex["input_ids"], "labels": ex["labels"]})
    if too_long:
        print(f"Dropped {too_long} of {len(records)} records longer than MAX_LENGTH={cfg.MAX_LENGTH} tokens.")
    order = list(range(len(rows)))
    random.Random(cfg.SEED).shuffle(order)
    n_dev = max(1, round(len(rows) * cfg.DEV_FRACTION))
    if len(rows) - n_dev < 1:
        raise ValueError(f"{path} holds {len(rows)} usable records: too few to hold out a dev set.")
    # dev is only ever evaluated: sorted by length, its batches carry almost no padding
    dev = sorted((rows[i] for i in order[:n_dev]), key=lambda r: len(r["input_ids"]))
    train = [rows[i] for i in order[n_dev:]]
    return TrainingData(
        train=Dataset.from_list(train), dev=Dataset.from_list(dev), records=len(records),
        dropped_too_long=too_long, data_file=path, data_hash=file_sha256(path),
        tokens=sum(len(r["input_ids"]) for r in train),
    )


# ------------------------------------------------------------------------------ model
# (cfg, runtime) -> "unsloth" on CUDA when it imports (or when asked for), else "hf" (transformers + peft)
select_backend = partial(step_backend, "train")


def target_modules(cfg: Config, backend: str, model=None):
    """LoRA target module names; "all-linear" is spelled out where a list is required."""
    if cfg.LORA_TARGET_MODULES != "all-linear":
        return [m.strip() for m in cfg.LORA_TARGET_MODULES.split(",") if m.strip()]
    if backend == "unsloth":
        return LLAMA_LINEAR
    if cfg.LORA_LAST_LAYERS is None or model is None:
        return "all-linear"
    import torch

    # peft's layers_to_transform needs names: every linear layer inside the decoder blocks
    return sorted({name.rsplit(".", 1)[-1] for name, mod in model.named_modules()
                   if isinstance(mod, torch.nn.Linear) and ".layers." in name})


def lora_layers(cfg: Config, model) -> Optional[list[int]]:
    """Indices of the layers that get adapters (the last LORA_LAST_LAYERS), or None for all."""
    if cfg.LORA_LAST_LAYERS is None:
        return None
    n = model.config.num_hidden_layers
    return list(range(max(0, n - cfg.LORA_LAST_LAYERS), n))


def load_student_with_lora(cfg: Config, runtime: Runtime, backend: str):
    """The base student with fresh LoRA adapters; 4-bit base when LOAD_IN_4BIT."""
    folder = model_dir(cfg, "student")
    if backend == "unsloth":
        from unsloth import FastLanguageModel  # must come before trl/peft patch points

        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name=str(folder), max_seq_length=cfg.MAX_LENGTH, dtype=runtime.dtype,
            load_in_4bit=cfg.LOAD_IN_4BIT,
        )
        model = FastLanguageModel.get_peft_model(
            model, r=cfg.LORA_R, lora_alpha=cfg.LORA_ALPHA, lora_dropout=cfg.LORA_DROPOUT,
            target_modules=target_modules(cfg, backend), bias="none", random_state=cfg.SEED,
            layers_to_transform=lora_layers(cfg, model),
            use_gradient_checkpointing="unsloth" if cfg.GRADIENT_CHECKPOINTING else False,
        )
        return model, load_tokenizer(folder, cfg)

    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    kwargs = {"dtype": runtime.dtype, "trust_remote_code": cfg.TRUST_REMOTE_CODE}
    if cfg.LOAD_IN_4BIT:
        if not runtime.on_gpu:
            raise RuntimeError("LOAD_IN_4BIT needs a CUDA GPU (bitsandbytes); set LOAD_IN_4BIT=False on CPU.")
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=runtime.dtype,
        )
    if runtime.on_gpu:
        from accelerate import PartialState

        kwargs["device_map"] = {"": PartialState().process_index}
    model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    check_target_modules(model, cfg)
    if cfg.LOAD_IN_4BIT:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.GRADIENT_CHECKPOINTING)
    lora = LoraConfig(
        r=cfg.LORA_R, lora_alpha=cfg.LORA_ALPHA, lora_dropout=cfg.LORA_DROPOUT,
        target_modules=target_modules(cfg, backend, model), bias="none", task_type="CAUSAL_LM",
        layers_to_transform=lora_layers(cfg, model),
    )
    # On a GPU the adapters stay float32 under bf16 autocast. On a CPU there is no autocast (see
    # build_trainer), so float32 adapters would cast every LoRA input and output: adapters in the
    # model's dtype made a demo step ~18% faster (measured, 2 cores).
    model = get_peft_model(model, lora, autocast_adapter_dtype=runtime.on_gpu)
    return model, load_tokenizer(folder, cfg)


def trainable_parameters(model) -> dict:
    trainable, total = model.get_nb_trainable_parameters()
    return {"trainable": trainable, "total": total, "share": trainable / total}


# ------------------------------------------------------------------------------ training
def checkpointing_argument(enabled: bool, accepted: Optional[set[str]] = None) -> dict:
    """The TrainingArguments keyword for gradient (activation) checkpointing, as this transformers
    spells it: 5.23 renamed `gradient_checkpointing` to `activation_checkpointing` (the old name
    stays a deprecated alias until v6); 5.17, the GPU stack's, knows only the old name."""
    if accepted is None:
        from transformers import TrainingArguments

        accepted = set(inspect.signature(TrainingArguments).parameters)
    name = "activation_checkpointing" if "activation_checkpointing" in accepted else "gradient_checkpointing"
    return {name: enabled}


def _tokens_callback():
    from transformers import TrainerCallback

    from utils.progress import log_line, terminal_progress

    class TokensPerSecond(TrainerCallback):
        """Adds tokens/s (all tokens, prompt and answer, seen by this process) to the logs, and
        prints each log as a line under the runner (utils.progress)."""

        def on_train_begin(self, args, state, control, **kw):
            self.t0, self.n0 = time.time(), state.num_input_tokens_seen or 0

        def on_log(self, args, state, control, logs=None, **kw):
            if logs is not None and state.num_input_tokens_seen:
                elapsed = max(time.time() - self.t0, 1e-9)
                logs["tokens_per_s"] = round((state.num_input_tokens_seen - self.n0) / elapsed, 1)
            if logs and terminal_progress():  # under the runner: the Trainer's notebook table never reaches a terminal
                print(log_line(logs, state.global_step, state.max_steps), flush=True)

    return TokensPerSecond()


def answer_window(batch: dict) -> dict:
    """The same left-padded batch, asking the model for logits over the answer window only.

    With left padding every answer ends at the last position, so the LM head and the loss are
    needed only on the last `k` positions (the longest answer plus the token before it). On a
    135M model the 49k-word LM head is about a quarter of a training step's arithmetic and the
    answer is a fifth of each sequence, so this skips most of that work (demo, 2 cores: 304 ->
    345 training tokens/s); the loss is unchanged (tests compare it with the full computation).
    Position ids follow the attention mask, as in generation, so training sees the same positions
    as inference.
    """
    labels, mask = batch["labels"], batch["attention_mask"]
    carries = (labels != IGNORE_INDEX).int()
    first = int(carries.argmax(dim=1).min())  # the earliest answer token of the batch
    keep = min(labels.shape[1] - first + 1, labels.shape[1])
    return {**batch, "labels": labels[:, -keep:], "logits_to_keep": keep,
            "position_ids": (mask.long().cumsum(-1) - 1).clamp(min=0)}


def _answer_window_trainer():
    from transformers import Trainer

    class AnswerWindowTrainer(Trainer):
        """A Trainer whose loss reads logits over the answer window only (see answer_window)."""

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            return super().compute_loss(model, answer_window(inputs), return_outputs=return_outputs,
                                        num_items_in_batch=num_items_in_batch)

    return AnswerWindowTrainer


def build_trainer(cfg: Config, model, tokenizer, data: TrainingData, runtime: Runtime, out: Path,
                  backend: Optional[str] = None):
    """A transformers Trainer over the pre-tokenized examples.

    Why not trl's SFTTrainer: our examples already carry their labels, which is all it would add,
    and trl 1.16 always computes per-token log-probabilities and entropy through a chunked LM
    head that is ~1.8x slower on a CPU. Mixed-precision autocast is used on GPUs only: on a CPU
    the weights are already bf16, and autocast there made each step ~3x slower (measured).
    With the transformers backend batches are left-padded and the LM head runs over the answer
    window only (`answer_window`); unsloth keeps trl's right-padding collator and its own fused loss.
    `backend` is `select_backend`'s answer, chosen here when not given.
    """
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    args = TrainingArguments(
        output_dir=str(out),
        seed=cfg.SEED,
        data_seed=cfg.SEED,
        learning_rate=cfg.LEARNING_RATE,
        lr_scheduler_type=cfg.LR_SCHEDULER,
        warmup_steps=cfg.WARMUP_RATIO,  # a float below 1 is a ratio of the total steps
        num_train_epochs=cfg.NUM_EPOCHS,
        max_steps=cfg.MAX_STEPS,
        per_device_train_batch_size=cfg.BATCH_SIZE,
        per_device_eval_batch_size=max(cfg.BATCH_SIZE, 4),
        gradient_accumulation_steps=cfg.GRAD_ACCUM,
        **checkpointing_argument(cfg.GRADIENT_CHECKPOINTING),
        eval_strategy="steps",
        eval_steps=cfg.EVAL_STEPS,
        prediction_loss_only=True,  # dev loss only: never gather full-vocabulary logits
        save_strategy="steps",
        save_steps=cfg.SAVE_STEPS,
        save_total_limit=cfg.SAVE_TOTAL_LIMIT,
        logging_steps=cfg.LOGGING_STEPS,
        bf16=runtime.on_gpu and runtime.dtype_name == "bfloat16",
        fp16=runtime.on_gpu and runtime.dtype_name == "float16",
        use_cpu=not runtime.on_gpu,
        train_sampling_strategy="group_by_length" if cfg.GROUP_BY_LENGTH else "random",
        include_num_input_tokens_seen="non_padding",  # tokens/s counts real tokens only
        remove_unused_columns=False,
        report_to=[],
        dataloader_num_workers=0,
    )
    # Padded lengths in buckets of 64 (8 on a GPU): a handful of shapes instead of one per batch,
    # so the CPU's matmul kernels are reused; measured ~10% less wall time per step on 2 cores.
    multiple = 8 if runtime.on_gpu else 64
    if backend is None:
        backend = select_backend(cfg, runtime)
    if backend == "unsloth":
        trainer_class = Trainer
        collator = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id, pad_to_multiple_of=multiple)
    else:
        trainer_class = _answer_window_trainer()
        tokenizer.padding_side = "left"  # answers end together: the answer window is one slice
        collator = DataCollatorForSeq2Seq(tokenizer, padding=True, pad_to_multiple_of=multiple,
                                          label_pad_token_id=IGNORE_INDEX)
    return trainer_class(
        model=model, args=args, train_dataset=data.train, eval_dataset=data.dev,
        data_collator=collator, processing_class=tokenizer, callbacks=[_tokens_callback()],
    )


# Names transformers and peft give the files inside the folders utils.paths names (theirs, not ours)
CHECKPOINT_PREFIX = "checkpoint-"  # the Trainer's checkpoint folders: checkpoint-<step>
CHECKPOINT_FILES = ("trainer_state.json", "optimizer.pt")  # written after the weights: a checkpoint's last files
WEIGHT_FILES = ("adapter_model.safetensors", "model.safetensors", "adapter_model.bin", "pytorch_model.bin")
ADAPTER_CONFIG_FILE = "adapter_config.json"


def checkpoint_complete(folder: Path) -> bool:
    """Whether a checkpoint folder holds everything a resume reads (weights, optimizer, state).

    A kill while the Trainer writes a checkpoint leaves a folder without some of them; resuming
    from it fails ("Can't find a valid checkpoint"), so such a folder is passed over.
    """
    return (all((folder / name).is_file() and (folder / name).stat().st_size > 0 for name in CHECKPOINT_FILES)
            and any((folder / name).is_file() for name in WEIGHT_FILES))


def sort_adapter_config(adapter: Path) -> None:
    """Write adapter_config.json's module lists sorted: peft keeps them as sets, so their saved
    order follows Python's per-process string hashing and two identical runs would differ."""
    path = Path(adapter) / ADAPTER_CONFIG_FILE
    config = read_json(path)
    for key in ("target_modules", "modules_to_save", "exclude_modules"):
        if isinstance(config.get(key), list):
            config[key] = sorted(config[key])
    write_json(path, config)


def last_checkpoint(cfg: Config, fp: str) -> Optional[str]:
    """The newest complete checkpoint of this same run (same data and settings), if any."""
    ckpts = checkpoints_dir(cfg)
    stamp = fingerprint_file(ckpts)
    if not ckpts.exists():
        return None
    if cfg.RESTART_TRAINING or not stamp.exists() or read_json(stamp).get("fingerprint") != fp:
        return None
    found = sorted((int(d.name.split("-")[1]), d) for d in ckpts.glob(f"{CHECKPOINT_PREFIX}*")
                   if d.is_dir() and d.name.split("-")[1].isdigit())
    for _, folder in reversed(found):
        if checkpoint_complete(folder):
            return str(folder)
        print(f"{folder.name} is incomplete (a run was stopped while writing it): resuming from an earlier one")
    return None


@dataclass
class TrainResult:
    merged: Path
    card: dict
    log_history: list = field(default_factory=list)
    skipped: bool = False


def is_complete(cfg: Config, fp: str) -> bool:
    """The merged model of this exact run is already there and marked complete."""
    card = training_card_file(merged_dir(cfg))
    return (merged_dir(cfg) / MARKER).exists() and card.exists() and read_json(card).get("fingerprint") == fp


def train(cfg: Config, trainer=None, data: Optional[TrainingData] = None) -> TrainResult:
    """Train (resuming when possible), save the adapter, merge, check, and write the card.

    The notebook builds the trainer itself to show its parts; `python -m utils.train` does not.
    Every process trains; the main one alone saves, merges and publishes, the others wait for it.
    """
    check_machine(cfg, "train")
    from accelerate import PartialState

    state = PartialState()
    runtime = prepare(cfg)
    backend = select_backend(cfg, runtime)
    if trainer is None:
        model, tokenizer = load_student_with_lora(cfg, runtime, backend)
        data = load_training_data(cfg, tokenizer)
        trainer = build_trainer(cfg, model, tokenizer, data, runtime, checkpoints_dir(cfg), backend)
    fp = fingerprint(cfg, data.data_hash)

    # ---- resume point: nothing to do, a checkpoint of this same run, or the start
    if is_complete(cfg, fp) and not cfg.RESTART_TRAINING:
        return _already_trained(cfg, state)
    resume = _resume_point(cfg, fp, state)

    # ---- train
    run = _train(cfg, trainer, runtime, resume, state)

    # ---- save and merge, card, publish (main process)
    result = None
    if state.is_main_process:
        adapter, partial, check = _save_and_merge(cfg, trainer, data, runtime, backend, fp)
        heads = _fit_decision_heads(cfg, partial, data, runtime)
        card = _write_card(cfg, partial, trainer=trainer, data=data, run=run, check=check, fp=fp,
                           backend=backend, runtime=runtime, processes=state.num_processes, heads=heads)
        result = TrainResult(_publish(cfg, partial, adapter, fp), card, run.log_history)
    state.wait_for_everyone()
    return result


@dataclass(frozen=True)
class _Run:
    """What the train section measured, for the card."""

    resumed_from: Optional[str]
    first_dev_loss: Optional[float]
    final_dev_loss: float
    wall_seconds: float
    log_history: list


def _already_trained(cfg: Config, state) -> TrainResult:
    """The merged model of this exact run is published: point Step 3 at it again and return its card."""
    card = read_json(training_card_file(merged_dir(cfg)))
    print(f"{merged_dir(cfg)} is complete for these data and settings; nothing to do "
          "(set RESTART_TRAINING=True to train again).")
    if state.is_main_process:
        write_merged_pointer(cfg, merged_dir(cfg), adapter_dir(cfg))  # Step 3 reads this one
    return TrainResult(merged_dir(cfg), card, card.get("log_history", []), skipped=True)


def _resume_point(cfg: Config, fp: str, state) -> Optional[str]:
    """The checkpoint to resume from, or None; without one, the checkpoints folder starts clean.
    Either way it is stamped with this run's fingerprint."""
    resume = last_checkpoint(cfg, fp)
    if state.is_main_process:
        if resume is None and checkpoints_dir(cfg).exists():
            shutil.rmtree(checkpoints_dir(cfg))  # other settings or a restart: start clean
        write_json(fingerprint_file(checkpoints_dir(cfg)), {"fingerprint": fp})
    state.wait_for_everyone()
    print(f"Resuming from {resume}" if resume else "Training from the start")
    return resume


def _train(cfg: Config, trainer, runtime: Runtime, resume: Optional[str], state) -> _Run:
    """Train from `resume` (or the start), with the dev loss before the first update and after the last."""
    start = time.time()
    first_dev = None
    if resume is None:
        first_dev = trainer.evaluate()["eval_loss"]  # the dev loss before any update
        if state.is_main_process:  # a resumed run's card needs it, and its checkpoints do not hold it
            write_json(first_dev_loss_file(cfg), {"first_dev_loss": first_dev})
    # The length-grouped sampler draws the epoch's order from torch's global generator as the epoch
    # starts; seeded here, a run resumed within its first epoch gets the same order (whatever the
    # evaluation above drew), so it trains on the same remaining batches as an uninterrupted run.
    set_seed(cfg.SEED)
    if resume and not runtime.on_gpu and hasattr(trainer.model, "load_adapter"):
        # The Trainer reloads the checkpoint's adapter through peft's load_adapter, which casts it to
        # float32; on a CPU it trains in the model's dtype (load_student_with_lora): keep that dtype.
        load = trainer.model.load_adapter
        trainer.model.load_adapter = lambda *args, **kw: load(*args, **{"autocast_adapter_dtype": False, **kw})
    trainer.train(resume_from_checkpoint=resume)
    wall = time.time() - start
    history = trainer.state.log_history
    last = next((h for h in reversed(history) if "eval_loss" in h), None)
    if last and last["step"] == trainer.state.global_step:
        final_dev = last["eval_loss"]  # the schedule already evaluated the final weights
    else:
        final_dev = trainer.evaluate()["eval_loss"]
        history = trainer.state.log_history
    if first_dev is None:  # resumed: the loss before any update, as the run that started measured it
        saved = first_dev_loss_file(cfg)
        first_dev = read_json(saved).get("first_dev_loss") if saved.exists() else None
    return _Run(resumed_from=resume, first_dev_loss=first_dev, final_dev_loss=final_dev, wall_seconds=wall,
                log_history=history)


def _save_and_merge(cfg: Config, trainer, data: TrainingData, runtime: Runtime, backend: str,
                    fp: str) -> tuple[Path, Path, dict]:
    """Save the adapter (stamped with the run's fingerprint), merge it into the 16-bit base in a
    `.partial` folder and compare that with the trained model: (adapter, partial folder, merge check)."""
    adapter = adapter_dir(cfg)
    trainer.model.save_pretrained(adapter)
    trainer.processing_class.save_pretrained(adapter)
    sort_adapter_config(adapter)
    write_json(fingerprint_file(adapter), {"fingerprint": fp})  # pairs it with its merged folder
    release_optimizer(trainer)  # training is over: its optimizer state only takes memory now
    partial = merge_adapter(cfg, adapter, runtime)
    check = compare_merged(cfg, trainer.model, partial, data, runtime, backend)
    return adapter, partial, check


def _fit_decision_heads(cfg: Config, partial: Path, data: TrainingData, runtime: Runtime) -> Optional[dict]:
    """With DECISION_HEADS_LAYER set: fit the decision heads on the merged student's token states of
    up to DECISION_HEADS_TRAIN training comments per type (seeded) and save them into the folder."""
    if cfg.DECISION_HEADS_LAYER is None:
        return None
    from utils.heads import fit_heads
    from utils.models import load_model

    start = time.time()
    records = read_json(data.data_file)
    random.Random(cfg.SEED).shuffle(records)
    chosen, per_type = [], {}
    for rec in records:
        if per_type.get(rec["type"], 0) < cfg.DECISION_HEADS_TRAIN:
            per_type[rec["type"]] = per_type.get(rec["type"], 0) + 1
            chosen.append(rec)
    model = load_model(partial, cfg, runtime)
    tokenizer = load_tokenizer(partial, cfg)
    heads = fit_heads(model, tokenizer, chosen, cfg.DECISION_HEADS_LAYER, cfg.DECISION_HEADS_EPOCHS, cfg.SEED,
                      members=cfg.DECISION_HEADS_MEMBERS, balance=cfg.DECISION_HEADS_BALANCE)
    heads.save(partial)
    del model
    summary = {"layer": cfg.DECISION_HEADS_LAYER, "members": cfg.DECISION_HEADS_MEMBERS,
               "balance": cfg.DECISION_HEADS_BALANCE, "comments": per_type, "seconds": round(time.time() - start, 1),
               "train_agreement": {t: v["train_agreement"] for t, v in heads.card["tasks"].items()},
               "constant": {t: v["constant"] for t, v in heads.card["tasks"].items()}}
    print(f"Decision heads at layer {cfg.DECISION_HEADS_LAYER} fitted on {per_type} comments in {summary['seconds']} s")
    return summary


def _write_card(cfg: Config, partial: Path, *, trainer, data: TrainingData, run: _Run, check: dict, fp: str,
                backend: str, runtime: Runtime, processes: int, heads: Optional[dict] = None) -> dict:
    """The training card, written into the merged folder before its marker; returns it."""
    tokens_seen = trainer.state.num_input_tokens_seen or 0
    first_dev, final_dev, wall = run.first_dev_loss, run.final_dev_loss, run.wall_seconds
    card = {
        "run": run_name(cfg),
        "fingerprint": fp,
        "backend": backend,
        "device": runtime.device,
        "dtype": runtime.dtype_name,
        "processes": processes,
        "data_file": str(data.data_file),
        "data_sha256": data.data_hash,
        "records": data.records,
        "train_examples": len(data.train),
        "dev_examples": len(data.dev),
        "dropped_too_long": data.dropped_too_long,
        "seed": cfg.SEED,
        "trainable_parameters": trainable_parameters(trainer.model),
        "optimizer_steps": trainer.state.global_step,
        "resumed_from": run.resumed_from,
        "first_dev_loss": _round(first_dev),
        "final_dev_loss": _round(final_dev),
        "dev_loss_ratio": _round(final_dev / first_dev) if first_dev else None,
        "wall_seconds": round(wall, 1),
        "tokens_seen": tokens_seen,
        "tokens_per_second": round(tokens_seen / wall, 1) if wall else None,
        "peak_memory_mb": peak_memory_mb(runtime),
        "merge_max_logit_diff": check.get("max_abs_logit_diff"),
        "merge_check": check,
        "decision_heads": heads,
        "log_history": run.log_history,
        "config": cfg.to_dict(),
        "versions": library_versions(),
    }
    write_json(training_card_file(partial), card)
    return card


def _publish(cfg: Config, partial: Path, adapter: Path, fp: str) -> Path:
    """Write the marker last, move the merged folder into place, then point Step 3 and the app at it."""
    write_json(partial / MARKER, {"source": "merged", "run": run_name(cfg), "fingerprint": fp})
    merged = publish_folder(partial, merged_dir(cfg), MARKER)
    write_merged_pointer(cfg, merged, adapter)  # after publishing: Step 3 and the app read it
    return merged


def _round(x, digits: int = 4):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), digits)


def peak_memory_mb(runtime: Runtime) -> float:
    if runtime.on_gpu:
        import torch

        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


# ------------------------------------------------------------------------------ merging
def release_optimizer(trainer) -> None:
    """Drop the finished run's optimizer state (AdamW: twice the adapter in fp32) before merging;
    `trainer.train()` builds a new one if it is called again."""
    trainer.optimizer = trainer.lr_scheduler = None
    gc.collect()
    _empty_cuda_cache()


def merge_adapter(cfg: Config, adapter: Path, runtime: Runtime) -> Path:
    """Merge the adapter into the 16-bit base on the run's device; return the `.partial` folder.

    The folder holds weights, tokenizer and generation config, but no marker: `_publish` moves it
    into place only after the card and the marker are written, so Step 3 never sees half a run.
    """
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, GenerationConfig

    base_folder = model_dir(cfg, "student")
    # Never merge into a 4-bit base: the result would carry quantization error into every weight.
    kwargs = {"dtype": runtime.dtype, "trust_remote_code": cfg.TRUST_REMOTE_CODE}
    if runtime.on_gpu:
        kwargs["device_map"] = {"": 0}  # on the GPU: seconds, and no 16 GB copy in the job's host RAM
    base = AutoModelForCausalLM.from_pretrained(base_folder, **kwargs)
    merged_model = PeftModel.from_pretrained(base, adapter).merge_and_unload()
    tmp = partial_dir(merged_dir(cfg))
    shutil.rmtree(tmp, ignore_errors=True)
    merged_model.save_pretrained(tmp)
    del merged_model, base
    gc.collect()
    _empty_cuda_cache()
    tokenizer = load_tokenizer(base_folder, cfg)
    tokenizer.save_pretrained(tmp)
    try:
        GenerationConfig.from_pretrained(base_folder).save_pretrained(tmp)
    except OSError:
        pass
    return tmp


MERGE_CHECK_ROWS = 3  # dev examples compared; each costs one forward pass of each model
CPU_CHECK_MEMORY_SHARE = 0.3  # on a CPU, compare only when the merged model fits in this share of free RAM


def compare_merged(cfg: Config, trained_model, merged: Path, data: TrainingData, runtime: Runtime,
                   backend: str = "hf", n: int = MERGE_CHECK_ROWS) -> dict:
    """How closely the merged folder reproduces the model that was trained, on `n` dev examples.

    Both run on the run's device in its dtype, one after the other: the trained model (already in
    memory) first, then the merged folder, loaded the way the backend loads models (unsloth's loader
    under unsloth, whose patched Llama code is then in force). Compared on the answer positions, the
    ones that carry loss: the largest and mean absolute logit difference, how often the top token
    agrees, and the answer loss of each. In bf16 a merge alone moves logits by ~1e-2..1e-1; with
    QLoRA the trained model has an NF4 base, so the numbers measure the quantization gap too.
    Returns {"skipped": reason} when the merged model would not fit beside the trained one.
    """
    import torch

    rows = [data.dev[i] for i in range(min(n, len(data.dev)))]
    size = folder_size(merged)
    device = "cuda" if runtime.on_gpu else "cpu"
    if runtime.on_gpu:
        free, _ = torch.cuda.mem_get_info()
        if size > 0.9 * free:
            return {"skipped": f"the merged model ({size / 1e9:.1f} GB) does not fit in the GPU's free "
                               f"{free / 1e9:.1f} GB beside the trained one"}
    elif size > CPU_CHECK_MEMORY_SHARE * available_memory_bytes():
        return {"skipped": f"on a CPU the merged model ({size / 1e9:.1f} GB) exceeds {CPU_CHECK_MEMORY_SHARE:.0%} "
                           f"of the free RAM ({available_memory_bytes() / 1e9:.1f} GB); it is checked on a GPU only"}
    reference = _answer_logits(trained_model, rows, runtime)
    merged_model = _load_for_check(cfg, merged, runtime, backend)
    try:
        candidate = _answer_logits(merged_model, rows, runtime)
    finally:
        del merged_model
        gc.collect()
        _empty_cuda_cache()
    if any(ref.numel() == 0 for ref, _ in reference) or any(c.numel() == 0 for c, _ in candidate):
        return {"skipped": f"the {backend} model returned no logits"}
    worst, total, count, agree = 0.0, 0.0, 0, 0
    losses = {"trained": [], "merged": []}
    for (ref, labels), (new, _) in zip(reference, candidate):
        diff = (ref - new).abs()
        worst, total, count = max(worst, diff.max().item()), total + diff.sum().item(), count + diff.numel()
        agree += int((ref.argmax(-1) == new.argmax(-1)).sum())
        losses["trained"].append(torch.nn.functional.cross_entropy(ref, labels).item())
        losses["merged"].append(torch.nn.functional.cross_entropy(new, labels).item())
    positions = sum(len(labels) for _, labels in reference)
    quantized = bool(getattr(trained_model, "is_loaded_in_4bit", False) or cfg.LOAD_IN_4BIT)
    return {
        "rows": len(rows),
        "answer_positions": positions,
        "device": device,
        "dtype": runtime.dtype_name,
        "reference": "trained model: 4-bit (NF4) base + adapter" if quantized else "trained model: base + adapter",
        "max_abs_logit_diff": _round(worst, 6),
        "mean_abs_logit_diff": _round(total / count, 6),
        "top1_agreement": _round(agree / positions, 4),
        "answer_loss_trained": _round(sum(losses["trained"]) / len(rows)),
        "answer_loss_merged": _round(sum(losses["merged"]) / len(rows)),
    }


def _load_for_check(cfg: Config, folder: Path, runtime: Runtime, backend: str):
    """The merged folder as the backend loads models, on the run's device, in eval mode."""
    if backend == "unsloth":
        from unsloth import FastLanguageModel

        model, _ = FastLanguageModel.from_pretrained(model_name=str(folder), max_seq_length=cfg.MAX_LENGTH,
                                                     dtype=runtime.dtype, load_in_4bit=False)
        return model.eval()
    from transformers import AutoModelForCausalLM

    kwargs = {"dtype": runtime.dtype, "trust_remote_code": cfg.TRUST_REMOTE_CODE}
    if runtime.on_gpu:
        kwargs["device_map"] = {"": 0}
    return AutoModelForCausalLM.from_pretrained(folder, **kwargs).eval()


def _answer_logits(model, rows: list[dict], runtime: Runtime) -> list[tuple]:
    """Per row: (float32 logits that predict the answer tokens, those tokens), on the CPU."""
    import contextlib

    import torch

    device = "cuda" if runtime.on_gpu else "cpu"
    autocast = (torch.autocast("cuda", dtype=runtime.dtype) if runtime.on_gpu and runtime.dtype != torch.float32
                else contextlib.nullcontext())  # as in training: bf16 autocast on GPUs only
    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.inference_mode(), autocast:
            for row in rows:
                ids = torch.tensor([row["input_ids"]], device=device)
                labels = torch.tensor(row["labels"])
                logits = model(input_ids=ids).logits[0]
                if logits.numel() == 0:
                    out.append((logits.cpu(), labels))
                    continue
                at = (labels[1:] != IGNORE_INDEX).nonzero().flatten()  # position t predicts token t + 1
                out.append((logits[at.to(logits.device)].float().cpu(), labels[1:][at]))
    finally:
        model.train(was_training)
    return out


def _empty_cuda_cache() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


# ------------------------------------------------------------------------------ command line
def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.train", description="Step 2 without the notebook.")
    parser.add_argument("--profile", default=None)
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    cfg = load_config(args.profile, parse_set_args(args.sets))
    result = train(cfg)
    if result is not None:
        card = result.card
        print(json.dumps({k: card.get(k) for k in ("run", "processes", "optimizer_steps", "first_dev_loss",
                                                    "final_dev_loss", "wall_seconds", "tokens_per_second",
                                                    "merge_max_logit_diff")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
