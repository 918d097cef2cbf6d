"""A local HTTP server that misbehaves on purpose, for fault-injection tests.

A real API fails in ways a well-behaved test server never does: bursts of 5xx, 429 with
`Retry-After`, answers that never come, connections reset halfway through a response, JSON cut
short or not JSON at all, the wrong content type, bodies that trickle in a byte at a time. This
server speaks HTTP/1.1 over raw sockets (one request per connection) so it can do all of that,
and it logs every request it received, so a test can count exactly what the client sent.

    with FaultServer() as server:
        server.route("GET", "/api/v3/store/order/1", json_response({"id": 1}))
        server.fail_next("GET", "/api/v3/store/order/1", status(503), reset_mid_response())
        ...  # the client's calls
        assert len(server.requests("GET", "/api/v3/store/order/1")) == 3

Faults queued with `fail_next` are used first, one per request, then the route's normal
answer; requests to an unknown route get a JSON 404.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

__all__ = [
    "Fault",
    "FaultServer",
    "ReceivedRequest",
    "hang",
    "json_response",
    "malformed_json",
    "redirect",
    "reset_mid_response",
    "retry_after",
    "slow_drip",
    "status",
    "truncated_body",
    "truncated_json",
    "wrong_content_type",
]

Kind = Literal["respond", "reset", "short_body", "hang", "drip"]
_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Fault:
    """One answer to one request: a normal response or a way of failing to give one.

    `respond` sends the response whole; `reset` sends the head and part of the body, then
    resets the connection (RST); `short_body` announces the full length but sends half and
    closes; `hang` reads the request and sends nothing for `delay` seconds; `drip` sends the
    body one byte every `delay` seconds.
    """

    kind: Kind
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    target: str  # path and query exactly as sent
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float = field(default=0.0, compare=False)  # time.monotonic() on arrival

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    def json(self) -> Any:
        return json.loads(self.body)


# --- the answers ------------------------------------------------------------------------------


def json_response(data: Any, code: int = 200, headers: dict[str, str] | None = None) -> Fault:
    body = json.dumps(data).encode()
    head = {"Content-Type": "application/json", **(headers or {})}
    return Fault("respond", code, body, tuple(head.items()))


def status(code: int, message: str = "injected failure") -> Fault:
    """An error status with a small JSON body, like most APIs send."""
    return json_response({"message": message}, code)


def retry_after(seconds: float | str, code: int = 429) -> Fault:
    return json_response({"message": "slow down"}, code, {"Retry-After": str(seconds)})


def redirect(location: str, code: int = 302) -> Fault:
    return Fault("respond", code, b"", (("Location", location),))


def reset_mid_response(data: Any = None) -> Fault:
    body = json.dumps(data if data is not None else {"id": 1, "status": "placed"}).encode()
    return Fault("reset", 200, body, (("Content-Type", "application/json"),))


def truncated_body(data: Any = None) -> Fault:
    """Content-Length promises the whole body; half arrives, then the connection closes."""
    body = json.dumps(data if data is not None else {"id": 1, "status": "placed"}).encode()
    return Fault("short_body", 200, body, (("Content-Type", "application/json"),))


def truncated_json() -> Fault:
    """Correct HTTP framing around a JSON text that stops in the middle."""
    return Fault(
        "respond", 200, b'{"id": 1, "petId": 2, "sta', (("Content-Type", "application/json"),)
    )


def malformed_json() -> Fault:
    return Fault(
        "respond", 200, b"{id: 1,, 'status': placed}", (("Content-Type", "application/json"),)
    )


def wrong_content_type() -> Fault:
    """A 200 whose body is an HTML error page (a proxy or a maintenance page)."""
    body = b"<html><body><h1>Service temporarily unavailable</h1></body></html>"
    return Fault("respond", 200, body, (("Content-Type", "text/html; charset=utf-8"),))


def hang(seconds: float) -> Fault:
    return Fault("hang", delay=seconds)


def slow_drip(data: Any, seconds_per_byte: float) -> Fault:
    body = json.dumps(data).encode()
    return Fault("drip", 200, body, (("Content-Type", "application/json"),), seconds_per_byte)


# --- the server -------------------------------------------------------------------------------


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5.0)
        try:
            received = _read_request(sock)
        except (OSError, ValueError):
            return
        if received is None:
            return
        owner = self.server.owner
        fault = owner._record(received)
        owner._answer(sock, fault)


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: FaultServer


class FaultServer:
    """The server on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], Fault] = {}
        self._queued: dict[tuple[str, str], deque[Fault]] = {}
        self._log: list[ReceivedRequest] = []
        self._stopping = threading.Event()
        self._server: _TCPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, answer: Fault) -> None:
        """The normal answer to `method path` (the path without query)."""
        with self._lock:
            self._routes[(method.upper(), path)] = answer

    def fail_next(self, method: str, path: str, *faults: Fault) -> None:
        """Answer the next requests to `method path` with `faults`, in order."""
        with self._lock:
            self._queued.setdefault((method.upper(), path), deque()).extend(faults)

    def requests(self, method: str | None = None, path: str | None = None) -> list[ReceivedRequest]:
        with self._lock:
            return [
                r
                for r in self._log
                if (method is None or r.method == method.upper())
                and (path is None or r.path == path)
            ]

    def clear(self) -> None:
        with self._lock:
            self._log.clear()
            self._queued.clear()

    # --- serving ------------------------------------------------------------------------------

    def _record(self, received: ReceivedRequest) -> Fault:
        key = (received.method, received.path)
        with self._lock:
            self._log.append(received)
            queued = self._queued.get(key)
            if queued:
                return queued.popleft()
            return self._routes.get(key) or status(
                404, f"no route {received.method} {received.path}"
            )

    def _answer(self, sock: socket.socket, fault: Fault) -> None:
        try:
            if fault.kind == "hang":
                self._stopping.wait(fault.delay)
                return
            head = _head(fault)
            if fault.kind == "respond":
                sock.sendall(head + fault.body)
            elif fault.kind == "short_body":
                sock.sendall(head + fault.body[: len(fault.body) // 2])
            elif fault.kind == "reset":
                sock.sendall(head + fault.body[: len(fault.body) // 2])
                time.sleep(0.02)  # let the partial response reach the client first
                # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif fault.kind == "drip":
                sock.sendall(head)
                for index in range(len(fault.body)):
                    if self._stopping.wait(fault.delay):
                        return
                    sock.sendall(fault.body[index : index + 1])
        except OSError:
            return  # the client gave up first (a timeout): nothing more to do

    def start(self) -> FaultServer:
        if self._thread is not None:
            raise RuntimeError("the fault server is already running")
        server = _TCPServer(("127.0.0.1", 0), _Handler)
        server.owner = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _head(fault: Fault) -> bytes:
    reason = {200: "OK", 302: "Found", 404: "Not Found", 429: "Too Many Requests"}.get(
        fault.status, "Status"
    )
    lines = [f"HTTP/1.1 {fault.status} {reason}", f"Content-Length: {len(fault.body)}"]
    lines += [f"{name}: {value}" for name, value in fault.headers]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _read_request(sock: socket.socket) -> ReceivedRequest | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > _MAX_HEADER_BYTES:
            raise ValueError("request head too large")
    head, _, rest = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return ReceivedRequest(method, target, headers, rest[:length], time.monotonic())
