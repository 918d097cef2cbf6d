"""The sync ApiClient, over MockTransport and over a real socket on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from pydantic import BaseModel
from specagent_runtime import (
    ApiClient,
    ApiConnectionError,
    ApiKey,
    ApiKeyScheme,
    ApiTimeoutError,
    Arg,
    AsyncApiClient,
    ClientCredentials,
    ConflictError,
    OAuth2Scheme,
    OperationSpec,
    RetryPolicy,
    SecurityScheme,
)

GET_FILE = OperationSpec(
    id="getFile",
    method="GET",
    path="/files/{name}",
    args=(Arg("name", "name", "path"), Arg("tags", "tags", "query", explode=True)),
    security=(("api_key",),),
)
CREATE = OperationSpec(
    id="createThing",
    method="POST",
    path="/things",
    args=(Arg("body", "", "body"),),
    body_media_type="application/json",
    body_required=True,
    responses=(("409", "A thing with that name exists"),),
)


class Thing(BaseModel):
    name: str


SCHEMES: Mapping[str, SecurityScheme] = {
    "api_key": ApiKeyScheme("api_key", "X-Key", "header", "FILES_KEY"),
    "oauth": OAuth2Scheme("oauth", "/oauth/token", (), "FILES_ID", "FILES_SECRET", "FILES_TOKEN"),
}


class Files(ApiClient):
    default_base_url = "https://files.test"
    security_schemes = SCHEMES


class AsyncFiles(AsyncApiClient):
    security_schemes = SCHEMES


class _Handler(BaseHTTPRequestHandler):
    """Echoes what it received; `/slow` answers late."""

    def do_GET(self) -> None:
        if self.path.endswith("/slow"):
            time.sleep(0.5)
        auth = self.headers.get("Authorization")
        self._reply({"path": self.path, "key": self.headers.get("X-Key"), "auth": auth})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        if self.path == "/oauth/token":
            form = self.rfile.read(length)
            assert form == b"grant_type=client_credentials"
            self._reply({"access_token": "real-token", "expires_in": 600})
            return
        body = json.loads(self.rfile.read(length))
        self._reply({"name": body["name"], "ctype": self.headers.get("Content-Type")})

    def _reply(self, data: object) -> None:
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the timeout test hangs up on purpose; no traceback on stderr


@pytest.fixture
def server() -> Iterator[str]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _no_wait_policy(delays: list[float], max_retries: int = 2) -> RetryPolicy:
    return RetryPolicy(max_retries=max_retries, sleep=delays.append, random=lambda: 0.0)


def test_real_request_path_stays_one_segment(server: str) -> None:
    with Files(server, credentials={"api_key": ApiKey("k-1")}) as client:
        echoed = client._call(GET_FILE, {"name": "../etc/passwd", "tags": ["a", "b c"]}, dict)
    assert echoed == {
        "path": "/files/..%2Fetc%2Fpasswd?tags=a&tags=b%20c",
        "key": "k-1",
        "auth": None,
    }


GET_OAUTH = OperationSpec(
    id="getOauth",
    method="GET",
    path="/files/{name}",
    args=(Arg("name", "name", "path"),),
    security=(("oauth",),),
)


def test_real_client_credentials_flow_sync(server: str) -> None:
    creds = {"oauth": ClientCredentials("cid", "cs")}
    with Files(server, credentials=creds) as client:
        first = client._call(GET_OAUTH, {"name": "a"}, dict)
        second = client._call(GET_OAUTH, {"name": "b"}, dict)
    assert first["auth"] == second["auth"] == "Bearer real-token"


async def test_real_client_credentials_flow_async(server: str) -> None:
    async with AsyncFiles(server, credentials={"oauth": ClientCredentials("cid", "cs")}) as client:
        echoed = await client._call(GET_OAUTH, {"name": "a"}, dict)
    assert echoed["auth"] == "Bearer real-token"


def test_real_json_post(server: str) -> None:
    with Files(server) as client:
        result = client._call(CREATE, {"body": Thing(name="lamp")}, dict)
    assert result == {"name": "lamp", "ctype": "application/json"}


def test_real_read_timeout(server: str) -> None:
    with Files(server, timeout=0.1, max_retries=0, env={"FILES_KEY": "k"}) as client:
        with pytest.raises(ApiTimeoutError) as info:
            client._call(GET_FILE, {"name": "slow"}, dict)
    assert info.value.operation_id == "getFile"


def test_refused_connection_is_retried_then_typed() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delays: list[float] = []
    client = Files(f"http://127.0.0.1:{port}", retry_policy=_no_wait_policy(delays), env={})
    with pytest.raises(ApiConnectionError) as info:
        client._call(CREATE, {"body": {"name": "x"}}, dict)
    client.close()
    assert delays == [0.5, 1.0]
    assert "could not be reached" in info.value.model_message()


def test_sync_retries_then_typed_error() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(409, json={"detail": "exists"})

    delays: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = Files(http_client=http, retry_policy=_no_wait_policy(delays))
    with pytest.raises(ConflictError) as info:
        client._call(CREATE, {"body": {"name": "x"}}, Thing)
    assert len(calls) == 1
    assert delays == []
    assert "A thing with that name exists" in info.value.model_message()
    assert 'Its message: "exists"' in info.value.model_message()
    client.close()
    assert not http.is_closed


def test_sync_retry_uses_injected_sleep() -> None:
    responses = [httpx.Response(503), httpx.Response(200, json={"name": "ok"})]

    def handler(request: httpx.Request) -> httpx.Response:
        return responses.pop(0)

    delays: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = Files(http_client=http, retry_policy=_no_wait_policy(delays), env={"FILES_KEY": "k"})
    assert client._call(GET_FILE, {"name": "a"}, Thing) == Thing(name="ok")
    assert delays == [0.5]


def test_sync_client_owns_and_closes_its_http_client() -> None:
    client = Files()
    http = client._http
    assert isinstance(http, httpx.Client)
    client.close()
    assert http.is_closed
