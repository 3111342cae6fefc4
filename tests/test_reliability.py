"""Reliability on the tiny profile: reproducible runs, kills mid-step that resume, no secret on disk.

Three runs of Steps 1-3, each in the same folder `<tmp>/work` (renamed afterwards), so the paths
that the saved config holds are equal and every file can be compared byte for byte:

  run1  the runner, `python -m utils.pipeline --profile tiny` (Steps 0-3, MLflow on), with keys in
        environment variables and credentials in URLs given by `--set` and by variable
  run2  a second clean run of Steps 1-3 (the notebooks' calls, in one process), another hash seed
  run3  Step 1's files of run1; Step 2 killed (SIGKILL) after its first checkpoint, an incomplete
        newer checkpoint left beside it, and rerun; Step 3 killed mid-generation and rerun

Then Step 3's length guard: an evaluation comment longer than the student reads is refused before
anything is generated. Bad settings (LEARNING_RATE=1e9, NUM_EPOCHS=0) are refused by load_config:
tests/test_config.py.
"""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from Config.Config import PROJECT_ROOT, load_config

_spec = importlib.util.spec_from_file_location("compare_runs", PROJECT_ROOT / "scripts" / "compare_runs.py")
compare_runs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_runs)
comparable = compare_runs.comparable  # metrics.json bar its times: the rule scripts/compare_runs.py applies

MARKER = f"kd-secret-{uuid.uuid4().hex}"  # every key and password handed to the runs
SECRET_ENV = {
    "HF_TOKEN": MARKER, "HUGGING_FACE_HUB_TOKEN": MARKER, "JUDGE_API_KEY": MARKER, "TEACHER_API_KEY": MARKER,
    "JUDGE_ENDPOINT_URL": f"https://kd:{MARKER}@judge.example.com/v1?api_key={MARKER}",  # a Config variable
    "JUDGE_ENDPOINT_MODEL": "phi-4",
}
# A URL with credentials given by `--set`: its own marker (see the test after the next)
SET_MARKER = f"kd-set-secret-{uuid.uuid4().hex}"
SECRET_SETS = [f"TEACHER_ENDPOINT_URL=https://kd:{SET_MARKER}@teacher.example.com/v1?key={SET_MARKER}",
               "TEACHER_MODEL=teacher"]
OUTPUT_DIRS = ("Data", "tmp", "results", "runs", "mlruns", "models")
RUN = "merged_AllComments_Clean_Train_r8_a16_d0.0"  # Step 2's folder names for the tiny LoRA settings
CHECKPOINTS = "checkpoints_AllComments_Clean_Train_r8_a16_d0.0"

# Steps 1-3 as the notebooks call them, in one process (`python -c DRIVER <steps> KEY=VALUE ...`).
DRIVER = """
import sys
from Config.Config import load_config, parse_set_args
cfg = load_config("tiny", parse_set_args(sys.argv[2:]))
if "1" in sys.argv[1]:
    from utils.data import prepare_data
    prepare_data(cfg)
if "2" in sys.argv[1]:
    from utils import train
    train.train(cfg)
if "3" in sys.argv[1]:
    from utils import evaluation
    records, gold = evaluation.load_eval_records(cfg), evaluation.load_gold_records(cfg)
    generations, speed = evaluation.answer_all(cfg, records, gold)
    evaluation.score_and_write(cfg, records, generations, speed, gold)
"""


def settings(work: Path) -> list[str]:
    """The same `--set` list for every run: outputs in `work`, the shared tiny student in `work/../models`."""
    return [f"DATA_DIR={work / 'Data'}", f"TMP_DIR={work / 'tmp'}", f"RESULTS_DIR={work / 'results'}",
            f"MODELS_DIR={work.parent / 'models'}", "MLFLOW_TRACKING=True",
            f"MLFLOW_TRACKING_URI={(work / 'mlruns').as_uri()}"] + SECRET_SETS


def environment(hash_seed: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KD_MLFLOW_RUN_ID", "KD_PROFILE", "CDSW_APP_PORT")}
    return env | SECRET_ENV | {"PYTHONHASHSEED": str(hash_seed)}


def start(args: list[str], log: Path, hash_seed: int = 3) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=PROJECT_ROOT, env=environment(hash_seed),
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


def finish(proc: subprocess.Popen, log: Path, timeout: float = 300) -> str:
    proc.wait(timeout=timeout)
    out = log.read_text(errors="replace")
    assert proc.returncode == 0, out[-4000:]
    return out


def kill_when(proc: subprocess.Popen, ready, log: Path, timeout: float = 180) -> None:
    """SIGKILL `proc` as soon as `ready()` holds (polled every 20 ms)."""
    deadline = time.time() + timeout
    while not ready():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"the run ended before the moment to kill it:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def answer_files(run: Path) -> dict[str, bytes]:
    """The answer files of Step 3 (the timings beside them excluded)."""
    return {p.name: p.read_bytes() for p in sorted((run / "results" / "generations").glob("*.jsonl"))
            if not p.name.endswith(".timing.jsonl")}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("reliability")


def in_work(root: Path, name: str):
    """Run in `root/work`, then keep what it wrote as `root/<name>`."""
    work = root / "work"
    assert not work.exists()
    return work, root / name


@pytest.fixture(scope="module")
def run1(root):
    """The runner, Steps 0-3, with every secret handed over (~60 s)."""
    work, final = in_work(root, "run1")
    work.mkdir()
    args = ["-m", "utils.pipeline", "--profile", "tiny", "--run-dir", str(work / "runs" / "tiny")]
    for item in settings(work):
        args += ["--set", item]
    try:
        log = root / "run1.log"
        out = finish(start(args, log, hash_seed=1), log, timeout=600)
    finally:
        work.rename(final)
    assert "Summary" in out
    return final


@pytest.fixture(scope="module")
def run2(root, run1):
    """A second clean run of Steps 1-3 under another hash seed (~35 s)."""
    work, final = in_work(root, "run2")
    try:
        log = root / "run2.log"
        finish(start(["-c", DRIVER, "123", *settings(work)], log, hash_seed=2), log)
    finally:
        work.rename(final)
    return final


@pytest.fixture(scope="module")
def run3(root, run1):
    """Step 2 and Step 3 killed mid-way and rerun, on run1's Step 1 files (~45 s); what was seen."""
    work, final = in_work(root, "run3")
    seen = {}
    try:
        shutil.copytree(run1 / "Data", work / "Data")
        # Step 2: killed once its first checkpoint (step 4 of 8) is complete
        from utils.train import checkpoint_complete

        first = work / "tmp" / CHECKPOINTS / "checkpoint-4"
        train_args = ["-m", "utils.train", "--profile", "tiny"] + [a for s in settings(work) for a in ("--set", s)]
        log = root / "run3-train-killed.log"
        kill_when(start(train_args, log), lambda: first.is_dir() and checkpoint_complete(first), log)
        seen["checkpoints_after_kill"] = sorted(p.name for p in first.parent.glob("checkpoint-*"))
        # and a newer checkpoint a kill cut short while it was written: weights, no optimizer or state
        torn = first.parent / "checkpoint-6"
        torn.mkdir()
        shutil.copy(first / "adapter_model.safetensors", torn)
        log = root / "run3-train-rerun.log"
        seen["train_rerun"] = finish(start(train_args, log), log)

        # Step 3: killed after the first batch of the base model's gold answers (52 comments, batches of 12)
        target = work / "results" / "generations" / "base_gold_vendor.jsonl"
        log = root / "run3-eval-killed.log"
        kill_when(start(["-c", DRIVER, "3", *settings(work)], log), lambda: lines(target) >= 1, log)
        seen["after_kill"] = {p.name: p.read_bytes() for p in (work / "results" / "generations").glob("*.jsonl")}
        log = root / "run3-eval-rerun.log"
        finish(start(["-c", DRIVER, "3", *settings(work)], log), log)
    finally:
        work.rename(final)
    return final, seen


@pytest.mark.slow
def test_two_clean_runs_write_identical_files_apart_from_times(run1, run2):
    """Step 1's files, the merged weights, the answers and metrics.json (bar its times) are equal."""
    data = sorted(p.relative_to(run1) for p in (run1 / "Data").rglob("*.json"))
    assert len(data) >= 6  # train and evaluation files of both types, the merged train file, the card, rejects
    for rel in data:
        assert (run1 / rel).read_bytes() == (run2 / rel).read_bytes(), rel
    for name in ("model.safetensors", "config.json", "generation_config.json", "tokenizer.json"):
        assert (run1 / "tmp" / RUN / name).read_bytes() == (run2 / "tmp" / RUN / name).read_bytes(), name
    assert answer_files(run1) == answer_files(run2) and len(answer_files(run1)) == 8
    for name in ("answers.jsonl", "verdicts.jsonl", "gold_answers.jsonl", "per_question.csv"):
        assert (run1 / "results" / name).read_bytes() == (run2 / "results" / name).read_bytes(), name
    first, second = (json.loads((r / "results" / "metrics.json").read_text()) for r in (run1, run2))
    assert first["created"] and first["speed"]["base"]["vendor"]["seconds"] > 0  # the keys left out exist
    assert comparable(first) == comparable(second)
    assert compare_runs.compare(run1, run2) == []  # the script's comparison of two checkouts agrees


def test_compare_runs_names_a_changed_answer_and_ignores_times_and_the_checkout_path(run1, tmp_path):
    """A copy with new times and another root compares the same; one changed answer line does not."""
    work = str((run1.parent / "work").resolve())  # the root the run's JSON files name
    checkouts = [tmp_path / "one", tmp_path / "two"]
    for root in checkouts:  # each copy names its own root, as two checkouts do
        for name in ("Data", "tmp", "results"):
            shutil.copytree(run1 / name, root / name)
        for path in root.rglob("*.json*"):
            path.write_text(path.read_text().replace(work, str(root.resolve())))
    assert work in (run1 / "results" / "metrics.json").read_text()  # the paths the comparison must set aside
    copy = checkouts[1]
    metrics = json.loads((copy / "results" / "metrics.json").read_text())
    metrics["created"] = "2030-01-01T00:00:00+00:00"
    metrics["speed"]["base"]["vendor"]["seconds"] += 5.0
    (copy / "results" / "metrics.json").write_text(json.dumps(metrics))
    assert compare_runs.compare(checkouts[0], copy) == []
    answers = copy / "results" / "generations" / "finetuned_vendor.jsonl"
    rows = answers.read_text().splitlines()
    rows[0] = rows[0].replace('"text": "', '"text": "changed ', 1)
    answers.write_text("\n".join(rows) + "\n")
    metrics["summary"] = {"changed": True}
    (copy / "results" / "metrics.json").write_text(json.dumps(metrics))
    found = compare_runs.compare(checkouts[0], copy)
    assert "results/generations/finetuned_vendor.jsonl: differs" in found
    assert any(line.startswith("results/metrics.json /summary") for line in found)
    assert compare_runs.main([str(checkouts[0]), str(copy)]) == 1 and compare_runs.main([str(run1), str(run1)]) == 0


@pytest.mark.slow
def test_step2_killed_mid_training_resumes_from_the_newest_complete_checkpoint(run1, run3):
    """Resumed at step 4 of 8 past a half-written checkpoint-6: the same weights and card figures."""
    run3, seen = run3
    assert seen["checkpoints_after_kill"] == ["checkpoint-4"]
    out = seen["train_rerun"]
    assert "checkpoint-6 is incomplete" in out and "Resuming from" in out
    clean = json.loads((run1 / "tmp" / RUN / "training_card.json").read_text())
    card = json.loads((run3 / "tmp" / RUN / "training_card.json").read_text())
    assert clean["resumed_from"] is None and card["resumed_from"].endswith(f"{CHECKPOINTS}/checkpoint-4")
    for key in ("optimizer_steps", "first_dev_loss", "final_dev_loss", "dev_loss_ratio", "tokens_seen",
                "train_examples", "dev_examples"):
        assert card[key] == clean[key], key  # first_dev_loss: the one measured before step 1, by the first process
    assert card["optimizer_steps"] == 8
    # the same batches in the same order, adapters in the same dtype: the same weights, byte for byte
    assert (run3 / "tmp" / RUN / "model.safetensors").read_bytes() == (run1 / "tmp" / RUN / "model.safetensors").read_bytes()


@pytest.mark.slow
def test_step3_killed_mid_generation_recomputes_nothing_finished(run1, run3):
    run3, seen = run3
    generations = run3 / "results" / "generations"
    before = {name: data for name, data in seen["after_kill"].items() if not name.endswith(".timing.jsonl")}
    kept = sum(len(data.splitlines()) for data in before.values())
    total = sum(len(data.splitlines()) for data in answer_files(run1).values())  # 2 x (6 + 6 + 52 + 56)
    assert total == 240
    # killed after the base model's vendor and customer answers and part of its gold answers
    assert len(before["base_vendor.jsonl"].splitlines()) == 6 and 0 < len(before["base_gold_vendor.jsonl"].splitlines()) < 52
    for name, data in before.items():  # what was on disk stays as it was
        assert (generations / name).read_bytes().startswith(data[: data.rfind(b"\n") + 1]), name
    # the rows the rerun generated, per answer file: the timing rows it appended there, one per batch
    generated = 0
    for name in answer_files(run1):
        timing = name.replace(".jsonl", ".timing.jsonl")
        appended = (generations / timing).read_bytes()[len(seen["after_kill"].get(timing, b"")):]
        batches = [json.loads(line) for line in appended.splitlines()]
        finished = {json.loads(line)["id"] for line in before.get(name, b"").splitlines()}
        assert not finished & {i for b in batches for i in b["ids"]}, name  # no finished answer made again
        generated += sum(b["batch_size"] for b in batches)
    assert generated == total - kept and kept >= 6 + 6 + 12
    assert answer_files(run3) == answer_files(run1)  # every file whole, once, as an uninterrupted run wrote it
    resumed, clean = (json.loads((r / "results" / "metrics.json").read_text()) for r in (run3, run1))
    assert comparable(resumed) == comparable(clean)


def written_files(root: Path) -> list[Path]:
    """Every file the three runs wrote under Data/, tmp/, results/, runs/, mlruns/ and the shared models/."""
    return [p for run in ("run1", "run2", "run3") for d in OUTPUT_DIRS for p in (root / run / d).rglob("*")
            if p.is_file()] + [p for p in (root / "models").rglob("*") if p.is_file()]


@pytest.mark.slow
def test_no_key_or_token_reaches_any_file_the_runs_write(root, run1, run2, run3):
    files = written_files(root)
    assert len(files) > 100 and any("mlruns" in p.parts for p in files)  # MLflow's store is searched too
    assert [str(p) for p in files if MARKER.encode() in p.read_bytes()] == []
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    assert len(notebooks) == 4  # the runner's executed notebooks: see the next test for those
    assert [str(p) for p in files if p not in notebooks and SET_MARKER.encode() in p.read_bytes()] == []
    saved = json.loads((root / "run1" / "results" / "metrics.json").read_text())["config"]
    # the settings did arrive: saved without user, password or query
    assert saved["TEACHER_ENDPOINT_URL"] == "https://teacher.example.com/v1"
    assert saved["JUDGE_ENDPOINT_URL"] == "https://judge.example.com/v1"


@pytest.mark.slow
def test_a_url_with_credentials_given_by_set_stays_out_of_the_executed_notebooks(root, run1, run2, run3):
    assert [str(p) for p in written_files(root) if SET_MARKER.encode() in p.read_bytes()] == []


def test_an_evaluation_comment_longer_than_the_student_reads_is_refused_before_generating(tiny_folder, tmp_path):
    from utils import inference
    from utils.tasks import build_prompt

    cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path), "GEN_MAX_NEW_TOKENS": 4})
    engine = inference.Engine(tiny_folder, cfg, cfg.GEN_MAX_NEW_TOKENS)
    assert engine.max_prompt_tokens == cfg.MAX_LENGTH == 1024  # what Step 1 keeps and Step 2 trains on
    # and never more than the model's positions (tiny: 2048) less the answer
    assert inference.max_prompt_tokens(load_config("tiny", {"MAX_LENGTH": 4096}), tiny_folder, 24) == 2048 - 24
    comments = ["Kudu tablet server is down."] * 3 + ["Kudu tablet server is down. " * 2000]
    records = [{"id": f"vendor-{i:03d}", "Prompt": build_prompt(c, "vendor", style="compact")} for i, c in enumerate(comments)]
    calls = []
    engine.generate = lambda texts, on_text=None, **kw: calls.append(texts) or [("", 0)] * len(texts)
    with pytest.raises(inference.PromptTooLong, match=r"1 of 4 base/vendor comments are longer than the student reads: "
                                                      r"vendor-003 \(\d+ tokens\); the limit is 1024 prompt tokens"):
        inference.generate_answers(cfg, engine, "base", records, "vendor", progress=False)
    assert calls == []  # nothing generated, not even for the three that fit
    path = inference.generation_file(cfg, "base", "vendor")
    assert not path.exists() or path.read_bytes() == b""
    assert len(inference.generate_answers(cfg, engine, "base", records[:3], "vendor", progress=False)) == 3


def test_progress_is_plain_text_on_stderr_under_the_runner(monkeypatch, capsys):
    from utils import progress

    monkeypatch.delenv(progress.TERMINAL_ENV, raising=False)
    assert not progress.terminal_progress()
    monkeypatch.setenv(progress.TERMINAL_ENV, "1")
    for _ in progress.progress_bar(range(3), desc="base answers vendor", mininterval=0):
        pass
    err = capsys.readouterr().err
    assert "base answers vendor" in err and "3/3" in err
    assert progress.log_line({"loss": 0.91234, "tokens_per_s": 131.0, "epoch": 0.2}, 20, 60) == \
        "step 20/60  loss 0.912  tokens_per_s 131"
    assert progress.log_line({"eval_loss": 1.78}, 0, 0) == "before training  eval_loss 1.78"
