"""Test files that cannot run as written: every problem with file:line, the key path and the
closest valid name, all at once, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from specagent_runtime.testing import TestFileError, load_test_file, load_tests
from specagent_runtime.testing._resolve import resolve

from tests.testing.conftest import PETSTORE


def _problems(tmp_path: Path, text: str, *, check_names: bool = False) -> list[str]:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TestFileError) as caught:
        loaded = load_test_file(path)
        if check_names:
            resolve([loaded])
    return [str(p).replace(str(path), "t.yaml") for p in caught.value.problems]


def test_unknown_keys_are_named_with_their_line_and_the_closest_key(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
package: petstore_agent
tests:
  - name: one
    turns:
      - customr: hello
      - customer: hi
        expect:
          reply: {contain: hello}
          evnts: [task_started]
""",
    )
    assert problems == [
        "t.yaml:5: `tests[0].turns[0].customr` is not a known key\n"
        "  hint: did you mean `customer`?",
        "t.yaml:5: `tests[0].turns[0]` needs exactly one of `customer:` (the customer's message), "
        "`host_confirms:` or `host_answers_task:`",
        "t.yaml:8: `tests[0].turns[1].expect.reply.contain` is not a known key\n"
        "  hint: did you mean `contains`?",
        "t.yaml:9: `tests[0].turns[1].expect.evnts` is not a known key\n"
        "  hint: did you mean `events`?",
    ]


def test_shapes_events_identities_and_modes(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
package: petstore_agent
identities:
  ada: {email: ada@example.com}
tests:
  - name: one
    identity: adaa
    modes: [scripted, livee]
    turns:
      - customer: hi
        expect:
          events: [{task_waiting: {waiting: confirmation}}, task_finish]
          requests: [GET orders, {method: FETCH}]
  - name: one
    turns: []
    simulate: {goal: x}
""",
    )
    assert (
        "t.yaml:6: `tests[0].identity`: no identity named 'adaa'\n  hint: did you mean `ada`?"
        in (problems)
    )
    assert any("t.yaml:7: `tests[0].modes`: unknown mode 'livee'" in p for p in problems)
    assert any("task_waiting events have no field 'waiting'" in p for p in problems)
    assert any(
        "unknown event 'task_finish'\n  hint: did you mean `task_finished`?" in p for p in problems
    )
    assert any("the path in 'GET orders' must start with `/`" in p for p in problems)
    assert any("'FETCH' is not an HTTP method" in p for p in problems)
    assert any("two tests are named 'one'" in p for p in problems)
    assert any("t.yaml:13: `tests[1]` needs either `turns:`" in p for p in problems)


def test_yaml_syntax_errors_have_their_line_and_column(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "tests:\n  - name: x\n    turns: [\n")
    assert len(problems) == 1 and problems[0].startswith("t.yaml:4: not valid YAML")


def test_names_are_checked_against_the_package(tmp_path: Path, isolated_imports: None) -> None:
    (tmp_path / "agent_tests").mkdir()
    folder = tmp_path / "agent_tests"
    text = """\
package: petstore_agent
api:
  stubs:
    getOrderByID: {body: {}}
tests:
  - name: one
    turns:
      - customer: hi
        model:
          - call: get_ordr
        expect:
          requests: [cancelOrder]
"""
    (folder / "t.yaml").write_text(text, encoding="utf-8")
    loaded = load_tests([folder])
    import os  # noqa: PLC0415

    here = os.getcwd()
    os.chdir(PETSTORE)  # where the package is found
    try:
        with pytest.raises(TestFileError) as caught:
            resolve(loaded)
    finally:
        os.chdir(here)
    found = [str(p).replace(str(folder / "t.yaml"), "t.yaml") for p in caught.value.problems]
    assert found[0] == (
        "t.yaml:4: petstore_agent has no operation 'getOrderByID'\n"
        "  hint: did you mean `getOrderById`?"
    )
    assert found[1] == (
        "t.yaml:10: petstore_agent has no tool or task 'get_ordr'\n"
        "  hint: did you mean `get_order`?"
    )
    assert found[2].startswith("t.yaml:12: petstore_agent has no operation 'cancelOrder'")


def test_a_missing_package_says_how_to_make_it(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, "package: acme_agent\ntests:\n  - name: x\n    turns: [{customer: hi}]\n",
        check_names=True,
    )  # fmt: skip
    assert problems == [
        "t.yaml:1: cannot find the package 'acme_agent': no folder acme_agent/ with agent.json "
        "beside the tests or above them, nor in the current folder, and it is not installed\n"
        "  hint: generate it (`specagent generate SPEC --tasks agent.yaml --out acme_agent/`) "
        "or fix `package:`"
    ]


def test_every_file_s_problems_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("tests: []\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("package: x\n", encoding="utf-8")
    with pytest.raises(TestFileError) as caught:
        load_tests([tmp_path])
    assert [(Path(p.file).name, p.line, p.message) for p in caught.value.problems] == [
        ("a.yaml", 1, "`tests` is empty"),
        ("b.yaml", 1, "the file has no `tests:` list"),
    ]


def test_scalars_a_customer_may_say_are_text(tmp_path: Path) -> None:
    """YAML reads `yes` as true and `2` as a number; a customer's message is their text."""
    path = tmp_path / "t.yaml"
    path.write_text(
        "tests:\n  - name: x\n    turns:\n      - customer: yes\n      - customer: 2\n",
        encoding="utf-8",
    )
    (test,) = load_test_file(path).tests
    assert [turn.text for turn in test.turns] == ["yes", "2"]
