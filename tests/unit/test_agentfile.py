"""The agent file: structure validation with lines and hints, and checks against a spec."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

from specagent import ir
from specagent._diagnostics import format_report, sort_diagnostics
from specagent.agentfile import (
    NAMED_IDENTITY_FIELDS,
    check_agent_against_api,
    identity_fields,
    load_agent_file,
    parse_agent_text,
)
from specagent_runtime import Identity

ROOT = Path(__file__).resolve().parents[2]

CONTRACT_EXAMPLE = """\
agent:
  name: Petstore support
  instructions: You help customers of the pet store with their orders and account.
tools:
  include: {operations: [getOrderById, getUserByName, deleteOrder], tags: [pet], methods: [GET]}
  exclude: {operations: [deleteUser]}
  overrides:
    getUserByName:
      name: get_my_account
      description: The signed-in customer's own account.
      bind: {username: identity.username}   # identity.email, identity.user_id, any field
      expose: [id, username, email]         # response fields the model may see
      redact: [password, phone]             # response fields never shown to the model
    deleteOrder:
      confirm: true
tasks: {}
"""


def parse(text: str) -> tuple[ir.AgentConfig, list[ir.Diagnostic]]:
    agent = parse_agent_text(textwrap.dedent(text), "agent.yaml")
    return agent.config, list(agent.problems)


def only(diagnostics: list[ir.Diagnostic]) -> ir.Diagnostic:
    assert len(diagnostics) == 1, format_report(diagnostics)
    return diagnostics[0]


# --- structure ----------------------------------------------------------------------------


def test_contract_example_parses_into_the_ir() -> None:
    config, problems = parse(CONTRACT_EXAMPLE)
    assert problems == []
    assert config.name == "Petstore support"
    assert config.instructions.startswith("You help customers")
    assert config.include == ir.Selection(
        operations=("getOrderById", "getUserByName", "deleteOrder"), tags=("pet",), methods=("get",)
    )
    assert config.exclude == ir.Selection(operations=("deleteUser",))
    account, delete = config.overrides
    assert account == ir.ToolOverride(
        operation_id="getUserByName",
        name="get_my_account",
        description="The signed-in customer's own account.",
        bind=(("username", "username"),),
        expose=("id", "username", "email"),
        redact=("password", "phone"),
        where=ir.Location.at_line("agent.yaml", 8, key="tools.overrides.getUserByName"),
    )
    assert delete.confirm is True and delete.name is None and str(delete.where) == "agent.yaml:14"
    assert parse_agent_text(textwrap.dedent(CONTRACT_EXAMPLE), "agent.yaml").tasks == ()
    assert config.source == "agent.yaml"


def test_petstore_example_file_is_valid() -> None:
    path = ROOT / "examples" / "petstore" / "agent.yaml"
    agent = load_agent_file(path)
    config, problems = agent.config, list(agent.problems)
    assert problems == [], format_report(problems)
    assert config.source == str(path)
    assert {o.operation_id for o in config.overrides} >= {"getUserByName", "getOrderById"}
    # Cancelling and placing orders are tasks, not raw tools (see docs/tasks.md).
    assert {task.name for task in agent.tasks} >= {"cancel_order", "place_order"}
    assert agent.task_problems == () and agent.data == path.read_bytes()


def test_misspelled_key_names_line_path_and_closest_key() -> None:
    _, problems = parse(
        """\
        tools:
          overrides:
            getUserByName:
              bnd: {username: identity.username}
        """
    )
    problem = only(problems)
    assert problem.code == "agent.unknown_key"
    assert problem.where == "agent.yaml:4"
    assert "`tools.overrides.getUserByName.bnd`" in problem.message
    assert problem.hint == "did you mean `bind`?"


def test_unknown_top_level_key_without_close_match_lists_the_valid_ones() -> None:
    problem = only(parse("zzz: 1\n")[1])
    assert problem.hint == (
        "expected one of: `agent`, `allow_hosts`, `context`, `identity`, `limits`, `tasks`, `tools`"
    )


def test_wrong_types_are_reported_each_with_its_line() -> None:
    _, problems = parse(
        """\
        agent:
          name: [a, b]
          instructions: 42
        tools:
          include: {operations: {a: 1}}
          overrides:
            op:
              confirm: maybe
        """
    )
    found = {(d.where, d.code) for d in problems}
    assert found == {
        ("agent.yaml:2", "agent.type"),
        ("agent.yaml:3", "agent.type"),
        ("agent.yaml:5", "agent.type"),
        ("agent.yaml:8", "agent.type"),
    }
    messages = "\n".join(d.message for d in problems)
    assert "`agent.name` must be text, found a list" in messages
    assert "`agent.instructions` must be text, found a number" in messages
    assert "`tools.include.operations` must be a list of text, found a mapping" in messages
    assert "`tools.overrides.op.confirm` must be true or false, found text" in messages


def test_bind_must_be_identity_field_with_a_guess() -> None:
    _, problems = parse(
        """\
        tools:
          overrides:
            op:
              bind:
                email: email
                user: identty.user_id
                other: session.token
                ok: identity.customer_id
        """
    )
    by_line = {d.where: d for d in problems}
    assert set(by_line) == {"agent.yaml:5", "agent.yaml:6", "agent.yaml:7"}
    assert all(d.code == "agent.bind" for d in problems)
    assert by_line["agent.yaml:5"].hint == "did you mean `identity.email`?"
    assert by_line["agent.yaml:6"].hint == "did you mean `identity.user_id`?"
    assert "`tools.overrides.op.bind.other`" in by_line["agent.yaml:7"].message
    assert "identity.<field>" in by_line["agent.yaml:7"].message


def test_bind_to_a_field_the_identity_lacks_is_an_error_with_a_guess() -> None:
    # Generated anyway, the tool would hide itself and the model would hear "not verified".
    problem = only(parse("tools: {overrides: {op: {bind: {email: identity.emial}}}}\n")[1])
    assert problem.code == "agent.bind"
    assert problem.message == (
        "`tools.overrides.op.bind.email`: `identity.emial` is not a field of the identity"
    )
    assert problem.hint == "did you mean `identity.email`?"
    assert problem.where == "agent.yaml:1"


def test_custom_identity_fields_are_declared_before_use() -> None:
    text = "tools: {overrides: {op: {bind: {account: identity.account_number}}}}\n"
    problem = only(parse(text)[1])
    assert problem.hint.endswith(
        "if your host passes `account_number` in `Identity.extra`, declare it: "
        "`identity: {fields: [account_number]}`"
    )
    config, problems = parse("identity: {fields: [account_number, email]}\n" + text)
    assert problems == []
    assert config.identity_fields == ("account_number",)  # named fields need no declaring
    assert identity_fields(config) == [
        "account_number",
        "customer_id",
        "email",
        "user_id",
        "username",
    ]


def test_declared_identity_fields_must_be_names() -> None:
    problem = only(parse("identity:\n  fields: [account-number]\n")[1])
    assert problem.message == "`identity.fields[1]`: `account-number` is not a field name"
    assert problem.where == "agent.yaml:2"


def test_the_named_identity_fields_are_the_runtime_identitys() -> None:
    named = {f.name for f in dataclasses.fields(Identity)} - {"extra", "verified"}
    assert set(NAMED_IDENTITY_FIELDS) == named


def test_valid_bind_is_kept_without_the_identity_prefix() -> None:
    config, problems = parse("tools: {overrides: {op: {bind: {customer: identity.user_id}}}}\n")
    assert problems == []
    assert config.overrides[0].bind == (("customer", "user_id"),)


def test_methods_must_be_http_methods_and_are_lower_cased() -> None:
    config, problems = parse("tools:\n  include: {methods: [GET, Post, FETCH]}\n")
    problem = only(problems)
    assert problem.code == "agent.method"
    assert "`tools.include.methods[3]`: `FETCH` is not an HTTP method" in problem.message
    assert problem.hint == "did you mean `PATCH`?"
    assert config.include.methods == ("get", "post")


def test_single_string_counts_as_list_and_repeats_collapse_with_located_items() -> None:
    config, problems = parse(
        """\
        tools:
          include:
            operations:
              - a
              - b
              - a
            tags: pet
        """
    )
    assert problems == []
    assert config.include.operations == ("a", "b")
    assert config.include.tags == ("pet",)
    assert config.locations["tools.include.operations[2]"] == ir.Location.at_line(
        "agent.yaml", 5, key="tools.include.operations[2]"
    )
    assert str(config.locations["tools.include.tags[1]"]) == "agent.yaml:7"


def test_duplicate_key_points_at_both_places() -> None:
    problem = only(parse("agent:\n  name: a\n  name: b\n")[1])
    assert problem.code == "agent.duplicate_key"
    assert problem.where == "agent.yaml:3"
    assert "agent.yaml:2" in problem.hint


def test_bad_tool_name_suggests_a_valid_one() -> None:
    problem = only(parse("tools: {overrides: {op: {name: 'look up order!'}}}\n")[1])
    assert problem.code == "agent.tool_name"
    assert problem.hint == "did you mean `look_up_order`?"


def test_bad_field_paths() -> None:
    config, problems = parse("tools: {overrides: {op: {redact: [a..b, 'x y', a.b]}}}\n")
    assert [d.code for d in problems] == ["agent.field_path", "agent.field_path"]
    assert "`tools.overrides.op.redact[1]`: `a..b`" in problems[0].message
    assert "`tools.overrides.op.redact[2]`: `x y`" in problems[1].message
    assert config.overrides[0].redact == ("a.b",)


def test_yaml_syntax_error_has_line_and_stops() -> None:
    config, problems = parse("agent:\n  name: x\n  instructions: [unclosed\n")
    problem = only(problems)
    assert problem.code == "agent.syntax"
    assert problem.where.startswith("agent.yaml:")
    assert "not valid YAML" in problem.message
    assert config == ir.AgentConfig(source="agent.yaml")


def test_root_must_be_a_mapping() -> None:
    problem = only(parse("- a\n- b\n")[1])
    assert problem.message.startswith("the agent file must be a mapping with keys `agent`")


def test_an_empty_or_comment_only_file_is_an_error() -> None:
    # Generating anyway would make every operation a tool: what leaving out --tasks is for.
    for text, what in (
        ("", "is empty"),
        ("\n  \n", "is empty"),
        ("# todo\n", "holds only comments"),
    ):
        problem = only(parse(text)[1])
        assert problem.code == "agent.file"
        assert problem.message == f"the agent file {what}"
        assert "--tasks" in problem.hint


def test_empty_sections_mean_defaults() -> None:
    config, problems = parse("agent:\ntools:\n  include:\n  overrides:\n    op:\ntasks:\n")
    assert problems == []
    where = ir.Location.at_line("agent.yaml", 5, key="tools.overrides.op")
    assert config.overrides == (ir.ToolOverride(operation_id="op", where=where),)


def test_merge_keys_are_supported() -> None:
    config, problems = parse(
        """\
        tools:
          overrides:
            a: &mine {bind: {email: identity.email}, confirm: true}
            b:
              <<: *mine
              name: tool_b
        """
    )
    assert problems == []
    b = config.overrides[1]
    assert (b.name, b.confirm, b.bind) == ("tool_b", True, (("email", "email"),))


def test_tasks_are_read_as_declared() -> None:
    agent = parse_agent_text(
        "tasks:\n  cancel_order:\n    steps: [{call: deleteOrder}]\n", "a.yaml"
    )
    assert agent.problems == ()
    assert agent.declares_tasks
    [task] = agent.tasks
    assert (task.name, str(task.where)) == ("cancel_order", "a.yaml:2")
    assert task.steps == (ir.CallStep(ir.Location.at_line("a.yaml", 3), "deleteOrder", ()),)


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    problem = only(list(load_agent_file(tmp_path / "agent.yaml").problems))
    assert problem.where == str(tmp_path / "agent.yaml")
    assert "does not exist" in problem.message
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"agent:\n  name: caf\xe9\n")
    problem = only(list(load_agent_file(bad).problems))
    assert problem.where == f"{bad}:2"
    assert "UTF-8" in problem.message


# --- against the spec ---------------------------------------------------------------------


def _operation(op_id: str, tags: tuple[str, ...], params: tuple[str, ...] = ()) -> ir.Operation:
    return ir.Operation(
        id=op_id,
        method="get",
        path=f"/{op_id}",
        summary="",
        description="",
        tags=tags,
        deprecated=False,
        parameters=tuple(
            ir.Parameter(name, ir.ParamLocation.QUERY, False, {"type": "string"}) for name in params
        ),
        request_body=None,
        responses=(),
        security=(),
    )


def _api() -> ir.Api:
    body = ir.RequestBody(
        required=True,
        description="",
        content=(ir.MediaType("application/json", {"$ref": "#/components/schemas/User"}),),
    )
    create = ir.Operation(
        id="createUser",
        method="post",
        path="/user",
        summary="",
        description="",
        tags=("user",),
        deprecated=False,
        parameters=(),
        request_body=body,
        responses=(),
        security=(),
        original_id="create-user",
    )
    return ir.Api(
        title="t",
        version="1",
        description="",
        source_version="3.1.0",
        servers=(),
        operations=(
            _operation("getOrderById", ("store",), ("orderId",)),
            _operation("getUserByName", ("user",), ("username",)),
            create,
        ),
        schemas={
            "User": {
                "allOf": [
                    {"$ref": "#/components/schemas/Base"},
                    {"properties": {"email": {"type": "string"}}},
                ]
            },
            "Base": {"properties": {"id": {"type": "integer"}}},
        },
        security_schemes=(),
    )


def test_names_known_to_the_spec_pass() -> None:
    config, problems = parse(
        """\
        tools:
          include: {operations: [getOrderById, create-user], tags: [store, user]}
          overrides:
            getUserByName: {bind: {username: identity.username}}
            createUser: {bind: {email: identity.email, id__body: identity.user_id}}
        """
    )
    assert problems == []
    assert check_agent_against_api(config, _api()) == []


def test_override_of_an_operation_that_is_not_a_tool_is_a_warning() -> None:
    config, _ = parse(
        """\
        tools:
          include: {tags: [store]}
          exclude: {operations: [getOrderById]}
          overrides:
            getOrderById: {confirm: true}
            getUserByName: {confirm: true}
        """
    )
    excluded, not_included = sort_diagnostics(check_agent_against_api(config, _api()))
    assert (excluded.code, excluded.severity, excluded.where) == (
        "agent.unused_override",
        ir.Severity.WARNING,
        "agent.yaml:5",
    )
    assert "is excluded by `tools.exclude`" in excluded.message
    assert "is not selected by `tools.include`" in not_included.message
    assert not_included.hint.startswith("add `getUserByName` to `tools.include.operations`")


def test_unknown_operation_suggests_the_closest_id() -> None:
    config, _ = parse(
        """\
        tools:
          include:
            operations: [getOrderById, getOrderByID]
          overrides:
            getUserByNam: {}
        """
    )
    problems = sort_diagnostics(check_agent_against_api(config, _api()))
    assert [(d.code, d.where, d.hint) for d in problems] == [
        ("agent.unknown_operation", "agent.yaml:3", "did you mean `getOrderById`?"),
        ("agent.unknown_operation", "agent.yaml:5", "did you mean `getUserByName`?"),
    ]
    assert problems[0].message == (
        "`tools.include.operations[2]`: the spec has no operation `getOrderByID`"
    )


def test_unknown_tag_suggests_or_lists_the_spec_tags() -> None:
    config, _ = parse("tools:\n  exclude: {tags: [stor, zzzzzz]}\n")
    first, second = check_agent_against_api(config, _api())
    assert first.code == "agent.unknown_tag" and first.hint == "did you mean `store`?"
    assert second.hint == "expected one of: `store`, `user`"
    assert second.where == "agent.yaml:2"


def test_binding_to_a_missing_parameter_suggests_one() -> None:
    config, _ = parse(
        """\
        tools:
          overrides:
            getUserByName:
              bind:
                usrname: identity.username
        """
    )
    problem = only(check_agent_against_api(config, _api()))
    assert problem.code == "agent.unknown_parameter"
    assert problem.where == "agent.yaml:5"
    assert problem.hint == "did you mean `username`?"
    assert "operation `getUserByName` has no parameter `usrname`" in problem.message


def test_binding_hints_offer_only_documented_names() -> None:
    # `username__path` is the planner's form for a name two places share; here only the path
    # has it, so a hint naming it would send the user to an internal name.
    config, _ = parse("tools: {overrides: {getUserByName: {bind: {emial: identity.email}}}}\n")
    problem = only(check_agent_against_api(config, _api()))
    assert problem.hint == "expected one of: `username`"


def test_unknown_operation_without_a_close_id_points_to_a_listing_that_has_it() -> None:
    config, _ = parse("tools: {include: {operations: [zzzzzzzz]}}\n")
    problem = only(check_agent_against_api(config, _api()))
    assert problem.hint.startswith("expected one of: `createUser`")  # few ids: listed
    # Many ids: the hint points to the one listing of operation ids (`tools` prints tool
    # names in its JSON; --verbose adds each tool's operation id, and without --tasks every
    # operation is a tool).
    api = _api()
    many = tuple(
        dataclasses.replace(api.operations[0], id=f"operation{n:02}", original_id=None)
        for n in range(30)
    )
    problem = only(check_agent_against_api(config, dataclasses.replace(api, operations=many)))
    assert problem.hint == (
        "operation ids are the spec's `operationId` values; `specagent tools SPEC --verbose`"
        " (without --tasks) lists every one"
    )


def test_binding_to_an_unlisted_body_is_not_guessed_wrong() -> None:
    api = _api()
    opaque = ir.RequestBody(True, "", (ir.MediaType("application/json", {"oneOf": []}),))
    operation = dataclasses.replace(api.operations[2], request_body=opaque)
    api = dataclasses.replace(api, operations=(operation,))
    config, _ = parse("tools: {overrides: {createUser: {bind: {anything: identity.email}}}}\n")
    assert check_agent_against_api(config, api) == []


def _api_with_user_response() -> ir.Api:
    api = _api()
    user_list = ir.MediaType(
        "application/json",
        {
            "type": "array",
            "items": {
                "anyOf": [
                    {"$ref": "#/components/schemas/Account"},
                    {"type": "null"},
                ]
            },
        },
    )
    responses = (
        ir.Response("404", "not found", ()),
        ir.Response("200", "the users", (user_list,)),
    )
    operation = dataclasses.replace(api.operations[1], responses=responses)
    schemas = {
        **api.schemas,
        "Account": {
            "properties": {
                "email": {"type": "string"},
                "password": {"type": "string"},
                "address": {"$ref": "#/components/schemas/Address"},
                "extra": {"type": "object", "additionalProperties": True},
            }
        },
        "Address": {"properties": {"city": {"type": "string"}, "zip": {"type": "string"}}},
    }
    return dataclasses.replace(
        api, operations=(api.operations[0], operation, api.operations[2]), schemas=schemas
    )


def test_expose_and_redact_paths_must_be_response_fields() -> None:
    config, problems = parse(
        """\
        tools:
          overrides:
            getUserByName:
              expose: [email, address.city, extra.anything]
              redact:
                - pasword
                - address.zpi
                - address.city.name
        """
    )
    assert problems == []
    found = sort_diagnostics(check_agent_against_api(config, _api_with_user_response()))
    assert [(d.code, d.where, d.hint) for d in found] == [
        ("agent.unknown_field", "agent.yaml:6", "did you mean `password`?"),
        ("agent.unknown_field", "agent.yaml:7", "did you mean `address.zip`?"),
        (
            "agent.unknown_field",
            "agent.yaml:8",
            "`address.city` is a plain value; it has no fields",
        ),
    ]
    assert found[0].message == (
        "`tools.overrides.getUserByName.redact[1]`: "
        "the response of `getUserByName` has no field `pasword`"
    )


def test_field_without_close_match_lists_the_fields_there() -> None:
    config, _ = parse("tools: {overrides: {getUserByName: {expose: [address.qqqqqq]}}}\n")
    problem = only(check_agent_against_api(config, _api_with_user_response()))
    assert problem.hint == "fields there: `address.city`, `address.zip`"


def test_report_is_sorted_by_file_and_line_numerically() -> None:
    diagnostics = [
        ir.Diagnostic("b", ir.Severity.ERROR, "m", ir.Location.at_line("agent.yaml", 10)),
        ir.Diagnostic("a", ir.Severity.WARNING, "m", ir.Location.at_line("agent.yaml", 9), "h"),
        ir.Diagnostic("c", ir.Severity.ERROR, "m", ir.Location.at_line("agent.yaml", 9)),
    ]
    assert format_report(diagnostics) == (
        "warning[a] agent.yaml:9: m\n  hint: h\nerror[c] agent.yaml:9: m\nerror[b] agent.yaml:10: m"
    )
