"""Tests of the demo-data generator (datagen): determinism, Synthetic Data Studio's export shapes
(failed pairs included, and Step 1 counting them as rejects), answers that follow the text,
label balance, realism against real teacher-written comments, sentence variety, and that the
committed files match the generator and share nothing with the hand-written gold set."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

import datagen
from datagen import phrases as P
from datagen import stats
from datagen.compose import LINK_KINDS, SYNONYMS, Writer
from datagen.generate import FILES, check_demo_data, comment_of, generate_comments, main, pairs_of
from datagen.grammar import to_regex
from utils.data import near_duplicate_pairs
from utils.tasks import parse_answers_detailed, questions

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "Data"
URL = re.compile(r"https?://[^\s)>\]\"']+", re.IGNORECASE)
VENDOR_SITES = re.compile(r"^https://(docs|community)\.cloudera\.com/", re.IGNORECASE)
TOPIC_KEYS = ["average_score", "min_score", "max_score", "evaluated_pairs", "failed_pairs", "total_evaluated", "total_failed"]
N = 720  # evaluated pairs per type for the export checks
TYPES = ("vendor", "customer")


@pytest.fixture(scope="module")
def exports() -> dict[str, dict]:
    return {t: datagen.generate_export(t, N, seed=99) for t in TYPES}


@pytest.fixture(scope="module")
def step1_small(exports) -> dict[str, dict]:
    return stats.run_step1(exports)


@pytest.fixture(scope="module")
def comments() -> dict[str, list]:
    """Comments with their answers and how they were written, without the export around them."""
    return {t: generate_comments(t, 1500, seed=7) for t in TYPES}


@pytest.fixture(scope="module")
def committed() -> dict[str, dict]:
    """Step 1 (its own funnel, demo profile) on the committed Data/*Comments.json."""
    if not all((DATA / name).exists() for name in FILES.values()):
        pytest.skip("Data/*Comments.json not generated yet (python -m datagen)")
    exports = {t: json.loads((DATA / FILES[t]).read_text(encoding="utf-8")) for t in TYPES}
    return stats.run_step1(exports)


def bank(*banks) -> re.Pattern:
    """One pattern matching any sentence the templates of the banks can give, case-insensitive."""
    templates: list[str] = []

    def walk(obj):
        if isinstance(obj, str):
            templates.append(obj)
        elif isinstance(obj, (list, tuple)):
            for x in obj:
                walk(x)
        elif isinstance(obj, dict):
            for x in obj.values():
                walk(x)

    walk(banks)
    return re.compile("|".join(f"(?:{to_regex(t, SYNONYMS)})" for t in templates), re.IGNORECASE)


def list_items(*banks) -> re.Pattern:
    """Like `bank`, for list items: the template must open a numbered or bulleted line."""
    templates = [t for b in banks for t in b]
    alts = "|".join(f"(?:{to_regex(t, SYNONYMS)})" for t in templates)
    return re.compile(rf"^[ \t]*(?:\d{{1,2}}[.)]|[-*\u2022])[ \t]+(?:{alts})", re.IGNORECASE | re.MULTILINE)


# ------------------------------------------------------------------------------ determinism
def test_same_seed_gives_identical_json_and_another_seed_differs():
    for t in TYPES:
        a = datagen.render_export(datagen.generate_export(t, 120, seed=5))
        b = datagen.render_export(datagen.generate_export(t, 120, seed=5))
        c = datagen.render_export(datagen.generate_export(t, 120, seed=6))
        assert a == b
        assert a != c


def test_too_few_pairs_or_an_unknown_type_is_refused():
    with pytest.raises(ValueError, match="at least 40"):
        datagen.generate_export("vendor", 5, seed=1)
    with pytest.raises(ValueError, match="Unknown comment type"):
        datagen.generate_export("partner", 100, seed=1)
    with pytest.raises(ValueError, match="Unknown link kind"):
        Writer("vendor", __import__("random").Random(1)).comment(link="ftp")


# ------------------------------------------------------------------------------ the SDS shapes
def test_export_has_the_sds_evaluated_format(exports):
    for t, export in exports.items():
        assert list(export)[-1] == "Overall_Average" and isinstance(export["Overall_Average"], float)
        topics = [k for k in export if k != "Overall_Average"]
        assert 10 <= len(topics) <= 30 and "null" in topics
        total = 0
        for name in topics:
            topic = export[name]
            assert list(topic) == TOPIC_KEYS
            assert topic["total_evaluated"] == len(topic["evaluated_pairs"])
            assert topic["total_failed"] == len(topic["failed_pairs"])
            scores = [p["evaluation"]["score"] for p in topic["evaluated_pairs"]
                      if isinstance((p.get("evaluation") or {}).get("score"), (int, float))]
            assert topic["min_score"] == min(scores) and topic["max_score"] == max(scores)
            assert topic["min_score"] <= topic["average_score"] <= topic["max_score"]
            for pair in topic["evaluated_pairs"]:
                keys = ("question", "solution") if "question" in pair else ("Prompt", "Completion")
                assert isinstance(pair[keys[0]], str) and pair[keys[0]].strip()
                assert isinstance(pair[keys[1]], str)
                if "evaluation" in pair:
                    assert isinstance(pair["evaluation"]["justification"], str)
            for failed in topic["failed_pairs"]:  # SDS's shape: the pair under the generation keys
                assert set(failed) == {"error", "pair"} and failed["error"].startswith("Error")
                assert set(failed["pair"]) == {"Prompt", "Completion"}
            total += len(topic["evaluated_pairs"])
        assert total == N
        json.loads(datagen.render_export(export))  # serialisable as written


def test_evaluation_errors_have_sds_real_shape(exports):
    for export in exports.values():
        errors = [p for p in pairs_of(export) if "Prompt" in p]
        assert len(errors) >= 3
        for p in errors:
            assert list(p) == ["Prompt", "Completion", "evaluation"]
            assert p["evaluation"]["score"] == 0
            assert re.match(r"Error|Failed to parse", p["evaluation"]["justification"])


def test_failed_pairs_are_counted_rejects_in_step1_not_an_abort(exports, step1_small):
    for t, export in exports.items():
        res = step1_small[t]
        funnel, rejects = res["funnel"], res["rejects"]
        n_failed = sum(len(topic["failed_pairs"]) for k, topic in export.items() if k != "Overall_Average")
        n_errors = sum("Prompt" in p for p in pairs_of(export))
        assert n_failed >= 2 and funnel["failed_pairs"] == n_failed
        assert rejects[("failed_pairs", "failed in SDS")] == n_failed
        # evaluation errors (Prompt/Completion, score 0) and unscored pairs (score 0) are low-score rejects
        n_zero = sum((p.get("evaluation") or {}).get("score") == 0 for p in pairs_of(export))
        assert n_errors >= 3 and rejects[("low_score", "evaluation failed (score 0)")] == n_zero
        assert funnel["input"] == N and funnel["kept"] >= 0.8 * N
        assert sum(rejects.values()) == funnel["failed_pairs"] + funnel["unreadable"] + N - funnel["kept"]


def test_every_kind_of_noise_reaches_its_filter(step1_small):
    for t, res in step1_small.items():
        funnel, rejects = res["funnel"], res["rejects"]
        assert 0.10 <= funnel["low_score"] / funnel["input"] <= 0.16
        assert funnel["duplicate"] >= 10 and funnel["invalid_answers"] >= 5
        assert rejects[("low_score", "no score")] >= 1
        assert funnel["near_duplicate"] == 0 and funnel["too_long"] == 0


# ------------------------------------------------------------------------------ answers follow the text
def test_link_labels_follow_the_urls_in_the_text():
    import random

    for t in TYPES:
        writer = Writer(t, random.Random(3))
        drawn = [writer.comment(link=kind) for kind in LINK_KINDS for _ in range(15)]
        drawn += [writer.comment() for _ in range(300)]
        for c in drawn:
            urls = URL.findall(c.text)
            jira = any("issues.apache.org/jira/browse/" in u.lower() for u in urls)
            docs = any(VENDOR_SITES.match(u) for u in urls)
            other = any(not ("issues.apache.org/jira" in u.lower() or VENDOR_SITES.match(u)) for u in urls)
            assert (c.labels["apache_jira_link"], c.labels["vendor_doc_link"], c.labels["other_link"]) == (
                int(jira), int(docs), int(other)), c.text
            assert "://" not in URL.sub("", c.text)  # no other URI scheme anywhere


def test_non_technical_comments_name_no_product_error_or_setting(comments):
    from datagen.catalog import PRODUCTS

    names = [p.name for p in PRODUCTS] + ["NameNode", "HiveServer2", "Metastore", "CDP", "CDH", "Exception", "at org."]
    count = 0
    for t in TYPES:
        for c in comments[t]:
            if c.labels["technical"] == 0:
                count += 1
                assert not [n for n in names if n in c.text], c.text
                assert "`" not in c.text and "=" not in c.text
    assert count > 300


SOLUTION = re.compile(r"permanent|for good|long-term|lasting|once and for all", re.IGNORECASE)
WORKAROUND = re.compile(r"(?<!no )(?<!any )\b(?:workarounds?|stopgap|works? around|worked around)\b", re.IGNORECASE)
BUG = re.compile(r"(?<!not a )(?<!n't a )(?<!not a product )(?<!n't a product )\b(?:bugs?|defects?|regression)\b",
                 re.IGNORECASE)  # "this is not a bug" says there is none


def _engineer_part(text: str) -> str:
    """The text without what it quotes from the customer (block quotes and quoted passages)."""
    kept = "\n".join(line for line in text.split("\n") if not line.startswith(">"))
    return re.sub(r'"[^"]*"', "", kept)


def test_vendor_answers_follow_the_text(comments):
    asks = bank(P.V_ASK, [ask for kind in P.V_NONTECH.values() for ask, _ in kind[1]])
    ask_lists = re.compile("|".join(f"(?:^(?:{to_regex(t, SYNONYMS)})$)" for t in P.V_ASK_LIST), re.I | re.M)
    ask_items = list_items(*P.V_ASK_STEP.values())
    severity = {k: bank(P.V_IMPACT[k], P.V_IMPACT_NONTECH[k], P.C_IMPACT[k]) for k in (1, 2, 3, 4)}
    urgency = {k: bank(P.V_URGENCY[k], P.C_URGENCY[k]) for k in (1, 2, 3, 4)}
    forms = Counter()
    for c in comments["vendor"]:
        a, text, form = c.labels, c.text, c.traits["form"]
        forms[form] += 1
        engineer = _engineer_part(text)
        asked = bool(asks.search(engineer) or ask_lists.search(engineer) or ask_items.search(engineer))
        if form == "report":  # the customer's own words: nothing is proposed to or asked of the customer
            assert a["action_request"] == a["solution"] == a["workaround"] == 0 and not asked, text
        assert a["action_request"] == int(asked), text
        assert a["solution"] == int(bool(SOLUTION.search(text))), text
        assert a["workaround"] == int(bool(WORKAROUND.search(text))), text
        assert a["bug"] == int(bool(BUG.search(text))), text
        if a["workaround"]:
            assert a["severity"] != 2
        for k in (1, 2, 3):  # a level's sentence appears exactly when that level is the answer
            assert bool(severity[k].search(text)) == (a["severity"] == k), (k, text)
            assert bool(urgency[k].search(text)) == (a["urgency"] == k), (k, text)
    assert min(forms.values()) >= 100  # every form is exercised


def test_customer_answers_follow_the_text(comments):
    requests = {key: bank(P.C_REQUEST[name]) for key, name in [
        ("update_request", "update"), ("meeting_request", "meeting"), ("escalation_request", "escalation"),
        ("transfer_request", "transfer"), ("manager_request", "manager")]}
    requests["expert_request"] = bank(P.C_REQUEST["expert"], P.C_REQUEST["expert_nontech"])
    hint = bank(P.C_REQUEST["meeting_hint"])
    frustration = {k: bank(P.C_COMPLAINT[k]) for k in (1, 2, 3, 4)}
    severity = {k: bank(P.C_IMPACT[k], P.C_IMPACT_NONTECH[k], P.C_IMPACT_COPING if k == 3 else ()) for k in (1, 2, 3, 4)}
    urgency = {k: bank(P.C_URGENCY[k]) for k in (1, 2, 3, 4)}
    level = re.compile(r"(?:to|at|be|an?|raised to) (?:S|P|priority )([1-4])\b")
    hints = 0
    for c in comments["customer"]:
        a, text = c.labels, c.text
        for key, pattern in requests.items():
            assert a[key] == int(bool(pattern.search(text))), (key, text)
        hints += bool(hint.search(text)) and not a["meeting_request"]  # a hint is not a request
        assert (a["complaint"] == 0) == (a["frustration"] == 0)
        for k in (1, 2, 3, 4):
            assert bool(frustration[k].search(text)) == (a["frustration"] == k), (k, text)
        for k in (1, 2, 3):
            assert bool(severity[k].search(text)) == (a["severity"] == k), (k, text)
            assert bool(urgency[k].search(text)) == (a["urgency"] == k), (k, text)
        asked = level.search(text)
        assert a["priority_change"] == (int(asked.group(1)) if asked else 0), text
        if a["priority_change"]:  # the level asked never contradicts the impact described
            assert a["priority_change"] in {1: (1, 2), 2: (1, 2), 3: (3, 4), 4: (3, 4)}[a["severity"]]
        assert a["bug"] == int(bool(BUG.search(text))), text
    assert hints >= 20


def test_summaries_leave_out_links_and_meeting_logistics_and_are_not_copied(comments):
    for t in TYPES:
        for c in comments[t]:
            summary = c.labels["summary"]
            assert not URL.search(summary)
            assert not re.search(r"passcode|meeting id|dial|conference id|\+\d", summary, re.IGNORECASE)
            assert 5 <= len(summary.split()) <= 90
            assert summary not in c.text


def test_solution_answers_parse_and_follow_the_labels(exports):
    for t, export in exports.items():
        for pair in pairs_of(export):
            if "Prompt" in pair or ((pair.get("evaluation") or {}).get("score") or 0) < 4.95:
                continue
            parsed = parse_answers_detailed(pair["solution"], t)
            assert parsed.complete or len(parsed.errors) >= 1  # invalid pairs are the deliberate ones


# ------------------------------------------------------------------------------ balance
def test_every_answer_value_is_common_enough(comments):
    for t in TYPES:
        for q in questions(t):
            if q.kind == "TEXT" or q.key in LINK_KINDS:  # links: 2.5-3% of the comments (generate.LINK_RATE)
                continue
            values = Counter(c.labels[q.key] for c in comments[t])
            if q.kind == "BOOL":
                for v in (0, 1):
                    assert values[v] / len(comments[t]) >= 0.10, (t, q.key, v, values)
            else:
                for v in range(q.low, q.high + 1):
                    assert values[v] / len(comments[t]) >= 0.03, (t, q.key, v, values)


# ------------------------------------------------------------------------------ realism and variety
def test_comments_look_like_real_teacher_written_ones(committed):
    tolerance = {"median": 0.12, "p10": 0.15, "p90": 0.15}
    numbered = {"vendor": 0.372, "customer": 0.022}
    for t in TYPES:
        m = stats.realism([r["Comment"] for r in committed[t]["kept"]])
        real = stats.REAL[t]
        for key, rel in tolerance.items():
            assert abs(m[key] - real[key]) <= rel * real[key], (t, key, m[key], real[key])
        assert 0.015 <= m["url"] <= real["url"] + 0.035, (t, m["url"])  # enough links to learn, a few points off
        assert abs(m["log"] - real["log"]) <= 0.03, (t, m["log"])
        assert abs(m["numbered"] - numbered[t]) <= 0.06, (t, m["numbered"])
        assert m["template_once"] >= real["template_once"] - 0.03, (t, m["template_once"])
        assert m["max_template_share"] <= 0.01, (t, m["top_templates"][:3])


def test_template_measure_matches_the_real_figures_where_the_real_comments_are_available():
    for t in TYPES:
        texts = stats.real_comments(t)
        if texts is None:
            pytest.skip("../shared/data/amp_original not present")
        m = stats.realism(texts)
        assert abs(m["template_once"] - stats.REAL[t]["template_once"]) <= 0.025
        assert (m["median"], m["p10"], m["p90"]) == pytest.approx(
            (stats.REAL[t]["median"], stats.REAL[t]["p10"], stats.REAL[t]["p90"]), abs=1)


def test_template_masks_the_particulars():
    assert stats.template("Since the upgrade to CDP 7.1.9, the NameNode on nn01.bank.local fails over every 5 minutes.") \
        == "since the upgrade to <x> the <x> on <x> fails over every <x> minutes"
    assert stats.sentence_templates("Hi team,\n\nThanks, Sarah") == []  # greetings and sign-offs are no sentences


def test_committed_files_are_large_enough_and_every_link_kind_occurs(committed):
    for t in TYPES:
        kept = committed[t]["kept"]
        assert len(kept) >= 1500
        shares = stats.label_shares(kept, t)
        for key in LINK_KINDS:
            if t == "vendor":
                assert shares[key][1] > 0, key


def test_gold_comments_share_nothing_with_generated_ones(committed):
    gold = [r["comment"] for r in json.loads((DATA / "gold" / "GoldComments.json").read_text())["comments"]]
    for t in TYPES:
        generated = [r["Comment"] for r in committed[t]["kept"]]
        both = gold + generated
        cross = [(i, j, s) for i, j, s in near_duplicate_pairs(both, 0.3) if i < len(gold) <= j]
        assert cross == [], cross[:3]


# ------------------------------------------------------------------------------ committed files and CLI
def test_committed_files_match_the_generator():
    if not all((DATA / name).exists() for name in FILES.values()):
        pytest.skip("Data/*Comments.json not generated yet (python -m datagen)")
    assert check_demo_data(DATA) == []


def test_check_reports_a_changed_file(tmp_path):
    for name in FILES.values():
        (tmp_path / name).write_text("{}\n", encoding="utf-8")
    problems = check_demo_data(tmp_path)
    assert len(problems) == 2 and all("differs" in p for p in problems)
    assert main(["--check", "--out", str(tmp_path / "nowhere")]) == 1


def test_stats_runs_step1s_funnel_and_prints_the_figures(capsys, monkeypatch):
    import datagen.generate as gen

    monkeypatch.setattr(gen, "SIZES", {"vendor": 300, "customer": 300})
    gen.rendered_exports.cache_clear()
    assert main(["--stats"]) == 0
    out = capsys.readouterr().out
    for needle in ("median characters", "sentences whose template occurs once", "Step 1 funnel (utils.data.filter_export",
                   "failed_pairs: failed in SDS", "evaluation failed (score 0)", "answer shares among the"):
        assert needle in out, needle
    assert comment_of({"Prompt": "x"}) == "x" and comment_of({"question": "y"}) == "y"
