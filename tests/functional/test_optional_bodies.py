"""An optional request body whose schema requires properties is sent whole or not at all.

Flattened into one optional argument per property, a call that sets one of them (or that leaves
them all alone while a property has a default) would send a partial body the API must refuse.
Such a body is one `body` argument instead: checked from what reached the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from specagent_runtime import Toolset

from ._harness import Recorder, Session, json_reply
from .conftest import SPECS, generate_package


@pytest.fixture(scope="module")
def optional_bodies(packages_root: Path) -> ModuleType:
    return generate_package(
        packages_root, SPECS / "optional_bodies.yaml", None, "fn_optional_bodies"
    )


@pytest.fixture
def tools(optional_bodies: ModuleType) -> Iterator[tuple[Toolset, Session, Recorder]]:
    recorder = Recorder(json_reply({"id": "r1"}))
    session = Session(optional_bodies, "async", recorder)
    yield Toolset.from_package(optional_bodies.__name__, session.client), session, recorder
    session.close()


def _schema(toolset: Toolset, name: str) -> dict[str, object]:
    spec = toolset.get(name)
    assert spec is not None
    return toolset.model_schema(spec)


def test_the_tool_takes_the_body_whole(tools: tuple[Toolset, Session, Recorder]) -> None:
    toolset, _, _ = tools
    report = _schema(toolset, "make_report")
    assert list(report["properties"]) == ["body"]  # type: ignore[call-overload]
    assert "required" not in report
    host = _schema(toolset, "add_host")
    assert list(host["properties"]) == ["body"]  # type: ignore[call-overload]
    # Nothing is required of a body that requires nothing: flattened as before.
    assert sorted(_schema(toolset, "add_note")["properties"]) == ["pinned", "text"]  # type: ignore[call-overload]


def test_no_arguments_send_no_body(tools: tuple[Toolset, Session, Recorder]) -> None:
    toolset, session, recorder = tools
    result = session.run(toolset.execute("make_report", {}, confirmed=True))
    assert result.status == "ok", result.message
    request = recorder.last
    assert request.content == b""
    assert "content-type" not in request.headers


def test_a_whole_body_is_sent_as_given(tools: tuple[Toolset, Session, Recorder]) -> None:
    toolset, session, recorder = tools
    arguments = {"body": {"title": "Q3", "rows": [1, 2]}}
    result = session.run(toolset.execute("make_report", arguments, confirmed=True))
    assert result.status == "ok", result.message
    # `header`'s default is the API's to apply, not sent on its own.
    assert json.loads(recorder.last.content) == {"title": "Q3", "rows": [1, 2]}


@pytest.mark.parametrize(
    ("tool", "body", "missing"),
    [
        ("make_report", {"header": False}, ["title", "rows"]),
        ("make_report", {"title": "Q3"}, ["rows"]),
        ("add_host", {"annotation": "db"}, ["id"]),
    ],
)
def test_a_partial_body_is_refused_and_nothing_is_sent(
    tools: tuple[Toolset, Session, Recorder], tool: str, body: dict[str, object], missing: list[str]
) -> None:
    toolset, session, recorder = tools
    result = session.run(toolset.execute(tool, {"body": body}, confirmed=True))
    assert result.status == "error"
    for name in missing:
        assert f"`body.{name}`: Field required" in result.message
    assert recorder.requests == []


def test_a_whole_form_body_is_sent(tools: tuple[Toolset, Session, Recorder]) -> None:
    toolset, session, recorder = tools
    arguments = {"body": {"id": "h1", "annotation": "db"}}
    result = session.run(toolset.execute("add_host", arguments, confirmed=True))
    assert result.status == "ok", result.message
    assert recorder.last.headers["content-type"] == "application/x-www-form-urlencoded"
    assert recorder.last.content == b"id=h1&annotation=db"
