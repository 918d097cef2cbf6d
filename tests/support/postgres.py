"""A real PostgreSQL server for the tests, started by the test suite itself.

The machine's PostgreSQL binaries (`initdb`, `pg_ctl`: Debian keeps them in
/usr/lib/postgresql/<version>/bin, off PATH; `tests/services/install.sh` installs the package)
make a throwaway cluster in a temporary folder, listening on a free 127.0.0.1 port, stopped and
deleted at the end. initdb refuses to run as root, so as root the cluster belongs to the
`postgres` user (the folder is chowned to it and every server command runs through `runuser`).

Fixtures (registered for every suite by tests/conftest.py):

- `postgres_server` (session): the `PostgresServer`; its absence FAILS the tests that ask for
  it, with a message naming tests/services/install.sh, never a skip.
- `postgres_url` (module): a fresh, empty database on that server, as a
  ``postgresql://...`` URL (what `SPECAGENT_STORE` takes), dropped after the module;
- `postgres_store_url` (module): the same with the store's schema migrated.

A suite parametrized over stores asks for `store_location` from tests/support/stores.py.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

INSTALL_HINT = (
    "PostgreSQL is needed by the store tests and was not found: run `bash tests/services/"
    "install.sh` (it installs Debian's postgresql package), or put the directory holding "
    "initdb and pg_ctl on PATH"
)
SUPERUSER = "postgres"
_names = itertools.count(1)


class PostgresUnavailable(RuntimeError):
    """The machine has no usable PostgreSQL; the message says what to do."""


def find_bindir() -> Path:
    """The folder with initdb and pg_ctl: `pg_config --bindir` (from libpq-dev, not always
    installed), Debian's /usr/lib/postgresql/<newest>/bin, or PATH."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
            candidates.append(Path(out))

    def version(path: str) -> list[int]:
        return [int(part) for part in Path(path).parent.name.split(".") if part.isdigit()]

    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    candidates.extend(Path(path) for path in versions)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresUnavailable(INSTALL_HINT)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A throwaway PostgreSQL cluster: `start()`, `url(database)`, `restart()`, `stop()`.

    `file_size_limit` (bytes) starts the server under RLIMIT_FSIZE: PostgreSQL ignores SIGXFSZ,
    so a table that outgrows the limit fails to extend with a write error, which is how a full
    disk looks to it (WAL segments are made small enough to fit).
    """

    def __init__(self, *, file_size_limit: int | None = None) -> None:
        self.bindir = find_bindir()
        self.file_size_limit = file_size_limit
        self.port = 0
        self.root = Path(tempfile.mkdtemp(prefix="specagent-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._user: str | None = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(SUPERUSER)
            except KeyError as exc:
                raise PostgresUnavailable(
                    f"running as root, initdb needs the {SUPERUSER!r} user, which does not"
                    f" exist; {INSTALL_HINT}"
                ) from exc
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._user = SUPERUSER

    # --- commands ------------------------------------------------------------------------

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bindir / program), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        return command

    def _run(self, program: str, *args: str, limited: bool = False, timeout: float = 60) -> None:
        def limit() -> None:
            if self.file_size_limit is not None:
                resource.setrlimit(
                    resource.RLIMIT_FSIZE, (self.file_size_limit, self.file_size_limit)
                )

        result = subprocess.run(
            self._command(program, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit if limited else None,
            check=False,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{program} {' '.join(args)} failed ({result.returncode}):"
                f" {result.stderr.strip() or result.stdout.strip()}\n{log}"
            )

    def start(self) -> PostgresServer:
        initdb = ["-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "--no-sync"]
        initdb += ["--encoding=UTF8", "--locale=C"]
        if self.file_size_limit is not None:
            initdb.append("--wal-segsize=1")
        self._run("initdb", *initdb, timeout=120)
        self.port = free_port()
        self._pg_ctl("start")
        return self

    def _pg_ctl(self, action: str) -> None:
        # Quick and disposable: no fsync; one 127.0.0.1 port, the socket in the cluster folder.
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.root}",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=200",
            "-c shared_buffers=32MB",
            "-c log_min_messages=warning",
        ]
        self._run(
            "pg_ctl",
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-m",
            "fast",
            "-o",
            " ".join(options),
            limited=True,
        )

    def restart(self) -> None:
        """`pg_ctl restart`: every open connection is cut, the data stays."""
        self._pg_ctl("restart")

    def stop_server(self) -> None:
        """Stop the server but keep the cluster (`start_server()` brings it back)."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-w", "-m", "fast")

    def start_server(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        """Stop the server and delete the cluster."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
                self._run("pg_ctl", "stop", "-D", str(self.data), "-w", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # --- databases -----------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, *params: Any, database: str = "postgres") -> list[tuple[Any, ...]]:
        """Run one statement as the superuser (autocommit) and return its rows."""
        import psycopg  # noqa: PLC0415  (only the PostgreSQL tests need it)

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(sql, params or None)  # type: ignore[arg-type]
            return list(cursor.fetchall()) if cursor.description else []

    def create_database(self, prefix: str = "specagent_test") -> str:
        """A fresh, empty database; its URL."""
        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with contextlib.suppress(Exception):
            self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def copy_database(self, url: str) -> str:
        """A new database made from the one at `url` as a template (nobody may be connected
        to it: the server waits up to 5 s for sessions that are closing); its URL."""
        name = f"specagent_copy_{os.getpid()}_{next(_names)}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
        return self.url(name)

    def database_bytes(self, url: str) -> bytes:
        """Everything the store's tables of the database at `url` hold, as bytes to search:
        every row as text, then the database's own files on disk after a checkpoint (dead
        row versions a later write left behind are there too; values the server compressed
        into TOAST are only in the rows). The write-ahead log is the whole cluster's and is
        not searched."""
        database = url.rsplit("/", 1)[1]
        rows = self.execute(
            "SELECT kind || ' ' || key || ' ' || value FROM specagent_records"
            " UNION ALL SELECT entry FROM specagent_audit",
            database=database,
        )
        data = "\n".join(str(row[0]) for row in rows).encode()
        self.execute("CHECKPOINT")
        [(oid,)] = self.execute("SELECT oid FROM pg_database WHERE datname = %s", database)
        for path in sorted((self.data / "base" / str(oid)).iterdir()):
            with contextlib.suppress(OSError):  # a file dropped meanwhile
                data += b"\n" + path.read_bytes()
        return data

    def terminate(self, pid: int) -> None:
        """Kill one server process (a connection's backend), as a failover or a DBA would."""
        self.execute("SELECT pg_terminate_backend(%s)", pid)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.execute("SELECT 1")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def _start_or_fail(**options: Any) -> PostgresServer:
    try:
        return PostgresServer(**options).start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@contextlib.contextmanager
def running_server(**options: Any) -> Iterator[PostgresServer]:
    """A server of its own for one test module (e.g. with a file size limit)."""
    server = _start_or_fail(**options)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_server() as server:
        yield server


@pytest.fixture(scope="module")
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for the test module (no specagent tables yet)."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)


@pytest.fixture(scope="module")
def postgres_store_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database for the test module with the store's schema applied."""
    from specagent_runtime import migrate_store  # noqa: PLC0415

    url = postgres_server.create_database()
    try:
        migrate_store(url)
        yield url
    finally:
        postgres_server.drop_database(url)
