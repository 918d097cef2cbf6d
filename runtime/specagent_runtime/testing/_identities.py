"""The customer a test speaks as: an `Identity` from the flat fields a test file gives."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, cast

from specagent_runtime._identity import Identity

__all__ = ["make_identity"]

_SUPPORTS_UNVERIFIED = "verified" in {f.name for f in dataclasses.fields(Identity)}


def make_identity(fields: Mapping[str, Any], *, verified: bool = True) -> Identity | None:
    """The customer's identity from flat fields (``email``, ``customer_id``, other names go to
    ``extra``); None without fields. A runtime whose identities are all verified cannot say
    "unverified", so there an unverified identity is no identity (bound tools are not offered
    either way)."""
    given = {str(k): str(v) for k, v in fields.items() if v is not None and str(v)}
    if not given:
        return None
    named = {k: v for k, v in given.items() if k in ("email", "user_id", "username", "customer_id")}
    extra = {k: v for k, v in given.items() if k not in named}
    if _SUPPORTS_UNVERIFIED:
        made: Identity = cast(Any, Identity)(**named, extra=extra, verified=verified)
        return made
    return Identity(**named, extra=extra) if verified else None
