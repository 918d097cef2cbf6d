"""Comparing one operation across two plans: its arguments, responses, security and tool.

Each finding is a `Change` without task references; `_plans` adds the task steps it
affects. Arguments are compared by key (what the model and the tasks pass), responses by field
path, types by what they accept (`_schema`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping

from specagent import ir
from specagent.diff._model import Change, Impact
from specagent.diff._schema import enum_values, narrowed_limits, response_fields, type_of

__all__ = ["compare_endpoints", "compare_security_schemes"]

B, W, INFO = Impact.BREAKING, Impact.WARNING, Impact.INFO


class _Pair:
    """One operation in both plans, and the names its changes are reported under."""

    def __init__(
        self,
        before: ir.Endpoint,
        after: ir.Endpoint,
        old: ir.Plan,
        new: ir.Plan,
        tool: str,
    ) -> None:
        self.before, self.after, self.old, self.new = before, after, old, new
        self.tool = tool
        self.operation = after.operation.id

    def change(self, kind: str, impact: Impact, subject: str, message: str) -> Change:
        where = self.after.operation.where
        return Change(kind, impact, self.operation, self.tool, subject, message, where)


def compare_endpoints(
    before: ir.Endpoint,
    after: ir.Endpoint,
    *,
    old: ir.Plan,
    new: ir.Plan,
    old_tool: ir.Tool | None,
    new_tool: ir.Tool | None,
) -> list[Change]:
    shown = new_tool or old_tool
    pair = _Pair(before, after, old, new, shown.name if shown else "")
    changes = list(_arguments(pair, dict(new_tool.bindings) if new_tool else {}))
    changes.extend(_response(pair))
    changes.extend(_security(pair))
    if old_tool is not None and new_tool is not None:
        changes.extend(_tool(pair, old_tool, new_tool))
    return changes


# --- arguments ------------------------------------------------------------------------------


def _arguments(pair: _Pair, bound: Mapping[str, str]) -> Iterator[Change]:
    old_args = {a.key: a for a in pair.before.arguments}
    new_args = {a.key: a for a in pair.after.arguments}
    removed = [key for key in old_args if key not in new_args]
    added = [key for key in new_args if key not in old_args]
    for key in list(removed):
        target = _renamed_to(old_args[key], [new_args[k] for k in added], pair)
        if target is None:
            continue
        removed.remove(key)
        added.remove(target.key)
        yield pair.change(
            "parameter.renamed",
            B,
            key,
            f"parameter `{key}` ({old_args[key].location}) is now `{target.key}`",
        )
    for key in removed:
        yield pair.change(
            "parameter.removed", B, key, f"parameter `{key}` ({old_args[key].location}) is gone"
        )
    for key in added:
        argument = new_args[key]
        if argument.required and key not in bound:
            yield pair.change(
                "parameter.added",
                B,
                key,
                f"new required parameter `{key}` ({argument.location}): calls without it fail",
            )
        else:
            yield pair.change(
                "parameter.added",
                INFO,
                key,
                f"new optional parameter `{key}` ({argument.location})",
            )
    for key in old_args.keys() & new_args.keys():
        yield from _argument(pair, old_args[key], new_args[key])


def _renamed_to(old: ir.Argument, candidates: list[ir.Argument], pair: _Pair) -> ir.Argument | None:
    """The added argument that most likely replaces `old`: same location, same type."""
    kind = type_of(old.schema, pair.old.api.schemas)
    same = [
        arg
        for arg in candidates
        if arg.location == old.location and type_of(arg.schema, pair.new.api.schemas) == kind
    ]
    if not same:
        return None
    return max(same, key=lambda arg: difflib.SequenceMatcher(None, old.key, arg.key).ratio())


def _argument(pair: _Pair, old: ir.Argument, new: ir.Argument) -> Iterator[Change]:
    key = old.key
    if new.required and not old.required:
        yield pair.change("parameter.required", B, key, f"parameter `{key}` is now required")
    elif old.required and not new.required:
        yield pair.change("parameter.optional", INFO, key, f"parameter `{key}` is now optional")
    before = type_of(old.schema, pair.old.api.schemas)
    after = type_of(new.schema, pair.new.api.schemas)
    if old.location == "body" and not old.name and before == after:
        yield from _whole_body(pair, old, new)  # one argument for the body: look inside
    if before != after:
        yield pair.change(
            "parameter.type", B, key, f"parameter `{key}` changed type: {before} -> {after}"
        )
        return
    old_enum = enum_values(old.schema, pair.old.api.schemas)
    new_enum = enum_values(new.schema, pair.new.api.schemas)
    if new_enum is not None and (old_enum is None or old_enum - new_enum):
        dropped = sorted(old_enum - new_enum) if old_enum is not None else []
        detail = (
            f"drops {_values(dropped)}" if dropped else f"is now limited to {_values(new_enum)}"
        )
        yield pair.change("parameter.enum_narrowed", B, key, f"parameter `{key}` {detail}")
    elif old_enum is not None and (new_enum is None or new_enum - old_enum):
        detail = f"also accepts {_values(new_enum - old_enum)}" if new_enum else "takes any value"
        yield pair.change("parameter.enum_widened", INFO, key, f"parameter `{key}` {detail}")
    limits = narrowed_limits(old.schema, new.schema, pair.old.api.schemas, pair.new.api.schemas)
    if limits:
        yield pair.change(
            "parameter.narrowed", B, key, f"parameter `{key}` accepts less: {'; '.join(limits)}"
        )


def _whole_body(pair: _Pair, old: ir.Argument, new: ir.Argument) -> Iterator[Change]:
    """Fields of a body passed as one argument (arrays, bodies not flattened): what a caller
    sends inside it can break like a parameter."""
    before = response_fields(old.schema, pair.old.api.schemas)
    after = response_fields(new.schema, pair.new.api.schemas)
    for path in sorted(before.keys() | after.keys()):
        if not path or _under_gone(path, after) or _under_gone(path, before):
            continue
        subject = f"{old.key}.{path}" if not path.startswith("[") else f"{old.key}{path}"
        was, now = before.get(path), after.get(path)
        if now is None:
            yield pair.change("parameter.removed", B, subject, f"body field `{subject}` is gone")
        elif was is None:
            if now.required:
                yield pair.change(
                    "parameter.added", B, subject, f"new required body field `{subject}`"
                )
        elif now.type != was.type and "any" not in (now.type, was.type):
            yield pair.change(
                "parameter.type",
                B,
                subject,
                f"body field `{subject}` changed type: {was.type} -> {now.type}",
            )
        elif now.required and not was.required:
            yield pair.change(
                "parameter.required", B, subject, f"body field `{subject}` is now required"
            )
        elif now.enum is not None and (was.enum is None or was.enum - now.enum):
            detail = (
                f"drops {_values(sorted(was.enum - now.enum))}"
                if was.enum is not None
                else f"is now limited to {_values(now.enum)}"
            )
            yield pair.change(
                "parameter.enum_narrowed", B, subject, f"body field `{subject}` {detail}"
            )


def _values(values: object) -> str:
    items = sorted(values) if isinstance(values, set | frozenset | list) else []
    shown = ", ".join(repr(v) for v in items[:8])
    return shown + (f" and {len(items) - 8} more" if len(items) > 8 else "")


# --- responses ------------------------------------------------------------------------------


def _response(pair: _Pair) -> Iterator[Change]:
    old_schema, new_schema = pair.before.success_schema, pair.after.success_schema
    if old_schema is None:
        return
    if new_schema is None:
        yield pair.change(
            "response.removed", B, "", "the successful response no longer has a JSON body"
        )
        return
    before = response_fields(old_schema, pair.old.api.schemas)
    after = response_fields(new_schema, pair.new.api.schemas)
    for path, field in before.items():
        label = f"response field `{path}`" if path else "the response body"
        if _under_gone(path, after):
            continue  # reported at the gone parent
        now = after.get(path)
        if now is None:
            yield pair.change("response.field_removed", B, path, f"{label} is gone")
        elif now.type != field.type and "any" not in (now.type, field.type):
            yield pair.change(
                "response.field_type", B, path, f"{label} changed type: {field.type} -> {now.type}"
            )
        elif field.enum is not None and now.enum is not None and now.enum - field.enum:
            yield pair.change(
                "response.enum_widened",
                INFO,
                path,
                f"{label} has new values {_values(now.enum - field.enum)}",
            )
        elif field.required and not now.required:
            yield pair.change("response.field_optional", INFO, path, f"{label} may now be absent")


def _under_gone(path: str, after: Mapping[str, object]) -> bool:
    """A nested field whose parent object is already gone from `after`."""
    parent = path
    while parent:
        cut = max(parent.rfind("."), parent.rfind("["))
        parent = parent[:cut] if cut > 0 else ""
        if parent and parent not in after:
            return True
    return False


# --- security -------------------------------------------------------------------------------


def _requirements(operation: ir.Operation) -> frozenset[frozenset[str]]:
    return frozenset(frozenset(name for name, _ in req.schemes) for req in operation.security)


def _security(pair: _Pair) -> Iterator[Change]:
    before = _requirements(pair.before.operation)
    after = _requirements(pair.after.operation)
    if before == after:
        return
    anonymous: frozenset[str] = frozenset()
    if not before or anonymous in before:
        if after and anonymous not in after:
            yield pair.change("security.added", B, "", f"now needs credentials: {_describe(after)}")
        return
    if not after or anonymous in after:
        yield pair.change("security.removed", INFO, "", "no longer needs credentials")
        return
    if not after & before:
        yield pair.change(
            "security.changed",
            B,
            "",
            f"needs other credentials: {_describe(before)} -> {_describe(after)}",
        )
    else:
        yield pair.change(
            "security.changed",
            W,
            "",
            f"accepted credentials changed: {_describe(before)} -> {_describe(after)}",
        )


def _describe(requirements: frozenset[frozenset[str]]) -> str:
    options = sorted(" + ".join(sorted(group)) or "none" for group in requirements)
    return " or ".join(options)


def compare_security_schemes(old: ir.Plan, new: ir.Plan) -> list[Change]:
    """Schemes whose kind, place or name changed: the credentials set up for them stop working."""
    before = {scheme.name: scheme for scheme in old.api.security_schemes}
    after = {scheme.name: scheme for scheme in new.api.security_schemes}
    changes = []
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        was = (a.type, a.location, a.param_name, a.scheme)
        now = (b.type, b.location, b.param_name, b.scheme)
        if was != now:
            changes.append(
                Change(
                    "security.scheme_changed",
                    B,
                    "",
                    "",
                    name,
                    f"security scheme `{name}` changed: {_scheme(a)} -> {_scheme(b)}",
                    ir.Location("", pointer=f"/components/securitySchemes/{name}"),
                )
            )
    return changes


def _scheme(scheme: ir.SecurityScheme) -> str:
    if scheme.type == "apiKey":
        return f"API key in {scheme.location} `{scheme.param_name}`"
    if scheme.type == "http":
        return f"HTTP {scheme.scheme}"
    return scheme.type


# --- the tool itself ------------------------------------------------------------------------


def _tool(pair: _Pair, old: ir.Tool, new: ir.Tool) -> Iterator[Change]:
    if old.name != new.name:
        yield pair.change("tool.renamed", W, "", f"tool `{old.name}` is now `{new.name}`")
    if old.description != new.description:
        yield pair.change("tool.description", INFO, "", "the tool's description changed")
    if old.confirm and not new.confirm:
        yield pair.change(
            "tool.confirm", W, "", "no longer asks the customer to confirm before running"
        )
    elif new.confirm and not old.confirm:
        yield pair.change("tool.confirm", INFO, "", "now asks the customer to confirm")
