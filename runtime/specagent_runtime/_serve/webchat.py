"""The web chat's outbound half and the widget's own endpoints.

A web chat has no helpdesk API to post to: the widget polls. `WebchatOutbox` is the
`HelpdeskClient` of the channel: a reply, a confirmation (with its button tokens) and a hand-off
become events in the store (kind ``webchat_events``, key the conversation id the channel made,
``{"next": n, "events": [...]}``, compare-and-set), so every worker behind a load balancer
answers the widget's poll from the same record, and a poll after a restart still finds them.

Routes (`routes`): ``GET /webchat/widget.js`` and ``/webchat/snippet.html`` (the runtime's
package data), ``POST /webchat/messages`` (the widget's messages and clicks; the same handler
as ``POST /webhooks/webchat``) and ``GET /webchat/events?conversation_id=&after=``. A poll is
checked like a message: the widget's token (if any) scopes the conversation, so another
customer's token, or none, reads another conversation.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from specagent_runtime import Identity
from specagent_runtime._channels.base import (
    ConfirmationPrompt,
    Delivery,
    HandoffRequest,
    InboundConfirmation,
    InboundMessage,
)
from specagent_runtime._channels.errors import SignatureError
from specagent_runtime._channels.webchat import (
    _ID,
    WebchatChannel,
    confirmation_event,
    conversation_key,
    handoff_event,
    reply_event,
    static_file,
)
from specagent_runtime._errors import StoreConflict, StoreError
from specagent_runtime._stores.base import Store

EVENTS_KIND = "webchat_events"
KEEP = 200  # events kept per conversation (the widget has shown older ones)
_RACES = 50


class WebchatOutbox:
    """Replies for the widget to poll, kept in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __repr__(self) -> str:
        return "WebchatOutbox()"

    async def reply(self, conversation_id: str, text: str) -> Delivery:
        return await self._append("reply", conversation_id, lambda seq: reply_event(seq, text))

    async def ask_confirmation(self, conversation_id: str, prompt: ConfirmationPrompt) -> Delivery:
        return await self._append(
            "ask_confirmation", conversation_id, lambda seq: confirmation_event(seq, prompt)
        )

    async def hand_off(self, conversation_id: str, handoff: HandoffRequest) -> Delivery:
        # The note is for the company's people; the widget shows only the last word.
        return await self._append(
            "hand_off", conversation_id, lambda seq: handoff_event(seq, handoff.message)
        )

    async def identify(self, message: InboundMessage | InboundConfirmation) -> Identity | None:
        return message.identity

    async def aclose(self) -> None:
        return None

    async def events(self, conversation_id: str, after: int) -> list[dict[str, Any]]:
        found = await self.store.get(EVENTS_KIND, conversation_id)
        if found is None:
            return []
        return [event for event in found.value.get("events", []) if int(event["seq"]) > after]

    async def _append(self, operation: str, conversation_id: str, make: Any) -> Delivery:
        for _ in range(_RACES):
            found = await self.store.get(EVENTS_KIND, conversation_id)
            value: dict[str, Any] = (
                dict(found.value) if found is not None else {"next": 1, "events": []}
            )
            seq = int(value["next"])
            value["next"] = seq + 1
            value["events"] = [*value.get("events", []), make(seq)][-KEEP:]
            try:
                await self.store.put(
                    EVENTS_KIND, conversation_id, value, version=found.version if found else 0
                )
            except StoreConflict:
                continue
            return Delivery(operation, 200, str(seq))
        raise StoreError(f"web chat {conversation_id!r}: too many writers at once")


async def widget(request: Request) -> Response:
    return Response(
        static_file("widget.js"),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


async def snippet(request: Request) -> Response:
    return Response(static_file("snippet.html"), media_type="text/html; charset=utf-8")


def events_endpoint(channel: WebchatChannel, outbox: WebchatOutbox) -> Any:
    async def events(request: Request) -> JSONResponse:
        try:
            verified = channel.verify(request.headers, b"")
        except SignatureError as exc:
            return JSONResponse({"error": exc.problem}, 401)
        widget_id = request.query_params.get("conversation_id", "")
        after_text = request.query_params.get("after", "0")
        if not _ID.fullmatch(widget_id) or not after_text.isdigit():
            return JSONResponse({"error": "conversation_id or after is malformed"}, 400)
        key = conversation_key(widget_id, verified.identity)
        found = await outbox.events(key, int(after_text))
        return JSONResponse({"events": found}, headers={"Cache-Control": "no-store"})

    return events
