"""The demo's desks over the real tree: each province's desk reads its key's units page
after page (``Link: rel="next"``), or in one answer from an intake that does not page, and
files only at the communes in service, each with its address."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import httpx

from tests.scripts import load_script

PROVINCE = {"code": "000.00.00.H31", "level": "province", "name": "Công an thành phố Hải Phòng"}
CURRENT = {
    "code": "105.10.00.H31",
    "level": "commune",
    "name": "Công an phường Thành Đông",
    "address": "Phường Thành Đông, Thành phố Hải Phòng",
}
RETIRED = {
    "code": "107.20.99.H30",
    "level": "commune",
    "name": "Công an phường Cẩm Thượng",
    "successor": "105.10.00.H31",
    "retired_on": "2025-07-01",
}
LATER = {"code": "118.40.00.H31", "level": "commune", "name": "Công an xã Kiến Thụy"}


def _demo() -> ModuleType:
    return load_script("deploy/local/demo_traffic.py")


def _desk(pages: dict[str, tuple[list[dict[str, Any]], str | None]]) -> tuple[Any, list[str]]:
    """A desk whose intake answers ``pages`` (keyed by the request's path and query)."""
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode()
        asked.append(target)
        assert request.headers["Authorization"] == "Bearer mck_demo"
        body, after = pages[target]
        headers = {"Link": f'<{after}>; rel="next"'} if after else {}
        return httpx.Response(200, json=body, headers=headers)

    desk = _demo().Desk("http://intake.test", "mck_demo")
    desk.client = httpx.Client(
        base_url="http://intake.test",
        headers=desk.client.headers,
        transport=httpx.MockTransport(answer),
    )
    return desk, asked


def test_the_desk_follows_the_next_link_and_files_at_communes_in_service() -> None:
    second = "/v1/units?after=105.10.00.H31&limit=3"
    desk, asked = _desk(
        {
            "/v1/units?include_retired=false": (
                [PROVINCE, {**CURRENT, "successor": None, "retired_on": None}],
                second,
            ),
            second: ([{**LATER, "retired_on": None}, RETIRED], None),
        }
    )
    desk.load_communes()
    assert asked == ["/v1/units?include_retired=false", second]
    assert desk.communes == {
        CURRENT["code"]: "Phường Thành Đông, Thành phố Hải Phòng",
        LATER["code"]: "xã Kiến Thụy",
    }


def test_an_intake_that_does_not_page_answers_once() -> None:
    desk, asked = _desk({"/v1/units?include_retired=false": ([PROVINCE, CURRENT], None)})
    desk.load_communes()
    assert asked == ["/v1/units?include_retired=false"]
    assert list(desk.communes) == [CURRENT["code"]]
