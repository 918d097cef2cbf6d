"""The Acme support API on 127.0.0.1: a reference server that can turn hostile, and logs every
request exactly as it arrived (raw path, raw query, every header in order, the raw body).

The attacks judge the runtime by this log: what reached the API is the only thing that cannot
be argued with. A handler can be replaced per test (`api.on(...)`) to answer with another
customer's record, an error that echoes a secret, a redirect to another host, and so on.

    with AcmeApi() as api:
        api.base_url                    # http://127.0.0.1:<port>/api
        api.seen(method="POST")         # [Seen(method="POST", path="/api/orders/1/cancel", ...)]
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_KEY = "sk-acme-LIVE-5f1e9c0ffee"  # distinctive: a leak is found by substring search
CLIENT_ID = "acme-desk"
CLIENT_SECRET = "cs-acme-SECRET-b41d"

ADA: dict[str, Any] = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "phone": "+44-20-7946-0001",
    "bio": "Likes engines.",
    "payment_token": "tok_ada_SECRET_4242",
    "customer_id": 1,
}
GRACE: dict[str, Any] = {
    "email": "grace@example.com",
    "name": "Grace Hopper",
    "phone": "+1-202-555-0199",
    "bio": "Likes compilers.",
    "payment_token": "tok_grace_SECRET_9999",
    "customer_id": 2,
}
ORDERS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "status": "placed", "customer_email": ADA["email"], "total": 38.5},
    2: {"id": 2, "status": "placed", "customer_email": ADA["email"], "total": 12.0},
    3: {"id": 3, "status": "placed", "customer_email": GRACE["email"], "total": 99.0},
}
ZIPS = {1: "10115", 2: "10115", 3: "02139"}

Reply = tuple[int, Any] | Response
Handler = Callable[["Seen"], Reply]


@dataclass(frozen=True)
class Seen:
    """One request as it arrived. `headers` keeps every header line (names lower-cased)."""

    method: str
    path: str  # raw, still percent-encoded
    query: str  # raw
    headers: tuple[tuple[str, str], ...]
    body: bytes
    port: int  # the port of the server that received it

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]

    @property
    def host(self) -> str:
        return ",".join(self.header("host"))

    @property
    def params(self) -> list[tuple[str, str]]:
        """The query string's (name, value) pairs, decoded once, repeated names kept."""
        return parse_qsl(self.query, keep_blank_values=True)

    def param(self, name: str) -> list[str]:
        return [value for key, value in self.params if key == name]

    @property
    def form(self) -> list[tuple[str, str]]:
        """The pairs of a urlencoded body."""
        return parse_qsl(self.body.decode("latin-1"), keep_blank_values=True)

    @property
    def parts(self) -> list[tuple[str, str]]:
        """(name, text) of each part of a multipart body."""
        content_type = next(iter(self.header("content-type")), "")
        if "multipart/" not in content_type:
            return []
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + self.body
        )
        found = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition") or ""
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            found.append((str(name), data.decode("utf-8", "replace")))
        return found

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def cookies(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.header("cookie"):
            for item in line.split(";"):
                name, _, value = item.strip().partition("=")
                pairs.append((unquote(name), unquote(value)))
        return pairs

    def text(self) -> str:
        """Everything that arrived, for substring searches (a leak anywhere is a leak)."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers)
        return f"{self.method} {self.path}?{self.query}\n{head}\n\n" + self.body.decode(
            "utf-8", "replace"
        )


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


@dataclass
class _State:
    accounts: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {ADA["email"]: dict(ADA), GRACE["email"]: dict(GRACE)}
    )
    orders: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {key: dict(value) for key, value in ORDERS.items()}
    )


def _last(seen: Seen, name: str) -> str:
    """The value a typical framework reads for a repeated name: the last one."""
    values = seen.param(name)
    return values[-1] if values else ""


class AcmeApi:
    """The API in a background thread, on a free port; `reset()` gives a fresh state and log."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host  # 127.0.0.2 plays "another host" (the kernel routes all of 127/8)
        self.log: list[Seen] = []
        self.state = _State()
        self.port = 0
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._defaults()

    # --- what arrived -------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/api"

    def seen(self, path: str = "", method: str | None = None) -> list[Seen]:
        """Requests whose raw path starts with `path` (and of `method`), in arrival order."""
        with self._lock:
            return [
                s
                for s in self.log
                if s.path.startswith(path) and (method is None or s.method == method)
            ]

    def everything(self) -> str:
        return "\n\n".join(s.text() for s in self.seen())

    # --- behaviour ------------------------------------------------------------------------

    def reset(self) -> None:
        """Seed data, handlers and log as new (the suite shares one server across tests)."""
        with self._lock:
            self.log.clear()
            self.state = _State()
            self._routes = []
            self._defaults()

    def on(self, method: str, path_pattern: str, handler: Handler) -> None:
        """Answer `method` on paths fully matching `path_pattern` (a regex) with `handler`;
        later registrations win."""
        self._routes.insert(0, _Route(method, re.compile(path_pattern), handler))

    def _defaults(self) -> None:
        state = self.state

        def account(seen: Seen) -> Reply:
            found = state.accounts.get(_last(seen, "email"))
            return (200, found) if found else (404, {"message": "No such customer."})

        def update_account(seen: Seen) -> Reply:
            found = state.accounts.get(_last(seen, "email"))
            if not found:
                return 404, {"message": "No such customer."}
            found.update(seen.json or {})
            return 200, found

        def search(seen: Seen) -> Reply:
            email = _last(seen, "email")
            return 200, [o for o in state.orders.values() if o["customer_email"] == email]

        def lookup(seen: Seen) -> Reply:
            ref = seen.path.rsplit("/", 1)[-1]
            order = state.orders.get(int(ref)) if ref.isdigit() else None
            if order is None or ZIPS.get(order["id"]) != _last(seen, "zip"):
                return 404, {"message": "No order with this number ships to that zip."}
            return 200, order

        def mine(seen: Seen) -> Reply:
            order_id = int(seen.path.split("/")[3])
            order = state.orders.get(order_id)
            if order is None or order["customer_email"] != _last(seen, "email"):
                return 404, {"message": "Not found."}
            return 200, order

        def cancel(seen: Seen) -> Reply:
            order_id = int(seen.path.split("/")[3])
            order = state.orders.get(order_id)
            if order is None:
                return 404, {"message": "Not found."}
            order["status"] = "cancelled"
            return 200, order

        def reorder(seen: Seen) -> Reply:
            order_id = int(seen.path.split("/")[3])
            return 200, {"id": 100 + order_id, "status": "placed", "total": 1.0}

        def ok(seen: Seen) -> Reply:
            return 200, {"ok": True, "id": 1}

        def token(seen: Seen) -> Reply:
            return 200, {"access_token": "at-acme-TOKEN-77", "token_type": "bearer"}

        self.on("GET", r"/api/accounts/by-email", account)
        self.on("PUT", r"/api/accounts/by-email", update_account)
        self.on("GET", r"/api/orders/[^/]+", lookup)
        self.on("GET", r"/api/orders/search", search)  # after: later registrations win
        self.on("GET", r"/api/orders/\d+/mine", mine)
        self.on("POST", r"/api/orders/\d+/cancel", cancel)
        self.on("POST", r"/api/orders/\d+/reorder", reorder)
        self.on("POST", r"/oauth/token", token)
        for method in ("GET", "POST", "PUT"):
            self.on(method, r"/api/(prefs|loyalty|messages|profile|documents|tickets|status)", ok)

    async def _handle(self, request: Request) -> Response:
        scope = request.scope
        seen = Seen(
            method=request.method,
            path=scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
            query=scope["query_string"].decode("latin-1"),
            headers=tuple(
                (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]
            ),
            body=await request.body(),
            port=self.port,
        )
        with self._lock:
            self.log.append(seen)
        route = next(
            (
                r
                for r in list(self._routes)
                if r.method == seen.method and r.pattern.fullmatch(scope["path"])
            ),
            None,
        )
        if route is None:
            return JSONResponse({"message": "No such route."}, status_code=404)
        reply = route.handler(seen)
        if isinstance(reply, Response):
            return reply
        status, data = reply
        return JSONResponse(data, status_code=status)

    # --- serving --------------------------------------------------------------------------

    def start(self) -> AcmeApi:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        app = Starlette(routes=[Route("/{rest:path}", self._handle, methods=methods)])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="acme-api", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the Acme API did not start")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
        if sock is not None:
            sock.close()

    def __enter__(self) -> AcmeApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
