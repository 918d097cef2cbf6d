"""The base classes of generated API clients: send an operation, return its typed result.

`AsyncApiClient` and its sync facade `ApiClient` share everything except the sending loop:
request building is pure (`serialize`), auth comes from `auth`, retry decisions from `retry`,
the error types from `_errors`, response decoding from `decode`.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, overload

from specagent_runtime._errors import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    CredentialsError,
    RequestError,
    ResponseDecodeError,
)
from specagent_runtime._http import observe
from specagent_runtime._http.body import ACCEPT_ENCODING, ResponseLimits, read_async, read_sync
from specagent_runtime._http.logs import install_log_filters
from specagent_runtime._http.retry import IDEMPOTENCY_HEADER, RetryPolicy
from specagent_runtime._http.serialize import PreparedRequest, header_safe, prepare_request
from specagent_runtime._http.status import status_error
from specagent_runtime._lazy import lazy_module, load
from specagent_runtime._spec import IDEMPOTENT_METHODS, OperationSpec, SecurityScheme

if TYPE_CHECKING:
    import httpx

    from specagent_runtime._http import auth as auth_flows
    from specagent_runtime._http import decode, hosts
    from specagent_runtime._http.auth import AuthResolver, Credential
else:
    # Loaded on the first request (or the first credential given): a cold start builds the
    # client and the tool list, and httpx, its TLS context, pydantic and the httpx.Auth flows
    # would make that several times slower than the rest together.
    httpx = lazy_module("httpx")
    auth_flows = lazy_module("specagent_runtime._http.auth")
    decode = lazy_module("specagent_runtime._http.decode")
    hosts = lazy_module("specagent_runtime._http.hosts")

T = TypeVar("T")

logger = logging.getLogger("specagent_runtime")

USER_AGENT = "specagent-runtime/0.1"


def _load(*modules: object) -> None:
    """Run the lazy modules a request needs before it starts (whichever thread comes first)."""
    for module in modules:
        load(module)  # type: ignore[arg-type]  # a module under TYPE_CHECKING too


def default_timeout() -> httpx.Timeout:
    return httpx.Timeout(30.0, connect=5.0)


def http2_available() -> bool:
    """HTTP/2 only when the optional `h2` package is installed (httpx needs it for http2=True)."""
    return importlib.util.find_spec("h2") is not None


_IDEMPOTENCY_LOWER = IDEMPOTENCY_HEADER.lower()


@dataclass(frozen=True, slots=True)
class _Root:
    """A server URL as requests are built on it: the URL, its text without query (to which a
    path is appended), its own query, and the origin every request URL must keep."""

    base: httpx.URL
    text: str
    query: str
    origin: tuple[str, str, int | None]
    reference: Any  # httpx's parsed form of `base` (a NamedTuple), or None


# Text httpx's parser leaves as it is in a path or query: unreserved and sub-delimiter
# characters, ":", "@", "/" and whole percent-escapes.
_PLAIN = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


class _ClientCore:
    """State and pure steps shared by the async and sync clients."""

    default_base_url: ClassVar[str] = ""
    security_schemes: ClassVar[Mapping[str, SecurityScheme]] = {}
    # Hosts besides the base URL's that operation servers and token URLs may be on: the
    # agent file's `allow_hosts:`, written into the generated client (`_http.hosts`).
    allowed_hosts: ClassVar[frozenset[str]] = frozenset()

    def _setup(
        self,
        base_url: str | None,
        *,
        credentials: Mapping[str, Credential] | None,
        env: Mapping[str, str] | None,
        timeout: httpx.Timeout | float | None,
        max_retries: int,
        headers: Mapping[str, str] | None,
        idempotency_keys: bool,
        retry_policy: RetryPolicy | None,
        response_limits: ResponseLimits | None,
    ) -> None:
        # How much of a response is read (decoded size, JSON nesting): see `body`.
        self.response_limits = response_limits or ResponseLimits()
        self._base_url_text = base_url if base_url is not None else self.default_base_url
        self._base_url: httpx.URL | None = None
        self._base_url_given = base_url is not None
        self._server_urls: dict[str, httpx.URL] = {}  # OperationSpec.server -> checked URL
        self._roots: dict[str, _Root] = {}  # OperationSpec.server -> its URL, split
        # An operation's success media type -> the headers each of its calls starts from
        # (ours, the caller's, Accept): merged once, copied per call.
        self._fixed_headers: dict[str | None, dict[str, str]] = {}
        self._credentials = dict(credentials or {})
        self._env = env
        self._resolver: AuthResolver | None = None
        if self._credentials:
            self._resolver = self._auth  # credentials that fit no scheme fail here, not later
        self._timeout: httpx.Timeout | None
        if timeout is None or isinstance(timeout, httpx.Timeout):
            self._timeout = timeout
        else:
            self._timeout = httpx.Timeout(timeout)
        self._retry = retry_policy or RetryPolicy(max_retries=max_retries)
        given = {name: header_safe(name, value) for name, value in (headers or {}).items()}
        self._headers = _merge_headers({"User-Agent": USER_AGENT}, given)
        self._idempotency_keys = idempotency_keys
        self._caller_auth = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._base_url_text!r}>"

    @property
    def _auth(self) -> AuthResolver:
        resolver = self._resolver
        if resolver is None:
            _load(auth_flows)
            resolver = self._resolver = auth_flows.AuthResolver(
                self.security_schemes,
                self._credentials,
                self._env,
                lambda: self._base_url_text,
                refuse_host=self._refuse_host,
            )
        return resolver

    def _base(self) -> httpx.URL:
        if self._base_url is None:
            self._base_url = self._checked_url(self._base_url_text, "the API base URL")
        return self._base_url

    def _checked_url(self, text: str, what: str) -> httpx.URL:
        who = type(self).__name__
        if "{" in text:
            raise RequestError(
                f"{what} {text!r} has unfilled server variables: "
                f"pass base_url='https://...' to {who}(...)"
            )
        try:
            url = httpx.URL(text)
        except httpx.InvalidURL as exc:
            raise RequestError(f"{what} {text!r} is invalid: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            shown = repr(text) if text else "is not set"
            problem = " is not an http(s) URL" if url.scheme and url.host else " is relative"
            what = f"{what} {shown}" + (problem if text else "")
            raise RequestError(f"{what}: pass base_url='https://...' to {who}(...)")
        return url

    def _server(self, op: OperationSpec) -> httpx.URL:
        """Where `op` is sent: its own server when the spec gives it one (see
        `OperationSpec.server`), else the base URL."""
        server = op.server
        if not server:
            return self._base()
        absolute = "://" in server
        if absolute and self._base_url_given:
            return self._base()
        url = self._server_urls.get(server)
        if url is None:
            text = server if absolute else str(self._base().join(server))
            url = self._checked_url(text, f"the server URL of {op.id}")
            refused = self._refuse_host(url, f"the server of {op.id}")
            if refused is not None:
                raise RequestError(refused, operation_id=op.id)
            self._server_urls[server] = url
        return url

    def _refuse_host(self, url: httpx.URL, what: str) -> str | None:
        """Why `url` may not receive this client's requests and credentials, or None."""
        base = self._base()
        if hosts.may_receive(url, base, hosts.normalised_hosts(self.allowed_hosts)):
            return None
        return hosts.refusal(what, url, base)

    def _root(self, op: OperationSpec) -> _Root:
        """The server URL of `op`, split once per server (not per call) into the text the
        path is appended to and its own query."""
        root = self._roots.get(op.server)
        if root is None:
            base = self._server(op)
            text = str(base.copy_with(query=None, fragment=None)).rstrip("/")
            reference = getattr(base, "_uri_reference", None)
            if not (isinstance(reference, tuple) and hasattr(reference, "_replace")):
                reference = None  # another httpx: every URL is parsed
            origin = (base.scheme, base.host, base.port)
            root = _Root(base, text, base.query.decode("ascii"), origin, reference)
            self._roots[op.server] = root
        return root

    def _url(self, op: OperationSpec, prepared: PreparedRequest) -> httpx.URL:
        root = self._root(op)
        query = prepared.query
        if root.query:
            query = root.query + "&" + query if query else root.query
        if (
            root.reference is not None
            and _PLAIN.fullmatch(prepared.path)
            and "/." not in prepared.path
            and (not query or _PLAIN.fullmatch(query))
        ):
            # Already percent-encoded, no dot segment: parsing the text would give back the
            # same parts, so the base URL's parsed parts are reused with this path and query
            # (its scheme, host and port, so the request cannot leave the API host).
            path = root.reference.path.rstrip("/") + prepared.path
            url = httpx.URL.__new__(httpx.URL)
            url._uri_reference = root.reference._replace(
                path=path, query=query or None, fragment=None
            )
            return url
        url = httpx.URL(root.text + prepared.path + ("?" + query if query else ""))
        # Values are percent-encoded, so this cannot fail; it guards the encoding itself.
        if (url.scheme, url.host, url.port) != root.origin:
            raise RequestError(f"the request URL left the API host {root.base.host!r}")
        return url

    def _request_headers(
        self, op: OperationSpec, prepared: PreparedRequest, idempotency_key: str | None
    ) -> dict[str, str]:
        fixed = self._fixed_headers.get(op.success_media_type)
        if fixed is None:
            accept = {
                "Accept": op.success_media_type or "application/json",
                # Only what `body` inflates within the size cap (never brotli or zstd).
                "Accept-Encoding": ACCEPT_ENCODING,
            }
            fixed = _merge_headers(self._headers, accept)
            self._fixed_headers[op.success_media_type] = fixed
        if prepared.headers:
            headers = _merge_headers(fixed, prepared.headers)
        else:
            headers = dict(fixed)
        if idempotency_key is not None:
            key = {IDEMPOTENCY_HEADER: header_safe(IDEMPOTENCY_HEADER, idempotency_key)}
            headers = _merge_headers(headers, key)
        elif not any(name.lower() == _IDEMPOTENCY_LOWER for name in headers) and (
            # The API declares the header (the generator drops it from the arguments), or the
            # caller asked for keys on every unsafe request.
            op.idempotency_key
            or (self._idempotency_keys and prepared.method not in IDEMPOTENT_METHODS)
        ):
            # One key for all the retries of this call: the server can deduplicate them.
            headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())
        return headers

    def _retry_headers(self, op: OperationSpec, headers: dict[str, str]) -> dict[str, str]:
        """The headers the retry decision may trust. An `Idempotency-Key` only makes an unsafe
        retry safe when the server deduplicates on it: the API declares the header, or the
        host said it honours keys (`idempotency_keys=True`). A key sent anyway (the task
        engine's, for its own records) must not make a POST be sent twice."""
        if op.idempotency_key or self._idempotency_keys:
            return headers
        return {k: v for k, v in headers.items() if k.lower() != _IDEMPOTENCY_LOWER}

    def _prepare(
        self, op: OperationSpec, args: Mapping[str, object], idempotency_key: str | None
    ) -> tuple[PreparedRequest, httpx.URL, dict[str, str], httpx.Auth | None]:
        try:
            prepared = prepare_request(op, args)
            url = self._url(op, prepared)
            headers = self._request_headers(op, prepared, idempotency_key)
            auth = self._operation_auth(op)
        except ApiError as exc:
            exc.operation_id = exc.operation_id or op.id
            raise
        return prepared, url, headers, auth

    def _operation_auth(self, op: OperationSpec) -> httpx.Auth | None:
        try:
            return self._auth.for_operation(op)
        except CredentialsError:
            # The caller's own http_client carries auth: trust it to authenticate.
            if self._caller_auth:
                return None
            raise

    def _build_kwargs(
        self, prepared: PreparedRequest, headers: Mapping[str, str]
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"headers": headers}
        if prepared.files is not None:
            kwargs["files"] = prepared.files
        elif prepared.content is not None:
            kwargs["content"] = prepared.content
        if self._timeout is not None:
            kwargs["timeout"] = self._timeout
        return kwargs

    def _transport_error(
        self, op: OperationSpec, prepared: PreparedRequest, exc: httpx.HTTPError
    ) -> ApiError:
        error: ApiError
        if isinstance(exc, httpx.TimeoutException):
            error = ApiTimeoutError(f"timed out ({type(exc).__name__})")
        elif isinstance(exc, httpx.DecodingError):
            error = ResponseDecodeError("the response body could not be decoded")
        elif isinstance(exc, httpx.TransportError):
            error = ApiConnectionError(f"connection failed ({type(exc).__name__})")
        else:
            error = RequestError(f"the request could not be sent ({type(exc).__name__})")
        if isinstance(error, ApiConnectionError):
            never_sent = isinstance(
                exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
            )
            error.outcome_unknown = not never_sent and prepared.method not in IDEMPOTENT_METHODS
        return self._fill(error, op, prepared)

    def _fill(self, exc: ApiError, op: OperationSpec, prepared: PreparedRequest) -> ApiError:
        exc.operation_id = exc.operation_id or op.id
        exc.method = exc.method or prepared.method
        exc.path = exc.path or prepared.path
        return exc

    def _finish(
        self,
        op: OperationSpec,
        prepared: PreparedRequest,
        response: httpx.Response,
        body: bytes,
        response_type: Any,
    ) -> Any:
        content_type = response.headers.get("content-type", "")
        if not response.is_success:
            raise status_error(
                status=response.status_code,
                operation_id=op.id,
                method=prepared.method,
                path=prepared.path,
                responses=op.responses,
                body=body,
                content_type=content_type,
                secrets=self._auth.secrets(),
                retry_after=self._retry.retry_after(response),
            )
        try:
            return decode.decode_success(
                op.id,
                response.status_code,
                content_type,
                body,
                response_type,
                max_depth=self.response_limits.max_depth,
            )
        except ApiError as exc:
            raise self._fill(exc, op, prepared) from None

    async def _read_async(self, response: httpx.Response) -> bytes:
        limit = self.response_limits.max_bytes if response.is_success else None
        return await read_async(response, limit)

    def _read_sync(self, response: httpx.Response) -> bytes:
        limit = self.response_limits.max_bytes if response.is_success else None
        return read_sync(response, limit)

    def _log(self, op: OperationSpec, status: int | str, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            millis = (time.perf_counter() - started) * 1000.0
            logger.debug("%s %s -> %s in %.1f ms (%s)", op.method, op.path, status, millis, op.id)

    def _log_retry(self, op: OperationSpec, reason: str, delay: float, attempt: int) -> None:
        logger.info(
            "retrying %s %s (%s) in %.2f s after %s, retry %d of %d",
            op.method,
            op.path,
            op.id,
            delay,
            reason,
            attempt + 1,
            self._retry.max_retries,
        )


class AsyncApiClient(_ClientCore):
    """Base of generated async clients: one `httpx.AsyncClient`, auth, retries, typed errors.

    Pass `http_client` to share a pool or add transports; the client then belongs to the caller
    and is not closed here. Credentials given in code override environment variables.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        credentials: Mapping[str, Credential] | None = None,
        env: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int = 2,
        headers: Mapping[str, str] | None = None,
        idempotency_keys: bool = False,
        retry_policy: RetryPolicy | None = None,
        response_limits: ResponseLimits | None = None,
    ) -> None:
        self._setup(
            base_url,
            credentials=credentials,
            env=env,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            idempotency_keys=idempotency_keys,
            retry_policy=retry_policy,
            response_limits=response_limits,
        )
        self._owns_http = http_client is None
        self._caller_auth = http_client is not None and http_client.auth is not None
        self._http_client = http_client

    @property
    def _http(self) -> httpx.AsyncClient:
        """The caller's client, or ours, made on the first request (its TLS context alone
        takes longer to build than a cold start may)."""
        if self._http_client is None:
            self._http_client = httpx.AsyncClient(
                timeout=self._timeout or default_timeout(),
                http2=http2_available(),
                follow_redirects=False,
            )
        return self._http_client

    @overload
    async def _call(
        self,
        op: OperationSpec,
        args: Mapping[str, object],
        response_type: type[T],
        *,
        idempotency_key: str | None = None,
    ) -> T: ...

    @overload
    async def _call(
        self,
        op: OperationSpec,
        args: Mapping[str, object],
        response_type: None,
        *,
        idempotency_key: str | None = None,
    ) -> None: ...

    async def _call(
        self,
        op: OperationSpec,
        args: Mapping[str, object],
        response_type: type[T] | None,
        *,
        idempotency_key: str | None = None,
    ) -> T | None:
        """Send `op` with `args`; return the parsed 2xx body or raise an `ApiError`."""
        _load(httpx, auth_flows, decode)
        scope = observe.current()  # a confirmed action's key, and its record of what was sent
        if idempotency_key is None and scope is not None:
            idempotency_key = scope.idempotency_key
        prepared, url, headers, auth = self._prepare(op, args, idempotency_key)
        if scope is None:
            return await self._send(
                op, prepared, url, headers, auth=auth, response_type=response_type
            )
        try:
            result = await self._send(
                op, prepared, url, headers, auth=auth, response_type=response_type
            )
        except ApiError as exc:
            status = getattr(exc, "status", None)
            unknown = bool(getattr(exc, "outcome_unknown", False))
            sent = observe.Sent(op.id, prepared.method, url.path, status, type(exc).__name__)
            scope.sent.append(replace(sent, outcome_unknown=unknown))
            raise
        scope.sent.append(observe.Sent(op.id, prepared.method, url.path, 200))
        return result

    async def _send(
        self,
        op: OperationSpec,
        prepared: PreparedRequest,
        url: httpx.URL,
        headers: dict[str, str],
        *,
        auth: Any,
        response_type: type[T] | None,
    ) -> T | None:
        kwargs = self._build_kwargs(prepared, headers)
        retry_headers = self._retry_headers(op, headers)
        attempt = 0
        http = self._http
        while True:
            request = http.build_request(prepared.method, url, **kwargs)
            started = time.perf_counter()
            try:
                response = await http.send(
                    request,
                    auth=auth or httpx.USE_CLIENT_DEFAULT,
                    follow_redirects=False,
                    stream=True,  # read below within the size cap
                )
                try:
                    delay = self._retry.delay_after_response(
                        attempt, prepared.method, retry_headers, response
                    )
                    body = b"" if delay is not None else await self._read_async(response)
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                self._log(op, type(exc).__name__, started)
                delay = self._retry.delay_after_error(attempt, prepared.method, retry_headers, exc)
                if delay is None:
                    raise self._transport_error(op, prepared, exc) from exc
                self._log_retry(op, type(exc).__name__, delay, attempt)
            except httpx.HTTPError as exc:
                raise self._transport_error(op, prepared, exc) from exc
            except ApiError as exc:
                raise self._fill(exc, op, prepared) from None
            else:
                self._log(op, response.status_code, started)
                if delay is None:
                    result: T | None = self._finish(op, prepared, response, body, response_type)
                    return result
                self._log_retry(op, f"HTTP {response.status_code}", delay, attempt)
            await self._retry.async_sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        if self._owns_http and self._http_client is not None:
            await self._http_client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class ApiClient(_ClientCore):
    """Base of generated sync clients: the same behaviour as `AsyncApiClient` over httpx.Client."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        credentials: Mapping[str, Credential] | None = None,
        env: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int = 2,
        headers: Mapping[str, str] | None = None,
        idempotency_keys: bool = False,
        retry_policy: RetryPolicy | None = None,
        response_limits: ResponseLimits | None = None,
    ) -> None:
        self._setup(
            base_url,
            credentials=credentials,
            env=env,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            idempotency_keys=idempotency_keys,
            retry_policy=retry_policy,
            response_limits=response_limits,
        )
        self._owns_http = http_client is None
        self._caller_auth = http_client is not None and http_client.auth is not None
        self._http_client = http_client
        self._http_lock = threading.Lock()  # sync clients are shared between threads

    @property
    def _http(self) -> httpx.Client:
        """The caller's client, or ours, made on the first request."""
        if self._http_client is None:
            with self._http_lock:
                if self._http_client is None:
                    self._http_client = httpx.Client(
                        timeout=self._timeout or default_timeout(),
                        http2=http2_available(),
                        follow_redirects=False,
                    )
        return self._http_client

    @overload
    def _call(
        self,
        op: OperationSpec,
        args: Mapping[str, object],
        response_type: type[T],
        *,
        idempotency_key: str | None = None,
    ) -> T: ...

    @overload
    def _call(
        self,
        op: OperationSpec,
        args: Mapping[str, object],
        response_type: None,
        *,
        idempotency_key: str | None = None,
    ) -> None: ...

    def _call(
        self,
        op: OperationSpec,
        args: Mapping[str, object],
        response_type: type[T] | None,
        *,
        idempotency_key: str | None = None,
    ) -> T | None:
        """Send `op` with `args`; return the parsed 2xx body or raise an `ApiError`."""
        _load(httpx, auth_flows, decode)
        prepared, url, headers, auth = self._prepare(op, args, idempotency_key)
        kwargs = self._build_kwargs(prepared, headers)
        retry_headers = self._retry_headers(op, headers)
        attempt = 0
        http = self._http
        while True:
            request = http.build_request(prepared.method, url, **kwargs)
            started = time.perf_counter()
            try:
                response = http.send(
                    request,
                    auth=auth or httpx.USE_CLIENT_DEFAULT,
                    follow_redirects=False,
                    stream=True,  # read below within the size cap
                )
                try:
                    delay = self._retry.delay_after_response(
                        attempt, prepared.method, retry_headers, response
                    )
                    body = b"" if delay is not None else self._read_sync(response)
                finally:
                    response.close()
            except httpx.TransportError as exc:
                self._log(op, type(exc).__name__, started)
                delay = self._retry.delay_after_error(attempt, prepared.method, retry_headers, exc)
                if delay is None:
                    raise self._transport_error(op, prepared, exc) from exc
                self._log_retry(op, type(exc).__name__, delay, attempt)
            except httpx.HTTPError as exc:
                raise self._transport_error(op, prepared, exc) from exc
            except ApiError as exc:
                raise self._fill(exc, op, prepared) from None
            else:
                self._log(op, response.status_code, started)
                if delay is None:
                    result: T | None = self._finish(op, prepared, response, body, response_type)
                    return result
                self._log_retry(op, f"HTTP {response.status_code}", delay, attempt)
            self._retry.sleep(delay)
            attempt += 1

    def close(self) -> None:
        if self._owns_http and self._http_client is not None:
            self._http_client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _merge_headers(*layers: Mapping[str, str]) -> dict[str, str]:
    """Later layers win, whatever the case of the names (HTTP header names are case-blind)."""
    merged: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            for existing in [k for k in merged if k.lower() == name.lower()]:
                del merged[existing]
            merged[name] = value
    return merged


install_log_filters()
