r"""A string wrapper that cannot leak by accident, and redaction of the text that echoes one.

Credentials travel through reprs, exception messages, log records and tracebacks' locals; a plain
`str` shows itself in all of them. `Secret` prints as a mask everywhere and hands out its value
only through the explicitly named `reveal()`.

APIs echo credentials back (an error body that quotes the bad key), and not always as sent:
percent-encoded, JSON-escaped (a ``\u`` escape per character, an escaped slash), base64 of
``user:password``. `redact` finds every such spelling, even mixed within one value, so it
must run before any text is cut (a key straddling the cut would leave a prefix). Every live
`Secret` is known to `redact_known`, which the HTTP libraries' log filters (`_http.logs`) and
the model's tool results use: what the runtime never saw as a value of its own cannot be
named there, but what it holds always can.
"""

from __future__ import annotations

import base64
import functools
import re
import weakref
from collections.abc import Iterable

MASK = "**********"
# Shorter values are not looked for where any text may hold them by chance (a 4-digit PIN in
# an order total); explicit lists (an error body and the credentials of its request) go to 4.
KNOWN_MINIMUM = 6
# Keyed by id, not a WeakSet: Secrets with equal values compare equal, so a WeakSet would keep
# only the first of two equal secrets and forget the value when that one died, though the
# other is alive (a process that rebuilt its credentials would stop masking them).
_LIVE: weakref.WeakValueDictionary[int, Secret] = weakref.WeakValueDictionary()


class Secret:
    """A secret string: `repr`/`str`/`format` print `MASK`; `reveal()` returns the value."""

    __slots__ = ("__weakref__", "_value")

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a str, not {type(value).__name__}")
        self._value = value
        _LIVE[id(self)] = self

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


def redact(text: str, secrets: Iterable[Secret], *, minimum: int = 4) -> str:
    """`text` with every occurrence of the secrets' values masked, in any encoding an API may
    echo them in (see the module docstring)."""
    values = tuple(sorted({s.reveal() for s in secrets if len(s.reveal()) >= minimum}))
    if not values or not text:
        return text
    return _pattern(values).sub(MASK, text)


def redact_known(text: str) -> str:
    """`redact` with every secret alive in this process (credentials, fetched tokens)."""
    return redact(text, list(_LIVE.values()), minimum=KNOWN_MINIMUM)


def known_secrets() -> list[Secret]:
    return list(_LIVE.values())


@functools.lru_cache(maxsize=64)
def _pattern(values: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so a secret that contains another is masked whole.
    spellings = [_spelled(value) for value in sorted(values, key=len, reverse=True)]
    return re.compile("|".join(spellings), re.IGNORECASE)


def _spelled(value: str) -> str:
    """A pattern for `value` written plainly, percent-encoded, JSON-escaped or form-encoded,
    character by character (so mixed spellings match too), or base64-encoded whole."""
    chars = "".join(_char(char) for char in value)
    raw = value.encode("utf-8", "surrogatepass")
    whole = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    whole |= {item.rstrip("=") for item in whole if len(item.rstrip("=")) >= 8}
    return "|".join([chars, *(re.escape(item) for item in sorted(whole, key=len, reverse=True))])


def _char(char: str) -> str:
    options = [re.escape(char)]
    encoded = char.encode("utf-8", "surrogatepass")
    options.append("".join(f"%{byte:02x}" for byte in encoded))  # IGNORECASE: %2F and %2f
    if len(char) == 1 and ord(char) < 0x10000:
        options.append(re.escape(f"\\u{ord(char):04x}"))
    if char == "/":
        options.append(re.escape("\\/"))
    elif char in '"\\':
        options.append(re.escape("\\" + char))
    elif char == " ":
        options.append(re.escape("+"))
    return "(?:" + "|".join(options) + ")"
