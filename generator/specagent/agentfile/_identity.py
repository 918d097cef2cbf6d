"""How the agent file names the identity: `identity.<field>` references and `owner:` checks.

Bindings (`bind:`), ownership checks (`owner:` on a tool override or a task `call` step) and
task expressions all name the verified customer's fields the same way; one reader for each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import yaml

from specagent import ir
from specagent._diagnostics import closest, error
from specagent.agentfile._yaml import NodeReader, child_path, is_null
from specagent.ir import Code

__all__ = [
    "BIND",
    "FIELD_PATH",
    "NAMED_IDENTITY_FIELDS",
    "OWNER_KEYS",
    "bind_hint",
    "check_identity_fields",
    "read_identity",
    "read_owner",
    "unknown_field_hint",
]

# The fields every `Identity` has (docs/tasks.md lists them); any other is a key of
# `Identity.extra` and must be declared under `identity: {fields: [...]}`.
NAMED_IDENTITY_FIELDS = ("customer_id", "email", "user_id", "username")
_IDENTITY_KEYS = ("fields",)

BIND = re.compile(r"^identity\.(?P<field>[A-Za-z_][A-Za-z0-9_]*)$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FIELD_PATH = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")
OWNER_KEYS = ("field", "is")


def read_owner(reader: NodeReader, node: yaml.Node, path: str) -> ir.OwnerDecl | None:
    """`owner: {field: <response field path>, is: identity.<field>}`: the response belongs to
    the verified customer only when that field equals that identity field."""
    where = reader.where(node)
    entries = reader.mapping(node, path, OWNER_KEYS)
    if not entries:
        if not isinstance(node, yaml.MappingNode) or not node.value:
            reader.wrong_type(node, path, "`{field: <response field>, is: identity.<field>}`")
        return None
    missing = [key for key in OWNER_KEYS if key not in entries]
    if missing:
        reader.fail(
            Code.AGENT_OWNER,
            node,
            f"`{path}` needs `{missing[0]}`",
            "write `owner: {field: customer_email, is: identity.email}`: the response field "
            "that names its owner, and the identity field it must equal",
        )
        return None
    field_path = child_path(path, "field")
    field = reader.text(entries["field"], field_path)
    identity = reader.text(entries["is"], child_path(path, "is"))
    if field is None or identity is None:
        return None
    problem = False
    if not FIELD_PATH.match(field.strip()):
        reader.fail(
            Code.AGENT_FIELD_PATH,
            entries["field"],
            f"`{field_path}`: `{field}` is not a field path",
            "write response field names joined by dots, e.g. `customer.email`",
        )
        problem = True
    match = BIND.match(identity.strip())
    if match is None:
        reader.fail(
            Code.AGENT_OWNER,
            entries["is"],
            f"`{child_path(path, 'is')}`: `{identity}` is not an identity field; write "
            "`identity.<field>`",
            bind_hint(identity.strip()),
        )
        problem = True
    if problem or match is None:
        return None
    reader.remember(field_path, entries["field"])
    reader.remember(child_path(path, "is"), entries["is"])
    return ir.OwnerDecl(field.strip(), match["field"], where)


def bind_hint(text: str) -> str:
    """Guess the intended `identity.<field>` from a near miss."""
    head, dot, tail = text.partition(".")
    if not dot and IDENTIFIER.match(text):
        return f"did you mean `identity.{text}`?"
    if dot and IDENTIFIER.match(tail) and closest(head, ["identity"]) == "identity":
        return f"did you mean `identity.{tail}`?"
    return "for example `identity.email` or `identity.user_id` (any field of the identity)"


def read_identity(reader: NodeReader, node: yaml.Node) -> tuple[str, ...]:
    """`identity: {fields: [account_number, tier]}`: the custom identity fields (the keys of
    `Identity.extra` the host fills) the agent file may name beside the named ones."""
    if is_null(node):
        return ()
    entries = reader.mapping(node, "identity", _IDENTITY_KEYS)
    if "fields" not in entries:
        return ()
    found: list[str] = []
    for index, (name, item) in enumerate(reader.text_list(entries["fields"], "identity.fields")):
        path = child_path("identity.fields", index)
        if not IDENTIFIER.match(name):
            reader.fail(
                Code.AGENT_BIND,
                item,
                f"`{path}`: `{name}` is not a field name",
                "a field name is letters, digits and `_`, e.g. `account_number`",
            )
            continue
        if name in NAMED_IDENTITY_FIELDS or name in found:
            continue  # harmless: the named fields are always there
        reader.remember(path, item)
        found.append(name)
    return tuple(found)


def unknown_field_hint(name: str, known: Sequence[str]) -> str:
    """For `identity.<name>` that is neither a named field nor a declared one."""
    best = closest(name, known)
    if best is not None:
        return f"did you mean `identity.{best}`?"
    return (
        "the identity's fields are "
        + ", ".join(f"`{field}`" for field in NAMED_IDENTITY_FIELDS)
        + f"; if your host passes `{name}` in `Identity.extra`, declare it: "
        f"`identity: {{fields: [{name}]}}`"
    )


def check_identity_fields(
    reader: NodeReader, overrides: Sequence[ir.ToolOverride], declared: Sequence[str]
) -> None:
    """Every `bind:` must name a field the identity has: a typo (`identity.emial`) would
    otherwise hide the tool and tell the model the customer is not verified."""
    known = [*NAMED_IDENTITY_FIELDS, *declared]
    for override in overrides:
        for parameter, name in override.bind:
            if name in known:
                continue
            path = child_path(
                child_path(child_path("tools.overrides", override.operation_id), "bind"), parameter
            )
            where = reader.locations.get(path, override.where or ir.Location(reader.source))
            reader.diagnostics.append(
                error(
                    Code.AGENT_BIND,
                    where,
                    f"`{path}`: `identity.{name}` is not a field of the identity",
                    unknown_field_hint(name, known),
                )
            )
