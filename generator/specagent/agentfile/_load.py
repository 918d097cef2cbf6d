"""Reading the agent file once: its settings, its tasks and context, with the line of every value.

The file is read and composed into YAML nodes once; each section is then read from the same
nodes (`_tasks`, `_context` for theirs). Read before the spec is known, so every name it uses is
kept as written; `_check` and the tasks compiler compare them with the spec afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from specagent import ir
from specagent._diagnostics import closest, error
from specagent.agentfile._context import read_context
from specagent.agentfile._identity import (
    BIND,
    FIELD_PATH,
    bind_hint,
    check_identity_fields,
    read_identity,
    read_owner,
)
from specagent.agentfile._limits import read_limits, read_lookup_limit
from specagent.agentfile._tasks import read_tasks
from specagent.agentfile._yaml import NodeReader, child_path, compose, is_null
from specagent.ir import Code

__all__ = ["AgentFile", "load_agent_file", "parse_agent_text"]

_TOP_KEYS = ("agent", "identity", "tools", "tasks", "context", "allow_hosts", "limits")
_AGENT_KEYS = ("name", "instructions")
_TOOLS_KEYS = ("include", "exclude", "overrides")
_SELECTION_KEYS = ("operations", "tags", "methods")
_OVERRIDE_KEYS = (
    "name",
    "description",
    "bind",
    "expose",
    "redact",
    "confirm",
    "owner",
    "lookup_limit",
)

# The names models accept for functions (OpenAI and Anthropic agree on this one).
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A DNS name (labels of letters, digits and hyphens) or an IPv4 address; IPv6 in brackets.
_HOST = re.compile(
    r"^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"|\[[0-9a-f:.]+\])$"
)


@dataclass(frozen=True, slots=True)
class AgentFile:
    """The agent file as read, once per run.

    Problems are kept by section because they are reported at different stages: the settings'
    (`problems`) with the spec's, the tasks' and the context's once the tasks are compiled
    against the plan. `data` is the bytes read, whose digest the manifest records.
    """

    source: str  # the name diagnostics use, as given (`agent.yaml`)
    config: ir.AgentConfig
    problems: tuple[ir.Diagnostic, ...] = ()
    tasks: tuple[ir.TaskDecl, ...] = ()
    task_problems: tuple[ir.Diagnostic, ...] = ()
    context: ir.ContextDecl | None = None
    context_problems: tuple[ir.Diagnostic, ...] = ()
    declares_tasks: bool = False  # a `tasks:` or `context:` section with entries
    data: bytes | None = None


def load_agent_file(path: Path) -> AgentFile:
    """Read and validate `path`; on errors the config holds what was valid."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problem = error(
            Code.AGENT_FILE,
            ir.Location(source),
            "the agent file does not exist",
            _nearby_file_hint(path),
        )
        return _unread(source, problem)
    except OSError as exc:
        return _unread(
            source,
            error(
                Code.AGENT_FILE, ir.Location(source), f"cannot read the agent file: {exc.strerror}"
            ),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return _unread(
            source,
            error(
                Code.AGENT_FILE,
                ir.Location.at_line(source, line),
                "the agent file is not UTF-8 text",
            ),
        )
    return parse_agent_text(text, source, data)


def _empty_file(text: str, source: str) -> ir.Diagnostic:
    """An agent file with nothing in it: generating anyway would silently make every
    operation a tool, which is what leaving out `--tasks` is for."""
    what = "is empty" if not text.strip() else "holds only comments"
    return error(
        Code.AGENT_FILE,
        ir.Location(source),
        f"the agent file {what}",
        "select the tools, e.g. `tools: {include: {operations: [getOrder]}}`, or leave out "
        "`--tasks` to make every operation a tool",
    )


def _unread(source: str, problem: ir.Diagnostic) -> AgentFile:
    return AgentFile(source, ir.AgentConfig(source=source), (problem,))


def parse_agent_text(text: str, source: str, data: bytes | None = None) -> AgentFile:
    """Validate agent file text; `source` is the name diagnostics use (`agent.yaml`)."""
    node, problems = compose(text, source)
    if node is None and not problems:
        problems = [_empty_file(text, source)]
    if node is None:
        return AgentFile(source, ir.AgentConfig(source=source), tuple(problems), data=data)
    reader = NodeReader(source)
    config, declares_tasks = _read_config(reader, node, source)
    task_reader = NodeReader(source)
    tasks = read_tasks(task_reader, node)
    context, context_problems = read_context(node, source)
    return AgentFile(
        source,
        config,
        tuple(reader.diagnostics),
        tuple(tasks),
        tuple(task_reader.diagnostics),
        context,
        tuple(context_problems),
        declares_tasks,
        data,
    )


def _read_config(reader: NodeReader, node: yaml.Node, source: str) -> tuple[ir.AgentConfig, bool]:
    """The settings, and whether a `tasks:` or `context:` section has entries."""
    top = reader.mapping(node, "", _TOP_KEYS)
    name = instructions = ""
    if "agent" in top and not is_null(top["agent"]):
        agent = reader.mapping(top["agent"], "agent", _AGENT_KEYS)
        name = _text(reader, agent, "agent", "name")
        instructions = _text(reader, agent, "agent", "instructions")
    include = exclude = ir.Selection()
    overrides: tuple[ir.ToolOverride, ...] = ()
    if "tools" in top and not is_null(top["tools"]):
        tools = reader.mapping(top["tools"], "tools", _TOOLS_KEYS)
        if "include" in tools:
            include = _read_selection(reader, tools["include"], "tools.include")
        if "exclude" in tools:
            exclude = _read_selection(reader, tools["exclude"], "tools.exclude")
        if "overrides" in tools:
            overrides = _read_overrides(reader, tools["overrides"], "tools.overrides")
    identity = read_identity(reader, top["identity"]) if "identity" in top else ()
    check_identity_fields(reader, overrides, identity)
    allow_hosts: tuple[str, ...] = ()
    if "allow_hosts" in top:
        allow_hosts = _read_hosts(reader, top["allow_hosts"], "allow_hosts")
    limits = read_limits(reader, top["limits"], "limits") if "limits" in top else ()
    declares_tasks = False
    for section in ("tasks", "context"):
        if section not in top or is_null(top[section]):
            continue
        if section == "tasks":
            reader.mapping(top["tasks"], "tasks")  # shape and duplicate keys
        # Built as plain data too, so that what YAML cannot build (an unknown tag) is reported
        # here; `_tasks` and `_context` read the sections node by node.
        raw = reader.plain(top[section], section)
        declares_tasks = declares_tasks or (isinstance(raw, dict) and bool(raw))
    config = ir.AgentConfig(
        name=name,
        instructions=instructions,
        include=include,
        exclude=exclude,
        overrides=overrides,
        allow_hosts=allow_hosts,
        identity_fields=identity,
        limits=limits,
        source=source,
        locations=dict(sorted(reader.locations.items())),
    )
    return config, declares_tasks


def _text(reader: NodeReader, entries: dict[str, yaml.Node], parent: str, key: str) -> str:
    if key not in entries:
        return ""
    return reader.text(entries[key], child_path(parent, key)) or ""


def _read_selection(reader: NodeReader, node: yaml.Node, path: str) -> ir.Selection:
    if is_null(node):
        return ir.Selection()
    entries = reader.mapping(node, path, _SELECTION_KEYS)
    lists = {
        key: reader.text_list(entries[key], child_path(path, key)) if key in entries else []
        for key in _SELECTION_KEYS
    }
    methods: list[str] = []
    for index, (method, item) in enumerate(lists["methods"]):
        if method.lower() in ir.HTTP_METHODS:
            methods.append(method.lower())
            continue
        reader.fail(
            Code.AGENT_METHOD,
            item,
            f"`{child_path(child_path(path, 'methods'), index)}`: `{method}` is not an HTTP method",
            _method_hint(method),
        )
    return ir.Selection(
        operations=_kept(reader, child_path(path, "operations"), lists["operations"]),
        tags=_kept(reader, child_path(path, "tags"), lists["tags"]),
        methods=tuple(_unique(methods)),
    )


def _kept(reader: NodeReader, path: str, items: list[tuple[str, yaml.Node]]) -> tuple[str, ...]:
    """The values without repeats, each located at its first occurrence as `path[i]`."""
    first: dict[str, yaml.Node] = {}
    for value, node in items:
        first.setdefault(value, node)
    for index, node in enumerate(first.values()):
        reader.remember(child_path(path, index), node)
    return tuple(first)


def _method_hint(method: str) -> str:
    best = closest(method, ir.HTTP_METHODS)
    if best is not None:
        return f"did you mean `{best.upper()}`?"
    return "expected one of: " + ", ".join(m.upper() for m in ir.HTTP_METHODS)


def _unique(values: Iterable[str]) -> list[str]:
    """Without repeats, in first-seen order (repeats are harmless, so not an error)."""
    return list(dict.fromkeys(values))


def _read_overrides(reader: NodeReader, node: yaml.Node, path: str) -> tuple[ir.ToolOverride, ...]:
    if is_null(node):
        return ()
    overrides = []
    for operation_id, value in reader.mapping(node, path).items():
        op_path = child_path(path, operation_id)
        overrides.append(_read_override(reader, operation_id, value, op_path))
    return tuple(overrides)


def _read_override(
    reader: NodeReader, operation_id: str, node: yaml.Node, path: str
) -> ir.ToolOverride:
    where = reader.locations.get(path, reader.where(node))
    if is_null(node):
        return ir.ToolOverride(operation_id=operation_id, where=where)
    entries = reader.mapping(node, path, _OVERRIDE_KEYS)
    name = _text(reader, entries, path, "name") or None
    if name is not None and not _TOOL_NAME.match(name):
        reader.fail(
            Code.AGENT_TOOL_NAME,
            entries["name"],
            f"`{child_path(path, 'name')}`: `{name}` is not a usable tool name "
            "(models accept 1 to 64 letters, digits, `_` or `-`)",
            f"did you mean `{_tool_name_like(name)}`?",
        )
        name = None
    description = _text(reader, entries, path, "description") or None
    confirm = None
    if "confirm" in entries:
        confirm = reader.boolean(entries["confirm"], child_path(path, "confirm"))
    bind = (
        _read_bind(reader, entries["bind"], child_path(path, "bind")) if "bind" in entries else ()
    )
    owner = None
    if "owner" in entries:
        owner = read_owner(reader, entries["owner"], child_path(path, "owner"))
    lookup_limit = None
    if "lookup_limit" in entries and not is_null(entries["lookup_limit"]):
        lookup_path = child_path(path, "lookup_limit")
        lookup_limit = read_lookup_limit(reader, entries["lookup_limit"], lookup_path)
    return ir.ToolOverride(
        operation_id=operation_id,
        name=name,
        description=description,
        confirm=confirm,
        bind=bind,
        expose=_read_fields(reader, entries, path, "expose"),
        redact=_read_fields(reader, entries, path, "redact"),
        owner=owner,
        lookup_limit=lookup_limit,
        where=where,
    )


def _read_bind(reader: NodeReader, node: yaml.Node, path: str) -> tuple[tuple[str, str], ...]:
    if is_null(node):
        return ()
    pairs = []
    for parameter, value in reader.mapping(node, path).items():
        key_path = child_path(path, parameter)
        text = reader.text(value, key_path)
        if text is None:
            if is_null(value):
                reader.wrong_type(value, key_path, "`identity.<field>`")
            continue
        match = BIND.match(text.strip())
        if match is None:
            reader.fail(
                Code.AGENT_BIND,
                value,
                f"`{key_path}`: `{text}` is not an identity field; write `identity.<field>`",
                bind_hint(text.strip()),
            )
            continue
        reader.remember(key_path, value)
        pairs.append((parameter, match["field"]))
    return tuple(pairs)


def _read_hosts(reader: NodeReader, node: yaml.Node, path: str) -> tuple[str, ...]:
    """`allow_hosts: [auth.example.com, ...]`: bare host names (or IP addresses), lower case."""
    hosts = []
    for index, (value, item) in enumerate(reader.text_list(node, path)):
        host = value.strip().lower().rstrip(".")
        if not _HOST.match(host):
            reader.fail(
                Code.AGENT_HOST,
                item,
                f"`{child_path(path, index)}`: `{value}` is not a host name",
                _host_hint(value),
            )
            continue
        hosts.append((host, item))
    return _kept(reader, path, hosts)


def _host_hint(value: str) -> str:
    """The host inside a URL or a `host:port` (what people paste), for the hint."""
    text = value.strip()
    parsed = urlsplit(text if "//" in text else f"//{text}")
    try:
        host = (parsed.hostname or "").rstrip(".")
    except ValueError:
        host = ""
    if host and _HOST.match(host):
        return f"write the host name only, without scheme, port or path: `{host}`"
    return "write a host name such as `auth.example.com` or an address such as `10.0.0.5`"


def _read_fields(
    reader: NodeReader, entries: dict[str, yaml.Node], parent: str, key: str
) -> tuple[str, ...]:
    if key not in entries:
        return ()
    path = child_path(parent, key)
    fields = []
    for index, (value, item) in enumerate(reader.text_list(entries[key], path)):
        if not FIELD_PATH.match(value):
            reader.fail(
                Code.AGENT_FIELD_PATH,
                item,
                f"`{child_path(path, index)}`: `{value}` is not a field path",
                "write response field names joined by dots, e.g. `customer.email`",
            )
            continue
        fields.append((value, item))
    return _kept(reader, path, fields)


def _tool_name_like(name: str) -> str:
    """A valid tool name close to `name`, for the hint."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", name.strip()).strip("_")
    return (cleaned or "tool")[:64]


def _nearby_file_hint(path: Path) -> str:
    """A YAML file next to the missing one with a similar name (`agnet.yaml` -> `agent.yaml`)."""
    try:
        nearby = [p.name for p in path.parent.iterdir() if p.suffix in (".yaml", ".yml")]
    except OSError:
        return ""
    best = closest(path.name, nearby)
    return f"did you mean `{path.with_name(best)}`?" if best else ""
