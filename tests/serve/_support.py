"""The serve suite's harness: the real ASGI app (`serve_app`) on uvicorn on 127.0.0.1, the
committed `examples/shop/shop_agent`, the shop's reference server (the witness of every
action), the mock helpdesks and the scripted model.

    service = Service.start(agent, "intercom", settings)   # a thread running uvicorn
    intercom.deliver(service.url("/webhooks/intercom"), payload)
    wait_until(lambda: replies(intercom))
"""

from __future__ import annotations

import importlib
import importlib.util
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import uvicorn
from specagent_runtime import Agent, ClientCredentials, RetryPolicy, SQLiteStore, serve_app

from tests.support.fake_openai import FakeOpenAI

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
MODEL = "serve-test-model"
FAST_RETRY = RetryPolicy(max_retries=2, base_delay=0.05, max_delay=0.2, max_retry_after=1.0)
T = TypeVar("T")


def load_shop_server() -> ModuleType:
    name = "shop_reference_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SHOP / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def shop_agent_module() -> ModuleType:
    if str(SHOP) not in sys.path:
        sys.path.insert(0, str(SHOP))
    return importlib.import_module("shop_agent")


def build_shop_agent(shop: Any, model: FakeOpenAI, store_path: Path, **kw: Any) -> Agent:
    server = load_shop_server()
    package = shop_agent_module()
    credentials = ClientCredentials(server.CLIENT_ID, server.CLIENT_SECRET)
    client = package.AsyncClient(shop.base_url, credentials={"supportOAuth": credentials})
    agent: Agent = package.build_agent(
        client, model=MODEL, openai_client=model.client(), store=SQLiteStore(store_path)
    )
    agent._owns_client = True  # closed with the agent when the app stops (close_agent=True)
    agent._owns_openai = True
    for name, value in kw.items():
        setattr(agent, name, value)
    return agent


def wait_until(check: Callable[[], T], timeout: float = 20.0, what: str = "") -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.02)


class GatedModel(FakeOpenAI):
    """The scripted model, with a gate: while `held`, requests wait (the crash tests kill the
    service while its model call is in flight). A held request whose caller was killed is
    answered with nothing (`discard_held`), so it does not take the next answer of the script."""

    def __init__(self, *script: Any) -> None:
        super().__init__(*script)
        self.held = False
        self.discard_held = False
        self.arrived = threading.Event()

    def choose(self, body: dict[str, Any]) -> Any:
        self.arrived.set()
        if self.held:
            while self.held:
                time.sleep(0.02)
            if self.discard_held:
                return None
        return super().choose(body)


class Service:
    """`serve_app(...)` served by uvicorn in a background thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True, name="serve-app"
        )
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), 15, "uvicorn")
        if not self.server.started:
            raise RuntimeError("the service did not start")

    @classmethod
    def start(cls, agent: Agent, channel: str, settings: Any, **kw: Any) -> Service:
        kw.setdefault("retry", FAST_RETRY)
        kw.setdefault("poll_interval", 0.2)
        kw.setdefault("close_agent", True)
        app = serve_app(agent, channel, settings=settings, **kw)
        app.state.worker.backoff = 0.1
        return cls(app)

    @property
    def worker(self) -> Any:
        return self.app.state.worker

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self._socket.close()


def close_agent(agent: Agent) -> None:
    agent.store.close()
