"""Every reporting route, in every format, asked by a reader of one commune for a unit
outside its subtree (its sibling commune, its province, the root): 403, and none of the
foreign commune's dossier codes or officers anywhere in the answer. The same routes for
the reader's own commune answer, with its own codes: the sweep could see a leak."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import psycopg
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer
from motcua.web import TEXTS
from services.reporting.access import new_api_key
from services.reporting.exports import XLSX
from tests.conftest import Infra
from tests.integration.reporting.conftest import Log, Province, apply, reporting_at_now
from tests.services.reporting.events import ROOT, Dossier, at

PERIOD = "2026-11"
TABLES = ("summary", "units", "procedures", "fields", "series", "ranking", "officers", "dossiers")
FORMATS = ("json", "csv", "xlsx")
RELATIONS = ("sibling", "parent", "root")
READERS = ("officer", "api_key")


@dataclass(frozen=True)
class Tree:
    """A province of the module's own: the reader's commune and its sibling, each with a
    dossier handled by an officer of its own, finished late and rated."""

    province: Province
    own: Dossier
    foreign: Dossier
    own_officer: str
    foreign_officer: str
    api_key: str

    @property
    def reader_unit(self) -> str:
        return self.province.communes[1]

    def unit(self, relation: str) -> str:
        return {
            "own": self.reader_unit,
            "sibling": self.province.communes[0],
            "parent": self.province.code,
            "root": ROOT,
        }[relation]


@pytest.fixture(scope="module")
def tree(reporting_db: str) -> Tree:
    province = Province.new()
    suffix = uuid.uuid4().hex[:6]
    own, foreign = province.dossier(1), province.dossier(0)
    log = Log()
    for partition, (dossier, officer) in enumerate(
        ((own, f"can-bo-own-{suffix}"), (foreign, f"can-bo-foreign-{suffix}"))
    ):
        log.append(
            partition,
            dossier.received(),
            dossier.assigned(at(3, 10), officer),
            dossier.completed(at(13, 9)),
        )
        log.append(
            partition,
            dossier.rated(at(13, 10), "satisfied", scores={"processing_time": 2, "visits": 2}),
        )
    apply(reporting_db, log, log.records)
    with psycopg.connect(reporting_db) as conn:
        key = new_api_key(f"scoping-{suffix}", province.communes[1], db_session=conn)
    return Tree(province, own, foreign, f"can-bo-own-{suffix}", f"can-bo-foreign-{suffix}", key)


@pytest.fixture(scope="module")
def reports(
    infra: Infra, reporting_db: str, signer: tuple[TokenIssuer, Path]
) -> Iterator[TestClient]:
    with reporting_at_now(infra, reporting_db, signer[1]) as test_client:
        yield test_client


def as_reader(
    client: TestClient, signer: tuple[TokenIssuer, Path], tree: Tree, reader: str
) -> dict[str, str]:
    """Signs the client in as ``reader`` of the tree's commune; returns the headers to send."""
    client.cookies.clear()
    if reader == "api_key":
        return {"Authorization": f"Bearer {tree.api_key}"}
    officer = Officer(
        f"ld.{uuid.uuid4().hex[:6]}", "Lãnh đạo xã", tree.reader_unit, frozenset({Role.LEADER})
    )
    client.cookies.set(TOKEN_COOKIE, signer[0].issue(officer))
    return {}


def ask(client: TestClient, route: str, unit: str, headers: dict[str, str]) -> Response:
    """``route`` is ``table.format``, ``close`` (the API's) or ``page:…`` (the leaders'
    pages)."""
    if route == "close":
        return client.post(
            f"/v1/reports/periods/{PERIOD}/close", params={"unit": unit}, headers=headers
        )
    if route == "page:reports":
        return client.get("/reports", params={"unit": unit, "period": PERIOD}, headers=headers)
    if route == "page:dossiers":
        return client.get(
            "/reports/dossiers",
            params={"measure": "received", "unit": unit, "period": PERIOD},
            headers=headers,
        )
    if route == "page:close":
        return client.post("/reports/close", data={"unit": unit, "period": PERIOD}, headers=headers)
    table, fmt = route.split(".")
    params = {"unit": unit, "period": PERIOD}
    if table == "series":
        params["from"] = "2026-10"
    if table == "dossiers":
        params["measure"] = "received"
    path = f"/v1/reports/{table}" + ("" if fmt == "json" else f".{fmt}")
    return client.get(path, params=params, headers=headers)


def text_of(answer: Response) -> str:
    """Everything a person would read in the answer: an XLSX's every cell, else the body."""
    if answer.headers.get("content-type", "").startswith(XLSX):
        book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return answer.content.decode("utf-8-sig")


def closed_units(url: str) -> set[str]:
    """The units whose month was closed: a refused request closes none."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT unit_code FROM closed_periods WHERE period = %s", (PERIOD,))
        return {str(row[0]) for row in rows}


API_ROUTES = [f"{table}.{fmt}" for table in TABLES for fmt in FORMATS]
PAGES = ["page:reports", "page:dossiers", "page:close"]


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("route", [*API_ROUTES, "close"])
def test_an_api_route_refuses_a_unit_outside_the_reader_s_subtree(
    reports: TestClient,
    signer: tuple[TokenIssuer, Path],
    tree: Tree,
    reporting_db: str,
    route: str,
    reader: str,
    relation: str,
) -> None:
    unit = tree.unit(relation)
    answer, _ = _refused(reports, signer, tree, reporting_db, route, reader, unit)
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["status"] == 403
    assert problem["detail"] == f"{unit} is outside your unit's subtree"


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("route", PAGES)
def test_a_leaders_page_refuses_a_unit_outside_the_reader_s_subtree(
    reports: TestClient,
    signer: tuple[TokenIssuer, Path],
    tree: Tree,
    reporting_db: str,
    route: str,
    relation: str,
) -> None:
    unit = tree.unit(relation)
    answer, text = _refused(reports, signer, tree, reporting_db, route, "officer", unit)
    assert answer.headers["content-type"].startswith("text/html")
    assert TEXTS["reporting_outside"] in text


def _refused(
    reports: TestClient,
    signer: tuple[TokenIssuer, Path],
    tree: Tree,
    reporting_db: str,
    route: str,
    reader: str,
    unit: str,
) -> tuple[Response, str]:
    """``route`` asked by ``reader`` for ``unit``: 403, nothing of the foreign unit in the
    body (XLSX cells included), no month closed. The answer and its text, for the rest."""
    headers = as_reader(reports, signer, tree, reader)
    closed_before = closed_units(reporting_db)
    answer = ask(reports, route, unit, headers)
    text = text_of(answer)
    assert tree.foreign.code not in text
    assert tree.foreign_officer not in text
    assert answer.status_code == 403, text
    assert closed_units(reporting_db) == closed_before
    return answer, text


@pytest.mark.parametrize(
    ("route", "reader"),
    [(route, reader) for route in API_ROUTES for reader in READERS]
    + [("page:reports", "officer"), ("page:dossiers", "officer")],
)
def test_the_same_routes_answer_for_the_reader_s_own_unit_with_its_own_codes(
    reports: TestClient, signer: tuple[TokenIssuer, Path], tree: Tree, route: str, reader: str
) -> None:
    """The control: what the refusals are compared with. Where a route names dossiers or
    officers, the reader's own are there to be seen (so a foreign one would be too)."""
    headers = as_reader(reports, signer, tree, reader)

    answer = ask(reports, route, tree.unit("own"), headers)

    text = text_of(answer)
    assert answer.status_code == 200, text
    assert tree.foreign.code not in text
    assert tree.foreign_officer not in text
    if route.startswith(("dossiers.", "page:dossiers")):
        assert tree.own.code in text
    if route.startswith("officers."):
        assert tree.own_officer in text
