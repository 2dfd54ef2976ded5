"""The national codes (Thông tư 01/2018/TT-VPCP Điều 19) and the zone their dates are in.

``common.v1.json`` states the same patterns for the event contracts; a contract test keeps
the two equal.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

UNIT_CODE_PATTERN = r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$"
"""The agency identifier code ``V1V2V3.Z1Z2.Y1Y2.MX1X2``."""

PROCEDURE_CODE_PATTERN = r"^[0-9]\.[0-9]{6}$"
"""A procedure's code in the national catalogue of administrative procedures."""

DOSSIER_CODE_PATTERN = (
    r"^(?P<unit>[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2})"
    r"-(?P<day>[0-9]{6})-(?P<sequence>[0-9]{4})$"
)
"""``<unit code>-YYMMDD-XXXX``: the receiving unit, the receipt date, the day's sequence."""

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
"""Receipt dates, the daily sequence, the cut-off and letter dates are local dates."""
