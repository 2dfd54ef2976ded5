"""The browser tests' layout check finds what a person would see overflowing, and only
that: a page wider than the phone, text an ``overflow: hidden`` box cuts off — with
JavaScript on or off — and nothing on a page that fits (visually hidden text included)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser import layout_problems

pytest_plugins = ["tests.browser"]

WIDE_TABLE = (
    "<table><tr>" + "".join(f"<td>cột-số-{i}-rất-dài</td>" for i in range(12)) + "</tr></table>"
)
CUT_TEXT = (
    "<div style='width:100px;overflow:hidden;white-space:nowrap'>"
    "một dòng chữ rất dài bị cắt mất ở bên phải</div>"
)
FITTING = (
    "<meta name=viewport content='width=device-width'><p>Xin chào</p>"
    "<span style='position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip:rect(0 0 0 0);white-space:nowrap'>chữ chỉ dành cho trình đọc màn hình</span>"
)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_overflow_and_cut_off_text_are_found_and_a_fitting_page_passes(
    browser: Browser, tmp_path: Path, javascript: bool
) -> None:
    pages = {name: tmp_path / f"{name}.html" for name in ("wide", "cut", "fits")}
    pages["wide"].write_text(f"<html><body>{WIDE_TABLE}</body></html>")
    pages["cut"].write_text(f"<html><body>{CUT_TEXT}</body></html>")
    pages["fits"].write_text(f"<html><body>{FITTING}</body></html>")
    context = browser.new_context(
        viewport={"width": 390, "height": 800}, java_script_enabled=javascript
    )
    try:
        page = context.new_page()
        page.goto(pages["wide"].as_uri())
        assert any("scrolls sideways" in p for p in layout_problems(page))
        page.goto(pages["cut"].as_uri())
        (hidden,) = [p for p in layout_problems(page) if "hides" in p]
        assert hidden.startswith('div "một dòng chữ rất dài')
        assert hidden.endswith("px of its content sideways")
        page.goto(pages["fits"].as_uri())
        assert layout_problems(page) == []
    finally:
        context.close()
