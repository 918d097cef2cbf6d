"""A mock Intercom: signs and sends webhooks like Intercom, checks the bot's API calls against
Intercom's own OpenAPI document (`intercom.io__2.16.yaml`).

Webhooks: `{"type": "notification_event", "id", "topic", "app_id", "data": {"type":
"notification_event_data", "item": <conversation>}, ...}`, the raw body signed with
`X-Hub-Signature: sha1=<hex>` (HMAC-SHA1, the app's client secret), and the conversation item
itself is checked against the spec's `conversation` schema before it is sent, so the channel's
tests read the shapes the API documents.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ._common import (
    INTERCOM_SPEC,
    MockHelpdesk,
    RecordedRequest,
    record,
    schema_errors,
    spec_request_errors,
)

SERVER = "https://api.intercom.io"
_ids = itertools.count(1000)


def sign(secret: str, body: bytes) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def contact(
    role: str = "user",
    *,
    contact_id: str = "6762f0d51bb69f9f2193bb7f",
    external_id: str | None = "cust-70",
    email: str | None = "ada@example.com",
    name: str = "Ada",
) -> dict[str, Any]:
    """A contact as the author of a part (`role` is Intercom's `user` or `lead`)."""
    return {
        "type": role,
        "id": contact_id,
        "external_id": external_id,
        "email": email,
        "name": name,
    }


def _author(who: dict[str, Any]) -> dict[str, Any]:
    author = {"type": who["type"], "id": who["id"], "name": who["name"]}
    if who.get("email"):
        author["email"] = who["email"]
    return author


def _conversation(
    conversation_id: str, who: dict[str, Any], source_body: str, parts: list[dict[str, Any]]
) -> dict[str, Any]:
    now = int(time.time())
    return {
        "type": "conversation",
        "id": conversation_id,
        "created_at": now,
        "updated_at": now,
        "open": True,
        "state": "open",
        "read": False,
        "priority": "none",
        "admin_assignee_id": 0,
        "team_assignee_id": 0,
        "source": {
            "type": "conversation",
            "id": f"40{conversation_id}",
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": source_body,
            "author": _author(who),
            "attachments": [],
            "url": None,
            "redacted": False,
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [
                {"type": "contact", "id": who["id"], "external_id": who.get("external_id")}
            ],
        },
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": parts,
            "total_count": len(parts),
        },
    }


def part(
    who: dict[str, Any],
    body: str | None,
    *,
    part_id: str | None = None,
    part_type: str = "comment",
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    now = int(time.time())
    return {
        "type": "conversation_part",
        "id": part_id or str(next(_ids)),
        "part_type": part_type,
        "body": body,
        "created_at": now,
        "updated_at": now,
        "notified_at": now,
        "author": _author(who),
        "attachments": [],
        "external_id": None,
        "redacted": False,
        "metadata": metadata or {},
    }


def notification(
    topic: str, item: dict[str, Any], *, notification_id: str | None = None
) -> dict[str, Any]:
    now = int(time.time())
    return {
        "type": "notification_event",
        "app_id": "a86dr8yl",
        "data": {"type": "notification_event_data", "item": item},
        "links": {},
        "id": notification_id or f"notif_{next(_ids)}",
        "topic": topic,
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": now,
        "created_at": now,
        "self": None,
    }


class IntercomMock(MockHelpdesk):
    name = "intercom"

    def __init__(
        self,
        *,
        client_secret: str = "intercom-client-secret",
        access_token: str = "intercom-access-token",
        admin_id: str = "991267700",
        identity_verification: bool = True,
    ) -> None:
        super().__init__()
        self.client_secret = client_secret
        self.access_token = access_token
        self.admin_id = admin_id
        self.identity_verification = identity_verification

    # -- webhooks -----------------------------------------------------------------------------
    def user_created(
        self, conversation_id: str, text: str, who: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        item = _conversation(conversation_id, who or contact(), f"<p>{text}</p>", [])
        return notification("conversation.user.created", item, **kw)

    def user_replied(
        self,
        conversation_id: str,
        parts: list[dict[str, Any]],
        who: dict[str, Any] | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        item = _conversation(conversation_id, who or contact(), "<p>Hi</p>", parts)
        return notification("conversation.user.replied", item, **kw)

    def check_webhook(self, payload: dict[str, Any]) -> list[str]:
        if payload.get("topic", "").startswith("conversation."):
            return schema_errors(
                INTERCOM_SPEC, "/components/schemas/conversation", payload["data"]["item"]
            )
        return []

    def signed(self, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """The body and headers Intercom sends; the payload must fit the spec."""
        problems = self.check_webhook(payload)
        assert not problems, f"the mock built an invalid conversation: {problems}"
        body = json.dumps(payload).encode()
        return body, {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "intercom-parrot-service-client/1.0",
            "X-Hub-Signature": sign(self.client_secret, body),
        }

    def deliver(self, url: str, payload: dict[str, Any]) -> httpx.Response:
        body, headers = self.signed(payload)
        return httpx.post(url, content=body, headers=headers, timeout=10)

    # -- the API ------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/conversations/{conversation_id}/reply", self._reply, methods=["POST"]),
                Route("/conversations/{conversation_id}/parts", self._parts, methods=["POST"]),
                Route("/conversations/{conversation_id}/tags", self._tags, methods=["POST"]),
                Route("/me", self._me, methods=["GET"]),
            ]
        )

    async def _handle(self, request: Request) -> tuple[RecordedRequest, JSONResponse | None]:
        recorded, raw = await record(request)
        recorded.errors.extend(spec_request_errors(INTERCOM_SPEC, SERVER, recorded, raw))
        self.log(recorded)
        if recorded.headers.get("authorization") != f"Bearer {self.access_token}":
            return recorded, JSONResponse(_error("unauthorized", "Access Token Invalid"), 401)
        fault = self.take_fault()
        if fault is not None:
            status, headers = fault
            return recorded, JSONResponse(_error("server_error", "injected"), status, headers)
        if recorded.errors:
            return recorded, JSONResponse(_error("parameter_invalid", "invalid request"), 400)
        return recorded, None

    async def _reply(self, request: Request) -> JSONResponse:
        recorded, refused = await self._handle(request)
        if refused is not None:
            return refused
        body = recorded.body
        admin = {
            "id": str(body.get("admin_id")),
            "type": "admin",
            "name": "Bot",
            "email": "bot@example.com",
        }
        new = part(admin, body.get("body"), part_type=body.get("message_type", "comment"))
        who = contact()
        return JSONResponse(_conversation(request.path_params["conversation_id"], who, "", [new]))

    async def _parts(self, request: Request) -> JSONResponse:
        recorded, refused = await self._handle(request)
        if refused is not None:
            return refused
        admin = {
            "id": str(recorded.body.get("admin_id")),
            "type": "admin",
            "name": "Bot",
            "email": "bot@example.com",
        }
        new = part(admin, recorded.body.get("body"), part_type="assignment")
        return JSONResponse(
            _conversation(request.path_params["conversation_id"], contact(), "", [new])
        )

    async def _tags(self, request: Request) -> JSONResponse:
        recorded, refused = await self._handle(request)
        if refused is not None:
            return refused
        return JSONResponse({"type": "tag", "id": str(recorded.body.get("id")), "name": "handoff"})

    async def _me(self, request: Request) -> JSONResponse:
        _, refused = await self._handle(request)
        if refused is not None:
            return refused
        return JSONResponse(
            {
                "type": "admin",
                "id": self.admin_id,
                "email": "bot@example.com",
                "name": "Bot",
                "email_verified": True,
                "app": {
                    "type": "app",
                    "id_code": "a86dr8yl",
                    "name": "Shop",
                    "created_at": 1,
                    "secure": True,
                    "identity_verification": self.identity_verification,
                },
            }
        )


def _error(code: str, message: str) -> dict[str, Any]:
    return {
        "type": "error.list",
        "request_id": None,
        "errors": [{"code": code, "message": message}],
    }
