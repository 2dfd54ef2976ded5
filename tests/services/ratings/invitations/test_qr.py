"""The QR code of the short link, as SVG (titled with the link) and PNG."""

from __future__ import annotations

from services.ratings.invitations.qr import qr_png, qr_svg


def test_svg_and_png_of_the_link() -> None:
    link = "https://danhgia.congan.gov.vn/r/AbCdEfGhIjKlMnOpQrStUv"
    svg = qr_svg(link)
    assert svg.startswith(b"<svg")
    assert link.encode() in svg  # its title, for screen readers
    png = qr_png(link)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
