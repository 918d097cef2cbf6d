"""Turning an API response into what the model may see, within a size budget.

The agent file decides which response fields the model sees (`expose`, an allow-list) and which
it must never see (`redact`); both are dotted paths of JSON keys (the API's names) that apply to
every element of a list on the way. Large results are cut to a character budget so one list of
10,000 orders cannot fill the context window: lists are shortened first (keeping valid JSON with
a note of how much was left out), and only if that is not enough is the text cut.

Two guards share those paths: `owned_by` (agent.yaml `owner:`: a response is shown only when
its owner field equals the verified customer's value) and `scrub_error` (an API error that
echoes a redacted field's value in its message loses that value, or the message).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from specagent_runtime._lazy import lazy_module

if TYPE_CHECKING:
    import pydantic
    import pydantic_core
else:
    # Loaded with the first result to shape: listing the tools on a cold start needs neither.
    pydantic = lazy_module("pydantic")
    pydantic_core = lazy_module("pydantic_core")

from specagent_runtime._errors import ApiError, ApiStatusError

# Strings longer than this are the second thing shortened when lists alone do not fit.
_LONG_STRING = 200

_PathTree = dict[str, "_PathTree"]  # an empty tree means "this whole field"


def to_json_data(value: object) -> Any:
    """The response as JSON data, keyed by the API's names (aliases); fields the API did not
    send stay absent instead of becoming nulls the model has to read."""
    if isinstance(value, pydantic.BaseModel):
        # A lenient value (an API that drifted) may not serialise as typed; pydantic's warning
        # would quote the value (customer data, an echoed credential) to stderr.
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings=False)
    if isinstance(value, bytes | bytearray):
        # A download (PDF, image): the model cannot read it, only learn that it arrived.
        return {"binary_content": f"{len(value)} bytes, not shown"}
    if isinstance(value, list | tuple):
        return [to_json_data(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_json_data(item) for key, item in value.items()}
    return pydantic_core.to_jsonable_python(value, by_alias=True)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _tree(paths: Iterable[str]) -> _PathTree:
    root: _PathTree = {}
    for path in paths:
        node = root
        parts = [part for part in path.split(".") if part]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part in node and not node[part]:
                break  # an ancestor is already kept or removed whole
            node = node.setdefault(part, {})
            if last:
                node.clear()
    return root


_DROP = object()


def _keep(data: Any, tree: _PathTree) -> Any:
    if isinstance(data, list):
        kept = (_keep(item, tree) for item in data)
        return [item for item in kept if item is not _DROP]
    if isinstance(data, dict):
        result = {}
        for key, value in data.items():
            if key not in tree:
                continue
            child = value if not tree[key] else _keep(value, tree[key])
            if child is not _DROP:
                result[key] = child
        return result
    # A scalar where the allow-list expected an object: it was not allowed itself.
    return None if data is None else _DROP


def expose(data: Any, paths: Iterable[str]) -> Any:
    """Keep only the listed paths (and everything under them); no paths keeps everything."""
    tree = _tree(paths)
    if not tree:
        return data
    kept = _keep(data, tree)
    return None if kept is _DROP else kept


def _remove(data: Any, tree: _PathTree) -> Any:
    if isinstance(data, list):
        return [_remove(item, tree) for item in data]
    if isinstance(data, dict):
        return {
            key: _remove(value, tree[key]) if key in tree else value
            for key, value in data.items()
            if key not in tree or tree[key]
        }
    return data


def redact(data: Any, paths: Iterable[str]) -> Any:
    """Remove the listed paths wherever they occur along lists."""
    tree = _tree(paths)
    return _remove(data, tree) if tree else data


def _longest_list(data: Any) -> int:
    if isinstance(data, list):
        return max([len(data), *(_longest_list(item) for item in data)])
    if isinstance(data, dict):
        return max([0, *(_longest_list(item) for item in data.values())])
    return 0


def _cap(data: Any, items: int, chars: int | None) -> Any:
    if isinstance(data, list):
        head = [_cap(item, items, chars) for item in data[:items]]
        if len(data) > items:
            head.append(f"... {len(data) - items} more items not shown")
        return head
    if isinstance(data, dict):
        return {key: _cap(value, items, chars) for key, value in data.items()}
    if chars is not None and isinstance(data, str) and len(data) > chars:
        return data[:chars] + f"... ({len(data) - chars} more characters)"
    return data


def fit(data: Any, budget: int) -> tuple[Any, bool]:
    """`data` shortened so its JSON text has at most about `budget` characters; the flag says
    whether anything was left out. The result is still JSON data, marked where it was cut."""
    text = dumps(data)
    if len(text) <= budget:
        return data, False
    longest = _longest_list(data)
    for chars in (None, _LONG_STRING):
        # The largest per-list item count that fits, by bisection (the size grows with it).
        low, high = 0, longest
        while low < high:
            middle = (low + high + 1) // 2
            if len(dumps(_cap(data, middle, chars))) <= budget:
                low = middle
            else:
                high = middle - 1
        capped = _cap(data, low, chars)
        # Emptying every list is a last resort: shortening long strings may keep some items.
        useful = low > 0 or longest == 0 or chars is not None
        if useful and len(dumps(capped)) <= budget:
            return capped, True
    marker = f"... [cut: {budget} of {len(text)} characters shown]"
    return text[:budget] + marker, True


def shape(data: Any, *, expose_paths: Iterable[str], redact_paths: Iterable[str]) -> Any:
    """Apply the agent file's allow-list, then its deny-list (a redacted field stays hidden even
    when an exposed parent would include it)."""
    return redact(expose(data, expose_paths), redact_paths)


# --- owner checks and errors that echo redacted values ---------------------------------------

_MASK = "[redacted]"
_E = TypeVar("_E", bound=ApiError)
_SHORTEST_MASKED = 3  # a shorter value cannot be masked in text without garbling it


def values_at(data: Any, path: str) -> list[Any]:
    """Every value at the dotted `path`, through lists (as `redact` and `expose` read paths)."""
    found = [data]
    for part in (p for p in path.split(".") if p):
        step: list[Any] = []
        for item in found:
            for node in item if isinstance(item, list) else [item]:
                if isinstance(node, dict) and part in node:
                    step.append(node[part])
        found = step
    return [value for item in found for value in (item if isinstance(item, list) else [item])]


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def _every(data: Any, parts: list[str]) -> list[Any] | None:
    """The values at `parts` in every item along lists; None when any item lacks them."""
    if isinstance(data, list):
        found: list[Any] = []
        for item in data:
            values = _every(item, parts)
            if values is None:
                return None
            found.extend(values)
        return found
    if not parts:
        return [data]
    if not isinstance(data, dict) or parts[0] not in data:
        return None
    return _every(data[parts[0]], parts[1:])


def owned_by(data: Any, path: str, expected: str | None) -> bool:
    """Whether the response belongs to the customer: the owner field is present (in every item
    of a list) and equals `expected` (as text, numbers as digits, case-blind: e-mail addresses);
    a missing field, another value or no expected value is someone else's."""
    if not expected:
        return False
    values = _every(data, [part for part in path.split(".") if part])
    if not values:
        return values is not None and data == []  # an empty list holds nobody's data
    wanted = expected.strip().casefold()
    return all((_as_text(v) or "\x00").strip().casefold() == wanted for v in values)


def redacted_values(data: Any, paths: Iterable[str]) -> list[str] | None:
    """The texts of the values at the redacted `paths`; None when one cannot be masked."""
    found = []
    for path in paths:
        for value in values_at(data, path):
            text = value if isinstance(value, str) else _as_text(value)
            if text is None:
                if isinstance(value, dict | list):
                    text = dumps(value)
                else:
                    continue
            if len(text) < _SHORTEST_MASKED:
                return None
            found.append(text)
    return found


def mask(text: str, values: Iterable[str]) -> str:
    for value in sorted(set(values), key=len, reverse=True):
        text = text.replace(value, _MASK)
    return text


def scrub_error(exc: _E, redact_paths: Iterable[str]) -> _E:
    """The error as the model (and the log) may see it when the tool redacts fields: values of
    redacted fields that the error body carries are masked in the API's message and the body
    excerpt; when the body cannot be read back whole (cut, not JSON), the API's own message is
    left out, since it might quote a redacted field."""
    paths = tuple(redact_paths)
    if not paths or not isinstance(exc, ApiStatusError):
        return exc
    try:
        body = json.loads(exc.body_excerpt) if exc.body_excerpt else None
    except ValueError:
        body = None
    values = redacted_values(body, paths) if body is not None else None
    scrubbed = copy.copy(exc)
    if values is None:
        scrubbed.api_message = ""
        scrubbed.body_excerpt = "(not shown: the response may hold redacted fields)"
        scrubbed.message = exc.message.split("; body: ", 1)[0]
        return scrubbed
    scrubbed.api_message = mask(exc.api_message, values)
    scrubbed.body_excerpt = mask(exc.body_excerpt, values)
    scrubbed.message = mask(exc.message, values)
    return scrubbed
