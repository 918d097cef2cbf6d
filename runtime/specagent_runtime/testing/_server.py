"""A small HTTP/1.1 server on 127.0.0.1 and a free port, in a background thread.

The scripted models answer JSON over HTTP; tests that run an agent in another process (a
subprocess host, `specagent test --base-url`) need them on a real port. The standard library's
threaded server is enough for that and keeps the testing kit free of web-framework
dependencies. Two details matter for speed: responses go out in one write, and accepted
sockets have TCP_NODELAY, otherwise every answer waits ~40 ms on Nagle's algorithm meeting
the client's delayed ACK.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

_STARTUP_TIMEOUT = 10.0
_MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str  # without the query string
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: Any  # sent as JSON

    def encode(self) -> bytes:
        payload = json.dumps(self.body).encode()
        reason = http.HTTPStatus(self.status).phrase if self.status in _STATUSES else "Status"
        head = (
            f"HTTP/1.1 {self.status} {reason}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n"
            "\r\n"
        )
        return head.encode("latin-1") + payload


_STATUSES = {status.value for status in http.HTTPStatus}
Handler = Callable[[HttpRequest], HttpResponse]


class _Threaded(http.server.ThreadingHTTPServer):
    daemon_threads = True  # idle keep-alive connections must not hold up stop()
    allow_reuse_address = True

    def __init__(self, handle: Handler) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.handle_request_data = handle

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDKs reuse their connections
    timeout = 60  # an idle connection is dropped after this long
    server: _Threaded

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > _MAX_BODY:
            self.close_connection = True
            response = HttpResponse(413, {"error": {"message": "request too large"}})
        else:
            body = self.rfile.read(length) if length else b""
            request = HttpRequest(
                method=self.command,
                path=self.path.partition("?")[0],
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
            )
            try:
                response = self.server.handle_request_data(request)
            except Exception as exc:  # a bug in a test's handler: answer, don't hang the client
                response = HttpResponse(
                    500, {"error": {"message": f"{type(exc).__name__}: {exc}", "type": "bug"}}
                )
        self.wfile.write(response.encode())

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a test's output is the test's."""


class LocalServer:
    """`handle` answering on http://127.0.0.1:<port>, from a background thread."""

    def __init__(self, handle: Handler, *, name: str = "specagent-test-server") -> None:
        self._handle = handle
        self._name = name
        self._server: _Threaded | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"the {self._name} is already running")
        server = _Threaded(self._handle)
        self.port = int(server.server_address[1])
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name
        )
        thread.daemon = True
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=_STARTUP_TIMEOUT)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
