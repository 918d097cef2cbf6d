"""JSON Pointer and JSON Schema vocabulary: one home for each word the generator uses.

Places in a spec are JSON pointers (RFC 6901: `~0` stands for `~`, `~1` for `/`), written in
diagnostics and, as URI fragments that may also be percent-encoded, in `$ref`s. After loading,
every schema reference points into `#/components/schemas/`; `schema_ref_name` and
`resolve_schema` are the one way to follow one. The keyword sets say which JSON Schema keywords
hold subschemas (walked by the bundler, the repairs and the renderers) and which hold data.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeGuard
from urllib.parse import unquote

MISSING: Any = object()

# --- JSON Pointer -----------------------------------------------------------------------------


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def to_pointer(path: Sequence[str]) -> str:
    """("paths", "/pet", "get") -> "/paths/~1pet/get"."""
    return "".join("/" + escape(token) for token in path)


def split_fragment(fragment: str) -> list[str]:
    """The tokens of a `$ref` fragment ("/components/schemas/Pet", percent-encoding allowed)."""
    text = unquote(fragment)
    if not text or text == "/":
        return [] if not text else [""]
    if not text.startswith("/"):
        return [text]  # a plain-name anchor; never resolvable as a pointer
    return [unescape(token) for token in text[1:].split("/")]


def resolve_pointer(document: Any, tokens: Sequence[str]) -> Any:
    """The value at `tokens`, or MISSING."""
    node = document
    for token in tokens:
        if isinstance(node, dict):
            node = node.get(token, MISSING)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node


def suggest_pointer(document: Any, tokens: Sequence[str]) -> str:
    """A "did you mean" hint for a pointer that resolves to nothing ("" when none fits)."""
    if not tokens:
        return ""
    parent = resolve_pointer(document, tokens[:-1])
    if not isinstance(parent, dict):
        return ""
    names = [name for name in parent if isinstance(name, str)]
    close = difflib.get_close_matches(tokens[-1], names, n=1, cutoff=0.6)
    if not close:
        return ""
    return f"did you mean '#{to_pointer([*tokens[:-1], close[0]])}'?"


# --- references to component schemas ----------------------------------------------------------

SCHEMAS = ("components", "schemas")
SCHEMAS_PREFIX = "#" + to_pointer(SCHEMAS) + "/"  # "#/components/schemas/"


def schema_ref(name: str) -> str:
    """The `$ref` to the component schema `name`."""
    return SCHEMAS_PREFIX + escape(name)


def is_schema_ref(ref: object) -> TypeGuard[str]:
    return isinstance(ref, str) and ref.startswith(SCHEMAS_PREFIX)


def schema_ref_name(ref: object, schemas: Mapping[str, object]) -> str | None:
    """The components.schemas name a `$ref` points to, if it points to one that exists.

    The pointer is a URI fragment: some specs percent-encode it (`My%20Schema`), all may use
    the JSON pointer escapes `~1` and `~0`.
    """
    if not isinstance(ref, str) or not ref.startswith(SCHEMAS_PREFIX):
        return None
    token = ref.removeprefix(SCHEMAS_PREFIX)
    for candidate in (token, unquote(token)):
        name = unescape(candidate)
        if name in schemas:
            return name
    return None


def resolve_schema(
    schema: Mapping[str, Any] | None, schemas: Mapping[str, Any]
) -> Mapping[str, Any]:
    """`schema` with its `$ref`s to components followed (chains too).

    {} (any value) when a reference points at nothing or a chain of bare references loops; a
    reference elsewhere is returned as it is.
    """
    return follow_refs(schema or {}, schemas)[0]


def follow_refs(
    schema: Mapping[str, Any], schemas: Mapping[str, Any], seen: frozenset[str] = frozenset()
) -> tuple[Mapping[str, Any], frozenset[str]]:
    """`resolve_schema`, for walks that descend into what they resolve: the components met on
    the way so far (`seen`, given and returned) count as a loop too, so a recursive schema
    (`Tree: {items: {$ref: Tree}}`) ends as {} instead of recursing forever."""
    current = schema
    while is_schema_ref(current.get("$ref")):
        name = schema_ref_name(current["$ref"], schemas)
        if name is None or name in seen:
            return {}, seen
        seen = seen | {name}
        target = schemas[name]
        if not isinstance(target, Mapping):
            return {}, seen
        current = target
    return current, seen


def object_schema(fields: Iterable[tuple[str, Any, bool]]) -> dict[str, Any]:
    """An object schema from (property, its schema, required) triples, in their order."""
    properties: dict[str, Any] = {}
    required = []
    for name, schema, is_required in fields:
        properties[name] = schema
        if is_required:
            required.append(name)
    result: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        result["required"] = required
    return result


# --- keywords -----------------------------------------------------------------------------------

# Keywords whose value maps names to subschemas.
SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
# Keywords whose value is a list of subschemas.
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
# Keywords whose value is one subschema.
SCHEMA_SLOTS = (
    "items",
    "additionalProperties",
    "not",
    "additionalItems",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
)
# Keywords whose value is data (a JSON value), never a schema, even when it looks like one.
VALUE_KEYWORDS = frozenset({"enum", "const", "default"})
# Keywords that describe and do not constrain: harmless beside a `$ref`.
ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "summary",
        "example",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
        "xml",
        "$comment",
        "nullable",
    }
)
