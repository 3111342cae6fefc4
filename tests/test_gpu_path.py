"""The GPU path's fixes that a CPU can check: the merge is published only when complete and compared
with the trained model, Step 0 checks big models without generating, amp never falls back to the
CPU, backends fall back when a package fails to import, and vLLM (a fake one here) gets training's
token ids, all pending prompts at once, and an explicit shutdown with a wait for memory.
"""

import sys
import types

import pytest

from Config.Config import load_config
from utils import inference, install, models, train
from utils.chat import render_prompt, tokenize_example
from utils.files import publish_folder, write_json
from utils.runtime import Runtime, prepare
from utils.tasks import build_prompt

GPU = Runtime(device="cuda", dtype_name="bfloat16")  # what prepare() returns on a GPU; nothing runs on it


def _records(n):
    return [{"id": f"vendor-{i:03d}", "type": "vendor", "Prompt": build_prompt(f"Kudu tablet server {i} is down.", "vendor",
                                                                             style="compact"),
             "Completion": "1. 1\n2. 2"} for i in range(n)]


# ------------------------------------------------------------------------------ merging (Step 2)
@pytest.fixture
def trained(tiny_folder, tmp_path):
    """The tiny student with a LoRA adapter whose weights are not zero (as after training), saved."""
    import torch

    cfg = load_config("tiny", {"TMP_DIR": str(tmp_path / "tmp"), "DATA_DIR": str(tmp_path / "data"), "DTYPE": "float32"})
    write_json(cfg.data_dir / train.TRAIN_FILE, [{"Prompt": r["Prompt"], "Completion": r["Completion"]} for r in _records(20)])
    runtime = prepare(cfg)
    model, tok = train.load_student_with_lora(cfg, runtime, "hf")
    torch.manual_seed(0)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.05)
    data = train.load_training_data(cfg, tok)
    adapter = train.adapter_dir(cfg)
    model.save_pretrained(adapter)
    return cfg, runtime, model, data, adapter


def test_a_merged_folder_is_ready_only_once_published(trained):
    cfg, runtime, model, data, adapter = trained
    partial = train.merge_adapter(cfg, adapter, runtime)
    final = train.merged_dir(cfg)
    assert partial.name.endswith(".partial") and not final.exists()
    assert not models.is_ready(partial), "weights without the marker are an unfinished Step 2"
    with pytest.raises(RuntimeError, match="not complete"):
        publish_folder(partial, final, models.MARKER)
    write_json(partial / models.MARKER, {"source": "merged"})
    assert publish_folder(partial, final, models.MARKER) == final and models.is_ready(final) and not partial.exists()


def test_a_merged_folder_without_the_marker_is_not_ready(tmp_path, tiny_folder):
    import shutil

    # what an interrupted Step 2 left before this fix: weights renamed into place, no card or marker
    half = tmp_path / "merged_AllComments_Clean_Train_r8_a16_d0.0"
    shutil.copytree(tiny_folder, half)
    (half / models.MARKER).unlink()
    assert (half / "config.json").exists() and not models.is_ready(half)
    user = tmp_path / "my-own-model"  # a user's folder (no marker) is still accepted
    shutil.copytree(half, user)
    assert models.is_ready(user)


def test_the_merge_check_compares_the_trained_model_with_the_merged_folder(trained):
    import torch

    cfg, runtime, model, data, adapter = trained
    partial = train.merge_adapter(cfg, adapter, runtime)
    model.train()
    check = train.compare_merged(cfg, model, partial, data, runtime)
    assert model.training, "the trained model is left in the mode it was in"
    assert check["rows"] == 2 and check["max_abs_logit_diff"] < 1e-3 and check["top1_agreement"] == 1.0
    assert check["answer_loss_trained"] == pytest.approx(check["answer_loss_merged"], abs=1e-4)
    assert check["reference"] == "trained model: base + adapter"

    # a trained model that differs from the merge (as a 4-bit QLoRA base does): the gap is measured
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_A" in name:
                param.mul_(1.5)
    gap = train.compare_merged(cfg, model, partial, data, runtime)
    assert gap["max_abs_logit_diff"] > 100 * check["max_abs_logit_diff"] and gap["top1_agreement"] <= 1.0
    assert gap["answer_loss_trained"] != pytest.approx(gap["answer_loss_merged"], abs=1e-4)


def test_the_merge_check_is_skipped_with_a_reason_when_ram_is_short(trained, monkeypatch):
    cfg, runtime, model, data, adapter = trained
    partial = train.merge_adapter(cfg, adapter, runtime)
    monkeypatch.setattr(train, "available_memory_bytes", lambda: 1_000_000)
    check = train.compare_merged(cfg, model, partial, data, runtime)
    assert set(check) == {"skipped"} and "free RAM" in check["skipped"]


# ------------------------------------------------------------------------------ Step 0 on a CPU
def test_step0_checks_a_model_too_big_for_the_ram_without_generating(tiny_folder, monkeypatch):
    cfg = load_config("tiny")
    full = models.verify_model(tiny_folder, cfg, "student", "tiny")
    assert full["generation_check"] == "passed" and full["sample_reply"] is not None
    monkeypatch.setattr(models, "available_memory_bytes", lambda: 1_000_000)  # 1 MB free
    row = models.verify_model(tiny_folder, cfg, "student", "tiny")
    assert row["generation_check"].startswith("skipped: the model needs") and row["sample_reply"] is None
    assert row["parameters_M"] == full["parameters_M"] and row["chat_template"] is True


def test_step0_of_the_amp_profile_on_a_cpu_does_not_generate(tiny_folder):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    cfg = load_config("amp", {"STUDENT_MODEL": str(tiny_folder)})
    row = models.verify_model(tiny_folder, cfg, "student", "local")
    assert "DEVICE='cuda'" in row["generation_check"] and row["sample_reply"] is None


# ------------------------------------------------------------------------------ no silent CPU fallback
def test_amp_runs_on_cuda_or_stops():
    import torch

    cfg = load_config("amp")
    assert cfg.DEVICE == "cuda"
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            prepare(cfg)


@pytest.mark.parametrize("module, key", [(train, "TRAIN_BACKEND"), (inference, "INFERENCE_BACKEND")])
def test_a_tool_that_fails_to_import_falls_back_with_a_warning(module, key, monkeypatch):
    fast = "unsloth" if module is train else "vllm"
    monkeypatch.setattr(install, "import_problem", lambda name: "ImportError: undefined symbol: _ZN3c10 (another torch)")
    with pytest.warns(RuntimeWarning, match="fails to import"):
        assert module.select_backend(load_config("tiny", {key: "auto"}), GPU) == "hf"
    with pytest.raises(RuntimeError, match="undefined symbol"):
        module.select_backend(load_config("tiny", {key: fast}), GPU)
    monkeypatch.setattr(install, "import_problem", lambda name: None)
    assert module.select_backend(load_config("tiny", {key: "auto"}), GPU) == fast
    cpu = Runtime(device="cpu", dtype_name="float32")
    assert module.select_backend(load_config("tiny", {key: "auto"}), cpu) == "hf"


# ------------------------------------------------------------------------------ vLLM, faked
class FakeLLM:
    """Enough of vllm.LLM: records its calls; tokenizes text prompts the way vLLM does by default
    (add_special_tokens=True) and runs token prompts as given."""

    instances: list = []

    def __init__(self, model, **kwargs):
        from transformers import AutoTokenizer

        self.kwargs, self.calls, self.shut = kwargs, [], False
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.llm_engine = types.SimpleNamespace(engine_core=types.SimpleNamespace(shutdown=self._shutdown))
        FakeLLM.instances.append(self)

    def _shutdown(self):
        self.shut = True

    def generate(self, prompts, params, use_tqdm=True):
        self.calls.append(prompts)
        outs = []
        for p in prompts:
            ids = p["prompt_token_ids"] if isinstance(p, dict) else self.tokenizer(p)["input_ids"]
            outs.append(types.SimpleNamespace(prompt_token_ids=list(ids),
                                              outputs=[types.SimpleNamespace(text="1. 1", token_ids=[16, 30])]))
        return outs


@pytest.fixture
def fake_vllm(monkeypatch):
    module = types.ModuleType("vllm")
    module.LLM = FakeLLM
    module.SamplingParams = lambda **kw: types.SimpleNamespace(**kw)
    monkeypatch.setitem(sys.modules, "vllm", module)
    monkeypatch.setattr(inference, "gpu_memory", lambda: (70 * 2**30, 80 * 2**30))
    FakeLLM.instances.clear()
    return FakeLLM


def _vllm_engine(tiny_folder, tmp_path, **extra):
    cfg = load_config("tiny", {"INFERENCE_BACKEND": "vllm", "RESULTS_DIR": str(tmp_path), "GEN_BATCH_SIZE": 4} | extra)
    engine = inference.Engine(tiny_folder, cfg, 8, runtime=GPU)
    assert engine.backend == "vllm"
    return cfg, engine


def test_vllm_gets_the_token_ids_training_uses(tiny_folder, tmp_path, fake_vllm):
    from tokenizers.processors import TemplateProcessing

    cfg, engine = _vllm_engine(tiny_folder, tmp_path)
    assert fake_vllm.instances[0].kwargs["gpu_memory_utilization"] == cfg.VLLM_GPU_MEMORY_UTILIZATION == 0.80
    tok = engine.tokenizer
    # a tokenizer that adds a BOS, as Llama 3.1's does, while its chat template writes one already
    bos = tok.convert_tokens_to_ids("<|im_start|>")
    tok._tokenizer.post_processor = TemplateProcessing(single="<|im_start|> $A", special_tokens=[("<|im_start|>", bos)])
    record = _records(1)[0]
    example = tokenize_example(tok, record["Prompt"], record["Completion"], cfg.system_prompt)
    trained = example["input_ids"][: example["prompt_tokens"]]
    text = render_prompt(tok, record["Prompt"], cfg.system_prompt)
    assert tok(text)["input_ids"] == [bos] + trained, "the check can fail: text prompts get a second BOS"
    engine.generate([text])
    (sent,) = fake_vllm.instances[0].calls[-1]
    assert sent == {"prompt_token_ids": trained}

    # a vLLM that changes the prompt's tokens anyway is caught, not scored
    fake_vllm.instances[0].generate = lambda prompts, params, use_tqdm=True: [
        types.SimpleNamespace(prompt_token_ids=[bos] + p["prompt_token_ids"], outputs=[]) for p in prompts]
    with pytest.raises(RuntimeError, match="other tokens"):
        engine.generate([text])


def test_vllm_answers_every_pending_prompt_in_one_call(tiny_folder, tmp_path, fake_vllm):
    cfg, engine = _vllm_engine(tiny_folder, tmp_path)
    rows = inference.generate_answers(cfg, engine, "base", _records(10), "vendor", progress=False)
    assert [len(call) for call in fake_vllm.instances[0].calls] == [10], "GEN_BATCH_SIZE=4 is for transformers"
    assert len(rows) == 10 and all(r["batch_size"] == 10 for r in rows)
    judge = inference.chat_generate_fn(engine, batch_size=4)
    replies = judge([[{"role": "user", "content": f"question {i}"}] for i in range(9)])
    assert len(replies) == 9 and len(fake_vllm.instances[0].calls[-1]) == 9
    _, small = _vllm_engine(tiny_folder, tmp_path / "small", VLLM_BATCH_PROMPTS=3)
    inference.generate_answers(small.cfg, small, "base", _records(7), "vendor", progress=False)
    assert [len(call) for call in fake_vllm.instances[-1].calls] == [3, 3, 1]


def test_closing_a_vllm_engine_shuts_it_down_and_waits_for_memory(tiny_folder, tmp_path, fake_vllm, monkeypatch, capsys):
    import torch

    cfg, engine = _vllm_engine(tiny_folder, tmp_path, VLLM_GPU_MEMORY_UTILIZATION=0.5)
    llm = fake_vllm.instances[0]
    free = iter([10, 20, 30, 45, 60])  # GiB free of 80 while the engine's process exits
    monkeypatch.setattr(inference, "gpu_memory", lambda: (next(free) * 2**30, 80 * 2**30))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    monkeypatch.setattr(inference.time, "sleep", lambda s: None)
    engine.close()
    assert llm.shut and not hasattr(engine, "llm")
    assert "engine_core.shutdown" in capsys.readouterr().out and next(free) == 60, "waited until 40 GiB were free"


def test_a_new_vllm_engine_says_what_to_do_when_memory_stays_taken(monkeypatch):
    monkeypatch.setattr(inference, "gpu_memory", lambda: (20 * 2**30, 80 * 2**30))
    with pytest.raises(RuntimeError, match="VLLM_GPU_MEMORY_UTILIZATION=0.8.*nvidia-smi"):
        inference.wait_for_gpu_memory(0.8, timeout_s=0.05, poll_s=0.01)
    free, total = inference.wait_for_gpu_memory(0.8, timeout_s=0.05, poll_s=0.01, raise_on_timeout=False)
    assert (free, total) == (20 * 2**30, 80 * 2**30)
    assert inference.wait_for_gpu_memory(0.2, timeout_s=0) == (20 * 2**30, 80 * 2**30)
