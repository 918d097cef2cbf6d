"""The widget in headless Chromium (Debian's package, driven by Playwright) against the real
`serve_app` on uvicorn, the shop agent and its reference server: the customer types, the
confirmation's Yes button is clicked, and the cancellation is in the API's log once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from specagent_runtime import Secret
from specagent_runtime._channels.config import WebchatSettings
from specagent_runtime._channels.webchat import make_token
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.fake_openai import call

from ._support import GatedModel, Service, build_shop_agent, close_agent

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SECRET = Secret("webchat-signing-secret-of-the-browser-test")

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing: run tests/services/install.sh before the tests")
    pytest.skip("no /usr/bin/chromium (run tests/services/install.sh)", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
pytestmark = pytest.mark.slow


@pytest.fixture
def service(shop: Any, model: GatedModel, store_path: Path) -> Iterator[Service]:
    agent = build_shop_agent(shop, model, store_path)
    token = make_token(SECRET, sub="cust-70", email="ada@example.com")

    async def page(request: Request) -> HTMLResponse:
        # The company's page with the documented snippet (the widget from this service).
        return HTMLResponse(
            "<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>"
            '<script src="/webchat/widget.js" data-endpoint="" data-title="Shop support"'
            f' data-token="{token}" defer></script></body></html>'
        )

    served = Service.start(agent, "webchat", WebchatSettings(SECRET))
    served.app.router.routes.append(Route("/", page))
    yield served
    served.stop()
    close_agent(agent)


def test_the_widget_cancels_an_order_once(
    service: Service, model: GatedModel, shop: Any, tmp_path: Path
) -> None:
    model.add(call("cancel_order", order_hint="the mugs"), call("finish_step", order_id=1002))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(service.url("/"))
            page.get_by_role("button", name="Open the support chat").click()
            page.get_by_label("Your message").fill("Please cancel the coffee mugs")
            page.get_by_role("button", name="Send").click()
            page.get_by_text("Cancel order 1002", exact=False).wait_for(timeout=20_000)
            assert shop.calls("POST", "/orders/1002/cancel") == []
            page.get_by_role("button", name="Yes").click()
            page.get_by_text("Order 1002 is cancelled.").wait_for(timeout=20_000)
            page.screenshot(path=str(tmp_path / "webchat.png"))
        finally:
            browser.close()
    assert errors == []
    assert len(shop.calls("POST", "/orders/1002/cancel")) == 1
    assert shop.order_status(1002) == "cancelled"
