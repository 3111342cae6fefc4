"""The checks that need the machine or the model: Steps 2 and 3 stop before any work, naming the
setting and what this machine or model has (utils.runtime.check_machine, check_target_modules).

CUDA is faked either way with monkeypatch, so these run the same on a CPU-only machine and on a GPU.
"""

import pytest

from Config.Config import load_config
from utils import inference, install, train
from utils.runtime import Runtime, SetupCheckError, check_machine, check_target_modules


@pytest.fixture
def no_gpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def a_gpu(monkeypatch):
    """torch says there is a GPU (nothing runs on it) and every GPU package imports."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(install, "import_problem", lambda module: None)


def _never(*args, **kwargs):
    raise AssertionError("the step started work before checking the machine")


@pytest.mark.parametrize("step", ["train", "inference"])
def test_device_auto_runs_on_a_cpu(no_gpu, step):
    check_machine(load_config("tiny"), step)  # the tiny profile's DEVICE is "auto"
    check_machine(load_config("tiny", {"DEVICE": "cpu"}), step)


@pytest.mark.parametrize("step, key, value, setting", [
    ("train", "DEVICE", "cuda", "DEVICE='cuda'"),
    ("inference", "DEVICE", "cuda", "DEVICE='cuda'"),
    ("train", "LOAD_IN_4BIT", "true", "LOAD_IN_4BIT=True"),
    ("train", "TRAIN_BACKEND", "unsloth", "TRAIN_BACKEND='unsloth'"),
    ("inference", "INFERENCE_BACKEND", "vllm", "INFERENCE_BACKEND='vllm'"),
])
def test_gpu_settings_stop_on_a_machine_without_cuda(no_gpu, step, key, value, setting):
    with pytest.raises(SetupCheckError) as err:
        check_machine(load_config("tiny", {key: value}), step)
    message = str(err.value)
    assert setting in message and "needs a CUDA GPU" in message
    assert "this machine has no CUDA GPU, torch " in message and "CPU cores" in message  # what it has


def test_settings_a_step_does_not_use_are_not_checked(no_gpu):
    check_machine(load_config("tiny", {"LOAD_IN_4BIT": "true", "TRAIN_BACKEND": "unsloth"}), "inference")
    check_machine(load_config("tiny", {"INFERENCE_BACKEND": "vllm"}), "train")


def test_every_machine_problem_is_in_one_message(no_gpu):
    cfg = load_config("tiny", {"DEVICE": "cuda", "LOAD_IN_4BIT": "true", "TRAIN_BACKEND": "unsloth"})
    with pytest.raises(SetupCheckError, match="Step 2 \\(training\\) cannot run these settings here") as err:
        check_machine(cfg, "train")
    assert all(s in str(err.value) for s in ("DEVICE='cuda'", "LOAD_IN_4BIT=True", "TRAIN_BACKEND='unsloth'"))


def test_on_a_gpu_machine_device_cpu_still_refuses_gpu_only_settings(a_gpu):
    check_machine(load_config("tiny", {"DEVICE": "cuda", "LOAD_IN_4BIT": "true", "TRAIN_BACKEND": "unsloth"}), "train")
    with pytest.raises(SetupCheckError, match="LOAD_IN_4BIT=True needs a CUDA GPU, but DEVICE='cpu' keeps this run"):
        check_machine(load_config("tiny", {"DEVICE": "cpu", "LOAD_IN_4BIT": "true"}), "train")


def test_on_a_gpu_a_package_that_does_not_import_is_named(a_gpu, monkeypatch):
    monkeypatch.setattr(install, "import_problem", lambda module: "not installed")
    with pytest.raises(SetupCheckError, match="needs bitsandbytes, which does not import here \\(not installed\\)"):
        check_machine(load_config("tiny", {"LOAD_IN_4BIT": "true"}), "train")
    with pytest.raises(SetupCheckError, match="INFERENCE_BACKEND='vllm' needs vllm"):
        check_machine(load_config("tiny", {"INFERENCE_BACKEND": "vllm"}), "inference")


def test_a_runtime_given_by_the_caller_decides_the_device(no_gpu, monkeypatch):
    monkeypatch.setattr(install, "import_problem", lambda module: None)
    cfg = load_config("tiny", {"INFERENCE_BACKEND": "vllm"})
    check_machine(cfg, "inference", Runtime(device="cuda", dtype_name="bfloat16"))
    with pytest.raises(SetupCheckError):
        check_machine(cfg, "inference", Runtime(device="cpu", dtype_name="float32"))


def test_training_stops_before_any_work(no_gpu, monkeypatch, tmp_path):
    monkeypatch.setattr(train, "prepare", _never)
    monkeypatch.setattr(train, "load_student_with_lora", _never)
    cfg = load_config("tiny", {"LOAD_IN_4BIT": "true", "TMP_DIR": str(tmp_path)})
    with pytest.raises(SetupCheckError, match="LOAD_IN_4BIT=True needs a CUDA GPU"):
        train.train(cfg)
    assert not any(tmp_path.iterdir()), "nothing was written"


def test_inference_stops_before_loading_anything(no_gpu, monkeypatch, tmp_path):
    monkeypatch.setattr(inference, "load_tokenizer", _never)
    monkeypatch.setattr(inference, "load_model", _never)
    cfg = load_config("tiny", {"INFERENCE_BACKEND": "vllm"})
    with pytest.raises(SetupCheckError, match="INFERENCE_BACKEND='vllm' needs a CUDA GPU"):
        inference.Engine(tmp_path / "no-model-here", cfg, max_new_tokens=8)


# ------------------------------------------------------------------------------ LoRA target modules
@pytest.fixture(scope="module")
def tiny_model(tiny_folder):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_folder)


@pytest.mark.parametrize("targets", ["all-linear", "q_proj,v_proj", " q_proj , down_proj ", "self_attn.q_proj",
                                     "lm_head"])
def test_target_modules_the_student_has_pass(tiny_model, targets):
    check_target_modules(tiny_model, load_config("tiny", {"LORA_TARGET_MODULES": targets}))


@pytest.mark.parametrize("targets, missing", [
    ("foo_proj", "'foo_proj'"),
    ("q_proj,foo_proj,bar", "'foo_proj', 'bar'"),
    ("layers", "'layers'"),  # a module, but a container of layers: LoRA cannot adapt it
    ("mlp.q_proj", "'mlp.q_proj'"),  # q_proj lives under self_attn
])
def test_target_modules_the_student_lacks_are_named_with_those_it_has(tiny_model, targets, missing):
    with pytest.raises(SetupCheckError) as err:
        check_target_modules(tiny_model, load_config("tiny", {"LORA_TARGET_MODULES": targets}))
    message = str(err.value)
    assert f"LORA_TARGET_MODULES names {missing}, which the student" in message
    assert "Its linear modules are: down_proj, gate_proj, k_proj, lm_head, o_proj, q_proj, up_proj, v_proj." in message


def test_training_checks_target_modules_when_it_loads_the_student(tiny_folder, monkeypatch, tmp_path):
    monkeypatch.setattr(train, "load_training_data", _never)
    cfg = load_config("tiny", {"LORA_TARGET_MODULES": "foo_proj", "TMP_DIR": str(tmp_path), "DTYPE": "float32"})
    with pytest.raises(SetupCheckError, match="LORA_TARGET_MODULES names 'foo_proj'.*q_proj"):
        train.train(cfg)


# ------------------------------------------------------------------------------ on a real GPU
@pytest.mark.gpu
def test_a_real_gpu_passes_the_gpu_settings():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    check_machine(load_config("tiny", {"DEVICE": "cuda", "TRAIN_BACKEND": "hf"}), "train")
    check_machine(load_config("tiny", {"DEVICE": "cuda", "INFERENCE_BACKEND": "hf"}), "inference")
