"""Swagger 2.0 -> OpenAPI 3.0, so everything after this module reads one format.

The mapping follows the OpenAPI 3.0 migration rules (as swagger2openapi does): host, basePath
and schemes become servers; body and formData parameters become a request body whose media
types come from `consumes`; `produces` gives the response media types; definitions become
component schemas; security definitions become security schemes with 3.0 flow names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from specagent import _jsonschema
from specagent.ir import HTTP_METHODS, Code, Diagnostic, Location, Severity

_METHODS = tuple(method for method in HTTP_METHODS if method != "trace")  # not in Swagger 2.0
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_REF_PREFIXES = {
    "#/definitions/": _jsonschema.SCHEMAS_PREFIX,
    "#/parameters/": "#/components/parameters/",
    "#/responses/": "#/components/responses/",
}
_FLOW_NAMES = {
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
    "password": "password",
    "implicit": "implicit",
}
_COLLECTION_STYLES = {
    # collectionFormat -> (style for query/cookie, explode); path/header arrays stay "simple".
    "csv": ("form", False),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "multi": ("form", True),
}
_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "x-nullable",
    "nullable",
)


def convert(doc: dict[str, Any], name: str, location: str, out: list[Diagnostic]) -> dict[str, Any]:
    """A new OpenAPI 3.0 document made from the (bundled) Swagger 2.0 document `doc`."""
    return _Converter(doc, name, location, out).run()


class _Converter:
    def __init__(self, doc: dict[str, Any], name: str, location: str, out: list[Diagnostic]):
        self._doc = doc
        self._name = name
        self._location = location
        self._out = out
        self._consumes = _strings(doc.get("consumes"))
        self._produces = _strings(doc.get("produces"))
        self._shared_params = _mapping(doc.get("parameters"))

    def run(self) -> dict[str, Any]:
        doc = self._doc
        _rewrite_schemas(doc)
        result: dict[str, Any] = {"openapi": "3.0.3"}
        result["info"] = doc.get("info", {})
        servers = self._servers()
        if servers:
            result["servers"] = servers
        for key in ("tags", "security", "externalDocs"):
            if key in doc:
                result[key] = doc[key]
        result.update({k: v for k, v in doc.items() if k.startswith("x-")})
        result["paths"] = {
            path: item if path.startswith("x-") else self._path_item(item, ("paths", path))
            for path, item in _mapping(doc.get("paths")).items()
        }
        components: dict[str, Any] = {}
        if "definitions" in doc:
            components["schemas"] = _mapping(doc["definitions"])
        parameters = {
            key: self._parameter(param, ("parameters", key))
            for key, param in self._shared_params.items()
            if _mapping(param).get("in") not in ("body", "formData")
        }
        if parameters:
            components["parameters"] = parameters
        responses = {
            key: self._response(response, self._produces)
            for key, response in _mapping(doc.get("responses")).items()
        }
        if responses:
            components["responses"] = responses
        schemes = {
            key: self._security_scheme(scheme, ("securityDefinitions", key))
            for key, scheme in _mapping(doc.get("securityDefinitions")).items()
        }
        if schemes:
            components["securitySchemes"] = schemes
        if components:
            result["components"] = components
        return result

    def _servers(self) -> list[dict[str, Any]]:
        host = self._doc.get("host")
        base_path = self._doc.get("basePath")
        base = base_path if isinstance(base_path, str) and base_path else ""
        if base and not base.startswith("/"):
            base = "/" + base
        if not isinstance(host, str) or not host:
            return [{"url": base}] if base else []
        schemes = _strings(self._doc.get("schemes"))
        if not schemes:
            source_scheme = urlparse(self._location).scheme
            schemes = [source_scheme if source_scheme in ("http", "https") else "https"]
        return [{"url": f"{scheme}://{host}{base.rstrip('/')}"} for scheme in schemes]

    def _path_item(self, raw: Any, path: tuple[str, ...]) -> dict[str, Any]:
        item = _mapping(raw)
        result: dict[str, Any] = {k: v for k, v in item.items() if k.startswith("x-")}
        for key in ("summary", "description"):
            if key in item:
                result[key] = item[key]
        shared = _list(item.get("parameters"))
        plain_shared = [p for p in shared if self._location_of(p) not in ("body", "formData")]
        body_shared = [p for p in shared if self._location_of(p) in ("body", "formData")]
        if plain_shared:
            result["parameters"] = [
                self._parameter(p, (*path, "parameters", str(i)))
                for i, p in enumerate(plain_shared)
            ]
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                result[method] = self._operation(item[method], body_shared, (*path, method))
        return result

    def _location_of(self, param: Any) -> Any:
        return self._resolve_param(param).get("in")

    def _resolve_param(self, raw: Any) -> dict[str, Any]:
        param = _mapping(raw)
        ref = param.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/parameters/"):
            key = _jsonschema.unescape(ref.rsplit("/", 1)[1])
            return _mapping(self._shared_params.get(key))
        return param

    def _operation(
        self, op: dict[str, Any], body_shared: list[Any], path: tuple[str, ...]
    ) -> dict[str, Any]:
        result = {
            k: v
            for k, v in op.items()
            if k not in ("parameters", "responses", "consumes", "produces", "schemes")
        }
        consumes = _strings(op["consumes"]) if "consumes" in op else self._consumes
        produces = _strings(op["produces"]) if "produces" in op else self._produces
        raw_params = _list(op.get("parameters"))
        plain: list[Any] = []
        body: list[dict[str, Any]] = []
        own_keys = set()
        for index, raw in enumerate(raw_params):
            resolved = self._resolve_param(raw)
            own_keys.add(_param_key(resolved))
            if resolved.get("in") in ("body", "formData"):
                body.append(resolved)
            else:
                plain.append(self._parameter(raw, (*path, "parameters", str(index))))
        for raw in body_shared:
            resolved = self._resolve_param(raw)
            if _param_key(resolved) not in own_keys:
                body.append(resolved)
        if plain:
            result["parameters"] = plain
        if body:
            request_body = self._request_body(body, consumes, path)
            if request_body is not None:
                result["requestBody"] = request_body
        result["responses"] = {
            str(status): self._response(response, produces)
            for status, response in _mapping(op.get("responses")).items()
        }
        return result

    def _request_body(
        self, params: list[dict[str, Any]], consumes: list[str], path: tuple[str, ...]
    ) -> dict[str, Any] | None:
        body_params = [p for p in params if p.get("in") == "body"]
        form_params = [p for p in params if p.get("in") == "formData"]
        if body_params:
            if form_params:
                self._warn(
                    Code.SWAGGER_BODY_AND_FORM,
                    "operation has both a body and formData parameters; formData ignored",
                    path,
                )
            param = body_params[0]
            media_types = [t for t in consumes if t not in _FORM_TYPES] or ["application/json"]
            schema = param.get("schema", {})
            result: dict[str, Any] = {
                "content": {media_type: {"schema": schema} for media_type in media_types},
                "required": param.get("required") is True,
            }
            if isinstance(param.get("description"), str):
                result["description"] = param["description"]
            if "x-body-name" in param or "name" in param:
                result["x-body-name"] = param.get("x-body-name", param.get("name"))
            return result
        properties: dict[str, Any] = {}
        required: list[str] = []
        has_file = False
        for param in form_params:
            name = param.get("name")
            if not isinstance(name, str):
                continue
            schema = _param_schema(param)
            if param.get("type") == "file":
                has_file = True
            if isinstance(param.get("description"), str):
                schema["description"] = param["description"]
            properties[name] = schema
            if param.get("required") is True:
                required.append(name)
        form_schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            form_schema["required"] = required
        media_types = [t for t in consumes if t in _FORM_TYPES]
        if not media_types:
            media_types = [_FORM_TYPES[0] if has_file else _FORM_TYPES[1]]
        return {
            "content": {media_type: {"schema": form_schema} for media_type in media_types},
            "required": bool(required),
        }

    def _parameter(self, raw: Any, path: tuple[str, ...]) -> dict[str, Any]:
        param = _mapping(raw)
        if "$ref" in param:
            return dict(param)
        location = param.get("in")
        result: dict[str, Any] = {
            k: v
            for k, v in param.items()
            if k not in _SCHEMA_KEYS and k not in ("collectionFormat", "allowEmptyValue")
        }
        if param.get("allowEmptyValue") is True and location == "query":
            result["allowEmptyValue"] = True
        result["schema"] = _param_schema(param)
        collection = param.get("collectionFormat")
        if param.get("type") == "array" and location in ("query", "cookie"):
            style, explode = _COLLECTION_STYLES.get(str(collection or "csv"), ("form", False))
            if collection == "tsv":
                self._warn(
                    Code.SWAGGER_COLLECTION_FORMAT,
                    "collectionFormat tsv has no OpenAPI 3 equivalent; sent comma-separated",
                    path,
                )
            result["style"], result["explode"] = style, explode
        elif param.get("type") == "array":
            result["style"], result["explode"] = "simple", False
        return result

    def _response(self, raw: Any, produces: list[str]) -> dict[str, Any]:
        response = _mapping(raw)
        if "$ref" in response:
            return dict(response)
        result: dict[str, Any] = {
            k: v for k, v in response.items() if k not in ("schema", "examples", "headers")
        }
        result.setdefault("description", "")
        if "schema" in response:
            schema = response["schema"]
            result["content"] = {
                media_type: {"schema": schema} for media_type in (produces or ["application/json"])
            }
        headers = _mapping(response.get("headers"))
        if headers:
            result["headers"] = {
                key: {
                    **{k: v for k, v in _mapping(header).items() if k not in _SCHEMA_KEYS},
                    "schema": _param_schema(_mapping(header)),
                }
                for key, header in headers.items()
            }
        return result

    def _security_scheme(self, raw: Any, path: tuple[str, ...]) -> dict[str, Any]:
        scheme = _mapping(raw)
        kind = scheme.get("type")
        result: dict[str, Any] = {k: v for k, v in scheme.items() if k.startswith("x-")}
        if isinstance(scheme.get("description"), str):
            result["description"] = scheme["description"]
        if kind == "basic":
            result.update({"type": "http", "scheme": "basic"})
        elif kind == "apiKey":
            result.update({"type": "apiKey", "name": scheme.get("name"), "in": scheme.get("in")})
        elif kind == "oauth2":
            flow_name = _FLOW_NAMES.get(str(scheme.get("flow")))
            if flow_name is None:
                self._warn(
                    Code.SWAGGER_OAUTH_FLOW, f"unknown oauth2 flow {scheme.get('flow')!r}", path
                )
                flow_name = "clientCredentials"
            flow: dict[str, Any] = {"scopes": _mapping(scheme.get("scopes"))}
            if "authorizationUrl" in scheme:
                flow["authorizationUrl"] = scheme["authorizationUrl"]
            if "tokenUrl" in scheme:
                flow["tokenUrl"] = scheme["tokenUrl"]
            result.update({"type": "oauth2", "flows": {flow_name: flow}})
        else:
            result["type"] = kind
        return result

    def _warn(self, code: Code, message: str, path: tuple[str, ...]) -> None:
        where = Location.in_spec(self._name, path)
        self._out.append(Diagnostic(code, Severity.WARNING, message, where))


def _param_key(param: dict[str, Any]) -> tuple[str, str]:
    return str(param.get("name")), str(param.get("in"))


def _param_schema(param: dict[str, Any]) -> dict[str, Any]:
    """The schema of a non-body parameter (or header, or form field)."""
    schema: dict[str, Any] = {k: param[k] for k in _SCHEMA_KEYS if k in param}
    if schema.get("type") == "file":
        schema["type"] = "string"
        schema["format"] = "binary"
    if "x-nullable" in schema:
        schema["nullable"] = schema.pop("x-nullable") is True
    items = schema.get("items")
    if isinstance(items, dict) and "$ref" not in items:
        schema["items"] = _param_schema(items)
    return schema


def _rewrite_schemas(node: Any) -> None:
    """Rewrite refs to their 3.0 places and Swagger-only schema keywords, everywhere."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                for old, new in _REF_PREFIXES.items():
                    if ref.startswith(old):
                        current["$ref"] = new + ref[len(old) :]
                        break
            if "x-nullable" in current:
                current["nullable"] = current.pop("x-nullable") is True
            if current.get("type") == "file":
                current["type"] = "string"
                current["format"] = "binary"
            discriminator = current.get("discriminator")
            if isinstance(discriminator, str):
                current["discriminator"] = {"propertyName": discriminator}
            stack.extend(v for k, v in current.items() if k != "example")
        elif isinstance(current, list):
            stack.extend(current)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
