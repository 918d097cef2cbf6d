"""Normalised OpenAPI 3 document -> `ir.Api`.

The document has been bundled and repaired already, so this module reads, it does not fix:
it resolves local `$ref`s of parameters, bodies, responses and path items, merges path-level
parameters, fills OpenAPI's defaults, and gives every operation a unique id. Anything it still
cannot use becomes a diagnostic naming the place.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from specagent import _jsonschema, ir
from specagent.ir import Code, Diagnostic, Location, Severity
from specagent.loader._defaults import default_problem

_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_STATUS = re.compile(r"[1-5](?:[0-9][0-9]|XX)|default", re.IGNORECASE)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class Builder:
    def __init__(self, document: dict[str, Any], source_name: str, source_version: str) -> None:
        self._doc = document
        self._name = source_name
        self._version = source_version
        self.diagnostics: list[Diagnostic] = []
        self._loops: set[frozenset[str]] = set()

    def build(self) -> ir.Api:
        info = _as_dict(self._doc.get("info"))
        components = _as_dict(self._doc.get("components"))
        schemes = self._security_schemes(components)
        servers = self._servers(self._doc.get("servers"), ("servers",))
        return ir.Api(
            title=_text(info.get("title")),
            version=str(info.get("version", "")),
            description=_text(info.get("description")),
            source_version=self._version,
            servers=servers or (ir.Server(url="/", resolved_url="/"),),
            operations=self._operations({scheme.name for scheme in schemes}),
            schemas=dict(_as_dict(components.get("schemas"))),
            security_schemes=schemes,
            diagnostics=tuple(self.diagnostics),
        )

    # --- helpers --------------------------------------------------------------------------

    def _where(self, path: tuple[str, ...]) -> Location:
        return Location.in_spec(self._name, path)

    def _warn(self, code: Code, message: str, path: tuple[str, ...], hint: str = "") -> None:
        self.diagnostics.append(
            Diagnostic(code, Severity.WARNING, message, self._where(path), hint)
        )

    def _fail(self, code: Code, message: str, path: tuple[str, ...], hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(code, Severity.ERROR, message, self._where(path), hint))

    def _deref(self, value: Any, what: str = "", path: tuple[str, ...] = ()) -> dict[str, Any]:
        """Follow local `$ref`s (chains too); 3.1 `summary`/`description` siblings override.

        A chain that comes back to a `$ref` it passed defines nothing; `what` (a request body,
        a parameter...) used at `path` would be lost without a word, so that is an error."""
        seen: list[str] = []
        overrides: dict[str, Any] = {}
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            for key in ("summary", "description"):
                if key in value and key not in overrides:
                    overrides[key] = value[key]
            if ref in seen and what:
                self._ref_loop(seen[seen.index(ref) :], what, path)
            if ref in seen or not ref.startswith("#"):
                return {}
            seen.append(ref)
            value = _jsonschema.resolve_pointer(self._doc, _jsonschema.split_fragment(ref[1:]))
        result = _as_dict(value)
        return {**result, **overrides} if overrides else result

    def _ref_loop(self, loop: list[str], what: str, path: tuple[str, ...]) -> None:
        """One error per loop, at its first `$ref`'s target (where the fix goes)."""
        key = frozenset(loop)
        if key in self._loops:
            return
        self._loops.add(key)
        target = tuple(_jsonschema.split_fragment(loop[0][1:]))
        chain = " -> ".join(f"'{ref}'" for ref in [*loop, loop[0]])
        self._fail(
            Code.REF_CYCLE,
            f"$ref {chain} leads back to itself and defines nothing, so the {what} at "
            f"#{_jsonschema.to_pointer(path)} would be lost",
            target,
            f"replace the $ref with the {what}'s definition",
        )

    # --- servers and security ----------------------------------------------------------------

    def _servers(self, value: Any, path: tuple[str, ...]) -> tuple[ir.Server, ...]:
        if not isinstance(value, list):
            return ()
        servers: list[ir.Server] = []
        for index, raw in enumerate(value):
            server = _as_dict(raw)
            url = server.get("url")
            if not isinstance(url, str):
                self._warn(Code.SERVER_URL, "server without a url; skipped", (*path, str(index)))
                continue
            variables: list[ir.ServerVariable] = []
            for var_name, raw_var in _as_dict(server.get("variables")).items():
                var = _as_dict(raw_var)
                enum = var.get("enum")
                variables.append(
                    ir.ServerVariable(
                        name=var_name,
                        default=str(var.get("default", "")),
                        enum=tuple(str(e) for e in enum) if isinstance(enum, list) else (),
                        description=_text(var.get("description")),
                    )
                )
            defaults = {var.name: var.default for var in variables}
            for missing in sorted(set(_TEMPLATE.findall(url)) - set(defaults)):
                self._warn(
                    Code.SERVER_VARIABLE,
                    f"server url uses {{{missing}}} but declares no such variable",
                    (*path, str(index), "url"),
                )
            resolved = _resolve_url(url, defaults)
            servers.append(
                ir.Server(
                    url=url,
                    resolved_url=resolved,
                    description=_text(server.get("description")),
                    variables=tuple(variables),
                )
            )
        return tuple(servers)

    def _security_schemes(self, components: dict[str, Any]) -> tuple[ir.SecurityScheme, ...]:
        result: list[ir.SecurityScheme] = []
        for name, raw in _as_dict(components.get("securitySchemes")).items():
            path = ("components", "securitySchemes", name)
            scheme = self._deref(raw, "security scheme", path)
            kind = scheme.get("type")
            if kind == "apiKey":
                location = scheme.get("in")
                if location not in ("header", "query", "cookie") or not scheme.get("name"):
                    self._fail(
                        Code.SECURITY_API_KEY,
                        "apiKey scheme needs `name` and `in` (header, query or cookie)",
                        path,
                    )
                    continue
                result.append(
                    ir.SecurityScheme(
                        name=name,
                        type="apiKey",
                        description=_text(scheme.get("description")),
                        param_name=str(scheme["name"]),
                        location=str(location),
                    )
                )
            elif kind == "http":
                if not _text(scheme.get("scheme")):
                    self._warn(
                        Code.SECURITY_HTTP_SCHEME, "http scheme without `scheme`; bearer", path
                    )
                result.append(
                    ir.SecurityScheme(
                        name=name,
                        type="http",
                        description=_text(scheme.get("description")),
                        scheme=_text(scheme.get("scheme")).lower() or "bearer",
                        bearer_format=_text(scheme.get("bearerFormat")),
                    )
                )
            elif kind == "oauth2":
                result.append(
                    ir.SecurityScheme(
                        name=name,
                        type="oauth2",
                        description=_text(scheme.get("description")),
                        flows=self._flows(scheme.get("flows")),
                    )
                )
            elif kind in ("openIdConnect", "mutualTLS"):
                result.append(
                    ir.SecurityScheme(
                        name=name,
                        type=str(kind),
                        description=_text(scheme.get("description")),
                        openid_connect_url=_text(scheme.get("openIdConnectUrl")),
                    )
                )
            else:
                self._warn(Code.SECURITY_TYPE, f"unknown security scheme type {kind!r}", path)
        return tuple(result)

    def _flows(self, value: Any) -> tuple[ir.OAuthFlow, ...]:
        flows: list[ir.OAuthFlow] = []
        for kind in ("clientCredentials", "authorizationCode", "password", "implicit"):
            flow = _as_dict(_as_dict(value).get(kind))
            if not flow and kind not in _as_dict(value):
                continue
            scopes = _as_dict(flow.get("scopes"))
            flows.append(
                ir.OAuthFlow(
                    kind=kind,
                    token_url=_text(flow.get("tokenUrl")),
                    authorization_url=_text(flow.get("authorizationUrl")),
                    refresh_url=_text(flow.get("refreshUrl")),
                    scopes=tuple((str(k), _text(v)) for k, v in scopes.items()),
                )
            )
        return tuple(flows)

    def _security(
        self, value: Any, path: tuple[str, ...], known: set[str]
    ) -> tuple[ir.SecurityRequirement, ...]:
        if not isinstance(value, list):
            return ()
        result: list[ir.SecurityRequirement] = []
        for index, raw in enumerate(value):
            requirement = _as_dict(raw)
            schemes: list[tuple[str, tuple[str, ...]]] = []
            for name, scopes in requirement.items():
                if name not in known:
                    close = difflib.get_close_matches(name, sorted(known), n=1)
                    self._fail(
                        Code.SECURITY_UNKNOWN_SCHEME,
                        f"security requirement names unknown scheme {name!r}",
                        (*path, str(index)),
                        f"did you mean {close[0]!r}?" if close else "",
                    )
                    continue
                listed = scopes if isinstance(scopes, list) else []
                schemes.append((name, tuple(str(scope) for scope in listed)))
            result.append(ir.SecurityRequirement(schemes=tuple(schemes)))
        return tuple(result)

    # --- operations -----------------------------------------------------------------------

    def _operations(self, known_schemes: set[str]) -> tuple[ir.Operation, ...]:
        found = list(self._iter_operations())
        explicit: set[str] = set()
        for _, _, op, _ in found:
            op_id = op.get("operationId")
            if isinstance(op_id, str | int | float) and not isinstance(op_id, bool) and op_id != "":
                explicit.add(str(op_id))
        used: dict[str, tuple[str, ...]] = {}
        result: list[ir.Operation] = []
        global_security = self._doc.get("security")
        for path_name, method, op, item in found:
            op_path = ("paths", path_name, method)
            original = op.get("operationId")
            if isinstance(original, int | float) and not isinstance(original, bool):
                original = str(original)  # `operationId: 123` in YAML
            original_id = original if isinstance(original, str) and original else None
            if original_id is None:
                op_id = _unique(_synthesise_id(method, path_name), used, explicit)
            elif original_id in used:
                op_id = _unique(original_id, used, explicit)
                self._warn(
                    Code.OPERATION_DUPLICATE_ID,
                    f"operationId {original_id!r} is already used at "
                    f"{self._where(used[original_id])}; this one is renamed {op_id!r}",
                    (*op_path, "operationId"),
                )
            else:
                op_id = original_id
            used[op_id] = op_path
            security_source = op["security"] if "security" in op else global_security
            security_path = (*op_path, "security") if "security" in op else ("security",)
            tags = op.get("tags")
            result.append(
                ir.Operation(
                    id=op_id,
                    method=method,
                    path=path_name,
                    summary=_text(op.get("summary")),
                    description=_text(op.get("description")),
                    tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
                    deprecated=op.get("deprecated") is True,
                    parameters=self._parameters(path_name, item, op, op_path),
                    request_body=self._request_body(op.get("requestBody"), op_path),
                    responses=self._responses(op.get("responses"), (*op_path, "responses")),
                    security=self._security(security_source, security_path, known_schemes),
                    servers=self._servers(op.get("servers"), (*op_path, "servers"))
                    or self._servers(item.get("servers"), ("paths", path_name, "servers")),
                    original_id=original_id,
                    where=self._where(op_path),
                )
            )
        return tuple(result)

    def _iter_operations(self) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
        for path_name, raw_item in _as_dict(self._doc.get("paths")).items():
            if path_name.startswith("x-"):
                continue  # a vendor extension, not a path
            item = self._deref(raw_item, "path item", ("paths", path_name))
            for method in ir.HTTP_METHODS:
                op = item.get(method)
                if op is None:
                    continue
                if not isinstance(op, dict):
                    self._fail(
                        Code.OPERATION_TYPE,
                        "operation must be a mapping",
                        ("paths", path_name, method),
                    )
                    continue
                yield path_name, method, op, item

    def _parameters(
        self,
        path_name: str,
        item: dict[str, Any],
        op: dict[str, Any],
        op_path: tuple[str, ...],
    ) -> tuple[ir.Parameter, ...]:
        merged: dict[tuple[str, str], tuple[ir.Parameter, tuple[str, ...]]] = {}
        sources = (
            (item.get("parameters"), ("paths", path_name, "parameters")),
            (op.get("parameters"), (*op_path, "parameters")),
        )
        for raw_list, list_path in sources:
            if not isinstance(raw_list, list):
                continue
            for index, raw in enumerate(raw_list):
                param_path = (*list_path, str(index))
                param = self._parameter(raw, param_path)
                if param is None:
                    continue
                key = (param.name, param.location.value)
                if key in merged and merged[key][1][:-1] == list_path:
                    self._warn(
                        Code.PARAMETER_DUPLICATE,
                        f"{param.location.value} parameter {param.name!r} is listed twice; "
                        "the last one is used",
                        param_path,
                    )
                merged[key] = (param, param_path)
        template = _TEMPLATE.findall(path_name)
        for (name, location), (_, param_path) in list(merged.items()):
            if location == "path" and name not in template:
                self._warn(
                    Code.PARAMETER_NOT_IN_PATH,
                    f"path parameter {name!r} does not appear in {path_name!r}; ignored",
                    param_path,
                )
                del merged[(name, location)]
        for name in template:
            if (name, "path") not in merged:
                self._warn(
                    Code.PARAMETER_UNDECLARED,
                    f"path template variable {{{name}}} is not declared; assumed a string",
                    op_path,
                )
                synthesised = ir.Parameter(
                    name=name,
                    location=ir.ParamLocation.PATH,
                    required=True,
                    schema={"type": "string"},
                    where=self._where(op_path),
                )
                merged[(name, "path")] = (synthesised, op_path)
        return tuple(param for param, _ in merged.values())

    def _parameter(self, raw: Any, path: tuple[str, ...]) -> ir.Parameter | None:
        param = self._deref(raw, "parameter", path)
        if not param and isinstance(raw, dict) and "$ref" in raw:
            return None  # a dangling ref: the loader has reported it already
        name = param.get("name")
        location = param.get("in")
        if not isinstance(name, str) or not name:
            self._fail(Code.PARAMETER_NAME, "parameter without a name", path)
            return None
        if not isinstance(location, str) or location not in _DEFAULT_STYLE:
            self._fail(
                Code.PARAMETER_LOCATION,
                f"parameter {name!r} has invalid location {location!r}",
                path,
                "use one of path, query, header, cookie",
            )
            return None
        schema: Any = param.get("schema")
        content_type: str | None = None
        content = _as_dict(param.get("content"))
        if content and schema is None:
            content_type = next(iter(content))
            schema = _as_dict(content[content_type]).get("schema")
        if isinstance(schema, dict) and default_problem(schema):
            schema = self._drop_default(name, schema, path, content_type)
        default_style = _DEFAULT_STYLE[location]
        style = param.get("style") if isinstance(param.get("style"), str) else default_style
        explode = param.get("explode")
        required = param.get("required") is True
        if location == "path" and not required:
            self._warn(
                Code.PARAMETER_PATH_REQUIRED,
                f"path parameter {name!r} must be required; treated as required",
                path,
            )
            required = True
        return ir.Parameter(
            name=name,
            location=ir.ParamLocation(location),
            required=required,
            schema=schema if isinstance(schema, dict) else {},
            description=_text(param.get("description")),
            style=str(style),
            explode=explode if isinstance(explode, bool) else style == "form",
            allow_reserved=param.get("allowReserved") is True,
            deprecated=param.get("deprecated") is True,
            content_type=content_type,
            where=self._where(path),
        )

    def _drop_default(
        self, name: str, schema: dict[str, Any], path: tuple[str, ...], content_type: str | None
    ) -> dict[str, Any]:
        place = ("content", content_type, "schema") if content_type else ("schema",)
        shown = repr(schema["default"])
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        self._warn(
            Code.PARAMETER_DEFAULT,
            f"the default {shown} of parameter {name!r} {default_problem(schema)}; ignored",
            (*path, *place, "default"),
            "fix or remove it; without it the API applies its own default",
        )
        return {key: value for key, value in schema.items() if key != "default"}

    def _request_body(self, raw: Any, op_path: tuple[str, ...]) -> ir.RequestBody | None:
        if raw is None:
            return None
        body = self._deref(raw, "request body", (*op_path, "requestBody"))
        return ir.RequestBody(
            required=body.get("required") is True,
            description=_text(body.get("description")),
            content=_media_types(body.get("content")),
            where=self._where((*op_path, "requestBody")),
        )

    def _responses(self, raw: Any, path: tuple[str, ...]) -> tuple[ir.Response, ...]:
        responses: list[ir.Response] = []
        for status, raw_response in _as_dict(raw).items():
            if status.startswith("x-"):
                continue
            if not _STATUS.fullmatch(status):
                self._warn(
                    Code.RESPONSE_STATUS,
                    f"response {status!r} is not an HTTP status code; skipped",
                    (*path, status),
                    "response keys are status codes (`200`), ranges (`2XX`) or `default`",
                )
                continue
            response = self._deref(raw_response, "response", (*path, status))
            responses.append(
                ir.Response(
                    status=str(status),
                    description=_text(response.get("description")),
                    content=_media_types(response.get("content")),
                )
            )
        return tuple(responses)


def _media_types(value: Any) -> tuple[ir.MediaType, ...]:
    result: list[ir.MediaType] = []
    for name, raw in _as_dict(value).items():
        schema = _as_dict(raw).get("schema")
        result.append(ir.MediaType(name=name, schema=schema if isinstance(schema, dict) else None))
    return tuple(result)


def _synthesise_id(method: str, path: str) -> str:
    """get /store/order/{orderId} -> get_store_order_by_orderId (stable, readable)."""
    parts: list[str] = [method]
    for segment in path.strip("/").split("/"):
        if not segment:
            continue
        variable = re.fullmatch(r"\{([^{}]+)\}", segment)
        text = f"by_{variable.group(1)}" if variable else segment
        cleaned = re.sub(r"[^\w]+", "_", text).strip("_")
        if cleaned:
            parts.append(cleaned)
    if len(parts) == 1:
        parts.append("root")
    return "_".join(parts)


def _unique(base: str, used: dict[str, tuple[str, ...]], explicit: set[str]) -> str:
    if base not in used and base not in explicit:
        return base
    counter = 2
    while f"{base}_{counter}" in used or f"{base}_{counter}" in explicit:
        counter += 1
    return f"{base}_{counter}"


def _resolve_url(url: str, defaults: dict[str, str]) -> str:
    return _TEMPLATE.sub(lambda match: defaults.get(match.group(1), match.group(0)), url)
