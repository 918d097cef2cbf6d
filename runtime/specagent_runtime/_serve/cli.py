"""``python -m <package> serve --channel ...``: the helpdesk webhook service (a `_cli` command).

    python -m shop_agent serve --channel intercom --port 8080

The helpdesk's secrets and tokens come from the environment only (docs/channels.md), never a
flag: a command line shows in ``ps`` and shell history. The model client is the openai SDK's,
configured as it reads itself (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``); the model name is
``--model``, else ``$SPECAGENT_MODEL``, else ``gpt-4o-mini``. Conversations, task runs and the
webhook inbox live in the store named by ``SPECAGENT_STORE`` (default ``specagent.sqlite3``).
Every problem is one ``error:`` line and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Mapping
from typing import Any

from specagent_runtime._cli import UsageError
from specagent_runtime._errors import ConfigurationError, StoreError

CHANNELS = ("intercom", "zendesk", "sunshine", "webchat")
DEFAULT_MODEL = "gpt-4o-mini"
MODEL_ENV = "SPECAGENT_MODEL"


def add_arguments(parser: argparse.ArgumentParser, package: str) -> None:
    parser.description = (
        f"Run {package}'s agent as a helpdesk's support agent: webhooks at "
        "POST /webhooks/<channel>, replies through the helpdesk's API. Secrets come from the "
        "channel's environment variables (docs/channels.md)."
    )
    parser.add_argument("--channel", required=True, choices=CHANNELS, help="the helpdesk")
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument("--api-url", help="the company API's base URL (default: the spec's)")
    parser.add_argument("--model", help=f"the model (default ${MODEL_ENV}, else {DEFAULT_MODEL})")
    parser.add_argument(
        "--playground", action="store_true", help="also serve the developer's page /playground"
    )


def run(package: str, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: must be between 0 and 65535")
    try:
        import uvicorn  # noqa: PLC0415

        from specagent_runtime._channels.errors import ConfigError  # noqa: PLC0415
        from specagent_runtime._serve.app import serve_app  # noqa: PLC0415
        from specagent_runtime._serve.setup import settings_from_env  # noqa: PLC0415
    except ImportError:
        sys.stderr.write(
            "error: serve needs Starlette and uvicorn: pip install 'specagent-runtime[serve]'\n"
        )
        return 2
    try:
        settings = settings_from_env(args.channel, env)  # first: the likeliest mistake
        model = args.model or env.get(MODEL_ENV) or DEFAULT_MODEL
        agent = _agent(package, args.api_url, model, env, playground=args.playground)
        app = serve_app(
            agent,
            args.channel,
            settings=settings,
            environ=env,
            playground=args.playground,
            close_agent=True,
        )
    except (ConfigError, ConfigurationError, StoreError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    _logging()
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,  # a web chat poll's query names the visitor's conversation
        lifespan="on",
    )
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:
        return 130
    finally:
        agent.store.close()
    if not server.started:
        sys.stderr.write("error: the service did not start (see the log above)\n")
        return 2
    return 0


def _agent(
    package: str, api_url: str | None, model: str, env: Mapping[str, str], *, playground: bool
) -> Any:
    if playground:
        # The playground's agent: the real model with OPENAI_API_KEY, else its scripted
        # stand-in; the conversations in the service's store, like the helpdesk's.
        from specagent_runtime._serve.playground_model import playground_agent  # noqa: PLC0415
        from specagent_runtime._stores.factory import open_store  # noqa: PLC0415

        return playground_agent(
            package, api_url=api_url, model=model, store=open_store(environ=env), env=env
        )
    try:
        module = importlib.import_module(package)
        client_module = importlib.import_module(f"{package}.client")
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {package}: {exc}") from None
    try:
        import openai  # noqa: PLC0415, F401
    except ImportError:
        raise ConfigurationError(
            "serve needs the openai SDK: pip install 'specagent-runtime[openai,serve]'"
        ) from None
    if not env.get("OPENAI_API_KEY"):
        raise ConfigurationError(
            "set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server), "
            "or try the agent with --playground and its scripted model"
        )
    # The agent makes the model client itself (the openai SDK reads OPENAI_API_KEY and
    # OPENAI_BASE_URL) and so closes it, as it does the API client it is not given.
    client = client_module.AsyncClient(api_url)
    agent = module.build_agent(client, model=model)
    agent._owns_client = True
    return agent


def _logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("httpx", "httpx2"):  # a line per request, URLs included (the openai SDK's too)
        logging.getLogger(name).setLevel(logging.WARNING)
