"""Turning one operation into an endpoint: flat arguments, request media type, success response.

The flat argument list is what both the client method and the tool expose, so callers and the
model never have to know which parameter travels in the path, the query or the body.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from specagent import ir
from specagent._jsonschema import resolve_schema, schema_ref_name

# Headers the HTTP layer owns; OpenAPI says parameters with these names are ignored.
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
IDEMPOTENCY_HEADER = "idempotency-key"

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


def is_json(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _media_rank(media_type: str) -> int:
    base = media_type.split(";", 1)[0].strip().lower()
    if base == "application/json":
        return 0
    if is_json(base) and base != "*/*":
        return 1
    if base == _FORM:
        return 2
    if base == _MULTIPART:
        return 3
    return 4


def choose_media(content: tuple[ir.MediaType, ...]) -> ir.MediaType | None:
    """JSON first, then forms, then whatever the spec lists first (stable for equal ranks)."""
    if not content:
        return None
    return min(content, key=lambda media: _media_rank(media.name))


def _flattenable(schema: ir.JsonSchema) -> bool:
    """An object with named properties and nothing that flattening would lose."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        return False
    kind = schema.get("type", "object")
    if kind != "object":
        return False
    if any(key in schema for key in ("oneOf", "anyOf", "allOf", "not", "patternProperties")):
        return False
    extra = schema.get("additionalProperties", False)
    return extra is False or extra == {"not": {}}


def _body_arguments(
    body: ir.RequestBody, media: ir.MediaType, schemas: Mapping[str, ir.JsonSchema]
) -> tuple[list[ir.Argument], bool]:
    resolved = resolve_schema(media.schema, schemas)
    if not _flattenable(resolved) or _whole_or_nothing(body, resolved, schemas):
        whole = ir.Argument(
            key="body",
            name="",
            location="body",
            required=body.required,
            schema=media.schema if media.schema is not None else {},
            description=body.description,
        )
        return [whole], False
    required = set(resolved.get("required", ()))
    arguments = []
    for name, prop in resolved["properties"].items():
        prop_schema: Mapping[str, Any] = prop if isinstance(prop, Mapping) else {}
        if resolve_schema(prop_schema, schemas).get("readOnly") is True:
            continue  # the server sets it; sending it is at best ignored
        arguments.append(
            ir.Argument(
                key=name,
                name=name,
                location="body",
                required=body.required and name in required,
                schema=prop_schema,
                description=str(prop_schema.get("description", "")),
            )
        )
    return arguments, True


def _whole_or_nothing(
    body: ir.RequestBody, resolved: Mapping[str, Any], schemas: Mapping[str, ir.JsonSchema]
) -> bool:
    """An optional body whose schema requires properties: either all of those are sent or no
    body at all. Flattened, each property would be an optional argument of its own, and a call
    setting one of them would send a body the API must refuse; as one `body` argument its model
    requires them whenever a body is given."""
    if body.required:
        return False
    properties = resolved.get("properties")
    if not isinstance(properties, Mapping):
        return False
    for name in resolved.get("required", ()):
        prop = properties.get(name)
        prop_schema: Mapping[str, Any] = prop if isinstance(prop, Mapping) else {}
        if resolve_schema(prop_schema, schemas).get("readOnly") is not True:
            return True
    return False


def _parameter_argument(param: ir.Parameter) -> ir.Argument:
    return ir.Argument(
        key=param.name,
        name=param.name,
        location=param.location.value,
        required=param.required,
        schema=param.schema,
        description=param.description or str(param.schema.get("description", "")),
        style=param.style,
        explode=param.explode,
        allow_reserved=param.allow_reserved,
        content_type=param.content_type,
    )


def _unique_keys(arguments: list[ir.Argument]) -> list[ir.Argument]:
    """Rename `name` to `name__location` where two locations share it (FastMCP's convention)."""
    counts = Counter(arg.key for arg in arguments)
    renamed = [
        replace(arg, key=f"{arg.key}__{arg.location}") if counts[arg.key] > 1 else arg
        for arg in arguments
    ]
    # The same name twice in one location (or a rename that hits another name): number them.
    seen: set[str] = set()
    result = []
    for arg in renamed:
        key = arg.key
        counter = 1
        while key in seen:
            counter += 1
            key = f"{arg.key}_{counter}"
        seen.add(key)
        result.append(arg if key == arg.key else replace(arg, key=key))
    return result


def _success(
    operation: ir.Operation,
) -> tuple[ir.Response | None, ir.MediaType | None]:
    """The lowest 2xx response (a `2XX` range counts as 299), else `default`."""
    best: tuple[int, ir.Response] | None = None
    default = None
    for response in operation.responses:
        status = response.status.upper()
        if status == "DEFAULT":
            default = response
            continue
        if status == "2XX":
            rank = 299
        elif len(status) == 3 and status.startswith("2") and status.isdigit():
            rank = int(status)
        else:
            continue
        if best is None or rank < best[0]:
            best = (rank, response)
    chosen = best[1] if best is not None else default
    if chosen is None:
        return None, None
    return chosen, choose_media(chosen.content)


def build_endpoint(
    operation: ir.Operation,
    *,
    method_name: str,
    constant: str,
    args_model: str,
    response_name: str,
    model_names: Mapping[str, str],
    schemas: Mapping[str, ir.JsonSchema],
) -> ir.Endpoint:
    """One endpoint; `response_name` is used only when the success schema is inline."""
    arguments: list[ir.Argument] = []
    idempotency_key = False
    for param in operation.parameters:
        lowered = param.name.lower()
        if param.location is ir.ParamLocation.HEADER:
            if lowered == IDEMPOTENCY_HEADER:
                idempotency_key = True  # the runtime generates and sends it
                continue
            if lowered in _IGNORED_HEADERS:
                continue
        arguments.append(_parameter_argument(param))

    body = operation.request_body
    media = choose_media(body.content) if body is not None else None
    flattened = False
    if body is not None and media is not None:
        body_args, flattened = _body_arguments(body, media, schemas)
        arguments.extend(body_args)

    response, success_media = _success(operation)
    success_schema: ir.JsonSchema | None = None
    response_model: str | None = None
    if success_media is not None and is_json(success_media.name):
        success_schema = success_media.schema if success_media.schema is not None else {}
        response_model = _response_model(success_schema, response_name, model_names)

    return ir.Endpoint(
        operation=operation,
        method_name=method_name,
        constant=constant,
        args_model=args_model,
        arguments=tuple(_unique_keys(arguments)),
        body_media_type=media.name if media is not None else None,
        body_flattened=flattened,
        body_required=body.required if body is not None and media is not None else False,
        success_status=response.status if response is not None else None,
        success_media_type=success_media.name if success_media is not None else None,
        success_schema=success_schema,
        response_model=response_model,
        idempotency_key=idempotency_key,
    )


def _response_model(
    schema: ir.JsonSchema, response_name: str, model_names: Mapping[str, str]
) -> str:
    name = schema_ref_name(schema.get("$ref"), model_names)
    if name is not None and len(schema) == 1:
        return model_names[name]
    return response_name
