"""Operations with a server of their own (`OperationSpec.server`) go to that server."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from specagent_runtime import ApiClient, Arg, AsyncApiClient, OperationSpec, RequestError

MAIN = OperationSpec(id="getItem", method="GET", path="/items")
FILES = OperationSpec(
    id="getExport",
    method="GET",
    path="/exports/{name}",
    args=(Arg("name", "name", "path"),),
    server="https://files.example.test/v2",
)
RELATIVE = OperationSpec(id="getReport", method="GET", path="/reports", server="/v2")


class Api(ApiClient):
    default_base_url = "https://api.example.test/v1"


class AsyncApi(AsyncApiClient):
    default_base_url = "https://api.example.test/v1"


def _urls(ops: list[OperationSpec], args: dict[str, Any], **options: Any) -> list[str]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = Api(http_client=http, env={}, **options)
        for op in ops:
            client._call(op, {k: v for k, v in args.items() if k in {a.key for a in op.args}}, None)
    return seen


def test_each_operation_goes_to_its_own_server() -> None:
    urls = _urls([MAIN, FILES, RELATIVE], {"name": "a b"})
    assert urls == [
        "https://api.example.test/v1/items",
        "https://files.example.test/v2/exports/a%20b",
        # Relative to the base URL, joined like a link.
        "https://api.example.test/v2/reports",
    ]


def test_a_base_url_given_to_the_client_takes_every_operation() -> None:
    urls = _urls([MAIN, FILES, RELATIVE], {"name": "x"}, base_url="http://127.0.0.1:9/api")
    assert urls == [
        "http://127.0.0.1:9/api/items",
        "http://127.0.0.1:9/api/exports/x",
        "http://127.0.0.1:9/v2/reports",
    ]


def test_the_async_client_uses_the_operation_server_too() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            await AsyncApi(http_client=http, env={})._call(FILES, {"name": "n"}, None)

    asyncio.run(run())
    assert seen == ["https://files.example.test/v2/exports/n"]


def test_an_argument_cannot_move_the_request_to_another_host() -> None:
    urls = _urls([FILES], {"name": "../../@evil.test/x"})
    assert [httpx.URL(url).host for url in urls] == ["files.example.test"]


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ("https://{region}.example.test", "has unfilled server variables"),
        ("ftp://files.example.test", "is not an http(s) URL"),
    ],
)
def test_an_unusable_operation_server_is_a_clear_error(server: str, message: str) -> None:
    op = OperationSpec(id="getExport", method="GET", path="/exports", server=server)
    with pytest.raises(RequestError) as caught:
        _urls([op], {})
    assert f"the server URL of getExport {server!r}" in str(caught.value)
    assert message in str(caught.value)
