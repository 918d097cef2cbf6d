"""The web chat: the backend-signed identity token (HS256 JWT) and the widget's messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

import pytest
from specagent_runtime import Secret
from specagent_runtime._channels.base import InboundConfirmation, InboundMessage
from specagent_runtime._channels.errors import PayloadError, SignatureError
from specagent_runtime._channels.signing import ConfirmationCodec
from specagent_runtime._channels.webchat import (
    WebchatChannel,
    confirmation_event,
    conversation_key,
    make_token,
    static_file,
)

SECRET = Secret("webchat-signing-secret-0123456789")
CID = "AAAAAAAAAAAAAAAAAAAAAA"
MID = "mmmmmmmmmmmmmmmmmmmmmm"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(head: dict, claims: dict, key: str = SECRET.reveal()) -> str:
    signing_input = f"{_b64(json.dumps(head).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _claims(**over: object) -> dict:
    now = int(time.time())
    return {
        "sub": "cust-70",
        "email": "ada@example.com",
        "aud": "specagent-webchat",
        "iat": now,
        "exp": now + 600,
        **over,
    }


def _body(**fields: object) -> bytes:
    return json.dumps({"conversation_id": CID, "message_id": MID, **fields}).encode()


def _parse(headers: dict, body: bytes) -> list:
    channel = WebchatChannel(SECRET)
    return list(channel.parse(channel.verify(headers, body)))


def test_without_a_token_the_visitor_is_anonymous() -> None:
    (message,) = _parse({}, _body(text="Where is my order?"))
    assert isinstance(message, InboundMessage)
    assert message.identity is None
    assert message.conversation_id == f"webchat-anon-{CID}"
    assert message.message_id == MID


def test_a_valid_token_is_the_identity() -> None:
    token = make_token(SECRET, sub="cust-70", email="ada@example.com", customer_id="c-9")
    (message,) = _parse({"Authorization": f"Bearer {token}"}, _body(text="hi"))
    assert message.identity is not None
    assert (message.identity.user_id, message.identity.email, message.identity.customer_id) == (
        "cust-70",
        "ada@example.com",
        "c-9",
    )


@pytest.mark.parametrize(
    ("make_token", "problem"),
    [
        (lambda: _jwt({"alg": "HS256"}, _claims(), key="another-secret-0123456789"), "mismatch"),
        (lambda: _jwt({"alg": "none"}, _claims()), "malformed"),
        (lambda: _jwt({"alg": "HS512"}, _claims()), "malformed"),
        (lambda: _jwt({"alg": "HS256"}, _claims(exp=int(time.time()) - 3600)), "expired"),
        (lambda: _jwt({"alg": "HS256"}, _claims(exp=None)), "malformed"),
        (lambda: _jwt({"alg": "HS256"}, _claims(aud="another-app")), "malformed"),
        (lambda: _jwt({"alg": "HS256"}, _claims(iat=int(time.time()) + 3600)), "malformed"),
        (lambda: _jwt({"alg": "HS256"}, _claims(sub="")), "malformed"),
        (lambda: _jwt({"alg": "HS256"}, _claims(exp=int(time.time()) + 7 * 86400)), "malformed"),
        (lambda: "not.a.jwt!", "malformed"),
        (lambda: "only-one-part", "malformed"),
    ],
    ids=[
        "wrong-secret",
        "alg-none",
        "alg-hs512",
        "expired",
        "no-exp",
        "wrong-aud",
        "future-iat",
        "no-sub",
        "too-long-lived",
        "not-base64",
        "not-a-jwt",
    ],
)
def test_an_invalid_token_is_refused_not_treated_as_anonymous(
    make_token: Callable[[], str], problem: str
) -> None:
    # Built when the test runs, not at collection: a token made minutes earlier may have expired.
    token = make_token()
    with pytest.raises(SignatureError) as caught:
        _parse({"Authorization": f"Bearer {token}"}, _body(text="hi"))
    assert caught.value.problem == problem
    assert token not in str(caught.value)


def test_a_tampered_claim_breaks_the_signature() -> None:
    token = make_token(SECRET, sub="cust-70")
    head, claims, signature = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(claims + "=="))
    forged["sub"] = "cust-71"
    token = f"{head}.{_b64(json.dumps(forged).encode())}.{signature}"
    with pytest.raises(SignatureError):
        _parse({"Authorization": f"Bearer {token}"}, _body(text="hi"))


def test_authorization_must_be_a_bearer_token() -> None:
    with pytest.raises(SignatureError):
        _parse({"Authorization": "Basic abc"}, _body(text="hi"))


def test_another_customers_token_reaches_another_conversation() -> None:
    ada = make_token(SECRET, sub="cust-70")
    grace = make_token(SECRET, sub="cust-71")
    (a,) = _parse({"Authorization": f"Bearer {ada}"}, _body(text="hi"))
    (g,) = _parse({"Authorization": f"Bearer {grace}"}, _body(text="hi"))
    (anon,) = _parse({}, _body(text="hi"))
    assert len({a.conversation_id, g.conversation_id, anon.conversation_id}) == 3


def test_a_button_is_a_confirmation() -> None:
    codec = ConfirmationCodec.from_secret(SECRET)
    key = conversation_key(CID, None)
    prompt = codec.prompt(key, "a1", "Cancel order 7?")
    event = confirmation_event(3, prompt)
    (click,) = _parse({}, _body(confirmation=event["options"][0]["token"]))
    assert isinstance(click, InboundConfirmation)
    resolved = codec.resolve(click.token, click.conversation_id, ["a1"])
    assert resolved is not None
    assert resolved.choice == "yes"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"{", "$"),
        (_body(), "$.text"),
        (_body(text=""), "$.text"),
        (_body(text="x" * 4001), "$.text"),
        (_body(text="hi", confirmation="t"), "$"),
        (
            json.dumps({"conversation_id": "short", "message_id": MID, "text": "x"}).encode(),
            "$.conversation_id",
        ),
        (
            json.dumps({"conversation_id": CID, "message_id": "../../x" * 4, "text": "x"}).encode(),
            "$.message_id",
        ),
        (json.dumps({"conversation_id": CID, "text": "x"}).encode(), "$.message_id"),
    ],
)
def test_a_malformed_message_names_the_problem(body: bytes, where: str) -> None:
    with pytest.raises(PayloadError) as caught:
        _parse({}, body)
    assert caught.value.where == where


def test_a_short_signing_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="16"):
        WebchatChannel(Secret("short"))


def test_the_widget_files_ship_as_package_data() -> None:
    assert b"SpecagentWebchat" in static_file("widget.js")
    assert b"data-endpoint" in static_file("snippet.html")
    with pytest.raises(FileNotFoundError):
        static_file("../webchat.py")
