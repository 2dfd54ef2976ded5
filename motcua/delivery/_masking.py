"""Masking a citizen's contact before anything keeps or logs it. Pure."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """``0912345678`` → ``09******78``: enough for an officer to tell two apart, no more."""
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]


def mask_email(address: str) -> str:
    """``khai.nguyen@example.vn`` → ``k***@e***.vn``."""
    local, _, domain = address.partition("@")
    name, _, tld = domain.rpartition(".")
    masked_domain = f"{name[:1]}***.{tld}" if name else f"{tld[:1]}***"
    return f"{local[:1]}***@{masked_domain}"


def mask_destination(channel: str, destination: str) -> str:
    """A destination of ``channel`` masked: an address for e-mail, a phone number for the
    others (Zalo OA reaches the citizen by phone number)."""
    return mask_email(destination) if channel == "email" else mask_phone(destination)
