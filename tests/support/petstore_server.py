"""A reference Swagger Petstore 3 server for functional and end-to-end tests.

Generated petstore packages need a real API to talk to: one that checks auth the way the spec
declares it, answers with the spec's status codes, and lets a test see exactly what arrived and
make the next calls fail. All state (pets, orders, users, tokens, injected faults and the request
log) lives in one SQLite database, so a test can keep a server running in another process (see
`run_in_subprocess`) and still read its log and inject faults through the same file.

    with PetstoreServer() as server:
        httpx.get(f"{server.base_url}/store/inventory", headers={"api_key": server.api_key})
        server.requests()  # [RecordedRequest(method="GET", path="/store/inventory", ...)]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import uvicorn

from ._petstore_app import API_ROOT, make_app
from ._petstore_state import PetstoreState, RecordedRequest

__all__ = [
    "PetstoreProcess",
    "PetstoreServer",
    "PetstoreState",
    "RecordedRequest",
    "run_in_subprocess",
]

_STARTUP_TIMEOUT = 10.0
_READY = "PETSTORE READY "
_REPO_ROOT = Path(__file__).resolve().parents[2]


class PetstoreServer(PetstoreState):
    """The petstore served by uvicorn on a free local port, in a background thread.

    `db_path=None` keeps everything in memory; a file keeps the state across restarts (the seed
    data is written only once per file).
    """

    def __init__(
        self,
        db_path: str | Path | None = None,
        *,
        api_key: str = "test-key",
        client_id: str = "test-client",
        client_secret: str = "test-secret",
        token_ttl: float = 3600.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(db_path)
        self.api_key = api_key
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_ttl = token_ttl
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    def __repr__(self) -> str:
        return f"PetstoreServer(port={self.port}, db_path={self.db_path!r})"

    @property
    def client_secret(self) -> str:
        """The secret the token endpoint accepts, for tests that configure a client."""
        return self._client_secret

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API's base URL, the spec's server with the host replaced."""
        return self.root_url + API_ROOT

    @property
    def token_url(self) -> str:
        """The OAuth2 client-credentials token endpoint (outside the API root, like real ones)."""
        return self.root_url + "/oauth/token"

    def start(self) -> PetstoreServer:
        if self._thread is not None:
            raise RuntimeError("the petstore server is already running")
        app = make_app(
            self._db,
            api_key=self.api_key,
            client_id=self.client_id,
            client_secret=self._client_secret,
            token_ttl=self.token_ttl,
        )
        # Binding the socket here (port 0 = any free port) tells us the port before uvicorn
        # starts, and fails in the caller's thread when the port is taken.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this; without it each JSON response waits ~40 ms on Nagle's
        # algorithm meeting the client's delayed ACK (headers and body are separate writes).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
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
            target=server.run, kwargs={"sockets": [sock]}, name="petstore-server", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the petstore server did not start on port {self.port}")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        """Stop serving; the state stays readable until `close()` (or the `with` block's end)."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=_STARTUP_TIMEOUT)
        if sock is not None:
            sock.close()

    def __enter__(self) -> PetstoreServer:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self.close()


class PetstoreProcess(PetstoreState):
    """A petstore server running in a child process, and a view of its state in this one.

    The child owns the HTTP side; this object reads the log and injects faults through the
    shared database file, so it keeps working while test workers are killed and restarted.
    """

    def __init__(
        self,
        process: subprocess.Popen[str],
        db_path: Path,
        base_url: str,
        api_key: str,
        client_id: str,
    ) -> None:
        super().__init__(db_path)
        self._process = process
        self.base_url = base_url
        self.token_url = base_url.removesuffix(API_ROOT) + "/oauth/token"
        self.api_key = api_key
        self.client_id = client_id

    def __repr__(self) -> str:
        return f"PetstoreProcess(pid={self.pid}, base_url={self.base_url!r})"

    @property
    def pid(self) -> int:
        return self._process.pid

    def stop(self) -> None:
        """Terminate the child (SIGTERM, then SIGKILL) and release this side's resources."""
        _end_process(self._process)
        self.close()

    def __enter__(self) -> PetstoreProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_in_subprocess(
    db_path: str | Path,
    *,
    api_key: str = "test-key",
    client_id: str = "test-client",
    client_secret: str = "test-secret",
    token_ttl: float = 3600.0,
) -> PetstoreProcess:
    """Start the petstore in a separate Python process sharing `db_path`; wait until it serves.

    Secrets travel in the child's environment, not its command line (visible in `ps`).
    """
    db_path = Path(db_path)
    # Creating the schema and seed data here, before the child opens the file, avoids two
    # processes racing to seed it.
    PetstoreState(db_path).close()
    env = dict(os.environ)
    env["PETSTORE_API_KEY"] = api_key
    env["PETSTORE_CLIENT_SECRET"] = client_secret
    # `-m` with the repository root first on the path: the module imports its siblings.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH")]))
    command = [
        sys.executable,
        "-m",
        "tests.support.petstore_server",
        "--port",
        "0",
        "--db",
        str(db_path),
        "--client-id",
        client_id,
        "--token-ttl",
        str(token_ttl),
    ]
    # The child stops when its stdin closes, so it never outlives a test run that died.
    process = subprocess.Popen(
        [*command, "--exit-with-stdin"],
        env=env,
        cwd=_REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = _read_ready_line(process)
    except BaseException:
        _end_process(process)
        raise
    return PetstoreProcess(process, db_path, base_url, api_key, client_id)


def _read_ready_line(process: subprocess.Popen[str]) -> str:
    stdout: IO[str] | None = process.stdout
    assert stdout is not None
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stdout], [], [], 0.05)
        if ready:
            line = stdout.readline()
            if line.startswith(_READY):
                return line.removeprefix(_READY).strip()
            if not line:  # the child exited before serving
                break
    code = process.poll()
    state = f"exited with status {code}" if code is not None else "timed out"
    raise RuntimeError(f"the petstore subprocess {state} before it was ready")


def _end_process(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or Ctrl-C; print the base URL once ready (read by the parent)."""
    parser = argparse.ArgumentParser(description="Reference Swagger Petstore 3 server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    parser.add_argument("--client-id", default="test-client")
    parser.add_argument("--token-ttl", type=float, default=3600.0)
    parser.add_argument("--exit-with-stdin", action="store_true", help="stop when stdin closes")
    args = parser.parse_args(argv)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    if args.exit_with_stdin:
        threading.Thread(target=_set_at_eof, args=(stopped,), daemon=True).start()
    server = PetstoreServer(
        args.db,
        api_key=os.environ.get("PETSTORE_API_KEY", "test-key"),
        client_id=args.client_id,
        client_secret=os.environ.get("PETSTORE_CLIENT_SECRET", "test-secret"),
        token_ttl=args.token_ttl,
        host=args.host,
        port=args.port,
    )
    with server, contextlib.suppress(KeyboardInterrupt):
        print(_READY + server.base_url, flush=True)
        while not stopped.wait(0.5):
            pass
    return 0


def _set_at_eof(event: threading.Event) -> None:
    while sys.stdin.read(4096):
        pass
    event.set()


if __name__ == "__main__":
    sys.exit(main())
