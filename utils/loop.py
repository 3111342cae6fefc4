"""Grow the data until the student passes: Steps 1-3, then more data where the student is weakest, again.

This module owns the rounds and what is kept of each: it runs the steps through the runner
(`utils.pipeline.run_step`), reads Step 3's check and per-question numbers, finds the student's
mistakes on real training comments and has `utils.synth` write and label new comments from them.
Labelling, screening and the endpoint belong to `utils.synth` and `utils.teacher`; the numbers to
`utils.metrics` and `utils.report`.

    python -m utils.pipeline --loop --profile demo --set TEACHER_ENDPOINT_URL=https://host/v1 \\
        --set TEACHER_MODEL=my-model          # or: python -m utils.loop ... (the same)

Round n:
  1. Steps 1-3 through the runner (round 1: --steps, by default 0-3; later rounds 1-3), Step 1 adding
     the synthetic exports made so far to the training data (<TYPE>_EXTRA_SDS_FILES).
  2. results/rounds/<n>/ keeps the data card, the training card, metrics.json and per_question.csv.
     The evaluation split must be the one of round 1 (its SHA-256 over ids, comments and answers).
  3. Stop when Step 3's check passed, or after LOOP_MAX_ROUNDS rounds.
  4. Weak questions, per type: the LOOP_WEAK_QUESTIONS yes/no and score questions with the lowest
     fine-tuned kappa (undefined: 0, chance level), then the lowest lift over the majority baseline
     (accuracy minus the baseline's); questions the teacher answers with one value are skipped.
  5. Mistakes: the fine-tuned student answers LOOP_TRAIN_SAMPLE real training comments per type (a
     seeded sample; answers under results/rounds/<n>/generations/); a comment is a candidate seed when
     its answer to a weak question differs from the teacher's (an unparsed answer is wrong). Training
     comments, never evaluation ones: what the student got wrong there is what more data can teach.
  6. Seeds: SYNTH_PER_ROUND candidates per type, drawn without replacement (seeded), none used in an
     earlier round, each with the weak questions it got wrong as the writer's focus.
  7. `utils.synth` writes, screens and labels them into SYNTH_DIR/<stem>_r<n+1>.json, which round n+1
     trains on beside the exports of earlier rounds. No seed or no kept comment: the loop stops.

Files under results/rounds/: `<n>/round.json` (headline, check, extras trained on, evaluation hash,
weak questions, seeds, synthesis counts; written last), `rounds.csv` and `rounds.png` (every round's
headline, `rounds_frame` and `figures.plot_rounds`), `loop.json` (why the loop stopped). Run the same command
again after a stop or a kill: finished rounds are read back, not run again; others resume step by step.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from Config.Config import Config, ConfigError, extra_sds_key, load_config, public_settings
from utils import figures, paths, tracking
from utils.files import library_versions, read_json, write_json
from utils.judge import as_int
from utils.tasks import parse_answers

ROUNDS_DIR = "rounds"  # inside RESULTS_DIR
ROUND_FILE = "round.json"
LOOP_STEPS = (1, 2, 3)
KEPT_FILES = {paths.DATA_CARD_FILE: lambda cfg: paths.data_card_file(cfg),
              paths.TRAINING_CARD_FILE: lambda cfg: paths.training_card_file(paths.finetuned_dir(cfg)),
              paths.METRICS_FILE: lambda cfg: paths.results_file(cfg),
              paths.PER_QUESTION_FILE: lambda cfg: paths.results_file(cfg, paths.PER_QUESTION_FILE)}
# Settings only the loop and the teacher read: kept out of the notebooks' parameters (a URL may hold a password)
LOOP_ONLY = ("TEACHER_", "SYNTH_", "LOOP_")


class LoopError(RuntimeError):
    """A guarantee of the loop broke (the evaluation split changed, or rounds of other settings)."""


# ================================================================================ places
def rounds_dir(cfg: Config) -> Path:
    """results/rounds/: every round's cards and metrics, the table and the plot (written by the loop only)."""
    return cfg.results_dir / ROUNDS_DIR


def round_dir(cfg: Config, n: int) -> Path:
    return rounds_dir(cfg) / str(n)


def synth_file(cfg: Config, comment_type: str, n: int) -> Path:
    """The synthetic export round n trains on (made after round n - 1): SYNTH_DIR/<stem>_r<n>.json."""
    return cfg.path(cfg.SYNTH_DIR) / f"{cfg.sds_file(comment_type).stem}_r{n}.json"


# ================================================================================ what a round decides
def eval_fingerprint(cfg: Config) -> str:
    """SHA-256 of Step 1's evaluation records (type, id, comment, teacher answers): must never change."""
    rows = [(t, r["id"], r["Comment"], r["Completion"]) for t in cfg.COMMENT_TYPES
            for r in read_json(paths.eval_file(cfg, t))]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()


def weakest_questions(metrics: Mapping[str, Any], comment_type: str, k: int) -> list[dict]:
    """The k yes/no and score questions of a type the fine-tuned student is weakest on (module docstring, 4)."""
    rows = []
    for b in metrics["by_question"]:
        if b["type"] != comment_type or b["kind"] not in ("BOOL", "SCORE") or b.get("teacher_constant"):
            continue
        ft, maj = b["teacher_agreement"]["finetuned"], b["teacher_agreement"].get("majority") or {}
        lift = (None if ft.get("accuracy") is None or maj.get("accuracy") is None
                else ft["accuracy"] - maj["accuracy"])
        rows.append({"question": b["question"], "key": b["key"], "kappa": ft.get("kappa"), "lift": lift})
    rows.sort(key=lambda r: (0.0 if r["kappa"] is None else r["kappa"], 0.0 if r["lift"] is None else r["lift"],
                             r["question"]))
    return rows[:k]


def mistakes(records: Sequence[dict], answers: Mapping[str, str], comment_type: str,
             weak: Sequence[int]) -> dict[str, tuple[int, ...]]:
    """{record id: the weak questions the student answered differently from the teacher}, wrong ones only."""
    out = {}
    for r in records:
        teacher, student = parse_answers(r["Completion"], comment_type), parse_answers(answers[r["id"]], comment_type)
        wrong = tuple(n for n in weak
                      if as_int(teacher.get(n)) is not None and as_int(student.get(n)) != as_int(teacher.get(n)))
        if wrong:
            out[r["id"]] = wrong
    return out


def training_sample(cfg: Config, comment_type: str, n: int) -> list[dict]:
    """LOOP_TRAIN_SAMPLE real training comments of a type (Step 1's per-type file), seeded by SEED and round."""
    records = read_json(paths.train_file(cfg, comment_type))
    return random.Random(f"{cfg.SEED}-{comment_type}-{n}").sample(records, min(cfg.LOOP_TRAIN_SAMPLE, len(records)))


def student_answers(cfg: Config, samples: Mapping[str, Sequence[dict]], folder: Path) -> dict[str, dict[str, str]]:
    """The fine-tuned student's answers to the sampled comments: {type: {id: text}} (resumable files under folder)."""
    from utils.inference import Engine, generate_answers

    where = replace(cfg, RESULTS_DIR=str(folder))  # generation files go to <folder>/generations/
    engine = Engine(paths.finetuned_dir(cfg), cfg, cfg.GEN_MAX_NEW_TOKENS)
    try:
        return {t: {row["id"]: row["text"] for row in generate_answers(where, engine, "finetuned_train", recs, t)}
                for t, recs in samples.items()}
    finally:
        engine.close()


# ================================================================================ the headline
def headline(n: int, metrics: Mapping[str, Any], card: Mapping[str, Any]) -> dict:
    """One round in numbers: what the table and the plot show."""
    from utils.metrics import interval

    s = metrics["summary"]
    lift = s.get("agreement_lift") or {}
    low, high = interval(lift, "ci95")
    return {"round": n, "train_records": card["merged_train"]["records"],
            "synthetic_records": card["merged_train"].get("from_extra_files", 0),
            "teacher_agreement": s["teacher_agreement"].get("finetuned"),
            "majority_agreement": s["teacher_agreement"].get("majority"),
            "mean_kappa": (s.get("mean_kappa") or {}).get("finetuned"),
            "majority_mean_kappa": (s.get("mean_kappa") or {}).get("majority"),
            "lift": lift.get("value"), "lift_low": low, "lift_high": high,
            "adjusted_win_rate": s.get("adjusted_win_rate"), "check": bool(metrics["check"]["passed"])}


def rounds_frame(records: Sequence[Mapping[str, Any]]):
    """One row per round: training records, fine-tuned teacher agreement and mean kappa beside the
    majority baseline's, the lift over it with its 95% interval, the win rate and the check."""
    import pandas as pd

    return pd.DataFrame([r["headline"] for r in records]).set_index("round")


def save_table_and_plot(cfg: Config, records: Sequence[Mapping[str, Any]]) -> tuple[Path, Path]:
    from utils.files import atomic_path

    folder = rounds_dir(cfg)
    with atomic_path(folder / "rounds.csv") as tmp:
        rounds_frame(records).to_csv(tmp)
    with atomic_path(folder / "rounds.png") as tmp:
        figures.plot_rounds(rounds_frame(records)).savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return folder / "rounds.csv", folder / "rounds.png"


# ================================================================================ the loop
def round_overrides(overrides: Mapping[str, Any], extras: Mapping[str, list[str]]) -> dict[str, Any]:
    """The user's overrides with this round's extra exports (<TYPE>_EXTRA_SDS_FILES) in place of theirs."""
    keys = {extra_sds_key(t) for t in extras}
    out = {k: v for k, v in overrides.items() if k.upper() not in keys}
    return out | {extra_sds_key(t): json.dumps(files) for t, files in extras.items() if files}


def run_round_steps(cfg: Config, n: int, steps: Sequence[int], overrides: Mapping[str, Any], run_dir: Path) -> Config:
    """Steps of one round through the runner; returns the round's Config (`overrides`: round_overrides)."""
    from utils.pipeline import key_outputs, run_step

    round_cfg = load_config(cfg.PROFILE, dict(overrides))
    notebooks = {k: v for k, v in overrides.items() if not k.upper().startswith(LOOP_ONLY)}
    run_dir.mkdir(parents=True, exist_ok=True)
    mlflow_run = tracking.start_pipeline_run(round_cfg, run_dir, steps)
    write_json(run_dir / "config.json", {"profile": cfg.PROFILE, "round": n,
                                         "overrides": public_settings(dict(overrides)), "config": round_cfg.to_dict(),
                                         "versions": library_versions(), "mlflow_run_id": mlflow_run})
    status = "FAILED"
    try:
        for step in steps:
            seconds = run_step(step, cfg.PROFILE, notebooks, run_dir)
            print(f"Round {n}, step {step} done in {seconds:.1f} s  {key_outputs(round_cfg, step)}", flush=True)
        status = "FINISHED"
    finally:
        tracking.end_pipeline_run(round_cfg, mlflow_run, status)
    return round_cfg


def keep_round(round_cfg: Config, n: int) -> Path:
    """Copy the round's cards and metrics into results/rounds/<n>/."""
    folder = round_dir(round_cfg, n)
    folder.mkdir(parents=True, exist_ok=True)
    for name, where in KEPT_FILES.items():
        shutil.copyfile(where(round_cfg), folder / name)
    return folder


def synthesize_next(cfg: Config, round_cfg: Config, n: int, metrics: Mapping[str, Any], used: set[str]) -> dict:
    """Steps 4-7 of the module docstring for round n: {"weak", "seeds", "made": {type: export or None}, "counts"}."""
    from utils.synth import draw_seeds, synthesize

    weak = {t: weakest_questions(metrics, t, cfg.LOOP_WEAK_QUESTIONS) for t in round_cfg.COMMENT_TYPES}
    samples = {t: training_sample(round_cfg, t, n) for t in round_cfg.COMMENT_TYPES if weak[t]}
    answers = student_answers(round_cfg, samples, round_dir(cfg, n)) if samples else {}
    out: dict[str, Any] = {"weak": weak, "seeds": {}, "made": {}, "counts": {}}
    for t, recs in samples.items():
        wrong = mistakes(recs, answers[t], t, [w["question"] for w in weak[t]])
        pool = [r for r in recs if r["id"] in wrong]
        seeds = [replace(s, focus=wrong[s.id]) for s in draw_seeds(pool, cfg.SYNTH_PER_ROUND, cfg.SEED + n, used)]
        out["seeds"][t] = [s.id for s in seeds]
        out["counts"][t] = {"sampled": len(recs), "wrong": len(wrong)}
        if not seeds:
            out["made"][t] = None
            continue
        target = synth_file(cfg, t, n + 1)
        result = synthesize(round_cfg, seeds, target,
                            extra_card={"round": n + 1, "from_round": n, "weak_questions": weak[t]})
        out["counts"][t] |= result.card["counts"]
        out["made"][t] = str(target) if result.card["labelled"].get("scored") else None
    return out


def run_loop(cfg: Config, overrides: Mapping[str, Any], steps: Sequence[int], run_dir: Path) -> int:
    """The whole loop (module docstring); returns the runner's exit status."""
    from utils.pipeline import StepFailed
    from utils.teacher import check_settings

    if not set(LOOP_STEPS) <= set(steps):
        print(f"error: --loop runs Steps 1-3 every round; --steps may add Step 0 to the first, not {list(steps)}",
              file=sys.stderr)
        return 2
    try:
        if cfg.LOOP_MAX_ROUNDS > 1:
            check_settings(cfg)  # the teacher writes the new data: refuse a missing endpoint before round 1
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    def terminate(signum, frame):  # a job's stop (SIGTERM) ends like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    settings = {"profile": cfg.PROFILE, "overrides": public_settings(dict(overrides)), "steps": list(steps)}
    extras = {t: list(getattr(cfg, extra_sds_key(t))) for t in cfg.COMMENT_TYPES}
    records: list[dict] = []
    used: set[str] = set()
    reason = ""
    print(f"Profile {cfg.PROFILE}, loop of at most {cfg.LOOP_MAX_ROUNDS} rounds, run directory {run_dir}")
    try:
        for n in range(1, cfg.LOOP_MAX_ROUNDS + 1):
            record = _finished_round(cfg, n, settings, extras)
            if record is None:
                record = run_round(cfg, n, steps if n == 1 else LOOP_STEPS, overrides, extras, run_dir, settings,
                                   records[0]["eval_sha256"] if records else None, used)
            else:
                print(f"Round {n} was finished before: read back from {round_dir(cfg, n)}")
            records.append(record)
            used |= {s for ids in record.get("synthesis", {}).get("seeds", {}).values() for s in ids}
            save_table_and_plot(cfg, records)
            if record["stop"]:
                reason = record["stop"]
                break
            for t, made in record["synthesis"]["made"].items():
                if made:
                    extras[t].append(made)
    except (StepFailed, LoopError) as err:
        print(f"\nFAILED: {err}\nRun the same command again: finished rounds are kept.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nFAILED: the loop was interrupted. Run the same command again: finished rounds are kept, and the "
              "round it stopped in resumes step by step.", file=sys.stderr)
        return 1
    write_json(rounds_dir(cfg) / "loop.json", {"rounds": len(records), "stopped": reason,
                                               "passed": records[-1]["headline"]["check"], "settings": settings})
    print("\n" + rounds_frame(records).round(3).to_string())
    print(f"\nStopped after round {len(records)}: {reason}. Table and plot: {rounds_dir(cfg)}/rounds.csv, rounds.png")
    return 0


def run_round(cfg: Config, n: int, steps: Sequence[int], overrides: Mapping[str, Any], extras: Mapping[str, list[str]],
              run_dir: Path, settings: dict, eval_sha256: Optional[str], used: set[str]) -> dict:
    """Run, keep and judge one round; make the next round's data unless it is the last. Returns round.json."""
    round_cfg = run_round_steps(cfg, n, steps, round_overrides(overrides, extras), run_dir / f"round-{n}")
    sha = eval_fingerprint(round_cfg)
    if eval_sha256 is not None and sha != eval_sha256:
        raise LoopError(f"The evaluation split of round {n} differs from round 1's (SHA-256 {sha[:12]} against "
                        f"{eval_sha256[:12]}): Step 1's evaluation files must never depend on the extra exports. The "
                        "main export, EVAL_SIZE or SEED changed during the loop; move results/rounds/ away to start "
                        "over.")
    folder = keep_round(round_cfg, n)
    metrics = read_json(folder / paths.METRICS_FILE)
    record = {"round": n, "settings": settings, "extras": {t: list(v) for t, v in extras.items()},
              "eval_sha256": sha, "check": metrics["check"],
              "headline": headline(n, metrics, read_json(folder / paths.DATA_CARD_FILE)), "stop": None}
    if metrics["check"]["passed"]:
        record["stop"] = f"the check passed in round {n}"
    elif n >= cfg.LOOP_MAX_ROUNDS:
        record["stop"] = f"LOOP_MAX_ROUNDS={cfg.LOOP_MAX_ROUNDS} rounds without passing the check"
    else:
        record["synthesis"] = synthesize_next(cfg, round_cfg, n, metrics, used)
        if not any(record["synthesis"]["made"].values()):
            record["stop"] = (f"round {n} gave no new training data (no sampled training comment answered wrongly "
                              "on a weak question, or no new comment survived screening and scoring)")
    h = record["headline"]
    print(f"Round {n}: {h['train_records']} training records ({h['synthetic_records']} synthetic), teacher agreement "
          f"{_num(h['teacher_agreement'])} (majority baseline {_num(h['majority_agreement'])}), mean kappa "
          f"{_num(h['mean_kappa'])}, lift {_num(h['lift'])} [{_num(h['lift_low'])}, {_num(h['lift_high'])}], check "
          f"{'PASS' if h['check'] else 'FAIL'}" + (f"; stop: {record['stop']}" if record["stop"] else ""), flush=True)
    write_json(folder / ROUND_FILE, record)  # last: its presence means the round is finished
    return record


def _num(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _finished_round(cfg: Config, n: int, settings: dict, extras: Mapping[str, list[str]]) -> Optional[dict]:
    """round.json of round n when it finished with these settings and extras; None when it has to run."""
    path = round_dir(cfg, n) / ROUND_FILE
    if not path.exists():
        return None
    record = read_json(path)
    if record.get("settings") != json.loads(json.dumps(settings)):
        raise LoopError(f"{rounds_dir(cfg)} holds rounds made with other settings ({path}: {record.get('settings')}). "
                        "Move that folder away (or delete it) to start a new loop, or run the same command as before.")
    if record.get("extras") != {t: list(v) for t, v in extras.items()}:
        return None  # made from other data: run it again
    return record


# ================================================================================ command line
def main(argv: Optional[Sequence[str]] = None) -> int:
    """`python -m utils.loop ...` is `python -m utils.pipeline --loop ...`."""
    from utils import pipeline

    return pipeline.main(["--loop", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
