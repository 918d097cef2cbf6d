"""Identity over MCP's HTTP transport when the gateway signs it (issue 14).

PRODUCT.md, Identity: bound parameters are the verified customer's and "cannot be reached by
any other path". Over HTTP anyone who reaches the server can send headers, so (issue 14):
with a shared secret configured (`serve_mcp_async(..., identity_secret=...)`), the identity is
read only from a signed assertion, an HS256 JWT in the `X-Verified-Identity` header, and an
unsigned `X-Verified-*` header is refused. The witness is the Acme API's log: a refused caller
reaches nothing bound to a customer.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from ._api import ADA, GRACE, AcmeApi
from ._mcp import (
    ASSERTION_HEADER,
    IDENTITY_SECRET,
    McpServer,
    envelope,
    jwt,
    mcp_client,
    tool_names,
)
from ._support import only_bound_values


class LazyServer:
    """Started by the first test that needs it (inside the test: when the server cannot start,
    that test fails rather than the module's setup), stopped with the module."""

    def __init__(self, make: Callable[[], McpServer]) -> None:
        self._make = make
        self.server: McpServer | None = None

    def url(self) -> str:
        if self.server is None:
            self.server = self._make().start()
        return self.server.url


@pytest.fixture(scope="module")
def signed(acme: ModuleType, _api_server: AcmeApi) -> Iterator[LazyServer]:
    lazy = LazyServer(lambda: McpServer("adv_acme", _api_server, identity_secret=IDENTITY_SECRET))
    yield lazy
    if lazy.server is not None:
        lazy.server.stop()


def _tampered() -> str:
    """Ada's valid token with Grace's claims pasted in (the signature no longer matches)."""
    head, _, signature = jwt({"email": ADA["email"]}).split(".")
    payload = jwt({"email": GRACE["email"]}).split(".")[1]
    return f"{head}.{payload}.{signature}"


REFUSED = {
    "unsigned-header": {"X-Verified-Email": ADA["email"]},
    "wrong-secret": {ASSERTION_HEADER: jwt({"email": ADA["email"]}, "not-the-secret")},
    "alg-none": {ASSERTION_HEADER: jwt({"email": ADA["email"]}, alg="none")},
    "expired": {
        ASSERTION_HEADER: jwt({"email": ADA["email"], "exp": int(time.time()) - 60}),
    },
    "tampered": {ASSERTION_HEADER: _tampered()},
    "sha1-mac": {
        ASSERTION_HEADER: jwt(
            {"email": ADA["email"]},
            sign=lambda data, key: hmac.new(key.encode(), data, hashlib.sha1).digest(),
        )
    },
}


@pytest.mark.parametrize("headers", REFUSED.values(), ids=REFUSED.keys())
async def test_an_identity_that_is_not_validly_signed_is_refused(
    signed: LazyServer, api: AcmeApi, headers: dict[str, str]
) -> None:
    async with mcp_client(signed.url(), headers) as client:
        listed = await tool_names(client)
        refused = await client.call_tool("get_my_account", {})
    assert "get_my_account" not in listed
    assert refused.is_error
    assert api.seen("/api/accounts") == []


async def test_control_a_signed_identity_is_the_only_identity(
    signed: LazyServer, api: AcmeApi
) -> None:
    headers = {
        ASSERTION_HEADER: jwt({"email": ADA["email"]}),
        "X-Verified-Email": GRACE["email"],  # an unsigned header beside it is ignored
    }
    async with mcp_client(signed.url(), headers) as client:
        mine = envelope(await client.call_tool("get_my_account", {}))
    assert mine["data"]["name"] == ADA["name"]
    assert api.seen("/api/accounts")
    assert only_bound_values(api.seen("/api/accounts"), "email", ADA["email"]) == []
