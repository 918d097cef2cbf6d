"""Credentials, auth per operation, the OAuth2 token cache, and secrets kept out of sight."""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import pickle
import threading
import time
from collections.abc import Mapping
from typing import ClassVar

import httpx
import pytest
from specagent_runtime import (
    AccessToken,
    ApiClient,
    ApiKey,
    ApiKeyScheme,
    Arg,
    AsyncApiClient,
    AuthError,
    BasicAuth,
    BearerToken,
    ClientCredentials,
    Credential,
    CredentialsError,
    HttpBasicScheme,
    HttpBearerScheme,
    OAuth2Scheme,
    OperationSpec,
    Secret,
    SecurityScheme,
)
from specagent_runtime._http.auth import OAuth2ClientCredentialsAuth
from specagent_runtime._secrets import MASK, redact

SCHEMES: Mapping[str, SecurityScheme] = {
    "api_key": ApiKeyScheme("api_key", "X-API-Key", "header", "PET_API_KEY"),
    "query_key": ApiKeyScheme("query_key", "key", "query", "PET_QUERY_KEY"),
    "cookie_key": ApiKeyScheme("cookie_key", "sid", "cookie", "PET_COOKIE"),
    "bearer": HttpBearerScheme("bearer", "PET_TOKEN"),
    "basic": HttpBasicScheme("basic", "PET_USER", "PET_PASSWORD"),
    "oauth": OAuth2Scheme(
        "oauth",
        "/oauth/token",
        ("read", "write"),
        "PET_CLIENT_ID",
        "PET_CLIENT_SECRET",
        "PET_ACCESS_TOKEN",
    ),
}


class Client(ApiClient):
    default_base_url = "https://api.test/v1"
    security_schemes: ClassVar[Mapping[str, SecurityScheme]] = SCHEMES


class AsyncClient(AsyncApiClient):
    default_base_url = "https://api.test/v1"
    security_schemes: ClassVar[Mapping[str, SecurityScheme]] = SCHEMES


def _op(*security: tuple[str, ...], method: str = "GET") -> OperationSpec:
    return OperationSpec(id="listPets", method=method, path="/pets", security=tuple(security))


class Recorder:
    """A MockTransport handler that records requests and serves a token endpoint."""

    def __init__(self, *, expires_in: int = 3600, api_status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.authorizations: list[str | None] = []  # as sent (a resent request is mutated)
        self.token_requests: list[httpx.Request] = []
        self.expires_in = expires_in
        self.api_status = api_status
        self.issued = 0
        self._lock = threading.Lock()

    def token(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.token_requests.append(request)
            self.issued += 1
            token = f"token-{self.issued}"
        return httpx.Response(
            200, json={"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return self.token(request)
        self.requests.append(request)
        self.authorizations.append(request.headers.get("Authorization"))
        return httpx.Response(self.api_status, json=[])


def _client(handler: Recorder, **kw: object) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    kw.setdefault("env", {})
    return Client(http_client=http, **kw)  # type: ignore[arg-type]


# --- secrets and credential values -------------------------------------------------------------


def test_secret_never_prints_its_value() -> None:
    secret = Secret("hunter2-value")
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret}"):
        assert "hunter2" not in text
    assert secret.reveal() == "hunter2-value"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)


def test_credential_reprs_are_masked() -> None:
    values = [
        ApiKey("k-secret-1"),
        BearerToken("k-secret-2"),
        BasicAuth("alice", "k-secret-3"),
        ClientCredentials("client-1", "k-secret-4", ["read"]),
        AccessToken("k-secret-5"),
    ]
    for value in values:
        assert "k-secret" not in repr(value)
        assert MASK in repr(value)
    assert (
        repr(BasicAuth("alice", "pw1234")) == "BasicAuth(username='alice', password='**********')"
    )


def test_redact_masks_longest_first() -> None:
    text = redact("a=abcdef b=abcdefgh", [Secret("abcdef"), Secret("abcdefgh")])
    assert text == f"a={MASK} b={MASK}"


# --- schemes -----------------------------------------------------------------------------------


def test_api_key_in_header_query_and_cookie() -> None:
    handler = Recorder()
    client = _client(
        handler,
        credentials={
            "api_key": ApiKey("hdr-key"),
            "query_key": ApiKey("q&key"),
            "cookie_key": ApiKey("cookie-key"),
        },
    )
    client._call(_op(("api_key", "query_key", "cookie_key")), {}, None)
    request = handler.requests[0]
    assert request.headers["X-API-Key"] == "hdr-key"
    assert request.url.params["key"] == "q&key"
    assert request.headers["Cookie"] == "sid=cookie-key"


def test_query_api_key_keeps_other_parameters_encoding() -> None:
    op = OperationSpec(
        id="search",
        method="GET",
        path="/search",
        args=(Arg("ids", "ids", "query", style="form", explode=False),),
        security=(("query_key",),),
    )
    handler = Recorder()
    _client(handler, credentials={"query_key": ApiKey("k1")})._call(op, {"ids": [1, 2]}, None)
    assert handler.requests[0].url.query == b"ids=1,2&key=k1"


def test_bearer_and_basic() -> None:
    handler = Recorder()
    client = _client(handler, credentials={"bearer": BearerToken("tok-1")})
    client._call(_op(("bearer",)), {}, None)
    assert handler.requests[-1].headers["Authorization"] == "Bearer tok-1"
    client = _client(handler, credentials={"basic": BasicAuth("alice", "pw")})
    client._call(_op(("basic",)), {}, None)
    expected = "Basic " + base64.b64encode(b"alice:pw").decode()
    assert handler.requests[-1].headers["Authorization"] == expected


def test_credentials_from_env_and_code_overrides_env() -> None:
    handler = Recorder()
    env = {"PET_API_KEY": "from-env"}
    _client(handler, env=env)._call(_op(("api_key",)), {}, None)
    assert handler.requests[-1].headers["X-API-Key"] == "from-env"
    _client(handler, env=env, credentials={"api_key": ApiKey("from-code")})._call(
        _op(("api_key",)), {}, None
    )
    assert handler.requests[-1].headers["X-API-Key"] == "from-code"


def test_env_is_read_lazily() -> None:
    handler = Recorder()
    env: dict[str, str] = {}
    client = _client(handler, env=env)
    with pytest.raises(CredentialsError):
        client._call(_op(("bearer",)), {}, None)
    env["PET_TOKEN"] = "late-token"
    client._call(_op(("bearer",)), {}, None)
    assert handler.requests[-1].headers["Authorization"] == "Bearer late-token"


def test_os_environ_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PET_TOKEN", "os-token")
    handler = Recorder()
    client = Client(http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    client._call(_op(("bearer",)), {}, None)
    assert handler.requests[-1].headers["Authorization"] == "Bearer os-token"


def test_first_satisfiable_alternative_is_used() -> None:
    handler = Recorder()
    client = _client(handler, env={"PET_TOKEN": "t"})
    client._call(_op(("api_key",), ("bearer",)), {}, None)
    assert handler.requests[-1].headers["Authorization"] == "Bearer t"
    assert "X-API-Key" not in handler.requests[-1].headers


def test_no_security_sends_no_auth_even_with_credentials() -> None:
    handler = Recorder()
    client = _client(handler, credentials={"bearer": BearerToken("t")})
    client._call(_op(), {}, None)
    assert "Authorization" not in handler.requests[-1].headers


def test_optional_auth_group() -> None:
    handler = Recorder()
    _client(handler)._call(_op(("bearer",), ()), {}, None)
    assert "Authorization" not in handler.requests[-1].headers
    _client(handler, env={"PET_TOKEN": "t"})._call(_op(("bearer",), ()), {}, None)
    assert handler.requests[-1].headers["Authorization"] == "Bearer t"


def test_missing_credentials_name_the_env_vars_not_values() -> None:
    handler = Recorder()
    client = _client(handler, env={"PET_USER": "alice-user-value"})
    with pytest.raises(CredentialsError) as info:
        client._call(_op(("api_key",), ("basic",), ("oauth",)), {}, None)
    message = str(info.value)
    assert "set PET_API_KEY or set PET_USER and PET_PASSWORD or set PET_ACCESS_TOKEN" in message
    assert "PET_CLIENT_ID and PET_CLIENT_SECRET" in message
    assert "alice-user-value" not in message
    assert handler.requests == []


def test_unknown_scheme_or_wrong_credential_type_is_refused_at_construction() -> None:
    with pytest.raises(CredentialsError, match=r"no security scheme of that name"):
        _client(Recorder(), credentials={"apikey": ApiKey("x")})
    with pytest.raises(CredentialsError, match=r"BearerToken does not fit the apiKey"):
        _client(Recorder(), credentials={"api_key": BearerToken("x")})


def test_access_token_for_oauth2_scheme() -> None:
    handler = Recorder()
    _client(handler, credentials={"oauth": AccessToken("ready")})._call(_op(("oauth",)), {}, None)
    assert handler.requests[-1].headers["Authorization"] == "Bearer ready"
    assert handler.token_requests == []


# --- OAuth2 client credentials -----------------------------------------------------------------


def test_client_credentials_token_is_fetched_once_and_cached() -> None:
    handler = Recorder()
    client = _client(handler, credentials={"oauth": ClientCredentials("cid", "csecret")})
    for _ in range(3):
        client._call(_op(("oauth",)), {}, None)
    assert len(handler.token_requests) == 1
    token_request = handler.token_requests[0]
    assert str(token_request.url) == "https://api.test/oauth/token"
    assert token_request.content == b"grant_type=client_credentials&scope=read+write"
    expected = "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert token_request.headers["Authorization"] == expected
    assert [r.headers["Authorization"] for r in handler.requests] == ["Bearer token-1"] * 3


def test_client_credentials_from_env_with_scopes_from_code() -> None:
    handler = Recorder()
    env = {"PET_CLIENT_ID": "cid", "PET_CLIENT_SECRET": "cs"}
    _client(handler, env=env)._call(_op(("oauth",)), {}, None)
    assert handler.token_requests[0].content.endswith(b"scope=read+write")
    handler = Recorder()
    creds = {"oauth": ClientCredentials("cid", "cs", scopes=["admin"])}
    _client(handler, credentials=creds)._call(_op(("oauth",)), {}, None)
    assert handler.token_requests[0].content.endswith(b"scope=admin")


def test_token_is_refreshed_thirty_seconds_before_expiry() -> None:
    now = [1000.0]
    auth = OAuth2ClientCredentialsAuth(
        "https://api.test/oauth/token", "cid", Secret("cs"), clock=lambda: now[0]
    )
    handler = Recorder(expires_in=100)
    http = httpx.Client(transport=httpx.MockTransport(handler), auth=auth)
    http.get("https://api.test/v1/pets")
    now[0] += 69
    http.get("https://api.test/v1/pets")
    assert len(handler.token_requests) == 1
    now[0] += 2  # 71 s after issue: within 30 s of expiry
    http.get("https://api.test/v1/pets")
    assert len(handler.token_requests) == 2
    assert handler.requests[-1].headers["Authorization"] == "Bearer token-2"


def test_a_401_to_a_cached_token_refetches_once() -> None:
    handler = Recorder()
    auth = OAuth2ClientCredentialsAuth("https://api.test/oauth/token", "cid", Secret("cs"))
    http = httpx.Client(transport=httpx.MockTransport(handler), auth=auth)
    http.get("https://api.test/v1/pets")
    handler.api_status = 401
    response = http.get("https://api.test/v1/pets")
    assert response.status_code == 401
    assert len(handler.token_requests) == 2  # one refetch, not a loop
    assert handler.authorizations == [
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_token_endpoint_failure_is_an_auth_error_without_secrets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"error": "invalid_client", "error_description": "bad secret csecret99"}
        )

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = Client(http_client=http, credentials={"oauth": ClientCredentials("cid", "csecret99")})
    with pytest.raises(AuthError) as info:
        client._call(_op(("oauth",)), {}, None)
    error = info.value
    assert error.operation_id == "listPets"
    assert "invalid_client" in str(error)
    for text in (str(error), repr(error), error.model_message()):
        assert "csecret99" not in text


def test_token_response_without_access_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"token_type": "bearer"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = Client(http_client=http, credentials={"oauth": ClientCredentials("c", "s")})
    with pytest.raises(AuthError, match="no access_token"):
        client._call(_op(("oauth",)), {}, None)


async def test_twenty_concurrent_async_calls_fetch_one_token() -> None:
    token_requests = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal token_requests
        if request.url.path == "/oauth/token":
            token_requests += 1
            await asyncio.sleep(0.01)  # let the other calls pile up on the lock
            return httpx.Response(200, json={"access_token": "shared", "expires_in": 3600})
        assert request.headers["Authorization"] == "Bearer shared"
        return httpx.Response(200, json=[])

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncClient(http_client=http, credentials={"oauth": ClientCredentials("c", "s")})
    results = await asyncio.gather(*(client._call(_op(("oauth",)), {}, list) for _ in range(20)))
    assert results == [[]] * 20
    assert token_requests == 1
    await http.aclose()


def test_twenty_concurrent_threads_fetch_one_token() -> None:
    token_requests = 0
    entered = threading.Barrier(20)

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal token_requests
        if request.url.path == "/oauth/token":
            token_requests += 1
            time.sleep(0.05)  # let the other threads reach the lock
            return httpx.Response(200, json={"access_token": "shared", "expires_in": 3600})
        return httpx.Response(200, json=[])

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = Client(http_client=http, credentials={"oauth": ClientCredentials("c", "s")})
    errors: list[BaseException] = []

    def call() -> None:
        try:
            entered.wait()
            client._call(_op(("oauth",)), {}, None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert token_requests == 1


# --- secrets out of logs, messages and reprs ---------------------------------------------------


def test_secrets_stay_out_of_logs_errors_and_reprs(caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-test-abcdef123456"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"message": f"key {secret} revoked"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = Client(
        http_client=http,
        credentials={"query_key": ApiKey(secret), "bearer": BearerToken(secret)},
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as info:
        client._call(_op(("query_key", "bearer")), {}, None)
    error = info.value
    texts = [str(error), repr(error), error.model_message(), error.body_excerpt, repr(client)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("httpx" == record.name for record in caplog.records)
    for text in texts:
        assert secret not in text


def test_a_callers_http_client_auth_is_used_when_no_scheme_is_satisfied() -> None:
    handler = Recorder()
    http = httpx.Client(transport=httpx.MockTransport(handler), auth=("user", "pw"))
    Client(http_client=http, env={})._call(_op(("bearer",)), {}, None)
    expected = "Basic " + base64.b64encode(b"user:pw").decode()
    assert handler.authorizations == [expected]


def test_token_request_has_a_timeout_and_secrets_deepcopy_without_pickling() -> None:
    handler = Recorder()
    client = _client(handler, credentials={"oauth": ClientCredentials("cid", "cs")})
    client._call(_op(("oauth",)), {}, None)
    assert handler.token_requests[0].extensions["timeout"]["connect"] == 5.0
    credentials = ClientCredentials("cid", "cs")
    assert copy.deepcopy(credentials) == credentials


def test_and_group_applies_every_scheme_including_a_token_flow() -> None:
    handler = Recorder()
    creds = {"api_key": ApiKey("k1"), "oauth": ClientCredentials("c", "s")}
    _client(handler, credentials=creds)._call(_op(("api_key", "oauth")), {}, None)
    assert handler.requests[0].headers["X-API-Key"] == "k1"
    assert handler.authorizations == ["Bearer token-1"]


async def test_async_and_group_and_401_refetch() -> None:
    handler = Recorder()
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    creds: dict[str, Credential] = {
        "cookie_key": ApiKey("c1"),
        "oauth": ClientCredentials("c", "s"),
    }
    client = AsyncClient(http_client=http, credentials=creds, env={})
    await client._call(_op(("cookie_key", "oauth")), {}, None)
    handler.api_status = 401
    with pytest.raises(AuthError):
        await client._call(_op(("cookie_key", "oauth")), {}, None)
    assert handler.authorizations == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    assert handler.requests[0].headers["Cookie"] == "sid=c1"
    await http.aclose()
