"""Seeded demo data: SDS *evaluated* exports of synthetic support-case comments with teacher answers.

    python -m utils.demo_data [--out Data] [--seed 1234]   # writes VendorComments.json, CustomerComments.json
    python -m utils.demo_data --check                      # regenerate in memory, compare bytes, exit 1 if not equal
    python -m utils.demo_data --stats                      # label distributions, noise counts, near-duplicates

The files are committed; the generator reproduces them byte for byte (one `random.Random` per
comment type, seeded from a string, no clock, no set or hash ordering).

How a pair is made
  1. A latent record of answers is drawn first (technical?, severity, urgency, requests, links ...).
  2. The comment is rendered from that record: every answer follows from the text by construction,
     each label value has a handful of recognisable but varied phrasings, and nothing contradicts it.
  3. The summary (last answer) is built from the record - product, version, problem, the key ask -
     never copied from the comment and never holding meeting logistics or links.

Labelling rules the generator keeps
  * Apache JIRA link = 1 exactly when an `https://issues.apache.org/jira/browse/KEY-N` URL is in the
    text. A bare issue key ("HIVE-26012") without the URL is 0.
  * Vendor doc link = 1 exactly when a `docs.<vendor>.com` or `community.<vendor>.com` URL is present.
  * Other link = 1 exactly when any other http(s) URL is present. That includes the vendor's OWN
    tracker (`jira.<vendor>.com/browse/CDPD-...`), the vendor's support portal (`my.<vendor>.com`),
    meeting links (Zoom, Webex, Teams, Meet), GitHub, Stack Overflow, customer wikis, file shares,
    surveys and customer-side UIs. Dial-in numbers, meeting IDs, passcodes, e-mail addresses and bare
    issue keys are not links. No other URI scheme (hdfs://, jdbc:, ldaps://) is ever written.
  * technical = 0 comments name no product, component, version, error, log, setting or command.
  * severity: production down or data at risk -> 1; serious degradation and no workaround -> 2;
    partial impact -> 3; a question, cosmetic or no impact (said, or nothing said) -> 4.
    A vendor comment that proposes a workaround never has severity 2.
  * urgency: hours matter (go-live tonight, business halted) -> 1; today or tomorrow -> 2; this week or
    the next days -> 3; nothing said or "no rush" -> 4.
  * vendor: solution = a permanent fix stated declaratively ("the fix is ..."); workaround = a temporary
    measure ("as a workaround ..."); action request = an explicit ask to send, run, confirm or change
    something. Courtesy lines ("let me know if you have questions") and meeting invites are not asks.
  * customer: meeting request = an explicit ask for a call, session or screen share; hints ("maybe a
    call could help at some point") are 0. Priority change = the requested level S1..S4, 0 when none;
    the level asked never contradicts the impact described. Frustration is 0 exactly when there is no
    complaint, then 1 mildly annoyed, 2 clearly unhappy, 3 angry, 4 furious or threatening to leave.
  * bug = 1 when the comment says or suggests a product defect; citing an Apache JIRA as an
    improvement or background ("is the improvement in ... planned?") is not a bug.

Noise, so that every filter of the data step has work (counts are exact per file)
  * ~12% low teacher scores (0, 1-4.5, some exactly 4.9) carrying deliberately wrong answers;
  * ~2.5% exact duplicates of kept comments (some with whitespace or letter-case changes);
  * ~1.5% invalid answers under a high score (a missing line, `2. 7`, `4. maybe`, empty summary, cut off);
  * ~0.4% pairs without an evaluation or without a score;
  * a topic named "null"; a handful of `failed_pairs` per file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import random
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Sequence

from utils.io import write_json
from utils.tasks import format_answers, questions

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = 1234
SIZES = {"vendor": 5600, "customer": 3150}  # evaluated pairs per file, noise included
FILES = {"vendor": "VendorComments.json", "customer": "CustomerComments.json"}
JSON_INDENT = 1
NOISE = {"low": 0.12, "dup": 0.025, "invalid": 0.015, "noeval": 0.004}

# =============================================================================== people, places
ENGINEERS = [
    "Priya", "Tomasz", "Daniel", "Mei", "Rahul", "Sofia", "Ahmed", "Laura", "Kenji", "Olga", "Marco",
    "Aisha", "Ben", "Chloe", "Diego", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Karthik",
    "Lena", "Mateo", "Nadia", "Oscar", "Pavel", "Quinn", "Rosa", "Sanjay", "Tara", "Umar", "Vera",
    "Wei", "Xavier", "Yuki", "Zoltan", "Anika", "Bruno", "Carmen", "Deepak", "Eva", "Gustavo",
]
CUSTOMERS = [
    "Alex", "Brian", "Catherine", "David", "Emily", "Frank", "Gabriela", "Hannah", "Ivan", "Julia",
    "Kevin", "Linda", "Michael", "Nina", "Owen", "Patricia", "Raj", "Sarah", "Thomas", "Uma", "Victor",
    "Wendy", "Yusuf", "Zara", "Amit", "Beatriz", "Chen", "Dmitri", "Erik", "Fatima", "George", "Helga",
    "Igor", "Jasmine", "Kofi", "Lucia", "Mohammed", "Naomi", "Pedro", "Rebecca", "Stefan", "Tanya",
    "Vikram", "Xin", "Yara", "Adebayo", "Bianca", "Conor", "Dana", "Elif", "Felix", "Ingrid", "Jorge",
    "Kim", "Leon", "Marta", "Nikhil", "Paula", "Ravi", "Simone",
]
SURNAMES = [
    "Schmidt", "Kowalski", "Nguyen", "Garcia", "Okafor", "Iyer", "Rossi", "Tanaka", "Novak", "Silva",
    "Murphy", "Haddad", "Jensen", "Fischer", "Kaur", "Moreau", "Lindqvist", "Papadopoulos", "Costa",
    "Yilmaz", "Bauer", "Chowdhury", "Dubois", "Ivanova", "Larsen", "Mendes", "Park", "Reyes", "Sato",
]
COMPANIES = [
    "Bluestone Bank", "Meridian Health", "Orbital Logistics", "Tarragon Retail", "Helix Insurance",
    "Quarry Energy", "Northgate Telecom", "Saffron Foods", "Vantage Airlines", "Ironwood Mining",
    "Cobalt Payments", "Lakeshore Utilities", "Pinecrest University", "Summit Pharma", "Arcadia Media",
    "Redwood Capital", "Granite Manufacturing", "Harbor Freight Lines", "Silverline Rail", "Evergreen Grocers",
    "Polaris Securities", "Crescent Hotels", "Beacon Mutual", "Falcon Automotive", "Juniper Government Services",
    "Maple Leaf Credit Union", "Obsidian Gaming", "Riverbend Hospital", "Starling Satellite", "Topaz Chemicals",
    "Willow Insurance Group", "Zephyr Wind Power", "Anchorline Shipping", "Kestrel Defence", "Lumen Analytics",
]
TIMEZONES = ["PT", "ET", "CT", "CET", "GMT", "IST", "SGT", "AEST", "JST", "BST"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "tomorrow", "today"]
DBS = ["sales", "finance", "risk", "marketing", "ops", "hr_analytics", "claims", "billing", "iot", "crm",
       "fraud", "supply", "dwh", "edw", "staging", "raw", "curated", "reporting"]
TABLES = ["orders", "transactions", "customers", "events", "sessions", "payments", "claims_daily",
          "inventory", "shipments", "clickstream", "ledger", "positions", "sensor_readings", "accounts",
          "policies", "invoices", "call_records", "web_logs", "audit_trail", "fx_rates"]
KTOPICS = ["payments.events", "orders-v2", "clickstream", "audit-log", "iot.telemetry", "cdc.accounts",
           "fraud-scores", "app-logs", "trades", "notifications"]
QUEUES = ["etl", "adhoc", "reporting", "default", "batch", "streaming", "bi", "datascience", "finance", "ops"]
USERS = ["svc_etl", "svc_bi", "hive", "jdoe", "asmith", "svc_ingest", "analyst01", "svc_spark",
         "dataeng", "svc_nifi", "mlops", "kpatel", "svc_report", "rlee"]
ORDINALS = ["second", "third", "fourth", "fifth"]

# Platforms: the release a comment is about, and what a fix ships in.
PLATFORMS = [
    dict(long="CDP Private Cloud Base 7.1.7 SP2", short="CDP 7.1.7 SP2", alts=["7.1.7 SP2", "CDP PvC Base 7.1.7 SP2"],
         family="cdp", rt="7.1.7.2000-305", cm="7.6.7", next="CDP 7.1.9 SP1", docver="7.1.7", w=14),
    dict(long="CDP Private Cloud Base 7.1.7 SP3", short="CDP 7.1.7 SP3", alts=["7.1.7 SP3", "CDP 7.1.7.3000"],
         family="cdp", rt="7.1.7.3000-110", cm="7.11.3", next="CDP 7.1.9 SP1", docver="7.1.7", w=6),
    dict(long="CDP Private Cloud Base 7.1.8", short="CDP 7.1.8", alts=["7.1.8", "Runtime 7.1.8"],
         family="cdp", rt="7.1.8.0-801", cm="7.7.1", next="CDP 7.1.9 SP1", docver="7.1.8", w=10),
    dict(long="CDP Private Cloud Base 7.1.9", short="CDP 7.1.9", alts=["7.1.9", "CDP PvC Base 7.1.9", "Runtime 7.1.9"],
         family="cdp", rt="7.1.9.0-387", cm="7.11.3", next="CDP 7.1.9 SP1", docver="7.1.9", w=22),
    dict(long="CDP Private Cloud Base 7.1.9 SP1", short="CDP 7.1.9 SP1", alts=["7.1.9 SP1", "7.1.9.1000"],
         family="cdp", rt="7.1.9.1000-103", cm="7.11.3", next="CDP 7.3.1", docver="7.1.9", w=14),
    dict(long="CDP Private Cloud Base 7.3.1", short="CDP 7.3.1", alts=["7.3.1", "Runtime 7.3.1", "CDP PvC Base 7.3.1"],
         family="cdp", rt="7.3.1.0-197", cm="7.13.1", next="the latest 7.3.1 cumulative hotfix", docver="7.3.1", w=14),
    dict(long="CDH 6.3.4", short="CDH 6.3.4", alts=["CDH 6.3.4", "CDH6"], family="cdh6", rt="6.3.4",
         cm="6.3.1", next="CDP 7.1.9 SP1", docver="7.1.9", w=12),
    dict(long="CDH 5.16.2", short="CDH 5.16.2", alts=["CDH 5.16.2", "CDH5"], family="cdh5", rt="5.16.2",
         cm="5.16.2", next="CDP 7.1.9 SP1", docver="7.1.9", w=5),
]


def _p(pid, comp, np_, sym, obs, err, err_short, cause, cause_s, fix, wa, bug, cfg, logs, cmd):
    """One problem of a product: the facts every rendering and summary is built from."""
    return dict(id=pid, comp=comp, np=np_, sym=sym, obs=obs, err=err, err_short=err_short, cause=cause,
                cause_s=cause_s, fix=fix, wa=wa, bug=bug, cfg=cfg, logs=logs, cmd=cmd)


# Placeholders inside catalog text are filled per comment: {host} {host2} {n} {n2} {n3} {pct} {gb}
# {gb2} {gb3} {mb} {mb2} {sec} {ms} {app} {appnum} {cid} {qid} {db} {table} {topic} {ts} {user}
# {queue} {queue2} {part} {pid} {txn} {txn2} {realm} {domain} {build} {letter}
PRODUCTS: list[dict[str, Any]] = [
    dict(
        key="hdfs", name="HDFS", jira="HDFS", jira_range=(13000, 17400), repo="hadoop", families=("cdp", "cdh6", "cdh5"),
        base={"cdp": "3.1.1", "cdh6": "3.0.0", "cdh5": "2.6.0"}, vname="Hadoop", host="nn", expert="HDFS", w=11,
        topic="HDFS NameNode and DataNode issues",
        docs=("hdfs-overview", ["hdfs-namenode-ha", "hdfs-handler-count-tuning", "hdfs-datanode-volume-failure",
                                "hdfs-safe-mode", "hdfs-fsck-corrupt-blocks"]),
        community=["NameNode-failover-keeps-happening-after-GC-pause", "DataNode-shuts-down-on-failed-volume",
                   "HDFS-stuck-in-safe-mode-after-restart", "Slow-NameNode-RPC-with-many-clients"],
        problems=[
            _p("nn_failover", "NameNode", "repeated NameNode failovers",
               ["the NameNodes keep failing over every {n} minutes", "the active NameNode flips to standby several times a day",
                "HDFS clients get StandbyException errors whenever the NameNodes switch roles"],
               ["the ZKFC on {host} declares the active NameNode unhealthy right after long GC pauses",
                "every failover lines up with a full GC pause of about {sec} seconds on the active NameNode"],
               [["{ts} WARN org.apache.hadoop.ha.HealthMonitor: Transport-level exception trying to monitor health of NameNode at {host}:8022: java.net.SocketTimeoutException: {ms} millis timeout while waiting for channel to be ready for read",
                 "{ts} INFO org.apache.hadoop.ha.ZKFailoverController: Local service NameNode at {host}:8022 entered state: SERVICE_NOT_RESPONDING"],
                ["org.apache.hadoop.ha.ServiceFailedException: Unable to become active. Service became unhealthy while trying to failover.",
                 "\tat org.apache.hadoop.ha.ZKFailoverController.doGracefulFailover(ZKFailoverController.java:713)",
                 "\tat org.apache.hadoop.ha.ZKFailoverController.access$400(ZKFailoverController.java:62)",
                 "\tat org.apache.hadoop.ha.ZKFailoverController$3.run(ZKFailoverController.java:626)"]],
               "ServiceFailedException", "the NameNode heap is too small for the namespace, so long GC pauses make the ZKFC health check time out",
               "long GC pauses on the active NameNode",
               [("raising the NameNode Java heap to {gb} GB and setting ha.health-monitor.rpc-timeout.ms to 90000", "a larger NameNode heap and a longer ZKFC health-check timeout")],
               [("moving the metadata-heavy jobs outside business hours until the heap is increased", "moving metadata-heavy jobs off-peak"),
                ("temporarily raising ha.health-monitor.rpc-timeout.ms so short pauses stop triggering a failover", "a temporarily longer health-check timeout")],
               "the ZKFC can fence an active NameNode that is only paused in GC",
               [("ha.health-monitor.rpc-timeout.ms", "45000", "90000"), ("dfs.ha.automatic-failover.enabled", "true", "true")],
               ["NameNode logs", "ZKFC logs", "NameNode GC logs"],
               ["hdfs haadmin -getAllServiceState", "grep -i 'Detected pause' /var/log/hadoop-hdfs/*NAMENODE*.log*"]),
            _p("nn_rpc", "NameNode", "slow NameNode RPC response times",
               ["hdfs dfs -ls takes {sec} seconds or more on busy directories",
                "HDFS operations have become very slow and the NameNode RPC queue time is in the seconds",
                "Hive and Spark jobs spend most of their time waiting on NameNode calls"],
               ["the RPC queue time on port 8020 regularly exceeds {n}000 ms while only a few handler threads are configured",
                "most NameNode handler threads are busy serving getListing calls from user {user}"],
               [["{ts} WARN org.apache.hadoop.ipc.Server: IPC Server handler {n} on 8020, call Call#{txn} Retry#0 org.apache.hadoop.hdfs.protocol.ClientProtocol.getListing from {host2}:{pid}: output error",
                 "{ts} INFO org.apache.hadoop.ipc.Server: IPC Server handler {n2} on 8020 caught an exception",
                 "java.nio.channels.ClosedChannelException",
                 "\tat sun.nio.ch.SocketChannelImpl.ensureWriteOpen(SocketChannelImpl.java:270)",
                 "\tat org.apache.hadoop.ipc.Server.channelWrite(Server.java:3614)"]],
               "high RPC queue time", "the NameNode has too few RPC handler threads for the number of clients, and DataNode traffic competes with client calls on the same port",
               "too few NameNode RPC handlers",
               [("raising dfs.namenode.handler.count to 200 and adding a separate service RPC port for DataNode traffic", "more NameNode RPC handlers and a dedicated service RPC port")],
               [("throttling the recursive listing job run by {user} until the handler change is deployed", "throttling the heavy listing job")],
               "the NameNode holds its global lock too long during large getListing calls",
               [("dfs.namenode.handler.count", "30", "200"), ("dfs.namenode.service.handler.count", "10", "100")],
               ["NameNode logs", "NameNode JMX metrics", "hdfs-audit.log"],
               ["hdfs dfsadmin -report", "grep -c getListing /var/log/hadoop-hdfs/hdfs-audit.log"]),
            _p("dn_volume", "DataNode", "DataNode disk volume failures",
               ["DataNodes keep shutting down after a disk failure on {host}", "one DataNode reports a failed volume and stops serving blocks",
                "we see failed volumes on {n} DataNodes and the under-replicated block count keeps growing"],
               ["the DataNode on {host} shuts down because one volume failed while dfs.datanode.failed.volumes.tolerated is 0",
                "the disk mounted at /data/{n} on {host} is returning I/O errors"],
               [["{ts} ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: Exception in secureMain",
                 "org.apache.hadoop.util.DiskChecker$DiskErrorException: Too many failed volumes - current valid volumes: {n2}, volumes configured: {n3}, volumes failed: 1, volume failures tolerated: 0",
                 "\tat org.apache.hadoop.hdfs.server.datanode.fsdataset.impl.FsDatasetImpl.<init>(FsDatasetImpl.java:304)",
                 "\tat org.apache.hadoop.hdfs.server.datanode.DataNode.initStorage(DataNode.java:1801)"]],
               "DiskErrorException", "a physical disk on the host is failing and the DataNode is set to tolerate no failed volumes",
               "a failing disk with no tolerated volume failures",
               [("replacing the failed disk on {host} and then restarting the DataNode", "replacing the failed disk")],
               [("setting dfs.datanode.failed.volumes.tolerated to 1 so the DataNode keeps running on the remaining disks", "tolerating one failed volume")],
               "the DataNode does not release a failed volume after it has been hot-swapped",
               [("dfs.datanode.failed.volumes.tolerated", "0", "1")],
               ["DataNode logs", "dmesg output", "/var/log/messages"],
               ["hdfs dfsadmin -report -dead", "smartctl -a /dev/sd{letter}"]),
            _p("safemode", "NameNode", "the NameNode staying in safe mode after a restart",
               ["the NameNode has been in safe mode for over {n} minutes after the restart",
                "writes fail because the NameNode never leaves safe mode",
                "after the maintenance restart HDFS is read-only and reports that the NameNode is in safe mode"],
               ["the NameNode is still waiting for block reports because {n} DataNodes have not registered",
                "the reported block ratio is stuck below the 0.999 safe mode threshold"],
               [["org.apache.hadoop.hdfs.server.namenode.SafeModeException: Cannot create file/user/{user}/.staging/_tmp. Name node is in safe mode.",
                 "The reported blocks {txn} needs additional {txn2} blocks to reach the threshold 0.9990 of total blocks {txn}.",
                 "\tat org.apache.hadoop.hdfs.server.namenode.FSNamesystem.checkNameNodeSafeMode(FSNamesystem.java:1419)",
                 "\tat org.apache.hadoop.hdfs.server.namenode.FSNamesystem.startFileInt(FSNamesystem.java:2452)"]],
               "SafeModeException", "several DataNodes did not register after the restart, so the NameNode cannot reach its block threshold",
               "DataNodes not reporting their blocks",
               [("bringing the missing DataNodes back online so that they send full block reports", "restoring the missing DataNodes")],
               [("leaving safe mode manually with hdfs dfsadmin -safemode leave once the missing blocks are confirmed to be extra replicas", "leaving safe mode manually after checking the missing blocks")],
               "the NameNode miscounts blocks of files under construction during startup",
               [("dfs.namenode.safemode.threshold-pct", "0.999", "0.999"), ("dfs.namenode.safemode.extension", "30000", "30000")],
               ["NameNode logs", "DataNode logs from the missing nodes"],
               ["hdfs dfsadmin -safemode get", "hdfs fsck / -list-corruptfileblocks"]),
        ]),
    dict(
        key="yarn", name="YARN", jira="YARN", jira_range=(9000, 11800), repo="hadoop", families=("cdp", "cdh6", "cdh5"),
        base={"cdp": "3.1.1", "cdh6": "3.0.0", "cdh5": "2.6.0"}, vname="Hadoop", host="rm", expert="YARN", w=9,
        topic="YARN ResourceManager and scheduling",
        docs=("yarn-allocate-resources", ["yarn-capacity-scheduler", "yarn-am-resource-limit", "yarn-nodemanager-local-dirs",
                                          "yarn-container-memory", "yarn-rm-heap-sizing"]),
        community=["Applications-stuck-in-ACCEPTED-state", "NodeManager-unhealthy-local-dirs-are-bad",
                   "ResourceManager-OOM-GC-overhead-limit", "Container-killed-running-beyond-physical-memory"],
        problems=[
            _p("rm_oom", "ResourceManager", "ResourceManager crashes with OutOfMemoryError",
               ["the ResourceManager crashes with an OutOfMemoryError every few days",
                "the active ResourceManager dies and fails over to the standby, losing running applications",
                "the YARN ResourceManager UI stops responding and then the process exits"],
               ["the ResourceManager heap is filled by the state of {n}000 completed applications kept in memory",
                "the heap dump shows most memory held by RMAppImpl objects of finished applications"],
               [["{ts} FATAL org.apache.hadoop.yarn.server.resourcemanager.ResourceManager: Error in handling event type APP_COMPLETED to the Event Dispatcher",
                 "java.lang.OutOfMemoryError: GC overhead limit exceeded",
                 "\tat java.util.HashMap.resize(HashMap.java:704)",
                 "\tat org.apache.hadoop.yarn.server.resourcemanager.RMAppManager.addToCompletedApps(RMAppManager.java:196)",
                 "\tat org.apache.hadoop.yarn.server.resourcemanager.RMAppManager.finishApplication(RMAppManager.java:242)"]],
               "OutOfMemoryError", "the ResourceManager keeps too many completed applications in memory for its heap size",
               "too many completed applications in the ResourceManager heap",
               [("lowering yarn.resourcemanager.max-completed-applications to 1000 and raising the ResourceManager heap to {gb} GB", "keeping fewer completed applications and a larger ResourceManager heap")],
               [("restarting the ResourceManager in a quiet period once a week until the change is made", "weekly ResourceManager restarts")],
               "the ResourceManager leaks application attempt objects after a failover",
               [("yarn.resourcemanager.max-completed-applications", "10000", "1000")],
               ["ResourceManager logs", "ResourceManager heap dump", "ResourceManager GC logs"],
               ["yarn rmadmin -getAllServiceState", "jmap -histo:live {pid} | head -40"]),
            _p("am_limit", "Capacity Scheduler", "applications stuck in ACCEPTED state",
               ["jobs in the {queue} queue sit in ACCEPTED state for hours", "new applications are accepted but never start running",
                "only {n} applications run in the {queue} queue while the rest wait in ACCEPTED"],
               ["the {queue} queue has reached its ApplicationMaster resource limit, so new applications cannot start their AM containers",
                "the scheduler diagnostics of {app} say that the queue's AM resource limit is exceeded"],
               [["Application is added to the scheduler and is not yet activated. Queue's AM resource limit exceeded. Details : AM Partition = <DEFAULT_PARTITION>; AM Resource Request = <memory:{mb}, vCores:1>; Queue Resource Limit for AM = <memory:{mb2}, vCores:{n}>; User AM Resource Limit of the queue = <memory:{mb2}, vCores:{n}>; Queue AM Resource Usage = <memory:{mb2}, vCores:{n}>;"]],
               "AM resource limit exceeded", "the queue's maximum-am-resource-percent is too low for the number of small applications it runs",
               "a low ApplicationMaster resource limit on the queue",
               [("raising yarn.scheduler.capacity.root.{queue}.maximum-am-resource-percent to 0.3", "a higher AM resource limit on the queue")],
               [("moving part of the workload to the {queue2} queue for now", "moving jobs to another queue"),
                ("killing the stale applications in ACCEPTED state to free AM capacity", "killing stale applications")],
               "the scheduler does not release the AM resource usage of killed applications",
               [("yarn.scheduler.capacity.maximum-am-resource-percent", "0.1", "0.3")],
               ["ResourceManager logs", "capacity-scheduler.xml"],
               ["yarn application -list -appStates ACCEPTED", "yarn queue -status {queue}"]),
            _p("nm_unhealthy", "NodeManager", "NodeManagers marked unhealthy because of full local disks",
               ["{n} NodeManagers are marked UNHEALTHY and the cluster lost most of its capacity",
                "NodeManagers keep going unhealthy with a message about bad local-dirs",
                "YARN only shows {n2} active nodes out of {n3}"],
               ["the NodeManagers on {host} and {host2} report their local dirs above the 90% disk utilisation threshold",
                "the usercache directories have grown to several hundred GB on {host}"],
               [["{ts} WARN org.apache.hadoop.yarn.server.nodemanager.DirectoryCollection: Directory /data/{n}/yarn/nm error, used space above threshold of 90.0%, removing from list of valid directories",
                 "{ts} ERROR org.apache.hadoop.yarn.server.nodemanager.LocalDirsHandlerService: Most of the disks failed. 1/1 local-dirs usable space is below configured utilization percentage/no more usable space"]],
               "local-dirs are bad", "the YARN local directories are nearly full because the usercache is not cleaned up",
               "full YARN local directories",
               [("setting yarn.nodemanager.localizer.cache.target-size-mb to {mb} and moving the local dirs to the larger data disks", "a capped localizer cache and larger local dirs")],
               [("cleaning up the usercache directories on the affected hosts", "cleaning the usercache"),
                ("raising the NodeManager disk utilisation threshold to 95 percent for now", "a higher disk health threshold")],
               "the NodeManager does not delete localized resources of failed containers",
               [("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "90", "95")],
               ["NodeManager logs"],
               ["yarn node -list -all", "du -sh /data/*/yarn/nm/usercache"]),
            _p("container_killed", "NodeManager", "containers killed for exceeding physical memory",
               ["Spark and MapReduce jobs fail because containers are killed for using too much memory",
                "the nightly ETL fails because YARN kills containers for exceeding their memory",
                "about {pct}% of our tasks fail with 'running beyond physical memory limits'"],
               ["containers of {app} are killed because their off-heap usage pushes them past the container size",
                "the tasks request {mb} MB containers but the JVM plus its overhead uses more"],
               [["Container [pid={pid},containerID={cid}] is running beyond physical memory limits. Current usage: {gb}.1 GB of {gb} GB physical memory used; {gb2}.4 GB of {gb3} GB virtual memory used. Killing container."]],
               "running beyond physical memory limits", "the container size leaves no room for the JVM's off-heap memory",
               "containers too small for the JVM overhead",
               [("raising mapreduce.map.memory.mb to {mb} and keeping the Java heap at about 80% of the container", "larger containers with the heap at 80% of the container"),
                ("setting spark.executor.memoryOverhead to at least {mb} MB for these jobs", "a larger Spark executor memory overhead")],
               [("rerunning the failed jobs with fewer cores per executor", "running with fewer cores per executor")],
               "the NodeManager counts shared memory pages twice when it measures container usage",
               [("mapreduce.map.memory.mb", "2048", "4096"), ("spark.executor.memoryOverhead", "384", "2048")],
               ["application logs", "NodeManager logs"],
               ["yarn logs -applicationId {app} > {app}.log"]),
        ]),
    dict(
        key="hive", name="Hive", jira="HIVE", jira_range=(20000, 28400), repo="hive", families=("cdp", "cdh6", "cdh5"),
        base={"cdp": "3.1.3000", "cdh6": "2.1.1", "cdh5": "1.1.0"}, vname="Hive", host="hs2-", expert="Hive", w=13,
        topic="Hive, HiveServer2 and Metastore",
        docs=("hive-performance-tuning", ["hive-hs2-heap-sizing", "hive-metastore-tuning", "hive-acid-compaction",
                                          "hive-map-join-tuning", "hive-tez-container-size"]),
        community=["HiveServer2-OutOfMemoryError-with-many-sessions", "Hive-Metastore-read-timed-out",
                   "Compaction-not-running-on-ACID-tables", "Tez-vertex-failed-map-join-OOM"],
        problems=[
            _p("hs2_oom", "HiveServer2", "HiveServer2 running out of heap under concurrent load",
               ["HiveServer2 crashes with Java heap space errors when more than {n} users run queries",
                "HiveServer2 stops responding every afternoon and we have to restart it",
                "Beeline sessions hang and then HiveServer2 goes down with an OutOfMemoryError"],
               ["the HiveServer2 heap is exhausted by {n}0 concurrent sessions each holding large result sets",
                "the heap histogram shows most memory held by result buffers of open operations"],
               [["{ts} ERROR org.apache.hive.service.cli.thrift.ThriftCLIService: Error fetching results:",
                 "java.lang.OutOfMemoryError: Java heap space",
                 "\tat java.util.Arrays.copyOf(Arrays.java:3332)",
                 "\tat org.apache.hive.service.cli.operation.SQLOperation.getNextRowSet(SQLOperation.java:468)",
                 "\tat org.apache.hive.service.cli.operation.OperationManager.getOperationNextRowSet(OperationManager.java:323)",
                 "\tat org.apache.hive.service.cli.session.HiveSessionImpl.fetchResults(HiveSessionImpl.java:951)"]],
               "OutOfMemoryError: Java heap space", "HiveServer2 buffers large result sets in memory and its heap is sized for far fewer sessions",
               "an undersized HiveServer2 heap for the session count",
               [("raising the HiveServer2 heap to {gb} GB and capping hive.server2.thrift.max.worker.threads at 500", "a larger HiveServer2 heap and a cap on worker threads"),
                ("adding a second HiveServer2 instance behind the load balancer", "a second HiveServer2 instance")],
               [("limiting the BI tool to fetch at most 10,000 rows per query for now", "limiting rows fetched by the BI tool"),
                ("restarting HiveServer2 off-hours every day until the heap change is live", "daily HiveServer2 restarts")],
               "HiveServer2 does not release the result buffers of cancelled operations",
               [("hive.server2.thrift.max.worker.threads", "1000", "500"), ("hive.server2.idle.operation.timeout", "0", "7200000")],
               ["HiveServer2 logs", "HiveServer2 heap dump", "HiveServer2 GC logs"],
               ["jstack {pid} > hs2_jstack.txt", "jmap -histo:live {pid} > hs2_histo.txt"]),
            _p("hms_timeout", "Hive Metastore", "Hive Metastore timeouts",
               ["queries fail at compile time with Metastore read timeouts",
                "SHOW PARTITIONS on large tables takes minutes and often times out",
                "Spark and Hive jobs randomly fail to talk to the Metastore"],
               ["Metastore calls for {db}.{table}, which has {n}0,000 partitions, take longer than the client socket timeout",
                "the backend database behind the Metastore is saturated during the nightly loads"],
               [["org.apache.thrift.transport.TTransportException: java.net.SocketTimeoutException: Read timed out",
                 "\tat org.apache.thrift.transport.TIOStreamTransport.read(TIOStreamTransport.java:129)",
                 "\tat org.apache.thrift.transport.TTransport.readAll(TTransport.java:86)",
                 "\tat org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore$Client.recv_get_partitions(ThriftHiveMetastore.java:3120)",
                 "\tat org.apache.hadoop.hive.metastore.HiveMetaStoreClient.listPartitions(HiveMetaStoreClient.java:1498)"]],
               "SocketTimeoutException", "the Metastore database is overloaded by calls that fetch every partition of very large tables",
               "an overloaded Metastore database",
               [("raising the Metastore connection pool to 50 and adding the missing index on the PARTITIONS table in the backend database", "a larger connection pool and a new backend index")],
               [("raising hive.metastore.client.socket.timeout to 1800 seconds so the slow calls can complete", "a longer Metastore client timeout")],
               "the Metastore issues one backend query per partition when it lists partitions with a filter",
               [("hive.metastore.client.socket.timeout", "300", "1800"), ("datanucleus.connectionPool.maxPoolSize", "10", "50")],
               ["Hive Metastore logs", "slow query log of the backend database"],
               ["beeline -e 'SHOW PARTITIONS {db}.{table}' | wc -l"]),
            _p("compaction", "Hive", "ACID compaction not running",
               ["compaction has stopped on our ACID tables and queries on {db}.{table} get slower every day",
                "SHOW COMPACTIONS lists hundreds of entries stuck in initiated state",
                "the number of delta directories under {db}.{table} keeps growing"],
               ["compactions for {db}.{table} stay in 'initiated' because an open transaction from {n} days ago blocks the cleaner",
                "hive.compactor.worker.threads is 0 on every Metastore instance"],
               [["{ts} WARN org.apache.hadoop.hive.ql.txn.compactor.Initiator: Will not initiate compaction for {db}.{table} since last hive.compactor.initiator.failed.compacts.threshold attempts to compact it failed.",
                 "{ts} ERROR org.apache.hadoop.hive.ql.txn.compactor.Worker: Caught exception while trying to compact id:{txn}",
                 "java.io.IOException: Minor compaction failed"]],
               "too many delta directories", "a long-open transaction stops the cleaner from removing obsolete deltas, and no worker threads are configured",
               "a long-open transaction and no compactor worker threads",
               [("aborting transaction {txn} and setting hive.compactor.worker.threads to 4 on one Metastore instance", "aborting the stale transaction and enabling compactor workers")],
               [("running ALTER TABLE {db}.{table} COMPACT 'major' by hand during a quiet window", "a manual major compaction")],
               "the initiator skips tables whose earlier compaction failed even after the cause is fixed",
               [("hive.compactor.worker.threads", "0", "4"), ("hive.compactor.initiator.on", "false", "true")],
               ["Hive Metastore logs", "output of SHOW COMPACTIONS", "output of SHOW TRANSACTIONS"],
               ["hdfs dfs -count /warehouse/tablespace/managed/hive/{db}.db/{table}"]),
            _p("tez_vertex", "Hive on Tez", "Hive on Tez queries failing with vertex failures",
               ["a daily INSERT OVERWRITE query fails with 'Vertex failed' after about {n} minutes",
                "several Hive queries started failing with Tez vertex errors",
                "the reporting job fails in Map 1 with a Tez vertex failure"],
               ["the Map vertex fails because its tasks run out of memory while loading the map-join hash table",
                "the failing tasks try to load a {gb} GB dimension table into a map join"],
               [["Status: Failed",
                 "Vertex failed, vertexName=Map 1, vertexId=vertex_{appnum}_1_00, diagnostics=[Task failed, taskId=task_{appnum}_1_00_000{n}, diagnostics=[TaskAttempt 3 failed, info=[Error: Error while running task ( failure ) : java.lang.OutOfMemoryError: Java heap space",
                 "\tat org.apache.hadoop.hive.ql.exec.persistence.HashMapWrapper.put(HashMapWrapper.java:127)",
                 "\tat org.apache.hadoop.hive.ql.exec.MapJoinOperator.loadHashTable(MapJoinOperator.java:344)"]],
               "Vertex failed", "stale table statistics make the optimiser pick a map join whose hash table does not fit in the container",
               "stale statistics causing an oversized map join",
               [("computing fresh statistics on the dimension table and lowering hive.auto.convert.join.noconditionaltask.size below the container heap", "fresh statistics and a lower map-join threshold")],
               [("setting hive.auto.convert.join=false for this query", "disabling map-join conversion for the query"),
                ("raising hive.tez.container.size to {mb} for this job", "larger Tez containers for the job")],
               "the optimiser ignores the map-join size limit when one side of the join is a view",
               [("hive.tez.container.size", "4096", "8192"), ("hive.auto.convert.join.noconditionaltask.size", "3000000000", "1000000000")],
               ["application logs of the failed query", "HiveServer2 log for the query", "EXPLAIN output"],
               ["yarn logs -applicationId {app} > {app}.log"]),
        ]),
    dict(
        key="impala", name="Impala", jira="IMPALA", jira_range=(9000, 13200), repo="impala", families=("cdp", "cdh6", "cdh5"),
        base={"cdp": "4.0.0", "cdh6": "3.2.0", "cdh5": "2.12.0"}, vname="Impala", host="impalad", expert="Impala", w=10,
        topic="Impala query failures and performance",
        docs=("impala-manage", ["impala-admission-control", "impala-memory-limits", "impala-metadata-management",
                                "impala-local-catalog", "impala-compute-stats"]),
        community=["Impala-Memory-limit-exceeded-on-large-join", "Impala-does-not-see-new-partitions",
                   "catalogd-OutOfMemoryError-Requested-array-size", "Admission-for-query-exceeded-timeout"],
        problems=[
            _p("mem_limit", "Impala", "Impala queries failing with memory limit exceeded",
               ["several Impala queries fail with 'Memory limit exceeded'",
                "dashboards built on Impala error out with memory errors during the morning peak",
                "our largest join on {db}.{table} fails with a memory limit error"],
               ["the profile of query {qid} shows the hash join spilling and still exceeding the pool limit",
                "the admission pool sets a {gb} GB per-query limit that the join cannot fit in"],
               [["Memory limit exceeded: Failed to allocate row batch",
                 "EXCHANGE_NODE (id={n}) could not allocate {mb}.00 KB without exceeding limit.",
                 "Error occurred on backend {host}:27000 by fragment {qid}",
                 "Memory left in process limit: {gb}.{n2} GB",
                 "Query({qid}): Reservation={mb}.00 MB ReservationLimit={gb}.00 GB"]],
               "Memory limit exceeded", "the tables have no statistics, so the planner builds the hash table on the large side of the join",
               "missing table statistics and a bad join order",
               [("running COMPUTE STATS on {db}.{table} and the other joined tables", "computing table statistics")],
               [("setting MEM_LIMIT={gb}g for this query in the session", "a higher per-query memory limit"),
                ("adding a STRAIGHT_JOIN hint so the small table is built first", "a STRAIGHT_JOIN hint")],
               "the planner underestimates memory for joins on STRING columns with many NULLs",
               [("default_pool_max_requests", "20", "10"), ("max_query_mem_limit", "{gb}g", "{gb2}g")],
               ["query profile", "impalad logs from the coordinator"],
               ["impala-shell -i {host} -q 'SHOW TABLE STATS {db}.{table}'"]),
            _p("stale_metadata", "Impala catalog", "stale table metadata in Impala",
               ["Impala cannot see tables that were just created in Hive",
                "new partitions added by our Spark jobs do not show up in Impala",
                "Impala says 'Could not resolve table reference' for a table that exists in Hive"],
               ["the catalog server is not processing Metastore events, so changes from Hive and Spark never reach the Impala daemons",
                "hms_event_polling_interval_s is 0, which turns off automatic metadata sync"],
               [["AnalysisException: Could not resolve table reference: '{db}.{table}'"],
                ["{ts} ERROR MetastoreEventsProcessor: Unable to fetch the next batch of metastore events. Hive Metastore may be unavailable."]],
               "Could not resolve table reference", "automatic metadata synchronisation from the Metastore is switched off",
               "disabled automatic metadata sync",
               [("turning on event-based metadata sync by setting hms_event_polling_interval_s to 2 on the catalog server", "event-based metadata sync")],
               [("running INVALIDATE METADATA {db}.{table} after each load", "INVALIDATE METADATA after each load"),
                ("adding a REFRESH {db}.{table} step at the end of the Spark job", "a REFRESH step after each load")],
               "catalogd stops polling Metastore events after a Metastore failover",
               [("hms_event_polling_interval_s", "0", "2")],
               ["catalogd logs", "Hive Metastore logs"],
               ["impala-shell -q 'INVALIDATE METADATA {db}.{table}'"]),
            _p("catalogd_oom", "catalogd", "catalogd running out of memory",
               ["catalogd crashes with an OutOfMemoryError whenever we run INVALIDATE METADATA",
                "Impala queries hang because catalogd restarts several times a day",
                "the Impala catalog server grows past {gb} GB and then dies"],
               ["catalogd fails to serialise the catalog update for {db}, which holds {n}00,000 files",
                "the catalog topic update exceeds the 2 GB Java array limit"],
               [["{ts} ERROR org.apache.impala.catalog.CatalogServiceCatalog: Error serializing catalog update",
                 "java.lang.OutOfMemoryError: Requested array size exceeds VM limit",
                 "\tat java.util.Arrays.copyOf(Arrays.java:3236)",
                 "\tat org.apache.thrift.protocol.TBinaryProtocol.writeBinary(TBinaryProtocol.java:211)",
                 "\tat org.apache.impala.catalog.CatalogServiceCatalog.getCatalogDelta(CatalogServiceCatalog.java:962)"]],
               "OutOfMemoryError: Requested array size exceeds VM limit", "the legacy catalog mode sends full table metadata for tables with far too many small files",
               "the legacy catalog mode with many small files",
               [("switching to local catalog mode with --catalog_topic_mode=minimal and --use_local_catalog=true", "local catalog mode")],
               [("raising the catalogd heap to {gb} GB and compacting the small files of the largest tables", "a larger catalogd heap and fewer small files")],
               "catalogd keeps file metadata of dropped partitions in memory",
               [("catalog_topic_mode", "full", "minimal"), ("use_local_catalog", "false", "true")],
               ["catalogd logs", "catalogd heap histogram"],
               ["jmap -histo {pid} > catalogd_histo.txt"]),
            _p("admission", "Impala admission control", "Impala queries timing out in admission control",
               ["queries in the root.{queue} pool wait in the queue and then time out",
                "users see 'Admission for query exceeded timeout' in Hue",
                "Impala queues nearly every query during month-end processing"],
               ["the root.{queue} pool is limited to {gb} GB of aggregate memory, which a handful of large queries use up",
                "{n} queries were rejected after waiting the full queue_wait_timeout_ms"],
               [["Admission for query exceeded timeout 60000ms in pool root.{queue}. Queued reason: Not enough aggregate memory available in pool root.{queue} with max mem resources {gb}.00 GB. Needed {gb2}.00 GB but only {n}.00 GB was available."]],
               "Admission for query exceeded timeout", "the pool's memory limits are too tight for the concurrent workload",
               "tight admission-control pool limits",
               [("resizing the root.{queue} pool to {gb2} GB with a per-query maximum so large queries cannot starve it", "a resized pool with a per-query cap")],
               [("raising queue_wait_timeout_ms to 600000 so queued queries wait longer instead of failing", "a longer admission queue timeout")],
               "admission control does not release the memory reservation of cancelled queries",
               [("queue_wait_timeout_ms", "60000", "600000")],
               ["impalad logs from the coordinators", "profiles of the rejected queries"],
               ["impala-shell -i {host} -q 'SHOW TABLE STATS {db}.{table}'"]),
        ]),
    dict(
        key="spark", name="Spark", jira="SPARK", jira_range=(25000, 48900), repo="spark", families=("cdp", "cdh6"),
        base={"cdp": "2.4.8", "cdh6": "2.4.0"}, vname="Spark", host="edge", expert="Spark", w=10,
        topic="Spark jobs on YARN",
        docs=("running-spark-applications", ["spark-shuffle-tuning", "spark-driver-memory", "hive-warehouse-connector",
                                             "spark-dynamic-allocation", "spark-tuning-memory"]),
        community=["FetchFailedException-during-shuffle", "Spark-driver-OOM-on-collect",
                   "Spark-cannot-read-Hive-ACID-tables", "Spark-executors-lost-under-load"],
        problems=[
            _p("fetch_failed", "Spark", "Spark shuffle fetch failures",
               ["large Spark jobs fail in the shuffle stage with FetchFailedException",
                "stages keep retrying because executors cannot fetch shuffle blocks",
                "our nightly Spark aggregation fails after {n} stage retries"],
               ["executors lose their connection to the external shuffle service on {host} under heavy load",
                "the shuffle service on several NodeManagers hits its open file limit"],
               [["org.apache.spark.shuffle.FetchFailedException: Failed to connect to {host}/10.{n}.{n2}.{n3}:7337",
                 "\tat org.apache.spark.storage.ShuffleBlockFetcherIterator.throwFetchFailedException(ShuffleBlockFetcherIterator.scala:748)",
                 "\tat org.apache.spark.storage.ShuffleBlockFetcherIterator.next(ShuffleBlockFetcherIterator.scala:663)",
                 "Caused by: java.io.IOException: Connection reset by peer"]],
               "FetchFailedException", "the external shuffle service runs out of file handles when thousands of reducers connect at once",
               "the shuffle service running out of file handles",
               [("raising the NodeManager open-file limit to 65536 and setting spark.shuffle.io.maxRetries to 10", "a higher open-file limit and more shuffle retries")],
               [("lowering spark.sql.shuffle.partitions to {n}00 for this job", "fewer shuffle partitions for the job")],
               "the shuffle service does not close idle connections",
               [("spark.shuffle.io.maxRetries", "3", "10"), ("spark.network.timeout", "120s", "600s")],
               ["Spark driver log", "executor logs", "NodeManager logs"],
               ["yarn logs -applicationId {app} > {app}.log"]),
            _p("driver_oom", "Spark", "Spark driver out of memory",
               ["the Spark driver dies with OutOfMemoryError at the end of the job",
                "our PySpark job crashes in the driver when it collects the results",
                "the driver fails with 'Java heap space' on a broadcast join"],
               ["the driver collects {n} million rows before writing them out",
                "a {gb} GB table is broadcast because autoBroadcastJoinThreshold was raised"],
               [["Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space",
                 "\tat org.apache.spark.sql.execution.SparkPlan.executeCollect(SparkPlan.scala:390)",
                 "\tat org.apache.spark.sql.execution.exchange.BroadcastExchangeExec.relationFuture(BroadcastExchangeExec.scala:117)"]],
               "OutOfMemoryError in the driver", "the job pulls a very large result set or broadcast table into the driver",
               "large data pulled into the driver",
               [("writing the results from the executors instead of calling collect() and restoring spark.sql.autoBroadcastJoinThreshold to 10MB", "writing from executors and restoring the broadcast threshold")],
               [("raising spark.driver.memory to {gb}g for this job", "more driver memory")],
               "the driver keeps a copy of every broadcast after it is no longer used",
               [("spark.driver.memory", "4g", "{gb}g"), ("spark.sql.autoBroadcastJoinThreshold", "{mb}MB", "10MB")],
               ["Spark driver log", "spark-submit command line"],
               ["spark-submit --version"]),
            _p("hwc", "Hive Warehouse Connector", "Spark failing to read Hive managed tables",
               ["Spark jobs cannot read Hive ACID tables since the upgrade",
                "reading {db}.{table} from Spark returns no rows although Hive shows data",
                "Spark fails to read managed tables through the Hive Warehouse Connector"],
               ["the Spark session reads the managed table directly instead of through the Hive Warehouse Connector",
                "spark.sql.extensions does not include the HWC extension"],
               [["org.apache.spark.sql.AnalysisException: Spark has no access to table `{db}`.`{table}`. Clients can access this table only if they have the following capabilities: CONNECTORREAD,HIVEFULLACIDREAD",
                 "\tat org.apache.spark.sql.hive.HiveExternalCatalog.getTable(HiveExternalCatalog.scala:727)"]],
               "AnalysisException: Spark has no access to table", "managed ACID tables can only be read from Spark through the Hive Warehouse Connector",
               "reading ACID tables without the Hive Warehouse Connector",
               [("configuring the Hive Warehouse Connector with spark.datasource.hive.warehouse.read.mode=secure_access and the HWC extension", "HWC in secure access mode")],
               [("creating an external table copy of {db}.{table} for the Spark job", "an external table copy")],
               "HWC secure access mode ignores the permissions of the staging directory",
               [("spark.datasource.hive.warehouse.read.mode", "direct_reader_v1", "secure_access")],
               ["Spark driver log", "HiveServer2 logs"],
               ["spark-shell --jars /opt/cloudera/parcels/CDH/jars/hive-warehouse-connector-assembly-*.jar"]),
        ]),
    dict(
        key="kafka", name="Kafka", jira="KAFKA", jira_range=(8000, 16900), repo="kafka", families=("cdp", "cdh6"),
        base={"cdp": "3.4.1", "cdh6": "2.2.1"}, vname="Kafka", host="kafka", expert="Kafka", w=9,
        topic="Kafka brokers and consumers",
        docs=("kafka-managing", ["kafka-under-replicated-partitions", "kafka-consumer-tuning", "kafka-log-retention",
                                 "kafka-broker-tuning", "kafka-rebalance"]),
        community=["Under-replicated-partitions-never-recover", "Consumer-group-keeps-rebalancing",
                   "Kafka-broker-down-No-space-left-on-device", "ISR-shrinking-under-load"],
        problems=[
            _p("isr_shrink", "Kafka broker", "Kafka under-replicated partitions",
               ["we have {n}0 under-replicated partitions that never recover",
                "the ISR keeps shrinking and expanding on the {topic} topic",
                "producers with acks=all time out because partitions fall out of sync"],
               ["broker {n2} drops out of the ISR for {topic} partitions because its replica fetchers cannot keep up",
                "replica fetch requests from broker {n2} take over {sec} seconds during peak ingest"],
               [["[{ts}] INFO [Partition {topic}-{part} broker={n2}] Shrinking ISR from {n2},{n},{n3} to {n2} (kafka.cluster.Partition)",
                 "[{ts}] WARN [ReplicaFetcher replicaId={n}, leaderId={n2}, fetcherId=0] Error in response for fetch request (kafka.server.ReplicaFetcherThread)",
                 "java.io.IOException: Connection to {n2} was disconnected before the response was read"]],
               "Shrinking ISR", "there are too few replica fetcher threads for the partition count and ingest rate",
               "too few replica fetcher threads",
               [("raising num.replica.fetchers to 4 and replica.lag.time.max.ms to 30000", "more replica fetchers and a longer replica lag allowance")],
               [("reducing the batch size of the largest producers during peak hours", "smaller producer batches at peak")],
               "the replica fetcher stalls after a leader epoch change",
               [("num.replica.fetchers", "1", "4"), ("replica.lag.time.max.ms", "10000", "30000")],
               ["Kafka broker logs", "server.log from every broker"],
               ["kafka-topics --bootstrap-server {host}:9093 --describe --under-replicated-partitions"]),
            _p("rebalance", "Kafka consumer", "Kafka consumer group rebalancing and lag",
               ["consumer lag on {topic} keeps growing and the group rebalances every few minutes",
                "our consumers fail to commit offsets because the group keeps rebalancing",
                "the {topic} consumer group never settles"],
               ["consumers in group {user}-etl exceed max.poll.interval.ms while processing large batches",
                "each rebalance starts when a consumer takes longer than {sec} seconds between polls"],
               [["org.apache.kafka.clients.consumer.CommitFailedException: Commit cannot be completed since the group has already rebalanced and assigned the partitions to another member. This means that the time between subsequent calls to poll() was longer than the configured max.poll.interval.ms",
                 "\tat org.apache.kafka.clients.consumer.internals.ConsumerCoordinator.sendOffsetCommitRequest(ConsumerCoordinator.java:1109)"]],
               "CommitFailedException", "processing one poll batch takes longer than max.poll.interval.ms",
               "batches taking longer than the poll interval",
               [("lowering max.poll.records to 100 and raising max.poll.interval.ms to 600000", "smaller poll batches and a longer poll interval")],
               [("adding consumer instances so that each handles fewer partitions", "more consumer instances")],
               "the consumer coordinator starts a rebalance when a member's heartbeat thread is briefly blocked",
               [("max.poll.records", "500", "100"), ("max.poll.interval.ms", "300000", "600000")],
               ["consumer application logs", "Kafka broker logs"],
               ["kafka-consumer-groups --bootstrap-server {host}:9093 --describe --group {user}-etl"]),
            _p("log_dir", "Kafka broker", "a Kafka broker going offline after a log directory failure",
               ["broker {n} went offline and will not start again", "one Kafka broker shut down with a log directory failure",
                "a broker stopped after its data disk filled up"],
               ["the log directory /kafka/data{n} on broker {n} filled up because retention on {topic} is {n3}0 days",
                "the broker marked its only log directory offline and shut itself down"],
               [["[{ts}] ERROR Error while appending records to {topic}-{part} in dir /kafka/data{n} (kafka.server.LogDirFailureChannel)",
                 "java.io.IOException: No space left on device",
                 "\tat sun.nio.ch.FileDispatcherImpl.write0(Native Method)",
                 "\tat kafka.log.LogSegment.append(LogSegment.scala:158)",
                 "[{ts}] FATAL Shutdown broker because all log dirs in /kafka/data{n} have failed (kafka.log.LogManager)"]],
               "No space left on device", "the retention settings on the topic let its partitions outgrow the disk",
               "retention letting partitions outgrow the disk",
               [("setting retention.bytes on {topic} and adding a second log directory on another disk", "per-topic retention limits and a second log directory")],
               [("lowering retention.ms on {topic} to 3 days so the broker can start and clean up", "a shorter retention on the topic")],
               "log cleanup does not run while the broker is recovering segments",
               [("log.retention.hours", "720", "168"), ("log.dirs", "/kafka/data{n}", "/kafka/data{n},/kafka/data{n2}")],
               ["server.log from the failed broker", "df -h output from the broker host"],
               ["du -sh /kafka/data*/{topic}-*"]),
        ]),
    dict(
        key="hbase", name="HBase", jira="HBASE", jira_range=(20000, 28800), repo="hbase", families=("cdp", "cdh6", "cdh5"),
        base={"cdp": "2.4.6", "cdh6": "2.1.0", "cdh5": "1.2.0"}, vname="HBase", host="rs", expert="HBase", w=8,
        topic="HBase RegionServer stability",
        docs=("hbase-managing", ["hbase-regionserver-gc-tuning", "hbase-hbck2", "hbase-hotspotting",
                                 "hbase-memstore-tuning", "hbase-region-assignment"]),
        community=["RegionServer-aborts-with-YouAreDeadException", "Regions-stuck-in-transition-after-restart",
                   "RegionTooBusyException-during-bulk-load", "HBase-hotspotting-row-key-design"],
        problems=[
            _p("rs_abort", "RegionServer", "HBase RegionServers aborting after ZooKeeper session expiry",
               ["RegionServers keep aborting with YouAreDeadException", "{n} RegionServers crashed overnight and regions went offline",
                "HBase RegionServers restart several times a day"],
               ["the RegionServer on {host} had a {sec}-second GC pause, longer than the ZooKeeper session timeout",
                "the RegionServer's ZooKeeper session expired during a full GC"],
               [["{ts} FATAL org.apache.hadoop.hbase.regionserver.HRegionServer: ***** ABORTING region server {host},16020,{txn}: org.apache.hadoop.hbase.YouAreDeadException: Server REPORT rejected; currently processing {host},16020,{txn} as dead server *****",
                 "\tat org.apache.hadoop.hbase.master.ServerManager.checkIsDead(ServerManager.java:395)",
                 "\tat org.apache.hadoop.hbase.regionserver.HRegionServer.tryRegionServerReport(HRegionServer.java:1260)"]],
               "YouAreDeadException", "long stop-the-world GC pauses on a large RegionServer heap exceed the ZooKeeper session timeout",
               "long GC pauses exceeding the ZooKeeper session timeout",
               [("switching the RegionServers to G1GC with -XX:MaxGCPauseMillis=200 and moving the block cache off-heap", "G1GC tuning and an off-heap block cache")],
               [("raising zookeeper.session.timeout to 120000 so that short pauses do not kill the RegionServer", "a longer ZooKeeper session timeout")],
               "the RegionServer keeps references to closed scanners, which inflates the heap",
               [("zookeeper.session.timeout", "60000", "120000"), ("hbase.regionserver.handler.count", "30", "60")],
               ["RegionServer logs", "RegionServer GC logs", "HMaster logs"],
               ["hbase hbck -details"]),
            _p("rit", "HBase Master", "HBase regions stuck in transition",
               ["{n} regions are stuck in transition after the restart",
                "some HBase tables are partly unavailable with regions stuck in OPENING",
                "the HBase Master UI has shown regions in transition for hours"],
               ["the assignment procedures for {n} regions of {table} wait on a RegionServer that no longer exists",
                "the procedure store still holds stale procedures from before the crash"],
               [["{ts} WARN org.apache.hadoop.hbase.master.assignment.AssignmentManager: STUCK Region-In-Transition rit=OPENING, location={host},16020,{txn}, table={db}:{table}, region={qid}"]],
               "regions in transition", "stale assignment procedures reference a dead RegionServer",
               "stale assignment procedures",
               [("clearing the stale procedures and re-assigning the regions with HBCK2", "re-assigning the regions with HBCK2")],
               [("bypassing the stuck procedures with hbck2 bypass so the other regions can open", "bypassing the stuck procedures")],
               "the Master does not retry assignments after a RegionServer is expired during startup",
               [("hbase.master.procedure.threads", "8", "16")],
               ["HMaster logs", "hbck2 output"],
               ["hbase hbck -j hbase-hbck2.jar assigns {qid}"]),
            _p("too_busy", "RegionServer", "HBase writes failing with RegionTooBusyException",
               ["writes to {table} fail with RegionTooBusyException during bulk loads",
                "our ingestion into HBase slowed down and clients get 'Over memstore limit'",
                "the {table} table has one hot region that rejects writes"],
               ["all writes land in one region because the row key starts with a timestamp",
                "the memstore of region {qid} keeps hitting the blocking limit"],
               [["org.apache.hadoop.hbase.RegionTooBusyException: Over memstore limit=512.0 M, regionName={qid}, server={host},16020,{txn}",
                 "\tat org.apache.hadoop.hbase.regionserver.HRegion.checkResources(HRegion.java:4581)",
                 "\tat org.apache.hadoop.hbase.regionserver.RSRpcServices.multi(RSRpcServices.java:2775)"]],
               "RegionTooBusyException", "the row key design sends every new write to a single region",
               "a hotspotting row key",
               [("salting the row key and pre-splitting {table} into {n}0 regions", "a salted row key and a pre-split table")],
               [("raising hbase.hregion.memstore.block.multiplier to 8 to absorb write bursts", "a higher memstore block multiplier")],
               "flushes are delayed when the WAL roll is blocked on a slow DataNode",
               [("hbase.hregion.memstore.flush.size", "134217728", "268435456"), ("hbase.hregion.memstore.block.multiplier", "4", "8")],
               ["RegionServer logs"],
               ["echo \"status 'detailed'\" | hbase shell -n"]),
        ]),
    dict(
        key="ozone", name="Ozone", jira="HDDS", jira_range=(5000, 11400), repo="ozone", families=("cdp",),
        base={"cdp": "1.3.0"}, vname="Ozone", host="om", expert="Ozone", w=5,
        topic="Ozone object storage",
        docs=("ozone-storing-data", ["ozone-manager-ha", "ozone-s3-gateway", "ozone-container-replication",
                                     "ozone-ranger-policies", "ozone-recon"]),
        community=["Ozone-Manager-NotLeaderException", "S3-Gateway-AccessDenied-with-Ozone",
                   "Ozone-containers-UNHEALTHY-after-disk-failure"],
        problems=[
            _p("om_leader", "Ozone Manager", "Ozone Manager leader election flapping",
               ["Ozone clients get NotLeaderException and writes stall", "the Ozone Manager leader changes every few minutes",
                "ozone sh commands hang and then fail with leader errors"],
               ["the OM Ratis leader on {host} loses leadership because log appends to the followers take over {sec} seconds",
                "the Ratis storage directory shares a slow disk with the OM database"],
               [["org.apache.ratis.protocol.exceptions.NotLeaderException: Server om{n}@group-{qid} is not the leader. Suggested leader is: om{n2}",
                 "\tat org.apache.hadoop.ozone.om.ratis.OzoneManagerRatisServer.processReply(OzoneManagerRatisServer.java:472)"]],
               "NotLeaderException", "the Ratis log and the OM database sit on the same slow disk",
               "the Ratis log and OM database on one slow disk",
               [("moving ozone.om.ratis.storage.dir to a dedicated SSD", "a dedicated SSD for the Ratis log")],
               [("raising the Ratis leader election timeout to 10 seconds", "a longer leader election timeout")],
               "an OM follower does not catch up after installing a snapshot",
               [("ozone.om.ratis.storage.dir", "/var/lib/hadoop-ozone/om/ratis", "/ssd/ozone/om/ratis")],
               ["Ozone Manager logs", "Ratis logs"],
               ["ozone admin om roles -id ozone1"]),
            _p("s3g", "Ozone S3 Gateway", "the Ozone S3 Gateway returning access denied",
               ["our S3 clients get 403 AccessDenied from the Ozone S3 Gateway",
                "aws s3 ls against Ozone fails with access denied since the upgrade",
                "uploads through the S3 Gateway are rejected for user {user}"],
               ["the S3 secret of {user} was generated before the principal mapping changed",
                "the S3 Gateway maps the access key to a principal that Ranger does not allow on the bucket"],
               [["An error occurred (AccessDenied) when calling the ListObjectsV2 operation: User doesn't have the right to access this resource."],
                ["{ts} ERROR org.apache.hadoop.ozone.s3.OzoneClientProducer: Error during Client Creation:",
                 "org.apache.hadoop.ozone.om.exceptions.OMException: User {user} doesn't have READ permission to access bucket"]],
               "AccessDenied", "the access key maps to a principal that has no Ranger policy on the bucket",
               "a missing Ranger policy for the mapped principal",
               [("adding a Ranger Ozone policy for {user} on the bucket and regenerating the S3 secret", "a Ranger policy for the user and a new S3 secret")],
               [("using a service user that already has access to the bucket", "a service user that has access")],
               "the S3 Gateway caches denied authorisation results",
               [("ozone.s3g.secret.http.enabled", "false", "true")],
               ["S3 Gateway logs", "Ranger audit entries"],
               ["ozone s3 getsecret --om-service-id=ozone1"]),
            _p("ozone_dn", "Ozone Datanode", "Ozone containers marked unhealthy",
               ["Ozone reports {n}0 containers as UNHEALTHY",
                "Ozone Recon shows missing and unhealthy containers after a disk failure",
                "reads of some keys fail with checksum errors"],
               ["replicas on the Ozone Datanode {host} fail the scanner's checksum check",
                "the replication manager cannot re-replicate containers because the pipelines are closed"],
               [["{ts} ERROR org.apache.hadoop.ozone.container.ozoneimpl.ContainerScanner: Corruption detected in container [{txn}]. Marking it UNHEALTHY."]],
               "UNHEALTHY containers", "a failing disk on the Datanode corrupted container replicas",
               "a failing Datanode disk",
               [("replacing the disk and letting the replication manager rebuild the replicas", "replacing the disk and re-replicating")],
               [("decommissioning the Datanode so that its replicas are copied elsewhere", "decommissioning the Datanode")],
               "the replication manager skips containers in QUASI_CLOSED state",
               [("hdds.container.scrub.enabled", "false", "true")],
               ["Ozone Datanode logs", "SCM logs"],
               ["ozone admin container report"]),
        ]),
    dict(
        key="ranger", name="Ranger", jira="RANGER", jira_range=(3000, 4900), repo="ranger", families=("cdp",),
        base={"cdp": "2.3.0"}, vname="Ranger", host="ranger", expert="Ranger", w=7,
        topic="Ranger policies, Usersync and audits",
        docs=("security-ranger-authorization", ["ranger-usersync-ldap", "ranger-policy-refresh", "ranger-audit-solr",
                                                "ranger-plugin-troubleshooting", "ranger-admin-ha"]),
        community=["Ranger-Usersync-not-importing-groups", "Ranger-policy-not-applied-to-Hive",
                   "Ranger-audits-missing-in-Solr", "PolicyRefresher-failed-to-refresh-policies"],
        problems=[
            _p("usersync", "Ranger Usersync", "Ranger Usersync not syncing LDAP groups",
               ["new users from Active Directory do not show up in Ranger", "group memberships in Ranger have been out of date since last week",
                "Ranger Usersync finishes but imports no groups"],
               ["the Usersync group search filter leaves out the nested groups your teams use",
                "the LDAP search from Usersync follows referrals to a domain controller it cannot reach"],
               [["{ts} ERROR org.apache.ranger.ldapusersync.process.LdapUserGroupBuilder: LDAPException: javax.naming.PartialResultException: Unprocessed Continuation Reference(s); remaining name 'dc={db},dc=com'",
                 "\tat com.sun.jndi.ldap.LdapCtx.processReturnCode(LdapCtx.java:3095)",
                 "\tat org.apache.ranger.ldapusersync.process.LdapUserGroupBuilder.getUsers(LdapUserGroupBuilder.java:521)"]],
               "PartialResultException", "the LDAP search follows referrals and the group filter is too narrow",
               "LDAP referrals and a narrow group filter",
               [("setting ranger.usersync.ldap.referral to ignore and widening ranger.usersync.group.searchfilter", "ignoring LDAP referrals and a wider group filter")],
               [("adding the missing users and groups to Ranger by hand for now", "adding the users by hand")],
               "Usersync drops group memberships when a group name contains a comma",
               [("ranger.usersync.ldap.referral", "follow", "ignore"), ("ranger.usersync.group.searchfilter", "(cn=hadoop_*)", "(|(cn=hadoop_*)(cn=data_*))")],
               ["Usersync logs", "ranger-ugsync-site.xml"],
               ["ldapsearch -x -h {host2} -b 'dc={db},dc=com' '(sAMAccountName={user})' memberOf"]),
            _p("policy_stale", "Ranger plugin", "Ranger policies not being enforced",
               ["a new Ranger policy on {db} has had no effect for {n} hours",
                "users still get access denied after we granted them access in Ranger",
                "Hive ignores the Ranger policy change we made yesterday"],
               ["the Hive plugin on {host} cannot download policies and keeps using its cached copy",
                "the plugin's policy cache file has not changed since {ts}"],
               [["{ts} ERROR org.apache.ranger.admin.client.RangerAdminRESTClient: Error getting policies; secureMode=true, user=hive/{host}@{realm}, response=401, serviceName=cm_hive",
                 "{ts} ERROR org.apache.ranger.plugin.util.PolicyRefresher: PolicyRefresher(serviceName=cm_hive): failed to refresh policies. Will continue to use last known version of policies ({n}{n2})"]],
               "PolicyRefresher failed to refresh policies", "the plugin's Kerberos identity is rejected by Ranger Admin, so it keeps serving old cached policies",
               "the plugin failing to authenticate to Ranger Admin",
               [("regenerating the Kerberos credentials of the hive service and restarting HiveServer2", "regenerated service credentials")],
               [("granting the access with a temporary policy on the parent database", "a temporary policy on the parent database")],
               "the plugin stops retrying policy downloads after one authentication failure",
               [("ranger.plugin.hive.policy.pollIntervalMs", "30000", "30000")],
               ["HiveServer2 logs", "Ranger Admin logs", "the plugin's policy cache JSON"],
               ["klist -kte /var/run/cloudera-scm-agent/process/*HIVESERVER2*/hive.keytab"]),
            _p("audit", "Ranger Admin", "Ranger audits missing",
               ["the Ranger Audit tab has been empty for {n} days", "we cannot see any HDFS access events in the Ranger audits",
                "Ranger audits stopped being written to Solr"],
               ["the plugins fail to write audits to the ranger_audits collection because its shards are down",
                "the audit spool directory on {host} holds {n}000 unsent files"],
               [["{ts} ERROR org.apache.ranger.audit.destination.SolrAuditDestination: Error sending message to Solr",
                 "org.apache.solr.client.solrj.impl.CloudSolrClient$RouteException: No active replicas found for collection: ranger_audits"]],
               "No active replicas found for collection: ranger_audits", "the ranger_audits collection in Infra Solr has no active replicas",
               "no active ranger_audits replicas in Solr",
               [("recreating the ranger_audits replicas and raising the Infra Solr heap to {gb} GB", "restored audit replicas and a larger Solr heap")],
               [("sending audits to HDFS only while Solr is repaired", "HDFS-only audits")],
               "the audit spooler never retries files that failed with a routing error",
               [("xasecure.audit.destination.solr.batch.filespool.dir", "/var/log/hadoop/hdfs/audit/solr/spool", "/var/log/hadoop/hdfs/audit/solr/spool")],
               ["Ranger Admin logs", "Infra Solr logs"],
               ["solrctl collection --list"]),
        ]),
    dict(
        key="atlas", name="Atlas", jira="ATLAS", jira_range=(3000, 4900), repo="atlas", families=("cdp",),
        base={"cdp": "2.1.0"}, vname="Atlas", host="atlas", expert="Atlas", w=4,
        topic="Atlas lineage and metadata",
        docs=("atlas-working-with-atlas", ["atlas-hive-hook", "atlas-troubleshooting-startup", "atlas-kafka-topics",
                                           "atlas-import-hive-metadata"]),
        community=["Hive-lineage-not-showing-in-Atlas", "Atlas-fails-to-start-JanusGraphException",
                   "ATLAS_HOOK-topic-lag-keeps-growing"],
        problems=[
            _p("lineage", "Atlas", "Hive lineage missing in Atlas",
               ["new Hive tables do not appear in Atlas", "lineage for our ETL jobs stopped showing up in Atlas {n} days ago",
                "Atlas search returns nothing for the tables created this week"],
               ["the ATLAS_HOOK topic has a lag of {n}00,000 messages because the hook cannot publish",
                "the Hive hook on {host} is refused when it writes to the ATLAS_HOOK topic"],
               [["{ts} ERROR org.apache.atlas.hook.AtlasHook: Failed to send notification - attempt #3; error=java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized to access topics: [ATLAS_HOOK]",
                 "org.apache.atlas.notification.NotificationException: java.util.concurrent.ExecutionException"]],
               "NotificationException", "the hive user has no Ranger Kafka policy allowing it to publish to ATLAS_HOOK",
               "a missing Kafka policy for the Atlas hook",
               [("adding publish rights on ATLAS_HOOK for the hive user in the Ranger Kafka service", "a Ranger Kafka policy for the hook")],
               [("re-importing the missing metadata with the import-hive.sh script", "re-importing metadata with import-hive.sh")],
               "the Atlas Kafka consumer skips messages after an offset commit failure",
               [("atlas.hook.hive.synchronous", "false", "false")],
               ["Atlas application logs", "HiveServer2 logs"],
               ["kafka-consumer-groups --bootstrap-server {host2}:9093 --describe --group atlas"]),
            _p("atlas_start", "Atlas", "Atlas failing to start",
               ["the Atlas server will not start after the upgrade", "the Atlas UI shows 503 and the server keeps restarting",
                "Atlas fails at startup with a JanusGraph error"],
               ["Atlas cannot open its graph because the atlas_janus HBase table is disabled",
                "the Solr collections Atlas needs are missing after the upgrade"],
               [["org.janusgraph.core.JanusGraphException: Could not open global configuration",
                 "\tat org.janusgraph.diskstorage.Backend.getStandaloneGlobalConfiguration(Backend.java:477)",
                 "\tat org.apache.atlas.repository.graphdb.janus.AtlasJanusGraphDatabase.getGraphInstance(AtlasJanusGraphDatabase.java:185)",
                 "Caused by: org.apache.hadoop.hbase.TableNotEnabledException: atlas_janus is disabled."]],
               "JanusGraphException", "the atlas_janus table in HBase was left disabled after the upgrade",
               "a disabled atlas_janus HBase table",
               [("enabling the atlas_janus table in HBase and restarting Atlas", "re-enabling the atlas_janus table")],
               [("starting Atlas with the index checks skipped until the Solr collections are rebuilt", "skipping index checks at startup")],
               "the upgrade step leaves the Atlas HBase tables disabled",
               [("atlas.graph.storage.hbase.table", "atlas_janus", "atlas_janus")],
               ["Atlas application logs", "HBase Master logs"],
               ["echo \"is_enabled 'atlas_janus'\" | hbase shell -n"]),
        ]),
    dict(
        key="knox", name="Knox", jira="KNOX", jira_range=(2000, 3050), repo="knox", families=("cdp",),
        base={"cdp": "1.3.0"}, vname="Knox", host="knox", expert="Knox", w=4,
        topic="Knox gateway and SSO",
        docs=("knox-authentication", ["knox-sso-configuration", "knox-truststore", "knox-topologies", "knox-troubleshooting"]),
        community=["Knox-SSO-too-many-redirects", "Knox-PKIX-path-building-failed", "Knox-HTTP-500-proxying-HiveServer2"],
        problems=[
            _p("knox_sso", "Knox", "a Knox SSO redirect loop",
               ["logging in through Knox SSO loops back to the login page",
                "users cannot reach the Cloudera Manager UI through Knox and the browser reports too many redirects",
                "Knox SSO login succeeds but then redirects endlessly"],
               ["the hadoop-jwt cookie is set for the wrong domain, so the browser never sends it back",
                "knoxsso.cookie.domain.suffix does not match the host names your users type"],
               [["{ts} WARN org.apache.knox.gateway.provider.federation.jwt.filter.SSOCookieFederationFilter: Unable to find cookie with name: hadoop-jwt",
                 "{ts} INFO org.apache.knox.gateway.service.knoxsso.WebSSOResource: Redirecting to login page"]],
               "redirect loop", "the SSO cookie domain does not match the domain of the proxied UIs",
               "an SSO cookie domain mismatch",
               [("setting knoxsso.cookie.domain.suffix to .{domain} and restarting the Knox gateway", "the correct SSO cookie domain")],
               [("opening the UIs directly instead of through Knox for now", "direct UI access")],
               "Knox sets the SSO cookie without the configured domain when the request uses an IP address",
               [("knoxsso.cookie.domain.suffix", "(not set)", ".{domain}")],
               ["gateway.log", "gateway-audit.log", "browser HAR file"],
               ["grep -i hadoop-jwt /var/log/knox/gateway/gateway.log | tail -50"]),
            _p("knox_ssl", "Knox", "Knox gateway SSL handshake failures",
               ["Knox returns HTTP 500 when proxying HiveServer2",
                "JDBC connections through Knox fail with SSL errors since the certificates were renewed",
                "the Knox gateway cannot reach the backend services after the certificate rotation"],
               ["Knox does not trust the new certificate presented by {host2}",
                "the gateway truststore still holds the old intermediate CA"],
               [["javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target",
                 "\tat sun.security.ssl.Alert.createSSLException(Alert.java:131)",
                 "\tat org.apache.knox.gateway.dispatch.DefaultDispatch.executeOutboundRequest(DefaultDispatch.java:146)"]],
               "SSLHandshakeException", "the Knox truststore is missing the new intermediate CA",
               "a missing intermediate CA in the Knox truststore",
               [("importing the new intermediate CA into the Knox gateway truststore and restarting Knox", "the new CA in the Knox truststore")],
               [("connecting to HiveServer2 directly, without Knox, until the truststore is updated", "connecting without Knox")],
               "Knox caches the truststore and ignores updates until a full restart",
               [("gateway.httpclient.truststore.path", "/var/lib/knox/gateway/data/security/keystores/gateway.jks", "/opt/cloudera/security/truststore.jks")],
               ["gateway.log"],
               ["openssl s_client -connect {host2}:10001 -showcerts"]),
        ]),
    dict(
        key="kudu", name="Kudu", jira="KUDU", jira_range=(2500, 3600), repo="kudu", families=("cdp", "cdh6"),
        base={"cdp": "1.17.0", "cdh6": "1.10.0"}, vname="Kudu", host="kudu", expert="Kudu", w=4,
        topic="Kudu tablet servers",
        docs=("kudu-management", ["kudu-ksck", "kudu-recovering-from-failure", "kudu-ntp-clock-sync", "kudu-rebalancing"]),
        community=["Kudu-tablets-have-no-leader", "Kudu-clock-considered-unsynchronized", "kudu-ksck-under-replicated-tablets"],
        problems=[
            _p("tablet_unavail", "Kudu tablet server", "Kudu tablets unavailable after a tablet server failure",
               ["Impala queries on Kudu tables fail with 'Service unavailable' for some tablets",
                "{n} Kudu tablets have had no leader since one tablet server crashed",
                "writes to our Kudu table {table} time out"],
               ["ksck reports {n} tablets with only one healthy replica since {host} crashed",
                "the tablet server on {host} is down and its replicas were never re-replicated"],
               [["Service unavailable: Timed out: GetTableLocations {db}.{table} timed out after deadline expired: tablet {qid} has no leader"]],
               "Service unavailable", "too many replicas were lost at once for automatic re-replication to restore a majority",
               "a lost replica majority after the crash",
               [("bringing {host} back and letting Kudu re-replicate, forcing a new Raft config only where the majority is lost", "restoring the tablet server and repairing the Raft configs")],
               [("pointing the Impala reports at yesterday's snapshot table", "querying a snapshot table")],
               "the master does not re-replicate tablets when a failed server returns with a new UUID",
               [("follower_unavailable_considered_failed_sec", "300", "300")],
               ["kudu-tserver logs", "kudu-master logs", "ksck output"],
               ["kudu cluster ksck {host2}:7051"]),
            _p("kudu_clock", "Kudu tablet server", "a Kudu tablet server failing to start because of clock sync",
               ["a Kudu tablet server on {host} will not start", "kudu-tserver exits right after starting with a clock error",
                "after OS patching, one Kudu node refuses to start"],
               ["chronyd on {host} is not synchronised, so the tablet server refuses to start",
                "the NTP service was replaced during the OS patching"],
               [["Check failed: _s.ok() Bad status: Service unavailable: Cannot initialize clock: Error reading clock. Clock considered unsynchronized"]],
               "Clock considered unsynchronized", "the host clock is not synchronised with NTP",
               "an unsynchronised host clock",
               [("configuring chronyd on {host} to sync with your NTP servers and waiting until it reports synchronised", "a re-synchronised host clock")],
               [("setting --time_source=system_unsync temporarily on a non-production node", "a temporary unsynchronised time source")],
               "the tablet server ignores chrony when ntpd is also installed",
               [("time_source", "system", "system")],
               ["kudu-tserver logs", "output of chronyc tracking"],
               ["chronyc tracking", "ntpstat"]),
        ]),
    dict(
        key="nifi", name="NiFi", jira="NIFI", jira_range=(9000, 13900), repo="nifi", families=("cdp",),
        base={"cdp": "1.23.1"}, vname="NiFi", host="nifi", expert="NiFi", w=6,
        topic="NiFi flows and cluster",
        docs=("cfm-nifi-admin", ["nifi-content-repository", "nifi-cluster-heartbeat", "nifi-kerberos-hdfs",
                                 "nifi-back-pressure"]),
        community=["NiFi-content-repository-full", "NiFi-node-disconnected-lack-of-heartbeat",
                   "PutHDFS-GSSException-No-valid-credentials"],
        problems=[
            _p("repo_full", "NiFi", "the NiFi content repository filling up",
               ["NiFi stops processing because the content repository is full",
                "flows are backed up and NiFi says the content repository is out of space",
                "NiFi on {host} shows back pressure on every queue"],
               ["the content repository on {host} is at {pct}% because archived content is never purged",
                "nifi.content.repository.archive.max.usage.percentage is higher than the disk can support"],
               [["{ts} WARN [Timer-Driven Process Thread-{n}] o.a.n.c.repository.FileSystemRepository: Unable to write to container default due to archive file size constraints; waiting for archive cleanup"]],
               "content repository full", "archived content is kept longer than the disk can hold",
               "archived content not being purged",
               [("setting nifi.content.repository.archive.max.usage.percentage to 50% and moving the content repository to its own disk", "a lower archive limit and a dedicated content disk")],
               [("turning content archiving off for now with nifi.content.repository.archive.enabled=false", "archiving turned off for now")],
               "the archive cleanup thread stops after an I/O error",
               [("nifi.content.repository.archive.max.usage.percentage", "90%", "50%")],
               ["nifi-app.log", "df -h output"],
               ["du -sh /var/lib/nifi/content_repository"]),
            _p("node_disconnect", "NiFi", "NiFi nodes disconnecting from the cluster",
               ["NiFi nodes keep disconnecting from the cluster", "our {n}-node NiFi cluster loses a node every hour",
                "the NiFi UI shows nodes as DISCONNECTED after heartbeat timeouts"],
               ["heartbeats from {host} arrive late because of long GC pauses",
                "the cluster coordinator marks nodes disconnected after {sec} seconds without a heartbeat"],
               [["{ts} INFO o.a.n.c.c.node.NodeClusterCoordinator: Status of {host}:8443 changed from NodeConnectionStatus[state=CONNECTED] to NodeConnectionStatus[state=DISCONNECTED, Disconnect Code=Lack of Heartbeat]"]],
               "node disconnected", "long GC pauses delay heartbeats beyond the cluster timeout",
               "GC pauses delaying heartbeats",
               [("raising the NiFi heap to {gb} GB and nifi.cluster.protocol.heartbeat.interval to 15 sec", "a larger heap and a longer heartbeat interval")],
               [("reconnecting the nodes from the cluster page when they drop", "reconnecting nodes by hand")],
               "the coordinator does not clear a disconnect caused by a flow election timeout",
               [("nifi.cluster.node.connection.timeout", "5 sec", "30 sec")],
               ["nifi-app.log from every node", "NiFi GC logs"],
               ["grep -i 'Lack of Heartbeat' /var/log/nifi/nifi-app.log | tail -20"]),
            _p("puthdfs", "NiFi", "NiFi PutHDFS failing with Kerberos errors",
               ["PutHDFS fails with GSSException after running for about a day", "our NiFi flows cannot write to HDFS anymore",
                "PutHDFS processors turn red with Kerberos errors every morning"],
               ["the Kerberos ticket used by PutHDFS expires and is never renewed",
                "the processors point to a keytab that the nifi user cannot read"],
               [["{ts} ERROR [Timer-Driven Process Thread-{n}] o.apache.nifi.processors.hadoop.PutHDFS PutHDFS[id={qid}] Failed to write to HDFS",
                 "java.io.IOException: org.ietf.jgss.GSSException: No valid credentials provided (Mechanism level: Failed to find any Kerberos tgt)"]],
               "GSSException", "the Kerberos ticket expires without being renewed by the processor",
               "expired Kerberos tickets",
               [("switching the processors to a KeytabCredentialsService so tickets are renewed automatically", "a Keytab Credentials Service")],
               [("stopping and starting the processors daily to force a new login", "daily processor restarts")],
               "PutHDFS does not log in again when the ticket expires during a write",
               [("nifi.kerberos.krb5.file", "/etc/krb5.conf", "/etc/krb5.conf")],
               ["nifi-app.log"],
               ["klist -kte /etc/security/keytabs/nifi.keytab"]),
        ]),
    dict(
        key="oozie", name="Oozie", jira="OOZIE", jira_range=(3000, 3750), repo="oozie", families=("cdp", "cdh6", "cdh5"),
        base={"cdp": "5.1.0", "cdh6": "5.1.0", "cdh5": "4.1.0"}, vname="Oozie", host="oozie", expert="Oozie", w=4,
        topic="Oozie workflows and coordinators",
        docs=("configuring-oozie", ["oozie-sharelib", "oozie-coordinator-datasets", "oozie-troubleshooting"]),
        community=["Oozie-coordinator-actions-stuck-in-WAITING", "JA009-Cannot-initialize-Cluster-after-upgrade"],
        problems=[
            _p("coord_waiting", "Oozie", "Oozie coordinator actions stuck in WAITING",
               ["Oozie coordinators stay in WAITING although the input data is there",
                "our daily coordinator has not run for {n} days",
                "coordinator actions are stuck in WAITING for the {table} dataset"],
               ["the coordinator checks for a _SUCCESS flag that the upstream job no longer writes",
                "the dataset URI template points to a path with the wrong date format"],
               [["{ts} WARN CoordActionInputCheckXCommand:523 - SERVER[{host}] USER[{user}] GROUP[-] TOKEN[] APP[{table}-coord] JOB[00{txn}-oozie-oozi-C] ACTION[00{txn}-oozie-oozi-C@{n}] Input availability check failed"]],
               "coordinator actions WAITING", "the coordinator waits for a done-flag that is never created",
               "a missing done-flag",
               [("changing the dataset's done-flag to match what the upstream job writes", "a matching done-flag")],
               [("creating the _SUCCESS files by hand for the waiting dates", "creating the flag files by hand")],
               "the coordinator re-checks inputs only once after a timeout",
               [("oozie.service.coord.input.check.requeue.interval", "60000", "60000")],
               ["oozie.log", "the coordinator XML"],
               ["oozie job -info 00{txn}-oozie-oozi-C -len 20"]),
            _p("ja009", "Oozie", "Oozie workflow actions failing with JA009",
               ["all Oozie Hive actions fail with JA009", "Oozie workflows started failing right after the upgrade",
                "Oozie launcher jobs fail immediately with a cluster initialisation error"],
               ["the Oozie sharelib was not updated after the upgrade",
                "the job.properties of the workflow still point to the old ResourceManager address"],
               [["JA009: Cannot initialize Cluster. Please check your configuration for mapreduce.framework.name and the correspond server addresses.",
                 "\tat org.apache.oozie.action.ActionExecutor.convertExceptionHelper(ActionExecutor.java:457)",
                 "\tat org.apache.oozie.action.hadoop.JavaActionExecutor.submitLauncher(JavaActionExecutor.java:1230)"]],
               "JA009", "the Oozie sharelib still holds jars from the previous release",
               "an outdated Oozie sharelib",
               [("re-installing the Oozie ShareLib from Cloudera Manager and running oozie admin -sharelibupdate", "a re-installed Oozie sharelib")],
               [("setting oozie.use.system.libpath=true and shipping the needed jars in the workflow lib directory", "shipping the jars with the workflow")],
               "the upgrade does not refresh the Oozie sharelib timestamp",
               [("oozie.use.system.libpath", "false", "true")],
               ["oozie.log", "launcher logs"],
               ["oozie admin -shareliblist"]),
        ]),
    dict(
        key="zookeeper", name="ZooKeeper", jira="ZOOKEEPER", jira_range=(3000, 4800), repo="zookeeper", families=("cdp", "cdh6", "cdh5"),
        base={"cdp": "3.5.5", "cdh6": "3.4.5", "cdh5": "3.4.5"}, vname="ZooKeeper", host="zk", expert="ZooKeeper", w=5,
        topic="ZooKeeper sessions",
        docs=("zookeeper-configuring", ["zookeeper-maxclientcnxns", "zookeeper-jute-maxbuffer", "zookeeper-datalogdir"]),
        community=["ZooKeeper-ConnectionLoss-across-services", "Packet-len-is-out-of-range-jute-maxbuffer"],
        problems=[
            _p("connloss", "ZooKeeper", "ZooKeeper client connection losses",
               ["HBase and Kafka clients keep losing their ZooKeeper connection",
                "we see ConnectionLoss errors from many services at the same time",
                "ZooKeeper sessions expire across the cluster a few times a day"],
               ["the ZooKeeper server on {host} rejects new connections because {n}0 clients from {host2} hit maxClientCnxns",
                "fsync of the transaction log takes up to {sec} seconds on the shared disk"],
               [["org.apache.zookeeper.KeeperException$ConnectionLossException: KeeperErrorCode = ConnectionLoss for /hbase/meta-region-server",
                 "\tat org.apache.zookeeper.KeeperException.create(KeeperException.java:102)",
                 "\tat org.apache.zookeeper.ZooKeeper.getData(ZooKeeper.java:2131)"],
                ["{ts} WARN org.apache.zookeeper.server.NIOServerCnxnFactory: Too many connections from /10.{n}.{n2}.{n3} - max is 60"]],
               "ConnectionLoss", "one client host opens too many connections and the transaction log sits on a busy disk",
               "connection limits and a slow transaction-log disk",
               [("moving dataLogDir to a dedicated disk and fixing the connection leak in the client application", "a dedicated transaction-log disk and a fixed client leak")],
               [("raising maxClientCnxns to 300 for now", "a higher connection limit")],
               "the client does not close its connection after a session expiry",
               [("maxClientCnxns", "60", "300")],
               ["ZooKeeper server logs"],
               ["echo mntr | nc {host} 2181", "echo cons | nc {host} 2181"]),
            _p("jute", "ZooKeeper", "ZooKeeper packet length errors",
               ["ZooKeeper clients fail with 'Packet len is out of range'",
                "the HBase Master cannot read its znodes anymore",
                "Solr cannot load its cluster state from ZooKeeper"],
               ["a znode under /{table} has grown beyond the default 1 MB jute.maxbuffer",
                "the client tries to read {n}0,000 children of one znode in a single response"],
               [["java.io.IOException: Packet len {txn} is out of range!",
                 "\tat org.apache.zookeeper.ClientCnxnSocket.readLength(ClientCnxnSocket.java:121)",
                 "\tat org.apache.zookeeper.ClientCnxnSocketNIO.doIO(ClientCnxnSocketNIO.java:84)"]],
               "Packet len is out of range", "a znode or its list of children is larger than jute.maxbuffer",
               "an oversized znode",
               [("cleaning up the obsolete child znodes that caused the growth", "cleaning up the oversized znode")],
               [("raising jute.maxbuffer to 4194304 on the servers and the clients", "a larger jute.maxbuffer")],
               "the service never deletes its sequential znodes after a crash",
               [("jute.maxbuffer", "1048575", "4194304")],
               ["ZooKeeper server logs", "client logs"],
               ["zookeeper-client -server {host}:2181 stat /{table}"]),
        ]),
    dict(
        key="solr", name="Solr", jira="SOLR", jira_range=(14000, 17400), repo="solr", families=("cdp", "cdh6"),
        base={"cdp": "8.11.2", "cdh6": "7.4.0"}, vname="Solr", host="solr", expert="Solr", w=4,
        topic="Solr search and indexing",
        docs=("search-solr", ["solr-replica-recovery", "solr-docvalues", "solr-heap-sizing"]),
        community=["Solr-replicas-stuck-in-recovering", "Solr-OOM-on-facet-queries"],
        problems=[
            _p("recovery", "Solr", "Solr replicas stuck in recovery",
               ["several Solr replicas are stuck in recovering state",
                "indexing into the {table} collection is very slow and some replicas are down",
                "Solr search results are incomplete because shards are recovering"],
               ["replicas of {table} on {host} restart recovery over and over because the leader's transaction log is too large to replay",
                "recovery fails when the full index copy times out"],
               [["{ts} ERROR (recoveryExecutor-{n}-thread-1) [c:{table} s:shard{n2} r:core_node{n3}] o.a.s.c.RecoveryStrategy Error while trying to recover:org.apache.solr.client.solrj.SolrServerException: Timeout occurred while waiting response from server"]],
               "replicas in recovery", "replicas fall too far behind and index replication times out",
               "replication timeouts during recovery",
               [("raising the replication timeout and lowering autoCommit maxTime so transaction logs stay small", "a longer replication timeout and more frequent commits")],
               [("deleting and re-adding the stuck replicas with the Collections API", "re-created replicas")],
               "recovery loops when the leader changes during an index fetch",
               [("autoCommit maxTime", "600000", "60000")],
               ["Solr logs from the affected nodes"],
               ["solrctl collection --list"]),
            _p("solr_oom", "Solr", "Solr running out of memory on facet queries",
               ["Solr nodes crash with OutOfMemoryError when users run facet searches",
                "Solr on {host} restarts itself a few times a day",
                "search queries with facets time out and then Solr dies"],
               ["facet queries on a high-cardinality field build a huge field cache",
                "the {gb} GB Solr heap is mostly taken by the FieldCache"],
               [["{ts} ERROR (qtp{txn}-{n}) [c:{table} s:shard1] o.a.s.s.HttpSolrCall null:java.lang.OutOfMemoryError: Java heap space",
                 "\tat org.apache.lucene.util.packed.PackedLongValues$Builder.<init>(PackedLongValues.java:185)",
                 "\tat org.apache.solr.request.SimpleFacets.getFacetFieldCounts(SimpleFacets.java:886)"]],
               "OutOfMemoryError", "facets on a field without docValues are built on the heap",
               "facets on a field without docValues",
               [("enabling docValues on the faceted field and reindexing the collection", "docValues on the faceted field")],
               [("lowering facet.limit and raising the Solr heap to {gb} GB", "a smaller facet.limit and a larger heap")],
               "the field cache is not released after a core reload",
               [("facet.limit", "-1", "100")],
               ["Solr logs", "Solr GC logs"],
               ["solrctl instancedir --list"]),
        ]),
    dict(
        key="cm", name="Cloudera Manager", jira=None, jira_range=(0, 0), repo=None, families=("cdp", "cdh6", "cdh5"),
        base={}, vname="Cloudera Manager", host="cm", expert="Cloudera Manager", w=10,
        topic="Cloudera Manager, upgrades and security",
        docs=("managing-clusters", ["cm-agent-tls", "cm-parcels", "cm-kerberos-credentials", "cm-upgrade-troubleshooting",
                                    "cm-auto-tls"]),
        community=["Agent-not-heartbeating-after-TLS-change", "Parcel-hash-verification-failed",
                   "Generate-Missing-Credentials-fails", "Cloudera-Manager-upgrade-stuck"],
        problems=[
            _p("heartbeat", "Cloudera Manager agent", "Cloudera Manager agents losing heartbeat",
               ["hosts in Cloudera Manager keep going bad because the agents lose heartbeat",
                "{n} hosts report 'agent not heartbeating' in Cloudera Manager",
                "Cloudera Manager marks hosts as unreachable every night"],
               ["the agents on {host} cannot reach the CM server on port 7182 since the TLS change",
                "the agent on {host} rejects the server certificate during every heartbeat"],
               [["[{ts}] ERROR    Heartbeating to {host2}:7182 failed.",
                 "Traceback (most recent call last):",
                 "  File \"/opt/cloudera/cm-agent/lib/python3.8/site-packages/cmf/agent.py\", line 1402, in _send_heartbeat",
                 "ssl.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"]],
               "CERTIFICATE_VERIFY_FAILED", "the agents do not trust the new CM server certificate",
               "agents not trusting the new CM certificate",
               [("updating verify_cert_file in /etc/cloudera-scm-agent/config.ini on every host and restarting the agents", "an updated agent trust configuration")],
               [("restarting cloudera-scm-agent on the affected hosts", "restarting the agents")],
               "the agent keeps the old certificate bundle in memory after a TLS rotation",
               [("verify_cert_file", "/opt/cloudera/security/pki/old-ca.pem", "/opt/cloudera/security/pki/rootca.pem")],
               ["cloudera-scm-agent.log", "cloudera-scm-server.log"],
               ["systemctl status cloudera-scm-agent", "openssl s_client -connect {host2}:7182"]),
            _p("parcel", "Cloudera Manager", "parcel distribution failing during the upgrade",
               ["the runtime parcel downloads but distribution fails on {n} hosts",
                "our upgrade is stuck at parcel activation",
                "Cloudera Manager says the parcel hash does not match"],
               ["the local parcel repository serves a truncated file, so the hash check fails",
                "distribution fails on the hosts where /opt/cloudera has less than {gb} GB free"],
               [["Error when distributing to {host}: Hash verification failed for /opt/cloudera/parcel-cache/CDH-{build}-el7.parcel",
                 "{ts} ERROR ParcelUpdateService:com.cloudera.parcel.components.ParcelDownloaderImpl: Unable to retrieve remote parcel repository manifest"]],
               "hash verification failed", "the parcel in the local repository is incomplete",
               "an incomplete parcel in the local repository",
               [("re-downloading the parcel and its .sha file into the local repository and running distribution again", "a fresh copy of the parcel")],
               [("copying the parcel by hand to /opt/cloudera/parcel-repo on the CM host", "copying the parcel by hand")],
               "CM does not clean partial downloads from the parcel cache",
               [("parcel_dir", "/opt/cloudera/parcels", "/opt/cloudera/parcels")],
               ["cloudera-scm-server.log", "cloudera-scm-agent.log from a failing host"],
               ["sha1sum /opt/cloudera/parcel-repo/CDH-{build}-el7.parcel", "df -h /opt/cloudera"]),
            _p("kerberos", "Cloudera Manager", "Kerberos credential generation failing in Cloudera Manager",
               ["Generate Missing Credentials fails in Cloudera Manager",
                "we cannot add new roles because their Kerberos principals are not created",
                "the Kerberos wizard fails with a KDC error"],
               ["the CM server host cannot reach the KDC {host2} on port 88",
                "the admin principal stored in CM has an expired password"],
               [["/usr/bin/kinit: Cannot contact any KDC for realm '{realm}' while getting initial credentials",
                 "kadmin: Cannot contact any KDC for requested realm while initializing kadmin interface"]],
               "Cannot contact any KDC", "the KDC is unreachable from the CM host since a firewall change",
               "the KDC being unreachable from the CM host",
               [("opening ports 88 and 749 between the CM host and {host2}", "opening the KDC ports")],
               [("creating the missing principals by hand with kadmin and importing the keytabs", "creating the principals by hand")],
               "CM does not retry credential generation after a KDC timeout",
               [("kdc_timeout", "3s", "30s")],
               ["cloudera-scm-server.log", "/etc/krb5.conf"],
               ["kinit -V admin/admin@{realm}"]),
        ]),
]

_PRODUCT_BY_KEY = {p["key"]: p for p in PRODUCTS}
NONTECH_TOPIC = {"vendor": "Case follow-ups and scheduling", "customer": "Status requests and escalations"}
TOPIC_ORDER = [p["topic"] for p in PRODUCTS] + list(dict.fromkeys(NONTECH_TOPIC.values())) + ["null"]

# =============================================================================== phrase banks
# Every bank maps one label value to several phrasings; the summary side is built from the record.
V_GREET = ["Hi {name},", "Hello {name},", "Dear {name},", "Good morning {name},", "Good afternoon {name},",
           "Hi team,", "Hello team,", "Hi all,", "{name},", "Hey {name},", "Hi {name} and team,", "Hello {name} -"]
V_SIGN = ["Regards,\n{eng}\n{vendor} Support", "Thanks,\n{eng}", "Best regards,\n{eng} | Technical Support Engineer, {vendor}",
          "Kind regards,\n{eng} {eng_last}\n{vendor} Global Support", "Cheers,\n{eng}", "- {eng}",
          "Thank you,\n{eng}\nSenior Support Engineer", "Best,\n{eng}", "{eng} ({vendor} Support)", "Many thanks,\n{eng}"]
V_OPEN = ["Thank you for uploading the diagnostic bundle.", "Thanks for the quick reply and for the logs.",
          "Following up on our call earlier today.", "I've taken ownership of this case and gone through its history.",
          "Thanks for your patience while I reviewed the data.", "Apologies for the delay in getting back to you.",
          "Thanks for sending the additional details.", "I've finished my review of the files attached to the case.",
          "I'm picking this up from my colleague {eng2}, who is out this week.",
          "Thank you for the detailed description of the problem.", "Thanks for joining the session yesterday."]
V_CTX = ["To recap, on your {plat} cluster {sym}.", "As I understand it, {sym} on {plat}.",
         "You reported that {sym} since moving to {plat}.", "Regarding {the_np} on {plat}: here is where we stand.",
         "From your description, {sym}, and the cluster runs {plat}.", "This case is about {the_np} on your {env} cluster running {plat}.",
         "I'm following up on {the_np} you reported on {plat}.", "You mentioned that {sym}.",
         "On {plat}, {sym}, as you described.", "Summarising the issue: {sym} ({plat}, {vname} {ver})."]
V_CTX_SHORT = ["About {the_np}:", "Re {the_np} on {plat}:", "On the {comp} issue:", "Regarding {the_np}:",
               "For {the_np} on {host}:", "Quick note on the {comp} case:"]
V_OBS = ["Looking at the {log} from {host}, {obs}.", "I went through the {log}: {obs}.",
         "From the diagnostic bundle I can see that {obs}.", "After reviewing the {log}, it's clear that {obs}.",
         "In the {log} I found that {obs}.", "What stands out in the {log} is that {obs}.", "The data you sent confirms that {obs}."]
V_ERR_INTRO = ["This is the relevant part of the log:", "Here is the key error:", "The error that matters is:",
               "Relevant excerpt:", "For reference, this is what I see in the log:", "The stack trace shows:"]
V_CFG = ["Currently {key} is set to {cur}.", "Your {key} is {cur}.", "I can see {key}={cur} in your configuration.",
         "The cluster runs with {key} at {cur}."]
V_IMPACT = {
    1: [("I understand your production cluster is down because of this.", "down"),
        ("As this has taken down production, I'm treating it as critical.", "down"),
        ("Given that production data is at risk here, this has my full attention.", "data"),
        ("I know this outage has stopped all production workloads.", "down"),
        ("With production {comp} completely unavailable, this is our top concern.", "down"),
        ("Since there is a real risk of losing production data, every step needs care.", "data")],
    2: [("I understand production is still up but badly degraded, and there's no way around it at the moment.", ""),
        ("I realise the slowdown is seriously hurting your users and nothing has helped so far.", ""),
        ("I know the jobs still run but take several times longer, with no workaround in place.", ""),
        ("The degradation is severe and there is currently nothing you can do to avoid it, I understand.", "")],
    3: [("Since only part of the workload is affected, the rest of the cluster keeps running normally.", ""),
        ("I understand the impact is limited to a few jobs on {host}.", ""),
        ("Good to hear the rest of the cluster is fine and only some {comp} operations are affected.", ""),
        ("As the jobs eventually succeed on retry, the impact is partial.", ""),
        ("Since this only affects your {env3} environment, the impact is limited.", "")],
    4: [("As there is no impact on your workloads right now, let's treat this as a general question.", ""),
        ("Since it happened once and hasn't come back, there's no real impact.", ""),
        ("As you mentioned, no users or jobs are affected by this at the moment.", ""),
        ("Since this is on your {env3} cluster with no business impact, let's treat it as a best-practice question.", "")],
}
V_IMPACT_NT = {
    1: [("I understand your production environment is down.", "down"), ("I know production has been down since this morning.", "down"),
        ("I understand there is a risk of data loss for you.", "data")],
    2: [("I understand your users are badly affected and there is no way around it yet.", "")],
    3: [("I understand only part of your workload is affected.", "")],
    4: [("There is no business impact at this point, as I understand it.", "")],
}
V_URG = {
    1: ["Given your go-live tonight, I've made this my top priority for the next few hours.",
        "Since your business is halted, I'll stay on this with you until it's resolved.",
        "I know every hour counts here, so I'm working on this right now.",
        "With the cut-over planned in a few hours, I'm treating this as an emergency.",
        "As the trading day starts in a few hours, this can't wait."],
    2: ["I know you need this settled by tomorrow morning.", "I'll make sure you have an answer before end of day.",
        "Since your month-end batch runs tomorrow night, I'm prioritising this today.",
        "I understand this has to be fixed before tomorrow's release."],
    3: ["Since your change window is later this week, we have a few days to test this.",
        "I'll aim to have this wrapped up within the next couple of days.",
        "We have until your maintenance window on {day3} to get this right.",
        "As you'd like this closed before next week's release, there's time to validate the change."],
    4: ["There's no time pressure here, so take your time.", "No rush on this one.",
        "Whenever it suits your team is fine.", "There's no deadline attached to this, so we can plan it calmly."],
}
V_BUG = ["This is a known bug in {comp}{verin}: {bug}.", "We've confirmed this is a product defect: {bug}.",
         "Engineering has confirmed that you're hitting a bug where {bug}.",
         "You're running into a known issue in {comp} where {bug}.", "This matches a known defect: {bug}.",
         "Unfortunately this is a bug in our {comp} build; {bug}."]
V_BUG_JIRA = [" It is tracked upstream as {url}.", " The upstream report is {url}.", " See {url} for the details."]
V_BUG_KEY = [" The upstream ticket is {key}.", " It's tracked as {key} upstream."]
V_BUG_TRACKER = [" Internally we track it as {url}.", " Our internal reference is {url}."]
V_BUG_TKEY = [" Our internal reference is {key}.", " It is tracked internally as {key}."]
V_CAUSE = ["The root cause is that {cause}.", "This is not a product defect: {cause}.", "What's happening is that {cause}.",
           "The behaviour is expected given the configuration: {cause}.", "In short, {cause}."]
V_JIRA_NOBUG = ["For background, the design of this area is discussed upstream in {url}.",
                "There's an upstream improvement that will make this easier in future releases: {url}.",
                "The upstream feature request {url} covers a nicer way to handle this, but what you see is expected behaviour.",
                "If you're curious, {url} describes how this logic works upstream."]
V_SOL = ["The fix is {fix}.", "The permanent solution is {fix}.", "To resolve this for good, we recommend {fix}.",
         "This is resolved by {fix}.", "My recommendation to fix the root cause is {fix}.",
         "{Fix} resolves the problem permanently.", "The long-term fix is {fix}."]
V_WA = ["As a workaround, consider {wa}.", "A temporary workaround is {wa}.",
        "Until this is properly resolved, {wa} will keep things running.", "In the meantime, you can work around it by {wa}.",
        "To unblock you for now, I suggest {wa}.", "A short-term workaround other customers have used is {wa}."]
V_ACT_LOGS = ["Could you please upload the {log} from {host}?", "Please attach the {log} covering the last occurrence.",
              "Can you send us the {log} along with a fresh diagnostic bundle?", "Kindly share the {log} from the time of the failure.",
              "Please upload the {log} to the case."]
V_ACT_CMD = ["Please run `{cmd}` and share the output.", "Could you run the following and paste the result?\n\n    {cmd}",
             "Can you execute `{cmd}` on {host} and send us what it prints?", "Please run this and attach the output: {cmd}"]
V_ACT_CONFIRM = ["Can you confirm {d}?", "Please confirm {d}.", "Could you let me know {d}?", "One question: can you confirm {d}?"]
V_CONFIRM_DETAILS = [("whether the issue started right after the upgrade to {plat}", "confirm whether it started after the upgrade"),
                     ("the exact Cloudera Manager version you are running", "confirm the Cloudera Manager version"),
                     ("whether anything changed in the {comp} configuration last week", "confirm any recent configuration changes"),
                     ("how many users or jobs are affected", "confirm how many users are affected"),
                     ("whether {key} was changed from its default", "confirm whether {key} was changed"),
                     ("whether the problem happens on every host or only on {host}", "confirm which hosts are affected"),
                     ("the time of the last occurrence so I can line it up with the logs", "confirm when it last happened")]
V_ACT_DEBUG = [("Please enable DEBUG logging on the {comp} role for an hour and send the resulting log.", "send a DEBUG log"),
               ("Could you turn on GC logging for {comp}, wait for the next occurrence and upload the GC log?", "collect a GC log")]
V_ACT_APPLY = [("Please apply the change in your next window and confirm the result.", "confirm the result of the change"),
               ("Once you've applied it, please let me know whether the problem comes back.", "report whether the problem returns after the change")]
V_FILLER = ["I'll review the data and get back to you.", "I'll keep you posted on progress.",
            "I'm discussing this with our {comp} specialists and will update the case.",
            "I'll continue the analysis on my side.", "I'll follow up once I hear back from engineering."]
V_COURTESY = ["Let me know if you have any questions.", "Feel free to reach out if anything is unclear.",
              "Happy to help further if needed.", "Hope this helps."]
V_DOCS = ["The steps are documented here: {url}", "For reference, see {url}", "Our documentation covers this in detail: {url}",
          "See {url} for the recommended settings.", "More background is in {url}"]
V_COMMUNITY = ["This community article walks through the same scenario: {url}", "A similar case is discussed on our community site: {url}",
               "You may find this community thread useful: {url}"]
V_OTHER = {
    "github": ["The upstream patch is here: {url}", "You can see the code change at {url}"],
    "so": ["There's a helpful discussion of the same error at {url}"],
    "wiki": ["I had a look at the runbook you shared ({url}).", "Thanks for the link to your internal wiki page ({url}); it helped."],
    "share": ["I've uploaded the diagnostic script to {url}", "The test build I mentioned is available at {url}"],
    "tracker": ["Internal reference for our engineering team: {url}"],
    "portal": ["You can follow the case at {url}", "All files are attached to the case: {url}"],
    "cmui": ["In your Cloudera Manager ({url}) the {comp} role currently shows bad health."],
    "grafana": ["The dashboard you shared ({url}) shows the spike clearly."],
}
V_OTHER_NT = {
    "portal": ["You can follow the case at {url}", "The case history is available at {url}"],
    "survey": ["If you have a minute, we'd appreciate your feedback: {url}"],
    "notes": ["The notes from our last meeting are here: {url}"],
}
V_MEET_INTRO = ["I've scheduled a {prov} session for {when} to go through this together.",
                "Here are the details for our {prov} call on {when}:", "Meeting invite for {when} ({prov}):",
                "I've booked a {prov} bridge for {when} so we can look at this live.",
                "Our session is set for {when}; the {prov} details are below."]
VNT_KINDS = {
    "checkin": (["Just checking in on this case - did you get a chance to review my last update?",
                 "I wanted to follow up on my previous note.", "Following up on this case to see how things are going on your side."],
                [("Please let me know if the issue is resolved so that we can close the case.", "asks whether the case can be closed"),
                 ("Could you confirm whether we can close this case?", "asks whether the case can be closed"),
                 ("Please confirm whether you still need assistance.", "asks whether help is still needed")],
                ["I'll check back again in a couple of days.", "No action is needed from you if everything is working."],
                "follows up on the case"),
    "schedule": (["As discussed, let's walk through the case together.", "To move this forward, I've set up a session.",
                  "Thanks for agreeing to a call."],
                 [("Please confirm that this time works for you.", "asks the customer to confirm the time"),
                  ("Could you confirm who from your team will join?", "asks who will attend")],
                 ["Looking forward to speaking with you.", "Talk to you then."],
                 "schedules a call to review the case"),
    "closure": (["As I haven't heard back in {n} days, I'll archive this case at the end of the week.",
                 "Since the issue has been resolved, I'm going to close the case now.",
                 "We haven't received a reply for a while, so this case will be closed automatically in 48 hours."],
                [("Please confirm if we can proceed with closing it.", "asks the customer to confirm")],
                ["Replying to this message will reopen it.", "You can always open a new case if anything comes up."],
                "plans to close the case"),
    "handoff": (["I'm taking over this case from my colleague {eng2}, who is out of office this week.",
                 "{eng2} has moved to another team, so I'll be your new point of contact on this case.",
                 "I'll be owning this case from now on; I've read through the history."],
                [("Please confirm the best contact for updates on your side.", "asks for the best contact on the customer side"),
                 ("Can you confirm your preferred hours for calls?", "asks for the customer's preferred hours")],
                ["I'll continue from where {eng2} left off.", "Nothing changes on your side."],
                "takes over the case from a colleague"),
    "thanks": (["Thanks for confirming that everything is working again.", "Great to hear that the problem is gone.",
                "Thank you for the update, glad things are stable now."],
               [("Please confirm we can close the case.", "asks to confirm closure")],
               ["I'll keep the case open for a few more days just in case.", "It was a pleasure working with you on this."],
               "thanks the customer for confirming the resolution"),
    "waiting": (["I'm still waiting to hear back from our engineering team and will update you as soon as I have news.",
                 "Engineering is still reviewing this; I'll share their feedback as soon as I get it.",
                 "No news yet from the development team, but I've asked them for an estimate."],
                [("In the meantime, please confirm that the situation hasn't changed on your side.", "asks the customer to confirm nothing has changed")],
                ["I'll update you again as soon as I have more.", "Thanks for bearing with us."],
                "is waiting for engineering feedback"),
    "coverage": (["I'm based in {region}, so I've asked my colleague in your time zone to follow this case overnight.",
                  "Since you need coverage over the weekend, the case has been handed to our follow-the-sun team."],
                 [("Please confirm the phone number we should use out of hours.", "asks for an out-of-hours phone number")],
                 ["You'll hear from them directly.", "The case stays with me during my working hours."],
                 "arranges round-the-clock coverage for the case"),
}

C_GREET = ["Hi {eng},", "Hello {eng},", "Hi,", "Hello,", "Team,", "Hi support,", "Dear {vendor} Support,", "{eng},",
           "Good morning,", "Hi {eng} and team,", "Hello support team,"]
C_SIGN = ["Thanks,\n{name}", "Regards,\n{name} {last}\n{company}", "{name}", "Thanks\n{name} | Platform Engineering | {company}",
          "Best,\n{name}", "--\n{name} {last}\nData Platform Team, {company}", "Cheers, {name}",
          "Thank you,\n{name} {last}\n{email}", "{name} ({company})"]
C_CTX = ["Since {when}, {sym} on our {env} cluster ({plat}).", "We are running {plat} and {sym}.",
         "On our {env} cluster ({plat}, {vname} {ver}), {sym}.", "{Sym}. This is {plat}.",
         "We have an issue: {sym}. Environment: {plat}.", "After upgrading to {plat} {when2}, {sym}.",
         "Our {env} {comp} is misbehaving: {sym}.", "Reporting a problem on {plat}: {sym}.",
         "Since {when} {sym}, and nothing has changed on our side. We run {plat}."]
C_CTX_SHORT = ["{Sym}.", "{Sym} on {plat}.", "Still seeing the {comp} problem on {host}.", "Re {the_np}:", "{Sym} ({plat})."]
C_ERR_INTRO = ["Here's the error:", "Error from the log:", "We see this in the logs:", "Stack trace below:", "The log shows:",
               "Error:", "This is what we get:"]
C_CFG = ["We have {key} set to {cur}.", "{key} is currently {cur} on our side.", "Our config has {key}={cur}."]
C_TRIED = [("We already tried restarting the {comp} role.", "restarting the role"),
           ("Restarting the service didn't help.", "a restart"),
           ("We rolled back the last configuration change, no luck.", "rolling back the last configuration change"),
           ("We already increased the heap, same result.", "a larger heap"),
           ("Redeploying the client configuration made no difference.", "redeploying the client configuration"),
           ("We checked disk space and the network, both look fine.", "checking disk space and network")]
C_IMPACT = {
    1: [("Our production cluster is down.", "down"), ("All production jobs have stopped.", "down"),
        ("We are at risk of losing data.", "data"), ("Production is completely unavailable and nobody can work.", "down"),
        ("We might be losing data as we speak.", "data")],
    2: [("Production is up but everything runs far slower and we have no workaround.", ""),
        ("Critical jobs are badly degraded and nothing we tried helps.", ""),
        ("Our users are seriously impacted and there is no way around it.", ""),
        ("The service is barely usable and we haven't found any workaround.", "")],
    3: [("Only a few jobs are affected; the rest run fine.", ""), ("It only happens on one of our {n} nodes.", ""),
        ("We can get by with a restart each morning for now.", ""), ("It only affects our {env3} environment.", ""),
        ("Some reports are delayed, but the main workload is fine.", "")],
    4: [("It only happened once and hasn't come back, so no real impact.", ""),
        ("It's not affecting any users; this is more of a question.", ""),
        ("There's no business impact, we just want to understand it before the next upgrade.", ""),
        ("It's only on our {env3} cluster, so there's no real impact.", "")],
}
C_IMPACT_NT = {
    1: [("Our production environment is down.", "down"), ("Nothing works in production right now.", "down"),
        ("We are at risk of losing data.", "data")],
    2: [("Our users are seriously impacted and there is no workaround.", ""), ("Everything is badly degraded and nothing helps.", "")],
    3: [("Only part of our workload is affected.", ""), ("The impact is limited, we can live with it for a while.", "")],
    4: [("There is no business impact.", ""), ("This is just a process question.", "")],
}
C_URG = {
    1: ["We go live tonight and need this fixed in the next few hours.", "Our business is halted until this is resolved.",
        "Every hour this stays open costs us money - we need help right now.",
        "The trading desk opens in a few hours and this must be fixed before then.", "We need someone on this immediately."],
    2: ["We need this resolved by tomorrow morning.", "Please get back to us before end of day.",
        "Our month-end batch runs tomorrow night, so we need a fix before then.", "We need an answer today."],
    3: ["We'd like a fix this week, before our change window on {day3}.", "Ideally within the next few days.",
        "We have some time, but we want this closed before next week's release.", "Sometime this week would be good."],
    4: ["No rush on this.", "Whenever you get a chance.", "No urgency from our side.", "Take your time, this can wait."],
}
C_URG_SUMMARY = {1: "needs it fixed within hours", 2: "needs it resolved by tomorrow", 3: "wants it resolved this week"}
C_BUG = ["This looks like a bug in {comp}.", "I'm fairly sure this is a defect in {comp}.",
         "It smells like a regression introduced in {plat}.", "Is this a known bug? It certainly behaves like one.",
         "We believe this is a product bug, not a configuration problem.", "This seems to be a bug in {vendor}'s build of {comp}."]
C_JIRA_BUG = ["This looks exactly like {url}.", "We found {url}, which matches our stack trace.", "Could this be {url}?",
              "Possibly related: {url}"]
C_JIRA_NOBUG = ["Separately, is the improvement in {url} planned for a future release?",
                "We'd like the feature from {url} - any plans to backport it?", "Unrelated question: is {url} on the roadmap?"]
C_DOCS = ["We followed {url} step by step.", "According to {url}, this should work.", "We used the procedure from {url}."]
C_COMMUNITY = ["I found this community post: {url}, but it didn't help.", "Someone on the community site had the same problem: {url}"]
C_OTHER = {
    "wiki": ["Our internal runbook for this is at {url}", "Background on our setup: {url}"],
    "share": ["I uploaded the logs here: {url}", "Logs are in our shared folder: {url}"],
    "so": ["We tried the suggestion from {url} without luck."],
    "github": ["There's a patch on GitHub that might be relevant: {url}"],
    "ticket": ["Our internal incident is {url}", "For reference, our internal ticket: {url}"],
    "cmui": ["You can see the alert in our Cloudera Manager: {url}"],
    "grafana": ["Here is our monitoring dashboard: {url}"],
}
C_OTHER_NT = {
    "ticket": ["Our internal incident is {url}", "For reference, our internal ticket: {url}"],
    "notes": ["I've put the timeline of this case in a shared document: {url}"],
}
C_UPDATE = ["Any update on this?", "Can we get a status update?", "Where are we with this case?",
            "Could you please update us on the progress?", "Please provide an update as soon as possible.",
            "Just following up - is there any news?", "What's the latest on this?", "Can you let us know where things stand?",
            "Any news from engineering?"]
C_MEET = ["Can we get on a call today to go through this?", "Please set up a {prov} session with us as soon as possible.",
          "I'd like to do a screen share so you can see the issue live.", "Can you call me at {phone}?",
          "Let's have a call at {time} {tz} - please send an invite.", "Could you schedule a meeting with our platform team {day}?",
          "Requesting a remote session to troubleshoot this together.", "We need a call with your team to walk through this."]
C_MEET_HINT = ["Maybe a call would help at some point, not sure.", "Perhaps it would be easier to talk this through sometime.",
               "We could probably discuss it in our next regular sync.",
               "If it comes to that, a quick chat might help, but email is fine for now.", "Not sure if a call makes sense yet."]
C_ESC = ["Please escalate this case.", "I'd like to formally escalate this issue.", "We need this escalated to your backline team.",
         "Escalate this immediately, please.", "Can you raise an escalation on our behalf?", "Please treat this as an escalation."]
C_MANAGER = ["I want to speak with a support manager.", "Please have your manager call me.", "Can a duty manager get involved?",
             "Put me in touch with your supervisor, please.", "Could you loop in your support manager so we can align on the plan?"]
C_TRANSFER = ["Please assign this case to a different engineer.", "Can we get another engineer on this case?",
              "We'd like this case reassigned to someone in our time zone.", "Please transfer the case to a new owner.",
              "Could someone else take over this case?"]
C_EXPERT = ["Can you bring in {a_expert} subject-matter expert?", "We need someone who really knows {expert} internals.",
            "Please involve an SME for {expert}.", "Could {a_expert} specialist join the case?", "We'd like {a_expert} expert to look at this."]
C_EXPERT_NT = ["Please involve a subject-matter expert.", "Can you bring in a specialist for this?",
               "We'd like an expert to review this case."]
C_PRIO_UP = ["Please raise this case to S{p}.", "Can you bump the priority to P{p}?", "We need this case at S{p} now.",
             "Please change the priority to S{p} given the impact.", "Increase the case priority to S{p}, please."]
C_PRIO_DOWN = ["You can lower the priority to S{p}.", "Feel free to downgrade this case to S{p}.",
               "Please change the priority to P{p}.", "It's fine to move this case down to S{p}."]
C_COMPLAINT = {
    1: [("It's a little disappointing that we had to ask for an update twice.", "support"),
        ("I have to say the last suggestion didn't help, which is a bit frustrating.", "support"),
        ("We're slightly annoyed that this is taking longer than expected.", "support"),
        ("Not thrilled that this came back after the last fix, to be honest.", "product"),
        ("A bit of a letdown that the reply took {n} days.", "support")],
    2: [("We are not happy with how this case is being handled.", "support"),
        ("Frankly, the support on this case has been below what we expect.", "support"),
        ("We've now uploaded the same information {n} times and we're unhappy with the lack of progress.", "support"),
        ("This is the {ordinal} time this issue has come back and our team is clearly unhappy about it.", "product"),
        ("We're disappointed - {n} days and still no root cause.", "support")],
    3: [("This is unacceptable.", "support"), ("I am extremely frustrated with the lack of response on this.", "support"),
        ("Nobody has looked at this for {n} days. This is ridiculous!", "support"),
        ("Your product has failed {n} times this month and we are fed up.", "product"),
        ("We are angry that every answer so far has been a generic article.", "support")],
    4: [("This is completely unacceptable and we are now evaluating alternatives to {vendor}.", "support"),
        ("If this drags on, our executives will reconsider the renewal with {vendor}.", "product"),
        ("ABSOLUTELY UNACCEPTABLE. We pay for premium support and get nothing.", "support"),
        ("I'm furious. Our CIO is asking why we still pay for {vendor} at all.", "product"),
        ("We will be taking this to your account team and looking at other vendors.", "support")],
}
C_POSITIVE = ["Thanks for your help so far.", "Appreciate the quick turnaround.", "Thanks for looking into this.",
              "Thank you for the support."]
C_FRUSTRATION_SUMMARY = {1: "is mildly annoyed", 2: "is unhappy", 3: "is angry", 4: "is furious and threatens to leave"}
C_TARGET_SUMMARY = {"support": "with the support received", "product": "about the product's reliability"}
C_NT_FILL = [("Thanks for the quick response, we'll review your suggestion with the team and get back to you.",
              "The customer thanks support and will review the suggestion with the team."),
             ("I'll be out of office until {day}; please keep {colleague} in the loop.",
              "The customer will be out of office and names a colleague as the contact."),
             ("Thanks, everything is fine on our side now. You can close the case.",
              "The customer confirms the problem is resolved and agrees to close the case."),
             ("Received, thank you. We'll test during our next maintenance window.",
              "The customer acknowledges the update and will test it in the next maintenance window."),
             ("Adding {colleague} from our platform team to the case.", "The customer adds a colleague to the case."),
             ("Thanks for the update, much appreciated.", "The customer thanks support for the update.")]
C_NT_CTX = ["Regarding this case:", "About our open case:", "Following up on the case we opened last week.",
            "Writing about the case {eng} is working on.", "Quick note on this case."]

GOOD_JUSTIFICATIONS = [
    "All answers are consistent with the comment and the summary is accurate.",
    "The answers match the comment; the summary keeps the key facts and drops meeting details.",
    "Every flag is supported by the text and the summary is concise.",
    "Correct flags and scores; the summary names the product, the problem and the request.",
    "Accurate answers throughout, with a faithful summary.",
    "The labels follow the comment closely and the summary is complete.",
    "No errors found: links, requests and severity are all judged correctly.",
]
FAILED_ERRORS = [
    "Request timed out after 120 seconds",
    "Judge response was not valid JSON: Expecting ',' delimiter: line 1 column 58 (char 57)",
    "ThrottlingException: Rate exceeded",
    "Model returned an empty response",
    "ValidationException: Input is too long for the requested model",
    "Connection reset by peer while waiting for the evaluation",
]
NONNUMBERS = ["maybe", "N/A", "unclear", "unknown", "high", "see above", "-", "not sure"]
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
HEX = "0123456789abcdef"
ENVS = ["production", "prod", "PROD", "production"]
ENVS_ANY = ["production", "prod", "dev", "test", "UAT", "QA", "sandbox"]
ENVS_NONPROD = ["dev", "test", "UAT", "QA", "sandbox"]
WHEN = ["yesterday evening", "last night", "this morning", "Monday", "the weekend", "about {n} days ago", "the last patch"]
WHEN2 = ["last weekend", "two weeks ago", "on Friday", "recently", "last month"]
REGIONS = ["EMEA", "APAC", "the Americas", "India", "Europe"]
PROVIDERS = ["Zoom", "Webex", "Teams", "Google Meet"]
SHORT_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _the(np_: str) -> str:
    return np_ if np_.split(" ", 1)[0] in ("a", "an", "the") else "the " + np_


def _join_and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _a(word: str) -> str:
    """`word` with its indefinite article: an Ozone, an HBase, a Hive."""
    an = word[:1] in "AEIOU" or (word[:1] == "H" and word[1:2].isupper())
    return ("an " if an else "a ") + word


def _second_person(text: str) -> str:
    swaps = {"we": "you", "We": "You", "our": "your", "Our": "Your", "us": "you"}
    return re.sub(r"\b(we|We|our|Our|us)\b", lambda m: swaps[m.group(1)], text)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


V_JIRA_BUG_SEP = ["The upstream JIRA for this defect is {url}", "Upstream reference for the bug: {url}"]
URG_GIVEN_SEV = {1: {1: 70, 2: 30}, 2: {1: 20, 2: 45, 3: 35}, 3: {2: 25, 3: 45, 4: 30}, 4: {2: 8, 3: 30, 4: 62}}
LOW_SCORES = {0: 8, 1: 8, 2: 14, 3: 22, 3.5: 6, 4: 22, 4.5: 10, 4.9: 10}
BAD_SUMMARIES = ["The comment is about a support case.", "The customer and the engineer discuss the issue.",
                 "Meeting on Zoom, ID 912 3456 7890, passcode 482913.", "No summary available.",
                 "A comment about the cluster."]


class _Generator:
    """Draws latent records and renders them; one instance (one random stream) per comment type."""

    def __init__(self, comment_type: str, seed: int, vendor: str):
        self.qs = questions(comment_type)
        self.ctype = comment_type
        self.R = random.Random(f"kd-demo-data:{comment_type}:{seed}")
        self.vendor = vendor
        self.vd = re.sub(r"[^a-z0-9]", "", vendor.lower()) or "vendor"
        self.number = {q.key: q.number for q in self.qs}

    # ------------------------------------------------------------------ random helpers
    def c(self, seq):
        return seq[int(self.R.random() * len(seq))]

    def p(self, prob: float) -> bool:
        return self.R.random() < prob

    def wc(self, table: dict):
        keys = list(table)
        return self.R.choices(keys, weights=[table[k] for k in keys])[0]

    def tok(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.R.choices(alphabet, k=n))

    @staticmethod
    def f(template: str, v: dict) -> str:
        return template.format_map(v)

    # ------------------------------------------------------------------ the scene of one comment
    def scene(self, prod: Optional[dict], plat: Optional[dict]) -> dict:
        R = self.R
        company = self.c(COMPANIES)
        cslug = re.sub(r"[^a-z0-9]", "", company.lower())
        domain = cslug + self.c([".com", ".net", ".co.uk", ".de", ".com.au", ".io"])
        sub = self.c([f"prod.{cslug}.local", f"{cslug}.corp", f"dc1.{domain}", f"bigdata.{domain}",
                      f"hadoop.{cslug}.internal", f"cdp.{domain}"])
        prefix = prod["host"] if prod else "node"
        name, last = self.c(CUSTOMERS), self.c(SURNAMES)
        eng = self.c(ENGINEERS)
        eng2 = self.c([e for e in ENGINEERS if e != eng])
        appnum = f"{R.randint(1690000000000, 1735000000000)}_{R.randint(1, 99999):04d}"
        ts = (f"{R.randint(2023, 2025)}-{R.randint(1, 12):02d}-{R.randint(1, 28):02d} "
              f"{R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d},{R.randint(0, 999):03d}")
        queue = self.c(QUEUES)
        v = dict(
            company=company, cslug=cslug, domain=domain, vendor=self.vendor,
            host=f"{prefix}{R.randint(1, 24):02d}.{sub}",
            host2=f"{self.c(['edge', 'worker', 'util', 'gw', 'node', 'mst', 'kdc', 'lb'])}{R.randint(1, 40):02d}.{sub}",
            n=R.randint(2, 9), n2=R.randint(2, 9), n3=R.randint(3, 12), pct=R.randint(70, 99),
            gb=self.c([8, 12, 16, 24, 32, 48, 64]), gb2=self.c([16, 24, 32, 48, 64, 96]), gb3=self.c([8, 16, 21, 32]),
            mb=self.c([512, 1024, 2048, 4096, 6144, 8192]), mb2=self.c([10240, 20480, 40960, 81920]),
            sec=R.randint(12, 180), ms=self.c([20000, 45000, 60000, 90000]),
            app=f"application_{appnum}", appnum=appnum,
            cid=f"container_e{R.randint(10, 99)}_{appnum}_01_{R.randint(2, 999999):06d}",
            qid=f"{self.tok(16, HEX)}:{self.tok(8, HEX)}00000000", db=self.c(DBS), table=self.c(TABLES),
            topic=self.c(KTOPICS), ts=ts, user=self.c(USERS), queue=queue, queue2=self.c([q for q in QUEUES if q != queue]),
            part=R.randint(0, 47), pid=R.randint(1200, 65000), txn=R.randint(100000, 9999999), txn2=R.randint(10, 99999),
            realm=f"{cslug.upper()}.{self.c(['COM', 'LOCAL', 'CORP', 'NET'])}", letter=self.c("bcdefghijk"),
            name=name, last=last, eng=eng, eng2=eng2, eng_last=self.c(SURNAMES),
            email=f"{name.lower()}.{last.lower()}@{domain}", colleague=f"{self.c(CUSTOMERS)} {self.c(SURNAMES)}",
            env3=self.c(ENVS_NONPROD), day=self.c(DAYS), day3=self.c(["Wednesday", "Thursday", "Friday"]),
            region=self.c(REGIONS), ordinal=self.c(ORDINALS),
        )
        if plat is not None:
            rt = plat["rt"].split("-")[0]
            v["build"] = f"{rt}-1.cdh{rt}.p0.{R.randint(10000000, 59999999)}"
        v["when"] = self.c(WHEN).format_map(v)
        v["when2"] = self.c(WHEN2)
        return v

    @staticmethod
    def fitting(options: list, v: dict) -> list:
        """Impact phrasings that do not contradict the environment named in the comment."""
        if v.get("env") in ENVS_NONPROD:
            return options
        return [o for o in options if "{env3}" not in o[0]] or options

    def pick_platform(self, prod: dict) -> dict:
        plats = [p for p in PLATFORMS if p["family"] in prod["families"]]
        return self.R.choices(plats, weights=[p["w"] for p in plats])[0]

    def tech_vars(self, prod: dict, prob: dict, plat: dict, sev: int) -> tuple[dict, dict]:
        """The scene plus the problem's facts filled in for this comment."""
        v = self.scene(prod, plat)
        fill = lambda t: t.format_map(v)  # noqa: E731
        pv = dict(
            sym=[fill(s) for s in prob["sym"]], obs=[fill(s) for s in prob["obs"]],
            err=[[fill(line) for line in blk] for blk in prob["err"]], cause=fill(prob["cause"]),
            fix=[(fill(a), fill(b)) for a, b in prob["fix"]], wa=[(fill(a), fill(b)) for a, b in prob["wa"]],
            bug=fill(prob["bug"]), cfg=[(fill(k), fill(cur), fill(rec)) for k, cur, rec in prob["cfg"]],
            cmd=[fill(c) for c in prob["cmd"]],
        )
        if prod["key"] == "cm":
            ver, vname = plat["cm"], "Cloudera Manager"
        elif plat["family"] == "cdp":
            ver, vname = f"{prod['base']['cdp']}.{plat['rt']}", prod["vname"]
        else:
            ver, vname = f"{prod['base'][plat['family']]}-cdh{plat['rt']}", prod["vname"]
        sym = self.c(pv["sym"])
        v.update(comp=prob["comp"], np=prob["np"], the_np=_the(prob["np"]), ver=ver, vname=vname, expert=prod["expert"],
                 a_expert=_a(prod["expert"]),
                 plat=self.c([plat["long"], plat["short"]] + plat["alts"]), sym=sym, Sym=_cap(sym),
                 obs=self.c(pv["obs"]), log=self.c(prob["logs"]),
                 env=self.c(ENVS) if sev <= 2 else self.c(ENVS_ANY))
        if v["env"] in ENVS_NONPROD:
            v["env3"] = v["env"]
        return v, pv

    # ------------------------------------------------------------------ links
    def url_jira(self, prod: dict) -> tuple[str, str]:
        key = f"{prod['jira']}-{self.R.randint(*prod['jira_range'])}"
        return f"https://issues.apache.org/jira/browse/{key}", key

    def url_tracker(self, prod: Optional[dict]) -> tuple[str, str]:
        proj = "OPSAPS" if prod is not None and prod["key"] == "cm" else "CDPD"
        key = f"{proj}-{self.R.randint(20000, 79999)}"
        return f"https://jira.{self.vd}.com/browse/{key}", key

    def related(self, options: list[str], prob: Optional[dict]) -> str:
        """Mostly the option whose words best match the problem, sometimes any option."""
        if prob is None or self.p(0.3):
            return self.c(options)
        words = set(re.findall(r"[a-z0-9]+", f"{prob['np']} {prob['comp']} {prob['cause']} {prob['err_short']}".lower()))
        scores = [sum(w in words for w in re.findall(r"[a-z0-9]+", o.lower())) for o in options]
        return options[scores.index(max(scores))]

    def url_docs(self, prod: dict, plat: dict, prob: Optional[dict] = None) -> str:
        area, slugs = prod["docs"]
        slug = self.related(slugs, prob)
        if self.p(0.7):
            return f"https://docs.{self.vd}.com/cdp-private-cloud-base/{plat['docver']}/{area}/topics/{slug}.html"
        return f"https://docs.{self.vd}.com/runtime/{plat['docver']}/{area}/topics/{slug}.html"

    def url_community(self, prod: dict, prob: Optional[dict] = None) -> str:
        title = self.related(prod["community"], prob)
        if self.p(0.6):
            return f"https://community.{self.vd}.com/t5/Support-Questions/{title}/td-p/{self.R.randint(200000, 399999)}"
        return f"https://community.{self.vd}.com/t5/Community-Articles/{title}/ta-p/{self.R.randint(240000, 399999)}"

    def url_other(self, kind: str, v: dict, prod: Optional[dict] = None) -> str:
        R, cs, dom = self.R, v["cslug"], v["domain"]
        if kind == "github":
            return f"https://github.com/apache/{prod['repo']}/pull/{R.randint(1000, 6900)}"
        if kind == "so":
            return f"https://stackoverflow.com/questions/{R.randint(40000000, 78999999)}/{_slug(prod['problems'][0]['np'] if prod else 'support')}"
        if kind == "wiki":
            if self.p(0.5):
                page = "+".join(self.c(["Cluster", "Hadoop", "Platform", "Data"]) + w for w in ["", "Runbook"])
                return f"https://wiki.{dom}/display/{self.c(['BDP', 'DATA', 'PLAT', 'OPS'])}/{page}+{R.randint(1, 99)}"
            return f"https://confluence.{dom}/pages/viewpage.action?pageId={R.randint(10_000_000, 999_999_999)}"
        if kind == "share":
            which = R.randrange(3)
            if which == 0:
                return f"https://{cs}.box.com/s/{self.tok(32, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
            if which == 1:
                return f"https://drive.google.com/file/d/{self.tok(33)}/view?usp=sharing"
            return f"https://{cs}-my.sharepoint.com/:u:/g/personal/{v['name'].lower()}_{cs}/{self.tok(22)}"
        if kind == "tracker":
            return self.url_tracker(prod)[0]
        if kind == "portal":
            return f"https://my.{self.vd}.com/cases/{R.randint(900000, 1099999)}"
        if kind == "cmui":
            return f"https://cm{R.randint(1, 3):02d}.{dom}:7183/cmf/services/{R.randint(10, 99)}/status"
        if kind == "grafana":
            return f"https://grafana.{dom}/d/{self.tok(9)}/{_slug(prod['name'] if prod else 'cluster')}-overview?orgId=1"
        if kind == "ticket":
            return f"https://{cs}.service-now.com/incident.do?number=INC{R.randint(1000000, 9999999)}"
        if kind == "survey":
            return f"https://www.surveymonkey.com/r/{self.tok(7).upper()}"
        if kind == "notes":
            return f"https://docs.google.com/document/d/{self.tok(44)}/edit"
        raise ValueError(kind)

    def phone(self) -> str:
        R = self.R
        which = R.randrange(4)
        if which == 0:
            return f"+1 {R.randint(201, 989)} {R.randint(200, 999)} {R.randint(1000, 9999)}"
        if which == 1:
            return f"+44 20 {R.randint(3000, 8999)} {R.randint(1000, 9999)}"
        if which == 2:
            return f"+49 69 {R.randint(1000, 9999)} {R.randint(1000, 9999)}"
        return f"+91 22 {R.randint(6000, 6999)} {R.randint(1000, 9999)}"

    def meeting_block(self, with_link: bool, host: str, prov: Optional[str] = None) -> tuple[str, str, list[str]]:
        """Provider, time and the invite lines; a URL line only `with_link`."""
        R = self.R
        prov = prov or self.c(PROVIDERS)
        when = f"{self.c(DAYS)} at {R.randint(7, 18)}:{self.c(['00', '15', '30', '45'])} {self.c(TIMEZONES)}"
        phone = self.phone()
        if prov == "Zoom":
            mid = f"{R.randint(810, 999)} {R.randint(1000, 9999)} {R.randint(1000, 9999)}"
            url = f"https://{host}.zoom.us/j/{mid.replace(' ', '')}?pwd={self.tok(32)}"
            lines = (["Join Zoom Meeting", url] if with_link else []) + [
                f"Meeting ID: {mid}", f"Passcode: {R.randint(100000, 999999)}", f"Dial by your location: {phone}"]
        elif prov == "Webex":
            num = f"{R.randint(2000, 2999)} {R.randint(100, 999)} {R.randint(1000, 9999)}"
            url = f"https://{host}.webex.com/{host}/j.php?MTID=m{self.tok(32, HEX)}"
            lines = ([f"Meeting link: {url}"] if with_link else []) + [
                f"Meeting number: {num}", f"Password: {self.tok(8)}", f"Join by phone: {phone}", f"Access code: {num}"]
        elif prov == "Teams":
            conf = f"{R.randint(100, 999)} {R.randint(100, 999)} {R.randint(100, 999)}"
            url = f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{self.tok(40)}%40thread.v2/0"
            lines = ["Microsoft Teams meeting"] + ([f"Join on your computer or mobile app: {url}"] if with_link else []) + [
                f"Call in (audio only): {phone},,{conf.replace(' ', '')}#", f"Phone Conference ID: {conf}#"]
        else:
            low = "abcdefghijklmnopqrstuvwxyz"
            url = f"https://meet.google.com/{self.tok(3, low)}-{self.tok(4, low)}-{self.tok(3, low)}"
            lines = ["Google Meet joining info"] + ([f"Video call link: {url}"] if with_link else []) + [
                f"Dial-in: {phone} PIN: {R.randint(100000000, 999999999)}#"]
        return prov, when, lines

    def error_block(self, blk: list[str], full: bool) -> str:
        lines = blk if full else blk[:1]
        if full and len(lines) > 2 and self.p(0.4):
            lines = lines[: self.R.randint(2, len(lines))]
        style = self.R.randrange(3)
        if style == 0:
            return "\n".join(lines)
        if style == 1:
            return "\n".join("    " + line for line in lines)
        return "```\n" + "\n".join(lines) + "\n```"

    # ------------------------------------------------------------------ one comment
    def make(self) -> tuple[str, dict[int, Any], str]:
        """(comment, answers by question number, topic)."""
        if self.ctype == "vendor":
            text, labels, summary, topic = self.make_vendor()
        else:
            text, labels, summary, topic = self.make_customer()
        answers = {self.number[k]: val for k, val in labels.items()}
        answers[self.number["summary"]] = summary
        return text, answers, topic

    # ================================================================== vendor comments
    def make_vendor(self):
        tech = self.p(0.8)
        if tech:
            prod = self.R.choices(PRODUCTS, weights=[p["w"] for p in PRODUCTS])[0]
            prob = self.c(prod["problems"])
            sev = self.wc({1: 22, 2: 23, 3: 30, 4: 25})
        else:
            prod = prob = None
            sev = self.wc({1: 8, 2: 6, 3: 10, 4: 76})
        urg = self.wc(URG_GIVEN_SEV[sev])
        L = dict(technical=int(tech), severity=sev, urgency=urg)
        tiny = tech and self.p(0.14)  # a one-liner: one point, nothing said about impact or time
        if tiny:
            L.update(severity=4, urgency=4, solution=0, workaround=0, action_request=0, bug=0, apache_jira_link=0,
                     vendor_doc_link=0, other_link=0)
            focus = self.c(["action_request", "action_request", "solution", "workaround", "vendor_doc_link", "bug", "other_link"])
            L[focus] = 1
            if focus == "bug" and prod["jira"]:
                L["apache_jira_link"] = 1
            text, summary = self.vendor_tech(prod, prob, L, meeting=False, tiny=True)
            topic = prod["topic"]
        elif tech:
            bug = self.p(0.33)
            L.update(solution=int(self.p(0.45)), workaround=int(sev != 2 and self.p(0.36)),
                     action_request=int(self.p(0.6)), bug=int(bug),
                     apache_jira_link=int(bool(prod["jira"]) and self.p(0.55 if bug else 0.12)),
                     vendor_doc_link=int(self.p(0.36)), other_link=int(self.p(0.36)))
            text, summary = self.vendor_tech(prod, prob, L, meeting=self.p(0.08))
            topic = prod["topic"]
        else:
            kind = self.c(list(VNT_KINDS))
            if kind in ("closure", "thanks"):  # nothing is on fire when a case is being closed
                sev, urg = 4, 4
                L.update(severity=4, urgency=4)
            L.update(solution=0, workaround=0, action_request=int(self.p(0.45)), bug=0, apache_jira_link=0,
                     vendor_doc_link=0, other_link=int(self.p(0.45 if kind == "schedule" else 0.25)))
            text, summary = self.vendor_nontech(kind, L)
            topic = NONTECH_TOPIC["vendor"] if self.p(0.7) else self.c(PRODUCTS)["topic"]
        return text, L, summary, topic

    def vendor_tech(self, prod, prob, L, meeting: bool, tiny: bool = False) -> tuple[str, str]:
        R = self.R
        sev, urg = L["severity"], L["urgency"]
        plat = self.pick_platform(prod)
        v, pv = self.tech_vars(prod, prob, plat, sev)
        v["sym"] = _second_person(v["sym"])  # the customer's words, as the engineer repeats them
        v["Sym"] = _cap(v["sym"])
        f = lambda t, **kw: t.format_map({**v, **kw}) if kw else t.format_map(v)  # noqa: E731
        positives = sum(L[k] for k in ("solution", "workaround", "action_request", "bug", "apache_jira_link",
                                       "vendor_doc_link", "other_link")) + meeting + (sev <= 3) + (urg <= 3)
        length = self.wc({"short": 30, "medium": 45, "long": 25}) if positives <= 3 else self.wc({"medium": 60, "long": 40})
        if tiny:
            length = "short"
        short = length == "short"
        S: dict[str, str] = {}
        flags = dict(err=False, cause=False, impact=None, urg=False)
        S["ctx"] = f(self.c(V_CTX_SHORT if short else V_CTX))
        if not short and self.p(0.6 if length == "medium" else 0.9):
            S["obs"] = f(self.c(V_OBS))
        err = None
        if not short and self.p(0.35 if length == "medium" else 0.85):
            err = self.c(V_ERR_INTRO) + "\n" + self.error_block(self.c(pv["err"]), full=length == "long")
            flags["err"] = True
        if not short and self.p(0.25 if length == "medium" else 0.5):
            key, cur, _ = self.c(pv["cfg"])
            S["cfg"] = f(self.c(V_CFG), key=key, cur=cur)
        if sev <= 3 or (not tiny and self.p(0.3 if short else 0.5)):
            text, kind = self.c(self.fitting(V_IMPACT[sev], v))
            S["impact"], flags["impact"] = f(text), kind
        if urg <= 3 or (not tiny and self.p(0.2 if short else 0.4)):
            S["urg"], flags["urg"] = f(self.c(V_URG[urg])), True
        jira_url, jira_key = self.url_jira(prod) if L["apache_jira_link"] else (None, None)
        jira_done = other_done = False
        if L["bug"]:
            t = f(self.c(V_BUG), verin=(" " + v["ver"]) if self.p(0.4) else "", bug=pv["bug"])
            if jira_url and (tiny or self.p(0.65)):
                t += self.c(V_BUG_JIRA).format(url=jira_url)
                jira_done = True
            elif tiny:
                pass
            elif not jira_url and prod["jira"] and self.p(0.3):
                jira_key = self.url_jira(prod)[1]  # a bare key: not a link
                t += self.c(V_BUG_KEY).format(key=jira_key)
            if L["other_link"] and not jira_done and self.p(0.35):
                t += self.c(V_BUG_TRACKER).format(url=self.url_tracker(prod)[0])
                other_done = True
            elif self.p(0.2):
                t += self.c(V_BUG_TKEY).format(key=self.url_tracker(prod)[1])
            S["diag"] = t
        elif not tiny and self.p(0.2 if short else 0.55):
            S["diag"] = f(self.c(V_CAUSE), cause=pv["cause"])
            flags["cause"] = True
        if jira_url and not jira_done:
            S["jira"] = self.c(V_JIRA_BUG_SEP if L["bug"] else V_JIRA_NOBUG).format(url=jira_url)
        fix_s = wa_s = None
        if L["solution"]:
            if L["bug"] and self.p(0.6):
                fix, fix_s = self.c([(f"upgrading to {plat['next']}, which contains the fix", f"upgrading to {plat['next']}"),
                                     (f"applying the hotfix we have built for {plat['short']}", "applying a hotfix")])
            else:
                fix, fix_s = self.c(pv["fix"])
            S["sol"] = f(self.c(V_SOL), fix=fix, Fix=_cap(fix))
        if L["workaround"]:
            wa, wa_s = self.c(pv["wa"])
            S["wa"] = f(self.c(V_WA), wa=wa)
        if L["vendor_doc_link"]:
            if self.p(0.65):
                S["docs"] = self.c(V_DOCS).format(url=self.url_docs(prod, plat, prob))
            else:
                S["docs"] = self.c(V_COMMUNITY).format(url=self.url_community(prod, prob))
        meet = None
        if meeting:
            link = bool(L["other_link"]) and not other_done and self.p(0.7)
            prov, when, lines = self.meeting_block(link, self.vd)
            other_done = other_done or link
            meet = f(self.c(V_MEET_INTRO), prov=prov, when=when) + "\n" + "\n".join(lines)
        if L["other_link"] and not other_done:
            kinds = ["so", "wiki", "share", "tracker", "portal", "cmui", "grafana"] + (["github", "github"] if prod["repo"] else [])
            kind = self.c(kinds)
            S["other"] = f(self.c(V_OTHER[kind]), url=self.url_other(kind, v, prod))
        acts: list[tuple[str, str]] = []
        if L["action_request"]:
            options = ["logs", "cmd", "confirm", "apply" if L["solution"] else "debug"]
            for kind in R.sample(options, 2 if (not short and self.p(0.3)) else 1):
                if kind == "logs":
                    log = self.c(prob["logs"])
                    acts.append((f(self.c(V_ACT_LOGS), log=log), f"upload the {log}"))
                elif kind == "cmd":
                    cmd = self.c(pv["cmd"])
                    acts.append((f(self.c(V_ACT_CMD), cmd=cmd), f"share the output of {' '.join(cmd.split()[:2])}"))
                elif kind == "confirm":
                    key = self.c(pv["cfg"])[0]
                    d, ds = self.c(V_CONFIRM_DETAILS)
                    acts.append((f(self.c(V_ACT_CONFIRM), d=f(d, key=key)), f(ds, key=key)))
                else:
                    t, s = self.c(V_ACT_APPLY if kind == "apply" else V_ACT_DEBUG)
                    acts.append((f(t), s))
        if short:
            core = [S["ctx"]]
            mid = [S[k] for k in ("impact", "urg") if k in S]
            rest = [S[k] for k in ("diag", "jira", "sol", "wa", "docs", "other") if k in S] + [a for a, _ in acts]
            body = " ".join(core + (mid + rest if self.p(0.5) else rest + mid))
            if meet:
                body += "\n\n" + meet
            greet = f(self.c(V_GREET)) if self.p(0.5) else ""
            text = (greet + (" " if self.p(0.5) else "\n") + body) if greet else body
            if self.p(0.5):
                text += "\n" + f(self.c(["- {eng}", "Thanks, {eng}", "{eng}", "Regards, {eng}"]))
        else:
            intro = [f(self.c(V_OPEN))] if self.p(0.5 if length == "medium" else 0.8) else []
            intro += [S[k] for k in ("ctx", "obs", "cfg") if k in S]
            imp = [S[k] for k in ("impact", "urg") if k in S]
            diag_keys = [k for k in ("diag", "jira", "sol", "wa") if k in S]
            if "sol" in diag_keys and "wa" in diag_keys and self.p(0.4):
                i, j = diag_keys.index("sol"), diag_keys.index("wa")
                diag_keys[i], diag_keys[j] = diag_keys[j], diag_keys[i]
            links = [S[k] for k in ("docs", "other") if k in S]
            diag = [S[k] for k in diag_keys]
            diag = diag + links if self.p(0.6) else diag
            act = [a for a, _ in acts]
            blocks = [b for b in (imp, diag, act) if b]
            R.shuffle(blocks)
            paras = [intro]
            if imp and self.p(0.2):
                blocks.remove(imp)
                paras = [imp, intro]
            if err:
                paras.append([err])
            paras += blocks
            if links and not (diag and links[0] in diag):
                paras.append(links)
            if meet:
                paras.append([meet])
            end = []
            if self.p(0.4 if length == "medium" else 0.6):
                end.append(f(self.c(V_FILLER)))
            if self.p(0.4 if length == "medium" else 0.6):
                end.append(self.c(V_COURTESY))
            if end:
                paras.append(end)
            if length == "medium" and self.p(0.4):  # one running paragraph, blocks kept in order
                merged, out = [], []
                for para in paras:
                    if any("\n" in s for s in para):
                        if merged:
                            out.append(merged)
                            merged = []
                        out.append(para)
                    else:
                        merged += para
                paras = out + ([merged] if merged else [])
            text = "\n\n".join(" ".join(p) for p in paras if p)
            if self.p(0.9):
                text = f(self.c(V_GREET)) + "\n\n" + text
            if self.p(0.9):
                text += "\n\n" + f(self.c(V_SIGN))
        # ---- summary from the record
        np_ = prob["np"]
        subj = _cap(np_)
        if prod["name"].lower() not in np_.lower() and prob["comp"].lower() not in np_.lower():
            subj += f" in {prod['name']}"
        if v["plat"] in text:
            subj += f" on {plat['short']}"
        if flags["err"]:
            subj += f" ({prob['err_short']})"
        s1 = subj + self.impact_clause(sev, flags["impact"], "impact" in S) + "."
        clauses = []
        if L["bug"]:
            clauses.append("confirms a known bug" + (f" ({jira_key})" if jira_key else ""))
        elif flags["cause"]:
            clauses.append(f"traces it to {prob['cause_s']}")
        if L["apache_jira_link"] and not L["bug"]:
            clauses.append(f"points to the upstream ticket {jira_key}")
        if fix_s:
            clauses.append(f"recommends {fix_s}")
        if wa_s:
            clauses.append(f"suggests {wa_s} as a workaround")
        if L["vendor_doc_link"] and len(clauses) < 2:
            clauses.append("shares the relevant documentation")
        if L["other_link"] and not clauses:
            clauses.append("shares a reference link")
        if flags["urg"] and urg <= 3:
            clauses.append({1: "notes that hours matter", 2: "notes the deadline of tomorrow",
                            3: "notes the deadline later this week"}[urg])
        if meet:
            clauses.append("sets up a call to review it")
        if acts:
            clauses.append("asks the customer to " + _join_and([s for _, s in acts]))
        if not clauses:
            clauses.append("is still investigating and will follow up")
        return text.strip(), s1 + " The engineer " + _join_and(clauses) + "."

    @staticmethod
    def impact_clause(sev: int, kind: Optional[str], shown: bool) -> str:
        if not shown:
            return ""
        if sev == 1:
            return ", with production data at risk" if kind == "data" else ", with production down"
        return {2: ", causing severe degradation with no workaround", 3: ", with partial impact", 4: ", with no real impact"}[sev]

    def vendor_nontech(self, kind: str, L: dict) -> tuple[str, str]:
        sev, urg = L["severity"], L["urgency"]
        v = self.scene(None, None)
        f = lambda t, **kw: t.format_map({**v, **kw})  # noqa: E731
        texts, asks, nonasks, what = VNT_KINDS[kind]
        body = [f(self.c(texts))]
        impact = None
        closing = kind in ("closure", "thanks")  # says nothing about impact or time
        if sev <= 3 or (not closing and self.p(0.25)):
            t, impact = self.c(V_IMPACT_NT[sev])
            body.insert(self.R.randint(0, len(body)), f(t))
        urg_shown = urg <= 3 or (not closing and self.p(0.25))
        if urg_shown:
            body.append(f(self.c(V_URG[urg])))
        blocks = [body]
        link_done = False
        if kind == "schedule":
            link = bool(L["other_link"]) and self.p(0.75)
            prov, when, lines = self.meeting_block(link, self.vd)
            link_done = link
            blocks.append([f(self.c(V_MEET_INTRO), prov=prov, when=when) + "\n" + "\n".join(lines)])
        if L["other_link"] and not link_done:
            okind = self.c(list(V_OTHER_NT))
            blocks.append([f(self.c(V_OTHER_NT[okind]), url=self.url_other(okind, v))])
        ask_s = None
        if L["action_request"]:
            t, ask_s = self.c(asks)
            blocks.append([f(t)])
        elif self.p(0.6):
            blocks.append([f(self.c(nonasks))])
        if self.p(0.35):
            blocks.append([self.c(V_COURTESY)])
        if self.p(0.5):
            text = "\n\n".join(" ".join(b) for b in blocks)
        else:
            text = " ".join(" ".join(b) for b in blocks)
        if self.p(0.85):
            text = f(self.c(V_GREET)) + ("\n\n" if "\n" in text or self.p(0.5) else " ") + text
        if self.p(0.85):
            text += "\n\n" + f(self.c(V_SIGN))
        clauses = [what]
        if ask_s:
            clauses.append(ask_s)
        if impact is not None and sev <= 3:
            clauses.append({1: "notes that production data is at risk" if impact == "data" else "notes that production is down",
                            2: "acknowledges the severe impact on users", 3: "acknowledges the partial impact"}[sev])
        if urg_shown and urg <= 3:
            clauses.append({1: "treats it as urgent", 2: "commits to an answer by tomorrow", 3: "plans to finish this week"}[urg])
        return text.strip(), "The engineer " + _join_and(clauses) + "."

    # ================================================================== customer comments
    def make_customer(self):
        R = self.R
        tech = self.p(0.78)
        complaint = self.p(0.38)
        fr = self.wc({1: 30, 2: 30, 3: 24, 4: 16}) if complaint else 0
        if tech:
            prod = R.choices(PRODUCTS, weights=[p["w"] for p in PRODUCTS])[0]
            prob = self.c(prod["problems"])
            sev = self.wc({1: 20, 2: 22, 3: 30, 4: 28})
        else:
            prod = prob = None
            sev = self.wc({1: 14, 2: 12, 3: 14, 4: 60})
        urg = self.wc(URG_GIVEN_SEV[sev])
        prio = 0
        if self.p(0.2):
            prio = sev if self.p(0.8) else max(1, sev - 1)
        bug = tech and self.p(0.35)
        L = dict(technical=int(tech), complaint=int(complaint), frustration=fr, severity=sev, urgency=urg,
                 update_request=int(self.p(0.33 + 0.15 * complaint)), meeting_request=int(self.p(0.25)),
                 escalation_request=int(self.p(0.11 + (0.3 if fr >= 2 else 0))), priority_change=prio,
                 transfer_request=int(self.p(0.1 + (0.2 if fr >= 2 else 0))),
                 manager_request=int(self.p(0.1 + (0.3 if fr >= 3 else 0))), expert_request=int(self.p(0.16)),
                 bug=int(bug), apache_jira_link=int(tech and bool(prod["jira"]) and self.p(0.55 if bug else 0.12)),
                 vendor_doc_link=int(tech and self.p(0.25)), other_link=int(self.p(0.33)))
        tiny = self.p(0.15)  # a one-liner: one ask, nothing said about impact or time
        if tiny:
            for key in L:
                L[key] = 0
            L.update(technical=int(tech), severity=4, urgency=4)
            if self.p(0.15):
                L.update(complaint=1, frustration=1)
            L[self.c(["update_request"] * 3 + ["meeting_request", "escalation_request", "transfer_request",
                                               "manager_request", "expert_request"])] = 1
        text, summary = self.customer_comment(prod, prob, L, tiny)
        if tech:
            topic = prod["topic"]
        else:
            topic = NONTECH_TOPIC["customer"] if self.p(0.7) else self.c(PRODUCTS)["topic"]
        return text, L, summary, topic

    def customer_comment(self, prod, prob, L, tiny: bool = False) -> tuple[str, str]:
        R = self.R
        tech, sev, urg, fr = L["technical"], L["severity"], L["urgency"], L["frustration"]
        if tech:
            plat = self.pick_platform(prod)
            v, pv = self.tech_vars(prod, prob, plat, sev)
        else:
            plat, pv = None, None
            v = self.scene(None, None)
            v.update(expert="")
        f = lambda t, **kw: t.format_map({**v, **kw}) if kw else t.format_map(v)  # noqa: E731
        requests = ("update_request", "meeting_request", "escalation_request", "priority_change", "transfer_request",
                    "manager_request", "expert_request")
        positives = sum(bool(L[k]) for k in requests + ("complaint", "bug", "apache_jira_link", "vendor_doc_link", "other_link"))
        positives += (sev <= 3) + (urg <= 3)
        if tech:
            length = self.wc({"short": 30, "medium": 45, "long": 25}) if positives <= 3 else self.wc({"medium": 55, "long": 45})
        else:
            length = "short" if positives <= 2 and self.p(0.6) else "medium"
        if tiny:
            length = "short"
        short = length == "short"
        flags = dict(err=False, impact=None, urg=False, tried=None, target=None, threat=False)
        facts: list[str] = []  # what happened
        if tech:
            facts.append(f(self.c(C_CTX_SHORT if short else C_CTX)))
        elif self.p(0.5):
            facts.append(f(self.c(C_NT_CTX)))
        err = None
        if tech and not short and self.p(0.35 if length == "medium" else 0.75):
            err = self.c(C_ERR_INTRO) + "\n" + self.error_block(self.c(pv["err"]), full=length == "long")
            flags["err"] = True
        if tech and not short and self.p(0.2 if length == "medium" else 0.4):
            key, cur, _ = self.c(pv["cfg"])
            facts.append(f(self.c(C_CFG), key=key, cur=cur))
        if tech and not short and self.p(0.3 if length == "medium" else 0.5):
            about_memory = re.search(r"heap|memory|GC", prob["cause"] + prob["np"]) is not None
            t, flags["tried"] = self.c([x for x in C_TRIED if about_memory or "heap" not in x[0]])
            facts.append(f(t))
        impact = []
        if sev <= 3 or (not tiny and self.p(0.2 if short else 0.45)):
            t, kind = self.c(self.fitting((C_IMPACT if tech else C_IMPACT_NT)[sev], v))
            impact.append(f(t))
            flags["impact"] = kind
        if urg <= 3 or (not tiny and self.p(0.2 if short else 0.4)):
            impact.append(f(self.c(C_URG[urg])))
            flags["urg"] = True
        claims = []
        jira_key = None
        if L["bug"]:
            claims.append(f(self.c(C_BUG)))
        if L["apache_jira_link"]:
            url, jira_key = self.url_jira(prod)
            claims.append(self.c(C_JIRA_BUG if L["bug"] else C_JIRA_NOBUG).format(url=url))
        if L["vendor_doc_link"]:
            if self.p(0.6):
                claims.append(self.c(C_DOCS).format(url=self.url_docs(prod, plat, prob)))
            else:
                claims.append(self.c(C_COMMUNITY).format(url=self.url_community(prod, prob)))
        # requests, each with its own phrasing; a meeting may carry the customer's bridge
        asks: list[str] = []
        bridge = None
        other_done = False
        if L["meeting_request"]:
            prov = self.c(PROVIDERS)
            asks.append(f(self.c(C_MEET), prov=prov, phone=self.phone(),
                          time=f"{R.randint(8, 17)}:{self.c(['00', '30'])}", tz=self.c(TIMEZONES)))
            if not tiny and self.p(0.45):
                link = bool(L["other_link"]) and self.p(0.7)
                _, _, lines = self.meeting_block(link, v["cslug"], prov)
                other_done = link
                bridge = self.c(["Our bridge details:", "Meeting details below.", "You can use our bridge:"]) + "\n" + "\n".join(lines)
        elif not tiny and self.p(0.15):
            asks.append(self.c(C_MEET_HINT))
        if L["update_request"]:
            asks.append(self.c(C_UPDATE))
        if L["escalation_request"]:
            asks.append(self.c(C_ESC))
        if L["priority_change"]:
            p_ = L["priority_change"]
            asks.append(self.c(C_PRIO_UP if p_ <= 2 else C_PRIO_DOWN).format(p=p_))
        if L["transfer_request"]:
            asks.append(self.c(C_TRANSFER))
        if L["manager_request"]:
            asks.append(self.c(C_MANAGER))
        if L["expert_request"]:
            asks.append(f(self.c(C_EXPERT if tech else C_EXPERT_NT)))
        R.shuffle(asks)
        if fr == 4 and asks and self.p(0.3):  # shouting: only the asks that push harder
            loud = [i for i, a in enumerate(asks) if a in C_ESC or a in C_MANAGER or a in C_UPDATE or a in C_TRANSFER]
            if loud:
                i = self.c(loud)
                asks[i] = asks[i].upper()
        if L["other_link"] and not other_done:
            table = C_OTHER if tech else C_OTHER_NT
            kinds = [k for k in table if k != "github" or (prod and prod["repo"])]
            kind = self.c(kinds)
            claims.append(f(self.c(table[kind]), url=self.url_other(kind, v, prod)))
        tone = []
        if L["complaint"]:
            options = [o for o in C_COMPLAINT[fr] if tech or o[1] == "support"]
            t, flags["target"] = self.c(options)
            flags["threat"] = any(w in t for w in ("alternatives", "renewal", "other vendors"))
            tone.append(f(t))
            if fr >= 3 and self.p(0.4):
                tone.append(self.c(["We expected much better.", "This is not the service we pay for.",
                                    "I've had enough of waiting.", "Enough is enough."]))
        elif self.p(0.15 if tiny else 0.3):
            tone.append(self.c(C_POSITIVE))
        filler = None
        if not tech and not any(L[k] for k in requests) and not L["complaint"] and not impact and not L["other_link"]:
            filler = self.c(C_NT_FILL)
            facts.append(f(filler[0]))
        # ---- layout
        if short:
            parts = facts + impact + claims + tone + asks
            if fr >= 3 and tone and self.p(0.5):
                parts = tone + facts + impact + claims + asks
            body = " ".join(parts)
            if bridge:
                body += "\n\n" + bridge
            greet = f(self.c(C_GREET)) if self.p(0.5) else ""
            text = (greet + (" " if self.p(0.5) else "\n") + body) if greet else body
            if self.p(0.6):
                text += "\n" + f(self.c(["{name}", "Thanks, {name}", "- {name}", "Regards, {name}"]))
        else:
            paras = []
            if fr >= 3 and tone and self.p(0.5):
                paras.append(tone)
                tone = []
            paras.append(facts)
            if err:
                paras.append([err])
            blocks = [b for b in (impact, claims, tone) if b]
            R.shuffle(blocks)
            paras += blocks
            if asks:
                paras.append(asks)
            if bridge:
                paras.append([bridge])
            if length == "medium" and self.p(0.5):
                merged, out = [], []
                for para in paras:
                    if any("\n" in s for s in para):
                        if merged:
                            out.append(merged)
                            merged = []
                        out.append(para)
                    else:
                        merged += para
                paras = out + ([merged] if merged else [])
            text = "\n\n".join(" ".join(p) for p in paras if p)
            if self.p(0.8):
                text = f(self.c(C_GREET)) + "\n\n" + text
            if self.p(0.85):
                text += "\n\n" + f(self.c(C_SIGN))
        # ---- summary from the record
        clauses = []
        s1 = ""
        if tech:
            np_ = prob["np"]
            subj = _cap(np_)
            if prod["name"].lower() not in np_.lower() and prob["comp"].lower() not in np_.lower():
                subj += f" in {prod['name']}"
            if v["plat"] in text:
                subj += f" on {plat['short']}"
            if flags["err"]:
                subj += f" ({prob['err_short']})"
            s1 = subj + self.impact_clause(sev, flags["impact"], flags["impact"] is not None) + ". "
        elif flags["impact"] is not None:
            clauses.append({1: "reports that production data is at risk" if flags["impact"] == "data" else "reports that production is down",
                            2: "reports a severe impact with no workaround", 3: "reports a partial impact",
                            4: "says there is no business impact"}[sev])
        if L["complaint"]:
            clauses.append(f"{C_FRUSTRATION_SUMMARY[fr] if fr < 4 else 'is furious'} {C_TARGET_SUMMARY[flags['target']]}"
                           + (" and threatens to leave" if flags["threat"] else ""))
        if L["bug"]:
            clauses.append("believes it is a product bug" + (f" matching {jira_key}" if jira_key else ""))
        elif jira_key:
            clauses.append(f"asks about the upstream improvement {jira_key}")
        if flags["tried"]:
            clauses.append(f"has already tried {flags['tried']}")
        if flags["urg"] and urg <= 3:
            clauses.append(C_URG_SUMMARY[urg])
        wants = []
        if L["update_request"]:
            wants.append("an update")
        if L["meeting_request"]:
            wants.append("a call")
        if L["escalation_request"]:
            wants.append("an escalation")
        if L["priority_change"]:
            wants.append(f"a priority change to S{L['priority_change']}")
        if L["transfer_request"]:
            wants.append("a different engineer")
        if L["manager_request"]:
            wants.append("a manager")
        if L["expert_request"]:
            wants.append(f"{_a(prod['expert'])} expert" if tech else "a subject-matter expert")
        if wants:
            clauses.append("asks for " + _join_and(wants))
        if filler is not None and not clauses:
            return text.strip(), filler[1]
        if not clauses:
            clauses.append("shares the error output" if flags["err"] else
                           ("shares the current configuration" if tech and any("=" in x or " is currently " in x or " set to " in x for x in facts)
                            else "reports it for investigation" if tech else "shares a reference for the case"))
        return text.strip(), s1 + "The customer " + _join_and(clauses) + "."

    # ================================================================== teacher answers and noise
    def good_evaluation(self) -> dict:
        return {"score": 5.0 if self.p(0.15) else 5, "justification": self.c(GOOD_JUSTIFICATIONS)}

    def corrupt(self, answers: dict[int, Any]) -> tuple[dict[int, Any], str]:
        """Deliberately wrong answers and the judge's note about them."""
        scored = [q for q in self.qs if q.kind != "TEXT"]
        picked = sorted(self.R.sample(scored, self.wc({1: 45, 2: 35, 3: 20})), key=lambda q: q.number)
        new = dict(answers)
        notes = []
        for q in picked:
            if q.kind == "BOOL":
                new[q.number] = 1 - new[q.number]
            else:
                new[q.number] = self.c([x for x in range(q.low, q.high + 1) if x != answers[q.number]])
            notes.append(f"answer {q.number} ({q.key}) should be {answers[q.number]}, not {new[q.number]}")
        summary_q = self.qs[-1].number
        if self.p(0.25):
            new[summary_q] = self.c(BAD_SUMMARIES)
            notes.append("the summary misses the technical facts")
        return new, _cap("; ".join(notes)) + "."

    def invalid_solution(self, answers: dict[int, Any]) -> str:
        """Answers that no parser should accept, whatever the score says."""
        lines = format_answers(answers, self.ctype).split("\n")
        scored = [q for q in self.qs if q.kind != "TEXT"]
        kind = self.c(["missing", "range", "nonnum", "empty_summary", "truncated"])
        if kind == "missing":
            del lines[self.R.randrange(len(lines) - 1)]
        elif kind == "range":
            q = self.c(scored)
            lines[q.number - 1] = f"{q.number}. {q.high + self.R.randint(1, 5)}"
        elif kind == "nonnum":
            q = self.c(scored)
            lines[q.number - 1] = f"{q.number}. {self.c(NONNUMBERS)}"
        elif kind == "empty_summary":
            lines[-1] = f"{len(lines)}."
        else:
            lines = lines[: self.R.randint(2, len(lines) - 2)]
        return "\n".join(lines)

    def pair(self, role: str, comment: str, answers: dict[int, Any]) -> dict:
        if role == "good":
            return {"question": comment, "solution": format_answers(answers, self.ctype), "evaluation": self.good_evaluation()}
        if role == "low":
            wrong, note = self.corrupt(answers)
            score = self.wc(LOW_SCORES)
            if score == 0:
                note = self.c(["Evaluation failed: the judge output could not be parsed.",
                               "Evaluation failed: no score returned."])
            return {"question": comment, "solution": format_answers(wrong, self.ctype),
                    "evaluation": {"score": score, "justification": note}}
        if role == "invalid":
            return {"question": comment, "solution": self.invalid_solution(answers), "evaluation": self.good_evaluation()}
        if role == "noeval":
            pair = {"question": comment, "solution": format_answers(answers, self.ctype)}
            which = self.R.randrange(3)
            if which == 1:
                pair["evaluation"] = {"justification": "The evaluation did not return a score."}
            elif which == 2:
                pair["evaluation"] = {"score": None, "justification": "Score missing in the judge response."}
            return pair
        raise ValueError(role)

    def duplicate_text(self, comment: str) -> tuple[str, str]:
        """An exact copy, or one with whitespace or letter-case changes."""
        which = self.wc({"exact": 50, "space": 25, "case": 25})
        if which == "space":
            return self.c([comment + "\n", "  " + comment, comment.replace(". ", ".  ", 1), comment.replace("\n\n", "\n \n", 1) + " "]), which
        if which == "case":
            return self.c([comment.lower(), comment.upper(), comment[:1].swapcase() + comment[1:]]), which
        return comment, which


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def generate_export(comment_type: str, n_pairs: int, seed: int, vendor: str = "Cloudera") -> dict:
    """One SDS evaluated export of `n_pairs` evaluated pairs (noise included), deterministic for a seed."""
    if n_pairs < 20:
        raise ValueError(f"n_pairs must be at least 20 (got {n_pairs}) so every kind of noise fits")
    gen = _Generator(comment_type, seed, vendor)
    R = gen.R
    n_dup = round(n_pairs * NOISE["dup"])
    counts = {"low": round(n_pairs * NOISE["low"]), "invalid": max(1, round(n_pairs * NOISE["invalid"])),
              "noeval": max(1, round(n_pairs * NOISE["noeval"]))}
    roles = [role for role, k in counts.items() for _ in range(k)]
    roles += ["good"] * (n_pairs - n_dup - len(roles))
    R.shuffle(roles)
    seen: set[str] = set()
    items: list[list] = []  # [topic, pair, role]
    for role in roles:
        while True:
            comment, answers, topic = gen.make()
            if _norm(comment) not in seen:
                seen.add(_norm(comment))
                break
        items.append([topic, gen.pair(role, comment, answers), role])
    for it in items:  # a few pairs whose topic was lost
        if R.random() < 0.03:
            it[0] = "null"
    # duplicates of kept comments, placed after their original; a copy that is not byte-identical stays
    # in the original's topic, so the original is always met first
    originals = R.sample([i for i, it in enumerate(items) if it[2] == "good"], n_dup)
    copies = []
    for i in originals:
        topic, pair, _ = items[i]
        text, kind = gen.duplicate_text(pair["question"])
        copy = {"question": text, "solution": pair["solution"], "evaluation": gen.good_evaluation()}
        if kind == "exact" and gen.p(0.4):
            topic = R.choice(items)[0]
        copies.append((id(pair), [topic, copy, "dup"]))
    for anchor, item in copies:
        pos = next(k for k, it in enumerate(items) if id(it[1]) == anchor)
        items.insert(R.randint(pos + 1, len(items)), item)
    failed: dict[str, list] = {}
    used = [t for t in TOPIC_ORDER if any(it[0] == t for it in items)]
    for _ in range(max(2, min(8, n_pairs // 600))):
        comment, answers, topic = gen.make()
        pair = {"question": comment, "solution": format_answers(answers, comment_type) if gen.p(0.5) else ""}
        failed.setdefault(R.choice(used), []).append({"error": gen.c(FAILED_ERRORS), "pair": pair})
    export: dict[str, Any] = {}
    all_scores: list[float] = []
    for topic in TOPIC_ORDER:
        pairs = [it[1] for it in items if it[0] == topic]
        if not pairs and topic not in failed:
            continue
        scores = [p["evaluation"]["score"] for p in pairs
                  if isinstance(p.get("evaluation"), dict) and isinstance(p["evaluation"].get("score"), (int, float))]
        all_scores += scores
        export[topic] = {
            "average_score": round(sum(scores) / len(scores), 2) if scores else 0.0,
            "min_score": min(scores) if scores else 0,
            "max_score": max(scores) if scores else 0,
            "evaluated_pairs": pairs,
            "failed_pairs": failed.get(topic, []),
            "total_evaluated": len(pairs),
            "total_failed": len(failed.get(topic, [])),
        }
    export["Overall_Average"] = round(sum(all_scores) / len(all_scores), 2) if all_scores else 0.0
    return export


def render_export(export: dict) -> str:
    """The exact bytes written to disk (as `utils.io.write_json` writes them)."""
    return json.dumps(export, indent=JSON_INDENT, ensure_ascii=False) + "\n"


def build_exports(seed: int = DEFAULT_SEED, vendor: str = "Cloudera",
                  sizes: Optional[dict[str, int]] = None) -> dict[str, dict]:
    sizes = sizes or SIZES
    return {t: generate_export(t, sizes[t], seed, vendor) for t in FILES}


def write_demo_data(out_dir: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write both exports atomically into `out_dir`; returns the paths written."""
    out = Path(out_dir)
    paths = []
    for t, export in build_exports(seed).items():
        path = write_json(out / FILES[t], export, indent=JSON_INDENT)
        path.chmod(0o644)  # the temporary file it came from was private
        paths.append(path)
    return paths


@lru_cache(maxsize=2)
def rendered_exports(seed: int = DEFAULT_SEED) -> dict[str, bytes]:
    """The bytes of both files for a seed (cached: building them takes a few seconds)."""
    return {t: render_export(export).encode("utf-8") for t, export in build_exports(seed).items()}


def check_demo_data(out_dir: str | Path, seed: int = DEFAULT_SEED) -> list[str]:
    """Regenerate in memory and compare bytes; returns a problem line per file that differs."""
    problems = []
    for t, want in rendered_exports(seed).items():
        path = Path(out_dir) / FILES[t]
        if not path.exists():
            problems.append(f"{path}: missing")
            continue
        have = path.read_bytes()
        if have != want:
            problems.append(f"{path}: differs from the generator (sha256 {hashlib.sha256(have).hexdigest()[:12]} on disk, "
                            f"{hashlib.sha256(want).hexdigest()[:12]} generated)")
    return problems


# =============================================================================== statistics
def strict_answers(solution: str, comment_type: str) -> Optional[dict[int, Any]]:
    """The answers when `solution` is canonical and complete (every line, in range), else None."""
    qs = questions(comment_type)
    lines = solution.split("\n")
    if len(lines) != len(qs):
        return None
    out: dict[int, Any] = {}
    for q, line in zip(qs, lines):
        m = re.match(r"^(\d+)\. (.+)$", line)
        if not m or int(m.group(1)) != q.number:
            return None
        value = m.group(2).strip()
        if q.kind == "TEXT":
            out[q.number] = value
            continue
        if not re.fullmatch(r"\d+", value) or not q.low <= int(value) <= q.high:
            return None
        out[q.number] = int(value)
    return out


def _shingles(text: str) -> set[str]:
    tokens = re.findall(r"\w+", text.lower())
    if len(tokens) < 3:
        return {" ".join(tokens)}
    return {" ".join(tokens[i:i + 3]) for i in range(len(tokens) - 2)}


def near_duplicates(texts: Sequence[str], threshold: float = 0.9, num_perm: int = 128, bands: int = 32) -> int:
    """How many texts have another text with word-3-gram Jaccard above `threshold` (MinHash + LSH, exact check)."""
    import zlib

    import numpy as np

    prime = (1 << 31) - 1
    rng = np.random.default_rng(12345)
    a = rng.integers(1, prime, size=num_perm, dtype=np.uint64)
    b = rng.integers(0, prime, size=num_perm, dtype=np.uint64)
    sets = [_shingles(t) for t in texts]
    rows = num_perm // bands
    buckets: dict[tuple[int, bytes], list[int]] = {}
    for i, s in enumerate(sets):
        h = np.array([zlib.crc32(g.encode()) % prime for g in s], dtype=np.uint64)
        sig = ((np.outer(h, a) + b) % prime).min(axis=0)
        for band in range(bands):
            buckets.setdefault((band, sig[band * rows:(band + 1) * rows].tobytes()), []).append(i)
    flagged: set[int] = set()
    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                if (i, j) in checked:
                    continue
                checked.add((i, j))
                inter = len(sets[i] & sets[j])
                if inter / (len(sets[i]) + len(sets[j]) - inter) > threshold:
                    flagged.update((i, j))
    return len(flagged)


def describe(export: dict, comment_type: str, threshold: float = 4.9, near_dup: bool = True) -> dict:
    """Counts of each kind of pair, label distributions of the valid pairs and the near-duplicate count."""
    qs = questions(comment_type)
    pairs = [p for k, topic in export.items() if k != "Overall_Average" for p in topic["evaluated_pairs"]]
    stats = dict(topics=sum(1 for k in export if k != "Overall_Average"),
                 failed_pairs=sum(len(t["failed_pairs"]) for k, t in export.items() if k != "Overall_Average"),
                 total=len(pairs), unscored=0, low_score=0, invalid=0, duplicates=0, valid=0)
    seen: set[str] = set()
    valid: list[tuple[str, dict]] = []
    for p in pairs:
        score = p.get("evaluation", {}).get("score") if isinstance(p.get("evaluation"), dict) else None
        if not isinstance(score, (int, float)):
            stats["unscored"] += 1
            continue
        if score <= threshold:
            stats["low_score"] += 1
            continue
        answers = strict_answers(p["solution"], comment_type)
        if answers is None:
            stats["invalid"] += 1
            continue
        key = _norm(p["question"])
        if key in seen:
            stats["duplicates"] += 1
            continue
        seen.add(key)
        valid.append((p["question"], answers))
    stats["valid"] = len(valid)
    dist = {}
    for q in qs:
        if q.kind == "TEXT":
            continue
        values = [a[q.number] for _, a in valid]
        dist[q.key] = {str(x): round(values.count(x) / max(1, len(values)), 3) for x in range(q.low, q.high + 1)}
    stats["distributions"] = dist
    if near_dup:
        n = near_duplicates([c for c, _ in valid])
        stats["near_duplicates"] = n
        stats["near_duplicate_share"] = round(n / max(1, len(valid)), 4)
    return stats


# =============================================================================== command line
def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.demo_data", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(PROJECT_ROOT / "Data"), help="folder for the two exports (default: Data)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default: {DEFAULT_SEED})")
    parser.add_argument("--check", action="store_true", help="regenerate in memory and compare with the files on disk")
    parser.add_argument("--stats", action="store_true", help="print counts, label distributions and near-duplicates")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.check:
        problems = check_demo_data(out, args.seed)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("Regenerate with: python -m utils.demo_data", file=sys.stderr)
            return 1
        print(f"OK: {', '.join(str(out / f) for f in FILES.values())} match the generator (seed {args.seed}).")
        return 0
    if args.stats:
        for t, export in build_exports(args.seed).items():
            stats = describe(export, t)
            dist = stats.pop("distributions")
            print(f"[{t}] " + ", ".join(f"{k}={v}" for k, v in stats.items()))
            for key, d in dist.items():
                print(f"  {key:20s} " + " ".join(f"{k}:{v:.3f}" for k, v in d.items()))
        return 0
    for path in write_demo_data(out, args.seed):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
