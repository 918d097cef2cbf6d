"""How the agent file names the identity: `identity.<field>` references and `owner:` checks.

Bindings (`bind:`), ownership checks (`owner:` on a tool override or a task `call` step) and
task expressions all name the verified customer's fields the same way; one reader for each.
"""

from __future__ import annotations

import re

import yaml

from specagent import ir
from specagent._diagnostics import closest
from specagent.agentfile._yaml import NodeReader, child_path
from specagent.ir import Code

__all__ = ["BIND", "FIELD_PATH", "OWNER_KEYS", "bind_hint", "read_owner"]

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
