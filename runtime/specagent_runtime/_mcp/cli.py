"""``python -m <package> mcp``: the command line of the MCP server (a command of `_cli`).

Problems are printed as one line to stderr with exit code 2, never as a traceback: an MCP host
shows the server's stderr to its user. The MCP SDK is imported only to serve, so a missing
extra is explained in that same one line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from specagent_runtime._cli import UsageError
from specagent_runtime._cli import main as package_main
from specagent_runtime._errors import ConfigurationError, StoreError
from specagent_runtime._identity import Identity, identity_from_fields
from specagent_runtime._stores.factory import open_store

IDENTITY_ENV_PREFIX = "SPECAGENT_IDENTITY_"
# The shared secret of signed identity assertions: from the environment, never a flag (a
# command line shows in `ps` and shell history).
IDENTITY_SECRET_ENV = "SPECAGENT_IDENTITY_SECRET"


def add_arguments(parser: argparse.ArgumentParser, package: str) -> None:
    parser.description = (
        f"Serve the tools of {package} over MCP: stdio by default (the identity from "
        f"--identity or {IDENTITY_ENV_PREFIX}* variables), or streamable HTTP at "
        "http://HOST:PORT/mcp with --http (the identity from each request's X-Verified-Email, "
        "-User-Id, -Username, -Customer-Id headers set by the host's gateway, or, with "
        f"{IDENTITY_SECRET_ENV} set, only from a signed X-Verified-Identity JWT)."
    )
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP, not stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument("--base-url", help="the API's base URL (default: the spec's server)")
    parser.add_argument(
        "--identity",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="the verified user over stdio, e.g. email=ada@example.com (repeatable)",
    )
    parser.add_argument(
        "--identity-header-prefix",
        default="X-Verified-",
        help="HTTP headers carrying the identity (default X-Verified-)",
    )
    parser.add_argument(
        "--identity-field",
        action="append",
        default=[],
        metavar="FIELD",
        help="another identity field read over --http, e.g. account_number from "
        "X-Verified-Account-Number (repeatable)",
    )
    parser.add_argument(
        "--handoff", action="store_true", help="also offer the handoff_to_human tool"
    )


def identity_from(pairs: Sequence[str], env: Mapping[str, str]) -> Identity | None:
    """The stdio identity: ``SPECAGENT_IDENTITY_EMAIL=...`` variables, then ``--identity``
    flags (which win). Fields other than email, user_id, username, customer_id go to
    `Identity.extra`."""
    values: dict[str, str] = {}
    for name, value in env.items():
        if name.startswith(IDENTITY_ENV_PREFIX) and value:
            values[name[len(IDENTITY_ENV_PREFIX) :].lower()] = value
    for pair in pairs:
        field, sep, value = pair.partition("=")
        field = field.strip().lower().replace("-", "_")
        if not sep or not field or not value:
            raise UsageError(f"--identity {pair!r}: expected FIELD=VALUE, e.g. email=a@b.example")
        values[field] = value
    return identity_from_fields(values, verified=True)  # the operator's own setting


def main(package: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Run ``mcp`` with the arguments after it; returns the exit code (`mcp_main`)."""
    return package_main(package, ["mcp", *argv], env)


def run(package: str, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Serve until the host disconnects or the process is stopped."""
    identity = identity_from(
        args.identity, {k: v for k, v in env.items() if k != IDENTITY_SECRET_ENV}
    )
    secret = env.get(IDENTITY_SECRET_ENV) or None
    if secret is not None and not args.http:
        raise UsageError(f"{IDENTITY_SECRET_ENV} is for --http; over stdio use --identity")
    if args.http and identity is not None:
        raise UsageError(
            "--identity and SPECAGENT_IDENTITY_* are for stdio; over --http the identity "
            f"comes from each request's {args.identity_header_prefix}* headers"
        )
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: must be between 0 and 65535")
    try:
        from specagent_runtime._mcp.server import McpConfigError, serve_mcp  # noqa: PLC0415
    except ImportError:
        sys.stderr.write(
            "error: the MCP server needs the mcp package: pip install 'specagent-runtime[mcp]'\n"
        )
        return 2
    try:
        path = env.get("SPECAGENT_STORE")
        serve_mcp(
            package,
            transport="http" if args.http else "stdio",
            host=args.host,
            port=args.port,
            identity=identity,
            identity_header_prefix=args.identity_header_prefix,
            identity_fields=[f.strip().lower().replace("-", "_") for f in args.identity_field],
            identity_secret=secret,
            base_url=args.base_url,
            handoff=args.handoff,
            # Task runs survive a restart when a file is named, as with build_agent.
            store=open_store(path) if path else None,
        )
    except (McpConfigError, StoreError, ConfigurationError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
