"""The board's pages over HTTP against the real worker: the CSV export, refused filters
(HTML and JSON), paging links that keep the filter, and the static files."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.integration.conftest import Systems, auth, receive_command
from tests.integration.deadlines.conftest import Platform, officer_client, wait_for_item


def _late_dossier(platform: Platform, systems: Systems, client: httpx.Client) -> str:
    received = httpx.post(
        f"{platform.intake}/v1/dossiers",
        json=receive_command(systems.hanoi_commune),
        headers=auth(systems.hanoi),
        timeout=20,
    )
    assert received.status_code == 201, received.text
    code, dossier_id = str(received.json()["dossier_code"]), received.json()["dossier_id"]
    # By id too: a code is only unique within one intake, and the topic is shared.
    wait_for_item(client, code, dossier_id=dossier_id, status="overdue", letter_status="draft")
    return code


def _link(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}" href="([^"]+)"', html)
    assert found, f"no #{element_id} in the page"
    return unescape(found.group(1))


def test_the_csv_has_a_bom_vietnamese_headers_and_the_filtered_rows(
    platform: Platform, systems: Systems
) -> None:
    hanoi = officer_client(platform, "truc.hanoi")
    code = _late_dossier(platform, systems, hanoi)

    response = hanoi.get("/board/export.csv", params={"status": "overdue", "dossier_code": code})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="bang-theo-doi-\d{2}-\d{2}-\d{4}\.csv"',
        response.headers["content-disposition"],
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã hồ sơ", "Mã thủ tục", "Thủ tục"]
    assert "Hạn gửi phiếu xin lỗi" in rows[0]
    [row] = rows[1:]
    record = dict(zip(rows[0], row, strict=True))
    assert record["Mã hồ sơ"] == code
    assert record["Tình trạng"] == "Quá hạn"
    assert record["Phiếu xin lỗi"] == "Chưa ban hành"
    assert re.fullmatch(r"\d{2}:\d{2} \d{2}/\d{2}/\d{4}", record["Hẹn trả"])

    due_soon = hanoi.get("/board/export.csv", params={"status": "due_soon", "dossier_code": code})
    assert due_soon.status_code == 200
    assert code not in due_soon.content.decode("utf-8-sig")

    haiphong = officer_client(platform, "truc.haiphong")
    theirs = haiphong.get("/board/export.csv", params={"dossier_code": code})
    assert code not in theirs.content.decode("utf-8-sig")


def test_a_bad_filter_is_a_422_naming_the_field(platform: Platform) -> None:
    hanoi = officer_client(platform, "truc.hanoi")
    page = hanoi.get("/board", params={"status": "later", "procedure": "1.004222"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="error-status"' in page.text
    assert 'aria-invalid="true"' in page.text
    assert "Chọn một trạng thái trong danh sách." in page.text
    assert 'value="1.004222"' in page.text  # the form keeps what the officer sent

    api = hanoi.get("/v1/board", params={"limit": "0"})
    assert api.status_code == 422
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["errors"][0]["field"] == "limit"
    assert hanoi.get("/v1/board", params={"cursor": "bm90IGEgY3Vyc29y"}).status_code == 422
    assert hanoi.get("/board/export.csv", params={"field": "weather"}).status_code == 422


def test_paging_links_keep_the_filter(platform: Platform, systems: Systems) -> None:
    hanoi = officer_client(platform, "truc.hanoi")
    _late_dossier(platform, systems, hanoi)
    _late_dossier(platform, systems, hanoi)

    first = hanoi.get("/board", params={"status": "overdue", "letter": "to_issue", "limit": "1"})
    assert first.status_code == 200, first.text
    next_url = _link(first.text, "next-page")
    params = parse_qs(urlsplit(next_url).query)
    assert params["status"] == ["overdue"]
    assert params["letter"] == ["to_issue"]
    assert params["limit"] == ["1"]
    assert params["cursor"]
    assert parse_qs(urlsplit(_link(first.text, "export")).query) == {
        "status": ["overdue"],
        "letter": ["to_issue"],
    }

    second = hanoi.get(next_url)
    assert second.status_code == 200, second.text
    code_cell = r'<td data-label="Mã hồ sơ" class="code">([0-9.A-Z]+-\d{6}-\d{4})</td>'
    codes = [re.findall(code_cell, p.text) for p in (first, second)]
    assert len(codes[0]) == len(codes[1]) == 1
    assert codes[0] != codes[1]
    back = parse_qs(urlsplit(_link(second.text, "first-page")).query)
    assert back == {"status": ["overdue"], "letter": ["to_issue"], "limit": ["1"]}
    previous = parse_qs(urlsplit(_link(second.text, "previous-page")).query)
    assert previous == back  # page 2's previous page is the first
    assert 'aria-current="page"' in second.text

    api = hanoi.get("/v1/board", params={"status": "overdue", "limit": "1"}).json()
    assert len(api["items"]) == 1
    assert api["next_cursor"]
    assert set(api["counts"]) == {
        "due_soon",
        "overdue",
        "letters_to_issue",
        "letters_undelivered",
        "total",
    }
    after = hanoi.get(
        "/v1/board", params={"status": "overdue", "limit": "1", "cursor": api["next_cursor"]}
    ).json()
    assert after["items"][0]["dossier_id"] != api["items"][0]["dossier_id"]


def test_the_stylesheet_and_script_are_served_with_a_cache_header(platform: Platform) -> None:
    login = httpx.get(f"{platform.deadlines}/board/login", timeout=10).text
    css_url = re.search(r'href="(/static/motcua\.css\?v=[0-9a-f]+)"', login)
    assert css_url, login
    versioned = httpx.get(f"{platform.deadlines}{css_url.group(1)}", timeout=10)
    assert versioned.status_code == 200
    assert versioned.headers["content-type"].startswith("text/css")
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = httpx.get(f"{platform.deadlines}/static/board.js", timeout=10)
    assert plain.status_code == 200
    assert plain.headers["cache-control"] == "public, max-age=300"
    again = httpx.get(
        f"{platform.deadlines}/static/board.js",
        headers={"If-None-Match": plain.headers["etag"]},
        timeout=10,
    )
    assert again.status_code == 304
    assert httpx.get(f"{platform.deadlines}/static/..%2Fapp.py", timeout=10).status_code == 404


def _dossier_id(client: httpx.Client, code: str) -> str:
    [item] = client.get("/v1/board", params={"dossier_code": code}).json()["items"]
    return str(item["dossier_id"])


def test_the_letter_form_previews_without_issuing_and_the_issued_letter_is_listed(
    platform: Platform, systems: Systems
) -> None:
    hanoi = officer_client(platform, "truc.hanoi")
    code = _late_dossier(platform, systems, hanoi)
    dossier_id = _dossier_id(hanoi, code)
    letter = f"/board/dossiers/{dossier_id}/letter"
    back = "?status=overdue&letter=to_issue"

    form = hanoi.get(letter, params={"back": back})
    assert "Người nộp hồ sơ: <b>Nguyễn Thị Minh Khai</b>" in form.text
    assert 'href="/board?status=overdue&amp;letter=to_issue"' in form.text
    preview = hanoi.post(
        letter, data={"action": "preview", "extension_working_days": "2", "back": back}
    )
    assert preview.status_code == 200, preview.text
    assert "gia hạn 2 ngày làm việc, ngày hẹn mới là <b>" in preview.text
    wait_for_item(hanoi, code, dossier_id=dossier_id, letter_status="draft")  # not issued
    refused = hanoi.post(letter, data={"action": "preview", "extension_working_days": "99"})
    assert refused.status_code == 422
    assert 'id="error-extension_working_days"' in refused.text

    issued = hanoi.post(
        letter,
        data={"reason": "Chờ xác minh", "extension_working_days": "2", "back": back},
        follow_redirects=False,
    )
    assert issued.status_code == 303
    assert parse_qs(urlsplit(issued.headers["location"]).query) == {"back": [back]}

    listed = hanoi.get("/board/letters")
    assert listed.status_code == 200
    assert f'data-dossier="{dossier_id}"' in listed.text
    assert f'href="{letter}.pdf?episode=1&amp;version=1"' in listed.text  # this row's letter
    assert f'class="correct" href="{letter}?episode=1"' in listed.text
    elsewhere = officer_client(platform, "truc.haiphong").get("/board/letters")
    assert f'data-dossier="{dossier_id}"' not in elsewhere.text
    outside = hanoi.get("/board/letters", params={"unit": systems.haiphong_commune})
    assert outside.status_code == 403
    assert hanoi.get("/board/letters", params={"month": "2025-13"}).status_code == 422
    older = hanoi.get("/board/letters", params={"month": "2020-01"})
    assert f'data-dossier="{dossier_id}"' not in older.text


def test_the_going_to_be_late_mark_takes_only_a_due_soon_dossier(
    platform: Platform, systems: Systems
) -> None:
    hanoi = officer_client(platform, "truc.hanoi")
    code = _late_dossier(platform, systems, hanoi)
    late = f"/board/dossiers/{_dossier_id(hanoi, code)}/late"
    overdue = hanoi.post(late, data={"expected": "yes"})
    assert overdue.status_code == 404  # an overdue dossier owes its letter without a mark
    assert "không còn ở trạng thái sắp đến hạn" in overdue.text
    assert hanoi.post(late, data={"expected": "maybe"}).status_code == 422
    assert hanoi.post("/board/dossiers/not-a-uuid/late", data={"expected": "no"}).status_code == 404
