"""The generated package's MCP server over streamable HTTP, run by the public
`specagent_runtime.serve_mcp_async` in a background thread, and clients of the official SDK.

Each `McpServer` is its own event loop in a thread, stopped by cancelling the serving task, so
a test can start one with the options it attacks (a shared secret, ...) in a few milliseconds.
Options the runtime does not know yet (the planned `identity_secret=`) fail `start()` with the
runtime's own TypeError, which is what a strict xfail expects today.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult
from specagent_runtime import ApiKey, serve_mcp_async

from ._api import API_KEY, AcmeApi

TOKEN_KEY = "confirmation_token"  # planned: where a consequential tool's first result puts it


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class McpServer:
    def __init__(self, package: str, api: AcmeApi, **options: Any) -> None:
        self.package = package
        self.api = api
        self.options = options
        self.port = _free_port()
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._task = self._loop.create_task(
                serve_mcp_async(
                    self.package,
                    transport="http",
                    port=self.port,
                    base_url=self.api.base_url,
                    credentials={"apiKey": ApiKey(API_KEY)},
                    **self.options,
                )
            )
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # reported by start(), in the test's thread
            self.error = exc
        finally:
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            if pending:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def start(self) -> McpServer:
        self._thread = threading.Thread(target=self._run, name="adv-mcp", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while True:
            if not self._thread.is_alive():
                self._thread.join()
                raise self.error or RuntimeError("the MCP server stopped")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the MCP server did not start") from None
                time.sleep(0.01)

    def _exit_or_cancel(self) -> None:
        """In the server's loop: ask the uvicorn server `serve_mcp_async` awaits (found in the
        serving task's await chain: it keeps no handle) to shut down gracefully, cutting the
        streams of clients that are gone after 0.2 s; cancel the task if there is none."""
        if self._task is None:
            return
        awaited: Any = self._task.get_coro()
        while awaited is not None:
            frame = getattr(awaited, "cr_frame", None)
            server = frame.f_locals.get("self") if frame is not None else None
            if isinstance(server, uvicorn.Server):
                server.config.timeout_graceful_shutdown = 0.2  # type: ignore[assignment]
                server.should_exit = True
                return
            awaited = getattr(awaited, "cr_await", None)
        self._task.cancel()

    def stop(self) -> None:
        if self._thread is None:
            return
        quiet = logging.getLogger("uvicorn.error")  # it logs the cut streams at ERROR
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            if self._thread.is_alive():
                self._loop.call_soon_threadsafe(self._exit_or_cancel)
            self._thread.join(timeout=10)
        finally:
            quiet.setLevel(level)
        self._thread = None

    def __enter__(self) -> McpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@asynccontextmanager
async def mcp_client(
    url: str, headers: dict[str, str] | None = None, **options: Any
) -> AsyncIterator[Client]:
    """One MCP client connection (one session) with these HTTP headers on every request."""
    async with (
        httpx2.AsyncClient(headers=headers or {}, timeout=10) as http,
        Client(streamable_http_client(url, http_client=http), **options) as client,
    ):
        yield client


def envelope(result: CallToolResult) -> dict[str, Any]:
    """The runtime's JSON envelope in a tool result."""
    texts = [block.text for block in result.content if block.type == "text"]
    assert texts, result
    parsed: dict[str, Any] = json.loads(texts[0])
    return parsed


def token_of(result: CallToolResult) -> str | None:
    """The planned confirmation token of a first call (envelope top level or its `data`)."""
    data = envelope(result)
    found = data.get(TOKEN_KEY)
    if found is None and isinstance(data.get("data"), dict):
        found = data["data"].get(TOKEN_KEY)
    if found is None and result.structured_content:
        found = result.structured_content.get(TOKEN_KEY)
    return str(found) if found else None


async def tool_names(client: Client) -> set[str]:
    return {tool.name for tool in (await client.list_tools()).tools}


# --- signed identity assertions (planned: HS256 JWT in a header) -----------------------------

IDENTITY_SECRET = "gateway-shared-SECRET-31f4-9c2e-77ab"  # HS256 keys are 32+ bytes
ASSERTION_HEADER = "X-Verified-Identity"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt(
    claims: dict[str, Any],
    secret: str = IDENTITY_SECRET,
    *,
    alg: str = "HS256",
    sign: Callable[[bytes, str], bytes] | None = None,
) -> str:
    """An HS256 JWT (or, with alg="none", an unsigned one) for these claims; `exp` defaults to
    a minute from now."""
    body = {"exp": int(time.time()) + 60, **claims}
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(body).encode())
    signing_input = f"{head}.{payload}".encode("ascii")
    if alg == "none":
        return f"{head}.{payload}."
    signer = sign or (lambda data, key: hmac.new(key.encode(), data, hashlib.sha256).digest())
    return f"{head}.{payload}.{_b64(signer(signing_input, secret))}"
