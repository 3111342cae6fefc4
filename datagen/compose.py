"""From a drawn record of answers to a comment, its teacher answers and its summary.

This module owns the labelling: which answers a comment gets, and a text that says exactly that.
The facts come from `datagen.catalog`, the wording from `datagen.phrases`; the SDS export around
the comments belongs to `datagen.generate`.

How one comment is made
  1. The answers are drawn first (technical?, severity, urgency given severity, requests, ...).
  2. The text is rendered from them: each answer that is "yes" (or a level) gets a sentence from its
     bank, each "no" gets none, and no other sentence carries that answer's cue. So every answer
     follows from the text, with varied wording rather than one phrase per value.
  3. The summary (the last answer) is built from the record: product, release, problem, impact,
     what the writer asks or proposes. Never copied from the comment; never links or meeting details.

Vendor comments come in three forms, as in real exports: the engineer's reply, a reply that quotes
the customer, and a report written in the customer's own voice (then nothing is proposed to or
asked of the customer: solution, workaround and action request are 0).

    >>> import random
    >>> writer = Writer("customer", random.Random(7), "Cloudera")
    >>> comment = writer.comment()
    >>> sorted(comment.labels)[:3]
    ['apache_jira_link', 'bug', 'complaint']
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from datagen import phrases as P
from datagen.catalog import (COMPANIES, CUSTOMERS, DATABASES, ENGINEERS, KAFKA_TOPICS, MEETING_PROVIDERS,
                             NONPROD_ENVS, PLATFORMS, PRODUCTS, QUEUES, REGIONS, SURNAMES, TABLES, TIMEZONES,
                             USERS, WEEKDAYS, Platform, Problem, Product)
from datagen.grammar import Lit, Synonyms, article, cap, expand, join_and, pick, weighted

# How often each answer value is drawn. The share of every yes/no answer stays between 10% and
# 90% (links excepted: 2.5-3% of the comments hold a URL, see generate.LINK_RATE).
VENDOR_TECHNICAL = 0.86
CUSTOMER_TECHNICAL = 0.82
VENDOR_FORMS = {"reply": 30, "quote": 18, "report": 52}  # report: written in the customer's voice
SEVERITY = {"tech": {1: 18, 2: 20, 3: 30, 4: 32}, "nontech": {1: 7, 2: 6, 3: 10, 4: 77}}
URGENCY_GIVEN_SEVERITY = {1: {1: 65, 2: 35}, 2: {1: 20, 2: 45, 3: 35}, 3: {2: 20, 3: 38, 4: 42},
                          4: {2: 5, 3: 22, 4: 73}}
FRUSTRATION = {1: 28, 2: 28, 3: 24, 4: 20}  # given a complaint
LINK_KINDS = ("apache_jira_link", "vendor_doc_link", "other_link")
# Lengths in characters, log-normal around the medians measured on real teacher-written comments
# (vendor 483, p10-p90 319-752; customer 458, 368-553).
LENGTH = {"vendor": (290, 0.42, 160, 1400), "customer": (415, 0.1, 320, 640)}  # median, sigma, min, max


@dataclass
class Comment:
    """One rendered comment: its text, the teacher's answers by question key, its SDS topic."""

    text: str
    labels: dict[str, Any]  # every question key of the task, the summary included
    topic: str
    traits: dict[str, Any] = field(default_factory=dict)  # how it was written (voice, form, log ...)


class Draft:
    """The paragraphs of a comment while it is written, and sentences that may be added for length."""

    def __init__(self) -> None:
        self.paras: list[list[str]] = []
        self.fillers: list[tuple[list[str], str, bool, Optional[str]]] = []  # (paragraph, sentence, at its start, note)
        self.notes: list[str] = []  # the notes of the fillers used, for the summary

    def para(self, *sentences: Optional[str]) -> list[str]:
        """A new paragraph of the non-empty sentences (kept even when empty, to take fillers)."""
        p = [s for s in sentences if s]
        self.paras.append(p)
        return p

    def block(self, text: str) -> None:
        """A paragraph of its own that holds line breaks: a list, a log excerpt, a quote."""
        self.paras.append([text])

    def filler(self, para: list[str], sentence: str, first: bool = False, note: Optional[str] = None) -> None:
        """A sentence (or a block) to add to `para` if the comment is still short; `note` goes to the summary."""
        self.fillers.append((para, sentence, first, note))

    def body(self) -> str:
        return "\n\n".join(" ".join(p) for p in self.paras if p)

    def open_sentences(self, rng: random.Random, share: float) -> None:
        """Start some sentences that follow another in their paragraph with a neutral marker ("Also,")."""
        for para in self.paras:
            for k in range(1, len(para)):
                sentence = para[k]
                first = sentence.split(" ", 1)[0]
                if "\n" in sentence or first.lower() not in OPEN_TO or rng.random() >= share:
                    continue
                marker = pick(rng, P.OPENERS)
                para[k] = marker + " " + (sentence if first in ("I", "I'm", "I'll", "I've") else sentence[:1].lower() + sentence[1:])

    def fill_to(self, target: int, rng: random.Random, fixed: int) -> None:
        """Add filler sentences (in a random order) while the comment is shorter than `target`."""
        order = list(range(len(self.fillers)))
        rng.shuffle(order)
        for k in order:
            have = fixed + len(self.body())
            para, sentence, first, note = self.fillers[k]
            if have >= target or have + len(sentence) > target + 40:
                continue
            if first:
                para.insert(0, sentence)
            else:
                para.append(sentence)
            if note:
                self.notes.append(note)


class Writer:
    """Draws records and renders comments of one type; one instance per random stream."""

    def __init__(self, comment_type: str, rng: random.Random, vendor: str = "Cloudera"):
        if comment_type not in ("vendor", "customer"):
            raise ValueError(f"Unknown comment type {comment_type!r}; valid types: vendor, customer")
        self.ctype = comment_type
        self.rng = rng
        self.vendor = vendor
        self.vd = re.sub(r"[^a-z0-9]", "", vendor.lower()) or "vendor"

    # ------------------------------------------------------------------ random helpers
    def p(self, prob: float) -> bool:
        return self.rng.random() < prob

    def c(self, options: Sequence[Any]) -> Any:
        return pick(self.rng, options)

    def say(self, template: str, v: dict, **extra: Any) -> str:
        text = expand(template, self.rng, {**v, **extra} if extra else v, SYNONYMS)
        if text.endswith("?") and _PLEASE.match(text):  # "Please confirm ...?" is a request, not a question
            text = text[:-1] + "."
        return text

    def say_one(self, bank: Sequence[str], v: dict, exclude: Sequence[str] = (), **extra: Any) -> str:
        """A sentence from one template of `bank` that uses none of the slots in `exclude`."""
        usable = [t for t in bank if not any("{" + s + "}" in t for s in exclude)]
        if not usable:
            raise ValueError(f"every template of the bank uses one of {exclude}: {bank[0]!r} ...")
        return self.say(self.c(usable), v, **extra)

    def target_length(self) -> int:
        median, sigma, low, high = LENGTH[self.ctype]
        return int(min(high, max(low, median * math.exp(self.rng.gauss(0.0, sigma)))))

    # ------------------------------------------------------------------ one comment
    def comment(self, link: Optional[str] = None) -> Comment:
        """A new comment; `link` (one of LINK_KINDS) puts that kind of URL in it."""
        if link is not None and link not in LINK_KINDS:
            raise ValueError(f"Unknown link kind {link!r}; valid kinds: {', '.join(LINK_KINDS)}")
        if self.ctype == "vendor":
            tech = link is not None or self.p(VENDOR_TECHNICAL)
            return self.vendor_technical(link) if tech else self.vendor_nontechnical()
        tech = link is not None or self.p(CUSTOMER_TECHNICAL)
        return self.customer_comment(tech, link)

    # ------------------------------------------------------------------ the scene
    def draw_problem(self) -> tuple[Product, Problem, Platform]:
        prod = self.rng.choices(PRODUCTS, weights=[p.weight for p in PRODUCTS])[0]
        plats = [p for p in PLATFORMS if p.family in prod.families]
        plat = self.rng.choices(plats, weights=[p.weight for p in plats])[0]
        return prod, self.c(prod.problems), plat

    def scene(self, prod: Optional[Product], prob: Optional[Problem], plat: Optional[Platform], sev: int) -> dict:
        """Every slot a sentence of this comment may use: people, hosts, numbers, the problem's facts."""
        R = self.rng
        company = self.c(COMPANIES)
        cslug = re.sub(r"[^a-z0-9]", "", company.lower())
        domain = cslug + self.c([".com", ".net", ".co.uk", ".de", ".com.au", ".io"])
        sub = self.c([f"prod.{cslug}.local", f"{cslug}.corp", f"dc1.{domain}", f"bigdata.{domain}",
                      f"hadoop.{cslug}.internal", f"cdp.{domain}"])
        prefix = prod.host_prefix if prod else "node"
        appnum = f"{R.randint(1690000000000, 1735000000000)}_{R.randint(1, 99999):04d}"
        ts = (f"{R.randint(2023, 2025)}-{R.randint(1, 12):02d}-{R.randint(1, 28):02d} "
              f"{R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d},{R.randint(0, 999):03d}")
        queue = self.c(QUEUES)
        eng = self.c(ENGINEERS)
        facts = dict(
            host=f"{prefix}{R.randint(1, 24):02d}" + (f".{sub}" if R.random() < 0.35 else ""),
            host2=f"{self.c(['edge', 'worker', 'util', 'gw', 'node', 'mst', 'kdc', 'lb'])}{R.randint(1, 40):02d}"
                  + (f".{sub}" if R.random() < 0.35 else ""),
            n=R.randint(2, 9), n2=R.randint(2, 9), n3=R.randint(3, 12), pct=R.randint(70, 99),
            gb=self.c([8, 12, 16, 24, 32, 48, 64]), gb2=self.c([16, 24, 32, 48, 64, 96]), gb3=self.c([8, 16, 21, 32]),
            mb=self.c([512, 1024, 2048, 4096, 6144, 8192]), mb2=self.c([10240, 20480, 40960, 81920]),
            sec=R.randint(12, 180), ms=self.c([20000, 45000, 60000, 90000]),
            app=f"application_{appnum}", appnum=appnum,
            cid=f"container_e{R.randint(10, 99)}_{appnum}_01_{R.randint(2, 999999):06d}",
            qid=f"{self.hex(16)}:{self.hex(8)}00000000", db=self.c(DATABASES), table=self.c(TABLES),
            topic=self.c(KAFKA_TOPICS), ts=ts, user=self.c(USERS), queue=queue,
            queue2=self.c([q for q in QUEUES if q != queue]), part=R.randint(0, 47), pid=R.randint(1200, 65000),
            txn=R.randint(100000, 9999999), txn2=R.randint(10, 99999), domain=domain,
            realm=f"{cslug.upper()}.{self.c(['COM', 'LOCAL', 'CORP', 'NET'])}", letter=self.c("bcdefghijk"),
            build=(f"{plat.runtime.split('-')[0]}-1.cdh{plat.runtime.split('-')[0]}.p0.{R.randint(10000000, 59999999)}"
                   if plat else ""),
        )
        tech = prod is not None
        env = (self.c(["production", "prod", "production", "PROD"]) if sev <= 2 or not tech
               else self.c(["production", "prod", "production"] + list(NONPROD_ENVS)))
        v: dict[str, Any] = {k: Lit(str(x)) for k, x in facts.items()}
        v.update(
            vendor=Lit(self.vendor), company=Lit(company), name=Lit(self.c(CUSTOMERS)), last=Lit(self.c(SURNAMES)),
            eng=Lit(eng), eng2=Lit(self.c([e for e in ENGINEERS if e != eng])), eng_last=Lit(self.c(SURNAMES)),
            colleague=Lit(f"{self.c(CUSTOMERS)} {self.c(SURNAMES)}"), region=Lit(self.c(REGIONS)),
            env=Lit(env), nonprod=Lit(env if env in NONPROD_ENVS else self.c(NONPROD_ENVS)),
            day=Lit(self.c(WEEKDAYS)), hour=Lit(str(R.randint(7, 18))), tz=Lit(self.c(TIMEZONES)),
            provider=Lit(self.c(MEETING_PROVIDERS)), phone=Lit(self.phone()),
            ordinal=Lit(self.c(["second", "third", "fourth", "fifth"])),
            team=P.TEAMS, count=Lit("two"),
            workload=P.WORKLOADS if tech else ("daily reports", "month-end processing", "order processing",
                                               "customer-facing services", "billing runs", "analyst work"),
            artifact=P.ARTIFACTS, trigger=P.TRIGGERS, freq=P.FREQUENCY,
            when=P.WHEN_STARTED, When=lambda: cap(self.say(self.c(P.WHEN_STARTED), v)),
            when_short=("since [yesterday|this morning|last night|{day}]", "for [the last|about] {n} hours",
                        "as of this morning"),
            when_meeting=Lit(f"{self.c(WEEKDAYS)} at {R.randint(7, 18)}:{self.c(['00', '15', '30', '45'])} {self.c(TIMEZONES)}"),
        )
        if not tech:
            v["matter"] = Lit(self.c(P.MATTERS))
            v["case"] = ("this case", "your case about the {matter}", "the {matter} case", "this ticket",
                         "the case on the {matter}")
            v["topic"] = ("the {matter}", "the next steps", "the case")
            return v
        fill = lambda text: Lit(text.format_map(facts))  # noqa: E731
        if prod.key == "cm":
            ver, vname = plat.cm_version, "Cloudera Manager"
        elif plat.family == "cdp":
            ver, vname = f"{prod.base_versions['cdp']}.{plat.runtime}", prod.version_name
        else:
            ver, vname = f"{prod.base_versions[plat.family]}-cdh{plat.runtime}", prod.version_name
        said = fill(self.c(prob.symptoms))  # as the catalog says it ("the NameNodes keep failing over")
        symptom = Lit(re.sub(r"^the ", "our ", said)) if self.p(0.6) else said  # in the customer's words
        setting = self.c(prob.settings)
        v.update(
            prod=Lit(prod.name), comp=Lit(prob.component), the_np=Lit(_the(prob.name)), ver=Lit(ver), vname=Lit(vname),
            plat=Lit(self.c((plat.long, plat.short) + plat.aliases)), plat_short=Lit(plat.short),
            fixed_in=Lit(plat.fixed_in), expert=Lit(prod.expert), a_expert=Lit(article(prod.expert)),
            sym=symptom, Sym=Lit(symptom if symptom.split(" ", 1)[0] in COMMANDS else cap(symptom)),
            sym_you=Lit(_second_person(said)),
            obs=[fill(o) for o in prob.observations], log=[Lit(x) for x in prob.logs],
            cause=fill(prob.cause), defect=fill(prob.defect), key=Lit(setting.key), cur=fill(setting.current),
            rec=fill(setting.recommended), cmd=[fill(x) for x in prob.commands],
            jira_key=Lit(self.jira_key(prod)[1]) if prod.jira_project else Lit(self.tracker(prod)[1]),
            tracker_key=Lit(self.tracker(prod)[1]),
        )
        v["case"] = ("this case", "the case about {the_np}", "the {comp} case", "this ticket", "the ticket on {the_np}")
        v["topic"] = ("{the_np}", "the {comp} [change|analysis|findings]", "the [analysis|findings|next steps]")
        v["_facts"] = facts
        return v

    def hex(self, n: int) -> str:
        return "".join(self.rng.choices("0123456789abcdef", k=n))

    def token(self, n: int) -> str:
        return "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=n))

    def phone(self) -> str:
        R = self.rng
        return self.c([f"+1 {R.randint(201, 989)} {R.randint(200, 999)} {R.randint(1000, 9999)}",
                       f"+44 20 {R.randint(3000, 8999)} {R.randint(1000, 9999)}",
                       f"+49 69 {R.randint(1000, 9999)} {R.randint(1000, 9999)}",
                       f"+91 22 {R.randint(6000, 6999)} {R.randint(1000, 9999)}"])

    # ------------------------------------------------------------------ links
    def jira_key(self, prod: Product) -> tuple[str, str]:
        key = f"{prod.jira_project}-{self.rng.randint(*prod.jira_range)}"
        return f"https://issues.apache.org/jira/browse/{key}", key

    def tracker(self, prod: Optional[Product]) -> tuple[str, str]:
        proj = "OPSAPS" if prod is not None and prod.key == "cm" else "CDPD"
        key = f"{proj}-{self.rng.randint(20000, 79999)}"
        return f"https://jira.{self.vd}.com/browse/{key}", key

    def docs_url(self, prod: Product, plat: Platform) -> str:
        page = self.c(prod.docs_pages)
        return f"https://docs.{self.vd}.com/cdp-private-cloud-base/{plat.docs_version}/{prod.docs_area}/topics/{page}.html"

    def community_url(self, prod: Product) -> str:
        title = self.c(prod.community_threads)
        return f"https://community.{self.vd}.com/t5/Support-Questions/{title}/td-p/{self.rng.randint(200000, 399999)}"

    def other_url(self, prod: Optional[Product], v: dict) -> str:
        dom = str(v["_facts"]["domain"]) if "_facts" in v else "example.com"
        options = [f"https://my.{self.vd}.com/cases/{self.rng.randint(900000, 1099999)}",
                   f"https://wiki.{dom}/display/PLAT/Cluster+Runbook+{self.rng.randint(1, 99)}",
                   f"https://drive.google.com/file/d/{self.token(33)}/view?usp=sharing"]
        if prod is not None and prod.repo:
            options.append(f"https://github.com/apache/{prod.repo}/pull/{self.rng.randint(1000, 6900)}")
        if prod is not None:
            options.append(self.tracker(prod)[0])
        return self.c(options)

    def link_sentence(self, kind: str, voice: str, prod: Product, plat: Platform, v: dict) -> str:
        """One sentence holding a URL of `kind`, in the engineer's or the customer's voice."""
        if kind == "apache_jira_link":
            url = self.jira_key(prod)[0]
            bank = (("The upstream [report|ticket] for this is {url}.", "[See|Background is in] {url}."),
                    ("[We found|This looks like] {url}[, which matches what we see|].",))
        elif kind == "vendor_doc_link":
            url = self.docs_url(prod, plat) if self.p(0.7) else self.community_url(prod)
            bank = (("The [steps are|procedure is] [documented|described] here: {url}", "For reference, see {url}"),
                    ("We followed {url}[ step by step|] but [it did not help|the problem stays].",))
        else:
            url = self.other_url(prod, v)
            bank = (("[More detail|The reference] is [here|at] {url}", "[I have put|I've put] the notes at {url}"),
                    ("[I uploaded|We put] the [logs|files] [here|in our shared folder]: {url}",))
        return self.say(self.c(bank[0] if voice == "engineer" else bank[1]), v, url=Lit(url))

    # ------------------------------------------------------------------ blocks
    def log_block(self, prob: Problem, v: dict, intro_bank: Sequence[str]) -> str:
        lines = [line.format_map(v["_facts"]) for line in self.c(prob.error_blocks)]
        if len(lines) > 2 and self.p(0.6):
            lines = lines[: self.rng.randint(2, len(lines) - 1)]
        style = self.rng.randrange(4)
        if style == 1:
            body = "\n".join("    " + line for line in lines)
        elif style == 2:
            body = "```\n" + "\n".join(lines) + "\n```"
        elif style == 3:
            body = "~~~\n" + "\n".join(lines) + "\n~~~"
        else:
            body = "\n".join(lines)
        return self.say(self.c(intro_bank), v) + "\n" + body

    def listing(self, intro: str, items: Sequence[str], numbered: bool) -> str:
        dot = self.c([".", ".", ")"]) if numbered else ""
        bullet = self.c(["-", "-", "*", "•"])
        end = self.c(["", "", "."])
        rows = [f"{k}{dot} {_cap_word(item)}{end}" if numbered else f"{bullet} {_cap_word(item)}{end}"
                for k, item in enumerate(items, start=1)]
        return intro + "\n" + "\n".join(rows)

    def environment_list(self, v: dict) -> str:
        items = [str(v["plat"]) if self.p(0.5) else f"{v['vname']} {v['ver']}",
                 self.say("{n3}[0|] [nodes|hosts|workers|worker nodes|DataNodes]", v),
                 self.say("[Kerberos|Kerberos, TLS|LDAP, Kerberos|Kerberos and Ranger|AD Kerberos|TLS only]", v),
                 self.say("{comp} [heap|memory]: {gb} GB", v),
                 self.say("[RHEL|CentOS|Rocky Linux|Ubuntu|OEL] [7.9|8.6|8.8|9.2|20.04]", v),
                 self.say("[JDK|Java|OpenJDK] [8|11|17]", v),
                 self.say("{gb2} GB [RAM|memory]", v)]
        self.rng.shuffle(items)
        items = items[: self.rng.randint(2, 4)]
        return self.listing(self.say(self.c(P.C_PROBLEM["environment"]), v), items, numbered=False)

    def signoff(self, voice: str, v: dict) -> str:
        bank = P.V_SIGNOFF if voice == "engineer" else P.C_SIGNOFF
        closing = self.say(self.c(bank["closing"]), v)
        return closing + "\n" + self.say(self.c(bank["signature"]), v)

    def greeting(self, voice: str, v: dict) -> str:
        if voice == "engineer":
            return self.say(self.c(P.V_GREETING["named" if self.p(0.7) else "team"]), v)
        return self.say(self.c(P.C_GREETING["support" if self.p(0.75) else "named"]), v)

    def finish(self, d: Draft, voice: str, v: dict, target: int, greet: float = 0.92, sign: float = 0.88,
               inline: float = 0.0) -> str:
        """Greeting, body and sign-off, with fillers added until the target length is reached."""
        head = self.greeting(voice, v) if self.p(greet) else ""
        tail = self.signoff(voice, v) if self.p(sign) else ""
        d.fill_to(target, self.rng, len(head) + len(tail) + 4)
        d.open_sentences(self.rng, OPENER_SHARE)
        body = d.body()
        if head and inline and self.p(inline) and "\n" not in body:
            text = head + " " + body
        else:
            text = (head + "\n\n" + body) if head else body
        return (text + "\n\n" + tail) if tail else text

    # ================================================================== vendor comments
    def vendor_technical(self, link: Optional[str]) -> Comment:
        prod, prob, plat = self.draw_problem()
        sev = weighted(self.rng, SEVERITY["tech"])
        urg = weighted(self.rng, URGENCY_GIVEN_SEVERITY[sev])
        form = weighted(self.rng, VENDOR_FORMS)
        v = self.scene(prod, prob, plat, sev)
        L = dict(technical=1, severity=sev, urgency=urg, solution=0, workaround=0, action_request=0, bug=0,
                 apache_jira_link=0, vendor_doc_link=0, other_link=0)
        if link:
            L[link] = 1
        if form == "report":
            L["bug"] = int(self.p(0.3))
            text, summary, traits = self.customer_report(prod, prob, plat, v, L, link)
        else:
            L.update(bug=int(self.p(0.3)), solution=int(self.p(0.5)), action_request=int(self.p(0.55)))
            L["workaround"] = int(sev != 2 and self.p(0.38))
            text, summary, traits = self.engineer_reply(prod, prob, plat, v, L, form, link)
        L["summary"] = summary
        return Comment(text, L, prod.topic, {"form": form, **traits})

    def engineer_reply(self, prod: Product, prob: Problem, plat: Platform, v: dict, L: dict, form: str,
                       link: Optional[str]) -> tuple[str, str, dict]:
        d = Draft()
        budget = self.target_length()
        sev, urg = L["severity"], L["urgency"]
        traits: dict[str, Any] = {"voice": "customer" if form == "quote" else "engineer", "log": False, "numbered": False}
        facts = Facts()
        exclude_env = () if str(v["env"]) in NONPROD_ENVS else ("nonprod",)
        # --- what the customer reported: recap, or the customer's own words quoted
        impact_said = sev <= 3 or self.p(0.3)
        urgency_said = urg <= 3 or self.p(0.2)
        ack = self.say(self.c(P.V_ACK), v) if self.p(0.2) else None
        if form == "quote":
            quoted = [self.statement(v, short=budget < 450)]
            impact_in_quote = impact_said and self.p(0.6)
            urgency_in_quote = urgency_said and self.p(0.6)
            if impact_in_quote:
                quoted.append(self.say_one(P.C_IMPACT[sev], v, exclude_env))
            if urgency_in_quote:
                quoted.append(self.urgency(P.C_URGENCY, urg, sev, v))
            if self.p(0.6):
                d.para(ack, self.say(self.c(QUOTE_INTROS), v))
                d.block("\n".join("> " + line for line in " ".join(quoted).split("\n")))
            else:
                d.para(ack, self.say(self.c(QUOTE_INLINE), v, quote=Lit(" ".join(quoted))))
            first = d.para()
        else:
            impact_in_quote = urgency_in_quote = False
            first = d.para(ack, self.say(self.c(P.V_RECAP_SHORT if budget < 450 else P.V_RECAP), v))
        facts.impact = sev if impact_said else None
        facts.urgency = urg if urgency_said else None
        # --- impact and time pressure, in the engineer's words
        pressure = []
        if impact_said and not impact_in_quote:
            pressure.append(self.say_one(P.V_IMPACT[sev], v, exclude_env))
        if urgency_said and not urgency_in_quote:
            pressure.append(self.urgency(P.V_URGENCY, urg, sev, v))
        # --- analysis: what the data shows (added below as fillers, when there is room), a log excerpt
        analysis: list[str] = []
        log = None
        want_numbered, want_bullets = self.p(0.42), self.p(0.33)
        if self.p(LOG_SHARE["vendor_reply"]):
            log = self.log_block(prob, v, P.V_LOG_INTRO)
            traits["log"] = True
            facts.error = prob.error_short
        # --- diagnosis: a defect, or the cause
        diagnosis = []
        if L["bug"]:
            sentence = self.say(self.c(P.V_DEFECT), v)
            if prod.jira_project and self.p(0.35):
                sentence += self.say(self.c(P.V_DEFECT_REF["jira_key"]), v)
                facts.key = str(v["jira_key"])
            elif self.p(0.25):
                sentence += self.say(self.c(P.V_DEFECT_REF["tracker_key"]), v)
                facts.key = str(v["tracker_key"])
            diagnosis.append(sentence)
            facts.did.append("confirms a [known|product] [bug|defect]" + (f" ({facts.key})" if facts.key else ""))
        elif prod.jira_project and self.p(0.1):
            diagnosis.append(self.say(self.c(P.V_IMPROVEMENT), v))
            facts.did.append(f"mentions the upstream improvement {v['jira_key']}")
        # --- proposals: a permanent fix, a workaround (prose or steps)
        proposals: list[str] = []
        if L["solution"]:
            if L["bug"] and self.p(0.5):
                proposals.append(self.say(self.c(P.V_SOLUTION_UPGRADE), v))
                facts.did.append(f"[recommends|proposes] [an upgrade to {plat.fixed_in}|the release with the fix] as the permanent fix")
            else:
                fix = self.c(prob.fixes)
                steps = self.remedy_steps(fix.text, v)
                if len(steps) >= 2 and self.p(0.85 if want_numbered else 0.25):
                    proposals.append(self.listing(self.say(self.c(P.V_SOLUTION_STEPS), v, count=Lit(NUMBER_WORDS[len(steps)])),
                                                  steps, numbered=True))
                    traits["numbered"] = True
                else:
                    text = Lit(fix.text.format_map(v["_facts"]))
                    proposals.append(self.say(self.c(P.V_SOLUTION), v, fix=text, Fix=Lit(cap(text))))
                facts.did.append(f"[recommends|proposes] {fix.short.format_map(v['_facts'])} as the [permanent|lasting] fix")
        if L["workaround"]:
            wa = self.c(prob.workarounds)
            text = Lit(wa.text.format_map(v["_facts"]))
            steps = self.remedy_steps(wa.text, v)
            if len(steps) >= 2 and self.p(0.7 if want_numbered and not traits["numbered"] else 0.2):
                proposals.append(self.listing(self.say(self.c(P.V_WORKAROUND_STEPS), v), steps, numbered=True))
                traits["numbered"] = True
            else:
                proposals.append(self.say(self.c(P.V_WORKAROUND), v, wa=text))
            facts.did.append(f"suggests {wa.short.format_map(v['_facts'])} as a [workaround|temporary workaround|stopgap]")
        if len(proposals) == 2 and self.p(0.4):
            proposals.reverse()
        # --- asks
        asks_block = None
        asks: list[str] = []
        if L["action_request"]:
            kinds = ["logs", "command", "confirm", "change" if not L["solution"] else "apply", "debug"]
            many = (want_numbered and not traits["numbered"]) or self.p(0.45 if budget >= 480 else 0.12)
            picked = self.rng.sample(kinds, (3 if self.p(0.25) else 2) if many else 1)
            step_kinds = [k for k in picked if k in P.V_ASK_STEP]
            if many and len(step_kinds) >= 2 and (want_numbered or self.p(0.5)):
                items = []
                for k in step_kinds:
                    item, wanted = self.ask(k, prob, v, step=True)
                    items.append(item)
                    facts.asks.append(wanted)
                asks_block = self.listing(self.say(self.c(P.V_ASK_LIST), v), items, numbered=want_numbered or self.p(0.5))
                traits["numbered"] = traits["numbered"] or "\n1" in asks_block
            else:
                for k in picked:
                    text, wanted = self.ask(k, prob, v)
                    asks.append(text)
                    facts.asks.append(wanted)
        # --- links (rare)
        link_sentence = self.link_sentence(link, "engineer", prod, plat, v) if link else None
        if link:
            facts.did.append(LINK_SUMMARY[link])
        # --- assemble: impact and time pressure first, after the analysis or last; asks always last
        blocks: list[list[str]] = [analysis + diagnosis]
        if proposals:
            blocks.append(proposals)
        if pressure:
            blocks.insert(self.c([0, 0, 1, len(blocks)]), pressure)
        if asks:
            blocks.append(asks)
        for block in blocks:
            prose = [s for s in block if "\n" not in s]
            listed = [s for s in block if "\n" in s]
            if prose:
                d.para(*prose)
            for item in listed:
                d.block(item)
            if log is not None and block is blocks[0]:
                d.block(log)
                log = None
        if log is not None:
            d.block(log)
        if asks_block:
            d.block(asks_block)
        if link_sentence:
            d.para(link_sentence)
        closing = d.para()
        for sentence in (self.say(self.c(P.V_NEXT), v), self.say(self.c(P.V_COURTESY), v)):
            d.filler(closing, sentence)
        if form != "quote":
            d.filler(first, self.say(self.c(P.V_ACK), v), first=True)
        middle = d.paras[1] if len(d.paras) > 1 else first
        numbered_findings = want_numbered and not traits["numbered"] and budget >= 380
        if (want_bullets and budget >= 350) or numbered_findings:
            d.paras.insert(d.paras.index(middle) + 1 if self.p(0.5) else 1, [self.findings(prob, v, numbered_findings)])
            traits["numbered"] = traits["numbered"] or numbered_findings
        elif self.p(0.3):
            spot: list[str] = []
            d.paras.insert(d.paras.index(middle) + 1 if self.p(0.5) else 1, spot)
            d.filler(spot, self.findings(prob, v))
        else:
            d.filler(middle, self.say(self.c(P.V_OBSERVE), v), first=True)
            d.filler(middle, self.say(self.c(P.V_CONFIG), v), first=True)
        if not L["bug"]:
            d.filler(middle, self.say(self.c(P.V_NOT_DEFECT if self.p(0.4) else P.V_CAUSE), v),
                     note=f"[traces it to|explains it by|puts it down to] {prob.cause_short}")
        text = self.finish(d, "engineer", v, budget)
        facts.did = d.notes + facts.did
        facts.subject = _subject(prod, prob, plat)
        summary = facts.vendor_summary(self, v, quoted=form == "quote")
        return text, summary, traits

    def urgency(self, bank: dict, urg: int, sev: int, v: dict, exclude: Sequence[str] = ()) -> str:
        """A time-pressure sentence; "the business is halted" only where production is down (severity 1)."""
        options = [t for t in bank[urg] if sev == 1 or not re.search(r"halted|standstill", t)]
        return self.say_one(options, v, exclude)

    def statement(self, v: dict, short: bool = False) -> str:
        """The customer's opening line about the problem; no second "since ..." when the symptom says when."""
        timed = re.search(r"\b(after|since|started|began|every night|overnight)\b", str(v["sym"]))
        exclude = ("when", "When", "trigger", "when_short") if timed else ()
        return self.say_one(P.C_PROBLEM["short" if short else "statement"], v, exclude)

    def remedy_steps(self, text: str, v: dict) -> list[str]:
        """A remedy split into its parts ("raising X and setting Y" -> two steps), placeholders filled."""
        filled = text.format_map(v["_facts"])
        parts = [p.strip() for p in re.split(r",? and (?=[a-z]+ing\b)|, then |; ", filled) if p.strip()]
        if len(parts) < 2:
            return parts
        parts = [p + self.say(self.c(STEP_TAILS), v) for p in parts]
        return parts + ([self.say(self.c(STEP_FINAL), v)] if self.p(0.5) else [])

    def findings(self, prob: Problem, v: dict, numbered: bool = False) -> str:
        """A bulleted list of what the data shows: an observation, a setting, a log, a symptom."""
        items = [self.say(self.c(OBSERVATION_ITEMS), v), self.say(self.c(FINDING_SETTING), v)]
        if self.p(0.5):
            items.append(self.say(self.c(FINDING_EXTRA), v))
        self.rng.shuffle(items)
        return self.listing(self.say(self.c(FINDINGS_INTROS), v), items, numbered=numbered)

    def ask(self, kind: str, prob: Problem, v: dict, step: bool = False) -> tuple[str, str]:
        """One request to the customer (a sentence, or a list item) and what it asks for, for the summary."""
        detail, detail_short = self.c(P.CONFIRM_DETAILS)
        extra = dict(detail=detail)
        if kind == "logs":
            log = Lit(self.c(prob.logs))
            extra["log"] = log
            wanted = f"[upload|send|share] the {log}"
        elif kind == "command":
            cmd = Lit(self.c(prob.commands).format_map(v["_facts"]))
            extra["cmd"] = cmd
            wanted = f"[run|share the output of] {' '.join(cmd.split()[:2])}"
        elif kind == "confirm":
            wanted = detail_short
        elif kind == "change":
            wanted = f"[test|try] {v['key']}={v['rec']}"
        elif kind == "debug":
            wanted = "[collect|send] a DEBUG log"
        else:
            wanted = "[confirm|report] the result of the change"
        bank = P.V_ASK_STEP[kind] if step else P.V_ASK[kind]
        return self.say(self.c(bank), v, **extra), self.say(wanted, v, **extra)

    def customer_report(self, prod: Product, prob: Problem, plat: Platform, v: dict, L: dict,
                        link: Optional[str]) -> tuple[str, str, dict]:
        """A vendor-task comment written in the customer's voice (nothing is asked of the customer)."""
        d = Draft()
        budget = self.target_length()
        sev, urg = L["severity"], L["urgency"]
        traits: dict[str, Any] = {"voice": "customer", "log": False, "numbered": False}
        exclude_env = () if str(v["env"]) in NONPROD_ENVS else ("nonprod",)
        facts = Facts(subject=_subject(prod, prob, plat))
        first = d.para(self.statement(v, short=budget < 420))
        details: list[str] = []
        want_numbered, want_bullets = self.p(0.42), self.p(0.42)
        if want_numbered or (want_bullets and self.p(0.5)):
            others = [Lit(x.format_map(v["_facts"])) for x in prob.symptoms
                      if x.format_map(v["_facts"]) not in (v["sym"], v["sym_you"])]
            items = ([self.c(others)] if others and self.p(0.6) else []) + [self.say(self.c(OBSERVATION_ITEMS), v)]
            items += [self.say(self.c(P.C_PROBLEM["tried"]), v)] if self.p(0.3) or len(items) < 2 else []
            intro = self.say(self.c(REPORT_LIST_INTROS), v)
            d.block(self.listing(intro, [i.rstrip(".") for i in items], numbered=want_numbered))
            traits["numbered"] = want_numbered
        if want_bullets and not (traits["numbered"] is False and len(d.paras) > 1):
            d.block(self.environment_list(v))
        else:
            env_spot: list[str] = []
            d.paras.append(env_spot)
            d.filler(env_spot, self.environment_list(v))
        if self.p(LOG_SHARE["vendor_report"]):
            d.block(self.log_block(prob, v, P.C_PROBLEM["error_intro"]))
            traits["log"] = True
            facts.error = prob.error_short
        second = d.para(*details)
        pressure = []
        if sev <= 3 or self.p(0.3):
            pressure.append(self.say_one(P.C_IMPACT[sev], v, exclude_env))
            facts.impact = sev
        if urg <= 3 or self.p(0.2):
            pressure.append(self.urgency(P.C_URGENCY, urg, sev, v))
            facts.urgency = urg
        if L["bug"]:
            pressure.append(self.say_one(P.C_BUG["suspect"], v, () if prod.jira_project else ("jira_key",)))
            facts.did.append("[suspects|thinks it is] a [bug|product defect]")
        if link:
            pressure.append(self.link_sentence(link, "customer", prod, plat, v))
            facts.did.append(LINK_SUMMARY_CUSTOMER[link])
        self.rng.shuffle(pressure)
        help_ask = self.say(self.c(P.C_PROBLEM["help"]), v)
        d.para(*pressure, help_ask)
        d.filler(second, self.say(self.c(P.C_PROBLEM["tried"]), v))
        d.filler(second, self.say(self.c(P.C_PROBLEM["config"]), v))
        if not details:
            d.filler(first, self.say(self.c(P.C_PROBLEM["detail"]), v))
        text = self.finish(d, "customer", v, budget, greet=0.95, sign=0.9, inline=0.1)
        facts.did.append("asks [for guidance|how to fix it|for help with the root cause|what to change]")
        return text, facts.report_summary(self, v), traits

    def vendor_nontechnical(self) -> Comment:
        kind = self.c(list(P.V_NONTECH))
        if kind in ("closure", "thanks"):
            sev = urg = 4
        else:
            sev = weighted(self.rng, SEVERITY["nontech"])
            urg = weighted(self.rng, URGENCY_GIVEN_SEVERITY[sev])
        v = self.scene(None, None, None, sev)
        openers, asks, closings, what = P.V_NONTECH[kind]
        L = dict(technical=0, severity=sev, urgency=urg, solution=0, workaround=0, action_request=0, bug=0,
                 apache_jira_link=0, vendor_doc_link=0, other_link=0)
        d = Draft()
        first = d.para(self.say(self.c(openers), v))
        said = []
        if sev <= 3 or self.p(0.3):
            said.append(self.say(self.c(P.V_IMPACT_NONTECH[sev]), v))
        if urg <= 3 or self.p(0.3):
            said.append(self.urgency(P.V_URGENCY, urg, sev, v, TECH_SLOTS))
        if said:
            d.para(*said)
        clauses = [what]
        if kind == "schedule":
            d.block(self.meeting_block(v))
        ask_para = d.para()
        if self.p(0.5):
            text, summary = self.c(asks)
            ask_para.append(self.say(text, v))
            clauses.append(summary)
            L["action_request"] = 1
        closing = d.para()
        for sentence in closings:
            d.filler(closing, self.say(sentence, v))
        d.filler(first, self.say(self.c(NONTECH_FILLERS), v))
        d.filler(closing, self.say(self.c(P.V_COURTESY), v))
        text = self.finish(d, "engineer", v, self.target_length(), greet=0.95, sign=0.95)
        parts = [self.say("The engineer " + join_and(clauses), v)]
        if sev <= 3 and said:
            parts.append(self.say(NONTECH_IMPACT_SUMMARY[sev], v))
        if urg <= 3 and said:
            parts.append(self.say(URGENCY_SUMMARY[urg], v))
        L["summary"] = "; ".join(parts) + "."
        topic = "Case follow-ups and scheduling"
        return Comment(text, L, topic, {"form": "nontechnical", "voice": "engineer", "log": False, "numbered": False})

    def meeting_block(self, v: dict) -> str:
        """The invite's logistics without a link: numbers, passcodes and dial-ins (never summarised)."""
        R = self.rng
        prov = str(v["provider"])
        intro = self.say(self.c(P.V_MEETING_INTRO), v)
        if prov == "Zoom":
            mid = f"{R.randint(810, 999)} {R.randint(1000, 9999)} {R.randint(1000, 9999)}"
            lines = [f"Meeting ID: {mid}", f"Passcode: {R.randint(100000, 999999)}", f"Dial-in: {v['phone']}"]
        elif prov == "Webex":
            num = f"{R.randint(2000, 2999)} {R.randint(100, 999)} {R.randint(1000, 9999)}"
            lines = [f"Meeting number: {num}", f"Password: {self.token(8)}", f"Join by phone: {v['phone']}"]
        elif prov == "Teams":
            conf = f"{R.randint(100, 999)} {R.randint(100, 999)} {R.randint(100, 999)}"
            lines = [f"Call in (audio only): {v['phone']}", f"Phone conference ID: {conf}#"]
        else:
            lines = [f"Dial-in: {v['phone']}", f"PIN: {R.randint(100000000, 999999999)}#"]
        return intro + "\n" + "\n".join(lines)

    # ================================================================== customer comments
    def customer_comment(self, tech: bool, link: Optional[str]) -> Comment:
        R = self.rng
        if tech:
            prod, prob, plat = self.draw_problem()
            sev = weighted(R, {1: 20, 2: 22, 3: 30, 4: 28})
        else:
            prod = prob = plat = None
            sev = weighted(R, {1: 10, 2: 10, 3: 15, 4: 65})
        urg = weighted(R, URGENCY_GIVEN_SEVERITY[sev])
        v = self.scene(prod, prob, plat, sev)
        complaint = self.p(min(0.8, (0.3 if tech else 0.55) + (0.15 if sev <= 2 else 0.0)))
        frustration = weighted(R, FRUSTRATION) if complaint else 0
        angry = frustration >= 3
        L: dict[str, Any] = dict(
            technical=int(tech), complaint=int(complaint), frustration=frustration, severity=sev, urgency=urg,
            update_request=int(self.p(0.45 if not tech else 0.27)),
            meeting_request=int(self.p(0.2)),
            escalation_request=int(self.p(0.45 if angry else 0.1)),
            priority_change=0,
            transfer_request=int(self.p(0.3 if complaint and frustration >= 2 else 0.07)),
            manager_request=int(self.p(0.4 if angry else 0.06)),
            expert_request=int(self.p(0.17 if tech else 0.1)),
            bug=int(tech and self.p(0.3)), apache_jira_link=0, vendor_doc_link=0, other_link=0,
        )
        if link:
            L[link] = 1
        if self.p(0.3):
            L["priority_change"] = self.c({1: [1, 2], 2: [2, 2, 1], 3: [3, 4], 4: [4, 3]}[sev])
        d = Draft()
        budget = self.target_length()
        load = sum(int(bool(L[k])) for k in REQUEST_ORDER) + bool(L["priority_change"]) + complaint + L["bug"]
        facts = Facts(subject=_subject(prod, prob, plat) if tech else None)
        exclude_env = () if str(v["env"]) in NONPROD_ENVS else ("nonprod",)
        traits: dict[str, Any] = {"form": "customer", "voice": "customer", "log": False, "numbered": False}
        # --- what happened
        if tech:
            first = d.para(self.statement(v, short=budget < 440 or load >= 3))
            details = d.para()
            if self.p(LOG_SHARE["customer"]):
                d.block(self.log_block(prob, v, P.C_PROBLEM["error_intro"]))
                traits["log"] = True
                facts.error = prob.error_short
            if self.p(0.05):
                items = [self.say(self.c(OBSERVATION_ITEMS), v), self.say(self.c(P.C_PROBLEM["tried"]), v)]
                numbered = self.p(0.45)
                d.block(self.listing(self.say(self.c(REPORT_LIST_INTROS), v), items, numbered=numbered))
                traits["numbered"] = numbered
            d.filler(details, self.say(self.c(P.C_PROBLEM["detail"]), v))
            d.filler(details, self.say(self.c(P.C_PROBLEM["tried"]), v))
            d.filler(details, self.say(self.c(P.C_PROBLEM["config"]), v))
        else:
            first = d.para(self.say(self.c(P.C_PROBLEM["context_nontech"]), v))
            details = first
            if L["update_request"] and complaint:  # "no answer for days" is a grievance: only beside one
                d.filler(first, self.say(self.c(P.C_NONTECH["status"]), v))
        # --- impact, time pressure, the defect question
        pressure = []
        if sev <= 3 or self.p(0.3):
            if not tech:
                pressure.append(self.say(self.c(P.C_IMPACT_NONTECH[sev]), v))
            elif sev == 3 and self.p(0.2):
                pressure.append(self.say(self.c(P.C_IMPACT_COPING), v))
            else:
                pressure.append(self.say_one(P.C_IMPACT[sev], v, exclude_env))
            facts.impact = sev
        if urg <= 3 or self.p(0.3):
            pressure.append(self.urgency(P.C_URGENCY, urg, sev, v))
            facts.urgency = urg
        if L["bug"]:
            pressure.append(self.say_one(P.C_BUG["suspect"], v, () if prod.jira_project else ("jira_key",)))
            facts.did.append("suspects a [bug|product defect|regression]")
        elif tech and prod.jira_project and self.p(0.08):
            pressure.append(self.say(self.c(P.C_BUG["no_bug"]), v))
            facts.did.append(f"asks about the upstream improvement {v['jira_key']}")
        if link:
            pressure.append(self.link_sentence(link, "customer", prod, plat, v))
            facts.did.append(LINK_SUMMARY_CUSTOMER[link])
        # --- the complaint and the requests
        feeling = []
        if complaint:
            target = "support" if (not tech or self.p(0.6)) else "product"
            grievance = self.say(self.c(P.GRIEVANCES[target]), v)
            feeling.append(self.say(self.c(P.C_COMPLAINT[frustration]), v, grievance=Lit(grievance),
                                    Grievance=Lit(cap(grievance))))
            facts.did.append(COMPLAINT_SUMMARY[frustration] + " " + COMPLAINT_TARGET[target])
        requests = []
        for key in REQUEST_ORDER:
            if not L[key]:
                continue
            if key == "expert_request" and not tech:
                requests.append(self.say(self.c(P.C_REQUEST["expert_nontech"]), v))
            else:
                requests.append(self.say(self.c(P.C_REQUEST[REQUEST_BANK[key]]), v))
            facts.did.append(REQUEST_SUMMARY[key])
        if L["priority_change"]:
            level = L["priority_change"]
            bank = "priority_up" if level <= 2 else "priority_down"
            requests.append(self.say(self.c(P.C_REQUEST[bank]), v, p=Lit(str(level))))
            facts.did.append(f"asks to [change|set] the priority to S{level}")
        if not L["meeting_request"] and self.p(0.1):
            requests.append(self.say(self.c(P.C_REQUEST["meeting_hint"]), v))
        self.rng.shuffle(requests)
        if feeling and self.p(0.5):
            requests = feeling + requests
        else:
            pressure = pressure + feeling
        self.rng.shuffle(pressure)
        if tech and not requests and self.p(0.7):
            requests.append(self.say(self.c(P.C_PROBLEM["help"]), v))
            facts.did.append("asks [for help|how to fix it|for guidance]")
        if self.p(0.5):
            d.para(*(pressure + requests))
        else:
            d.para(*pressure)
            d.para(*requests)
        closing = d.para()
        if not complaint:
            d.filler(closing, self.say(self.c(P.C_POSITIVE), v))
        if not tech:
            d.filler(first, self.say(self.c(P.C_NONTECH["contact"] + P.C_NONTECH["thanks"][:1]), v))
        text = self.finish(d, "customer", v, budget, greet=0.95, sign=0.9, inline=0.15)
        L["summary"] = facts.customer_summary(self, v)
        topic = prod.topic if tech else "Status requests and escalations"
        return Comment(text, L, topic, traits)


# =============================================================================== summaries
@dataclass
class Facts:
    """What a summary may say: the problem, its impact and time pressure, and what the writer did."""

    subject: Optional[str] = None  # "repeated NameNode failovers in HDFS on CDP 7.1.9"
    impact: Optional[int] = None  # the severity, when the comment states it
    urgency: Optional[int] = None  # the urgency, when the comment states it
    error: Optional[str] = None  # the error named in a pasted log
    key: Optional[str] = None  # an issue key the comment names
    did: list[str] = field(default_factory=list)  # clauses: "recommends a larger heap as the permanent fix"
    asks: list[str] = field(default_factory=list)  # what the customer is asked to do

    def problem(self) -> str:
        s = self.subject or "the case"
        if self.error:
            name, _, plat = s.rpartition(" on ")
            s = f"{name} ({self.error}) on {plat}" if name else f"{s} ({self.error})"
        if self.impact is not None:
            s += IMPACT_SUMMARY[self.impact]
        if self.urgency is not None and self.urgency <= 3:
            s += URGENCY_SUMMARY[self.urgency]
        return s

    def vendor_summary(self, w: Writer, v: dict, quoted: bool) -> str:
        did = list(self.did)
        if self.asks:
            did.append("asks the customer to " + join_and(self.asks))
        if not did:
            did.append("[is still investigating|will continue the analysis] and will follow up")
        clauses = join_and([w.say(c, v) for c in did])
        problem = self.problem()
        who = w.c(["the engineer", "the engineer", "support"])
        frame = w.c([
            "{Problem}. {Who} {clauses}.",
            "{Problem}: {who} {clauses}.",
            "{Who_cap} {clauses}, about {problem}.",
        ] if not quoted else [
            "The customer reports {problem}; {who} {clauses}.",
            "Replying to the customer's report of {problem}, {who} {clauses}.",
        ])
        return w.say(frame, v, Problem=Lit(cap(problem)), problem=Lit(problem), Who=Lit(cap(who)), who=Lit(who),
                     Who_cap=Lit(cap(who)), clauses=Lit(clauses))

    def report_summary(self, w: Writer, v: dict) -> str:
        clauses = join_and([w.say(c, v) for c in self.did])
        frame = w.c(["The customer reports {problem} and {clauses}.", "A report of {problem}; the customer {clauses}.",
                     "{Problem}; the writer {clauses}."])
        problem = self.problem()
        return w.say(frame, v, problem=Lit(problem), Problem=Lit(cap(problem)), clauses=Lit(clauses))

    def customer_summary(self, w: Writer, v: dict) -> str:
        problem = self.problem() if self.subject else self.nontech_problem()
        clauses = [w.say(c, v) for c in self.did]
        if not clauses:
            clauses = [w.say("[describes|reports] the [situation|problem] without a specific request", v)]
        frame = w.c(["The customer reports {problem} and {clauses}.", "{Problem}; the customer {clauses}.",
                     "About {problem}, the customer {clauses}."])
        return w.say(frame, v, problem=Lit(problem), Problem=Lit(cap(problem)), clauses=Lit(join_and(clauses)))

    def nontech_problem(self) -> str:
        s = "the status of the open case"
        if self.impact is not None:
            s += IMPACT_SUMMARY[self.impact]
        if self.urgency is not None and self.urgency <= 3:
            s += URGENCY_SUMMARY[self.urgency]
        return s


IMPACT_SUMMARY = {1: ", with production down or data at risk", 2: ", with severe degradation and no workaround",
                  3: ", with partial impact", 4: ", with no real impact"}
URGENCY_SUMMARY = {1: ", needing help within hours", 2: ", needing it by tomorrow", 3: ", wanting it resolved this week"}
NONTECH_IMPACT_SUMMARY = {1: "production is down or data is at risk", 2: "the customer is badly affected with no workaround",
                          3: "the impact is partial"}
COMPLAINT_SUMMARY = {1: "is [mildly annoyed|a little annoyed]", 2: "is [unhappy|dissatisfied]",
                     3: "is [angry|very frustrated]", 4: "is furious and [threatens to leave|puts the renewal at risk]"}
COMPLAINT_TARGET = {"support": "with the support received", "product": "about the product's reliability"}
REQUEST_ORDER = ("update_request", "meeting_request", "escalation_request", "transfer_request", "manager_request",
                 "expert_request")
REQUEST_BANK = {"update_request": "update", "meeting_request": "meeting", "escalation_request": "escalation",
                "transfer_request": "transfer", "manager_request": "manager", "expert_request": "expert"}
REQUEST_SUMMARY = {
    "update_request": "asks for [an update|a status update]", "meeting_request": "asks for a [call|meeting]",
    "escalation_request": "asks to escalate the case", "transfer_request": "asks for another engineer",
    "manager_request": "asks to speak to a manager", "expert_request": "asks for a subject-matter expert",
}
LINK_SUMMARY = {"apache_jira_link": "points to the upstream ticket", "vendor_doc_link": "shares the relevant documentation",
                "other_link": "shares a reference link"}
LINK_SUMMARY_CUSTOMER = {"apache_jira_link": "points to a matching upstream ticket",
                         "vendor_doc_link": "says the documented procedure did not help",
                         "other_link": "shares a link to the files"}
SYNONYMS = Synonyms(P.SYNONYMS)
_PLEASE = re.compile(r"^(?:[^,?]*, )?(?:please|kindly)\b", re.IGNORECASE)
COMMANDS = {"aws", "hdfs", "ozone", "beeline", "kinit", "yarn", "hbase", "impala-shell", "spark-submit", "kafka-topics"}
TECH_SLOTS = ("the_np", "comp", "host", "plat", "key", "log", "cmd", "obs", "sym", "sym_you", "prod", "ver")
OPENER_SHARE = 0.22  # sentences (not first in their paragraph) that get a marker from P.OPENERS
# First words after which a marker reads naturally (names, products and code never get one).
OPEN_TO = {
    "the", "this", "it", "it's", "we", "we're", "we've", "our", "there", "there's", "please", "could", "can", "any",
    "since", "as", "after", "from", "in", "on", "for", "nothing", "only", "some", "every", "production", "all",
    "records", "data", "a", "an", "kindly", "one", "what", "how", "is", "looking", "restarting", "currently",
    "right", "to", "just", "until", "given", "with", "that", "when", "no", "none", "i", "i'm", "i'll", "i've",
    "you", "your", "would", "sometime", "whenever", "ideally", "if", "not", "maybe", "perhaps", "frankly",
    "honestly", "digging", "after", "going", "reading", "what's", "where", "let's", "unfortunately", "engineering",
    "good", "having", "based", "temporarily", "put", "putting", "summarising", "every", "several", "just", "also",
}
LOG_SHARE = {"vendor_reply": 0.11, "vendor_report": 0.12, "customer": 0.065}  # comments with a pasted log
STEP_TAILS = ("", "", "", " (a safe change)", " during your next window", " (this is the main change)",
              " - details below", " (takes a few minutes)")
STEP_FINAL = ("[a rolling restart|a restart] of the {comp} [roles|role|service][ afterwards| to pick up the change|]",
              "[a quick check|a check] that [the change took effect|the new value is active|the errors stop] [in the {log}|on {host}|]")
FINDINGS_INTROS = ("[What I found|My findings|Findings so far|Key findings|Observations|Findings|What stands out|In short]:",
                   "[Summary|Highlights|Main points|Notes|Facts|Checks done|What I checked]:")
OBSERVATION_ITEMS = (
    "{obs} [(see the {log})|according to the {log}|in the {log}|on {host}|each time|every time it fails|at the failure|since {trigger}|at {hour}:00 {tz}|]",
    "[the {log} show that|the {log} confirm that|the {artifact} shows that|in the {log},|on {host},|at each failure,|as expected,|not surprisingly,] {obs}",
    "[confirmed|seen|visible|clear|obvious] in the {log}: {obs}",
)
FINDING_SETTING = ("{key}: {cur}", "{key}={cur}", "{key} = {cur}", "{key}: {cur} [(default)|(too low)|(unchanged)|]")
FINDING_EXTRA = ("[pattern|trend]: {freq}", "[OS logs|kernel log|network|DNS|NTP|disks]: [clean|fine|no errors|nothing unusual]",
                 "[started|first seen|onset]: {when}", "[symptom|reported|user impact]: {sym_you}", "[hosts affected|affected hosts]: {n2} of {n}",
                 "[GC pauses|heap usage|CPU|load average]: [normal|high|{pct}%|spiky]")
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
QUOTE_INLINE = (
    "You wrote: \"{quote}\"", "[In|From] your last update: \"{quote}\"", "Your [note|message] [said|says]: \"{quote}\"",
)
QUOTE_INTROS = (
    "You wrote:", "[You said|You reported|Your update|Your note|Your message|From your note|Quoting you]:",
    "[In your last update|In your message|On the case|In your reply|In your note from {day}] you [said|wrote|mentioned|reported][ the following| this|]:",
    "[To|Just to] make sure I have it right, you [wrote|reported|described it as follows|said]:",
)
REPORT_LIST_INTROS = (
    "[What we see|What we observe|Symptoms so far|What we found|Observations|Details|Symptoms|Findings|Summary]:",
    "[Our observations|Current status|Current behaviour|Key symptoms|The symptoms|What happens]:",
)
NONTECH_FILLERS = (
    "[Thanks|Thank you|Many thanks] for [your patience|bearing with us|your understanding|waiting] [on {case}|while we sort out {case}|with {case}|in the meantime|].",
    "[I hope|Hope] [your week is going well|all is well on your side|things are calmer|the team is doing well][ after {case}| this week| despite the delay|].",
    "[I wanted to|Just a note to|A short note to|This is to] [keep you in the loop|keep you posted|give you a heads-up|update you][ on {case}| on where things are| on the {topic}|].",
    "[No action is needed|Nothing is needed|There is nothing you need to do] [from you|on your side|from your team] [for now|at this stage|until I write again|][ on {case}|].",
)


def _cap_word(text: str) -> str:
    """Capitalise a list item, unless it opens with an identifier (a setting key, a host, a command)."""
    first = text.split(" ", 1)[0]
    return cap(text) if first.isalpha() or first.rstrip(":,").isalpha() else text


def _the(name: str) -> str:
    return name if name.split(" ", 1)[0] in ("a", "an", "the") else "the " + name


def _second_person(text: str) -> str:
    swaps = {"we": "you", "We": "You", "our": "your", "Our": "Your", "us": "you"}
    return re.sub(r"\b(we|We|our|Our|us)\b", lambda m: swaps[m.group(1)], text)


def _subject(prod: Optional[Product], prob: Optional[Problem], plat: Optional[Platform]) -> Optional[str]:
    if prod is None:
        return None
    s = prob.name
    if prod.name.lower() not in s.lower() and prob.component.lower() not in s.lower():
        s += f" in {prod.name}"
    return f"{s} on {plat.short}"
