"""The web chat: the widget's requests in, the events it polls for out.

The widget (`webchat_static/widget.js`) posts to `POST /webchat/messages`:

    {"conversation_id": "<22-64 chars [A-Za-z0-9_-]>", "message_id": "<same alphabet>",
     "text": "..."}                       # a message, or
    {"conversation_id": ..., "message_id": ..., "confirmation": "<token>"}   # a button

and polls `GET /webchat/events?conversation_id=...&after=<seq>` for `{"events": [...]}` made by
`reply_event`, `confirmation_event` and `handoff_event` below. The conversation id is made by the
widget with `crypto.getRandomValues` (128 bits) and is the visitor's key to the conversation.

Identity comes only from a token the company's backend signs for a signed-in customer, sent as
`Authorization: Bearer <token>`: a JWT (RFC 7519) with `alg: HS256`, keyed by
`WEBCHAT_SIGNING_SECRET`, and the claims

    sub          required  the customer's id in the company's systems -> Identity.user_id
    email        optional  their email, as the backend knows it     -> Identity.email
    customer_id  optional                                           -> Identity.customer_id
    aud          required  "specagent-webchat" (a token made for something else is refused)
    exp          required  expiry (seconds since the epoch), at most `max_lifetime` ahead
    iat          optional  issued at; a token from the future is refused

No token means an anonymous visitor; a token that is present but invalid (wrong signature, other
algorithm, expired, wrong audience) is refused with 401 rather than silently treated as
anonymous, so a broken integration is noticed. A verified customer's conversation id is scoped
by a fingerprint of `sub`, so another customer's token with the same widget id reaches another
conversation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any, ClassVar

from specagent_runtime import Identity, Secret
from specagent_runtime._channels.base import (
    ChannelName,
    ConfirmationPrompt,
    Inbound,
    InboundConfirmation,
    InboundMessage,
    VerifiedRequest,
    header,
    optional_text,
    text_member,
)
from specagent_runtime._channels.errors import PayloadError, SignatureError
from specagent_runtime._channels.signing import equal, hmac_digest

NAME: ChannelName = "webchat"
AUDIENCE = "specagent-webchat"
DEFAULT_MAX_LIFETIME = 24 * 3600.0
LEEWAY = 60.0  # clock skew between the company's backend and this service
MAX_TEXT = 4000  # characters per widget message
_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")
_CLAIM_FIELDS = {"sub": "user_id", "email": "email", "customer_id": "customer_id"}


class WebchatChannel:
    """Verifies the widget's identity tokens and reads its messages."""

    name: ClassVar[ChannelName] = NAME

    def __init__(
        self,
        signing_secret: Secret,
        *,
        max_lifetime: float = DEFAULT_MAX_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(signing_secret.reveal()) < 16:
            raise ValueError("webchat: WEBCHAT_SIGNING_SECRET needs at least 16 characters")
        self._secret = signing_secret
        self.max_lifetime = max_lifetime
        self._clock = clock

    def __repr__(self) -> str:
        return f"WebchatChannel(max_lifetime={self.max_lifetime})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedRequest:
        authorization = header(headers, "Authorization")
        if authorization is None or not authorization.strip():
            return VerifiedRequest(NAME, body)
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SignatureError(NAME, "malformed", "Authorization is not `Bearer <token>`")
        return VerifiedRequest(NAME, body, identity=self.identity(token.strip()))

    def identity(self, token: str) -> Identity:
        """The identity a valid token asserts; `SignatureError` for any invalid token."""
        claims = verify_token(self._secret, token, clock=self._clock)
        now = self._clock()
        if claims["exp"] - now > self.max_lifetime + LEEWAY:
            raise SignatureError(NAME, "malformed", "the token lives longer than allowed")
        values = {
            field: claims[claim]
            for claim, field in _CLAIM_FIELDS.items()
            if isinstance(claims.get(claim), str) and claims[claim]
        }
        return Identity(**values, verified=True)

    def parse(self, request: VerifiedRequest) -> Sequence[Inbound]:
        payload = request.json()
        widget_id = _widget_id(payload, "conversation_id")
        message_id = _widget_id(payload, "message_id")
        conversation_id = conversation_key(widget_id, request.identity)
        token = optional_text(NAME, payload, "confirmation", "$")
        text = payload.get("text")
        if token is not None:
            if text is not None:
                raise PayloadError(NAME, "$", "send either text or a confirmation, not both")
            return [
                InboundConfirmation(NAME, conversation_id, message_id, token, "", request.identity)
            ]
        if not isinstance(text, str):
            raise PayloadError(NAME, "$.text", "missing (or not a string)")
        if len(text) > MAX_TEXT:
            raise PayloadError(NAME, "$.text", f"longer than {MAX_TEXT} characters")
        if not text.strip():
            raise PayloadError(NAME, "$.text", "empty")
        return [InboundMessage(NAME, conversation_id, message_id, text.strip(), request.identity)]


def _widget_id(payload: Any, key: str) -> str:
    value = text_member(NAME, payload, key, "$")
    if not _ID.fullmatch(value):
        raise PayloadError(NAME, f"$.{key}", "expected 22-64 characters of [A-Za-z0-9_-]")
    return value


def conversation_key(widget_id: str, identity: Identity | None) -> str:
    """The conversation id the agent uses: the widget's id, scoped by who is signed in."""
    if identity is None:
        return f"webchat-anon-{widget_id}"
    subject = identity.user_id or identity.email or identity.customer_id or ""
    fingerprint = hashlib.sha256(subject.encode()).hexdigest()[:16]
    return f"webchat-{fingerprint}-{widget_id}"


# -- the token: HS256 JWTs, made by the company's backend --------------------------------------


def _b64decode(part: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", part):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def verify_token(
    secret: Secret, token: str, *, audience: str = AUDIENCE, clock: Callable[[], float] = time.time
) -> dict[str, Any]:
    """The claims of a valid HS256 JWT; `SignatureError` naming the first problem otherwise.

    Only HS256 is accepted, whatever the header says (no `none`, no algorithm confusion); the
    signature is checked before any claim is believed.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise SignatureError(NAME, "malformed", "the token is not a JWT (three parts)")
    try:
        head = json.loads(_b64decode(parts[0]))
        signature = _b64decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise SignatureError(NAME, "malformed", "the token header is not base64url JSON") from None
    if not isinstance(head, dict) or head.get("alg") != "HS256":
        raise SignatureError(NAME, "malformed", "the token's algorithm is not HS256")
    expected = hmac_digest(secret, f"{parts[0]}.{parts[1]}".encode(), "sha256")
    if not equal(expected, signature):
        raise SignatureError(NAME, "mismatch", "the token's signature is not valid")
    try:
        claims = json.loads(_b64decode(parts[1]))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise SignatureError(NAME, "malformed", "the token claims are not base64url JSON") from None
    if not isinstance(claims, dict):
        raise SignatureError(NAME, "malformed", "the token's claims are not an object")
    _check_claims(claims, audience, clock())
    return claims


def _check_claims(claims: dict[str, Any], audience: str, now: float) -> None:
    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise SignatureError(NAME, "malformed", f"the token's audience is not {audience!r}")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise SignatureError(NAME, "malformed", "the token has no numeric exp claim")
    if exp < now - LEEWAY:
        raise SignatureError(NAME, "expired", "the token has expired")
    iat = claims.get("iat")
    if iat is not None and (isinstance(iat, bool) or not isinstance(iat, int | float)):
        raise SignatureError(NAME, "malformed", "the token's iat claim is not a number")
    if iat is not None and iat > now + LEEWAY:
        raise SignatureError(NAME, "malformed", "the token was issued in the future")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and not isinstance(nbf, bool) and nbf > now + LEEWAY:
        raise SignatureError(NAME, "malformed", "the token is not valid yet")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise SignatureError(NAME, "malformed", "the token has no sub claim")


def make_token(
    secret: Secret,
    *,
    sub: str,
    email: str | None = None,
    customer_id: str | None = None,
    lifetime: float = 3600.0,
    clock: Callable[[], float] = time.time,
) -> str:
    """An identity token as the company's backend would make it (tests, Python backends)."""
    now = int(clock())
    claims: dict[str, Any] = {"sub": sub, "aud": AUDIENCE, "iat": now, "exp": now + int(lifetime)}
    if email is not None:
        claims["email"] = email
    if customer_id is not None:
        claims["customer_id"] = customer_id
    head = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac_digest(secret, f"{head}.{body}".encode(), "sha256")
    return f"{head}.{body}.{_b64encode(signature)}"


# -- what the widget polls for ------------------------------------------------------------------


def reply_event(seq: int, text: str) -> dict[str, Any]:
    return {"seq": seq, "type": "reply", "text": text}


def confirmation_event(seq: int, prompt: ConfirmationPrompt) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "confirmation",
        "text": prompt.text,
        "options": [
            {"label": prompt.yes_label, "token": prompt.yes_token, "choice": "yes"},
            {"label": prompt.no_label, "token": prompt.no_token, "choice": "no"},
        ],
    }


def handoff_event(seq: int, text: str | None) -> dict[str, Any]:
    return {"seq": seq, "type": "handoff", "text": text or ""}


# -- the widget's files, shipped as package data ------------------------------------------------

STATIC_FILES = ("widget.js", "snippet.html")


def static_file(name: str) -> bytes:
    """`widget.js` or `snippet.html` from the runtime's package data (serve maps
    `GET /webchat/widget.js` to it)."""
    if name not in STATIC_FILES:
        raise FileNotFoundError(name)
    return (resources.files("specagent_runtime._channels") / "webchat_static" / name).read_bytes()
