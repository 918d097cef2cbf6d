"""The examples' conversation tests, run as a developer runs them: `specagent test PATH`.

The shop's run against its reference server, the petstore's against stubs; both scripted (no
model, no key). A broken expectation in a copy of one file must fail with exit code 1, naming
the test and the turn; the JUnit report must say the same.
"""

from __future__ import annotations

import io
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.testing.conftest import PETSTORE, REPO, SHOP, run_specagent


def test_the_shop_conversation_tests_pass(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    done = run_specagent("test", "examples/shop/agent_tests", "--junit", report)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 failed" in done.stdout and "pass^1 1.00" in done.stdout
    root = ET.parse(report).getroot()
    cases = root.findall(".//testcase")
    assert len(cases) >= 20 and root.get("failures") == "0"
    skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
    assert skipped == ["a simulated visitor books a demo"]  # live only


def test_the_petstore_conversation_tests_pass() -> None:
    done = run_specagent("test", "examples/petstore/agent_tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "21 test(s): 21 passed, 0 failed" in done.stdout


def test_a_broken_expectation_in_a_copy_fails_with_exit_1(tmp_path: Path) -> None:
    copy = tmp_path / "agent_tests"
    copy.mkdir()
    original = (SHOP / "agent_tests" / "cancel_order.yaml").read_text(encoding="utf-8")
    assert "path: /orders/1002/cancel" in original
    broken = original.replace("path: /orders/1002/cancel", "path: /orders/1003/cancel", 1)
    (copy / "cancel_order.yaml").write_text(broken, encoding="utf-8")
    # Run from the shop's folder: the copy finds the package and server.py there.
    report = tmp_path / "junit.xml"
    done = run_specagent("test", copy, "--junit", report, cwd=SHOP)
    assert done.returncode == 1, done.stdout + done.stderr
    name = "  - name: a placed order is cancelled after the customer's yes"
    place = f"cancel_order.yaml:{original.splitlines().index(name) + 1} "
    row = next(line for line in done.stdout.splitlines() if line.startswith(place))
    assert "turn 2: expected the request" in row
    assert "/orders/1003/cancel" in done.stdout and "transcript:" in done.stdout
    failure = ET.parse(report).getroot().find(".//testcase/failure")
    assert failure is not None and (failure.get("message") or "").startswith("turn 2:")


def test_the_package_s_own_command_runs_them_without_the_generator() -> None:
    """`python -m petstore_agent test` is the runtime's: what a service's CI has."""
    import subprocess  # noqa: PLC0415

    done = subprocess.run(
        [sys.executable, "-m", "petstore_agent", "test", "agent_tests"],
        cwd=PETSTORE,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "21 passed" in done.stdout


def test_bad_input_is_exit_2_with_the_place(tmp_path: Path) -> None:
    shutil.copy(PETSTORE / "agent_tests" / "consent.yaml", tmp_path / "consent.yaml")
    text = (tmp_path / "consent.yaml").read_text(encoding="utf-8")
    (tmp_path / "consent.yaml").write_text(
        text.replace("confirmation_requested: update_my_account", "confirmation_request: x"),
        encoding="utf-8",
    )
    done = run_specagent("test", tmp_path, cwd=PETSTORE)
    assert done.returncode == 2
    line = text.splitlines().index(
        "          events: [{confirmation_requested: update_my_account}]"
    )
    where = f"consent.yaml:{line + 1}: `tests[0].turns[0].expect.events[0]`: unknown event"
    assert where in done.stderr
    assert "did you mean `confirmation_requested`?" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    missing = run_specagent("test", REPO / "no_such_folder")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    flag = run_specagent("test", "examples/petstore/agent_tests", "--trials", "0")
    assert flag.returncode == 2


def test_a_missing_testing_extra_is_exit_2_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A runtime installed without [testing] (no openai SDK) says what to install."""
    import importlib.util  # noqa: PLC0415

    from specagent_runtime.testing import run_and_report  # noqa: PLC0415

    real = importlib.util.find_spec
    monkeypatch.setattr(
        "importlib.util.find_spec", lambda name, *a: None if name == "openai" else real(name, *a)
    )
    out, err = io.StringIO(), io.StringIO()
    code = run_and_report(["examples/petstore/agent_tests"], out=out, err=err)
    assert code == 2 and out.getvalue() == ""
    assert err.getvalue() == (
        "error: conversation tests need the openai SDK: pip install 'specagent-runtime[testing]'\n"
    )
