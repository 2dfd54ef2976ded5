"""The QR code of an invitation's short link, for the hand-over slip and the counter
(segno: SVG for print and pages, PNG for the desk systems that want an image)."""

from __future__ import annotations

import io

import segno

ERROR_CORRECTION = "m"
"""15% of the code may be lost (a creased slip) and it still reads."""


def _code(link: str) -> segno.QRCode:
    return segno.make_qr(link, error=ERROR_CORRECTION)


def qr_svg(link: str, *, scale: int = 4) -> bytes:
    out = io.BytesIO()
    _code(link).save(out, kind="svg", scale=scale, border=4, xmldecl=False, title=link)
    return out.getvalue()


def qr_png(link: str, *, scale: int = 6) -> bytes:
    out = io.BytesIO()
    _code(link).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
