"""The shop API of the exactly-once suite on 127.0.0.1: slow on demand, and a request log that is
the witness of every attack.

Every request is logged as it arrived (method, raw path, headers, body) with the status it got
and the effect it had: `("cancel", order)` when a DELETE removed an order, `("place", order)`
when a POST created one. "Exactly one effect" is read from `effects()`, never from what the
runtime says it did. A route can be made slow (`slow("DELETE", 1.5)`, an async sleep: other
requests are served meanwhile), or held until the test lets it go (`hold("DELETE")`: the test
waits for `arrived`, kills the worker whose request it is, then `release(apply=...)` decides
whether the server still carries it out, as a server that finishes a transaction whose client
vanished would, or rolls it back).

    with ShopApi() as api:
        api.base_url                    # http://127.0.0.1:<port>/api
        api.effects()                   # [("cancel", 7)]
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# Characters that percent-encoding, JSON escaping and base64 all change: an echo of the key in
# any of those encodings is a different string, and a redaction that knows only the raw key
# misses it.
API_KEY = "sk-shop/LIVE+key=9f2c0ffee"
FIRST_ORDER_NUMBER = 5001  # what POST /orders numbers new orders from
SEED_ORDERS = (7, 8, 9, 10, 11, 12)


@dataclass(frozen=True)
class Seen:
    """One request as it arrived, and what the server did with it."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    effect: tuple[str, int] | None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def text(self) -> str:
        head = "\n".join(f"{k}: {v}" for k, v in self.headers)
        return f"{self.method} {self.path}\n{head}\n\n" + self.body.decode("utf-8", "replace")


@dataclass
class _Hold:
    method: str
    pattern: re.Pattern[str]
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    apply: bool = True


@dataclass
class _State:
    orders: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {
            number: {"id": number, "item": 3, "quantity": 1, "status": "placed"}
            for number in SEED_ORDERS
        }
    )
    next_number: int = FIRST_ORDER_NUMBER


class ShopApi:
    """The API in a background thread on a free port; `reset()` gives fresh state and log."""

    def __init__(self) -> None:
        self.port = 0
        self._lock = threading.Lock()
        self._log: list[Seen] = []
        self._state = _State()
        self._slow: dict[str, float] = {}
        self._holds: list[_Hold] = []
        self._echo_key: str | None = None
        self._arrivals: list[tuple[str, str]] = []
        self._arrived = threading.Condition(self._lock)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # --- what arrived -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def seen(self, method: str | None = None, path: str = "") -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self._log
                if (method is None or s.method == method) and s.path.startswith(path)
            ]

    def effects(self) -> list[tuple[str, int]]:
        """What changed on the server, in order: one entry per order cancelled or placed."""
        with self._lock:
            return [s.effect for s in self._log if s.effect is not None]

    def everything(self) -> str:
        return "\n\n".join(s.text() for s in self.seen())

    def arrivals(self, method: str, path: str = "") -> int:
        """How many `method` requests on paths starting with `path` have arrived so far
        (counted on arrival, before any slowness or hold: in flight from then on)."""
        with self._lock:
            return sum(1 for m, p in self._arrivals if m == method and p.startswith(path))

    def wait_arrival(
        self, method: str, path: str = "", count: int = 1, timeout: float = 10
    ) -> bool:
        """Wait until `count` such requests have arrived in all."""

        def enough() -> bool:
            found = [a for a in self._arrivals if a[0] == method and a[1].startswith(path)]
            return len(found) >= count

        with self._arrived:
            return self._arrived.wait_for(enough, timeout)

    def order(self, number: int) -> dict[str, Any] | None:
        with self._lock:
            found = self._state.orders.get(number)
            return dict(found) if found is not None else None

    # --- behaviour --------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            for hold in self._holds:
                hold.released.set()
            self._log.clear()
            self._arrivals.clear()
            self._state = _State()
            self._slow.clear()
            self._holds = []
            self._echo_key = None

    def slow(self, method: str, seconds: float) -> None:
        """Every `method` request takes `seconds` before it is carried out."""
        with self._lock:
            self._slow[method] = seconds

    def hold(self, method: str, path_pattern: str = r".*") -> _Hold:
        """The next `method` request on a path matching `path_pattern` waits for `release`."""
        hold = _Hold(method, re.compile(path_pattern))
        with self._lock:
            self._holds.append(hold)
        return hold

    def release(self, hold: _Hold, *, apply: bool = True) -> None:
        hold.apply = apply
        hold.released.set()

    def echo_key_in_errors(self, encoded: str) -> None:
        """Order lookups of unknown orders answer 400 with a message quoting `encoded` (the
        API key in some encoding), as APIs that echo the request's credentials do."""
        with self._lock:
            self._echo_key = encoded

    # --- serving ----------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        scope = request.scope
        method = request.method
        path = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        headers = tuple(
            (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]
        )
        body = await request.body()
        with self._arrived:
            self._arrivals.append((method, path))
            self._arrived.notify_all()
            delay = self._slow.get(method, 0.0)
            hold = next(
                (
                    h
                    for h in self._holds
                    if h.method == method and h.pattern.fullmatch(path) and not h.arrived.is_set()
                ),
                None,
            )
        if delay:
            await asyncio.sleep(delay)
        apply = True
        if hold is not None:
            hold.arrived.set()
            await asyncio.to_thread(hold.released.wait, 30)
            apply = hold.apply
        status, data, effect = self._answer(method, path, body, apply=apply)
        with self._lock:
            self._log.append(Seen(method, path, headers, body, status, effect))
        return JSONResponse(data, status_code=status)

    def _answer(
        self, method: str, path: str, body: bytes, *, apply: bool
    ) -> tuple[int, Any, tuple[str, int] | None]:
        if not apply:  # the worker vanished and the server rolled the request back
            return 503, {"message": "The request was abandoned."}, None
        with self._lock:
            state = self._state
            matched = re.fullmatch(r"/api/orders/(\d+)", path)
            if matched is not None:
                number = int(matched.group(1))
                order = state.orders.get(number)
                if method == "GET":
                    if order is not None:
                        return 200, order, None
                    if self._echo_key is not None:
                        message = f"Unknown order {number} for key {self._echo_key}"
                        return 400, {"message": message}, None
                    return 404, {"message": f"There is no order {number}."}, None
                if method == "DELETE":
                    if order is None:
                        return 404, {"message": f"There is no order {number}."}, None
                    del state.orders[number]
                    return 200, {**order, "status": "cancelled"}, ("cancel", number)
            if method == "POST" and path == "/api/orders":
                try:
                    wanted = json.loads(body)
                    item, quantity = int(wanted["item"]), int(wanted["quantity"])
                except (ValueError, KeyError, TypeError):
                    return 400, {"message": "An order needs an item and a quantity."}, None
                number = state.next_number
                state.next_number += 1
                order = {"id": number, "item": item, "quantity": quantity, "status": "placed"}
                state.orders[number] = order
                return 201, order, ("place", number)
            stock = re.fullmatch(r"/api/items/(\d+)/stock", path)
            if method == "GET" and stock is not None:
                return 200, {"item": int(stock.group(1)), "available": 10}, None
        return 404, {"message": "No such route."}, None

    def start(self) -> ShopApi:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        app = Starlette(routes=[Route("/{rest:path}", self._handle, methods=methods)])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
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
            target=server.run, kwargs={"sockets": [sock]}, name="shop-api", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the shop API did not start")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        self.reset()  # releases held requests
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
        if sock is not None:
            sock.close()

    def __enter__(self) -> ShopApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
