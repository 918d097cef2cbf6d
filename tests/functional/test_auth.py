"""Auth wiring of a generated package (`specs/auth.yaml`): each scheme kind with credentials
from the environment and from code, per-operation security, alternatives and combinations,
and secrets kept out of errors and reprs."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from specagent_runtime import (
    ApiKey,
    AuthError,
    BasicAuth,
    BearerToken,
    ClientCredentials,
    Credential,
    CredentialsError,
)

from ._harness import Mode, Recorder, Session, call, empty_reply, json_reply, snapshot

TOKEN_URL = "https://auth.example.test/oauth/token"
TOKEN_REPLY = json_reply({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600})


def _env_names(package: ModuleType) -> list[str]:
    names = []
    for scheme in package.client.SECURITY_SCHEMES.values():
        for attribute in ("env", "env_username", "env_password", "env_token"):
            names.append(getattr(scheme, attribute, ""))
        names += [getattr(scheme, "env_client_id", ""), getattr(scheme, "env_client_secret", "")]
    return [name for name in names if name]


@pytest.fixture
def clean_env(auth_api: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The package's credential variables, all unset; set them through the returned names."""
    for name in _env_names(auth_api):
        monkeypatch.delenv(name, raising=False)
    schemes = auth_api.client.SECURITY_SCHEMES
    yield {
        "header": schemes["headerKey"].env,
        "query": schemes["queryKey"].env,
        "cookie": schemes["cookieKey"].env,
        "bearer": schemes["bearer"].env,
        "user": schemes["basic"].env_username,
        "password": schemes["basic"].env_password,
        "client_id": schemes["oauth"].env_client_id,
        "client_secret": schemes["oauth"].env_client_secret,
        "oauth_token": schemes["oauth"].env_token,
    }


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_environment_variable_names_follow_the_package(
    auth_api: ModuleType, clean_env: dict[str, str]
) -> None:
    assert clean_env == {
        "header": "FN_AUTH_HEADER_KEY",
        "query": "FN_AUTH_QUERY_KEY",
        "cookie": "FN_AUTH_COOKIE_KEY",
        "bearer": "FN_AUTH_BEARER_TOKEN",
        "user": "FN_AUTH_BASIC_USERNAME",
        "password": "FN_AUTH_BASIC_PASSWORD",
        "client_id": "FN_AUTH_OAUTH_CLIENT_ID",
        "client_secret": "FN_AUTH_OAUTH_CLIENT_SECRET",
        "oauth_token": "FN_AUTH_OAUTH_TOKEN",
    }
    readme = (auth_api.__file__ or "").replace("__init__.py", "README.md")
    with open(readme, encoding="utf-8") as handle:
        text = handle.read()
    assert all(f"`{name}`" in text for name in clean_env.values())


def test_api_key_in_header_from_env(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(clean_env["header"], "hk-env")
    recorder = Recorder(empty_reply())
    call(auth_api, mode, "via_header_key", recorder=recorder)
    assert recorder.last.headers["x-api-key"] == "hk-env"
    assert "authorization" not in recorder.last.headers


def test_api_key_in_query_after_the_parameters(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(clean_env["query"], "qk env&1")
    recorder = Recorder(empty_reply())
    call(auth_api, mode, "via_query_key", page=3, recorder=recorder)
    assert recorder.last.url.query == b"page=3&api_key=qk%20env%261"


def test_api_key_in_cookie_beside_a_cookie_parameter(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str]
) -> None:
    recorder = Recorder(empty_reply())
    options = {"credentials": {"cookieKey": ApiKey("ck-1")}}
    call(auth_api, mode, "via_cookie_key", lang="en", recorder=recorder, options=options)
    assert recorder.last.headers["cookie"] == "lang=en; sid=ck-1"


@pytest.mark.parametrize("source", ["env", "code"])
def test_bearer_token(
    auth_api: ModuleType,
    mode: Mode,
    clean_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    credentials: dict[str, Credential] = {}
    if source == "env":
        monkeypatch.setenv(clean_env["bearer"], "bt-env")
    else:
        credentials["bearer"] = BearerToken("bt-env")
    recorder = Recorder(empty_reply())
    call(auth_api, mode, "via_bearer", recorder=recorder, options={"credentials": credentials})
    assert recorder.last.headers["authorization"] == "Bearer bt-env"


def test_code_credentials_win_over_the_environment(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(clean_env["bearer"], "from-env")
    recorder = Recorder(empty_reply())
    options = {"credentials": {"bearer": BearerToken("from-code")}}
    call(auth_api, mode, "via_bearer", recorder=recorder, options=options)
    assert recorder.last.headers["authorization"] == "Bearer from-code"


@pytest.mark.parametrize("source", ["env", "code"])
def test_http_basic(
    auth_api: ModuleType,
    mode: Mode,
    clean_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    credentials: dict[str, Credential] = {}
    if source == "env":
        monkeypatch.setenv(clean_env["user"], "ann")
        monkeypatch.setenv(clean_env["password"], "pä:ss")
    else:
        credentials["basic"] = BasicAuth("ann", "pä:ss")
    recorder = Recorder(empty_reply())
    call(auth_api, mode, "via_basic", recorder=recorder, options={"credentials": credentials})
    assert recorder.last.headers["authorization"] == _basic("ann", "pä:ss")


@pytest.mark.parametrize("source", ["env", "code"])
def test_oauth2_client_credentials_fetches_one_token_for_several_calls(
    auth_api: ModuleType,
    mode: Mode,
    clean_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    credentials: dict[str, Credential] = {}
    if source == "env":
        monkeypatch.setenv(clean_env["client_id"], "cid")
        monkeypatch.setenv(clean_env["client_secret"], "cs-1")
    else:
        credentials["oauth"] = ClientCredentials("cid", "cs-1")
    recorder = Recorder(json_reply({"ok": True}), routes={TOKEN_URL: TOKEN_REPLY})
    with Session(auth_api, mode, recorder, credentials=credentials) as session:
        first = session.call("via_oauth")
        second = session.call("via_oauth")
    assert first.ok is True
    assert second.ok is True
    token_requests = recorder.to(TOKEN_URL)
    assert len(token_requests) == 1
    token_request = token_requests[0]
    assert token_request.method == "POST"
    assert token_request.headers["authorization"] == _basic("cid", "cs-1")
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(token_request.content.decode())) == {
        "grant_type": "client_credentials",
        "scope": "read",
    }
    api_requests = recorder.to("https://api.example.test/v1/oauth")
    assert [r.headers["authorization"] for r in api_requests] == ["Bearer at-1", "Bearer at-1"]


def test_oauth2_ready_token_from_env_skips_the_token_endpoint(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(clean_env["oauth_token"], "ready-1")
    monkeypatch.setenv(clean_env["client_id"], "cid")
    monkeypatch.setenv(clean_env["client_secret"], "cs-1")
    recorder = Recorder(json_reply({"ok": True}), routes={TOKEN_URL: TOKEN_REPLY})
    call(auth_api, mode, "via_oauth", recorder=recorder)
    assert recorder.to(TOKEN_URL) == []
    assert recorder.last.headers["authorization"] == "Bearer ready-1"


def test_refused_token_request_is_an_auth_error_without_the_secret(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str]
) -> None:
    refused = json_reply({"error": "invalid_client", "detail": "bad secret s3cr3t-xyz"}, 401)
    recorder = Recorder(json_reply({"ok": True}), routes={TOKEN_URL: refused})
    options = {"credentials": {"oauth": ClientCredentials("cid", "s3cr3t-xyz")}}
    with pytest.raises(AuthError) as caught:
        call(auth_api, mode, "via_oauth", recorder=recorder, options=options)
    error = caught.value
    assert error.status == 401
    assert "invalid_client" in str(error)
    texts = [str(error), repr(error), error.model_message(), repr(options["credentials"])]
    assert not any("s3cr3t-xyz" in text for text in texts)
    assert recorder.to("https://api.example.test/v1/oauth") == []


def test_api_error_echoing_the_key_is_scrubbed(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str]
) -> None:
    recorder = Recorder(json_reply({"message": "key hk-leaky-123 is revoked"}, 403))
    options = {"credentials": {"headerKey": ApiKey("hk-leaky-123")}}
    with pytest.raises(AuthError) as caught:
        call(auth_api, mode, "via_header_key", recorder=recorder, options=options)
    error = caught.value
    assert recorder.last.headers["x-api-key"] == "hk-leaky-123"
    for text in (str(error), repr(error), error.model_message(), error.api_message):
        assert "hk-leaky-123" not in text
    assert "revoked" in error.body_excerpt


def test_operation_with_empty_security_sends_no_credentials(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in clean_env.values():
        monkeypatch.setenv(name, "set-" + name.lower())
    recorder = Recorder(empty_reply(), routes={TOKEN_URL: TOKEN_REPLY})
    call(auth_api, mode, "public_info", recorder=recorder)
    assert len(recorder.requests) == 1
    request = recorder.last
    assert str(request.url) == "https://api.example.test/v1/public"
    sent = {name.lower() for name in request.headers}
    assert sent.isdisjoint({"authorization", "cookie", "x-api-key"})
    assert "set-" not in str(request.url)


def test_alternatives_use_the_first_with_credentials(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str]
) -> None:
    recorder = Recorder(empty_reply())
    options = {"credentials": {"basic": BasicAuth("ann", "pw")}}
    call(auth_api, mode, "via_either", recorder=recorder, options=options)
    assert recorder.last.headers["authorization"] == _basic("ann", "pw")
    assert "x-api-key" not in recorder.last.headers
    both = {"basic": BasicAuth("ann", "pw"), "headerKey": ApiKey("hk")}
    call(auth_api, mode, "via_either", recorder=recorder, options={"credentials": both})
    assert recorder.last.headers["x-api-key"] == "hk"
    assert "authorization" not in recorder.last.headers


def test_combined_requirement_sends_both(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str]
) -> None:
    recorder = Recorder(empty_reply(), routes={TOKEN_URL: TOKEN_REPLY})
    credentials = {"headerKey": ApiKey("hk-2"), "oauth": ClientCredentials("cid", "cs")}
    call(auth_api, mode, "via_both", recorder=recorder, options={"credentials": credentials})
    request = recorder.last
    assert str(request.url) == "https://api.example.test/v1/both"
    assert request.headers["x-api-key"] == "hk-2"
    assert request.headers["authorization"] == "Bearer at-1"


def test_missing_credentials_fail_before_sending(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str]
) -> None:
    recorder = Recorder(empty_reply())
    with pytest.raises(CredentialsError) as caught:
        call(auth_api, mode, "via_either", recorder=recorder)
    assert recorder.requests == []
    message = str(caught.value)
    assert clean_env["header"] in message
    assert clean_env["user"] in message
    assert clean_env["password"] in message
    assert caught.value.model_message() == (
        "This operation is not available: the service is not configured with credentials."
    )


def test_credentials_for_an_unknown_scheme_are_refused(auth_api: ModuleType, mode: Mode) -> None:
    with pytest.raises(CredentialsError, match="no security scheme of that name"):
        call(
            auth_api,
            mode,
            "public_info",
            recorder=Recorder(),
            options={"credentials": {"apiKey": ApiKey("x")}},
        )


def test_client_repr_shows_no_secret(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str]
) -> None:
    credentials = {"bearer": BearerToken("bt-hidden-9"), "basic": BasicAuth("ann", "pw-hidden-9")}
    recorder = Recorder(empty_reply())
    with Session(auth_api, mode, recorder, credentials=credentials) as session:
        session.call("via_bearer")
        session.call("via_basic")
        shown = repr(session.client) + repr(credentials)
    assert "hidden-9" not in shown


def test_cached_oauth2_token_refused_by_the_api_is_fetched_again_once(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str]
) -> None:
    tokens = iter(["at-old", "at-new"])
    revoked: set[str] = set()

    def token(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"access_token": next(tokens), "expires_in": 3600})

    def api(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] in revoked:
            return httpx.Response(401, json={"message": "token revoked"})
        return httpx.Response(200, json={"ok": True})

    recorder = _Routed({TOKEN_URL: token}, api)
    credentials = {"oauth": ClientCredentials("cid", "cs")}
    with Session(auth_api, mode, recorder, credentials=credentials) as session:
        first = session.call("via_oauth")
        revoked.add("Bearer at-old")
        second = session.call("via_oauth")
    assert (first.ok, second.ok) == (True, True)
    sent = [(str(r.url), r.headers.get("authorization", "")) for r in recorder.requests]
    api_url = "https://api.example.test/v1/oauth"
    assert sent[1:] == [
        (api_url, "Bearer at-old"),
        (api_url, "Bearer at-old"),
        (TOKEN_URL, sent[0][1]),
        (api_url, "Bearer at-new"),
    ]
    assert sent[0][0] == TOKEN_URL


def test_fresh_oauth2_token_refused_is_an_auth_error(
    auth_api: ModuleType, mode: Mode, clean_env: dict[str, str]
) -> None:
    refused = json_reply({"message": "insufficient scope"}, 403)
    recorder = Recorder(refused, routes={TOKEN_URL: TOKEN_REPLY})
    credentials = {"oauth": ClientCredentials("cid", "cs")}
    with pytest.raises(AuthError) as caught:
        call(auth_api, mode, "via_oauth", recorder=recorder, options={"credentials": credentials})
    assert caught.value.status == 403
    assert len(recorder.to(TOKEN_URL)) == 1
    assert "at-1" not in str(caught.value)


def test_concurrent_async_calls_fetch_one_token(
    auth_api: ModuleType, clean_env: dict[str, str]
) -> None:
    recorder = Recorder(json_reply({"ok": True}), routes={TOKEN_URL: TOKEN_REPLY})
    credentials = {"oauth": ClientCredentials("cid", "cs")}
    with Session(auth_api, "async", recorder, credentials=credentials) as session:

        async def many() -> list[Any]:
            return list(await asyncio.gather(*(session.client.via_oauth() for _ in range(20))))

        results = session.run(many())
    assert [r.ok for r in results] == [True] * 20
    assert len(recorder.to(TOKEN_URL)) == 1
    assert len(recorder.to("https://api.example.test/v1/oauth")) == 20


def test_no_secret_in_any_log_line(
    auth_api: ModuleType,
    mode: Mode,
    clean_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(clean_env["query"], "qk-logged-77")
    refused = json_reply({"message": "bad key qk-logged-77"}, 401)
    recorder = Recorder(empty_reply(), refused)
    with caplog.at_level(logging.DEBUG), Session(auth_api, mode, recorder) as session:
        session.call("via_query_key", page=1)
        with pytest.raises(AuthError) as caught:
            session.call("via_query_key", page=2)
    assert recorder.requests[0].url.query == b"page=1&api_key=qk-logged-77"
    logged = [record.getMessage() for record in caplog.records]
    assert any("/query" in line for line in logged)  # the calls were logged...
    assert not any("qk-logged-77" in line for line in logged)  # ...without the key
    assert "qk-logged-77" not in str(caught.value)


class _Routed:
    """A handler answering by URL with functions, for flows whose answers depend on the request."""

    def __init__(
        self,
        routes: dict[str, Callable[[httpx.Request], httpx.Response]],
        default: Callable[[httpx.Request], httpx.Response],
    ) -> None:
        self._routes = routes
        self._default = default
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(snapshot(request))
        handler = self._routes.get(str(request.url.copy_with(query=None)), self._default)
        return handler(request)
