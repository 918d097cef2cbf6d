"""YAML syntax errors are explained with the place the user must look at and a fix, the same
way for the spec (libyaml) and the agent file (PyYAML), whose parsers word them differently."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from specagent._yaml_errors import explain
from specagent.agentfile import parse_agent_text
from specagent.loader import load_spec

CASES = [
    (
        "colon_in_value",
        "tasks:\n  t:\n    steps:\n      - respond: Order {order.id}: cancelled\n",
        (4, 34),
        "a `: ` inside a value",
        'quote the value: `respond: "Order {order.id}: cancelled"`',
    ),
    (
        "continued_value",
        "agent:\n  name: Store support\n   instructions: Help.\n",
        (3, 16),
        "indented further than the key above it",
        "indent it like the key above (column 3)",
    ),
    (
        "indented_too_far",
        "tasks:\n  t:\n    steps:\n      - call: x\n        with: {a: 1}\n          as: o\n",
        (6, 11),
        "indented differently from the keys around it",
        "the keys of the mapping that starts on line 4 are at column 9",
    ),
    (
        "list_item_for_a_key",
        "tools:\n  include: {}\n - x\n",
        (3, 2),
        "a list item (`- `) where a key of the mapping above was expected",
        "starts on line 1 are at column 1",
    ),
    ("tab", "agent:\n\tname: x\n", (2, 1), "a tab character", "use spaces"),
    (
        "at_sign",
        "agent:\n  name: @shop\n",
        (2, 9),
        "cannot start with `@`",
        'quote the value: `"@..."`',
    ),
    (
        "unclosed_quote",
        'agent:\n  name: "Shop\n  instructions: x\n',
        (2, 9),
        "a quote opened here is never closed",
        "close it",
    ),
    (
        "flow_mapping",
        "tools:\n  overrides: {a: {bind: b: c}}\n",
        (2, 26),
        "inside `{...}` (opened at line 2)",
        "quote values holding `:`",
    ),
    (
        "key_without_colon",
        "agent:\n  name: x\n  instructions\n  other: 1\n",
        (3, 3),
        "a key without `:`",
        "write `key: value`",
    ),
    (
        "list_on_the_key_line",
        "tools:\n  include:\n    operations: - getOrder\n",
        (3, 17),
        "a list item (`- `) on the same line as its key",
        "write `key: [a, b]`",
    ),
    ("alias", "tasks:\n  t:\n    x: *.txt\n", (3, 9), "read as a YAML alias", 'quote it: `"*..."`'),
    ("escape", 'agent:\n  name: "\\d+"\n', (2, 0), "an unknown escape", "use single quotes"),
]


@pytest.mark.parametrize(
    ("text", "place", "message", "hint"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
@pytest.mark.parametrize("loader", [yaml.SafeLoader, yaml.CSafeLoader], ids=["pyyaml", "libyaml"])
def test_faults_are_explained(
    loader: type[yaml.SafeLoader],
    text: str,
    place: tuple[int, int],
    message: str,
    hint: str,
) -> None:
    composer = loader(text)
    try:
        with pytest.raises(yaml.MarkedYAMLError) as raised:
            composer.get_single_node()
    finally:
        composer.dispose()
    fault = explain(raised.value, text)
    assert message in fault.message
    assert hint in fault.hint
    assert fault.line == place[0]
    if place[1]:  # the two parsers place an escape one column apart
        assert fault.column == place[1]


def test_the_agent_file_and_the_spec_say_the_same(tmp_path: Path) -> None:
    agent = parse_agent_text("agent:\n\tname: x\n", "agent.yaml")
    [problem] = agent.problems
    assert problem.render() == (
        "error[agent.syntax] agent.yaml:2:1: the agent file is not valid YAML: a tab "
        "character: YAML indents with spaces only\n  hint: use spaces"
    )
    path = tmp_path / "openapi.yaml"
    path.write_text("openapi: 3.1.0\ninfo:\n\ttitle: x\n", encoding="utf-8")
    [error] = load_spec(path).diagnostics
    assert error.render() == (
        f"error[spec.syntax] {path}:3:1: invalid YAML: a tab character: YAML indents with "
        "spaces only\n  hint: use spaces"
    )
