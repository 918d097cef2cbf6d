"""A generated package's tools served over MCP (the official `mcp` SDK, extra ``[mcp]``).

The MCP host (Claude, an IDE, another agent) runs the model; this server offers the same tools
as the built-in agent with the same protections, all through `Toolset`: tools bound to the
verified identity are listed only when it is known and their bound arguments never appear in a
schema; consequential tools run only after the user's confirmation (`confirm`: through the
client's elicitation dialog when it has one, else with a token bound to the session).

Who the customer is comes from the server's configuration over stdio (one host, one user) and,
over HTTP, from each request (`identity.HeaderIdentity`: configured headers set by the host's
gateway, or only a signed assertion when a secret is configured). Over HTTP the server speaks
the MCP versions with sessions (the initialize handshake): a session is what a confirmation
token is bound to, and what lets the server ask the user through elicitation mid-call.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, Literal

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from specagent_runtime._agent.consent import summarise
from specagent_runtime._errors import ConfigurationError
from specagent_runtime._http.auth import Credential
from specagent_runtime._http.client import AsyncApiClient
from specagent_runtime._identity import Identity, fingerprint
from specagent_runtime._mcp.confirm import (
    ELICITATION_FIELD,
    TOKEN_KEY,
    Confirmations,
    confirm_argument,
    confirmation_required,
    declined,
    elicitation_request,
    nothing_to_confirm,
    scope_of,
    with_confirm_argument,
)
from specagent_runtime._mcp.identity import IDENTITY_HEADER_PREFIX, HeaderIdentity
from specagent_runtime._mcp.tasks import McpTasks
from specagent_runtime._spec import ToolSpec, package_operations
from specagent_runtime._stores.base import Store
from specagent_runtime._stores.memory import MemoryStore
from specagent_runtime._tasks.steps import TaskDefinition, load_task_module
from specagent_runtime._tools.formats import definitions
from specagent_runtime._tools.shaping import dumps
from specagent_runtime._tools.toolset import (
    HANDOFF_RESULT,
    HANDOFF_TOOL,
    PreparedCall,
    ToolResult,
    Toolset,
)

logger = logging.getLogger("specagent_runtime.mcp")

_SESSION_HEADER = "mcp-session-id"
_DESTRUCTIVE_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
_FORM_ELICITATION = types.ClientCapabilities(
    elicitation=types.ElicitationCapability(form=types.FormElicitationCapability())
)
NO_SESSION = (
    "Not done: this action needs the user's confirmation, and this connection has no MCP "
    "session to keep it in. Connect with a client that starts a session (the initialize "
    "handshake), or ask a human colleague to do it."
)

Transport = Literal["stdio", "http"]
# Asks the user to confirm a call: True for yes, False for no, None when the client could not
# ask; or, on the 2026-07-28 protocol, the `InputRequiredResult` that asks (the client answers
# by calling again with the user's answer).
Ask = Callable[[PreparedCall], Awaitable[bool | types.InputRequiredResult | None]]
_ELICITATION_KEY = "confirm"  # the key of the one input request of a confirmation


class McpConfigError(ConfigurationError):
    """The server cannot start as configured (shown to the operator, without a traceback)."""


def identity_from_headers(
    headers: Mapping[str, str], prefix: str = IDENTITY_HEADER_PREFIX, extra: Iterable[str] = ()
) -> Identity | None:
    """``X-Verified-Email: ada@example.com`` -> a verified ``Identity(email=...)``: the named
    fields after `prefix`, and the `extra` fields named (`account_number` from
    ``X-Verified-Account-Number``); any other header is ignored."""
    return HeaderIdentity.with_prefix(prefix, extra).identity(headers)


def _http_methods(package: str) -> dict[str, str]:
    """Operation id -> HTTP method, from the package's ``_operations`` module (for the
    annotations); empty when the package has none."""
    try:
        operations = package_operations(package)
    except ImportError:
        return {}
    return {op.id: op.method.upper() for op in operations}


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
    """The MCP handlers over one `Toolset`: list the tools an identity may use, run a call.

    Give `identity` for stdio (one user), or `identity_source` for HTTP (per request)."""

    def __init__(
        self,
        toolset: Toolset,
        *,
        identity: Identity | None = None,
        identity_source: HeaderIdentity | None = None,
        handoff: bool = False,
        confirmations: Confirmations | None = None,
        tasks: McpTasks | None = None,
        http_methods: Mapping[str, str] | None = None,
    ) -> None:
        if identity is not None and identity_source is not None:
            raise McpConfigError(
                "give the identity either in the configuration (stdio) or in request headers "
                "(HTTP), not both"
            )
        self.toolset = toolset
        self.identity = identity
        self.identity_source = identity_source
        self.handoff = handoff
        self.confirmations = confirmations or Confirmations()
        self.tasks = tasks
        # Operation id -> HTTP method, for the annotations: the package's own by default.
        methods = _http_methods(toolset.package) if http_methods is None else http_methods
        self._methods = dict(methods)
        # Without HTTP sessions the server process is the session (stdio: one host).
        self._process_session = secrets.token_hex(16)

    def caller(self, ctx: ServerRequestContext[Any, Any]) -> tuple[Identity | None, Hashable]:
        """The verified identity of this request and the scope of its proposals (None over
        HTTP without a session: no confirmation can be kept)."""
        if self.identity_source is None:
            return self.identity, scope_of(self.identity, self._process_session)
        headers: Mapping[str, str] = getattr(ctx.request, "headers", None) or {}
        identity = self.identity_source.identity(headers)
        session = headers.get(_SESSION_HEADER)
        return identity, scope_of(identity, session) if session else None

    def tools(self, identity: Identity | None, *, elicitation: bool = False) -> list[types.Tool]:
        """The listing; consequential tools get a `confirm` token argument unless the client
        confirms through elicitation."""
        listed = []
        for tool in definitions(self.toolset, identity, handoff=self.handoff):
            spec = self.toolset.get(tool.name)
            schema = dict(tool.parameters)
            schema.setdefault("type", "object")
            hints = None
            if spec is not None:
                hints = tool_annotations(spec, self._methods.get(spec.operation))
                if spec.confirm and not elicitation:
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
        self,
        name: str,
        arguments: Mapping[str, Any],
        identity: Identity | None,
        scope: Hashable,
        ask: Ask | None = None,
    ) -> ToolResult | types.InputRequiredResult:
        """Run one call. A consequential tool asks the user through `ask` (elicitation) when
        given, else proposes and runs only when called again with the proposal's token."""
        if self.handoff and name == HANDOFF_TOOL:
            return ToolResult(HANDOFF_TOOL, "ok", data=HANDOFF_RESULT)
        if self.tasks is not None and self.tasks.handles(name):
            return await self.tasks.call(name, arguments, identity)
        spec = self.toolset.get(name)
        arguments = dict(arguments)
        token: object = None
        if spec is not None and spec.confirm:
            argument = confirm_argument(spec)
            token = arguments.pop(argument, None)
            if token is not None and not isinstance(token, str):
                return nothing_to_confirm(name, argument)
        prepared = self.toolset.prepare(name, arguments, identity)
        if isinstance(prepared, ToolResult):
            return prepared
        if not prepared.spec.confirm:
            return await self.toolset.run(prepared)
        if ask is not None:
            answer = await ask(prepared)
            if isinstance(answer, types.InputRequiredResult):
                return answer
            if answer is not None:
                logger.info("tool %s: the user %s", name, "confirmed" if answer else "declined")
                return await self.toolset.run(prepared) if answer else declined(name)
        if scope is None:
            return ToolResult.error(name, NO_SESSION)
        argument = confirm_argument(prepared.spec)
        if token is None:
            proposal = self.confirmations.propose(scope, prepared)
            logger.info("tool %s: confirmation requested", name)
            return confirmation_required(proposal, argument)
        assert isinstance(token, str)
        if self.confirmations.take(token, scope, prepared) is None:
            return nothing_to_confirm(name, argument)
        logger.info("tool %s: confirmed with its token, running", name)
        return await self.toolset.run(prepared)

    def result(
        self, result: ToolResult | types.InputRequiredResult
    ) -> types.CallToolResult | types.InputRequiredResult:
        """The MCP answer: the JSON envelope as text and as structured content, with a
        proposal's token and a task's run id as fields of their own."""
        if isinstance(result, types.InputRequiredResult):
            return result
        payload: dict[str, Any] = json.loads(result.for_model())
        if result.status == "confirmation_required" and isinstance(result.data, Mapping):
            payload[TOKEN_KEY] = result.data.get(TOKEN_KEY)
        if isinstance(result.data, Mapping) and self.tasks is not None:
            if self.tasks.handles(result.tool) and "run_id" in result.data:
                payload["run_id"] = result.data["run_id"]
        return types.CallToolResult(
            content=[types.TextContent(text=dumps(payload))],
            structured_content=payload,
            is_error=result.is_error,
        )

    # --- the SDK's handler signatures -----------------------------------------------------

    async def on_list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        identity, _ = self.caller(ctx)
        return types.ListToolsResult(tools=self.tools(identity, elicitation=_can_elicit(ctx)))

    async def on_call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        identity, scope = self.caller(ctx)
        ask = None
        if _can_elicit(ctx):
            if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
                ask = self._ask_in_rounds(params, identity)
            else:
                ask = _ask_now(ctx)
        result = await self.call(params.name, params.arguments or {}, identity, scope, ask)
        status = "input required" if isinstance(result, types.InputRequiredResult) else None
        logger.info("tool call %s: %s", params.name, status or getattr(result, "status", ""))
        return self.result(result)

    def _ask_in_rounds(self, params: types.CallToolRequestParams, identity: Identity | None) -> Ask:
        """Elicitation on the 2026-07-28 protocol: the first round answers with the question
        and a one-time state (a proposal bound to the caller's identity and the exact call);
        the client asks the user and calls again with the answer and that state. An answer
        without the state this server gave for this very call is no answer."""
        scope = ("elicitation", fingerprint(identity))

        async def ask(call: PreparedCall) -> bool | types.InputRequiredResult | None:
            if params.request_state is None:
                proposal = self.confirmations.propose(scope, call)
                message, schema = elicitation_request(proposal.summary)
                question = types.ElicitRequest(
                    params=types.ElicitRequestFormParams(message=message, requested_schema=schema)
                )
                return types.InputRequiredResult(
                    input_requests={_ELICITATION_KEY: question}, request_state=proposal.token
                )
            if self.confirmations.take(params.request_state, scope, call) is None:
                return False
            response = (params.input_responses or {}).get(_ELICITATION_KEY)
            return isinstance(response, types.ElicitResult) and _accepted(response)

        return ask


def _can_elicit(ctx: ServerRequestContext[Any, Any]) -> bool:
    try:
        return bool(ctx.session.check_client_capability(_FORM_ELICITATION))
    except Exception:  # an SDK without the capability check: ask nothing
        return False


def _accepted(answer: types.ElicitResult) -> bool:
    content = answer.content or {}
    return answer.action == "accept" and content.get(ELICITATION_FIELD) is True


def _ask_now(ctx: ServerRequestContext[Any, Any]) -> Ask:
    """Elicitation with sessions: the server asks the client's form dialog mid-call."""

    async def ask(call: PreparedCall) -> bool | types.InputRequiredResult | None:
        message, schema = elicitation_request(summarise(call))
        try:
            answer = await ctx.session.elicit_form(message, schema, ctx.request_id)
        except Exception as exc:  # no back-channel, a client error: fall back to the token
            logger.warning(
                "elicitation failed (%s); using a confirmation token", type(exc).__name__
            )
            return None
        return _accepted(answer)

    return ask


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


def build_server(tools: McpTools, *, version: str = "", sessions: bool = False) -> Server[Any]:
    """The low-level MCP server for these handlers (what `serve_mcp` runs). Its version is the
    API's (agent.json), else the runtime's: MCP hosts show it, and an empty one reads as a
    broken server. With `sessions` (HTTP) clients are led to the protocol versions with
    sessions (see `discover`)."""
    agent = tools.toolset.agent
    version = version or agent.version or _runtime_version()
    instructions = agent.instructions.strip()
    note = (
        "Tools that change something ask the user first: through your confirmation dialog if "
        "you support elicitation; otherwise their first call answers with what would happen "
        f'and a {TOKEN_KEY}, and only a second call with "confirm": that token, after the '
        "user agreed, does it."
    )
    server: Server[Any] = Server(
        agent.name,
        version=version,
        instructions=f"{instructions}\n\n{note}" if instructions else note,
        on_list_tools=tools.on_list_tools,
        on_call_tool=tools.on_call_tool,
    )

    async def discover(
        ctx: ServerRequestContext[Any, Any], params: types.RequestParams
    ) -> types.DiscoverResult:
        # Over HTTP only the versions with sessions (the initialize handshake): a confirmation
        # token is bound to the session, which the 2026-07-28 protocol does not have. Clients
        # fall back to the handshake when discovery is not served. (Over stdio the process is
        # the session, and a discovery there would lock the connection to 2026-07-28.)
        raise MCPError(code=types.METHOD_NOT_FOUND, message="use the initialize handshake")

    if sessions:
        server.add_request_handler("server/discover", types.RequestParams, discover)
    return server


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
    identity_fields: Iterable[str] = (),
    identity_secret: str | None = None,
    base_url: str | None = None,
    credentials: Mapping[str, Credential] | None = None,
    client: AsyncApiClient | None = None,
    handoff: bool = False,
    store: Store | None = None,
) -> None:
    """Serve `package`'s tools (and tasks, if it has any) until the host disconnects (stdio)
    or the process is stopped (HTTP, streamable HTTP at ``http://HOST:PORT/mcp``).

    Over stdio the identity is `identity` (the server serves one user). Over HTTP it comes from
    each request: with `identity_secret`, only from an HS256 JWT in ``X-Verified-Identity``
    signed with it; otherwise from the headers ``<prefix>Email``, ``-User-Id``, ``-Username``,
    ``-Customer-Id`` and one per name in `identity_fields` (``account_number`` from
    ``<prefix>Account-Number``), which the host's gateway must set (docs/hosts.md). Task runs
    live in `store` (default: in memory, for the server's life).
    """
    if transport not in ("stdio", "http"):
        raise McpConfigError(f"unknown transport {transport!r}; use 'stdio' or 'http'")
    if transport == "http" and identity is not None:
        raise McpConfigError(
            "over HTTP the identity comes from each request's headers; a fixed identity is "
            "for stdio only"
        )
    source = None
    if transport == "http":
        try:
            source = HeaderIdentity.with_prefix(
                identity_header_prefix, identity_fields, secret=identity_secret
            )
        except ConfigurationError as exc:
            raise McpConfigError(str(exc)) from None
    elif identity_secret is not None:
        raise McpConfigError("identity_secret is for HTTP; over stdio the identity is given")
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
        toolset, identity=identity, identity_source=source, handoff=handoff, tasks=tasks
    )
    server = build_server(tools, sessions=transport == "http")
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
    identity_fields: Iterable[str] = (),
    identity_secret: str | None = None,
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
            identity_fields=identity_fields,
            identity_secret=identity_secret,
            base_url=base_url,
            credentials=credentials,
            handoff=handoff,
            store=store,
        )
    )
