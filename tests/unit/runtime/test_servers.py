"""Operations with a server of their own (`OperationSpec.server`) go to that server, when it is
on the API's host or one the agent file allows (`allowed_hosts`)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from specagent_runtime import (
    ApiClient,
    Arg,
    AsyncApiClient,
    CredentialsError,
    OAuth2Scheme,
    OperationSpec,
    RequestError,
)

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
    allowed_hosts = frozenset({"files.example.test"})


class AsyncApi(AsyncApiClient):
    default_base_url = "https://api.example.test/v1"
    allowed_hosts = frozenset({"FILES.example.test."})  # compared case-blind


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


class Unlisted(ApiClient):
    default_base_url = "https://api.example.test/v1"


@pytest.mark.parametrize(
    "server", ["https://files.example.test/v2", "//files.example.test/v2", "https://evil.test"]
)
def test_a_server_on_a_host_not_allowed_is_refused_before_sending(server: str) -> None:
    seen: list[httpx.Request] = []
    op = OperationSpec(id="getExport", method="GET", path="/exports", server=server)
    with httpx.Client(transport=httpx.MockTransport(seen.append)) as http:  # type: ignore[arg-type]
        client = Unlisted(http_client=http, env={})
        with pytest.raises(RequestError) as caught:
            client._call(op, {}, None)
    assert seen == []
    assert "not the API's ('api.example.test')" in str(caught.value)
    assert "allow_hosts" in str(caught.value)


def test_the_same_host_on_another_port_is_the_api_host() -> None:
    op = OperationSpec(
        id="getItem", method="GET", path="/items", server="https://api.example.test:8443"
    )
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(204))) as http:
        assert Unlisted(http_client=http, env={})._call(op, {}, None) is None


def _token_client(token_url: str, allowed: frozenset[str]) -> type[ApiClient]:
    scheme = OAuth2Scheme("desk", token_url, (), "DESK_ID", "DESK_SECRET", "DESK_TOKEN")

    class TokenApi(ApiClient):
        default_base_url = "https://api.example.test/v1"
        security_schemes = {"desk": scheme}  # noqa: RUF012 - a generated client's ClassVar
        allowed_hosts = allowed

    return TokenApi


SECURED = OperationSpec(id="getItem", method="GET", path="/items", security=(("desk",),))


@pytest.mark.parametrize("token_url", ["https://login.evil.test/token", "//login.evil.test/t"])
def test_a_token_url_on_a_host_not_allowed_never_gets_the_client_secret(token_url: str) -> None:
    seen: list[httpx.Request] = []
    env = {"DESK_ID": "id", "DESK_SECRET": "s3cret-client-secret"}
    with httpx.Client(transport=httpx.MockTransport(seen.append)) as http:  # type: ignore[arg-type]
        client = _token_client(token_url, frozenset())(http_client=http, env=env)
        with pytest.raises(CredentialsError) as caught:
            client._call(SECURED, {}, None)
    assert seen == []
    assert "login.evil.test" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    assert "credentials" in caught.value.model_message()  # the model hears no host names


def test_an_allowed_token_host_gets_the_token_request() -> None:
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 60})
        return httpx.Response(204)

    client_class = _token_client(
        "https://login.example.test/token", frozenset({"login.example.test"})
    )
    env = {"DESK_ID": "id", "DESK_SECRET": "secret"}
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client_class(http_client=http, env=env)._call(SECURED, {}, None)
    assert urls == ["https://login.example.test/token", "https://api.example.test/v1/items"]
