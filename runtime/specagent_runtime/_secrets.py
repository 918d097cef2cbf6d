"""A string wrapper that cannot leak by accident.

Credentials travel through reprs, exception messages, log records and tracebacks' locals; a plain
`str` shows itself in all of them. `Secret` prints as a mask everywhere and hands out its value
only through the explicitly named `reveal()`.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "**********"


class Secret:
    """A secret string: `repr`/`str`/`format` print `MASK`; `reveal()` returns the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return repr(MASK)

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self  # immutable; copying must not go through pickling, refused below

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would copy the value into caches and task stores; refuse instead.
        raise TypeError("secrets cannot be pickled")


def redact(text: str, secrets: Iterable[Secret]) -> str:
    """Replace every occurrence of the secrets' values in `text` (APIs echo bad keys back)."""
    # Longest first, so a secret that contains another is masked whole.
    values = sorted((s.reveal() for s in secrets if len(s.reveal()) >= 4), key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    return text
