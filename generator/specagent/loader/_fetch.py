"""Fetching a spec from an http(s) URL, and saying why it failed in words a user can act on.

"cannot fetch the spec: ConnectError" tells nobody what to do. The causes differ in what helps:
a host name that does not resolve (a typo, no network, a proxy), a refused connection (nothing
listens on that port), a TLS failure (a company CA, an http server on an https URL), a timeout,
an HTTP status (a wrong path, a spec behind a login). Each becomes a message naming the host
and a hint for that cause; the URL shown has its credentials masked by the caller.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from specagent.ir import Code, Diagnostic, Location, Severity

__all__ = ["FETCH_TIMEOUT", "MAX_BYTES", "fetch_url"]

FETCH_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_BYTES = 64 * 1024 * 1024

_OFFLINE = "or download the spec and pass the file instead"


def fetch_url(url: str, name: str) -> tuple[bytes | None, Diagnostic | None]:
    """The body of `url`, or the reason it could not be had (`name`: the URL as shown)."""
    host = _host(url)
    try:
        with httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=True) as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        message, hint = _explain(exc, url, host)
        return None, _error(Code.SPEC_FETCH, message, name, hint)
    if response.status_code >= 400:
        message, hint = _status(response.status_code, response.reason_phrase, host)
        return None, _error(Code.SPEC_FETCH, message, name, hint)
    if len(response.content) > MAX_BYTES:
        return None, _error(
            Code.SPEC_TOO_LARGE, f"the response is larger than {MAX_BYTES} bytes", name
        )
    return response.content, None


def _explain(exc: httpx.HTTPError, url: str, host: str) -> tuple[str, str]:
    """(message, hint) for a request that got no HTTP answer."""
    seconds = _seconds(FETCH_TIMEOUT.connect)
    if isinstance(exc, httpx.ConnectTimeout):
        return (
            f"no connection to {host} within {seconds} s (timed out)",
            "check the URL and your network; behind a proxy set HTTPS_PROXY, " + _OFFLINE,
        )
    if isinstance(exc, httpx.TimeoutException):
        return (
            f"{host} accepted the connection but did not send the spec in time (timed out "
            f"after {_seconds(FETCH_TIMEOUT.read)} s)",
            "try again later, " + _OFFLINE,
        )
    if isinstance(exc, httpx.TooManyRedirects):
        return (
            f"{host} redirected too many times (a redirect loop?)",
            "open the URL in a browser to see where it leads, " + _OFFLINE,
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "this is not a URL specagent can fetch", "write it as https://host/path/openapi.yaml"
    causes = list(_causes(exc))
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return (
            f"the host name {host} could not be resolved (DNS)",
            "check its spelling; offline or behind a proxy (set HTTPS_PROXY)? " + _OFFLINE,
        )
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return (
            f"{_host_port(url)} refused the connection (nothing listens on that port)",
            "is the server running, and is the port right?",
        )
    verify = next((c for c in causes if isinstance(c, ssl.SSLCertVerificationError)), None)
    if verify is not None:
        reason = verify.verify_message or verify.reason or "verification failed"
        return (
            f"the TLS certificate of {host} could not be verified: {reason}",
            "a company or self-signed CA? set SSL_CERT_FILE to its certificate bundle, " + _OFFLINE,
        )
    tls = next((c for c in causes if isinstance(c, ssl.SSLError)), None)
    if tls is not None:
        reason = tls.reason or str(tls)
        hint = "check the port and the scheme, " + _OFFLINE
        if urlsplit(url).scheme == "https":
            hint = "does the server speak TLS there? try the http:// URL, or " + hint
        return f"the TLS handshake with {host} failed ({reason})", hint
    if isinstance(exc, httpx.RemoteProtocolError):
        return (
            f"{host} closed the connection without a valid HTTP answer",
            "check the scheme (http:// or https://) and the port",
        )
    if isinstance(exc, httpx.NetworkError):
        reason = next((c.strerror for c in causes if isinstance(c, OSError) and c.strerror), "")
        return (
            f"the connection to {host} failed" + (f": {reason}" if reason else ""),
            "check your network, " + _OFFLINE,
        )
    return f"cannot fetch the spec from {host}: {type(exc).__name__}", _OFFLINE.removeprefix("or ")


def _status(status: int, phrase: str, host: str) -> tuple[str, str]:
    message = f"{host} answered HTTP {status}" + (f" ({phrase})" if phrase else "")
    if status in (401, 403, 407):
        return (
            message + ": the spec is behind a login",
            "specagent sends no credentials: download the spec with yours and pass the file",
        )
    if status in (404, 410):
        return message + ": there is no spec at this URL", "check the path (open it in a browser)"
    if status == 429 or status >= 500:
        return message, "the server has a problem or is busy: try again later, " + _OFFLINE
    return message, "open the URL in a browser to see the answer, " + _OFFLINE


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it was raised from (httpx wraps httpcore wraps the OS error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return _host(url)
    return f"{parts.hostname}:{port}"


def _seconds(value: float | None) -> str:
    return f"{value:g}" if value is not None else "?"


def _error(code: Code, message: str, name: str, hint: str = "") -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, Location(name), hint)
