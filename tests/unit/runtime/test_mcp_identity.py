"""Identity from an MCP request's headers: configured names only, or a signed assertion only."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from specagent_runtime import ConfigurationError, Identity
from specagent_runtime._mcp.identity import HeaderIdentity, default_headers

SECRET = "0123456789abcdef0123456789abcdef"  # 32 bytes


def _token(claims: dict[str, Any], secret: str = SECRET, **options: Any) -> str:
    return jwt.encode(
        {"exp": int(time.time()) + 60, **claims}, secret, algorithm="HS256", **options
    )


def test_the_default_headers_are_the_named_fields() -> None:
    assert default_headers() == {
        "X-Verified-Email": "email",
        "X-Verified-User-Id": "user_id",
        "X-Verified-Username": "username",
        "X-Verified-Customer-Id": "customer_id",
    }


def test_only_configured_headers_count() -> None:
    source = HeaderIdentity.with_prefix("X-Gw-", ["account_number"])
    headers = {"x-gw-email": "ada@example.com", "X-Gw-Account-Number": "A-1", "X-Gw-Role": "admin"}
    assert source.identity(headers) == Identity(
        email="ada@example.com", extra={"account_number": "A-1"}, verified=True
    )
    assert source.identity({"X-Verified-Email": "ada@example.com"}) is None  # another prefix
    assert HeaderIdentity().identity({"X-Verified-Locale": "de"}) is None


def test_a_signed_assertion_is_the_identity_and_plain_headers_are_ignored() -> None:
    source = HeaderIdentity(secret=SECRET)
    token = _token({"email": "ada@example.com", "customer_id": 7, "plan": "gold", "sub": "x"})
    identity = source.identity({"X-Verified-Identity": token, "X-Verified-Email": "grace@x.test"})
    assert identity == Identity(
        email="ada@example.com", customer_id="7", extra={"plan": "gold"}, verified=True
    )
    assert source.identity({"X-Verified-Email": "grace@example.com"}) is None


def _unsigned(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize(
    "token",
    [
        _unsigned({"email": "ada@example.com", "exp": int(time.time()) + 60}),
        _token({"email": "ada@example.com"}, "another-secret-another-secret-xx"),
        _token({"email": "ada@example.com", "exp": int(time.time()) - 120}),
        jwt.encode({"email": "ada@example.com"}, SECRET, algorithm="HS256"),  # no exp
        jwt.encode(
            {"email": "a@b.c", "exp": int(time.time()) + 60}, SECRET + "x" * 32, algorithm="HS512"
        ),
        "not.a.token",
        "",
    ],
    ids=["alg-none", "other-secret", "expired", "no-exp", "hs512", "garbage", "empty"],
)
def test_anything_but_a_valid_hs256_assertion_is_anonymous(token: str) -> None:
    assert HeaderIdentity(secret=SECRET).identity({"X-Verified-Identity": token}) is None


def test_a_short_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        HeaderIdentity(secret="short")


def test_the_secret_is_not_in_the_repr() -> None:
    assert SECRET not in repr(HeaderIdentity(secret=SECRET))
