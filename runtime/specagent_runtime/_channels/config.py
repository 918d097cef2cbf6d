"""Channel settings from the documented environment variables (or from code).

Each `*Settings.from_env` reads one helpdesk's variables, wraps secrets in `Secret` at once, and
raises `ConfigError` naming every missing variable (never a value). `channel()` and `client()`
build the two halves. The reference is docs/channels.md; the names are the issue's contract:

    INTERCOM_CLIENT_SECRET INTERCOM_ACCESS_TOKEN INTERCOM_ADMIN_ID [INTERCOM_API_BASE]
        [INTERCOM_TEAM_ID] [INTERCOM_HANDOFF_TAG_ID] [INTERCOM_IDENTITY_VERIFICATION=enforced]
    ZENDESK_WEBHOOK_SECRET ZENDESK_API_BASE ZENDESK_EMAIL ZENDESK_API_TOKEN ZENDESK_BOT_USER_ID
        [ZENDESK_HANDOFF_GROUP_ID] [ZENDESK_HANDOFF_ASSIGNEE_ID] [ZENDESK_HANDOFF_TAG]
        [ZENDESK_REPLAY_WINDOW]
    SUNSHINE_WEBHOOK_SECRET SUNSHINE_APP_ID SUNSHINE_KEY_ID SUNSHINE_KEY_SECRET
        [SUNSHINE_API_BASE] [SUNSHINE_INTEGRATION_ID] [SUNSHINE_HANDOFF_TARGET]
    WEBCHAT_SIGNING_SECRET
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from specagent_runtime import RetryPolicy, Secret
from specagent_runtime._channels.errors import ConfigError
from specagent_runtime._channels.intercom import DEFAULT_API_BASE as INTERCOM_DEFAULT_BASE
from specagent_runtime._channels.intercom import IntercomChannel, IntercomClient
from specagent_runtime._channels.signing import ConfirmationCodec
from specagent_runtime._channels.sunshine import DEFAULT_API_BASE as SUNSHINE_DEFAULT_BASE
from specagent_runtime._channels.sunshine import (
    DEFAULT_HANDOFF_TARGET,
    SunshineChannel,
    SunshineClient,
)
from specagent_runtime._channels.webchat import WebchatChannel
from specagent_runtime._channels.zendesk import (
    DEFAULT_HANDOFF_TAG,
    DEFAULT_REPLAY_WINDOW,
    ZendeskChannel,
    ZendeskClient,
)


class _Env:
    """Reads variables and collects every missing one, so one error lists them all."""

    def __init__(self, channel: str, environ: Mapping[str, str] | None) -> None:
        self.channel = channel
        self.environ = os.environ if environ is None else environ
        self.missing: list[str] = []

    def required(self, name: str) -> str:
        value = self.environ.get(name, "").strip()
        if not value:
            self.missing.append(name)
        return value

    def optional(self, name: str) -> str | None:
        value = self.environ.get(name, "").strip()
        return value or None

    def secret(self, name: str) -> Secret:
        return Secret(self.required(name))

    def done(self) -> None:
        if self.missing:
            names = ", ".join(self.missing)
            raise ConfigError(f"{self.channel}: set the environment variable(s) {names}")


@dataclass(frozen=True, slots=True)
class IntercomSettings:
    client_secret: Secret
    access_token: Secret
    admin_id: str
    api_base: str = INTERCOM_DEFAULT_BASE
    team_id: str | None = None
    tag_id: str | None = None
    identity_verification: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IntercomSettings:
        env = _Env("intercom", environ)
        settings = cls(
            client_secret=env.secret("INTERCOM_CLIENT_SECRET"),
            access_token=env.secret("INTERCOM_ACCESS_TOKEN"),
            admin_id=env.required("INTERCOM_ADMIN_ID"),
            api_base=env.optional("INTERCOM_API_BASE") or INTERCOM_DEFAULT_BASE,
            team_id=env.optional("INTERCOM_TEAM_ID"),
            tag_id=env.optional("INTERCOM_HANDOFF_TAG_ID"),
            identity_verification=_verification(env.optional("INTERCOM_IDENTITY_VERIFICATION")),
        )
        env.done()
        return settings

    def channel(self) -> IntercomChannel:
        return IntercomChannel(self.client_secret, identity_verification=self.identity_verification)

    def client(self, retry: RetryPolicy | None = None) -> IntercomClient:
        """The helpdesk's API client; `retry` None: the channels' default policy."""
        return IntercomClient(
            self.access_token,
            self.admin_id,
            api_base=self.api_base,
            team_id=self.team_id,
            tag_id=self.tag_id,
            retry=retry,
        )

    def codec(self) -> ConfirmationCodec:
        return ConfirmationCodec.from_secret(self.client_secret)


def _verification(value: str | None) -> bool:
    if value is None or value.lower() in {"off", "false", "0", "no"}:
        return False
    if value.lower() in {"enforced", "on", "true", "1", "yes"}:
        return True
    raise ConfigError("intercom: INTERCOM_IDENTITY_VERIFICATION must be `enforced` or `off`")


@dataclass(frozen=True, slots=True)
class ZendeskSettings:
    webhook_secret: Secret
    api_base: str
    email: str
    api_token: Secret
    bot_user_id: str
    handoff_group_id: str | None = None
    handoff_assignee_id: str | None = None
    handoff_tag: str = DEFAULT_HANDOFF_TAG
    replay_window: float = DEFAULT_REPLAY_WINDOW

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ZendeskSettings:
        env = _Env("zendesk", environ)
        window = env.optional("ZENDESK_REPLAY_WINDOW")
        try:
            replay_window = float(window) if window is not None else DEFAULT_REPLAY_WINDOW
        except ValueError:
            raise ConfigError("zendesk: ZENDESK_REPLAY_WINDOW must be seconds") from None
        settings = cls(
            webhook_secret=env.secret("ZENDESK_WEBHOOK_SECRET"),
            api_base=env.required("ZENDESK_API_BASE"),
            email=env.required("ZENDESK_EMAIL"),
            api_token=env.secret("ZENDESK_API_TOKEN"),
            bot_user_id=env.required("ZENDESK_BOT_USER_ID"),
            handoff_group_id=env.optional("ZENDESK_HANDOFF_GROUP_ID"),
            handoff_assignee_id=env.optional("ZENDESK_HANDOFF_ASSIGNEE_ID"),
            handoff_tag=env.optional("ZENDESK_HANDOFF_TAG") or DEFAULT_HANDOFF_TAG,
            replay_window=replay_window,
        )
        env.done()
        return settings

    def channel(self) -> ZendeskChannel:
        return ZendeskChannel(
            self.webhook_secret, bot_user_id=self.bot_user_id, replay_window=self.replay_window
        )

    def client(self, retry: RetryPolicy | None = None) -> ZendeskClient:
        return ZendeskClient(
            self.api_base,
            self.email,
            self.api_token,
            self.bot_user_id,
            handoff_group_id=self.handoff_group_id,
            handoff_assignee_id=self.handoff_assignee_id,
            handoff_tag=self.handoff_tag,
            retry=retry,
        )


@dataclass(frozen=True, slots=True)
class SunshineSettings:
    webhook_secret: Secret
    app_id: str
    key_id: str
    key_secret: Secret
    api_base: str = SUNSHINE_DEFAULT_BASE
    integration_id: str | None = None
    handoff_target: str = DEFAULT_HANDOFF_TARGET

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SunshineSettings:
        env = _Env("sunshine", environ)
        settings = cls(
            webhook_secret=env.secret("SUNSHINE_WEBHOOK_SECRET"),
            app_id=env.required("SUNSHINE_APP_ID"),
            key_id=env.required("SUNSHINE_KEY_ID"),
            key_secret=env.secret("SUNSHINE_KEY_SECRET"),
            api_base=env.optional("SUNSHINE_API_BASE") or SUNSHINE_DEFAULT_BASE,
            integration_id=env.optional("SUNSHINE_INTEGRATION_ID"),
            handoff_target=env.optional("SUNSHINE_HANDOFF_TARGET") or DEFAULT_HANDOFF_TARGET,
        )
        env.done()
        return settings

    def channel(self) -> SunshineChannel:
        return SunshineChannel(self.webhook_secret, integration_id=self.integration_id)

    def client(self, retry: RetryPolicy | None = None) -> SunshineClient:
        return SunshineClient(
            self.app_id,
            self.key_id,
            self.key_secret,
            api_base=self.api_base,
            handoff_target=self.handoff_target,
            retry=retry,
        )

    def codec(self) -> ConfirmationCodec:
        return ConfirmationCodec.from_secret(self.webhook_secret)


@dataclass(frozen=True, slots=True)
class WebchatSettings:
    signing_secret: Secret

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebchatSettings:
        env = _Env("webchat", environ)
        settings = cls(signing_secret=env.secret("WEBCHAT_SIGNING_SECRET"))
        env.done()
        return settings

    def channel(self) -> WebchatChannel:
        return WebchatChannel(self.signing_secret)

    def codec(self) -> ConfirmationCodec:
        return ConfirmationCodec.from_secret(self.signing_secret)
