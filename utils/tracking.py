"""Experiment tracking: Steps 2 and 3 log their settings, numbers and cards to MLflow.

On when Config `MLFLOW_TRACKING` is True and MLflow is installed (`mlflow-skinny` is in
requirements.txt); every call here is cheap and never fatal: a failure prints a warning and the
step goes on. Where the runs go, first found wins:

  1. Config `MLFLOW_TRACKING_URI`,
  2. the `MLFLOW_TRACKING_URI` environment variable (Cloudera AI sets it to the project's
     Experiments),
  3. a local file store, `mlruns/` under the project root. To browse it, install the full `mlflow`
     and run `MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri mlruns`.

One run per pipeline run: `python -m utils.pipeline` creates the run before Step 2 or 3 and hands
its id to the notebooks in the `KD_MLFLOW_RUN_ID` environment variable (their kernels inherit
it); a notebook run on its own starts and finishes a run of its own. What a run holds:

    params     the resolved Config (the endpoint URL without credentials; keys are never Config)
    metrics    train/*: dev loss before and after, speed, memory, loss curves per step
               eval/*:  adjusted win rate with its interval, counts, teacher agreement, per type
               and per question, check_passed (1 or 0), generation speed
    artifacts  data/data_card.json, training/training_card.json, evaluation/metrics.json,
               evaluation/per_question.csv, evaluation/plots/*.png
    tags       kd.profile, kd.student, kd.steps, kd.check (PASS or FAIL)
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from Config.Config import Config, public_settings, public_url
from utils import paths
from utils.files import read_json
from utils.metrics import interval

RUN_ID_ENV = "KD_MLFLOW_RUN_ID"  # set by the pipeline runner for the notebooks it starts
EXPERIMENT = "knowledge-distillation"  # experiment name unless $MLFLOW_EXPERIMENT_NAME is set
TRACKED_STEPS = (2, 3)


def enabled(cfg: Config) -> bool:
    """True when Config asks for tracking and MLflow can be imported."""
    return bool(cfg.MLFLOW_TRACKING) and importlib.util.find_spec("mlflow") is not None


def tracking_uri(cfg: Config) -> str:
    """Config's URI, else $MLFLOW_TRACKING_URI, else a file store in <project>/mlruns."""
    return (cfg.MLFLOW_TRACKING_URI or os.environ.get("MLFLOW_TRACKING_URI", "").strip()
            or paths.mlruns_dir(cfg).as_uri())


# ------------------------------------------------------------------------------ the pipeline's run
def start_pipeline_run(cfg: Config, run_dir: Path, steps: Iterable[int]) -> Optional[str]:
    """Create the one run of a pipeline run and export its id for the notebooks (or None)."""
    steps = list(steps)
    if not enabled(cfg) or not set(steps) & set(TRACKED_STEPS):
        return None
    try:
        client = _client(cfg)
        run_id = _new_run(client, cfg, Path(run_dir).name, steps)
    except Exception as err:  # tracking must never stop the pipeline
        _warn("could not create the pipeline's MLflow run", err)
        return None
    os.environ[RUN_ID_ENV] = run_id
    return run_id


def end_pipeline_run(cfg: Config, run_id: Optional[str], status: str = "FINISHED") -> None:
    """Mark the pipeline's run FINISHED or FAILED and stop exporting its id."""
    if run_id is None:
        return
    if os.environ.get(RUN_ID_ENV) == run_id:
        del os.environ[RUN_ID_ENV]
    try:
        _client(cfg).set_terminated(run_id, status)
    except Exception as err:
        _warn("could not close the MLflow run", err)


# ------------------------------------------------------------------------------ what the steps log
def log_training(cfg: Config, card: Mapping[str, Any], data_card: Optional[Path] = None) -> Optional[str]:
    """Step 2: Config, the training card's numbers and loss curves, both cards. Returns the run id."""
    def log(client, run_id: str) -> None:
        _log_config(client, run_id, cfg, step=2)
        numbers = {k: card.get(k) for k in (
            "first_dev_loss", "final_dev_loss", "dev_loss_ratio", "optimizer_steps", "train_examples",
            "dev_examples", "dropped_too_long", "wall_seconds", "tokens_seen", "tokens_per_second",
            "peak_memory_mb", "merge_max_logit_diff")}
        numbers["trainable_parameters"] = (card.get("trainable_parameters") or {}).get("trainable")
        metrics = _metrics("train/", numbers)
        for h in card.get("log_history") or []:  # the curves, one point per logged step
            if "loss" in h:
                metrics.append(("train/loss", h["loss"], h["step"]))
            if "eval_loss" in h:
                metrics.append(("train/dev_loss", h["eval_loss"], h["step"]))
        _log_metrics(client, run_id, metrics)
        client.log_dict(run_id, _public(card), "training/training_card.json")
        path = data_card or paths.data_card_file(cfg)
        if Path(path).exists():
            client.log_dict(run_id, _public(read_json(path)), "data/data_card.json")

    return _with_run(cfg, 2, log)


def log_evaluation(cfg: Config, metrics_path: Path) -> Optional[str]:
    """Step 3: Config, the headline and per-question numbers, the results files. Returns the run id."""
    def log(client, run_id: str) -> None:
        _log_config(client, run_id, cfg, step=3)
        m = read_json(metrics_path)
        metrics = _metrics("eval/", _block(m["summary"]))
        for ctype, block in (m.get("by_type") or {}).items():
            metrics += _metrics(f"eval/{ctype}/", _block(block))
        for q in m.get("by_question") or []:
            name = f"eval/{q['type']}/q{int(q['question']):02d}_{q['key']}/"
            agree = q.get("teacher_agreement") or {}
            metrics += _metrics(name, {"adjusted_win_rate": q.get("adjusted_win_rate"), "n": q.get("n"),
                                       "teacher_agreement_base": (agree.get("base") or {}).get("agreement"),
                                       "teacher_agreement_finetuned": (agree.get("finetuned") or {}).get("agreement")})
        if m.get("gold"):
            metrics += _metrics("gold/", _block(m["gold"]["summary"]))
        check = m.get("check") or {}
        metrics += _metrics("eval/", {"check_passed": int(bool(check.get("passed")))})
        for model, by_type in (m.get("speed") or {}).items():
            for ctype, s in by_type.items():
                metrics += _metrics(f"eval/speed/{model}/{ctype}/",
                                    {k: s.get(k) for k in ("prompts_per_s", "tokens_per_s", "mean_latency_s")})
        _log_metrics(client, run_id, metrics)
        client.set_tag(run_id, "kd.check", "PASS" if check.get("passed") else "FAIL")
        folder = Path(metrics_path).parent
        client.log_artifact(run_id, str(metrics_path), "evaluation")  # its config holds no credentials
        if (folder / paths.PER_QUESTION_FILE).exists():
            client.log_artifact(run_id, str(folder / paths.PER_QUESTION_FILE), "evaluation")
        if (folder / paths.PLOTS_DIR).is_dir():
            client.log_artifacts(run_id, str(folder / paths.PLOTS_DIR), "evaluation/plots")

    return _with_run(cfg, 3, log)


# ------------------------------------------------------------------------------ internals
def _client(cfg: Config):
    from mlflow.tracking import MlflowClient

    uri = tracking_uri(cfg)
    if uri.startswith("file:"):
        # MLflow 3.7+ refuses its file store unless asked; a file store needs no database package
        # (mlflow-skinny has none) and no server. `mlflow migrate-filestore` moves it to one later.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return MlflowClient(tracking_uri=uri)


def _new_run(client, cfg: Config, name: str, steps: Iterable[int]) -> str:
    experiment_name = os.environ.get("MLFLOW_EXPERIMENT_NAME", "").strip() or EXPERIMENT
    experiment = client.get_experiment_by_name(experiment_name)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(experiment_name)
    tags = {"kd.profile": cfg.PROFILE, "kd.student": cfg.STUDENT_MODEL,
            "kd.steps": ",".join(str(s) for s in steps)}
    return client.create_run(experiment_id, run_name=name, tags=tags).info.run_id


def _with_run(cfg: Config, step: int, log) -> Optional[str]:
    """Log into the pipeline's run when there is one, else into a new run that is then closed."""
    if not enabled(cfg):
        print("MLflow tracking is off (MLFLOW_TRACKING=False or mlflow not installed).")
        return None
    client = run_id = None
    own = not os.environ.get(RUN_ID_ENV)
    try:
        client = _client(cfg)
        run_id = os.environ.get(RUN_ID_ENV) or _new_run(
            client, cfg, f"step{step}-{cfg.PROFILE}-{time.strftime('%Y%m%d-%H%M%S')}", [step])
        log(client, run_id)
        if own:
            client.set_terminated(run_id, "FINISHED")
    except Exception as err:
        _warn(f"Step {step} was not logged to MLflow", err)
        if own and run_id:
            try:
                client.set_terminated(run_id, "FAILED")
            except Exception:
                pass
        return None
    print(f"MLflow: Step {step} logged to run {run_id} at {public_url(tracking_uri(cfg))}")
    return run_id


def _log_config(client, run_id: str, cfg: Config, step: int) -> None:
    """Config values as params. A value that differs from one an earlier step logged (MLflow params
    cannot change) goes in as `step<N>.<KEY>`."""
    from mlflow.entities import Param

    logged = client.get_run(run_id).data.params
    params = []
    for key, value in cfg.to_dict().items():
        text = value if isinstance(value, str) else json.dumps(value)
        if key in logged and logged[key] != text:
            key = f"step{step}.{key}"
        if logged.get(key) != text:
            params.append(Param(key, text[:6000]))
    for start in range(0, len(params), 100):  # MLflow takes at most 100 params a batch
        client.log_batch(run_id, params=params[start:start + 100])


def _block(block: Mapping[str, Any]) -> dict[str, Any]:
    """The headline numbers of a summary or by_type block."""
    ci = interval(block)
    lift = block.get("agreement_lift") or {}
    lift_ci = interval(lift, "ci95")
    out = {**{k: block.get(k) for k in ("adjusted_win_rate", "n", "wins", "ties", "losses", "unparsed",
                                         "comments", "win_rate_excl_ties", "position_consistency")},
           "ci95_low": ci[0], "ci95_high": ci[1], "agreement_lift": lift.get("value"),
           "agreement_lift_ci95_low": lift_ci[0], "agreement_lift_ci95_high": lift_ci[1]}
    for key in ("teacher_agreement", "mean_kappa", "format_compliance"):
        out |= {f"{key}_{m}": v for m, v in (block.get(key) or {}).items()}
    out |= {f"constant_questions_{m}": len(v) for m, v in (block.get("constant_questions") or {}).items()}
    return out


def _metrics(prefix: str, values: Mapping[str, Any]) -> list[tuple[str, float, int]]:
    """(name, value, step 0) for every value that is a number; None and text are left out."""
    return [(prefix + k, float(v), 0) for k, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v]


def _log_metrics(client, run_id: str, metrics: list[tuple[str, float, int]]) -> None:
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    rows = [Metric(k, v, now, s) for k, v, s in metrics]
    for start in range(0, len(rows), 1000):  # MLflow takes at most 1000 metrics a batch
        client.log_batch(run_id, metrics=rows[start:start + 1000])


def _public(card: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a card whose config holds URLs without credentials or query (a card written by
    an older version may still hold them)."""
    out = json.loads(json.dumps(card, default=str))
    config = out.get("config")
    if isinstance(config, dict):
        out["config"] = public_settings(config)
    return out


def _warn(what: str, err: Exception) -> None:
    warnings.warn(f"{what} ({type(err).__name__}: {err}); the step goes on without it.", stacklevel=3)
