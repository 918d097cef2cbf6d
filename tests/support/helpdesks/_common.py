"""What every mock helpdesk shares: a uvicorn thread on 127.0.0.1, a request log, and the
validators that check each request against the helpdesk's own OpenAPI document.

A request that fails validation is still answered (as the real helpdesk would answer a bad
request: 400), and its problems are kept in `errors`; `assert_clean()` fails the test with all of
them, so a test that forgets to look still cannot pass on a malformed call: the fixtures call it
at teardown.
"""

from __future__ import annotations

import functools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.applications import Starlette
from starlette.requests import Request

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "specs"
INTERCOM_SPEC = CORPUS / "intercom.io__2.16.yaml"
SUNSHINE_SPEC = CORPUS / "zendesk.com_sunshine-conversations__17.12.1.yaml"


@functools.cache
def load_spec(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def openapi(path: Path) -> OpenAPI:
    # The corpus specs are the providers' own files, slightly invalid as published (Intercom: an
    # unresolved path parameter; Sunshine: a deepObject schema): the document check is off, the
    # request checks are not.
    return OpenAPI.from_dict(load_spec(path), config=Config(spec_validator_cls=None))


@functools.cache
def _registry(path: Path) -> Registry:
    return Registry().with_resource(
        "urn:spec", Resource.from_contents(load_spec(path), default_specification=DRAFT4)
    )


def schema_errors(path: Path, pointer: str, instance: Any) -> list[str]:
    """Problems of `instance` against the schema at `pointer` (e.g. `/components/schemas/x`)."""
    validator = OAS30Validator(
        {"$ref": f"urn:spec#{pointer}"},
        registry=_registry(path),
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def spec_request_errors(spec: Path, server: str, request: RecordedRequest, raw: bytes) -> list[str]:
    """Validate one recorded request with openapi-core, as if sent to the spec's `server`."""
    mock = MockRequest(
        server,
        request.method.lower(),
        request.path,
        headers=request.headers,
        data=raw or None,
        content_type=request.headers.get("content-type", "application/json"),
    )
    try:
        openapi(spec).validate_request(mock)
    except Exception as exc:
        causes = [str(exc)]
        inner = exc.__cause__
        while inner is not None:
            details = getattr(inner, "schema_errors", None)
            if details:
                causes.extend(str(getattr(d, "message", d)) for d in details)
            else:
                causes.append(str(inner))
            inner = inner.__cause__
        return [" | ".join(causes)]
    return []


async def record(request: Request) -> tuple[RecordedRequest, bytes]:
    raw = await request.body()
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    headers = {key.lower(): value for key, value in request.headers.items()}
    return RecordedRequest(request.method, request.url.path, headers, body), raw


class MockHelpdesk:
    """Serves `self.app()` on a free 127.0.0.1 port in a background thread."""

    name = "helpdesk"

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._faults: list[tuple[int, dict[str, str]]] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    # -- subclasses ---------------------------------------------------------------------------
    def app(self) -> Starlette:
        raise NotImplementedError

    # -- faults and the log -------------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests with `status` (after logging them)."""
        with self._lock:
            self._faults.extend((status, dict(headers or {})) for _ in range(times))

    def take_fault(self) -> tuple[int, dict[str, str]] | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def log(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def errors(self) -> list[str]:
        return [f"{r.method} {r.path}: {e}" for r in self.requests for e in r.errors]

    def assert_clean(self) -> None:
        problems = self.errors
        assert not problems, f"{self.name}: requests that break the spec:\n" + "\n".join(problems)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()

    # -- serving ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MockHelpdesk:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"mock-{self.name}", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mock {self.name} did not start")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
        if sock is not None:
            sock.close()

    def __enter__(self) -> MockHelpdesk:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
