"""A mock Sunshine Conversations: sends webhooks with the shared secret in `X-API-Key`, checks
the bot's calls against the API's own OpenAPI document (`zendesk.com_sunshine-conversations__
17.12.1.yaml`), and checks its own webhook events against the document's `x-webhooks` event
schemas before sending them.
"""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ._common import (
    SUNSHINE_SPEC,
    MockHelpdesk,
    RecordedRequest,
    record,
    schema_errors,
    spec_request_errors,
)

SERVER = "https://api.smooch.io"
EVENT_SCHEMAS = {
    "conversation:message": "/components/schemas/conversationMessageEvent",
    "conversation:postback": "/components/schemas/conversationPostbackEvent",
    "conversation:read": "/components/schemas/conversationReadEvent",
}
_ids = itertools.count(1)


def _id() -> str:
    return f"{next(_ids):024x}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def user(
    *,
    authenticated: bool = True,
    external_id: str | None = "cust-70",
    user_id: str = "26508c10541a4b0ff472e5e2",
) -> dict[str, Any]:
    found: dict[str, Any] = {"id": user_id, "authenticated": authenticated}
    if external_id is not None:
        found["externalId"] = external_id
    return found


def conversation(
    conversation_id: str, *, active_integration: str | None = "5f11a650e4e987667c2051d1"
) -> dict[str, Any]:
    found: dict[str, Any] = {"id": conversation_id, "type": "personal"}
    if active_integration is not None:
        found["activeSwitchboardIntegration"] = {
            "id": "5eecde2dcdbffb08f5c3ed37",
            "name": "bot",
            "integrationId": active_integration,
            "integrationType": "custom",
        }
    return found


def message_event(
    conversation_id: str,
    text: str,
    *,
    who: dict[str, Any] | None = None,
    author_type: str = "user",
    message_id: str | None = None,
    content: dict[str, Any] | None = None,
    **conv: Any,
) -> dict[str, Any]:
    author: dict[str, Any] = {"type": author_type}
    if author_type == "user":
        who = who or user()
        author.update(userId=who["id"], displayName="Ada", user=who)
    return {
        "id": _id(),
        "createdAt": _now(),
        "type": "conversation:message",
        "payload": {
            "conversation": conversation(conversation_id, **conv),
            "message": {
                "id": message_id or _id(),
                "received": _now(),
                "author": author,
                "content": content or {"type": "text", "text": text},
                "source": {"type": "web", "integrationId": "5ec69c6e12dda33be985cb1a"},
            },
        },
    }


def postback_event(
    conversation_id: str,
    payload: str,
    *,
    who: dict[str, Any] | None = None,
    event_id: str | None = None,
    **conv: Any,
) -> dict[str, Any]:
    return {
        "id": event_id or _id(),
        "createdAt": _now(),
        "type": "conversation:postback",
        "payload": {
            "conversation": conversation(conversation_id, **conv),
            "postback": {"payload": payload},
            "user": who or user(),
            "source": {"type": "web", "integrationId": "5ec69c6e12dda33be985cb1a"},
        },
    }


def batch(*events: dict[str, Any], app_id: str = "5ebee0975ac5304b664a12fa") -> dict[str, Any]:
    return {
        "app": {"id": app_id},
        "webhook": {"id": "5f4eaef81e3dcc117c7ba48a", "version": "v2"},
        "events": list(events),
    }


class SunshineMock(MockHelpdesk):
    name = "sunshine"

    def __init__(
        self,
        *,
        webhook_secret: str = "sunshine-webhook-secret",
        app_id: str = "5ebee0975ac5304b664a12fa",
        key_id: str = "app_5ebee0975ac53",
        key_secret: str = "sunshine-key-secret",
    ) -> None:
        super().__init__()
        self.webhook_secret = webhook_secret
        self.app_id = app_id
        self.key_id = key_id
        self.key_secret = key_secret

    def check_webhook(self, payload: dict[str, Any]) -> list[str]:
        problems = schema_errors(
            SUNSHINE_SPEC,
            "/x-webhooks/Webhook Event/post/requestBody/content/application~1json/schema",
            payload,
        )
        for index, event in enumerate(payload.get("events", [])):
            pointer = EVENT_SCHEMAS.get(event.get("type"))
            if pointer is not None:
                problems += [
                    f"events[{index}]: {p}" for p in schema_errors(SUNSHINE_SPEC, pointer, event)
                ]
        return problems

    def signed(self, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        problems = self.check_webhook(payload)
        assert not problems, f"the mock built an invalid webhook: {problems}"
        return json.dumps(payload).encode(), {
            "Content-Type": "application/json",
            "X-API-Key": self.webhook_secret,
            "User-Agent": "Zendesk Sunshine Conversations",
        }

    def deliver(self, url: str, payload: dict[str, Any]) -> httpx.Response:
        body, headers = self.signed(payload)
        return httpx.post(url, content=body, headers=headers, timeout=10)

    def app(self) -> Starlette:
        base = "/v2/apps/{app_id}/conversations/{conversation_id}"
        return Starlette(
            routes=[
                Route(f"{base}/messages", self._messages, methods=["POST"]),
                Route(f"{base}/passControl", self._pass_control, methods=["POST"]),
            ]
        )

    async def _handle(self, request: Request) -> tuple[RecordedRequest, JSONResponse | None]:
        recorded, raw = await record(request)
        recorded.errors.extend(spec_request_errors(SUNSHINE_SPEC, SERVER, recorded, raw))
        self.log(recorded)
        expected = base64.b64encode(f"{self.key_id}:{self.key_secret}".encode()).decode()
        if recorded.headers.get("authorization") != f"Basic {expected}":
            return recorded, JSONResponse(
                {"errors": [{"code": "unauthorized", "title": "Authorization is required"}]}, 401
            )
        if request.path_params["app_id"] != self.app_id:
            return recorded, JSONResponse(
                {"errors": [{"code": "not_found", "title": "App not found"}]}, 404
            )
        fault = self.take_fault()
        if fault is not None:
            return recorded, JSONResponse(
                {"errors": [{"code": "injected", "title": "injected"}]}, fault[0], fault[1]
            )
        if recorded.errors:
            return recorded, JSONResponse(
                {"errors": [{"code": "bad_request", "title": "invalid"}]}, 400
            )
        return recorded, None

    async def _messages(self, request: Request) -> JSONResponse:
        recorded, refused = await self._handle(request)
        if refused is not None:
            return refused
        body = recorded.body
        return JSONResponse(
            {
                "messages": [
                    {
                        "id": _id(),
                        "received": _now(),
                        "author": body["author"],
                        "content": body["content"],
                        "source": {"type": "api:conversations"},
                    }
                ]
            },
            201,
        )

    async def _pass_control(self, request: Request) -> JSONResponse:
        _, refused = await self._handle(request)
        if refused is not None:
            return refused
        return JSONResponse({}, 200)
