"""Which operations become tools, and what the model is told about them.

The agent file selects operations and overrides per-tool settings; everything it does not say
falls back to what the spec implies (safe methods run without confirmation, descriptions from
the summary and description).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

import specagent_runtime

from specagent import _names, ir
from specagent.ir import Code

# The generator's one home for HTTP's method semantics, the runtime's sets (RFC 9110 9.2.1,
# 9.2.2) in lower case like `ir.Operation.method`: safe methods change nothing (no confirmation
# by default, tasks need no `confirm` before them); idempotent ones may be retried.
SAFE_METHODS = frozenset(method.lower() for method in specagent_runtime.SAFE_METHODS)
IDEMPOTENT_METHODS = frozenset(method.lower() for method in specagent_runtime.IDEMPOTENT_METHODS)
DESCRIPTION_MAX = 1024

# A description the spec gives is cut to this for the model; the agent file's own text may use
# up to DESCRIPTION_MAX. The first sentences say what a tool does; what follows in big specs is
# mostly for the developer (scopes, rate limits, examples), and every tool's text is sent on
# every request.
SPEC_DESCRIPTION_MAX = 500

_SPACE_RE = re.compile(r"\s+")
_SENTENCE_END_RE = re.compile(r"[.!?](?=\s)")
_CODE_TAG_RE = re.compile(r"<code>(.*?)</code>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>")
# Tags inside a line of text; the others (p, br, li, pre...) separate what they hold.
_INLINE_TAGS = frozenset({"a", "b", "strong", "em", "i", "span", "u", "sup", "sub", "small"})
# [text](https://...), [text](/docs/...), [text](#anchor): the text is what the model reads.
_LINK_RE = re.compile(r"\[([^\[\]]+)\]\((?:[a-z]+://|/|#)(?:[^()\s]|\([^()\s]*\))*\)")
_HEADING_RE = re.compile(r"(^|\n)\s*#{1,6}\s+")
_WORD_RE = re.compile(r"[a-z0-9]+")


def collapse(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def model_text(text: str) -> str:
    """A spec's description as plain text for the model: HTML tags (Stripe writes `<p>`,
    `<code>`) and Markdown link targets and heading marks removed, entities decoded, white
    space collapsed. Links point at documentation the model cannot open; their text stays."""
    if "<" in text:
        text = _CODE_TAG_RE.sub(lambda match: f"`{match.group(1)}`", text)
        text = _TAG_RE.sub(lambda m: "" if m.group(1).lower() in _INLINE_TAGS else " ", text)
    if "&" in text:
        text = html.unescape(text)
    if "](" in text:
        text = _LINK_RE.sub(r"\1", text)
    if "#" in text:
        text = _HEADING_RE.sub(r"\1", text)
    return collapse(text)


def _restates(description: str, summary: str) -> bool:
    """Whether `description` says nothing `summary` does not ("Deletes a pet." / "Delete a
    pet."): its words, singular or plural, all appear in the summary."""
    said = {word.removesuffix("s") for word in _WORD_RE.findall(summary.lower())}
    return all(word.removesuffix("s") in said for word in _WORD_RE.findall(description.lower()))


def trim(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """Whitespace collapsed, cut at the last sentence end that fits (else a word, plus "…")."""
    text = collapse(text)
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    ends = [match.end() for match in _SENTENCE_END_RE.finditer(head)]
    if ends and ends[-1] >= limit // 2:
        return head[: ends[-1]]
    cut = head[:limit].rsplit(" ", 1)[0] if " " in head[:limit] else head[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def describe(operation: ir.Operation) -> str:
    summary = model_text(operation.summary)
    description = model_text(operation.description)
    if summary and description and _restates(description, summary):
        text = summary
        if _restates(summary, description) and description[-1:] in ".!?":
            text = description  # the same words both ways: the one written as a sentence
    elif summary and description and not description.startswith(summary.rstrip(".")):
        separator = " " if summary[-1:] in ".!?" else ". "
        text = summary + separator + description
    else:
        text = description or summary
    return trim(text, SPEC_DESCRIPTION_MAX) or f"{operation.method.upper()} {operation.path}"


def _matches(selection: ir.Selection, operation: ir.Operation) -> bool:
    ids = {operation.id}
    if operation.original_id:
        ids.add(operation.original_id)
    return (
        bool(ids.intersection(selection.operations))
        or bool(set(operation.tags).intersection(selection.tags))
        or operation.method.lower() in {method.lower() for method in selection.methods}
    )


def select(agent: ir.AgentConfig, operations: Iterable[ir.Operation]) -> list[ir.Operation]:
    """Include (a union; empty means all) minus exclude, in spec order."""
    chosen = []
    for operation in operations:
        if not agent.include.is_empty() and not _matches(agent.include, operation):
            continue
        if not agent.exclude.is_empty() and _matches(agent.exclude, operation):
            continue
        chosen.append(operation)
    return chosen


def overrides_by_operation(agent: ir.AgentConfig) -> dict[str, ir.ToolOverride]:
    return {override.operation_id: override for override in agent.overrides}


def find_override(
    overrides: Mapping[str, ir.ToolOverride], operation: ir.Operation
) -> ir.ToolOverride | None:
    found = overrides.get(operation.id)
    if found is None and operation.original_id:
        found = overrides.get(operation.original_id)
    return found


def _bindings(
    endpoint: ir.Endpoint, override: ir.ToolOverride, diagnostics: list[ir.Diagnostic]
) -> tuple[tuple[str, str], ...]:
    by_key = {arg.key: arg for arg in endpoint.arguments}
    by_name: dict[str, ir.Argument] = {}
    for item in endpoint.arguments:
        by_name.setdefault(item.name, item)
    bound: dict[str, str] = {}
    for param, field in override.bind:
        found = by_key.get(param) or by_name.get(param)
        if found is None:
            diagnostics.append(
                ir.Diagnostic(
                    code=Code.UNKNOWN_BINDING,
                    severity=ir.Severity.ERROR,
                    message=(
                        f"operation {endpoint.operation.id!r} has no parameter {param!r} to bind"
                    ),
                    location=override.where or endpoint.operation.where,
                    hint="known: " + ", ".join(sorted(by_key)) if by_key else "",
                )
            )
            continue
        bound[found.key] = field
    return tuple(sorted(bound.items()))


def build_tools(
    agent: ir.AgentConfig,
    endpoints: Iterable[ir.Endpoint],
    diagnostics: list[ir.Diagnostic],
) -> tuple[ir.Tool, ...]:
    """Tools for the selected endpoints; names from overrides are claimed before derived ones."""
    by_operation = {endpoint.operation.id: endpoint for endpoint in endpoints}
    selected = select(agent, (endpoint.operation for endpoint in by_operation.values()))
    overrides = overrides_by_operation(agent)
    names = _names.NameTable(max_length=_names.TOOL_NAME_MAX)
    chosen_names: dict[str, str] = {}
    for operation in selected:
        override = find_override(overrides, operation)
        if override is not None and override.name:
            wanted = override.name
            if not _names.TOOL_NAME_RE.match(wanted):
                wanted = _names.tool_name(wanted)
            chosen_names[operation.id] = names.take(wanted)
    for operation in selected:
        if operation.id not in chosen_names:
            chosen_names[operation.id] = names.take(_names.tool_name(operation.id))

    tools = []
    for operation in selected:
        endpoint = by_operation[operation.id]
        override = find_override(overrides, operation)
        confirm = operation.method.lower() not in SAFE_METHODS
        description = describe(operation)
        bindings: tuple[tuple[str, str], ...] = ()
        expose: tuple[str, ...] = ()
        redact: tuple[str, ...] = ()
        owner = None
        lookup_limit = None
        if override is not None:
            lookup_limit = override.lookup_limit
            if override.confirm is not None:
                confirm = override.confirm
            if override.description:
                description = trim(override.description)
            bindings = _bindings(endpoint, override, diagnostics)
            expose, redact = override.expose, override.redact
            if override.owner is not None:
                owner = (override.owner.field, override.owner.identity_field)
        tools.append(
            ir.Tool(
                name=chosen_names[operation.id],
                description=description,
                endpoint=endpoint,
                confirm=confirm,
                bindings=bindings,
                expose=expose,
                redact=redact,
                owner=owner,
                lookup_limit=lookup_limit,
            )
        )
    return tuple(tools)
