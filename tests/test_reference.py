"""The board's names from intake's catalogue: read over HTTP with deadlines' key, kept
through an outage (logged once), and looked up with no I/O. A small aiohttp server on the
loopback interface plays intake."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from motcua.reference import (
    IntakeReference,
    Names,
    Page,
    ProcedureRef,
    ReferenceUnavailable,
    StaticReference,
    UnitRef,
    procedure_name,
    procedures_of_field,
    unit_name,
)

KEY = "mk_deadlines_reference_test"
ROOT = "000.00.00.A00"
CITY = "000.00.00.H01"
WARD = "000.01.01.H01"
RETIRED = "000.00.00.H03"
UNITS: list[dict[str, Any]] = [
    {"code": ROOT, "parent_code": None, "name": "Cả nước", "level": "root", "path": [ROOT]},
    {
        "code": CITY,
        "parent_code": ROOT,
        "name": "Thành phố Hà Nội",
        "level": "province",
        "path": [ROOT, CITY],
    },
    {
        "code": WARD,
        "parent_code": CITY,
        "name": "Phường Hoàn Kiếm",
        "level": "commune",
        "address": "phường Hoàn Kiếm, Hà Nội",
        "head_title": "Trưởng Công an phường",
        "public_phone": "024 3942 1234",
        "path": [ROOT, CITY, WARD],
    },
    {
        "code": "000.00.00.H02",
        "parent_code": ROOT,
        "name": "Thành phố Hải Phòng",
        "level": "province",
        "path": [ROOT, "000.00.00.H02"],
    },
    {
        "code": RETIRED,
        "parent_code": ROOT,
        "name": "Tỉnh Hà Tây",
        "level": "province",
        "path": [ROOT, RETIRED],
        "successor": CITY,
        "retired_on": "2025-07-01",
    },
]
PAGE = 2
Headers = dict[str, str] | None
"""Intake's fake answers two units a page, so every test follows ``rel="next"``."""
PROCEDURES: list[dict[str, Any]] = [
    {"code": "1.004222", "name": "Đăng ký thường trú", "field": "residence", "version": 3},
    {"code": "1.004194", "name": "Đăng ký tạm trú", "field": "residence", "version": 1},
    {"code": "2.000889", "name": "Đăng ký khai sinh", "field": "civil_status", "version": 1},
]


class Intake:
    """Intake's two reference endpoints, with a switch to make them fail."""

    def __init__(self) -> None:
        self.status = 200
        self.procedures = list(PROCEDURES)
        self.requests = 0
        self.unit_queries: list[dict[str, str]] = []

    async def procedures_view(self, request: web.Request) -> web.Response:
        return self._answer(request, self.procedures)

    async def units_view(self, request: web.Request) -> web.Response:
        """Paged like intake: by code after ``after``, retired units only when asked."""
        query = dict(request.query)
        self.unit_queries.append(query)
        units = sorted(
            (u for u in UNITS if query.get("include_retired") == "true" or not u.get("retired_on")),
            key=lambda u: u["code"],
        )
        page = [u for u in units if u["code"] > query.get("after", "")][:PAGE]
        more = page and page[-1]["code"] != units[-1]["code"]
        link = f"</v1/units?after={page[-1]['code']}&limit={PAGE}&include_retired=true>"
        return self._answer(request, page, {"Link": f'{link}; rel="next"'} if more else {})

    def _answer(
        self,
        request: web.Request,
        body: list[dict[str, Any]],
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self.requests += 1
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return web.json_response({"title": "Unauthenticated"}, status=401)
        if self.status != 200:
            return web.json_response({"title": "Unavailable"}, status=self.status)
        return web.json_response(body, headers=headers)


async def _with_intake(scenario: Any) -> None:
    intake = Intake()
    app = web.Application()
    app.router.add_get("/v1/procedures", intake.procedures_view)
    app.router.add_get("/v1/units", intake.units_view)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        await scenario(intake, str(server.make_url("")), server)
    finally:
        await server.close()


def test_the_catalogue_is_read_with_deadlines_key_and_looked_up_from_memory() -> None:
    async def scenario(intake: Intake, url: str, _: TestServer) -> None:
        reference = IntakeReference(url, KEY)
        assert reference.procedure("1.004222") is None  # nothing before the first load
        assert await reference.refresh()
        assert reference.loaded
        assert reference.procedure("1.004222") == ProcedureRef(
            "1.004222", "Đăng ký thường trú", "residence"
        )
        assert [p.code for p in reference.procedures()] == ["1.004194", "1.004222", "2.000889"]
        assert reference.unit(WARD) == UnitRef(
            WARD,
            "Phường Hoàn Kiếm",
            (ROOT, CITY, WARD),
            level="commune",
            address="phường Hoàn Kiếm, Hà Nội",
            head_title="Trưởng Công an phường",
            public_phone="024 3942 1234",
        )
        assert [u.code for u in reference.units_within(CITY)] == [CITY, WARD]
        assert [u.code for u in reference.units_within(ROOT)] == [
            ROOT,
            CITY,
            "000.00.00.H02",
            RETIRED,
            WARD,
        ]
        assert reference.units_within("no-such-unit") == []
        assert procedures_of_field(reference, "residence") == ["1.004194", "1.004222"]
        assert procedure_name(reference, "2.000889") == "Đăng ký khai sinh"
        assert unit_name(reference, CITY) == "Thành phố Hà Nội"

        intake.procedures.append({"code": "9.000001", "name": "Mới", "field": "land"})
        assert await reference.refresh()  # a later refresh sees intake's changes
        assert procedure_name(reference, "9.000001") == "Mới"

    asyncio.run(_with_intake(scenario))


def test_an_outage_keeps_the_last_good_copy_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario(intake: Intake, url: str, server: TestServer) -> None:
        reference = IntakeReference(url, KEY, timeout_s=2)
        assert await reference.refresh()
        caplog.clear()
        intake.status = 503
        for _ in range(3):
            assert not await reference.refresh()
        await server.close()  # intake gone altogether: connection refused
        assert not await reference.refresh()
        assert procedure_name(reference, "1.004222") == "Đăng ký thường trú"
        assert [u.code for u in reference.units_within(CITY)] == [CITY, WARD]
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "unavailable" in warnings[0].getMessage()

    with caplog.at_level(logging.INFO, logger="motcua.reference"):
        asyncio.run(_with_intake(scenario))


def test_recovery_after_an_outage_is_logged_and_a_new_outage_logged_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario(intake: Intake, url: str, _: TestServer) -> None:
        reference = IntakeReference(url, KEY)
        intake.status = 500
        assert not await reference.refresh()
        assert not reference.loaded
        assert procedure_name(reference, "1.004222") == "1.004222"  # codes until a copy
        assert unit_name(reference, WARD) == WARD
        assert procedures_of_field(reference, "residence") == []
        intake.status = 200
        assert await reference.refresh()
        intake.status = 502
        assert not await reference.refresh()

    with caplog.at_level(logging.INFO, logger="motcua.reference"):
        asyncio.run(_with_intake(scenario))
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.WARNING, logging.INFO, logging.WARNING]


def test_a_wrong_key_or_a_body_that_makes_no_sense_is_an_outage_too() -> None:
    async def scenario(intake: Intake, url: str, _: TestServer) -> None:
        assert not await IntakeReference(url, "mk_someone_else").refresh()
        assert not await IntakeReference(url, "").refresh()  # INTAKE_API_KEY unset
        reference = IntakeReference(url, KEY)
        assert await reference.refresh()
        intake.procedures = [{"code": "1.004222"}]  # no name, no field
        assert not await reference.refresh()
        assert procedure_name(reference, "1.004222") == "Đăng ký thường trú"

    asyncio.run(_with_intake(scenario))


def test_an_injected_fetch_replaces_http_and_run_refreshes_until_cancelled() -> None:
    calls: list[str] = []

    async def fetch(path: str) -> Page:
        calls.append(path)
        return Page(PROCEDURES if path == "/v1/procedures" else UNITS)

    async def scenario() -> None:
        reference = IntakeReference("http://intake.invalid", "", fetch=fetch)
        task = asyncio.create_task(reference.run(0.01))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert reference.loaded
        assert procedure_name(reference, "1.004194") == "Đăng ký tạm trú"

    asyncio.run(scenario())
    assert calls[:2] == ["/v1/procedures", "/v1/units?include_retired=true&limit=5000"]
    assert len(calls) >= 4  # refreshed, not loaded once


def test_a_failed_first_load_is_tried_again_soon_not_after_the_whole_interval() -> None:
    answers = iter([ReferenceUnavailable("intake is still starting")])

    async def fetch(path: str) -> Page:
        failure = next(answers, None)
        if failure is not None:
            raise failure
        return Page(PROCEDURES if path == "/v1/procedures" else UNITS)

    async def scenario() -> None:
        reference = IntakeReference("http://intake.invalid", "", fetch=fetch)
        task = asyncio.create_task(reference.run(3600, retry_s=0.01))
        for _ in range(100):
            if reference.loaded:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert reference.loaded, "the first failure made run wait for the whole interval"
        assert procedure_name(reference, "1.004194") == "Đăng ký tạm trú"

    asyncio.run(scenario())


def test_a_static_reference_answers_like_the_real_one() -> None:
    reference = StaticReference(
        [ProcedureRef("1.004222", "Đăng ký thường trú", "residence")],
        [UnitRef(u["code"], u["name"], tuple(u["path"])) for u in UNITS],
    )
    assert [u.code for u in reference.units_within(CITY)] == [CITY, WARD]
    assert procedures_of_field(reference, "residence") == ["1.004222"]
    assert StaticReference().procedures() == []


def test_a_retired_unit_is_named_with_the_day_it_stopped_and_one_in_service_plainly() -> None:
    old = UnitRef(
        "000.01.99.H01",
        "Công an phường Phúc Xá",
        (ROOT, CITY, "000.01.99.H01"),
        successor=WARD,
        retired_on=date(2025, 7, 1),
    )
    names = Names(
        StaticReference(units=[old, UnitRef(WARD, "Công an phường Hồng Hà", (ROOT, WARD))])
    )
    assert names.unit_of_record(old.code) == "Công an phường Phúc Xá (trước 01/07/2025)"
    assert names.unit_of_record(WARD) == "Công an phường Hồng Hà"
    assert names.unit_of_record("000.99.99.H99") == "000.99.99.H99"


def test_every_page_of_units_is_followed_retired_units_with_their_successor() -> None:
    async def scenario(intake: Intake, url: str, _: TestServer) -> None:
        reference = IntakeReference(url, KEY)
        assert await reference.refresh()
        assert [q.get("after") for q in intake.unit_queries] == [None, CITY, RETIRED]
        assert intake.unit_queries[0] == {"include_retired": "true", "limit": "5000"}
        assert {u["code"] for u in UNITS} == {u.code for u in reference.units_within(ROOT)}
        retired = reference.unit(RETIRED)
        assert retired is not None
        assert (retired.successor, retired.retired_on) == (CITY, date(2025, 7, 1))
        ward = reference.unit(WARD)
        assert ward is not None
        assert (ward.successor, ward.retired_on) == (None, None)

    asyncio.run(_with_intake(scenario))


def test_a_next_link_that_goes_round_in_a_circle_is_an_outage() -> None:
    async def fetch(path: str) -> Page:
        if path == "/v1/procedures":
            return Page(PROCEDURES)
        return Page(UNITS[:1], next="/v1/units?after=000.00.00.A00")

    async def scenario() -> None:
        reference = IntakeReference("http://intake.invalid", "", fetch=fetch)
        assert not await reference.refresh()
        assert not reference.loaded

    asyncio.run(scenario())
