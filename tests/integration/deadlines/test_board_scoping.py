"""Subtree scoping on every board route, over HTTP against the real worker: an officer of
one commune asks for a sibling commune and for the province above (an ancestor), by unit
and by dossier, and gets the refusal the route gives, with no foreign dossier in the body.
Each refusal is set beside the same request from the province's officer, who is shown the
dossier: the refusal is the scope's, not a route that shows nothing to anyone."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import psycopg
import pytest

from services.deadlines.officers import register_officer
from tests.conftest import Database
from tests.integration.conftest import Systems, auth, receive_command
from tests.integration.deadlines.conftest import (
    PASSWORD,
    Platform,
    board_json,
    officer_client,
    wait_for_item,
)

CONTROL = "truc.hanoi"
"""The province's officer: the ancestor unit's own, who sees both communes."""


@dataclass(frozen=True)
class Dossier:
    id: str
    code: str
    unit: str


@dataclass(frozen=True)
class Scene:
    officer: str
    """Signs in at ``commune``, below ``ancestor``, beside ``sibling``."""
    commune: str
    sibling: str
    ancestor: str
    own: Dossier
    on_board: dict[str, Dossier]
    """By relation (sibling, ancestor): a foreign dossier on the board, its letter a draft."""
    issued: dict[str, Dossier]
    """By relation: a foreign dossier whose letter the province's officer issued (a PDF)."""

    @property
    def foreign(self) -> list[Dossier]:
        return [*self.on_board.values(), *self.issued.values()]


def _receive(platform: Platform, systems: Systems, unit: str) -> Dossier:
    """A dossier received in 2025 at ``unit``: long overdue, so on the board at once."""
    received = httpx.post(
        f"{platform.intake}/v1/dossiers",
        json=receive_command(unit),
        headers=auth(systems.hanoi),
        timeout=20,
    )
    assert received.status_code == 201, received.text
    body = received.json()
    return Dossier(str(body["dossier_id"]), str(body["dossier_code"]), unit)


def _reference_knows(client: httpx.Client, dossier: Dossier) -> None:
    """Wait until the worker's reference data names the dossier's unit: only then does it
    know the unit tree, and refuse a unit outside the subtree rather than narrow to none."""
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if any(item["unit_name"] for item in board_json(client, dossier.code)):
            return
        time.sleep(0.3)
    pytest.fail(f"the board never named the unit {dossier.unit}")


@pytest.fixture(scope="module")
def scene(platform: Platform, systems: Systems, intake_url: str, database: Database) -> Scene:
    commune = systems.hanoi_commune
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT u.parent_code, s.code FROM units u JOIN units s "
            "ON s.parent_code = u.parent_code AND s.code <> u.code AND s.level = u.level "
            "WHERE u.code = %s ORDER BY s.code LIMIT 1",
            (commune,),
        ).fetchone()
    assert row, f"the seed has no sibling of {commune}"
    ancestor, sibling = str(row[0]), str(row[1])
    assert ancestor == systems.hanoi_province, "the control officer must sit at the ancestor"
    username = f"truc.{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        register_officer(username, "Trực ban phường", commune, PASSWORD, db_session=conn)

    own = _receive(platform, systems, commune)
    units = {"sibling": sibling, "ancestor": ancestor}
    on_board = {relation: _receive(platform, systems, unit) for relation, unit in units.items()}
    issued = {relation: _receive(platform, systems, unit) for relation, unit in units.items()}
    control = officer_client(platform, CONTROL)
    for dossier in (own, *on_board.values(), *issued.values()):
        wait_for_item(control, dossier.code, dossier_id=dossier.id, letter_status="draft")
    for dossier in issued.values():
        answer = control.post(
            f"/board/dossiers/{dossier.id}/letter",
            data={"reason": "Chờ xác minh của cơ quan khác", "extension_working_days": "3"},
        )
        assert answer.status_code == 303, answer.text
    _reference_knows(officer_client(platform, username), own)
    return Scene(username, commune, sibling, ancestor, own, on_board, issued)


def _shows_json(body: str, dossier: Dossier) -> bool:
    return any(item["dossier_id"] == dossier.id for item in json.loads(body)["items"])


def _shows_html(body: str, dossier: Dossier) -> bool:
    return f'data-dossier="{dossier.id}"' in body


def _shows_csv(body: str, dossier: Dossier) -> bool:
    return any(row and row[0] == dossier.code for row in csv.reader(io.StringIO(body)))


def _refused_json(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 403
    assert [error["field"] for error in response.json()["errors"]] == ["unit"]


def _refused_form(response: httpx.Response) -> None:
    """The board page again, the unit field marked (what the CSV export answers too)."""
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="error-unit"' in response.text


def _refused_rows(response: httpx.Response) -> None:
    assert response.text == ""


@dataclass(frozen=True)
class Listing:
    path: str
    shows: Callable[[str, Dossier], bool]
    refused: Callable[[httpx.Response], None]


LISTINGS = {
    "json": Listing("/v1/board", _shows_json, _refused_json),
    "page": Listing("/board", _shows_html, _refused_form),
    "rows": Listing("/board/rows", _shows_html, _refused_rows),
    "csv": Listing("/board/export.csv", _shows_csv, _refused_form),
}


def _text(response: httpx.Response) -> str:
    return response.content.decode("utf-8-sig")


def _no_foreign_dossier(scene: Scene, body: str, echoes: dict[str, int]) -> None:
    """No foreign dossier in ``body``: its id never, its code only where the page repeats
    the officer's own query back (``echoes``, counted on a code no dossier has)."""
    for dossier in scene.foreign:
        assert dossier.id not in body, f"{dossier} in the body"
        assert body.count(dossier.code) == echoes.get(dossier.code, 0), f"{dossier} in the body"


def _echoes(client: httpx.Client, path: str, params: dict[str, str], code: str) -> dict[str, int]:
    """How often the route repeats ``params``' dossier code: the same request with a code
    no dossier has, counted in its answer."""
    if "dossier_code" not in params:
        return {}
    nobody = f"{code[:-4]}{uuid.uuid4().int % 10000:04d}-x"
    probe = client.get(path, params={**params, "dossier_code": nobody})
    return {code: _text(probe).count(nobody)}


@pytest.mark.parametrize("relation", ["sibling", "ancestor"])
@pytest.mark.parametrize("route", list(LISTINGS))
def test_a_unit_outside_the_officers_subtree_is_refused_on_every_listing(
    platform: Platform, scene: Scene, route: str, relation: str
) -> None:
    listing = LISTINGS[route]
    target = scene.on_board[relation]
    unit = scene.sibling if relation == "sibling" else scene.ancestor
    # Narrowed to the dossier too, so the control's answer holds it whatever else is late.
    params = {"unit": unit, "dossier_code": target.code}

    control = officer_client(platform, CONTROL).get(listing.path, params=params)
    assert control.status_code == 200, control.text
    assert listing.shows(_text(control), target)

    client = officer_client(platform, scene.officer)
    answer = client.get(listing.path, params=params)
    assert answer.status_code == 403, answer.text
    listing.refused(answer)
    _no_foreign_dossier(scene, _text(answer), _echoes(client, listing.path, params, target.code))


@pytest.mark.parametrize("relation", ["sibling", "ancestor"])
@pytest.mark.parametrize("route", list(LISTINGS))
def test_a_foreign_dossier_code_finds_nothing_on_every_listing(
    platform: Platform, scene: Scene, route: str, relation: str
) -> None:
    """A dossier code is a filter within the officer's own board, not a unit to refuse:
    asked for a foreign one, the listing answers as for a code that does not exist."""
    listing = LISTINGS[route]
    target = scene.on_board[relation]
    params = {"dossier_code": target.code}

    control = officer_client(platform, CONTROL).get(listing.path, params=params)
    assert control.status_code == 200, control.text
    assert listing.shows(_text(control), target)

    client = officer_client(platform, scene.officer)
    answer = client.get(listing.path, params=params)
    assert answer.status_code == 200, answer.text
    assert not listing.shows(_text(answer), target)
    _no_foreign_dossier(scene, _text(answer), _echoes(client, listing.path, params, target.code))


@pytest.mark.parametrize("route", list(LISTINGS))
def test_the_officer_is_shown_their_own_commune_on_every_listing(
    platform: Platform, scene: Scene, route: str
) -> None:
    """The refusals above are the scope's: the same officer, the same routes, their own
    unit and dossier."""
    listing = LISTINGS[route]
    client = officer_client(platform, scene.officer)
    params = {"unit": scene.commune, "dossier_code": scene.own.code}
    answer = client.get(listing.path, params=params)
    assert answer.status_code == 200, answer.text
    assert listing.shows(_text(answer), scene.own)


def _letter_status(platform: Platform, dossier: Dossier) -> tuple[str | None, str | None]:
    """(letter status, acknowledged by) on the province officer's board."""
    [item] = [
        item
        for item in board_json(officer_client(platform, CONTROL), dossier.code)
        if item["dossier_id"] == dossier.id
    ]
    return item["letter_status"], item["acknowledged_by"]


@dataclass(frozen=True)
class DossierRoute:
    method: str
    path: str
    issued: bool
    """Tried on a dossier whose letter was issued (a PDF to fetch), else on a draft."""
    data: dict[str, str] | None = None


DOSSIER_ROUTES = {
    "letter form": DossierRoute("GET", "/board/dossiers/{id}/letter", issued=False),
    "issue letter": DossierRoute(
        "POST",
        "/board/dossiers/{id}/letter",
        issued=False,
        data={"reason": "Chờ xác minh", "extension_working_days": "3"},
    ),
    "letter pdf": DossierRoute("GET", "/board/dossiers/{id}/letter.pdf", issued=True),
    "pdf version": DossierRoute("GET", "/board/dossiers/{id}/letter.pdf?version=1", issued=True),
    "acknowledge": DossierRoute("POST", "/board/dossiers/{id}/ack", issued=False, data={}),
}


@pytest.mark.parametrize("relation", ["sibling", "ancestor"])
@pytest.mark.parametrize("route", list(DOSSIER_ROUTES))
def test_a_foreign_dossier_is_not_found_on_every_dossier_route(
    platform: Platform, scene: Scene, route: str, relation: str
) -> None:
    spec = DOSSIER_ROUTES[route]
    target = (scene.issued if spec.issued else scene.on_board)[relation]
    url = spec.path.format(id=target.id)
    before = _letter_status(platform, target) if not spec.issued else None

    client = officer_client(platform, scene.officer)
    answer = client.request(spec.method, url, data=spec.data)
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    _no_foreign_dossier(scene, answer.text, {})
    if before is not None:
        assert _letter_status(platform, target) == before == ("draft", None)

    if spec.method == "GET":  # the same page is there for the officer above
        control = officer_client(platform, CONTROL).get(url)
        assert control.status_code == 200, control.text
        if spec.issued:
            assert control.headers["content-type"] == "application/pdf"
        else:
            assert target.code in control.text


def test_the_officer_acts_on_their_own_dossier(platform: Platform, scene: Scene) -> None:
    """The not-founds above are the scope's: the same officer opens and acknowledges their
    own commune's dossier through the same routes."""
    client = officer_client(platform, scene.officer)
    form = client.get(f"/board/dossiers/{scene.own.id}/letter")
    assert form.status_code == 200, form.text
    assert scene.own.code in form.text
    acknowledged = client.post(f"/board/dossiers/{scene.own.id}/ack", data={})
    assert acknowledged.status_code == 303, acknowledged.text
    assert _letter_status(platform, scene.own) == ("draft", scene.officer)
