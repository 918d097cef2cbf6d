"""Credentials and the `httpx.Auth` implementations for the spec's security schemes.

Credentials come from code (`credentials={"api_key": ApiKey(...)}`) or from the environment
variables the generated `auth.py` names; code wins. Values are held as `Secret`s from the moment
they are read, so no repr, log line or error message can show them.
"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from specagent_runtime._errors import AuthError, CredentialsError, ResponseDecodeError
from specagent_runtime._http.body import loads
from specagent_runtime._secrets import Secret, redact
from specagent_runtime._spec import (
    ApiKeyScheme,
    HttpBasicScheme,
    HttpBearerScheme,
    OAuth2Scheme,
    OperationSpec,
    SecurityScheme,
)

# --- credential values (public) --------------------------------------------------------------


@dataclass(frozen=True, slots=True, init=False)
class ApiKey:
    """An API key, sent where the spec's apiKey scheme says (header, query or cookie)."""

    value: Secret

    def __init__(self, value: str | Secret) -> None:
        object.__setattr__(self, "value", Secret(value))


@dataclass(frozen=True, slots=True, init=False)
class BearerToken:
    """A token for an HTTP bearer scheme (also accepted by OAuth2 schemes)."""

    token: Secret

    def __init__(self, token: str | Secret) -> None:
        object.__setattr__(self, "token", Secret(token))


@dataclass(frozen=True, slots=True, init=False)
class BasicAuth:
    """Username and password for an HTTP basic scheme."""

    username: str
    password: Secret

    def __init__(self, username: str, password: str | Secret) -> None:
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "password", Secret(password))


@dataclass(frozen=True, slots=True, init=False)
class ClientCredentials:
    """OAuth2 client credentials; the runtime fetches and refreshes the access token."""

    client_id: str
    client_secret: Secret
    scopes: tuple[str, ...]

    def __init__(
        self, client_id: str, client_secret: str | Secret, scopes: Iterable[str] = ()
    ) -> None:
        object.__setattr__(self, "client_id", client_id)
        object.__setattr__(self, "client_secret", Secret(client_secret))
        object.__setattr__(self, "scopes", tuple(scopes))


@dataclass(frozen=True, slots=True, init=False)
class AccessToken:
    """A ready OAuth2 access token obtained by the host (authorization code, OpenID Connect)."""

    token: Secret

    def __init__(self, token: str | Secret) -> None:
        object.__setattr__(self, "token", Secret(token))


Credential = ApiKey | BearerToken | BasicAuth | ClientCredentials | AccessToken


# --- httpx.Auth implementations --------------------------------------------------------------


class _StaticAuth(httpx.Auth):
    """Auth that only adds something to the request; composable with others."""

    def apply(self, request: httpx.Request) -> None:
        raise NotImplementedError

    def secrets(self) -> tuple[Secret, ...]:
        raise NotImplementedError

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.apply(request)
        yield request

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class ApiKeyAuth(_StaticAuth):
    def __init__(self, param_name: str, location: str, key: Secret) -> None:
        self.param_name = param_name
        self.location = location
        self._key = key

    def apply(self, request: httpx.Request) -> None:
        value = self._key.reveal()
        if self.location == "query":
            # Appended to the raw query, so the other parameters keep their exact encoding.
            pair = f"{quote(self.param_name, safe='')}={quote(value, safe='')}".encode("ascii")
            query = request.url.query
            request.url = request.url.copy_with(query=query + b"&" + pair if query else pair)
        elif self.location == "cookie":
            cookie = f"{self.param_name}={value}"
            existing = request.headers.get("Cookie")
            request.headers["Cookie"] = f"{existing}; {cookie}" if existing else cookie
        else:
            request.headers[self.param_name] = value

    def secrets(self) -> tuple[Secret, ...]:
        return (self._key,)


class BearerAuth(_StaticAuth):
    def __init__(self, token: Secret) -> None:
        self._token = token

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"

    def secrets(self) -> tuple[Secret, ...]:
        return (self._token,)


class HttpBasicAuth(_StaticAuth):
    def __init__(self, username: str, password: Secret) -> None:
        self.username = username
        self._password = password

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = _basic_header(self.username, self._password)

    def secrets(self) -> tuple[Secret, ...]:
        encoded = _basic_header(self.username, self._password).removeprefix("Basic ")
        return (self._password, Secret(encoded))


def _basic_header(username: str, password: Secret) -> str:
    raw = f"{username}:{password.reveal()}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


_TOKEN_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# A token response is a small JSON object. httpx reads it whole inside its auth flow (it keeps
# it in the history), so it cannot be streamed within a cap like API responses; the token URL
# is the developer's own auth server, and only its first bytes are parsed, at bounded depth.
TOKEN_BODY_LIMIT = 64 * 1024
TOKEN_BODY_DEPTH = 16


class OAuth2ClientCredentialsAuth(httpx.Auth):
    """OAuth2 client-credentials flow with a cached token.

    The token is refreshed `refresh_margin` seconds before it expires, and again once if the
    API answers 401 to a cached token (revoked early). Only one refresh runs at a time: the
    others wait on the lock and then use the new token, so 20 concurrent calls make one token
    request. The token request goes through the same httpx client (transport, proxies, mocks).
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: Secret,
        scopes: Sequence[str] = (),
        *,
        refresh_margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        timeout: httpx.Timeout = _TOKEN_TIMEOUT,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(scopes)
        self._refresh_margin = refresh_margin
        self._clock = clock
        self._timeout = timeout
        # The token request's Basic header value: an API may echo it, and it is a credential.
        self._basic = Secret(_basic_header(client_id, client_secret).removeprefix("Basic "))
        self._token: Secret | None = None
        self._expires_at: float | None = None
        self._thread_lock = threading.Lock()
        self._async_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"<OAuth2ClientCredentialsAuth {self.token_url}>"

    def secrets(self) -> tuple[Secret, ...]:
        token = self._token
        held = (self._client_secret, self._basic)
        return held if token is None else (*held, token)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        for attempt in range(2):
            token, fresh = self._valid_token(), False
            if token is None:
                with self._thread_lock:
                    token = self._valid_token()
                    if token is None:
                        token_response = yield self._token_request()
                        token_response.read()  # httpx reads it again for the history
                        token, fresh = self._store(token_response), True
            request.headers["Authorization"] = f"Bearer {token.reveal()}"
            response = yield request
            if response.status_code != 401 or fresh or attempt:
                return
            self._invalidate(token)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        for attempt in range(2):
            token, fresh = self._valid_token(), False
            if token is None:
                async with self._async_lock:
                    token = self._valid_token()
                    if token is None:
                        token_response = yield self._token_request()
                        await token_response.aread()  # httpx reads it again for the history
                        token, fresh = self._store(token_response), True
            request.headers["Authorization"] = f"Bearer {token.reveal()}"
            response = yield request
            if response.status_code != 401 or fresh or attempt:
                return
            self._invalidate(token)

    def _valid_token(self) -> Secret | None:
        if self._token is None:
            return None
        if self._expires_at is not None and self._clock() >= self._expires_at:
            return None
        return self._token

    def _invalidate(self, token: Secret) -> None:
        if self._token == token:
            self._token = None

    def _token_request(self) -> httpx.Request:
        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        return httpx.Request(
            "POST",
            self.token_url,
            data=form,
            headers={
                "Authorization": _basic_header(self.client_id, self._client_secret),
                "Accept": "application/json",
            },
            # Built outside a client, so it needs its own timeout (else it could wait forever).
            extensions={"timeout": self._timeout.as_dict()},
        )

    def _store(self, response: httpx.Response) -> Secret:
        where = f"OAuth2 token request to {self.token_url}"
        body = response.content[:TOKEN_BODY_LIMIT]
        if not response.is_success:
            message = f"{where} failed with HTTP {response.status_code}"
            code = _oauth_error(body)
            if code:
                message += f" ({code})"
            raise AuthError(
                redact(message, self.secrets()), status=response.status_code, api_message=code
            )
        try:
            data = loads(body, TOKEN_BODY_DEPTH)
            token = data["access_token"]
            if not isinstance(token, str) or not token:
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise AuthError(
                f"{where}: the response has no access_token", status=response.status_code
            ) from None
        self._token = Secret(token)
        expires_in = data.get("expires_in")
        try:
            lifetime = float(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            lifetime = None
        self._expires_at = (
            None if lifetime is None else self._clock() + max(0.0, lifetime - self._refresh_margin)
        )
        return self._token


def _oauth_error(body: bytes) -> str:
    """The RFC 6749 `error` code of a token error response (e.g. invalid_client)."""
    try:
        data = loads(body, TOKEN_BODY_DEPTH)
    except (ValueError, ResponseDecodeError):
        return ""
    code = data.get("error") if isinstance(data, dict) else None
    return code[:100] if isinstance(code, str) and code.replace("_", "").isalnum() else ""


class _AllOf(httpx.Auth):
    """An AND group of schemes: static parts applied, then at most one token flow."""

    def __init__(self, parts: Sequence[httpx.Auth]) -> None:
        self._static = [p for p in parts if isinstance(p, _StaticAuth)]
        flows = [p for p in parts if not isinstance(p, _StaticAuth)]
        self._flow = flows[0] if flows else None

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        for part in self._static:
            part.apply(request)
        if self._flow is None:
            yield request
        else:
            yield from self._flow.sync_auth_flow(request)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        for part in self._static:
            part.apply(request)
        if self._flow is None:
            yield request
            return
        flow = self._flow.async_auth_flow(request)
        next_request = await flow.__anext__()
        while True:
            response = yield next_request
            try:
                next_request = await flow.asend(response)
            except StopAsyncIteration:
                return


# --- choosing the auth for an operation ------------------------------------------------------


class AuthResolver:
    """Picks, per operation, the first security alternative whose credentials are available.

    Auth objects are built once per scheme and kept (the OAuth2 token cache lives in them);
    schemes still unsatisfied are looked up again on the next call, so environment variables
    set later are seen.
    """

    def __init__(
        self,
        schemes: Mapping[str, SecurityScheme],
        credentials: Mapping[str, Credential],
        env: Mapping[str, str] | None,
        token_url_base: Callable[[], str],
        refuse_host: Callable[[httpx.URL, str], str | None] | None = None,
    ) -> None:
        for name, credential in credentials.items():
            scheme = schemes.get(name)
            if scheme is None:
                known = ", ".join(sorted(schemes)) or "none"
                raise CredentialsError(
                    f"credentials[{name!r}]: no security scheme of that name (known: {known})"
                )
            if not _accepts(scheme, credential):
                raise CredentialsError(
                    f"credentials[{name!r}]: {type(credential).__name__} does not fit the "
                    f"{_kind(scheme)} scheme {name!r}"
                )
        self._schemes = schemes
        self._credentials = dict(credentials)
        self._env = env
        self._token_url_base = token_url_base
        # Why a URL may not receive credentials (another host, `_http.hosts`), or None.
        self._refuse_host = refuse_host
        self._built: dict[str, httpx.Auth] = {}
        self._lock = threading.Lock()

    def for_operation(self, op: OperationSpec) -> httpx.Auth | None:
        """The auth to send `op` with; None for no auth. Raises CredentialsError."""
        if not op.security:
            return None
        for group in op.security:
            auths = [self._scheme_auth(name) for name in group]
            if all(a is not None for a in auths):
                parts = [a for a in auths if a is not None]
                if not parts:
                    return None
                return parts[0] if len(parts) == 1 else _AllOf(parts)
        raise CredentialsError(self._missing_message(op), operation_id=op.id)

    def secrets(self) -> list[Secret]:
        """Every secret in use, to scrub from error texts."""
        found: list[Secret] = []
        for auth in self._built.values():
            secrets = getattr(auth, "secrets", None)
            if callable(secrets):
                found.extend(secrets())
        return found

    def _scheme_auth(self, name: str) -> httpx.Auth | None:
        with self._lock:
            auth = self._built.get(name)
            if auth is None:
                scheme = self._schemes.get(name)
                if scheme is None:
                    return None
                auth = self._build(scheme, self._credentials.get(name))
                if auth is not None:
                    self._built[name] = auth
            return auth

    def _build(self, scheme: SecurityScheme, credential: Credential | None) -> httpx.Auth | None:
        if credential is not None:
            return self._from_credential(scheme, credential)
        env = self._env_value
        if isinstance(scheme, ApiKeyScheme):
            key = env(scheme.env)
            return None if key is None else ApiKeyAuth(scheme.param_name, scheme.location, key)
        if isinstance(scheme, HttpBearerScheme):
            token = env(scheme.env)
            return None if token is None else BearerAuth(token)
        if isinstance(scheme, HttpBasicScheme):
            user, password = env(scheme.env_username), env(scheme.env_password)
            if user is None or password is None:
                return None
            return HttpBasicAuth(user.reveal(), password)
        token = env(scheme.env_token)
        if token is not None:
            return BearerAuth(token)
        client_id, secret = env(scheme.env_client_id), env(scheme.env_client_secret)
        if not scheme.token_url or client_id is None or secret is None:
            return None
        return self._client_credentials(scheme, client_id.reveal(), secret, scheme.scopes)

    def _from_credential(self, scheme: SecurityScheme, credential: Credential) -> httpx.Auth:
        if isinstance(credential, ApiKey) and isinstance(scheme, ApiKeyScheme):
            return ApiKeyAuth(scheme.param_name, scheme.location, credential.value)
        if isinstance(credential, BasicAuth):
            return HttpBasicAuth(credential.username, credential.password)
        if isinstance(credential, ClientCredentials) and isinstance(scheme, OAuth2Scheme):
            scopes = credential.scopes or scheme.scopes
            return self._client_credentials(
                scheme, credential.client_id, credential.client_secret, scopes
            )
        if isinstance(credential, BearerToken | AccessToken):
            return BearerAuth(credential.token)
        raise CredentialsError(f"{type(credential).__name__} does not fit scheme {scheme.name!r}")

    def _client_credentials(
        self, scheme: OAuth2Scheme, client_id: str, secret: Secret, scopes: Sequence[str]
    ) -> httpx.Auth:
        token_url = str(httpx.URL(self._token_url_base()).join(scheme.token_url))
        if self._refuse_host is not None:
            what = f"the OAuth2 token URL of security scheme {scheme.name!r}"
            refused = self._refuse_host(httpx.URL(token_url), what)
            if refused is not None:
                raise CredentialsError(refused)
        return OAuth2ClientCredentialsAuth(token_url, client_id, secret, scopes)

    def _env_value(self, name: str) -> Secret | None:
        if not name:
            return None
        env = os.environ if self._env is None else self._env
        value = env.get(name)
        return Secret(value) if value else None

    def _missing_message(self, op: OperationSpec) -> str:
        options = []
        for group in op.security:
            names = [n for name in group for n in self._env_names(name)]
            if names:
                options.append(" and ".join(names))
        hint = " or ".join(f"set {option}" for option in options) or "pass credentials"
        return f"no credentials for this operation: {hint} (or pass credentials=... to the client)"

    def _env_names(self, name: str) -> list[str]:
        scheme = self._schemes.get(name)
        if scheme is None:
            return [f"<unknown scheme {name!r}>"]
        if isinstance(scheme, ApiKeyScheme | HttpBearerScheme):
            return [scheme.env]
        if isinstance(scheme, HttpBasicScheme):
            return [scheme.env_username, scheme.env_password]
        if scheme.token_url:
            return [
                f"{scheme.env_token} (or {scheme.env_client_id} and {scheme.env_client_secret})"
            ]
        return [scheme.env_token]


def _accepts(scheme: SecurityScheme, credential: Credential) -> bool:
    if isinstance(scheme, ApiKeyScheme):
        return isinstance(credential, ApiKey)
    if isinstance(scheme, HttpBearerScheme):
        return isinstance(credential, BearerToken | AccessToken)
    if isinstance(scheme, HttpBasicScheme):
        return isinstance(credential, BasicAuth)
    if isinstance(credential, ClientCredentials):
        return bool(scheme.token_url)
    return isinstance(credential, AccessToken | BearerToken)


def _kind(scheme: SecurityScheme) -> str:
    if isinstance(scheme, ApiKeyScheme):
        return "apiKey (takes ApiKey)"
    if isinstance(scheme, HttpBearerScheme):
        return "HTTP bearer (takes BearerToken)"
    if isinstance(scheme, HttpBasicScheme):
        return "HTTP basic (takes BasicAuth)"
    if scheme.token_url:
        return "OAuth2 (takes ClientCredentials or AccessToken)"
    return "OAuth2 without token URL (takes AccessToken)"
