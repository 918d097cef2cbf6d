"""`specagent init` and `specagent test --scaffold`: starting points that work as written.

init's agent.yaml must generate at once (on corpus specs too), propose bindings for
identity-like parameters and leave operations that change data commented out; the scaffold's
tests (one per path through each task) must pass as written against the package.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from specagent import GenerateOptions, cli, generate

from tests.testing.conftest import PETSTORE, REPO, SHOP, run_specagent

CORPUS = REPO.parent / "shared" / "corpus" / "specs"
# Small real specs with identity-like parameters (email, user ids, usernames), and one with
# no read operation at all; none of them is used by the examples.
CORPUS_SPECS = [
    "orbit.love__v1.yaml",
    "payments.service.gov.uk_payments__1.0.3.yaml",
    "configcat.com__v1.yaml",
    "whatsapp.local__1.0.yaml",
    "openapis.org_callback-example__3.0.yaml",
]


def run(args: list[str]) -> Result:
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def test_init_writes_an_agent_file_that_generates(tmp_path: Path) -> None:
    done = run(["init", PETSTORE / "openapi.yaml", "--out", tmp_path])
    assert done.exit_code == 0, done.output
    assert "8 read operation(s) as tools, 11 that change data commented out" in done.output
    text = (tmp_path / "agent.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    included = data["tools"]["include"]["operations"]
    assert "getOrderById" in included and "deleteOrder" not in included
    assert "      # - deleteOrder  # DELETE /store/order/{orderId}" in text
    assert "      # --- store" in text  # grouped by tag
    assert data["tools"]["overrides"]["getUserByName"] == {
        "bind": {"username": "identity.username"}
    }
    result = generate(
        PETSTORE / "openapi.yaml", tmp_path / "agent.yaml", "init_pet", GenerateOptions()
    )
    assert result.ok, [d.render() for d in result.diagnostics]
    assert not [d for d in result.diagnostics if "agent.yaml" in d.where]  # not even a warning


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "agent.yaml").write_text("mine\n", encoding="utf-8")
    done = run(["init", PETSTORE / "openapi.yaml", "--out", tmp_path])
    assert done.exit_code == 2 and "already exists" in done.output
    assert (tmp_path / "agent.yaml").read_text(encoding="utf-8") == "mine\n"
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.0\npaths: [\n", encoding="utf-8")
    bad = run(["init", broken, "--out", tmp_path / "x"])
    assert bad.exit_code == 2 and not (tmp_path / "x" / "agent.yaml").exists()


@pytest.mark.parametrize("name", CORPUS_SPECS)
def test_init_on_corpus_specs_generates_cleanly(name: str, tmp_path: Path) -> None:
    spec = CORPUS / name
    if not spec.exists():
        pytest.skip(f"{spec} is not in the corpus")
    done = run(["init", spec, "--out", tmp_path, "--package", "corpus_agent"])
    assert done.exit_code == 0, done.output
    result = generate(
        spec, tmp_path / "agent.yaml", "corpus_agent", GenerateOptions(check_only=True)
    )
    mine = [d.render() for d in result.diagnostics if str(tmp_path) in d.where]
    assert result.ok and mine == [], mine
    data = yaml.safe_load((tmp_path / "agent.yaml").read_text(encoding="utf-8"))
    include = data["tools"]["include"]
    assert include.get("operations") or include.get("methods") == ["get"]  # never "all"


def test_the_scaffold_writes_tests_that_pass(tmp_path: Path) -> None:
    folder = tmp_path / "agent_tests"
    done = run_specagent(
        "test",
        "--scaffold",
        "--spec",
        SHOP / "openapi.yaml",
        "--tasks",
        SHOP / "agent.yaml",
        folder,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["book_demo.yaml", "cancel_order.yaml", "refund_order.yaml"]
    cancel = yaml.safe_load((folder / "cancel_order.yaml").read_text(encoding="utf-8"))
    titles = [test["name"] for test in cancel["tests"]]
    # cancel_order: already cancelled; shipped or delivered; confirmed; declined.
    assert len(titles) == 4 and titles[2].endswith("confirmed") and titles[3].endswith("declined")
    refund = yaml.safe_load((folder / "refund_order.yaml").read_text(encoding="utf-8"))
    handed = [t for t in refund["tests"] if t["name"].endswith("handed off")]  # above the limit
    assert len(handed) == 1 and "handoff_requested" in handed[0]["turns"][0]["expect"]["events"]
    ran = run_specagent("test", folder, cwd=SHOP)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "10 test(s): 10 passed, 0 failed" in ran.stdout
    again = run_specagent(
        "test",
        "--scaffold",
        "--spec",
        SHOP / "openapi.yaml",
        "--tasks",
        SHOP / "agent.yaml",
        folder,
    )
    assert again.returncode == 0 and "kept" in again.stdout  # existing files are never replaced


def test_scaffold_needs_its_inputs(tmp_path: Path) -> None:
    no_spec = run(["test", "--scaffold", "--tasks", PETSTORE / "agent.yaml"])
    assert no_spec.exit_code == 2 and "--scaffold needs --spec and --tasks" in no_spec.output
    plain = tmp_path / "agent.yaml"
    plain.write_text("agent: {name: x}\n", encoding="utf-8")
    os.chdir(tmp_path)
    try:
        no_tasks = run(
            [
                "test",
                "--scaffold",
                "--spec",
                PETSTORE / "openapi.yaml",
                "--tasks",
                plain,
                "--package",
                "x",
            ]
        )
    finally:
        os.chdir(REPO)
    assert no_tasks.exit_code == 2 and "has no tasks" in no_tasks.output
    stray = run(["test", "--spec", "x.yaml"])
    assert stray.exit_code == 2 and "go with --scaffold" in stray.output


LINK_SPEC = """\
openapi: 3.0.3
info: {title: Links, version: "1"}
servers: [{url: "https://links.example.com"}]
paths:
  /links/{linkId}:
    get:
      operationId: getLink
      parameters:
        - {in: path, name: linkId, required: true,
           schema: {type: string, pattern: "[0N1RWU4X6F8Z9ALB]{16}"}}
      responses:
        "200":
          description: the link
          content:
            application/json:
              schema:
                type: object
                properties: {id: {type: string}, status: {type: string, enum: [ready, paid]}}
  /accounts/{accountId}:
    get:
      operationId: getAccount
      parameters:
        - {in: path, name: accountId, required: true, schema: {type: string, example: "A-1042"}}
      responses:
        "200": {description: the account, content: {application/json: {schema: {type: object}}}}
"""

LINK_TASKS = """\
agent: {name: Links}
tasks:
  check_link:
    description: Say whether a payment link was paid.
    inputs:
      link_id: {type: string, description: The link's id}
      account_id: {type: string, description: The account}
    steps:
      - call: getAccount
        with: {accountId: inputs.account_id}
      - call: getLink
        with: {linkId: inputs.link_id}
        as: link
      - respond: "Link {link.id} is {link.status}."
"""


def test_scaffolded_inputs_take_their_parameter_s_example_or_pattern(tmp_path: Path) -> None:
    """An input passed to a parameter as it is gets a value that parameter accepts: its
    example, or a string its pattern matches (not "1" for a 16-character id)."""
    (tmp_path / "openapi.yaml").write_text(LINK_SPEC, encoding="utf-8")
    (tmp_path / "agent.yaml").write_text(LINK_TASKS, encoding="utf-8")
    folder = tmp_path / "agent_tests"
    args = ["test", "--scaffold", "--spec", tmp_path / "openapi.yaml", "--tasks"]
    done = run([*args, tmp_path / "agent.yaml", "--package", "links_agent", folder])
    assert done.exit_code == 0, done.output
    written = yaml.safe_load((folder / "check_link.yaml").read_text(encoding="utf-8"))
    arguments = written["tests"][0]["turns"][0]["model"][0]["with"]
    assert arguments == {"link_id": "0N1RWU4X6F8Z9ALB", "account_id": "A-1042"}


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        ("[0N1RWU4X6F8Z9ALBQC3EG5HJKM2PS7TVDY]{32}", "0N1RWU4X6F8Z9ALBQC3EG5HJKM2PS7TV"),
        ("^ord_[a-z0-9]{8}$", "ord_abcdefgh"),
        (r"\d{3}-\d{4}", "012-0123"),
        ("[0-9]+", "0123"),
        ("[A-Z]{2,3}", "AB"),
        ("live|test", None),  # alternatives, groups, negated classes: no guess
        ("(ab)+", None),
        ("[^x]+", None),
    ],
)
def test_a_value_for_a_simple_pattern(pattern: str, value: str | None) -> None:
    from specagent.scaffold._values import from_pattern  # noqa: PLC0415

    assert from_pattern(pattern) == value
