"""`python -m <package>`, implemented once in the runtime (`package_main`): its commands, its
help, and one format for every bad command line (an `error:` line, exit code 2)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
from specagent_runtime import package_main
from specagent_runtime._cli import COMMANDS

PACKAGE = "tests.unit.runtime.fakepkg"


def test_help_lists_every_command_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert package_main(PACKAGE, ["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m {PACKAGE}")
    for command in COMMANDS:
        assert command.name in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["serve-everything"], "invalid choice: 'serve-everything'"),
        (["tools", "--json"], "unrecognized arguments: --json"),
    ],
)
def test_bad_command_lines_exit_2_with_a_usage_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert package_main(PACKAGE, argv, env={}) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert f"usage: python -m {PACKAGE}" in captured.err
    assert "Traceback" not in captured.err


def test_a_command_s_own_problems_point_at_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert package_main(PACKAGE, ["mcp", "--port", "70000"], env={}) == 2
    assert f"usage: python -m {PACKAGE} mcp --help" in capsys.readouterr().err


def test_tools_lists_the_tools_of_agent_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert package_main(PACKAGE, ["tools"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "get_my_account"
    assert "cancel_order (asks for confirmation)" in lines


def test_a_package_without_agent_json_is_one_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert package_main("tests.unit.runtime", ["tools"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: tests.unit.runtime/agent.json: cannot read it")
    assert "Traceback" not in err


def test_every_command_module_has_the_two_functions() -> None:
    assert [command.name for command in COMMANDS] == ["tools", "mcp", "test", "audit"]
    for command in COMMANDS:
        module = importlib.import_module(command.module)
        assert callable(module.add_arguments) and callable(module.run)


_COLD = """
import sys
from specagent_runtime import package_main
code = package_main({package!r}, {argv!r})
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("httpx", "pydantic", "mcp"))
print(code, heavy)
"""


@pytest.mark.parametrize("argv", [["tools"], ["--help"], ["mcp", "--help"]])
def test_listing_and_help_import_neither_httpx_nor_pydantic_nor_mcp(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _COLD.format(package=PACKAGE, argv=argv)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 []"
