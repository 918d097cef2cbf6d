"""What the real-browser tests share: Debian's Chromium through Playwright, an ASGI app served
by uvicorn on 127.0.0.1, the shop's reference server and agent package, and where screenshots go.

Chromium comes from tests/services/install.sh (the README's test command runs it); Playwright
cannot download browsers here, so it launches /usr/bin/chromium with `executable_path`. A
missing browser fails the tests with that instruction: never a silent skip.

Screenshots go to ``$SPECAGENT_SCREENSHOTS`` when it is set (CI keeps that folder as an
artifact), else to the test's own `tmp_path`; the path is printed either way (``pytest -s``).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _shop_server_module() -> ModuleType:
    name = "shop_reference_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SHOP / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


shop_server = _shop_server_module()
SHOP_ENV = {
    "SHOP_AGENT_SUPPORT_O_AUTH_CLIENT_ID": shop_server.CLIENT_ID,
    "SHOP_AGENT_SUPPORT_O_AUTH_CLIENT_SECRET": shop_server.CLIENT_SECRET,
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium, shared by one module's tests. Not longer: Playwright's sync
    API runs an event loop on the main thread while it is open, and the async tests of other
    modules need that thread's loop free."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): run `bash tests/services/install.sh` (it installs"
            " Debian's chromium package), as the README's test command does",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        pytest.fail("Playwright is missing: `uv sync` installs it (dev group)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def shop_package() -> Iterator[ModuleType]:
    """The committed `examples/shop/shop_agent`, importable as `shop_agent`."""
    sys.path.insert(0, str(SHOP))
    try:
        yield importlib.import_module("shop_agent")
    finally:
        sys.path.remove(str(SHOP))


@pytest.fixture
def shop() -> Iterator[Any]:
    with shop_server.ShopServer() as server:
        yield server


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SPECAGENT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` on uvicorn, 127.0.0.1 and a free port, in a thread; yields its root URL. The
    app's lifespan runs (so it can close what it opened on the server's own event loop)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("the test app did not start within 10 s")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
