"""Config: profiles, overrides from strings, and errors that list the valid choices."""

import time

import pytest

from Config.Config import (LR_SCHEDULERS, PROFILE_NAMES, ConfigError, load_config, parse_set_args, public_url,
                           resolve_profile)


def test_profiles_differ_from_defaults_only_where_declared():
    tiny, demo, amp = load_config("tiny"), load_config("demo"), load_config("amp")
    assert (tiny.STUDENT_MODEL, demo.STUDENT_MODEL) == ("tiny", "embedded:smollm2")
    assert amp.STUDENT_MODEL == "unsloth/Meta-Llama-3.1-8B-Instruct"
    assert amp.JUDGE_MODEL == "microsoft/phi-4" and amp.JUDGE == "llm"
    # the original's LoRA and batch settings
    assert (amp.LORA_R, amp.LORA_ALPHA, amp.LORA_DROPOUT, amp.LEARNING_RATE) == (128, 64, 0.05, 5e-5)
    assert (amp.BATCH_SIZE, amp.GRAD_ACCUM, amp.NUM_EPOCHS) == (1, 8, 1.0)
    assert amp.TRAIN_SIZE == {"vendor": 3500, "customer": 1500} and amp.EVAL_SIZE == 500


def test_auto_profile_follows_cuda_and_env(monkeypatch):
    monkeypatch.delenv("KD_PROFILE", raising=False)
    monkeypatch.setattr("Config.Config._cuda_available", lambda: False)
    assert resolve_profile(None) == "demo"
    monkeypatch.setattr("Config.Config._cuda_available", lambda: True)
    assert resolve_profile("auto") == "amp"
    monkeypatch.setenv("KD_PROFILE", "tiny")
    assert load_config().PROFILE == "tiny"


def test_string_overrides_are_converted_to_field_types():
    cfg = load_config("tiny", parse_set_args([
        "seed=7", "SCORE_THRESHOLD=None", "LEARNING_RATE=2e-4", "SCRUB_PII=true",
        "TRAIN_SIZE=10", 'EXPECTED_WIN_RATE=[0.5, 1.0]', "LORA_TARGET_MODULES=q_proj,v_proj",
    ]))
    assert cfg.SEED == 7 and cfg.SCORE_THRESHOLD is None and cfg.LEARNING_RATE == 2e-4
    assert cfg.SCRUB_PII is True and cfg.TRAIN_SIZE == {"vendor": 10, "customer": 10}
    assert cfg.EXPECTED_WIN_RATE == (0.5, 1.0) and cfg.LORA_TARGET_MODULES == "q_proj,v_proj"


@pytest.mark.parametrize("overrides, expected", [
    ({"SEDD": 1}, "Did you mean SEED"),
    ({"DTYPE": "fp8"}, "one of 'auto', 'bfloat16', 'float16', 'float32'"),
    ({"LORA_R": "many"}, "Bad value for LORA_R"),
    ({"GRADIENT_CHECKPOINTING": "maybe"}, "expected true or false"),
    ({"DEV_FRACTION": 1.5}, "DEV_FRACTION must be between 0 and 1"),
    ({"TRAIN_SIZE": {"vendr": 3}}, "valid keys: 'vendor', 'customer'"),
    ({"JUDGE_ENDPOINT_URL": "http://127.0.0.1:1/v1"}, "also set JUDGE_ENDPOINT_MODEL"),
])
def test_bad_values_say_what_is_valid(overrides, expected):
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_config("tiny", overrides)


def test_unknown_profile_lists_profiles():
    with pytest.raises(ConfigError, match="Valid profiles: auto, tiny, demo, amp"):
        load_config("huge")


def test_set_requires_key_value():
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_set_args(["SEED"])


def test_config_round_trips_to_json_without_secrets(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    data = load_config("demo").to_dict()
    assert "hf_secret_value" not in repr(data)
    assert data["HF_TOKEN_ENV"] == "HF_TOKEN"


def test_urls_are_saved_without_credentials():
    cfg = load_config("tiny", {"JUDGE_ENDPOINT_URL": "https://ops:pw@judge.example.com:8443/v1?api_key=k#x",
                               "JUDGE_ENDPOINT_MODEL": "phi-4",
                               "MLFLOW_TRACKING_URI": "https://tok@mlflow.example.com/api?token=t"})
    data = cfg.to_dict()
    assert data["JUDGE_ENDPOINT_URL"] == "https://judge.example.com:8443/v1"
    assert data["MLFLOW_TRACKING_URI"] == "https://mlflow.example.com/api"
    assert cfg.JUDGE_ENDPOINT_URL.startswith("https://ops:pw@")  # the run itself still uses it
    assert [public_url(u) for u in ("file:///tmp/mlruns", "mlruns", None)] == ["file:///tmp/mlruns", "mlruns", None]


def test_judge_endpoint_comes_from_the_environment_and_overrides_win(monkeypatch):
    monkeypatch.setenv("JUDGE_ENDPOINT_URL", "http://judge.local:8000/v1")
    monkeypatch.setenv("JUDGE_ENDPOINT_MODEL", "phi-4")
    cfg = load_config("amp")
    assert (cfg.JUDGE_ENDPOINT_URL, cfg.JUDGE_ENDPOINT_MODEL) == ("http://judge.local:8000/v1", "phi-4")
    assert load_config("amp", {"JUDGE_ENDPOINT_URL": "None"}).JUDGE_ENDPOINT_URL is None
    # an AMP launch form leaves unused variables empty: empty means unset
    monkeypatch.setenv("JUDGE_ENDPOINT_URL", "")
    monkeypatch.setenv("JUDGE_ENDPOINT_MODEL", " ")
    assert load_config("amp").JUDGE_ENDPOINT_URL is None and load_config("amp").JUDGE_ENDPOINT_MODEL is None


# ------------------------------------------------------------------------------ refused when built
# Every setting below is passed as a string, the way `--set KEY=VALUE` passes it; the message must
# name the setting and what it may be.
BAD_SETTINGS = [
    ("LEARNING_RATE", "1e9", "LEARNING_RATE must be a finite number in (0, 1]"),
    ("LEARNING_RATE", "nan", "LEARNING_RATE must be a finite number in (0, 1]"),
    ("LEARNING_RATE", "inf", "LEARNING_RATE must be a finite number in (0, 1]"),
    ("LEARNING_RATE", "0", "LEARNING_RATE must be a finite number in (0, 1]"),
    ("NUM_EPOCHS", "0", "NUM_EPOCHS must be a finite number > 0 (to train a fixed number of steps instead, "
                        "set MAX_STEPS > 0"),
    ("NUM_EPOCHS", "-2", "NUM_EPOCHS must be a finite number > 0"),
    ("NUM_EPOCHS", "inf", "NUM_EPOCHS must be a finite number > 0"),
    ("MAX_STEPS", "0", "MAX_STEPS must be -1 (train NUM_EPOCHS) or at least 1"),
    ("MAX_STEPS", "-5", "MAX_STEPS must be -1 (train NUM_EPOCHS) or at least 1"),
    ("WARMUP_RATIO", "5", "WARMUP_RATIO must be in [0, 1)"),
    ("WARMUP_RATIO", "-0.1", "WARMUP_RATIO must be in [0, 1)"),
    ("EVAL_LIMIT", "0", "EVAL_LIMIT must be None (every evaluation comment) or at least 1"),
    ("EVAL_LIMIT", "-1", "EVAL_LIMIT must be None (every evaluation comment) or at least 1"),
    ("OPENVINO_BATCH_PROMPTS", "0", "OPENVINO_BATCH_PROMPTS must be at least 1, not 0"),
    ("LR_SCHEDULER", "bogus", "LR_SCHEDULER must be one of transformers' schedulers (linear, cosine, "),
    ("LR_SCHEDULER", "Cosine", "LR_SCHEDULER must be one of transformers' schedulers ("),
    ("LORA_TARGET_MODULES", "q_proj v_proj", "LORA_TARGET_MODULES must be 'all-linear' or a comma list"),
    ("LORA_TARGET_MODULES", "q_proj,", "LORA_TARGET_MODULES must be 'all-linear' or a comma list"),
    ("LORA_TARGET_MODULES", "q-proj", "LORA_TARGET_MODULES must be 'all-linear' or a comma list"),
    ("LORA_TARGET_MODULES", "all-linear,q_proj", "LORA_TARGET_MODULES must be 'all-linear' or a comma list"),
    ("TORCH_THREADS", "-4", "TORCH_THREADS must be None (all cores) or at least 1"),
    ("TORCH_THREADS", "0", "TORCH_THREADS must be None (all cores) or at least 1"),
    ("APP_PORT", "99999", "APP_PORT must be a TCP port in 1-65535"),
    ("APP_PORT", "0", "APP_PORT must be a TCP port in 1-65535"),
    ("MIN_FREE_DISK_FACTOR", "-1", "MIN_FREE_DISK_FACTOR must be a finite number >= 1.0"),
    ("MIN_FREE_DISK_FACTOR", "0.5", "MIN_FREE_DISK_FACTOR must be a finite number >= 1.0"),
    ("SAVE_TOTAL_LIMIT", "0", "SAVE_TOTAL_LIMIT must be at least 1"),
    ("JUDGE", "llm", "JUDGE='llm' needs a judge: set JUDGE_MODEL (a local model) or JUDGE_ENDPOINT_URL"),
    # the default VENDOR_SDS_FILE is Data/VendorComments.json: same stem, another folder
    ("CUSTOMER_SDS_FILE", "Data/other/VendorComments.json",
     "VENDOR_SDS_FILE (Data/VendorComments.json) and CUSTOMER_SDS_FILE (Data/other/VendorComments.json) must "
     "have different file names: both are 'VendorComments'"),
    ("GEN_BATCH_SIZE", "-1", "GEN_BATCH_SIZE must be at least 1"),
    ("GEN_MAX_NEW_TOKENS", "0", "GEN_MAX_NEW_TOKENS must be at least 1"),
    ("JUDGE_BATCH_SIZE", "-3", "JUDGE_BATCH_SIZE must be at least 1"),
    ("BOOTSTRAP_SAMPLES", "0", "BOOTSTRAP_SAMPLES must be at least 1"),
    ("MAJORITY_TEXT_SAMPLE", "0", "MAJORITY_TEXT_SAMPLE must be at least 1"),
    ("ROUGE_MARGIN", "1.5", "ROUGE_MARGIN must be in [0, 1]"),
    ("ROUGE_MARGIN", "-0.05", "ROUGE_MARGIN must be in [0, 1]"),
    ("SCORE_THRESHOLD", "6", "SCORE_THRESHOLD must be None or in [0, 5) on SDS's 0-5 score scale"),
    ("SCORE_THRESHOLD", "5", "SCORE_THRESHOLD must be None or in [0, 5)"),  # strictly above 5: keeps nothing
    ("SCORE_THRESHOLD", "-1", "SCORE_THRESHOLD must be None or in [0, 5)"),
    ("SEED", "-1", "SEED must be an integer in [0, 2**32 - 1]"),
    ("EXPECTED_CI_LOW", "2", "EXPECTED_CI_LOW must be in [0, 1]"),
    ("EXPECTED_TEACHER_AGREEMENT", "-0.5", "EXPECTED_TEACHER_AGREEMENT must be in [0, 1]"),
    ("EXPECTED_MEAN_KAPPA", "1.5", "EXPECTED_MEAN_KAPPA must be in [-1, 1]"),
    ("JUDGE_CALIBRATION_ITEMS", "-1", "JUDGE_CALIBRATION_ITEMS must be 0 (no calibration) or more"),
    ("JUDGE_CALIBRATION_MIN", "1.1", "JUDGE_CALIBRATION_MIN must be in [0, 1]"),
    ("LORA_DROPOUT", "nan", "LORA_DROPOUT must be in [0, 1)"),
    ("DEV_FRACTION", "inf", "DEV_FRACTION must be between 0 and 1"),
    ("NEAR_DUP_THRESHOLD", "nan", "NEAR_DUP_THRESHOLD must be in (0, 1]"),
]


@pytest.mark.parametrize("key, value, expected", BAD_SETTINGS, ids=[f"{k}={v}" for k, v, _ in BAD_SETTINGS])
def test_a_bad_setting_is_refused_at_once_naming_it_and_its_range(key, value, expected):
    start = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        load_config("tiny", {key: value})
    elapsed = time.perf_counter() - start
    message = str(err.value)
    assert key in message and expected in message, message
    assert elapsed < 0.5, f"refusing {key}={value} took {elapsed:.2f} s: the Config must not load anything"


def test_every_problem_is_reported_in_one_message():
    with pytest.raises(ConfigError) as err:
        load_config("tiny", {"LEARNING_RATE": "nan", "APP_PORT": "99999", "LR_SCHEDULER": "bogus", "JUDGE": "llm"})
    message = str(err.value)
    assert message.startswith("Invalid configuration:")
    for key in ("LEARNING_RATE", "APP_PORT", "LR_SCHEDULER", "JUDGE='llm'"):
        assert key in message


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_profile_loads_with_its_defaults(profile):
    cfg = load_config(profile)
    assert cfg.PROFILE == profile and cfg.to_dict()["PROFILE"] == profile


@pytest.mark.parametrize("overrides", [
    {"LEARNING_RATE": "1"}, {"WARMUP_RATIO": "0"}, {"NUM_EPOCHS": "0.5"}, {"MAX_STEPS": "-1"},
    {"MAX_STEPS": "3"}, {"EVAL_LIMIT": "None"}, {"EVAL_LIMIT": "1"}, {"TORCH_THREADS": "None"},
    {"TORCH_THREADS": "1"}, {"APP_PORT": "1"}, {"APP_PORT": "65535"}, {"MIN_FREE_DISK_FACTOR": "1"},
    {"SAVE_TOTAL_LIMIT": "1"}, {"SCORE_THRESHOLD": "None"}, {"SCORE_THRESHOLD": "0"}, {"ROUGE_MARGIN": "0"},
    {"LORA_TARGET_MODULES": "all-linear"}, {"LORA_TARGET_MODULES": "q_proj, v_proj"},
    {"LORA_TARGET_MODULES": "self_attn.q_proj,mlp.down_proj"}, {"LR_SCHEDULER": "cosine_with_min_lr"},
    {"JUDGE_CALIBRATION_ITEMS": "0"}, {"SEED": "0"}, {"EXPECTED_MEAN_KAPPA": "-1"},
    {"JUDGE": "llm", "JUDGE_MODEL": "microsoft/phi-4"},
    {"JUDGE": "llm", "JUDGE_ENDPOINT_URL": "http://judge.local/v1", "JUDGE_ENDPOINT_MODEL": "phi-4"},
    # one comment type: the other type's file is not read, so its name cannot collide
    {"COMMENT_TYPES": '["vendor"]', "CUSTOMER_SDS_FILE": "Data/other/VendorComments.json"},
])
def test_values_at_the_edges_of_their_ranges_are_accepted(overrides):
    load_config("tiny", overrides)


def test_lr_scheduler_names_are_transformers_scheduler_types():
    from transformers import SchedulerType

    assert set(LR_SCHEDULERS) == {s.value for s in SchedulerType}
    assert len(LR_SCHEDULERS) == len(set(LR_SCHEDULERS))
