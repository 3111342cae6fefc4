"""The majority baseline and the knowledge check: a constant answerer must FAIL, the teacher PASS."""

from pathlib import Path

import pytest

from Config.Config import load_config
from utils import evaluation, judge, report
from utils.baseline import majority_from_records, most_common, typical_text
from utils.data import output_paths, prepare_data
from utils.metrics import compute_metrics
from utils.tasks import TASKS, format_answers, questions

ROOT = Path(__file__).resolve().parent.parent


def test_most_common_breaks_ties_by_the_smaller_value():
    assert most_common([1, 0, 1, 0, None, None, None]) == 0  # None is no answer, not a value
    assert most_common([3, 3, 2]) == 3 and most_common([None]) is None


def test_typical_text_is_the_summary_closest_to_the_others():
    texts = ["the broker restarts after the upgrade", "the broker restarts after an upgrade to 7.1",
             "the broker restarts", "a cat sat on the mat"]
    assert typical_text(texts, sample=10, seed=0) == "the broker restarts after the upgrade"
    assert typical_text(["", "  "], 10, 0) is None
    # a seeded sample: the same seed picks the same text, whatever the input order
    many = [f"the broker restarts after upgrade number {i}" for i in range(30)]
    assert typical_text(many, 5, 7) == typical_text(list(reversed(many)), 5, 7)


def test_majority_from_training_records():
    qs = questions("vendor")
    rows = []
    for i in range(5):
        values = {q.number: (i % 2 if q.kind == "BOOL" else 2 if q.kind == "SCORE" else f"summary {i}") for q in qs}
        values[2] = 1 if i < 3 else 4  # severity: 1 three times, 4 twice
        rows.append({"Completion": format_answers(values, "vendor")})
    answers = majority_from_records(rows, "vendor", sample=10, seed=0)
    assert answers[1] == 0  # 0 three times (i = 0, 2, 4), 1 twice
    assert answers[2] == 1 and answers[3] == 2
    assert answers[11].startswith("summary ")


# ------------------------------------------------------------------------------ the check
def _synthetic_answers(n=40, seed=3):
    """Answer records whose teacher values vary; the base never writes the format."""
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        teacher = {}
        for q in questions("vendor"):
            if q.kind == "BOOL":
                teacher[q.number] = int(rng.random() < 0.3)
            elif q.kind == "SCORE":
                teacher[q.number] = rng.choice([1, 2, 2, 3, 3, 3, 4])
            else:
                teacher[q.number] = f"the node {i} fails after the upgrade to release {i % 7}"
        rows.append({"type": "vendor", "id": f"v{i}", "comment": f"comment {i}", "teacher": teacher,
                     "base": {q.number: None for q in questions("vendor")}})
    records = [{"Completion": format_answers(r["teacher"], "vendor")} for r in rows]
    majority = majority_from_records(records, "vendor", sample=50, seed=0)
    for r in rows:
        r["majority"] = dict(majority)
    return rows


def _check_with(finetuned_of, profile):
    rows = _synthetic_answers()
    for r in rows:
        r["finetuned"] = dict(finetuned_of(r))
    cfg = load_config(profile)
    verdicts = evaluation.judge_reference(cfg, rows)
    metrics = compute_metrics(verdicts, rows, {"vendor": TASKS["vendor"]}, 300, 0)
    return metrics, report.check_expectations(cfg, metrics)


@pytest.mark.parametrize("profile", ["demo", "amp"])
def test_the_majority_baseline_as_the_student_fails_the_check(profile):
    metrics, check = _check_with(lambda r: r["majority"], profile)
    s = metrics["summary"]
    # the old amp check (win rate >= 0.82) would have passed it: it beats a base that never answers
    assert s["adjusted_win_rate"] > 0.82 and s["teacher_agreement"]["finetuned"] > 0.6
    assert s["agreement_lift"]["value"] == 0.0 and s["agreement_lift"]["ci95"] == [0.0, 0.0]
    assert s["mean_kappa"]["finetuned"] == 0.0
    assert len(s["constant_questions"]["finetuned"]) == 10  # all 10 BOOL and SCORE questions: the teacher varies on each
    failed = {c["name"] for c in check["checks"] if not c["passed"]}
    assert check["passed"] is False
    # each of the three knowledge checks catches it on its own, whatever the win-rate checks say
    assert failed >= {"agreement lift over the majority baseline, 95% CI lower bound", "fine-tuned mean kappa",
                      "fine-tuned constant questions"}


@pytest.mark.parametrize("profile", ["demo", "amp"])
def test_a_copy_of_the_teacher_passes_the_check(profile):
    metrics, check = _check_with(lambda r: r["teacher"], profile)
    s = metrics["summary"]
    assert s["mean_kappa"]["finetuned"] == pytest.approx(1.0) and s["constant_questions"]["finetuned"] == []
    assert s["agreement_lift"]["ci95"][0] > 0.15
    assert check["passed"] is True, check["message"]


def test_the_majority_baseline_fails_the_demo_check_on_the_demo_data(tmp_path):
    """Step 1 on the shipped demo exports; the baseline answers the evaluation comments."""
    cfg = load_config("demo", {"DATA_DIR": str(tmp_path), "RESULTS_DIR": str(tmp_path / "results"),
                               "VENDOR_SDS_FILE": str(ROOT / "Data/VendorComments.json"),
                               "CUSTOMER_SDS_FILE": str(ROOT / "Data/CustomerComments.json")})
    prepare_data(cfg)
    assert output_paths(cfg)["vendor_train"].exists()
    records = evaluation.load_eval_records(cfg)
    from utils.baseline import majority_answers

    majority = majority_answers(cfg)
    rows = []
    for ctype, recs in records.items():
        for rec in recs:
            teacher = evaluation.parse_answers(rec["Completion"], ctype)
            rows.append({"type": ctype, "id": rec["id"], "comment": rec["Comment"], "teacher": teacher,
                         "base": {}, "finetuned": dict(majority[ctype]), "majority": dict(majority[ctype])})
    verdicts = evaluation.judge_reference(cfg, rows)
    metrics = compute_metrics(verdicts, rows, {t: questions(t) for t in records}, cfg.BOOTSTRAP_SAMPLES, cfg.SEED)
    check = report.check_expectations(cfg, metrics)
    assert metrics["summary"]["adjusted_win_rate"] > 0.9  # what the old headline certified
    assert check["passed"] is False
    assert not next(c for c in check["checks"] if c["name"] == "fine-tuned mean kappa")["passed"]
    assert not next(c for c in check["checks"] if c["name"].startswith("agreement lift"))["passed"]


def test_reference_judge_scores_the_baseline_against_the_base():
    rows = _synthetic_answers(6)
    for r in rows:
        r["finetuned"] = dict(r["teacher"])
    cfg = load_config("demo")
    metrics = compute_metrics(evaluation.judge_reference(cfg, rows), rows, {"vendor": TASKS["vendor"]}, 100, 0,
                              baseline_verdicts=evaluation.baseline_verdicts(cfg, rows))
    s = metrics["summary"]
    assert s["adjusted_win_rate"] == 1.0  # the teacher's copy beats a base without answers everywhere
    assert 0.5 < s["majority_adjusted_win_rate"] < 1.0  # the baseline beats it too, where its value is right
    assert judge.same_answer(" a  b", "a b")
