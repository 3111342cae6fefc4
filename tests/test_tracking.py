"""MLflow tracking: Steps 2 and 3 land in one run of a temporary file store, and nothing secret does."""

import os
import warnings

import pytest

from Config.Config import load_config
from utils import tracking
from utils.files import write_json
from utils.metrics import compute_metrics
from utils.report import write_results
from utils.tasks import TASKS

pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

SECRETS = ("hf_do_not_log_me", "judge-key-do-not-log", "s3cret-password", "query-token-123")


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    monkeypatch.delenv(tracking.RUN_ID_ENV, raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.setenv("HF_TOKEN", SECRETS[0])
    monkeypatch.setenv("JUDGE_API_KEY", SECRETS[1])
    return load_config("tiny", {
        "MLFLOW_TRACKING": True, "MLFLOW_TRACKING_URI": (tmp_path / "mlruns").as_uri(),
        "RESULTS_DIR": str(tmp_path / "results"), "DATA_DIR": str(tmp_path / "Data"),
        "JUDGE_ENDPOINT_URL": f"http://user:{SECRETS[2]}@judge.local:8000/v1?token={SECRETS[3]}",
        "JUDGE_ENDPOINT_MODEL": "phi-4",
    })


def training_card(cfg):
    history = [{"step": 2, "loss": 3.1}, {"step": 4, "loss": 2.5, }, {"step": 4, "eval_loss": 2.7}]
    return {"run": "r8", "first_dev_loss": 3.5, "final_dev_loss": 2.7, "dev_loss_ratio": 0.77,
            "optimizer_steps": 4, "wall_seconds": 12.5, "tokens_per_second": 900.0,
            "trainable_parameters": {"trainable": 1000, "total": 3_000_000, "share": 0.0003},
            "log_history": history, "config": cfg.to_dict()}


def evaluation_results(cfg):
    teacher = {1: 1, 2: 2, 11: "broker restarts after the keystore fix"}
    answers = [{"type": "vendor", "id": i, "comment": f"comment {i}", "teacher": teacher,
                "base": {1: 0, 2: None, 11: "other"}, "finetuned": dict(teacher)} for i in range(3)]
    verdicts = [{"id": i, "type": "vendor", "question": q, "judge": "reference", "verdict": v,
                 "unparsed": False} for i in range(3) for q, v in ((1, "win"), (2, "tie"), (11, "win"))]
    metrics = compute_metrics(verdicts, answers, TASKS, n_boot=50, seed=0)
    return write_results(cfg, metrics, verdicts, answers, extra={"speed": {"base": {"vendor": {"tokens_per_s": 5.0}}}})


def test_steps_2_and_3_share_the_pipeline_run(cfg, tmp_path):
    write_json(cfg.data_dir / "data_card.json", {"split": {"vendor": {"train": 10}}, "config": cfg.to_dict()})
    run_id = tracking.start_pipeline_run(cfg, tmp_path / "runs" / "20261122-demo", steps=[0, 1, 2, 3])
    assert run_id and os.environ[tracking.RUN_ID_ENV] == run_id

    assert tracking.log_training(cfg, training_card(cfg)) == run_id
    assert tracking.log_evaluation(cfg, evaluation_results(cfg)) == run_id
    tracking.end_pipeline_run(cfg, run_id, "FINISHED")
    assert tracking.RUN_ID_ENV not in os.environ

    client = MlflowClient(tracking_uri=cfg.MLFLOW_TRACKING_URI)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "20261122-demo"
    params, metrics = run.data.params, run.data.metrics
    assert params["LORA_R"] == "8" and params["PROFILE"] == "tiny"
    assert params["JUDGE_ENDPOINT_URL"] == "http://judge.local:8000/v1"  # no user, password or query
    assert metrics["train/final_dev_loss"] == 2.7 and metrics["train/trainable_parameters"] == 1000
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "train/loss")] == [(2, 3.1), (4, 2.5)]
    assert metrics["eval/adjusted_win_rate"] == pytest.approx(5 / 6)  # 6 wins, 3 ties of 9
    assert metrics["eval/n"] == 9 and metrics["eval/vendor/q02_severity/adjusted_win_rate"] == 0.5
    assert metrics["eval/speed/base/vendor/tokens_per_s"] == 5.0 and "eval/check_passed" in metrics
    assert run.data.tags["kd.profile"] == "tiny" and run.data.tags["kd.check"] in ("PASS", "FAIL")

    artifacts = {a.path for folder in ("", "data", "training", "evaluation", "evaluation/plots")
                 for a in client.list_artifacts(run_id, folder or None)}
    assert {"data/data_card.json", "training/training_card.json", "evaluation/metrics.json",
            "evaluation/per_question.csv", "evaluation/plots/win_rates.png"} <= artifacts

    stored = "".join(p.read_text(errors="ignore") for p in (tmp_path / "mlruns").rglob("*") if p.is_file())
    for secret in SECRETS:
        assert secret not in stored, f"{secret!r} reached the tracking store"


def test_a_notebook_run_alone_gets_its_own_finished_run(cfg):
    run_id = tracking.log_training(cfg, training_card(cfg))
    run = MlflowClient(tracking_uri=cfg.MLFLOW_TRACKING_URI).get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name.startswith("step2-tiny-")
    assert tracking.RUN_ID_ENV not in os.environ


def test_a_changed_setting_in_step_3_is_kept_beside_the_first(cfg):
    run_id = tracking.start_pipeline_run(cfg, cfg.tmp_dir / "run", steps=[2, 3])
    tracking.log_training(cfg, training_card(cfg))
    changed = load_config("tiny", {**{k: getattr(cfg, k) for k in (
        "MLFLOW_TRACKING", "MLFLOW_TRACKING_URI", "RESULTS_DIR", "DATA_DIR", "JUDGE_ENDPOINT_URL",
        "JUDGE_ENDPOINT_MODEL")}, "EVAL_LIMIT": 2})
    tracking.log_evaluation(changed, evaluation_results(changed))
    tracking.end_pipeline_run(cfg, run_id)
    params = MlflowClient(tracking_uri=cfg.MLFLOW_TRACKING_URI).get_run(run_id).data.params
    assert params["EVAL_LIMIT"] == "null" and params["step3.EVAL_LIMIT"] == "2"


def test_tracking_off_or_broken_never_stops_a_step(cfg, tmp_path, capsys):
    off = load_config("tiny", {"MLFLOW_TRACKING": False, "MLFLOW_TRACKING_URI": cfg.MLFLOW_TRACKING_URI})
    assert tracking.log_training(off, training_card(off)) is None
    assert "tracking is off" in capsys.readouterr().out
    assert tracking.start_pipeline_run(off, tmp_path, [2, 3]) is None
    assert tracking.start_pipeline_run(cfg, tmp_path, [0, 1]) is None  # nothing to track
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert tracking.log_evaluation(cfg, tmp_path / "missing" / "metrics.json") is None
    assert any("not logged to MLflow" in str(w.message) for w in caught)


def test_default_store_is_mlruns_under_the_project_unless_the_environment_says(monkeypatch):
    cfg = load_config("tiny")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking.tracking_uri(cfg) == cfg.path("mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://cml-experiments.local")  # as Cloudera AI sets it
    assert tracking.tracking_uri(cfg) == "http://cml-experiments.local"
    assert tracking.tracking_uri(load_config("tiny", {"MLFLOW_TRACKING_URI": "file:///x"})) == "file:///x"
