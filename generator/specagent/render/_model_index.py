"""What the typed task code needs to know of models.py: each class's fields by wire name.

datamodel-code-generator decides the attribute names (`orderId` -> `order_id`, `class` ->
`class_`), the annotations and the classes of inline objects, so the index is read from its
output with `ast`, like the client signatures (`_models`), never predicted. `tasks.py` then
reads a field path written with the spec's names (`order.shipping.zip`) as the attributes
the models really have.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

ClassKind = Literal["model", "root", "str_enum", "int_enum", "enum", "other"]

_ENUM_BASES: Mapping[str, ClassKind] = {"StrEnum": "str_enum", "IntEnum": "int_enum"}


@dataclass(frozen=True, slots=True)
class ModelField:
    python_name: str
    annotation: ast.expr  # as written in models.py, model classes by bare name


@dataclass(frozen=True, slots=True)
class ModelClass:
    name: str
    kind: ClassKind
    fields: Mapping[str, ModelField]  # by wire name (the alias, or the name when it has none)
    root: ast.expr | None = None  # a RootModel's type


ModelIndex = Mapping[str, ModelClass]


def field_alias(value: ast.expr | None, python_name: str) -> str:
    """The wire name of a field: its `Field(alias=...)`, else its Python name."""
    if isinstance(value, ast.Call):
        for keyword in value.keywords:
            if keyword.arg == "alias" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    return python_name


def _own_fields(cls: ast.ClassDef) -> dict[str, ModelField]:
    fields = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            if name != "model_config":
                fields[field_alias(node.value, name)] = ModelField(name, node.annotation)
    return fields


def _kind(
    cls: ast.ClassDef, classes: Mapping[str, ast.ClassDef]
) -> tuple[ClassKind, ast.expr | None]:
    for base in cls.bases:
        if isinstance(base, ast.Subscript) and isinstance(base.value, ast.Name):
            if base.value.id == "RootModel":
                return "root", base.slice
        if isinstance(base, ast.Name):
            if base.id in _ENUM_BASES:
                return _ENUM_BASES[base.id], None
            if base.id == "Enum":
                return "enum", None
            if base.id == "BaseModel" or base.id in classes:
                return "model", None
    return "other", None


def index_models(tree: ast.Module) -> dict[str, ModelClass]:
    """Every class of models.py; a subclass (an `allOf`) has its bases' fields too, the first
    base winning as in Python's method resolution order, its own fields last."""
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    done: dict[str, ModelClass] = {}

    def build(name: str, seen: frozenset[str]) -> ModelClass:
        if name in done:
            return done[name]
        cls = classes[name]
        kind, root = _kind(cls, classes)
        fields: dict[str, ModelField] = {}
        for base in reversed(cls.bases):
            if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
                fields.update(build(base.id, seen | {base.id}).fields)
        fields.update(_own_fields(cls))
        done[name] = ModelClass(name, kind, fields, root)
        return done[name]

    for name in classes:
        build(name, frozenset({name}))
    return dict(sorted(done.items()))
