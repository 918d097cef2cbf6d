"""The `specagent` CLI: options, exit codes, atomic writes, refusal to clobber, progress.

The CLI is driven in-process with click's CliRunner. Tests of the write path replace
`specagent.cli._generate.generate` with a function returning a fixed result, so that they
exercise the CLI's own behaviour (what is written, when it refuses, what it prints)
independently of the spec loader; end-to-end runs on the real petstore spec are at the bottom.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner, Result
from specagent import GenerateOptions, GenerateResult, __version__, cli, ir
from specagent import generate as generate_fn
from specagent._generate import check_package_name
from specagent.cli import _generate as generate_cli
from specagent.cli._progress import Progress
from specagent.cli._write import check_owner, check_target, write_package

ROOT = Path(__file__).resolve().parents[2]
PETSTORE = ROOT / "examples" / "petstore"

MANIFEST = json.dumps({"generator": {"name": "specagent", "version": "0"}, "files": {}})
FILES = {
    PurePosixPath("__init__.py"): "",
    PurePosixPath("models.py"): "X = 1\n",
    PurePosixPath("manifest.json"): MANIFEST,
    PurePosixPath("sub/data.json"): "{}\n",
}


def run(args: list[str]) -> Result:
    return CliRunner().invoke(cli.main, args, catch_exceptions=False)


@pytest.fixture
def fake_generate(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[GenerateResult]]:
    """`specagent.cli._generate.generate` returning the results queued in the yielded list."""
    queue: list[GenerateResult] = []

    def fake(
        spec: str | Path,
        agent_file: Path | None,
        out_name: str,
        options: GenerateOptions,
        progress: Callable[[str], None] | None = None,
    ) -> GenerateResult:
        assert progress is not None
        progress("loading")
        return queue.pop(0)

    monkeypatch.setattr(generate_cli, "generate", fake)
    yield queue


def ok_result(diagnostics: tuple[ir.Diagnostic, ...] = ()) -> GenerateResult:
    return GenerateResult(FILES, diagnostics, "pkg", operations=3, tools=2)


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- options --------------------------------------------------------------------------------


def test_version() -> None:
    result = run(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"specagent {__version__}\n"


def test_generate_help_explains_every_option_with_an_example() -> None:
    result = run(["generate", "--help"])
    assert result.exit_code == 0
    for option in (
        "--tasks",
        "--out",
        "--package",
        "--strict",
        "--allow-remote-refs",
        "--allow-outside-refs",
        "--quiet",
    ):
        assert option in result.stdout
    assert "specagent generate openapi.yaml --tasks agent.yaml --out acme_agent/" in result.stdout
    assert "Exit codes" in result.stdout


def test_usage_errors_exit_2() -> None:
    assert run(["generate", "spec.yaml"]).exit_code == 2  # --out missing
    assert run(["generate", "spec.yaml", "--out", "x", "--bogus"]).exit_code == 2


# --- the write path -----------------------------------------------------------------------


def test_writes_the_package_and_lists_files(
    tmp_path: Path, fake_generate: list[GenerateResult]
) -> None:
    fake_generate.append(ok_result())
    out = tmp_path / "pkg"
    result = run(["generate", "spec.yaml", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert tree(out) == {str(k): v for k, v in FILES.items()}
    base = out.as_posix()
    assert result.stdout.splitlines() == [
        f"{base}/__init__.py",
        f"{base}/manifest.json",
        f"{base}/models.py",
        f"{base}/sub/data.json",
        f"generated package `pkg` in {base}: 3 operations, 2 tools, 4 files",
    ]
    assert result.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's private 0700


def test_quiet_prints_nothing_on_success(
    tmp_path: Path, fake_generate: list[GenerateResult]
) -> None:
    fake_generate.append(ok_result())
    result = run(["generate", "spec.yaml", "--out", str(tmp_path / "pkg"), "--quiet"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_regeneration_replaces_a_generated_package(
    tmp_path: Path, fake_generate: list[GenerateResult]
) -> None:
    out = tmp_path / "pkg"
    write_package(out, {**FILES, PurePosixPath("old.py"): "gone\n"})
    (out / "__pycache__").mkdir()
    (out / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"")
    manifest = {"generator": {"name": "specagent"}, "files": {"old.py": "x"}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    fake_generate.append(ok_result())
    result = run(["generate", "spec.yaml", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert tree(out) == {str(k): v for k, v in FILES.items()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_refuses_a_foreign_non_empty_folder(
    tmp_path: Path, fake_generate: list[GenerateResult]
) -> None:
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    fake_generate.append(ok_result())
    result = run(["generate", "spec.yaml", "--out", str(out)])
    assert result.exit_code == 2
    assert "not generated by specagent" in result.stderr
    assert result.stderr.endswith("1 error; nothing was written\n")
    assert tree(out) == {"notes.txt": "mine"}
    assert result.stdout == ""


def test_refuses_to_delete_user_files_inside_a_generated_package(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    write_package(out, FILES)
    (out / "my_test.py").write_text("mine")
    (problem,) = check_target(out, FILES)
    assert problem.code == "out.folder"
    assert "my_test.py" in problem.message
    assert check_owner(out) == []


def test_foreign_manifest_is_not_ours(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"name": "web app"}')
    assert [d.code for d in check_owner(tmp_path)] == ["out.folder"]
    file = tmp_path / "file"
    file.write_text("")
    assert "not a folder" in check_owner(file)[0].message
    assert check_owner(tmp_path / "missing") == []


def test_failed_swap_leaves_the_old_package_and_no_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pkg"
    write_package(out, FILES)
    before = tree(out)
    real_rename = Path.rename
    calls: list[str] = []

    def flaky_rename(self: Path, target: Path) -> Path:
        calls.append(self.name)
        if self.name.startswith(".pkg.new-"):
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", flaky_rename)
    with pytest.raises(OSError, match="No space"):
        write_package(out, {PurePosixPath("other.py"): "new\n"})
    assert len(calls) == 3  # old aside, new in (fails), old back
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_failed_write_reports_exit_2_and_keeps_the_old_package(
    tmp_path: Path, fake_generate: list[GenerateResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pkg"
    write_package(out, FILES)
    before = tree(out)
    real_write = Path.write_text

    def failing_write(self: Path, *args: object, **kwargs: object) -> int:
        if self.name == "models.py":
            raise PermissionError(13, "Permission denied")
        return real_write(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", failing_write)
    fake_generate.append(ok_result())
    result = run(["generate", "spec.yaml", "--out", str(out)])
    assert result.exit_code == 2
    assert f"error[out.write] {out}: cannot write the package: Permission denied" in result.stderr
    assert "the existing package, if any, is unchanged" in result.stderr
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_unsafe_file_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="escapes"):
        write_package(tmp_path / "pkg", {PurePosixPath("../evil.py"): ""})
    assert list(tmp_path.iterdir()) == []


# --- reporting ------------------------------------------------------------------------------


def test_errors_are_reported_together_sorted_exit_2(
    tmp_path: Path, fake_generate: list[GenerateResult]
) -> None:
    diagnostics = (
        ir.Diagnostic(
            "b", ir.Severity.ERROR, "second", ir.Location.at_line("agent.yaml", 12), "fix it"
        ),
        ir.Diagnostic("a", ir.Severity.WARNING, "first", ir.Location.at_line("agent.yaml", 3)),
    )
    fake_generate.append(GenerateResult({}, diagnostics, "pkg"))
    result = run(["generate", "spec.yaml", "--out", str(tmp_path / "pkg")])
    assert result.exit_code == 2
    assert result.stderr == (
        "warning[a] agent.yaml:3: first\n"
        "error[b] agent.yaml:12: second\n"
        "  hint: fix it\n"
        "1 error, 1 warning; nothing was written\n"
    )
    assert not (tmp_path / "pkg").exists()


def test_warnings_alone_pass_but_fail_under_strict(
    tmp_path: Path, fake_generate: list[GenerateResult]
) -> None:
    place = ir.Location.in_spec("openapi.yaml", ("paths",))
    warning = ir.Diagnostic("w", ir.Severity.WARNING, "repaired", place)
    fake_generate.append(ok_result(diagnostics=(warning,)))
    result = run(["generate", "spec.yaml", "--out", str(tmp_path / "a"), "-q"])
    assert result.exit_code == 0
    assert result.stderr == "warning[w] openapi.yaml#/paths: repaired\n1 warning\n"
    fake_generate.append(GenerateResult({}, (warning,), "b", strict=True))
    result = run(["generate", "spec.yaml", "--out", str(tmp_path / "b"), "--strict"])
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "1 warning; nothing was written (--strict treats warnings as errors)\n"
    )
    assert not (tmp_path / "b").exists()


def test_internal_error_is_one_line_exit_3_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> GenerateResult:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(generate_cli, "generate", broken)
    monkeypatch.delenv("SPECAGENT_DEBUG", raising=False)
    result = run(["generate", "spec.yaml", "--out", str(tmp_path / "pkg")])
    assert result.exit_code == 3
    assert result.stderr.startswith("internal error: RuntimeError: boom\n  hint: ")
    assert "Traceback" not in result.stderr
    assert "please report it" in result.stderr
    assert not (tmp_path / "pkg").exists()


def test_package_names() -> None:
    assert check_package_name("acme_agent", "--out") == []
    cases = {
        "class": "`--package class_agent`",
        "acme-agent": "`--package acme_agent`",
        "café": "`--package cafe`",
        "Acme": "`--package acme`",
        "json": "`--package json_agent`",
    }
    for name, hint in cases.items():
        (problem,) = check_package_name(name, "--package")
        assert problem.where == "--package"
        assert hint in problem.hint, (name, problem.hint)


# --- progress -------------------------------------------------------------------------------


class Clock:
    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def __call__(self) -> float:
        return self.times.pop(0)


def test_progress_in_logs_shows_only_slow_stages() -> None:
    stream = io.StringIO()
    progress = Progress(stream, interactive=False, clock=Clock(0.0, 0.1, 0.1, 2.6))
    progress("loading")
    progress("rendering")
    progress.done()
    assert stream.getvalue() == "rendering: 2.5s\n"


def test_progress_on_a_terminal_shows_every_stage() -> None:
    stream = io.StringIO()
    progress = Progress(stream, interactive=True, clock=Clock(0.0, 0.25))
    progress("loading")
    progress.done()
    progress.done()  # closing twice prints once
    assert stream.getvalue() == "loading the spec ...\rloading the spec             0.25s\n"


def test_progress_disabled_prints_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(stream, interactive=True, enabled=False, clock=Clock(0.0, 5.0))
    progress("loading")
    progress.done()
    assert stream.getvalue() == ""


# --- end to end on the real petstore spec -------------------------------------------------


def test_petstore_end_to_end_regenerates_identically(tmp_path: Path) -> None:
    out = tmp_path / "petstore_agent"
    args = [
        "generate",
        str(PETSTORE / "openapi.yaml"),
        "--tasks",
        str(PETSTORE / "agent.yaml"),
        "--out",
        str(out),
    ]
    first = run(args)
    assert first.exit_code == 0, first.stderr
    written = tree(out)
    assert {"__init__.py", "models.py", "client.py", "manifest.json", "py.typed"} <= set(written)
    assert first.stdout.splitlines()[-1].startswith(
        f"generated package `petstore_agent` in {out.as_posix()}: 19 operations, "
    )
    assert str(tmp_path) not in written["manifest.json"]  # no absolute paths

    (out / "mine.py").write_text("keep me")
    refused = run([*args, "--quiet"])
    assert refused.exit_code == 2
    assert "mine.py" in refused.stderr
    (out / "mine.py").unlink()

    second = run([*args, "--quiet"])
    assert (second.exit_code, second.stdout) == (0, "")
    assert tree(out) == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["petstore_agent"]


def test_generate_collects_spec_and_agent_problems_and_renders_nothing(tmp_path: Path) -> None:
    agent = tmp_path / "agent.yaml"
    agent.write_text("tools:\n  include: {operations: [getOrderByID], tags: [pets]}\n")
    result = generate_fn(PETSTORE / "openapi.yaml", agent, "petstore_agent", GenerateOptions())
    assert not result.ok
    assert result.files == {}
    assert [(d.code, d.where) for d in result.diagnostics] == [
        ("agent.unknown_operation", f"{agent}:2"),
        ("agent.unknown_tag", f"{agent}:2"),
    ]


def test_result_ok_counts_warnings_only_when_strict() -> None:
    warning = ir.Diagnostic("w", ir.Severity.WARNING, "m", ir.Location("x"))
    assert GenerateResult({}, (warning,), "p").ok
    assert not GenerateResult({}, (warning,), "p", strict=True).ok


@pytest.fixture
def spec_server(tmp_path: Path) -> Iterator[str]:
    """A 127.0.0.1 HTTP server serving a small valid spec at /openapi.yaml."""
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(ROOT / "tests" / "bad_input" / "unknown_tag" / "openapi.yaml", served)
    handler = functools.partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_spec_from_a_url(tmp_path: Path, spec_server: str) -> None:
    out = tmp_path / "store_agent"
    result = run(["generate", f"{spec_server}/openapi.yaml", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["spec"].keys() == {"openapi.yaml"}

    missing = run(["generate", f"{spec_server}/nope.yaml", "--out", str(tmp_path / "x")])
    assert missing.exit_code == 2
    assert missing.stderr.endswith("nothing was written\n")
    assert not (tmp_path / "x").exists()


def test_credentials_in_urls_never_reach_the_report(
    tmp_path: Path, fake_generate: list[GenerateResult]
) -> None:
    url = "https://bob:s3cr3t@api.example.com/openapi.yaml?api_key=K3Y&v=2"
    where = ir.Location(url, pointer="/paths")
    problem = ir.Diagnostic("spec.x", ir.Severity.ERROR, f"cannot read {where}", where)
    fake_generate.append(GenerateResult({}, (problem,), "pkg"))
    result = run(["generate", "spec.yaml", "--out", str(tmp_path / "pkg")])
    assert result.exit_code == 2
    assert "s3cr3t" not in result.stderr and "K3Y" not in result.stderr
    assert "https://***@api.example.com/openapi.yaml?api_key=***&v=2#/paths" in result.stderr
