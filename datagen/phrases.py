"""How things are said in the demo comments: phrase banks in the notation of `datagen.grammar`.

This module owns the wording and nothing about which label a comment gets (`datagen.compose`
decides that). Each bank is a dict with named keys: one key per label value or per kind of
sentence, each holding templates whose `[a|b]` choices and `{slots}` make many sentences from one
line; `SYNONYMS` and `OPENERS` vary them further. Two voices exist: the engineer's (`V_...`,
writing to the customer: "your cluster") and the customer's (`C_...`, first person: "our
cluster"); a vendor comment may quote or be written in the customer's voice, as real Synthetic
Data Studio exports often are.

Rules the wording keeps, so every answer stays decidable from the text:
  * Only action requests ask the customer to do something (please / could you / can you and
    imperatives). Solutions and workarounds are stated, never asked for; courtesy lines
    ("let me know if anything is unclear") hold no "please" and are not asks.
  * "permanent", "fix ... for good", "long-term" mark a solution; "workaround", "stopgap",
    "temporary" mark a workaround; severity 2 says that nothing helps or no workaround exists.
  * Deadlines and time pressure appear only in urgency sentences; other sentences may say when
    something started (past), never by when it must end.
  * Severity words (production down, data at risk, degraded, only partly affected, no impact)
    appear only in impact sentences.
  * Complaint intensity words appear only in complaint sentences; each request kind has its own
    vocabulary (update, call, escalate, priority S1-S4, another engineer, manager, expert).
"""

from __future__ import annotations

# =============================================================================== variation
# Forms that mean the same wherever the banks use them (datagen.grammar.Synonyms swaps them).
SYNONYMS = (
    ("we are", "we're"), ("we have", "we've"), ("I am", "I'm"), ("I have", "I've"), ("I will", "I'll"),
    ("it is", "it's"), ("there is", "there's"), ("that is", "that's"), ("do not", "don't"),
    ("does not", "doesn't"), ("is not", "isn't"), ("have not", "haven't"), ("has not", "hasn't"),
    ("did not", "didn't"), ("cannot", "can't"), ("we would", "we'd"), ("I would", "I'd"), ("you are", "you're"),
    ("what is", "what's"), ("we will", "we'll"), ("you will", "you'll"),
    ("at the moment", "right now", "currently", "at this point"), ("so far", "until now", "up to now"),
    ("could you", "can you", "would you"), ("the issue", "the problem"), ("this issue", "this problem"),
    ("I think", "I believe"), ("we think", "we believe"),
    ("right away", "immediately", "straight away"), ("as soon as possible", "at the earliest opportunity", "ASAP"),
    ("let me know", "tell me"), ("let us know", "tell us"), ("configuration", "config"),
    ("affected", "impacted"), ("seems", "appears"), ("several", "a number of"), ("every time", "each time"),
    ("would like", "want"), ("make sure", "ensure"), ("analysis", "investigation"), ("look into", "investigate"),
    ("shows that", "indicates that"), ("show that", "indicate that"), ("get back to you", "come back to you"),
    ("for now", "for the time being"), ("in detail", "closely", "carefully"),
    ("a few", "a couple of"), ("the logs", "the log files"), ("went through", "looked through"),
    ("quickly", "promptly"), ("the root cause", "the underlying cause"),
)
# Neutral discourse markers that may open a sentence that is not the first of its paragraph.
OPENERS = (
    "Also,", "In addition,", "On top of that,", "Besides that,", "One more point:", "Separately,", "For context,",
    "As a side note,", "Just so you know,", "To add to that,", "For what it's worth,", "Additionally,",
    "Another thing:", "Worth mentioning:", "Furthermore,", "On a related note,", "Apart from that,",
    "To be clear,", "Just to note,", "FYI,", "Note that", "Importantly,",
)

# =============================================================================== shared pieces
# Slots used here that compose fills per comment: {name} {last} {eng} {eng2} {vendor} {company}
# {comp} {prod} {plat} {ver} {host} {host2} {env} {nonprod} {n} {n2} {log} {the_np} {sym} {obs}
# {cause} {defect} {fix} {wa} {key} {cur} {rec} {cmd} {trigger} {day} {hour} {tz} {phone}
# {expert} {a_expert} {p} {jira_key} {tracker_key} {artifact} {team} {workload}.

ARTIFACTS = (
    "diagnostic bundle", "logs", "{log}", "heap histogram", "screenshots", "timeline", "configuration export",
    "command output", "thread dumps", "GC logs", "details", "notes from your team", "metrics export",
    "service diagnostics", "support bundle", "log excerpts", "jstack output", "audit entries",
)
WORKLOADS = (
    "nightly ETL", "BI dashboards", "ingestion pipeline", "reporting jobs", "batch window", "data science notebooks",
    "streaming jobs", "regulatory reports", "month-end processing", "customer-facing APIs", "fraud scoring",
    "billing runs", "overnight loads", "analyst queries", "risk calculations", "CDC replication", "ML feature jobs",
)
TEAMS = (
    "platform team", "data engineering team", "operations team", "BI team", "analytics group", "SRE team",
    "application owners", "infrastructure team", "data science team", "business users", "night shift",
    "DBA team", "reporting team", "integration team",
)
MATTERS = (
    "licence renewal", "support portal access", "quarterly service review", "training request", "account change",
    "invoice question", "contact list update", "maintenance plan", "entitlement check", "renewal quote",
    "onboarding of the new team", "health check report", "audit request", "support hours question",
    "named contacts", "subscription transfer", "case history export", "upgrade planning session",
)
TRIGGERS = (
    "the upgrade to {plat}", "last week's patch", "the move to {plat}", "a certificate rotation",
    "the weekend maintenance", "the addition of {n} new nodes", "the last restart", "a configuration change on {day}",
    "the OS patching", "the migration of the {workload}", "enabling TLS", "a network change",
    "the JDK update", "the switch to the new load balancer", "the data centre move", "the Kerberos realm change",
    "a failover on {day}", "the increase in data volume", "the rolling restart on {day}", "the storage upgrade",
)
WHEN_STARTED = (
    "since {trigger}", "after {trigger}", "ever since {trigger}", "starting [yesterday|last night|this morning|on {day}]",
    "for [about|roughly|almost|close to] {n} days now", "since [yesterday|last {day}|the weekend|early this week]",
    "[right after|shortly after|the day after] {trigger}", "[intermittently|on and off|sporadically] for the past [week|few days|{n} days]",
    "[more and more often|increasingly] since {trigger}",
)
FREQUENCY = (
    "[every few hours|several times a day|a few times a week|once or twice a day|at random times|almost every night]",
    "[mostly|usually|typically|especially] [during peak hours|overnight|when the {workload} start|under heavy load|at the start of the business day]",
    "[roughly|about|around] every {n} [hours|minutes|days]",
)

# =============================================================================== greetings, sign-offs
V_GREETING = {
    "named": ("[Hi|Hello|Dear] {name},", "Good [morning|afternoon] {name},", "{name},", "Hello {name} -", "Hi {name}!"),
    "team": ("[Hi|Hello] team,", "[Hi|Hello] all,", "Hi {company} team,", "Dear {company} team,", "Hi everyone,"),
}
V_SIGNOFF = {
    "closing": ("[Best regards|Kind regards|Regards|Thanks|Thank you|Best|Cheers|Many thanks|All the best|Warm regards],",),
    "signature": ("{eng}", "{eng} {eng_last}", "{eng}\n{vendor} Support", "{eng}\n[Support Engineer|Technical Support]",
                  "{eng} | {vendor} Support", "{eng}\n[Senior|Staff] Support Engineer", "{eng} ({vendor})"),
}
C_GREETING = {
    "support": ("[Hi|Hello|Dear] {vendor} Support,", "[Hi|Hello] {vendor} Support Team,", "[Hi|Hello] Support Team,",
                "[Hi|Hello] team,", "[Hi|Hello] Support,", "Hi there,", "[Hi|Hello],", "Good [morning|afternoon],"),
    "named": ("[Hi|Hello] {eng},", "{eng},", "Dear {eng},", "Hi {eng} -"),
}
C_SIGNOFF = {
    "closing": ("[Best regards|Kind regards|Regards|Thanks|Thank you|Thanks in advance|Best|Many thanks|Cheers],",),
    "signature": ("{name}", "{name} {last}", "{name}\n{company}", "{name} {last}\n[Platform Engineering|Data Platform|IT Operations|Big Data Team]",
                  "{name}\n[Data Engineer|Platform Lead|Hadoop Admin|Systems Engineer]", "{name} | {company}"),
}

# =============================================================================== customer voice
# First person: the customer's own comments, and vendor comments written or quoted in the customer's voice.
C_PROBLEM = {
    "statement": (
        "[We are|We're|I am|I'm] [seeing|experiencing|running into|dealing with|facing] {the_np} on our {env} cluster ({plat}) {when}.",
        "[We have|We've] [been seeing|been hitting|been fighting|noticed] {the_np} {when}[, {freq}|][ and [cannot|can't] find the cause|].",
        "{When}, {sym} [on our {env} cluster|in our {env} environment|on our {plat} cluster][, {freq}|].",
        "[Since|Ever since|Right after] {trigger}, {sym}[ on our {env} cluster| in our {env} environment|][, {freq}|][ and [it is getting worse|it keeps coming back]|].",
        "[Our|The] {comp} [has a problem|is misbehaving|is giving us trouble|is acting up] on {plat}: {sym}[, {freq}|].",
        "[I'm|I am] [reaching out|writing|opening this case|contacting you] [about|because of|regarding] {the_np} [in|on] our {env} [environment|cluster|platform][ running {plat}|][ {when}|].",
        "[Quick|Short|Some] [background|context]: [we run|our cluster runs|this is] {plat}, and {sym} {when}.",
        "[We need help with|Looking for help with|Requesting assistance with|We could use some help with] {the_np}: {sym}[, {freq}|].",
        "On our {env} cluster ({plat}) {sym}[; it [started|began] [yesterday|this morning|last night|on {day}|after {trigger}]|].",
        "[For the last|In the past|Over the last] [few days|week|{n} days|couple of weeks] {sym}[, and it [is getting worse|keeps coming back|does not go away|happens {freq}]|].",
        "[We have a|There is a|We hit a] [problem|serious problem|strange problem|recurring problem] with {comp} on {plat}: {sym}[ {when}|].",
        "[Our {team} reported|The {team} noticed|Our monitoring flagged] that {sym}[ {when}|][, {freq}|].",
    ),
    "detail": (
        "[Looking at|In|When we checked|Going through] the {log}, [we noticed|it looks like|we can see|we found] that {obs}[, which [seems|looks] related|].",
        "[From what we can tell|As far as we can see|As far as we can tell|From our side], {obs}[ - not sure if that is the cause|].",
        "[Our own analysis suggests|Our first look suggests|We believe|It looks to us like] {obs}[ - not sure if that is the cause|, but we may be wrong|].",
        "[We also noticed|One more thing:|Also,|Another observation:] {obs}[ on {host}| around the same time|].",
        "[The|Our] {log} [show|shows|suggests|point to the fact] that {obs}[, but we are not sure what to make of it|, if that helps|].",
        "[Digging a bit deeper|After some digging|On closer inspection|When we looked closer], [we found that|it seems|we saw that] {obs}.",
    ),
    "config": (
        "[We have|Our config has|Currently we run with|The cluster has|We run] {key} [set to|at] {cur}[ on {host}| cluster-wide| on every node|][, which is what the installer set|, unchanged since the install|, the value from the initial setup|, never tuned|].",
        "[For reference|In case it matters|If it helps|FWIW|For completeness], {key} is [set to|] {cur} on [our side|this cluster|all hosts|every node|{host}][ and was never changed| since the install| as far as I know|].",
    ),
    "tried": (
        "[We [already|have already]|So far we|Before opening the case we] [restarted the {comp} role|restarted the affected services|rolled back the last configuration change|redeployed the client configuration|checked disk space and the network|increased the heap a little|cleared the caches] [but|and] [nothing changed|it made no difference|the problem came back|it did not help for long|we saw no change].",
        "[We went through|We followed|Our {team} ran] the [usual|standard|documented] [checks|troubleshooting steps|health checks] ([disk space|DNS|time sync|network|heap settings|certificates]) [and found nothing obvious|without finding anything|with no luck|but nothing stood out].",
        "[Nothing|No configuration|No code|No setting] [changed|was touched|was deployed|was modified] [on our side|in {comp}|on the cluster] [before this started|in the week before|as far as we know|recently|that we know of][, which makes it odd|, so we are puzzled|, which is why we are confused|].",
    ),
    "error_intro": (
        "[Here is|This is] [the error|what we see|an excerpt from the log|the relevant part of the log][ from {host}|]:",
        "[The|Our] {log} [show|shows|keep showing|are full of] [this|the following][ again and again| over and over|]:",
        "[Error|Errors|Log excerpt] [from|in] the {log}[ on {host}|]:",
        "[We keep getting|We get|Every time we see] [this|the following] [error|exception|message][ on {host}|]:",
    ),
    "short": (
        "{Sym} [on our {env} cluster|on our cluster|in our {env} environment|on our {plat} cluster][ {when}|].",
        "{Sym} [on our {env} cluster ({plat})|on our cluster|in our {env} environment|on our {plat} cluster].",
        "[Problem|Issue|Our problem|The problem|Symptom]: {sym}[ on {plat}| ({plat})| on {host}| in {env}|].",
        "[Problem|Issue|Our problem|The problem]: {sym}[ on {plat}| ({plat})| on {host}|][ {when}|].",
        "[Since|After|Right after] {trigger}, {sym}[ on {plat}|].",
        "[We are|We're|We keep] [seeing|hitting|facing|running into] {the_np} on [{plat}|our {env} cluster|{host}][ {when}| {freq}|].",
    ),
    "environment": (
        "[Environment|Setup|Our environment|Cluster details|Our setup|Current setup|Details|Cluster|Environment details]:",
    ),
    "help": (
        "[Could|Can] you [help us|help|assist us to] [find|understand|figure out|pin down] [the root cause|what is going on|why this happens|what triggers this][ and how to fix it|]?",
        "[What|Which] [settings|changes|tuning] would you [recommend|suggest|advise][ for a cluster this size| in our situation|]?",
        "[Is there|Do you have|Is there any|Can you share] [a known fix|guidance|a recommended approach|best practice|a documented procedure] for [this|{the_np}|this behaviour|this kind of failure][ on {plat}| with {comp}| in a cluster like ours|]?",
        "[We would appreciate|We'd appreciate|Any|We'd welcome] [guidance|advice|help|pointers] on [how to fix this|what to change|where to look next|how to approach this|{the_np}][ for {plat}| in our setup| from your side|].",
        "[Please|Kindly] [advise|help us|guide us|let us know] [on the next steps|how to proceed|what to check next|how to resolve this|what to collect for you|what you need from us][ for {the_np}| on {plat}| on our side| with {comp}|][ - we are a bit stuck| so we can plan|].",
        "[How|What] [should|can|do] we [tune|change|adjust|check|look at] [to stop this|so that this stops happening|to get this stable again|to get rid of {the_np}|to prevent a repeat][ on {plat}| in {comp}|]?",
        "[We are looking for|We need|We would value|We're after|We'd like] [your guidance|your help|advice|an expert view|a second opinion] [to resolve this|on the root cause|to get to the bottom of this|on {the_np}|on the right {comp} settings][ as a team| quickly| before the next run|].",
    ),
    "context_nontech": (
        "[We opened {case}|This case was opened|We raised this ticket] [{n} days|{n} weeks|over a week|some time] ago[ about the {matter}| for the {matter}|][ with your team| through the portal|].",
        "[Writing about|Following up on|Coming back to|Getting back to|A note on|Checking on] [our open case|the case {eng} is working on|{case}|our request from last week|the case we discussed|the {matter} case][ again| once more| from {day}|].",
        "[I'm|I am] [the new contact|taking over from {colleague}|covering for {colleague}|now handling this|the main point of contact] [on our side|for {case}|for our team|][ - please copy me on updates|, so please reply to me|].",
        "[Our|The] [account team|sales contact|project manager|service manager] [asked me to|suggested I|told me to] [follow up here|write to you directly|update {case}].",
    ),
}

C_IMPACT = {
    1: (
        "[Our|The] production [cluster|environment|platform] is [completely down|down|unavailable|offline][ {when_short}| as we speak|][ and nothing works|].",
        "[Nothing|No job|None of our jobs] [can run|is running|runs] in production[ at the moment|], [so|and] [the {workload} [are|is] stopped|every {team} is blocked|the whole business is affected|our {team} cannot work].",
        "[We may|We might|We could] [be losing|lose] [data|records|transactions|customer data][ as we speak| with every hour this continues|] [in production|on the production side|].",
        "[Records|Data|Messages|Transactions] [are being|may be] [lost|corrupted|dropped] in production[, which we cannot afford|, and we cannot tell how many yet|, so this is critical|].",
        "This [has taken down|brought down|is taking down] [production|our production {comp}|all production workloads|the production {workload}][ completely| for everyone|].",
        "[Production|Our production system|The production {comp}] [is down|went down|has been down] [{when_short}|since the failure|for hours][, with every {team} blocked|, and the {workload} cannot run|].",
    ),
    2: (
        "Production is [still up|running|technically up] but [badly|severely|seriously|heavily] [degraded|slowed down][ - the {workload} take {n} times longer|], and [nothing we tried helps|we have no workaround|there is no way around it|nothing has worked][ so far| yet|].",
        "The {workload} in production [run|are running] [far|much|several times|{n} times] slower than [normal|usual|before], and [we have not found any workaround|no workaround has worked|nothing we tried made a difference|there is no workaround].",
        "[Our|The] {team} [are|is] [seriously|heavily|badly|severely] [impacted|affected|hurt] in production, and [there is no workaround|we have no way to avoid it|nothing helps|we found no way around it][ at the moment| yet|].",
        "[Production|The production service|Our production {comp}] is [barely usable|close to unusable|crawling|painfully slow][ most of the day| during business hours|], with no workaround [available|we know of|found so far|in sight].",
    ),
    3: (
        "[Only|Just] [a few|some|a handful of|a small number of] [jobs|queries|users|tables|applications] [are|seem to be|appear to be] affected; the rest [of the cluster|of the workload|of production] [runs|works|is running] [fine|normally|as usual].",
        "It [only|just] [happens|shows up|occurs] on [one|{n2}] of our {n} [nodes|hosts|servers][, so the impact is limited|, everything else is fine|, the others are healthy|].",
        "[This|The issue|It] [only|just|for now only] affects our {nonprod} [cluster|environment|setup][ for now|, not production|, production is fine|].",
        "[Some|A few|Several] [reports|loads|dashboards|jobs] [are delayed|come in late|finish late][, but the main workload is fine|, the core processing is not affected|, nothing critical is blocked|].",
        "[The impact is|It is|The damage is|The effect is] [partial|limited|contained][ for now| so far|][: only the {workload} [are|is] affected|, the rest of the cluster is healthy|, most jobs still run normally|: {n2} of {n} [queues|pipelines|teams] see it].",
    ),
    4: (
        "There is no [real|business|user|production] impact[ at the moment| so far|][; we just want to understand it|; this is more of a question|; we are just curious|].",
        "[This is|It is] [more of|mainly|really just|simply] a [question|best-practice question|planning question|design question][ before our next upgrade| for our design review| for our runbook| for the architecture board|].",
        "[It|This] [happened once|showed up once|occurred a single time] and [has not come back|never repeated|did not recur][, so nothing is affected|, nobody was affected|, no job failed|].",
        "[This is|It is] [only|purely|just] [cosmetic|a display issue|a reporting glitch][ in the UI| in the status page| in Cloudera Manager|]; [nothing is failing|jobs are not affected|no workload is affected|everything works].",
        "[We are|We're] [planning|preparing|designing] [a migration|an upgrade|a new cluster|a capacity expansion] and [want to get this right|would like your view|want your recommendation] [first|beforehand|before we start].",
    ),
}
# Customer comments only: the customer copes on their own (a vendor comment never says this, since
# a reader could take it for a workaround the comment proposes).
C_IMPACT_COPING = (
    "[We can|For now we can] [get by|live with it|keep going|manage] [by rerunning the failed jobs|with a restart each morning|by retrying|by rerunning by hand], so [it is annoying rather than blocking|the impact is partial|we are not blocked|it is not critical].",
    "[Restarting|A restart of] the {comp} [role|service] [clears it|helps] for [a while|an hour or two|a few hours], so [we are limping along|the impact is partial|we are not blocked|we can cope].",
)
# Impact without any technical word, for comments that name no product, component or setting.
C_IMPACT_NONTECH = {
    1: ("[We are|We're] still [down|completely down] in production[ because of this| after all this time|], and [nobody|none of our {team}|no one] can work.",
        "[We are|We're] at risk of losing [data|customer records|transactions] [as long as this stays open|with every hour that passes|until this is resolved]."),
    2: ("[Our|The] {team} [are|is] [seriously|badly|heavily] affected and there is no workaround[ yet| at all| in sight|].",
        "[Everything|The whole service|Our daily work] is [badly|severely] degraded and nothing [we tried|so far|on our side] helps."),
    3: ("[Only|Just] part of our [work|business|operations] is affected[, the rest carries on|, so we can live with it for a while|, the rest is fine|].",
        "The impact is [limited|partial][ to one team| to a few users| to one department|][, we can live with it for a while|, nothing critical|]."),
    4: ("There is no [business|operational] impact[ at this point|; this is a process question|; it is a formality|].",
        "[This is|It is] [just|only|simply] a [process|contract|billing|paperwork] question[ with no impact on our work| - nothing is broken|]."),
}

C_URGENCY = {
    1: (
        "[We go live|Our go-live is|The cut-over is|The launch is] [tonight|in {n} hours|at {hour}:00 today|later today] and [need|must have] this [fixed|working|resolved] [before then|in the next few hours|by then].",
        "[The business|Trading|Billing|Our order processing|Our call centre] is [halted|stopped|at a standstill] until this is [fixed|resolved], [so|and] we need [help|someone|an engineer] [right now|immediately|within the hour].",
        "Every hour [this stays open|of this outage|we wait|of delay] [costs us money|costs us real money|hurts our customers|costs us revenue]; we need [help|an engineer|someone] [immediately|right away|now].",
        "[We need|Please get|Please assign] someone [on this|to this] [immediately|right now|as soon as possible][ - this cannot wait|, it cannot wait until tomorrow|, hours matter here|].",
        "[The market|Our trading desk|The branch network|The regulator's window] [opens|goes live|closes] in [a few|{n2}] hours and this [must|has to|needs to] be [fixed|working|resolved] by then.",
    ),
    2: (
        "We need [this|{case}|a fix] [resolved|fixed|sorted out|working again|in place] by [tomorrow morning|end of day|close of business today|tomorrow's batch run|tomorrow at the latest][ at the very latest| - that is the deadline|].",
        "[Please|Could you] [get back to us|reply|send us an answer|respond] [on {case}|] [before end of day|by tomorrow|within 24 hours|by tomorrow morning][, if at all possible|, that is our deadline|, we have a meeting about it|].",
        "[Our|The] [month-end batch|quarterly close|board report|payroll run] [runs|is due] [tomorrow night|tomorrow|first thing tomorrow|tomorrow at noon], so we need a fix [before then|by then|before it starts].",
        "[We need|We would need|We must have] [an answer|a decision|a clear plan|guidance] [on {case}|from you|] [today|by tomorrow|within the next 24 hours|before tomorrow] to [plan the weekend|decide on a rollback|brief our management|plan the next release|schedule the {team}].",
    ),
    3: (
        "[We would like|We'd like|Ideally we want|We hope to have] [a fix|this resolved|an answer|a solution] [this week|by the end of the week|within the next few days|by {day}][, before our change window|, if possible|].",
        "[We have|There is] [some time|a bit of time|a few days], but [we want this closed|this needs to be done|we need this sorted] before [next week's release|our change window on {day}|the end of the week|the next sprint].",
        "[Sometime|Any time|Some point] [this week|in the next few days|before the weekend] would be [good|fine|great|ideal][ for an answer| for a fix| for {case}|][ - not urgent beyond that|, thanks|].",
        "[Our|The] [next maintenance window|change freeze|release cut-off|planned downtime] is on {day}, so [a fix before then|an answer this week|a recommendation before that|a plan for {case} before that] [would help|is what we are aiming for|would be ideal|is our target].",
    ),
    4: (
        "[No rush|No urgency|There is no rush|Nothing urgent] [on this|from our side|here][; whenever you get a chance|, take your time|, any time is fine|].",
        "[Whenever you get a chance|Take your time|This can wait|No hurry][ - there is no deadline|, there is no time pressure| is fine| on this one|][ for {case}| from our side|].",
        "[There is|We have] no [deadline|time pressure|due date] [attached to this|on our side|for this][, so take your time|, so no hurry|].",
    ),
}

C_BUG = {
    "suspect": (
        "[This|It] [looks|feels|smells] like a [bug|regression|product defect] [in {comp}|to us|introduced with {plat}|in the product][, not a configuration problem|, honestly|].",
        "[I'm|We're] [fairly|pretty|quite|almost] sure [this is|we hit|we are hitting] a [bug|defect|regression] in {comp}[ - it behaves like one| and not our setup|].",
        "[Is this|Could this be|Might this be|Is it possible this is] a known [bug|defect|regression|product bug] [in {plat}|in {comp}|in this release|with {comp} on {plat}]?",
        "[It|This] [really|certainly|clearly|honestly] [behaves|acts|looks] like a [bug|defect|regression] [to us|in {comp}|since {trigger}][, since nothing changed on our side|, as our setup did not change|].",
        "[We suspect|We think|Our team believes|My gut says] [a bug|a regression|a product defect] in [the {comp}|{prod}] [since|after] {trigger}.",
        "[This|It|What we see|Our failure] [matches|looks exactly like|sounds like|could be|resembles] {jira_key}[, which describes the same bug|, which is a known bug upstream|, a bug upstream| - the same bug by the look of it|, a known defect][ for {comp}| on {plat}|].",
    ),
    "no_bug": (
        "[Separately|Unrelated to this|On another note|Side question], is the improvement in {jira_key} [planned|on the roadmap|coming] for a future release?",
        "[We read|We found|Someone pointed us to] {jira_key} [upstream|on the Apache tracker][, but it is a feature request rather than our problem|; is that feature coming to {plat}?|].",
    ),
}

C_COMPLAINT = {
    1: (
        "[It is|It's] [a bit|slightly|a little|somewhat] [disappointing|frustrating|annoying|irritating] that {grievance}.",
        "[Not thrilled|Slightly annoyed|A bit unhappy|Mildly irritated] that {grievance}[, to be honest|, I have to say|, if I'm honest|].",
        "[I have to say|To be fair|Honestly], [it is|it's] [a little|somewhat|a bit] [frustrating|disappointing|annoying] that {grievance}.",
    ),
    2: (
        "[We are|We're|I am|I'm] [not happy|unhappy|disappointed|dissatisfied] [that|because] {grievance}[, to put it plainly|].",
        "[Frankly|Honestly|To be blunt], [the support on {case}|the handling of {case}|this experience] has been [below what we expect|disappointing|not good enough|poor], [since|as] {grievance}.",
        "[Our team|Our management|The team|Our leadership] is [clearly|really|quite] unhappy [that|because] {grievance}.",
    ),
    3: (
        "This is [unacceptable|not acceptable|ridiculous|simply not acceptable]: {grievance}.",
        "[I am|I'm|We are|We're] [extremely|really|very|deeply] [frustrated|angry|upset] [that|because] {grievance}[!|.]",
        "[We are|We're|I am|I'm] [fed up|sick of this|out of patience|at the end of our patience]: {grievance}[!|.]",
    ),
    4: (
        "[This is|It is] [completely|absolutely|totally] unacceptable and [we are now|we're now|we have started] [evaluating|looking at|pricing] [alternatives to {vendor}|other vendors|a replacement for this platform].",
        "If this [drags on|is not fixed this week|continues|happens again], [our|the] [executives|CIO|leadership|board] will [reconsider|cancel|not sign] the renewal with {vendor}[ - {grievance}|].",
        "[I am|I'm] furious: {grievance}, and [we are|we're] [questioning why we pay for {vendor} support at all|about to look for another vendor|reviewing the contract with {vendor}].",
        "[ABSOLUTELY UNACCEPTABLE|COMPLETELY UNACCEPTABLE|THIS IS UNACCEPTABLE]. {Grievance}, and [we are looking at other vendors|our renewal is now at risk|we will not renew on these terms].",
    ),
}
GRIEVANCES = {
    "support": (
        "we had to ask for an update [twice|{n} times|again|more than once]", "the last reply took {n} days",
        "nobody has looked at this for {n} days", "we have uploaded the same [logs|files|information|bundle] {n} times",
        "every answer so far has been a generic [article|KB link|checklist]", "[{n} days|over a week|two weeks] later there is still no root cause",
        "the case was [reassigned|handed over|passed around] {n} times without progress", "our questions were [not answered|ignored|skipped]",
        "we keep getting [the same|generic|copy-paste] [questions|answers]", "the engineer [asked for|requested] data we already sent",
    ),
    "product": (
        "this [came back|returned|reappeared] after the last fix", "[the same|this] [problem|failure] has hit us {n} times this month",
        "{comp} [keeps failing|has failed again|broke again] [after every patch|every few weeks|after each upgrade]",
        "this is the {ordinal} time this [issue|failure|problem] has come back", "the product [keeps breaking|is this unstable] [after upgrades|after every patch]",
    ),
}

C_REQUEST = {
    "update": (
        "[Any|Is there any|Do you have any] [update|news|progress] [on {case}|on this|on {topic}][ from engineering| from your side|]?",
        "[Could|Can] you [give us|share|send us|post] [a status update|an update|a progress update|a short update] [on {case}|on {topic}|][| when you can| by email|]?",
        "[Where|How far] are we [with {case}|on this|with the analysis|on {topic}][ at this point| after {day}|][ - our {team} is asking|, please|]?",
        "Please [let us know|tell us] where things stand [with {case}|on {topic}|on your side][ so I can report back| for our management|].",
        "Could you [let us know|tell us|update us on] where things stand [with {case}|on {topic}|on your side][ so I can report back| for our management|]?",
        "[Just|I'm|I am] following up [on {case}|here|again]: [is there|do you have] any [news|update|progress][ from your side| on {topic}|]?",
        "[What is|What's] the [latest|current status|status] [on {case}|of {topic}|here][ from your side| after the last call|]?",
        "[Could|Can] you [update us on|tell us about|share] [the progress|what engineering found|where the analysis is|the next steps] [for {case}|on {topic}|]?",
        "[We have not|We haven't] [seen|had] an update [on {case}|in a while|for {n} days][ - where are we?|; any news?|, can you give us one?]",
    ),
    "meeting": (
        "[Can|Could] we [set up|schedule|get on|have|arrange] a [call|meeting|screen share|remote session|working session][ with your team| with an engineer|][ to go through {case}| to look at it live| about {topic}|]?",
        "Please [call me|phone me|give me a call|ring me] at {phone}[ when you have a moment| as soon as you can| about {case}|].",
        "Could you [call me|phone me|give me a call] at {phone}[ when you have a moment| about {case}|]?",
        "[I'd|I would|We'd] like to [schedule|book|set up|arrange] a [call|{provider} session|screen share|meeting] [with you|with an engineer|with your team][ so you can see the issue live| to walk through the logs| on {topic}|].",
        "[Can you|Please|Could you] send [an invite|a meeting invite|a calendar invite] for a [call|session|screen share] at {hour}:00 {tz}[ on {day}|][ about {case}|]?",
        "[Let's|Can we|We should] [jump on|have|set up] a [quick|short|proper] call [to walk through this|to look at it together|about {topic}|on {case}][ - please send an invite| with our {team}|].",
    ),
    "meeting_hint": (
        "[Maybe|Perhaps] a call [would|could|might] help [at some point|later on|if this drags on], [not sure|but email is fine for now|but let's see].",
        "[If it comes to that|If needed later|Down the line], we could [talk it through|do a call|discuss it live], but [email works for now|no need yet|not yet].",
        "[Not sure|I don't know|I can't tell] [if|whether] a call [makes sense|is needed|would help] [yet|at this stage|][ for {case}|].",
    ),
    "escalation": (
        "[Please|Kindly|I ask you to] escalate [{case}|this issue|this ticket][| with your management|][ - it has gone on too long|, as we discussed|].",
        "[I'd|I would|We'd] like to [formally|officially|] escalate [{case}|this issue|this ticket][| given the lack of progress|].",
        "[We need|I want|We want] [{case}|this] [escalated|raised] to your [backline|escalation|senior escalation] team.",
        "[Can|Could] you [raise|open|start] an escalation [on {case}|for us|for this ticket]?",
        "[Please|We need you to|Kindly] treat [{case}|this] as an escalation[ from now on| going forward|].",
    ),
    "priority_up": (
        "[Please|Can you|Could you] [raise|bump|increase|move] [the priority|{case}|the case priority] to [S{p}|P{p}|priority {p}][ given the impact|]?",
        "[{case}|The ticket|This] [needs to be|should be|has to be] [an S{p}|a P{p}|priority {p}][|, given the impact|, given what is at stake|].",
        "[We need|I want|We want] [{case}|this|the ticket] [at|raised to] [S{p}|P{p}|priority {p}][| from now on|].",
    ),
    "priority_down": (
        "[You can|Feel free to|It's fine to|Go ahead and] [lower|drop|downgrade|move] [the priority|{case}|the case priority] to [S{p}|P{p}|priority {p}][| from here| for the rest of the work|].",
        "[Please|Could you] [lower|reduce|downgrade] [the priority|{case}|the ticket] to [S{p}|P{p}|priority {p}][, it is no longer pressing|, things are calmer now|, no need for more|]?",
    ),
    "transfer": (
        "[Please|Could you] [assign|reassign|transfer|move] [{case}|the case|this ticket] to [a different|another|a new] engineer[ in our time zone| with more experience here| who can own it|]?",
        "[Can|Could] [someone else|another engineer|a different engineer] [take over|own|pick up] [{case}|this ticket][ from here| going forward|]?",
        "We'd like [a new owner|another engineer|someone in our time zone|a different engineer] [for|on] [{case}|this ticket][ please|, starting today|].",
    ),
    "manager": (
        "[I want|I need|I'd like|We need] to [speak|talk] [to|with] [a support manager|your manager|a supervisor|your team lead][| about {case}|].",
        "[Please|Could you] have your [manager|supervisor|team lead|support manager] [call|contact|reach out to] me[ at {phone}| about {case}|]?",
        "[Can|Could] you [loop in|involve|bring in] your [support manager|duty manager|supervisor|team lead][ so we can agree on a plan| on {case}|]?",
    ),
    "expert": (
        "[Can|Could] you [bring in|involve|get|assign] {a_expert} [subject-matter expert|specialist|SME][ on this| for {case}| to review the logs|]?",
        "We need someone who [really|truly|deeply] knows {expert} [internals|in depth|inside out][ to look at this| on {case}| to review our setup|].",
        "[Please|Could you] [involve|add|pull in] an SME for {expert}[ to {case}| for the next call|]?",
        "[We'd like|We need|We want] {a_expert} [expert|specialist] to [review|look at|go through] [this|our setup|the logs|the configuration][ before we change anything|].",
    ),
    "expert_nontech": (
        "[Please|Could you] [involve|bring in|assign] a [subject-matter expert|specialist|senior specialist][ for this| on {case}| for {topic}|]?",
        "We'd like [an expert|a specialist|a subject-matter expert] to [review|look at|take over the analysis of] [{case}|this].",
    ),
}
C_POSITIVE = (
    "[Thanks|Thank you|Many thanks] for [your help|looking into this|the support|the quick replies|the effort] [so far|on {case}|until now|with {topic}|][ - it is appreciated| by the way|].",
    "[Appreciate|We appreciate|Really appreciate|We value|We are grateful for] [the quick turnaround|your help|the effort on this|your time|the detailed answers|your patience with us] [so far|on {case}|with {topic}|][, honestly| - thank you|].",
    "[Your|The] [help|support|responsiveness] on {case} [has been|is] [great|very good|much appreciated][ so far|].",
    "[Thanks again|Thank you again|Again, thanks] for [the quick reply|looking at {topic}|picking this up|the time on {case}|the clear explanation][, we will keep you posted|, it helps a lot|, much appreciated| - we'll report back|].",
)
C_NONTECH = {
    "thanks": (
        "[Thanks|Thank you] for the [quick|detailed|clear] [reply|update|answer]; [we will|we'll] [review|discuss|go over] [it|your suggestion|the plan] with the {team}.",
        "[Thanks|Thank you], [everything is|things are] [fine|working|stable] [again|on our side now]. [You can|Feel free to|Please] close the case.",
        "[Received|Got it|Noted], thank you. [We will|We'll] [try it|go through it|discuss it] [in our next maintenance window|with the {team}|].",
    ),
    "contact": (
        "[I'll|I will] be [out of office|away|on leave] [next week|until {day}|for a few days|]; please keep {colleague} in the loop[ on {case}| for updates|].",
        "[Adding|I'm adding|Copying] {colleague} from our {team} to the case[ as a second contact| so they can follow along|].",
        "[From now on|Going forward|As of today], {colleague} will be our main contact for {case}[ on our side|].",
    ),
    "status": (
        "[We opened|We raised|We logged] {case} {n} days ago and [still have|have|so far have] no [answer|clear answer|root cause|plan].",
        "[We have not|We haven't] heard [anything|back|a word] since [the last update|{day}|your last note|the call].",
        "[The|Our] {team} [keeps asking|asked again|is asking] [me|every day] [when this will be resolved|for a status|what the plan is].",
    ),
}

# =============================================================================== engineer voice
V_ACK = (
    "[Thanks|Thank you|Many thanks] for [sending|sharing|uploading|attaching] the {artifact}[ so quickly| yesterday| earlier today| this morning|][ - it made the analysis much easier|; it helped a lot|].",
    "I [have|'ve] [|finally|] [reviewed|gone through|had a look at|analysed] the {artifact} [you sent|you attached|from {host}|on the case][ in detail| line by line|].",
    "[Apologies|Sorry] for the [slow|late|delayed] [reply|response|update][ on this|][; it took a while to go through the {artifact}|; the {artifact} took some time to review|].",
    "[I am|I'm] [taking over|picking up] {case} from {eng2}[, who is out this week|, who has moved to another team|, who is on leave|] and [have read|went through|caught up on] its history.",
    "[Following up on|Further to|As promised after|Picking up from] our [call|session|conversation|discussion] [earlier today|yesterday|this morning|on {day}], [here is|this is] [a summary|what I found|where we stand|my analysis].",
    "[Thanks|Thank you] for [your patience|bearing with me|waiting] while I [went through|reviewed|analysed|dug into] the {artifact}[ from {host}|].",
)
V_RECAP = (
    "[To recap|Just to recap|As I understand it|From your last update|Based on what you described|If I understood correctly], {sym_you} on your {env} cluster ({plat}) {when}.",
    "You [reported|mentioned|described|explained] that {sym_you}[ {when}|][, {freq}|].",
    "[This case is about|We are looking at|The case covers|This ticket concerns] {the_np} on your {env} [cluster|environment|platform][ running {plat}| ({plat})|].",
    "[Regarding|About|On|Concerning] {the_np} on {plat}: [here is where we stand|this is what I found|a short update|my findings so far].",
    "[From your description|From what you wrote|As you explained|Per your notes], {sym_you}, and the cluster runs {plat}[ with {comp}| - {vname} {ver}|].",
    "[Summarising|Putting together|Recapping] the [problem|issue|facts|situation]: {sym_you} ({plat}, {vname} {ver}).",
)
V_RECAP_SHORT = (
    "[Re|Regarding|About|On|Quick update on|An update on] {the_np}[ on {plat}| ({plat})| on your {env} cluster|]:",
    "[Your|The] {comp} [issue|case|problem|ticket] [on|with|in] {plat}[ - an update| - my findings| - next steps| - status| - analysis|]:",
    "[Back to|Coming back to|Following up on|Update on|Status of] {the_np}[ on {plat}| on {host}| in {env}|]:",
)
V_IMPACT = {
    1: (
        "I understand [your|the] production [cluster|environment|{comp}] is [down|unavailable|completely down|offline][ because of this|], [so|and] this has my full attention.",
        "[As|Since|Because] this has [taken down|stopped|knocked out] [production|all production workloads|your production {comp}|the production {workload}], I am treating it as [critical|the top priority|a production outage].",
        "[Given|With|Considering] the risk of [losing production data|data loss in production|corrupted production data|losing records in production] here, every step [needs care|should be checked twice|is done carefully].",
        "I know [the outage|this outage|the failure|the incident] has [stopped|halted|blocked] [all production work|the production {workload}|every production job|your production users].",
    ),
    2: (
        "I understand production is [still up|running|technically up] but [badly|severely|seriously] [degraded|slowed down], and [there is no way around it|nothing has helped|no workaround exists|none of the usual tricks work] [for now|so far|yet].",
        "I realise the [slowdown|degradation|performance drop] is [seriously|badly|heavily] hurting [your|the] {team} in production and [nothing|none of the usual steps|no workaround] has helped so far.",
        "[I know|I understand|I am aware that] the production {workload} still run but take [several|{n}|many] times longer, with no workaround [in place|available|found yet].",
    ),
    3: (
        "[Since|As] only part of the workload is affected, the rest of the cluster [keeps running|runs|is working] normally[ in the meantime| for now|].",
        "I understand the impact is limited to [a few|some|a handful of] [jobs|queries|tables|applications] on {host}[ for now|].",
        "[Good to hear|It is good to hear|I am glad to hear|Good news] that the rest of the [cluster|platform|environment] is [fine|healthy|unaffected] and only some {comp} [operations|jobs|requests] are affected[ for now|].",
        "[As|Since] this [only|just] affects your {nonprod} environment, the impact is [limited|partial|contained][ for now|].",
        "[Since|As] the [jobs|queries|loads] [eventually succeed|succeed|go through] on retry, the impact is [partial|limited].",
    ),
    4: (
        "[As|Since] there is no impact on your [workloads|users|jobs] [|at the moment|so far], [let's|I'll] treat this as a [general|best-practice|design] question.",
        "[Since|As] it happened once and [has not|hasn't] come back, there is no real impact[ to worry about| on your side|].",
        "[As you mentioned|As you said|As you pointed out], no [users|jobs|workloads] are affected by this[ at the moment| so far|].",
        "[Since|As] this is a [cosmetic|display-only|reporting-only] issue, nothing in your [workloads|jobs|pipelines] is affected.",
    ),
}
V_IMPACT_NONTECH = {
    1: ("I understand [you are|your team is] still down in production[, and this has my full attention|, so this is my top priority|].",
        "I know [there is|you see] a risk of losing data for you[, so this is my top concern|, which I take very seriously|]."),
    2: ("I understand your {team} [are|is] [badly|seriously] affected and there is no way around it yet.",),
    3: ("I understand only part of your [business|work|operations] is affected[ for now| at this point|].",),
    4: ("There is no [business|operational|real] impact [at this point|on your side][, as I understand it|, if I read your note correctly|, from what you wrote|].",
        "[As I understand it|From your note|If I read it correctly], nothing in your [business|work|day-to-day] is affected [by {case}|at this stage]."),
}
V_URGENCY = {
    1: (
        "[Given|With|Considering] your [go-live|cut-over|migration|launch] [tonight|in a few hours|later today], I [have made|made] this my [top priority|first priority] for the next few hours.",
        "[Since|As] your business is [halted|stopped|at a standstill], I [will|'ll] stay on this with you until it is [resolved|back up|working again].",
        "I know every hour counts here, so I am [working on this|on this|looking at this] right now[ with our backline| with a colleague|].",
        "[As|Since] the [trading day|market|branch network|regulator's window] [opens|starts|closes] in a few hours, this cannot wait[ until tomorrow|].",
    ),
    2: (
        "I [know|understand|realise] you need [this|{case}|a fix for {the_np}] [settled|resolved|fixed|sorted] by tomorrow [morning|at the latest|before the batch|midday][, and I am on it|, so I am prioritising it|].",
        "[I'll|I will] make sure you have [an answer|an update|a plan|a fix] [on {case}|for {the_np}|] before end of day[ today| on my side| in your time zone|].",
        "[Since|As] your [month-end batch|quarterly close|board report|payroll run] [runs|is due] tomorrow [night|morning|], I am [prioritising|putting|handling] this [today|first].",
        "I [understand|know|realise] [this|{case}|the {comp} problem] has to be [fixed|resolved|working|sorted] before tomorrow's [release|batch run|deadline|cut-off|go-live][, so it is my priority today| and I am planning for that|].",
    ),
    3: (
        "[Since|As] your change window is [later this week|on {day}|at the end of the week], we have [a few|a couple of|some] days to [test|validate|try|stage] [this|the change|the fix|it in {nonprod}][ properly| together|].",
        "[I'll aim to have|I will aim to have|My goal is to have|I'd like to have|I'll try to have] [this|{case}|the fix|the change] [wrapped up|closed|resolved|validated] within the next [couple of|few|two or three] days[, before your window|, well before the freeze|, so there is time to test|].",
        "We have until your [maintenance window|change window|release|freeze] on {day} to [get this right|validate the change|test this properly|roll out the change][, which is enough time| in {nonprod} first|].",
        "[As|Since] you'd like [this|{case}] [closed|fixed|settled] before next week's [release|freeze|upgrade], there is time to [validate|test|stage] the change[ properly| in {nonprod}| first|].",
    ),
    4: (
        "There is no [time pressure|deadline|hurry] [here|on {case}|from our side|with {the_np}], so [take your time|no rush on your side|whenever it suits you|test at your own pace|plan it as you like][ with your {team}|].",
        "[No rush|There is no rush|No hurry|No pressure] on [this one|{case}|the {comp} side][ from our side| - take your time| at all|].",
        "[No rush|There is no rush|No hurry] [from our side|on {case}|at all][ - take your time|, whenever it suits you|].",
        "[Whenever it suits your team is fine|Any time that suits your team works|Go at your own pace|Pick whatever timing suits you|Schedule it whenever it is convenient] [for the next step|for the testing|on {case}|for the {comp} change|][ - there is no deadline on our side| - nothing is waiting on it|].",
    ),
}
V_OBSERVE = (
    "[Looking at|Going through|In|Reading] the {log} [you sent|from {host}|attached to the case|you uploaded], [I can see that|it is clear that|I noticed that|I found that] {obs}.",
    "[The|Your] {log} [confirm|confirms|show|shows|make clear] that {obs}[ around the time of the failure| in every occurrence|].",
    "[What stands out|The key finding|The main thing I found|The important part] in the {log} is that {obs}.",
    "[After reviewing|Having reviewed|From|Based on] the {artifact}, [it looks like|I can confirm that|my reading is that|it appears that] {obs}.",
    "[The data you sent|Your diagnostic bundle|The bundle|The {artifact}] [shows|makes clear|confirms|tells us] that {obs}[ on {host}|].",
)
V_LOG_INTRO = (
    "[This is|Here is] the [relevant|key|important] part of the {log}[ from {host}|]:",
    "[The key error|The error that matters|The line that matters|The telling part] [is|in the {log} is]:",
    "For reference, this is what I see in the {log}[ from {host}| at the time of the failure|]:",
    "[Relevant|The relevant|Key] excerpt[ from {host}| from the {log}|]:",
    "[The|Your] stack trace [from {host}|in the {log}|] [shows|looks like this|reads|is]:",
)
V_CONFIG = (
    "[Currently|Right now|At the moment|Today] {key} is set to {cur}[ on your cluster| in your configuration| on {host}| for the {comp}|][, which matters here|, which is relevant|].",
    "I [can see|see|noticed|found] {key}={cur} in [your configuration|the configuration export|the bundle|the service settings|the {comp} settings][ for {host}| for every role|][, the installer default|, which is low|].",
    "[The cluster|Your cluster|The {comp}|Your {comp}] runs with {key} at {cur}[, the default from the installer|, which is the default|, unchanged since the install|, lower than we recommend|].",
)
V_DEFECT = (
    "This is a [known|confirmed|documented] [bug|defect|product defect] in {comp}[ {ver}| on {plat}|]: {defect}.",
    "[Engineering|Our development team|The {comp} team|Our backline] [has confirmed|confirmed|verified] that you are hitting a [bug|defect|product bug] where {defect}.",
    "You are running into a [known|confirmed|documented] [bug|defect] in {comp}[ on {plat}| {ver}|]: {defect}.",
    "[Unfortunately|I'm afraid|Sadly] this is a [bug|regression|product defect] in our {comp} build; {defect}.",
    "This matches a [known|confirmed|reported] [defect|bug][ in {plat}| in {comp}|]: {defect}.",
)
V_DEFECT_REF = {
    "jira_key": (" [It is|The defect is|This bug is|The problem is] [tracked|filed|reported|documented] upstream [as|under|in] {jira_key}[ for {comp}| with a patch| with the full analysis|].",
                 " [The|Its] upstream [ticket|report|issue|JIRA] is {jira_key}[, which has the details|, with a fix in progress|, already fixed upstream|]."),
    "tracker_key": (" [Our|The] internal [reference|ticket|tracking number] [is|for this is|for the defect is] {tracker_key}[, in case you need it|, for your records|].",
                    " [It is|The defect is|We have it] [tracked|logged|filed] [internally|on our side|with engineering] [as|under] {tracker_key}[ for the {comp} team| with high priority|]."),
}
V_NOT_DEFECT = (
    "[This is not|It is not] a [product defect|bug][ in the {comp}| in the product|]: {cause}.",
    "[The behaviour|What you see|This behaviour] is expected [given|with] the current [configuration|settings|sizing]: {cause}.",
    "[The root cause|The cause] is [configuration|sizing|the setup|how the cluster is configured], not a [bug|defect|product problem]: {cause}.",
)
V_CAUSE = (
    "[The root cause is that|What's happening is that|In short,|The underlying cause is that|Put simply,] {cause}.",
    "[From the logs|Putting it together|All of this points the same way|The evidence is consistent]: {cause}.",
)
V_IMPROVEMENT = (
    "[For background|For context|As background|FYI], the upstream [improvement|enhancement|change] {jira_key} [will make this easier|changes how this works|simplifies this|improves the {comp} side] in a [later|future|coming] release.",
    "[There is|An|The] upstream [feature request|improvement ticket|enhancement], {jira_key}, [covers a nicer way to handle this|would simplify this|is related], but what you see is [expected|normal|by design] [|in {plat}|for now].",
)
V_SOLUTION = (
    "The [permanent|long-term|lasting] fix is {fix}[, which addresses the root cause|].",
    "{Fix} [resolves|fixes|removes] the [problem|root cause|issue] [permanently|for good|once and for all].",
    "[To resolve this for good|To fix the root cause for good|For a permanent resolution|For a lasting fix], the change needed is {fix}.",
    "This is [resolved|fixed] [permanently|for good|once and for all] by {fix}[; it has worked for other customers|].",
    "[The|A] [permanent|lasting|long-term] [solution|resolution] is {fix}[; it has fixed the same problem for other customers| and it is safe to apply|].",
)
V_SOLUTION_STEPS = (
    "[The|A] [permanent|long-term|lasting] fix [has|takes|consists of|needs] {count} [parts|steps|changes|pieces][ for {the_np}| on the {comp}|]:",
    "[Permanent fix|Long-term fix|The permanent fix|Lasting fix|Permanent solution]:",
    "[To fix this for good|For a permanent fix|To resolve the root cause for good|To fix {the_np} for good], the [changes|steps] [are|needed are|I recommend are]:",
)
V_SOLUTION_UPGRADE = (
    "The [permanent|long-term|lasting] fix is [upgrading|an upgrade] to {fixed_in}, which [contains|includes|ships] the [correction|fix|patch].",
    "[This is fixed|The defect is fixed|The bug is corrected] in {fixed_in}; [upgrading|moving] to it resolves the problem [permanently|for good].",
    "[A hotfix for|A patch for|A fix for] {plat_short} [fixes|resolves|corrects] this [permanently|for good][ and is ready to be applied| and is available now|].",
)
V_WORKAROUND = (
    "[As a workaround|As a temporary workaround|As a stopgap|As an interim workaround], {wa} [keeps things running|avoids the problem|takes the pressure off|stops the failures][ for now| in the short term|].",
    "A [temporary|short-term] workaround is {wa}[, which other customers have used| until the real fix is in|].",
    "[Until this is fixed|Until the fix is in place|Until the root cause is addressed], {wa} [is a safe workaround|works as a stopgap|is a reasonable workaround|is the workaround I suggest].",
    "In the meantime, the problem can be [worked around|sidestepped with a workaround|kept at bay with a workaround] by {wa}.",
    "[For now|In the short term|Temporarily], {wa} [is a workaround other customers have used|works around it|is a safe stopgap|is a workable workaround].",
)
V_WORKAROUND_STEPS = (
    "[Until the fix is in|Until then|In the meantime|Until it is fixed], the [temporary|short-term|interim] workaround [is|has these steps|for {the_np} is]:",
    "[Workaround|Temporary workaround|Short-term workaround|Interim workaround|Stopgap]:",
)
V_ASK = {
    "logs": (
        "[Could you|Can you|Would you] [please|] [upload|attach|send] the {log} [from {host}|covering the last occurrence|from the time of the failure|from all affected hosts]?",
        "[Please|Kindly] [upload|attach|share] the {log}[ from {host}| from the last occurrence| for the last 24 hours|] to the case.",
        "[Can you|Could you] send [us|me] the {log} [along with|and] a fresh [diagnostic|support] bundle?",
        "It would help if you could [upload|attach|send] the {log} [from the time of the failure|from {host}|from every affected host].",
    ),
    "command": (
        "[Please|Could you please] run `{cmd}`[ on {host}| as the service user|] and [share|send|paste] the output.",
        "[Can|Could] you [run|execute] `{cmd}`[ on {host}|] and [paste|attach] [the result|what it prints|the full output]?",
        "[Please|Kindly] run this[ on {host}|] and attach the output: {cmd}",
    ),
    "confirm": (
        "[Can|Could] you [please|] confirm {detail}?",
        "[Please|Kindly] confirm {detail}[ when you get a chance|].",
        "[Could you|Can you] let me know {detail}?",
        "One [question|more question|thing to check]: can you confirm {detail}?",
    ),
    "change": (
        "[Please|Could you please] [set|change] {key} to {rec}[ on {host}| in your next window|] and [let me know|tell me] [how it goes|whether the problem comes back|what you see].",
        "[Can|Could] you [try|test] {key}={rec}[ in your {nonprod} environment first| on one host first|] and [report back|share the result|let me know the outcome]?",
    ),
    "debug": (
        "[Please|Could you] [enable|turn on] DEBUG logging on the {comp} role [for an hour|until the next occurrence|for a day] and send [the resulting log|me the log|the output]?",
        "[Could|Can] you [turn on|enable|switch on] GC logging for [the {comp}|{comp}|the {comp} role], [wait for|catch] the next [occurrence|failure|incident] and [upload|attach|send] the GC log[ to {case}| from {host}|]?",
    ),
    "apply": (
        "[Please|Could you|Can you] apply the [change|fix|new setting] [in your next window|on {host} first|during a quiet period] and confirm [the result|whether it helped|how it went][ on {case}|]?",
        "Once [it is|the change is|the fix is] [applied|in place|live], [please|could you] let me know whether [the problem|{the_np}|the error] [comes back|returns|is gone][ over the next days|]?",
    ),
}
V_ASK_LIST = (
    "[Could you please|Please|To move forward, please|When you have a moment, please|Kindly] [collect|gather|send|upload] the following[ from {host}| for {case}| for the {comp}|]:",
    "[To narrow this down|For the next step|So I can confirm the cause|To move this forward|To rule out the obvious], [please|could you|can you][ do the following|]:",
    "[Please|Could you|Can you] [run|do|go through] these [steps|checks] [on {host}|on the {comp} hosts|] and [share|send|post] the [results|output]:",
    "[Next steps|Action items|Requests|To do|Your next steps|Please do this|Requests for you|What I need]:",
)
V_ASK_STEP = {
    "logs": ("[Upload|Attach|Send] the {log} [from {host}|from the last occurrence|covering the failure|from every affected host]",),
    "command": ("[Run|Execute] `{cmd}`[ on {host}| as the service user|] and [share|paste|attach] the output",),
    "confirm": ("[Confirm|Tell me|Let me know|Check and confirm|Write down] {detail}[ on the case| for me|]",),
    "change": ("[Set|Change|Update] {key} to {rec}[ on {host}| on one host first| in {nonprod}|] and [note|record|tell me] whether [the problem|the error|it] [returns|comes back|goes away]",),
    "debug": ("[Enable|Turn on|Switch on] DEBUG logging for [{comp}|the {comp} role|the {comp} service] [for an hour|until it happens again|for one day|during the next run] and [upload|attach|send] the [log|resulting log|log file][ to the case| afterwards|]",),
}
CONFIRM_DETAILS = (
    ("whether the issue started [right after|after|with] {trigger}", "confirm when it started"),
    ("the exact Cloudera Manager version [you are running|on the cluster|in use]", "confirm the Cloudera Manager version"),
    ("whether anything changed in the {comp} configuration [last week|recently|before this started]", "confirm any recent configuration changes"),
    ("how many [users|jobs|queries|applications] are affected", "confirm how many are affected"),
    ("whether {key} was [changed from its default|ever changed|set by hand]", "confirm whether {key} was changed"),
    ("whether [it happens on every host|every host is affected|all hosts show it] or only on {host}", "confirm which hosts are affected"),
    ("the time of the last occurrence[ so I can line it up with the logs| in UTC|]", "confirm when it last happened"),
)
V_NEXT = (
    "[I'll|I will] [review|go through|analyse] the [data|new files|results|output] [on {topic}|for {case}|] [and get back to you|and update the case|once it arrives][ with my findings| with next steps|].",
    "[I am|I'm] [discussing|reviewing|sharing] this with our {comp} [specialists|backline team|experts] and [will|'ll] update the case[ with what they say| once I hear back|].",
    "[I'll|I will|Meanwhile I'll] [continue|keep going with|carry on with|push on with] the [analysis|investigation|review] [of {topic}|of {the_np}|] on my side[ in parallel| in the meantime|].",
    "[I'll|I will] [follow up|come back to you|write again|update {case}] [once|as soon as|when] I hear back from [engineering|the {comp} team|our backline|the developers][ on {topic}| about {the_np}|].",
)
V_COURTESY = (
    "[Let me know|Tell me|Just let me know|Drop me a note] if [you have any questions|anything is unclear|you would like to go through it together|you need anything else|something does not match] [about {topic}|on {case}|][ along the way| as you go|].",
    "[Happy|Glad|Always happy] to [help further|assist further|help more|dig deeper] [with {topic}|on {case}|] if [needed|anything comes up|you run into anything|questions come up|it comes back][ later on| during the change|].",
    "[Hope|I hope|I trust] this helps [with {topic}|on {case}|to move {case} forward|][ - I'm around if anything is unclear| and makes sense| as a next step| for now|].",
    "[Feel free to|Do|Please feel free to] [reach out|get in touch|write back|reply here] if [anything|something] [about {topic}|in my note|in the plan|] [is unclear|does not add up|needs more detail|looks off|raises questions].",
)

# Non-technical vendor comments: (openers, asks as (text, summary), closings, summary of the kind)
V_NONTECH = {
    "checkin": (
        ("[Just checking in|Checking in|A quick check-in|Checking back] on {case} - did you get a chance to [review|look at|try|go through] my last [update|suggestion|note|message][ from {day}|]?",
         "[I wanted to|Just a note to|Writing to|A short message to] follow up on my [previous|last|earlier] [note|message|update] [on {case}|about the {topic}|][ from {day}| from last week|].",
         "[Following up|Checking back|Touching base|Circling back] on {case} to see how things are [going|looking|progressing] on your side[| since my last note|]."),
        (("[Please|Could you] let me know if [the issue|the question|{case}] is [resolved|settled|done] so that we can close [it|the case].", "asks whether the case can be closed"),
         ("[Could|Can] you confirm whether we can close {case}[| or if anything is still open|]?", "asks whether the case can be closed"),
         ("[Please|Kindly] confirm whether you still need [assistance|help|support] [on {case}|with the {topic}|on this][ from our side|].", "asks whether help is still needed")),
        ("[I'll|I will] check back [again|] in a [couple of|few] days[ if I do not hear from you| on {case}|].",
         "No action is needed from [you|your side|your team] if everything is [working|fine|settled][| since the last change|].",
         "[I'll|I will] keep an eye on [{case}|the case][ in the meantime| until then| over the next days|]."),
        "follows up on the case",
    ),
    "schedule": (
        ("[As discussed|As agreed|As promised|Following your request], let's [walk through|go over|review] {case} together on a call.",
         "To move [this|{case}] forward, I [have set up|set up|booked] a [session|call|working session][ with you and your {team}| with the team|].",
         "[Thanks for|Thank you for] agreeing to a call [on {case}|about the {topic}|][ - it will save us a few emails|]."),
        (("[Please|Could you] confirm that [this time|the slot|the proposed time] works for you[ and your team|]?", "asks the customer to confirm the time"),
         ("[Could|Can] you confirm who from your [team|side] will join[ the call| the session|]?", "asks who will attend")),
        ("[Looking forward to|Talk to you] [speaking with you|then|on the call][ about {case}|].", "[The details are below|Details below|The dial-in is below][ for reference|].",
         "[If the time does not suit you|If something comes up|If you need another slot], [reply here|just reply|let me know] and [I'll|I will] [move it|find another slot|reschedule]."),
        "schedules a call to review the case",
    ),
    "closure": (
        ("As I [haven't|have not] heard back [in {n} days|for a while|since {day}], I'll [archive|close] {case} at the end of the [week|day][ unless you object|].",
         "[Since|As] [the issue|the question|{case}] has been [resolved|settled|confirmed fixed], I am going to close [it|the case] [|this afternoon].",
         "[We haven't|We have not] received a reply [for a while|since {day}|in {n} days], so {case} will be closed automatically in [48 hours|two days|three days]."),
        (("[Please|Could you] confirm if we can [proceed with closing|close|archive] [it|{case}]?", "asks the customer to confirm"),),
        ("[Replying to|Answering] this [message|note|email] will reopen [it|{case}][ at any time| automatically|].",
         "You can [always|of course|at any time] open a new case if anything [comes up|changes|comes back][ later| after {case}|].",
         "[It was|It has been] a pleasure [working with you|helping you|working on this] [on {case}|with your team|][ - all the best|]."),
        "plans to close the case",
    ),
    "handoff": (
        ("[I am|I'm] taking over {case} from my colleague {eng2}, who is [out of office|away|on leave|travelling] [|for a while|until {day}].",
         "[Quick note|A short note|Just so you know]: {eng2} has [handed {case} to me|asked me to take over {case}|moved to another team, so I own {case} now]."),
        (("[Please|Could you] confirm the best contact for [updates|calls|questions] on your side[ going forward|]?", "asks for the best contact on the customer side"),
         ("[Can|Could] you confirm your preferred hours for [calls|updates|a quick sync]?", "asks for the customer's preferred hours")),
        ("[I'll|I will] [continue|carry on|pick up] from where {eng2} left off[ on {case}| with the {topic}|].",
         "Nothing changes on your side[ - the case history stays as it is| for {case}| apart from the name on the case|].",
         "[I have|I've] [read|gone through] the [case history|notes on {case}|history of {case}], so [there is|there's] no need to repeat anything[ for me|]."),
        "takes over the case from a colleague",
    ),
    "thanks": (
        ("[Thanks|Thank you] for confirming that [everything is working again|the {topic} is settled|{case} is resolved][ on your side|].",
         "[Great|Good|Glad] to hear that [the problem is gone|{case} is settled|the {topic} is sorted][ at last|].",
         "[Thank you|Thanks] for the update [on {case}|on the {topic}|], glad things are [stable|calm|back to normal] now."),
        (("[Please|Could you] confirm we can close [the case|{case}]?", "asks to confirm closure"),),
        ("[I'll|I will] keep [the case|{case}] open for a few more days [just in case|to be safe|in case it comes back].",
         "It was a pleasure working with you [on this|on {case}|and your team][ - take care| - all the best|].",
         "[If anything changes|Should anything come back], [a reply here|replying here|a quick note here] [reopens the case|is all it takes|brings me back in]."),
        "thanks the customer for confirming the resolution",
    ),
    "waiting": (
        ("[I am|I'm] still [waiting to hear back|waiting for an answer] from our [engineering|development|product] team [on {case}|] and will [update you|write] as soon as I have news.",
         "Engineering is still [reviewing|looking at|analysing] [{case}|this|the {topic}]; I'll share their feedback as soon as I [get it|have it|hear back].",
         "No news yet from the [development|engineering|product] team [on {case}|], but I [have|'ve] asked them for an [estimate|update|timeline][| again today|]."),
        (("In the meantime, [please|could you] confirm that the situation has not changed on your side[ for {case}|]?", "asks the customer to confirm nothing has changed"),),
        ("[I'll|I will] update [you|{case}] again as soon as I have [more|news|something concrete][ from the team| from engineering|].",
         "[Thanks|Thank you|Many thanks] for bearing with us[ on {case}| on this| while we work on it|].",
         "[I have|I've] [flagged|highlighted|raised] [the case|{case}] [to|with] the team lead[ as well| to speed things up|]."),
        "is waiting for engineering feedback",
    ),
    "coverage": (
        ("[I am|I'm] based in {region}, so I [have|'ve] asked my colleague in your time zone to follow {case} [overnight|outside my hours|during your night].",
         "[Since|As] you need coverage [over the weekend|out of hours|around the clock], {case} [has been handed|is now handed|is now shared] to our follow-the-sun team."),
        (("[Please|Could you] confirm the phone number we should use [out of hours|at night|over the weekend][ for {case}|]?", "asks for an out-of-hours phone number"),),
        ("You'll hear from [them|my colleague|the team] [directly|on {case}|by phone][ if anything changes| overnight|].",
         "[The case|{case}] stays with me during my working hours[ in {region}| as before|].",
         "[They have|They've|My colleague has] [all the context|the full history|everything they need] from the [case notes|notes on {case}|case history]."),
        "arranges round-the-clock coverage for the case",
    ),
}
V_MEETING_INTRO = (
    "[I have|I've] [scheduled|booked|set up] a {provider} session for {when_meeting} to go through this together.",
    "Here are the details for our {provider} call on {when_meeting}:",
    "[Meeting invite|Invite|Call details] for {when_meeting} ({provider}):",
    "Our session is set for {when_meeting}; the {provider} details are below.",
)

# =============================================================================== SDS judge texts
GOOD_JUSTIFICATIONS = (
    "[All answers are|Every answer is] consistent with the comment and the summary is [accurate|faithful].",
    "The answers match the comment; the summary keeps the key facts and [drops|leaves out] meeting details.",
    "Every flag is supported by the text and the summary is [concise|complete].",
    "Correct flags and scores; the summary names the [product|component], the problem and the request.",
    "[Accurate|Correct] answers throughout, with a faithful summary.",
    "The labels follow the comment [closely|exactly] and the summary is complete.",
    "No errors found: links, requests and severity are all judged correctly.",
)
BAD_SUMMARIES = (
    "The comment is about a support case.", "The customer and the engineer discuss the issue.",
    "Meeting on Zoom, ID 912 3456 7890, passcode 482913.", "No summary available.", "A comment about the cluster.",
)
NONNUMBERS = ("maybe", "N/A", "unclear", "unknown", "high", "see above", "-", "not sure")
# What SDS writes when the judge call itself failed (app/services/evaluator_legacy_service.py).
EVALUATION_ERRORS = (
    "Error during evaluation",
    "Error generating model response: Request timed out after 120 seconds",
    "Error generating model response: ThrottlingException: Rate exceeded",
    "Error processing model response: Expecting ',' delimiter: line 1 column 58 (char 57)",
    "Failed to parse model response",
    "Error building evaluation prompt: 'NoneType' object has no attribute 'strip'",
)
UNSCORED_JUSTIFICATION = "The evaluated pair did not generate valid score and justification"
FAILED_PAIR_ERRORS = (
    "Error processing future result: Request timed out after 120 seconds",
    "Error processing future result: ValidationException: Input is too long for the requested model",
    "Error processing future result: Connection reset by peer",
    "Error processing future result: Model returned an empty response",
)
