"""An SMS's alphabet and what it costs, shared by every service that texts citizens. Pure.

GSM-7, the default SMS alphabet, has no Vietnamese accented letters: a text with one goes
as UCS-2, 70 characters in a single message or 67 per part of a longer one, against 160
and 153 in GSM-7. ``SMS_ALPHABET=gsm7`` strips the accents (about half the price, but the
text reads worse and like spam); ``unicode`` (the default) sends them. See docs/delivery.md.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Literal

SmsAlphabet = Literal["unicode", "gsm7"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
"""Characters GSM-7 sends with an escape: two septets each."""

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

_PLAIN = str.maketrans({"đ": "d", "Đ": "D", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"'})
_PLAIN.update(str.maketrans({"”": '"', "…": "..."}))


def _strip_accents(text: str) -> str:
    """Vietnamese without its marks: ``đ`` → ``d``, every combining mark dropped."""
    decomposed = unicodedata.normalize("NFD", text.translate(_PLAIN))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def sms_text(text: str, alphabet: SmsAlphabet) -> str:
    """The text as the SMS carries it: composed (NFC, one code unit per letter) in
    ``unicode``; without accents in ``gsm7``, any letter GSM-7 still lacks as ``?``."""
    if alphabet == "unicode":
        return unicodedata.normalize("NFC", text)
    plain = unicodedata.normalize("NFC", _strip_accents(text))
    return "".join(c if is_gsm7(c) else "?" for c in plain)


def sms_segments(text: str) -> int:
    """How many messages the operator bills for ``text``: GSM-7 when every character is
    in it (an escaped one counts twice), else UCS-2 (UTF-16 code units)."""
    if is_gsm7(text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, part = GSM7_SINGLE, GSM7_PART
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = UCS2_SINGLE, UCS2_PART
    if units <= single:
        return 1
    return math.ceil(units / part)
