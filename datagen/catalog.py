"""The facts the demo comments are written about: platforms, products and their problems, people.

This module owns what is true in the demo world and nothing about how it is said (that is
`datagen.phrases`). Every record is a frozen dataclass built with keyword fields, so each fact
has a name: a problem's symptoms, what the logs show, its error lines, cause, permanent fixes,
workarounds, the defect behind it, the settings involved, the logs and commands that diagnose it.

Placeholders inside the text are filled per comment from the scene (`datagen.compose`): {host}
{host2} {n} {n2} {n3} {pct} {gb} {gb2} {gb3} {mb} {mb2} {sec} {ms} {app} {appnum} {cid} {qid}
{db} {table} {topic} {ts} {user} {queue} {queue2} {part} {pid} {txn} {txn2} {realm} {build}
{letter}. Error lines are pasted verbatim (only placeholders are filled); every other field may
be embedded in a sentence.

    >>> PRODUCTS[0].name, PRODUCTS[0].problems[0].name
    ('HDFS', 'repeated NameNode failovers')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Platform:
    """A release a cluster runs, and where a fix for it ships."""

    long: str  # "CDP Private Cloud Base 7.1.9"
    short: str  # "CDP 7.1.9"
    aliases: tuple[str, ...]  # other ways people write it
    family: str  # "cdp", "cdh6" or "cdh5": which products and versions exist on it
    runtime: str  # the runtime build, part of component version strings
    cm_version: str  # the Cloudera Manager release that manages it
    fixed_in: str  # the release or hotfix that carries the fixes for it
    docs_version: str  # the documentation tree its links point into
    weight: int  # how often a comment is about it


@dataclass(frozen=True)
class Remedy:
    """A change that fixes or avoids a problem: as written in a comment, and in a summary."""

    text: str  # a gerund phrase: "raising the NameNode Java heap to {gb} GB"
    short: str  # a noun phrase for the summary: "a larger NameNode heap"


@dataclass(frozen=True)
class Setting:
    """A configuration property involved in a problem."""

    key: str
    current: str  # what the customer's cluster has
    recommended: str  # what the fix sets


@dataclass(frozen=True)
class Problem:
    """One problem of a product: the facts every rendering and every summary is built from."""

    id: str
    component: str  # the role or service that misbehaves: "NameNode"
    name: str  # a noun phrase naming the problem: "repeated NameNode failovers"
    symptoms: tuple[str, ...]  # clauses saying what users see: "the NameNodes keep failing over ..."
    observations: tuple[str, ...]  # clauses saying what the logs or metrics show
    error_blocks: tuple[tuple[str, ...], ...]  # log or stack-trace excerpts, line by line
    error_short: str  # the error's name, for summaries: "ServiceFailedException"
    cause: str  # a clause: why it happens
    cause_short: str  # a noun phrase for summaries
    fixes: tuple[Remedy, ...]  # permanent solutions
    workarounds: tuple[Remedy, ...]  # temporary measures
    defect: str  # a clause: the product bug that causes or worsens it (said only when bug = 1)
    settings: tuple[Setting, ...]
    logs: tuple[str, ...]  # the logs that diagnose it: "NameNode GC logs"
    commands: tuple[str, ...]  # shell commands that diagnose it


@dataclass(frozen=True)
class Product:
    """A product of the platform, its upstream project and its problems."""

    key: str
    name: str  # "HDFS"
    jira_project: Optional[str]  # the Apache JIRA project; None for the vendor's own products
    jira_range: tuple[int, int]  # issue numbers drawn for made-up keys
    repo: Optional[str]  # the Apache GitHub repository
    families: tuple[str, ...]  # platform families it ships in
    base_versions: dict[str, str]  # upstream version per family, for component version strings
    version_name: str  # what the version string is called: "Hadoop 3.1.1.7.1.9.0-387"
    host_prefix: str  # the start of its hosts' names
    expert: str  # the area a subject-matter expert covers
    weight: int  # how often a comment is about it
    topic: str  # the SDS topic its pairs are filed under
    docs_area: str  # documentation links: https://docs.<vendor>.com/.../<docs_area>/topics/<page>.html
    docs_pages: tuple[str, ...]
    community_threads: tuple[str, ...]  # titles of community threads about it
    problems: tuple[Problem, ...] = field(default_factory=tuple)


# =============================================================================== people and places
ENGINEERS = (
    "Priya", "Tomasz", "Daniel", "Mei", "Rahul", "Sofia", "Ahmed", "Laura", "Kenji", "Olga", "Marco",
    "Aisha", "Ben", "Chloe", "Diego", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Karthik",
    "Lena", "Mateo", "Nadia", "Oscar", "Pavel", "Quinn", "Rosa", "Sanjay", "Tara", "Umar", "Vera",
    "Wei", "Xavier", "Yuki", "Zoltan", "Anika", "Bruno", "Carmen", "Deepak", "Eva", "Gustavo",
)
CUSTOMERS = (
    "Alex", "Brian", "Catherine", "David", "Emily", "Frank", "Gabriela", "Hannah", "Ivan", "Julia",
    "Kevin", "Linda", "Michael", "Nina", "Owen", "Patricia", "Raj", "Sarah", "Thomas", "Uma", "Victor",
    "Wendy", "Yusuf", "Zara", "Amit", "Beatriz", "Chen", "Dmitri", "Erik", "Fatima", "George", "Helga",
    "Igor", "Jasmine", "Kofi", "Lucia", "Mohammed", "Naomi", "Pedro", "Rebecca", "Stefan", "Tanya",
    "Vikram", "Xin", "Yara", "Adebayo", "Bianca", "Conor", "Dana", "Elif", "Felix", "Ingrid", "Jorge",
    "Kim", "Leon", "Marta", "Nikhil", "Paula", "Ravi", "Simone",
)
SURNAMES = (
    "Schmidt", "Kowalski", "Nguyen", "Garcia", "Okafor", "Iyer", "Rossi", "Tanaka", "Novak", "Silva",
    "Murphy", "Haddad", "Jensen", "Fischer", "Kaur", "Moreau", "Lindqvist", "Papadopoulos", "Costa",
    "Yilmaz", "Bauer", "Chowdhury", "Dubois", "Ivanova", "Larsen", "Mendes", "Park", "Reyes", "Sato",
)
COMPANIES = (
    "Bluestone Bank", "Meridian Health", "Orbital Logistics", "Tarragon Retail", "Helix Insurance",
    "Quarry Energy", "Northgate Telecom", "Saffron Foods", "Vantage Airlines", "Ironwood Mining",
    "Cobalt Payments", "Lakeshore Utilities", "Pinecrest University", "Summit Pharma", "Arcadia Media",
    "Redwood Capital", "Granite Manufacturing", "Harbor Freight Lines", "Silverline Rail", "Evergreen Grocers",
    "Polaris Securities", "Crescent Hotels", "Beacon Mutual", "Falcon Automotive", "Juniper Government Services",
    "Maple Leaf Credit Union", "Obsidian Gaming", "Riverbend Hospital", "Starling Satellite", "Topaz Chemicals",
    "Willow Insurance Group", "Zephyr Wind Power", "Anchorline Shipping", "Kestrel Defence", "Lumen Analytics",
)
TIMEZONES = ("PT", "ET", "CT", "CET", "GMT", "IST", "SGT", "AEST", "JST", "BST")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
DATABASES = ("sales", "finance", "risk", "marketing", "ops", "hr_analytics", "claims", "billing", "iot", "crm",
             "fraud", "supply", "dwh", "edw", "staging", "raw", "curated", "reporting")
TABLES = ("orders", "transactions", "customers", "events", "sessions", "payments", "claims_daily",
          "inventory", "shipments", "clickstream", "ledger", "positions", "sensor_readings", "accounts",
          "policies", "invoices", "call_records", "web_logs", "audit_trail", "fx_rates")
KAFKA_TOPICS = ("payments.events", "orders-v2", "clickstream", "audit-log", "iot.telemetry", "cdc.accounts",
                "fraud-scores", "app-logs", "trades", "notifications")
QUEUES = ("etl", "adhoc", "reporting", "default", "batch", "streaming", "bi", "datascience", "finance", "ops")
USERS = ("svc_etl", "svc_bi", "hive", "jdoe", "asmith", "svc_ingest", "analyst01", "svc_spark",
         "dataeng", "svc_nifi", "mlops", "kpatel", "svc_report", "rlee")
NONPROD_ENVS = ("dev", "test", "UAT", "QA", "staging")
REGIONS = ("EMEA", "APAC", "the Americas", "India", "Europe")
MEETING_PROVIDERS = ("Zoom", "Webex", "Teams", "Google Meet")

PLATFORMS: tuple[Platform, ...] = (
    Platform(long='CDP Private Cloud Base 7.1.7 SP2', short='CDP 7.1.7 SP2', aliases=('7.1.7 SP2', 'CDP PvC Base 7.1.7 SP2'),
             family='cdp', runtime='7.1.7.2000-305', cm_version='7.6.7', fixed_in='CDP 7.1.9 SP1',
             docs_version='7.1.7', weight=14),
    Platform(long='CDP Private Cloud Base 7.1.7 SP3', short='CDP 7.1.7 SP3', aliases=('7.1.7 SP3', 'CDP 7.1.7.3000'),
             family='cdp', runtime='7.1.7.3000-110', cm_version='7.11.3', fixed_in='CDP 7.1.9 SP1',
             docs_version='7.1.7', weight=6),
    Platform(long='CDP Private Cloud Base 7.1.8', short='CDP 7.1.8', aliases=('7.1.8', 'Runtime 7.1.8'),
             family='cdp', runtime='7.1.8.0-801', cm_version='7.7.1', fixed_in='CDP 7.1.9 SP1',
             docs_version='7.1.8', weight=10),
    Platform(long='CDP Private Cloud Base 7.1.9', short='CDP 7.1.9', aliases=('7.1.9', 'CDP PvC Base 7.1.9', 'Runtime 7.1.9'),
             family='cdp', runtime='7.1.9.0-387', cm_version='7.11.3', fixed_in='CDP 7.1.9 SP1',
             docs_version='7.1.9', weight=22),
    Platform(long='CDP Private Cloud Base 7.1.9 SP1', short='CDP 7.1.9 SP1', aliases=('7.1.9 SP1', '7.1.9.1000'),
             family='cdp', runtime='7.1.9.1000-103', cm_version='7.11.3', fixed_in='CDP 7.3.1',
             docs_version='7.1.9', weight=14),
    Platform(long='CDP Private Cloud Base 7.3.1', short='CDP 7.3.1', aliases=('7.3.1', 'Runtime 7.3.1', 'CDP PvC Base 7.3.1'),
             family='cdp', runtime='7.3.1.0-197', cm_version='7.13.1', fixed_in='the latest 7.3.1 cumulative hotfix',
             docs_version='7.3.1', weight=14),
    Platform(long='CDH 6.3.4', short='CDH 6.3.4', aliases=('CDH 6.3.4', 'CDH6'),
             family='cdh6', runtime='6.3.4', cm_version='6.3.1', fixed_in='CDP 7.1.9 SP1',
             docs_version='7.1.9', weight=12),
    Platform(long='CDH 5.16.2', short='CDH 5.16.2', aliases=('CDH 5.16.2', 'CDH5'),
             family='cdh5', runtime='5.16.2', cm_version='5.16.2', fixed_in='CDP 7.1.9 SP1',
             docs_version='7.1.9', weight=5),
)

PRODUCTS: tuple[Product, ...] = (
    Product(
        key='hdfs', name='HDFS', jira_project='HDFS', jira_range=(13000, 17400),
        repo='hadoop', families=('cdp', 'cdh6', 'cdh5'), base_versions={'cdp': '3.1.1', 'cdh6': '3.0.0', 'cdh5': '2.6.0'},
        version_name='Hadoop', host_prefix='nn', expert='HDFS', weight=11,
        topic='HDFS NameNode and DataNode issues',
        docs_area='hdfs-overview', docs_pages=('hdfs-namenode-ha', 'hdfs-handler-count-tuning', 'hdfs-datanode-volume-failure', 'hdfs-safe-mode', 'hdfs-fsck-corrupt-blocks'),
        community_threads=('NameNode-failover-keeps-happening-after-GC-pause', 'DataNode-shuts-down-on-failed-volume', 'HDFS-stuck-in-safe-mode-after-restart', 'Slow-NameNode-RPC-with-many-clients'),
        problems=(
            Problem(
                id='nn_failover', component='NameNode', name='repeated NameNode failovers',
                symptoms=(
                    'the NameNodes keep failing over every {n} minutes',
                    'the active NameNode flips to standby several times a day',
                    'HDFS clients get StandbyException errors whenever the NameNodes switch roles',
                ),
                observations=(
                    'the ZKFC on {host} declares the active NameNode unhealthy right after long GC pauses',
                    'every failover lines up with a full GC pause of about {sec} seconds on the active NameNode',
                ),
                error_blocks=(
                    (
                        '{ts} WARN org.apache.hadoop.ha.HealthMonitor: Transport-level exception trying to monitor health of NameNode at {host}:8022: java.net.SocketTimeoutException: {ms} millis timeout while waiting for channel to be ready for read',
                        '{ts} INFO org.apache.hadoop.ha.ZKFailoverController: Local service NameNode at {host}:8022 entered state: SERVICE_NOT_RESPONDING',
                    ),
                    (
                        'org.apache.hadoop.ha.ServiceFailedException: Unable to become active. Service became unhealthy while trying to failover.',
                        '\tat org.apache.hadoop.ha.ZKFailoverController.doGracefulFailover(ZKFailoverController.java:713)',
                        '\tat org.apache.hadoop.ha.ZKFailoverController.access$400(ZKFailoverController.java:62)',
                        '\tat org.apache.hadoop.ha.ZKFailoverController$3.run(ZKFailoverController.java:626)',
                    ),
                ),
                error_short='ServiceFailedException',
                cause='the NameNode heap is too small for the namespace, so long GC pauses make the ZKFC health check time out',
                cause_short='long GC pauses on the active NameNode',
                fixes=(
                    Remedy(text='raising the NameNode Java heap to {gb} GB and setting ha.health-monitor.rpc-timeout.ms to 90000', short='a larger NameNode heap and a longer ZKFC health-check timeout'),
                ),
                workarounds=(
                    Remedy(text='moving the metadata-heavy jobs outside business hours until the heap is increased', short='moving metadata-heavy jobs off-peak'),
                    Remedy(text='temporarily raising ha.health-monitor.rpc-timeout.ms so short pauses stop triggering a failover', short='a temporarily longer health-check timeout'),
                ),
                defect='the ZKFC can fence an active NameNode that is only paused in GC',
                settings=(
                    Setting(key='ha.health-monitor.rpc-timeout.ms', current='45000', recommended='90000'),
                    Setting(key='dfs.ha.automatic-failover.enabled', current='true', recommended='true'),
                ),
                logs=('NameNode logs', 'ZKFC logs', 'NameNode GC logs'),
                commands=('hdfs haadmin -getAllServiceState', "grep -i 'Detected pause' /var/log/hadoop-hdfs/*NAMENODE*.log*"),
            ),
            Problem(
                id='nn_rpc', component='NameNode', name='slow NameNode RPC response times',
                symptoms=(
                    'hdfs dfs -ls takes {sec} seconds or more on busy directories',
                    'HDFS operations have become very slow and the NameNode RPC queue time is in the seconds',
                    'Hive and Spark jobs spend most of their time waiting on NameNode calls',
                ),
                observations=(
                    'the RPC queue time on port 8020 regularly exceeds {n}000 ms while only a few handler threads are configured',
                    'most NameNode handler threads are busy serving getListing calls from user {user}',
                ),
                error_blocks=(
                    (
                        '{ts} WARN org.apache.hadoop.ipc.Server: IPC Server handler {n} on 8020, call Call#{txn} Retry#0 org.apache.hadoop.hdfs.protocol.ClientProtocol.getListing from {host2}:{pid}: output error',
                        '{ts} INFO org.apache.hadoop.ipc.Server: IPC Server handler {n2} on 8020 caught an exception',
                        'java.nio.channels.ClosedChannelException',
                        '\tat sun.nio.ch.SocketChannelImpl.ensureWriteOpen(SocketChannelImpl.java:270)',
                        '\tat org.apache.hadoop.ipc.Server.channelWrite(Server.java:3614)',
                    ),
                ),
                error_short='high RPC queue time',
                cause='the NameNode has too few RPC handler threads for the number of clients, and DataNode traffic competes with client calls on the same port',
                cause_short='too few NameNode RPC handlers',
                fixes=(
                    Remedy(text='raising dfs.namenode.handler.count to 200 and adding a separate service RPC port for DataNode traffic', short='more NameNode RPC handlers and a dedicated service RPC port'),
                ),
                workarounds=(
                    Remedy(text='throttling the recursive listing job run by {user} until the handler change is deployed', short='throttling the heavy listing job'),
                ),
                defect='the NameNode holds its global lock too long during large getListing calls',
                settings=(
                    Setting(key='dfs.namenode.handler.count', current='30', recommended='200'),
                    Setting(key='dfs.namenode.service.handler.count', current='10', recommended='100'),
                ),
                logs=('NameNode logs', 'NameNode JMX metrics', 'hdfs-audit.log'),
                commands=('hdfs dfsadmin -report', 'grep -c getListing /var/log/hadoop-hdfs/hdfs-audit.log'),
            ),
            Problem(
                id='dn_volume', component='DataNode', name='DataNode disk volume failures',
                symptoms=(
                    'DataNodes keep shutting down after a disk failure on {host}',
                    'one DataNode reports a failed volume and stops serving blocks',
                    'we see failed volumes on {n} DataNodes and the under-replicated block count keeps growing',
                ),
                observations=(
                    'the DataNode on {host} shuts down because one volume failed while dfs.datanode.failed.volumes.tolerated is 0',
                    'the disk mounted at /data/{n} on {host} is returning I/O errors',
                ),
                error_blocks=(
                    (
                        '{ts} ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: Exception in secureMain',
                        'org.apache.hadoop.util.DiskChecker$DiskErrorException: Too many failed volumes - current valid volumes: {n2}, volumes configured: {n3}, volumes failed: 1, volume failures tolerated: 0',
                        '\tat org.apache.hadoop.hdfs.server.datanode.fsdataset.impl.FsDatasetImpl.<init>(FsDatasetImpl.java:304)',
                        '\tat org.apache.hadoop.hdfs.server.datanode.DataNode.initStorage(DataNode.java:1801)',
                    ),
                ),
                error_short='DiskErrorException',
                cause='a physical disk on the host is failing and the DataNode is set to tolerate no failed volumes',
                cause_short='a failing disk with no tolerated volume failures',
                fixes=(
                    Remedy(text='replacing the failed disk on {host} and then restarting the DataNode', short='replacing the failed disk'),
                ),
                workarounds=(
                    Remedy(text='setting dfs.datanode.failed.volumes.tolerated to 1 so the DataNode keeps running on the remaining disks', short='tolerating one failed volume'),
                ),
                defect='the DataNode does not release a failed volume after it has been hot-swapped',
                settings=(
                    Setting(key='dfs.datanode.failed.volumes.tolerated', current='0', recommended='1'),
                ),
                logs=('DataNode logs', 'dmesg output', '/var/log/messages'),
                commands=('hdfs dfsadmin -report -dead', 'smartctl -a /dev/sd{letter}'),
            ),
            Problem(
                id='safemode', component='NameNode', name='the NameNode staying in safe mode after a restart',
                symptoms=(
                    'the NameNode has been in safe mode for over {n} minutes after the restart',
                    'writes fail because the NameNode never leaves safe mode',
                    'after the maintenance restart HDFS is read-only and reports that the NameNode is in safe mode',
                ),
                observations=(
                    'the NameNode is still waiting for block reports because {n} DataNodes have not registered',
                    'the reported block ratio is stuck below the 0.999 safe mode threshold',
                ),
                error_blocks=(
                    (
                        'org.apache.hadoop.hdfs.server.namenode.SafeModeException: Cannot create file/user/{user}/.staging/_tmp. Name node is in safe mode.',
                        'The reported blocks {txn} needs additional {txn2} blocks to reach the threshold 0.9990 of total blocks {txn}.',
                        '\tat org.apache.hadoop.hdfs.server.namenode.FSNamesystem.checkNameNodeSafeMode(FSNamesystem.java:1419)',
                        '\tat org.apache.hadoop.hdfs.server.namenode.FSNamesystem.startFileInt(FSNamesystem.java:2452)',
                    ),
                ),
                error_short='SafeModeException',
                cause='several DataNodes did not register after the restart, so the NameNode cannot reach its block threshold',
                cause_short='DataNodes not reporting their blocks',
                fixes=(
                    Remedy(text='bringing the missing DataNodes back online so that they send full block reports', short='restoring the missing DataNodes'),
                ),
                workarounds=(
                    Remedy(text='leaving safe mode manually with hdfs dfsadmin -safemode leave once the missing blocks are confirmed to be extra replicas', short='leaving safe mode manually after checking the missing blocks'),
                ),
                defect='the NameNode miscounts blocks of files under construction during startup',
                settings=(
                    Setting(key='dfs.namenode.safemode.threshold-pct', current='0.999', recommended='0.999'),
                    Setting(key='dfs.namenode.safemode.extension', current='30000', recommended='30000'),
                ),
                logs=('NameNode logs', 'DataNode logs from the missing nodes'),
                commands=('hdfs dfsadmin -safemode get', 'hdfs fsck / -list-corruptfileblocks'),
            ),
        ),
    ),
    Product(
        key='yarn', name='YARN', jira_project='YARN', jira_range=(9000, 11800),
        repo='hadoop', families=('cdp', 'cdh6', 'cdh5'), base_versions={'cdp': '3.1.1', 'cdh6': '3.0.0', 'cdh5': '2.6.0'},
        version_name='Hadoop', host_prefix='rm', expert='YARN', weight=9,
        topic='YARN ResourceManager and scheduling',
        docs_area='yarn-allocate-resources', docs_pages=('yarn-capacity-scheduler', 'yarn-am-resource-limit', 'yarn-nodemanager-local-dirs', 'yarn-container-memory', 'yarn-rm-heap-sizing'),
        community_threads=('Applications-stuck-in-ACCEPTED-state', 'NodeManager-unhealthy-local-dirs-are-bad', 'ResourceManager-OOM-GC-overhead-limit', 'Container-killed-running-beyond-physical-memory'),
        problems=(
            Problem(
                id='rm_oom', component='ResourceManager', name='ResourceManager crashes with OutOfMemoryError',
                symptoms=(
                    'the ResourceManager crashes with an OutOfMemoryError every few days',
                    'the active ResourceManager dies and fails over to the standby, losing running applications',
                    'the YARN ResourceManager UI stops responding and then the process exits',
                ),
                observations=(
                    'the ResourceManager heap is filled by the state of {n}000 completed applications kept in memory',
                    'the heap dump shows most memory held by RMAppImpl objects of finished applications',
                ),
                error_blocks=(
                    (
                        '{ts} FATAL org.apache.hadoop.yarn.server.resourcemanager.ResourceManager: Error in handling event type APP_COMPLETED to the Event Dispatcher',
                        'java.lang.OutOfMemoryError: GC overhead limit exceeded',
                        '\tat java.util.HashMap.resize(HashMap.java:704)',
                        '\tat org.apache.hadoop.yarn.server.resourcemanager.RMAppManager.addToCompletedApps(RMAppManager.java:196)',
                        '\tat org.apache.hadoop.yarn.server.resourcemanager.RMAppManager.finishApplication(RMAppManager.java:242)',
                    ),
                ),
                error_short='OutOfMemoryError',
                cause='the ResourceManager keeps too many completed applications in memory for its heap size',
                cause_short='too many completed applications in the ResourceManager heap',
                fixes=(
                    Remedy(text='lowering yarn.resourcemanager.max-completed-applications to 1000 and raising the ResourceManager heap to {gb} GB', short='keeping fewer completed applications and a larger ResourceManager heap'),
                ),
                workarounds=(
                    Remedy(text='restarting the ResourceManager in a quiet period once a week until the change is made', short='weekly ResourceManager restarts'),
                ),
                defect='the ResourceManager leaks application attempt objects after a failover',
                settings=(
                    Setting(key='yarn.resourcemanager.max-completed-applications', current='10000', recommended='1000'),
                ),
                logs=('ResourceManager logs', 'ResourceManager heap dump', 'ResourceManager GC logs'),
                commands=('yarn rmadmin -getAllServiceState', 'jmap -histo:live {pid} | head -40'),
            ),
            Problem(
                id='am_limit', component='Capacity Scheduler', name='applications stuck in ACCEPTED state',
                symptoms=(
                    'jobs in the {queue} queue sit in ACCEPTED state for hours',
                    'new applications are accepted but never start running',
                    'only {n} applications run in the {queue} queue while the rest wait in ACCEPTED',
                ),
                observations=(
                    'the {queue} queue has reached its ApplicationMaster resource limit, so new applications cannot start their AM containers',
                    "the scheduler diagnostics of {app} say that the queue's AM resource limit is exceeded",
                ),
                error_blocks=(
                    (
                        "Application is added to the scheduler and is not yet activated. Queue's AM resource limit exceeded. Details : AM Partition = <DEFAULT_PARTITION>; AM Resource Request = <memory:{mb}, vCores:1>; Queue Resource Limit for AM = <memory:{mb2}, vCores:{n}>; User AM Resource Limit of the queue = <memory:{mb2}, vCores:{n}>; Queue AM Resource Usage = <memory:{mb2}, vCores:{n}>;",
                    ),
                ),
                error_short='AM resource limit exceeded',
                cause="the queue's maximum-am-resource-percent is too low for the number of small applications it runs",
                cause_short='a low ApplicationMaster resource limit on the queue',
                fixes=(
                    Remedy(text='raising yarn.scheduler.capacity.root.{queue}.maximum-am-resource-percent to 0.3', short='a higher AM resource limit on the queue'),
                ),
                workarounds=(
                    Remedy(text='moving part of the workload to the {queue2} queue for now', short='moving jobs to another queue'),
                    Remedy(text='killing the stale applications in ACCEPTED state to free AM capacity', short='killing stale applications'),
                ),
                defect='the scheduler does not release the AM resource usage of killed applications',
                settings=(
                    Setting(key='yarn.scheduler.capacity.maximum-am-resource-percent', current='0.1', recommended='0.3'),
                ),
                logs=('ResourceManager logs', 'capacity-scheduler.xml'),
                commands=('yarn application -list -appStates ACCEPTED', 'yarn queue -status {queue}'),
            ),
            Problem(
                id='nm_unhealthy', component='NodeManager', name='NodeManagers marked unhealthy because of full local disks',
                symptoms=(
                    '{n} NodeManagers are marked UNHEALTHY and the cluster lost most of its capacity',
                    'NodeManagers keep going unhealthy with a message about bad local-dirs',
                    'YARN only shows {n2} active nodes out of {n3}',
                ),
                observations=(
                    'the NodeManagers on {host} and {host2} report their local dirs above the 90% disk utilisation threshold',
                    'the usercache directories have grown to several hundred GB on {host}',
                ),
                error_blocks=(
                    (
                        '{ts} WARN org.apache.hadoop.yarn.server.nodemanager.DirectoryCollection: Directory /data/{n}/yarn/nm error, used space above threshold of 90.0%, removing from list of valid directories',
                        '{ts} ERROR org.apache.hadoop.yarn.server.nodemanager.LocalDirsHandlerService: Most of the disks failed. 1/1 local-dirs usable space is below configured utilization percentage/no more usable space',
                    ),
                ),
                error_short='local-dirs are bad',
                cause='the YARN local directories are nearly full because the usercache is not cleaned up',
                cause_short='full YARN local directories',
                fixes=(
                    Remedy(text='setting yarn.nodemanager.localizer.cache.target-size-mb to {mb} and moving the local dirs to the larger data disks', short='a capped localizer cache and larger local dirs'),
                ),
                workarounds=(
                    Remedy(text='cleaning up the usercache directories on the affected hosts', short='cleaning the usercache'),
                    Remedy(text='raising the NodeManager disk utilisation threshold to 95 percent for now', short='a higher disk health threshold'),
                ),
                defect='the NodeManager does not delete localized resources of failed containers',
                settings=(
                    Setting(key='yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage', current='90', recommended='95'),
                ),
                logs=('NodeManager logs',),
                commands=('yarn node -list -all', 'du -sh /data/*/yarn/nm/usercache'),
            ),
            Problem(
                id='container_killed', component='NodeManager', name='containers killed for exceeding physical memory',
                symptoms=(
                    'Spark and MapReduce jobs fail because containers are killed for using too much memory',
                    'the nightly ETL fails because YARN kills containers for exceeding their memory',
                    "about {pct}% of our tasks fail with 'running beyond physical memory limits'",
                ),
                observations=(
                    'containers of {app} are killed because their off-heap usage pushes them past the container size',
                    'the tasks request {mb} MB containers but the JVM plus its overhead uses more',
                ),
                error_blocks=(
                    (
                        'Container [pid={pid},containerID={cid}] is running beyond physical memory limits. Current usage: {gb}.1 GB of {gb} GB physical memory used; {gb2}.4 GB of {gb3} GB virtual memory used. Killing container.',
                    ),
                ),
                error_short='running beyond physical memory limits',
                cause="the container size leaves no room for the JVM's off-heap memory",
                cause_short='containers too small for the JVM overhead',
                fixes=(
                    Remedy(text='raising mapreduce.map.memory.mb to {mb} and keeping the Java heap at about 80% of the container', short='larger containers with the heap at 80% of the container'),
                    Remedy(text='setting spark.executor.memoryOverhead to at least {mb} MB for these jobs', short='a larger Spark executor memory overhead'),
                ),
                workarounds=(
                    Remedy(text='rerunning the failed jobs with fewer cores per executor', short='running with fewer cores per executor'),
                ),
                defect='the NodeManager counts shared memory pages twice when it measures container usage',
                settings=(
                    Setting(key='mapreduce.map.memory.mb', current='2048', recommended='4096'),
                    Setting(key='spark.executor.memoryOverhead', current='384', recommended='2048'),
                ),
                logs=('application logs', 'NodeManager logs'),
                commands=('yarn logs -applicationId {app} > {app}.log',),
            ),
        ),
    ),
    Product(
        key='hive', name='Hive', jira_project='HIVE', jira_range=(20000, 28400),
        repo='hive', families=('cdp', 'cdh6', 'cdh5'), base_versions={'cdp': '3.1.3000', 'cdh6': '2.1.1', 'cdh5': '1.1.0'},
        version_name='Hive', host_prefix='hs2-', expert='Hive', weight=13,
        topic='Hive, HiveServer2 and Metastore',
        docs_area='hive-performance-tuning', docs_pages=('hive-hs2-heap-sizing', 'hive-metastore-tuning', 'hive-acid-compaction', 'hive-map-join-tuning', 'hive-tez-container-size'),
        community_threads=('HiveServer2-OutOfMemoryError-with-many-sessions', 'Hive-Metastore-read-timed-out', 'Compaction-not-running-on-ACID-tables', 'Tez-vertex-failed-map-join-OOM'),
        problems=(
            Problem(
                id='hs2_oom', component='HiveServer2', name='HiveServer2 running out of heap under concurrent load',
                symptoms=(
                    'HiveServer2 crashes with Java heap space errors when more than {n} users run queries',
                    'HiveServer2 stops responding every afternoon and we have to restart it',
                    'Beeline sessions hang and then HiveServer2 goes down with an OutOfMemoryError',
                ),
                observations=(
                    'the HiveServer2 heap is exhausted by {n}0 concurrent sessions each holding large result sets',
                    'the heap histogram shows most memory held by result buffers of open operations',
                ),
                error_blocks=(
                    (
                        '{ts} ERROR org.apache.hive.service.cli.thrift.ThriftCLIService: Error fetching results:',
                        'java.lang.OutOfMemoryError: Java heap space',
                        '\tat java.util.Arrays.copyOf(Arrays.java:3332)',
                        '\tat org.apache.hive.service.cli.operation.SQLOperation.getNextRowSet(SQLOperation.java:468)',
                        '\tat org.apache.hive.service.cli.operation.OperationManager.getOperationNextRowSet(OperationManager.java:323)',
                        '\tat org.apache.hive.service.cli.session.HiveSessionImpl.fetchResults(HiveSessionImpl.java:951)',
                    ),
                ),
                error_short='OutOfMemoryError: Java heap space',
                cause='HiveServer2 buffers large result sets in memory and its heap is sized for far fewer sessions',
                cause_short='an undersized HiveServer2 heap for the session count',
                fixes=(
                    Remedy(text='raising the HiveServer2 heap to {gb} GB and capping hive.server2.thrift.max.worker.threads at 500', short='a larger HiveServer2 heap and a cap on worker threads'),
                    Remedy(text='adding a second HiveServer2 instance behind the load balancer', short='a second HiveServer2 instance'),
                ),
                workarounds=(
                    Remedy(text='limiting the BI tool to fetch at most 10,000 rows per query for now', short='limiting rows fetched by the BI tool'),
                    Remedy(text='restarting HiveServer2 off-hours every day until the heap change is live', short='daily HiveServer2 restarts'),
                ),
                defect='HiveServer2 does not release the result buffers of cancelled operations',
                settings=(
                    Setting(key='hive.server2.thrift.max.worker.threads', current='1000', recommended='500'),
                    Setting(key='hive.server2.idle.operation.timeout', current='0', recommended='7200000'),
                ),
                logs=('HiveServer2 logs', 'HiveServer2 heap dump', 'HiveServer2 GC logs'),
                commands=('jstack {pid} > hs2_jstack.txt', 'jmap -histo:live {pid} > hs2_histo.txt'),
            ),
            Problem(
                id='hms_timeout', component='Hive Metastore', name='Hive Metastore timeouts',
                symptoms=(
                    'queries fail at compile time with Metastore read timeouts',
                    'SHOW PARTITIONS on large tables takes minutes and often times out',
                    'Spark and Hive jobs randomly fail to talk to the Metastore',
                ),
                observations=(
                    'Metastore calls for {db}.{table}, which has {n}0,000 partitions, take longer than the client socket timeout',
                    'the backend database behind the Metastore is saturated during the nightly loads',
                ),
                error_blocks=(
                    (
                        'org.apache.thrift.transport.TTransportException: java.net.SocketTimeoutException: Read timed out',
                        '\tat org.apache.thrift.transport.TIOStreamTransport.read(TIOStreamTransport.java:129)',
                        '\tat org.apache.thrift.transport.TTransport.readAll(TTransport.java:86)',
                        '\tat org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore$Client.recv_get_partitions(ThriftHiveMetastore.java:3120)',
                        '\tat org.apache.hadoop.hive.metastore.HiveMetaStoreClient.listPartitions(HiveMetaStoreClient.java:1498)',
                    ),
                ),
                error_short='SocketTimeoutException',
                cause='the Metastore database is overloaded by calls that fetch every partition of very large tables',
                cause_short='an overloaded Metastore database',
                fixes=(
                    Remedy(text='raising the Metastore connection pool to 50 and adding the missing index on the PARTITIONS table in the backend database', short='a larger connection pool and a new backend index'),
                ),
                workarounds=(
                    Remedy(text='raising hive.metastore.client.socket.timeout to 1800 seconds so the slow calls can complete', short='a longer Metastore client timeout'),
                ),
                defect='the Metastore issues one backend query per partition when it lists partitions with a filter',
                settings=(
                    Setting(key='hive.metastore.client.socket.timeout', current='300', recommended='1800'),
                    Setting(key='datanucleus.connectionPool.maxPoolSize', current='10', recommended='50'),
                ),
                logs=('Hive Metastore logs', 'slow query log of the backend database'),
                commands=("beeline -e 'SHOW PARTITIONS {db}.{table}' | wc -l",),
            ),
            Problem(
                id='compaction', component='Hive', name='ACID compaction not running',
                symptoms=(
                    'compaction has stopped on our ACID tables and queries on {db}.{table} get slower every day',
                    'SHOW COMPACTIONS lists hundreds of entries stuck in initiated state',
                    'the number of delta directories under {db}.{table} keeps growing',
                ),
                observations=(
                    "compactions for {db}.{table} stay in 'initiated' because an open transaction from {n} days ago blocks the cleaner",
                    'hive.compactor.worker.threads is 0 on every Metastore instance',
                ),
                error_blocks=(
                    (
                        '{ts} WARN org.apache.hadoop.hive.ql.txn.compactor.Initiator: Will not initiate compaction for {db}.{table} since last hive.compactor.initiator.failed.compacts.threshold attempts to compact it failed.',
                        '{ts} ERROR org.apache.hadoop.hive.ql.txn.compactor.Worker: Caught exception while trying to compact id:{txn}',
                        'java.io.IOException: Minor compaction failed',
                    ),
                ),
                error_short='too many delta directories',
                cause='a long-open transaction stops the cleaner from removing obsolete deltas, and no worker threads are configured',
                cause_short='a long-open transaction and no compactor worker threads',
                fixes=(
                    Remedy(text='aborting transaction {txn} and setting hive.compactor.worker.threads to 4 on one Metastore instance', short='aborting the stale transaction and enabling compactor workers'),
                ),
                workarounds=(
                    Remedy(text="running ALTER TABLE {db}.{table} COMPACT 'major' by hand during a quiet window", short='a manual major compaction'),
                ),
                defect='the initiator skips tables whose earlier compaction failed even after the cause is fixed',
                settings=(
                    Setting(key='hive.compactor.worker.threads', current='0', recommended='4'),
                    Setting(key='hive.compactor.initiator.on', current='false', recommended='true'),
                ),
                logs=('Hive Metastore logs', 'output of SHOW COMPACTIONS', 'output of SHOW TRANSACTIONS'),
                commands=('hdfs dfs -count /warehouse/tablespace/managed/hive/{db}.db/{table}',),
            ),
            Problem(
                id='tez_vertex', component='Hive on Tez', name='Hive on Tez queries failing with vertex failures',
                symptoms=(
                    "a daily INSERT OVERWRITE query fails with 'Vertex failed' after about {n} minutes",
                    'several Hive queries started failing with Tez vertex errors',
                    'the reporting job fails in Map 1 with a Tez vertex failure',
                ),
                observations=(
                    'the Map vertex fails because its tasks run out of memory while loading the map-join hash table',
                    'the failing tasks try to load a {gb} GB dimension table into a map join',
                ),
                error_blocks=(
                    (
                        'Status: Failed',
                        'Vertex failed, vertexName=Map 1, vertexId=vertex_{appnum}_1_00, diagnostics=[Task failed, taskId=task_{appnum}_1_00_000{n}, diagnostics=[TaskAttempt 3 failed, info=[Error: Error while running task ( failure ) : java.lang.OutOfMemoryError: Java heap space',
                        '\tat org.apache.hadoop.hive.ql.exec.persistence.HashMapWrapper.put(HashMapWrapper.java:127)',
                        '\tat org.apache.hadoop.hive.ql.exec.MapJoinOperator.loadHashTable(MapJoinOperator.java:344)',
                    ),
                ),
                error_short='Vertex failed',
                cause='stale table statistics make the optimiser pick a map join whose hash table does not fit in the container',
                cause_short='stale statistics causing an oversized map join',
                fixes=(
                    Remedy(text='computing fresh statistics on the dimension table and lowering hive.auto.convert.join.noconditionaltask.size below the container heap', short='fresh statistics and a lower map-join threshold'),
                ),
                workarounds=(
                    Remedy(text='setting hive.auto.convert.join=false for this query', short='disabling map-join conversion for the query'),
                    Remedy(text='raising hive.tez.container.size to {mb} for this job', short='larger Tez containers for the job'),
                ),
                defect='the optimiser ignores the map-join size limit when one side of the join is a view',
                settings=(
                    Setting(key='hive.tez.container.size', current='4096', recommended='8192'),
                    Setting(key='hive.auto.convert.join.noconditionaltask.size', current='3000000000', recommended='1000000000'),
                ),
                logs=('application logs of the failed query', 'HiveServer2 log for the query', 'EXPLAIN output'),
                commands=('yarn logs -applicationId {app} > {app}.log',),
            ),
        ),
    ),
    Product(
        key='impala', name='Impala', jira_project='IMPALA', jira_range=(9000, 13200),
        repo='impala', families=('cdp', 'cdh6', 'cdh5'), base_versions={'cdp': '4.0.0', 'cdh6': '3.2.0', 'cdh5': '2.12.0'},
        version_name='Impala', host_prefix='impalad', expert='Impala', weight=10,
        topic='Impala query failures and performance',
        docs_area='impala-manage', docs_pages=('impala-admission-control', 'impala-memory-limits', 'impala-metadata-management', 'impala-local-catalog', 'impala-compute-stats'),
        community_threads=('Impala-Memory-limit-exceeded-on-large-join', 'Impala-does-not-see-new-partitions', 'catalogd-OutOfMemoryError-Requested-array-size', 'Admission-for-query-exceeded-timeout'),
        problems=(
            Problem(
                id='mem_limit', component='Impala', name='Impala queries failing with memory limit exceeded',
                symptoms=(
                    "several Impala queries fail with 'Memory limit exceeded'",
                    'dashboards built on Impala error out with memory errors during the morning peak',
                    'our largest join on {db}.{table} fails with a memory limit error',
                ),
                observations=(
                    'the profile of query {qid} shows the hash join spilling and still exceeding the pool limit',
                    'the admission pool sets a {gb} GB per-query limit that the join cannot fit in',
                ),
                error_blocks=(
                    (
                        'Memory limit exceeded: Failed to allocate row batch',
                        'EXCHANGE_NODE (id={n}) could not allocate {mb}.00 KB without exceeding limit.',
                        'Error occurred on backend {host}:27000 by fragment {qid}',
                        'Memory left in process limit: {gb}.{n2} GB',
                        'Query({qid}): Reservation={mb}.00 MB ReservationLimit={gb}.00 GB',
                    ),
                ),
                error_short='Memory limit exceeded',
                cause='the tables have no statistics, so the planner builds the hash table on the large side of the join',
                cause_short='missing table statistics and a bad join order',
                fixes=(
                    Remedy(text='running COMPUTE STATS on {db}.{table} and the other joined tables', short='computing table statistics'),
                ),
                workarounds=(
                    Remedy(text='setting MEM_LIMIT={gb}g for this query in the session', short='a higher per-query memory limit'),
                    Remedy(text='adding a STRAIGHT_JOIN hint so the small table is built first', short='a STRAIGHT_JOIN hint'),
                ),
                defect='the planner underestimates memory for joins on STRING columns with many NULLs',
                settings=(
                    Setting(key='default_pool_max_requests', current='20', recommended='10'),
                    Setting(key='max_query_mem_limit', current='{gb}g', recommended='{gb2}g'),
                ),
                logs=('query profile', 'impalad logs from the coordinator'),
                commands=("impala-shell -i {host} -q 'SHOW TABLE STATS {db}.{table}'",),
            ),
            Problem(
                id='stale_metadata', component='Impala catalog', name='stale table metadata in Impala',
                symptoms=(
                    'Impala cannot see tables that were just created in Hive',
                    'new partitions added by our Spark jobs do not show up in Impala',
                    "Impala says 'Could not resolve table reference' for a table that exists in Hive",
                ),
                observations=(
                    'the catalog server is not processing Metastore events, so changes from Hive and Spark never reach the Impala daemons',
                    'hms_event_polling_interval_s is 0, which turns off automatic metadata sync',
                ),
                error_blocks=(
                    (
                        "AnalysisException: Could not resolve table reference: '{db}.{table}'",
                    ),
                    (
                        '{ts} ERROR MetastoreEventsProcessor: Unable to fetch the next batch of metastore events. Hive Metastore may be unavailable.',
                    ),
                ),
                error_short='Could not resolve table reference',
                cause='automatic metadata synchronisation from the Metastore is switched off',
                cause_short='disabled automatic metadata sync',
                fixes=(
                    Remedy(text='turning on event-based metadata sync by setting hms_event_polling_interval_s to 2 on the catalog server', short='event-based metadata sync'),
                ),
                workarounds=(
                    Remedy(text='running INVALIDATE METADATA {db}.{table} after each load', short='INVALIDATE METADATA after each load'),
                    Remedy(text='adding a REFRESH {db}.{table} step at the end of the Spark job', short='a REFRESH step after each load'),
                ),
                defect='catalogd stops polling Metastore events after a Metastore failover',
                settings=(
                    Setting(key='hms_event_polling_interval_s', current='0', recommended='2'),
                ),
                logs=('catalogd logs', 'Hive Metastore logs'),
                commands=("impala-shell -q 'INVALIDATE METADATA {db}.{table}'",),
            ),
            Problem(
                id='catalogd_oom', component='catalogd', name='catalogd running out of memory',
                symptoms=(
                    'catalogd crashes with an OutOfMemoryError whenever we run INVALIDATE METADATA',
                    'Impala queries hang because catalogd restarts several times a day',
                    'the Impala catalog server grows past {gb} GB and then dies',
                ),
                observations=(
                    'catalogd fails to serialise the catalog update for {db}, which holds {n}00,000 files',
                    'the catalog topic update exceeds the 2 GB Java array limit',
                ),
                error_blocks=(
                    (
                        '{ts} ERROR org.apache.impala.catalog.CatalogServiceCatalog: Error serializing catalog update',
                        'java.lang.OutOfMemoryError: Requested array size exceeds VM limit',
                        '\tat java.util.Arrays.copyOf(Arrays.java:3236)',
                        '\tat org.apache.thrift.protocol.TBinaryProtocol.writeBinary(TBinaryProtocol.java:211)',
                        '\tat org.apache.impala.catalog.CatalogServiceCatalog.getCatalogDelta(CatalogServiceCatalog.java:962)',
                    ),
                ),
                error_short='OutOfMemoryError: Requested array size exceeds VM limit',
                cause='the legacy catalog mode sends full table metadata for tables with far too many small files',
                cause_short='the legacy catalog mode with many small files',
                fixes=(
                    Remedy(text='switching to local catalog mode with --catalog_topic_mode=minimal and --use_local_catalog=true', short='local catalog mode'),
                ),
                workarounds=(
                    Remedy(text='raising the catalogd heap to {gb} GB and compacting the small files of the largest tables', short='a larger catalogd heap and fewer small files'),
                ),
                defect='catalogd keeps file metadata of dropped partitions in memory',
                settings=(
                    Setting(key='catalog_topic_mode', current='full', recommended='minimal'),
                    Setting(key='use_local_catalog', current='false', recommended='true'),
                ),
                logs=('catalogd logs', 'catalogd heap histogram'),
                commands=('jmap -histo {pid} > catalogd_histo.txt',),
            ),
            Problem(
                id='admission', component='Impala admission control', name='Impala queries timing out in admission control',
                symptoms=(
                    'queries in the root.{queue} pool wait in the queue and then time out',
                    "users see 'Admission for query exceeded timeout' in Hue",
                    'Impala queues nearly every query during month-end processing',
                ),
                observations=(
                    'the root.{queue} pool is limited to {gb} GB of aggregate memory, which a handful of large queries use up',
                    '{n} queries were rejected after waiting the full queue_wait_timeout_ms',
                ),
                error_blocks=(
                    (
                        'Admission for query exceeded timeout 60000ms in pool root.{queue}. Queued reason: Not enough aggregate memory available in pool root.{queue} with max mem resources {gb}.00 GB. Needed {gb2}.00 GB but only {n}.00 GB was available.',
                    ),
                ),
                error_short='Admission for query exceeded timeout',
                cause="the pool's memory limits are too tight for the concurrent workload",
                cause_short='tight admission-control pool limits',
                fixes=(
                    Remedy(text='resizing the root.{queue} pool to {gb2} GB with a per-query maximum so large queries cannot starve it', short='a resized pool with a per-query cap'),
                ),
                workarounds=(
                    Remedy(text='raising queue_wait_timeout_ms to 600000 so queued queries wait longer instead of failing', short='a longer admission queue timeout'),
                ),
                defect='admission control does not release the memory reservation of cancelled queries',
                settings=(
                    Setting(key='queue_wait_timeout_ms', current='60000', recommended='600000'),
                ),
                logs=('impalad logs from the coordinators', 'profiles of the rejected queries'),
                commands=("impala-shell -i {host} -q 'SHOW TABLE STATS {db}.{table}'",),
            ),
        ),
    ),
    Product(
        key='spark', name='Spark', jira_project='SPARK', jira_range=(25000, 48900),
        repo='spark', families=('cdp', 'cdh6'), base_versions={'cdp': '2.4.8', 'cdh6': '2.4.0'},
        version_name='Spark', host_prefix='edge', expert='Spark', weight=10,
        topic='Spark jobs on YARN',
        docs_area='running-spark-applications', docs_pages=('spark-shuffle-tuning', 'spark-driver-memory', 'hive-warehouse-connector', 'spark-dynamic-allocation', 'spark-tuning-memory'),
        community_threads=('FetchFailedException-during-shuffle', 'Spark-driver-OOM-on-collect', 'Spark-cannot-read-Hive-ACID-tables', 'Spark-executors-lost-under-load'),
        problems=(
            Problem(
                id='fetch_failed', component='Spark', name='Spark shuffle fetch failures',
                symptoms=(
                    'large Spark jobs fail in the shuffle stage with FetchFailedException',
                    'stages keep retrying because executors cannot fetch shuffle blocks',
                    'our nightly Spark aggregation fails after {n} stage retries',
                ),
                observations=(
                    'executors lose their connection to the external shuffle service on {host} under heavy load',
                    'the shuffle service on several NodeManagers hits its open file limit',
                ),
                error_blocks=(
                    (
                        'org.apache.spark.shuffle.FetchFailedException: Failed to connect to {host}/10.{n}.{n2}.{n3}:7337',
                        '\tat org.apache.spark.storage.ShuffleBlockFetcherIterator.throwFetchFailedException(ShuffleBlockFetcherIterator.scala:748)',
                        '\tat org.apache.spark.storage.ShuffleBlockFetcherIterator.next(ShuffleBlockFetcherIterator.scala:663)',
                        'Caused by: java.io.IOException: Connection reset by peer',
                    ),
                ),
                error_short='FetchFailedException',
                cause='the external shuffle service runs out of file handles when thousands of reducers connect at once',
                cause_short='the shuffle service running out of file handles',
                fixes=(
                    Remedy(text='raising the NodeManager open-file limit to 65536 and setting spark.shuffle.io.maxRetries to 10', short='a higher open-file limit and more shuffle retries'),
                ),
                workarounds=(
                    Remedy(text='lowering spark.sql.shuffle.partitions to {n}00 for this job', short='fewer shuffle partitions for the job'),
                ),
                defect='the shuffle service does not close idle connections',
                settings=(
                    Setting(key='spark.shuffle.io.maxRetries', current='3', recommended='10'),
                    Setting(key='spark.network.timeout', current='120s', recommended='600s'),
                ),
                logs=('Spark driver log', 'executor logs', 'NodeManager logs'),
                commands=('yarn logs -applicationId {app} > {app}.log',),
            ),
            Problem(
                id='driver_oom', component='Spark', name='Spark driver out of memory',
                symptoms=(
                    'the Spark driver dies with OutOfMemoryError at the end of the job',
                    'our PySpark job crashes in the driver when it collects the results',
                    "the driver fails with 'Java heap space' on a broadcast join",
                ),
                observations=(
                    'the driver collects {n} million rows before writing them out',
                    'a {gb} GB table is broadcast because autoBroadcastJoinThreshold was raised',
                ),
                error_blocks=(
                    (
                        'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
                        '\tat org.apache.spark.sql.execution.SparkPlan.executeCollect(SparkPlan.scala:390)',
                        '\tat org.apache.spark.sql.execution.exchange.BroadcastExchangeExec.relationFuture(BroadcastExchangeExec.scala:117)',
                    ),
                ),
                error_short='OutOfMemoryError in the driver',
                cause='the job pulls a very large result set or broadcast table into the driver',
                cause_short='large data pulled into the driver',
                fixes=(
                    Remedy(text='writing the results from the executors instead of calling collect() and restoring spark.sql.autoBroadcastJoinThreshold to 10MB', short='writing from executors and restoring the broadcast threshold'),
                ),
                workarounds=(
                    Remedy(text='raising spark.driver.memory to {gb}g for this job', short='more driver memory'),
                ),
                defect='the driver keeps a copy of every broadcast after it is no longer used',
                settings=(
                    Setting(key='spark.driver.memory', current='4g', recommended='{gb}g'),
                    Setting(key='spark.sql.autoBroadcastJoinThreshold', current='{mb}MB', recommended='10MB'),
                ),
                logs=('Spark driver log', 'spark-submit command line'),
                commands=('spark-submit --version',),
            ),
            Problem(
                id='hwc', component='Hive Warehouse Connector', name='Spark failing to read Hive managed tables',
                symptoms=(
                    'Spark jobs cannot read Hive ACID tables since the upgrade',
                    'reading {db}.{table} from Spark returns no rows although Hive shows data',
                    'Spark fails to read managed tables through the Hive Warehouse Connector',
                ),
                observations=(
                    'the Spark session reads the managed table directly instead of through the Hive Warehouse Connector',
                    'spark.sql.extensions does not include the HWC extension',
                ),
                error_blocks=(
                    (
                        'org.apache.spark.sql.AnalysisException: Spark has no access to table `{db}`.`{table}`. Clients can access this table only if they have the following capabilities: CONNECTORREAD,HIVEFULLACIDREAD',
                        '\tat org.apache.spark.sql.hive.HiveExternalCatalog.getTable(HiveExternalCatalog.scala:727)',
                    ),
                ),
                error_short='AnalysisException: Spark has no access to table',
                cause='managed ACID tables can only be read from Spark through the Hive Warehouse Connector',
                cause_short='reading ACID tables without the Hive Warehouse Connector',
                fixes=(
                    Remedy(text='configuring the Hive Warehouse Connector with spark.datasource.hive.warehouse.read.mode=secure_access and the HWC extension', short='HWC in secure access mode'),
                ),
                workarounds=(
                    Remedy(text='creating an external table copy of {db}.{table} for the Spark job', short='an external table copy'),
                ),
                defect='HWC secure access mode ignores the permissions of the staging directory',
                settings=(
                    Setting(key='spark.datasource.hive.warehouse.read.mode', current='direct_reader_v1', recommended='secure_access'),
                ),
                logs=('Spark driver log', 'HiveServer2 logs'),
                commands=('spark-shell --jars /opt/cloudera/parcels/CDH/jars/hive-warehouse-connector-assembly-*.jar',),
            ),
        ),
    ),
    Product(
        key='kafka', name='Kafka', jira_project='KAFKA', jira_range=(8000, 16900),
        repo='kafka', families=('cdp', 'cdh6'), base_versions={'cdp': '3.4.1', 'cdh6': '2.2.1'},
        version_name='Kafka', host_prefix='kafka', expert='Kafka', weight=9,
        topic='Kafka brokers and consumers',
        docs_area='kafka-managing', docs_pages=('kafka-under-replicated-partitions', 'kafka-consumer-tuning', 'kafka-log-retention', 'kafka-broker-tuning', 'kafka-rebalance'),
        community_threads=('Under-replicated-partitions-never-recover', 'Consumer-group-keeps-rebalancing', 'Kafka-broker-down-No-space-left-on-device', 'ISR-shrinking-under-load'),
        problems=(
            Problem(
                id='isr_shrink', component='Kafka broker', name='Kafka under-replicated partitions',
                symptoms=(
                    'we have {n}0 under-replicated partitions that never recover',
                    'the ISR keeps shrinking and expanding on the {topic} topic',
                    'producers with acks=all time out because partitions fall out of sync',
                ),
                observations=(
                    'broker {n2} drops out of the ISR for {topic} partitions because its replica fetchers cannot keep up',
                    'replica fetch requests from broker {n2} take over {sec} seconds during peak ingest',
                ),
                error_blocks=(
                    (
                        '[{ts}] INFO [Partition {topic}-{part} broker={n2}] Shrinking ISR from {n2},{n},{n3} to {n2} (kafka.cluster.Partition)',
                        '[{ts}] WARN [ReplicaFetcher replicaId={n}, leaderId={n2}, fetcherId=0] Error in response for fetch request (kafka.server.ReplicaFetcherThread)',
                        'java.io.IOException: Connection to {n2} was disconnected before the response was read',
                    ),
                ),
                error_short='Shrinking ISR',
                cause='there are too few replica fetcher threads for the partition count and ingest rate',
                cause_short='too few replica fetcher threads',
                fixes=(
                    Remedy(text='raising num.replica.fetchers to 4 and replica.lag.time.max.ms to 30000', short='more replica fetchers and a longer replica lag allowance'),
                ),
                workarounds=(
                    Remedy(text='reducing the batch size of the largest producers during peak hours', short='smaller producer batches at peak'),
                ),
                defect='the replica fetcher stalls after a leader epoch change',
                settings=(
                    Setting(key='num.replica.fetchers', current='1', recommended='4'),
                    Setting(key='replica.lag.time.max.ms', current='10000', recommended='30000'),
                ),
                logs=('Kafka broker logs', 'server.log from every broker'),
                commands=('kafka-topics --bootstrap-server {host}:9093 --describe --under-replicated-partitions',),
            ),
            Problem(
                id='rebalance', component='Kafka consumer', name='Kafka consumer group rebalancing and lag',
                symptoms=(
                    'consumer lag on {topic} keeps growing and the group rebalances every few minutes',
                    'our consumers fail to commit offsets because the group keeps rebalancing',
                    'the {topic} consumer group never settles',
                ),
                observations=(
                    'consumers in group {user}-etl exceed max.poll.interval.ms while processing large batches',
                    'each rebalance starts when a consumer takes longer than {sec} seconds between polls',
                ),
                error_blocks=(
                    (
                        'org.apache.kafka.clients.consumer.CommitFailedException: Commit cannot be completed since the group has already rebalanced and assigned the partitions to another member. This means that the time between subsequent calls to poll() was longer than the configured max.poll.interval.ms',
                        '\tat org.apache.kafka.clients.consumer.internals.ConsumerCoordinator.sendOffsetCommitRequest(ConsumerCoordinator.java:1109)',
                    ),
                ),
                error_short='CommitFailedException',
                cause='processing one poll batch takes longer than max.poll.interval.ms',
                cause_short='batches taking longer than the poll interval',
                fixes=(
                    Remedy(text='lowering max.poll.records to 100 and raising max.poll.interval.ms to 600000', short='smaller poll batches and a longer poll interval'),
                ),
                workarounds=(
                    Remedy(text='adding consumer instances so that each handles fewer partitions', short='more consumer instances'),
                ),
                defect="the consumer coordinator starts a rebalance when a member's heartbeat thread is briefly blocked",
                settings=(
                    Setting(key='max.poll.records', current='500', recommended='100'),
                    Setting(key='max.poll.interval.ms', current='300000', recommended='600000'),
                ),
                logs=('consumer application logs', 'Kafka broker logs'),
                commands=('kafka-consumer-groups --bootstrap-server {host}:9093 --describe --group {user}-etl',),
            ),
            Problem(
                id='log_dir', component='Kafka broker', name='a Kafka broker going offline after a log directory failure',
                symptoms=(
                    'broker {n} went offline and will not start again',
                    'one Kafka broker shut down with a log directory failure',
                    'a broker stopped after its data disk filled up',
                ),
                observations=(
                    'the log directory /kafka/data{n} on broker {n} filled up because retention on {topic} is {n3}0 days',
                    'the broker marked its only log directory offline and shut itself down',
                ),
                error_blocks=(
                    (
                        '[{ts}] ERROR Error while appending records to {topic}-{part} in dir /kafka/data{n} (kafka.server.LogDirFailureChannel)',
                        'java.io.IOException: No space left on device',
                        '\tat sun.nio.ch.FileDispatcherImpl.write0(Native Method)',
                        '\tat kafka.log.LogSegment.append(LogSegment.scala:158)',
                        '[{ts}] FATAL Shutdown broker because all log dirs in /kafka/data{n} have failed (kafka.log.LogManager)',
                    ),
                ),
                error_short='No space left on device',
                cause='the retention settings on the topic let its partitions outgrow the disk',
                cause_short='retention letting partitions outgrow the disk',
                fixes=(
                    Remedy(text='setting retention.bytes on {topic} and adding a second log directory on another disk', short='per-topic retention limits and a second log directory'),
                ),
                workarounds=(
                    Remedy(text='lowering retention.ms on {topic} to 3 days so the broker can start and clean up', short='a shorter retention on the topic'),
                ),
                defect='log cleanup does not run while the broker is recovering segments',
                settings=(
                    Setting(key='log.retention.hours', current='720', recommended='168'),
                    Setting(key='log.dirs', current='/kafka/data{n}', recommended='/kafka/data{n},/kafka/data{n2}'),
                ),
                logs=('server.log from the failed broker', 'df -h output from the broker host'),
                commands=('du -sh /kafka/data*/{topic}-*',),
            ),
        ),
    ),
    Product(
        key='hbase', name='HBase', jira_project='HBASE', jira_range=(20000, 28800),
        repo='hbase', families=('cdp', 'cdh6', 'cdh5'), base_versions={'cdp': '2.4.6', 'cdh6': '2.1.0', 'cdh5': '1.2.0'},
        version_name='HBase', host_prefix='rs', expert='HBase', weight=8,
        topic='HBase RegionServer stability',
        docs_area='hbase-managing', docs_pages=('hbase-regionserver-gc-tuning', 'hbase-hbck2', 'hbase-hotspotting', 'hbase-memstore-tuning', 'hbase-region-assignment'),
        community_threads=('RegionServer-aborts-with-YouAreDeadException', 'Regions-stuck-in-transition-after-restart', 'RegionTooBusyException-during-bulk-load', 'HBase-hotspotting-row-key-design'),
        problems=(
            Problem(
                id='rs_abort', component='RegionServer', name='HBase RegionServers aborting after ZooKeeper session expiry',
                symptoms=(
                    'RegionServers keep aborting with YouAreDeadException',
                    '{n} RegionServers crashed overnight and regions went offline',
                    'HBase RegionServers restart several times a day',
                ),
                observations=(
                    'the RegionServer on {host} had a {sec}-second GC pause, longer than the ZooKeeper session timeout',
                    "the RegionServer's ZooKeeper session expired during a full GC",
                ),
                error_blocks=(
                    (
                        '{ts} FATAL org.apache.hadoop.hbase.regionserver.HRegionServer: ***** ABORTING region server {host},16020,{txn}: org.apache.hadoop.hbase.YouAreDeadException: Server REPORT rejected; currently processing {host},16020,{txn} as dead server *****',
                        '\tat org.apache.hadoop.hbase.master.ServerManager.checkIsDead(ServerManager.java:395)',
                        '\tat org.apache.hadoop.hbase.regionserver.HRegionServer.tryRegionServerReport(HRegionServer.java:1260)',
                    ),
                ),
                error_short='YouAreDeadException',
                cause='long stop-the-world GC pauses on a large RegionServer heap exceed the ZooKeeper session timeout',
                cause_short='long GC pauses exceeding the ZooKeeper session timeout',
                fixes=(
                    Remedy(text='switching the RegionServers to G1GC with -XX:MaxGCPauseMillis=200 and moving the block cache off-heap', short='G1GC tuning and an off-heap block cache'),
                ),
                workarounds=(
                    Remedy(text='raising zookeeper.session.timeout to 120000 so that short pauses do not kill the RegionServer', short='a longer ZooKeeper session timeout'),
                ),
                defect='the RegionServer keeps references to closed scanners, which inflates the heap',
                settings=(
                    Setting(key='zookeeper.session.timeout', current='60000', recommended='120000'),
                    Setting(key='hbase.regionserver.handler.count', current='30', recommended='60'),
                ),
                logs=('RegionServer logs', 'RegionServer GC logs', 'HMaster logs'),
                commands=('hbase hbck -details',),
            ),
            Problem(
                id='rit', component='HBase Master', name='HBase regions stuck in transition',
                symptoms=(
                    '{n} regions are stuck in transition after the restart',
                    'some HBase tables are partly unavailable with regions stuck in OPENING',
                    'the HBase Master UI has shown regions in transition for hours',
                ),
                observations=(
                    'the assignment procedures for {n} regions of {table} wait on a RegionServer that no longer exists',
                    'the procedure store still holds stale procedures from before the crash',
                ),
                error_blocks=(
                    (
                        '{ts} WARN org.apache.hadoop.hbase.master.assignment.AssignmentManager: STUCK Region-In-Transition rit=OPENING, location={host},16020,{txn}, table={db}:{table}, region={qid}',
                    ),
                ),
                error_short='regions in transition',
                cause='stale assignment procedures reference a dead RegionServer',
                cause_short='stale assignment procedures',
                fixes=(
                    Remedy(text='clearing the stale procedures and re-assigning the regions with HBCK2', short='re-assigning the regions with HBCK2'),
                ),
                workarounds=(
                    Remedy(text='bypassing the stuck procedures with hbck2 bypass so the other regions can open', short='bypassing the stuck procedures'),
                ),
                defect='the Master does not retry assignments after a RegionServer is expired during startup',
                settings=(
                    Setting(key='hbase.master.procedure.threads', current='8', recommended='16'),
                ),
                logs=('HMaster logs', 'hbck2 output'),
                commands=('hbase hbck -j hbase-hbck2.jar assigns {qid}',),
            ),
            Problem(
                id='too_busy', component='RegionServer', name='HBase writes failing with RegionTooBusyException',
                symptoms=(
                    'writes to {table} fail with RegionTooBusyException during bulk loads',
                    "our ingestion into HBase slowed down and clients get 'Over memstore limit'",
                    'the {table} table has one hot region that rejects writes',
                ),
                observations=(
                    'all writes land in one region because the row key starts with a timestamp',
                    'the memstore of region {qid} keeps hitting the blocking limit',
                ),
                error_blocks=(
                    (
                        'org.apache.hadoop.hbase.RegionTooBusyException: Over memstore limit=512.0 M, regionName={qid}, server={host},16020,{txn}',
                        '\tat org.apache.hadoop.hbase.regionserver.HRegion.checkResources(HRegion.java:4581)',
                        '\tat org.apache.hadoop.hbase.regionserver.RSRpcServices.multi(RSRpcServices.java:2775)',
                    ),
                ),
                error_short='RegionTooBusyException',
                cause='the row key design sends every new write to a single region',
                cause_short='a hotspotting row key',
                fixes=(
                    Remedy(text='salting the row key and pre-splitting {table} into {n}0 regions', short='a salted row key and a pre-split table'),
                ),
                workarounds=(
                    Remedy(text='raising hbase.hregion.memstore.block.multiplier to 8 to absorb write bursts', short='a higher memstore block multiplier'),
                ),
                defect='flushes are delayed when the WAL roll is blocked on a slow DataNode',
                settings=(
                    Setting(key='hbase.hregion.memstore.flush.size', current='134217728', recommended='268435456'),
                    Setting(key='hbase.hregion.memstore.block.multiplier', current='4', recommended='8'),
                ),
                logs=('RegionServer logs',),
                commands=('echo "status \'detailed\'" | hbase shell -n',),
            ),
        ),
    ),
    Product(
        key='ozone', name='Ozone', jira_project='HDDS', jira_range=(5000, 11400),
        repo='ozone', families=('cdp',), base_versions={'cdp': '1.3.0'},
        version_name='Ozone', host_prefix='om', expert='Ozone', weight=5,
        topic='Ozone object storage',
        docs_area='ozone-storing-data', docs_pages=('ozone-manager-ha', 'ozone-s3-gateway', 'ozone-container-replication', 'ozone-ranger-policies', 'ozone-recon'),
        community_threads=('Ozone-Manager-NotLeaderException', 'S3-Gateway-AccessDenied-with-Ozone', 'Ozone-containers-UNHEALTHY-after-disk-failure'),
        problems=(
            Problem(
                id='om_leader', component='Ozone Manager', name='Ozone Manager leader election flapping',
                symptoms=(
                    'Ozone clients get NotLeaderException and writes stall',
                    'the Ozone Manager leader changes every few minutes',
                    'ozone sh commands hang and then fail with leader errors',
                ),
                observations=(
                    'the OM Ratis leader on {host} loses leadership because log appends to the followers take over {sec} seconds',
                    'the Ratis storage directory shares a slow disk with the OM database',
                ),
                error_blocks=(
                    (
                        'org.apache.ratis.protocol.exceptions.NotLeaderException: Server om{n}@group-{qid} is not the leader. Suggested leader is: om{n2}',
                        '\tat org.apache.hadoop.ozone.om.ratis.OzoneManagerRatisServer.processReply(OzoneManagerRatisServer.java:472)',
                    ),
                ),
                error_short='NotLeaderException',
                cause='the Ratis log and the OM database sit on the same slow disk',
                cause_short='the Ratis log and OM database on one slow disk',
                fixes=(
                    Remedy(text='moving ozone.om.ratis.storage.dir to a dedicated SSD', short='a dedicated SSD for the Ratis log'),
                ),
                workarounds=(
                    Remedy(text='raising the Ratis leader election timeout to 10 seconds', short='a longer leader election timeout'),
                ),
                defect='an OM follower does not catch up after installing a snapshot',
                settings=(
                    Setting(key='ozone.om.ratis.storage.dir', current='/var/lib/hadoop-ozone/om/ratis', recommended='/ssd/ozone/om/ratis'),
                ),
                logs=('Ozone Manager logs', 'Ratis logs'),
                commands=('ozone admin om roles -id ozone1',),
            ),
            Problem(
                id='s3g', component='Ozone S3 Gateway', name='the Ozone S3 Gateway returning access denied',
                symptoms=(
                    'our S3 clients get 403 AccessDenied from the Ozone S3 Gateway',
                    'aws s3 ls against Ozone fails with access denied since the upgrade',
                    'uploads through the S3 Gateway are rejected for user {user}',
                ),
                observations=(
                    'the S3 secret of {user} was generated before the principal mapping changed',
                    'the S3 Gateway maps the access key to a principal that Ranger does not allow on the bucket',
                ),
                error_blocks=(
                    (
                        "An error occurred (AccessDenied) when calling the ListObjectsV2 operation: User doesn't have the right to access this resource.",
                    ),
                    (
                        '{ts} ERROR org.apache.hadoop.ozone.s3.OzoneClientProducer: Error during Client Creation:',
                        "org.apache.hadoop.ozone.om.exceptions.OMException: User {user} doesn't have READ permission to access bucket",
                    ),
                ),
                error_short='AccessDenied',
                cause='the access key maps to a principal that has no Ranger policy on the bucket',
                cause_short='a missing Ranger policy for the mapped principal',
                fixes=(
                    Remedy(text='adding a Ranger Ozone policy for {user} on the bucket and regenerating the S3 secret', short='a Ranger policy for the user and a new S3 secret'),
                ),
                workarounds=(
                    Remedy(text='using a service user that already has access to the bucket', short='a service user that has access'),
                ),
                defect='the S3 Gateway caches denied authorisation results',
                settings=(
                    Setting(key='ozone.s3g.secret.http.enabled', current='false', recommended='true'),
                ),
                logs=('S3 Gateway logs', 'Ranger audit entries'),
                commands=('ozone s3 getsecret --om-service-id=ozone1',),
            ),
            Problem(
                id='ozone_dn', component='Ozone Datanode', name='Ozone containers marked unhealthy',
                symptoms=(
                    'Ozone reports {n}0 containers as UNHEALTHY',
                    'Ozone Recon shows missing and unhealthy containers after a disk failure',
                    'reads of some keys fail with checksum errors',
                ),
                observations=(
                    "replicas on the Ozone Datanode {host} fail the scanner's checksum check",
                    'the replication manager cannot re-replicate containers because the pipelines are closed',
                ),
                error_blocks=(
                    (
                        '{ts} ERROR org.apache.hadoop.ozone.container.ozoneimpl.ContainerScanner: Corruption detected in container [{txn}]. Marking it UNHEALTHY.',
                    ),
                ),
                error_short='UNHEALTHY containers',
                cause='a failing disk on the Datanode corrupted container replicas',
                cause_short='a failing Datanode disk',
                fixes=(
                    Remedy(text='replacing the disk and letting the replication manager rebuild the replicas', short='replacing the disk and re-replicating'),
                ),
                workarounds=(
                    Remedy(text='decommissioning the Datanode so that its replicas are copied elsewhere', short='decommissioning the Datanode'),
                ),
                defect='the replication manager skips containers in QUASI_CLOSED state',
                settings=(
                    Setting(key='hdds.container.scrub.enabled', current='false', recommended='true'),
                ),
                logs=('Ozone Datanode logs', 'SCM logs'),
                commands=('ozone admin container report',),
            ),
        ),
    ),
    Product(
        key='ranger', name='Ranger', jira_project='RANGER', jira_range=(3000, 4900),
        repo='ranger', families=('cdp',), base_versions={'cdp': '2.3.0'},
        version_name='Ranger', host_prefix='ranger', expert='Ranger', weight=7,
        topic='Ranger policies, Usersync and audits',
        docs_area='security-ranger-authorization', docs_pages=('ranger-usersync-ldap', 'ranger-policy-refresh', 'ranger-audit-solr', 'ranger-plugin-troubleshooting', 'ranger-admin-ha'),
        community_threads=('Ranger-Usersync-not-importing-groups', 'Ranger-policy-not-applied-to-Hive', 'Ranger-audits-missing-in-Solr', 'PolicyRefresher-failed-to-refresh-policies'),
        problems=(
            Problem(
                id='usersync', component='Ranger Usersync', name='Ranger Usersync not syncing LDAP groups',
                symptoms=(
                    'new users from Active Directory do not show up in Ranger',
                    'group memberships in Ranger have been out of date since last week',
                    'Ranger Usersync finishes but imports no groups',
                ),
                observations=(
                    'the Usersync group search filter leaves out the nested groups your teams use',
                    'the LDAP search from Usersync follows referrals to a domain controller it cannot reach',
                ),
                error_blocks=(
                    (
                        "{ts} ERROR org.apache.ranger.ldapusersync.process.LdapUserGroupBuilder: LDAPException: javax.naming.PartialResultException: Unprocessed Continuation Reference(s); remaining name 'dc={db},dc=com'",
                        '\tat com.sun.jndi.ldap.LdapCtx.processReturnCode(LdapCtx.java:3095)',
                        '\tat org.apache.ranger.ldapusersync.process.LdapUserGroupBuilder.getUsers(LdapUserGroupBuilder.java:521)',
                    ),
                ),
                error_short='PartialResultException',
                cause='the LDAP search follows referrals and the group filter is too narrow',
                cause_short='LDAP referrals and a narrow group filter',
                fixes=(
                    Remedy(text='setting ranger.usersync.ldap.referral to ignore and widening ranger.usersync.group.searchfilter', short='ignoring LDAP referrals and a wider group filter'),
                ),
                workarounds=(
                    Remedy(text='adding the missing users and groups to Ranger by hand for now', short='adding the users by hand'),
                ),
                defect='Usersync drops group memberships when a group name contains a comma',
                settings=(
                    Setting(key='ranger.usersync.ldap.referral', current='follow', recommended='ignore'),
                    Setting(key='ranger.usersync.group.searchfilter', current='(cn=hadoop_*)', recommended='(|(cn=hadoop_*)(cn=data_*))'),
                ),
                logs=('Usersync logs', 'ranger-ugsync-site.xml'),
                commands=("ldapsearch -x -h {host2} -b 'dc={db},dc=com' '(sAMAccountName={user})' memberOf",),
            ),
            Problem(
                id='policy_stale', component='Ranger plugin', name='Ranger policies not being enforced',
                symptoms=(
                    'a new Ranger policy on {db} has had no effect for {n} hours',
                    'users still get access denied after we granted them access in Ranger',
                    'Hive ignores the Ranger policy change we made yesterday',
                ),
                observations=(
                    'the Hive plugin on {host} cannot download policies and keeps using its cached copy',
                    "the plugin's policy cache file has not changed since {ts}",
                ),
                error_blocks=(
                    (
                        '{ts} ERROR org.apache.ranger.admin.client.RangerAdminRESTClient: Error getting policies; secureMode=true, user=hive/{host}@{realm}, response=401, serviceName=cm_hive',
                        '{ts} ERROR org.apache.ranger.plugin.util.PolicyRefresher: PolicyRefresher(serviceName=cm_hive): failed to refresh policies. Will continue to use last known version of policies ({n}{n2})',
                    ),
                ),
                error_short='PolicyRefresher failed to refresh policies',
                cause="the plugin's Kerberos identity is rejected by Ranger Admin, so it keeps serving old cached policies",
                cause_short='the plugin failing to authenticate to Ranger Admin',
                fixes=(
                    Remedy(text='regenerating the Kerberos credentials of the hive service and restarting HiveServer2', short='regenerated service credentials'),
                ),
                workarounds=(
                    Remedy(text='granting the access with a temporary policy on the parent database', short='a temporary policy on the parent database'),
                ),
                defect='the plugin stops retrying policy downloads after one authentication failure',
                settings=(
                    Setting(key='ranger.plugin.hive.policy.pollIntervalMs', current='30000', recommended='30000'),
                ),
                logs=('HiveServer2 logs', 'Ranger Admin logs', "the plugin's policy cache JSON"),
                commands=('klist -kte /var/run/cloudera-scm-agent/process/*HIVESERVER2*/hive.keytab',),
            ),
            Problem(
                id='audit', component='Ranger Admin', name='Ranger audits missing',
                symptoms=(
                    'the Ranger Audit tab has been empty for {n} days',
                    'we cannot see any HDFS access events in the Ranger audits',
                    'Ranger audits stopped being written to Solr',
                ),
                observations=(
                    'the plugins fail to write audits to the ranger_audits collection because its shards are down',
                    'the audit spool directory on {host} holds {n}000 unsent files',
                ),
                error_blocks=(
                    (
                        '{ts} ERROR org.apache.ranger.audit.destination.SolrAuditDestination: Error sending message to Solr',
                        'org.apache.solr.client.solrj.impl.CloudSolrClient$RouteException: No active replicas found for collection: ranger_audits',
                    ),
                ),
                error_short='No active replicas found for collection: ranger_audits',
                cause='the ranger_audits collection in Infra Solr has no active replicas',
                cause_short='no active ranger_audits replicas in Solr',
                fixes=(
                    Remedy(text='recreating the ranger_audits replicas and raising the Infra Solr heap to {gb} GB', short='restored audit replicas and a larger Solr heap'),
                ),
                workarounds=(
                    Remedy(text='sending audits to HDFS only while Solr is repaired', short='HDFS-only audits'),
                ),
                defect='the audit spooler never retries files that failed with a routing error',
                settings=(
                    Setting(key='xasecure.audit.destination.solr.batch.filespool.dir', current='/var/log/hadoop/hdfs/audit/solr/spool', recommended='/var/log/hadoop/hdfs/audit/solr/spool'),
                ),
                logs=('Ranger Admin logs', 'Infra Solr logs'),
                commands=('solrctl collection --list',),
            ),
        ),
    ),
    Product(
        key='atlas', name='Atlas', jira_project='ATLAS', jira_range=(3000, 4900),
        repo='atlas', families=('cdp',), base_versions={'cdp': '2.1.0'},
        version_name='Atlas', host_prefix='atlas', expert='Atlas', weight=4,
        topic='Atlas lineage and metadata',
        docs_area='atlas-working-with-atlas', docs_pages=('atlas-hive-hook', 'atlas-troubleshooting-startup', 'atlas-kafka-topics', 'atlas-import-hive-metadata'),
        community_threads=('Hive-lineage-not-showing-in-Atlas', 'Atlas-fails-to-start-JanusGraphException', 'ATLAS_HOOK-topic-lag-keeps-growing'),
        problems=(
            Problem(
                id='lineage', component='Atlas', name='Hive lineage missing in Atlas',
                symptoms=(
                    'new Hive tables do not appear in Atlas',
                    'lineage for our ETL jobs stopped showing up in Atlas {n} days ago',
                    'Atlas search returns nothing for the tables created this week',
                ),
                observations=(
                    'the ATLAS_HOOK topic has a lag of {n}00,000 messages because the hook cannot publish',
                    'the Hive hook on {host} is refused when it writes to the ATLAS_HOOK topic',
                ),
                error_blocks=(
                    (
                        '{ts} ERROR org.apache.atlas.hook.AtlasHook: Failed to send notification - attempt #3; error=java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized to access topics: [ATLAS_HOOK]',
                        'org.apache.atlas.notification.NotificationException: java.util.concurrent.ExecutionException',
                    ),
                ),
                error_short='NotificationException',
                cause='the hive user has no Ranger Kafka policy allowing it to publish to ATLAS_HOOK',
                cause_short='a missing Kafka policy for the Atlas hook',
                fixes=(
                    Remedy(text='adding publish rights on ATLAS_HOOK for the hive user in the Ranger Kafka service', short='a Ranger Kafka policy for the hook'),
                ),
                workarounds=(
                    Remedy(text='re-importing the missing metadata with the import-hive.sh script', short='re-importing metadata with import-hive.sh'),
                ),
                defect='the Atlas Kafka consumer skips messages after an offset commit failure',
                settings=(
                    Setting(key='atlas.hook.hive.synchronous', current='false', recommended='false'),
                ),
                logs=('Atlas application logs', 'HiveServer2 logs'),
                commands=('kafka-consumer-groups --bootstrap-server {host2}:9093 --describe --group atlas',),
            ),
            Problem(
                id='atlas_start', component='Atlas', name='Atlas failing to start',
                symptoms=(
                    'the Atlas server will not start after the upgrade',
                    'the Atlas UI shows 503 and the server keeps restarting',
                    'Atlas fails at startup with a JanusGraph error',
                ),
                observations=(
                    'Atlas cannot open its graph because the atlas_janus HBase table is disabled',
                    'the Solr collections Atlas needs are missing after the upgrade',
                ),
                error_blocks=(
                    (
                        'org.janusgraph.core.JanusGraphException: Could not open global configuration',
                        '\tat org.janusgraph.diskstorage.Backend.getStandaloneGlobalConfiguration(Backend.java:477)',
                        '\tat org.apache.atlas.repository.graphdb.janus.AtlasJanusGraphDatabase.getGraphInstance(AtlasJanusGraphDatabase.java:185)',
                        'Caused by: org.apache.hadoop.hbase.TableNotEnabledException: atlas_janus is disabled.',
                    ),
                ),
                error_short='JanusGraphException',
                cause='the atlas_janus table in HBase was left disabled after the upgrade',
                cause_short='a disabled atlas_janus HBase table',
                fixes=(
                    Remedy(text='enabling the atlas_janus table in HBase and restarting Atlas', short='re-enabling the atlas_janus table'),
                ),
                workarounds=(
                    Remedy(text='starting Atlas with the index checks skipped until the Solr collections are rebuilt', short='skipping index checks at startup'),
                ),
                defect='the upgrade step leaves the Atlas HBase tables disabled',
                settings=(
                    Setting(key='atlas.graph.storage.hbase.table', current='atlas_janus', recommended='atlas_janus'),
                ),
                logs=('Atlas application logs', 'HBase Master logs'),
                commands=('echo "is_enabled \'atlas_janus\'" | hbase shell -n',),
            ),
        ),
    ),
    Product(
        key='knox', name='Knox', jira_project='KNOX', jira_range=(2000, 3050),
        repo='knox', families=('cdp',), base_versions={'cdp': '1.3.0'},
        version_name='Knox', host_prefix='knox', expert='Knox', weight=4,
        topic='Knox gateway and SSO',
        docs_area='knox-authentication', docs_pages=('knox-sso-configuration', 'knox-truststore', 'knox-topologies', 'knox-troubleshooting'),
        community_threads=('Knox-SSO-too-many-redirects', 'Knox-PKIX-path-building-failed', 'Knox-HTTP-500-proxying-HiveServer2'),
        problems=(
            Problem(
                id='knox_sso', component='Knox', name='a Knox SSO redirect loop',
                symptoms=(
                    'logging in through Knox SSO loops back to the login page',
                    'users cannot reach the Cloudera Manager UI through Knox and the browser reports too many redirects',
                    'Knox SSO login succeeds but then redirects endlessly',
                ),
                observations=(
                    'the hadoop-jwt cookie is set for the wrong domain, so the browser never sends it back',
                    'knoxsso.cookie.domain.suffix does not match the host names your users type',
                ),
                error_blocks=(
                    (
                        '{ts} WARN org.apache.knox.gateway.provider.federation.jwt.filter.SSOCookieFederationFilter: Unable to find cookie with name: hadoop-jwt',
                        '{ts} INFO org.apache.knox.gateway.service.knoxsso.WebSSOResource: Redirecting to login page',
                    ),
                ),
                error_short='redirect loop',
                cause='the SSO cookie domain does not match the domain of the proxied UIs',
                cause_short='an SSO cookie domain mismatch',
                fixes=(
                    Remedy(text='setting knoxsso.cookie.domain.suffix to .{domain} and restarting the Knox gateway', short='the correct SSO cookie domain'),
                ),
                workarounds=(
                    Remedy(text='opening the UIs directly instead of through Knox for now', short='direct UI access'),
                ),
                defect='Knox sets the SSO cookie without the configured domain when the request uses an IP address',
                settings=(
                    Setting(key='knoxsso.cookie.domain.suffix', current='(not set)', recommended='.{domain}'),
                ),
                logs=('gateway.log', 'gateway-audit.log', 'browser HAR file'),
                commands=('grep -i hadoop-jwt /var/log/knox/gateway/gateway.log | tail -50',),
            ),
            Problem(
                id='knox_ssl', component='Knox', name='Knox gateway SSL handshake failures',
                symptoms=(
                    'Knox returns HTTP 500 when proxying HiveServer2',
                    'JDBC connections through Knox fail with SSL errors since the certificates were renewed',
                    'the Knox gateway cannot reach the backend services after the certificate rotation',
                ),
                observations=(
                    'Knox does not trust the new certificate presented by {host2}',
                    'the gateway truststore still holds the old intermediate CA',
                ),
                error_blocks=(
                    (
                        'javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target',
                        '\tat sun.security.ssl.Alert.createSSLException(Alert.java:131)',
                        '\tat org.apache.knox.gateway.dispatch.DefaultDispatch.executeOutboundRequest(DefaultDispatch.java:146)',
                    ),
                ),
                error_short='SSLHandshakeException',
                cause='the Knox truststore is missing the new intermediate CA',
                cause_short='a missing intermediate CA in the Knox truststore',
                fixes=(
                    Remedy(text='importing the new intermediate CA into the Knox gateway truststore and restarting Knox', short='the new CA in the Knox truststore'),
                ),
                workarounds=(
                    Remedy(text='connecting to HiveServer2 directly, without Knox, until the truststore is updated', short='connecting without Knox'),
                ),
                defect='Knox caches the truststore and ignores updates until a full restart',
                settings=(
                    Setting(key='gateway.httpclient.truststore.path', current='/var/lib/knox/gateway/data/security/keystores/gateway.jks', recommended='/opt/cloudera/security/truststore.jks'),
                ),
                logs=('gateway.log',),
                commands=('openssl s_client -connect {host2}:10001 -showcerts',),
            ),
        ),
    ),
    Product(
        key='kudu', name='Kudu', jira_project='KUDU', jira_range=(2500, 3600),
        repo='kudu', families=('cdp', 'cdh6'), base_versions={'cdp': '1.17.0', 'cdh6': '1.10.0'},
        version_name='Kudu', host_prefix='kudu', expert='Kudu', weight=4,
        topic='Kudu tablet servers',
        docs_area='kudu-management', docs_pages=('kudu-ksck', 'kudu-recovering-from-failure', 'kudu-ntp-clock-sync', 'kudu-rebalancing'),
        community_threads=('Kudu-tablets-have-no-leader', 'Kudu-clock-considered-unsynchronized', 'kudu-ksck-under-replicated-tablets'),
        problems=(
            Problem(
                id='tablet_unavail', component='Kudu tablet server', name='Kudu tablets unavailable after a tablet server failure',
                symptoms=(
                    "Impala queries on Kudu tables fail with 'Service unavailable' for some tablets",
                    '{n} Kudu tablets have had no leader since one tablet server crashed',
                    'writes to our Kudu table {table} time out',
                ),
                observations=(
                    'ksck reports {n} tablets with only one healthy replica since {host} crashed',
                    'the tablet server on {host} is down and its replicas were never re-replicated',
                ),
                error_blocks=(
                    (
                        'Service unavailable: Timed out: GetTableLocations {db}.{table} timed out after deadline expired: tablet {qid} has no leader',
                    ),
                ),
                error_short='Service unavailable',
                cause='too many replicas were lost at once for automatic re-replication to restore a majority',
                cause_short='a lost replica majority after the crash',
                fixes=(
                    Remedy(text='bringing {host} back and letting Kudu re-replicate, forcing a new Raft config only where the majority is lost', short='restoring the tablet server and repairing the Raft configs'),
                ),
                workarounds=(
                    Remedy(text="pointing the Impala reports at yesterday's snapshot table", short='querying a snapshot table'),
                ),
                defect='the master does not re-replicate tablets when a failed server returns with a new UUID',
                settings=(
                    Setting(key='follower_unavailable_considered_failed_sec', current='300', recommended='300'),
                ),
                logs=('kudu-tserver logs', 'kudu-master logs', 'ksck output'),
                commands=('kudu cluster ksck {host2}:7051',),
            ),
            Problem(
                id='kudu_clock', component='Kudu tablet server', name='a Kudu tablet server failing to start because of clock sync',
                symptoms=(
                    'a Kudu tablet server on {host} will not start',
                    'kudu-tserver exits right after starting with a clock error',
                    'after OS patching, one Kudu node refuses to start',
                ),
                observations=(
                    'chronyd on {host} is not synchronised, so the tablet server refuses to start',
                    'the NTP service was replaced during the OS patching',
                ),
                error_blocks=(
                    (
                        'Check failed: _s.ok() Bad status: Service unavailable: Cannot initialize clock: Error reading clock. Clock considered unsynchronized',
                    ),
                ),
                error_short='Clock considered unsynchronized',
                cause='the host clock is not synchronised with NTP',
                cause_short='an unsynchronised host clock',
                fixes=(
                    Remedy(text='configuring chronyd on {host} to sync with your NTP servers and waiting until it reports synchronised', short='a re-synchronised host clock'),
                ),
                workarounds=(
                    Remedy(text='setting --time_source=system_unsync temporarily on a non-production node', short='a temporary unsynchronised time source'),
                ),
                defect='the tablet server ignores chrony when ntpd is also installed',
                settings=(
                    Setting(key='time_source', current='system', recommended='system'),
                ),
                logs=('kudu-tserver logs', 'output of chronyc tracking'),
                commands=('chronyc tracking', 'ntpstat'),
            ),
        ),
    ),
    Product(
        key='nifi', name='NiFi', jira_project='NIFI', jira_range=(9000, 13900),
        repo='nifi', families=('cdp',), base_versions={'cdp': '1.23.1'},
        version_name='NiFi', host_prefix='nifi', expert='NiFi', weight=6,
        topic='NiFi flows and cluster',
        docs_area='cfm-nifi-admin', docs_pages=('nifi-content-repository', 'nifi-cluster-heartbeat', 'nifi-kerberos-hdfs', 'nifi-back-pressure'),
        community_threads=('NiFi-content-repository-full', 'NiFi-node-disconnected-lack-of-heartbeat', 'PutHDFS-GSSException-No-valid-credentials'),
        problems=(
            Problem(
                id='repo_full', component='NiFi', name='the NiFi content repository filling up',
                symptoms=(
                    'NiFi stops processing because the content repository is full',
                    'flows are backed up and NiFi says the content repository is out of space',
                    'NiFi on {host} shows back pressure on every queue',
                ),
                observations=(
                    'the content repository on {host} is at {pct}% because archived content is never purged',
                    'nifi.content.repository.archive.max.usage.percentage is higher than the disk can support',
                ),
                error_blocks=(
                    (
                        '{ts} WARN [Timer-Driven Process Thread-{n}] o.a.n.c.repository.FileSystemRepository: Unable to write to container default due to archive file size constraints; waiting for archive cleanup',
                    ),
                ),
                error_short='content repository full',
                cause='archived content is kept longer than the disk can hold',
                cause_short='archived content not being purged',
                fixes=(
                    Remedy(text='setting nifi.content.repository.archive.max.usage.percentage to 50% and moving the content repository to its own disk', short='a lower archive limit and a dedicated content disk'),
                ),
                workarounds=(
                    Remedy(text='turning content archiving off for now with nifi.content.repository.archive.enabled=false', short='archiving turned off for now'),
                ),
                defect='the archive cleanup thread stops after an I/O error',
                settings=(
                    Setting(key='nifi.content.repository.archive.max.usage.percentage', current='90%', recommended='50%'),
                ),
                logs=('nifi-app.log', 'df -h output'),
                commands=('du -sh /var/lib/nifi/content_repository',),
            ),
            Problem(
                id='node_disconnect', component='NiFi', name='NiFi nodes disconnecting from the cluster',
                symptoms=(
                    'NiFi nodes keep disconnecting from the cluster',
                    'our {n}-node NiFi cluster loses a node every hour',
                    'the NiFi UI shows nodes as DISCONNECTED after heartbeat timeouts',
                ),
                observations=(
                    'heartbeats from {host} arrive late because of long GC pauses',
                    'the cluster coordinator marks nodes disconnected after {sec} seconds without a heartbeat',
                ),
                error_blocks=(
                    (
                        '{ts} INFO o.a.n.c.c.node.NodeClusterCoordinator: Status of {host}:8443 changed from NodeConnectionStatus[state=CONNECTED] to NodeConnectionStatus[state=DISCONNECTED, Disconnect Code=Lack of Heartbeat]',
                    ),
                ),
                error_short='node disconnected',
                cause='long GC pauses delay heartbeats beyond the cluster timeout',
                cause_short='GC pauses delaying heartbeats',
                fixes=(
                    Remedy(text='raising the NiFi heap to {gb} GB and nifi.cluster.protocol.heartbeat.interval to 15 sec', short='a larger heap and a longer heartbeat interval'),
                ),
                workarounds=(
                    Remedy(text='reconnecting the nodes from the cluster page when they drop', short='reconnecting nodes by hand'),
                ),
                defect='the coordinator does not clear a disconnect caused by a flow election timeout',
                settings=(
                    Setting(key='nifi.cluster.node.connection.timeout', current='5 sec', recommended='30 sec'),
                ),
                logs=('nifi-app.log from every node', 'NiFi GC logs'),
                commands=("grep -i 'Lack of Heartbeat' /var/log/nifi/nifi-app.log | tail -20",),
            ),
            Problem(
                id='puthdfs', component='NiFi', name='NiFi PutHDFS failing with Kerberos errors',
                symptoms=(
                    'PutHDFS fails with GSSException after running for about a day',
                    'our NiFi flows cannot write to HDFS anymore',
                    'PutHDFS processors turn red with Kerberos errors every morning',
                ),
                observations=(
                    'the Kerberos ticket used by PutHDFS expires and is never renewed',
                    'the processors point to a keytab that the nifi user cannot read',
                ),
                error_blocks=(
                    (
                        '{ts} ERROR [Timer-Driven Process Thread-{n}] o.apache.nifi.processors.hadoop.PutHDFS PutHDFS[id={qid}] Failed to write to HDFS',
                        'java.io.IOException: org.ietf.jgss.GSSException: No valid credentials provided (Mechanism level: Failed to find any Kerberos tgt)',
                    ),
                ),
                error_short='GSSException',
                cause='the Kerberos ticket expires without being renewed by the processor',
                cause_short='expired Kerberos tickets',
                fixes=(
                    Remedy(text='switching the processors to a KeytabCredentialsService so tickets are renewed automatically', short='a Keytab Credentials Service'),
                ),
                workarounds=(
                    Remedy(text='stopping and starting the processors daily to force a new login', short='daily processor restarts'),
                ),
                defect='PutHDFS does not log in again when the ticket expires during a write',
                settings=(
                    Setting(key='nifi.kerberos.krb5.file', current='/etc/krb5.conf', recommended='/etc/krb5.conf'),
                ),
                logs=('nifi-app.log',),
                commands=('klist -kte /etc/security/keytabs/nifi.keytab',),
            ),
        ),
    ),
    Product(
        key='oozie', name='Oozie', jira_project='OOZIE', jira_range=(3000, 3750),
        repo='oozie', families=('cdp', 'cdh6', 'cdh5'), base_versions={'cdp': '5.1.0', 'cdh6': '5.1.0', 'cdh5': '4.1.0'},
        version_name='Oozie', host_prefix='oozie', expert='Oozie', weight=4,
        topic='Oozie workflows and coordinators',
        docs_area='configuring-oozie', docs_pages=('oozie-sharelib', 'oozie-coordinator-datasets', 'oozie-troubleshooting'),
        community_threads=('Oozie-coordinator-actions-stuck-in-WAITING', 'JA009-Cannot-initialize-Cluster-after-upgrade'),
        problems=(
            Problem(
                id='coord_waiting', component='Oozie', name='Oozie coordinator actions stuck in WAITING',
                symptoms=(
                    'Oozie coordinators stay in WAITING although the input data is there',
                    'our daily coordinator has not run for {n} days',
                    'coordinator actions are stuck in WAITING for the {table} dataset',
                ),
                observations=(
                    'the coordinator checks for a _SUCCESS flag that the upstream job no longer writes',
                    'the dataset URI template points to a path with the wrong date format',
                ),
                error_blocks=(
                    (
                        '{ts} WARN CoordActionInputCheckXCommand:523 - SERVER[{host}] USER[{user}] GROUP[-] TOKEN[] APP[{table}-coord] JOB[00{txn}-oozie-oozi-C] ACTION[00{txn}-oozie-oozi-C@{n}] Input availability check failed',
                    ),
                ),
                error_short='coordinator actions WAITING',
                cause='the coordinator waits for a done-flag that is never created',
                cause_short='a missing done-flag',
                fixes=(
                    Remedy(text="changing the dataset's done-flag to match what the upstream job writes", short='a matching done-flag'),
                ),
                workarounds=(
                    Remedy(text='creating the _SUCCESS files by hand for the waiting dates', short='creating the flag files by hand'),
                ),
                defect='the coordinator re-checks inputs only once after a timeout',
                settings=(
                    Setting(key='oozie.service.coord.input.check.requeue.interval', current='60000', recommended='60000'),
                ),
                logs=('oozie.log', 'the coordinator XML'),
                commands=('oozie job -info 00{txn}-oozie-oozi-C -len 20',),
            ),
            Problem(
                id='ja009', component='Oozie', name='Oozie workflow actions failing with JA009',
                symptoms=(
                    'all Oozie Hive actions fail with JA009',
                    'Oozie workflows started failing right after the upgrade',
                    'Oozie launcher jobs fail immediately with a cluster initialisation error',
                ),
                observations=(
                    'the Oozie sharelib was not updated after the upgrade',
                    'the job.properties of the workflow still point to the old ResourceManager address',
                ),
                error_blocks=(
                    (
                        'JA009: Cannot initialize Cluster. Please check your configuration for mapreduce.framework.name and the correspond server addresses.',
                        '\tat org.apache.oozie.action.ActionExecutor.convertExceptionHelper(ActionExecutor.java:457)',
                        '\tat org.apache.oozie.action.hadoop.JavaActionExecutor.submitLauncher(JavaActionExecutor.java:1230)',
                    ),
                ),
                error_short='JA009',
                cause='the Oozie sharelib still holds jars from the previous release',
                cause_short='an outdated Oozie sharelib',
                fixes=(
                    Remedy(text='re-installing the Oozie ShareLib from Cloudera Manager and running oozie admin -sharelibupdate', short='a re-installed Oozie sharelib'),
                ),
                workarounds=(
                    Remedy(text='setting oozie.use.system.libpath=true and shipping the needed jars in the workflow lib directory', short='shipping the jars with the workflow'),
                ),
                defect='the upgrade does not refresh the Oozie sharelib timestamp',
                settings=(
                    Setting(key='oozie.use.system.libpath', current='false', recommended='true'),
                ),
                logs=('oozie.log', 'launcher logs'),
                commands=('oozie admin -shareliblist',),
            ),
        ),
    ),
    Product(
        key='zookeeper', name='ZooKeeper', jira_project='ZOOKEEPER', jira_range=(3000, 4800),
        repo='zookeeper', families=('cdp', 'cdh6', 'cdh5'), base_versions={'cdp': '3.5.5', 'cdh6': '3.4.5', 'cdh5': '3.4.5'},
        version_name='ZooKeeper', host_prefix='zk', expert='ZooKeeper', weight=5,
        topic='ZooKeeper sessions',
        docs_area='zookeeper-configuring', docs_pages=('zookeeper-maxclientcnxns', 'zookeeper-jute-maxbuffer', 'zookeeper-datalogdir'),
        community_threads=('ZooKeeper-ConnectionLoss-across-services', 'Packet-len-is-out-of-range-jute-maxbuffer'),
        problems=(
            Problem(
                id='connloss', component='ZooKeeper', name='ZooKeeper client connection losses',
                symptoms=(
                    'HBase and Kafka clients keep losing their ZooKeeper connection',
                    'we see ConnectionLoss errors from many services at the same time',
                    'ZooKeeper sessions expire across the cluster a few times a day',
                ),
                observations=(
                    'the ZooKeeper server on {host} rejects new connections because {n}0 clients from {host2} hit maxClientCnxns',
                    'fsync of the transaction log takes up to {sec} seconds on the shared disk',
                ),
                error_blocks=(
                    (
                        'org.apache.zookeeper.KeeperException$ConnectionLossException: KeeperErrorCode = ConnectionLoss for /hbase/meta-region-server',
                        '\tat org.apache.zookeeper.KeeperException.create(KeeperException.java:102)',
                        '\tat org.apache.zookeeper.ZooKeeper.getData(ZooKeeper.java:2131)',
                    ),
                    (
                        '{ts} WARN org.apache.zookeeper.server.NIOServerCnxnFactory: Too many connections from /10.{n}.{n2}.{n3} - max is 60',
                    ),
                ),
                error_short='ConnectionLoss',
                cause='one client host opens too many connections and the transaction log sits on a busy disk',
                cause_short='connection limits and a slow transaction-log disk',
                fixes=(
                    Remedy(text='moving dataLogDir to a dedicated disk and fixing the connection leak in the client application', short='a dedicated transaction-log disk and a fixed client leak'),
                ),
                workarounds=(
                    Remedy(text='raising maxClientCnxns to 300 for now', short='a higher connection limit'),
                ),
                defect='the client does not close its connection after a session expiry',
                settings=(
                    Setting(key='maxClientCnxns', current='60', recommended='300'),
                ),
                logs=('ZooKeeper server logs',),
                commands=('echo mntr | nc {host} 2181', 'echo cons | nc {host} 2181'),
            ),
            Problem(
                id='jute', component='ZooKeeper', name='ZooKeeper packet length errors',
                symptoms=(
                    "ZooKeeper clients fail with 'Packet len is out of range'",
                    'the HBase Master cannot read its znodes anymore',
                    'Solr cannot load its cluster state from ZooKeeper',
                ),
                observations=(
                    'a znode under /{table} has grown beyond the default 1 MB jute.maxbuffer',
                    'the client tries to read {n}0,000 children of one znode in a single response',
                ),
                error_blocks=(
                    (
                        'java.io.IOException: Packet len {txn} is out of range!',
                        '\tat org.apache.zookeeper.ClientCnxnSocket.readLength(ClientCnxnSocket.java:121)',
                        '\tat org.apache.zookeeper.ClientCnxnSocketNIO.doIO(ClientCnxnSocketNIO.java:84)',
                    ),
                ),
                error_short='Packet len is out of range',
                cause='a znode or its list of children is larger than jute.maxbuffer',
                cause_short='an oversized znode',
                fixes=(
                    Remedy(text='cleaning up the obsolete child znodes that caused the growth', short='cleaning up the oversized znode'),
                ),
                workarounds=(
                    Remedy(text='raising jute.maxbuffer to 4194304 on the servers and the clients', short='a larger jute.maxbuffer'),
                ),
                defect='the service never deletes its sequential znodes after a crash',
                settings=(
                    Setting(key='jute.maxbuffer', current='1048575', recommended='4194304'),
                ),
                logs=('ZooKeeper server logs', 'client logs'),
                commands=('zookeeper-client -server {host}:2181 stat /{table}',),
            ),
        ),
    ),
    Product(
        key='solr', name='Solr', jira_project='SOLR', jira_range=(14000, 17400),
        repo='solr', families=('cdp', 'cdh6'), base_versions={'cdp': '8.11.2', 'cdh6': '7.4.0'},
        version_name='Solr', host_prefix='solr', expert='Solr', weight=4,
        topic='Solr search and indexing',
        docs_area='search-solr', docs_pages=('solr-replica-recovery', 'solr-docvalues', 'solr-heap-sizing'),
        community_threads=('Solr-replicas-stuck-in-recovering', 'Solr-OOM-on-facet-queries'),
        problems=(
            Problem(
                id='recovery', component='Solr', name='Solr replicas stuck in recovery',
                symptoms=(
                    'several Solr replicas are stuck in recovering state',
                    'indexing into the {table} collection is very slow and some replicas are down',
                    'Solr search results are incomplete because shards are recovering',
                ),
                observations=(
                    "replicas of {table} on {host} restart recovery over and over because the leader's transaction log is too large to replay",
                    'recovery fails when the full index copy times out',
                ),
                error_blocks=(
                    (
                        '{ts} ERROR (recoveryExecutor-{n}-thread-1) [c:{table} s:shard{n2} r:core_node{n3}] o.a.s.c.RecoveryStrategy Error while trying to recover:org.apache.solr.client.solrj.SolrServerException: Timeout occurred while waiting response from server',
                    ),
                ),
                error_short='replicas in recovery',
                cause='replicas fall too far behind and index replication times out',
                cause_short='replication timeouts during recovery',
                fixes=(
                    Remedy(text='raising the replication timeout and lowering autoCommit maxTime so transaction logs stay small', short='a longer replication timeout and more frequent commits'),
                ),
                workarounds=(
                    Remedy(text='deleting and re-adding the stuck replicas with the Collections API', short='re-created replicas'),
                ),
                defect='recovery loops when the leader changes during an index fetch',
                settings=(
                    Setting(key='autoCommit maxTime', current='600000', recommended='60000'),
                ),
                logs=('Solr logs from the affected nodes',),
                commands=('solrctl collection --list',),
            ),
            Problem(
                id='solr_oom', component='Solr', name='Solr running out of memory on facet queries',
                symptoms=(
                    'Solr nodes crash with OutOfMemoryError when users run facet searches',
                    'Solr on {host} restarts itself a few times a day',
                    'search queries with facets time out and then Solr dies',
                ),
                observations=(
                    'facet queries on a high-cardinality field build a huge field cache',
                    'the {gb} GB Solr heap is mostly taken by the FieldCache',
                ),
                error_blocks=(
                    (
                        '{ts} ERROR (qtp{txn}-{n}) [c:{table} s:shard1] o.a.s.s.HttpSolrCall null:java.lang.OutOfMemoryError: Java heap space',
                        '\tat org.apache.lucene.util.packed.PackedLongValues$Builder.<init>(PackedLongValues.java:185)',
                        '\tat org.apache.solr.request.SimpleFacets.getFacetFieldCounts(SimpleFacets.java:886)',
                    ),
                ),
                error_short='OutOfMemoryError',
                cause='facets on a field without docValues are built on the heap',
                cause_short='facets on a field without docValues',
                fixes=(
                    Remedy(text='enabling docValues on the faceted field and reindexing the collection', short='docValues on the faceted field'),
                ),
                workarounds=(
                    Remedy(text='lowering facet.limit and raising the Solr heap to {gb} GB', short='a smaller facet.limit and a larger heap'),
                ),
                defect='the field cache is not released after a core reload',
                settings=(
                    Setting(key='facet.limit', current='-1', recommended='100'),
                ),
                logs=('Solr logs', 'Solr GC logs'),
                commands=('solrctl instancedir --list',),
            ),
        ),
    ),
    Product(
        key='cm', name='Cloudera Manager', jira_project=None, jira_range=(0, 0),
        repo=None, families=('cdp', 'cdh6', 'cdh5'), base_versions={},
        version_name='Cloudera Manager', host_prefix='cm', expert='Cloudera Manager', weight=10,
        topic='Cloudera Manager, upgrades and security',
        docs_area='managing-clusters', docs_pages=('cm-agent-tls', 'cm-parcels', 'cm-kerberos-credentials', 'cm-upgrade-troubleshooting', 'cm-auto-tls'),
        community_threads=('Agent-not-heartbeating-after-TLS-change', 'Parcel-hash-verification-failed', 'Generate-Missing-Credentials-fails', 'Cloudera-Manager-upgrade-stuck'),
        problems=(
            Problem(
                id='heartbeat', component='Cloudera Manager agent', name='Cloudera Manager agents losing heartbeat',
                symptoms=(
                    'hosts in Cloudera Manager keep going bad because the agents lose heartbeat',
                    "{n} hosts report 'agent not heartbeating' in Cloudera Manager",
                    'Cloudera Manager marks hosts as unreachable every night',
                ),
                observations=(
                    'the agents on {host} cannot reach the CM server on port 7182 since the TLS change',
                    'the agent on {host} rejects the server certificate during every heartbeat',
                ),
                error_blocks=(
                    (
                        '[{ts}] ERROR    Heartbeating to {host2}:7182 failed.',
                        'Traceback (most recent call last):',
                        '  File "/opt/cloudera/cm-agent/lib/python3.8/site-packages/cmf/agent.py", line 1402, in _send_heartbeat',
                        'ssl.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed',
                    ),
                ),
                error_short='CERTIFICATE_VERIFY_FAILED',
                cause='the agents do not trust the new CM server certificate',
                cause_short='agents not trusting the new CM certificate',
                fixes=(
                    Remedy(text='updating verify_cert_file in /etc/cloudera-scm-agent/config.ini on every host and restarting the agents', short='an updated agent trust configuration'),
                ),
                workarounds=(
                    Remedy(text='restarting cloudera-scm-agent on the affected hosts', short='restarting the agents'),
                ),
                defect='the agent keeps the old certificate bundle in memory after a TLS rotation',
                settings=(
                    Setting(key='verify_cert_file', current='/opt/cloudera/security/pki/old-ca.pem', recommended='/opt/cloudera/security/pki/rootca.pem'),
                ),
                logs=('cloudera-scm-agent.log', 'cloudera-scm-server.log'),
                commands=('systemctl status cloudera-scm-agent', 'openssl s_client -connect {host2}:7182'),
            ),
            Problem(
                id='parcel', component='Cloudera Manager', name='parcel distribution failing during the upgrade',
                symptoms=(
                    'the runtime parcel downloads but distribution fails on {n} hosts',
                    'our upgrade is stuck at parcel activation',
                    'Cloudera Manager says the parcel hash does not match',
                ),
                observations=(
                    'the local parcel repository serves a truncated file, so the hash check fails',
                    'distribution fails on the hosts where /opt/cloudera has less than {gb} GB free',
                ),
                error_blocks=(
                    (
                        'Error when distributing to {host}: Hash verification failed for /opt/cloudera/parcel-cache/CDH-{build}-el7.parcel',
                        '{ts} ERROR ParcelUpdateService:com.cloudera.parcel.components.ParcelDownloaderImpl: Unable to retrieve remote parcel repository manifest',
                    ),
                ),
                error_short='hash verification failed',
                cause='the parcel in the local repository is incomplete',
                cause_short='an incomplete parcel in the local repository',
                fixes=(
                    Remedy(text='re-downloading the parcel and its .sha file into the local repository and running distribution again', short='a fresh copy of the parcel'),
                ),
                workarounds=(
                    Remedy(text='copying the parcel by hand to /opt/cloudera/parcel-repo on the CM host', short='copying the parcel by hand'),
                ),
                defect='CM does not clean partial downloads from the parcel cache',
                settings=(
                    Setting(key='parcel_dir', current='/opt/cloudera/parcels', recommended='/opt/cloudera/parcels'),
                ),
                logs=('cloudera-scm-server.log', 'cloudera-scm-agent.log from a failing host'),
                commands=('sha1sum /opt/cloudera/parcel-repo/CDH-{build}-el7.parcel', 'df -h /opt/cloudera'),
            ),
            Problem(
                id='kerberos', component='Cloudera Manager', name='Kerberos credential generation failing in Cloudera Manager',
                symptoms=(
                    'Generate Missing Credentials fails in Cloudera Manager',
                    'we cannot add new roles because their Kerberos principals are not created',
                    'the Kerberos wizard fails with a KDC error',
                ),
                observations=(
                    'the CM server host cannot reach the KDC {host2} on port 88',
                    'the admin principal stored in CM has an expired password',
                ),
                error_blocks=(
                    (
                        "/usr/bin/kinit: Cannot contact any KDC for realm '{realm}' while getting initial credentials",
                        'kadmin: Cannot contact any KDC for requested realm while initializing kadmin interface',
                    ),
                ),
                error_short='Cannot contact any KDC',
                cause='the KDC is unreachable from the CM host since a firewall change',
                cause_short='the KDC being unreachable from the CM host',
                fixes=(
                    Remedy(text='opening ports 88 and 749 between the CM host and {host2}', short='opening the KDC ports'),
                ),
                workarounds=(
                    Remedy(text='creating the missing principals by hand with kadmin and importing the keytabs', short='creating the principals by hand'),
                ),
                defect='CM does not retry credential generation after a KDC timeout',
                settings=(
                    Setting(key='kdc_timeout', current='3s', recommended='30s'),
                ),
                logs=('cloudera-scm-server.log', '/etc/krb5.conf'),
                commands=('kinit -V admin/admin@{realm}',),
            ),
        ),
    ),
)

PRODUCT_BY_KEY = {p.key: p for p in PRODUCTS}
