"""A mock Zendesk Support: signs and sends event webhooks like Zendesk, checks the bot's calls.

Webhooks: the `zen:event-type:ticket.comment_added` event
(https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events) with
`X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(timestamp + body)) and the ISO 8601
`X-Zendesk-Webhook-Signature-Timestamp`, plus the account, webhook and invocation id headers
(https://developer.zendesk.com/documentation/webhooks/anatomy-of-a-webhook-request).

Zendesk Support's OpenAPI document is not in the corpus, so requests are checked against the
JSON Schemas below, written from the Tickets API ("Update Ticket", the comment object) and the
User Identities API reference pages: they are this project's reading of the docs, not the
helpdesk's own spec (see README.md beside this file).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ._common import MockHelpdesk, RecordedRequest, record

_ids = itertools.count(5000)
_ID = {"type": "integer", "minimum": 1}

COMMENT = {
    "type": "object",
    "properties": {
        "body": {"type": "string", "minLength": 1},
        "html_body": {"type": "string"},
        "public": {"type": "boolean"},
        "author_id": _ID,
    },
    "additionalProperties": False,
    "anyOf": [{"required": ["body"]}, {"required": ["html_body"]}],
}
TICKET_UPDATE = {
    "type": "object",
    "required": ["ticket"],
    "additionalProperties": False,
    "properties": {
        "ticket": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                "comment": COMMENT,
                "group_id": _ID,
                "assignee_id": _ID,
                "status": {"enum": ["new", "open", "pending", "hold", "solved", "closed"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "additional_tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "remove_tags": {"type": "array", "items": {"type": "string"}},
            },
        }
    },
}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def iso_now(offset: float = 0.0) -> str:
    return datetime.fromtimestamp(time.time() + offset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def comment_added(
    ticket_id: str,
    text: str,
    *,
    author_id: str = "20978392",
    comment_id: str | None = None,
    public: bool = True,
    staff: bool = False,
    event_id: str | None = None,
) -> dict[str, Any]:
    now = iso_now()
    return {
        "type": "zen:event-type:ticket.comment_added",
        "account_id": 22129848,
        "id": event_id or str(uuid.uuid4()),
        "time": now,
        "zendesk_event_version": "2022-11-06",
        "subject": f"zen:ticket:{ticket_id}",
        "detail": {
            "id": ticket_id,
            "requester_id": author_id,
            "submitter_id": author_id,
            "status": "OPEN",
            "subject": "Order question",
            "created_at": now,
            "updated_at": now,
            "via": {"channel": "email"},
        },
        "event": {
            "comment": {
                "id": comment_id or str(next(_ids)),
                "body": text,
                "is_public": public,
                "author": {"id": author_id, "is_staff": staff, "name": "Ada"},
            }
        },
    }


class ZendeskMock(MockHelpdesk):
    name = "zendesk"

    def __init__(
        self,
        *,
        signing_secret: str = "zendesk-signing-secret",
        email: str = "bot@example.com",
        api_token: str = "zendesk-api-token",
    ) -> None:
        super().__init__()
        self.signing_secret = signing_secret
        self.email = email
        self.api_token = api_token
        # user id -> identities, as `GET /api/v2/users/{id}/identities` returns them
        self.identities: dict[str, list[dict[str, Any]]] = {}

    def add_identity(
        self, user_id: str, email: str, *, verified: bool, primary: bool = True
    ) -> None:
        self.identities.setdefault(user_id, []).append(
            {
                "id": next(_ids),
                "user_id": int(user_id),
                "type": "email",
                "value": email,
                "verified": verified,
                "primary": primary,
                "created_at": iso_now(),
                "updated_at": iso_now(),
                "url": f"https://example.zendesk.com/api/v2/users/{user_id}/identities/1.json",
            }
        )

    # -- webhooks -----------------------------------------------------------------------------
    def signed(
        self, payload: dict[str, Any], *, timestamp: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload).encode()
        stamp = timestamp or iso_now()
        return body, {
            "Content-Type": "application/json",
            "x-zendesk-account-id": "22129848",
            "x-zendesk-webhook-id": "01F1KRFQ6BG29CNWFR60NK5FNY",
            "x-zendesk-webhook-invocation-id": str(next(_ids)),
            "x-zendesk-webhook-signature": sign(self.signing_secret, stamp, body),
            "x-zendesk-webhook-signature-timestamp": stamp,
        }

    def deliver(self, url: str, payload: dict[str, Any]) -> httpx.Response:
        body, headers = self.signed(payload)
        return httpx.post(url, content=body, headers=headers, timeout=10)

    # -- the API ------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v2/tickets/{ticket_id:int}", self._update, methods=["PUT"]),
                Route("/api/v2/users/{user_id:int}/identities", self._identities, methods=["GET"]),
            ]
        )

    async def _handle(
        self, request: Request, schema: dict[str, Any] | None
    ) -> tuple[RecordedRequest, JSONResponse | None]:
        recorded, _ = await record(request)
        if schema is not None:
            if recorded.headers.get("content-type", "").split(";")[0] != "application/json":
                recorded.errors.append("Content-Type is not application/json")
            recorded.errors.extend(
                f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
                for e in Draft202012Validator(schema).iter_errors(recorded.body)
            )
        self.log(recorded)
        expected = base64.b64encode(f"{self.email}/token:{self.api_token}".encode()).decode()
        if recorded.headers.get("authorization") != f"Basic {expected}":
            return recorded, JSONResponse({"error": "Couldn't authenticate you"}, 401)
        fault = self.take_fault()
        if fault is not None:
            return recorded, JSONResponse({"error": "injected"}, fault[0], fault[1])
        if recorded.errors:
            return recorded, JSONResponse({"error": "RecordInvalid", "description": "invalid"}, 422)
        return recorded, None

    async def _update(self, request: Request) -> JSONResponse:
        recorded, refused = await self._handle(request, TICKET_UPDATE)
        if refused is not None:
            return refused
        ticket_id = request.path_params["ticket_id"]
        ticket = recorded.body["ticket"]
        return JSONResponse(
            {
                "ticket": {
                    "id": ticket_id,
                    "status": "open",
                    "group_id": ticket.get("group_id"),
                    "tags": ticket.get("additional_tags", []),
                },
                "audit": {"id": next(_ids), "ticket_id": ticket_id, "events": []},
            }
        )

    async def _identities(self, request: Request) -> JSONResponse:
        _, refused = await self._handle(request, None)
        if refused is not None:
            return refused
        user_id = str(request.path_params["user_id"])
        return JSONResponse(
            {
                "identities": self.identities.get(user_id, []),
                "next_page": None,
                "previous_page": None,
                "count": len(self.identities.get(user_id, [])),
            }
        )
