"""The run's clients: the province's one-stop desks filing the planned dossiers through
both intakes (HTTP batches) and the Kafka door, citizens answering their invitations, and
the duty officer issuing apology letters — each retrying what failed, as a real client
does, and keeping a ledger of what it was told was accepted.

The desks work in rounds: each round receives the next chunk of dossiers and takes every
earlier dossier one step further, so a dossier's steps are asked for one after the other
(a step is only asked once its predecessor was acknowledged, or, on the Kafka door,
produced in the dossier's partition after it). A dossier filed late waits a few rounds
before it moves on, so its letter can be issued while it is still open.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from confluent_kafka import KafkaError, Message, Producer

from motcua.kafka import Topic, idempotent_producer_config
from tests.chaos.plan import DossierPlan, Step
from tests.integration.kafka_log import Headers

BATCH = 200
LATE_HOLD_ROUNDS = 4
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Vũ Thị Hạnh")


@dataclass
class Ledger:
    """What the clients were told, shared by their threads."""

    accepted: dict[str, str] = field(default_factory=dict)
    """Upstream event id → dossier code, of every command intake acknowledged over HTTP."""
    produced: dict[str, str] = field(default_factory=dict)
    """The same, of every command the brokers took for the Kafka door (intake answers
    those with its records or a dead letter)."""
    refused: list[str] = field(default_factory=list)
    """Commands intake refused over HTTP, beyond the out-of-order ones asked again."""
    asked_again: int = 0
    """Steps refused as dated before a letter intake recorded meanwhile, asked again."""
    poison: dict[str, str] = field(default_factory=dict)
    """Poison id → the reason its dead letter must give."""
    received: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _applicant(number: int, plan: DossierPlan) -> dict[str, str]:
    return {
        "full_name": NAMES[number % len(NAMES)],
        "id_number": f"0011{number % 100:02d}{number:06d}"[:12],
        "phone": f"09{10_000_000 + number % 89_999_999}",
        "email": f"cong.dan{number}@example.vn",
        "address": f"Số {number % 200 + 1} đường Trần Phú, {plan.unit_code}",
    }


def receipt_item(plan: DossierPlan, run_id: str, now: datetime) -> dict[str, Any]:
    return {
        "kind": "receive",
        "event_id": f"chaos-{run_id}-{plan.number}-r",
        "occurred_at": (now - timedelta(days=plan.received_days_ago)).isoformat(),
        "procedure_code": plan.procedure_code,
        "unit_code": plan.unit_code,
        "channel": plan.channel,
        "applicant": _applicant(plan.number, plan),
        "contact_preference": plan.contact,
    }


def step_item(
    plan: DossierPlan,
    index: int,
    step: Step,
    code: str,
    run_id: str,
    now: datetime,
    attempt: int = 0,
) -> dict[str, Any]:
    """A step's command; asked again (``attempt``), it is a new command of a new instant."""
    again = f"-{attempt}" if attempt else ""
    return {
        "kind": "transition",
        "dossier_code": code,
        "event_id": f"chaos-{run_id}-{plan.number}-{index}{again}",
        "occurred_at": now.isoformat(),
        "transition": step.transition,
        **step.fields,
    }


class Intakes:
    """Both intake processes, tried in turn: a batch that fails (the process killed, the
    database restarting) is sent again, whole, to the other — safe, since a batch commits
    entirely or not at all and a replay is recognised by its event ids."""

    def __init__(self, urls: Sequence[str], api_key: str, ledger: Ledger) -> None:
        self.clients = [
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30)
            for url in urls
        ]
        self.ledger = ledger

    def send(self, items: list[dict[str, Any]], first: int) -> list[dict[str, Any]]:
        """Each item's result, once some intake answered the batch."""
        attempt = 0
        while True:
            client = self.clients[(first + attempt) % len(self.clients)]
            try:
                answer = client.post("/v1/events:batch", json={"items": items})
                if answer.status_code == 200:
                    results: list[dict[str, Any]] = answer.json()["results"]
                    return results
                if answer.status_code < 500:
                    raise RuntimeError(f"batch refused: {answer.status_code} {answer.text[:300]}")
            except httpx.TransportError:
                pass
            attempt += 1
            with self.ledger.lock:
                self.ledger.retries += 1
            time.sleep(min(2.0, 0.2 * attempt))


class KafkaDoor:
    """An upstream system writing to ``motcua.intake-commands``: keyed by dossier code, so
    a dossier's steps keep their order; acks=all and idempotent, so a broker lost under it
    costs a retry, not a command."""

    def __init__(self, bootstrap: str, system: str, ledger: Ledger) -> None:
        self.producer = Producer(idempotent_producer_config(bootstrap, **{"linger.ms": 20}))
        self.system = system
        self.ledger = ledger
        self.failed: list[dict[str, Any]] = []

    def _delivered(self, item: dict[str, Any]) -> Callable[[KafkaError | None, Message], None]:
        def record(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                self.failed.append(item)
                return
            with self.ledger.lock:
                self.ledger.produced[item["event_id"]] = item["dossier_code"]

        return record

    def send(self, item: dict[str, Any]) -> None:
        headers: Headers = [("motcua-system", self.system)]
        self._produce(item["dossier_code"], json.dumps(item).encode(), headers, item)

    def _produce(
        self, key: str, value: bytes, headers: Headers, item: dict[str, Any] | None = None
    ) -> None:
        callback = None if item is None else self._delivered(item)
        while True:
            try:
                self.producer.produce(
                    Topic.INTAKE_COMMANDS.value,
                    key=key.encode(),
                    value=value,
                    headers=headers,
                    on_delivery=callback,
                )
                return
            except BufferError:
                self.producer.poll(0.5)

    def poison(self, kind: str, run_id: str, number: int, dossier_code: str) -> None:
        """A message intake must dead-letter, marked with an id of the run's own."""
        poison_id = f"chaos-{run_id}-poison-{number}"
        command = {"kind": "transition", "dossier_code": dossier_code, "event_id": poison_id}
        value, system = {
            "malformed_json": (b'{"kind": "transition", ', self.system),
            "unknown_system": (json.dumps(command).encode(), "nobody"),
            "invalid": (json.dumps({**command, "transition": "teleport"}).encode(), self.system),
        }[kind]
        headers: Headers = [("motcua-system", system), ("chaos-poison", poison_id)]
        self._produce(dossier_code, value, headers)
        with self.ledger.lock:
            self.ledger.poison[poison_id] = kind

    def flush(self) -> None:
        """Wait for every delivery; what failed (a broker lost mid-flight past the
        producer's retries) is produced again until it goes through."""
        while self.producer.flush(60) or self.failed:
            again, self.failed = self.failed, []
            for item in again:
                self.send(item)
            with self.ledger.lock:
                self.ledger.retries += len(again)


@dataclass
class _Dossier:
    plan: DossierPlan
    first_round: int
    code: str | None = None
    done: int = 0
    """Steps acknowledged or produced."""
    attempt: int = 0
    """How often its next step was asked again."""


class Desks:
    """The province's desks working through the plans in rounds."""

    def __init__(
        self,
        plans: Sequence[DossierPlan],
        intakes: Intakes,
        door: KafkaDoor,
        ledger: Ledger,
        *,
        run_id: str,
        chunk: int,
        workers: int = 4,
    ) -> None:
        self.plans, self.intakes, self.door, self.ledger = plans, intakes, door, ledger
        self.run_id, self.chunk = run_id, chunk
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="desk")
        self.dossiers: list[_Dossier] = []
        self.rounds = 0

    def _due(self, dossier: _Dossier) -> Step | None:
        """Its next step if this round is its turn."""
        if dossier.code is None or dossier.done >= len(dossier.plan.steps):
            return None
        hold = LATE_HOLD_ROUNDS if dossier.plan.late_on_arrival else 0
        if self.rounds - dossier.first_round <= hold + dossier.done:
            return None
        return dossier.plan.steps[dossier.done]

    def round(self) -> bool:
        """One round; False once every plan is filed and every step asked for."""
        now = datetime.now(UTC)
        start = len(self.dossiers)
        fresh = [_Dossier(p, self.rounds) for p in self.plans[start : start + self.chunk]]
        self.dossiers += fresh
        http: list[tuple[_Dossier, dict[str, Any]]] = [
            (d, receipt_item(d.plan, self.run_id, now)) for d in fresh
        ]
        for dossier in self.dossiers:
            step = self._due(dossier)
            if step is None:
                continue
            assert dossier.code is not None
            item = step_item(
                dossier.plan, dossier.done, step, dossier.code, self.run_id, now, dossier.attempt
            )
            if dossier.plan.door == "kafka":
                self.door.send(item)
                dossier.done += 1
            else:
                http.append((dossier, item))
        batches = [http[i : i + BATCH] for i in range(0, len(http), BATCH)]
        futures = [
            self.pool.submit(self.intakes.send, [item for _, item in batch], n)
            for n, batch in enumerate(batches)
        ]
        for batch, future in zip(batches, futures, strict=True):
            for (dossier, item), result in zip(batch, future.result(), strict=True):
                self._acknowledged(dossier, item, result)
        self.door.flush()
        self.rounds += 1
        return len(self.dossiers) < len(self.plans) or any(
            d.done < len(d.plan.steps) for d in self.dossiers
        )

    def _acknowledged(
        self, dossier: _Dossier, item: dict[str, Any], result: dict[str, Any]
    ) -> None:
        if result["body"].get("reason") == "out_of_order":
            # An apology letter was recorded after this step's instant: a desk enters the
            # step again, now.
            dossier.attempt += 1
            with self.ledger.lock:
                self.ledger.asked_again += 1
            return
        if result["status"] >= 300:
            with self.ledger.lock:
                self.ledger.refused.append(f"{item['event_id']}: {result['body']}")
            dossier.done = len(dossier.plan.steps)  # nothing further makes sense
            return
        code = str(result["body"].get("dossier_code") or item.get("dossier_code"))
        with self.ledger.lock:
            self.ledger.accepted[item["event_id"]] = code
            if item["kind"] == "receive":
                self.ledger.received += 1
        if item["kind"] == "receive":
            dossier.code = code
        else:
            dossier.done += 1
            dossier.attempt = 0

    @property
    def progress(self) -> float:
        return self.ledger.received / max(1, len(self.plans))

    def open_codes(self, count: int, rng: random.Random) -> list[str]:
        codes = [d.code for d in self.dossiers[-500:] if d.code]
        return rng.sample(codes, min(count, len(codes)))


def a_run_id() -> str:
    return uuid.uuid4().hex[:8]
