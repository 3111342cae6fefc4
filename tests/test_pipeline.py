"""The headless runner: validation before work, a real run on `tiny`, and failure reporting."""

import json
import re
import subprocess
import sys
from collections import Counter

import pytest

from Config.Config import PROJECT_ROOT
from utils import pipeline
from utils.tasks import parse_answers, questions

GOLD = PROJECT_ROOT / "Data" / "gold" / "GoldComments.json"


def run(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "utils.pipeline", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_wrong_set_key_fails_fast_with_the_valid_keys(tmp_path):
    done = run("--profile", "tiny", "--set", "LORA_RANK=8", "--run-dir", str(tmp_path))
    assert done.returncode == 2
    assert "Unknown Config key 'LORA_RANK'" in done.stderr and "LORA_R" in done.stderr
    assert not list(tmp_path.iterdir())  # nothing ran


def test_bad_steps_are_refused():
    with pytest.raises(Exception, match="valid steps are 0, 1, 2, 3"):
        pipeline.parse_steps("0,5")


def test_step0_on_tiny_keeps_the_executed_notebook(tmp_path):
    done = run("--profile", "tiny", "--steps", "0", "--run-dir", str(tmp_path),
               "--set", "judge_endpoint_url=https://ops:pw-s3cret@judge.example.com/v1?key=k-s3cret",
               "--set", "JUDGE_ENDPOINT_MODEL=phi-4")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "0_Setup_Models.ipynb").exists()
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["profile"] == "tiny" and saved["versions"]["torch"]
    assert saved["config"]["JUDGE_ENDPOINT_URL"] == "https://judge.example.com/v1"
    for path in tmp_path.rglob("*"):  # the password reached the kernel through its environment only
        assert not path.is_file() or "s3cret" not in path.read_text(errors="replace"), path
    assert "Summary" in done.stdout and "student: tiny" in done.stdout


def test_a_failing_cell_stops_the_run_with_its_error(tmp_path):
    # a local student folder that does not exist makes Step 0 raise inside the notebook
    done = run("--profile", "tiny", "--steps", "0", "--set", f"STUDENT_MODEL={tmp_path}/missing",
               "--run-dir", str(tmp_path / "run"))
    assert done.returncode == 1
    assert "Step 0 (0_Setup_Models.ipynb) failed in cell" in done.stderr
    assert "ModelSetupError" in done.stderr and "does not exist" in done.stderr


def test_all_four_steps_on_tiny_end_to_end(tmp_path):
    """The whole pipeline on the tiny profile, outputs kept away from the project's folders."""
    sets = [f"DATA_DIR={tmp_path / 'data'}", f"TMP_DIR={tmp_path / 'tmp'}", f"RESULTS_DIR={tmp_path / 'results'}"]
    args = ["--profile", "tiny", "--run-dir", str(tmp_path / "run")]
    for item in sets:
        args += ["--set", item]
    done = run(*args)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    for name in pipeline.NOTEBOOKS.values():
        assert (tmp_path / "run" / name).exists()
    assert (tmp_path / "data" / "AllComments_Clean_Train.json").exists()
    assert (tmp_path / "data" / "data_card.json").exists()
    merged = tmp_path / "tmp" / "merged_AllComments_Clean_Train_r8_a16_d0.0"
    assert (merged / "training_card.json").exists()
    metrics = json.loads((tmp_path / "results" / "metrics.json").read_text())
    summary = metrics["summary"]
    # tiny: 6 evaluation comments per type, 11 vendor and 17 customer questions, one verdict each
    assert summary["comments"] == 12 and summary["n"] + summary["unparsed"] == 6 * 11 + 6 * 17
    assert summary["wins"] + summary["ties"] + summary["losses"] == summary["n"]
    assert len(summary["adjusted_win_rate_ci95"]) == 2
    for key in ("teacher_agreement", "mean_kappa", "format_compliance", "complete_answers"):
        assert set(summary[key]) == {"base", "finetuned", "majority"}, key
    assert set(summary["constant_questions"]) == {"base", "finetuned"}
    assert set(summary["agreement_lift"]) == {"value", "ci95", "n"}
    # the majority baseline, recomputed here from Step 1's files: each question's most common
    # training answer, scored against the evaluation comments' teacher answers
    right = total = 0
    for ctype, stem in (("vendor", "VendorComments"), ("customer", "CustomerComments")):
        train = json.loads((tmp_path / "data" / f"{stem}_Train_Clean.json").read_text())
        evals = json.loads((tmp_path / "data" / f"{stem}_Evaluation_Clean.json").read_text())
        parsed = [parse_answers(r["Completion"], ctype) for r in train]
        for q in questions(ctype):
            if q.kind == "TEXT":
                continue
            counts = Counter(p[q.number] for p in parsed)
            top = min(v for v, c in counts.items() if c == max(counts.values()))
            for r in evals:
                right += parse_answers(r["Completion"], ctype)[q.number] == top
                total += 1
    assert summary["teacher_agreement"]["majority"] == pytest.approx(right / total)
    assert summary["agreement_lift"]["n"] == total == 6 * 10 + 6 * 16
    gold = json.loads(GOLD.read_text())["comments"]
    assert metrics["gold"]["comments"] == len(gold) and set(metrics["gold"]["by_type"]) == {"vendor", "customer"}
    assert (tmp_path / "results" / "gold_answers.jsonl").exists()
    assert metrics["profile"] == "tiny" and len(metrics["check"]["checks"]) == 3  # tiny: no knowledge checks
    assert "adjusted win rate vs base" in done.stdout and "mean kappa" in done.stdout  # the runner's step 3 line
    # the inner progress of long cells reaches the terminal: training logs and answer bars
    assert re.search(r"^step \d+/\d+ .*loss", done.stdout, re.M), done.stdout[-2000:]
    assert "finetuned answers vendor" in done.stderr and "Decision heads at layer" in done.stdout


def test_a_stopped_run_reports_the_step_in_one_line_with_the_resume_hint(tmp_path):
    """A job's stop (SIGTERM) mid-step: no raw traceback, the step named, how to resume."""
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "utils.pipeline", "--profile", "tiny", "--steps", "1",
                             "--set", f"DATA_DIR={tmp_path / 'data'}", "--run-dir", str(tmp_path / "run")],
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (tmp_path / "run" / "config.json").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2.0)  # the notebook's kernel is running now
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out[-1000:], err[-2000:])
    failed = [line for line in err.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1 and "Step 1 (1_Data_Preparation.ipynb) was interrupted" in failed[0]
    assert "Run the same command again" in failed[0]
    assert err.strip().splitlines()[-1] == failed[0]  # the last word is the runner's
    # no traceback of the runner's own (the dying kernel may still print one of its own socket)
    assert "utils/pipeline.py" not in err and "papermill/execute.py" not in err
