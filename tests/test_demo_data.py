"""Tests of utils.demo_data: determinism, the SDS export format, labels that follow the text, balance
of every label, the noise each filter needs, and that the committed files match the generator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from utils import demo_data as dd
from utils.tasks import questions

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"https?://[^\s)>\]]+", re.IGNORECASE)
VENDOR_SITES = re.compile(r"^https://(docs|community)\.cloudera\.com/", re.IGNORECASE)
TOPIC_KEYS = ["average_score", "min_score", "max_score", "evaluated_pairs", "failed_pairs", "total_evaluated", "total_failed"]
N = 720  # evaluated pairs per type for most checks: about 600 valid ones


@pytest.fixture(scope="module")
def exports() -> dict[str, dict]:
    return {t: dd.generate_export(t, N, seed=99) for t in ("vendor", "customer")}


def valid_pairs(export: dict, comment_type: str) -> list[tuple[str, dict]]:
    """(comment, answers by question key) of the pairs the data step keeps, first occurrence only."""
    qs = questions(comment_type)
    seen, out = set(), []
    for name, topic in export.items():
        if name == "Overall_Average":
            continue
        for pair in topic["evaluated_pairs"]:
            score = (pair.get("evaluation") or {}).get("score")
            if not isinstance(score, (int, float)) or score <= 4.9:
                continue
            answers = dd.strict_answers(pair["solution"], comment_type)
            key = " ".join(pair["question"].lower().split())
            if answers is None or key in seen:
                continue
            seen.add(key)
            out.append((pair["question"], {q.key: answers[q.number] for q in qs}))
    return out


def phrasings(bank) -> re.Pattern:
    """One pattern matching any phrasing of a bank, placeholders as wildcards, case-insensitive."""
    texts = [b[0] if isinstance(b, tuple) else b for b in bank]
    alts = [re.sub(r"\\\{\w+\\\}", "[^\n]+?", re.escape(t)) for t in texts]
    return re.compile("|".join(alts), re.IGNORECASE)


# ------------------------------------------------------------------------------ determinism
def test_same_seed_gives_identical_json_and_another_seed_differs():
    for t in ("vendor", "customer"):
        a = dd.render_export(dd.generate_export(t, 120, seed=5))
        b = dd.render_export(dd.generate_export(t, 120, seed=5))
        c = dd.render_export(dd.generate_export(t, 120, seed=6))
        assert a == b
        assert a != c


def test_too_few_pairs_is_refused():
    with pytest.raises(ValueError, match="at least 20"):
        dd.generate_export("vendor", 5, seed=1)
    with pytest.raises(ValueError, match="Unknown comment type"):
        dd.generate_export("partner", 100, seed=1)


# ------------------------------------------------------------------------------ format
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
                assert isinstance(pair["question"], str) and pair["question"].strip()
                assert isinstance(pair["solution"], str)
                if "evaluation" in pair:
                    assert isinstance(pair["evaluation"]["justification"], str)
            for failed in topic["failed_pairs"]:
                assert set(failed) == {"error", "pair"} and failed["error"]
                assert set(failed["pair"]) == {"question", "solution"}
            total += len(topic["evaluated_pairs"])
        assert total == N
        json.loads(dd.render_export(export))  # serialisable as written


def test_every_kind_of_noise_is_present(exports):
    for t, export in exports.items():
        stats = dd.describe(export, t, near_dup=False)
        assert stats["failed_pairs"] >= 2
        assert stats["unscored"] >= 1 and stats["invalid"] >= 5 and stats["duplicates"] >= 10
        assert 0.10 <= stats["low_score"] / stats["total"] <= 0.15
        scores = [(p.get("evaluation") or {}).get("score") for k, topic in export.items() if k != "Overall_Average"
                  for p in topic["evaluated_pairs"]]
        assert 4.9 in scores and 0 in scores and 5 in scores
        assert any(s is None for s in scores)  # no score at all, or an explicit null
        assert stats["valid"] >= 0.8 * N


# ------------------------------------------------------------------------------ labels follow the text
def test_link_labels_follow_the_urls_in_the_text(exports):
    for t, export in exports.items():
        for comment, a in valid_pairs(export, t):
            urls = URL.findall(comment)
            jira = any("issues.apache.org/jira/browse/" in u.lower() for u in urls)
            docs = any(VENDOR_SITES.match(u) for u in urls)
            other = any(not ("issues.apache.org/jira" in u.lower() or VENDOR_SITES.match(u)) for u in urls)
            assert a["apache_jira_link"] == int(jira), comment
            assert a["vendor_doc_link"] == int(docs), comment
            assert a["other_link"] == int(other), comment
            assert "://" not in URL.sub("", comment)  # no other URI scheme anywhere


def test_vendor_tracker_and_meeting_links_count_as_other_links(exports):
    seen_tracker = seen_meeting = False
    for t, export in exports.items():
        for comment, a in valid_pairs(export, t):
            if "jira.cloudera.com/browse/" in comment:
                seen_tracker = True
                assert a["other_link"] == 1 and ("issues.apache.org" in comment) == bool(a["apache_jira_link"])
            if re.search(r"https://\S*(zoom\.us|webex\.com|teams\.microsoft\.com|meet\.google\.com)", comment):
                seen_meeting = True
                assert a["other_link"] == 1
    assert seen_tracker and seen_meeting


def test_non_technical_comments_name_no_product_error_or_setting(exports):
    names = [p["name"] for p in dd.PRODUCTS] + ["NameNode", "HiveServer2", "Metastore", "CDP", "CDH", "Exception", "at org."]
    count = 0
    for t, export in exports.items():
        for comment, a in valid_pairs(export, t):
            if a["technical"] == 0:
                count += 1
                text = URL.sub("", comment)
                assert not [n for n in names if n in text], comment
                assert "`" not in text and "=" not in text
    assert count > 100


def test_request_labels_match_their_phrasings(exports):
    banks = {
        "update_request": dd.C_UPDATE, "escalation_request": dd.C_ESC, "transfer_request": dd.C_TRANSFER,
        "manager_request": dd.C_MANAGER, "expert_request": dd.C_EXPERT + dd.C_EXPERT_NT, "meeting_request": dd.C_MEET,
    }
    for comment, a in valid_pairs(exports["customer"], "customer"):
        for key, bank in banks.items():
            assert a[key] == int(bool(phrasings(bank).search(comment))), (key, comment)
        if phrasings(dd.C_MEET_HINT).search(comment):  # a hint is not a request
            assert a["meeting_request"] == int(bool(phrasings(dd.C_MEET).search(comment)))
        assert (a["complaint"] == 0) == (a["frustration"] == 0)
        asked = re.search(r"(?:" + phrasings(dd.C_PRIO_UP + dd.C_PRIO_DOWN).pattern + r")", comment, re.IGNORECASE)
        level = int(re.search(r"\b[SP]([1-4])\b", asked.group(0), re.IGNORECASE).group(1)) if asked else 0
        assert a["priority_change"] == level, comment


def test_vendor_action_and_fix_labels_match_their_phrasings(exports):
    asks = phrasings(dd.V_ACT_LOGS + dd.V_ACT_CMD + dd.V_ACT_CONFIRM + dd.V_ACT_DEBUG + dd.V_ACT_APPLY
                     + [x for kind in dd.VNT_KINDS.values() for x in kind[1]])
    fixes, workarounds = phrasings(dd.V_SOL), phrasings(dd.V_WA)
    for comment, a in valid_pairs(exports["vendor"], "vendor"):
        assert a["action_request"] == int(bool(asks.search(comment))), comment
        assert a["solution"] == int(bool(fixes.search(comment))), comment
        assert a["workaround"] == int(bool(workarounds.search(comment))), comment
        if a["workaround"]:
            assert a["severity"] != 2


def test_summaries_leave_out_links_and_meeting_logistics(exports):
    for t, export in exports.items():
        last = questions(t)[-1].number
        for name, topic in export.items():
            if name == "Overall_Average":
                continue
            for pair in topic["evaluated_pairs"]:
                answers = dd.strict_answers(pair["solution"], t)
                if answers is None:
                    continue
                summary = answers[last]
                assert not URL.search(summary)
                if ((pair.get("evaluation") or {}).get("score") or 0) > 4.9:
                    assert not re.search(r"passcode|meeting id|dial|conference id", summary, re.IGNORECASE)
                    assert 5 <= len(summary.split()) <= 90


# ------------------------------------------------------------------------------ balance
def test_every_label_value_is_common_enough(exports):
    for t, export in exports.items():
        pairs = valid_pairs(export, t)
        assert len(pairs) >= 580
        for q in questions(t):
            values = [a[q.key] for _, a in pairs]
            if q.kind == "BOOL":
                for v in (0, 1):
                    assert values.count(v) / len(values) >= 0.10, (t, q.key, v)
            elif q.kind == "SCORE":
                for v in range(q.low, q.high + 1):
                    assert values.count(v) >= 5, (t, q.key, v)


def test_valid_comments_are_not_near_duplicates(exports):
    comments = [c for c, _ in valid_pairs(exports["vendor"], "vendor")]
    assert dd.near_duplicates(comments) / len(comments) < 0.02
    assert dd.near_duplicates(["a b c d e f", "a b c d e f", "x y z w"]) == 2


# ------------------------------------------------------------------------------ committed files
def test_committed_files_match_the_generator():
    data = ROOT / "Data"
    if not all((data / name).exists() for name in dd.FILES.values()):
        pytest.skip("Data/*Comments.json not generated yet (python -m utils.demo_data)")
    assert dd.check_demo_data(data) == []


def test_check_reports_a_changed_file(tmp_path):
    for name in dd.FILES.values():
        (tmp_path / name).write_text("{}\n", encoding="utf-8")
    problems = dd.check_demo_data(tmp_path)
    assert len(problems) == 2 and all("differs" in p for p in problems)
    assert dd.main(["--check", "--out", str(tmp_path / "nowhere")]) == 1
