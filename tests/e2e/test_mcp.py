"""The generated petstore package served over MCP, driven by the `mcp` SDK's own client.

Both transports run the real command line (`specagent_runtime._mcp.cli.main`, what
``python -m petstore_agent mcp`` calls) in a subprocess, against the reference petstore server,
whose request log shows what reached the API and how often.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, ElicitResult, Tool
from specagent import GenerateOptions, generate
from specagent_runtime import Identity, PreparedCall, Toolset
from specagent_runtime._mcp.cli import identity_from
from specagent_runtime._mcp.cli import main as mcp_main
from specagent_runtime._mcp.confirm import TOKEN_KEY, Confirmations, confirm_argument, scope_of
from specagent_runtime._mcp.identity import HeaderIdentity
from specagent_runtime._mcp.server import (
    McpConfigError,
    McpTools,
    identity_from_headers,
    tool_annotations,
)

from tests.support.petstore_server import PetstoreServer
from tests.unit.runtime.fakepkg.client import FakeClient
from tests.unit.tasks._package import build_petstore_package

from .conftest import AGENT_FILE

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "petstore_agent"
ADA_FAKE = Identity(email="ada@example.com", verified=True)
_RUN = "import sys; from specagent_runtime._mcp.cli import main; sys.exit(main({!r}, sys.argv[1:]))"


@pytest.fixture(scope="session")
def package_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The petstore package generated from the example's spec and the e2e agent file (order
    actions as plain tools behind the confirmation gate; the example's are tasks)."""
    example = REPO / "examples" / "petstore"
    root = tmp_path_factory.mktemp("mcp")
    agent_file = root / "agent.yaml"
    agent_file.write_text(AGENT_FILE, encoding="utf-8")
    result = generate(example / "openapi.yaml", agent_file, PACKAGE, GenerateOptions())
    assert result.ok, [d.render() for d in result.diagnostics]
    for path, text in result.files.items():
        target = root / PACKAGE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def tasks_package_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The petstore package with the tasks of `tests/unit/tasks/petstore_agent.yaml`."""
    root = tmp_path_factory.mktemp("mcp-tasks")
    build_petstore_package(root)
    return root


@pytest.fixture
def petstore() -> Iterator[PetstoreServer]:
    with PetstoreServer() as server:
        yield server


def server_env(package_root: Path, petstore: PetstoreServer) -> dict[str, str]:
    """Credentials as the package's README names them: the API key, and an OAuth2 token
    (the spec's petstore_auth has no client-credentials flow, so the host supplies one)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": petstore.client_id,
        "client_secret": petstore.client_secret,
        "scope": "read:pets write:pets",
    }
    token = httpx.post(petstore.token_url, data=form, timeout=10).json()["access_token"]
    return {
        "PYTHONPATH": str(package_root),
        "PETSTORE_AGENT_API_KEY": petstore.api_key,
        "PETSTORE_AGENT_PETSTORE_AUTH_TOKEN": token,
    }


def command(petstore: PetstoreServer, *flags: str) -> list[str]:
    return ["-c", _RUN.format(PACKAGE), "--base-url", petstore.base_url, *flags]


@asynccontextmanager
async def stdio_client(
    package_root: Path, petstore: PetstoreServer, *flags: str, **options: Any
) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable,
        args=command(petstore, *flags),
        env=server_env(package_root, petstore),
    )
    async with Client(params, **options) as client:
        yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def http_server(
    package_root: Path,
    petstore: PetstoreServer,
    tmp_path: Path,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """``mcp --http`` in a subprocess; yields its endpoint URL once it accepts connections."""
    port = free_port()
    log = tmp_path / "mcp-server.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, *command(petstore, "--http", "--port", str(port))],
            env={**os.environ, **server_env(package_root, petstore), **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"the MCP server exited: {log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the MCP server did not start: {log.read_text()}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@asynccontextmanager
async def http_client(url: str, headers: dict[str, str]) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def envelope(result: CallToolResult) -> dict[str, Any]:
    [block] = result.content
    assert block.type == "text"
    parsed: dict[str, Any] = json.loads(block.text)
    return parsed


async def tools_of(client: Client) -> dict[str, Tool]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


async def check_the_three_kinds_of_access(client: Client, petstore: PetstoreServer) -> None:
    """What both transports must do for a host whose user is the verified `user1`."""
    tools = await tools_of(client)
    account = tools["get_my_account"]
    assert account.input_schema["properties"] == {}  # `username` is bound, not the model's
    assert "username" not in json.dumps(account.input_schema)
    assert account.annotations is not None
    assert account.annotations.read_only_hint is True
    cancel = tools["cancel_order"].annotations
    assert cancel is not None
    assert (cancel.read_only_hint, cancel.destructive_hint) == (False, True)
    assert tools["cancel_order"].input_schema["properties"]["confirm"]["type"] == "string"
    assert "handoff_to_human" not in tools

    # A lookup anyone may do.
    lookup = envelope(await client.call_tool("get_order", {"orderId": 1}))
    assert (lookup["status"], lookup["data"]["id"]) == ("ok", 1)

    # A bound tool: the runtime fills `username`; the model cannot name another user.
    mine = envelope(await client.call_tool("get_my_account", {}))
    assert (mine["status"], mine["data"]["username"]) == ("ok", "user1")
    assert "password" not in mine["data"]  # redacted by the agent file
    theirs = await client.call_tool("get_my_account", {"username": "user2"})
    assert theirs.is_error
    assert "you cannot choose `username`" in envelope(theirs)["message"]

    # A consequential tool: proposed first, run once with the token of the proposal.
    first = await client.call_tool("cancel_order", {"orderId": 2})
    assert not first.is_error
    proposal = envelope(first)
    assert proposal["status"] == "confirmation_required"
    assert "cancel_order(orderId=2)" in proposal["message"]
    token = proposal[TOKEN_KEY]
    assert first.structured_content is not None
    assert first.structured_content[TOKEN_KEY] == token  # a field of its own, not only text
    assert petstore.requests(method="DELETE") == []
    yes = await client.call_tool("cancel_order", {"orderId": 2, "confirm": True})
    assert yes.is_error  # `true` is not a token
    changed = await client.call_tool("cancel_order", {"orderId": 3, "confirm": token})
    assert changed.is_error  # not what was proposed; the token is used up
    assert petstore.requests(method="DELETE") == []
    token = envelope(await client.call_tool("cancel_order", {"orderId": 2}))[TOKEN_KEY]
    second = envelope(await client.call_tool("cancel_order", {"orderId": 2, "confirm": token}))
    assert second["status"] == "ok"
    again = await client.call_tool("cancel_order", {"orderId": 2, "confirm": token})
    assert again.is_error
    assert "not a valid confirmation_token" in envelope(again)["message"]
    deletes = petstore.requests(method="DELETE")
    assert [(r.method, r.path) for r in deletes] == [("DELETE", "/store/order/2")]
    assert [r.path for r in petstore.requests("/user")] == ["/user/user1"]


async def test_stdio(package_root: Path, petstore: PetstoreServer) -> None:
    async with stdio_client(package_root, petstore, "--identity", "username=user1") as client:
        assert client.server_info is not None
        assert client.server_info.name == "Petstore support"
        assert client.server_info.version == "1.0.27-SNAPSHOT"  # the API's, never empty
        await check_the_three_kinds_of_access(client, petstore)


async def test_stdio_without_identity_offers_no_bound_tools(
    package_root: Path, petstore: PetstoreServer
) -> None:
    async with stdio_client(package_root, petstore) as client:
        tools = await tools_of(client)
        assert "get_order" in tools
        assert "get_my_account" not in tools
        refused = await client.call_tool("get_my_account", {})
        assert refused.is_error
        assert "only for a verified customer" in envelope(refused)["message"]
    assert petstore.requests("/user") == []


async def test_streamable_http(
    package_root: Path, petstore: PetstoreServer, tmp_path: Path
) -> None:
    with http_server(package_root, petstore, tmp_path) as url:
        async with http_client(url, {"X-Verified-Username": "user1"}) as client:
            await check_the_three_kinds_of_access(client, petstore)
        # Another request without the header is anonymous, and a proposal made for user1
        # cannot be confirmed in another session, by anyone.
        async with http_client(url, {"X-Verified-Username": "user1"}) as client:
            proposed = envelope(await client.call_tool("cancel_order", {"orderId": 4}))
            assert proposed["status"] == "confirmation_required"
            token = proposed[TOKEN_KEY]
        async with http_client(url, {}) as client:
            tools = await tools_of(client)
            assert "get_my_account" not in tools
            stolen = await client.call_tool("cancel_order", {"orderId": 4, "confirm": token})
            assert stolen.is_error
        async with http_client(url, {"X-Verified-Username": "user1"}) as client:
            replayed = await client.call_tool("cancel_order", {"orderId": 4, "confirm": token})
            assert replayed.is_error  # the same user, another session
        async with http_client(url, {"X-Verified-Username": "user2"}) as client:
            mine = envelope(await client.call_tool("get_my_account", {}))
            assert mine["data"]["username"] == "user2"
        async with http_client(url, {"X-Verified-Locale": "de"}) as client:
            assert "get_my_account" not in await tools_of(client)  # not an identity header
    assert [r.path for r in petstore.requests(method="DELETE")] == ["/store/order/2"]


class User:
    """The user behind a client with form elicitation: answers `action`, ticking the box."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        self.asked.append(params.message)
        if self.action != "accept":
            return ElicitResult(action=self.action)  # type: ignore[arg-type]
        return ElicitResult(action="accept", content={"confirm": True})


@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
async def test_stdio_asks_the_user_through_elicitation(
    package_root: Path, petstore: PetstoreServer, action: str
) -> None:
    user = User(action)
    flags = ("--identity", "username=user1")
    async with stdio_client(package_root, petstore, *flags, elicitation_callback=user) as client:
        tools = await tools_of(client)
        assert "confirm" not in tools["cancel_order"].input_schema["properties"]
        result = envelope(await client.call_tool("cancel_order", {"orderId": 2}))
    assert len(user.asked) == 1 and "cancel_order(orderId=2)" in user.asked[0]
    deletes = [r.path for r in petstore.requests(method="DELETE")]
    if action == "accept":
        assert result["status"] == "ok"
        assert deletes == ["/store/order/2"]
    else:
        assert result["status"] == "error" and "declined" in result["message"]
        assert deletes == []


def _jwt(claims: dict[str, Any], secret: str) -> str:
    import jwt  # noqa: PLC0415 - PyJWT comes with the mcp extra

    return jwt.encode({"exp": int(time.time()) + 60, **claims}, secret, algorithm="HS256")


async def test_streamable_http_with_a_signed_identity(
    package_root: Path, petstore: PetstoreServer, tmp_path: Path
) -> None:
    secret = "a-shared-gateway-secret-of-32-bytes!"
    env = {"SPECAGENT_IDENTITY_SECRET": secret}
    with http_server(package_root, petstore, tmp_path, env) as url:
        signed = {"X-Verified-Identity": _jwt({"username": "user2"}, secret)}
        async with http_client(url, {**signed, "X-Verified-Username": "user1"}) as client:
            mine = envelope(await client.call_tool("get_my_account", {}))
            assert mine["data"]["username"] == "user2"  # the plain header is ignored
        async with http_client(url, {"X-Verified-Username": "user1"}) as client:
            assert "get_my_account" not in await tools_of(client)
            assert (await client.call_tool("get_my_account", {})).is_error
        forged = {"X-Verified-Identity": _jwt({"username": "user1"}, "x" * 32)}
        async with http_client(url, forged) as client:
            assert "get_my_account" not in await tools_of(client)
    assert [r.path for r in petstore.requests("/user")] == ["/user/user2"]


def test_a_short_identity_secret_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    env = {"SPECAGENT_IDENTITY_SECRET": "short"}
    assert mcp_main(PACKAGE, ["--http", "--port", "0"], env=env) == 2
    assert "at least 32 bytes" in capsys.readouterr().err


async def test_tasks_over_stdio(tasks_package_root: Path, petstore: PetstoreServer) -> None:
    flags = ("--identity", "username=user1")
    async with stdio_client(tasks_package_root, petstore, *flags) as client:
        tools = await tools_of(client)
        assert {"cancel_order", "place_order", "pet_count", "task_reply"} <= set(tools)
        assert tools["cancel_order"].input_schema["required"] == ["order_id"]
        result = await client.call_tool("cancel_order", {"order_id": 1})
        started = envelope(result)
        run = started["data"]
        assert result.structured_content is not None
        assert result.structured_content["run_id"] == run["run_id"]  # a field of its own
        assert run["messages"] == ["Cancel order 1 for 1 item(s)?"]
        assert run["waiting_for"] == "confirmation"
        assert petstore.requests(method="DELETE") == []
        reply = {"run_id": run["run_id"], "message": "yes"}
        done = envelope(await client.call_tool("task_reply", reply))
        assert (done["data"]["status"], done["data"]["messages"]) == (
            "done",
            ["Order 1 is cancelled."],
        )
        again = await client.call_tool("task_reply", reply)
        assert again.is_error
        assert "already done" in envelope(again)["message"]
    assert [r.path for r in petstore.requests(method="DELETE")] == ["/store/order/1"]


async def test_verified_only_tasks_are_not_offered_anonymously(
    tasks_package_root: Path, petstore: PetstoreServer
) -> None:
    async with stdio_client(tasks_package_root, petstore) as client:
        tools = await tools_of(client)
        assert "cancel_order" not in tools
        refused = await client.call_tool("cancel_order", {"order_id": 1})
        assert refused.is_error
        counted = envelope(await client.call_tool("pet_count", {"status": "sold"}))
        assert counted["data"]["messages"] == ["1 pet(s) are sold, for example Goldie."]
    assert petstore.requests(method="DELETE") == []


# --- configuration ----------------------------------------------------------------------------


def test_identity_headers() -> None:
    headers = {
        "x-verified-email": "ada@example.com",
        "X-Verified-Account-Number": "A-1",
        "X-Other": "x",
        "X-Verified-User-Id": "",
    }
    identity = identity_from_headers(headers, extra=["account_number"])
    assert identity == Identity(
        email="ada@example.com", extra={"account_number": "A-1"}, verified=True
    )
    # Only the configured names count: another X-Verified-* header is not an identity field.
    assert identity_from_headers(headers) == Identity(email="ada@example.com", verified=True)
    assert identity_from_headers({"X-Verified-Locale": "de"}) is None
    assert identity_from_headers({"Authorization": "Bearer x"}) is None


def test_stdio_identity_from_flags_and_environment() -> None:
    env = {"SPECAGENT_IDENTITY_EMAIL": "env@example.com", "SPECAGENT_IDENTITY_PLAN": "gold"}
    identity = identity_from(["email=flag@example.com", "customer-id=42"], env)
    assert identity == Identity(
        email="flag@example.com", customer_id="42", extra={"plan": "gold"}, verified=True
    )
    assert identity_from([], {"HOME": "/root"}) is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--identity", "email"], "--identity 'email': expected FIELD=VALUE"),
        (["--http", "--identity", "email=a@b.example"], "over --http the identity comes from"),
        (["--port", "70000"], "--port 70000: must be between 0 and 65535"),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_bad_command_lines_exit_2_without_a_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mcp_main(PACKAGE, argv, env={}) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert f"usage: python -m {PACKAGE} mcp --help" in err


def test_unknown_package_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert mcp_main("no_such_agent_package", [], env={}) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot import no_such_agent_package.client")


# --- the gate and the annotations, in process ------------------------------------------------


def fake_toolset() -> Toolset:
    return Toolset.from_package("tests.unit.runtime.fakepkg", FakeClient())


def prepared(toolset: Toolset, order: int, identity: Identity) -> PreparedCall:
    call = toolset.prepare("cancel_order", {"orderId": order}, identity)
    assert isinstance(call, PreparedCall)
    return call


def test_tokens_are_scoped_single_use_replaced_and_expire() -> None:
    toolset = fake_toolset()
    ada, bob = (
        Identity(email="ada@example.com", verified=True),
        Identity(email="bob@example.com", verified=True),
    )
    now = [0.0]
    gate = Confirmations(ttl=60, clock=lambda: now[0])
    here = scope_of(ada, "session-1")
    token = gate.propose(here, prepared(toolset, 7, ada)).token
    # Bob's call binds his own email, so it is another action, and his scope is another.
    assert gate.take(token, scope_of(bob, "session-1"), prepared(toolset, 7, bob)) is None
    assert gate.take(token, here, prepared(toolset, 7, ada)) is None  # used up by that try
    token = gate.propose(here, prepared(toolset, 7, ada)).token
    assert gate.take(token, scope_of(ada, "session-2"), prepared(toolset, 7, ada)) is None
    token = gate.propose(here, prepared(toolset, 7, ada)).token
    newer = gate.propose(here, prepared(toolset, 8, ada)).token  # replaces the proposal for 7
    assert gate.take(token, here, prepared(toolset, 7, ada)) is None
    now[0] = 59.0
    taken = gate.take(newer, here, prepared(toolset, 8, ada))
    assert taken is not None
    assert taken.summary.startswith("cancel_order(orderId=8)")
    assert gate.take(newer, here, prepared(toolset, 8, ada)) is None  # once only
    token = gate.propose(here, prepared(toolset, 9, ada)).token
    now[0] = 200.0
    assert gate.take(token, here, prepared(toolset, 9, ada)) is None  # expired
    assert scope_of(None, "s") != scope_of(ada, "s")
    assert "ada" not in repr(scope_of(ada, "s"))  # a fingerprint, not the identity


def test_annotations_follow_the_method_and_the_agent_file() -> None:
    toolset = fake_toolset()
    lookup = toolset.get("get_order")
    cancel = toolset.get("cancel_order")
    plain = toolset.get("broken")
    assert lookup is not None and cancel is not None and plain is not None
    hints = tool_annotations(lookup, "GET")
    assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == (
        True,
        None,
        True,
    )
    assert tool_annotations(cancel, "POST").destructive_hint is True  # confirm: consequential
    assert tool_annotations(plain, "POST").destructive_hint is False  # creates, no confirm
    assert tool_annotations(plain, "DELETE").destructive_hint is True
    assert tool_annotations(plain, None).idempotent_hint is False


async def test_in_process_listing_and_an_argument_named_confirm() -> None:
    toolset = fake_toolset()
    spec = toolset.get("cancel_order")
    assert spec is not None
    clash = replace(spec, input_schema={**spec.input_schema, "properties": {"confirm": {}}})
    assert confirm_argument(spec) == "confirm"
    assert confirm_argument(clash) == "specagent_confirm"
    tools = McpTools(toolset, identity=ADA_FAKE, handoff=True)
    listed = {tool.name: tool for tool in tools.tools(ADA_FAKE)}
    assert "handoff_to_human" in listed
    assert listed["cancel_order"].input_schema["required"] == ["orderId"]
    scope = scope_of(ADA_FAKE)
    bad = await tools.call("cancel_order", {"orderId": 7, "confirm": "yes"}, ADA_FAKE, scope)
    assert "not a valid confirmation_token" in bad.message
    handoff = await tools.call("handoff_to_human", {"reason": "x"}, ADA_FAKE, scope)
    assert handoff.status == "ok"
    with pytest.raises(McpConfigError, match="not both"):
        McpTools(toolset, identity=ADA_FAKE, identity_source=HeaderIdentity())
