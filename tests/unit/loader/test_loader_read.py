"""Reading files: YAML 1.1 quirks, JSON, syntax errors with positions, hostile documents."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from specagent.ir import Severity
from specagent.loader import LoadedSpec, load_spec
from specagent.loader._read import MAX_DEPTH, parse

MINIMAL = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _errors(spec: LoadedSpec) -> list[str]:
    return [d.render() for d in spec.diagnostics if d.severity is Severity.ERROR]


def test_yaml_11_quirks_stay_strings() -> None:
    text = (
        "on: 2020-01-01\n"
        "yes: =\n"
        "200: 0755\n"
        "time: 1:30\n"
        "flag: true\n"
        "other: off\n"
        "big: 123456789012345678901234567890\n"
        "float: 1.5\n"
        "version: 1.0.0\n"
        "nothing: ~\n"
    )
    data = parse(text.encode(), "q.yaml").data
    assert data == {
        "on": "2020-01-01",
        "yes": "=",
        "200": "0755",
        "time": "1:30",
        "flag": True,
        "other": "off",
        "big": 123456789012345678901234567890,
        "float": 1.5,
        "version": "1.0.0",
        "nothing": None,
    }


def test_explicit_value_tag_does_not_crash() -> None:
    # PyYAML's safe loader raises ConstructorError on `=` tagged values (atlassian, akeneo...).
    data = parse(b"a: !!value =\nb: !custom thing\n", "v.yaml").data
    assert data == {"a": "=", "b": "thing"}


def test_duplicate_keys_warn_with_line(tmp_path: Path) -> None:
    result = parse(b"a: 1\nb: 2\na: 3\n", "d.yaml")
    assert result.data == {"a": 3, "b": 2}
    [warning] = result.diagnostics
    assert warning.severity is Severity.WARNING
    assert warning.code == "spec.duplicate_key"
    assert warning.where == "d.yaml:3:1"


def test_duplicate_keys_in_json_warn() -> None:
    result = parse(b'{"a": 1, "a": 2}', "d.json")
    assert result.data == {"a": 2}
    assert [d.code for d in result.diagnostics] == ["spec.duplicate_key"]


def test_merge_keys_own_keys_win() -> None:
    text = b"base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n"
    data = parse(text, "m.yaml").data
    assert data["child"] == {"x": 1, "y": 3}
    # Aliased containers are copied: editing one place must not change another.
    data["base"]["x"] = 9
    assert data["child"]["x"] == 1


def test_malformed_yaml_points_at_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", "openapi: 3.0.3\ninfo:\n  title: [unclosed\n")
    spec = load_spec(path)
    [error] = spec.diagnostics
    assert error.code == "spec.syntax"
    assert error.where.startswith(f"{path}:")
    line = int(error.where.split(":")[-2])
    assert line >= 3
    assert spec.document == {}


def test_malformed_json_points_at_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.json", '{"openapi": "3.0.3",\n "info": }')
    [error] = load_spec(path).diagnostics
    assert error.code == "spec.syntax"
    assert error.where == f"{path}:2:10"
    assert "invalid JSON" in error.message


def test_json_and_yaml_chosen_by_content(tmp_path: Path) -> None:
    json_path = _write(tmp_path, "spec.txt", '{"openapi": "3.1.0", "info": {"title": "J"}}')
    yaml_path = _write(tmp_path, "spec.json", MINIMAL)  # misnamed, still YAML
    assert load_spec(json_path).document["info"]["title"] == "J"
    assert load_spec(yaml_path).document["info"]["title"] == "T"


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        name, previous = chr(97 + level), chr(96 + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    result = parse("\n".join(lines).encode(), "bomb.yaml")
    assert result.data is None
    [error] = result.diagnostics
    assert error.code == "spec.hostile"
    assert "alias" in error.message


def test_circular_alias_is_refused() -> None:
    result = parse(b"a: &a [*a]\n", "c.yaml")
    assert result.data is None
    assert result.diagnostics[0].code == "spec.hostile"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.yaml", "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)),
        ("deep.json", "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)),
        ("deeper.json", "[" * 50_000 + "]" * 50_000),
        ("deeper.yaml", "[" * 50_000 + "]" * 50_000),
    ],
)
def test_absurd_nesting_is_an_error(name: str, text: str) -> None:
    result = parse(text.encode(), name)
    assert result.data is None
    assert [d.severity for d in result.diagnostics] == [Severity.ERROR]


def test_missing_file_is_an_error_not_an_exception(tmp_path: Path) -> None:
    spec = load_spec(tmp_path / "nope.yaml")
    [error] = spec.diagnostics
    assert error.code == "spec.not_found"
    assert spec.document == {}


def test_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"openapi: 3.0.3\ninfo:\n  title: caf\xe9\n")
    [error] = load_spec(path).diagnostics
    assert error.code == "spec.encoding"
    assert error.where.endswith(":3")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("openapi: 4.0.0\ninfo: {title: T}\n", "spec.version"),
        ("swagger: '1.2'\n", "spec.version"),
        ("info: {title: T}\npaths: {}\n", "spec.not_openapi"),
        ("- a list\n", "spec.not_openapi"),
    ],
)
def test_unknown_or_missing_version_is_an_error(tmp_path: Path, text: str, code: str) -> None:
    spec = load_spec(_write(tmp_path, "v.yaml", text))
    assert [d.code for d in spec.diagnostics if d.severity is Severity.ERROR] == [code]
    assert spec.diagnostics[0].hint


def test_unquoted_versions_are_read(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, "v.yaml", "openapi: 3.0\ninfo: {title: T}\npaths: {}\n"))
    assert _errors(spec) == []
    assert spec.source_version == "3.0"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/spec.yaml":
            body = MINIMAL.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_spec_from_url(server: str) -> None:
    spec = load_spec(f"{server}/spec.yaml")
    assert _errors(spec) == []
    assert spec.document["info"]["title"] == "T"
    assert spec.source_name == f"{server}/spec.yaml"
    assert spec.sources == {"spec.yaml": MINIMAL.encode()}


def test_url_not_found_is_a_clear_error(server: str) -> None:
    [error] = load_spec(f"{server}/missing.yaml").diagnostics
    assert error.code == "spec.fetch"
    assert "404" in error.message


def test_unreachable_url_is_a_clear_error() -> None:
    # Port 9 (discard) on localhost: connection refused, no internet involved.
    [error] = load_spec("http://127.0.0.1:9/spec.yaml").diagnostics
    assert error.code == "spec.fetch"
    assert "Traceback" not in error.message


def test_secrets_in_the_url_never_reach_messages(server: str) -> None:
    host = server.removeprefix("http://")
    spec = load_spec(f"http://user:s3cret@{host}/spec.yaml?token=t0ken&plain")
    assert spec.source_name == f"http://user:***@{host}/spec.yaml?token=***&plain"
    assert list(spec.sources) == ["spec.yaml"]
    missing = load_spec(f"http://user:s3cret@{host}/missing.yaml?token=t0ken")
    for diagnostic in missing.diagnostics:
        assert "s3cret" not in diagnostic.render()
        assert "t0ken" not in diagnostic.render()


def test_long_text_repeated_through_aliases_is_refused() -> None:
    text = "a: &a " + "x" * 100_000 + "\nb: &b [" + ", ".join(["*a"] * 100) + "]\n"
    text += "c: [" + ", ".join(["*b"] * 100) + "]\n"
    result = parse(text.encode(), "long.yaml")
    assert result.data is None
    assert result.diagnostics[0].code == "spec.hostile"
    assert "alias" in result.diagnostics[0].message


def test_small_aliases_are_fine() -> None:
    text = b"a: &a {type: string}\nb: {x: *a, y: *a}\n"
    result = parse(text, "ok.yaml")
    assert result.diagnostics == []
    assert result.data["b"] == {"x": {"type": "string"}, "y": {"type": "string"}}
    assert result.data["b"]["x"] is not result.data["b"]["y"]
