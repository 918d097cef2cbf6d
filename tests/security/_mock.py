"""A generated client over `httpx.MockTransport` that records what would have been sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
from specagent_runtime import Toolset

BASE_URL = "https://api.example.test/api/v3"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Keeps every request; answers with `reply(request)` (a 200 JSON `{}` by default)."""

    def __init__(self, reply: Handler | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self._reply = reply

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self._reply is not None:
            return self._reply(request)
        return httpx.Response(200, json={}, request=request)


def json_handler(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    def reply(request: httpx.Request) -> httpx.Response:
        body = json.dumps(data).encode()
        head = {"Content-Type": "application/json", **(headers or {})}
        return httpx.Response(status, content=body, headers=head, request=request)

    return reply


def mock_client(package: ModuleType, recorder: Recorder, **options: Any) -> Any:
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    options.setdefault("base_url", BASE_URL)
    return package.AsyncClient(http_client=http, **options)


def toolset(package: ModuleType, recorder: Recorder, **options: Any) -> Toolset:
    return Toolset.from_package(package.__name__, mock_client(package, recorder, **options))
