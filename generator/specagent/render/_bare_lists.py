"""Item types for the list root models datamodel-code-generator leaves bare.

A schema that is an array of itself (`Tree: {type: array, items: {$ref: Tree}}`), also through
nested arrays or a union (`items: {anyOf: [{$ref: U}, {type: string}]}`), comes out as
`class Tree(RootModel[list]): root: list`: an untyped list, which mypy --strict refuses
("Missing type arguments"). The item type is written here from the schema: a class name for
a `$ref`, `list[...]` for an array, a union for `anyOf`/`oneOf`, the builtin for a plain type,
`Any` where the schema says no more. In the base class the item type is quoted (the class does
not exist yet when its base is evaluated), and `model_rebuild()` resolves it after the module.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from specagent._jsonschema import schema_ref_name

__all__ = ["type_bare_lists"]

_PLAIN = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_DEPTH = 8


def type_bare_lists(source: str, schemas: Mapping[str, Any]) -> str:
    """`source` with every `RootModel[list]` given the item type its schema (`schemas`: class
    name -> the schema it was generated from) declares."""
    if "RootModel[list]" not in source:
        return source
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    rebuilt: list[str] = []
    uses_any = False
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and _bare_list_base(node)):
            continue
        schema = schemas.get(node.name)
        if not isinstance(schema, Mapping):
            continue
        item = _annotation(schema.get("items"), schemas, 0)
        uses_any = uses_any or "Any" in item
        for target, text in _targets(node, item):
            if target.end_lineno is None or target.end_col_offset is None:
                continue
            start = starts[target.lineno - 1] + target.col_offset
            end = starts[target.end_lineno - 1] + target.end_col_offset
            edits.append((start, end, text))
        rebuilt.append(node.name)
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    if uses_any and not _imports_any(tree):
        source = _add_any_import(source)
    calls = "".join(f"{name}.model_rebuild()\n" for name in rebuilt)
    return source.rstrip("\n") + "\n\n" + calls if calls else source


def _bare_list_base(node: ast.ClassDef) -> bool:
    return any(
        isinstance(base, ast.Subscript)
        and isinstance(base.value, ast.Name)
        and base.value.id == "RootModel"
        and isinstance(base.slice, ast.Name)
        and base.slice.id == "list"
        for base in node.bases
    )


def _targets(node: ast.ClassDef, item: str) -> list[tuple[ast.expr, str]]:
    """The `list` in the base (quoted item) and in the `root` annotation (plain item)."""
    found: list[tuple[ast.expr, str]] = []
    for base in node.bases:
        if isinstance(base, ast.Subscript) and isinstance(base.slice, ast.Name):
            found.append((base.slice, f"list[{item!r}]"))
    for statement in node.body:
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id == "root"
            and isinstance(statement.annotation, ast.Name)
            and statement.annotation.id == "list"
        ):
            found.append((statement.annotation, f"list[{item}]"))
    return found


def _annotation(schema: Any, schemas: Mapping[str, Any], depth: int) -> str:
    if not isinstance(schema, Mapping) or depth > _DEPTH:
        return "Any"
    name = schema_ref_name(schema.get("$ref"), schemas)
    if name is not None:
        return name
    for combinator in ("anyOf", "oneOf"):
        members = schema.get(combinator)
        if isinstance(members, list) and members:
            texts = list(dict.fromkeys(_annotation(m, schemas, depth + 1) for m in members))
            return "Any" if "Any" in texts else " | ".join(texts)
    kind = schema.get("type")
    if isinstance(kind, list):
        texts = [_annotation({**schema, "type": k}, schemas, depth + 1) for k in kind]
        texts = [("None" if k == "null" else t) for k, t in zip(kind, texts, strict=True)]
        return "Any" if "Any" in texts else " | ".join(dict.fromkeys(texts))
    if kind == "array":
        return f"list[{_annotation(schema.get('items'), schemas, depth + 1)}]"
    if kind == "object" and not schema.get("properties"):
        return f"dict[str, {_annotation(schema.get('additionalProperties'), schemas, depth + 1)}]"
    if kind == "null":
        return "None"
    return _PLAIN.get(kind, "Any") if isinstance(kind, str) else "Any"


def _imports_any(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "typing"
        and any(alias.name == "Any" and alias.asname is None for alias in node.names)
        for node in tree.body
    )


def _add_any_import(source: str) -> str:
    """`from typing import Any` after `from __future__ import annotations` (ruff sorts it)."""
    future = "from __future__ import annotations\n"
    if future in source:
        return source.replace(future, future + "\nfrom typing import Any\n", 1)
    return "from typing import Any\n" + source
