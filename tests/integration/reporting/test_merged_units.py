"""Units that merged, and history imported: a retired commune's old dossiers roll up to its
final successor in the reports (``tree=today``) and stay under the old unit as the tree was
(``tree=then``); history lands in the month it happened, and a month already closed keeps
its frozen figures with the import shown as a correction. Through the real consumer,
Kafka and PostgreSQL."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from motcua.contracts import History
from motcua.identity import Role, TokenIssuer
from services.reporting.figures import GroupBy, Scope, count
from services.reporting.intake import IntakeApi, refresh_catalogue
from services.reporting.periods import Period
from tests.conftest import Infra
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import (
    NOW,
    Province,
    Topics,
    consumer_for,
    consuming,
    sign_in,
    stored_offsets,
)
from tests.services.reporting.events import ROOT, Dossier, at


@dataclass(frozen=True)
class Catalogue(IntakeApi):
    """Intake's GET /v1/units (retired units included, with their successor) as given."""

    given: tuple[dict[str, Any], ...] = ()

    def units(self) -> list[dict[str, Any]]:
        return list(self.given)

    def procedures(self) -> list[dict[str, Any]]:
        return []


def _unit(path: tuple[str, ...], successor: str | None = None) -> dict[str, Any]:
    return {
        "code": path[-1],
        "name": f"Công an {path[-1]}",
        "path": list(path),
        "successor": successor,
        "retired_on": "2025-07-01" if successor else None,
    }


def _merged_tree(province: Province) -> tuple[str, str]:
    """Two communes of the province retired in a chain: ``first`` into ``old``, ``old``
    into the province's first commune. Returns (first, old)."""
    prefix = province.communes[0].split(".", 1)[0]
    return f"{prefix}.01.98.T01", f"{prefix}.01.99.T01"


def _merged_units(province: Province) -> list[dict[str, Any]]:
    """Intake's units for :func:`_merged_tree`: the province, its first two communes, and
    the two retired ones, ``old`` succeeded by the first commune and ``first`` by ``old``."""
    first, old = _merged_tree(province)
    base = (ROOT, province.code)
    return [
        _unit(base),
        _unit((*base, province.communes[0])),
        _unit((*base, province.communes[1])),
        _unit((*base, old), province.communes[0]),
        _unit((*base, first), old),
    ]


def _consume(infra: Infra, reporting_db: str, topics: Topics, events: list[Any]) -> None:
    topics.publish(events)
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == len(events), what="stored")


def _refresh(reporting_db: str, units: list[dict[str, Any]]) -> None:
    with psycopg.connect(reporting_db, autocommit=True) as conn, conn.transaction():
        refresh_catalogue(
            Catalogue("http://intake.invalid", "-", given=tuple(units)), db_session=conn
        )


def _received(client: TestClient, unit: str, tree: str | None = None) -> Any:
    params = {"unit": unit, "period": "2026-11", **({"tree": tree} if tree else {})}
    answer = client.get("/v1/reports/summary", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_merged_communes_old_dossiers_roll_up_to_its_successor(
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
) -> None:
    first, old = _merged_tree(province)
    successor = province.communes[0]
    base = (ROOT, province.code)
    olds = [Dossier(unit_path=(*base, old), history=History.CLOSED) for _ in range(2)]
    older = Dossier(unit_path=(*base, first), history=History.CLOSED)
    today = province.dossier()
    events = [d.received() for d in (*olds, older, today)]
    events += [d.completed(at(5, 9)) for d in (*olds, older)]
    _consume(infra, reporting_db, topics, events)
    _refresh(reporting_db, _merged_units(province))
    sign_in(client, signer, province.code, Role.LEADER)

    rolled = _received(client, successor)
    assert rolled["tree"] == "today"
    assert rolled["counts"]["received"] == 4
    assert rolled["counts"]["finished"] == 3
    assert _received(client, successor, "then")["counts"]["received"] == 1
    assert _received(client, old, "then")["counts"]["received"] == 2
    assert _received(client, old, "today")["counts"]["received"] == 0
    assert _received(client, province.code, "then")["counts"]["received"] == 4

    def drill(tree: str) -> dict[str, int]:
        answer = client.get(
            "/v1/reports/units", params={"unit": province.code, "period": "2026-11", "tree": tree}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["tree"] == tree
        return {r["key"]: r["counts"]["received"] for r in answer.json()["rows"]}

    assert drill("today") == {successor: 4}
    assert drill("then") == {successor: 1, old: 2, first: 1}

    ranked = client.get(
        "/v1/reports/ranking", params={"unit": province.code, "period": "2026-11"}
    ).json()
    assert [r["key"] for r in ranked["rows"]] == [successor]
    assert ranked["tree"] == "today"

    def behind(tree: str) -> set[str]:
        params = {"unit": successor, "period": "2026-11", "measure": "received", "tree": tree}
        answer = client.get("/v1/reports/dossiers", params=params)
        assert answer.status_code == 200, answer.text
        return set(answer.json()["dossier_codes"])

    assert behind("today") == {d.code for d in (*olds, older, today)}
    assert behind("then") == {today.code}
    export = client.get(
        "/v1/reports/dossiers.csv",
        params={"unit": successor, "period": "2026-11", "measure": "received"},
    )
    assert export.status_code == 200, export.text
    assert olds[0].code in export.content.decode("utf-8-sig")
    assert older.code in export.content.decode("utf-8-sig")

    summary_csv = client.get("/v1/reports/summary.csv", params={"unit": successor})
    rows = dict(csv.reader(io.StringIO(summary_csv.content.decode("utf-8-sig"))))
    assert rows["Cách tính theo đơn vị"] == "Theo đơn vị hiện nay (đã gộp đơn vị sáp nhập)"
    page = client.get("/reports", params={"unit": successor, "period": "2026-11"})
    assert "Theo đơn vị hiện nay (đã gộp đơn vị sáp nhập)" in page.text
    then_page = client.get("/reports", params={"unit": old, "period": "2026-11", "tree": "then"})
    assert then_page.status_code == 200, then_page.text
    assert 'id="tree-reading">Theo đơn vị tại thời điểm tiếp nhận<' in then_page.text
    # The unit picker offers today's units today, and the retired ones only as the tree was,
    # each saying until when it served.
    assert f'value="{old}"' not in page.text
    assert f'value="{old}"' in then_page.text
    assert f"Công an {old} (trước 01/07/2025)" in then_page.text


def test_the_province_label_is_todays_province(
    infra: Infra, reporting_db: str, topics: Topics, province: Province
) -> None:
    """A retired province's communes are gauged under the province that took it over."""
    retired = Province.new()
    gone = Dossier(unit_path=retired.path(), history=History.CLOSED)
    _consume(infra, reporting_db, topics, [gone.received()])
    _refresh(
        reporting_db,
        [
            _unit((ROOT, province.code)),
            _unit(province.path()),
            _unit((ROOT, retired.code), province.code),
            _unit(retired.path(), province.communes[0]),
        ],
    )
    with psycopg.connect(reporting_db) as conn:
        groups = count(
            Scope(ROOT, 1),
            Period.parse("2026-11"),
            now=NOW,
            group_by=GroupBy.PROVINCE_FIELD,
            db_session=conn,
        )
    provinces = {key.split("|")[0] for key in groups}
    assert province.code in provinces
    assert retired.code not in provinces


def test_history_of_a_closed_month_stays_a_correction_beside_the_frozen_figures(
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
) -> None:
    """History counts in the month it happened, not the day it was imported; in a month
    already closed the published figures stay and the import shows as a correction."""
    _consume(infra, reporting_db, topics, [province.dossier().received()])
    sign_in(client, signer, province.code, Role.LEADER)
    closing = client.post("/v1/reports/periods/2026-11/close", params={"unit": province.code})
    assert closing.status_code == 201, closing.text

    imported = province.dossier(received_at=at(20, 9), due_at=at(27, 9), history=History.CLOSED)
    topics.publish([imported.received(), imported.completed(at(26, 9))])
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == 3, what="history stored")

    november = _received(client, province.code)
    closed = november["closed"]
    assert closed["frozen"]["counts"]["received"] == 1
    assert closed["corrections"]["received"] == {"frozen": 1, "now": 2, "difference": 1}
    assert closed["corrections"]["finished"]["difference"] == 1
    december = client.get("/v1/reports/summary", params={"unit": province.code})
    assert december.json()["period"] == "2026-12"
    assert december.json()["counts"]["received"] == 0
    assert december.json()["counts"]["finished"] == 0
