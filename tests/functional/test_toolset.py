"""Tool calls as the agent makes them (`Toolset.execute`) on generated packages: the model's
JSON arguments become the same exact requests, bound arguments come from the identity, and
refused calls send nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import AccessToken, Identity, Toolset

from ._harness import Recorder, Reply, Session, empty_reply, json_reply, raw_path

USER = {"id": 1, "username": "a/b", "email": "ab@example.test", "password": "pw-secret-1"}


class _Tools:
    def __init__(self, package: ModuleType, recorder: Recorder, **options: Any) -> None:
        self.recorder = recorder
        self._session = Session(package, "async", recorder, **options)
        self.toolset = Toolset.from_package(package.__name__, self._session.client)

    def execute(self, name: str, arguments: dict[str, Any], **options: Any) -> Any:
        return self._session.run(self.toolset.execute(name, arguments, **options))

    def close(self) -> None:
        self._session.close()


@pytest.fixture
def petstore_tools(petstore: ModuleType) -> Iterator[_Tools]:
    tools = _Tools(petstore, Recorder(json_reply(USER)))
    yield tools
    tools.close()


def test_json_arguments_with_spec_names_reach_the_wire(styles: ModuleType) -> None:
    tools = _Tools(styles, Recorder(json_reply([{"id": "a", "name": "A"}])))
    try:
        result = tools.execute(
            "search", {"from": "2024-01-31", "class__query": "gold", "page.size": 3, "2fa": True}
        )
        item = tools.execute(
            "get_item",
            {"itemId": "../x", "filter": {"color": "red"}, "since": "2024-01-02T03:04:05Z"},
        )
    finally:
        tools.close()
    assert result.status == "ok"
    assert result.data == [{"id": "a", "name": "A"}]
    first, second = tools.recorder.requests
    assert first.url.query == b"from=2024-01-31&class=gold&page.size=3"
    assert first.headers["2fa"] == "true"
    assert raw_path(second) == b"/v1/items/..%2Fx"
    assert second.url.query == b"filter[color]=red&since=2024-01-02T03%3A04%3A05Z"
    assert item.tool == "get_item"


def test_bound_argument_comes_from_the_identity(petstore_tools: _Tools) -> None:
    result = petstore_tools.execute(
        "get_my_account", {}, identity=Identity(username="a/b", verified=True)
    )
    assert result.status == "ok"
    assert raw_path(petstore_tools.recorder.last) == b"/api/v3/user/a%2Fb"
    assert "password" not in result.data  # redacted by agent.yaml
    assert "pw-secret-1" not in result.for_model()


def test_model_cannot_choose_a_bound_argument(petstore_tools: _Tools) -> None:
    identity = Identity(username="me", verified=True)
    result = petstore_tools.execute("get_my_account", {"username": "other"}, identity=identity)
    assert result.status == "error"
    assert "username" in result.message
    assert petstore_tools.recorder.requests == []


def test_bound_tool_without_identity_sends_nothing(petstore_tools: _Tools) -> None:
    result = petstore_tools.execute("get_my_account", {})
    assert result.status == "error"
    assert petstore_tools.recorder.requests == []


def test_invalid_arguments_send_nothing(petstore_tools: _Tools) -> None:
    result = petstore_tools.execute("get_order", {"orderId": "seven"})
    assert result.status == "error"
    assert "orderId" in result.message
    assert petstore_tools.recorder.requests == []


def test_confirmation_tool_runs_only_when_confirmed(petstore: ModuleType) -> None:
    token = {"petstore_auth": AccessToken("test-token")}  # deletePet needs OAuth2
    tools = _Tools(petstore, Recorder(empty_reply(200)), credentials=token)
    try:
        pending = tools.execute("delete_pet", {"petId": 5})
        assert pending.status == "error"
        assert tools.recorder.requests == []
        done = tools.execute("delete_pet", {"petId": 5}, confirmed=True)
    finally:
        tools.close()
    assert done.status == "ok"
    request = tools.recorder.last
    assert (request.method, raw_path(request)) == ("DELETE", b"/api/v3/pet/5")


def test_api_error_becomes_the_model_message(petstore: ModuleType) -> None:
    tools = _Tools(petstore, Recorder(json_reply({"message": "Order not found"}, 404)))
    try:
        result = tools.execute("get_order", {"orderId": 12})
    finally:
        tools.close()
    assert result.status == "error"
    assert result.message == "The service answered 404 (Not Found): Order not found."
    assert '"status":"error"' in result.for_model().replace(" ", "")


def test_binary_tool_result_is_a_tool_result(bodies: ModuleType) -> None:
    pdf = b"%PDF-1.7\n\x00\xff\xfe"
    tools = _Tools(bodies, Recorder(Reply(200, pdf, {"Content-Type": "application/pdf"})))
    try:
        result = tools.execute("download_document", {"documentId": 8})
    finally:
        tools.close()
    assert result.tool == "download_document"
    assert "\\u00ff" not in result.for_model()


def test_text_tool_result(bodies: ModuleType) -> None:
    reply = Reply(200, b"A short summary.", {"Content-Type": "text/plain"})
    tools = _Tools(bodies, Recorder(reply))
    try:
        result = tools.execute("get_summary", {"documentId": 8})
    finally:
        tools.close()
    assert (result.status, result.data) == ("ok", "A short summary.")


def test_package_lists_its_tools_from_the_command_line(petstore: ModuleType) -> None:
    root = Path(str(petstore.__file__)).parents[1]
    path = os.pathsep.join([str(root), *sys.path])
    done = subprocess.run(
        [sys.executable, "-m", petstore.__name__, "tools"],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert "get_order" in lines
    # Cancelling orders is a task in the example, not a tool; deleting a pet still asks.
    assert "delete_pet (asks for confirmation)" in lines
    assert "get_my_account" in lines
    assert not any(line.startswith("delete_user") for line in lines)  # excluded in agent.yaml


def test_nested_json_arguments_become_the_json_body(petstore: ModuleType) -> None:
    pet = {"id": 9, "name": "Rex", "photoUrls": []}
    credentials = {"petstore_auth": AccessToken("t-1")}
    tools = _Tools(petstore, Recorder(json_reply(pet)), credentials=credentials)
    arguments = {"name": "Rex", "photoUrls": [], "category": {"id": 1}, "tags": [{"name": "a"}]}
    try:
        result = tools.execute("add_pet", arguments, confirmed=True)
    finally:
        tools.close()
    assert result.status == "ok"
    assert result.data == pet
    request = tools.recorder.last
    assert (request.method, raw_path(request)) == ("POST", b"/api/v3/pet")
    assert request.headers["authorization"] == "Bearer t-1"
    assert json.loads(request.content) == {
        "name": "Rex",
        "category": {"id": 1},
        "photoUrls": [],
        "tags": [{"name": "a"}],
    }
