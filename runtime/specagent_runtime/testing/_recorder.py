"""The API side of an agent test: every request the agent made, and answers when no server runs.

`ApiRecorder` is an httpx transport for the generated client (``AsyncClient(...,
http_client=httpx.AsyncClient(transport=recorder))``). Each request is matched to its
operationId through the package's `OperationSpec`s (the same descriptors the client sent it
from), recorded with its parameters and body, then answered by a stub for that operation, or
passed on to a real transport (a reference server), or refused with HTTP 501 when neither is
there. What reached the API is what a test asserts on: it cannot be argued with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from specagent_runtime._spec import (
    ApiKeyScheme,
    OAuth2Scheme,
    OperationSpec,
    SecurityScheme,
    package_operations,
)
from specagent_runtime.testing._match import same_scalar
from specagent_runtime.testing._names import did_you_mean

__all__ = ["ApiRecorder", "ApiRequest", "Stub", "package_operations"]

# Header values never recorded: credentials of any kind (API key names are added per package).
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "api_key"}
)
_MASK = "***"
_UNANSWERED = 501


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One request as the agent sent it, credentials masked, with the answer it got."""

    method: str
    path: str  # under the client's base URL, percent-decoded: "/orders/1002/cancel"
    query: Mapping[str, str]  # the last value of each name
    body: Any  # JSON as parsed, a form as a dict, other text as text; None without a body
    operation: str | None  # the operationId, None when no operation of the package matches
    path_params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    status: int = 0
    response: Any = None  # the answer's JSON (or text)
    turn: int = 0  # the conversation turn it was made in (see `ApiRecorder.turn`)
    stubbed: bool = False
    answered: bool = True  # False: no stub and no server, refused with HTTP 501
    url: str = ""
    auth: bool = False  # a request for an access token (an OAuth2 token URL), not the API's

    @property
    def unsafe(self) -> bool:
        """Not a read: POST, PUT, PATCH, DELETE (what consent is about)."""
        return self.method not in {"GET", "HEAD", "OPTIONS", "TRACE"}

    def param(self, name: str) -> Any:
        """A parameter by name: path, then query, then a top-level body field."""
        if name in self.path_params:
            return self.path_params[name]
        if name in self.query:
            return self.query[name]
        if isinstance(self.body, Mapping) and name in self.body:
            return self.body[name]
        return None

    def describe(self) -> str:
        """``POST /orders/1002/cancel (cancelOrder) -> 200``, for reports."""
        name = f" ({self.operation})" if self.operation else ""
        return f"{self.method} {self.path}{name} -> {self.status}"


@dataclass(frozen=True, slots=True)
class Stub:
    """An answer for one operation; `when` limits it to requests with these parameters."""

    body: Any = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    when: Mapping[str, Any] = field(default_factory=dict)

    def applies(self, request: ApiRequest) -> bool:
        for name, expected in self.when.items():
            actual = request.param(name)
            if actual is None or not _param_equal(expected, actual):
                return False
        return True


def _param_equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Mapping | list):
        return bool(expected == actual)
    return same_scalar(expected, actual, loose=True)


@dataclass(frozen=True, slots=True)
class _Route:
    operation: OperationSpec
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    literal: int  # characters outside parameters: the more, the more specific

    def match(self, path: str, *, suffix: bool) -> dict[str, str] | None:
        found = self.pattern.search(path) if suffix else self.pattern.fullmatch(path)
        if found is None:
            return None
        return {
            name: unquote(value) for name, value in zip(self.names, found.groups(), strict=True)
        }


def _route(operation: OperationSpec) -> _Route:
    names: list[str] = []
    parts: list[str] = []
    literal = 0
    for piece in re.split(r"(\{[^}]*\})", operation.path):
        if piece.startswith("{") and piece.endswith("}"):
            names.append(piece[1:-1])
            parts.append("([^/]+)")
        elif piece:
            literal += len(piece)
            parts.append(re.escape(piece))
    return _Route(operation, re.compile("".join(parts) + "$"), tuple(names), literal)


class ApiRecorder(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Records every request; answers from `stubs` (operationId -> `Stub` or a list tried in
    order), else through `forward` (a transport to a real server), else with HTTP 501.

    `base_url` is the client's base URL, whose path is taken off recorded paths. Set `turn`
    to label the requests that follow (the harness does, one number per conversation turn)."""

    def __init__(
        self,
        operations: Iterable[OperationSpec] = (),
        *,
        stubs: Mapping[str, Stub | Sequence[Stub]] | None = None,
        forward: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None,
        base_url: str = "",
        security_schemes: Mapping[str, SecurityScheme] | None = None,
    ) -> None:
        self.operations = tuple(operations)
        self.requests: list[ApiRequest] = []
        self.turn = 0
        self._stubs: dict[str, list[Stub]] = {}
        for operation_id, answers in (stubs or {}).items():
            self.stub(operation_id, answers)
        self._forward = forward
        self._base_path = urlsplit(base_url).path.rstrip("/")
        self._routes = sorted(
            (_route(op) for op in self.operations), key=lambda r: (-r.literal, r.operation.id)
        )
        self._secret_headers = set(_SECRET_HEADERS)
        self._secret_query: set[str] = set()
        self._token_paths: set[str] = set()
        for scheme in (security_schemes or {}).values():
            if isinstance(scheme, OAuth2Scheme) and scheme.token_url:
                self._token_paths.add(urlsplit(scheme.token_url).path.rstrip("/"))
            if isinstance(scheme, ApiKeyScheme):
                names = self._secret_query if scheme.location == "query" else self._secret_headers
                names.add(scheme.param_name.lower())

    def __repr__(self) -> str:
        return f"ApiRecorder({len(self.operations)} operations, {len(self.requests)} requests)"

    # --- set-up ------------------------------------------------------------------------------

    def stub(self, operation_id: str, answer: Stub | Sequence[Stub] | Any = None) -> None:
        """Answer `operation_id` with `answer`: a `Stub`, a list of `Stub`s (tried in order),
        or a JSON body for a 200. Stubs given later for the same operation are tried first."""
        known = {op.id for op in self.operations}
        if self.operations and operation_id not in known:
            hint = did_you_mean(operation_id, sorted(known))
            raise ValueError(f"no operation {operation_id!r} in this package. {hint}".strip())
        if isinstance(answer, Stub):
            answers = [answer]
        elif (
            isinstance(answer, Sequence)
            and answer
            and all(isinstance(item, Stub) for item in answer)
        ):
            answers = list(answer)
        else:  # a JSON body, a list (of anything but stubs) included
            answers = [Stub(body=answer)]
        self._stubs[operation_id] = [*answers, *self._stubs.get(operation_id, [])]

    # --- queries -----------------------------------------------------------------------------

    def made(self, operation: str | None = None, *, turn: int | None = None) -> list[ApiRequest]:
        """The requests of one operation (all when None), of one turn (all when None)."""
        return [
            r
            for r in self.requests
            if (operation is None or r.operation == operation) and (turn is None or r.turn == turn)
        ]

    # --- the transport -----------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        seen = self._seen(request, body)
        answer = self._answer(seen)
        if answer is not None:
            return self._record(seen, answer, stubbed=True)
        if isinstance(self._forward, httpx.AsyncBaseTransport):
            response = await self._forward.handle_async_request(request)
            content = await response.aread()
            await response.aclose()
            return self._record(seen, _copy(response, content), stubbed=False)
        return self._refuse(seen)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        seen = self._seen(request, body)
        answer = self._answer(seen)
        if answer is not None:
            return self._record(seen, answer, stubbed=True)
        if isinstance(self._forward, httpx.BaseTransport):
            response = self._forward.handle_request(request)
            content = response.read()
            response.close()
            return self._record(seen, _copy(response, content), stubbed=False)
        return self._refuse(seen)

    async def aclose(self) -> None:
        if isinstance(self._forward, httpx.AsyncBaseTransport):
            await self._forward.aclose()

    def close(self) -> None:
        if isinstance(self._forward, httpx.BaseTransport):
            self._forward.close()

    # --- plumbing ----------------------------------------------------------------------------

    def _seen(self, request: httpx.Request, body: bytes) -> ApiRequest:
        raw_path = request.url.path
        path = raw_path
        if self._base_path and (path == self._base_path or path.startswith(self._base_path + "/")):
            path = path[len(self._base_path) :] or "/"
        operation, params = self._operation(request.method, path)
        query = {
            name: (_MASK if name.lower() in self._secret_query else value)
            for name, value in parse_qsl(
                request.url.query.decode("latin-1"), keep_blank_values=True
            )
        }
        headers = {
            name.lower(): (_MASK if name.lower() in self._secret_headers else value)
            for name, value in request.headers.items()
        }
        return ApiRequest(
            method=request.method,
            path=unquote(path),
            query=query,
            body=_body(body, request.headers.get("content-type", "")),
            operation=operation,
            path_params=params,
            headers=headers,
            turn=self.turn,
            url=str(request.url.copy_with(query=None)),
            auth=operation is None
            and any(raw_path.rstrip("/").endswith(p) for p in self._token_paths if p),
        )

    def _operation(self, method: str, path: str) -> tuple[str | None, dict[str, str]]:
        for suffix in (False, True):  # under the base URL first, then an operation's own server
            for route in self._routes:
                if route.operation.method.upper() != method.upper():
                    continue
                params = route.match(path, suffix=suffix)
                if params is not None:
                    return route.operation.id, params
        return None, {}

    def _answer(self, seen: ApiRequest) -> Stub | None:
        if seen.operation is None:
            return None
        return next((s for s in self._stubs.get(seen.operation, []) if s.applies(seen)), None)

    def _record(
        self, seen: ApiRequest, answer: Stub | httpx.Response, *, stubbed: bool
    ) -> httpx.Response:
        if isinstance(answer, Stub):
            response = _stub_response(answer)
        else:
            response = answer
        response_body = _body(response.content, response.headers.get("content-type", ""))
        self.requests.append(
            replace(seen, status=response.status_code, response=response_body, stubbed=stubbed)
        )
        return response

    def _refuse(self, seen: ApiRequest) -> httpx.Response:
        what = seen.operation or f"{seen.method} {seen.path}"
        message = f"no stub for {what} and no server to send it to"
        response = httpx.Response(_UNANSWERED, json={"message": message})
        self.requests.append(
            replace(seen, status=_UNANSWERED, response={"message": message}, answered=False)
        )
        return response


def _stub_response(stub: Stub) -> httpx.Response:
    headers = dict(stub.headers)
    if stub.body is None:
        return httpx.Response(stub.status, headers=headers)
    if isinstance(stub.body, str) and "content-type" not in {k.lower() for k in headers}:
        headers["content-type"] = "text/plain"
    if isinstance(stub.body, str):
        return httpx.Response(stub.status, headers=headers, text=stub.body)
    return httpx.Response(stub.status, headers=headers, json=stub.body)


def _copy(response: httpx.Response, content: bytes) -> httpx.Response:
    """The forwarded response, its body already read and decoded (so without the encoding
    headers that described the body on the wire)."""
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(response.status_code, headers=headers, content=content)


def _body(data: bytes, content_type: str) -> Any:
    if not data:
        return None
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    text = data.decode("utf-8", "replace")
    if kind == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    if kind.endswith("json") or kind.endswith("+json") or not kind:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
