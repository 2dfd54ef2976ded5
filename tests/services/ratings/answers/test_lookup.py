"""A malformed or unknown token costs the same work as a known one: one hash, one query."""

from __future__ import annotations

from typing import Any

import pytest

from services.ratings.answers.service import BY_TOKEN, UnknownInvitation, invitation_by_token
from services.ratings.invitations.tokens import new_token


class Recorder:
    """A stand-in connection that records each query and finds nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, query: str, params: tuple[Any, ...]) -> Recorder:
        self.calls.append((query, params))
        return self

    def fetchone(self) -> None:
        return None


@pytest.mark.parametrize(
    "token",
    [new_token(), "short", "<script>", "x" * 2000, ""],
    ids=["issued-shape", "short", "markup", "long", "empty"],  # the same on every xdist worker
)
def test_every_token_shape_runs_the_same_single_hash_lookup(token: str) -> None:
    db = Recorder()
    with pytest.raises(UnknownInvitation):
        invitation_by_token(token, db_session=db)  # type: ignore[arg-type]
    assert len(db.calls) == 1
    query, params = db.calls[0]
    assert query == BY_TOKEN
    assert isinstance(params[0], bytes)
    assert len(params[0]) == 32
