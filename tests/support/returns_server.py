"""The reference server of `tests/e2e/returns/openapi.yaml`: orders with delivery dates and the
returns opened for them, on a free local port, with a log of every request it answered."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# Delivered on 2026-11-20 (13 days before the tests' pinned today, 2026-12-03) and on
# 2026-10-20 (44 days before); one still on its way.
ORDERS: dict[int, dict[str, Any]] = {
    7: {"id": 7, "status": "delivered", "delivered_at": "2026-11-20"},
    8: {"id": 8, "status": "delivered", "delivered_at": "2026-10-20"},
    9: {"id": 9, "status": "shipped", "shipped_at": "2026-12-02T17:00:00Z"},
}


@dataclass(frozen=True, slots=True)
class Logged:
    method: str
    path: str
    body: Any
    status: int


@dataclass
class ReturnsServer:
    port: int = 0
    log: list[Logged] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def posts(self) -> list[Logged]:
        return [entry for entry in self.log if entry.method == "POST"]

    async def _order(self, request: Request) -> JSONResponse:
        order = ORDERS.get(int(request.path_params["order_id"]))
        status = 200 if order is not None else 404
        self.log.append(Logged("GET", request.url.path, None, status))
        return JSONResponse(order or {"message": "no such order"}, status_code=status)

    async def _return(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        order_id = int(request.path_params["order_id"])
        opened = {"id": 100 + len(self.returns), "order_id": order_id, **body}
        self.returns.append(opened)
        self.log.append(Logged("POST", request.url.path, body, 201))
        return JSONResponse(opened, status_code=201)

    def __enter__(self) -> ReturnsServer:
        app = Starlette(
            routes=[
                Route("/api/orders/{order_id:int}", self._order, methods=["GET"]),
                Route("/api/orders/{order_id:int}/returns", self._return, methods=["POST"]),
            ]
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="returns", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the returns server did not start")
            time.sleep(0.002)
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
