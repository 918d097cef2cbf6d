"""The verified customer on whose behalf the agent acts.

The host (helpdesk, web chat) verifies who the customer is; the runtime only copies these values
into bound tool arguments. They never reach the model directly, so the repr hides them: an
identity printed into a log or a traceback must not become a list of customers' emails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_NAMED_FIELDS = ("email", "user_id", "username", "customer_id")


def _text(name: str, value: object) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"Identity.{name} must be a str, not {type(value).__name__}")


@dataclass(frozen=True, slots=True, eq=True)
class Identity:
    """A customer identity verified by the host. Bindings name a field (``email``) or an
    ``extra`` key (``account_number``); a field that is unset or empty cannot fill a binding."""

    email: str | None = None
    user_id: str | None = None
    username: str | None = None
    customer_id: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Hosts often hold numeric ids; bound values travel as text and the argument model
        # converts them back, so accept ints rather than fail on a customer's first message.
        for name in _NAMED_FIELDS:
            object.__setattr__(self, name, _text(name, getattr(self, name)))
        extra = {str(key): _text(f"extra[{key!r}]", value) for key, value in self.extra.items()}
        # Frozen in spirit too: the host's dict must not change the identity after the fact.
        object.__setattr__(self, "extra", MappingProxyType(extra))

    def __hash__(self) -> int:
        named = tuple(getattr(self, name) for name in _NAMED_FIELDS)
        return hash((named, frozenset(self.extra.items())))

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
        return f"Identity(fields={sorted(self.fields())!r})"


def identity_from_fields(fields: Mapping[str, str]) -> Identity | None:
    """An identity from flat field names (``email``, ``account_number``...), as a task run, an
    MCP configuration or request headers carry it: names other than the four named fields go
    to `Identity.extra`. None when no field has a value."""
    given = {str(name): value for name, value in fields.items() if value}
    if not given:
        return None
    named = {name: value for name, value in given.items() if name in _NAMED_FIELDS}
    extra = {name: value for name, value in given.items() if name not in _NAMED_FIELDS}
    return Identity(**named, extra=extra)


def identity_fields(identity: Identity | Mapping[str, str] | None) -> dict[str, str]:
    """The fields that have a value, flat and sorted: how a task run stores its owner."""
    if identity is None:
        return {}
    if isinstance(identity, Identity):
        values = {name: identity.get(name) for name in sorted(identity.fields())}
        return {name: value for name, value in values.items() if value}
    return {str(name): str(value) for name, value in identity.items() if value}
