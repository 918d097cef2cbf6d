"""`--playground`: the playground page mounted at /playground beside the webhooks, on the
playground's agent (its scripted stand-in when no OPENAI_API_KEY is set), in the service's
store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from specagent_runtime import Secret, SQLiteStore
from specagent_runtime._channels.config import WebchatSettings
from specagent_runtime._serve.playground_model import playground_agent

from ._support import Service, shop_agent_module, wait_until


def test_the_playground_is_mounted_beside_the_webhooks(shop: Any, tmp_path: Path) -> None:
    shop_agent_module()  # importable
    store = SQLiteStore(tmp_path / "playground.sqlite3")
    agent = playground_agent("shop_agent", api_url=shop.base_url, store=store, env={})
    settings = WebchatSettings(Secret("webchat-signing-secret-of-the-playground"))
    service = Service.start(agent, "webchat", settings, playground=True)
    try:
        page = httpx.get(service.url("/playground/"))
        assert page.status_code == 200 and "<html" in page.text.lower()
        info = httpx.get(service.url("/playground/api/info")).json()
        assert info["scripted"] is True
        # The webhooks still answer, with the same agent.
        body = {"conversation_id": "p" * 22, "message_id": "q" * 22, "text": "hello"}
        assert httpx.post(service.url("/webchat/messages"), json=body).status_code == 202
        events = service.url(f"/webchat/events?conversation_id={'p' * 22}&after=0")
        assert wait_until(lambda: httpx.get(events).json()["events"], what="the scripted reply")
    finally:
        service.stop()
        store.close()
