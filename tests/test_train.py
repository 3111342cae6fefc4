"""Step 2: loss on the answer only, resume after an interruption, a faithful merge, DDP on CPU."""

import json
import subprocess
import sys

import pytest

from Config.Config import PROJECT_ROOT, load_config
from utils import models, train
from utils.chat import IGNORE_INDEX, render_prompt, tokenize_example
from utils.files import write_json
from utils.runtime import prepare
from utils.tasks import build_prompt, format_answers, questions


def _records(n: int) -> list[dict]:
    out = []
    for i in range(n):
        kind = ("vendor", "customer")[i % 2]
        comment = f"Impala daemon on host{i} crashed with OutOfMemoryError after upgrade to 7.1.{i % 9}."
        answers = {q.number: (q.low + i % 2 if q.kind != "TEXT" else f"Impala crash {i}") for q in questions(kind)}
        out.append({"id": f"{kind}-{i:03d}", "type": kind, "Comment": comment,
                    "Prompt": build_prompt(comment, kind, style="compact"),
                    "Completion": format_answers(answers, kind)})
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    write_json(root / "data" / train.TRAIN_FILE, _records(20))
    models.setup_model(load_config("tiny"))  # the shared tiny student under models/
    return root


def cfg_for(workdir, **extra):
    values = {"DATA_DIR": str(workdir / "data"), "TMP_DIR": str(workdir / "tmp"), "MAX_STEPS": 4,
              "SAVE_STEPS": 2, "EVAL_STEPS": 2, "BATCH_SIZE": 4, "DTYPE": "float32"}
    return load_config("tiny", values | extra)


def first_batch(workdir, name: str):
    """The tiny student with fresh adapters, its trainer, and the trainer's first real batch."""
    cfg = cfg_for(workdir)
    runtime = prepare(cfg)
    model, tok = train.load_student_with_lora(cfg, runtime, "hf")
    trainer = train.build_trainer(cfg, model, tok, train.load_training_data(cfg, tok), runtime, workdir / name)
    return model, tok, trainer, next(iter(trainer.get_train_dataloader()))  # padded and collated


def test_loss_only_on_the_answer_and_its_end_of_turn(workdir):
    _, tok, _, batch = first_batch(workdir, "ckpt-mask")
    eot = tok.convert_tokens_to_ids("<|im_end|>")
    for ids, labels, mask in zip(batch["input_ids"].tolist(), batch["labels"].tolist(), batch["attention_mask"].tolist()):
        width, start = len(ids), len(ids) - sum(mask)  # left padding: real tokens from `start` on
        assert mask == [0] * start + [1] * (width - start), "padding must be on the left only"
        carried = [i for i, label in enumerate(labels) if label != IGNORE_INDEX]
        assert carried, "an example without loss"
        assert carried == list(range(carried[0], width)), "loss must cover exactly the answer"
        assert labels[-1] == eot and ids[-1] == eot, "the end-of-turn token must carry loss"
        assert all(label == IGNORE_INDEX for label in labels[:start]), "padding must not carry loss"
        prompt_text = tok.decode(ids[start:carried[0]])
        assert prompt_text.startswith("<|im_start|>system\n")
        assert prompt_text.endswith("<|im_start|>assistant\n")
        assert "Questions:" in prompt_text and "Questions:" not in tok.decode(ids[carried[0]:])


def test_answer_window_loss_equals_the_full_loss(workdir):
    import torch

    model, _, trainer, batch = first_batch(workdir, "ckpt-window")
    window = train.answer_window(batch)
    width = batch["input_ids"].shape[1]
    first_answer = min(row.index(next(x for x in row if x != IGNORE_INDEX)) for row in batch["labels"].tolist())
    assert window["logits_to_keep"] == width - first_answer + 1 < width  # the prompt is skipped
    assert (window["labels"] != IGNORE_INDEX).sum() == (batch["labels"] != IGNORE_INDEX).sum()
    with torch.no_grad():
        full = model(**batch, position_ids=window["position_ids"]).loss  # logits everywhere
        part = model(**window).loss
        trained = trainer.compute_loss(model, batch)  # what the Trainer optimizes
    assert abs(full.item() - part.item()) < 1e-5 and abs(full.item() - trained.item()) < 1e-5


def test_training_prompt_is_the_inference_prompt(workdir):
    cfg = cfg_for(workdir)
    tok = models.load_tokenizer(models.model_dir(cfg), cfg)
    rec = _records(1)[0]
    ex = tokenize_example(tok, rec["Prompt"], rec["Completion"], cfg.system_prompt)
    served = tok(render_prompt(tok, rec["Prompt"], cfg.system_prompt), add_special_tokens=False)["input_ids"]
    assert ex["input_ids"][: ex["prompt_tokens"]] == served


def test_interrupted_run_resumes_and_merge_matches_adapter(workdir):
    from transformers import TrainerCallback

    cfg = cfg_for(workdir)

    class Interrupt(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 3:
                raise KeyboardInterrupt  # as if the kernel were stopped after checkpoint-2

    runtime = prepare(cfg)
    model, tok = train.load_student_with_lora(cfg, runtime, "hf")
    data = train.load_training_data(cfg, tok)
    trainer = train.build_trainer(cfg, model, tok, data, runtime, train.checkpoints_dir(cfg))
    trainer.add_callback(Interrupt())
    with pytest.raises(KeyboardInterrupt):
        train.train(cfg, trainer, data)
    assert (train.checkpoints_dir(cfg) / "checkpoint-2").is_dir()
    assert not train.merged_dir(cfg).exists(), "an interrupted run must not leave a merged folder"

    result = train.train(cfg)  # a fresh start of Step 2 continues from the checkpoint
    card = result.card
    assert card["resumed_from"].endswith("checkpoint-2") and card["optimizer_steps"] == 4
    assert card["merge_max_logit_diff"] < 1e-3
    # compared with the trained model in memory, on the dev answers: the merge reproduces it
    assert card["merge_check"]["rows"] == 2 and card["merge_check"]["top1_agreement"] == 1.0
    merged = train.merged_dir(cfg)
    assert merged.name == "merged_AllComments_Clean_Train_r8_a16_d0.0"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja",
                 "generation_config.json", "training_card.json", models.MARKER):
        assert (merged / name).exists(), name
    assert json.loads((merged / "generation_config.json").read_text())["eos_token_id"] == tok.convert_tokens_to_ids("<|im_end|>")

    again = train.train(cfg)  # complete for these data and settings: nothing is retrained
    assert again.skipped


def test_gradient_checkpointing_reaches_the_trainer(workdir):
    # transformers 5.23+ names it activation_checkpointing; 5.17 (the GPU stack) gradient_checkpointing
    assert train.checkpointing_argument(True, {"gradient_checkpointing"}) == {"gradient_checkpointing": True}
    assert train.checkpointing_argument(False, {"gradient_checkpointing", "activation_checkpointing"}) == {
        "activation_checkpointing": False}
    cfg = cfg_for(workdir, GRADIENT_CHECKPOINTING=True, MAX_STEPS=1)  # tiny and demo turn it off
    runtime = prepare(cfg)
    model, tok = train.load_student_with_lora(cfg, runtime, "hf")
    trainer = train.build_trainer(cfg, model, tok, train.load_training_data(cfg, tok), runtime, workdir / "ckpt-gc")
    (name, value), = train.checkpointing_argument(True).items()
    assert getattr(trainer.args, name) is True
    trainer.train()  # one step with checkpointed activations
    assert trainer.state.global_step == 1
    assert any(getattr(m, "gradient_checkpointing", False) is True for m in model.modules()), "the model checkpoints"


def test_a_crash_after_the_merge_leaves_nothing_step3_would_take(workdir, monkeypatch):
    cfg = cfg_for(workdir, TMP_DIR=str(workdir / "tmp-crash"), MAX_STEPS=2)

    def dies(*args, **kwargs):
        raise MemoryError("killed during the merge check")

    monkeypatch.setattr(train, "compare_merged", dies)
    with pytest.raises(MemoryError):
        train.train(cfg)
    merged = train.merged_dir(cfg)
    partial = merged.with_name(merged.name + ".partial")
    assert (partial / "model.safetensors").exists() and not (partial / models.MARKER).exists()
    assert not merged.exists() and not models.is_ready(merged) and not models.is_ready(partial)
    monkeypatch.undo()
    result = train.train(cfg)  # the rerun resumes from the checkpoint and publishes a complete folder
    assert models.is_ready(result.merged) and (result.merged / "training_card.json").exists()
    assert not partial.exists()


@pytest.mark.slow
def test_two_process_cpu_launch(workdir):
    tmp = workdir / "ddp"
    # On a machine without GPUs this is DDP over gloo: accelerate starts the two processes with
    # torchrun and each picks the CPU. (accelerate 1.15's `--cpu` flag starts several processes
    # only through an MPI hostfile, so it is not the launcher here.)
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "-m", "utils.train", "--profile", "tiny", "--set", f"DATA_DIR={workdir / 'data'}",
           "--set", f"TMP_DIR={tmp}", "--set", "MAX_STEPS=2", "--set", "EVAL_STEPS=2", "--set", "SAVE_STEPS=2"]
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    card = json.loads((tmp / "merged_AllComments_Clean_Train_r8_a16_d0.0" / "training_card.json").read_text())
    assert card["processes"] == 2 and card["optimizer_steps"] == 2


def test_a_checkpoint_cut_short_by_a_kill_is_passed_over(tmp_path):
    """checkpoint-12 was being written when the kernel died: resume from checkpoint-8."""
    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path)})
    ckpts = train.checkpoints_dir(cfg)
    for step in (4, 8):
        folder = ckpts / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        for name in ("trainer_state.json", "optimizer.pt", "adapter_model.safetensors"):
            (folder / name).write_text("x")
    (ckpts / "checkpoint-12").mkdir()  # empty, as a kill mid-save leaves it
    (ckpts / "checkpoint-16").mkdir()
    (ckpts / "checkpoint-16" / "adapter_model.safetensors").write_text("x")  # weights, no optimizer yet
    (ckpts / "run_fingerprint.json").write_text('{"fingerprint": "abc"}')
    assert train.last_checkpoint(cfg, "abc") == str(ckpts / "checkpoint-8")
    assert train.last_checkpoint(cfg, "other settings") is None
    assert train.last_checkpoint(load_config("tiny", {"TMP_DIR": str(tmp_path), "RESTART_TRAINING": True}), "abc") is None


def test_adapter_config_lists_modules_in_one_order(tmp_path):
    """peft saves target_modules from a set: its order would follow the process's hash seed."""
    write_json(tmp_path / "adapter_config.json", {"r": 8, "target_modules": ["v_proj", "q_proj", "down_proj"],
                                                  "modules_to_save": None})
    train.sort_adapter_config(tmp_path)
    saved = json.loads((tmp_path / "adapter_config.json").read_text())
    assert saved["target_modules"] == ["down_proj", "q_proj", "v_proj"] and saved["modules_to_save"] is None
