"""What a province's one-stop desks do in a chaos run, planned ahead and pure.

Each dossier gets a plan from a seeded random source: where and how it is received, which
procedure (the mix of a city police's dossiers: residence most, then ID cards, vehicles,
passports), whether the desk files it late (a paper dossier caught up on, received days
ago and past its due date on arrival), the steps it takes (assigned, supplement asked and
given, paused and resumed, completed and the result returned, or rejected, or left open)
and which door its steps go through (intake's HTTP batches, or the Kafka door). The same
seed gives the same plans, so a failing run can be replayed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Door = Literal["http", "kafka"]

FIELD_WEIGHTS: Mapping[str, float] = {
    "residence": 45,
    "id_card": 25,
    "vehicle": 15,
    "passport": 10,
}
"""A city police's mix by the procedure's field; any other field shares ``OTHER_WEIGHT``."""
OTHER_WEIGHT = 5.0
LATE_SHARE = 0.08
"""Dossiers filed days after they were received: past due on arrival."""
KAFKA_SHARE = 0.3
"""Dossiers whose steps an upstream system writes to the Kafka door."""
CHANNELS = (("in_person", 6), ("online", 3), ("postal", 1))
CONTACTS = (("sms", 5), ("zalo", 2), ("email", 1), ("post", 1), ("none", 1))


@dataclass(frozen=True)
class Procedure:
    code: str
    field: str


@dataclass(frozen=True)
class Step:
    """One transition an upstream system asks for, with its fields (not the code)."""

    transition: str
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DossierPlan:
    number: int
    """Its place in the run: event ids and the applicant derive from it."""
    unit_code: str
    procedure_code: str
    channel: str
    contact: str
    received_days_ago: float
    """0 for a dossier received as the run goes; more for one filed late."""
    door: Door
    steps: tuple[Step, ...]

    @property
    def late_on_arrival(self) -> bool:
        return self.received_days_ago > 0

    @property
    def ends(self) -> str:
        """Where its steps leave it: ``returned``, ``rejected`` or ``open``."""
        last = self.steps[-1].transition if self.steps else "receive"
        return {"return_result": "returned", "reject": "rejected"}.get(last, "open")


def _pick(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def _steps(rng: random.Random, communes: Sequence[str]) -> tuple[Step, ...]:
    """A dossier's way through the state machine, as a desk walks it."""
    if rng.random() < 0.04:
        return (Step("reject", {"reason": "Hồ sơ không đủ điều kiện theo quy định"}),)
    steps = [
        Step(
            "assign",
            {
                "to_unit_code": rng.choice(communes),
                "handler_ref": f"can-bo-{rng.randrange(1, 20):02d}",
            },
        )
    ]
    if rng.random() < 0.1:
        steps += [
            Step("request_supplement", {"reason": "Thiếu bản sao giấy tờ chứng minh chỗ ở"}),
            Step("receive_supplement"),
        ]
    if rng.random() < 0.05:
        steps += [Step("pause", {"reason_code": "other_agency"}), Step("resume")]
    if rng.random() < 0.12:
        return tuple(steps[: rng.randint(1, len(steps))])  # still being worked on
    steps.append(Step("complete", {"outcome": "granted"}))
    if rng.random() < 0.95:
        steps.append(Step("return_result", {"channel": rng.choice(["counter", "postal"])}))
    return tuple(steps)


def plan_dossiers(
    count: int, communes: Sequence[str], procedures: Sequence[Procedure], *, seed: int
) -> Iterator[DossierPlan]:
    """``count`` dossiers over ``communes``, in the order the desks receive them."""
    if not communes or not procedures:
        raise ValueError("a chaos run needs communes and procedures")
    rng = random.Random(seed)
    weights = [FIELD_WEIGHTS.get(p.field, OTHER_WEIGHT) for p in procedures]
    for number in range(count):
        late = rng.random() < LATE_SHARE
        yield DossierPlan(
            number=number,
            unit_code=rng.choice(communes),
            procedure_code=rng.choices(procedures, weights)[0].code,
            channel=_pick(rng, CHANNELS),
            contact=_pick(rng, CONTACTS),
            received_days_ago=rng.uniform(25, 60) if late else 0.0,
            door="kafka" if rng.random() < KAFKA_SHARE else "http",
            steps=_steps(rng, communes),
        )


@dataclass(frozen=True)
class Fault:
    """Harm done once the run has filed ``at`` of its dossiers."""

    at: float
    kind: Literal["broker", "process", "postgres", "rebalance", "poison"]
    target: str = ""
    """The process (``intake``, ``deadlines`` …) or the poison's kind."""
    replica: int = 1


SERVICE_JOBS = ("intake", "deadlines", "deadlines-web", "ratings", "reporting")
POISON_KINDS = ("malformed_json", "unknown_system", "invalid")


def plan_faults(*, seed: int, poison_rounds: int = 5) -> list[Fault]:
    """One of each kind at a random moment of the run's middle (a kill of every service
    process kind, either copy), and poison messages of every kind scattered through it;
    in the order they happen."""
    rng = random.Random(seed)
    faults = [
        Fault(rng.uniform(0.10, 0.25), "broker"),
        Fault(rng.uniform(0.35, 0.55), "postgres"),
        Fault(rng.uniform(0.55, 0.70), "rebalance", "deadlines"),
    ]
    for n, job in enumerate(SERVICE_JOBS):
        low = 0.15 + n * 0.12
        faults.append(Fault(rng.uniform(low, low + 0.1), "process", job, rng.randint(1, 2)))
    for n in range(poison_rounds):
        at = (n + rng.random()) / poison_rounds * 0.9
        faults += [Fault(at, "poison", kind) for kind in POISON_KINDS]
    return sorted(faults, key=lambda fault: fault.at)
