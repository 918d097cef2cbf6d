"""`specagent init`: a starting agent.yaml for a spec, to edit rather than to write from nothing.

What it proposes is what a careful developer would pick first, and safe until they decide
otherwise: the read operations as tools, grouped by tag (as comments, so the file reads like
the API); parameters named like the customer's identity (email, customer_id, user_id,
username) bound to the verified identity, so the model can never name another customer;
operations that change data listed but commented out, because each one needs a decision (and,
once included, runs only after the customer confirms). The file generates as it is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from specagent import ir
from specagent.plan import SAFE_METHODS

__all__ = ["IDENTITY_FIELDS", "AgentFileDraft", "draft_agent_file", "identity_field"]

# Parameter names (compared without case, `_` and `-`) -> the identity field they bind to.
IDENTITY_FIELDS = {
    "email": "email",
    "emailaddress": "email",
    "customerid": "customer_id",
    "userid": "user_id",
    "username": "username",
}
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_YAML_WORDS = {"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~"}
_COMMENT_WIDTH = 72
_NO_TAG = "(no tag)"


def identity_field(parameter: str) -> str | None:
    """The identity field a parameter named like one binds to (`customerId` -> customer_id)."""
    return IDENTITY_FIELDS.get(re.sub(r"[_\-\s]", "", parameter).lower())


@dataclass(frozen=True, slots=True)
class AgentFileDraft:
    text: str
    reads: int  # operations included as tools
    writes: int  # operations listed commented out
    bindings: int


def _scalar(text: str) -> str:
    """A YAML scalar for an operation id or a name: plain when safe, else JSON-quoted."""
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _COMMENT_WIDTH else flat[: _COMMENT_WIDTH - 1] + "…"


def _block_text(text: str, indent: str, width: int = 96) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(indent + line)
    return lines


def draft_agent_file(plan: ir.Plan, spec_name: str, package: str) -> AgentFileDraft:
    """The agent file for every operation of `plan` (made with an empty agent file)."""
    api = plan.api
    title = " ".join(api.title.split()) or "the API"
    groups: dict[str, list[ir.Endpoint]] = {}
    for endpoint in plan.endpoints:
        tag = endpoint.operation.tags[0] if endpoint.operation.tags else _NO_TAG
        groups.setdefault(tag, []).append(endpoint)
    order = sorted(groups, key=lambda tag: (tag == _NO_TAG, tag.lower()))
    lines = [
        f"# The support agent's file for {title}, started by `specagent init`: edit it, then",
        f"#   specagent generate {spec_name} --tasks agent.yaml --out {package}/",
        "# Reference, in specagent's docs: tasks.md (tasks), testing.md (tests); its README",
        "# (tools, bindings, confirmation).",
        "agent:",
        f"  name: {_scalar(title + ' support')}",
        "  instructions: >-",
        *_block_text(
            f"You are the support assistant of {title}. Be brief and friendly. Use the tools "
            "to look things up instead of guessing, and say so when you cannot help; then hand "
            "the conversation to a colleague.",
            "    ",
        ),
        "",
        "tools:",
        "  # Read operations are tools. Those that change data are commented out: include one",
        "  # only if the agent should do it; it then runs only after the customer confirms.",
        "  include:",
        "    operations:",
    ]
    reads = writes = 0
    bound: list[tuple[ir.Endpoint, list[tuple[str, str]], bool]] = []
    for tag in order:
        lines.append(f"      # --- {_comment(tag)}")
        for endpoint in groups[tag]:
            operation = endpoint.operation
            method = operation.method.upper()
            what = _comment(operation.summary or operation.description or "")
            note = f"{method} {operation.path}" + (f": {what}" if what else "")
            safe = operation.method in SAFE_METHODS and not operation.deprecated
            if operation.deprecated:
                note += " (deprecated)"
            if safe:
                reads += 1
                lines.append(f"      - {_scalar(operation.id)}  # {note}")
            else:
                writes += 1
                lines.append(f"      # - {_scalar(operation.id)}  # {note}")
            bindings = _bindings(endpoint)
            if bindings:
                bound.append((endpoint, bindings, safe))
    if reads == 0:
        # An empty or missing list would select every operation: select none until you choose.
        at = lines.index("    operations:")
        lines[at : at + 1] = [
            "    methods: [get]  # the spec has no read operation, so this selects none yet",
            "    # operations:  # uncomment those the agent may use",
        ]
    if bound:
        lines += [
            "",
            "  # Proposed bindings: these parameters are filled from the verified customer's",
            "  # identity and hidden from the model, so it cannot name another customer. Without",
            "  # a verified identity the tool is not offered. Delete a binding if anyone may pass",
            "  # the value (a lookup by order number, say).",
            "  overrides:",
        ]
        for endpoint, bindings, safe in bound:
            prefix = "" if safe else "# "
            pairs = ", ".join(f"{_scalar(key)}: identity.{field}" for key, field in bindings)
            operation = endpoint.operation
            where = f"{operation.method.upper()} {operation.path}"
            lines.append(f"    {prefix}{_scalar(operation.id)}:  # {where}")
            lines.append(f"    {prefix}  bind: {{{pairs}}}")
    lines += [
        "",
        "# Tasks: procedures the agent carries out step by step (ask, call, if, confirm, respond,",
        "# handoff...), checked against the spec when you generate. For example:",
        "# tasks:",
        "#   cancel_order:",
        "#     description: Cancel one of the customer's orders if it has not shipped yet.",
        "#     requires: verified",
        "#     inputs:",
        "#       order_id: {type: integer, description: The order number}",
        "#     steps:",
        "#       - call: getOrder",
        "#         with: {orderId: inputs.order_id}",
        "#         as: order",
        '#       - if: order.status == "shipped"',
        "#         then:",
        '#           - respond: "Order {order.id} has shipped, so it can\'t be cancelled."',
        "#           - end: done",
        '#       - confirm: "Cancel order {order.id}?"',
        "#       - call: cancelOrder",
        "#         with: {orderId: order.id}",
        '#       - respond: "Order {order.id} is cancelled."',
        "# Then `specagent test --scaffold` writes a conversation test for every path through it.",
    ]
    count = sum(len(b) for _, b, safe in bound if safe)
    return AgentFileDraft("\n".join(lines) + "\n", reads, writes, count)


def _bindings(endpoint: ir.Endpoint) -> list[tuple[str, str]]:
    """(argument key, identity field) for parameters named like the identity; a body's own
    fields are left to the developer (an email in a sign-up form is not the customer's)."""
    found = []
    seen: set[str] = set()
    for argument in endpoint.arguments:
        if argument.location == "body":
            continue
        field = identity_field(argument.name)
        if field is not None and argument.key not in seen:
            seen.add(argument.key)
            found.append((argument.key, field))
    return found
