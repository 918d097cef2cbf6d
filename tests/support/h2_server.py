"""The reference petstore over HTTP/2 (hypercorn, cleartext h2 with prior knowledge).

uvicorn speaks only HTTP/1.1; with HTTP/2 the client's requests go through h2 and hpack, whose
DEBUG logs carry header values, which is what the secrets tests need to exercise. A client
reaches it with ``httpx.AsyncClient(http1=False, http2=True)``; over TLS the same libraries do
the same work after ALPN picks h2.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from hypercorn.asyncio import serve
from hypercorn.config import Config

from ._petstore_app import make_app
from .petstore_server import PetstoreServer

_STARTUP_TIMEOUT = 10.0


class Http2PetstoreServer(PetstoreServer):
    """`PetstoreServer`, served by hypercorn in a background thread."""

    def start(self) -> Http2PetstoreServer:
        if self._thread is not None:
            raise RuntimeError("the petstore server is already running")
        app = make_app(
            self._db,
            api_key=self.api_key,
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_ttl=self.token_ttl,
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.accesslog = None
        config.errorlog = None
        config.graceful_timeout = 1.0
        self._stop = threading.Event()
        self._h2_loop = asyncio.new_event_loop()

        async def run() -> None:
            stopped = asyncio.Event()

            async def watch() -> None:
                while not self._stop.is_set():
                    await asyncio.sleep(0.02)
                stopped.set()

            watcher = asyncio.create_task(watch())
            await serve(app, config, shutdown_trigger=stopped.wait)  # type: ignore[arg-type]
            await watcher

        thread = threading.Thread(
            target=self._h2_loop.run_until_complete,
            args=(run(),),
            name="petstore-h2",
            daemon=True,
        )
        self._thread = thread
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if not thread.is_alive() or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"hypercorn did not start on port {self.port}") from None
                time.sleep(0.01)

    def stop(self) -> None:
        thread = self._thread
        self._thread = None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=_STARTUP_TIMEOUT)
            self._h2_loop.close()
