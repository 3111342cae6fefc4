"""Headless runner: execute the four notebooks in order with papermill, the way a job or CI does.

    python -m utils.pipeline [--profile tiny|demo|amp|auto] [--steps 0,1,2,3]
                             [--set KEY=VALUE ...] [--run-dir DIR] [--loop]
    python utils/pipeline.py --steps 2       # the same, as a file (the AMP's jobs run it so)
    python -m utils.pipeline --loop          # then more data and Steps 1-3 again until the check passes (utils.loop)

Each step's executed notebook is kept in the run directory (default `runs/<time>-<profile>/`)
beside the resolved `config.json`. The Config is validated before anything runs, so a wrong key
fails in a second. The first failing cell stops the run with its error and a non-zero exit; the
run ends with a summary of steps, seconds and key outputs. When Steps 2 or 3 run and MLflow
tracking is on, one MLflow run is created for the whole invocation; its id reaches the notebooks in
the KD_MLFLOW_RUN_ID environment variable and is saved in config.json (utils.tracking).
"""

from __future__ import annotations

if not __package__:  # run as a file (`python utils/pipeline.py`, as a CML job does): import `utils` from the project root
    import sys as _sys
    from pathlib import Path as _Path

    _sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))

import argparse
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Optional
from unittest import mock

from Config.Config import (ENV_SETTINGS, PROJECT_ROOT, Config, ConfigError, load_config, parse_set_args,
                           public_settings)
from utils import paths, tracking
from utils.files import library_versions, read_json, write_json
from utils.progress import TERMINAL_ENV

NOTEBOOKS = {
    0: "0_Setup_Models.ipynb",
    1: "1_Data_Preparation.ipynb",
    2: "2_Finetune_LoRA.ipynb",
    3: "3_Inference_Evaluation.ipynb",
}


class StepFailed(RuntimeError):
    """A notebook cell raised; the message carries the step, the cell and the error."""


def parse_steps(text: str) -> list[int]:
    try:
        steps = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        raise ConfigError(f"--steps expects numbers such as 0,1,2,3; got {text!r}") from None
    bad = [s for s in steps if s not in NOTEBOOKS]
    if bad or not steps:
        raise ConfigError(f"--steps: valid steps are {', '.join(map(str, NOTEBOOKS))}; got {text!r}")
    return steps


def run_step(step: int, profile: str, overrides: dict[str, Any], run_dir: Path) -> float:
    """Execute one notebook with papermill; raise StepFailed with the failing cell's error.

    An interrupt (Ctrl-C, or SIGTERM: `main` turns it into one) at any moment, even while papermill
    imports, ends as one StepFailed line with the resume hint; the notebook's kernel is stopped
    first, so its last words come before the runner's, not after them."""
    start = time.time()
    try:
        return _execute_step(step, profile, overrides, run_dir, start)
    except KeyboardInterrupt:
        _stop_child_processes()
        raise StepFailed(f"Step {step} ({NOTEBOOKS[step]}) was interrupted after {time.time() - start:.0f} s. "
                         + RESUME_HINT.format(step=step)) from None


def _stop_child_processes(timeout_s: float = 10.0) -> None:
    """Terminate this process's children (the notebook's kernel) and wait for them to exit."""
    try:
        import psutil
    except ImportError:
        return
    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(children, timeout=timeout_s)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def _execute_step(step: int, profile: str, overrides: dict[str, Any], run_dir: Path, start: float) -> float:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    name = NOTEBOOKS[step]
    out = run_dir / name
    # Settings Config also reads from the environment reach the kernel that way: papermill would
    # write them into the executed notebook, and an endpoint URL may carry a password.
    via_env = {k.upper(): str(v) for k, v in overrides.items() if k.upper() in ENV_SETTINGS and v is not None}
    params = {k: v for k, v in overrides.items() if k.upper() not in via_env}
    try:
        # The kernel's prints and (plain-text, utils.progress) bars are forwarded to this terminal.
        with mock.patch.dict(os.environ, via_env | {TERMINAL_ENV: "1"}):  # for this notebook's kernel, then restored
            pm.execute_notebook(
                str(PROJECT_ROOT / name), str(out),
                parameters={"PROFILE": profile, "OVERRIDES": params},
                cwd=str(PROJECT_ROOT), kernel_name="python3", progress_bar={"desc": f"Step {step} {name}"},
                log_output=False, stdout_file=sys.stdout, stderr_file=sys.stderr,
                request_save_on_cell_execute=True,
            )
    except PapermillExecutionError as err:
        trace = "\n".join(err.traceback[-6:]) if err.traceback else ""
        raise StepFailed(
            f"Step {step} ({name}) failed in cell {err.exec_count}: {err.ename}: {err.evalue}\n"
            f"{_strip_ansi(trace)}\nThe executed notebook with all outputs so far: {out}"
        ) from None
    except Exception as err:  # the kernel died (out of memory, killed) or could not start
        raise StepFailed(f"Step {step} ({name}) stopped after {time.time() - start:.0f} s: its kernel died or "
                         f"could not run ({type(err).__name__}: {_strip_ansi(str(err)).strip()[:300]}). "
                         + RESUME_HINT.format(step=step)) from None
    return time.time() - start


RESUME_HINT = ("Run the same command again: what finished is kept, and Step {step} resumes where it stopped "
               "(Step 2 from its last complete checkpoint, Step 3 from the answers and verdicts on disk).")


def key_outputs(cfg: Config, step: int) -> str:
    """A one-line digest of what a step produced, read from the files it wrote."""
    try:
        if step == 0:
            report = read_json(paths.setup_report_file(cfg))
            return "; ".join(f"{m['role']}: {m['source']}" for m in report["models"])
        if step == 1:
            card = read_json(paths.data_card_file(cfg))
            split = card.get("split", {})
            return ", ".join(f"{t}: {v.get('train')} train / {v.get('eval')} eval" for t, v in split.items())
        if step == 2:
            merged = paths.finetuned_dir(cfg)
            card = read_json(paths.training_card_file(merged))
            return (f"{merged.name}: dev loss {card.get('first_dev_loss')} -> "
                    f"{card.get('final_dev_loss')}, {card.get('wall_seconds')} s")
        if step == 3:
            from utils.metrics import interval

            s = read_json(paths.results_file(cfg))["summary"]
            lo, hi = interval(s)
            llo, lhi = (float("nan") if v is None else v for v in interval(s.get("agreement_lift"), "ci95"))
            kappa = (s.get("mean_kappa") or {}).get("finetuned")
            return (f"teacher agreement {s['teacher_agreement'].get('finetuned'):.3f} "
                    f"(majority baseline {s['teacher_agreement'].get('majority', float('nan')):.3f}, lift "
                    f"[{llo:.3f}, {lhi:.3f}]), mean kappa {'n/a' if kappa is None else f'{kappa:.3f}'}; "
                    f"adjusted win rate vs base {s.get('adjusted_win_rate'):.3f} [{lo:.3f}, {hi:.3f}]")
    except Exception as err:  # a digest must never hide the real result
        return f"(no summary: {type(err).__name__})"
    return ""


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.pipeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default=None, help="tiny, demo, amp or auto (default: $KD_PROFILE or auto)")
    parser.add_argument("--steps", default="0,1,2,3", help="comma list of steps to run (default 0,1,2,3)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="override one Config value; repeatable")
    parser.add_argument("--run-dir", default=None, help="where executed notebooks go (default runs/<time>-<profile>)")
    parser.add_argument("--loop", action="store_true",
                        help="then grow the data where the student is weakest and rerun Steps 1-3 until the check "
                             "passes or LOOP_MAX_ROUNDS (utils.loop)")
    args = parser.parse_args(argv)

    try:
        overrides = parse_set_args(args.sets)
        cfg = load_config(args.profile, overrides)
        steps = parse_steps(args.steps)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    run_dir = Path(args.run_dir) if args.run_dir else (
        PROJECT_ROOT / paths.RUNS_DIR / f"{datetime.now():%Y%m%d-%H%M%S}-{cfg.PROFILE}")
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.loop:  # rounds of Steps 1-3, each with its own config.json and MLflow run: utils.loop owns them
        from utils.loop import run_loop

        return run_loop(cfg, overrides, steps, run_dir)
    mlflow_run = tracking.start_pipeline_run(cfg, run_dir, steps)  # exported to the notebooks' kernels
    write_json(run_dir / "config.json", {"profile": cfg.PROFILE, "overrides": public_settings(overrides),
                                         "config": cfg.to_dict(), "versions": library_versions(),
                                         "mlflow_run_id": mlflow_run})
    print(f"Profile {cfg.PROFILE}, steps {steps}, run directory {run_dir}"
          + (f", MLflow run {mlflow_run}" if mlflow_run else ""))

    def terminate(signum, frame):  # a job's stop (SIGTERM) ends like Ctrl-C: one line, and the hint
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    timings: list[tuple[int, float, str]] = []
    for step in steps:
        try:
            seconds = run_step(step, cfg.PROFILE, overrides, run_dir)
        except StepFailed as err:
            print(f"\nFAILED: {err}", file=sys.stderr)
            _print_summary(timings, run_dir)
            tracking.end_pipeline_run(cfg, mlflow_run, "FAILED")
            return 1
        timings.append((step, seconds, key_outputs(cfg, step)))
        print(f"Step {step} done in {seconds:.1f} s")
    _print_summary(timings, run_dir)
    tracking.end_pipeline_run(cfg, mlflow_run, "FINISHED")
    return 0


def _print_summary(timings: list[tuple[int, float, str]], run_dir: Path) -> None:
    print("\nSummary")
    for step, seconds, digest in timings:
        print(f"  step {step} {NOTEBOOKS[step]:<30} {seconds:7.1f} s  {digest}")
    print(f"  total {sum(t[1] for t in timings):.1f} s; executed notebooks in {run_dir}")


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


if __name__ == "__main__":
    code = main()
    if code:  # a failed run's last line is the runner's: no library's exit-time cleanup prints after it
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
