"""How hosts run the agent: the example's demo script, the webhook of docs/running-the-agent.md
run as written, and a synchronous host. Each runs the way a user would (a subprocess from the
repository root, the docs' own code), against the reference petstore API and a scripted model.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import hmac
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import specagent_runtime
from specagent_runtime import Agent, Identity, MemoryStore
from starlette.testclient import TestClient

from tests.support.fake_openai import FakeOpenAI, call, say
from tests.support.petstore_server import PetstoreServer

from .conftest import EXAMPLE, REPO

MODEL = "fake-model"


# --- examples/petstore/demo.py ------------------------------------------------------------------

DEMO = EXAMPLE / "demo.py"


def test_demo_plays_the_conversation_and_exits_0() -> None:
    # Run as the README says (from the repository root), in a clean interpreter.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, str(DEMO.relative_to(REPO))],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "FAILED" not in out
    assert out.rstrip().endswith("every step behaved as expected")
    assert out.count("  [ok] ") == 18
    assert "customer: Hi, which email address do you have for me?" in out
    assert "  tool     get_my_account() -> ok" in out
    assert "  api      GET /user/user1 -> 200" in out
    assert "  task     cancel_order waits for the customer's confirmation" in out
    assert out.count("  api      DELETE /store/order/2 -> 200") == 1
    assert '  tool     update_my_account(phone="555-0199") -> confirmation_required' in out
    assert out.count("  api      PUT /user/user1 -> 200") == 1
    assert "Traceback" not in done.stderr


@pytest.fixture
def demo(example_package: ModuleType) -> Iterator[ModuleType]:
    """The demo script as a module, sharing the already imported example package."""
    spec = importlib.util.spec_from_file_location("petstore_demo", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


async def test_demo_reports_a_step_that_misbehaves(demo: ModuleType) -> None:
    script = demo.steps()
    title = "The customer asks to change their phone number"
    [index] = [i for i, step in enumerate(script) if step.title == title]
    # A model that claims the change without proposing it: the yes then has nothing to run.
    script[index] = dataclasses.replace(script[index], model=(say("Done: it's changed."),))
    lines: list[str] = []

    ok = await demo.play(script, out=lines.append)

    assert ok is False
    assert "  [FAILED] the customer's yes ran the proposed change, once" in lines
    assert "  [FAILED] the account has the new number" in lines
    assert "  [ok] the model read the account, the password redacted" in lines
    assert "  [ok] the task cancelled the order exactly once" in lines


# --- docs/running-the-agent.md -----------------------------------------------------------------

DOC = REPO / "docs" / "running-the-agent.md"


def _python_blocks() -> list[ast.Module]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, f"{DOC}: no python snippet"
    return [ast.parse(block, filename=str(DOC)) for block in blocks]


def test_docs_snippet_uses_the_real_api(petstore_package: ModuleType) -> None:
    """The webhook snippet imports real names and calls them with arguments they accept (the
    snippet's `acme_agent` stands for any generated package; the example's is checked)."""
    agent = Agent.from_package(
        petstore_package.__name__, petstore_package.AsyncClient(), model=MODEL, store=MemoryStore()
    )
    callables: dict[str, Any] = {
        "build_agent": petstore_package.build_agent,
        "AsyncClient": petstore_package.AsyncClient,
        "Identity": Identity,
    }
    checked = set()
    for tree in _python_blocks():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "specagent_runtime":
                for alias in node.names:
                    assert alias.name in specagent_runtime.__all__, alias.name
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in callables:
                target, name = callables[func.id], func.id
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "agent"
            ):
                target, name = getattr(agent, func.attr), f"agent.{func.attr}"
            else:
                continue
            placeholders = [None] * len(node.args)
            keywords = {keyword.arg: None for keyword in node.keywords if keyword.arg}
            inspect.signature(target).bind(*placeholders, **keywords)  # TypeError if wrong
            checked.add(name)
    assert checked >= {
        "build_agent",
        "AsyncClient",
        "Identity",
        "agent.respond",
        "agent.confirm",
        "agent.confirm_task",
        "agent.aclose",
    }


def test_docs_list_every_public_name_of_the_runtime() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.partition("### The runtime's public API")[2]
    assert section, f"{DOC}: no public API section"
    listed = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)", section))
    missing = sorted(set(specagent_runtime.__all__) - listed)
    assert missing == [], f"{DOC}: add these exports of specagent_runtime to its API list"


# --- a synchronous host ---------------------------------------------------------------------------

_SYNC_HOST = """
import asyncio
from petstore_agent import AsyncClient, build_agent
from specagent_runtime import MemoryStore
from openai import AsyncOpenAI
from tests.support.fake_openai import FakeOpenAI, call, say
from tests.support.petstore_server import PetstoreServer

with PetstoreServer() as api_server, FakeOpenAI() as fake:
    fake.add(call("get_order", orderId=1), say("Order 1 is placed."))
    fake.add(call("get_order", orderId=2), say("Order 2 is approved."))
    api = AsyncClient(api_server.base_url)
    model = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    agent = build_agent(api, model="fake-model", openai_client=model, store=MemoryStore())
    first = agent.respond_sync("c1", "Where is order 1?")
    second = agent.respond_sync("c1", "And order 2?")
    assert (first.text, second.text) == ("Order 1 is placed.", "Order 2 is approved."), second
    agent.close()
    asyncio.run(api.aclose())  # the host's API client, as for an async host
    asyncio.run(model.close())
print("closed cleanly")
"""


def test_sync_host_answers_and_shuts_down_cleanly() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(REPO)]),
        "PYTHONDEVMODE": "1",  # shows unclosed sockets as ResourceWarnings
    }
    done = subprocess.run(
        [sys.executable, "-c", _SYNC_HOST],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "closed cleanly"
    assert "ResourceWarning" not in done.stderr


class RecordingHelpdesk:
    """Stands in for the snippet's `helpdesk` API client: records what the host sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    async def post(self, ticket: str, text: str) -> None:
        self.sent.append(("post", text, {"ticket": ticket}))

    async def buttons(self, ticket: str, text: str, **options: Any) -> None:
        self.sent.append(("buttons", text, {"ticket": ticket, **options}))

    async def assign_to_humans(self, ticket: str, note: str) -> None:
        self.sent.append(("assign", note, {"ticket": ticket}))


def test_docs_webhook_snippet_runs(
    petstore_package: ModuleType,
    petstore: PetstoreServer,
    fake_model: FakeOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The snippet itself, with the generated package for `acme_agent` and a recording helpdesk,
    configured only through the environment variables the docs list."""
    [source] = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    source = source.replace("from acme_agent import", f"from {petstore_package.__name__} import")
    source = source.replace("from .helpdesk import helpdesk", "")
    secret = "webhook-secret"
    monkeypatch.setenv("ACME_API_URL", petstore.base_url)
    monkeypatch.setenv("HELPDESK_WEBHOOK_SECRET", secret)
    monkeypatch.setenv("SUPPORT_AGENT_MODEL", "fake-model")
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_model.base_url)
    monkeypatch.setenv("SPECAGENT_STORE", str(tmp_path / "conversations.sqlite3"))
    webhook = ModuleType("support_webhook")
    exec(compile(source, str(DOC), "exec"), webhook.__dict__)  # the docs are ours
    helpdesk = RecordingHelpdesk()
    webhook.helpdesk = helpdesk  # type: ignore[attr-defined]

    def signed(event: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(event).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return {"content": body, "headers": {"X-Signature": signature}}

    anonymous = {"verified": False}
    with TestClient(webhook.app) as http:
        forged = http.post(
            "/helpdesk/message", content=b'{"ticket_id": 7}', headers={"X-Signature": "x"}
        )
        assert forged.status_code == 401
        fake_model.add(call("cancel_order", orderId=2), say("Cancel order 2? Press Confirm."))
        message = {"ticket_id": 7, "text": "Cancel order 2", "requester": anonymous}
        assert http.post("/helpdesk/message", **signed(message)).status_code == 204
        [(_, text, _), (kind, summary, options)] = helpdesk.sent
        assert text.startswith("Cancel order 2? Press Confirm.")
        assert summary in text  # the runtime's own words for what will run
        assert kind == "buttons"
        assert "cancel_order(orderId=2)" in summary
        assert petstore.requests(method="DELETE") == []

        fake_model.add(say("Order 2 is cancelled."))
        button = {"ticket_id": 7, "action_id": options["action_id"], "requester": anonymous}
        assert http.post("/helpdesk/button", **signed(button)).status_code == 204
        assert helpdesk.sent[-1][:2] == ("post", "Order 2 is cancelled.")
        assert http.post("/helpdesk/button", **signed(button)).status_code == 204
        assert helpdesk.sent[-1][:2] == ("post", "That request has expired; please ask me again.")

    assert [r.path for r in petstore.requests(method="DELETE")] == ["/store/order/2"]
    assert (tmp_path / "conversations.sqlite3").is_file()  # the default store, from the env
    assert fake_model.requests[0]["model"] == "fake-model"
