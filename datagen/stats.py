"""How close the demo exports come to real teacher-written comments, and what Step 1 makes of them.

This module owns the realism measures (length, links, logs, numbered steps, voice, sentence
templates) and runs Step 1's own funnel (`utils.data.filter_export`) on the generated files; it
re-implements no filter. `python -m datagen --stats` prints both.

A sentence's template is the sentence with everything particular masked: URLs, numbers, versions,
hosts, paths and other identifiers, product names and capitalised words (names, companies), runs
of masks merged, punctuation dropped, lower case. Sentences are the lines of a comment split after
`.`, `!` or `?`, list markers removed; only those of at least 4 words count, so greetings and
sign-offs ("Hi team,", "Best regards, Sarah") do not. Measured this way on the 500 real comments of
each type (../shared/data/amp_original), the figures are those in REAL below.

    >>> template("Since the upgrade to CDP 7.1.9, the NameNode on nn01.bank.local fails over every 5 minutes.")
    'since the upgrade to <x> the <x> on <x> fails over every <x> minutes'
"""

from __future__ import annotations

import random
import re
import statistics
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence


# The figures for 500 real teacher-written comments per type; numbered steps and the
# customer's voice were measured with NUMBERED_LINE and CUSTOMER_VOICE below on the same comments
# (when ../shared/data/amp_original is present they are measured again, as are logs with LOG_LINE).
REAL = {
    "vendor": {"median": 483, "p10": 319, "p90": 752, "url": 0.002, "log": 0.09, "template_once": 0.91},
    "customer": {"median": 458, "p10": 368, "p90": 553, "url": 0.0, "log": 0.04, "template_once": 0.93},
}
REAL_MEASURED = {
    "vendor": {"numbered": 0.372, "customer_voice": 0.66, "template_once_all": 0.918, "max_template_share": 0.012},
    "customer": {"numbered": 0.022, "customer_voice": 0.878, "template_once_all": 0.949, "max_template_share": 0.010},
}
REAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "amp_original"
REAL_FILES = {"vendor": "vendor_comments_llama31_8b_base.json", "customer": "customer_comments_llama31_8b_base.json"}
SAMPLE = 500  # comments per sample for the template-once share, as in the real measurement
MIN_WORDS = 4  # shorter pieces (greetings, sign-offs, "Environment:") are not sentences here

URL = re.compile(r"https?://[^\s)>\]\"']+", re.IGNORECASE)
LOG_LINE = re.compile(
    r"^[ \t>]*(?:```|~~~)?[ \t]*(?:"
    r"\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d"  # a timestamped log line
    r"|\[?(?:ERROR|WARN|WARNING|FATAL|SEVERE|INFO|DEBUG|TRACE)\]?[: ]"  # a log level opening the line
    r"|(?:at|\tat) [\w$.<>]+\([\w$.]*(?::\d+)?\)"  # a stack frame
    r"|Caused by: |Traceback \(most recent call last\)"
    r"|(?:[a-z_][\w$]*\.)+[A-Z]\w*(?:Exception|Error)\b"  # a qualified exception class
    r")", re.MULTILINE)
NUMBERED_LINE = re.compile(r"^[ \t]*\d{1,2}[.)][ \t]+\S", re.MULTILINE)
BULLET_LINE = re.compile(r"^[ \t]*[-*\u2022][ \t]+\S", re.MULTILINE)
CUSTOMER_VOICE = re.compile(  # the writer speaks about their own systems, in the first person
    r"\b(?:we|i)(?:'re|'ve|'m| are| have| am| were| had)?(?: been| also| now| currently| still| just| keep)?"
    r" (?:seeing|experiencing|getting|facing|having|hitting|noticing|noticed|observing|running into|"
    r"encountering|tried|restarted|checked|found|need)\b"
    r"|\bour (?:[\w-]+ ){0,2}(?:cluster|clusters|environment|jobs|users|pipeline|production|setup|deployment|"
    r"workloads?|nodes|systems|servers|hosts)\b", re.IGNORECASE)

_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z\"'`(\[])")
_MARKER = re.compile(r"^\s*(?:>+\s*)?(?:\d{1,2}[.)]|[-*\u2022]|Step \d+:)?\s*")
_PRODUCTS = {
    "hdfs", "yarn", "hive", "hiveserver2", "impala", "spark", "kafka", "hbase", "ozone", "nifi", "ranger", "atlas",
    "kudu", "oozie", "solr", "hue", "zookeeper", "knox", "kerberos", "cdp", "cdh", "cml", "cde", "cdw", "iceberg",
    "phoenix", "livy", "sqoop", "flink", "tez", "mapreduce", "cloudera", "namenode", "datanode", "catalogd",
}
MASK = "<x>"


# =============================================================================== the measures
def sentences(text: str) -> list[str]:
    """The sentences of a comment: its lines split after . ! ?, list and quote markers removed."""
    out = []
    for line in text.split("\n"):
        line = _MARKER.sub("", line).strip()
        if line:
            out += [s.strip() for s in _SPLIT.split(line) if s.strip()]
    return out


def template(sentence: str) -> str:
    """The sentence with names, numbers, products, versions, hosts and paths masked (see the module)."""
    words = []
    for k, raw in enumerate(sentence.split()):
        token = raw.strip(".,;:!?()[]{}\"'`*")
        if not token:
            continue
        if (URL.match(token) or any(ch.isdigit() for ch in token) or re.search(r"[._/=:@\\$<>#]", token)
                or token.lower() in _PRODUCTS or (k > 0 and token[:1].isupper()) or (token.isupper() and len(token) > 1)):
            word = MASK
        else:
            word = re.sub(r"[^\w'-]", "", token.lower())
            if not word:
                continue
        if word == MASK and words and words[-1] == MASK:
            continue
        words.append(word)
    return " ".join(words)


def sentence_templates(text: str) -> list[str]:
    """The templates of a comment's sentences of at least MIN_WORDS words."""
    return [t for t in (template(s) for s in sentences(text)) if len(t.split()) >= MIN_WORDS]


def template_stats(texts: Sequence[str]) -> dict[str, Any]:
    """Share of sentences whose template occurs once; the template found in the most comments."""
    per_text = [sentence_templates(t) for t in texts]
    counts = Counter(tpl for tpls in per_text for tpl in tpls)
    in_comments = Counter(tpl for tpls in per_text for tpl in set(tpls))
    total = sum(counts.values())
    top = in_comments.most_common(5)
    return {
        "sentences": total,
        "template_once": sum(1 for tpls in per_text for tpl in tpls if counts[tpl] == 1) / max(1, total),
        "max_template_share": top[0][1] / max(1, len(texts)) if top else 0.0,
        "top_templates": [(tpl, n) for tpl, n in top],
    }


def sampled_template_once(texts: Sequence[str], size: int = SAMPLE, samples: int = 10, seed: int = 0) -> float:
    """The template-once share on samples of `size` comments (the size of the real measurement), averaged."""
    if len(texts) <= size:
        return template_stats(texts)["template_once"]
    rng = random.Random(seed)
    return statistics.fmean(template_stats(rng.sample(list(texts), size))["template_once"] for _ in range(samples))


def realism(texts: Sequence[str]) -> dict[str, Any]:
    """Length quantiles and the share of comments with a URL, a log, numbered steps, the customer's voice."""
    lengths = sorted(len(t) for t in texts)
    n = len(texts)

    def quantile(q: float) -> int:
        return lengths[min(n - 1, int(q * n))]

    def share(pattern: re.Pattern, at_least: int = 1) -> float:
        return sum(len(pattern.findall(t)) >= at_least for t in texts) / n

    return {
        "comments": n, "median": statistics.median(lengths), "p10": quantile(0.1), "p90": quantile(0.9),
        "url": share(URL), "log": share(LOG_LINE), "numbered": share(NUMBERED_LINE, 2), "bullets": share(BULLET_LINE, 2),
        "customer_voice": share(CUSTOMER_VOICE), "template_once": sampled_template_once(texts),
        **{k: v for k, v in template_stats(texts).items() if k != "template_once"},
        "template_once_all": template_stats(texts)["template_once"],
    }


def real_comments(comment_type: str) -> Optional[list[str]]:
    """The 500 real comments of a type, when ../shared/data/amp_original is present; else None."""
    import json

    path = REAL_DIR / REAL_FILES[comment_type]
    if not path.exists():
        return None
    return [r["comment"] for r in json.loads(path.read_text(encoding="utf-8"))]


# =============================================================================== Step 1's funnel
def run_step1(exports: dict[str, dict], workdir: Optional[Path] = None) -> dict[str, dict]:
    """Step 1's own filter (`utils.data.filter_export`, demo profile) on the exports, by type.

    Returns per type: the funnel, rejects counted by (stage, cause), and the kept records.
    The exports are written to `workdir` (a temporary folder when None) exactly as on disk.
    """
    from Config.Config import load_config
    from utils.data import filter_export, length_counter, load_export, reject_cause
    from utils.files import write_json

    from datagen.generate import FILES, JSON_INDENT

    with tempfile.TemporaryDirectory(prefix="datagen-stats-") as tmp:
        folder = Path(workdir or tmp)
        paths = {t: write_json(folder / FILES[t], export, indent=JSON_INDENT) for t, export in exports.items()}
        cfg = load_config("demo", {"DATA_DIR": str(folder), "VENDOR_SDS_FILE": str(paths.get("vendor", folder / FILES["vendor"])),
                                   "CUSTOMER_SDS_FILE": str(paths.get("customer", folder / FILES["customer"])),
                                   "COMMENT_TYPES": tuple(exports)})
        counter = length_counter(cfg)
        out = {}
        for ctype in exports:
            kept, rejects, funnel, _ = filter_export(load_export(cfg, ctype), ctype, cfg, counter)
            out[ctype] = {"funnel": funnel, "rejects": Counter((r["stage"], reject_cause(r)) for r in rejects),
                          "kept": kept}
        return out


def label_shares(records: Iterable[dict], comment_type: str) -> dict[str, dict[int, float]]:
    """Share of each value of every yes/no and score question among Step 1's kept records."""
    from utils.data import label_distribution

    dist = label_distribution(list(records), comment_type)
    out = {}
    for key, q in dist.items():
        if "counts" in q:
            total = sum(q["counts"].values()) or 1
            out[key] = {int(v): c / total for v, c in q["counts"].items()}
    return out


# =============================================================================== the report
def print_stats(exports: dict[str, dict], seed: int) -> None:
    """The realism table (real vs demo), the label shares and Step 1's funnel, as plain text."""
    step1 = run_step1(exports)
    measured = {t: realism([r["Comment"] for r in step1[t]["kept"]]) for t in exports}
    live = {t: (realism(texts) if (texts := real_comments(t)) else None) for t in exports}
    print(f"Demo exports, seed {seed}: the comments Step 1 keeps, against 500 real teacher-written comments per type")
    print("(real: the issue's figures; numbered steps, voice and template spread measured with this module's patterns)\n")
    header = "".join(f"{'real ' + t:>18}{'demo ' + t:>18}" for t in exports)
    print(f"{'':36}{header}")
    rows = [
        ("median characters (p10-p90)", ("median", "p10", "p90"), lambda m: f"{m['median']:.0f} ({m['p10']}-{m['p90']})"),
        ("comments with a URL", ("url",), lambda m: f"{m['url']:.1%}"),
        ("logs or stack traces", ("log",), lambda m: f"{m['log']:.1%}"),
        ("numbered steps (2+ lines)", ("numbered",), lambda m: f"{m['numbered']:.1%}"),
        ("customer's voice (first person)", ("customer_voice",), lambda m: f"{m['customer_voice']:.1%}"),
        ("sentences whose template occurs once", ("template_once",), lambda m: f"{m['template_once']:.1%}"),
        ("  the same over the whole kept set", ("template_once_all",), lambda m: f"{m['template_once_all']:.1%}"),
        ("max template share of comments", ("max_template_share",), lambda m: f"{m['max_template_share']:.2%}"),
    ]
    for name, keys, fmt in rows:
        cells = ""
        for t in exports:
            real = {**REAL_MEASURED[t], **(live[t] or {}), **REAL[t]}
            left = fmt(real) if all(k in real for k in keys) else "-"
            cells += f"{left:>18}{fmt(measured[t]):>18}"
        print(f"{name:36}{cells}")
    print("(template-once: mean over samples of 500 comments, the size of the real measurement)")
    for t in exports:
        if live[t]:
            m = live[t]
            print(f"real {t} comments measured with this module: logs {m['log']:.1%}, template once {m['template_once']:.1%}, "
                  f"max template share {m['max_template_share']:.2%}, bullets {m['bullets']:.1%}")
    for t in exports:
        m = measured[t]
        print(f"demo {t}: bullets {m['bullets']:.1%}; most repeated templates (comments holding them, of {m['comments']}):")
        for tpl, n in m["top_templates"][:3]:
            print(f"  {n:4d}  {tpl}")
    for t in exports:
        res = step1[t]
        print(f"\n[{t}] Step 1 funnel (utils.data.filter_export, demo profile): "
              + ", ".join(f"{k} {v}" for k, v in res["funnel"].items()))
        print(f"[{t}] rejects by reason:")
        for (stage, cause), n in sorted(res["rejects"].items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {n:5d}  {stage}: {cause}")
        print(f"[{t}] answer shares among the {len(res['kept'])} kept pairs:")
        for key, shares in label_shares(res["kept"], t).items():
            print(f"  {key:20s} " + "  ".join(f"{v}:{s:.3f}" for v, s in shares.items()))


if __name__ == "__main__":  # pragma: no cover
    from datagen.generate import DEFAULT_SEED, build_exports

    print_stats(build_exports(DEFAULT_SEED), DEFAULT_SEED)
