from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GetWellKnownMercureArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    topic: list[str]
    """
    The topic to get updates from, can be a URI template (RFC6570).
    """
    last_event_id__query: str | None = Field(default=None, alias="Last-Event-ID__query")
    """
    The last received event id, to retrieve missed events.
    """
    last_event_id__header: str | None = Field(
        default=None, alias="Last-Event-ID__header"
    )
    """
    The last received event id, to retrieve missed events, takes precedence over the query parameter.
    """


class GetWellKnownMercureSubscriptionsArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class GetWellKnownMercureSubscriptionsByTopicArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    topic: str


class GetWellKnownMercureSubscriptionsByTopicBySubscriberArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    topic: str
    subscriber: str


class Body(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    data: str
    """
    The content of the new version of this topic.
    """
    id: str | None = None
    """
    The topic's revision identifier: it will be used as the SSE's `id` property.
    """
    private: bool | None = None
    """
    To mark an update as private. If not provided, this update will be public.
    """
    retry: int | None = None
    """
    The SSE's `retry` property (the reconnection time).
    """
    topic: list[str]
    """
    IRIs of the updated topic. If this key is present several times, the first occurrence is considered to be the canonical URL of the topic, and other ones are considered to be alternate URLs.
    """
    type: str | None = None
    """
    The SSE's `event` property (a specific event type).
    """


class PostWellKnownMercureArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    body: Body | None = None


class Subscription(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_context: str | None = Field(default=None, alias="@context")
    active: bool
    id: str
    last_event_id: str | None = Field(default=None, alias="lastEventID")
    payload: dict[str, Any] | None = None
    subscriber: str
    topic: str
    type: str


class Subscriptions(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    field_context: str = Field(..., alias="@context")
    id: str
    last_event_id: str = Field(..., alias="lastEventID")
    subscriptions: list[Subscription]
    type: str
