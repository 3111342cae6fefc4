"""The results folder, the PASS/FAIL check, tables and plots, on hand-made verdicts and answers."""

import json

import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from Config.Config import load_config
from utils import figures, report
from utils.files import read_json, read_jsonl
from utils.metrics import compute_metrics
from utils.tasks import TASKS

TOP_KEYS = {"profile", "created", "check", "summary", "by_type", "by_question", "judge", "generations",
            "files", "previous", "config", "versions"}
SUMMARY_KEYS = {"wins", "ties", "losses", "n", "unparsed", "adjusted_win_rate", "adjusted_win_rate_ci95",
                "win_rate_excl_ties", "mean_win_rate_excl_ties", "position_consistency", "teacher_agreement"}
N_QUESTIONS = 11 + 17  # vendor + customer


def V(cid, q, verdict, ctype="vendor"):
    return {"id": cid, "type": ctype, "question": q, "judge": "llm", "verdict": verdict,
            "unparsed": verdict is None, "consistent": verdict != "tie"}


def answers():
    rows = []
    for cid in range(4):
        teacher = {1: 1, 2: 2, 11: f"broker {cid} restarts after the keystore fix"}
        rows.append({"type": "vendor", "id": cid, "comment": f"vendor comment {cid}", "teacher": teacher,
                     "base": {1: 0, 2: None, 11: "something else"}, "finetuned": dict(teacher)})
    rows.append({"type": "customer", "id": 0, "comment": "customer comment", "teacher": {1: 1, 3: 0},
                 "base": {1: 1, 3: 2}, "finetuned": {1: 1, 3: 0}})
    return rows


def verdicts():
    vs = [V(cid, 1, "win") for cid in range(4)]  # 4 wins on Q1
    vs += [V(0, 2, "win"), V(1, 2, "tie"), V(2, 2, "loss"), V(3, 2, None)]  # Q2: one of each + unparsed
    vs += [V(cid, 11, "tie") for cid in range(4)]  # Q11: all ties
    vs += [V(0, 1, "tie", "customer"), V(0, 3, "win", "customer")]
    return vs


@pytest.fixture
def metrics():
    return compute_metrics(verdicts(), answers(), TASKS, n_boot=200, seed=0)


@pytest.fixture
def cfg(tmp_path):
    return load_config("tiny", {"RESULTS_DIR": str(tmp_path / "results")})


def bars(fig: Figure) -> int:
    ax = fig.axes[0]
    return sum(len(c) for c in ax.containers if isinstance(c, BarContainer))


# ------------------------------------------------------------------------------ results folder
def test_write_results_files_and_schema(cfg, metrics, tmp_path):
    gen = tmp_path / "results" / "generations" / "vendor_finetuned.jsonl"
    gen.parent.mkdir(parents=True)
    gen.write_text('{"id": 0}\n')
    path = report.write_results(cfg, metrics, verdicts(), answers(), {"vendor/finetuned": gen},
                                {"speed": {"finetuned": {"tokens_per_second": 12.5}}})
    assert path == cfg.results_dir / "metrics.json"
    for name in ("metrics.json", "per_question.csv", "verdicts.jsonl", "answers.jsonl",
                 "plots/win_rates.png", "plots/teacher_agreement.png", "plots/outcomes.png"):
        assert (cfg.results_dir / name).is_file(), name
    m = read_json(path)
    assert TOP_KEYS | {"speed"} <= set(m)
    assert SUMMARY_KEYS <= set(m["summary"]) and list(m["by_type"]) == ["vendor", "customer"]
    assert len(m["by_question"]) == N_QUESTIONS
    assert m["profile"] == "tiny" and m["config"]["PROFILE"] == "tiny" and m["previous"] is None
    assert m["judge"] == {"kind": "reference", "model": None, "endpoint": None,
                          "method": m["judge"]["method"], "rouge_margin": cfg.ROUGE_MARGIN}
    assert m["versions"]["python"] and "pandas" in m["versions"]
    assert m["generations"]["vendor/finetuned"]["path"] == str(gen.resolve())
    assert len(m["generations"]["vendor/finetuned"]["sha256"]) == 64
    assert m["speed"]["finetuned"]["tokens_per_second"] == 12.5
    assert m["check"]["passed"] is True  # the tiny profile accepts any rate that exists
    assert len(read_jsonl(cfg.results_dir / "verdicts.jsonl")) == len(verdicts())
    # answer dict keys become strings in JSON; the records are otherwise unchanged
    assert read_jsonl(cfg.results_dir / "answers.jsonl")[0]["teacher"]["1"] == 1
    assert len(pd.read_csv(cfg.results_dir / "per_question.csv")) == N_QUESTIONS
    assert gen.exists()  # generations are never moved
    assert not list(cfg.results_dir.glob(".*.tmp"))  # no temporary file left behind


def test_second_write_moves_first_into_history(cfg, metrics):
    first = report.write_results(cfg, metrics, verdicts(), answers(), None, {}, plots=False)
    created = read_json(first)["created"]
    (cfg.results_dir / "plots").mkdir()
    (cfg.results_dir / "plots" / "old.png").write_bytes(b"png")
    report.write_results(cfg, metrics, verdicts()[:3], answers(), None, {"run": 2}, plots=False)
    history = list((cfg.results_dir / "history").iterdir())
    assert len(history) == 1
    old = history[0]
    assert old.name.startswith(created[:10].replace("-", "") + "-")  # e.g. 20261122-013000
    assert {p.name for p in old.iterdir()} == {"metrics.json", "per_question.csv", "verdicts.jsonl",
                                               "answers.jsonl", "plots"}
    assert read_json(old / "metrics.json")["created"] == created and "run" not in read_json(old / "metrics.json")
    assert len(read_jsonl(old / "verdicts.jsonl")) == len(verdicts())
    new = read_json(cfg.results_dir / "metrics.json")
    assert new["run"] == 2 and new["previous"] == f"history/{old.name}"
    assert len(read_jsonl(cfg.results_dir / "verdicts.jsonl")) == 3
    assert not (cfg.results_dir / "plots").exists()  # the old plots went with their results
    # a third write in the same second gets its own folder
    report.write_results(cfg, metrics, verdicts(), answers(), None, {}, plots=False)
    assert len(list((cfg.results_dir / "history").iterdir())) == 2


def test_history_name_falls_back_to_file_time(cfg, metrics):
    cfg.results_dir.mkdir(parents=True)
    (cfg.results_dir / "metrics.json").write_text('{"summary": {}}')  # no `created`
    report.write_results(cfg, metrics, [], [], None, {}, plots=False)
    (old,) = (cfg.results_dir / "history").iterdir()
    assert len(old.name) == len("20261122-013000") and (old / "metrics.json").exists()


def test_extra_may_not_replace_results(cfg, metrics):
    with pytest.raises(ValueError, match="summary"):
        report.write_results(cfg, metrics, [], [], None, {"summary": {}}, plots=False)
    with pytest.raises(ValueError, match="compute_metrics"):
        report.write_results(cfg, {"summary": {}}, [], [], None, {}, plots=False)
    assert not cfg.results_dir.joinpath("metrics.json").exists()


def test_judge_endpoint_recorded_without_secrets(tmp_path, metrics):
    cfg = load_config("tiny", {"RESULTS_DIR": str(tmp_path), "JUDGE": "llm",
                               "JUDGE_ENDPOINT_URL": "https://user:s3cret@judge.example.com:8443/v1?api_key=s3cret",
                               "JUDGE_ENDPOINT_MODEL": "phi-4"})
    path = report.write_results(cfg, metrics, [], [], None, {}, plots=False)
    text = path.read_text()
    assert "s3cret" not in text
    m = json.loads(text)
    assert m["judge"]["kind"] == "llm" and m["judge"]["model"] == "phi-4"
    assert m["judge"]["endpoint"] == "https://judge.example.com:8443/v1"


def test_load_results_round_trip(cfg, metrics):
    report.write_results(cfg, metrics, verdicts(), answers(), None, {}, plots=False)
    loaded = report.load_results(cfg)
    assert loaded["metrics"]["summary"] == json.loads(json.dumps(metrics["summary"]))
    assert len(loaded["verdicts"]) == len(verdicts()) and len(loaded["answers"]) == len(answers())


# ------------------------------------------------------------------------------ the check
def summary(rate, ci, agreement, lift_low=0.1, kappa=0.75, constants=()):
    """A summary block; the knowledge fields default to values that pass the demo check."""
    return {"summary": {"adjusted_win_rate": rate, "adjusted_win_rate_ci95": ci, "n": 10, "unparsed": 0,
                        "teacher_agreement": {"base": 0.4, "finetuned": agreement, "majority": 0.6},
                        "agreement_lift": {"value": None if lift_low is None else lift_low + 0.05,
                                           "ci95": None if lift_low is None else [lift_low, lift_low + 0.1]},
                        "mean_kappa": {"base": 0.0, "finetuned": kappa, "majority": 0.0},
                        "constant_questions": {} if constants is None else {"base": [], "finetuned": list(constants)}}}


KNOWLEDGE_CHECKS = ["agreement lift over the majority baseline, 95% CI lower bound", "fine-tuned mean kappa",
                    "fine-tuned constant questions"]


@pytest.fixture
def demo():
    return load_config("demo")  # expects win rate in [0.90, 1], CI low >= 0.85, agreement >= 0.80


def test_check_pass(demo):
    check = report.check_expectations(demo, summary(0.93, [0.88, 0.97], 0.85))
    assert check["passed"] is True and all(c["passed"] for c in check["checks"])
    assert [c["name"] for c in check["checks"]] == ["adjusted win rate vs base", "95% CI lower bound",
                                                    "fine-tuned teacher agreement", *KNOWLEDGE_CHECKS]
    assert check["checks"][0]["expected"] == [0.90, 1.0]
    assert check["checks"][4]["expected"] == [0.70, 1.0]  # the demo's EXPECTED_MEAN_KAPPA
    assert check["message"].startswith("PASS")
    text = report.format_check(check)
    assert text.splitlines()[0] == check["message"] and text.count("  PASS  ") == 6
    assert "expected within (0.000, 1.000]" in text  # the lift's lower bound must be above 0, not at it


def test_check_fail_names_the_failing_check(demo):
    check = report.check_expectations(demo, summary(0.93, [0.80, 0.97], 0.85))
    assert check["passed"] is False
    assert [c["passed"] for c in check["checks"]] == [True, False, True, True, True, True]
    assert "95% CI lower bound" in check["message"] and check["message"].startswith("FAIL")
    assert "FAIL  95% CI lower bound: 0.800" in report.format_check(check)


def test_check_boundaries_are_inclusive(demo):
    assert report.check_expectations(demo, summary(0.9, [0.85, 1.0], 0.8))["passed"] is True
    assert report.check_expectations(demo, summary(0.8999, [0.85, 1.0], 0.8))["passed"] is False
    assert report.check_expectations(demo, summary(0.9, [0.85, 1.0], 0.8, kappa=0.70))["passed"] is True
    assert report.check_expectations(demo, summary(0.9, [0.85, 1.0], 0.8, kappa=0.6999))["passed"] is False


def test_check_lift_bound_is_exclusive(demo):
    # a lift interval that touches 0 is no evidence of learning: FAIL
    check = report.check_expectations(demo, summary(0.93, [0.88, 0.97], 0.85, lift_low=0.0))
    failed = [c for c in check["checks"] if not c["passed"]]
    assert [c["name"] for c in failed] == [KNOWLEDGE_CHECKS[0]] and failed[0]["reason"] == "0.000 <= 0.000"
    assert report.check_expectations(demo, summary(0.93, [0.88, 0.97], 0.85, lift_low=0.001))["passed"] is True


def test_check_names_constant_questions(demo):
    check = report.check_expectations(demo, summary(0.93, [0.88, 0.97], 0.85, constants=["vendor Q7 bug"]))
    assert check["passed"] is False
    assert "fine-tuned constant questions (1.000 > 0.000 (vendor Q7 bug))" in check["message"]
    assert "(vendor Q7 bug)" in report.format_check(check)


def test_tiny_profile_skips_the_knowledge_checks(cfg):
    check = report.check_expectations(cfg, summary(0.5, [0.4, 0.6], 0.0, lift_low=-0.5, kappa=0.0))
    assert check["passed"] is True and len(check["checks"]) == 3


def test_judge_calibration_is_checked_and_flagged(demo):
    metrics = summary(0.93, [0.88, 0.97], 0.85) | {"judge_calibration": {"teacher_adjusted_win_rate": 0.52}}
    check = report.check_expectations(demo, metrics)
    assert check["passed"] is False and check["checks"][-1]["name"].startswith("judge prefers the teacher")
    assert "could not prefer the teacher" in check["message"]
    metrics["judge_calibration"]["teacher_adjusted_win_rate"] = 0.9
    assert report.check_expectations(demo, metrics)["passed"] is True


def test_check_missing_values_fail_with_reason(demo):
    check = report.check_expectations(demo, summary(None, None, None, lift_low=None, kappa=None, constants=None))
    assert check["passed"] is False and not any(c["passed"] for c in check["checks"])
    assert all(c["value"] is None and c["reason"].startswith("missing") for c in check["checks"])
    assert "no decided verdict" in check["checks"][0]["reason"]
    assert "teacher" in check["checks"][2]["reason"]
    assert "missing" in report.format_check(check)
    # an empty metrics dict fails the same way instead of raising
    assert report.check_expectations(demo, {})["passed"] is False


def test_tiny_profile_passes_on_real_metrics_without_teacher_fails(cfg, metrics):
    assert report.check_expectations(cfg, metrics)["passed"] is True
    no_teacher = compute_metrics(verdicts(), [], TASKS, 50, 0)
    check = report.check_expectations(cfg, no_teacher)
    assert check["passed"] is False and [c["passed"] for c in check["checks"]] == [True, True, False]


# ------------------------------------------------------------------------------ tables
def test_summary_frame(metrics):
    df = report.summary_frame(metrics)
    assert list(df.index) == ["overall", "vendor", "customer"]
    for column in ("n", "wins", "ties", "losses", "unparsed", "adjusted_win_rate", "ci_low", "ci_high",
                   "mean_win_rate_excl_ties", "position_consistency", "teacher_agreement_base",
                   "teacher_agreement_finetuned"):
        assert column in df.columns
    # vendor: 5 wins, 5 ties, 1 loss, 1 unparsed -> (5 + 2.5) / 11
    v = df.loc["vendor"]
    assert (v.wins, v.ties, v.losses, v.n, v.unparsed) == (5, 5, 1, 11, 1)
    assert v.adjusted_win_rate == pytest.approx(7.5 / 11)
    assert df.loc["overall", "n"] == 13 and df.loc["overall", "ci_low"] <= df.loc["overall", "adjusted_win_rate"]


def test_examples_side_by_side_and_deterministic(metrics):
    vs, ans = verdicts(), answers()
    a = report.examples(vs, ans, kind="win", n=3, seed=0)
    assert list(a.columns) == ["type", "id", "question", "teacher", "base", "finetuned", "verdict", "comment"]
    assert len(a) == 3 and set(a.verdict) == {"win"}
    pd.testing.assert_frame_equal(a, report.examples(list(reversed(vs)), ans, kind="win", n=3, seed=0))
    # answers after a JSON round trip (string keys) give the same table
    pd.testing.assert_frame_equal(a, report.examples(vs, json.loads(json.dumps(ans)), kind="win", n=3, seed=0))
    loss = report.examples(vs, ans, kind="loss", n=5)
    assert len(loss) == 1  # only one loss exists
    row = loss.iloc[0]
    assert (row.type, row.id, row.question, row.teacher, row.base, row.finetuned) == \
        ("vendor", 2, "Q2 severity", 2, None, 2)
    assert report.examples(vs, ans, kind="tie", n=10).shape[0] == 6
    assert report.examples([], ans, kind="tie").empty
    with pytest.raises(ValueError, match="kind"):
        report.examples(vs, ans, kind="draw")


# ------------------------------------------------------------------------------ plots
def test_plots_return_figures_with_one_bar_per_item(metrics):
    win = figures.plot_win_rates(metrics)
    assert isinstance(win, Figure) and bars(win) == N_QUESTIONS
    assert "n = 13" in win.axes[0].get_title()
    labels = [t.get_text() for t in win.axes[0].get_yticklabels()]
    assert labels[0] == "vendor Q1 technical" and "customer Q3 frustration" in labels
    agreement = figures.plot_teacher_agreement(metrics)
    assert bars(agreement) == 2 * N_QUESTIONS  # base and fine-tuned
    outcomes = figures.plot_outcomes(metrics)
    assert bars(outcomes) == 4 * N_QUESTIONS  # wins, ties, losses, unparsed
    assert win._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"  # shows itself in a notebook


def test_plots_of_one_type_and_of_nothing():
    only_vendor = compute_metrics([V(0, 1, "win")], [], TASKS, 20, 0)
    assert bars(figures.plot_win_rates(only_vendor)) == 11
    empty = {"summary": {}, "by_type": {}, "by_question": []}
    for plot in (figures.plot_win_rates, figures.plot_teacher_agreement, figures.plot_outcomes):
        assert isinstance(plot(empty), Figure)
