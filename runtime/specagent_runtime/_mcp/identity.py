"""Who the caller of an MCP server over HTTP is: configured headers, or a signed assertion.

Over HTTP anyone who can reach the server can send any header, so the identity is read only
from headers the operator names (by default `X-Verified-Email`, `-User-Id`, `-Username` and
`-Customer-Id`: the identity's own fields, nothing else after the prefix counts), and only the
host's gateway may set them: the server must not be reachable around it. With a shared secret
configured, that is no longer a matter of network layout: the identity comes only from a signed
assertion, an HS256 JWT in one header (`X-Verified-Identity`) that the gateway signs with the
secret; its claims are the identity (`email`, `username`, `user_id`, `customer_id`, other
string claims as `Identity.extra`), `exp` is required, and a token that is unsigned
(`alg: none`), signed otherwise or with another key, expired or altered is refused. Plain
identity headers are then ignored, so a caller who adds `X-Verified-Email` gains nothing.
A refused or missing identity is an anonymous caller: it is offered only the tools anyone may
use.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from specagent_runtime._errors import ConfigurationError
from specagent_runtime._identity import Identity, identity_from_fields

logger = logging.getLogger("specagent_runtime.mcp")

IDENTITY_HEADER_PREFIX = "X-Verified-"
ASSERTION_HEADER = "X-Verified-Identity"
NAMED_FIELDS = ("email", "user_id", "username", "customer_id")
# RFC 7518 3.2: an HS256 key must be at least as long as the hash (256 bits).
MIN_SECRET_BYTES = 32
# Registered JWT claims (RFC 7519 4.1): about the token, not about the customer.
_REGISTERED = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
_LEEWAY_SECONDS = 30  # clock skew between the gateway and this server


def default_headers(prefix: str = IDENTITY_HEADER_PREFIX) -> dict[str, str]:
    """`X-Verified-Email` -> `email`, ...: the prefix followed by each named field."""
    return {f"{prefix}{name.replace('_', '-').title()}": name for name in NAMED_FIELDS}


@dataclass(frozen=True, slots=True)
class HeaderIdentity:
    """How an HTTP request says who the customer is (see the module docstring).

    `headers` maps header names (case-blind) to identity fields; `secret`, when set, turns on
    signed assertions in `assertion_header` and turns the plain headers off."""

    headers: Mapping[str, str] = field(default_factory=default_headers)
    secret: str | None = field(default=None, repr=False)
    assertion_header: str = ASSERTION_HEADER

    def __post_init__(self) -> None:
        if self.secret is not None and len(self.secret.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"the identity secret must be at least {MIN_SECRET_BYTES} bytes long "
                '(HS256, RFC 7518 3.2); generate one with `python -c "import secrets; '
                'print(secrets.token_urlsafe(32))"`'
            )
        lowered = {name.lower(): value for name, value in self.headers.items()}
        object.__setattr__(self, "headers", lowered)

    @classmethod
    def with_prefix(
        cls, prefix: str, extra: Iterable[str] = (), *, secret: str | None = None
    ) -> HeaderIdentity:
        """The named fields after `prefix`, plus `extra` fields (`account_number` is read from
        `<prefix>Account-Number`)."""
        headers = default_headers(prefix)
        headers.update({f"{prefix}{name.replace('_', '-').title()}": name for name in extra})
        return cls(headers=headers, secret=secret)

    def identity(self, headers: Mapping[str, str]) -> Identity | None:
        """The verified identity this request carries, or None (anonymous)."""
        lowered = {name.lower(): value for name, value in headers.items()}
        if self.secret is not None:
            return self._signed(lowered)
        fields = {
            self.headers[name]: value for name, value in lowered.items() if name in self.headers
        }
        return identity_from_fields(fields, verified=True)

    def _signed(self, headers: Mapping[str, str]) -> Identity | None:
        token = headers.get(self.assertion_header.lower(), "").strip()
        plain = sorted(name for name in headers if name in self.headers)
        if not token:
            if plain:
                logger.warning(
                    "identity headers %s ignored: only a signed %s assertion is accepted",
                    plain,
                    self.assertion_header,
                )
            return None
        claims = self._verified_claims(token)
        if claims is None:
            return None
        fields = {
            str(name): str(value)
            for name, value in claims.items()
            if name not in _REGISTERED
            and isinstance(value, str | int)
            and not isinstance(value, bool)
        }
        return identity_from_fields(fields, verified=True)

    def _verified_claims(self, token: str) -> Mapping[str, Any] | None:
        import jwt  # noqa: PLC0415 - PyJWT comes with the mcp extra; only signed setups use it

        assert self.secret is not None
        try:
            claims: Mapping[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                options={"require": ["exp"], "verify_aud": False},
                leeway=_LEEWAY_SECONDS,
            )
        except jwt.PyJWTError as exc:
            # The reason (expired, bad signature, alg) helps the operator; never the token.
            logger.warning("identity assertion refused: %s", type(exc).__name__)
            return None
        return claims
