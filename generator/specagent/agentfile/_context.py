"""The `context:` section: what the agent knows about the verified customer from the start.

```yaml
context:
  refresh_after: 300          # seconds; optional (default 300)
  max_chars: 3000             # the size cap of the whole section; optional (default 3000)
  sources:
    - call: getCustomerByEmail    # a tool of the agent, by operation id or tool name
      as: customer                # the label the model sees
```

Each source is one of the agent's read-only tools whose every required parameter is bound to
the identity (`tools.overrides.<op>.bind`), so the runtime can call it with nothing but the
verified identity; the tool's `expose`/`redact` shape what the model sees. Compiled into the
`context` entry of agent.json, which the runtime's `UserContext` reads. This module reads the
section; `specagent.tasks` checks its sources against the plan.
"""

from __future__ import annotations

import yaml

from specagent import ir
from specagent.agentfile._yaml import NodeReader, child_path, is_null
from specagent.ir import Code

_KEYS = ("refresh_after", "max_chars", "sources")
_SOURCE_KEYS = ("call", "as")
DEFAULT_REFRESH = 300
DEFAULT_MAX_CHARS = 3000


def read_context(node: yaml.Node, source: str) -> tuple[ir.ContextDecl | None, list[ir.Diagnostic]]:
    """The `context:` section of the agent file's composed `node`, None when there is none."""
    if not isinstance(node, yaml.MappingNode):
        return None, []
    section = next(
        (
            value
            for key, value in node.value
            if isinstance(key, yaml.ScalarNode) and key.value == "context"
        ),
        None,
    )
    if section is None or is_null(section):
        return None, []
    reader = NodeReader(source)
    entries = reader.mapping(section, "context", _KEYS)
    refresh = _whole(reader, entries, "refresh_after", default=DEFAULT_REFRESH, low=1, high=86_400)
    max_chars = _whole(
        reader, entries, "max_chars", default=DEFAULT_MAX_CHARS, low=200, high=50_000
    )
    sources: list[ir.ContextSource] = []
    labels: set[str] = set()
    node_sources = entries.get("sources")
    if node_sources is None or not isinstance(node_sources, yaml.SequenceNode):
        reader.fail(
            Code.CONTEXT_MISSING_KEY,
            node_sources or section,
            "`context` needs `sources`: a list of `{call: <operation>, as: <label>}`",
        )
    else:
        for index, item in enumerate(node_sources.value):
            path = child_path("context.sources", index)
            fields = reader.mapping(item, path, _SOURCE_KEYS)
            operation = reader.text(fields["call"], f"{path}.call") if "call" in fields else None
            if operation is None:
                reader.fail(Code.CONTEXT_MISSING_KEY, item, f"`{path}` needs `call: <operation>`")
                continue
            label = reader.text(fields["as"], f"{path}.as") if "as" in fields else None
            label = label or operation
            if label in labels:
                reader.fail(Code.CONTEXT_BAD_VALUE, item, f"`{path}`: the label `{label}` repeats")
            labels.add(label)
            sources.append(ir.ContextSource(operation, label, reader.where(item)))
    decl = ir.ContextDecl(reader.where(section), tuple(sources), refresh, max_chars)
    return decl, reader.diagnostics


def _whole(
    reader: NodeReader,
    entries: dict[str, yaml.Node],
    key: str,
    *,
    default: int,
    low: int,
    high: int,
) -> int:
    node = entries.get(key)
    if node is None:
        return default
    value = yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) else None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        reader.fail(
            Code.CONTEXT_BAD_VALUE,
            node,
            f"`context.{key}` must be a whole number from {low} to {high}",
        )
        return default
    return value
