"""One channel's two halves and its confirmation key, from settings or the environment.

`channel_setup("intercom")` reads the documented variables (`_channels.config`), so the CLI and
`serve_app` build a channel the same way; a host passes its own `*Settings` instead. The web
chat's outbound half is the store (`webchat.WebchatOutbox`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

from specagent_runtime import RetryPolicy
from specagent_runtime._channels.base import Channel, ChannelName, HelpdeskClient
from specagent_runtime._channels.config import (
    IntercomSettings,
    SunshineSettings,
    WebchatSettings,
    ZendeskSettings,
)
from specagent_runtime._channels.errors import ConfigError, DeliveryError
from specagent_runtime._channels.intercom import IntercomChannel, IntercomClient
from specagent_runtime._channels.signing import ConfirmationCodec
from specagent_runtime._serve.webchat import WebchatOutbox
from specagent_runtime._stores.base import Store

logger = logging.getLogger("specagent_runtime.serve")

CHANNELS: tuple[ChannelName, ...] = ("intercom", "zendesk", "sunshine", "webchat")
Settings: TypeAlias = IntercomSettings | ZendeskSettings | SunshineSettings | WebchatSettings


@dataclass(frozen=True, slots=True)
class ChannelSetup:
    name: ChannelName
    channel: Channel
    client: HelpdeskClient
    codec: ConfirmationCodec
    settings: Settings


def settings_from_env(name: str, environ: Mapping[str, str] | None = None) -> Settings:
    """The channel's settings from its environment variables; `ConfigError` names each missing
    one."""
    if name == "intercom":
        return IntercomSettings.from_env(environ)
    if name == "zendesk":
        return ZendeskSettings.from_env(environ)
    if name == "sunshine":
        return SunshineSettings.from_env(environ)
    if name == "webchat":
        return WebchatSettings.from_env(environ)
    raise ConfigError(f"unknown channel {name!r}: choose one of {', '.join(CHANNELS)}")


def channel_setup(
    settings: Settings, store: Store, retry: RetryPolicy | None = None
) -> ChannelSetup:
    """The channel, its client (calls with `retry`, else the channels' default) and codec."""
    if isinstance(settings, IntercomSettings):
        intercom = settings.client(retry)
        return ChannelSetup("intercom", settings.channel(), intercom, settings.codec(), settings)
    if isinstance(settings, ZendeskSettings):
        # Zendesk's questions are answered in words; the codec only names the proposal.
        codec = ConfirmationCodec.from_secret(settings.webhook_secret)
        return ChannelSetup("zendesk", settings.channel(), settings.client(retry), codec, settings)
    if isinstance(settings, SunshineSettings):
        sunshine = settings.client(retry)
        return ChannelSetup("sunshine", settings.channel(), sunshine, settings.codec(), settings)
    return ChannelSetup(
        "webchat", settings.channel(), WebchatOutbox(store), settings.codec(), settings
    )


async def check_at_start(setup: ChannelSetup) -> None:
    """Checks a channel needs before it trusts anyone: with
    ``INTERCOM_IDENTITY_VERIFICATION=enforced``, that the workspace really enforces Identity
    Verification (`GET /me`). Not enforced: `ConfigError` (the service must not start trusting
    users Intercom never verified). Intercom unreachable: users stay anonymous until a restart,
    with a warning, rather than a service that cannot start while the helpdesk is down."""
    channel, client = setup.channel, setup.client
    if not isinstance(channel, IntercomChannel) or not isinstance(client, IntercomClient):
        return
    if not channel.identity_verification:
        return
    try:
        enforced = await client.workspace_identity_verification()
    except DeliveryError as exc:
        channel.identity_verification = False
        logger.warning(
            "intercom: cannot check Identity Verification (%s); every contact is anonymous "
            "until the service restarts",
            exc,
        )
        return
    if not enforced:
        raise ConfigError(
            "intercom: INTERCOM_IDENTITY_VERIFICATION=enforced, but GET /me says the workspace "
            "does not enforce Identity Verification: enforce it in Intercom (Settings, "
            "Security) or unset the variable"
        )
