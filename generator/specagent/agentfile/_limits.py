"""The agent file's limits: the top-level `limits:` section and a tool's `lookup_limit`.

The names and the rules are the runtime's own (`specagent_runtime.Limits`), so the agent file
cannot accept a limit the runtime does not know or a value it would refuse when the package is
loaded: a mistake is a generation error at its line, not a `ConfigurationError` in production.

```yaml
limits:
  tool_calls_per_turn: 12
  lookups_per_client_per_day: 20
tools:
  overrides:
    getOrderByZip: {lookup_limit: 5}
```
"""

from __future__ import annotations

import dataclasses
import math

import yaml
from specagent_runtime import Limits

from specagent.agentfile._yaml import NodeReader, child_path, is_null
from specagent.ir import Code

__all__ = ["LIMIT_NAMES", "read_limits", "read_lookup_limit"]

LIMIT_NAMES = tuple(item.name for item in dataclasses.fields(Limits))
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_DEFAULTS: dict[str, int | float] = dataclasses.asdict(Limits())
# Limits counted in whole units (calls, lookups, characters); the others are seconds.
_WHOLE = frozenset(name for name, value in _DEFAULTS.items() if isinstance(value, int))


def read_limits(
    reader: NodeReader, node: yaml.Node, path: str
) -> tuple[tuple[str, int | float], ...]:
    """`limits:` as (name, value) pairs in the runtime's order; bad entries are reported and
    left out, so the rest still reaches agent.json."""
    if is_null(node):
        return ()
    entries = reader.mapping(node, path, LIMIT_NAMES)
    values: dict[str, int | float] = {}
    for name, value in entries.items():
        number = _number(reader, value, child_path(path, name), whole=name in _WHOLE)
        if number is not None:
            values[name] = number
    chosen = {**_DEFAULTS, **values}
    if chosen["max_lockout_seconds"] < chosen["lockout_seconds"]:
        culprit = "max_lockout_seconds" if "max_lockout_seconds" in values else "lockout_seconds"
        reader.fail(
            Code.AGENT_LIMIT,
            entries[culprit],
            f"`{child_path(path, culprit)}`: max_lockout_seconds "
            f"({chosen['max_lockout_seconds']:g}) must be at least lockout_seconds "
            f"({chosen['lockout_seconds']:g})",
            "a lockout doubles up to max_lockout_seconds; raise it or lower lockout_seconds",
            key=child_path(path, culprit),
        )
        values.pop(culprit, None)
    return tuple((name, values[name]) for name in LIMIT_NAMES if name in values)


def read_lookup_limit(reader: NodeReader, node: yaml.Node, path: str) -> int | None:
    """A tool's `lookup_limit`: how many times one conversation may call it."""
    value = _number(reader, node, path, whole=True)
    return None if value is None else int(value)


def _number(reader: NodeReader, node: yaml.Node, path: str, *, whole: bool) -> int | float | None:
    """A positive number (a whole one where `whole`), else a diagnostic and None."""
    expected = "a whole number of at least 1" if whole else "a number of seconds, at least 1"
    if not isinstance(node, yaml.ScalarNode) or node.tag not in (_INT, _FLOAT):
        reader.wrong_type(node, path, expected)
        return None
    value: object = yaml.safe_load(node.value)
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    usable = number is not None and (isinstance(number, int) or not whole)
    if number is None or not usable or not 1 <= number < math.inf:
        reader.fail(
            Code.AGENT_LIMIT,
            node,
            f"`{path}` must be {expected}, not {node.value}",
            "a limit cannot be switched off; a large number is the closest to no limit"
            if usable
            else "",
            key=path,
        )
        return None
    return number
