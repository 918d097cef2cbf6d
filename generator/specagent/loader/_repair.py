"""Lenient repairs: what a careful reader accepts in a slightly invalid spec, with a warning.

Strict validators reject real specs (Discord, Spotify, Zendesk Sunshine Conversations,
Meilisearch, PeerTube) for faults whose meaning is plain: a parameter without a schema, a
`$ref` beside other keys, `required: true` on a property. Each repair here keeps that meaning
and names the place. Schemas are also brought to one flavour (OpenAPI 3.1 / JSON Schema
2020-12) so later steps see `nullable` only one way.
"""

from __future__ import annotations

from typing import Any

from specagent import _jsonschema
from specagent.ir import HTTP_METHODS, Code, Diagnostic, Location, Severity

# Past this many warnings of one kind, the rest are summed up in one line.
MAX_WARNINGS_PER_CODE = 25

_JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})
_TYPE_ALIASES = {
    "int": "integer",
    "int32": "integer",
    "int64": "integer",
    "long": "integer",
    "bool": "boolean",
    "str": "string",
    "text": "string",
    "float": "number",
    "double": "number",
    "decimal": "number",
    "dict": "object",
    "map": "object",
    "list": "array",
}
_SWAGGER_PARAM_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
)

Path = tuple[str, ...]


def repair(document: dict[str, Any], family: str, name: str, out: list[Diagnostic]) -> None:
    """Repair `document` (OpenAPI 3.x, bundled) in place, appending warnings to `out`."""
    repairer = _Repairer(family, name)
    repairer.document(document)
    out.extend(repairer.finish())


class _Repairer:
    def __init__(self, family: str, name: str) -> None:
        self._family = family
        self._name = name
        self._diagnostics: list[Diagnostic] = []
        self._counts: dict[Code, int] = {}

    def finish(self) -> list[Diagnostic]:
        for code, count in sorted(self._counts.items()):
            if count > MAX_WARNINGS_PER_CODE:
                self._diagnostics.append(
                    Diagnostic(
                        code,
                        Severity.WARNING,
                        f"... and {count - MAX_WARNINGS_PER_CODE} more places with this repair",
                        Location(self._name, pointer=""),
                    )
                )
        return self._diagnostics

    def _warn(self, code: Code, message: str, path: Path) -> None:
        count = self._counts.get(code, 0) + 1
        self._counts[code] = count
        if count <= MAX_WARNINGS_PER_CODE:
            where = Location.in_spec(self._name, path)
            self._diagnostics.append(Diagnostic(code, Severity.WARNING, message, where))

    def _fail(self, code: Code, message: str, path: Path) -> None:
        where = Location.in_spec(self._name, path)
        self._diagnostics.append(Diagnostic(code, Severity.ERROR, message, where))

    # --- document structure -----------------------------------------------------------------

    def document(self, doc: dict[str, Any]) -> None:
        if not isinstance(doc.get("info"), dict):
            self._warn(Code.SPEC_INFO, "the document has no `info` object", ())
        paths = doc.get("paths")
        if paths is not None and not isinstance(paths, dict):
            self._fail(Code.SPEC_PATHS, "`paths` must be a mapping", ("paths",))
            paths = None
        if not paths:
            if isinstance(doc.get("webhooks"), dict) and doc["webhooks"]:
                message = "the document describes only webhooks; it has no operations to call"
            else:
                message = "the document has no paths; it has no operations"
            self._warn(Code.SPEC_NO_PATHS, message, ("paths",))
        for path_name, item in (paths or {}).items():
            if path_name.startswith("x-"):
                continue
            if not path_name.startswith("/"):
                self._warn(
                    Code.PATH_SLASH,
                    "path does not start with '/'; used as written",
                    ("paths", path_name),
                )
            self._path_item(item, ("paths", path_name), require_operations=True)
        for hook_name, item in _mapping(doc.get("webhooks")).items():
            self._path_item(item, ("webhooks", hook_name), require_operations=False)
        self._components(_mapping(doc.get("components")))

    def _components(self, components: dict[str, Any]) -> None:
        base = ("components",)
        for key, schema in _mapping(components.get("schemas")).items():
            self.schema(schema, (*base, "schemas", key))
        for key, param in _mapping(components.get("parameters")).items():
            self._parameter(param, (*base, "parameters", key))
        for key, header in _mapping(components.get("headers")).items():
            self._parameter(header, (*base, "headers", key), header=True)
        for key, body in _mapping(components.get("requestBodies")).items():
            self._content(_mapping(body).get("content"), (*base, "requestBodies", key, "content"))
        for key, response in _mapping(components.get("responses")).items():
            self._response(response, (*base, "responses", key))
        for key, item in _mapping(components.get("pathItems")).items():
            self._path_item(item, (*base, "pathItems", key), require_operations=False)
        for key, callback in _mapping(components.get("callbacks")).items():
            self._callback(callback, (*base, "callbacks", key))

    def _path_item(self, item: Any, path: Path, *, require_operations: bool) -> None:
        if not isinstance(item, dict):
            self._fail(Code.PATH_TYPE, "path item must be a mapping", path)
            return
        if "$ref" in item:
            return
        self._parameters(item.get("parameters"), (*path, "parameters"))
        operations = [method for method in HTTP_METHODS if method in item]
        if require_operations and not operations:
            self._warn(Code.PATH_EMPTY, "path has no operations; skipped", path)
        for method in operations:
            op = item[method]
            if isinstance(op, dict):
                self._operation(op, (*path, method))

    def _operation(self, op: dict[str, Any], path: Path) -> None:
        self._parameters(op.get("parameters"), (*path, "parameters"))
        body = op.get("requestBody")
        if isinstance(body, dict) and "$ref" not in body:
            self._content(body.get("content"), (*path, "requestBody", "content"))
        for status, response in _mapping(op.get("responses")).items():
            self._response(response, (*path, "responses", status))
        for key, callback in _mapping(op.get("callbacks")).items():
            self._callback(callback, (*path, "callbacks", key))

    def _callback(self, callback: Any, path: Path) -> None:
        if isinstance(callback, dict) and "$ref" not in callback:
            for expression, item in callback.items():
                self._path_item(item, (*path, expression), require_operations=False)

    def _response(self, response: Any, path: Path) -> None:
        if not isinstance(response, dict) or "$ref" in response:
            return
        self._content(response.get("content"), (*path, "content"))
        for key, header in _mapping(response.get("headers")).items():
            self._parameter(header, (*path, "headers", key), header=True)

    def _content(self, content: Any, path: Path) -> None:
        for media_type, media in _mapping(content).items():
            if isinstance(media, dict) and "schema" in media:
                self.schema(media["schema"], (*path, media_type, "schema"))

    def _parameters(self, params: Any, path: Path) -> None:
        if isinstance(params, list):
            for index, param in enumerate(params):
                self._parameter(param, (*path, str(index)))

    def _parameter(self, param: Any, path: Path, *, header: bool = False) -> None:
        if not isinstance(param, dict) or "$ref" in param:
            return
        kind = "header" if header else "parameter"
        if "schema" not in param and "content" not in param:
            moved = {key: param.pop(key) for key in _SWAGGER_PARAM_KEYS if key in param}
            param["schema"] = moved
            if moved:
                self._warn(
                    Code.PARAMETER_SWAGGER_STYLE,
                    f"{kind} declares {', '.join(sorted(moved))} beside `schema` (Swagger 2 "
                    "style); moved into its schema",
                    path,
                )
            else:
                self._warn(
                    Code.PARAMETER_NO_SCHEMA, f"{kind} has no schema; any value is accepted", path
                )
        if "schema" in param:
            self.schema(param["schema"], (*path, "schema"))
        self._content(param.get("content"), (*path, "content"))

    # --- schemas ------------------------------------------------------------------------------

    def schema(self, schema: Any, path: Path) -> None:
        stack: list[tuple[Any, Path]] = [(schema, path)]
        while stack:
            node, where = stack.pop()
            if not isinstance(node, dict):
                continue
            self._fix_schema(node, where)
            for key in _jsonschema.SCHEMA_MAPS:
                for name, child in _mapping(node.get(key)).items():
                    stack.append((child, (*where, key, name)))
            for key in _jsonschema.SCHEMA_LISTS:
                children = node.get(key)
                if isinstance(children, list):
                    stack.extend((c, (*where, key, str(i))) for i, c in enumerate(children))
            for key in _jsonschema.SCHEMA_SLOTS:
                child = node.get(key)
                if isinstance(child, dict):
                    stack.append((child, (*where, key)))

    def _fix_schema(self, node: dict[str, Any], path: Path) -> None:
        if "$ref" in node and len(node) > 1:
            self._ref_siblings(node, path)
        if "nullable" in node:
            self._nullable(node, path)
        for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            flag = node.get(bound)
            if isinstance(flag, bool):
                del node[bound]
                if flag and limit in node:
                    node[bound] = node.pop(limit)
        if "type" in node:
            self._type(node, path)
        properties = node.get("properties")
        if properties is not None and not isinstance(properties, dict):
            self._warn(Code.SCHEMA_PROPERTIES, "`properties` must be a mapping; ignored", path)
            del node["properties"]
        elif properties:
            self._property_required(node, properties, path)
        required = node.get("required")
        if required is not None and not isinstance(required, list):
            self._warn(Code.SCHEMA_REQUIRED, "`required` must be a list of names; ignored", path)
            del node["required"]
        enum = node.get("enum")
        if enum is not None and not isinstance(enum, list):
            self._warn(Code.SCHEMA_ENUM, "`enum` must be a list; ignored", path)
            del node["enum"]
        elif enum == []:
            self._warn(Code.SCHEMA_ENUM, "empty `enum` would accept no value; ignored", path)
            del node["enum"]
        if "examples" in node and not isinstance(node["examples"], list):
            del node["examples"]  # documentation only; a mapping here is a 3.0 media-type habit
        items = node.get("items")
        if isinstance(items, list):
            # Draft-4 tuple syntax, used in real specs (Slack) to mean "items of these kinds".
            node["items"] = items[0] if len(items) == 1 else {"anyOf": items}
            self._warn(
                Code.SCHEMA_ITEMS_LIST,
                "`items` must be one schema, not a list; read as any of the listed schemas",
                path,
            )
        if "enum" in node and "items" in node:
            self._array_enum(node, path)

    def _array_enum(self, node: dict[str, Any], path: Path) -> None:
        """`type: array` with an enum of plain values (bbci.co.uk): the spec means the values
        of the items; read literally, no array equals a string, so nothing would be valid."""
        kind, enum, items = node.get("type"), node["enum"], node["items"]
        is_array = kind == "array" or (isinstance(kind, list) and "array" in kind)
        plain = isinstance(enum, list) and all(
            not isinstance(v, list | dict) and v is not None for v in enum
        )
        if not (is_array and plain and isinstance(items, dict)):
            return
        if "enum" in items or "$ref" in items:
            return
        items["enum"] = node.pop("enum")
        self._warn(Code.SCHEMA_ENUM, "`enum` of an array lists item values; moved to `items`", path)

    def _ref_siblings(self, node: dict[str, Any], path: Path) -> None:
        structural = sorted(
            key
            for key in node
            if key != "$ref" and key not in _jsonschema.ANNOTATIONS and not key.startswith("x-")
        )
        if not structural:
            return  # annotations beside a $ref are harmless and kept (3.1 allows them)
        ref = node.pop("$ref")
        all_of = node.get("allOf")
        node["allOf"] = [{"$ref": ref}, *(all_of if isinstance(all_of, list) else [])]
        if self._family == "3.0":
            self._warn(
                Code.SCHEMA_REF_SIBLINGS,
                f"keys beside $ref ({', '.join(structural)}) are ignored by OpenAPI 3.0; "
                "kept, combined with the reference through allOf",
                path,
            )

    def _nullable(self, node: dict[str, Any], path: Path) -> None:
        if node.pop("nullable") is not True:
            return
        if self._family != "3.0":
            self._warn(
                Code.SCHEMA_NULLABLE, "`nullable` is not an OpenAPI 3.1 keyword; read as null", path
            )
        enum = node.get("enum")
        if isinstance(enum, list) and None not in enum:
            enum.append(None)
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
        elif isinstance(kind, list):
            if "null" not in kind:
                kind.append("null")
        elif "$ref" in node:
            alternatives = [{"$ref": node.pop("$ref")}, {"type": "null"}]
            if isinstance(node.get("anyOf"), list):
                node.setdefault("allOf", []).append({"anyOf": node.pop("anyOf")})
            node["anyOf"] = alternatives
        elif isinstance(node.get("anyOf"), list):
            node["anyOf"].append({"type": "null"})
        elif isinstance(node.get("oneOf"), list):
            node["oneOf"].append({"type": "null"})
        elif isinstance(node.get("allOf"), list):
            node["anyOf"] = [{"allOf": node.pop("allOf")}, {"type": "null"}]
        # No type at all: null is already accepted.

    def _type(self, node: dict[str, Any], path: Path) -> None:
        kind = node["type"]
        kinds = kind if isinstance(kind, list) else [kind]
        fixed: list[str] = []
        for item in kinds:
            if isinstance(item, str) and item in _JSON_TYPES:
                fixed.append(item)
            elif isinstance(item, str) and item.lower() in _TYPE_ALIASES:
                fixed.append(_TYPE_ALIASES[item.lower()])
                self._warn(Code.SCHEMA_TYPE, f"type {item!r} read as {fixed[-1]!r}", path)
            else:
                self._warn(Code.SCHEMA_TYPE, f"unknown type {item!r} ignored (any value)", path)
        if not fixed:
            del node["type"]
        elif isinstance(kind, list):
            node["type"] = list(dict.fromkeys(fixed))
        else:
            node["type"] = fixed[0]

    def _property_required(
        self, node: dict[str, Any], properties: dict[str, Any], path: Path
    ) -> None:
        # `required: true` on a property (Swagger habit) means "required in the parent".
        for name, prop in properties.items():
            if isinstance(prop, dict) and isinstance(prop.get("required"), bool):
                if prop.pop("required"):
                    required = node.get("required")
                    if not isinstance(required, list):
                        required = node["required"] = []
                    if name not in required:
                        required.append(name)
                self._warn(
                    Code.SCHEMA_REQUIRED,
                    "`required: true|false` on a property belongs in the parent's `required` "
                    "list; moved there",
                    (*path, "properties", name),
                )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
