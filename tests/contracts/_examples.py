"""Finds the example events shipped next to the schemas."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from motcua.contracts import schemas_dir

EXAMPLES_DIR = schemas_dir() / "examples"
EVENTS_DIR = schemas_dir() / "events"


@dataclass(frozen=True)
class Example:
    path: Path
    content: Any

    @property
    def folder(self) -> str:
        return self.path.parent.name

    @property
    def label(self) -> str:
        return f"{self.folder}/{self.path.stem}"


def load(pattern: str) -> list[Example]:
    return [
        Example(path, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(EXAMPLES_DIR.glob(f"*/{pattern}"))
    ]


VALID = load("valid-*.json")
INVALID = load("invalid-*.json")
