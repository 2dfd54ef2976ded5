"""The README's promises match the code: its settings table and its two commands."""

from __future__ import annotations

import re

import pytest
from pydantic_settings import BaseSettings

from motcua.provision import ProvisionSettings
from services.deadlines.settings import DeadlinesSettings
from services.intake.settings import IntakeSettings
from services.ratings.settings import RatingsSettings
from services.reporting.settings import ReportingSettings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
SETTINGS: list[type[BaseSettings]] = [
    IntakeSettings,
    DeadlinesSettings,
    RatingsSettings,
    ReportingSettings,
    ProvisionSettings,
]


def _table_variables() -> set[str]:
    section = README.split("## Settings", 1)[1]
    return set(re.findall(r"^\| `([A-Z_<>]+)` \|", section, flags=re.MULTILINE))


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda cls: cls.__name__)
def test_every_setting_is_in_the_readme_table(settings: type[BaseSettings]) -> None:
    missing = {name.upper() for name in settings.model_fields} - _table_variables()
    assert not missing, f"README settings table lacks {sorted(missing)}"


def test_readme_table_names_no_setting_that_does_not_exist() -> None:
    known = {name.upper() for cls in SETTINGS for name in cls.model_fields}
    known |= {"<SERVICE>_DB_PASSWORD", "MOTCUA_SCHEMAS_DIR"}
    assert _table_variables() - known == set()


def test_ci_runs_the_readme_test_command() -> None:
    assert "make up" in README
    assert "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
