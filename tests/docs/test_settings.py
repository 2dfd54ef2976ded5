"""The settings page matches the code: every setting of every service is in its table, and
the table names none that does not exist."""

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

SETTINGS_PAGE = ROOT / "docs" / "settings.md"
SETTINGS: list[type[BaseSettings]] = [
    IntakeSettings,
    DeadlinesSettings,
    RatingsSettings,
    ReportingSettings,
    ProvisionSettings,
]
NOT_FIELDS = {"<SERVICE>_DB_PASSWORD", "MOTCUA_SCHEMAS_DIR"}
"""Rows for variables read outside a settings class (provisioning, the contracts)."""


def _table_variables() -> set[str]:
    page = SETTINGS_PAGE.read_text(encoding="utf-8")
    parts = re.split(r"^#{1,2} Settings[ \t]*$", page, maxsplit=1, flags=re.MULTILINE)
    assert len(parts) == 2, f"{SETTINGS_PAGE} has no 'Settings' heading"
    return set(re.findall(r"^\| `([A-Z_<>]+)` \|", parts[1], flags=re.MULTILINE))


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda cls: cls.__name__)
def test_every_setting_is_in_the_settings_table(settings: type[BaseSettings]) -> None:
    missing = {name.upper() for name in settings.model_fields} - _table_variables()
    assert not missing, f"docs/settings.md lacks {sorted(missing)}"


def test_settings_table_names_no_setting_that_does_not_exist() -> None:
    known = {name.upper() for cls in SETTINGS for name in cls.model_fields} | NOT_FIELDS
    assert _table_variables() - known == set()
