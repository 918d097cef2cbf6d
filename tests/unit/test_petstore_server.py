"""The reference petstore server, driven with plain httpx: every route, auth, the token
endpoint, the request log and fault injection."""

from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.petstore_server import PetstoreServer, run_in_subprocess

KEY = {"api_key": "test-key"}
CLIENT = {"client_id": "test-client", "client_secret": "test-secret"}


@pytest.fixture
def server() -> Iterator[PetstoreServer]:
    with PetstoreServer() as running:
        yield running


@pytest.fixture
def client(server: PetstoreServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=5) as http:
        yield http


def token(server: PetstoreServer, **form: str) -> str:
    data = {"grant_type": "client_credentials", **CLIENT, **form}
    response = httpx.post(server.token_url, data=data)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def bearer(server: PetstoreServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(server)}"}


def new_pet(**fields: object) -> dict[str, object]:
    return {"name": "Fido", "photoUrls": ["https://img.example/fido.png"], **fields}


# --- lifecycle --------------------------------------------------------------------------------


def test_starts_fast_on_a_free_port_and_frees_it_on_exit() -> None:
    started = time.perf_counter()
    with PetstoreServer() as first, PetstoreServer() as second:
        assert time.perf_counter() - started < 1.0  # two servers, each well under 0.5 s
        assert first.port != second.port
        assert first.base_url == f"http://127.0.0.1:{first.port}/api/v3"
        assert httpx.get(f"{first.base_url}/user/user1").status_code == 200
        port = first.port
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


def test_a_taken_port_or_a_second_start_is_an_error(server: PetstoreServer) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        server.start()
    with pytest.raises(OSError), PetstoreServer(port=server.port):
        pass


def test_state_persists_in_the_database_file_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "petstore.sqlite"
    with PetstoreServer(db) as server:
        assert httpx.delete(f"{server.base_url}/store/order/1").status_code == 200
    with PetstoreServer(db) as server:  # not seeded again: the order stays deleted
        assert httpx.get(f"{server.base_url}/store/order/1").status_code == 404
        assert httpx.get(f"{server.base_url}/store/order/2").status_code == 200
        assert [r.path for r in server.requests()] == [
            "/store/order/1",
            "/store/order/1",
            "/store/order/2",
        ]


def test_subprocess_server_shares_log_and_faults_through_the_file(tmp_path: Path) -> None:
    with run_in_subprocess(tmp_path / "db.sqlite", api_key="k2") as process:
        process.fail_next("/store/inventory", 503)
        assert (
            httpx.get(f"{process.base_url}/store/inventory", headers={"api_key": "k2"}).status_code
            == 503
        )
        response = httpx.get(f"{process.base_url}/store/inventory", headers={"api_key": "k2"})
        assert response.json() == {"available": 3, "pending": 1, "sold": 1}
        assert [r.status for r in process.requests()] == [503, 200]
        pid = process.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_subprocess_server_exits_cleanly_when_its_parent_goes_away(tmp_path: Path) -> None:
    process = run_in_subprocess(tmp_path / "db.sqlite")
    try:
        child = process._process
        assert child.stdin is not None
        child.stdin.close()  # what the OS does when the test run dies
        assert child.wait(timeout=5) == 0
    finally:
        process.stop()


# --- pets -------------------------------------------------------------------------------------


def test_add_get_update_and_delete_a_pet(client: httpx.Client, bearer: dict[str, str]) -> None:
    added = client.post(
        "/pet", json=new_pet(status="pending", tags=[{"id": 9, "name": "new"}]), headers=bearer
    )
    assert added.status_code == 200
    pet = added.json()
    assert pet["id"] == 6 and pet["name"] == "Fido" and pet["status"] == "pending"
    assert client.get(f"/pet/{pet['id']}", headers=KEY).json() == pet

    updated = client.put("/pet", json={**pet, "name": "Rover"}, headers=bearer)
    assert updated.status_code == 200 and updated.json()["name"] == "Rover"

    form = client.post(f"/pet/{pet['id']}", params={"status": "sold"}, headers=bearer)
    assert form.json()["status"] == "sold" and form.json()["name"] == "Rover"

    assert client.delete(f"/pet/{pet['id']}", headers=bearer).status_code == 200
    missing = client.get(f"/pet/{pet['id']}", headers=KEY)
    assert missing.status_code == 404
    assert missing.json() == {"code": 404, "type": "error", "message": "Pet not found"}


def test_pet_input_errors(client: httpx.Client, bearer: dict[str, str]) -> None:
    no_urls = client.post("/pet", json={"name": "x"}, headers=bearer)
    assert no_urls.status_code == 422 and "/photoUrls" in no_urls.json()["message"]
    bad_status = client.post("/pet", json=new_pet(status="lost"), headers=bearer)
    assert bad_status.status_code == 422 and "/status" in bad_status.json()["message"]
    not_json = client.post(
        "/pet", content=b"{", headers={**bearer, "content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert client.put("/pet", json=new_pet(id=999), headers=bearer).status_code == 404
    assert client.put("/pet", json=new_pet(), headers=bearer).status_code == 422  # no id
    assert client.get("/pet/abc", headers=KEY).status_code == 400
    assert client.post("/pet/1", params={"status": "lost"}, headers=bearer).status_code == 400
    assert client.post("/pet/999", params={"name": "x"}, headers=bearer).status_code == 404
    assert client.delete("/pet/999", headers=bearer).status_code == 404


def test_find_pets_by_status(client: httpx.Client, bearer: dict[str, str]) -> None:
    def names(params: dict[str, str | list[str]]) -> list[str]:
        response = client.get("/pet/findByStatus", params=params, headers=bearer)
        assert response.status_code == 200
        return [pet["name"] for pet in response.json()]

    assert names({}) == ["doggie", "Kitty", "Polly"]  # the spec's default: available
    assert names({"status": "sold"}) == ["Goldie"]
    assert names({"status": ["pending", "sold"]}) == ["Rex", "Goldie"]
    assert names({"status": "pending,sold"}) == ["Rex", "Goldie"]
    invalid = client.get("/pet/findByStatus", params={"status": "lost"}, headers=bearer)
    assert invalid.status_code == 400 and invalid.json()["message"] == "Invalid status value"


def test_find_pets_by_exploded_tags(
    server: PetstoreServer, client: httpx.Client, bearer: dict[str, str]
) -> None:
    response = client.get("/pet/findByTags", params={"tags": ["tag2", "tag3"]}, headers=bearer)
    assert [pet["id"] for pet in response.json()] == [2, 3, 4]
    (logged,) = server.requests("/pet/findByTags")
    assert logged.query == "tags=tag2&tags=tag3"
    assert logged.params == {"tags": ["tag2", "tag3"]}
    assert client.get("/pet/findByTags", headers=bearer).status_code == 400


def test_upload_image_adds_a_photo_url(client: httpx.Client, bearer: dict[str, str]) -> None:
    response = client.post(
        "/pet/2/uploadImage",
        params={"additionalMetadata": "front"},
        content=b"\x89PNG...",
        headers={**bearer, "content-type": "application/octet-stream"},
    )
    assert response.status_code == 200
    assert response.json()["code"] == 200 and "7 bytes" in response.json()["message"]
    assert client.get("/pet/2", headers=KEY).json()["photoUrls"] == ["/images/pet2-1"]
    empty = client.post("/pet/2/uploadImage", content=b"", headers=bearer)
    assert empty.status_code == 400


# --- auth -------------------------------------------------------------------------------------


def test_get_pet_accepts_api_key_or_bearer_token(
    client: httpx.Client, bearer: dict[str, str]
) -> None:
    assert client.get("/pet/1", headers=KEY).json()["name"] == "doggie"
    assert client.get("/pet/1", headers=bearer).json()["name"] == "doggie"
    anonymous = client.get("/pet/1")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert client.get("/pet/1", headers={"api_key": "wrong"}).status_code == 401
    assert client.get("/pet/1", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_inventory_needs_the_api_key(client: httpx.Client, bearer: dict[str, str]) -> None:
    assert client.get("/store/inventory", headers=KEY).json() == {
        "available": 3,
        "pending": 1,
        "sold": 1,
    }
    assert client.get("/store/inventory").status_code == 401
    assert client.get("/store/inventory", headers={"api_key": "wrong"}).status_code == 401
    assert client.get("/store/inventory", headers=bearer).status_code == 401  # api_key only


def test_oauth_operations_reject_missing_revoked_expired_and_narrow_tokens() -> None:
    with PetstoreServer(token_ttl=0.2) as server, httpx.Client(base_url=server.base_url) as client:
        assert client.get("/pet/findByStatus").status_code == 401
        assert client.get("/pet/findByStatus", headers=KEY).status_code == 401  # oauth only

        narrow = token(server, scope="read:pets")
        response = client.get("/pet/findByStatus", headers={"Authorization": f"Bearer {narrow}"})
        assert response.status_code == 403

        fresh = {"Authorization": f"Bearer {token(server)}"}
        assert client.get("/pet/findByStatus", headers=fresh).status_code == 200
        time.sleep(0.25)
        expired = client.get("/pet/findByStatus", headers=fresh)
        assert expired.status_code == 401
        assert 'error="invalid_token"' in expired.headers["www-authenticate"]

        fresh = {"Authorization": f"Bearer {token(server)}"}
        server.revoke_tokens()
        assert client.get("/pet/findByStatus", headers=fresh).status_code == 401


def test_token_endpoint_checks_the_client_and_counts_requests(server: PetstoreServer) -> None:
    url = server.token_url
    assert url.endswith("/oauth/token") and "/api/v3" not in url
    ok = httpx.post(url, data={"grant_type": "client_credentials", **CLIENT})
    assert ok.json()["token_type"] == "Bearer" and ok.json()["expires_in"] == 3600
    assert ok.json()["scope"] == "read:pets write:pets"
    assert ok.headers["cache-control"] == "no-store"

    basic = base64.b64encode(b"test-client:test-secret").decode()
    via_basic = httpx.post(
        url, data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert via_basic.status_code == 200

    wrong = httpx.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": "test-client",
            "client_secret": "no",
        },
    )
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    grant = httpx.post(url, data={"grant_type": "password", **CLIENT})
    assert (grant.status_code, grant.json()) == (400, {"error": "unsupported_grant_type"})
    scope = httpx.post(url, data={"grant_type": "client_credentials", "scope": "admin", **CLIENT})
    assert (scope.status_code, scope.json()) == (400, {"error": "invalid_scope"})
    assert httpx.post(url, json={"grant_type": "client_credentials", **CLIENT}).status_code == 400

    assert server.token_requests == 6
    assert (server.client_id, server.client_secret) == ("test-client", "test-secret")


# --- store and users --------------------------------------------------------------------------


def test_orders(client: httpx.Client, server: PetstoreServer) -> None:
    assert client.get("/store/order/2").json()["status"] == "approved"
    placed = client.post("/store/order", json={"petId": 2, "quantity": 2})
    assert placed.status_code == 200
    order = placed.json()
    assert order == {"id": 4, "petId": 2, "quantity": 2, "status": "placed", "complete": False}
    assert server.order(4) == order
    assert client.delete("/store/order/4").status_code == 200
    assert client.get("/store/order/4").json() == {
        "code": 404,
        "type": "error",
        "message": "Order not found",
    }
    assert client.delete("/store/order/4").status_code == 404
    assert client.get("/store/order/x").status_code == 400
    assert client.post("/store/order", json={"petId": 99}).status_code == 400
    bad = client.post("/store/order", json={"petId": 1, "status": "lost"})
    assert bad.status_code == 422 and "/status" in bad.json()["message"]
    assert client.post("/store/order", json={"shipDate": "soon"}).status_code == 422
    assert len(server.orders()) == 3


def test_users(client: httpx.Client, server: PetstoreServer) -> None:
    assert client.get("/user/user1").json()["email"] == "user1@example.com"
    created = client.post(
        "/user", json={"username": "zoe", "email": "zoe@example.com", "password": "pw"}
    )
    assert created.status_code == 200 and created.json()["id"] == 4
    assert client.post("/user", json={"username": "zoe"}).status_code == 400  # exists
    assert client.post("/user", json={"email": "x@example.com"}).status_code == 400  # no username

    assert client.put("/user/zoe", json={"username": "zoe2", "phone": "1"}).status_code == 200
    assert client.get("/user/zoe").status_code == 404
    renamed = client.get("/user/zoe2").json()
    assert (renamed["email"], renamed["phone"], renamed["id"]) == ("zoe@example.com", "1", 4)
    assert client.put("/user/zoe2", json={"userStatus": "x"}).status_code == 400
    assert client.put("/user/nobody", json={"username": "x"}).status_code == 404

    listed = client.post("/user/createWithList", json=[{"username": "a"}, {"username": "b"}])
    assert listed.json()["username"] == "b" and server.user("a") is not None

    assert client.delete("/user/zoe2").status_code == 200
    assert client.delete("/user/zoe2").json()["message"] == "User not found"


def test_login_and_logout(client: httpx.Client) -> None:
    login = client.get("/user/login", params={"username": "user1", "password": "password1"})
    assert login.status_code == 200
    assert login.json().startswith("logged in user session:")
    assert login.headers["x-rate-limit"] == "5000" and "x-expires-after" in login.headers
    wrong = client.get("/user/login", params={"username": "user1", "password": "nope"})
    assert wrong.status_code == 400
    assert (
        client.get("/user/login", params={"username": "ghost", "password": "x"}).status_code == 400
    )
    assert client.get("/user/logout").status_code == 200


def test_unknown_routes_and_methods_get_json_errors(client: httpx.Client) -> None:
    missing = client.get("/nothing/here")
    assert (missing.status_code, missing.json()["code"]) == (404, 404)
    assert client.patch("/pet").status_code == 405


# --- request log ------------------------------------------------------------------------------


def test_request_log_keeps_bodies_and_flags_but_no_secrets(
    server: PetstoreServer, client: httpx.Client
) -> None:
    access = token(server)
    client.post(
        "/pet",
        json=new_pet(),
        headers={"Authorization": f"Bearer {access}", "Idempotency-Key": "abc"},
    )
    client.get("/store/inventory", headers={"api_key": "test-key", "Cookie": "session=s3"})

    token_call, add, inventory = server.requests()
    assert (token_call.path, token_call.body) == ("/oauth/token", None)  # the form is not kept
    assert (add.method, add.path, add.status, add.body) == ("POST", "/pet", 200, new_pet())
    assert add.authorization and not add.api_key
    assert add.headers["idempotency-key"] == "abc" and "authorization" not in add.headers
    assert inventory.api_key and not inventory.authorization
    assert "api_key" not in inventory.headers and "cookie" not in inventory.headers

    everything = repr(server.requests()) + repr(server)
    for secret in (access, "test-key", "test-secret", "s3"):
        assert secret not in everything

    assert [r.path for r in server.requests("/pet", method="post")] == ["/pet"]
    assert server.requests("/api/v3/store") == [inventory]
    server.clear_requests()
    assert server.requests() == []


def test_database_file_holds_no_usable_token(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    with PetstoreServer(db) as server:
        access = token(server)
        assert (
            httpx.get(
                f"{server.base_url}/pet/1", headers={"Authorization": f"Bearer {access}"}
            ).status_code
            == 200
        )
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert access.encode() not in stored and b"test-secret" not in stored


# --- fault injection --------------------------------------------------------------------------


def test_fail_next_answers_in_order_then_serves_normally(
    server: PetstoreServer, client: httpx.Client
) -> None:
    server.fail_next("/store/order", 500)
    server.fail_next("/store/order", 503, count=2)
    server.fail_next("/user", 429, retry_after=2)
    statuses = [client.get("/store/order/1").status_code for _ in range(4)]
    assert statuses == [500, 503, 503, 200]
    limited = client.get("/user/user1")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
    assert limited.json() == {"code": 429, "type": "error", "message": "Injected fault"}
    assert client.get("/user/user1").status_code == 200
    assert [r.status for r in server.requests()] == [500, 503, 503, 200, 429, 200]


def test_fail_next_by_method_and_on_the_token_endpoint(
    server: PetstoreServer, client: httpx.Client
) -> None:
    server.fail_next("/store/order", 500, method="POST")
    assert client.get("/store/order/1").status_code == 200
    assert client.post("/store/order", json={"petId": 1}).status_code == 500
    assert server.orders()[-1]["id"] == 3  # the failed request changed nothing
    server.fail_next("/oauth/token", 503, retry_after="Wed, 21 Oct 2026 07:28:00 GMT")
    failed = httpx.post(server.token_url, data={"grant_type": "client_credentials", **CLIENT})
    assert failed.headers["retry-after"] == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert server.token_requests == 1
    server.fail_next("/user", 500)
    server.clear_faults()
    assert client.get("/user/user1").status_code == 200
    with pytest.raises(ValueError, match="not an HTTP status"):
        server.fail_next("/user", 42)


def test_delays_and_client_timeouts(server: PetstoreServer, client: httpx.Client) -> None:
    server.delay_next("/user/user1", 0.2)
    started = time.perf_counter()
    assert client.get("/user/user1").status_code == 200
    assert time.perf_counter() - started >= 0.2

    server.fail_next("/user/user3", 500, delay=0.2)
    started = time.perf_counter()
    assert client.get("/user/user3").status_code == 500
    assert time.perf_counter() - started >= 0.2

    server.delay_next("/user/user2", 5.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/user/user2", timeout=0.2)
    deadline = time.monotonic() + 2
    while not server.requests("/user/user2") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.status for r in server.requests("/user/user2")] == [499]  # gave up, not served
