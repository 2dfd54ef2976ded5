"""Who reads platform-wide entries: the ministry's and a province's inspectors."""

from __future__ import annotations

import pytest

from motcua.audit import sees_platform


@pytest.mark.parametrize(
    ("path", "sees"),
    [
        (("BCA",), True),
        (("BCA", "CAHN"), True),
        (("BCA", "CAHN", "CAP-HOANKIEM"), False),
        (("BCA", "CAQN", "CAH-DONGTRIEU", "CAX-BINHDUONG"), False),
        ((), False),
    ],
)
def test_only_the_ministry_and_a_provinces_department_see_platform_entries(
    path: tuple[str, ...], sees: bool
) -> None:
    assert sees_platform(path) is sees
