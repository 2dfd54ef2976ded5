"""Schemathesis over every FastAPI service's OpenAPI: no input is a 5xx, every status is
documented.

The services with an OpenAPI are intake, deadlines (its officers' web: sign-in and the
board's JSON; its worker serves no API), ratings and reporting;
``test_every_openapi_is_fuzzed`` keeps this list honest. Each operation gets a few dozen
generated requests, valid by the schema and not, sent to a real uvicorn server of the
service over its real PostgreSQL, as a registered upstream system (intake: the admin key
for the catalogue, the writer's key for the rest; reporting: an API key of one province;
deadlines: a signed-in officer's token), and a few times each as refused callers: nobody,
a key or token the service never issued, a caller of another subtree without the
operation's scope or role; an operation with codes in its path also gets unknown ones (a
404). What those doors answer must be documented as well. Intake and reporting get a
database of their own: the admin fuzz rewrites procedures and the reports' fuzz closes
periods, which other tests rely on. No service consumes from Kafka or publishes to it
here.

Purely random commands stop at the first gate (an instant in the year 4000, a unit that
does not exist), so half of the cases are *steered*: their instants moved into the last
weeks, their codes replaced by real units, procedures and dossiers, batch items drawn
from the single commands' own strategies; the other fields stay as generated, so those
cases reach the database with the fuzzer's strings. Reporting's are steered to units of
its seeded tree (the key's subtree, an ancestor, a sibling) and to periods that hold its
seeded dossiers. Generation is derandomised so CI is repeatable; ``MOTCUA_FUZZ_EXAMPLES``
asks for more (the refused callers get an eighth as many), ``MOTCUA_FUZZ_RANDOM=1`` for
new ones.
"""

from __future__ import annotations

import importlib
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_type_hints

import httpx
import psycopg
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from motcua.calendar import default_calendar
from motcua.contracts import EventType, encode_event
from motcua.db import (
    SERVICES,
    apply_migrations,
    bootstrap_database,
    migrations_dir,
    with_database,
)
from motcua.identity import Officer, Role, TokenIssuer, generate_keypair
from motcua.kafka import Topic
from services.deadlines.officers_web import create_app as create_officers_web
from services.deadlines.settings import DeadlinesSettings
from services.deadlines.signin_guard import unlock
from services.intake.app import create_app as create_intake
from services.intake.auth import Scope, register_system
from services.intake.reference.service import seed_reference_data
from services.intake.settings import IntakeSettings
from services.ratings.app import create_app as create_ratings
from services.ratings.settings import RatingsSettings
from services.ratings.systems import register_key as register_portal_key
from services.reporting.access import new_api_key
from services.reporting.app import create_app as create_reporting
from services.reporting.projection import Record, apply_batch
from services.reporting.settings import ReportingSettings
from tests.conftest import Database, Infra
from tests.integration.conftest import auth, unit_in_province
from tests.live_server import live_server
from tests.services.reporting.events import PROVINCE, ROOT, Dossier, at

EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "40"))
DOOR_EXAMPLES = max(4, EXAMPLES // 8)
"""Per operation and refused caller, and for unknown codes in the path: most of these
stop at the first gate, so a few show what it answers."""
RANDOM = os.environ.get("MOTCUA_FUZZ_RANDOM") == "1"
"""``MOTCUA_FUZZ_RANDOM=1``: new examples each run, for hunting rather than CI."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@dataclass(frozen=True)
class Facts:
    """Real codes of the fuzzed database, for steering cases past the first gate."""

    units: list[str]
    procedures: list[str]
    dossiers: list[str]


Steer = Callable[[st.SearchStrategy[Case]], st.SearchStrategy[Case]]


@dataclass(frozen=True)
class Door:
    """Another caller every operation is also fuzzed as, with ``DOOR_EXAMPLES`` cases: what
    it answers them must be documented too (401, 403, 404…)."""

    name: str
    key: str | None
    """The key or token it presents; ``None``: no ``Authorization`` header at all."""


def refused_doors(invalid: str, foreign: str | None = None) -> tuple[Door, ...]:
    """Nobody, a key or token the service never issued, and (where the service has one) a
    caller of another subtree lacking the operation's scope or role."""
    doors = (Door("no credentials", None), Door("an invalid key", invalid))
    return doors if foreign is None else (*doors, Door("another subtree", foreign))


@dataclass(frozen=True)
class Target:
    base_url: str
    schema: schemathesis.BaseSchema
    keys: dict[str, str]
    """Authorization per operation label (``PUT /v1/procedures/{code}``); ``*`` otherwise."""
    steer: Steer | None = None
    """Positive cases made plausible, drawn as often as the generated ones."""
    doors: tuple[Door, ...] = ()


_RECENT = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2000, 1, 31), timezones=st.just(UTC)
).map(lambda at: datetime.now(UTC) - (at.replace(tzinfo=None) - datetime(2000, 1, 1)))
"""An instant in the last 30 days (Hypothesis needs fixed bounds; the offset is drawn)."""


def _steer(body: dict[str, Any], facts: Facts, draw: st.DrawFn) -> dict[str, Any]:
    """The same command with plausible instants and real codes where it has those fields."""
    steered = dict(body)
    if "occurred_at" in steered:
        steered["occurred_at"] = draw(_RECENT).isoformat()
    for name in ("unit_code", "to_unit_code"):
        if name in steered:
            steered[name] = draw(st.sampled_from(facts.units))
    if "procedure_code" in steered:
        steered["procedure_code"] = draw(st.sampled_from(facts.procedures))
    return steered


def _steer_query(query: dict[str, Any], facts: Facts, draw: st.DrawFn) -> dict[str, Any]:
    """The same query with plausible instants and real unit and procedure codes."""
    steered = dict(query)
    for name in ("received_at", "received_from", "received_to"):
        if name in steered:
            steered[name] = draw(_RECENT).isoformat()
    if "unit" in steered:
        steered["unit"] = draw(st.sampled_from(facts.units))
    if "procedure" in steered:
        steered["procedure"] = draw(st.sampled_from(facts.procedures))
    return steered


def _steered(
    strategy: st.SearchStrategy[Case], facts: Facts, items: st.SearchStrategy[dict[str, Any]]
) -> st.SearchStrategy[Case]:
    @st.composite
    def steer(draw: st.DrawFn) -> Case:
        case = draw(strategy)
        if case.operation.path.startswith("/v1/dossiers/{code}"):
            case.path_parameters["code"] = draw(st.sampled_from(facts.dossiers))
        elif case.operation.path == "/v1/procedures/{code}" and isinstance(case.body, dict):
            case.path_parameters["code"] = case.body.get("code", "")
        if case.query:
            case.query = _steer_query(case.query, facts, draw)
        if isinstance(case.body, dict) and isinstance(case.body.get("items"), list):
            batch: Any = draw(st.lists(items, min_size=1, max_size=5))
            case.body["items"] = batch
        elif isinstance(case.body, dict):
            case.body = _steer(case.body, facts, draw)
        return case

    return steer()


@pytest.fixture(scope="module")
def fuzz_urls(infra: Infra) -> Iterator[dict[str, str]]:
    """Intake's migrated, seeded schema and reporting's migrated one in a database of their
    own, dropped afterwards."""
    suffix = secrets.token_hex(4)
    name, prefix = f"motcua_fuzz_{suffix}", f"mf{suffix}"
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin_url = with_database(infra.admin_url, name)
    urls = bootstrap_database(
        admin_url, {s: secrets.token_urlsafe(16) for s in SERVICES}, role_prefix=prefix
    )
    apply_migrations(urls["intake"], migrations_dir("intake"))
    apply_migrations(urls["reporting"], migrations_dir("reporting"))
    with psycopg.connect(urls["intake"]) as conn:
        seed_reference_data(db_session=conn)
    try:
        yield urls
    finally:
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for service in SERVICES:
                conn.execute(f'DROP ROLE IF EXISTS "{prefix}_{service}"')


@pytest.fixture(scope="module")
def fuzz_intake_url(fuzz_urls: dict[str, str]) -> str:
    return fuzz_urls["intake"]


def _object(case: Case) -> dict[str, Any]:
    """A positive case's JSON object body (the commands' bodies are objects)."""
    assert isinstance(case.body, dict)
    return case.body


def _batch_items(
    schema: schemathesis.BaseSchema, facts: Facts
) -> st.SearchStrategy[dict[str, Any]]:
    """Batch items drawn from the single commands' strategies, steered, with their kind."""
    receive = schema["/v1/dossiers"]["POST"].as_strategy()
    transition = schema["/v1/dossiers/{code}/events"]["POST"].as_strategy()

    @st.composite
    def item(draw: st.DrawFn) -> dict[str, Any]:
        if draw(st.booleans()):
            return {"kind": "receive", **_steer(_object(draw(receive)), facts, draw)}
        body = _object(draw(transition))
        code = draw(st.sampled_from(facts.dossiers))
        return {"kind": "transition", "dossier_code": code, **_steer(body, facts, draw)}

    return item()


def _strategy(target: Target, operation: schemathesis.APIOperation) -> st.SearchStrategy[Case]:
    """Generated requests, valid and invalid, and the steered ones where the target steers."""
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    strategy = st.one_of(positive, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    return strategy if target.steer is None else st.one_of(strategy, target.steer(positive))


def _runs(
    target: Target, operation: schemathesis.APIOperation
) -> Iterator[tuple[str, st.SearchStrategy[Case], str | None, int]]:
    """(what, cases, key, how many) of every run over ``operation``: as the authorised
    caller; as each refused door; with unknown codes in its path (valid by the schema,
    never steered to real ones: 404)."""
    key = target.keys.get(operation.label, target.keys["*"])
    strategy = _strategy(target, operation)
    yield operation.label, strategy, key, EXAMPLES
    for door in target.doors:
        yield f"{operation.label} with {door.name}", strategy, door.key, DOOR_EXAMPLES
    if "{" in operation.path:
        unknown = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
        yield f"{operation.label} with unknown codes", unknown, key, DOOR_EXAMPLES


def _operation_test(
    base_url: str, strategy: st.SearchStrategy[Case], key: str | None, examples: int
) -> Callable[[], None]:
    """A Hypothesis test sending ``examples`` of ``strategy``'s requests, as ``key``."""
    headers = {} if key is None else auth(key)

    @settings(
        max_examples=examples,
        derandomize=not RANDOM,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    return run


def _fuzz(target: Target) -> tuple[set[str], dict[str, str]]:
    """Run every operation; the operations run, and the failures by operation label
    (empty when all pass)."""
    fuzzed: set[str] = set()
    failures: dict[str, str] = {}
    for result in target.schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        fuzzed.add(operation.label)
        for what, strategy, key, examples in _runs(target, operation):
            try:
                _operation_test(target.base_url, strategy, key, examples)()
            except (Exception, BaseExceptionGroup) as exc:  # run all; report every failure
                failures[what] = f"{type(exc).__name__}: {exc}"
    return fuzzed, failures


def test_intake_answers_every_generated_request_with_a_documented_non_5xx_status(
    infra: Infra, fuzz_intake_url: str
) -> None:
    with psycopg.connect(fuzz_intake_url) as conn:
        province = unit_in_province(conn, "Hà Nội", "province")
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert root
        writer = register_system(
            f"fuzz-{uuid.uuid4().hex[:6]}", province, [Scope.WRITE, Scope.READ], db_session=conn
        )[1]
        admin = register_system(
            f"fuzz-admin-{uuid.uuid4().hex[:6]}", root[0], [Scope.ADMIN], db_session=conn
        )[1]
        # A reader of another province: outside the subtree and without write or admin.
        foreign = register_system(
            f"fuzz-foreign-{uuid.uuid4().hex[:6]}",
            unit_in_province(conn, "Hải Phòng", "province"),
            [Scope.READ],
            db_session=conn,
        )[1]
    settings_ = IntakeSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=fuzz_intake_url,
        outbox_relay_enabled=False,  # nothing of the fuzz reaches the shared Kafka
        inbound_enabled=False,
        subject_hash_key=SecretStr("fuzz"),
    )
    with psycopg.connect(fuzz_intake_url) as conn:
        units = [
            row[0]
            for row in conn.execute(
                "SELECT code FROM units WHERE path @> ARRAY[%s]::text[] ORDER BY code", (province,)
            )
        ]
        procedures = [row[0] for row in conn.execute("SELECT code FROM procedures ORDER BY code")]
    with live_server(create_intake(settings_)) as base_url:
        dossiers = []
        for unit in units[:3]:
            command = {
                "event_id": str(uuid.uuid4()),
                "occurred_at": (datetime.now(UTC) - timedelta(days=40)).isoformat(),
                "procedure_code": procedures[0],
                "unit_code": unit,
                "channel": "online",
                "applicant": {"full_name": "Người Thử"},
            }
            created = httpx.post(f"{base_url}/v1/dossiers", json=command, headers=auth(writer))
            assert created.status_code == 201, created.text
            dossiers.append(created.json()["dossier_code"])
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        keys = {"*": writer, "PUT /v1/procedures/{code}": admin}
        keys |= {
            f"POST /v1/{door}": admin
            for door in (
                "subject-requests/access",
                "subject-requests/correct",
                "subject-requests/erase",
                "subject-requests/restrict",
                "legal-holds",
                "legal-holds/{hold_id}/lift",
            )
        }
        facts = Facts(units, procedures, dossiers)
        items = _batch_items(schema, facts)
        doors = refused_doors(f"mck_{secrets.token_urlsafe(24)}", foreign)
        fuzzed, failures = _fuzz(
            Target(base_url, schema, keys, lambda positive: _steered(positive, facts, items), doors)
        )
    assert {"POST /v1/dossiers", "POST /v1/events:batch", "GET /healthz"} <= fuzzed, fuzzed
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_ratings_answers_every_generated_request_with_a_documented_non_5xx_status(
    infra: Infra, database: Database
) -> None:
    settings_ = RatingsSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=database.service_urls["ratings"],
        invitations_enabled=False,  # no consumer group: the fuzz reads nothing from Kafka
        outbox_relay_enabled=False,  # and publishes nothing of it to the shared topics
    )
    with psycopg.connect(database.service_urls["ratings"]) as conn:
        portal = register_portal_key(
            f"fuzz-{uuid.uuid4().hex[:6]}", 1_000_000, actor="fuzz", db_session=conn
        )
    with live_server(create_ratings(settings_)) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        doors = refused_doors(f"mcp_{secrets.token_urlsafe(24)}")
        fuzzed, failures = _fuzz(Target(base_url, schema, {"*": portal}, doors=doors))
    assert {"POST /v1/ratings", "POST /v1/ratings:batch", "GET /healthz"} <= fuzzed, fuzzed
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


SIBLING = "000.00.00.H02"
"""The province beside the seeded one: its key is another subtree's."""
REPORTING_PERIODS = ("2026-11", "2026-11-05", "2026-Q4", "2026", "2025-12")
"""Periods holding the seeded dossiers (November 2026), and one before them."""


def _seed_reports(url: str) -> tuple[str, list[str]]:
    """A few dossiers' lives in reporting's own tables, as its consumer applies them; the
    province they lie in, and every unit of the tree (the root above it, two communes)."""
    sibling = Dossier(unit_path=(ROOT, SIBLING, "000.00.02.H02"))
    dossiers = [Dossier(), Dossier(unit_path=(ROOT, PROVINCE, "000.00.03.H01")), sibling]
    events = []
    for number, dossier in enumerate(dossiers):
        events += [dossier.received(), dossier.assigned(at(3, 10), f"can-bo-{number}")]
        events += [dossier.completed(at(9 + 3 * number, 9)), dossier.returned(at(17, 9))]
        if number == 1:
            events += [dossier.apology(at(10, 9), at(16, 9))]
        events += [dossier.invited(at(17, 10)), dossier.rated(at(18, 9), "dissatisfied")]
    topic_of = {
        EventType.APOLOGY_ISSUED: Topic.APOLOGY_LETTERS,
        EventType.RATING_INVITED: Topic.RATING_INVITATIONS,
        EventType.RATING_SUBMITTED: Topic.RATING_SUBMISSIONS,
    }
    records = [
        Record(
            topic_of.get(EventType(event["type"]), Topic.DOSSIER_EVENTS).value,
            0,
            offset,
            encode_event(event),
        )
        for offset, event in enumerate(events)
    ]
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        applied = apply_batch(records, default_calendar(), db_session=conn)
    assert not applied.rejected, applied.rejected
    units = sorted({code for d in dossiers for code in d.unit_path})
    return PROVINCE, units


def _steered_reports(
    strategy: st.SearchStrategy[Case], units: list[str]
) -> st.SearchStrategy[Case]:
    @st.composite
    def steer(draw: st.DrawFn) -> Case:
        case = draw(strategy)
        query = dict(case.query or {})
        if case.operation.get_parameter("unit", "query") is not None:
            query["unit"] = draw(st.sampled_from(units))
        if case.operation.get_parameter("period", "query") is not None:
            query["period"] = draw(st.sampled_from(REPORTING_PERIODS))
        case.query = query
        return case

    return steer()


def test_reporting_answers_every_generated_request_with_a_documented_non_5xx_status(
    infra: Infra, fuzz_urls: dict[str, str], signer: tuple[TokenIssuer, Path]
) -> None:
    url = fuzz_urls["reporting"]
    province, units = _seed_reports(url)
    with psycopg.connect(url) as conn:
        key = new_api_key(f"fuzz-{uuid.uuid4().hex[:6]}", province, db_session=conn)
        sibling = new_api_key(f"fuzz-sibling-{uuid.uuid4().hex[:6]}", SIBLING, db_session=conn)
    settings_ = ReportingSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=url,
        officer_token_public_key_file=str(signer[1]),
        consumer_enabled=False,  # no consumer group: the fuzz reads nothing from Kafka
        exporter_enabled=False,
    )
    with live_server(create_reporting(settings_)) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")

        def steer(positive: st.SearchStrategy[Case]) -> st.SearchStrategy[Case]:
            return _steered_reports(positive, units)

        doors = refused_doors(f"mrk_{secrets.token_urlsafe(24)}", sibling)
        fuzzed, failures = _fuzz(Target(base_url, schema, {"*": key}, steer, doors))
    assert {"GET /v1/reports/summary", "GET /v1/reports/dossiers", "GET /healthz"} <= fuzzed
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_deadlines_answers_every_generated_request_with_a_documented_non_5xx_status(
    infra: Infra, database: Database, signer: tuple[TokenIssuer, Path]
) -> None:
    """The officers' web, as a signed-in duty officer of a province (a token the platform's
    key signed): sign-in, who am I, and the board with the page's filters."""
    officer = Officer("truc.fuzz", "Trực ban", "000.00.00.H01", frozenset({Role.DUTY_OFFICER}))
    # Another province's staff entry: outside the subtree, and no role of the board's.
    foreign = Officer("nhap.fuzz", "Nhập phiếu", "000.00.00.H02", frozenset({Role.STAFF_ENTRY}))
    stranger = TokenIssuer.from_pem(generate_keypair()[0])  # a key the platform never had
    doors = refused_doors(stranger.issue(officer), signer[0].issue(foreign))
    settings_ = DeadlinesSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=database.service_urls["deadlines"],
        officer_token_public_key_file=str(signer[1]),
    )
    try:
        with live_server(create_officers_web(settings_)) as base_url:
            schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
            fuzzed, failures = _fuzz(
                Target(base_url, schema, {"*": signer[0].issue(officer)}, doors=doors)
            )
    finally:  # its failed sign-ins would lock loopback out of the next tests' sign-in
        with psycopg.connect(database.service_urls["deadlines"]) as conn:
            unlock(address="127.0.0.1", db_session=conn)
    assert {"POST /v1/session", "GET /v1/me", "GET /v1/board", "GET /healthz"} <= fuzzed
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


FUZZ_TEST = "test_{}_answers_every_generated_request_with_a_documented_non_5xx_status"
APPS = {"deadlines": "services.deadlines.officers_web"}
"""Where a service's FastAPI app is built, when not in ``services.<name>.app``."""


def test_every_openapi_is_fuzzed() -> None:
    """A service with an OpenAPI and no fuzz test above fails here, so "every" stays true."""
    with_openapi = {
        service
        for service in SERVICES
        if get_type_hints(
            importlib.import_module(APPS.get(service, f"services.{service}.app")).create_app
        )["return"]
        is FastAPI
    }
    fuzzed = {service for service in SERVICES if FUZZ_TEST.format(service) in globals()}
    assert with_openapi == fuzzed
    assert with_openapi == {"intake", "deadlines", "ratings", "reporting"}
