"""Generated clients over real HTTP: the reference Petstore server on 127.0.0.1.

The mock-transport tests pin the exact bytes; these show the same clients work against a real
server that checks auth as the spec declares it, including the OAuth2 token endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import (
    ApiKey,
    AuthError,
    ClientCredentials,
    Identity,
    NotFoundError,
    Toolset,
)

from tests.support.petstore_server import PetstoreServer

from ._harness import Mode, Session


@pytest.fixture(scope="module")
def server() -> Iterator[PetstoreServer]:
    with PetstoreServer(client_secret="ref-secret-7") as running:
        yield running


@pytest.fixture
def fresh(server: PetstoreServer) -> PetstoreServer:
    """The server with an empty request log (its data is shared by the module's tests)."""
    server.clear_requests()
    return server


def test_order_lookup_and_not_found(
    petstore: ModuleType, mode: Mode, fresh: PetstoreServer
) -> None:
    with Session(petstore, mode, base_url=fresh.base_url) as session:
        order = session.call("get_order_by_id", 2)
        with pytest.raises(NotFoundError) as caught:
            session.call("get_order_by_id", 987654)
    assert isinstance(order, petstore.models.Order)
    assert (order.id, order.pet_id, order.status) == (2, 3, petstore.models.OrderStatus.APPROVED)
    assert caught.value.model_message() == "The service answered 404 (Not Found): Order not found."
    seen = [(r.method, r.path, r.status, r.authorization, r.api_key) for r in fresh.requests()]
    assert seen == [
        ("GET", "/store/order/2", 200, False, False),
        ("GET", "/store/order/987654", 404, False, False),
    ]


def test_api_key_header(petstore: ModuleType, mode: Mode, fresh: PetstoreServer) -> None:
    credentials = {"api_key": ApiKey(fresh.api_key)}
    with Session(petstore, mode, base_url=fresh.base_url, credentials=credentials) as session:
        inventory = session.call("get_inventory")
        pet = session.call("get_pet_by_id", 1)
    assert set(inventory) == {"available", "pending", "sold"}
    assert sum(inventory.values()) == len(fresh.pets())
    assert (pet.id, pet.name) == (1, "doggie")
    recorded = fresh.requests()
    assert [(r.path, r.api_key, r.authorization, r.status) for r in recorded] == [
        ("/store/inventory", True, False, 200),
        ("/pet/1", True, False, 200),
    ]
    assert all(fresh.api_key not in str(dict(r.headers)) for r in recorded)


def test_wrong_api_key_is_an_auth_error(
    petstore: ModuleType, mode: Mode, fresh: PetstoreServer
) -> None:
    credentials = {"api_key": ApiKey("wrong-key-31")}
    with (
        Session(petstore, mode, base_url=fresh.base_url, credentials=credentials) as session,
        pytest.raises(AuthError) as caught,
    ):
        session.call("get_inventory")
    assert caught.value.status == 401
    assert "wrong-key-31" not in str(caught.value)
    # The spec has no 401 response; its `default` description follows in parentheses.
    assert caught.value.model_message().startswith(
        "The service refused the request as unauthorized"
    )


def test_json_body_and_path_escaping(
    petstore: ModuleType, mode: Mode, fresh: PetstoreServer
) -> None:
    shipped = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    with Session(petstore, mode, base_url=fresh.base_url) as session:
        order = session.call("place_order", pet_id=1, quantity=3, ship_date=shipped)
        with pytest.raises(NotFoundError):
            session.call("get_user_by_name", "../store/inventory")
    assert (order.pet_id, order.quantity, order.ship_date) == (1, 3, shipped)
    placed, escaped = fresh.requests()
    assert placed.body == {"petId": 1, "quantity": 3, "shipDate": "2025-03-04T05:06:07Z"}
    # The server decoded `%2F` back to `/` in the user name: it still saw one user segment.
    assert (escaped.method, escaped.status) == ("GET", 404)
    assert escaped.path.startswith("/user/")
    assert fresh.requests("/store/inventory") == []


@pytest.mark.parametrize("source", ["code", "env"])
def test_oauth2_client_credentials_against_the_token_endpoint(
    petstore_oauth: ModuleType,
    mode: Mode,
    fresh: PetstoreServer,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    scheme = petstore_oauth.client.SECURITY_SCHEMES["petstore_auth"]
    monkeypatch.delenv(scheme.env_token, raising=False)
    options: dict[str, Any] = {"base_url": fresh.base_url}
    if source == "code":
        options["credentials"] = {
            "petstore_auth": ClientCredentials(fresh.client_id, fresh.client_secret)
        }
    else:
        monkeypatch.setenv(scheme.env_client_id, fresh.client_id)
        monkeypatch.setenv(scheme.env_client_secret, fresh.client_secret)
    with Session(petstore_oauth, mode, **options) as session:
        pet = session.call("get_pet_by_id", 3)
        available = session.call("find_pets_by_status", status="available")
    assert pet.name == "Rex"
    assert available and all(p.status == "available" for p in available)
    assert fresh.token_requests == 1
    recorded = fresh.requests()
    assert [(r.method, r.path, r.status) for r in recorded] == [
        ("POST", "/oauth/token", 200),
        ("GET", "/pet/3", 200),
        ("GET", "/pet/findByStatus", 200),
    ]
    assert all(r.authorization for r in recorded)


def test_toolset_execute_over_the_generated_package(
    petstore: ModuleType, fresh: PetstoreServer
) -> None:
    with Session(petstore, "async", base_url=fresh.base_url) as session:
        tools = Toolset.from_package(petstore.__name__, session.client)
        order = session.run(tools.execute("get_order", {"orderId": 3}))
        missing = session.run(tools.execute("get_order", {"orderId": 424242}))
        account = session.run(
            tools.execute("get_my_account", {}, Identity(username="user2", verified=True))
        )
        refused = session.run(tools.execute("get_my_account", {"username": "user1"}))
    assert order.status == "ok"
    assert order.data["id"] == 3
    assert order.data["status"] == "delivered"
    assert missing.status == "error"
    assert missing.message == "The service answered 404 (Not Found): Order not found."
    assert account.status == "ok"
    assert account.data["username"] == "user2"
    assert "password2" not in account.for_model()
    assert refused.status == "error"
    assert [r.path for r in fresh.requests()] == [
        "/store/order/3",
        "/store/order/424242",
        "/user/user2",
    ]
