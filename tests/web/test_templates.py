"""The shared template layer: escaping, strictness, the base layout, a service's own
templates on top, the texts and filters, and the static files."""

from __future__ import annotations

import fnmatch
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jinja2 import UndefinedError

from motcua.web import (
    FIELD_LABELS,
    STATUS_LABELS,
    TEXTS,
    Layout,
    SignedIn,
    StaticAssets,
    create_environment,
    mount_starlette_static,
    service_nav,
)
from motcua.web.strings import duration_words, local_time, time_left
from tests.conftest import ROOT

NOW = datetime(2025, 11, 18, 3, 0, tzinfo=UTC)


@pytest.fixture
def service_templates(tmp_path: Path) -> Path:
    (tmp_path / "page.html").write_text(
        '{% extends "base.html" %}{% block content %}<p>{{ text }}</p>{% endblock %}'
    )
    return tmp_path


def test_values_are_escaped_and_undefined_names_fail(service_templates: Path) -> None:
    env = create_environment(service_templates)
    html = env.get_template("page.html").render(
        title="<script>alert(1)</script>", layout=Layout(), text="<script>alert(2)</script>"
    )
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    with pytest.raises(UndefinedError):
        env.get_template("page.html").render(title="x", layout=Layout())
    with pytest.raises(UndefinedError):
        env.from_string("{{ t.no_such_text }}").render()


def test_the_base_layout_has_the_landmarks_the_header_and_the_nav(
    service_templates: Path,
) -> None:
    env = create_environment(service_templates)
    layout = Layout(
        nav=service_nav("ratings", board="http://d/board", ratings="/ratings"),
        user=SignedIn("Nguyễn Văn A", "Công an phường Ba Đình", "/logout"),
    )
    html = env.get_template("page.html").render(title="Đánh giá", layout=layout, text="x")
    assert '<html lang="vi">' in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert "<h1>Đánh giá</h1>" in html
    assert '<a href="http://d/board">Bảng theo dõi</a>' in html
    assert '<a href="/ratings" aria-current="page">Đánh giá</a>' in html
    assert "Báo cáo" not in html  # no URL given: no link
    assert "Nguyễn Văn A" in html
    assert "Công an phường Ba Đình" in html
    assert '<form method="post" action="/logout">' in html
    assert 'href="/static/motcua.css?v=' in html
    signed_out = env.get_template("page.html").render(title="x", layout=Layout(), text="x")
    assert "Đăng xuất" not in signed_out
    assert "<nav" not in signed_out


def test_a_service_template_wins_over_the_shared_one(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text("own base {{ title }}")
    env = create_environment(tmp_path)
    assert env.get_template("base.html").render(title="x") == "own base x"


def test_texts_labels_and_filters() -> None:
    assert STATUS_LABELS == {
        "due_soon": "Sắp đến hạn",
        "overdue": "Quá hạn",
        "rescheduled": "Đã hẹn lại",
    }
    assert FIELD_LABELS == {
        "residence": "Cư trú",
        "identity": "Căn cước",
        "exit_entry": "Xuất nhập cảnh",
        "vehicle_registration": "Đăng ký xe",
        "fire_safety": "Phòng cháy chữa cháy",
    }
    assert TEXTS["board_title"] == "Bảng theo dõi hạn giải quyết hồ sơ"
    assert local_time(NOW) == "10:00 18/11/2025"  # Hà Nội is UTC+7
    assert local_time(datetime(2025, 12, 31, 17, 5, tzinfo=UTC)) == "00:05 01/01/2026"
    assert time_left(NOW + timedelta(hours=5, minutes=30), NOW) == "Còn 5 giờ 30 phút"
    assert time_left(NOW - timedelta(days=2, hours=3), NOW) == "Quá hạn 2 ngày 3 giờ"
    assert duration_words(-45 * 60) == "Quá hạn 0 giờ 45 phút"
    env = create_environment()
    rendered = env.from_string(
        "{{ due | local_time }}|{{ due | time_left(now) }}|{{ 'overdue' | status_label }}|"
        "{{ 'identity' | field_label }}|{{ 'unknown' | status_label }}"
    ).render(due=NOW + timedelta(days=1), now=NOW)
    assert rendered == "10:00 19/11/2025|Còn 1 ngày 0 giờ|Quá hạn|Căn cước|unknown"


def test_static_files_are_versioned_and_a_service_may_add_its_own(tmp_path: Path) -> None:
    (tmp_path / "extra.js").write_text("console.log(1)")
    (tmp_path / "secret.py").write_text("x = 1")
    assets = StaticAssets(tmp_path)
    assert assets.url("extra.js").startswith("/static/extra.js?v=")
    assert assets.get("motcua.css") is not None
    assert assets.get("secret.py") is None
    assert assets.get("../static.py") is None
    css = assets.get("motcua.css")
    assert css is not None
    app = FastAPI()
    mount_starlette_static(app, assets)
    with TestClient(app) as client:
        versioned = client.get(f"/static/motcua.css?v={css.version}")
        assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert versioned.headers["content-type"].startswith("text/css")
        cached = client.get("/static/motcua.css", headers={"If-None-Match": css.etag})
        assert cached.status_code == 304
        missing = client.get("/static/nope.css")
        assert missing.status_code == 404


def test_a_fastapi_service_serves_the_stylesheet() -> None:
    app = FastAPI()
    mount_starlette_static(app, StaticAssets())
    with TestClient(app) as client:
        response = client.get("/static/motcua.css")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/css")
        assert response.headers["cache-control"] == "public, max-age=300"
        assert b":focus-visible" in response.content
        again = client.get(
            "/static/motcua.css", headers={"If-None-Match": response.headers["etag"]}
        )
        assert again.status_code == 304
        assert client.get("/static/nope.css").status_code == 404


def test_the_templates_and_static_files_are_packaged() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    for package in ("motcua.web", "services.deadlines.board"):
        folder = ROOT / package.replace(".", "/")
        patterns = package_data[package] + package_data["*"]
        for path in folder.glob("*/*"):
            if path.suffix in (".html", ".css", ".js"):
                relative = str(path.relative_to(folder))
                assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative
