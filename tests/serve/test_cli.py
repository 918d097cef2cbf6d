"""`python -m shop_agent serve --channel intercom` as a subprocess, as the README runs it: a
signed webhook from the mock answered through the mock's API; killed with SIGKILL between the
acknowledgement and the reply, restarted on the same store, it answers once; the secrets in no
log line and nowhere in the store file."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fake_openai import say
from tests.support.helpdesks.intercom import IntercomMock
from tests.support.helpdesks.sunshine import SunshineMock, batch, message_event
from tests.support.helpdesks.zendesk import ZendeskMock, comment_added

from ._support import SHOP, GatedModel, load_shop_server, wait_until

pytestmark = pytest.mark.slow
OPENAI_KEY = "sk-test-openai-key-never-logged"
WEBCHAT_SECRET = "webchat-signing-secret-of-the-cli-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    def __init__(
        self, env: dict[str, str], log: Path, *args: str, channel: str = "intercom"
    ) -> None:
        self.port = free_port()
        self.log = log
        command = [sys.executable, "-m", "shop_agent", "serve", "--channel", channel]
        command += ["--port", str(self.port), *args]
        self.handle = open(log, "ab")
        self.process = subprocess.Popen(
            command, cwd=SHOP, env=env, stdout=self.handle, stderr=subprocess.STDOUT
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ready(self) -> None:
        def up() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.log.read_text()}")
            try:
                return httpx.get(self.url("/healthz"), timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, 120, "the service to start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()


@pytest.fixture
def environment(
    intercom: IntercomMock, shop: Any, model: GatedModel, tmp_path: Path
) -> dict[str, str]:
    server = load_shop_server()
    channels = ("INTERCOM_", "ZENDESK_", "SUNSHINE_", "WEBCHAT_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(channels)}
    env.update(
        INTERCOM_CLIENT_SECRET=intercom.client_secret,
        INTERCOM_ACCESS_TOKEN=intercom.access_token,
        INTERCOM_ADMIN_ID=intercom.admin_id,
        INTERCOM_API_BASE=intercom.base_url,
        INTERCOM_IDENTITY_VERIFICATION="enforced",
        OPENAI_API_KEY=OPENAI_KEY,
        OPENAI_BASE_URL=model.base_url,
        SPECAGENT_MODEL="serve-cli-model",
        SPECAGENT_STORE=str(tmp_path / "service.sqlite3"),
        SPECAGENT_LEASE_TTL="1",
        SHOP_AGENT_SUPPORT_O_AUTH_CLIENT_ID=server.CLIENT_ID,
        SHOP_AGENT_SUPPORT_O_AUTH_CLIENT_SECRET=server.CLIENT_SECRET,
    )
    return env


@pytest.fixture
def started(environment: dict[str, str], shop: Any, tmp_path: Path) -> Iterator[list[Process]]:
    processes: list[Process] = []
    yield processes
    for process in processes:
        process.stop()


def replies(mock: IntercomMock, conversation: str) -> list[Any]:
    return [r.body for r in mock.requests if r.path == f"/conversations/{conversation}/reply"]


def test_the_readme_command_answers_a_signed_webhook(
    environment: dict[str, str],
    started: list[Process],
    intercom: IntercomMock,
    model: GatedModel,
    shop: Any,
    tmp_path: Path,
) -> None:
    model.add(say("Your order 1003 has shipped."))
    service = Process(environment, tmp_path / "serve.log", "--api-url", shop.base_url)
    started.append(service)
    service.ready()
    payload = intercom.user_created("cli-1", "Where is order 1003?")
    response = intercom.deliver(service.url("/webhooks/intercom"), payload)
    assert response.status_code == 200
    (reply,) = wait_until(lambda: replies(intercom, "cli-1"), what="the reply")
    assert reply["body"] == "<p>Your order 1003 has shipped.</p>"
    assert model.requests[0]["model"] == "serve-cli-model"
    forged = httpx.post(service.url("/webhooks/intercom"), content=b"{}", headers={})
    assert forged.status_code == 401
    service.stop()
    log = service.log.read_text()
    assert "webhook refused (401)" in log
    store = Path(environment["SPECAGENT_STORE"]).read_bytes()
    for secret in (intercom.client_secret, intercom.access_token, OPENAI_KEY):
        assert secret not in log
        assert secret.encode() not in store


def test_a_crash_between_the_ack_and_the_reply_loses_nothing(
    environment: dict[str, str],
    started: list[Process],
    intercom: IntercomMock,
    model: GatedModel,
    shop: Any,
    tmp_path: Path,
) -> None:
    model.held = True
    model.discard_held = True  # the killed process's call must not take the answer
    model.add(say("Answered after the restart."))
    first = Process(environment, tmp_path / "first.log", "--api-url", shop.base_url)
    started.append(first)
    first.ready()
    payload = intercom.user_created("cli-2", "Is anyone there?")
    assert intercom.deliver(first.url("/webhooks/intercom"), payload).status_code == 200
    assert model.arrived.wait(120), "the model call did not start"
    first.process.send_signal(signal.SIGKILL)  # acknowledged, answering, not replied
    first.process.wait(timeout=10)
    assert replies(intercom, "cli-2") == []

    model.held = False
    time.sleep(0.2)  # the held call of the dead process is answered with nothing
    second = Process(environment, tmp_path / "second.log", "--api-url", shop.base_url)
    started.append(second)
    second.ready()
    (reply,) = wait_until(lambda: replies(intercom, "cli-2"), 120, "the reply after the restart")
    assert reply["body"] == "<p>Answered after the restart.</p>"
    # The helpdesk redelivers the webhook it never saw finish: still one reply.
    assert intercom.deliver(second.url("/webhooks/intercom"), payload).json()["duplicate"] == 1
    wait_until(lambda: "posted" in second.log.read_text(), what="the worker's log line")
    assert len(replies(intercom, "cli-2")) == 1


def test_two_processes_on_one_store_answer_a_duplicate_once(
    environment: dict[str, str],
    started: list[Process],
    intercom: IntercomMock,
    model: GatedModel,
    shop: Any,
    tmp_path: Path,
) -> None:
    model.add(say("Only once."))
    one = Process(environment, tmp_path / "one.log", "--api-url", shop.base_url)
    two = Process(environment, tmp_path / "two.log", "--api-url", shop.base_url)
    started += [one, two]
    one.ready()
    two.ready()
    body, headers = intercom.signed(intercom.user_created("cli-3", "Hello both"))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda p: httpx.post(p.url("/webhooks/intercom"), content=body, headers=headers),
                [one, two, one, two],
            )
        )
    assert [a.status_code for a in answers] == [200] * 4
    assert sum(a.json()["accepted"] for a in answers) == 1
    wait_until(lambda: replies(intercom, "cli-3"), what="the reply")
    wait_until(lambda: "posted" in one.log.read_text() + two.log.read_text(), what="the log")
    assert len(replies(intercom, "cli-3")) == 1
    assert len(model.requests) == 1


@pytest.mark.parametrize("channel", ["zendesk", "sunshine", "webchat"])
def test_the_other_channels_answer_from_the_command_line(
    environment: dict[str, str],
    started: list[Process],
    zendesk: ZendeskMock,
    sunshine: SunshineMock,
    model: GatedModel,
    shop: Any,
    tmp_path: Path,
    channel: str,
) -> None:
    model.add(say("Hello from the command line."))
    env = dict(environment)
    env.update(
        ZENDESK_WEBHOOK_SECRET=zendesk.signing_secret,
        ZENDESK_API_BASE=zendesk.base_url,
        ZENDESK_EMAIL=zendesk.email,
        ZENDESK_API_TOKEN=zendesk.api_token,
        ZENDESK_BOT_USER_ID="900",
        SUNSHINE_WEBHOOK_SECRET=sunshine.webhook_secret,
        SUNSHINE_APP_ID=sunshine.app_id,
        SUNSHINE_KEY_ID=sunshine.key_id,
        SUNSHINE_KEY_SECRET=sunshine.key_secret,
        SUNSHINE_API_BASE=sunshine.base_url,
        WEBCHAT_SIGNING_SECRET=WEBCHAT_SECRET,
    )
    service = Process(env, tmp_path / f"{channel}.log", "--api-url", shop.base_url, channel=channel)
    started.append(service)
    service.ready()
    hook = service.url(f"/webhooks/{channel}")
    if channel == "zendesk":
        assert zendesk.deliver(hook, comment_added("77", "hello")).status_code == 200
        (update,) = wait_until(
            lambda: [r.body for r in zendesk.requests if r.path == "/api/v2/tickets/77"]
        )
        assert update["ticket"]["comment"]["body"] == "Hello from the command line."
    elif channel == "sunshine":
        assert sunshine.deliver(hook, batch(message_event("cl-1", "hello"))).status_code == 200
        (message,) = wait_until(
            lambda: [r.body for r in sunshine.requests if r.path.endswith("/cl-1/messages")]
        )
        assert message["content"]["text"] == "Hello from the command line."
    else:
        widget = "w" * 22
        sent = {"conversation_id": widget, "message_id": "m" * 22, "text": "hello"}
        assert httpx.post(service.url("/webchat/messages"), json=sent).status_code == 202
        events = service.url(f"/webchat/events?conversation_id={widget}&after=0")
        (event,) = wait_until(lambda: httpx.get(events).json()["events"])
        assert event["text"] == "Hello from the command line."


def test_a_missing_setting_is_one_error_line(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INTERCOM_")}
    result = subprocess.run(
        [sys.executable, "-m", "shop_agent", "serve", "--channel", "intercom"],
        cwd=SHOP,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: intercom: set the environment variable(s) ")
    assert "INTERCOM_CLIENT_SECRET, INTERCOM_ACCESS_TOKEN, INTERCOM_ADMIN_ID" in result.stderr
    assert "Traceback" not in result.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "shop_agent", "serve", "--channel", "slack"],
        cwd=SHOP,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "invalid choice: 'slack'" in bad.stderr
