"""What the Python templates lay out: a view per operation, client method and security scheme,
made from the plan and the generated models.

Names (methods, constants, environment variables) come decided from the plan; what is left to
decide here is how the runtime's classes take them (which types, which keywords), so the
templates hold layout only. Values stay plain data; the templates pass them through
`py_literal`.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specagent_runtime import Arg, OperationSpec

from specagent import ir
from specagent.plan import is_json
from specagent.render._long_lines import WIDTH
from specagent.render._models import ArgField, Models
from specagent.render._templates import py_docstring

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


# The runtime's exception for each status an operation documents (its `_errors` tree).
_STATUS_ERRORS = {
    "400": "BadRequestError",
    "401": "AuthError",
    "403": "AuthError",
    "404": "NotFoundError",
    "409": "ConflictError",
    "422": "UnprocessableEntityError",
    "429": "RateLimitError",
}
_DOC_WIDTH = 76  # inside a method, so the lines end near column 88
_DOC_ITEM = 240  # characters of a parameter's or response's description kept in the docstring


def _doc(endpoint: ir.Endpoint, fields: tuple[ArgField, ...], returns: str) -> str:
    """The method's docstring: the spec's summary and description, then `Args:`, `Returns:`
    and `Raises:` sections (Google style), each line wrapped; escaped by the template."""
    operation = endpoint.operation
    parts = [part for part in (operation.summary.strip(), operation.description.strip()) if part]
    if len(parts) == 2 and parts[1].startswith(parts[0].rstrip(".")):
        parts = parts[1:]
    if operation.deprecated:
        parts.append("Deprecated by the API.")
    paragraphs = [
        _fill(part) for text in parts for part in re.split(r"\n\s*\n", text) if part.strip()
    ]
    paragraphs.append(f"`{operation.method.upper()} {operation.path}`")
    by_key = {argument.key: argument for argument in endpoint.arguments}
    if fields:
        lines = ["Args:"]
        for field in sorted(fields, key=lambda f: not f.required):
            lines += _item(field.python_name, _argument_text(by_key.get(field.key), field.key))
        paragraphs.append("\n".join(lines))
    if returns != "None":
        success = next(
            (r for r in operation.responses if r.status == endpoint.success_status), None
        )
        what = _short(success.description) if success is not None else ""
        text = f"{returns}: {what}" if what else returns
        paragraphs.append("\n".join(["Returns:", *_wrapped(text, "    ", "        ")]))
    paragraphs.append("\n".join(["Raises:", *_raises(operation)]))
    return "\n\n".join(paragraphs)


def _argument_text(argument: ir.Argument | None, key: str) -> str:
    if argument is None:
        return f"`{key}`."
    where = (
        "the request body"
        if argument.location == "body" and not argument.name
        else (f"`{argument.name}` in the {argument.location}")
    )
    described = _short(argument.description or str(argument.schema.get("description", "")))
    if not described:
        return f"{where[:1].upper()}{where[1:]}."
    return f"{described.rstrip('.')} ({where})."


def _raises(operation: ir.Operation) -> list[str]:
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    for response in sorted(operation.responses, key=lambda r: r.status):
        error = _STATUS_ERRORS.get(response.status)
        if error is None and response.status.startswith("5"):
            error = "ServerError"
        if error is None or (error, response.status) in seen:
            continue
        seen.add((error, response.status))
        what = _short(response.description)
        lines += _wrapped(
            f"{error}: {response.status}" + (f", {what}" if what else ""), "    ", "        "
        )
    lines += _wrapped("ApiStatusError: any other status that is not a success.", "    ", "        ")
    lines += _wrapped(
        "ApiConnectionError: the API could not be reached or did not answer in time.",
        "    ",
        "        ",
    )
    return lines


def _item(name: str, text: str) -> list[str]:
    return _wrapped(f"{name}: {text}", "    ", "        ")


def _wrapped(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=_DOC_WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _fill(text: str) -> str:
    return textwrap.fill(
        " ".join(text.split()), width=_DOC_WIDTH, break_long_words=False, break_on_hyphens=False
    )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DOC_ITEM else text[: _DOC_ITEM - 1].rstrip() + "…"


# Required arguments a method takes by position; with more, all are keyword-only, as the
# strict rule set's PLR0917 (max-positional-args 5) asks.
_MAX_POSITIONAL = 5


# A method's parameters sit at 8 columns once ruff format splits the signature at its width.
_PARAMETER_ROOM = WIDTH - 8


def _parameter(name: str, annotation: str, default: str) -> str:
    """`name: annotation` plus default, the annotation parenthesized when the line would be
    too long: ruff format then breaks inside the parentheses, where a bare `X | None` after a
    long name splits at the `|` and can leave a line over E501's limit."""
    text = f"{name}: {annotation}{default}"
    if len(text) + 1 <= _PARAMETER_ROOM or " | " not in annotation:
        return text
    return f"{name}: ({annotation}){default}"


def methods(plan: ir.Plan, models: Models) -> list[MethodView]:
    views = []
    for endpoint in plan.endpoints:
        fields = models.args[endpoint.args_model]
        python_names = {field.python_name for field in fields}
        receiver = "_self" if "self" in python_names else "self"
        alias = "_models" if "models" in python_names else "models"
        required = [field for field in fields if field.required]
        optional = [field for field in fields if not field.required]
        signature = [receiver]
        if len(required) > _MAX_POSITIONAL:
            signature.append("*")  # that many are only readable by name (ruff's PLR0917)
        signature.extend(_parameter(field.python_name, field.annotation, "") for field in required)
        if optional and "*" not in signature:
            signature.append("*")
        signature.extend(
            _parameter(field.python_name, field.annotation, " = None") for field in optional
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
                doc=_doc(endpoint, fields, return_annotation),
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


def with_header(source: str, *paragraphs: str) -> str:
    """`source` opening with a module docstring of `paragraphs` (after a leading `# mypy:`
    comment, which must stay first), like the files made from templates."""
    docstring = '"""' + py_docstring("\n\n".join(paragraphs)) + '\n"""\n'
    lines = source.splitlines(keepends=True)
    pragmas = 0
    while pragmas < len(lines) and lines[pragmas].startswith("# mypy:"):
        pragmas += 1
    return "".join(lines[:pragmas]) + docstring + "\n" + "".join(lines[pragmas:])


def api_name(title: str, package: str) -> str:
    """How the generated files name the API: `Petstore` -> `Petstore API`, while `Shop Support
    API` (or `API v2`) stays as it is, not `Shop Support API API`."""
    name = " ".join(title.split()) or package
    return name if re.search(r"\bapis?\b", name, re.IGNORECASE) else f"{name} API"


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
