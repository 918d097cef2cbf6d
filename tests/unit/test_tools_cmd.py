"""`specagent tools`: the runtime's view of the tools, and token counts checked against tiktoken.

The counter uses bpe-openai (its o200k_base vocabulary ships in the wheel); tiktoken itself is
loaded here with that same vocabulary file, after checking it is byte for byte the one OpenAI
publishes, so the counts are compared with OpenAI's own tokenizer without a network.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import tiktoken
from click.testing import CliRunner
from specagent import GenerateOptions, cli, plan_inputs
from specagent._tokens import count_json_tokens, count_tokens, tool_json
from specagent.render import agent_json, task_tools
from specagent.tasks import compile_agent
from specagent.tools import ToolList, format_table, model_tools, task_definitions

ROOT = Path(__file__).resolve().parents[2]
PETSTORE = ROOT / "examples" / "petstore"
TASKS_AGENT = ROOT / "tests" / "unit" / "tasks" / "petstore_agent.yaml"
# sha256 of https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken, as pinned
# by tiktoken_ext.openai_public.
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
# The o200k_base split pattern, as tiktoken_ext.openai_public defines it.
O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@pytest.fixture(scope="module")
def reference() -> tiktoken.Encoding:
    """tiktoken's o200k_base, built from the vocabulary file bpe-openai bundles."""
    count_tokens("load bpe-openai the way specagent does")  # it warns when imported bare
    packed = (resources.files("bpe_openai") / "data" / "o200k_base.tiktoken.gz").read_bytes()
    raw = gzip.decompress(packed)
    assert hashlib.sha256(raw).hexdigest() == O200K_SHA256
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in raw.splitlines() if line)
    }
    return tiktoken.Encoding(
        name="o200k_base_reference",
        pat_str=O200K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    )


@pytest.fixture(scope="module")
def petstore_agent_json() -> dict[str, Any]:
    planned = plan_inputs(
        PETSTORE / "openapi.yaml", PETSTORE / "agent.yaml", "agent", GenerateOptions()
    )
    assert planned.plan is not None and not planned.blocking(strict=False)
    data: dict[str, Any] = json.loads(agent_json(planned.plan))
    return data


def _by_name(tools: ToolList) -> dict[str, dict[str, Any]]:
    found = {}
    for tool in tools.tools:
        name = tool["function"]["name"] if "function" in tool else tool["name"]
        found[name] = tool
    return found


def test_counts_match_tiktoken_on_tricky_text(reference: tiktoken.Encoding) -> None:
    for text in (
        "Find purchase order by ID.",
        '{"type":"object","properties":{"orderId":{"type":"integer","format":"int64"}}}',
        "Größe, 注文番号, emoji 🐈 and <|endoftext|> written by a hostile spec",
        "x" * 5000,
    ):
        assert count_tokens(text) == len(reference.encode_ordinary(text)), text


def test_long_texts_are_counted_in_pieces_within_a_token_per_cut(
    reference: tiktoken.Encoding,
) -> None:
    data = {f"field_{n}": {"type": "string", "description": f"value {n}"} for n in range(30_000)}
    text = tool_json(data)
    assert len(text) > 1_000_000  # bpe-openai refuses this in one call
    expected = len(reference.encode_ordinary(text))
    cuts = len(text) // 100_000
    assert abs(count_tokens(text) - expected) <= cuts


def test_tool_costs_are_the_tokens_of_each_definition(
    petstore_agent_json: dict[str, Any], reference: tiktoken.Encoding
) -> None:
    tools = model_tools(petstore_agent_json, "openai")
    by_name = _by_name(tools)
    costs = {cost.name: cost.tokens for cost in tools.costs}
    for name in ("get_order", "add_pet", "get_my_account", "handoff_to_human"):
        text = json.dumps(by_name[name], ensure_ascii=False, separators=(",", ":"))
        assert costs[name] == len(reference.encode_ordinary(text)) > 10
    assert tools.total == sum(costs.values())
    assert count_json_tokens(by_name["get_order"]) == costs["get_order"]


def test_bound_arguments_are_hidden_and_tools_match_the_runtime(
    petstore_agent_json: dict[str, Any],
) -> None:
    tools = model_tools(petstore_agent_json, "openai")
    by_name = _by_name(tools)
    account = by_name["get_my_account"]["function"]["parameters"]
    assert "username" not in account.get("properties", {})
    assert "username" not in account.get("required", [])
    spec = next(t for t in petstore_agent_json["tools"] if t["name"] == "get_my_account")
    assert "username" in spec["input_schema"]["properties"]  # agent.json keeps it for binding
    assert list(by_name)[-1] == "handoff_to_human"
    assert [name for name in by_name if name != "handoff_to_human"] == [
        tool["name"] for tool in petstore_agent_json["tools"]
    ]


def test_anonymous_customers_do_not_get_bound_tools(petstore_agent_json: dict[str, Any]) -> None:
    verified = _by_name(model_tools(petstore_agent_json, "openai"))
    anonymous = _by_name(model_tools(petstore_agent_json, "openai", verified=False))
    assert "get_my_account" in verified and "update_my_account" in verified
    assert "get_my_account" not in anonymous and "update_my_account" not in anonymous
    assert "get_order" in anonymous


def test_anthropic_and_neutral_formats(petstore_agent_json: dict[str, Any]) -> None:
    anthropic = _by_name(model_tools(petstore_agent_json, "anthropic"))
    assert anthropic["get_order"]["input_schema"]["type"] == "object"
    neutral = _by_name(model_tools(petstore_agent_json, "json"))
    assert set(neutral["get_order"]) == {"name", "description", "parameters"}
    with pytest.raises(ValueError, match="unknown format"):
        model_tools(petstore_agent_json, "xml")  # type: ignore[arg-type]


def test_table_lists_every_tool_biggest_first_with_the_total(
    petstore_agent_json: dict[str, Any],
) -> None:
    tools = model_tools(petstore_agent_json, "openai")
    table = format_table(tools)
    lines = table.splitlines()
    rows = lines[2:-2]
    assert len(rows) == len(tools.costs)
    sizes = [int(row.split()[-1].replace(",", "")) for row in rows]
    assert sizes == sorted(sizes, reverse=True)
    assert lines[-1].startswith(f"total ({len(tools.costs)} tools, openai format, o200k_base)")
    assert lines[-1].endswith(f"{tools.total:,}")


def test_cli_prints_the_tools_on_stdout_and_the_table_on_stderr() -> None:
    result = CliRunner().invoke(
        cli.main,
        ["tools", str(PETSTORE / "openapi.yaml"), "--tasks", str(TASKS_AGENT)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    tools = json.loads(result.stdout)
    names = [tool["function"]["name"] for tool in tools]
    # The tasks are offered like tools; the hand-off tool comes last.
    assert {"cancel_order", "place_order", "pet_count"} <= set(names)
    assert names[-1] == "handoff_to_human"
    assert "total (" in result.stderr and "task" in result.stderr


def test_cli_summary_only_and_anonymous() -> None:
    result = CliRunner().invoke(
        cli.main,
        [
            "tools",
            str(PETSTORE / "openapi.yaml"),
            "--tasks",
            str(TASKS_AGENT),
            "--summary",
            "--anonymous",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["tool", "kind", "access", "tokens"]
    assert "get_my_account" not in result.stdout
    assert "cancel_order" not in result.stdout  # a verified-only task
    assert "place_order" in result.stdout


def test_cli_bad_spec_exits_2_without_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a: [\n")
    result = CliRunner().invoke(cli.main, ["tools", str(spec)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "openapi.yaml" in result.stderr


def test_mcp_format_is_what_the_runtime_mcp_server_lists(
    petstore_agent_json: dict[str, Any],
) -> None:
    planned = plan_inputs(PETSTORE / "openapi.yaml", TASKS_AGENT, "agent", GenerateOptions())
    assert planned.plan is not None and planned.agent is not None
    program, problems = compile_agent(planned.agent, planned.plan)
    assert problems == []
    definitions = task_definitions(program)
    # The same tools agent.json gets from the tasks compiler.
    assert [d.tool_json() for d in definitions] == task_tools(program)
    data = json.loads(agent_json(planned.plan))
    methods = {e.operation.id: e.operation.method.upper() for e in planned.plan.endpoints}
    tools = model_tools(data, "mcp", tasks=definitions, http_methods=methods)
    by_name = {tool["name"]: tool for tool in tools.tools}
    assert {"cancel_order", "place_order", "pet_count", "task_reply"} <= set(by_name)
    assert "handoff_to_human" not in by_name  # the MCP server leaves hand-off to its host
    update = by_name["update_my_account"]
    assert "confirm" in update["inputSchema"]["properties"]  # consequential: asks first
    assert "username" not in update["inputSchema"]["properties"]  # bound
    assert by_name["delete_pet"]["annotations"]["destructiveHint"] is True  # DELETE
    assert by_name["get_order"]["annotations"]["readOnlyHint"] is True
    costs = {cost.name: cost for cost in tools.costs}
    assert costs["cancel_order"].kind == "task" and costs["cancel_order"].access == "verified"
    assert costs["get_order"].tokens == count_json_tokens(by_name["get_order"])


def test_cli_verbose_shows_operations_arguments_bindings_and_confirmation() -> None:
    args = ["tools", str(PETSTORE / "openapi.yaml"), "--tasks", str(TASKS_AGENT), "--verbose"]
    result = CliRunner().invoke(cli.main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    json.loads(result.stdout)  # the tool list itself is unchanged
    details = result.stderr
    assert "get_my_account: GET /user/{username} (operation getUserByName)" in details
    assert "verified customers only" in details
    bound = next(line for line in details.splitlines() if line.strip().startswith("username "))
    assert "path, string, required" in bound and "<- identity.username" in bound
    assert "never shown to the model: password" in details
    assert "confirmation: asked before it runs (DELETE)" in details
    assert "confirmation: not asked (GET)" in details
    assert "pet_count: task, anyone" in details
    assert "one of available, pending, sold" in details


def test_cli_verbose_summary_anonymous_describes_only_the_listed_tools() -> None:
    args = [
        "tools",
        str(PETSTORE / "openapi.yaml"),
        "--tasks",
        str(TASKS_AGENT),
        "--verbose",
        "--summary",
        "--anonymous",
    ]
    result = CliRunner().invoke(cli.main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "get_pet_by_id: GET /pet/{petId}" in result.stdout
    assert "get_my_account" not in result.stdout
    assert "cancel_order" not in result.stdout
    assert "total (" in result.stdout


def test_cli_failure_says_no_tools_were_listed(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a: [\n")
    result = CliRunner().invoke(cli.main, ["tools", str(spec)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.rstrip().endswith("no tools were listed")
