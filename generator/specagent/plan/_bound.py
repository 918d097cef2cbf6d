"""What else in an operation could carry a name bound to the identity, said before it is used.

A tool bound to the verified customer (`bind:`) is only as safe as its other parameters. A
free-form object whose keys become names on the wire (an exploded query or cookie object, a
deepObject, a matrix path object, a form or multipart body, a free-form JSON body) lets the
model choose names, and a parameter spelled like a bound one (`Email` beside `email`) is
another name for it. The runtime refuses any call that uses them to reach a bound name
(when it builds the request); these warnings tell the developer where the spec leaves
the door open, so the spec can be tightened or the operation left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from specagent_runtime import is_routing_header

from specagent import ir
from specagent._diagnostics import warning
from specagent._jsonschema import resolve_schema
from specagent.ir import Code

_NAME_PLACES = {
    ir.ParamLocation.QUERY: "query parameter names",
    ir.ParamLocation.COOKIE: "cookie names",
    ir.ParamLocation.PATH: "path parameter names",
}


def binding_warnings(
    tools: Iterable[ir.Tool], schemas: Mapping[str, ir.JsonSchema]
) -> list[ir.Diagnostic]:
    """Warnings for the tools with bindings whose other parameters can name a bound one."""
    found: list[ir.Diagnostic] = []
    for tool in tools:
        if not tool.bindings:
            continue
        endpoint = tool.endpoint
        operation = endpoint.operation
        bound_keys = {key for key, _ in tool.bindings}
        bound = [arg for arg in endpoint.arguments if arg.key in bound_keys]
        names = ", ".join(f"`{arg.name or arg.key}`" for arg in bound)
        for parameter in operation.parameters:
            if parameter.name in {arg.name for arg in bound if arg.location == parameter.location}:
                continue
            place = _names_place(parameter, schemas)
            if place is not None:
                found.append(_free_form(operation, parameter.name, place, names, parameter.where))
            twin = _lookalike(parameter, bound)
            if twin is not None:
                found.append(_spelled_like(operation, parameter, twin))
        body = operation.request_body
        if body is not None and not endpoint.body_flattened and endpoint.body_media_type:
            place = _body_names_place(endpoint.body_media_type, endpoint.arguments, schemas)
            if place is not None:
                where = body.where if body.where.pointer is not None else operation.where
                found.append(_free_form(operation, "body", place, names, where))
    return found


def _free_form(
    operation: ir.Operation, parameter: str, place: str, names: str, where: ir.Location
) -> ir.Diagnostic:
    return warning(
        Code.BINDING_FREE_FORM,
        where,
        f"operation `{operation.id}`: `{parameter}` is a free-form object whose keys become "
        f"{place}, beside parameters bound to the identity ({names}); the model chooses those "
        "keys (the runtime refuses a call whose keys name a bound parameter)",
        "give the object fixed `properties` and `additionalProperties: false` in the spec, or "
        "leave the operation out of the tools",
    )


def _spelled_like(
    operation: ir.Operation, parameter: ir.Parameter, twin: ir.Argument
) -> ir.Diagnostic:
    return warning(
        Code.BINDING_LOOKALIKE,
        parameter.where,
        f"operation `{operation.id}`: parameter `{parameter.name}` differs from the bound "
        f"`{twin.name}` only in spelling, and many servers read both as one; the runtime "
        "refuses a call that sets it",
        "remove the duplicate parameter from the spec",
    )


def _is_free_form(schema: Mapping[str, object], schemas: Mapping[str, ir.JsonSchema]) -> bool:
    """An object whose keys the caller chooses: no declared properties, or extra ones allowed
    explicitly (`additionalProperties: true` or a schema, `patternProperties`)."""
    resolved = resolve_schema(schema, schemas)
    kind = resolved.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "object" not in kinds and not ({None} == kinds and "additionalProperties" in resolved):
        return False
    extra = resolved.get("additionalProperties")
    if extra is False or extra == {"not": {}}:
        return False
    return bool(extra) or "patternProperties" in resolved or not resolved.get("properties")


def _names_place(parameter: ir.Parameter, schemas: Mapping[str, ir.JsonSchema]) -> str | None:
    """Where the keys of this parameter's object become names, or None (they stay data)."""
    if parameter.content_type is not None or not _is_free_form(parameter.schema, schemas):
        return None
    location, style = parameter.location, parameter.style
    exploded_form = style == "form" and parameter.explode
    if location is ir.ParamLocation.QUERY and (exploded_form or style == "deepObject"):
        return _NAME_PLACES[location]
    if location is ir.ParamLocation.COOKIE and exploded_form:
        return _NAME_PLACES[location]
    if location is ir.ParamLocation.PATH and style == "matrix" and parameter.explode:
        return _NAME_PLACES[location]
    return None


def _body_names_place(
    media_type: str, arguments: Iterable[ir.Argument], schemas: Mapping[str, ir.JsonSchema]
) -> str | None:
    whole = next((arg for arg in arguments if arg.location == "body" and not arg.name), None)
    if whole is None or (not _is_free_form(whole.schema, schemas) and whole.schema):
        return None
    base = media_type.split(";", maxsplit=1)[0].strip().lower()
    if base == "application/x-www-form-urlencoded":
        return "form field names"
    if base == "multipart/form-data":
        return "form part names"
    if base == "application/json" or base.endswith("+json"):
        return "names in the JSON body"
    return None


def _spelling(name: str, header: bool) -> str:
    folded = name.strip().casefold()
    return folded.replace("_", "-") if header else folded


def _lookalike(parameter: ir.Parameter, bound: Iterable[ir.Argument]) -> ir.Argument | None:
    header = parameter.location is ir.ParamLocation.HEADER
    mine = _spelling(parameter.name, header)
    for arg in bound:
        if (arg.location == "header") != header:
            continue
        if arg.name != parameter.name and _spelling(arg.name, header) == mine:
            return arg
    return None


def without_routing_headers(operation: ir.Operation) -> tuple[ir.Operation, list[ir.Diagnostic]]:
    """`operation` without its header parameters that steer routing or framing (`Host`,
    `Forwarded`, `X-Forwarded-*`, ...), each dropped with a warning: no argument may set them,
    and the runtime refuses them from older packages."""
    kept, problems = [], []
    for parameter in operation.parameters:
        if parameter.location is ir.ParamLocation.HEADER and is_routing_header(parameter.name):
            problems.append(
                warning(
                    Code.PARAMETER_ROUTING_HEADER,
                    parameter.where,
                    f"operation `{operation.id}`: the header parameter `{parameter.name}` "
                    "controls where or how the request is routed; it is left out of the "
                    "client and the tools (no argument may set it)",
                    "a proxy in front of the API sets such headers; the client's `headers=` "
                    "can send a fixed value if the API needs one",
                )
            )
            continue
        kept.append(parameter)
    if not problems:
        return operation, []
    return replace(operation, parameters=tuple(kept)), problems
