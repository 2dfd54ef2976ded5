"""Accessibility audits with axe-core, the npm package pinned in ``tests/a11y/package.json``,
injected into a page the browser tests opened.

``npm ci`` installs it on first use when ``node_modules`` is missing (as ``tests/browser``
installs chromium); without npm the test fails with what to do, it is never skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_source() -> str:
    """axe.min.js, installed from the lock file when it is missing."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("the accessibility tests need npm (`apt-get install npm`) for axe-core")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(HERE)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not AXE.is_file():
            pytest.fail(f"npm ci in {HERE} failed:\n{done.stdout}\n{done.stderr}")
    return AXE.read_text()


def audit(page: Page) -> list[dict[str, Any]]:
    """Every WCAG 2.x A/AA violation axe finds on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the driver: the pages' CSP forbids inline script tags, rightly.
        page.evaluate(axe_source())
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return list(result["violations"])


def assert_no_serious_violation(page: Page, what: str) -> None:
    """Fail, printing each violation, when axe finds a serious or critical one."""
    violations = audit(page)
    for violation in violations:
        targets = [node["target"] for node in violation["nodes"]]
        print(f"[{what}] {violation['impact']}: {violation['id']} — {violation['help']} {targets}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{what}: " + json.dumps(
        [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["html"] for n in v["nodes"]][:5],
            }
            for v in blocking
        ],
        ensure_ascii=False,
        indent=2,
    )
