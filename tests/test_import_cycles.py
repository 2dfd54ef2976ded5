"""No module of ``services/`` or ``motcua/`` reaches itself again through its imports.

A cycle makes import order matter and hides which module owns a piece; moving the
shared piece down into a module both sides need breaks it. Every import counts, wherever
it stands in the file: an import inside a function only postpones the cycle to a call.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("services", "motcua")
NOT_YET_HELD = {
    "services.intake": (
        "dependencies.py (the HTTP context) names the dossier write path, whose views read it:"
        " a package cycle, not a module one; not cleared yet"
    ),
}
"""Packages whose parts still import each other in a circle, and which step clears them."""


def module_files(root: Path) -> dict[str, Path]:
    """Each module's dotted name and its source file (a package is its ``__init__.py``)."""
    files: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            files[".".join(parts)] = path
    return files


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The dotted name a ``from ... import`` names, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported(module: str, path: Path, known: set[str]) -> Iterator[str]:
    """The modules of ``known`` that ``module`` imports."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:
                    yield submodule
                elif source in known:
                    yield source


def import_graph(root: Path) -> dict[str, set[str]]:
    """Who imports whom among the project's own modules."""
    files = module_files(root)
    known = set(files)
    return {
        module: {target for target in imported(module, path, known) if target != module}
        for module, path in files.items()
    }


class _StronglyConnected:
    """Tarjan's algorithm: the groups of nodes each reaching every other of its group."""

    def __init__(self, graph: dict[str, set[str]]) -> None:
        self.graph = graph
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.stack: list[str] = []
        self.on_stack: set[str] = set()
        self.groups: list[list[str]] = []

    def visit(self, node: str) -> None:
        self.index[node] = self.low[node] = len(self.index)
        self.stack.append(node)
        self.on_stack.add(node)
        for target in sorted(self.graph.get(node, ())):
            if target not in self.index:
                self.visit(target)
                self.low[node] = min(self.low[node], self.low[target])
            elif target in self.on_stack:
                self.low[node] = min(self.low[node], self.index[target])
        if self.low[node] == self.index[node]:
            self.groups.append(self._pop_group(node))

    def _pop_group(self, root: str) -> list[str]:
        group: list[str] = []
        while not group or group[-1] != root:
            group.append(self.stack.pop())
            self.on_stack.discard(group[-1])
        return sorted(group)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module."""
    found = _StronglyConnected(graph)
    for node in sorted(graph):
        if node not in found.index:
            found.visit(node)
    return [group for group in found.groups if len(group) > 1]


def part_graphs(graph: dict[str, set[str]]) -> dict[str, dict[str, set[str]]]:
    """For each package, which of its direct parts (subpackage or module) needs which other:
    an import from anywhere inside one part into another counts for the two parts."""
    parts: dict[str, dict[str, set[str]]] = {}
    for source, targets in graph.items():
        for target in targets:
            here, there = source.split("."), target.split(".")
            common = 0
            while common < min(len(here), len(there)) and here[common] == there[common]:
                common += 1
            if common < len(here) and common < len(there):
                package = parts.setdefault(".".join(here[:common]), {})
                package.setdefault(here[common], set()).add(there[common])
    return parts


def test_the_graph_sees_imports_of_every_kind(tmp_path: Path) -> None:
    package = tmp_path / "services" / "demo"
    package.mkdir(parents=True)
    (tmp_path / "motcua").mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from services.demo import b\n")
    (package / "b.py").write_text("def later() -> None:\n    from . import c\n")
    (package / "c.py").write_text("import services.demo.a\n")
    (package / "d.py").write_text("from .a import name\n")
    graph = import_graph(tmp_path)
    assert graph["services.demo.a"] == {"services.demo.b"}
    assert graph["services.demo.b"] == {"services.demo.c"}
    assert graph["services.demo.c"] == {"services.demo.a"}
    assert graph["services.demo.d"] == {"services.demo.a"}
    assert cycles(graph) == [["services.demo.a", "services.demo.b", "services.demo.c"]]


def test_parts_of_a_package_in_a_circle_are_seen() -> None:
    graph = {
        "services.demo.answers.service": {"services.demo.followups.service"},
        "services.demo.followups.service": {"services.demo.answers.models"},
        "services.demo.answers.models": {"services.demo.criteria"},
    }
    assert part_graphs(graph)["services.demo"] == {
        "answers": {"followups", "criteria"},
        "followups": {"answers"},
    }
    assert cycles(part_graphs(graph)["services.demo"]) == [["answers", "followups"]]


def test_no_import_cycles() -> None:
    assert cycles(import_graph(ROOT)) == []


def test_no_package_has_parts_in_a_circle() -> None:
    found = {
        package: found
        for package, parts in part_graphs(import_graph(ROOT)).items()
        if not package.startswith(tuple(NOT_YET_HELD)) and (found := cycles(parts))
    }
    assert found == {}
