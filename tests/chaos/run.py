"""A chaos run from start to verdict: start the cluster, file the planned dossiers while
citizens answer and the officer issues letters, do the planned harm at its moments, wait
for the platform to settle, gather the evidence and check every invariant.

    python -m tests.chaos --dossiers 100000      # `make chaos`
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from motcua.kafka import Topic, client_config
from services.deadlines.missed import read_changelog
from services.deadlines.settings import DeadlinesSettings
from tests.chaos.cluster import Cluster
from tests.chaos.invariants import (
    Alert,
    Check,
    Evidence,
    IntakeDossier,
    Letter,
    ReportingDossier,
    check_all,
)
from tests.chaos.plan import Fault, Procedure, plan_dossiers, plan_faults
from tests.chaos.traffic import Desks, Intakes, KafkaDoor, Ledger, a_run_id
from tests.integration.kafka_log import read_to_end
from tests.scripts import load_script

BROKERS_SAID = "3 Kafka brokers (3 copies, 2 in sync), PostgreSQL, 2 processes of every service"


@dataclass
class Report:
    dossiers: int
    seed: int
    checks: list[Check] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)


def _province_work(cluster: Cluster) -> tuple[list[str], list[Procedure], str]:
    """Hà Nội's communes in service, the procedure catalogue, the province desk's system."""
    with psycopg.connect(cluster.endpoints["INTAKE_DATABASE_URL"]) as conn:
        province = cluster.endpoints["MOTCUA_DEMO_UPSTREAM_UNIT"]
        communes = [
            row[0]
            for row in conn.execute(
                "SELECT code FROM units WHERE level = 'commune' AND path @> ARRAY[%s] "
                "AND retired_on IS NULL ORDER BY code",
                (province,),
            )
        ]
        procedures = [
            Procedure(code, field_)
            for code, field_ in conn.execute(
                "SELECT code, field FROM procedures WHERE active ORDER BY code"
            )
        ]
        system = conn.execute(
            "SELECT name FROM upstream_systems WHERE unit_code = %s AND 'dossiers:write' = "
            "ANY(scopes) ORDER BY name LIMIT 1",
            (province,),
        ).fetchone()
    assert system, "the stack registered no desk for the province"
    return communes, procedures, system[0]


class _Loop(threading.Thread):
    """Calls ``work`` every ``every_s`` until stopped; a failure (a process being killed)
    is tried again next time."""

    def __init__(self, name: str, work: Callable[[], int], every_s: float) -> None:
        super().__init__(name=name, daemon=True)
        self.work, self.every_s = work, every_s
        self.halt = threading.Event()
        self.done = 0
        self.failures = 0

    def run(self) -> None:
        while not self.halt.wait(self.every_s):
            try:
                self.done += self.work()
            except Exception:  # a killed process or database: next time
                self.failures += 1


class _Harm(threading.Thread):
    """Does each planned fault once the desks have filed its share of the dossiers, each
    in a thread of its own: a kill does not wait for the previous one's restart, so harm
    overlaps as it does in operations, and every fault meets traffic."""

    def __init__(
        self,
        cluster: Cluster,
        desks: Desks,
        door: KafkaDoor,
        faults: list[Fault],
        run_id: str,
        seed: int,
    ) -> None:
        super().__init__(name="harm", daemon=True)
        self.cluster, self.desks, self.door = cluster, desks, door
        self.faults, self.run_id = list(faults), run_id
        self.rng = random.Random(seed)
        self.done: list[str] = []
        self.error: BaseException | None = None
        self.finished = threading.Event()

    def run(self) -> None:
        doing: list[threading.Thread] = []
        for number, fault in enumerate(self.faults):
            while self.desks.progress < fault.at and not self.finished.is_set():
                time.sleep(0.2)
            at = f"{self.desks.progress:.0%} filed"
            harm = threading.Thread(target=self._record, args=(fault, number, at), daemon=True)
            harm.start()
            doing.append(harm)
        for harm in doing:
            harm.join()

    def _record(self, fault: Fault, number: int, at: str) -> None:
        try:
            self.done.append(f"{at}: {self._do(fault, number)}")
        except BaseException as exc:  # reported with the run's verdict
            self.error = exc

    def _do(self, fault: Fault, number: int) -> str:
        match fault.kind:
            case "broker":
                return self.cluster.kill_broker_leading(down_s=10)
            case "process":
                return self.cluster.kill_process(fault.target, fault.replica, down_s=3)
            case "postgres":
                return self.cluster.restart_postgres()
            case "rebalance":
                return self.cluster.join_and_leave(fault.target, stay_s=20)
            case "poison":
                [code] = self.desks.open_codes(1, self.rng) or ["H01-000000-0000"]
                self.door.poison(fault.target, self.run_id, number, code)
                return f"poison message ({fault.target}) on {Topic.INTAKE_COMMANDS.value}"
        raise ValueError(fault.kind)


def group_lag(bootstrap: str) -> dict[str, int]:
    """Every consumer group's uncommitted messages over the partitions it committed."""
    admin = AdminClient(client_config(bootstrap))
    groups = [g.group_id for g in admin.list_consumer_groups().result(timeout=10).valid]
    lag: dict[str, int] = {}
    ends = Consumer(client_config(bootstrap, **{"group.id": f"chaos-lag-{a_run_id()}"}))
    try:
        for group in groups:
            answer = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
            partitions = answer[group].result(timeout=10).topic_partitions
            behind = 0
            for tp in partitions:
                if tp.offset < 0:
                    continue
                _, high = ends.get_watermark_offsets(
                    TopicPartition(tp.topic, tp.partition), timeout=10, cached=False
                )
                behind += max(0, high - tp.offset)
            lag[group] = behind
    finally:
        ends.close()
    return lag


def _outboxes_empty(cluster: Cluster) -> bool:
    for service in ("intake", "deadlines", "ratings"):
        url = cluster.endpoints[f"{service.upper()}_DATABASE_URL"]
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
        if row and row[0]:
            return False
    return True


def _invitations_pending(cluster: Cluster) -> bool:
    """Invitations still to send (a killed sender's claim waits out its lease)."""
    with psycopg.connect(cluster.endpoints["RATINGS_DATABASE_URL"]) as conn:
        row = conn.execute(
            "SELECT count(*) FROM invitation_deliveries WHERE status = 'pending'"
        ).fetchone()
    return bool(row and row[0])


def settle(cluster: Cluster, *, timeout_s: float) -> float:
    """Wait until every outbox is published, no group lags and no invitation waits to be
    sent, five times in a row (12 s: two rounds of deadlines' catch-up with the committed
    offsets, ``CATCH_UP_EVERY_S``); seconds."""
    began = time.monotonic()
    quiet = 0
    while time.monotonic() - began < timeout_s:
        try:
            calm = (
                _outboxes_empty(cluster)
                and not _invitations_pending(cluster)
                and not any(group_lag(cluster.bootstrap).values())
            )
        except Exception:  # a broker or database still coming back
            calm = False
        quiet = quiet + 1 if calm else 0
        if quiet >= 5:
            return time.monotonic() - began
        time.sleep(3)
    return time.monotonic() - began


def _events(bootstrap: str, topic: Topic) -> Iterator[dict[str, Any]]:
    for message in read_to_end(bootstrap, topic.value, timeout_s=600):
        yield json.loads(message.value() or b"{}")


def _deadlines_log(cluster: Cluster, message: str) -> list[str]:
    """The dossiers the deadlines workers logged ``message: <id>`` for (JSON log lines)."""
    named = []
    for log in sorted((cluster.state_dir / "logs").glob("deadlines*.log*")):
        for line in log.read_text(errors="replace").splitlines():
            if f'"{message}: ' in line:
                named.append(str(json.loads(line).get("dossier_id")))
    return named


def _clocks(bootstrap: str) -> dict[str, int]:
    """Dossier id → the last sequence its clock applied, as the clocks' changelog last holds
    it: read the way a worker restores its table (:func:`.missed.read_changelog`)."""
    app_id = DeadlinesSettings.model_fields["app_id"].default  # the stack keeps it
    topic = f"{app_id}-clocks-changelog"
    partitions = AdminClient(client_config(bootstrap)).list_topics(topic, timeout=30)
    return {
        dossier_id: int(record["last_sequence"])
        for partition in partitions.topics[topic].partitions
        for dossier_id, record in read_changelog(bootstrap, topic, partition).items()
    }


def gather(cluster: Cluster, ledger: Ledger) -> Evidence:
    e = cluster.endpoints
    stopped = cluster.stopped()  # before anything else: a dead process is the first news
    with psycopg.connect(e["INTAKE_DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT d.id::text, d.state, d.unit_code, d.sequence, EXISTS (SELECT 1 FROM "
            "dossier_events e WHERE e.dossier_id = d.id AND e.transition = 'complete' "
            "AND (e.details->>'late')::boolean), d.contact_preference FROM dossiers d"
        ).fetchall()
        intake = {row[0]: IntakeDossier(row[1], row[2], row[3], bool(row[4])) for row in rows}
        contact = {row[0]: row[5] for row in rows}
        recorded = {row[0] for row in conn.execute("SELECT upstream_event_id FROM dossier_events")}
    with psycopg.connect(e["REPORTING_DATABASE_URL"]) as conn:
        reporting = {
            str(row[0]): ReportingDossier(row[1], row[2], row[3], row[4])
            for row in conn.execute(
                "SELECT dossier_id, state, unit_code, last_sequence, legal_finish FROM dossiers"
            )
        }
    with psycopg.connect(e["DEADLINES_DATABASE_URL"]) as conn:
        drafted = {
            (str(d), int(ep))
            for d, ep in conn.execute("SELECT dossier_id, episode FROM apology_letters")
        }
    with psycopg.connect(e["RATINGS_DATABASE_URL"]) as conn:
        messages = {
            str(i): int(n)
            for i, n in conn.execute(
                "SELECT invitation_id, count(*) FROM recorded_messages WHERE kind = 'invite' "
                "GROUP BY invitation_id"
            )
        }
    received: dict[str, list[str]] = defaultdict(list)
    for event in _events(cluster.bootstrap, Topic.DOSSIER_EVENTS):
        if event.get("type", "").endswith("dossier.received.v1"):
            received[event["subject"]].append(event["id"])
    alerts = [
        Alert(ev["id"], ev["data"]["dossier_id"], ev["type"].split(".")[-2], ev["data"]["episode"])
        for ev in _events(cluster.bootstrap, Topic.DEADLINE_ALERTS)
    ]
    letters = [
        Letter(ev["data"]["dossier_id"], ev["data"]["episode"], ev["data"]["letter_number"])
        for ev in _events(cluster.bootstrap, Topic.APOLOGY_LETTERS)
        if ev.get("type", "").endswith("apology.issued.v1")
    ]
    invitations = [
        (ev["data"]["invitation_id"], ev["data"]["dossier_id"])
        for ev in _events(cluster.bootstrap, Topic.RATING_INVITATIONS)
        if ev.get("type", "").endswith("rating.invited.v1")
    ]
    poisoned: dict[str, str] = {}
    refused: dict[str, str] = {}
    letters_refused: list[str] = []
    for message in read_to_end(cluster.bootstrap, Topic.DLQ_INTAKE.value, timeout_s=120):
        headers = {
            pair[0]: pair[1].decode() if isinstance(pair[1], bytes) else str(pair[1])
            for pair in message.headers() or []
        }
        reason = headers.get("motcua-dlq-reason", "")
        if "chaos-poison" in headers:
            poisoned[headers["chaos-poison"]] = reason
        elif headers.get("motcua-dlq-topic") == Topic.INTAKE_COMMANDS.value:
            refused[json.loads(message.value() or b"{}")["event_id"]] = reason
        elif headers.get("motcua-dlq-topic") == Topic.APOLOGY_LETTERS.value:
            letters_refused.append(reason)
    return Evidence(
        intake=intake,
        reporting=reporting,
        received_events=received,
        alerts=alerts,
        drafted_letters=drafted,
        issued_letters=letters,
        invitations=invitations,
        invite_messages=messages,
        invitations_with_channel={
            i for i, d in invitations if contact.get(d) in ("sms", "zalo", "email")
        },
        dead_letters=poisoned,
        group_lag=group_lag(cluster.bootstrap),
        accepted=dict(ledger.accepted),
        recorded_events=recorded,
        poison=dict(ledger.poison),
        refused=list(ledger.refused),
        produced=dict(ledger.produced),
        dead_lettered=refused,
        letters_refused=letters_refused,
        events_missed=_deadlines_log(cluster, "dossier events missing"),
        events_read_back=_deadlines_log(cluster, "dossier events read back"),
        clocks=_clocks(cluster.bootstrap),
        stopped=stopped,
    )


@contextmanager
def _cluster(state_dir: Path, keep: bool) -> Iterator[Cluster]:
    cluster = Cluster(state_dir)
    try:
        cluster.up()
        yield cluster
    finally:
        if not keep:
            cluster.down()


def run_chaos(
    dossiers: int,
    *,
    state_dir: Path,
    seed: int = 2026,
    pace: float | None = None,
    chunk: int = 250,
    settle_s: float = 600,
    keep: bool = False,
    say: Callable[[str], None] = print,
) -> Report:
    """The whole run; ``pace`` caps dossiers filed per second (the short run spreads its
    faults over two minutes so each meets traffic), ``keep`` leaves the stack running."""
    report = Report(dossiers, seed)
    began = time.monotonic()
    with _cluster(state_dir, keep) as cluster:
        report.timings["start"] = time.monotonic() - began
        say(f"cluster up in {report.timings['start']:.0f} s: {BROKERS_SAID}")
        communes, procedures, system = _province_work(cluster)
        run_id = a_run_id()
        ledger = Ledger()
        plans = list(plan_dossiers(dossiers, communes, procedures, seed=seed))
        intakes = Intakes(
            cluster.urls("INTAKE_URL"), cluster.endpoints["MOTCUA_DEMO_UPSTREAM_KEY"], ledger
        )
        door = KafkaDoor(cluster.bootstrap, system, ledger)
        desks = Desks(plans, intakes, door, ledger, run_id=run_id, chunk=chunk)
        demo = load_script("deploy/local/demo_traffic.py")  # its citizens and duty officer
        citizens = demo.Citizens(
            cluster.endpoints["RATINGS_URL"],
            cluster.endpoints["RATINGS_DATABASE_URL"],
            cluster.endpoints["MOTCUA_DEMO_PORTAL_KEY"],
        )
        officer = demo.DutyOfficer(
            cluster.endpoints["DEADLINES_URL_2"],
            cluster.endpoints["DEADLINES_DATABASE_URL"],
            cluster.endpoints["MOTCUA_DEMO_OFFICER"],
            cluster.endpoints["MOTCUA_DEMO_OFFICER_PASSWORD"],
            cluster.endpoints["MOTCUA_DEMO_UPSTREAM_UNIT"],
            wait=timedelta(seconds=5),
        )
        helpers = [
            _Loop("citizens", citizens.answer_some, 0.5),
            _Loop("officer", officer.issue_some, 2.0),
        ]
        harm = _Harm(cluster, desks, door, plan_faults(seed=seed), run_id, seed)
        for thread in [*helpers, harm]:
            thread.start()
        traffic_began = time.monotonic()
        while desks.round():
            if pace:
                ahead = ledger.received / pace - (time.monotonic() - traffic_began)
                time.sleep(max(0.0, ahead))
        report.timings["traffic"] = time.monotonic() - traffic_began
        say(f"traffic done in {report.timings['traffic']:.0f} s; waiting for the harm to end")
        harm.finished.set()
        harm.join()
        if harm.error is not None:
            raise harm.error
        time.sleep(10)  # the last invitations answered, the last drafts taken up
        for helper in helpers:
            helper.halt.set()
            helper.join()
        report.timings["settle"] = settle(cluster, timeout_s=settle_s)
        say(f"settled in {report.timings['settle']:.0f} s; reading the evidence")
        evidence = gather(cluster, ledger)
        report.checks = check_all(evidence)
        report.faults = harm.done
        report.counts = {
            "dossiers filed": ledger.received,
            "commands accepted": len(ledger.accepted),
            "commands produced": len(ledger.produced),
            "steps asked again": ledger.asked_again,
            "client retries": ledger.retries,
            "ratings answered": helpers[0].done,
            "letters issued": helpers[1].done,
            "alerts": len(evidence.alerts),
        }
    report.timings["total"] = time.monotonic() - began
    return report
