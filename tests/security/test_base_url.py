"""Where requests go: only to the spec's server or the host's configured base URL.

Neither the model (through arguments) nor the API (through response bodies, `Location` headers
or redirects) can point the client somewhere else, and credentials never follow a redirect to
another host. The redirect tests use two local servers: the API and an "attacker" on another
port that must receive nothing.
"""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any

import httpx
import pytest
from specagent_runtime import (
    ApiKey,
    ApiStatusError,
    ClientCredentials,
    CredentialsError,
    MemoryStore,
    RequestError,
    Toolset,
)

from tests.support.fake_openai import FakeOpenAI, call, say
from tests.support.fault_server import FaultServer, json_response, redirect

from ._mock import Recorder, json_handler, mock_client

SPEC_SERVER = "https://petstore3.swagger.io/api/v3"
KEY = "k-redirect-5531aa"
SECRET = "cs-redirect-90ab12"


def test_default_base_url_is_the_specs_server(package: ModuleType) -> None:
    assert package.AsyncClient.default_base_url == SPEC_SERVER
    recorder = Recorder(json_handler({"id": 1}))
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    client = package.AsyncClient(http_client=http)
    asyncio.run(client.get_order_by_id(1))
    assert str(recorder.requests[0].url) == f"{SPEC_SERVER}/store/order/1"


def test_hosts_base_url_wins(package: ModuleType) -> None:
    recorder = Recorder(json_handler({"id": 1}))
    client = mock_client(package, recorder, base_url="http://internal.test:8080/v3")
    asyncio.run(client.get_order_by_id(1))
    assert str(recorder.requests[0].url) == "http://internal.test:8080/v3/store/order/1"


@pytest.mark.parametrize("base_url", ["", "/api/v3", "ftp://files.test/", "https://{region}.x/"])
def test_unusable_base_url_is_a_clear_error(package: ModuleType, base_url: str) -> None:
    recorder = Recorder()
    client = mock_client(package, recorder, base_url=base_url)
    with pytest.raises(RequestError) as caught:
        asyncio.run(client.get_order_by_id(1))
    assert "base_url=" in str(caught.value)
    assert recorder.requests == []


def test_api_responses_do_not_move_the_client(package: ModuleType) -> None:
    """Links, `Location` and `Content-Location` in a response are data, not configuration."""
    body = {"id": 1, "href": "https://evil.example/api", "base_url": "https://evil.example/"}
    headers = {"Location": "https://evil.example/x", "Content-Location": "https://evil.example/y"}
    recorder = Recorder(json_handler(body, headers=headers))
    tools = Toolset.from_package(package.__name__, mock_client(package, recorder))
    for _ in range(2):
        result = asyncio.run(tools.execute("get_order", {"orderId": 1}))
        assert result.status == "ok"
    assert {r.url.host for r in recorder.requests} == {"api.example.test"}


def test_model_cannot_choose_the_host(package: ModuleType, fake_model: FakeOpenAI) -> None:
    recorder = Recorder(json_handler({}))
    evil = "https://evil.example/"
    fake_model.add(
        call("get_order", orderId="https://evil.example/store/order/1"),
        call("delete_user", username=evil),
        say("Shall I delete that user?"),
        call("delete_user", username=evil),
        say("Done."),
    )

    async def run() -> None:
        model = fake_model.client()
        agent = package.build_agent(
            mock_client(package, recorder), model="m", openai_client=model, store=MemoryStore()
        )
        await agent.respond("c", "look up https://evil.example/store/order/1")
        await agent.respond("c", "yes")
        await model.close()

    asyncio.run(run())
    (request,) = recorder.requests
    assert request.method == "DELETE"
    assert request.url.host == "api.example.test"
    assert request.url.raw_path == b"/api/v3/user/https%3A%2F%2Fevil.example%2F"


def _client(package: ModuleType, api: FaultServer, **options: Any) -> Any:
    credentials = {"api_key": ApiKey(KEY), "petstore_auth": ClientCredentials("cid", SECRET)}
    return package.AsyncClient(api.root_url + "/api/v3", credentials=credentials, **options)


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_to_another_host_is_not_followed(package: ModuleType, code: int) -> None:
    with FaultServer() as api, FaultServer() as attacker:
        api.route("GET", "/api/v3/store/inventory", redirect(f"{attacker.root_url}/steal", code))
        attacker.route("GET", "/steal", json_response({"available": 1}))
        with pytest.raises(ApiStatusError) as caught:
            asyncio.run(_client(package, api).get_inventory())
        assert attacker.requests() == []
        assert caught.value.status == code
        assert len(api.requests()) == 1
        assert api.requests()[0].headers.get("api_key") == KEY  # sent to the API itself only


def test_callers_http_client_following_redirects_still_does_not(package: ModuleType) -> None:
    with FaultServer() as api, FaultServer() as attacker:
        api.route("GET", "/api/v3/store/inventory", redirect(f"{attacker.root_url}/steal"))

        async def run() -> None:
            async with httpx.AsyncClient(follow_redirects=True) as http:
                await _client(package, api, http_client=http).get_inventory()

        with pytest.raises(ApiStatusError):
            asyncio.run(run())
        assert attacker.requests() == []


def test_token_endpoint_redirect_does_not_carry_the_secret(package: ModuleType) -> None:
    with FaultServer() as api, FaultServer() as attacker:
        api.route("POST", "/oauth/token", redirect(f"{attacker.root_url}/token", 307))
        with pytest.raises((CredentialsError, ApiStatusError)) as caught:
            asyncio.run(_client(package, api).find_pets_by_status(status="available"))
        assert attacker.requests() == []
        assert [r.path for r in api.requests()] == ["/oauth/token"]
        assert SECRET not in str(caught.value)
