"""A real headless Chromium for the tests of server-rendered pages (the duty-officer board).

Playwright drives Debian's ``chromium`` (``CHROMIUM_PATH`` names another binary): its own
browser download is never used. When no chromium is on the PATH it is installed the way the
stack installs its Debian packages (``deploy/local/stack.py browser``); when that is not
possible the test fails with what to do — it is never skipped.

A test module opts in with ``pytest_plugins``::

    from playwright.sync_api import Page, expect

    pytest_plugins = ["tests.browser"]

    def test_board(page: Page) -> None:
        page.goto(url)
        expect(page.locator("#overdue")).to_have_text("3")

The fixtures are function-scoped on purpose: Playwright's sync API keeps an asyncio loop
running in the test's thread while it is open, so ``asyncio.run`` would fail in any test
that ran under a longer-lived browser. A module that wants one browser for several tests
can build its own fixture on :func:`launch_chromium`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import ROOT

# Playwright already passes --no-sandbox (needed as root) and --headless. Containers often
# give /dev/shm only 64 MB, too little for Chromium's shared memory: use /tmp instead.
CHROMIUM_ARGS = ("--disable-dev-shm-usage",)


def chromium_path() -> str:
    """The Chromium binary to drive: ``CHROMIUM_PATH``, else ``chromium`` (installed if missing)."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            pytest.fail(f"CHROMIUM_PATH={configured} is not an executable file")
        return configured
    found = shutil.which("chromium")
    if found:
        return found
    install = subprocess.run(
        [sys.executable, str(ROOT / "deploy/local/stack.py"), "browser"],
        capture_output=True,
        text=True,
        check=False,
    )
    found = shutil.which("chromium")
    if not found:
        pytest.fail(
            "the browser tests need Debian's chromium (`apt-get install chromium`, or set "
            f"CHROMIUM_PATH); installing it failed:\n{install.stdout}\n{install.stderr}"
        )
    return found


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """A headless Chromium under Playwright's sync API, closed on exit."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A fresh headless Chromium for one test."""
    with launch_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab in its own context: 1280×800, Vietnamese locale, Hanoi time."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    try:
        yield context.new_page()
    finally:
        context.close()


SCREENSHOTS = ROOT / ".test-artifacts" / "screenshots"


def screenshot(page: Page, name: str) -> None:
    """The whole page as ``.test-artifacts/screenshots/<name>.png`` (kept for a reviewer)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG")


WIDTHS = {"desktop": 1366, "phone": 390}
"""The two screens every page is judged at: a 1366 px office monitor and a 390 px phone."""

_LAYOUT_PROBLEMS = """() => {
  const viewport = document.documentElement.clientWidth;
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '') +
    ' "' + (el.innerText || '').trim().slice(0, 40) + '"';
  if (document.documentElement.scrollWidth > viewport + 1) {
    problems.push('the page scrolls sideways: ' + document.documentElement.scrollWidth +
      ' px of content in ' + viewport + ' px');
  }
  for (const el of document.body.querySelectorAll('*')) {
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.closest('[hidden], .visually-hidden')) continue;
    if (el.matches('.skip-link') && rect.bottom <= 0) continue;
    const clipsX = ['hidden', 'clip', 'auto', 'scroll'].includes(style.overflowX);
    const clipsY = ['hidden', 'clip'].includes(style.overflowY);
    if (clipsX && el.scrollWidth > el.clientWidth + 1) {
      problems.push(name(el) + ' hides ' + (el.scrollWidth - el.clientWidth) +
        ' px of its content sideways');
    } else if (clipsY && el.scrollHeight > el.clientHeight + 1) {
      problems.push(name(el) + ' cuts off ' + (el.scrollHeight - el.clientHeight) +
        ' px of its content');
    } else if (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) {
      problems.push(name(el) + ' shortens its text with an ellipsis');
    }
    if (rect.right > viewport + 1 && style.position !== 'fixed') {
      problems.push(name(el) + ' reaches ' + Math.round(rect.right) + ' px, past the ' +
        viewport + ' px screen');
    }
  }
  return [...new Set(problems)].slice(0, 15);
}"""


def layout_problems(page: Page) -> list[str]:
    """What a person would find overflowing or cut off on the page as it is now: sideways
    scrolling, content hidden by an ``overflow`` or an ellipsis, anything past the screen."""
    return list(page.evaluate(_LAYOUT_PROBLEMS))


def assert_fits(page: Page, name: str) -> None:
    """Screenshot the page at 1366 and 390 px (``<name>-desktop.png``, ``<name>-phone.png``)
    and fail on content that overflows its container or is cut off at either width.

    The check runs in the driver, so it works with JavaScript off and under the pages' CSP.
    """
    original = page.viewport_size
    found: dict[str, list[str]] = {}
    try:
        for label, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            screenshot(page, f"{name}-{label}")
            problems = layout_problems(page)
            if problems:
                found[f"{width} px"] = problems
    finally:
        if original:
            page.set_viewport_size(original)
    assert not found, f"{name}: content overflows or is cut off: {found}"
