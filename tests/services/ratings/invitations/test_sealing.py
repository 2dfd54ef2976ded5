"""The sealed token opens with the key and for its own invitation only."""

from __future__ import annotations

import pytest

from services.ratings.invitations.sealing import SealBroken, TokenSeal
from services.ratings.invitations.tokens import new_token


def test_a_sealed_token_opens_with_the_same_key() -> None:
    token = new_token()
    sealed = TokenSeal("a long secret of the service").seal(token, "inv-1")
    assert token.encode() not in sealed
    assert TokenSeal("a long secret of the service").open(sealed, "inv-1") == token


def test_another_key_or_another_invitation_opens_nothing() -> None:
    sealed = TokenSeal("key one").seal(new_token(), "inv-1")
    with pytest.raises(SealBroken):
        TokenSeal("key two").open(sealed, "inv-1")
    with pytest.raises(SealBroken):
        TokenSeal("key one").open(sealed, "inv-2")


def test_without_a_setting_each_process_has_its_own_key() -> None:
    sealed = TokenSeal.from_setting(None).seal("t" * 22, "inv-1")
    with pytest.raises(SealBroken):
        TokenSeal.from_setting(None).open(sealed, "inv-1")
