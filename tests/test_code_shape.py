"""The code keeps the shape a newcomer can read: no function in the product over 60 lines.

Ruff's complexity rules (``C901``, ``PLR0915`` in ``pyproject.toml``) bound branches and
statements; this bounds length, which they do not (a long run of simple statements, or a
function of nested closures, passes both). See docs/testing.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

MAX_FUNCTION_LINES = 60
PRODUCT = ("motcua", "services")


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> Iterator[tuple[str, int]]:
    """Each function (nested ones too) longer than ``limit`` lines, from ``def`` to its end."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                yield f"{node.name} (line {node.lineno})", length


def product_files() -> list[Path]:
    return sorted(path for package in PRODUCT for path in (ROOT / package).rglob("*.py"))


def test_no_function_in_the_product_is_over_sixty_lines() -> None:
    too_long = [
        f"{path.relative_to(ROOT)}: {name} is {length} lines"
        for path in product_files()
        for name, length in long_functions(path.read_text(encoding="utf-8"))
    ]
    assert too_long == []


def test_the_measure_sees_a_long_function_and_a_long_closure() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(61))
    closure = (
        "def outer():\n    def inner():\n" + body.replace("    ", "        ") + "    return 1\n"
    )
    assert [name for name, _ in long_functions(f"def flat():\n{body}")] == ["flat (line 1)"]
    assert sorted(name for name, _ in long_functions(closure)) == [
        "inner (line 2)",
        "outer (line 1)",
    ]
    assert list(long_functions(f"def short():\n{body[: body.index('    x59')]}")) == []


def test_the_product_files_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in product_files()}
    assert {"motcua/settings.py", "services/intake/app.py"} <= names
