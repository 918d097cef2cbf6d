"""Parameter serialisation for the styles the Petstore lacks (`specs/styles.yaml`): the query,
path, header and cookie text of each, as OpenAPI 3's style tables give it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import RequestError

from ._harness import Mode, Recorder, call, empty_reply, json_reply, raw_path

ITEM = {"id": "a1", "name": "Lamp", "createdAt": "2024-01-02T03:04:05+00:00"}


def _get_item(styles: ModuleType, mode: Mode, **kwargs: Any) -> Recorder:
    recorder = Recorder(json_reply(ITEM))
    call(styles, mode, "get_item", "a1", recorder=recorder, **kwargs)
    return recorder


def test_only_the_path_when_no_optional_argument_is_set(styles: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply(ITEM))
    item = call(styles, mode, "get_item", "a1", recorder=recorder)
    request = recorder.last
    assert str(request.url) == "https://api.example.test/v1/items/a1"
    assert "cookie" not in request.headers
    assert isinstance(item, styles.models.Item)
    assert item.created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("arguments", "query"),
    [
        ({"tags": ["red", "dark blue"]}, b"tags=red&tags=dark%20blue"),
        ({"ids": [1, 2, 3]}, b"ids=1,2,3"),
        ({"ids": [7]}, b"ids=7"),
        ({"sizes": ["S", "M", "XL"]}, b"sizes=S%7CM%7CXL"),
        ({"words": ["big", "red"]}, b"words=big%20red"),
        ({"active": True}, b"active=true"),
        ({"active": False}, b"active=false"),
        ({"day": date(2024, 2, 29)}, b"day=2024-02-29"),
        ({"since": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)}, b"since=2024-01-02T03%3A04%3A05Z"),
        (
            {"since": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))},
            b"since=2024-01-02T03%3A04%3A05%2B02%3A00",
        ),
        ({"q": "a&b=c#d?e+f /g"}, b"q=a%26b%3Dc%23d%3Fe%2Bf%20%2Fg"),
        ({"q": "naïve ☕"}, b"q=na%C3%AFve%20%E2%98%95"),
        ({"q": ""}, b"q="),
        ({"tags": ["a"], "ids": [1, 2], "q": "x"}, b"tags=a&ids=1,2&q=x"),
    ],
)
def test_query_styles(
    styles: ModuleType, mode: Mode, arguments: dict[str, object], query: bytes
) -> None:
    recorder = _get_item(styles, mode, **arguments)
    assert recorder.last.url.query == query
    assert raw_path(recorder.last) == b"/v1/items/a1"


def test_enum_query_parameter(styles: ModuleType, mode: Mode) -> None:
    recorder = _get_item(styles, mode, sort=styles.models.Sort.DESC)
    assert recorder.last.url.query == b"sort=desc"


def test_deep_object_query(styles: ModuleType, mode: Mode) -> None:
    recorder = _get_item(styles, mode, filter=styles.models.Filter(color="red", size=2))
    request = recorder.last
    assert request.url.query == b"filter[color]=red&filter[size]=2"
    assert list(request.url.params.multi_items()) == [
        ("filter[color]", "red"),
        ("filter[size]", "2"),
    ]


def test_deep_object_query_omits_unset_properties(styles: ModuleType, mode: Mode) -> None:
    recorder = _get_item(styles, mode, filter=styles.models.Filter(color="dark red"))
    assert recorder.last.url.query == b"filter[color]=dark%20red"


def test_header_parameters(styles: ModuleType, mode: Mode) -> None:
    recorder = _get_item(styles, mode, x_request_id="req-42", x_flags=["fast", "cheap"])
    headers = recorder.last.headers
    assert headers["X-Request-ID"] == "req-42"
    assert headers["X-Flags"] == "fast,cheap"


def test_non_ascii_header_value_is_refused(styles: ModuleType, mode: Mode) -> None:
    recorder = Recorder(json_reply(ITEM))
    with pytest.raises(RequestError, match="X-Request-ID"):
        call(styles, mode, "get_item", "a1", x_request_id="é", recorder=recorder)
    assert recorder.requests == []


def test_cookie_parameters(styles: ModuleType, mode: Mode) -> None:
    recorder = _get_item(styles, mode, session="s 1;x", theme=styles.models.Theme.DARK)
    assert recorder.last.headers["cookie"] == "session=s%201%3Bx; theme=dark"


@pytest.mark.parametrize(
    ("method", "argument", "path"),
    [
        ("get_labels", ["blue", "black"], b"/v1/labels/.blue,black"),
        ("get_labels", ["a/b", "c d"], b"/v1/labels/.a%2Fb,c%20d"),
        ("get_labels_exploded", ["blue", "black"], b"/v1/labels-exploded/.blue.black"),
        ("get_shelves", [3, 4], b"/v1/shelves/;ids=3;ids=4"),
    ],
)
def test_label_and_matrix_paths(
    styles: ModuleType, mode: Mode, method: str, argument: object, path: bytes
) -> None:
    recorder = Recorder(empty_reply(204))
    assert call(styles, mode, method, argument, recorder=recorder) is None
    assert raw_path(recorder.last) == path
    assert recorder.last.url.query == b""


def test_matrix_object_path(styles: ModuleType, mode: Mode) -> None:
    recorder = Recorder(empty_reply(204))
    call(styles, mode, "get_point", styles.models.Point(x=1, y=-2), recorder=recorder)
    assert raw_path(recorder.last) == b"/v1/points/;point=x,1,y,-2"
