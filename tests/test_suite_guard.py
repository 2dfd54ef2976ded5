"""The suite keeps itself honest: every test function checks something.

A test with no assertion passes whatever the code does. A test counts as checking when
its body, or a helper it calls (followed through the suite's own modules), holds an
``assert``, a ``pytest.raises``/``warns``/``fail``, or Playwright's ``expect``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT

CHECKING_CALLS = frozenset({"raises", "warns", "fail", "expect", "deprecated_call"})

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Defined:
    module: str
    function: Function
    owner: str = ""

    @property
    def name(self) -> str:
        return f"{self.module}::{self.owner}{self.function.name}"


@dataclass
class Suite:
    """Every function of the suite's modules, by the names a call could reach it by."""

    functions: dict[str, Defined] = field(default_factory=dict)
    methods: dict[str, list[Defined]] = field(default_factory=dict)
    imports: dict[str, dict[str, str]] = field(default_factory=dict)
    tests: list[Defined] = field(default_factory=list)

    def add_module(self, module: str, tree: ast.Module) -> None:
        imported = self.imports.setdefault(module, {})
        is_test_module = module.rsplit(".", 1)[-1].startswith("test_")
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[f"{module}.{node.name}"] = Defined(module, node)
                if is_test_module and node.name.startswith("test"):
                    self.tests.append(Defined(module, node))
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        method = Defined(module, item, f"{node.name}.")
                        self.methods.setdefault(item.name, []).append(method)
                        in_test_class = is_test_module and node.name.startswith("Test")
                        if in_test_class and item.name.startswith("test"):
                            self.tests.append(method)

    def callees(self, caller: Defined) -> Iterator[Defined]:
        for node in ast.walk(caller.function):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name):
                local = f"{caller.module}.{node.func.id}"
                target = self.imports.get(caller.module, {}).get(node.func.id, local)
                if target in self.functions:
                    yield self.functions[target]
            elif isinstance(node.func, ast.Attribute) and not node.func.attr.startswith("__"):
                yield from self.methods.get(node.func.attr, [])

    def checks(self, defined: Defined, seen: set[int] | None = None) -> bool:
        seen = set() if seen is None else seen
        if id(defined.function) in seen:
            return False
        seen.add(id(defined.function))
        return checks_directly(defined.function) or any(
            self.checks(callee, seen) for callee in self.callees(defined)
        )


def checks_directly(function: Function) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            callee = node.func
            name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
            if name in CHECKING_CALLS:
                return True
    return False


def load_suite(package: Path, base: Path) -> Suite:
    """Every module below ``package``, named as imported from ``base``."""
    suite = Suite()
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(base).with_suffix("").parts)
        suite.add_module(module, ast.parse(path.read_text(), filename=str(path)))
    return suite


def unchecked_tests(package: Path, base: Path) -> list[str]:
    suite = load_suite(package, base)
    return [test.name for test in suite.tests if not suite.checks(test)]


def test_every_test_function_checks_something() -> None:
    assert unchecked_tests(ROOT / "tests", ROOT) == []


def test_the_guard_finds_a_test_with_nothing_checked(tmp_path: Path) -> None:
    """The guard itself can fail: a test that only calls code is reported, one that
    reaches an assertion through a helper (imported, local or a method) is not."""
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "__init__.py").write_text("")
    (probe / "helpers.py").write_text(
        "def settled(x):\n    assert x\n\n"
        "def quiet(x):\n    return x\n\n"
        "class Page:\n    def shows(self, x):\n        expect(x)\n"
    )
    (probe / "test_probe.py").write_text(
        "import pytest\n"
        "from probe.helpers import quiet, settled\n\n"
        "def test_only_runs():\n    quiet(1)\n\n"
        "def test_through_helper():\n    settled(1)\n\n"
        "def test_through_method(page):\n    page.shows(1)\n\n"
        "def test_raises():\n    with pytest.raises(ValueError):\n        int('x')\n\n"
        "class TestGroup:\n    def test_nothing(self):\n        quiet(2)\n"
    )
    assert unchecked_tests(probe, tmp_path) == [
        "probe.test_probe::test_only_runs",
        "probe.test_probe::TestGroup.test_nothing",
    ]
