"""The base of every model intake parses from a caller: frozen, closed, and storable.

PostgreSQL's ``text`` cannot hold the NUL character; a string carrying one would pass
validation and fail at the INSERT as a 500. Refusing it here, once for every field of every
input model, turns it into the 422 naming the field on every door (REST, batch, Kafka).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

NUL = "\x00"


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return False


class InputModel(BaseModel):
    """Frozen, unknown fields forbidden, no NUL character in any string."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise ValueError("must not contain the NUL character (U+0000)")
        return value
