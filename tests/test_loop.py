"""More data like the training data (utils.synth) and the loop (utils.loop), against the loopback server.

The server (tests/fake_openai_server.py) writes new comments from the seeds it is shown (scripted
replies where a test needs a duplicate or a contaminated comment, else the seed's words reversed),
answers from known labels and scores every answer set 5. The tests check the screening counts
exactly, that Step 1 adds the new pairs to training only, resuming, the choice of weak questions
and seeds, and two rounds of the loop on `tiny` through the runner.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from Config.Config import PROJECT_ROOT, load_config
from fake_openai_server import ID_TAG, FakeOpenAI
from test_teacher import KEY, make_comments, write_json_list
from utils.data import extra_card_path, prepare_data
from utils.gold import load_gold
from utils.files import read_json
from utils.loop import mistakes, weakest_questions
from utils.synth import Seed, draw_seeds, screen, synthesize
from utils.tasks import format_answers, questions
from utils.teacher import label_comments, raw_log_path

GOLD = PROJECT_ROOT / "Data" / "gold" / "GoldComments.json"
FRESH = "[x-001] " + " ".join(f"fresh{i}" for i in range(24)) + "."  # shares no word with any test comment


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("TEACHER_API_KEY", KEY)


def tag(text: str) -> str:
    return ID_TAG.search(text).group(1)


def last_word_changed(text: str) -> str:
    """One word 3-gram of ~24 replaced: Jaccard 23/25 = 0.92, above NEAR_DUP_THRESHOLD 0.9."""
    return text.rsplit(" ", 1)[0] + " zebra."


def project_config(tmp_path, url: str, **extra):
    over = {"DATA_DIR": str(tmp_path / "data"), "MODELS_DIR": str(tmp_path / "models"),
            "VENDOR_SDS_FILE": str(tmp_path / "Data" / "Vendor.json"), "COMMENT_TYPES": ("vendor",), "EVAL_SIZE": 5,
            "TRAIN_SIZE": {"vendor": 15, "customer": 1}, "GOLD_FILE": str(GOLD),
            "TEACHER_ENDPOINT_URL": url, "TEACHER_MODEL": "fake-teacher", "TEACHER_REQUESTS_PER_MINUTE": None,
            "TEACHER_TOKENS_PER_MINUTE": None, "TEACHER_BACKOFF_S": 0.01, "TEACHER_TIMEOUT_S": 5.0,
            "TEACHER_WORKERS": 4}
    return load_config("tiny", over | extra)


# ------------------------------------------------------------------------------ synthesis
def test_synthesis_screens_new_comments_and_step1_trains_on_them_only(tmp_path):
    rows, labels = make_comments(30)
    labels["x-001"] = labels["v-000"]
    src = write_json_list(tmp_path / "comments.json", rows)
    with FakeOpenAI(labels) as server:
        cfg = project_config(tmp_path, server.base_url)
        label_comments(cfg, src, cfg.VENDOR_SDS_FILE, progress=False)
        first = prepare_data(cfg)  # 30 kept: 5 eval, 15 train, 10 unused
        data = first.types["vendor"]
        train, evaluation = data.train, data.eval
        split = {r["Comment"] for r in train + evaluation}
        unused = [r["comment"] for r in rows if r["comment"] not in split]
        gold = next(g["comment"] for g in load_gold(GOLD) if g["type"] == "vendor")
        seeds = [Seed(r["id"], "vendor", r["Comment"]) for r in train]

        # an earlier round: two new comments, both kept
        r1 = tmp_path / "Data" / "synthetic" / "Vendor_r1.json"
        earlier = synthesize(cfg, seeds[12:14], r1, progress=False)
        assert earlier.card["counts"]["kept"] == 2
        earlier_text = earlier.export["synthetic"]["evaluated_pairs"][0]["question"]

        s = [tag(x.text) for x in seeds]
        server.writes.update({
            s[0]: [evaluation[0]["Comment"].upper()],  # eval_contaminated, exact (case aside)
            s[1]: [last_word_changed(evaluation[1]["Comment"])],  # eval_contaminated, near
            s[2]: [gold],  # gold_contaminated
            s[3]: [seeds[3].text],  # duplicate_of_data: its own seed
            s[4]: [last_word_changed(unused[0])],  # duplicate_of_data: a comment the split left unused
            s[5]: [earlier_text],  # duplicate_of_earlier
            s[6]: [FRESH], s[7]: [FRESH],  # kept, then duplicate_in_batch
        })
        server.faults.update({("write", s[8]): ["malformed", "malformed"],  # unusable after the second ask
                              ("write", s[9]): ["malformed"],  # asked once more, then kept
                              ("write", s[10]): ["500"]})  # retried, then kept
        cfg2 = project_config(tmp_path, server.base_url, VENDOR_EXTRA_SDS_FILES=(str(r1),))
        r2 = tmp_path / "Data" / "synthetic" / "Vendor_r2.json"
        result = synthesize(cfg2, seeds[:12], r2, progress=False)

        counts = result.card["counts"]
        assert counts == {"seeds": 12, "written": 11, "unusable": 1, "failed": 0, "eval_contaminated": 2,
                          "gold_contaminated": 1, "duplicate_of_data": 2, "duplicate_of_earlier": 1,
                          "duplicate_in_batch": 1, "kept": 4, "resumed": 0}
        matched = {r["seed"]: (r["stage"], r["matched"]) for r in result.card["rejects"]}
        assert matched[seeds[0].id] == ("eval_contaminated", evaluation[0]["id"])
        assert matched[seeds[3].id] == ("duplicate_of_data", seeds[3].id)
        assert matched[seeds[7].id] == ("duplicate_in_batch", f"new-{seeds[6].id}")
        near = next(r for r in result.card["rejects"] if r["seed"] == seeds[1].id)
        assert 0.9 <= near["jaccard"] < 1
        u = result.usage
        # write: 12 first asks + 2 re-asks (s8 twice unusable, s9 once) + 1 retry (s10's 500)
        assert (u.write.requests, u.write.reasks, u.write.retries, u.write.rejects) == (15, 2, 1, 1)
        assert (u.answer.requests, u.judge.requests) == (4, 4)  # only the kept ones are labelled
        assert result.card["labelled"] == {"scored": 4, "failed_evaluations": 0, "failed_pairs": 0, "missing": 0,
                                           "mean_score": 5.0}
        assert [p["question"] for p in result.export["synthetic"]["evaluated_pairs"]][0] == FRESH
        assert read_json(extra_card_path(r2))["counts"] == counts

        # the same command again: nothing is asked, the same export byte for byte
        before, n = r2.read_bytes(), len(server.requests)
        again = synthesize(cfg2, seeds[:12], r2, progress=False)
        assert len(server.requests) == n and again.usage.requests == 0 and r2.read_bytes() == before
        assert again.card["counts"]["resumed"] == 12
        assert {row["pass"] for row in map(json.loads, raw_log_path(r2).read_text().splitlines())} == {
            "write", "answer", "judge"}

    # Step 1 with both rounds: the split is unchanged, the new pairs join the merged training file only
    eval_before = first.paths["vendor_eval"].read_bytes()
    train_before = first.paths["vendor_train"].read_bytes()
    cfg3 = project_config(tmp_path, "http://127.0.0.1:9/v1", VENDOR_EXTRA_SDS_FILES=(str(r1), str(r2)))
    grown = prepare_data(cfg3)
    assert grown.paths["vendor_eval"].read_bytes() == eval_before
    assert grown.paths["vendor_train"].read_bytes() == train_before
    extras = grown.types["vendor"].extras
    assert [(e.funnel["input"], e.funnel["kept"], e.funnel["train"]) for e in extras] == [(2, 2, 2), (4, 4, 4)]
    merged = read_json(grown.paths["merged_train"])
    assert len(merged) == 15 + 6 and sum(r["id"].startswith("vendor-Vendor_r") for r in merged) == 6
    card = grown.card
    assert card["merged_train"]["from_extra_files"] == 6
    assert card["extra_files"]["vendor"][1]["card"]["counts"]["eval_contaminated"] == 2
    assert card["split"]["vendor"] == {"train": 15, "eval": 5, "available": 30}


def test_step1_drops_an_extra_pair_that_repeats_the_main_export(tmp_path):
    rows, labels = make_comments(12)
    with FakeOpenAI(labels) as server:
        cfg = project_config(tmp_path, server.base_url, EVAL_SIZE=3, TRAIN_SIZE={"vendor": 6, "customer": 1})
        label_comments(cfg, write_json_list(tmp_path / "c.json", rows), cfg.VENDOR_SDS_FILE, progress=False)
        # the same comment as the main export's first, and its second with one word changed
        extra_rows = [{**rows[0], "id": "x"}, {**rows[1], "id": "y", "comment": last_word_changed(rows[1]["comment"])}]
        extra = tmp_path / "Data" / "Extra.json"
        label_comments(cfg, write_json_list(tmp_path / "e.json", extra_rows), extra, progress=False)
    result = prepare_data(project_config(tmp_path, server.base_url, EVAL_SIZE=3,
                                         TRAIN_SIZE={"vendor": 6, "customer": 1}, VENDOR_EXTRA_SDS_FILES=(str(extra),)))
    funnel = result.types["vendor"].extras[0].funnel
    assert (funnel["duplicate"], funnel["near_duplicate"], funnel["kept"]) == (1, 1, 0)
    assert {r["duplicate_of"] for r in result.types["vendor"].extras[0].rejects} == {"vendor-00000", "vendor-00001"}


def test_screen_and_seed_draws():
    refs = {"eval_contaminated": [("e1", "alpha beta gamma delta epsilon")],
            "duplicate_of_data": [("d1", "one two three four five"), ("e1-copy", "alpha beta gamma delta epsilon")]}
    kept, rejects = screen([("n1", "Alpha  BETA gamma delta epsilon"), ("n2", "six seven eight nine ten"),
                            ("n3", "six seven eight nine ten"), ("n4", "one two three four five")], refs, 0.9)
    assert kept == ["n2"]
    assert [(r["id"], r["stage"], r["matched"]) for r in rejects] == [
        ("n1", "eval_contaminated", "e1"), ("n3", "duplicate_in_batch", "n2"), ("n4", "duplicate_of_data", "d1")]
    records = [{"id": f"r{i}", "type": "vendor", "Comment": f"c{i}"} for i in range(10)]
    a = draw_seeds(records, 4, seed=1, exclude=["r0", "r1"])
    assert a == draw_seeds(records, 4, seed=1, exclude=["r0", "r1"])  # seeded
    assert len({s.id for s in a}) == 4 and not {"r0", "r1"} & {s.id for s in a}  # without replacement
    assert len(draw_seeds(records, 50, seed=1)) == 10  # never more than the pool


# ------------------------------------------------------------------------------ weak questions and mistakes
def block(question, kappa, accuracy, majority, kind="BOOL", constant=False, ctype="vendor"):
    return {"type": ctype, "question": question, "key": f"q{question}", "kind": kind, "teacher_constant": constant,
            "teacher_agreement": {"finetuned": {"kappa": kappa, "accuracy": accuracy},
                                  "majority": {"accuracy": majority}}}


def test_weakest_questions_rank_by_kappa_then_lift():
    metrics = {"by_question": [
        block(1, 0.8, 0.9, 0.7), block(2, 0.1, 0.5, 0.6), block(3, None, 0.6, 0.6),  # undefined kappa: chance, 0
        block(4, 0.1, 0.6, 0.5), block(5, -0.5, 0.1, 0.9, constant=True),  # the teacher is constant: skipped
        block(11, None, 0.1, 0.1, kind="TEXT"), block(1, -1.0, 0.0, 0.9, ctype="customer")]}
    weak = weakest_questions(metrics, "vendor", 3)
    assert [w["question"] for w in weak] == [3, 2, 4]  # kappa 0, then 0.1 with lift -0.1 before 0.1 with +0.1
    assert weak[1]["lift"] == pytest.approx(-0.1)


def test_mistakes_are_weak_questions_answered_unlike_the_teacher():
    values = {q.number: (1 if q.kind == "BOOL" else q.low if q.kind == "SCORE" else "A summary.")
              for q in questions("vendor")}
    teacher = format_answers(values, "vendor")
    records = [{"id": rid, "Completion": teacher} for rid in "abc"]
    answers = {"a": teacher, "b": format_answers({**values, 2: values[2] + 1}, "vendor"), "c": "no answer at all"}
    assert mistakes(records, answers, "vendor", [2, 3]) == {"b": (2,), "c": (2, 3)}


# ------------------------------------------------------------------------------ the loop through the runner
def default_answer(user: str) -> str:
    """A valid answer set of the prompt's type for comments without a label (the new ones)."""
    asked = len(re.findall(r"^\d+\. ", user.rsplit("Questions:", 1)[-1], re.M))
    ctype = next(t for t in ("vendor", "customer") if len(questions(t)) == asked)
    return format_answers({q.number: (1 if q.kind == "BOOL" else q.low if q.kind == "SCORE" else "A new comment.")
                           for q in questions(ctype)}, ctype)


@pytest.mark.slow
def test_the_loop_runs_two_rounds_on_tiny_through_the_runner(tmp_path, tiny_folder):
    # EXPECTED_TEACHER_AGREEMENT=1.0 makes round 1's check fail for certain (a random model does not
    # answer every question like the teacher), so round 2 runs; LOOP_MAX_ROUNDS=2 ends it there.
    # No gold set (it is screened against in the test above), 3 evaluation comments per type and 2
    # optimizer steps: the least Step 2 and 3 work that still makes every file of a round. No decision
    # heads: the random student then errs on every sampled comment, so each one is a seed.
    sets = {"DECISION_HEADS_LAYER": None, "DATA_DIR": tmp_path / "data", "TMP_DIR": tmp_path / "tmp", "RESULTS_DIR": tmp_path / "results",
            "SYNTH_DIR": tmp_path / "synthetic", "GOLD_FILE": None, "EVAL_SIZE": 3, "MAX_STEPS": 2,
            "LOOP_MAX_ROUNDS": 2, "SYNTH_PER_ROUND": 3,
            "LOOP_TRAIN_SAMPLE": 4, "EXPECTED_TEACHER_AGREEMENT": 1.0, "TEACHER_MODEL": "fake-teacher",
            "TEACHER_REQUESTS_PER_MINUTE": None, "TEACHER_TOKENS_PER_MINUTE": None}
    with FakeOpenAI({}, default_answer=default_answer, lifetime_s=600) as server:
        args = ["--loop", "--profile", "tiny", "--steps", "1,2,3", "--run-dir", str(tmp_path / "run"),
                "--set", f"TEACHER_ENDPOINT_URL={server.base_url}"]
        for key, value in sets.items():
            args += ["--set", f"{key}={value}"]
        done = subprocess.run([sys.executable, "-m", "utils.pipeline", *args], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=600, env={**os.environ, "TEACHER_API_KEY": KEY})
        modes = {r["mode"] for r in server.requests}
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    assert modes == {"write", "answer", "judge"}
    rounds = tmp_path / "results" / "rounds"
    for n in (1, 2):
        for name in ("data_card.json", "training_card.json", "metrics.json", "per_question.csv", "round.json"):
            assert (rounds / str(n) / name).exists(), (n, name)
    one, two = (read_json(rounds / str(n) / "round.json") for n in (1, 2))
    assert one["eval_sha256"] == two["eval_sha256"]  # the evaluation split never changed
    cards = [read_json(rounds / str(n) / "data_card.json") for n in (1, 2)]
    assert cards[0]["merged_train"]["from_extra_files"] == 0 < cards[1]["merged_train"]["from_extra_files"] <= 6
    assert sorted(two["extras"]) == ["customer", "vendor"] and all(len(v) == 1 for v in two["extras"].values())
    assert one["synthesis"]["counts"]["vendor"]["seeds"] == 3 and two["stop"].startswith("LOOP_MAX_ROUNDS=2")
    table = pd.read_csv(rounds / "rounds.csv", index_col="round")
    assert list(table.index) == [1, 2] and not table["check"].any()
    assert (rounds / "rounds.png").stat().st_size > 0
    trained = [read_json(rounds / str(n) / "training_card.json")["records"] for n in (1, 2)]
    assert trained[1] == trained[0] + cards[1]["merged_train"]["from_extra_files"]
    assert read_json(rounds / "loop.json")["rounds"] == 2
