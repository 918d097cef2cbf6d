"""Settings from the documented environment variables: every missing name at once, no values."""

from __future__ import annotations

import pytest
from specagent_runtime._channels.config import (
    IntercomSettings,
    SunshineSettings,
    WebchatSettings,
    ZendeskSettings,
)
from specagent_runtime._channels.errors import ConfigError
from specagent_runtime._channels.intercom import IntercomChannel, IntercomClient
from specagent_runtime._channels.zendesk import ZendeskChannel

INTERCOM = {
    "INTERCOM_CLIENT_SECRET": "client-secret-value",
    "INTERCOM_ACCESS_TOKEN": "access-token-value",
    "INTERCOM_ADMIN_ID": "991267700",
}


def test_intercom_settings_build_both_halves() -> None:
    settings = IntercomSettings.from_env(
        {
            **INTERCOM,
            "INTERCOM_API_BASE": "http://127.0.0.1:8001/",
            "INTERCOM_IDENTITY_VERIFICATION": "enforced",
        }
    )
    assert isinstance(settings.channel(), IntercomChannel)
    assert settings.channel().identity_verification is True
    client = settings.client()
    assert isinstance(client, IntercomClient)
    assert "http://127.0.0.1:8001" in repr(client)
    assert "client-secret-value" not in repr(settings)
    assert "access-token-value" not in repr(settings)


def test_missing_variables_are_all_named() -> None:
    with pytest.raises(ConfigError) as caught:
        IntercomSettings.from_env({"INTERCOM_CLIENT_SECRET": "client-secret-value"})
    assert "INTERCOM_ACCESS_TOKEN" in str(caught.value)
    assert "INTERCOM_ADMIN_ID" in str(caught.value)
    assert "client-secret-value" not in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        (
            ZendeskSettings,
            "ZENDESK_WEBHOOK_SECRET, ZENDESK_API_BASE, ZENDESK_EMAIL, "
            "ZENDESK_API_TOKEN, ZENDESK_BOT_USER_ID",
        ),
        (
            SunshineSettings,
            "SUNSHINE_WEBHOOK_SECRET, SUNSHINE_APP_ID, SUNSHINE_KEY_ID, SUNSHINE_KEY_SECRET",
        ),
        (WebchatSettings, "WEBCHAT_SIGNING_SECRET"),
    ],
)
def test_each_channel_names_its_variables(settings, missing: str) -> None:
    with pytest.raises(ConfigError, match=missing):
        settings.from_env({})


def test_a_bad_base_url_or_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match="INTERCOM_API_BASE"):
        IntercomSettings.from_env({**INTERCOM, "INTERCOM_API_BASE": "ftp://example.com"}).client()
    with pytest.raises(ConfigError, match="INTERCOM_IDENTITY_VERIFICATION"):
        IntercomSettings.from_env({**INTERCOM, "INTERCOM_IDENTITY_VERIFICATION": "maybe"})
    env = {
        "ZENDESK_WEBHOOK_SECRET": "s" * 20,
        "ZENDESK_API_BASE": "https://acme.zendesk.com",
        "ZENDESK_EMAIL": "bot@acme.com",
        "ZENDESK_API_TOKEN": "t" * 20,
        "ZENDESK_BOT_USER_ID": "900",
    }
    with pytest.raises(ConfigError, match="ZENDESK_REPLAY_WINDOW"):
        ZendeskSettings.from_env({**env, "ZENDESK_REPLAY_WINDOW": "five minutes"})
    channel = ZendeskSettings.from_env({**env, "ZENDESK_REPLAY_WINDOW": "120"}).channel()
    assert isinstance(channel, ZendeskChannel)
    assert channel.replay_window == 120.0
