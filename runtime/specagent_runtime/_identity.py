"""The customer on whose behalf the agent acts, and whether the host verified them.

The host (helpdesk, web chat) verifies who the customer is and says so with ``verified=True``;
the runtime only copies a verified identity's values into bound tool arguments. An identity
without the flag is a claim (a name typed into a form, an unsigned header): it fills no binding,
starts no ``requires: verified`` task and fetches no context, whatever fields it carries, and
``extra`` attributes never make it verified. The values never reach the model directly, so the
repr hides them: an identity printed into a log or a traceback must not become a list of
customers' emails. Records (confirmations, audit entries, history tags) store `fingerprint`,
never the identity itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_NAMED_FIELDS = ("email", "user_id", "username", "customer_id")
# The fingerprint of no identity at all: every anonymous speaker is the same speaker.
ANONYMOUS = "anonymous"


def _text(name: str, value: object) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"Identity.{name} must be a str, not {type(value).__name__}")


@dataclass(frozen=True, slots=True, eq=True)
class Identity:
    """A customer identity; `verified` says the host verified it (the default is a claim).

    Bindings name a field (``email``) or an ``extra`` key (``account_number``); a field that is
    unset or empty cannot fill a binding, and neither can any field of an unverified identity."""

    email: str | None = None
    user_id: str | None = None
    username: str | None = None
    customer_id: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    verified: bool = False

    def __post_init__(self) -> None:
        # Hosts often hold numeric ids; bound values travel as text and the argument model
        # converts them back, so accept ints rather than fail on a customer's first message.
        for name in _NAMED_FIELDS:
            object.__setattr__(self, name, _text(name, getattr(self, name)))
        extra = {str(key): _text(f"extra[{key!r}]", value) for key, value in self.extra.items()}
        # Frozen in spirit too: the host's dict must not change the identity after the fact.
        object.__setattr__(self, "extra", MappingProxyType(extra))
        if not isinstance(self.verified, bool):
            # `verified="false"` from a config file must not read as true.
            raise TypeError(f"Identity.verified must be a bool, not {type(self.verified).__name__}")

    def __hash__(self) -> int:
        named = tuple(getattr(self, name) for name in _NAMED_FIELDS)
        return hash((named, frozenset(self.extra.items()), self.verified))

    @property
    def fingerprint(self) -> str:
        """A stable short digest of the fields with a value and the verified flag: what stored
        records name instead of the identity (the same customer gives the same fingerprint in
        every process; a claim of the same email gives another one)."""
        return fingerprint(self)

    def get(self, name: str) -> str | None:
        """The value bound to `name`; ``identity.email`` (the agent file's spelling) also works."""
        name = name.removeprefix("identity.")
        if name in _NAMED_FIELDS:
            value: str | None = getattr(self, name)
        else:
            value = self.extra.get(name)
        return value or None

    def fields(self) -> frozenset[str]:
        """The names that have a value, for deciding which tools can be offered."""
        named = {name for name in _NAMED_FIELDS if getattr(self, name)}
        return frozenset(named | {key for key, value in self.extra.items() if value})

    def __repr__(self) -> str:
        return f"Identity(fields={sorted(self.fields())!r}, verified={self.verified!r})"


def fingerprint(identity: Identity | None) -> str:
    """`Identity.fingerprint`, and `ANONYMOUS` for no identity (an identity with no field
    is anonymous too, verified or not: it names nobody)."""
    if identity is None or not identity.fields():
        return ANONYMOUS
    values = {name: identity.get(name) or "" for name in sorted(identity.fields())}
    text = "\x1f".join(f"{name}\x1e{value}" for name, value in values.items())
    flag = "verified" if identity.verified else "claimed"
    digest = hashlib.sha256(f"{flag}\x1d{text}".encode()).hexdigest()[:24]
    return f"{flag[0]}-{digest}"


def verified_identity(identity: Identity | None) -> Identity | None:
    """The identity when the host verified it and it names someone, else None: what bindings,
    ``requires: verified`` and context use."""
    if identity is None or not identity.verified or not identity.fields():
        return None
    return identity


def identity_from_fields(fields: Mapping[str, str], *, verified: bool) -> Identity | None:
    """An identity from flat field names (``email``, ``account_number``...), as a task run, an
    MCP configuration or request headers carry it: names other than the four named fields go
    to `Identity.extra`. None when no field has a value. `verified` is the caller's statement
    about where the fields come from (a run's stored owner was verified when it started)."""
    given = {str(name): value for name, value in fields.items() if value}
    if not given:
        return None
    named = {name: value for name, value in given.items() if name in _NAMED_FIELDS}
    extra = {name: value for name, value in given.items() if name not in _NAMED_FIELDS}
    return Identity(**named, extra=extra, verified=verified)


def identity_fields(identity: Identity | Mapping[str, str] | None) -> dict[str, str]:
    """The verified fields that have a value, flat and sorted: how a task run stores its owner
    and what its steps may bind. An unverified `Identity` has none (its fields are claims); a
    mapping is fields the caller already trusts (a stored run's owner)."""
    if identity is None:
        return {}
    if isinstance(identity, Identity):
        if verified_identity(identity) is None:
            return {}
        values = {name: identity.get(name) for name in sorted(identity.fields())}
        return {name: value for name, value in values.items() if value}
    return {str(name): str(value) for name, value in identity.items() if value}
