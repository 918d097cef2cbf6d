"""What the Python templates lay out: a view per operation, client method and security scheme,
made from the plan and the generated models.

Names (methods, constants, environment variables) come decided from the plan; what is left to
decide here is how the runtime's classes take them (which types, which keywords), so the
templates hold layout only. Values stay plain data; the templates pass them through
`py_literal`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specagent_runtime import Arg, OperationSpec

from specagent import ir
from specagent.plan import is_json
from specagent.render._models import Models

Keywords = tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class OperationView:
    const: str
    fields: Keywords  # OperationSpec keywords except args, defaults left out
    args: tuple[Keywords, ...]  # Arg keywords per argument, defaults left out


@dataclass(frozen=True, slots=True)
class MethodView:
    name: str
    receiver: str  # "self", or "_self" when an argument is called `self`
    models_alias: str  # how the body refers to the models module
    signature: tuple[str, ...]  # receiver, required `name: type`, `*`, optional `name: type = None`
    call_args: tuple[tuple[str, str], ...]  # argument key -> parameter name
    response_expr: str
    returns: bool  # False when the response has no body: `return None` would upset mypy
    return_annotation: str
    doc: str
    const: str


@dataclass(frozen=True, slots=True)
class SchemeView:
    kind: str  # api_key, bearer, basic, oauth2
    name: str
    fields: tuple[tuple[str, Any], ...]  # constructor keyword -> value
    env: tuple[tuple[str, str], ...]  # variable name -> what it holds


def _without_defaults(cls: type[Any], values: dict[str, Any]) -> Keywords:
    """Keywords whose value differs from the runtime dataclass's default: shorter files."""
    defaults = {item.name: item.default for item in dataclasses.fields(cls)}
    return tuple(
        (key, value)
        for key, value in values.items()
        if key not in defaults or defaults[key] is dataclasses.MISSING or defaults[key] != value
    )


def operations(plan: ir.Plan, scheme_names: frozenset[str]) -> list[OperationView]:
    # Arguments bound to the identity by a tool: the runtime keeps their wire names theirs.
    bound: dict[str, set[str]] = {}
    for tool in plan.tools:
        keys = bound.setdefault(tool.endpoint.operation.id, set())
        keys.update(key for key, _ in tool.bindings)
    views = []
    for endpoint in plan.endpoints:
        operation = endpoint.operation
        security = []
        for requirement in operation.security:
            group = tuple(name for name, _ in requirement.schemes)
            if all(name in scheme_names for name in group):
                security.append(group)
        responses = sorted(
            (response.status, " ".join(response.description.split())[:300])
            for response in operation.responses
        )
        fields = {
            "id": operation.id,
            "method": operation.method.upper(),
            "path": operation.path,
            "body_media_type": endpoint.body_media_type,
            "body_flattened": endpoint.body_flattened,
            "body_required": endpoint.body_required,
            "security": tuple(security),
            "idempotency_key": endpoint.idempotency_key,
            "responses": tuple(responses),
            "success_media_type": endpoint.success_media_type,
            "server": operation_server(plan, operation),
            "bound": tuple(sorted(bound.get(operation.id, ()))),
        }
        args = tuple(
            _without_defaults(
                Arg,
                {
                    "key": arg.key,
                    "name": arg.name,
                    "location": arg.location,
                    "style": arg.style,
                    "explode": arg.explode,
                    "allow_reserved": arg.allow_reserved,
                    "content_type": arg.content_type,
                },
            )
            for arg in endpoint.arguments
        )
        views.append(
            OperationView(
                const=endpoint.constant,
                fields=_without_defaults(OperationSpec, fields),
                args=args,
            )
        )
    return views


def _response(endpoint: ir.Endpoint, models: Models, alias: str) -> tuple[str, str]:
    """(expression passed as `response_type`, return annotation)."""
    media = endpoint.success_media_type
    if media is None:
        return "None", "None"
    if endpoint.response_model is not None and is_json(media):
        unwrapped = models.root_types.get(endpoint.response_model)
        if unwrapped is not None:
            return unwrapped.replace("models.", f"{alias}."), unwrapped
        return f"{alias}.{endpoint.response_model}", f"models.{endpoint.response_model}"
    if media.lower().startswith("text/"):
        return "str", "str"
    return "bytes", "bytes"


def _doc(operation: ir.Operation) -> str:
    parts = [part for part in (operation.summary.strip(), operation.description.strip()) if part]
    if len(parts) == 2 and parts[1].startswith(parts[0].rstrip(".")):
        parts = parts[1:]
    if operation.deprecated:
        parts.append("Deprecated by the API.")
    parts.append(f"`{operation.method.upper()} {operation.path}`")
    return "\n\n".join(parts)


def methods(plan: ir.Plan, models: Models) -> list[MethodView]:
    views = []
    for endpoint in plan.endpoints:
        fields = models.args[endpoint.args_model]
        python_names = {field.python_name for field in fields}
        receiver = "_self" if "self" in python_names else "self"
        alias = "_models" if "models" in python_names else "models"
        required = [field for field in fields if field.required]
        optional = [field for field in fields if not field.required]
        signature = [receiver, *(f"{field.python_name}: {field.annotation}" for field in required)]
        if optional:
            signature.append("*")
            signature.extend(
                f"{field.python_name}: {field.annotation} = None" for field in optional
            )
        response_expr, return_annotation = _response(endpoint, models, alias)
        views.append(
            MethodView(
                name=endpoint.method_name,
                receiver=receiver,
                models_alias=alias,
                signature=tuple(signature),
                call_args=tuple((field.key, field.python_name) for field in fields),
                response_expr=response_expr,
                returns=response_expr != "None",
                return_annotation=return_annotation,
                doc=_doc(endpoint.operation),
                const=endpoint.constant,
            )
        )
    return views


def schemes(plan: ir.Plan) -> list[SchemeView]:
    """One descriptor per scheme the runtime serves (the plan chose them and named the
    environment variables); its constructor keywords, and the variables the README lists."""
    views = []
    for scheme in plan.auth:
        fields: list[tuple[str, Any]] = [("name", scheme.name)]
        if scheme.kind == "api_key":
            fields += [("param_name", scheme.param_name), ("location", scheme.location)]
        elif scheme.kind == "oauth2":
            fields += [("token_url", scheme.token_url), ("scopes", scheme.scopes)]
        fields += [(var.keyword, var.name) for var in scheme.env]
        documented = tuple((var.name, var.holds) for var in scheme.env if var.documented)
        views.append(SchemeView(scheme.kind, scheme.name, tuple(fields), documented))
    return views


def scheme_names(views: list[SchemeView]) -> frozenset[str]:
    return frozenset(view.name for view in views)


def first_sentence(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    if 0 < end < limit:
        return text[: end + 1]
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def default_base_url(plan: ir.Plan) -> str:
    return plan.api.servers[0].resolved_url if plan.api.servers else ""


def operation_server(plan: ir.Plan, operation: ir.Operation) -> str:
    """The operation's own server, "" when it has none or the same as the document's."""
    if not operation.servers:
        return ""
    url = operation.servers[0].resolved_url
    return "" if url == default_base_url(plan) else url


# The runtime descriptor class for each scheme kind.
SCHEME_CLASSES: Mapping[str, str] = {
    "api_key": "ApiKeyScheme",
    "basic": "HttpBasicScheme",
    "bearer": "HttpBearerScheme",
    "oauth2": "OAuth2Scheme",
}
