"""What the tool list costs the model, next to FastMCP's `from_openapi` on the same spec.

    uv run --group bench python benchmarks/tokens.py [--only stripe] [--json FILE]

For each spec (petstore and the corpus' `large/` ones; no agent file, so every operation is a
tool) this counts the o200k_base tokens of the tool list as compact JSON, with the counter
`specagent tools` uses:

* "inputs": each tool's name, description and input schema, the same three members for both
  (specagent's `parameters`, FastMCP's `inputSchema`): the bare comparison;
* specagent's list in the OpenAI format (what the runtime sends: the same plus the
  `{"type": "function", "function": ...}` wrapper) and in the MCP format, FastMCP's whole
  `tools/list` entries (it adds an `outputSchema` and a title);
* specagent's compact index (`ToolIndex`: one line per tool plus `find_tools`) for APIs too big
  to send whole.

Fewer tokens only count if nothing the model needs is gone, so each list is also checked against
the spec: every parameter and top-level body property of every operation must appear in its
tool's schema, `required` ones must be required there, and every enum value must be present.
Tools are matched to operations by method and path (FastMCP renames operation ids it finds
unfit, such as GitHub's `repos/get`), so every operation is checked in both lists.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SPECS = [ROOT / "examples" / "petstore" / "openapi.yaml", *sorted((CORPUS / "large").iterdir())]
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class Losses:
    """What a tool list lost against the spec (counts, and a few examples)."""

    checked: int = 0  # operations with a matching tool
    unmatched: int = 0  # operations without one
    parameters: int = 0
    required: int = 0
    enum_values: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.parameters + self.required + self.enum_values

    def note(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)


@dataclass
class Row:
    spec: str
    operations: int
    specagent_inputs: int = 0  # name, description, input schema
    specagent_openai: int = 0
    specagent_mcp: int = 0
    index: int = 0  # compact index + find_tools
    fastmcp: int | None = None  # name, description, inputSchema; None: FastMCP failed
    fastmcp_full: int = 0  # its whole tools/list entries (outputSchema, title, annotations)
    fastmcp_note: str = ""
    specagent_losses: Losses = field(default_factory=Losses)
    fastmcp_losses: Losses = field(default_factory=Losses)

    def ratios(self) -> tuple[str, str]:
        """(specagent tools/list / FastMCP tools/list, specagent inputs / FastMCP inputs)."""
        if not self.fastmcp:
            return "-", "-"
        return (
            f"{self.specagent_mcp / self.fastmcp_full:.2f}",
            f"{self.specagent_inputs / self.fastmcp:.2f}",
        )


# --- the spec's facts, for the loss check ------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    operation: str  # "METHOD /path", as the spec declares it
    name: str
    required: bool
    enum: tuple[Any, ...]


def spec_facts(document: Mapping[str, Any]) -> Iterator[Fact]:
    """Parameters and top-level JSON body properties of each operation, from the loaded
    (normalised, local-refs-only) document."""
    for path, item in sorted((document.get("paths") or {}).items()):
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            name = f"{method.upper()} {path}"
            for raw in [*shared, *(op.get("parameters") or [])]:
                param = _deref(document, raw)
                if isinstance(param, dict) and "name" in param:
                    schema = _deref(document, param.get("schema") or {})
                    yield Fact(name, str(param["name"]), bool(param.get("required")), _enum(schema))
            yield from _body_facts(document, name, op)


def _body_facts(document: Mapping[str, Any], name: str, op: Mapping[str, Any]) -> Iterator[Fact]:
    body = _deref(document, op.get("requestBody") or {})
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return
    media = next((m for m in content if "json" in m), None) or next(iter(content), None)
    schema = _deref(document, (content.get(media) or {}).get("schema") or {}) if media else {}
    if not isinstance(schema, dict):
        return
    required = set(schema.get("required") or ())
    for prop, sub in sorted((schema.get("properties") or {}).items()):
        sub_schema = _deref(document, sub)
        if isinstance(sub_schema, dict) and sub_schema.get("readOnly"):
            continue  # not sent in requests
        yield Fact(name, prop, prop in required and bool(body.get("required")), _enum(sub_schema))


def _deref(document: Mapping[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 20:
        target: Any = document
        for raw in node["$ref"].removeprefix("#/").split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            target = target.get(token) if isinstance(target, dict) else None
        node, seen = target, seen + 1
    return node


def _enum(schema: Any) -> tuple[Any, ...]:
    if not isinstance(schema, dict):
        return ()
    values = list(schema.get("enum") or ())
    items = schema.get("items")
    if isinstance(items, dict):
        values += list(items.get("enum") or ())
    return tuple(v for v in values if v is not None)


def spec_operations(document: Mapping[str, Any]) -> set[str]:
    """Every operation of the spec, "METHOD /path" (those without parameters too)."""
    return {
        f"{method.upper()} {path}"
        for path, item in (document.get("paths") or {}).items()
        if isinstance(item, dict)
        for method in _METHODS
        if isinstance(item.get(method), dict)
    }


def check(
    operations: set[str],
    facts: Sequence[Fact],
    tools: Mapping[str, Mapping[str, Any]],
    losses: Losses,
) -> None:
    """Count the facts of the spec missing from `tools` ("METHOD /path" -> input schema)."""
    losses.unmatched = sum(1 for op in operations if op not in tools)
    losses.checked = len(operations) - losses.unmatched
    for fact in facts:
        schema = tools.get(fact.operation)
        if schema is None:
            continue
        names, required = _schema_names(schema)
        keys = [k for k in names if k == fact.name or _collision_form(k, fact.name)]
        where = f"{fact.operation}.{fact.name}"
        if not keys:
            losses.parameters += 1
            losses.note(f"parameter {where}")
            continue
        if fact.required and not any(k in required for k in keys):
            losses.required += 1
            losses.note(f"required {where}")
        text = json.dumps(schema, ensure_ascii=False)
        for value in fact.enum:
            if json.dumps(value, ensure_ascii=False) not in text and str(value) not in text:
                losses.enum_values += 1
                losses.note(f"enum {where}={value!r}")


def _collision_form(key: str, name: str) -> bool:
    # FastMCP (`name__location`) and specagent (`name_location`, snake case) suffixes.
    return key.startswith((f"{name}__", f"{name}_")) or key.endswith(f"__{name}")


def _schema_names(schema: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """Property names anywhere in `schema` (a flattened body nests nothing; a body passed as
    one argument nests its properties one level down), and the names listed as required."""
    names: set[str] = set()
    required: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                names.update(props)
            req = node.get("required")
            if isinstance(req, list):
                required.update(str(r) for r in req)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names, required


# --- the tool lists ------------------------------------------------------------------------------


def specagent_lists(spec: Path, row: Row) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """specagent's tool lists and costs; returns the loaded document and "METHOD /path" ->
    the input schema the model sees."""
    from specagent import GenerateOptions, plan_inputs  # noqa: PLC0415
    from specagent._tokens import count_json_tokens  # noqa: PLC0415
    from specagent.loader import load_spec  # noqa: PLC0415
    from specagent.render import agent_json  # noqa: PLC0415
    from specagent.tools import model_tools  # noqa: PLC0415

    planned = plan_inputs(spec, None, "agent", GenerateOptions())
    if planned.plan is None:
        raise RuntimeError(f"specagent could not plan {spec.name}")
    data = json.loads(agent_json(planned.plan))
    methods = {e.operation.id: e.operation.method.upper() for e in planned.plan.endpoints}
    openai = model_tools(data, "openai")
    row.specagent_openai = openai.total
    row.specagent_mcp = model_tools(data, "mcp", http_methods=methods).total
    row.index = count_json_tokens(compact_index(data))
    # The model's view of each tool (bound arguments hidden: none without an agent file).
    shown = {
        tool["function"]["name"]: tool["function"] for tool in openai.tools if "function" in tool
    }
    routes = {
        e.operation.id: f"{e.operation.method.upper()} {e.operation.path}"
        for e in planned.plan.endpoints
    }
    row.specagent_inputs = sum(
        count_json_tokens(
            {"name": name, "description": t["description"], "parameters": t["parameters"]}
        )
        for name, t in shown.items()
        if name != "handoff_to_human"
    )
    row.operations = len(data["tools"])
    document = load_spec(spec).document
    return document, {
        routes[tool["operation"]]: shown[tool["name"]]["parameters"] for tool in data["tools"]
    }


def compact_index(agent_json_data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the model sees with the runtime's tool index (`Toolset.index_above`)."""
    import httpx  # noqa: PLC0415
    from specagent_runtime import AsyncApiClient, Toolset, ToolSpec  # noqa: PLC0415

    specs = [ToolSpec.from_json(t) for t in agent_json_data["tools"]]
    client = AsyncApiClient("http://127.0.0.1", http_client=httpx.AsyncClient())
    toolset = Toolset(specs, client, package="tokens_preview", index_above=0)
    return toolset.openai_tools(None)


def fastmcp_list(document: Mapping[str, Any], row: Row) -> dict[str, dict[str, Any]]:
    """FastMCP's tools/list for the same spec (the file as its users give it), costed the same
    way; "METHOD /path" (from the route each tool calls) -> input schema."""
    from fastmcp import FastMCP  # noqa: PLC0415
    from specagent._tokens import count_json_tokens  # noqa: PLC0415

    async def tools() -> list[Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # No client given: FastMCP makes its own from the spec's servers; listing the tools
            # sends nothing.
            server = FastMCP.from_openapi(openapi_spec=dict(document))
            return list(await server.list_tools())

    listed = asyncio.run(tools())
    shown = [
        {"name": t.name, "description": t.description or "", "inputSchema": t.parameters}
        for t in listed
    ]
    row.fastmcp = sum(count_json_tokens(t) for t in shown)
    row.fastmcp_full = sum(
        count_json_tokens(t.to_mcp_tool().model_dump(by_alias=True, exclude_none=True))
        for t in listed
    )
    return {f"{t._route.method.upper()} {t._route.path}": t.parameters for t in listed}


# --- command line --------------------------------------------------------------------------------


def measure(spec: Path) -> Row:
    row = Row(spec.name, 0)
    document, ours = specagent_lists(spec, row)
    facts = list(spec_facts(document))
    operations = spec_operations(document)
    check(operations, facts, ours, row.specagent_losses)
    try:
        theirs = fastmcp_list(_original_document(spec), row)
    except Exception as exc:  # FastMCP's own failure is a result, not ours
        row.fastmcp_note = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
        return row
    check(operations, facts, theirs, row.fastmcp_losses)
    return row


def _original_document(spec: Path) -> dict[str, Any]:
    """The spec as FastMCP's users give it: the file as it is (a Swagger 2.0 file is refused)."""
    import yaml  # noqa: PLC0415

    text = spec.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text) if spec.suffix == ".json" else yaml.safe_load(text)
    if "swagger" in data:
        raise ValueError("FastMCP reads OpenAPI 3 only (this is Swagger 2.0)")
    return data


def print_table(rows: Sequence[Row]) -> None:
    header = [
        "spec",
        "tools",
        "specagent inputs",
        "fastmcp inputs",
        "ratio",
        "specagent openai",
        "specagent mcp",
        "fastmcp tools/list",
        "ratio",
        "index",
        "lost (ours/fastmcp)",
        "checked (ours/fastmcp)",
    ]
    lines = [header]
    for r in rows:
        theirs = "-" if r.fastmcp is None else str(r.fastmcp_losses.total)
        full, inputs = r.ratios()
        lines.append(
            [
                r.spec,
                str(r.operations),
                f"{r.specagent_inputs:,}",
                "-" if r.fastmcp is None else f"{r.fastmcp:,}",
                inputs,
                f"{r.specagent_openai:,}",
                f"{r.specagent_mcp:,}",
                "-" if r.fastmcp is None else f"{r.fastmcp_full:,}",
                full,
                f"{r.index:,}",
                f"{r.specagent_losses.total}/{theirs}",
                f"{r.specagent_losses.checked}/"
                + ("-" if r.fastmcp is None else str(r.fastmcp_losses.checked)),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    for r in rows:
        if r.fastmcp_note:
            print(f"fastmcp on {r.spec}: {r.fastmcp_note}")
        for who, losses in (("specagent", r.specagent_losses), ("fastmcp", r.fastmcp_losses)):
            if losses.total or losses.unmatched:
                print(
                    f"{who} on {r.spec}: {losses.parameters} parameters, {losses.required} "
                    f"required flags, {losses.enum_values} enum values lost, {losses.unmatched} "
                    f"operations without a tool; e.g. {', '.join(losses.examples)}"
                )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="specs whose name contains")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    specs = [s for s in SPECS if not args.only or any(o in s.name for o in args.only)]
    rows = []
    for spec in specs:
        started = time.perf_counter()
        rows.append(measure(spec))
        print(f"{spec.name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(
            json.dumps([asdict(r) for r in rows], indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
