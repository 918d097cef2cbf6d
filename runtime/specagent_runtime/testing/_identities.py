"""The customer a test speaks as: an `Identity` from the flat fields a test file gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specagent_runtime._identity import Identity

__all__ = ["make_identity"]

_NAMED = ("email", "user_id", "username", "customer_id")


def make_identity(fields: Mapping[str, Any], *, verified: bool = True) -> Identity | None:
    """The customer's identity from flat fields (``email``, ``customer_id``; other names go to
    ``extra``), verified by the host unless `verified` is False; None without fields."""
    given = {str(k): str(v) for k, v in fields.items() if v is not None and str(v)}
    if not given:
        return None
    extra = {k: v for k, v in given.items() if k not in _NAMED}
    return Identity(
        email=given.get("email"),
        user_id=given.get("user_id"),
        username=given.get("username"),
        customer_id=given.get("customer_id"),
        extra=extra,
        verified=verified,
    )
