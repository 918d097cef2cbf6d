"""Driving a generated client, sync or async, against `httpx.MockTransport` or a real server.

Every functional test runs each call through both `Client` and `AsyncClient` (the `mode`
fixture), because the two share request building but not the sending loop, and a bug in one
would otherwise hide behind the other's tests.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType, TracebackType
from typing import Any, Literal, Self

import httpx

Mode = Literal["async", "sync"]
MODES: tuple[Mode, ...] = ("async", "sync")


@dataclass(frozen=True)
class Reply:
    """A canned response; built afresh for every request (a response body is read once)."""

    status: int = 200
    content: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def build(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            self.status, headers=dict(self.headers), content=self.content, request=request
        )


def json_reply(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(
        status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}
    )


def empty_reply(status: int = 204) -> Reply:
    return Reply(status)


class Recorder:
    """A MockTransport handler that keeps every request and answers with canned replies.

    Requests to a URL in `routes` (without its query) get that reply; the others get `replies`
    in order, the last one repeated.
    """

    def __init__(self, *replies: Reply, routes: Mapping[str, Reply] | None = None) -> None:
        self._replies = list(replies) or [empty_reply()]
        self._routes = dict(routes or {})
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(snapshot(request))
        route = self._routes.get(str(request.url.copy_with(query=None)))
        if route is not None:
            return route.build(request)
        reply = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
        return reply.build(request)

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "no request was sent"
        return self.requests[-1]

    def to(self, url: str) -> list[httpx.Request]:
        """The requests sent to `url` (query ignored)."""
        return [r for r in self.requests if str(r.url.copy_with(query=None)) == url]


def snapshot(request: httpx.Request) -> httpx.Request:
    """A copy of `request` as sent now: auth flows edit and resend the same request object."""
    return httpx.Request(
        request.method, request.url, headers=request.headers.copy(), content=request.read()
    )


class Session:
    """One generated client of `package` in `mode`; `call` runs a method and returns its result.

    With a `handler`, requests go to an `httpx.MockTransport`; without one, the client opens
    real connections (to a local test server given as `base_url`).
    """

    def __init__(
        self,
        package: ModuleType,
        mode: Mode,
        handler: Callable[[httpx.Request], httpx.Response] | None = None,
        **options: Any,
    ) -> None:
        self.mode = mode
        self._runner = asyncio.Runner() if mode == "async" else None
        transport = None if handler is None else httpx.MockTransport(handler)
        self._http: httpx.Client | httpx.AsyncClient | None = None
        if mode == "sync":
            if transport is not None:
                self._http = httpx.Client(transport=transport)
                options["http_client"] = self._http
            self.client: Any = package.Client(**options)
        else:
            if transport is not None:
                self._http = httpx.AsyncClient(transport=transport)
                options["http_client"] = self._http
            self.client = package.AsyncClient(**options)

    def call(self, method: str, /, *args: Any, **kwargs: Any) -> Any:
        function = getattr(self.client, method)
        if self._runner is None:
            return function(*args, **kwargs)
        return self._runner.run(function(*args, **kwargs))

    def run(self, coroutine: Any) -> Any:
        """Run another coroutine (a `Toolset` call) on this session's event loop."""
        assert self._runner is not None, "run() is for async sessions"
        return self._runner.run(coroutine)

    def close(self) -> None:
        if self._runner is None:
            self.client.close()
            if isinstance(self._http, httpx.Client):
                self._http.close()
            return
        self._runner.run(self.client.aclose())
        if isinstance(self._http, httpx.AsyncClient):
            self._runner.run(self._http.aclose())
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def call(
    package: ModuleType,
    mode: Mode,
    method: str,
    /,
    *args: Any,
    recorder: Recorder,
    options: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """One call on a fresh client over `recorder`; `options` go to the client's constructor."""
    with Session(package, mode, recorder, **dict(options or {})) as session:
        return session.call(method, *args, **kwargs)


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    content: bytes


def multipart_parts(request: httpx.Request) -> list[Part]:
    """The parts of a multipart/form-data request, parsed by the standard library."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    assert message.is_multipart(), request.headers["content-type"]
    parts = []
    for part in message.iter_parts():
        disposition = part.get("Content-Disposition", "")
        assert str(disposition).startswith("form-data"), disposition
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts.append(
            Part(
                name=str(part.get_param("name", header="content-disposition")),
                filename=part.get_filename(),
                content_type=part.get_content_type(),
                content=payload,
            )
        )
    return parts


def json_body(request: httpx.Request) -> Any:
    assert request.headers["content-type"] == "application/json", request.headers
    return json.loads(request.content)


def raw_path(request: httpx.Request) -> bytes:
    """The path exactly as sent (percent-encoding kept), without the query."""
    return request.url.raw_path.partition(b"?")[0]
