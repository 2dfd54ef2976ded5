"""A province's years of dossiers as the history importer reads them (JSON Lines).

``python -m services.intake.manage import-dossiers FILE`` is what the history bench
measures; this module writes its input: ``dossiers`` records over one province's
commune-level police and departments, received on working days between ``start`` and
``end``, each line one dossier as the old one-stop software recorded it (the format of
docs/history-import.md). Seeded: the same spec gives the same file, byte for byte.
Streaming: one working day's dossiers are held at a time, never the file.

The world it draws from is the seeded one: the national unit tree
(``services/intake/reference/national.py``) and the shipped procedure catalogue. A
dossier received before the 2025 reform was received by a commune police the reform
retired (its ``<www>.<ww>.99.H<pp>`` unit: the dossier keeps it, reports roll it up to
the successor); from the reform on, by one of today's communes. Departments of the
provincial police take passports, fire safety, and some identity cards and vehicles.

The mix (:data:`FIELD_SHARE`, :data:`ONLINE_SHARE`, :class:`Mix`): about 8% of dossiers
asked for a supplement once, 2% paused for another agency's verification, 2% refused, 1.5%
rejected at the desk, 0.5% withdrawn, of those finished about 97% on time; a dossier still
open at ``end`` (its finish would come later, or it is one of the ``stuck`` recent ones)
stops at its last step before ``end``. Applicants are plainly fake: a name that says so,
an ID number of province ``000`` (no such province), a phone number that starts ``0000``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from motcua.calendar import WorkingCalendar, default_calendar
from motcua.dossier import LOCAL_ZONE
from services.intake.reference.models import Procedure, ProcedureField, UnitLevel
from services.intake.reference.national import (
    PROVINCE_DEPARTMENTS,
    REFORM_DAY,
    current_units,
    department_code,
    legacy_units,
    province_police_code,
)
from services.intake.reference.seed import load_procedures

THANH_HOA = 38
"""Of Hà Nội (126) and Thanh Hóa (166), the province with more communes today."""

FIELD_SHARE = {
    ProcedureField.RESIDENCE: 0.45,
    ProcedureField.IDENTITY: 0.35,
    ProcedureField.EXIT_ENTRY: 0.10,
    ProcedureField.VEHICLE_REGISTRATION: 0.08,
    ProcedureField.FIRE_SAFETY: 0.02,
}
"""Residence and identity cards are most of a police one-stop desk's work."""

ONLINE_SHARE = {"full": (0.30, 0.65), "partial": (0.15, 0.35), "none": (0.0, 0.0)}
"""Share of dossiers filed online, by the procedure's online level: (at ``start``, at
``end``); it grows in between as it did nationally."""

DEPARTMENT_OF = {
    ProcedureField.IDENTITY: "21",
    ProcedureField.EXIT_ENTRY: "20",
    ProcedureField.FIRE_SAFETY: "22",
    ProcedureField.VEHICLE_REGISTRATION: "23",
}
"""The provincial department (its Y field) that takes a field's dossiers."""

COMMUNE_SHARE_AFTER_REFORM = {
    ProcedureField.RESIDENCE: 1.0,
    ProcedureField.IDENTITY: 0.8,
    ProcedureField.VEHICLE_REGISTRATION: 0.7,
}
"""From the reform on, commune police take most identity cards and vehicles; before it,
the province's departments did (the district level is not in the tree)."""

STUCK_WINDOW = timedelta(days=90)
"""A ``stuck`` dossier is one received in this window before ``end`` that never finished."""


@dataclass(frozen=True)
class Mix:
    """What happens to a dossier, as shares of all dossiers."""

    supplement: float = 0.08
    pause: float = 0.02
    rejected: float = 0.015
    withdrawn: float = 0.005
    refused: float = 0.02
    late: float = 0.03
    """Of the dossiers finished: finished after their due date."""


@dataclass(frozen=True)
class Spec:
    """What to generate; ``first_sequence`` keeps a second file's codes apart from the
    first's on the same days (the board's open dossiers: numbered from 5001)."""

    dossiers: int
    start: date
    end: date
    province: int = THANH_HOA
    stuck: float = 0.5
    first_sequence: int = 1
    seed: int = 27
    mix: Mix = field(default_factory=Mix)


@dataclass(frozen=True)
class World:
    """The province's desks and the catalogue by field, from the seeded reference data."""

    communes: tuple[str, ...]
    retired_communes: tuple[str, ...]
    departments: dict[str, str]
    procedures: dict[ProcedureField, tuple[Procedure, ...]]

    def desk(self, rng: random.Random, procedure: Procedure, day: date) -> str:
        """The unit that received a dossier of ``procedure`` on ``day``."""
        commune_share = COMMUNE_SHARE_AFTER_REFORM.get(procedure.field, 0.0)
        if day < REFORM_DAY:
            commune_share = 1.0 if procedure.field == ProcedureField.RESIDENCE else 0.0
        if rng.random() < commune_share:
            return rng.choice(self.communes if day >= REFORM_DAY else self.retired_communes)
        return self.departments[DEPARTMENT_OF[procedure.field]]


@cache
def world(province: int) -> World:
    """The province's communes (today's and those the reform retired), its departments,
    and the catalogue's procedures by field (most used first: the catalogue's order)."""
    police = province_police_code(province)
    communes = tuple(
        u.code for u in current_units() if u.parent == police and u.level == UnitLevel.COMMUNE
    )
    retired = tuple(
        u.code for u in legacy_units() if u.parent == police and u.level == UnitLevel.COMMUNE
    )
    if not communes or not retired:
        raise ValueError(f"province {province:02d} has no commune police in the national tree")
    departments = {d.number: department_code(province, d) for d in PROVINCE_DEPARTMENTS}
    catalogue = load_procedures()
    procedures = {f: tuple(p for p in catalogue if p.field == f) for f in FIELD_SHARE}
    return World(communes, retired, departments, {f: ps for f, ps in procedures.items() if ps})


def working_days(start: date, end: date, calendar: WorkingCalendar) -> list[date]:
    """Working days in ``[start, end]``."""
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [day for day in days if calendar.is_working_day(day)]


def day_counts(total: int, days: int, rng: random.Random) -> list[int]:
    """``total`` dossiers over ``days`` days: a fifth more at the end than at the start,
    ±20% from day to day; cumulative rounding, so the counts add up to ``total`` exactly."""
    weights = [(1 + 0.2 * n / max(1, days - 1)) * rng.uniform(0.8, 1.2) for n in range(days)]
    whole = sum(weights)
    counts, reached, running = [], 0, 0.0
    for weight in weights:
        running += weight
        upto = round(total * running / whole)
        counts.append(upto - reached)
        reached = upto
    return counts


def _weighted_procedure(rng: random.Random, world: World) -> Procedure:
    fields = list(world.procedures)
    chosen = rng.choices(fields, weights=[FIELD_SHARE[f] for f in fields])[0]
    options = world.procedures[chosen]
    return rng.choices(options, weights=[1 / (n + 1) for n in range(len(options))])[0]


def _channel(rng: random.Random, procedure: Procedure, progress: float) -> str:
    first, last = ONLINE_SHARE[procedure.online_level.value]
    if rng.random() < first + (last - first) * progress:
        return "online"
    return "postal" if rng.random() < 0.1 else "in_person"


def _received_at(rng: random.Random, day: date, channel: str) -> datetime:
    """At the desk in office hours; online from early morning to late evening."""
    if channel == "online":
        minute = rng.randrange(6 * 60, 23 * 60)
    else:
        minute = rng.randrange(8 * 60, 16 * 60 + 30)
        minute += 60 if minute >= 12 * 60 else 0
    return datetime.combine(day, time(minute // 60, minute % 60), LOCAL_ZONE)


@dataclass(frozen=True)
class Receipt:
    """A dossier as received, before its life is drawn."""

    code: str
    number: int
    procedure: Procedure
    unit_code: str
    channel: str
    received_at: datetime


def day_receipts(spec: Spec, world: World, day: date, count: int, progress: float) -> list[Receipt]:
    """The day's dossiers in the order received, numbered per unit from
    ``spec.first_sequence``; ``progress`` is how far the day is into the history (0..1)."""
    rng = random.Random(f"{spec.seed}:{day.isoformat()}:receipts")
    drawn = []
    for _ in range(count):
        procedure = _weighted_procedure(rng, world)
        channel = _channel(rng, procedure, progress)
        unit = world.desk(rng, procedure, day)
        drawn.append((_received_at(rng, day, channel), unit, procedure, channel))
    drawn.sort(key=lambda item: (item[0], item[1]))
    numbers: dict[str, int] = {}
    receipts = []
    for received_at, unit, procedure, channel in drawn:
        number = numbers.get(unit, spec.first_sequence)
        if number > 9999:
            raise ValueError(f"more than 9999 dossiers at {unit} on {day}: too many for a day")
        numbers[unit] = number + 1
        code = f"{unit}-{day:%y%m%d}-{number:04d}"
        receipts.append(Receipt(code, number, procedure, unit, channel, received_at))
    return receipts


@dataclass(frozen=True)
class Step:
    """One recorded fact after the receipt: its instant, its name and its fields."""

    at: datetime
    name: str
    fields: dict[str, str]


CLOSING = frozenset({"completed", "returned", "rejected", "withdrawn"})


@dataclass(frozen=True)
class Life:
    """What happened to a dossier: its due date as recorded and its steps in order."""

    due_at: datetime
    steps: tuple[Step, ...]


def _stopped(
    calendar: WorkingCalendar, due: datetime, start: datetime, days: int, *, stops: bool
) -> tuple[datetime, datetime]:
    """(end of a stop of ``days`` working days from ``start``, the due date after it):
    a stopped clock moves the due date by the working time it stood still."""
    end = calendar.add_working_days(start, days)
    if not stops:
        return end, due
    return end, calendar.add_working_time(due, calendar.working_time_between(start, end))


def _middle(
    rng: random.Random, calendar: WorkingCalendar, receipt: Receipt, clock: datetime, mix: Mix
) -> tuple[datetime, datetime, list[Step]]:
    """The due date, the last instant of the middle steps, and the steps: a supplement
    asked and given, a pause for another agency's verification."""
    amount = receipt.procedure.processing_time.amount
    due = calendar.due_at(clock, amount, receipt.procedure.processing_time.unit)
    span = calendar.working_time_between(clock, due)
    cursor, steps = clock, []
    if rng.random() < mix.supplement:
        asked = calendar.add_working_time(cursor, span * rng.uniform(0.1, 0.3))
        cursor, due = _stopped(calendar, due, asked, rng.randint(1, 5), stops=True)
        steps.append(Step(asked, "supplement_requested", {"reason": "Thiếu bản sao giấy tờ"}))
        steps.append(Step(cursor, "supplement_received", {}))
    if rng.random() < mix.pause:
        paused = calendar.add_working_time(cursor, span * rng.uniform(0.05, 0.2))
        stops = receipt.procedure.pause_policy.value == "resume_remaining"
        cursor, due = _stopped(calendar, due, paused, rng.randint(1, 10), stops=stops)
        steps.append(Step(paused, "paused", {"reason_code": "external_verification"}))
        steps.append(Step(cursor, "resumed", {}))
    return due, cursor, steps


def _return_channel(receipt: Receipt) -> str:
    offered = [channel.value for channel in receipt.procedure.result_channels]
    wanted = {"online": "online", "postal": "postal"}.get(receipt.channel, "counter")
    return wanted if wanted in offered else offered[0]


def _finish(
    rng: random.Random,
    calendar: WorkingCalendar,
    receipt: Receipt,
    due: datetime,
    after: datetime,
    mix: Mix,
) -> list[Step]:
    """Completed (on time, or late by 1–10 working days) and the result returned."""
    if rng.random() < mix.late:
        done = calendar.add_working_days(due, rng.randint(1, 10))
    else:
        done = calendar.subtract_working_time(
            due, calendar.working_time_between(after, due) * rng.uniform(0.0, 0.7)
        )
    done = max(done, calendar.add_working_hours(after, 1))
    outcome = "refused" if rng.random() < mix.refused else "granted"
    returned = calendar.add_working_hours(done, rng.randint(1, 24))
    return [
        Step(done, "completed", {"outcome": outcome}),
        Step(returned, "returned", {"channel": _return_channel(receipt)}),
    ]


def life_of(rng: random.Random, calendar: WorkingCalendar, receipt: Receipt, mix: Mix) -> Life:
    """The dossier's whole life, as if nothing stopped it at the export."""
    clock = calendar.clock_start(receipt.received_at, paper=receipt.channel != "online")
    fate = rng.random()
    if fate < mix.rejected:
        at = calendar.add_working_hours(clock, rng.randint(1, 8))
        due = calendar.due_at(
            clock, receipt.procedure.processing_time.amount, receipt.procedure.processing_time.unit
        )
        return Life(due, (Step(at, "rejected", {"reason": "Hồ sơ không thuộc thẩm quyền"}),))
    due, cursor, steps = _middle(rng, calendar, receipt, clock, mix)
    if fate < mix.rejected + mix.withdrawn:
        at = calendar.add_working_hours(cursor, rng.randint(1, 16))
        return Life(due, (*steps, Step(at, "withdrawn", {"reason": "Công dân rút hồ sơ"})))
    return Life(due, (*steps, *_finish(rng, calendar, receipt, due, cursor, mix)))


def as_exported(life: Life, end: datetime, stuck: bool) -> Life:
    """The life as the export saw it at ``end``: later steps are not there yet, and a
    stuck dossier never got past its middle steps."""
    steps = tuple(s for s in life.steps if s.at < end and not (stuck and s.name in CLOSING))
    return Life(life.due_at, steps)


def _instant(moment: datetime) -> str:
    return moment.astimezone(LOCAL_ZONE).replace(microsecond=0).isoformat()


def applicant(number: int, procedure: Procedure) -> dict[str, str]:
    """A plainly fake applicant: the name says so, ID province ``000`` does not exist,
    phone numbers starting ``0000`` are not allocated, ``.invalid`` is not a domain."""
    if procedure.field == ProcedureField.FIRE_SAFETY:
        return {"kind": "organisation", "name": f"Công ty thử nghiệm số {number}"}
    person = {
        "kind": "citizen",
        "name": f"Người Thử Nghiệm {number:07d}",
        "id_number": f"000{number:09d}",
        "phone": f"0000{number % 10_000_000:07d}",
    }
    if number % 4 == 0:
        person["email"] = f"thu.nghiem.{number}@example.invalid"
    return person


def _stops(steps: tuple[Step, ...]) -> dict[str, list[dict[str, str]]]:
    """Supplements asked (and given) and pauses (and resumptions), in the file's shape."""
    supplements: list[dict[str, str]] = []
    pauses: list[dict[str, str]] = []
    for step in steps:
        if step.name == "supplement_requested":
            supplements.append({"requested_at": _instant(step.at), **step.fields})
        elif step.name == "supplement_received":
            supplements[-1]["received_at"] = _instant(step.at)
        elif step.name == "paused":
            pauses.append({"from": _instant(step.at), **step.fields})
        elif step.name == "resumed":
            pauses[-1]["to"] = _instant(step.at)
    return {"supplements": supplements, "pauses": pauses}


def _outcome(steps: tuple[Step, ...]) -> dict[str, str]:
    """How the record ends: nothing while open; completed (and returned) with its result,
    or rejected or withdrawn with the reason."""
    closing = {step.name: step for step in steps if step.name in CLOSING}
    done, returned = closing.get("completed"), closing.get("returned")
    if done and returned:
        return {
            "outcome": "returned",
            "completed_at": _instant(done.at),
            "result": done.fields["outcome"],
            "returned_at": _instant(returned.at),
            "return_channel": returned.fields["channel"],
        }
    if done:
        return {
            "outcome": "completed",
            "completed_at": _instant(done.at),
            "result": done.fields["outcome"],
        }
    ended = closing.get("rejected") or closing.get("withdrawn")
    if ended:
        return {
            "outcome": ended.name,
            "outcome_at": _instant(ended.at),
            "outcome_reason": ended.fields["reason"],
        }
    return {}


def record(receipt: Receipt, life: Life, number: int) -> dict[str, Any]:
    """One line of the file: the dossier as the old software exported it."""
    return {
        "dossier_code": receipt.code,
        "procedure_code": receipt.procedure.code,
        "unit_code": receipt.unit_code,
        "received_channel": receipt.channel,
        "received_at": _instant(receipt.received_at),
        "due_rule": "recorded",
        "due_at": _instant(life.due_at),
        "contact_preference": "sms"
        if receipt.procedure.field != ProcedureField.FIRE_SAFETY
        else "post",
        **_stops(life.steps),
        **_outcome(life.steps),
        "applicant": applicant(number, receipt.procedure),
    }


def records(spec: Spec, calendar: WorkingCalendar | None = None) -> Iterator[dict[str, Any]]:
    """Every line of the file in order (received day by day), one day held at a time."""
    calendar = calendar or default_calendar()
    place = world(spec.province)
    end = datetime.combine(spec.end, time(0), LOCAL_ZONE)
    days = working_days(spec.start, spec.end - timedelta(days=1), calendar)
    if not days:
        raise ValueError(f"no working day in {spec.start}..{spec.end}")
    counts = day_counts(spec.dossiers, len(days), random.Random(f"{spec.seed}:days"))
    number = 0
    for n, (day, count) in enumerate(zip(days, counts, strict=True)):
        progress = n / max(1, len(days) - 1)
        rng = random.Random(f"{spec.seed}:{day.isoformat()}:lives")
        for receipt in day_receipts(spec, place, day, count, progress):
            number += 1
            stuck = receipt.received_at >= end - STUCK_WINDOW and rng.random() < spec.stuck
            life = as_exported(life_of(rng, calendar, receipt, spec.mix), end, stuck)
            yield record(receipt, life, spec.seed * 10_000_000 + number)


@dataclass
class Written:
    """What a file holds: its dossiers, the events they make, and how many are open."""

    dossiers: int = 0
    steps: int = 0
    open: int = 0
    late: int = 0
    finished: int = 0

    @property
    def events(self) -> int:
        """A receipt's event and one for each step."""
        return self.dossiers + self.steps

    def count(self, line: dict[str, Any]) -> None:
        """Add one line: its receipt, each supplement asked and given, each pause and
        resumption, and its ending (a completion and a return are two)."""
        self.dossiers += 1
        self.steps += sum(1 + ("received_at" in s) for s in line["supplements"])
        self.steps += sum(1 + ("to" in p) for p in line["pauses"])
        outcome = line.get("outcome")
        self.steps += {None: 0, "returned": 2}.get(outcome, 1)
        self.open += outcome is None
        if "completed_at" in line:
            self.finished += 1
            self.late += line["completed_at"] > line["due_at"]

    @classmethod
    def of(cls, path: Path, first: int = 0, last: int | None = None) -> Written:
        """What lines ``first`` to ``last`` (all, by default) of a written file hold."""
        written = cls()
        with path.open("rb") as lines:
            for n, line in enumerate(lines):
                if last is not None and n >= last:
                    break
                if n >= first:
                    written.count(orjson.loads(line))
        return written


def write(path: Path, spec: Spec) -> Written:
    """Stream ``spec``'s lines to ``path``; what it wrote."""
    written = Written()
    with path.open("wb") as out:
        for line in records(spec):
            written.count(line)
            out.write(orjson.dumps(line) + b"\n")
    return written


def history_spec(dossiers: int, end: date, *, years: int = 3, seed: int = 27) -> Spec:
    """``years`` of history up to the day before ``end``."""
    return Spec(dossiers, end.replace(year=end.year - years), end, seed=seed)


def open_spec(dossiers: int, end: date, *, weeks: int = 8, seed: int = 28) -> Spec:
    """Dossiers received in the last ``weeks`` and all still open at ``end`` (the board's),
    numbered from 5001 so that their codes never meet a history file's of the same days."""
    return Spec(
        dossiers, end - timedelta(weeks=weeks), end, stuck=1.0, first_sequence=5001, seed=seed
    )
