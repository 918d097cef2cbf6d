"""Tools' input schemas: what the model is shown of each operation's arguments.

A tool's input schema must stand alone (function-calling APIs do not resolve references to other
documents), and every tool's schema is sent on every request, so each token must tell the model
something it uses to call the tool right:

* component schemas a tool reaches are copied into its `$defs` (converted once per component
  and shared between tools), and only those it reaches; one used at a single place is written
  there instead, so `$defs` holds only what is shared or recursive; a large part written out
  more than once in one tool (Stripe repeats its inline objects and 300-value enums) is written
  once in `$defs` and referenced;
* what the model has no use for is dropped: OpenAPI-only keywords (`xml`, `discriminator`,
  examples), titles (class names of the spec), number formats (`int64`), length limits no text
  a model writes comes near (Stripe's `maxLength: 5000` on every string), and properties the
  server fills in itself (`readOnly`);
* descriptions lose HTML and link targets, and are cut: at 300 characters for an argument, at
  160 below it (Stripe's and DocuSign's nested objects repeat paragraphs per field).

The argument models (models.py) still hold every constraint: a call that breaks one is refused
with pydantic's message before anything is sent, so the model learns the rule when it matters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from specagent import ir
from specagent._jsonschema import (
    SCHEMA_MAPS,
    SCHEMAS_PREFIX,
    VALUE_KEYWORDS,
    object_schema,
    schema_ref_name,
    split_fragment,
)
from specagent.plan import model_text, trim

__all__ = ["InputSchemas"]

_DROPPED_KEYS = frozenset(
    {"example", "examples", "externalDocs", "xml", "discriminator", "title", "readOnly"}
)
# Formats that only say how a number is stored; date-time, email, uuid... stay.
_NUMBER_FORMATS = frozenset({"int32", "int64", "float", "double"})
# A length limit at or above this constrains nothing a model would write.
_LONG_LIMIT = 1000
ARGUMENT_DESCRIPTION_MAX = 300
NESTED_DESCRIPTION_MAX = 160
_DEFS_PREFIX = "#/$defs/"


class InputSchemas:
    """The input schemas of a plan's tools; components are converted once for all tools."""

    def __init__(self, schemas: Mapping[str, ir.JsonSchema], names: Mapping[str, str]) -> None:
        self._schemas = schemas
        self._names = names
        self._components: dict[str, tuple[Any, frozenset[str]]] = {}
        self._expanding: set[str] = set()  # pointers into components being written out

    def of(self, endpoint: ir.Endpoint) -> dict[str, Any]:
        refs: set[str] = set()
        result = object_schema(
            (arg.key, self._argument(arg, refs), arg.required) for arg in endpoint.arguments
        )
        if refs:
            result["$defs"] = self._closure(refs)
            result = _inline_single_use(result)
        return _share_repeats(result)

    def _argument(self, arg: ir.Argument, refs: set[str]) -> Any:
        schema = self._convert(arg.schema, refs, ARGUMENT_DESCRIPTION_MAX)
        if arg.description:
            schema["description"] = trim(model_text(arg.description), ARGUMENT_DESCRIPTION_MAX)
        return schema

    def _convert(self, node: Any, refs: set[str], limit: int = NESTED_DESCRIPTION_MAX) -> Any:
        """`node` rewritten for the model; `limit` bounds its own description (its parts are
        nested: NESTED_DESCRIPTION_MAX)."""
        if isinstance(node, list | tuple):
            return [self._convert(item, refs) for item in node]
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in self._expanding:
            target = self._inside_component(ref)
            if target is not None:
                # `#/components/schemas/Abuse/properties/id`: no `$defs` entry can stand for a
                # part of a component, so the part is written here (the keywords beside win).
                self._expanding.add(ref)
                try:
                    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
                    return self._convert(merged, refs, limit)
                finally:
                    self._expanding.discard(ref)
        result: dict[str, Any] = {}
        hidden = self._server_filled(node.get("properties"))
        for key, value in node.items():
            if not isinstance(key, str) or key in _DROPPED_KEYS or key.startswith("x-"):
                continue
            if key == "$ref" and (name := schema_ref_name(value, self._names)) is not None:
                refs.add(name)
                result[key] = _DEFS_PREFIX + self._names[name]
            elif key in VALUE_KEYWORDS:
                result[key] = value
            elif key == "description":
                if isinstance(value, str) and (text := trim(model_text(value), limit)):
                    result[key] = text
            elif key == "format" and value in _NUMBER_FORMATS:
                continue
            elif key in ("maxLength", "maxItems") and _is_number(value, _LONG_LIMIT):
                continue
            elif key == "required" and isinstance(value, list) and hidden:
                result[key] = [name for name in value if name not in hidden]
                if not result[key]:
                    del result[key]
            elif key in SCHEMA_MAPS:
                result[key] = {
                    str(name): self._convert(sub, refs)
                    for name, sub in (value.items() if isinstance(value, Mapping) else ())
                    if name not in hidden or key != "properties"
                }
            else:
                result[key] = self._convert(value, refs)
        return result

    def _inside_component(self, ref: str) -> Mapping[str, Any] | None:
        """The schema a `$ref` to a part of a component points to (None for anything else)."""
        if not ref.startswith(SCHEMAS_PREFIX) or schema_ref_name(ref, self._names) is not None:
            return None
        tokens = split_fragment(ref[1:])[2:]  # after "components", "schemas"
        node: Any = self._schemas
        for token in tokens:
            if isinstance(node, Mapping) and token in node:
                node = node[token]
            elif isinstance(node, list | tuple) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        return node if isinstance(node, Mapping) else None

    def _server_filled(self, properties: Any) -> frozenset[str]:
        """Properties marked `readOnly`: the server sets them, a request does not send them."""
        if not isinstance(properties, Mapping):
            return frozenset()
        found = set()
        for name, sub in properties.items():
            target = sub
            if isinstance(sub, Mapping) and (ref := schema_ref_name(sub.get("$ref"), self._names)):
                target = self._schemas.get(ref, sub)
            if isinstance(target, Mapping) and target.get("readOnly") is True:
                found.add(str(name))
        return frozenset(found)

    def _component(self, name: str) -> tuple[Any, frozenset[str]]:
        cached = self._components.get(name)
        if cached is None:
            refs: set[str] = set()
            cached = (self._convert(self._schemas[name], refs), frozenset(refs))
            self._components[name] = cached
        return cached

    def _closure(self, roots: set[str]) -> dict[str, Any]:
        """`$defs` for every component reachable from `roots`, keyed by class name."""
        defs: dict[str, Any] = {}
        pending = sorted(roots)
        seen = set(pending)
        while pending:
            name = pending.pop()
            schema, refs = self._component(name)
            defs[self._names[name]] = schema
            for ref in refs - seen:
                seen.add(ref)
                pending.append(ref)
        return dict(sorted(defs.items()))


def _is_number(value: Any, at_least: int) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= at_least


# --- $defs used once are written where they are used -------------------------------------------


def _ref_sites(
    node: Any, found: list[tuple[str, frozenset[str]]]
) -> list[tuple[str, frozenset[str]]]:
    """Every `$ref` to a definition under `node`: (its name, the keywords beside it)."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
            found.append((ref.removeprefix(_DEFS_PREFIX), frozenset(node) - {"$ref"}))
        for key, value in node.items():
            if key not in VALUE_KEYWORDS:
                _ref_sites(value, found)
    elif isinstance(node, list):
        for item in node:
            _ref_sites(item, found)
    return found


def _refs_in(node: Any) -> set[str]:
    return {name for name, _ in _ref_sites(node, [])}


def _recursive(defs: Mapping[str, Any]) -> set[str]:
    """Definitions that reach themselves (a tree's node): they must stay in `$defs`."""
    edges = {name: _refs_in(schema) for name, schema in defs.items()}
    looping = set()
    for start, targets in edges.items():
        stack, seen = list(targets), set()
        while stack:
            name = stack.pop()
            if name == start:
                looping.add(start)
                break
            if name not in seen and name in edges:
                seen.add(name)
                stack.extend(edges[name])
    return looping


def _inline_single_use(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with each definition referenced once (and not recursive) written in place of
    its `$ref`; the rest stay in `$defs`. Nothing shared is modified: changed nodes are new."""
    defs: dict[str, Any] = schema["$defs"]
    body = {key: value for key, value in schema.items() if key != "$defs"}
    sites = _ref_sites([body, *defs.values()], [])
    uses: dict[str, int] = {}
    for name, _ in sites:
        uses[name] = uses.get(name, 0) + 1
    looping = _recursive(defs)
    # A sibling description overrides the definition's own; any other keyword on both would
    # mean "both must hold", which merging would lose, so such a use stays a `$ref`.
    inline = {
        name
        for name, siblings in sites
        if uses[name] == 1
        and name not in looping
        and name in defs
        and not (siblings - {"description"}) & set(defs[name])
    }

    def place(node: Any) -> Any:
        if isinstance(node, list):
            return [place(item) for item in node]
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix(_DEFS_PREFIX) in inline:
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            return {**place(defs[ref.removeprefix(_DEFS_PREFIX)]), **siblings}
        return {
            key: (value if key in VALUE_KEYWORDS else place(value)) for key, value in node.items()
        }

    result: dict[str, Any] = {key: place(value) for key, value in body.items()}
    remaining = {name: place(value) for name, value in defs.items() if name not in inline}
    if remaining:
        result["$defs"] = dict(sorted(remaining.items()))
    return result


# --- a large part repeated within one tool is written once -------------------------------------

# A repeated part at least this long (compact JSON characters, ~40 tokens) is worth a `$ref`.
_REPEAT_MIN = 150


class _Canon:
    """Compact, key-sorted JSON text of each node, computed once per node (by identity): the
    converted components are shared between the places that use them."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Any, str]] = {}

    def text(self, node: Any) -> str:
        if not isinstance(node, Mapping | list):
            return json.dumps(node, ensure_ascii=False)
        cached = self._texts.get(id(node))
        if cached is not None and cached[0] is node:
            return cached[1]
        if isinstance(node, list):
            text = "[" + ",".join(self.text(item) for item in node) + "]"
        else:
            parts = []
            for key in sorted(node):
                value = node[key]
                inner = (
                    json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                    if key in VALUE_KEYWORDS
                    else self.text(value)
                )
                parts.append(json.dumps(key, ensure_ascii=False) + ":" + inner)
            text = "{" + ",".join(parts) + "}"
        self._texts[id(node)] = (node, text)  # the node is kept alive, so its id stays its own
        return text


def _parts(schema: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The places repeats are looked for, each with the property name it is under: below each
    argument (the arguments' own schemas stay: the runtime reads their types) and in `$defs`."""
    found: list[tuple[str, Any]] = []
    for name, argument in sorted(schema.get("properties", {}).items()):
        if isinstance(argument, Mapping):
            for key, value in argument.items():
                if key in VALUE_KEYWORDS:
                    continue
                if key == "properties" and isinstance(value, Mapping):
                    found.extend((str(sub_name), sub) for sub_name, sub in value.items())
                else:
                    found.append((str(name), value))
    for name, definition in sorted(schema.get("$defs", {}).items()):
        if isinstance(definition, Mapping):
            found.extend((str(name), v) for k, v in definition.items() if k not in VALUE_KEYWORDS)
    return found


def _children(node: Any, label: str) -> list[tuple[str, Any]]:
    if isinstance(node, list):
        return [(label, item) for item in node]
    if not isinstance(node, Mapping):
        return []
    found: list[tuple[str, Any]] = []
    for key, value in node.items():
        if key in VALUE_KEYWORDS:
            continue
        if key in ("properties", "patternProperties") and isinstance(value, Mapping):
            found.extend((str(name), sub) for name, sub in value.items())
        else:
            found.append((label, value))
    return found


def _share_repeats(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with each part written more than once below its arguments moved to `$defs`
    (under the name of the property where it first occurs) and referenced. Outermost repeats
    go first; repeats inside them are found on the next round, inside the new definitions."""
    while True:
        canon = _Canon()
        counts: dict[str, int] = {}
        stack = list(reversed(_parts(schema)))
        while stack:
            label, node = stack.pop()
            if isinstance(node, Mapping):
                text = canon.text(node)
                if len(text) < _REPEAT_MIN:
                    continue  # nothing inside it is long enough either
                counts[text] = counts.get(text, 0) + 1
            stack.extend(reversed(_children(node, label)))
        # The outermost repeats, named after the property where each first occurs.
        chosen: dict[str, str] = {}
        stack = list(reversed(_parts(schema)))
        while stack:
            label, node = stack.pop()
            if isinstance(node, Mapping):
                text = canon.text(node)
                if len(text) < _REPEAT_MIN:
                    continue
                if counts[text] > 1:
                    chosen.setdefault(text, label)
                    continue
            stack.extend(reversed(_children(node, label)))
        if not chosen:
            return schema
        defs = dict(schema.get("$defs", {}))
        refs: dict[str, dict[str, str]] = {}
        for text, label in chosen.items():
            name = base = _names_safe(label)
            counter = 2
            while name in defs:
                name = f"{base}_{counter}"
                counter += 1
            defs[name] = json.loads(text)
            refs[text] = {"$ref": _DEFS_PREFIX + name}

        properties = {
            key: _swap(value, refs, canon, root=False)
            for key, value in schema.get("properties", {}).items()
        }
        new_defs = {key: _swap(value, refs, canon, root=False) for key, value in defs.items()}
        schema = {**schema, "properties": properties, "$defs": dict(sorted(new_defs.items()))}


def _swap(node: Any, refs: Mapping[str, dict[str, str]], canon: _Canon, *, root: bool) -> Any:
    """`node` with each part whose text `refs` names replaced by its `$ref` (not `node` itself
    unless `root`: an argument or a definition is kept, its insides are swapped)."""
    if isinstance(node, list):
        return [_swap(item, refs, canon, root=True) for item in node]
    if not isinstance(node, Mapping):
        return node
    if root and (ref := refs.get(canon.text(node))) is not None:
        return dict(ref)
    return {
        key: (value if key in VALUE_KEYWORDS else _swap(value, refs, canon, root=True))
        for key, value in node.items()
    }


def _names_safe(label: str) -> str:
    """A `$defs` key that needs no escaping in a JSON pointer."""
    cleaned = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in label)
    return cleaned or "part"
