"""Metrics on hand-made verdicts and answers whose results are known."""

import json

import pytest

from utils.metrics import (
    UNPARSED, adjusted_win_rate, agreement_lift, answerer_frame, balanced_accuracy, bootstrap_ci, cohen_kappa,
    compute_gold_metrics, compute_metrics, per_question_frame, position_consistency, weighted_kappa, win_counts,
    win_rate_excl_ties,
)
from utils.tasks import TASKS

SUMMARY_KEYS = {"wins", "ties", "losses", "n", "unparsed", "adjusted_win_rate", "adjusted_win_rate_ci95",
                "win_rate_excl_ties", "mean_win_rate_excl_ties", "position_consistency", "teacher_agreement",
                "comments"}


def V(cid, verdict, q=1, ctype="vendor", **extra):
    return {"id": cid, "type": ctype, "question": q, "verdict": verdict, "unparsed": verdict is None, **extra}


def spread(verdicts, q=1, ctype="vendor"):
    """One verdict per comment."""
    return [V(i, v, q, ctype) for i, v in enumerate(verdicts)]


# ------------------------------------------------------------------------------ counts and rates
def test_known_rates():
    vs = spread(["win"] * 6 + ["tie"] * 2 + ["loss"] * 2)
    counts = win_counts(vs)
    assert counts == {"wins": 6, "ties": 2, "losses": 2, "n": 10, "unparsed": 0}
    assert adjusted_win_rate(counts) == pytest.approx(0.7)
    assert win_rate_excl_ties(counts) == pytest.approx(0.75)


def test_all_ties():
    vs = spread(["tie"] * 8)
    counts = win_counts(vs)
    assert adjusted_win_rate(counts) == 0.5
    assert win_rate_excl_ties(counts) is None
    assert bootstrap_ci(vs, 200, 1) == [0.5, 0.5]


def test_single_sided():
    wins, losses = spread(["win"] * 5), spread(["loss"] * 5)
    assert adjusted_win_rate(win_counts(wins)) == 1.0 and win_rate_excl_ties(win_counts(wins)) == 1.0
    assert bootstrap_ci(wins, 200, 1) == [1.0, 1.0]
    assert bootstrap_ci(losses, 200, 1) == [0.0, 0.0]


def test_nothing_decided():
    vs = spread([None, None])
    counts = win_counts(vs)
    assert counts == {"wins": 0, "ties": 0, "losses": 0, "n": 0, "unparsed": 2}
    assert adjusted_win_rate(counts) is None and win_rate_excl_ties(counts) is None
    assert bootstrap_ci(vs, 100, 1) is None and bootstrap_ci([], 100, 1) is None


def test_unparsed_left_out_of_rates():
    vs = spread(["win", "loss", None, None])
    counts = win_counts(vs)
    assert counts["n"] == 2 and counts["unparsed"] == 2
    assert adjusted_win_rate(counts) == 0.5


def test_unknown_verdict_refused():
    with pytest.raises(ValueError, match="Unknown verdict"):
        win_counts([V(1, "draw")])


# ------------------------------------------------------------------------------ bootstrap
def _mixed():
    pattern = ["win", "win", "tie", "loss", "win", "tie", "win", "loss", "win", "win", "tie", "win"]
    return [V(i // 3, v, q=1 + i % 3) for i, v in enumerate(pattern * 5)]  # 20 comments x 3 questions


def test_bootstrap_deterministic_and_seeded():
    vs = _mixed()
    a, b = bootstrap_ci(vs, 500, 42), bootstrap_ci(vs, 500, 42)
    assert a == b
    assert bootstrap_ci(vs, 500, 43) != a


def test_ci_contains_point_estimate():
    vs = _mixed()
    point = adjusted_win_rate(win_counts(vs))
    lo, hi = bootstrap_ci(vs, 1000, 0)
    assert 0 <= lo < point < hi <= 1


def test_bootstrap_resamples_comments_not_verdicts():
    # one comment only: every resample draws that comment with all its verdicts -> no spread
    vs = [V(1, v, q=q) for q, v in enumerate(["win", "win", "win", "loss"], start=1)]
    assert bootstrap_ci(vs, 300, 5) == [0.75, 0.75]
    # the same verdicts on four comments do vary
    lo, hi = bootstrap_ci(spread(["win", "win", "win", "loss"]), 300, 5)
    assert lo < 0.75 < hi


def test_same_id_in_two_types_are_two_comments():
    vs = [V(1, "win", ctype="vendor"), V(1, "loss", ctype="customer")]
    lo, hi = bootstrap_ci(vs, 300, 5)
    assert lo == 0.0 and hi == 1.0


# ------------------------------------------------------------------------------ consistency
def test_position_consistency():
    vs = [V(1, "win", judge="llm", consistent=True), V(2, "tie", judge="llm", consistent=False),
          V(3, "tie", judge="llm", consistent=True), V(4, "tie", judge="llm", consistent=True),
          V(5, None, judge="llm", consistent=False)]
    assert position_consistency(vs) == pytest.approx(0.75)
    assert position_consistency([V(1, "win", judge="reference", consistent=None)]) is None


# ------------------------------------------------------------------------------ kappa
def test_cohen_kappa_known_example():
    a = [1, 1, 1, 0, 0, 0, 1, 0, 1, 1]
    b = [1, 1, 0, 0, 0, 1, 1, 0, 1, 0]
    # by hand: observed 7/10; expected 0.6*0.5 + 0.4*0.5 = 0.5; kappa = (0.7-0.5)/(1-0.5) = 0.4
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) is None  # one class on both sides: undefined
    assert cohen_kappa([], []) is None
    assert cohen_kappa([0, 1], [1, 0]) == pytest.approx(-1.0)


# ------------------------------------------------------------------------------ compute_metrics
TEACHER = {1: {1: 1, 2: 2, 11: "the engineer asks for the logs"},
           2: {1: 0, 2: 3, 11: "a restart fixed the broker"}}
BASE = {1: {1: 0, 2: None, 11: ""}, 2: {1: 0, 2: 1, 11: "a restart fixed the broker"}}
FT = {1: {1: 1, 2: 2, 11: "the engineer asks for the logs"}, 2: {1: 0, 2: 4, 11: "a restart fixed the broker"}}


def _answers():
    return [{"type": "vendor", "id": i, "base": BASE[i], "finetuned": FT[i], "teacher": TEACHER[i]} for i in (1, 2)]


def _verdicts():
    vs = []
    for cid in (1, 2):
        vs += [V(cid, "win", q=1, judge="llm", consistent=True), V(cid, "tie", q=11, judge="llm", consistent=False)]
    vs += [V(1, "loss", q=2, judge="llm", consistent=True), V(2, None, q=2, judge="llm", consistent=False)]
    return vs


def test_compute_metrics_structure_and_values():
    m = compute_metrics(_verdicts(), _answers(), TASKS, n_boot=200, seed=42)
    assert set(m) == {"summary", "by_type", "by_question"}
    s = m["summary"]
    assert SUMMARY_KEYS <= set(s)
    assert (s["wins"], s["ties"], s["losses"], s["n"], s["unparsed"]) == (2, 2, 1, 5, 1)
    assert s["adjusted_win_rate"] == pytest.approx(0.6)
    assert s["win_rate_excl_ties"] == pytest.approx(2 / 3)
    assert s["position_consistency"] == pytest.approx(3 / 5)
    assert s["comments"] == 2
    assert list(m["by_type"]) == ["vendor"] and SUMMARY_KEYS <= set(m["by_type"]["vendor"])
    # Q1: 2 wins -> 1.0; Q2: 1 loss -> 0.0; Q11 all ties and 8 unjudged questions skipped
    assert s["mean_win_rate_excl_ties"] == pytest.approx(0.5) and s["questions_skipped"] == 9
    # pooled BOOL/SCORE agreement: base right on Q1 of comment 2 only (1/4); fine-tuned 3/4
    assert s["teacher_agreement"] == {"base": pytest.approx(0.25), "finetuned": pytest.approx(0.75)}

    byq = {q["question"]: q for q in m["by_question"]}
    assert len(byq) == 11 and byq[1]["key"] == "technical" and byq[1]["kind"] == "BOOL"
    assert byq[1]["adjusted_win_rate_ci95"] == [1.0, 1.0]
    assert byq[3]["n"] == 0 and byq[3]["adjusted_win_rate_ci95"] is None
    q1 = byq[1]["teacher_agreement"]
    assert q1["base"]["accuracy"] == 0.5 and q1["base"]["kappa"] == pytest.approx(0.0)
    assert q1["finetuned"]["accuracy"] == 1.0 and q1["finetuned"]["kappa"] == pytest.approx(1.0)
    q2 = byq[2]["teacher_agreement"]
    assert q2["base"]["accuracy"] == 0.0 and q2["base"]["mae"] == 2.0 and q2["base"]["unparsed"] == 1
    assert q2["finetuned"]["accuracy"] == 0.5 and q2["finetuned"]["mae"] == 0.5 and q2["finetuned"]["unparsed"] == 0
    q11 = byq[11]["teacher_agreement"]
    assert q11["base"]["rouge_l"] == pytest.approx(0.5) and q11["finetuned"]["rouge_l"] == pytest.approx(1.0)
    assert byq[4]["teacher_agreement"]["base"]["n"] == 0  # no teacher value
    json.dumps(m)  # JSON-ready


def test_answers_as_dict_and_after_json_round_trip():
    as_list = compute_metrics(_verdicts(), _answers(), TASKS, 100, 1)
    as_dict = compute_metrics(_verdicts(), {("vendor", r["id"]): r for r in _answers()}, TASKS, 100, 1)
    round_trip = compute_metrics(_verdicts(), json.loads(json.dumps(_answers())), TASKS, 100, 1)
    assert as_list == as_dict == round_trip


def test_mean_of_rates_differs_from_pooled():
    vs = [V(i, "win", q=1) for i in range(9)] + [V(9, "loss", q=1)] + [V(0, "loss", q=2)] + \
         [V(i, "tie", q=3) for i in range(3)]
    s = compute_metrics(vs, None, TASKS, 100, 0)["summary"]
    assert s["win_rate_excl_ties"] == pytest.approx(9 / 11)
    assert s["mean_win_rate_excl_ties"] == pytest.approx((0.9 + 0.0) / 2)
    assert s["questions_skipped"] == 9  # Q3 all ties plus 8 questions without verdicts


def test_reference_judge_has_no_consistency_and_both_types():
    vs = [V(1, "win", judge="reference", consistent=None), V(1, "tie", q=3, ctype="customer", judge="reference",
                                                             consistent=None)]
    m = compute_metrics(vs, [], TASKS, 50, 0)
    assert m["summary"]["position_consistency"] is None
    assert list(m["by_type"]) == ["vendor", "customer"] and m["summary"]["comments"] == 2
    assert len(m["by_question"]) == 11 + 17
    assert m["summary"]["teacher_agreement"] == {"base": None, "finetuned": None}


def test_unknown_type_or_question_refused():
    with pytest.raises(ValueError, match="not in questions_by_type"):
        compute_metrics([V(1, "win", ctype="partner")], None, TASKS, 10, 0)
    with pytest.raises(ValueError, match="do not exist"):
        compute_metrics([V(1, "win", q=40)], None, TASKS, 10, 0)


def test_per_question_frame():
    m = compute_metrics(_verdicts(), _answers(), TASKS, 100, 0)
    df = per_question_frame(m)
    assert len(df) == 11
    assert list(df.columns) == ["type", "q", "key", "kind", "wins", "ties", "losses", "n", "unparsed",
                                "win_rate_excl_ties", "adjusted_win_rate", "ci_low", "ci_high",
                                "position_consistency", "teacher_constant",
                                "base_agreement", "base_kappa", "base_format", "base_constant",
                                "finetuned_agreement", "finetuned_kappa", "finetuned_format", "finetuned_constant"]
    row = df[df.q == 2].iloc[0]
    assert row.losses == 1 and row.unparsed == 1 and row.base_agreement == 0.0 and row.finetuned_agreement == 0.5
    assert df[df.q == 11].iloc[0].finetuned_agreement == pytest.approx(1.0)


# ------------------------------------------------------------------------------ chance-corrected agreement
def test_weighted_kappa_known_examples():
    # by hand, scale 1-4, weights ((i-j)/3)^2: observed weighted disagreement 0.25 * 1/9 = 1/36;
    # expected 0.25 * (0.25*14/9 + 0.25*6/9 + 0.5*14/9) = 1/3; kappa = 1 - (1/36)/(1/3) = 11/12
    assert weighted_kappa([1, 2, 4, 4], [1, 2, 3, 4], 1, 4) == pytest.approx(11 / 12)
    # an unparsed answer lies at weight 1 from every value: 1 - 0.25 / (62/144) = 13/31
    assert weighted_kappa([UNPARSED, 2, 3, 4], [1, 2, 3, 4], 1, 4) == pytest.approx(13 / 31)
    assert weighted_kappa([None, 2, 3, 4], [1, 2, 3, 4], 1, 4) == pytest.approx(13 / 31)
    assert weighted_kappa([1, 2, 3, 4], [1, 2, 3, 4], 1, 4) == pytest.approx(1.0)
    assert weighted_kappa([2, 2, 2, 2], [1, 2, 3, 4], 1, 4) == pytest.approx(0.0)  # a constant: 0
    assert weighted_kappa([2, 2], [2, 2], 1, 4) is None and weighted_kappa([], [], 1, 4) is None


def test_kappa_counts_unparsed_answers_against_the_model():
    # [U, 1, 0, 0] against [1, 1, 0, 0]: observed 3/4; expected 0.25*0.5 + 0.5*0.5 = 0.375 -> 0.6.
    # Dropping the unparsed pair instead would give a perfect 1.0 to a model that did not answer.
    assert cohen_kappa([UNPARSED, 1, 0, 0], [1, 1, 0, 0]) == pytest.approx(0.6)
    assert cohen_kappa([1, 0, 0], [1, 0, 0]) == pytest.approx(1.0)
    assert cohen_kappa([0, 0, 0, 0], [1, 0, 0, 1]) == pytest.approx(0.0)  # a constant: 0, though half right
    # never answering is worse than a constant: every answer is a disagreement
    assert cohen_kappa([UNPARSED] * 4, [1, 0, 0, 1]) == pytest.approx(0.0)
    assert cohen_kappa([UNPARSED, UNPARSED, 0, 1], [1, 0, 0, 1]) < cohen_kappa([0, 0, 0, 1], [1, 0, 0, 1])
    assert balanced_accuracy([1, 1, 1, 0], [1, 1, 0, 0]) == pytest.approx(0.75)
    assert balanced_accuracy([0, 0, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)  # 75% accuracy, no skill


def _lift_rows():
    return [
        # comment A: fine-tuned right on Q1 and Q2, the baseline on Q2 only
        {"type": "vendor", "id": "A", "teacher": {1: 1, 2: 2}, "finetuned": {1: 1, 2: 2}, "majority": {1: 0, 2: 2},
         "base": {}},
        # comment B: both right on Q1, both wrong on Q2
        {"type": "vendor", "id": "B", "teacher": {1: 0, 2: 3}, "finetuned": {1: 0, 2: 2}, "majority": {1: 0, 2: 2},
         "base": {}},
    ]


def test_agreement_lift_known_value_and_paired_bootstrap():
    lift = agreement_lift(_lift_rows(), TASKS, 2000, seed=5)
    # fine-tuned 3/4, baseline 2/4 on the same four items: +0.25. Resampling two comments gives
    # AA (+0.5), AB (+0.25) or BB (0), so the 95% interval is [0, 0.5]
    assert lift["value"] == pytest.approx(0.25) and lift["n"] == 4
    assert lift["ci95"] == [0.0, 0.5]
    assert agreement_lift(_lift_rows(), TASKS, 300, seed=5) == agreement_lift(_lift_rows(), TASKS, 300, seed=5)
    assert agreement_lift([], TASKS, 10, 0) == {"value": None, "ci95": None, "n": 0}


def test_summary_has_the_knowledge_headline():
    rows = _lift_rows()
    m = compute_metrics([], rows, TASKS, 500, 0)
    s = m["summary"]
    assert s["teacher_agreement"] == {"base": 0.0, "finetuned": 0.75, "majority": 0.5}
    assert s["agreement_lift"]["value"] == pytest.approx(0.25)
    # Q1: fine-tuned [1, 0] against [1, 0] -> kappa 1; Q2 (1-4): [2, 2] against [2, 3] -> a constant, 0
    assert s["mean_kappa"]["finetuned"] == pytest.approx(0.5) and s["mean_kappa_questions"]["finetuned"] == 2
    assert s["mean_kappa"]["majority"] == pytest.approx(0.0)
    assert s["constant_questions"] == {"base": [], "finetuned": ["vendor Q2 severity"]}
    # 11 questions on two comments: fine-tuned answered 2 of 11 on each
    assert s["format_compliance"]["finetuned"] == pytest.approx(4 / 22)
    assert s["complete_answers"] == {"base": 0.0, "finetuned": 0.0, "majority": 0.0}
    q1 = m["by_question"][0]["teacher_agreement"]
    assert q1["finetuned"]["format_compliance"] == 1.0 and q1["base"]["format_compliance"] == 0.0
    assert q1["majority"]["constant"] is True and q1["finetuned"]["constant"] is False
    assert m["by_question"][0]["teacher_constant"] is False
    frame = answerer_frame(s)
    assert list(frame.index) == ["base", "finetuned", "majority"]
    assert frame.loc["finetuned", "lift_over_majority"] == pytest.approx(0.25)


def test_constant_where_the_teacher_is_constant_is_not_flagged():
    rows = [{"type": "vendor", "id": i, "teacher": {8: 0}, "finetuned": {8: 0}, "majority": {8: 0}, "base": {8: 0}}
            for i in range(20)]
    s = compute_metrics([], rows, TASKS, 50, 0)["summary"]
    assert s["constant_questions"] == {"base": [], "finetuned": []}
    byq = {q["question"]: q for q in compute_metrics([], rows, TASKS, 50, 0)["by_question"]}
    assert byq[8]["teacher_constant"] is True and byq[8]["teacher_agreement"]["finetuned"]["kappa"] is None


def test_gold_metrics_score_only_labelled_questions():
    rows = [{"type": "customer", "id": "g1", "teacher": {2: 1}, "base": {}, "finetuned": {2: 1, 3: 4}, "majority": {2: 0}},
            {"type": "customer", "id": "g2", "teacher": {2: 0, 7: 1}, "base": {}, "finetuned": {2: 0, 7: 0},
             "majority": {2: 0, 7: 0}}]
    gold = compute_gold_metrics(rows, TASKS, 100, 0)
    assert gold["comments"] == 2 and list(gold["by_type"]) == ["customer"]
    s = gold["summary"]
    assert s["teacher_agreement"] == {"base": 0.0, "finetuned": pytest.approx(2 / 3), "majority": pytest.approx(1 / 3)}
    counted = {q["key"]: q["teacher_agreement"]["finetuned"]["n"] for q in gold["by_question"]}
    assert counted["complaint"] == 2 and counted["meeting_request"] == 1 and counted["frustration"] == 0
