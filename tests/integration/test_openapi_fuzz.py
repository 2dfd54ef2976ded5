"""Schemathesis over every FastAPI service's OpenAPI: no input is a 5xx, every status is
documented.

Each operation gets a few dozen generated requests, valid by the schema and not, sent to a
real uvicorn server of the service over its real PostgreSQL, as a registered upstream
system (the admin key for the catalogue, the writer's key for the rest). Intake gets a
database of its own: the admin fuzz rewrites procedures, which other tests rely on.

Purely random commands stop at the first gate (an instant in the year 4000, a unit that
does not exist), so half of the cases are *steered*: their instants moved into the last
weeks, their codes replaced by real units, procedures and dossiers, batch items drawn
from the single commands' own strategies; the other fields stay as generated, so those
cases reach the database with the fuzzer's strings. Generation is derandomised so CI is
repeatable; ``MOTCUA_FUZZ_EXAMPLES`` asks for more, ``MOTCUA_FUZZ_RANDOM=1`` for new ones.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from motcua.db import apply_migrations, bootstrap_database, migrations_dir
from services.intake.app import create_app as create_intake
from services.intake.auth import Scope, register_system
from services.intake.reference.service import seed_reference_data
from services.intake.settings import IntakeSettings
from services.ratings.app import create_app as create_ratings
from services.ratings.settings import RatingsSettings
from tests.conftest import Database, Infra
from tests.integration.conftest import auth, unit_in_province
from tests.live_server import live_server

EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "40"))
RANDOM = os.environ.get("MOTCUA_FUZZ_RANDOM") == "1"
"""``MOTCUA_FUZZ_RANDOM=1``: new examples each run, for hunting rather than CI."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@dataclass(frozen=True)
class Facts:
    """Real codes of the fuzzed database, for steering cases past the first gate."""

    units: list[str]
    procedures: list[str]
    dossiers: list[str]


@dataclass(frozen=True)
class Target:
    base_url: str
    schema: schemathesis.BaseSchema
    keys: dict[str, str]
    """Authorization per operation label (``PUT /v1/procedures/{code}``); ``*`` otherwise."""
    facts: Facts | None = None


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
def fuzz_intake_url(infra: Infra) -> Iterator[str]:
    """Intake's migrated, seeded schema in a database of its own, dropped afterwards."""
    suffix = secrets.token_hex(4)
    name, prefix = f"motcua_fuzz_{suffix}", f"mf{suffix}"
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin_url = infra.admin_url.rsplit("/", 1)[0] + f"/{name}"
    from motcua.db import SERVICES

    urls = bootstrap_database(
        admin_url, {s: secrets.token_urlsafe(16) for s in SERVICES}, role_prefix=prefix
    )
    apply_migrations(urls["intake"], migrations_dir("intake"))
    with psycopg.connect(urls["intake"]) as conn:
        seed_reference_data(db_session=conn)
    try:
        yield urls["intake"]
    finally:
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for service in SERVICES:
                conn.execute(f'DROP ROLE IF EXISTS "{prefix}_{service}"')


def _object(case: Case) -> dict[str, Any]:
    """A positive case's JSON object body (the commands' bodies are objects)."""
    assert isinstance(case.body, dict)
    return case.body


def _batch_items(target: Target) -> st.SearchStrategy[dict[str, Any]]:
    """Batch items drawn from the single commands' strategies, steered, with their kind."""
    assert target.facts is not None
    facts = target.facts
    receive = target.schema["/v1/dossiers"]["POST"].as_strategy()
    transition = target.schema["/v1/dossiers/{code}/events"]["POST"].as_strategy()

    @st.composite
    def item(draw: st.DrawFn) -> dict[str, Any]:
        if draw(st.booleans()):
            return {"kind": "receive", **_steer(_object(draw(receive)), facts, draw)}
        body = _object(draw(transition))
        code = draw(st.sampled_from(facts.dossiers))
        return {"kind": "transition", "dossier_code": code, **_steer(body, facts, draw)}

    return item()


def _operation_test(target: Target, operation: schemathesis.APIOperation) -> Callable[[], None]:
    """A Hypothesis test sending ``EXAMPLES`` generated requests, valid and invalid."""
    key = target.keys.get(operation.label, target.keys["*"])
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    strategy = st.one_of(positive, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    if target.facts is not None:
        strategy = st.one_of(strategy, _steered(positive, target.facts, _batch_items(target)))

    @settings(
        max_examples=EXAMPLES,
        derandomize=not RANDOM,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Case) -> None:
        case.call_and_validate(base_url=target.base_url, headers=auth(key), checks=CHECKS)

    return run


def _fuzz(target: Target) -> dict[str, str]:
    """Run every operation; the failures, by operation label (empty when all pass)."""
    failures: dict[str, str] = {}
    for result in target.schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        try:
            _operation_test(target, operation)()
        except (Exception, BaseExceptionGroup) as exc:  # run all; report every failure
            failures[operation.label] = f"{type(exc).__name__}: {exc}"
    return failures


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
    settings_ = IntakeSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=fuzz_intake_url,
        outbox_relay_enabled=False,  # nothing of the fuzz reaches the shared Kafka
        inbound_enabled=False,
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
        facts = Facts(units, procedures, dossiers)
        failures = _fuzz(Target(base_url, schema, keys, facts))
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_ratings_answers_every_generated_request_with_a_documented_non_5xx_status(
    infra: Infra, database: Database
) -> None:
    settings_ = RatingsSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=database.service_urls["ratings"],
    )
    with live_server(create_ratings(settings_)) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        failures = _fuzz(Target(base_url, schema, {"*": "mck_ratings-has-no-keys"}))
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
