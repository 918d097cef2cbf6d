"""models.py through one datamodel-code-generator call, and what the client needs from it.

datamodel-code-generator decides the Python field names and annotations, so the client method
signatures are read back from its output with `ast` rather than guessed: keyword names and
types then always agree with the argument models the tools validate against.
"""

from __future__ import annotations

import ast
import builtins
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic_core import SchemaError, SchemaValidator, core_schema

from specagent import ir
from specagent._jsonschema import (
    SCHEMA_MAPS,
    VALUE_KEYWORDS,
    object_schema,
    schema_ref,
    schema_ref_name,
)
from specagent.render._bare_lists import type_bare_lists
from specagent.render._class_names import derive_numbered_names, shorten_argument_classes
from specagent.render._deep_models import defer_deep_models
from specagent.render._field_names import field_aliases
from specagent.render._model_index import ModelIndex, field_alias, index_models
from specagent.render._source_fixes import (
    OVERRIDE_PRAGMA,
    ascii_enum_members,
    escape_controls,
    redeclares_fields,
    settle_base_conflicts,
    strip_header,
    union_bases,
)

_UNWRAPPABLE = frozenset({"list", "dict"})
_SIMPLE_BUILTINS = frozenset({"str", "int", "float", "bool", "bytes"})


class ModelsError(RuntimeError):
    """datamodel-code-generator failed or did not produce a class the package needs."""


@dataclass(frozen=True, slots=True)
class ArgField:
    """One argument-model field as the client method signature uses it."""

    key: str  # the argument key (the field's alias)
    python_name: str
    annotation: str  # source text, model classes written as `models.X`
    required: bool


@dataclass(frozen=True, slots=True)
class Models:
    source: str
    classes: frozenset[str]
    args: Mapping[str, tuple[ArgField, ...]]  # args model class name -> its fields
    # Imports the annotations need, as in models.py: ("datetime", "date", "date_aliased").
    imports: frozenset[tuple[str, str, str]]
    root_types: Mapping[str, str]  # RootModel class -> `list[models.X]` when unwrappable
    index: ModelIndex  # every class's fields by wire name, for the typed task code


# Examples only document; OpenAPI's map-shaped `examples` even breaks pydantic's `Field`.
# `propertyNames` becomes `dict[constr(...), X]`, a call mypy refuses in an annotation.
_DROPPED = frozenset({"example", "examples", "propertyNames"})
# Formats datamodel-code-generator maps to a type from a package generated packages do not
# depend on (pydantic's EmailStr needs email-validator, `ulid` is python-ulid): such strings
# stay `str`, validated by the API. tests/unit/render/test_formats.py runs every format the
# model generator knows and fails when a new one needs a package; `_check_imports` refuses
# any that slips through, rather than write a models.py that cannot be imported.
_EXTRA_DEPENDENCY_FORMATS = frozenset({"email", "idn-email", "ulid"})
# What models.py may import: the standard library, pydantic (EmailStr and NameEmail aside)
# and typing_extensions (a dependency of pydantic).
_IMPORTABLE = frozenset({"pydantic", "pydantic_core", "typing_extensions", "specagent_runtime"})
_NEEDS_EXTRA = frozenset({"EmailStr", "NameEmail"})
# String formats datamodel-code-generator keeps as `str`; others become date, UUID, AnyUrl...
_STR_FORMATS = frozenset(
    {"password", "hostname", "idn-hostname", "regex", "json-pointer", "byte", "email", "idn-email"}
)
_NON_FLOAT_NUMBER_FORMATS = frozenset({"decimal"})


@cache
def _pattern_works(pattern: str) -> bool:
    """Whether pydantic can compile the spec's regex; one it cannot would make the generated
    models fail at import time (too large, or syntax its regex engine lacks)."""
    try:
        SchemaValidator(core_schema.str_schema(pattern=pattern))
    except SchemaError:
        return False
    return True


def _default_fits(schema: Mapping[str, Any]) -> bool:
    """Whether the schema's default has the Python type its annotation will have.

    Specs often say `default: 0` for a decimal or `default: "5"` for an integer; written into
    a model as is, that is a mypy error in the generated package. Such defaults are dropped
    (the API applies its own default when the argument is left out).
    """
    if "oneOf" in schema or "anyOf" in schema:
        return False  # datamodel-code-generator copies it into members of other types
    default = schema["default"]
    if default is None:
        return True
    enum = schema.get("enum")
    if isinstance(enum, list | tuple) and default not in enum:
        return False
    declared = schema.get("type")
    kinds = set(declared) if isinstance(declared, list) else {declared} - {None}
    fmt = schema.get("format")

    def allows(*names: str) -> bool:
        return not kinds or bool(kinds.intersection(names))

    if isinstance(default, bool):
        return allows("boolean")
    if isinstance(default, int | float):
        if isinstance(fmt, str) and fmt in _NON_FLOAT_NUMBER_FORMATS:
            return False
        return allows("number") or (allows("integer") and isinstance(default, int))
    if isinstance(default, str):
        return allows("string") and (fmt is None or (isinstance(fmt, str) and fmt in _STR_FORMATS))
    if isinstance(default, list):
        items = schema.get("items")
        if isinstance(items, Mapping) and "$ref" not in items and items.get("format"):
            # `format: uri` items are `list[AnyUrl]`, which a list of strings does not fit.
            return allows("array") and all(
                _default_fits({**items, "default": item}) for item in default
            )
        return allows("array")
    return isinstance(default, dict) and allows("object")


def _patterns_as_values(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """`patternProperties` as the values of a plain mapping (`additionalProperties`: any of
    the patterns' schemas, and of the extra properties' own schema if it has one).

    datamodel-code-generator writes them as `dict[constr(pattern=...), X]`, a call in an
    annotation that mypy refuses; the key patterns are the API's to check, the values stay
    typed.
    """
    patterns = node.get("patternProperties")
    if not isinstance(patterns, Mapping) or not patterns:
        return node
    values = [schema for schema in patterns.values() if isinstance(schema, Mapping | bool)]
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping):
        values.append(extra)
    if any(value is True or value == {} for value in values):
        values = []  # one of them takes any value
    copy = {key: value for key, value in node.items() if key != "patternProperties"}
    kept = [value for value in values if isinstance(value, Mapping)]
    if not kept:
        copy["additionalProperties"] = True
    else:
        copy["additionalProperties"] = kept[0] if len(kept) == 1 else {"anyOf": kept}
    return copy


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    """A copy of a schema with refs to renamed classes, examples dropped, enums deduplicated,
    and defaults that do not fit the field's type left out."""
    if isinstance(node, Mapping):
        node = _patterns_as_values(node)
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED or (key == "format" and value in _EXTRA_DEPENDENCY_FORMATS):
                continue
            if key == "default" and not _default_fits(node):
                continue
            if key == "pattern" and not (isinstance(value, str) and _pattern_works(value)):
                continue
            if key == "$ref" and (name := schema_ref_name(value, renames)) is not None:
                result[key] = schema_ref(renames[name])
            elif key == "enum" and isinstance(value, list | tuple):
                if any(isinstance(item, Mapping | list | tuple) for item in value):
                    # An object or array as an enum member becomes a mutable class attribute
                    # (ruff RUF012) that no JSON value equals; the field accepts any value.
                    continue
                # Repeated values would become repeated enum members.
                unique: list[Any] = []
                for item in value:
                    if item not in unique:
                        unique.append(item)
                result[key] = unique
            elif key in VALUE_KEYWORDS:
                result[key] = value
            elif key in SCHEMA_MAPS and isinstance(value, Mapping):
                result[key] = {name: _rewrite_refs(sub, renames) for name, sub in value.items()}
            else:
                result[key] = _rewrite_refs(value, renames)
        return result
    if isinstance(node, list | tuple):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _args_schema(endpoint: ir.Endpoint, renames: Mapping[str, str]) -> dict[str, Any]:
    return object_schema(
        (arg.key, _arg_schema(arg, renames), arg.required) for arg in endpoint.arguments
    )


def _arg_schema(arg: ir.Argument, renames: Mapping[str, str]) -> dict[str, Any]:
    schema = dict(_rewrite_refs(arg.schema, renames))
    if arg.description and "description" not in schema:
        schema["description"] = arg.description
    return schema


def synthetic_document(plan: ir.Plan) -> dict[str, Any]:
    """An OpenAPI document whose schemas are exactly the classes models.py must contain."""
    renames = plan.model_names
    schemas: dict[str, Any] = {
        renames[name]: _rewrite_refs(schema, renames) for name, schema in plan.api.schemas.items()
    }
    for endpoint in plan.endpoints:
        schemas[endpoint.args_model] = _args_schema(endpoint, renames)
        if endpoint.response_model is not None and endpoint.response_model not in schemas:
            schemas[endpoint.response_model] = _rewrite_refs(endpoint.success_schema or {}, renames)
    return {
        "openapi": "3.1.0",
        "info": {"title": "models", "version": "0"},
        "paths": {},
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def _run_codegen(document: dict[str, Any]) -> str:
    # Imported here: slow to import, and only models.py needs it.
    from datamodel_code_generator import generate  # noqa: PLC0415
    from datamodel_code_generator.enums import DataModelType, InputFileType  # noqa: PLC0415
    from datamodel_code_generator.format import Formatter, PythonVersion  # noqa: PLC0415

    with warnings.catch_warnings():
        # Its warnings describe choices we made on purpose (and would be errors under pytest).
        warnings.simplefilter("ignore")
        try:
            output = generate(
                document,
                input_file_type=InputFileType.OpenAPI,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_python_version=PythonVersion.PY_311,
                snake_case_field=True,
                disable_timestamp=True,
                use_double_quotes=True,
                field_constraints=True,
                use_field_description=True,
                use_schema_description=True,
                capitalise_enum_members=True,
                set_default_enum_member=True,
                use_standard_collections=True,
                use_union_operator=True,
                formatters=[Formatter.BUILTIN],
                aliases=field_aliases(document),
                # pydantic v2 `populate_by_name=True`: `User(first_name=...)` must not be
                # dropped silently when the field has an alias.
                allow_population_by_field_name=True,
                # `Field(default=None, alias=...)`: mypy without the pydantic plugin reads a
                # positional default as no default, and users' code would not type-check.
                use_default_kwarg=True,
            )
        except Exception as error:  # its exception types are not a stable public API
            raise ModelsError(f"datamodel-code-generator failed: {error}") from error
    if not isinstance(output, str):
        raise ModelsError("datamodel-code-generator returned several modules, expected one")
    fixed = union_bases(escape_controls(strip_header(output)))
    return ascii_enum_members(settle_base_conflicts(fixed))


def _imports(tree: ast.Module) -> dict[str, tuple[str, str, str]]:
    """Local name -> (module, imported name, local name) for models.py's `from` imports."""
    names: dict[str, tuple[str, str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            for alias in node.names:
                local = alias.asname or alias.name
                names[local] = (node.module, alias.name, local)
    return names


class _Qualify(ast.NodeTransformer):
    """Writes model classes as `models.X` and records the imports other names need."""

    def __init__(
        self, classes: frozenset[str], imported: Mapping[str, tuple[str, str, str]]
    ) -> None:
        self.classes = classes
        self.imported = imported
        self.needed: set[tuple[str, str, str]] = set()

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.classes:
            return ast.Attribute(value=ast.Name(id="models", ctx=ast.Load()), attr=node.id)
        if node.id in self.imported:
            self.needed.add(self.imported[node.id])
        elif not hasattr(builtins, node.id):
            raise ModelsError(f"annotation uses {node.id!r}, which models.py does not define")
        return node


def _is_optional(annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return True
    if isinstance(annotation, ast.Name) and annotation.id == "Any":
        return True
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _is_optional(annotation.left) or _is_optional(annotation.right)
    return False


def _field_required(value: ast.expr | None) -> bool:
    if value is None:
        return True
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "Field"
    ):
        default: ast.expr | None = value.args[0] if value.args else None
        for keyword in value.keywords:
            if keyword.arg == "default":
                default = keyword.value
            if keyword.arg == "default_factory":
                return False
        return default is None or (isinstance(default, ast.Constant) and default.value is Ellipsis)
    return False


def _fields(cls: ast.ClassDef, qualify: _Qualify) -> tuple[ArgField, ...]:
    fields = []
    for node in cls.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        name = node.target.id
        if name == "model_config":
            continue
        required = _field_required(node.value)
        annotation: ast.expr = qualify.visit(node.annotation)
        if not required and not _is_optional(annotation):
            annotation = ast.BinOp(left=annotation, op=ast.BitOr(), right=ast.Constant(None))
        fields.append(
            ArgField(
                key=field_alias(node.value, name),
                python_name=name,
                annotation=ast.unparse(annotation),
                required=required,
            )
        )
    return tuple(fields)


def _root_type(cls: ast.ClassDef, classes: frozenset[str]) -> str | None:
    """`list[models.X]` / `dict[str, models.X]` for a RootModel over such a container."""
    for base in cls.bases:
        if not (
            isinstance(base, ast.Subscript)
            and isinstance(base.value, ast.Name)
            and base.value.id == "RootModel"
        ):
            continue
        inner = base.slice
        if not (
            isinstance(inner, ast.Subscript)
            and isinstance(inner.value, ast.Name)
            and inner.value.id in _UNWRAPPABLE
        ):
            return None
        parts = inner.slice.elts if isinstance(inner.slice, ast.Tuple) else [inner.slice]
        if inner.value.id == "dict" and not (
            len(parts) == 2 and isinstance(parts[0], ast.Name) and parts[0].id == "str"
        ):
            return None
        item = parts[-1]
        if not isinstance(item, ast.Name):
            return None
        if item.id in classes:
            item_text = f"models.{item.id}"
        elif item.id in _SIMPLE_BUILTINS:
            item_text = item.id
        else:
            return None
        return f"list[{item_text}]" if inner.value.id == "list" else f"dict[str, {item_text}]"
    return None


def _check_imports(tree: ast.Module) -> None:
    """models.py must import with the runtime's dependencies alone."""
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
            names = {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            names = set()
        else:
            continue
        for module in modules:
            top = module.partition(".")[0]
            extra = names & _NEEDS_EXTRA if top == "pydantic" else set()
            if (top not in sys.stdlib_module_names and top not in _IMPORTABLE) or extra:
                needed = ", ".join(sorted(extra)) or module
                raise ModelsError(
                    f"models.py would import {needed}, which generated packages do not depend "
                    "on (a string `format` datamodel-code-generator maps to a third-party type)"
                )


def build_models(plan: ir.Plan) -> Models:
    document = synthetic_document(plan)
    source = type_bare_lists(_run_codegen(document), document["components"]["schemas"])
    protected = {*plan.model_names.values()}
    for endpoint in plan.endpoints:
        protected.add(endpoint.args_model)
        if endpoint.response_model is not None:
            protected.add(endpoint.response_model)
    source = derive_numbered_names(source, protected)
    args_models = [endpoint.args_model for endpoint in plan.endpoints]
    source = defer_deep_models(shorten_argument_classes(source, args_models, protected))
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ModelsError(f"datamodel-code-generator produced invalid Python: {error}") from error
    _check_imports(tree)
    if redeclares_fields(tree):
        source = OVERRIDE_PRAGMA + source
    class_defs = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    classes = frozenset(class_defs)
    # Each class models.py must define, and where in the spec it comes from.
    expected = {cls: schema_ref(name) for name, cls in plan.model_names.items()}
    for endpoint in plan.endpoints:
        expected.setdefault(endpoint.args_model, str(endpoint.operation.where))
        if endpoint.response_model is not None:
            expected.setdefault(endpoint.response_model, str(endpoint.operation.where))
    missing = sorted(set(expected) - classes)
    if missing:
        places = ", ".join(f"{cls} ({expected[cls] or 'spec'})" for cls in missing[:10])
        raise ModelsError(f"datamodel-code-generator did not produce the classes {places}")
    qualify = _Qualify(classes, _imports(tree))
    args = {
        endpoint.args_model: _fields(class_defs[endpoint.args_model], qualify)
        for endpoint in plan.endpoints
    }
    root_types = {}
    for endpoint in plan.endpoints:
        name = endpoint.response_model
        if name is not None and (unwrapped := _root_type(class_defs[name], classes)):
            root_types[name] = unwrapped
    return Models(
        source=source,
        classes=classes,
        args=args,
        imports=frozenset(qualify.needed),
        root_types=root_types,
        index=index_models(tree),
    )
