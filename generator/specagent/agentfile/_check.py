"""Checking the names an agent file uses against the loaded spec.

A typo in an operation id would otherwise silently drop a tool (or keep one the user meant to
exclude), and a binding to a parameter the operation lacks would leave the customer's identity
unenforced. Both are errors pointing at the agent file line, with the spec's closest name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from specagent import ir
from specagent._diagnostics import closest, did_you_mean, error, warning
from specagent._jsonschema import resolve_schema, schema_ref_name
from specagent.agentfile._identity import NAMED_IDENTITY_FIELDS, unknown_field_hint
from specagent.agentfile._yaml import child_path
from specagent.ir import Code
from specagent.plan import select

# Up to this many tags are listed in full when none is close to the typo.
_LIST_LIMIT = 15


def check_agent_against_api(agent: ir.AgentConfig, api: ir.Api) -> list[ir.Diagnostic]:
    """Every operation id, tag and bound parameter the agent file names must exist."""
    by_id: dict[str, ir.Operation] = {}
    for operation in api.operations:
        by_id.setdefault(operation.id, operation)
        if operation.original_id:
            by_id.setdefault(operation.original_id, operation)
    ids = [operation.id for operation in api.operations]
    tags = sorted({tag for operation in api.operations for tag in operation.tags})

    problems: list[ir.Diagnostic] = []
    for section, selection in (("tools.include", agent.include), ("tools.exclude", agent.exclude)):
        for index, name in enumerate(selection.operations):
            if name not in by_id:
                path = child_path(f"{section}.operations", index)
                problems.append(_unknown_operation(agent, path, name, ids))
        for index, tag in enumerate(selection.tags):
            if tag not in tags:
                path = child_path(f"{section}.tags", index)
                hint = did_you_mean(tag, tags, listing=len(tags) <= _LIST_LIMIT)
                if not tags:
                    hint = "the spec's operations have no tags; select by `operations` instead"
                message = f"`{path}`: the spec has no tag `{tag}`"
                problems.append(error(Code.AGENT_UNKNOWN_TAG, _where(agent, path), message, hint))
    selected = {operation.id for operation in select(agent, api.operations)}
    for override in agent.overrides:
        path = f"tools.overrides.{override.operation_id}"
        found = by_id.get(override.operation_id)
        if found is None:
            problems.append(_unknown_operation(agent, path, override.operation_id, ids, override))
            continue
        problems.extend(_check_bindings(agent, override, found, api.schemas, path))
        problems.extend(_check_fields(agent, override, found, api.schemas, path))
        if override.owner is not None:
            known = identity_fields(agent)
            problems.extend(check_owner(override.owner, found, api.schemas, known, f"{path}.owner"))
        if found.id not in selected:
            problems.append(_unused_override(agent, override, path))
    return problems


def _unused_override(agent: ir.AgentConfig, override: ir.ToolOverride, path: str) -> ir.Diagnostic:
    """An override of an operation that is not a tool is most likely a selection mistake."""
    name = override.operation_id
    excluded = bool(agent.exclude.operations) and name in agent.exclude.operations
    reason = "is excluded by `tools.exclude`" if excluded else "is not selected by `tools.include`"
    hint = (
        f"remove the override, or `{name}` from `tools.exclude`"
        if excluded
        else f"add `{name}` to `tools.include.operations`, or remove the override"
    )
    return warning(
        Code.AGENT_UNUSED_OVERRIDE,
        _where(agent, path, override.where),
        f"`{path}`: operation `{name}` {reason}, so this override has no effect",
        hint,
    )


def _where(agent: ir.AgentConfig, path: str, fallback: ir.Location | None = None) -> ir.Location:
    return agent.locations.get(path) or fallback or ir.Location(agent.source)


def _unknown_operation(
    agent: ir.AgentConfig,
    path: str,
    name: str,
    ids: Iterable[str],
    override: ir.ToolOverride | None = None,
) -> ir.Diagnostic:
    known = sorted(set(ids))
    hint = did_you_mean(name, known, listing=len(known) <= _LIST_LIMIT)
    if not hint:
        hint = (
            "operation ids are the spec's `operationId` values; `specagent tools SPEC --verbose`"
            " (without --tasks) lists every one"
        )
    fallback = override.where if override is not None else None
    message = f"`{path}`: the spec has no operation `{name}`"
    return error(Code.AGENT_UNKNOWN_OPERATION, _where(agent, path, fallback), message, hint)


def _check_bindings(
    agent: ir.AgentConfig,
    override: ir.ToolOverride,
    operation: ir.Operation,
    schemas: Mapping[str, ir.JsonSchema],
    path: str,
) -> list[ir.Diagnostic]:
    if not override.bind:
        return []
    names, complete = _argument_names(operation, schemas)
    problems = []
    for parameter, _field in override.bind:
        if parameter in names or not complete:
            continue
        bind_path = f"{path}.bind.{parameter}"
        shown = _documented(names)
        hint = did_you_mean(parameter, shown, listing=len(shown) <= _LIST_LIMIT)
        if not names:
            hint = "this operation takes no parameters"
        message = f"`{bind_path}`: operation `{operation.id}` has no parameter `{parameter}`"
        where = _where(agent, bind_path, override.where)
        problems.append(error(Code.AGENT_UNKNOWN_PARAMETER, where, message, hint))
    return problems


_PLACES = frozenset({*(location.value for location in ir.ParamLocation), "body"})


def _documented(names: set[str]) -> set[str]:
    """The names a hint may offer: the arguments' own names, and `name__location` only where
    two places share a name (the one case the docs give that form for)."""
    places: dict[str, int] = {}
    suffixed: dict[str, str] = {}
    for name in names:
        base, separator, place = name.rpartition("__")
        if separator and place in _PLACES:
            suffixed[name] = base
            places[base] = places.get(base, 0) + 1
    return {name for name in names if name not in suffixed or places[suffixed[name]] > 1}


def _argument_names(
    operation: ir.Operation, schemas: Mapping[str, ir.JsonSchema]
) -> tuple[set[str], bool]:
    """Names a binding may use: parameter wire names, `name__location` (the planner's form
    on collisions) and the top-level properties of a JSON object body.

    The second value is False when the body's properties cannot be listed (no schema,
    `oneOf`, free-form), in which case an unknown name is not reported: it may be valid.
    """
    names: set[str] = set()
    for parameter in operation.parameters:
        names.add(parameter.name)
        names.add(f"{parameter.name}__{parameter.location.value}")
    body = operation.request_body
    if body is None or not body.content:
        return names, True
    properties = _body_properties(body, schemas)
    if properties is None:
        return names, False
    names.update(properties)
    names.update(f"{name}__body" for name in properties)
    return names, True


def _body_properties(body: ir.RequestBody, schemas: Mapping[str, ir.JsonSchema]) -> set[str] | None:
    json_types = [media for media in body.content if "json" in media.name]
    media = json_types[0] if json_types else body.content[0]
    if media.schema is None:
        return None
    return _properties(media.schema, schemas, depth=0)


def _properties(
    schema: Mapping[str, Any], schemas: Mapping[str, ir.JsonSchema], depth: int
) -> set[str] | None:
    if depth > 20:  # a reference cycle through allOf: give up rather than loop
        return None
    if isinstance(schema.get("$ref"), str):
        name = schema_ref_name(schema["$ref"], schemas)
        return None if name is None else _properties(schemas[name], schemas, depth + 1)
    if any(key in schema for key in ("oneOf", "anyOf")):
        return None
    names: set[str] = set()
    for part in schema.get("allOf", ()):
        if not isinstance(part, Mapping):
            return None
        found = _properties(part, schemas, depth + 1)
        if found is None:
            return None
        names.update(found)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        names.update(str(name) for name in properties)
    elif not names:
        return None
    return names


def _check_fields(
    agent: ir.AgentConfig,
    override: ir.ToolOverride,
    operation: ir.Operation,
    schemas: Mapping[str, ir.JsonSchema],
    path: str,
) -> list[ir.Diagnostic]:
    """`expose` and `redact` paths must name fields of the success response.

    A typo in `redact` would silently show the model a field meant to stay hidden, so it is
    an error. Lists are transparent (as in the runtime's shaping); where the schema cannot
    list its fields (free-form objects, no schema) nothing is reported.
    """
    schema = _success_schema(operation)
    if schema is None:
        return []
    problems = []
    for key, fields in (("expose", override.expose), ("redact", override.redact)):
        for index, dotted in enumerate(fields):
            missing = _missing_field(dotted, schema, schemas)
            if missing is None:
                continue
            prefix, segment, known = missing
            item_path = child_path(f"{path}.{key}", index)
            best = closest(segment, known)
            if not known:
                hint = f"`{prefix.rstrip('.')}` is a plain value; it has no fields"
            elif best is not None:
                hint = f"did you mean `{prefix}{best}`?"
            else:
                shown = ", ".join(f"`{prefix}{name}`" for name in known[:_LIST_LIMIT])
                hint = f"fields there: {shown}" + (", ..." if len(known) > _LIST_LIMIT else "")
            message = (
                f"`{item_path}`: the response of `{operation.id}` has no field `{prefix}{segment}`"
            )
            where = _where(agent, item_path, override.where)
            problems.append(error(Code.AGENT_UNKNOWN_FIELD, where, message, hint))
    return problems


def identity_fields(agent: ir.AgentConfig) -> list[str]:
    """The identity fields the agent file may name: the named ones, and the `extra` keys it
    declares under `identity: {fields: [...]}`."""
    return sorted({*NAMED_IDENTITY_FIELDS, *agent.identity_fields})


def check_owner(
    owner: ir.OwnerDecl,
    operation: ir.Operation,
    schemas: Mapping[str, ir.JsonSchema],
    known: Iterable[str],
    path: str,
) -> list[ir.Diagnostic]:
    """An `owner:` check must name a plain field of the operation's success response (lists
    are transparent: it applies to every item) and an identity field."""
    problems = []
    known = list(known)
    if owner.identity_field not in known:
        hint = unknown_field_hint(owner.identity_field, known)
        problems.append(
            error(
                Code.AGENT_OWNER,
                owner.where,
                f"`{path}.is`: `identity.{owner.identity_field}` is not a field of the identity",
                hint,
            )
        )
    schema = _success_schema(operation)
    if schema is None:
        problems.append(
            error(
                Code.AGENT_OWNER,
                owner.where,
                f"`{path}`: `{operation.id}` returns no JSON data to check the owner of",
                "remove `owner:`, or describe the success response in the spec",
            )
        )
        return problems
    missing = _missing_field(owner.field, schema, schemas)
    if missing is not None:
        prefix, segment, fields = missing
        best = closest(segment, fields)
        if best is not None:
            hint = f"did you mean `{prefix}{best}`?"
        elif fields:
            hint = "fields there: " + ", ".join(
                f"`{prefix}{name}`" for name in fields[:_LIST_LIMIT]
            )
        else:
            hint = f"`{prefix.rstrip('.')}` is a plain value; it has no fields"
        problems.append(
            error(
                Code.AGENT_UNKNOWN_FIELD,
                owner.where,
                f"`{path}.field`: the response of `{operation.id}` has no field "
                f"`{prefix}{segment}`",
                hint,
            )
        )
        return problems
    target = _field_schema(owner.field, schema, schemas)
    if target is not None and _fields(target, schemas, depth=0) is not None:
        inside = sorted(_fields(target, schemas, depth=0) or {})
        problems.append(
            error(
                Code.AGENT_OWNER,
                owner.where,
                f"`{path}.field`: `{owner.field}` of `{operation.id}` is an object, not a value "
                "to compare with the identity",
                f"name a field inside it, e.g. `{owner.field}.{inside[0]}`" if inside else "",
            )
        )
    return problems


def _field_schema(
    dotted: str, schema: Mapping[str, Any], schemas: Mapping[str, ir.JsonSchema]
) -> Mapping[str, Any] | None:
    """The schema at `dotted` (known to exist), None where the schema stops saying."""
    current: Mapping[str, Any] = schema
    for segment in dotted.split("."):
        fields = _fields(current, schemas, depth=0)
        if fields is None or segment not in fields:
            return None
        current = fields[segment]
    return current


def _success_schema(operation: ir.Operation) -> Mapping[str, Any] | None:
    for response in sorted(operation.responses, key=lambda r: r.status):
        if not response.status.startswith("2"):
            continue
        for media in response.content:
            if "json" in media.name and media.schema is not None:
                return media.schema
    return None


def _missing_field(
    dotted: str, schema: Mapping[str, Any], schemas: Mapping[str, ir.JsonSchema]
) -> tuple[str, str, list[str]] | None:
    """(path so far, the unknown segment, the fields known there), or None when all is well."""
    current: Mapping[str, Any] = schema
    prefix = ""
    for segment in dotted.split("."):
        fields = _fields(current, schemas, depth=0)
        if fields is None:
            return (prefix, segment, []) if _is_scalar(current, schemas) else None
        if segment not in fields:
            return prefix, segment, sorted(fields)
        current = fields[segment]
        prefix += f"{segment}."
    return None


def _fields(
    schema: Mapping[str, Any], schemas: Mapping[str, ir.JsonSchema], depth: int
) -> dict[str, Mapping[str, Any]] | None:
    """Property name -> schema of an object (through refs, arrays, allOf/anyOf/oneOf), or
    None when the schema does not say which fields there are."""
    if depth > 20:
        return None
    if isinstance(schema.get("$ref"), str):
        name = schema_ref_name(schema["$ref"], schemas)
        return None if name is None else _fields(schemas[name], schemas, depth + 1)
    items = schema.get("items")
    if isinstance(items, Mapping):
        return _fields(items, schemas, depth + 1)
    found: dict[str, Mapping[str, Any]] = {}
    known = False
    for combinator in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(combinator, ()):
            if not isinstance(part, Mapping):
                return None
            if part.get("type") == "null":
                continue
            sub = _fields(part, schemas, depth + 1)
            if sub is None:
                return None
            found.update(sub)
            known = True
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        found.update({str(k): v for k, v in properties.items() if isinstance(v, Mapping)})
        known = True
    return found if known else None


def _is_scalar(schema: Mapping[str, Any], schemas: Mapping[str, ir.JsonSchema]) -> bool:
    """A string, number or boolean: a path cannot go further into it."""
    kind = resolve_schema(schema, schemas).get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    return bool(kinds) and kinds <= {"string", "integer", "number", "boolean", "null"}
