"""Schemas defined only as each other: `A: {$ref: B}`, `B: {$ref: A}`.

A cycle through `properties` or `items` is a recursive type (a tree, a linked list) and is
fine. A cycle that passes only through a schema's own `$ref` or its `allOf` members never
reaches a definition: no value is described, and the models generated from it would contain
(or inherit from) each other. Such a cycle is an error at the first schema in it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from specagent import _jsonschema
from specagent.ir import Code, Diagnostic, Location, Severity

_SCHEMAS = _jsonschema.SCHEMAS


def find_ref_cycles(document: Mapping[str, Any], display_name: str) -> list[Diagnostic]:
    """One `ref.cycle` error per cycle of bare `$ref`s (or `allOf` members) between schemas."""
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(schemas, dict):
        return []
    edges = {name: sorted(set(_direct_refs(schema))) for name, schema in schemas.items()}
    found: list[Diagnostic] = []
    for cycle in _cycles(edges):
        start = cycle.index(min(cycle))
        ordered = [*cycle[start:], *cycle[:start]]
        chain = " -> ".join([*ordered, ordered[0]])
        found.append(
            Diagnostic(
                Code.REF_CYCLE,
                Severity.ERROR,
                f"schemas {chain} are defined only as each other, so they describe no value",
                Location.in_spec(display_name, (*_SCHEMAS, ordered[0])),
                "give one of them a definition of its own (type, properties, items); "
                "a cycle through properties or items is fine",
            )
        )
    return found


def _direct_refs(schema: Any) -> Iterator[str]:
    """Names of the schemas this one is, as a whole: its own `$ref` and its `allOf` members."""
    if not isinstance(schema, dict):
        return
    members = schema.get("allOf")
    candidates = [schema, *(members if isinstance(members, list) else [])]
    for candidate in candidates:
        ref = candidate.get("$ref") if isinstance(candidate, dict) else None
        if _jsonschema.is_schema_ref(ref):
            tokens = _jsonschema.split_fragment(ref[1:])
            if len(tokens) == len(_SCHEMAS) + 1:
                yield tokens[-1]


def _cycles(edges: Mapping[str, list[str]]) -> Iterator[list[str]]:
    """Each cycle closed by a back edge of a depth-first search, in sorted order.

    Iterative, because a spec may hold a chain of thousands of aliases.
    """
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(edges):
        if root in state:
            continue
        path: list[str] = [root]
        state[root] = 1
        pending: list[Iterator[str]] = [iter(edges[root])]
        while pending:
            target = next(pending[-1], None)
            if target is None:
                pending.pop()
                state[path.pop()] = 2
                continue
            if target not in edges:
                continue  # dangling refs are reported by the bundler
            seen = state.get(target)
            if seen == 1:
                yield path[path.index(target) :]
            elif seen is None:
                state[target] = 1
                path.append(target)
                pending.append(iter(edges[target]))
