"""`specagent diff`: real API changes classified for the agent, tasks named by step and line.

The pairs in tests/diff_pairs are corpus specs with one realistic edit each (see its README);
the smaller cases below build both specs in the test so the one difference is in plain sight.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from specagent import cli
from specagent.diff import Change, DiffReport, Impact, TaskRef, format_markdown, format_text
from specagent.ir import Location

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "tests" / "diff_pairs"
CASES = sorted(path.name for path in PAIRS.iterdir() if (path / "expected.json").exists())


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, ["diff", *args], catch_exceptions=False)


def _line(where: str) -> int:
    return int(where.rsplit(":", 1)[1])


def _summary(change: dict[str, Any]) -> dict[str, Any]:
    return {
        "severity": change["severity"],
        "kind": change["kind"],
        "tool": change["tool"],
        "subject": change["subject"],
        "tasks": [
            [t["task"], t["step"], int(t["where"].rsplit(":", 1)[1])] for t in change["tasks"]
        ],
    }


def test_there_are_the_pairs_the_issue_asks_for() -> None:
    assert {
        "operation_removed",
        "parameter_made_required",
        "enum_value_dropped",
        "task_field_removed",
        "type_changed",
        "identical",
    } <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_pair(case: str) -> None:
    folder = PAIRS / case
    (old,) = folder.glob("old.*")
    (new,) = folder.glob("new.*")
    args = [str(old), str(new), "--format", "json"]
    if (folder / "agent.yaml").exists():
        args += ["--tasks", str(folder / "agent.yaml")]
    result = run(*args)
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    report = json.loads(result.stdout)
    assert [_summary(change) for change in report["changes"]] == expected["changes"]
    assert result.exit_code == (1 if expected["breaking"] else 0), result.stderr


def test_task_field_removed_names_task_step_and_line() -> None:
    folder = PAIRS / "task_field_removed"
    result = run(
        str(folder / "old.yaml"), str(folder / "new.yaml"), "--tasks", str(folder / "agent.yaml")
    )
    assert result.exit_code == 1
    agent = folder / "agent.yaml"
    lines = agent.read_text(encoding="utf-8").splitlines()
    # The report points at the lines that read `pet.tag`.
    for line in (16, 20):
        assert "pet.tag" in lines[line - 1]
        assert f"used by task `describe_pet`, step {2 if line == 16 else 3} ({agent}:{line})" in (
            result.stdout
        )
    assert "response field `tag` is gone" in result.stdout


# --- small specs built here ------------------------------------------------------------------

BASE: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Shop", "version": "1"},
    "paths": {
        "/orders/{id}": {
            "get": {
                "operationId": "getOrder",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "expand", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
                        },
                    }
                },
            },
            "delete": {
                "operationId": "cancelOrder",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {"204": {"description": "cancelled"}},
            },
        }
    },
    "components": {
        "schemas": {
            "Order": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "status": {"type": "string", "enum": ["placed", "shipped"]},
                },
            }
        },
        "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
    },
}

AGENT = """\
tools:
  include:
    operations: [getOrder]
tasks:
  cancel:
    description: Cancel an order that has not shipped.
    requires: anyone
    inputs:
      order_id: {type: integer, description: The order}
    steps:
      - call: getOrder
        with: {id: inputs.order_id}
        as: order
      - if: order.status == "shipped"
        then:
          - respond: "Order {order.id} has shipped."
          - end: done
      - confirm: "Cancel order {order.id}?"
      - call: cancelOrder
        with: {id: order.id}
      - respond: "Cancelled."
"""


def _write(folder: Path, name: str, document: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _diff(tmp_path: Path, new: dict[str, Any], *extra: str) -> tuple[Result, dict[str, Any]]:
    agent = tmp_path / "agent.yaml"
    agent.write_text(AGENT, encoding="utf-8")
    old_path = _write(tmp_path, "old.json", BASE)
    new_path = _write(tmp_path, "new.json", new)
    result = run(str(old_path), str(new_path), "--tasks", str(agent), "--format", "json", *extra)
    return result, json.loads(result.stdout) if result.stdout.startswith("{") else {}


def _copy() -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(BASE))
    return copied


def test_identical_small_specs_report_nothing(tmp_path: Path) -> None:
    result, report = _diff(tmp_path, _copy())
    assert result.exit_code == 0
    assert report["changes"] == []


def test_an_operation_only_a_task_calls_is_reported_with_the_task_step(tmp_path: Path) -> None:
    new = _copy()
    del new["paths"]["/orders/{id}"]["delete"]
    result, report = _diff(tmp_path, new)
    assert result.exit_code == 1
    removed = [c for c in report["changes"] if c["kind"] == "operation.removed"]
    assert len(removed) == 1
    assert removed[0]["operation"] == "cancelOrder" and removed[0]["tool"] == ""
    assert [(t["task"], t["step"]) for t in removed[0]["tasks"]] == [("cancel", "4")]
    assert removed[0]["tasks"][0]["where"].endswith("agent.yaml:19")
    broken = [c for c in report["changes"] if c["kind"] == "task.broken"]
    assert broken and broken[0]["where"].endswith("agent.yaml:19")


def test_a_response_enum_value_a_task_compares_with_is_dropped(tmp_path: Path) -> None:
    new = _copy()
    new["components"]["schemas"]["Order"]["properties"]["status"]["enum"] = ["placed", "sent"]
    result, report = _diff(tmp_path, new)
    assert result.exit_code == 1
    broken = [c for c in report["changes"] if c["kind"] == "task.broken"]
    assert [c["tasks"][0]["step"] for c in broken] == ["2"]
    assert broken[0]["where"].endswith("agent.yaml:14")
    assert "shipped" in broken[0]["message"]


def test_security_added_is_breaking_and_removed_is_not(tmp_path: Path) -> None:
    new = _copy()
    new["security"] = [{"key": []}]
    result, report = _diff(tmp_path, new)
    assert result.exit_code == 1
    added = [c for c in report["changes"] if c["kind"] == "security.added"]
    assert {c["operation"] for c in added} == {"getOrder", "cancelOrder"}
    assert all(c["severity"] == "breaking" for c in added)
    assert added[0]["message"] == "now needs credentials: key"

    back = tmp_path / "back"
    back.mkdir()
    old_path = _write(back, "old.json", new)
    new_path = _write(back, "new.json", BASE)
    result = run(str(old_path), str(new_path), "--format", "json")
    removed = json.loads(result.stdout)["changes"]
    assert {c["kind"] for c in removed} == {"security.removed"}
    assert result.exit_code == 0


def test_optional_parameter_added_and_response_enum_widened_are_not_breaking(
    tmp_path: Path,
) -> None:
    new = _copy()
    new["paths"]["/orders/{id}"]["get"]["parameters"].append(
        {"name": "lang", "in": "query", "schema": {"type": "string"}}
    )
    new["components"]["schemas"]["Order"]["properties"]["status"]["enum"].append("lost")
    result, report = _diff(tmp_path, new)
    kinds = {(c["kind"], c["severity"]) for c in report["changes"]}
    # The task reads `status`, so a new value is worth a look, not a failure.
    assert kinds == {("parameter.added", "info"), ("response.enum_widened", "warning")}
    assert result.exit_code == 0


def test_the_agent_file_naming_an_operation_that_is_gone(tmp_path: Path) -> None:
    new = _copy()
    del new["paths"]["/orders/{id}"]["get"]
    result, report = _diff(tmp_path, new)
    assert result.exit_code == 1
    references = [c for c in report["changes"] if c["kind"] == "agent.reference"]
    assert references and references[0]["where"].endswith("agent.yaml:3")
    assert {c["kind"] for c in report["changes"]} >= {"tool.removed", "task.broken"}


def test_an_operation_id_renamed_on_the_same_route(tmp_path: Path) -> None:
    new = _copy()
    new["paths"]["/orders/{id}"]["delete"]["operationId"] = "deleteOrder"
    result, report = _diff(tmp_path, new)
    renamed = [c for c in report["changes"] if c["kind"] == "operation.renamed"]
    assert len(renamed) == 1 and renamed[0]["severity"] == "breaking"  # the task calls it
    assert "`cancelOrder` is now `deleteOrder`" in renamed[0]["message"]
    assert result.exit_code == 1


def test_bad_new_spec_exits_2_without_traceback(tmp_path: Path) -> None:
    old_path = _write(tmp_path, "old.json", BASE)
    bad = tmp_path / "new.yaml"
    bad.write_text("openapi: 3.0.3\npaths: {/a: {get: {responses: {200: {$ref: '#/nope'}}}}}\n")
    result = run(str(old_path), str(bad))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "new.yaml" in result.stderr


# --- formats ---------------------------------------------------------------------------------


REPORT = DiffReport(
    "Shop 1",
    "Shop 2",
    (
        Change(
            "parameter.removed",
            Impact.BREAKING,
            "getOrder",
            "get_order",
            "expand",
            "parameter `expand` (query) is gone | really",
            Location.in_spec("new.yaml", ("paths", "/orders/{id}", "get")),
            (TaskRef("cancel", "1", Location.at_line("agent.yaml", 11)),),
        ),
        Change("tool.added", Impact.INFO, "listOrders", "list_orders", "", "new tool"),
    ),
)


def test_markdown_is_a_pull_request_comment() -> None:
    text = format_markdown(REPORT)
    assert text.startswith("### specagent diff: Shop 1 → Shop 2\n")
    assert "**1 breaking change** for the agent" in text
    assert "#### Breaking changes (1)" in text
    assert "<details><summary>Other changes (1)</summary>" in text  # folded: nothing breaks
    row = next(line for line in text.splitlines() if "expand" in line)
    # The pipe in the message is escaped, so the row keeps its three cells.
    assert row.count(" | ") == 2 and "\\| really" in row
    assert "`cancel` step 1 (agent.yaml:11)" in row
    assert format_markdown(DiffReport("a", "b")).endswith("No changes for the agent.\n")


def test_text_groups_by_severity_and_names_task_steps() -> None:
    text = format_text(REPORT)
    assert text.splitlines()[0] == "specagent diff: Shop 1 -> Shop 2"
    assert "Breaking changes (1):" in text
    assert "used by task `cancel`, step 1 (agent.yaml:11)" in text
    assert text.splitlines()[-1] == "1 breaking, 0 to review, 1 other"


def test_markdown_cli_output() -> None:
    folder = PAIRS / "operation_removed"
    result = run(str(folder / "old.yaml"), str(folder / "new.yaml"), "--format", "markdown")
    assert result.exit_code == 1
    assert "| tool `update_reimbursement`" in result.stdout
    assert textwrap.dedent(result.stdout).startswith("### specagent diff: Reimbursements API")


def test_fields_inside_a_body_passed_whole_are_compared(tmp_path: Path) -> None:
    def spec(item: dict[str, Any]) -> dict[str, Any]:
        body = {"type": "array", "items": item}
        operation = {
            "operationId": "importOrders",
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"204": {"description": "imported"}},
        }
        return {
            "openapi": "3.0.3",
            "info": {"title": "Shop", "version": "1"},
            "paths": {"/orders/import": {"post": operation}},
        }

    old = {
        "type": "object",
        "properties": {
            "sku": {"type": "string"},
            "note": {"type": "string"},
            "size": {"type": "string", "enum": ["s", "m", "l"]},
        },
    }
    new = {
        "type": "object",
        "required": ["sku"],
        "properties": {"sku": {"type": "string"}, "size": {"type": "string", "enum": ["s", "m"]}},
    }
    old_path = _write(tmp_path, "old.json", spec(old))
    new_path = _write(tmp_path, "new.json", spec(new))
    result = run(str(old_path), str(new_path), "--format", "json")
    found = {(c["kind"], c["subject"]) for c in json.loads(result.stdout)["changes"]}
    assert found == {
        ("parameter.removed", "body[].note"),
        ("parameter.required", "body[].sku"),
        ("parameter.enum_narrowed", "body[].size"),
    }
    assert result.exit_code == 1


def test_markdown_groups_repeated_changes_and_stays_under_the_comment_limit() -> None:
    changes = tuple(
        Change(
            "response.field_removed",
            Impact.BREAKING,
            f"op{n}",
            f"tool_{n:03}",
            f"owner{n % 40}.id",
            f"response field `owner{n % 40}.id` is gone",
            Location.in_spec("/runner/tmp/new.json", ("paths", f"/op{n}", "get")),
        )
        for n in range(400)
    )
    report = DiffReport("Big 1", "Big 2", changes)
    text = format_markdown(report)
    rows = [line for line in text.splitlines() if line.startswith("| tool")]
    assert len(rows) == 40  # one per distinct change, naming the tools it hits
    assert "tool `tool_000`, tool `tool_040`," in rows[0] and "and 4 more" in rows[0]
    small = format_markdown(report, limit=2000)
    assert len(small) <= 2000
    assert "more rows not shown here (comment size limit)" in small
    single = format_markdown(DiffReport("a", "b", changes[:1]))
    assert "<sub>#/paths/~1op0/get</sub>" in single  # the pointer, not the runner's path


def test_tighter_limits_on_a_parameter_are_breaking(tmp_path: Path) -> None:
    new = _copy()
    expand = new["paths"]["/orders/{id}"]["get"]["parameters"][1]["schema"]
    expand.update({"maxLength": 20, "pattern": "^[a-z,]+$"})
    order_id = new["paths"]["/orders/{id}"]["get"]["parameters"][0]["schema"]
    order_id["minimum"] = 1
    result, report = _diff(tmp_path, new)
    narrowed = {c["subject"]: c["message"] for c in report["changes"]}
    assert narrowed == {
        "expand": "parameter `expand` accepts less: maxLength none -> 20; pattern '^[a-z,]+$'",
        "id": "parameter `id` accepts less: minimum none -> 1",
    }
    assert result.exit_code == 1

    looser = tmp_path / "looser"
    looser.mkdir()
    old_path = _write(looser, "old.json", new)
    new_path = _write(looser, "new.json", BASE)
    assert run(str(old_path), str(new_path), "--format", "json").exit_code == 0


def test_a_recursive_schema_does_not_crash_the_comparison(tmp_path: Path) -> None:
    """`Tree: {type: array, items: {$ref: Tree}}`: describing its type used to recurse forever."""
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "R", "version": "1"},
        "paths": {
            "/t": {
                "post": {
                    "operationId": "postT",
                    "requestBody": {"content": {"application/json": {"schema": TREE_REF}}},
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": TREE_REF}},
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"Tree": {"type": "array", "items": TREE_REF}}},
    }
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(spec))
    spec["components"]["schemas"]["Tree"]["items"] = {"type": "string"}  # type: ignore[index]
    new.write_text(json.dumps(spec))
    result = CliRunner().invoke(cli.main, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 1, result.output
    kinds = {c["kind"] for c in json.loads(result.stdout)["changes"]}
    assert "parameter.type" in kinds and "response.field_type" in kinds


TREE_REF = {"$ref": "#/components/schemas/Tree"}
