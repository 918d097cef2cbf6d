"""Hostile specs: each folder in tests/hostile/ is one spec written to break or subvert the
generator (code in every text a spec carries, YAML bombs, absurd sizes, `$ref` cycles and
escapes, names that collide after sanitising).

`expected.txt` holds `ok` or `error: <code>` on its first line, then optional lines:
`spec: <path>` (default: the case's `openapi.*`), `option: allow_outside_refs`, `where: <text>`
(an error must name this place) and `contains: <text>` (a generated file must hold this text as
is, e.g. Jinja syntax that must not have been evaluated).

An error case runs the CLI: exit 2, the code and the place on stderr, no traceback, nothing
written. An ok case is generated with the pure `generate()`, and the package must pass
`ruff check` and `mypy --strict` (one run each over all packages, to keep the suite fast),
contain no construct the templates do not produce (checked on the AST), and import in a
subprocess without the payloads' canary firing: each payload would create a file `PWNED` or set
`SPECAGENT_PWNED` if it ever ran as code.
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import specagent_runtime
from click.testing import CliRunner
from specagent import GenerateOptions, GenerateResult, cli, generate, ir
from specagent.cli import _progress

from tests.support.fault_server import Fault, FaultServer

CASES_DIR = Path(__file__).resolve().parent / "hostile"
CANARY_FILE = "PWNED"
CANARY_ENV = "SPECAGENT_PWNED"

# What generated code may import, call and name: the templates' and datamodel-code-generator's
# own vocabulary. A payload that became code would need something outside it.
ALLOWED_MODULES = frozenset(
    {
        "__future__",
        "collections.abc",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "importlib",
        "ipaddress",
        "json",
        "pydantic",
        "specagent_runtime",
        "sys",
        "typing",
        "uuid",
    }
)
ALLOWED_RELATIVE = frozenset({None, "models", "_operations", "auth", "client", "agent"})
# The runtime's public API (tasks.py builds steps from it and calls the task context).
_RUNTIME_API = frozenset(specagent_runtime.__all__)
_CONTEXT_METHODS = frozenset(n for n in dir(specagent_runtime.TaskContext) if n[0] != "_")
ALLOWED_CALLS = _RUNTIME_API | frozenset(
    {
        "ApiKeyScheme",
        "Arg",
        "AsyncClient",
        "AttributeError",
        "ConfigDict",
        "Field",
        "HttpBasicScheme",
        "HttpBearerScheme",
        "OAuth2Scheme",
        "OperationSpec",
        "_tools",
        "dataclass",
        "frozenset",
        "getattr",
        "globals",
        "main",
        "sorted",
    }
)
ALLOWED_METHODS = _CONTEXT_METHODS | frozenset(
    {
        "_call",
        "exit",
        "files",
        "from_package",
        "get",
        "import_module",
        "loads",
        "mcp_main",
        "model_rebuild",
        "read_text",
        "rpartition",
        "write",
    }
)
FORBIDDEN_NAMES = frozenset(
    {
        "__builtins__",
        "__import__",
        "__setitem__",
        "breakpoint",
        "compile",
        "environ",
        "eval",
        "exec",
        "open",
        "os",
        "popen",
        "subprocess",
        "system",
    }
)

# Cases that expose a generator bug, and the checks they fail: each such test is a strict xfail,
# so it keeps failing until the bug is fixed, then asks to be un-marked.
KNOWN_BUGS: dict[str, tuple[frozenset[str], str]] = {}


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    error: str | None  # the expected diagnostic code, None when a package is expected
    spec: str
    options: GenerateOptions
    where: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    agent: str | None = None

    @property
    def package(self) -> str:
        return f"hostile_{self.name}"


@dataclass
class Generated:
    """All ok cases generated into one folder, with one ruff and one mypy run over them."""

    root: Path
    results: dict[str, GenerateResult]
    ruff: str = ""
    mypy: str = ""
    syntax: str = ""  # compile() errors; such packages are left out of the mypy run
    imports: dict[str, Any] = field(default_factory=dict)


def _read_case(folder: Path) -> Case:
    lines = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    outcome, *rest = lines
    keys: dict[str, list[str]] = {}
    for line in rest:
        key, _, value = line.partition(": ")
        keys.setdefault(key, []).append(value)
    default_spec = next((p.name for p in sorted(folder.iterdir()) if p.stem == "openapi"), "")
    options = GenerateOptions(allow_outside_refs="allow_outside_refs" in keys.get("option", []))
    agent = "agent.yaml" if (folder / "agent.yaml").exists() else None
    if outcome == "ok":
        error = None
    else:
        assert outcome.startswith("error: "), f"{folder}/expected.txt: {outcome!r}"
        error = outcome.removeprefix("error: ")
    return Case(
        name=folder.name,
        folder=folder,
        error=error,
        spec=keys.get("spec", [default_spec])[0] or "openapi.yaml",
        options=options,
        where=tuple(keys.get("where", [])),
        contains=tuple(keys.get("contains", [])),
        agent=agent,
    )


CASES = [_read_case(path) for path in sorted(CASES_DIR.iterdir()) if path.is_dir()]
ERROR_CASES = [case for case in CASES if case.error is not None]
OK_CASES = [case for case in CASES if case.error is None]


def _params(cases: list[Case], check: str) -> list[Any]:
    params = []
    for case in cases:
        checks, reason = KNOWN_BUGS.get(case.name, (frozenset(), ""))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if check in checks else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def code_problems(text: str, where: str) -> list[str]:
    """Constructs in a generated module that no template produces, as `file:line: what`."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return [f"{where}:{exc.lineno}: not valid Python: {exc.msg}"]
    problems = []
    for node in ast.walk(tree):
        line = f"{where}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name not in ALLOWED_MODULES]
            if names:
                problems.append(f"{line}: imports {names}")
        elif isinstance(node, ast.ImportFrom):
            allowed = ALLOWED_RELATIVE if node.level else ALLOWED_MODULES
            if node.module not in allowed:
                problems.append(f"{line}: imports from {node.module!r}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                ok = func.id in ALLOWED_CALLS
            else:
                ok = isinstance(func, ast.Attribute) and func.attr in ALLOWED_METHODS
            if not ok:
                problems.append(f"{line}: calls {ast.unparse(func)!r}")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            problems.append(f"{line}: names {node.id!r}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            problems.append(f"{line}: names attribute {node.attr!r}")
    return problems


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 20
    assert len(ERROR_CASES) >= 5 and len(OK_CASES) >= 15


# --- refused specs: through the CLI, as a user meets them -------------------------------------


@pytest.mark.parametrize("case", _params(ERROR_CASES, "refused"))
def test_refused_with_a_clear_error(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / case.name
    shutil.copytree(case.folder, work)
    before = _snapshot(work)
    monkeypatch.chdir(work)
    monkeypatch.setattr(_progress, "SLOW_STAGE_SECONDS", float("inf"))
    args = ["generate", case.spec, "--out", "hostile_out"]
    if case.agent:
        args += ["--tasks", case.agent]
    result = CliRunner().invoke(cli.main, args, catch_exceptions=False)

    shown = shlex.join(args)
    assert result.exit_code == 2, f"{shown}: {result.exit_code}\n{result.stderr}{result.stdout}"
    assert f"error[{case.error}]" in result.stderr, result.stderr
    # The place: the spec's or the agent file's name with a JSON pointer or a line number.
    places = [f"{name}{mark}" for name in (case.spec, case.agent) if name for mark in ("#/", ":")]
    assert any(place in result.stderr for place in places), result.stderr
    for where in case.where:
        assert where in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert _snapshot(work) == before, "the command wrote something"


# --- accepted specs: generated once, checked as a whole and per case ---------------------------


def _generate_all(root: Path) -> dict[str, GenerateResult]:
    results = {}
    for case in OK_CASES:
        agent = case.folder / case.agent if case.agent else None
        result = generate(case.folder / case.spec, agent, case.package, case.options)
        results[case.name] = result
        for path, text in result.files.items():
            target = root / case.package / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return results


_IMPORT_SCRIPT = """
import importlib, json, os, pkgutil, sys
from specagent_runtime import Toolset
report = {}
for package in sys.argv[1:]:
    try:
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(package + "." + info.name)
        ops = {op.id: op for op in vars(pkg._operations).values() if hasattr(op, "args")}
        client = pkg.AsyncClient(base_url="http://127.0.0.1:9")
        toolset = Toolset.from_package(package, client)
        mismatched = []
        for spec in toolset.specs:
            keys = [arg.key for arg in ops[spec.operation].args]
            if len(set(keys)) != len(keys) or set(keys) != set(spec.input_schema["properties"]):
                mismatched.append(spec.name)
        report[package] = {"tools": len(toolset.specs), "mismatched": mismatched}
    except Exception as exc:
        report[package] = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
report["__canary_env__"] = os.environ.get("SPECAGENT_PWNED")
print(json.dumps(report))
"""


def _syntax_errors(package: Path) -> str:
    found = ""
    for path in sorted(package.rglob("*.py")):
        try:
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
        except SyntaxError as exc:
            found += f"{package.name}/{path.name}:{exc.lineno}: {exc.msg}\n"
    return found


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[str, str]:
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=False, env=env, timeout=300
    )
    return done.stdout, done.stderr


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    root = tmp_path_factory.mktemp("hostile_packages")
    results = _generate_all(root)
    made = sorted(p.name for p in root.iterdir() if p.is_dir())
    run = Generated(root, results)
    if made:
        python = sys.executable
        check = [python, "-m", "ruff", "check", "--no-cache", "--isolated", "--quiet"]
        run.ruff = "".join(_run([*check, "--output-format", "concise", *made], root))
        fmt = [python, "-m", "ruff", "format", "--check", "--no-cache", "--isolated", *made]
        run.ruff += "".join(_run(fmt, root))
        # A syntax error stops mypy for every package, so those are found first and left out.
        broken = {name for name in made if _syntax_errors(root / name)}
        run.syntax = "".join(_syntax_errors(root / name) for name in sorted(broken))
        packages = [arg for name in made if name not in broken for arg in ("-p", name)]
        run.mypy = "".join(
            _run(
                [
                    python,
                    "-m",
                    "mypy",
                    "--strict",
                    "--no-incremental",
                    "--cache-dir",
                    os.devnull,
                    "--config-file",
                    os.devnull,
                    "--no-error-summary",
                    *packages,
                ],
                root,
            )
        )
        canary = root / "canary"
        canary.mkdir()
        env = {k: v for k, v in os.environ.items() if k != CANARY_ENV}
        env["PYTHONPATH"] = str(root)
        # Warnings are errors, as in a host that runs with -W error: importing a generated
        # package must not warn.
        output, errors = _run([python, "-W", "error", "-c", _IMPORT_SCRIPT, *made], canary, env)
        try:
            run.imports = json.loads(output)
        except ValueError:
            run.imports = {"__failed__": (output + errors)[-4000:]}
    yield run


def test_no_payload_ran_while_importing(generated: Generated) -> None:
    assert "__failed__" not in generated.imports, generated.imports.get("__failed__")
    assert generated.imports.get("__canary_env__") is None
    fired = [str(path) for path in generated.root.rglob(CANARY_FILE)]
    assert fired == []
    assert not (Path.cwd() / CANARY_FILE).exists()


@pytest.mark.parametrize("case", _params(OK_CASES, "safe"))
def test_accepted_spec_gives_a_safe_package(case: Case, generated: Generated) -> None:
    result = generated.results[case.name]
    errors = [d.render() for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    assert result.ok, errors
    package = generated.root / case.package
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        problems = code_problems(text, str(path.relative_to(generated.root)))
        assert problems == [], "\n".join(problems)
    everything = "\n".join(p.read_text(encoding="utf-8") for p in sorted(package.rglob("*.*")))
    for text in case.contains:
        assert text in everything, f"{text!r} is not in the generated files"


@pytest.mark.parametrize("case", _params(OK_CASES, "checks"))
def test_accepted_spec_passes_ruff_and_mypy(case: Case, generated: Generated) -> None:
    mine = [
        line
        for line in (generated.syntax + generated.ruff + generated.mypy).splitlines()
        if line.startswith(f"{case.package}/")
    ]
    assert mine == [], "\n".join(mine[:40])


@pytest.mark.parametrize("case", _params(OK_CASES, "imports"))
def test_accepted_spec_imports_with_consistent_tools(case: Case, generated: Generated) -> None:
    report = generated.imports.get(case.package)
    assert report is not None, generated.imports
    assert "error" not in report, report["error"]
    assert report["mismatched"] == [], "tool schemas and wire arguments disagree"


def test_the_checkers_ran_cleanly(generated: Generated) -> None:
    """Every ruff/mypy complaint belongs to a known-bug case (a crash of mypy itself, or a
    package it could not find, would otherwise pass unnoticed)."""
    buggy = tuple(
        f"hostile_{name}/" for name, (checks, _) in KNOWN_BUGS.items() if "checks" in checks
    )
    unexplained = [
        line
        for line in (generated.syntax + generated.ruff + generated.mypy).splitlines()
        if line.strip()
        and not line.startswith(buggy)
        and not line.endswith(("files already formatted", "No [mypy] section in config file"))
    ]
    assert unexplained == [], "\n".join(unexplained[:40])


# --- remote $refs: refused unless the flag allows them --------------------------------------

_REMOTE_SCHEMA = b"""type: object
description: REMOTE-SCHEMA-5521
properties:
  name: {type: string}
"""


def _spec_with_remote_ref(folder: Path, url: str) -> Path:
    spec = folder / "openapi.yaml"
    spec.write_text(
        "openapi: 3.0.3\n"
        "info: {title: Remote, version: '1'}\n"
        "paths:\n"
        "  /r:\n"
        "    get:\n"
        "      operationId: getR\n"
        "      responses:\n"
        "        '200':\n"
        "          description: ok\n"
        "          content:\n"
        "            application/json:\n"
        f"              schema: {{$ref: '{url}'}}\n",
        encoding="utf-8",
    )
    return spec


def test_remote_ref_is_fetched_only_with_the_flag(tmp_path: Path) -> None:
    with FaultServer() as server:
        headers = (("Content-Type", "application/yaml"),)
        server.route("GET", "/thing.yaml", Fault("respond", 200, _REMOTE_SCHEMA, headers))
        spec = _spec_with_remote_ref(tmp_path, f"{server.root_url}/thing.yaml")

        refused = generate(spec, None, "remote_pkg", GenerateOptions())
        assert server.requests() == []
        codes = [d.code for d in refused.diagnostics if d.severity is ir.Severity.ERROR]
        assert codes == ["ref.remote"]
        assert "#/paths/~1r/get" in refused.diagnostics[0].where

        allowed = generate(spec, None, "remote_pkg", GenerateOptions(allow_remote_refs=True))
        assert allowed.ok, [d.render() for d in allowed.diagnostics]
        assert [r.path for r in server.requests()] == ["/thing.yaml"]
    assert any("REMOTE-SCHEMA-5521" in text for text in allowed.files.values())


def test_credentials_in_a_spec_url_never_reach_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with FaultServer() as server:
        server.route("GET", "/spec.yaml", Fault("respond", 200, b"openapi: [unclosed"))
        host = f"127.0.0.1:{server.port}"
        urls = [
            f"http://user:PW-s3cr3t-991@{host}/spec.yaml?token=QTOKEN-4242",
            f"http://{host}/missing.yaml?api_key=QTOKEN-4242",
        ]
        for url in urls:
            args = ["generate", url, "--out", "remote_out"]
            result = CliRunner().invoke(cli.main, args, catch_exceptions=False)
            assert result.exit_code == 2, result.stderr
            shown = result.stderr + result.stdout
            assert "error[" in shown
            assert "PW-s3cr3t-991" not in shown and "QTOKEN-4242" not in shown, shown
        assert [r.path for r in server.requests()] == ["/spec.yaml", "/missing.yaml"]
    assert not (tmp_path / "remote_out").exists()
