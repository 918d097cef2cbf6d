"""An unreachable spec URL says why (DNS, refused, TLS, timeout, HTTP status) and what to try.

Every case is local: servers on 127.0.0.1, a resolver that fails on purpose; nothing reaches the
internet.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator

import httpx
import pytest
from specagent import ir
from specagent.loader import _fetch, load_spec


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        status = int(self.path.strip("/") or 200)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def silent() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def _problem(url: str) -> ir.Diagnostic:
    [problem] = load_spec(url).diagnostics
    assert problem.code is ir.Code.SPEC_FETCH
    assert problem.severity is ir.Severity.ERROR
    return problem


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_name_that_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    problem = _problem("https://specs.exmaple.com/openapi.yaml")
    assert problem.message == "the host name specs.exmaple.com could not be resolved (DNS)"
    assert "check its spelling" in problem.hint
    assert "HTTPS_PROXY" in problem.hint
    assert "pass the file" in problem.hint


def test_a_refused_connection() -> None:
    port = _free_port()
    problem = _problem(f"http://127.0.0.1:{port}/openapi.yaml")
    assert problem.message == (
        f"127.0.0.1:{port} refused the connection (nothing listens on that port)"
    )
    assert "is the server running" in problem.hint


def test_tls_against_a_server_that_speaks_plain_http(server: str) -> None:
    problem = _problem(f"https://{server}/200")
    assert problem.message.startswith("the TLS handshake with 127.0.0.1 failed (")
    assert "try the http:// URL" in problem.hint


def test_a_certificate_that_cannot_be_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    failure = ssl_verify_error()

    def get(self: httpx.Client, url: str) -> httpx.Response:
        raise httpx.ConnectError("handshake") from failure

    monkeypatch.setattr(httpx.Client, "get", get)
    problem = _problem("https://internal.example/openapi.yaml")
    assert problem.message == (
        "the TLS certificate of internal.example could not be verified: self-signed certificate"
    )
    assert "SSL_CERT_FILE" in problem.hint


def ssl_verify_error() -> Exception:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    return error


def test_an_answer_that_never_comes(monkeypatch: pytest.MonkeyPatch, silent: str) -> None:
    monkeypatch.setattr(_fetch, "FETCH_TIMEOUT", httpx.Timeout(0.3, connect=5.0))
    problem = _problem(f"http://{silent}/openapi.yaml")
    assert problem.message == (
        "127.0.0.1 accepted the connection but did not send the spec in time "
        "(timed out after 0.3 s)"
    )
    assert "try again later" in problem.hint


def test_a_connection_that_never_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    def get(self: httpx.Client, url: str) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    monkeypatch.setattr(httpx.Client, "get", get)
    problem = _problem("https://api.example.com/openapi.yaml")
    assert problem.message == "no connection to api.example.com within 10 s (timed out)"


@pytest.mark.parametrize(
    ("status", "says", "hint"),
    [
        (401, "answered HTTP 401 (Unauthorized): the spec is behind a login", "sends no"),
        (403, "answered HTTP 403 (Forbidden): the spec is behind a login", "download the spec"),
        (404, "answered HTTP 404 (Not Found): there is no spec at this URL", "check the path"),
        (503, "answered HTTP 503 (Service Unavailable)", "try again later"),
        (418, "answered HTTP 418", "open the URL in a browser"),
    ],
)
def test_http_statuses_say_what_they_mean(server: str, status: int, says: str, hint: str) -> None:
    problem = _problem(f"http://{server}/{status}")
    assert problem.message.startswith("127.0.0.1 " + says)
    assert hint in problem.hint


def test_a_redirect_loop(server: str) -> None:
    problem = _problem(f"http://{server}/loop")
    assert problem.message == "127.0.0.1 redirected too many times (a redirect loop?)"
