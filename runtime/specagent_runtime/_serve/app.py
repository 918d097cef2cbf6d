"""`serve_app`: the agent as a helpdesk's webhook service, an ASGI app (Starlette).

    app = serve_app(agent, "intercom")            # settings from INTERCOM_* variables
    uvicorn.run(app, host="0.0.0.0", port=8080)

Routes: ``POST /webhooks/<channel>`` (the helpdesk's webhook), ``GET /healthz``; for the web
chat also the widget's endpoints (`webchat`); ``/playground`` with ``playground=True``.

A webhook is answered as soon as it is verified, parsed and recorded (`queue.accept`):

- no or a bad signature, an expired timestamp: 401, nothing stored, a log line with the
  problem (never the signature or a header);
- a verified body the helpdesk's documentation does not describe: 400, a log line with the
  JSON path;
- events the agent does not act on (other topics, the bot's own messages): 200, ignored;
- customer events: recorded with the helpdesk's message id (a redelivery is recognised and not
  recorded twice), 200; the `Worker` answers them in the background;
- the store unavailable: 503, so the helpdesk delivers it again.

The package: `app` (this), `queue` (the durable webhook inbox in the agent's store), `worker`
(answers it in the background), `post` (a reply as helpdesk calls), `webchat` (the widget's
endpoints and outbox), `setup` (a channel from settings), `feed` (a live record of what the
worker did), `cli` (``python -m <pkg> serve``); `playground` is the developer's page.

The worker starts and stops with the app's lifespan. A host that mounts this app inside its own
must run that lifespan too (``async with app.router.lifespan_context(app): ...``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from specagent_runtime import RetryPolicy
from specagent_runtime._channels.base import Ignored
from specagent_runtime._channels.errors import PayloadError, SignatureError
from specagent_runtime._channels.webchat import WebchatChannel
from specagent_runtime._errors import StoreError
from specagent_runtime._serve import queue
from specagent_runtime._serve import webchat as webchat_routes
from specagent_runtime._serve.feed import EventFeed
from specagent_runtime._serve.setup import (
    ChannelSetup,
    Settings,
    channel_setup,
    check_at_start,
    settings_from_env,
)
from specagent_runtime._serve.worker import DEFAULT_CONCURRENCY, Worker

if TYPE_CHECKING:
    from specagent_runtime._agent.loop import Agent

logger = logging.getLogger("specagent_runtime.serve")

MAX_BODY = 1024 * 1024  # bytes: helpdesk webhooks are a few KB
ORIGINS_ENV = "WEBCHAT_ALLOWED_ORIGINS"
CONCURRENCY_ENV = "SPECAGENT_SERVE_CONCURRENCY"
DEFAULT_THREADS = 64


def serve_app(
    agent: Agent,
    channel: str,
    *,
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
    playground: bool = False,
    concurrency: int | None = None,
    poll_interval: float = 2.0,
    retry: RetryPolicy | None = None,
    allowed_origins: Sequence[str] | None = None,
    close_agent: bool = False,
    threads: int | None = DEFAULT_THREADS,
) -> Starlette:
    """The webhook service of `channel` ("intercom", "zendesk", "sunshine", "webchat") for
    `agent`, with the inbox and the conversations in the agent's store.

    `settings` (e.g. `IntercomSettings(...)`) default to the channel's environment variables
    (docs/channels.md); `ConfigError` names every one that is missing. `concurrency` is how
    many events this process answers at once (default ``$SPECAGENT_SERVE_CONCURRENCY`` or 32);
    `retry` the helpdesk calls' retry policy; `allowed_origins` the pages that may embed the web
    chat (default ``$WEBCHAT_ALLOWED_ORIGINS``, comma-separated; none: same origin only).
    With `close_agent` the app closes the agent's clients when it stops (on the loop that used
    them), as the CLI wants. `threads` sizes the event loop's default executor at start (the
    stores' calls run there; None keeps the host's)."""
    env = os.environ if environ is None else environ
    if settings is None:
        settings = settings_from_env(channel, env)
    setup = channel_setup(settings, agent.store, retry)
    if setup.name != channel:
        raise ValueError(f"settings for {setup.name!r} given for the channel {channel!r}")
    feed = EventFeed()
    worker = Worker(
        agent,
        setup.client,
        setup.codec,
        feed=feed,
        concurrency=concurrency or int(env.get(CONCURRENCY_ENV) or DEFAULT_CONCURRENCY),
        poll_interval=poll_interval,
    )
    handler = _webhook(setup, worker)
    routes: list[BaseRoute] = [
        Route(f"/webhooks/{setup.name}", handler, methods=["POST"]),
        # Intercom checks a webhook URL with a HEAD request when it is saved.
        Route(f"/webhooks/{setup.name}", _health, methods=["HEAD", "GET"]),
        Route("/healthz", _health, methods=["GET"]),
    ]
    middleware: list[Middleware] = []
    if isinstance(setup.channel, WebchatChannel):
        assert isinstance(setup.client, webchat_routes.WebchatOutbox)
        routes += [
            Route("/webchat/widget.js", webchat_routes.widget, methods=["GET"]),
            Route("/webchat/snippet.html", webchat_routes.snippet, methods=["GET"]),
            Route("/webchat/messages", handler, methods=["POST"]),
            Route(
                "/webchat/events",
                webchat_routes.events_endpoint(setup.channel, setup.client),
                methods=["GET"],
            ),
        ]
        origins = list(allowed_origins or _origins(env.get(ORIGINS_ENV, "")))
        if origins:
            middleware.append(
                Middleware(
                    CORSMiddleware,
                    allow_origins=origins,
                    allow_methods=["GET", "POST"],
                    allow_headers=["Authorization", "Content-Type"],
                )
            )
    if playground:
        routes += _playground(agent)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if threads:
            # The stores do their disk and network calls in the loop's default executor; its
            # stock size (CPUs + 4) would queue the acknowledgements behind the worker's calls.
            pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="serve-io")
            asyncio.get_running_loop().set_default_executor(pool)
        await check_at_start(setup)
        await worker.start()
        logger.info("serve: %s webhooks at POST /webhooks/%s", setup.name, setup.name)
        try:
            yield
        finally:
            await worker.stop()
            await setup.client.aclose()
            if close_agent:
                await agent.aclose()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.worker = worker
    app.state.feed = feed
    app.state.channel = setup
    return app


def _playground(agent: Agent) -> list[BaseRoute]:
    """The developer's playground page at /playground (imported only when asked for; it
    records what it shows with its own `events` recorder, and answers loopback callers only)."""
    from specagent_runtime._serve.playground import playground_routes  # noqa: PLC0415

    return [Mount("/playground", routes=playground_routes(agent))]


def _origins(text: str) -> list[str]:
    return [origin.strip().rstrip("/") for origin in text.split(",") if origin.strip()]


async def _health(request: Request) -> Response:
    return JSONResponse({"ok": True})


def _webhook(setup: ChannelSetup, worker: Worker) -> Any:
    channel, name = setup.channel, setup.name
    acceptor = queue.Acceptor(worker.store)
    accepted_status = 202 if name == "webchat" else 200

    async def webhook(request: Request) -> Response:
        with worker.receiving():
            return await receive(request)

    async def receive(request: Request) -> Response:
        body = await _body(request)
        if body is None:
            logger.warning("%s webhook refused: the body is over %d bytes", name, MAX_BODY)
            return JSONResponse({"error": "too large"}, 413)
        try:
            verified = channel.verify(request.headers, body)
        except SignatureError as exc:
            # The message names the header and the problem, never a value.
            logger.warning("%s webhook refused (401): %s", name, exc)
            return JSONResponse({"error": "unauthorized", "problem": exc.problem}, 401)
        try:
            events = channel.parse(verified)
        except PayloadError as exc:
            logger.warning("%s webhook refused (400): %s", name, exc)
            return JSONResponse({"error": "malformed payload", "where": exc.where}, 400)
        counts = {"accepted": 0, "duplicate": 0, "ignored": 0}
        now = time.time()
        for event in events:
            if isinstance(event, Ignored):
                logger.info("%s webhook: ignored: %s", name, event.reason)
                counts["ignored"] += 1
                continue
            try:
                stored = await acceptor.accept(queue.from_inbound(event, now))
            except StoreError as exc:
                logger.error("%s webhook: the inbox cannot be written (503): %s", name, exc)
                return JSONResponse({"error": "unavailable"}, 503, headers={"Retry-After": "5"})
            if stored is None:
                counts["duplicate"] += 1
                continue
            counts["accepted"] += 1
            worker.submit(stored.key)
            worker.feed.publish(
                "accepted",
                event=stored.key,
                channel=name,
                conversation_id=stored.agent_conversation,
                message_id=stored.message_id,
                kind_of_event=stored.kind,
            )
        return JSONResponse(counts, accepted_status)

    return webhook


async def _body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
