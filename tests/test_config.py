"""Config: profiles, overrides from strings, and errors that list the valid choices."""

import pytest

from Config.Config import ConfigError, load_config, parse_set_args, public_url, resolve_profile


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
