"""A generated package's tools served over MCP (the official `mcp` SDK, extra ``[mcp]``).

The MCP host (Claude, an IDE, another agent) runs the model; this server offers the same tools
as the built-in agent with the same protections, all through `Toolset`: tools bound to the
verified identity are listed only when it is known and their bound arguments never appear in a
schema; consequential tools go through the proposal/``confirm`` gate of `confirm`.

Who the customer is comes from the server's configuration over stdio (one host, one user) and
from ``X-Verified-*`` request headers over HTTP, where the host's gateway, not the caller,
must set them: an HTTP server trusts those headers, so it must not be reachable around that
gateway (it listens on 127.0.0.1 by default).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Literal

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from specagent_runtime._errors import ConfigurationError
from specagent_runtime._http.auth import Credential
from specagent_runtime._http.client import AsyncApiClient
from specagent_runtime._identity import Identity, identity_from_fields
from specagent_runtime._mcp.confirm import (
    Confirmations,
    confirm_argument,
    confirmation_required,
    nothing_to_confirm,
    scope_of,
    with_confirm_argument,
)
from specagent_runtime._mcp.tasks import McpTasks
from specagent_runtime._spec import OperationSpec, ToolSpec
from specagent_runtime._stores.base import Store
from specagent_runtime._stores.memory import MemoryStore
from specagent_runtime._tasks.steps import TaskDefinition, load_task_module
from specagent_runtime._tools.formats import definitions
from specagent_runtime._tools.toolset import HANDOFF_RESULT, HANDOFF_TOOL, ToolResult, Toolset

logger = logging.getLogger("specagent_runtime.mcp")

IDENTITY_HEADER_PREFIX = "X-Verified-"
_SESSION_HEADER = "mcp-session-id"
_DESTRUCTIVE_METHODS = frozenset({"PUT", "PATCH", "DELETE"})

Transport = Literal["stdio", "http"]


class McpConfigError(ConfigurationError):
    """The server cannot start as configured (shown to the operator, without a traceback)."""


def identity_from_headers(
    headers: Mapping[str, str], prefix: str = IDENTITY_HEADER_PREFIX
) -> Identity | None:
    """``X-Verified-Email: ada@example.com`` -> ``Identity(email=...)``; other names after the
    prefix (``X-Verified-Account-Number``) become `Identity.extra` keys (``account_number``)."""
    start = prefix.lower()
    fields: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        field = lower[len(start) :].replace("-", "_")
        if lower.startswith(start) and field and value:
            fields[field] = value
    return identity_from_fields(fields, verified=True)  # headers the operator trusts


def _http_methods(package: str) -> dict[str, str]:
    """Operation id -> HTTP method, from the package's ``_operations`` module (for the
    annotations); empty when the package has none."""
    try:
        module = importlib.import_module(f"{package}._operations")
    except ImportError:
        return {}
    values = vars(module).values()
    return {op.id: op.method.upper() for op in values if isinstance(op, OperationSpec)}


def tool_annotations(spec: ToolSpec, http_method: str | None) -> types.ToolAnnotations:
    """Hints for the host's approval UI: read-only lookups need no prompt, consequential or
    overwriting/deleting calls should get one."""
    if spec.read_only:
        return types.ToolAnnotations(read_only_hint=True, idempotent_hint=True)
    destructive = spec.confirm or http_method in _DESTRUCTIVE_METHODS
    return types.ToolAnnotations(
        read_only_hint=False, destructive_hint=destructive, idempotent_hint=spec.idempotent
    )


class McpTools:
    """The MCP handlers over one `Toolset`: list the tools an identity may use, run a call."""

    def __init__(
        self,
        toolset: Toolset,
        *,
        identity: Identity | None = None,
        trust_identity_headers: bool = False,
        identity_header_prefix: str = IDENTITY_HEADER_PREFIX,
        handoff: bool = False,
        confirmations: Confirmations | None = None,
        tasks: McpTasks | None = None,
        http_methods: Mapping[str, str] | None = None,
    ) -> None:
        if identity is not None and trust_identity_headers:
            raise McpConfigError(
                "give the identity either in the configuration (stdio) or in request headers "
                "(HTTP), not both"
            )
        self.toolset = toolset
        self.identity = identity
        self.trust_identity_headers = trust_identity_headers
        self.identity_header_prefix = identity_header_prefix
        self.handoff = handoff
        self.confirmations = confirmations or Confirmations()
        self.tasks = tasks
        # Operation id -> HTTP method, for the annotations: the package's own by default.
        methods = _http_methods(toolset.package) if http_methods is None else http_methods
        self._methods = dict(methods)

    def caller(self, ctx: ServerRequestContext[Any, Any]) -> tuple[Identity | None, Hashable]:
        """The verified identity of this request and the scope of its proposals."""
        request = ctx.request
        headers: Mapping[str, str] = getattr(request, "headers", None) or {}
        if not self.trust_identity_headers:
            return self.identity, scope_of(self.identity)
        identity = identity_from_headers(headers, self.identity_header_prefix)
        return identity, scope_of(identity, headers.get(_SESSION_HEADER))

    def tools(self, identity: Identity | None) -> list[types.Tool]:
        listed = []
        for tool in definitions(self.toolset, identity, handoff=self.handoff):
            spec = self.toolset.get(tool.name)
            schema = dict(tool.parameters)
            schema.setdefault("type", "object")
            hints = None
            if spec is not None:
                hints = tool_annotations(spec, self._methods.get(spec.operation))
                if spec.confirm:
                    schema = with_confirm_argument(spec, schema)
            listed.append(
                types.Tool(
                    name=tool.name,
                    description=tool.description,
                    input_schema=schema,
                    annotations=hints,
                )
            )
        if self.tasks is not None:
            listed.extend(self.tasks.tools(identity))
        return listed

    async def call(
        self, name: str, arguments: Mapping[str, Any], identity: Identity | None, scope: Hashable
    ) -> ToolResult:
        if self.handoff and name == HANDOFF_TOOL:
            return ToolResult(HANDOFF_TOOL, "ok", data=HANDOFF_RESULT)
        if self.tasks is not None and self.tasks.handles(name):
            return await self.tasks.call(name, arguments, identity)
        spec = self.toolset.get(name)
        arguments = dict(arguments)
        confirmed: object = False
        if spec is not None and spec.confirm:
            argument = confirm_argument(spec)
            confirmed = arguments.pop(argument, False)
            if not isinstance(confirmed, bool):
                return ToolResult.error(name, f'"{argument}" must be true or left out')
        prepared = self.toolset.prepare(name, arguments, identity)
        if isinstance(prepared, ToolResult):
            return prepared
        if not prepared.spec.confirm:
            return await self.toolset.run(prepared)
        argument = confirm_argument(prepared.spec)
        if not confirmed:
            proposal = self.confirmations.propose(scope, prepared)
            logger.info("tool %s: confirmation requested", name)
            return confirmation_required(proposal, argument)
        if self.confirmations.take(scope, prepared) is None:
            return nothing_to_confirm(name, argument)
        logger.info("tool %s: confirmed, running", name)
        return await self.toolset.run(prepared)

    # --- the SDK's handler signatures -----------------------------------------------------

    async def on_list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        identity, _ = self.caller(ctx)
        return types.ListToolsResult(tools=self.tools(identity))

    async def on_call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        identity, scope = self.caller(ctx)
        result = await self.call(params.name, params.arguments or {}, identity, scope)
        logger.info("tool call %s: %s", params.name, result.status)
        return types.CallToolResult(
            content=[types.TextContent(text=result.for_model())], is_error=result.is_error
        )


def mcp_tools(
    toolset: Toolset,
    identity: Identity | None = None,
    *,
    tasks: Iterable[TaskDefinition] = (),
    http_methods: Mapping[str, str] | None = None,
    handoff: bool = False,
) -> list[dict[str, Any]]:
    """What the MCP server's ``tools/list`` answers `identity` for these tools and tasks, as
    JSON (what ``specagent tools --format mcp`` shows).

    `http_methods` (operation id -> HTTP method) feed the annotations; by default they are read
    from the package's ``_operations`` module, which a package still being planned lacks.
    """
    served = None
    definitions = {task.name: task for task in tasks}
    if definitions:
        taken = frozenset({spec.name for spec in toolset.specs} | {HANDOFF_TOOL})
        served = McpTasks(MemoryStore(), toolset.client, definitions, taken=taken)
    handlers = McpTools(
        toolset, identity=identity, handoff=handoff, tasks=served, http_methods=http_methods
    )
    return [
        tool.model_dump(mode="json", by_alias=True, exclude_none=True)
        for tool in handlers.tools(identity)
    ]


def build_server(tools: McpTools, *, version: str = "") -> Server[Any]:
    """The low-level MCP server for these handlers (what `serve_mcp` runs); its version is the
    API's (agent.json), else the runtime's: MCP hosts show it, and an empty one reads as a
    broken server."""
    agent = tools.toolset.agent
    version = version or agent.version or _runtime_version()
    instructions = agent.instructions.strip()
    note = (
        "Tools that change something answer their first call with what would happen; call "
        'again with "confirm": true only after the user agreed.'
    )
    return Server(
        agent.name,
        version=version,
        instructions=f"{instructions}\n\n{note}" if instructions else note,
        on_list_tools=tools.on_list_tools,
        on_call_tool=tools.on_call_tool,
    )


def _runtime_version() -> str:
    try:
        return importlib.metadata.version("specagent-runtime")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def make_client(
    package: str,
    *,
    base_url: str | None = None,
    credentials: Mapping[str, Credential] | None = None,
) -> AsyncApiClient:
    """The package's generated ``AsyncClient``; credentials default to its environment
    variables (listed in the package's README)."""
    try:
        module = importlib.import_module(f"{package}.client")
    except ImportError as exc:
        raise McpConfigError(f"cannot import {package}.client: {exc}") from exc
    client_class = getattr(module, "AsyncClient", None)
    if not (isinstance(client_class, type) and issubclass(client_class, AsyncApiClient)):
        raise McpConfigError(f"{package}.client has no AsyncClient class")
    client: AsyncApiClient = client_class(base_url, credentials=credentials)
    return client


async def serve_mcp_async(
    package: str,
    *,
    transport: Transport = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    identity: Identity | None = None,
    identity_header_prefix: str = IDENTITY_HEADER_PREFIX,
    base_url: str | None = None,
    credentials: Mapping[str, Credential] | None = None,
    client: AsyncApiClient | None = None,
    handoff: bool = False,
    store: Store | None = None,
) -> None:
    """Serve `package`'s tools (and tasks, if it has any) until the host disconnects (stdio)
    or the process is stopped (HTTP, streamable HTTP at ``http://HOST:PORT/mcp``).

    Over stdio the identity is `identity` (the server serves one user). Over HTTP it comes from
    the ``X-Verified-*`` headers of each request, which the host's gateway must set. Task runs
    live in `store` (default: in memory, for the server's life).
    """
    if transport not in ("stdio", "http"):
        raise McpConfigError(f"unknown transport {transport!r}; use 'stdio' or 'http'")
    if transport == "http" and identity is not None:
        raise McpConfigError(
            "over HTTP the identity comes from each request's "
            f"{identity_header_prefix}* headers; a fixed identity is for stdio only"
        )
    if client is None:
        client = make_client(package, base_url=base_url, credentials=credentials)
    try:
        toolset = Toolset.from_package(package, client)
    except ValueError as exc:
        raise McpConfigError(str(exc)) from exc
    tasks_module = load_task_module(package)
    tasks = None
    if tasks_module is not None:
        taken = frozenset({spec.name for spec in toolset.specs} | {HANDOFF_TOOL})
        tasks = McpTasks(store or MemoryStore(), client, tasks_module, taken=taken)
    tools = McpTools(
        toolset,
        identity=identity,
        trust_identity_headers=transport == "http",
        identity_header_prefix=identity_header_prefix,
        handoff=handoff,
        tasks=tasks,
    )
    server = build_server(tools)
    async with client:
        if transport == "stdio":
            async with stdio_server() as (read_stream, write_stream):
                await server.run(read_stream, write_stream, server.create_initialization_options())
        else:
            await _serve_http(server, host, port)


async def _serve_http(server: Server[Any], host: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415 - a dependency of mcp, needed only for HTTP

    app = server.streamable_http_app(host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()


def serve_mcp(
    package: str,
    *,
    transport: Transport = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    identity: Identity | None = None,
    identity_header_prefix: str = IDENTITY_HEADER_PREFIX,
    base_url: str | None = None,
    credentials: Mapping[str, Credential] | None = None,
    handoff: bool = False,
    store: Store | None = None,
) -> None:
    """`serve_mcp_async` for a program's main thread (what ``python -m <package> mcp`` runs)."""
    anyio.run(
        lambda: serve_mcp_async(
            package,
            transport=transport,
            host=host,
            port=port,
            identity=identity,
            identity_header_prefix=identity_header_prefix,
            base_url=base_url,
            credentials=credentials,
            handoff=handoff,
            store=store,
        )
    )
