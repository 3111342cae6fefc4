"""Step 1 on small hand-made SDS exports: the funnel's exact counts, rejects, split, PII and determinism."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from Config.Config import PROJECT_ROOT, load_config
from utils.data import (
    REJECT_STAGES, DataError, check_disjoint, clean_answer_lines, jaccard, near_duplicate_pairs, prepare_data,
    scrub_pii, shingles,
)
from utils.models import TINY_DIR
from utils.sds import SDSFormatError
from utils.tasks import build_prompt, format_answers, parse_answers

VENDOR_OK = "1. 1\n2. 3\n3. 3\n4. 0\n5. 0\n6. 1\n7. 0\n8. 0\n9. 0\n10. 0\n11. Asks for the NameNode logs."
CUSTOMER_OK = "\n".join([
    "1. 1", "2. 0", "3. 0", "4. 2", "5. 3", "6. 1", "7. 0", "8. 0", "9. 0", "10. 0", "11. 0", "12. 0",
    "13. 0", "14. 0", "15. 0", "16. 0", "17. The customer asks for an update on the upgrade.",
])
WORDS = ("namenode datanode zookeeper kafka broker hive impala query metastore ranger policy kerberos ticket "
         "keytab spark executor yarn queue oozie workflow hbase region server replication snapshot upgrade "
         "rollback parcel cluster gateway knox ldap certificate truststore disk quota balancer heap garbage "
         "collector timeout retry socket latency partition offset consumer leader election journal edit log "
         "checkpoint failover standby active service restart config property tuning memory cpu thread").split()


def words(rng: random.Random, n: int = 24) -> str:
    """A comment of random vocabulary: two such comments share (almost) no word 3-gram."""
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def pair(comment: str, score=5.0, solution: str = VENDOR_OK) -> dict:
    out = {"question": comment, "solution": solution}
    if score is not ...:  # `...` leaves the evaluation out entirely
        out["evaluation"] = {"score": score, "justification": "ok"}
    return out


def topic(pairs: list, failed: int = 0) -> dict:
    return {"average_score": 4.5, "min_score": 0, "max_score": 5, "evaluated_pairs": pairs,
            "failed_pairs": [{"error": "timeout", "pair": {"question": f"lost {i}"}} for i in range(failed)],
            "total_evaluated": len(pairs), "total_failed": failed}


def export(path, pairs: list, failed: int = 0):
    """An evaluated export with all pairs under one topic."""
    path.write_text(json.dumps({"Topic": topic(pairs, failed), "Overall_Average": 4.6}), encoding="utf-8")
    return path


def config(tmp_path, vendor, customer=None, **extra):
    """The tiny profile on files in tmp_path; no student model there, so token lengths are skipped."""
    over = {"DATA_DIR": str(tmp_path / "out"), "MODELS_DIR": str(tmp_path / "models"),
            "VENDOR_SDS_FILE": str(vendor), "EVAL_SIZE": 2, "TRAIN_SIZE": {"vendor": 3, "customer": 3}}
    if customer is None:
        over["COMMENT_TYPES"] = ("vendor",)
    else:
        over["CUSTOMER_SDS_FILE"] = str(customer)
    over.update(extra)
    return load_config("tiny", over)


def generated(path, n: int, seed: int = 0, solution: str = VENDOR_OK):
    rng = random.Random(seed)
    return export(path, [pair(words(rng), 5, solution) for _ in range(n)])


# ------------------------------------------------------------------------------ the edge-case file
NAMENODE = "The NameNode on nn1 fails over every hour since the upgrade to 7.1.9; please send the ZKFC logs."
LONG = ("After the upgrade the Hive Metastore answers slowly: each query waits about forty seconds for the "
        "partition list, the Metastore heap is nearly full and garbage collection pauses reach twelve "
        "seconds, so we suggest raising the heap to sixteen gigabytes and restarting the service tonight")
MESSY = ("**1.** Yes\n**2.** 2 - major\n3: 2\n4. 1\n5. 0\n6. 1\n7. 0\n8. 0\n9. 0\n10. 0\n"
         "11. **Summary:** Heap too small.")


@pytest.fixture
def edge_file(tmp_path):
    """Fourteen pairs in two topics (one named "null"), a topic of failures only, and Overall_Average."""
    assert len(LONG.split()) == 45
    hdfs = [
        pair(NAMENODE),                                              # 0 kept
        pair("  the namenode ON nn1 fails over every hour\nsince the upgrade to 7.1.9;  please send the "
             "zkfc logs. "),                                         # 1 duplicate of 0 (space/case only)
        pair("Kerberos tickets expire after ten minutes on the edge node.", 4.9),  # 2 4.9 is not > 4.9
        pair("Kafka brokers lose leadership when the disk fills up.", 0),          # 3 score 0: failed evaluation
        pair("Impala queries hang on the coordinator since Monday.", ...),         # 4 no evaluation: no score
        pair(LONG),                                                  # 5 kept
        pair(LONG.rsplit(" ", 1)[0] + " tomorrow"),                  # 6 near-duplicate of 5 (42/44 = 0.95)
    ]
    null = [
        pair("Ranger policies do not sync to the HDFS plugin.", 5,
             VENDOR_OK.rsplit("\n", 1)[0]),                          # 7 answer 11 missing
        pair("The balancer moves no blocks at all.", 5,
             VENDOR_OK.replace("2. 3", "2. 7")),                     # 8 severity 7 is out of range 1-4
        pair("Oozie workflows fail with a launcher error after the patch.", 4.95),  # 9 kept: 4.95 > 4.9
        pair("Spark executors are killed by YARN for exceeding memory limits.", 5),  # 10 kept
        pair("The Metastore heap is too small for the number of partitions.", 5, MESSY),  # 11 kept, rewritten
        pair(NAMENODE.upper(), 3),                                   # 12 a low score counts first, not as duplicate
        pair("Kerberos tickets expire after ten minutes on the edge node.", 5),  # 13 kept: its twin (2) was dropped
    ]
    path = tmp_path / "VendorComments.json"
    path.write_text(json.dumps({"HDFS": topic(hdfs, failed=2), "null": topic(null, failed=1),
                                "Only failures": topic([], failed=1), "Overall_Average": 4.1}), encoding="utf-8")
    return path


def test_edge_cases_keep_exactly_the_valid_unique_high_score_pairs(tmp_path, edge_file):
    result = prepare_data(config(tmp_path, edge_file, EVAL_SIZE=2, TRAIN_SIZE={"vendor": 3, "customer": 3}))
    data = result.types["vendor"]
    assert sorted(r["id"] for r in data.kept) == [
        "vendor-00000", "vendor-00005", "vendor-00009", "vendor-00010", "vendor-00011", "vendor-00013"]
    assert data.funnel == {
        "failed_pairs": 4,      # 2 + 1 + 1 failures SDS recorded: never data, each one a reject
        "unreadable": 0,        # every evaluated pair has text under question/solution
        "input": 14,            # every evaluated pair of both topics
        "low_score": 4,         # 2 (4.9), 3 (0: a failed evaluation), 4 (no score), 12 (3; also a duplicate,
                                # but scores come first)
        "duplicate": 1,         # 1 (whitespace and case only)
        "near_duplicate": 1,    # 6 (one word changed in 45)
        "invalid_answers": 2,   # 7 (answer missing), 8 (out of range)
        "too_long": 0,          # the longest, 5, is far below MAX_LENGTH
        "kept": 6,              # 0, 5, 9, 10, 11, 13
        "answers_cleaned": 0,   # no stray numbered lines
        "pii_scrubbed": 0,      # SCRUB_PII is off
        "eval": 2, "train": 3, "unused": 1,
    }
    stages = {r["id"]: r["stage"] for r in data.rejects}
    assert stages == {"vendor-00001": "duplicate", "vendor-00002": "low_score", "vendor-00003": "low_score",
                      "vendor-00004": "low_score", "vendor-00006": "near_duplicate",
                      "vendor-00007": "invalid_answers", "vendor-00008": "invalid_answers",
                      "vendor-00012": "low_score", "vendor-failed-00000": "failed_pairs",
                      "vendor-failed-00001": "failed_pairs", "vendor-failed-00002": "failed_pairs",
                      "vendor-failed-00003": "failed_pairs"}
    reasons = {r["id"]: r["reason"] for r in data.rejects}
    assert reasons["vendor-00002"] == "score 4.9 is not above 4.9" and reasons["vendor-00004"] == "no score"
    assert reasons["vendor-00003"] == "score 0: SDS's mark of a failed evaluation (ok)"
    assert reasons["vendor-failed-00000"] == "SDS recorded a failure: timeout"
    assert reasons["vendor-00007"] == "invalid answers: 11: missing"
    assert reasons["vendor-00008"] == "invalid answers: 2: out of range 1-4: 7"
    assert [r["duplicate_of"] for r in data.rejects if "duplicate" in r["stage"]] == ["vendor-00000", "vendor-00005"]


def test_kept_records_hold_the_prompt_and_a_canonical_completion(tmp_path, edge_file):
    cfg = config(tmp_path, edge_file)
    records = {r["id"]: r for r in prepare_data(cfg).types["vendor"].kept}
    messy = records["vendor-00011"]
    assert set(messy) == {"id", "type", "Comment", "Prompt", "Completion"} and messy["type"] == "vendor"
    assert messy["Prompt"] == build_prompt(messy["Comment"], "vendor", vendor=cfg.VENDOR_NAME, style=cfg.PROMPT_STYLE)
    # the teacher's bold numbers, "Yes", "2 - major" and the "Summary:" label become one clean format
    assert messy["Completion"].splitlines()[:3] == ["1. 1", "2. 2", "3. 2"]
    assert messy["Completion"].endswith("\n11. Heap too small.")
    for rec in records.values():
        assert format_answers(parse_answers(rec["Completion"], "vendor"), "vendor") == rec["Completion"]


def test_rejects_file_holds_every_dropped_record_with_its_reason(tmp_path, edge_file):
    result = prepare_data(config(tmp_path, edge_file))
    rejects = json.loads(result.paths["vendor_rejects"].read_text())
    assert result.paths["vendor_rejects"] == tmp_path / "out" / "rejects" / "VendorComments_rejects.json"
    funnel = result.types["vendor"].funnel
    assert len(rejects) == sum(funnel[s] for s in REJECT_STAGES)
    kept = {r["id"] for r in result.types["vendor"].kept}
    assert kept.isdisjoint(r["id"] for r in rejects)
    pair_rejects = [r for r in rejects if r["index"] is not None]
    assert len(kept) + len(pair_rejects) == funnel["input"]  # nothing lost silently
    source = json.loads(edge_file.read_text())
    originals = [p for key in ("HDFS", "null") for p in source[key]["evaluated_pairs"]]
    for rej in pair_rejects:
        assert rej["stage"] and rej["reason"]
        assert rej["record"]["question"] == originals[rej["index"]]["question"]  # the original, untouched
        assert rej["record"]["solution"] == originals[rej["index"]]["solution"]
    assert {r["topic"] for r in pair_rejects} == {"HDFS", None}  # the "null" topic reads as None
    failed = [r for r in rejects if r["stage"] == "failed_pairs"]
    assert [r["topic"] for r in failed] == ["HDFS", "HDFS", None, "Only failures"]
    assert failed[0]["record"] == {"error": "timeout", "pair": {"question": "lost 0"}}  # as SDS wrote it


def test_truncated_file_fails_naming_the_file(tmp_path):
    path = generated(tmp_path / "VendorComments.json", 10)
    path.write_text(path.read_text()[:300], encoding="utf-8")
    with pytest.raises(SDSFormatError, match="VendorComments.json is not valid JSON"):
        prepare_data(config(tmp_path, path))
    assert not (tmp_path / "out").exists()  # nothing written


def test_missing_file_names_the_setting(tmp_path):
    with pytest.raises(FileNotFoundError, match="Set VENDOR_SDS_FILE"):
        prepare_data(config(tmp_path, tmp_path / "nowhere.json"))


# ------------------------------------------------------------------------------ split and outputs
def two_files(tmp_path, n_vendor=30, n_customer=25):
    return (generated(tmp_path / "VendorComments.json", n_vendor, seed=1),
            generated(tmp_path / "CustomerComments.json", n_customer, seed=2, solution=CUSTOMER_OK))


def test_same_seed_gives_byte_identical_files_another_seed_another_split(tmp_path):
    vendor, customer = two_files(tmp_path)
    cfg = config(tmp_path, vendor, customer, EVAL_SIZE=5, TRAIN_SIZE={"vendor": 20, "customer": 20})
    first = prepare_data(cfg)
    files = sorted(first.paths.values())
    before = {p: p.read_bytes() for p in files}
    prepare_data(cfg)
    assert {p: p.read_bytes() for p in files} == before

    other = prepare_data(config(tmp_path, vendor, customer, EVAL_SIZE=5, TRAIN_SIZE={"vendor": 20, "customer": 20},
                                SEED=7, DATA_DIR=str(tmp_path / "seed7")))
    for ctype in ("vendor", "customer"):
        assert {r["id"] for r in other.types[ctype].eval} != {r["id"] for r in first.types[ctype].eval}
        assert other.types[ctype].funnel["kept"] == first.types[ctype].funnel["kept"]


def test_outputs_merged_train_and_card(tmp_path):
    vendor, customer = two_files(tmp_path)
    result = prepare_data(config(tmp_path, vendor, customer, EVAL_SIZE=5, TRAIN_SIZE={"vendor": 20, "customer": 8}))
    out = tmp_path / "out"
    assert len(json.loads((out / "VendorComments_Train_Clean.json").read_text())) == 20
    assert len(json.loads((out / "VendorComments_Evaluation_Clean.json").read_text())) == 5
    assert len(json.loads((out / "CustomerComments_Train_Clean.json").read_text())) == 8  # 12 left unused
    merged = json.loads((out / "AllComments_Clean_Train.json").read_text())
    train = result.types["vendor"].train + result.types["customer"].train
    assert sorted(r["id"] for r in merged) == sorted(r["id"] for r in train)
    assert [r["type"] for r in merged] != sorted(r["type"] for r in merged)  # shuffled, not concatenated

    card = json.loads((out / "data_card.json").read_text())
    assert card["split"] == {"vendor": {"train": 20, "eval": 5, "available": 30},
                             "customer": {"train": 8, "eval": 5, "available": 25}}
    assert card["seed"] == 42 and card["config"]["PROFILE"] == "tiny" and "numpy" in card["versions"]
    assert card["files"]["vendor"]["funnel"]["input"] == 30 and len(card["files"]["vendor"]["sha256"]) == 64
    assert card["labels"]["vendor"]["train"]["technical"]["counts"] == {"0": 0, "1": 20}
    assert card["labels"]["customer"]["eval"]["severity"]["counts"] == {"1": 0, "2": 5, "3": 0, "4": 0}
    assert card["labels"]["vendor"]["eval"]["summary"]["mean_words"] == 5.0
    assert "skipped" in card["token_lengths"]  # no student model in this MODELS_DIR


def test_short_data_uses_what_exists(tmp_path):
    path = generated(tmp_path / "VendorComments.json", 5)
    with pytest.warns(UserWarning, match="only 5 usable comments"):
        result = prepare_data(config(tmp_path, path, EVAL_SIZE=6, TRAIN_SIZE={"vendor": 16, "customer": 16}))
    # evaluation is carved out first but never takes the last record: train keeps one
    assert result.card["split"]["vendor"] == {"train": 1, "eval": 4, "available": 5}


@pytest.mark.parametrize("n", [0, 1])
def test_too_little_data_raises_naming_the_file(tmp_path, n):
    path = generated(tmp_path / "VendorComments.json", n)
    with pytest.raises(DataError, match=rf"VendorComments.json .*kept {n}.*{n} usable comment"):
        prepare_data(config(tmp_path, path))


def test_evaluation_and_training_never_share_a_comment(tmp_path):
    rng = random.Random(3)
    base = [words(rng, 40) for _ in range(20)]
    # each comment also appears once exactly (other case) and once with its last word changed
    comments = base + [c.upper() for c in base] + [c.rsplit(" ", 1)[0] + " zzz." for c in base]
    path = export(tmp_path / "VendorComments.json", [pair(c) for c in comments])
    result = prepare_data(config(tmp_path, path, EVAL_SIZE=8, TRAIN_SIZE={"vendor": 12, "customer": 12}))
    data = result.types["vendor"]
    assert data.funnel["duplicate"] == 20 and data.funnel["near_duplicate"] == 20 and data.funnel["kept"] == 20
    texts = [r["Comment"] for r in data.eval + data.train]
    cross = [(i, j) for i, j, _ in near_duplicate_pairs(texts, 0.5) if i < len(data.eval) <= j]
    assert cross == []


def test_the_disjointness_check_raises_when_broken():
    a = {"id": "vendor-00001", "Comment": "The balancer moves no blocks at all since the last upgrade."}
    b = {"id": "vendor-00002", "Comment": "the balancer moves no blocks at ALL since the last upgrade."}
    with pytest.raises(DataError, match="train vendor-00002 ~ eval vendor-00001"):
        check_disjoint([b], [a], None, what="VendorComments.json")


def test_funnel_adds_up_for_many_files(tmp_path):
    rng = random.Random(5)
    for trial in range(5):
        comments = [words(rng, rng.randint(1, 30)) for _ in range(40)]
        comments += [rng.choice(comments).lower() for _ in range(10)]
        scores = [rng.choice([0, 3, 4.9, 5, 5, ...]) for _ in comments]
        answers = [rng.choice([VENDOR_OK, VENDOR_OK, "1. 1\n2. 9", ""]) for _ in comments]
        path = export(tmp_path / "VendorComments.json", [pair(c, s, a) for c, s, a in zip(comments, scores, answers)])
        data = prepare_data(config(tmp_path, path, NEAR_DUP_THRESHOLD=0.5)).types["vendor"]
        f = data.funnel
        drops = f["low_score"] + f["duplicate"] + f["near_duplicate"] + f["invalid_answers"]
        assert f["input"] == 50 == f["kept"] + drops
        assert f["kept"] == f["eval"] + f["train"] + f["unused"] == len(data.kept)


def test_generation_export_needs_no_threshold(tmp_path):
    path = tmp_path / "VendorComments.json"
    rng = random.Random(4)
    path.write_text(json.dumps([{"Seeds": "HDFS", "Prompt": words(rng), "Completion": VENDOR_OK} for _ in range(6)]))
    with pytest.raises(SDSFormatError, match="generation export"):
        prepare_data(config(tmp_path, path))
    result = prepare_data(config(tmp_path, path, SCORE_THRESHOLD=None))
    assert result.types["vendor"].funnel["kept"] == 6 and result.types["vendor"].format == "generation"


def test_token_lengths_use_the_student_tokenizer(tmp_path):
    from utils.models import setup_model

    setup_model(load_config("tiny"))  # Step 0 for the tiny student (seconds; reused when ready)
    path = generated(tmp_path / "VendorComments.json", 8)
    cfg = config(tmp_path, path, MODELS_DIR=str(PROJECT_ROOT / "models"))
    lengths = prepare_data(cfg).card["token_lengths"]
    assert lengths["tokenizer"] == TINY_DIR
    train = lengths["vendor"]["train"]
    assert train["n"] == 3 and 50 < train["min"] <= train["mean"] <= train["p95"] <= train["max"] < 1024


# ------------------------------------------------------------------------------ near-duplicates
def test_near_duplicate_pairs_match_brute_force():
    rng = random.Random(11)
    base = [words(rng, rng.randint(2, 30)) for _ in range(60)]
    texts = base + [" ".join(t.split()[: -rng.randint(1, 3)] or ["x"]) for t in base[:40]] + ["", "Ok.", "ok"]
    sets = [set(shingles(t)) for t in texts]
    for threshold in (0.3, 0.7, 0.9, 1.0):
        expected = [(i, j) for i, j in itertools.combinations(range(len(texts)), 2)
                    if sets[i] and sets[j] and jaccard(sets[i], sets[j]) >= threshold]
        assert [(i, j) for i, j, _ in near_duplicate_pairs(texts, threshold)] == expected, threshold
    assert (len(texts) - 2, len(texts) - 1) in [(i, j) for i, j, _ in near_duplicate_pairs(texts, 1.0)]


# ------------------------------------------------------------------------------ PII
@pytest.mark.parametrize("text, expected", [
    ("Mail john.doe@example.com today", "Mail [EMAIL] today"),
    ("Call +1 (408) 555-0123 or 408-555-0123.", "Call [PHONE] or [PHONE]."),
    ("UK desk: +44 20 7946 0958", "UK desk: [PHONE]"),
    ("NameNode at 10.20.30.40:8020 is down", "NameNode at [IP]:8020 is down"),
    ("Bind to fe80::1ff:fe23:4567:890a now", "Bind to [IP] now"),
    ("password=hunter2 and api_key: 9f8e7d", "password=[SECRET] and api_key: [SECRET]"),
    ("ssl.keystore.password = 'changeit'", "ssl.keystore.password = [SECRET]"),
    ("Authorization: Bearer abc.def-123456", "Authorization: Bearer [SECRET]"),
    ("key AKIAIOSFODNN7EXAMPLE", "key [SECRET]"),
    ("sha 3f2a9c0b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a", "sha [SECRET]"),
    ("secret wJalrXUtnFEMI7K7MDENGbPxRfiCY3XAMPLEKEY9", "secret [SECRET]"),
])
def test_scrub_pii_masks(text, expected):
    assert scrub_pii(text) == (expected, expected.count("["))


@pytest.mark.parametrize("text", [
    "See https://docs.cloudera.com/runtime/7.1.9/hdfs.html?user=john@example.com&token=abc123#top",
    "Fixed in https://issues.apache.org/jira/browse/HDFS-12345 and http://10.0.0.5:8080/api?password=x",
    "www.example.com/a?key=value",
    "CDP 7.1.9.1000 since 2024-01-15 10:23:45,123 on port 8020, case 123456",
    "application_1700000000000_0001 in org.apache.hadoop.hdfs.server.namenode.FSNamesystem",
    "/opt/cloudera/parcels/CDH-7.1.9-1.cdh7.1.9.p0.44702451/lib/NameNodeHAFailoverControllerException2",
    "max_tokens: 512, uuid 123e4567-e89b-12d3-a456-426614174000, MAC 00:1A:2B:3C:4D:5E, std::vector",
])
def test_scrub_pii_keeps_links_and_technical_text(text):
    assert scrub_pii(text) == (text, 0)


def test_scrubbing_changes_text_and_drops_nothing(tmp_path):
    rng = random.Random(6)
    comments = [words(rng) for _ in range(6)]
    comments[1] += " Reach me at jane@corp.example or +1 408 555 0199, see https://docs.cloudera.com/x?a=b"
    summary = VENDOR_OK.replace("Asks for the NameNode logs.", "Customer jane@corp.example wants logs.")
    path = export(tmp_path / "VendorComments.json", [pair(c, 5, summary if i == 1 else VENDOR_OK)
                                                      for i, c in enumerate(comments)])
    plain = prepare_data(config(tmp_path, path))
    result = prepare_data(config(tmp_path, path, SCRUB_PII=True))
    data = result.types["vendor"]
    assert data.funnel["pii_scrubbed"] == 1 and data.funnel["kept"] == plain.types["vendor"].funnel["kept"] == 6
    rec = next(r for r in data.kept if r["id"] == "vendor-00001")
    assert rec["Comment"].endswith("Reach me at [EMAIL] or [PHONE], see https://docs.cloudera.com/x?a=b")
    assert "[EMAIL]" in rec["Prompt"] and rec["Completion"].endswith("11. Customer [EMAIL] wants logs.")


# ------------------------------------------------------------------------------ tables and plot
def test_tables_and_plot_for_the_notebook(tmp_path, edge_file):
    from utils.data import funnel_frame, label_distribution_frame, rejects_frame
    from utils.figures import plot_label_distribution

    result = prepare_data(config(tmp_path, edge_file))
    assert funnel_frame(result)["VendorComments.json"].to_dict()["near_duplicate"] == 1
    labels = label_distribution_frame(result)
    assert set(labels.split) == {"train", "eval"} and "summary" not in set(labels.question)
    assert labels.groupby(["question", "split"])["share"].sum().round(6).eq(1).all()
    causes = rejects_frame(result).set_index("cause")["count"].to_dict()
    assert causes == {"score not above threshold": 2, "evaluation failed (score 0)": 1, "no score": 1,
                      "duplicate": 1, "near duplicate": 1, "answers missing": 1, "answers out of range": 1,
                      "failed in SDS": 4}
    fig = plot_label_distribution(result)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 10  # the vendor task's BOOL and SCORE questions


def test_token_counts_without_transformers_match_the_students_tokenizer(tiny_folder):
    from utils.data import _token_counter
    from utils.models import load_tokenizer

    cfg = load_config("tiny")
    texts = [build_prompt(f"HDFS NameNode {i} is down: see https://issues.apache.org/jira/browse/HDFS-{i}", "vendor")
             + "\n1. 1\n2. 3" for i in range(5)] + ["", "  émoji ✓ and tabs\t"]
    assert (tiny_folder / "tokenizer.json").exists()  # the fast path: the tokenizers library alone
    tok = load_tokenizer(tiny_folder, cfg)
    assert _token_counter(tiny_folder, cfg)(texts) == [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]]


# ------------------------------------------------------------------------------ broken records never abort
def test_failed_evaluations_and_malformed_pairs_are_rejects_not_an_abort(tmp_path):
    rng = random.Random(8)
    good = [pair(words(rng)) for _ in range(6)]
    failed_eval = {"Prompt": words(rng), "Completion": VENDOR_OK,  # how SDS writes a failed evaluation
                   "evaluation": {"score": 0, "justification": "Error during evaluation"}}
    no_solution = {"question": words(rng), "evaluation": {"score": 5, "justification": "ok"}}
    null_solution = {"question": words(rng), "solution": None, "evaluation": {"score": 5, "justification": "ok"}}
    path = tmp_path / "VendorComments.json"
    path.write_text(json.dumps({
        "HDFS": topic(good[:3] + [failed_eval, no_solution], failed=1),
        "Kafka": topic(good[3:] + [null_solution, "a string, not a pair", pair(words(rng), 100)]),
        "Broken": {"error": "Critical error in evaluate_topic: throttled"},
        "Overall_Average": 4.0}), encoding="utf-8")
    data = prepare_data(config(tmp_path, path)).types["vendor"]
    assert data.funnel["failed_pairs"] == 1 and data.funnel["unreadable"] == 4  # 2 pairs, a string, the topic
    assert data.funnel["input"] == 8 and data.funnel["low_score"] == 2 and data.funnel["kept"] == 6
    reasons = {r["id"]: (r["stage"], r["reason"]) for r in data.rejects}
    assert reasons["vendor-00003"] == (
        "low_score", "score 0: SDS's mark of a failed evaluation (Error during evaluation)")
    assert reasons["vendor-00004"][0] == "unreadable" and "'solution' is missing" in reasons["vendor-00004"][1]
    assert reasons["vendor-00008"][0] == "unreadable" and "'solution' is null" in reasons["vendor-00008"][1]
    assert reasons["vendor-00009"] == ("unreadable", "a string, expected an object")
    assert reasons["vendor-00010"] == ("low_score", "score 100 is outside SDS's 0-5 scale")
    assert reasons["vendor-topic-00000"] == ("unreadable", "SDS recorded an error for the whole topic: "
                                                           "Critical error in evaluate_topic: throttled")
    assert reasons["vendor-failed-00000"][0] == "failed_pairs"
    card = json.loads((tmp_path / "out" / "data_card.json").read_text())["files"]["vendor"]
    assert (card["shape"], card["container"]) == ("sft_evaluated", "json")
    assert card["keys"] == {"question -> solution": 7, "Prompt -> Completion": 1}


def test_nothing_usable_left_fails_with_the_funnel_the_reasons_and_the_fix(tmp_path):
    path = tmp_path / "VendorComments.json"
    path.write_text(json.dumps({"HDFS": topic([{"question": f"c{i}", "solution": None} for i in range(4)])}))
    with pytest.raises(DataError) as err:
        prepare_data(config(tmp_path, path))
    msg = str(err.value)
    assert str(path) in msg and "unreadable 4" in msg and "kept 0" in msg
    assert "4 x unreadable: 'solution' is null" in msg and "topic 'HDFS', evaluated pair 0" in msg
    assert "SDS_PROMPT_KEY" in msg and "SCORE_THRESHOLD" not in msg  # the fix for what took them
    assert not (tmp_path / "out").exists()


def test_freeform_evaluated_and_json_lines_exports_run_through_step_1(tmp_path):
    rng = random.Random(9)
    rows = [{"row": {"Seeds": "HDFS", "Prompt": words(rng), "Completion": VENDOR_OK},
             "evaluation": {"score": 5, "justification": "ok"}} for _ in range(6)]
    freeform = tmp_path / "VendorComments.json"
    freeform.write_text(json.dumps({"evaluated_rows": rows, "failed_rows": [], "Overall_Average": 5}))
    data = prepare_data(config(tmp_path, freeform)).types["vendor"]
    assert (data.shape, data.format, data.funnel["kept"]) == ("freeform_evaluated", "evaluated", 6)

    lines = tmp_path / "CustomerComments.jsonl"
    recs = [json.dumps({"Seeds": "Kafka", "Prompt": words(rng), "Completion": CUSTOMER_OK}) for _ in range(5)]
    lines.write_text("\n".join(recs[:2] + ['{"Seeds": "Kafka", "Prompt": "torn'] + recs[2:]) + "\n")
    result = prepare_data(config(tmp_path, freeform, lines, SCORE_THRESHOLD=None))
    data = result.types["customer"]
    assert (data.shape, data.container, data.funnel["unreadable"], data.funnel["kept"]) == (
        "sft_generation", "jsonl", 1, 5)
    [torn] = data.rejects
    assert torn["line"] == 3 and torn["where"] == "line 3" and torn["reason"].startswith("not valid JSON")
    assert result.paths["customer_train"].name == "CustomerComments_Train_Clean.json"


# ------------------------------------------------------------------------------ answer lines
def test_extra_numbered_lines_are_taken_out_of_the_summary_and_counted(tmp_path):
    rng = random.Random(10)
    extra = VENDOR_OK + "\n12. Also check the ZooKeeper quorum.\n   (two nodes are down)\n13. Reply soon."
    pairs = [pair(words(rng)) for _ in range(5)] + [pair(words(rng), 5, extra)]
    result = prepare_data(config(tmp_path, export(tmp_path / "VendorComments.json", pairs)))
    data = result.types["vendor"]
    assert data.funnel["answers_cleaned"] == 1 and data.funnel["kept"] == 6
    rec = next(r for r in data.kept if r["id"] == "vendor-00005")
    assert rec["Completion"].endswith("\n11. Asks for the NameNode logs.")  # no "12. Also check..." glued on
    assert data.cleaned == {"vendor-00005": ["12. Also check the ZooKeeper quorum.", "   (two nodes are down)",
                                             "13. Reply soon."]}
    assert result.card["files"]["vendor"]["answers_cleaned"] == data.cleaned


def test_conflicting_repeated_answers_are_rejected_identical_ones_cleaned(tmp_path):
    rng = random.Random(11)
    conflict = VENDOR_OK + "\n2. 4"                              # severity 3, then 4
    twice = VENDOR_OK + "\n" + VENDOR_OK                         # the whole block again, the same values
    middle = VENDOR_OK.replace("3. 3\n", "3. 3\n3. 1\n")         # urgency 3, then 1, before the summary
    pairs = [pair(words(rng)) for _ in range(3)] + [pair(words(rng), 5, s) for s in (conflict, twice, middle)]
    pairs += [pair(words(rng)) for _ in range(2)]
    data = prepare_data(config(tmp_path, export(tmp_path / "VendorComments.json", pairs))).types["vendor"]
    reasons = {r["id"]: r["reason"] for r in data.rejects}
    assert reasons == {"vendor-00003": "invalid answers: 2: conflicting: 3, then 4 on line 12",
                       "vendor-00005": "invalid answers: 3: conflicting: 3, then 1 on line 4"}
    assert data.funnel["invalid_answers"] == 2 and data.funnel["answers_cleaned"] == 1
    rec = next(r for r in data.kept if r["id"] == "vendor-00004")
    assert rec["Completion"] == format_answers(parse_answers(VENDOR_OK, "vendor"), "vendor")
    assert [r["errors"] for r in data.rejects] == [{"2": "conflicting: 3, then 4 on line 12"},
                                                  {"3": "conflicting: 3, then 1 on line 4"}]
    summary = VENDOR_OK + "\n11. The NameNode fails over."                 # a second, different summary
    assert clean_answer_lines(summary, "vendor").conflicts == {
        11: "conflicting: 'Asks for the NameNode logs.', then 'The NameNode fails over.' on line 12"}


@pytest.mark.parametrize("text", [
    VENDOR_OK,
    VENDOR_OK.replace("11. Asks for the NameNode logs.", "11. Steps taken:\n1. Restarted the NameNode\n"
                      "2. Checked the 3 JournalNodes for edit log gaps"),  # numbered steps stay summary text
    VENDOR_OK.replace("1. 1\n", "Answers:\n1. 1\n"),
])
def test_answer_lines_leave_ordinary_text_alone(text):
    lines = clean_answer_lines(text, "vendor")
    assert (lines.text, lines.removed, lines.conflicts) == (text, [], {})


# ------------------------------------------------------------------------------ length
def test_a_comment_longer_than_the_student_reads_is_rejected_before_the_split(tmp_path):
    rng = random.Random(12)
    huge = "The HiveServer2 log shows " + "x" * 200_000
    pairs = [pair(words(rng)) for _ in range(5)] + [pair(huge)]
    data = prepare_data(config(tmp_path, export(tmp_path / "VendorComments.json", pairs))).types["vendor"]
    assert data.funnel["too_long"] == 1 and data.funnel["kept"] == 5
    [rej] = data.rejects
    assert rej["id"] == "vendor-00005" and rej["stage"] == "too_long" and rej["tokens"] > 1024
    assert "over MAX_LENGTH 1024" in rej["reason"] and "(estimated;" in rej["reason"]  # no student in MODELS_DIR
    assert "vendor-00005" not in {r["id"] for r in data.train + data.eval}


def test_too_long_is_counted_with_the_students_tokenizer(tmp_path, tiny_folder):
    from utils.data import _token_counter

    rng = random.Random(13)
    comments = [words(rng) for _ in range(7)] + [words(rng, 700)]
    path = export(tmp_path / "VendorComments.json", [pair(c) for c in comments])
    cfg = config(tmp_path, path, MODELS_DIR=str(tiny_folder.parent), EVAL_SIZE=3,
                 TRAIN_SIZE={"vendor": 4, "customer": 4})
    result = prepare_data(cfg)
    data = result.types["vendor"]
    [rej] = data.rejects
    text = (build_prompt(comments[7], "vendor", vendor=cfg.VENDOR_NAME, style=cfg.PROMPT_STYLE) + "\n"
            + format_answers(parse_answers(VENDOR_OK, "vendor"), "vendor"))
    exact = _token_counter(tiny_folder, cfg)([text])[0]
    assert (rej["id"], rej["stage"], rej["tokens"]) == ("vendor-00007", "too_long", exact) and exact > 1024
    assert rej["reason"].startswith(f"Prompt + Completion is {exact} student tokens, over MAX_LENGTH 1024")
    # dropped before the split: neither the training nor the evaluation file holds it
    assert {r["id"] for r in data.train} | {r["id"] for r in data.eval} == {f"vendor-0000{i}" for i in range(7)}
    card = result.card
    assert card["length_check"]["counted_by"] == f"the student's tokenizer ({TINY_DIR})"
    assert card["token_lengths"]["vendor"]["eval"]["over_max_length"] == 0
    assert card["token_lengths"]["vendor"]["train"]["max"] <= 1024
