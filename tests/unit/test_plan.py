"""make_plan: flat arguments, media types, success responses, tool selection and overrides."""

from __future__ import annotations

from dataclasses import replace

from specagent import ir
from specagent.plan import make_plan

from tests.unit.render._api import json_body, ok, operation, param, petstore_api, ref


def _plan(agent: ir.AgentConfig | None = None, **api_changes: object) -> ir.Plan:
    return make_plan(petstore_api(**api_changes), agent or ir.AgentConfig(), "petstore_agent")


def _endpoint(plan: ir.Plan, op_id: str) -> ir.Endpoint:
    return next(e for e in plan.endpoints if e.operation.id == op_id)


def test_object_body_is_flattened_and_read_only_properties_dropped() -> None:
    endpoint = _endpoint(_plan(), "addPet")
    assert endpoint.body_flattened
    assert endpoint.body_media_type == "application/json"  # preferred over the form
    assert [(a.key, a.location, a.required) for a in endpoint.arguments] == [
        ("name", "body", True),
        ("category", "body", False),
        ("photoUrls", "body", True),
        ("tags", "body", False),
        ("status", "body", False),
    ]
    assert endpoint.method_name == "add_pet"
    assert endpoint.args_model == "AddPetArgs"
    assert endpoint.response_model == "Pet"
    assert endpoint.success_status == "200"


def test_non_object_body_is_one_argument() -> None:
    endpoint = _endpoint(_plan(), "uploadFile")
    assert not endpoint.body_flattened
    body = endpoint.arguments[-1]
    assert (body.key, body.name, body.location, body.required) == ("body", "", "body", False)
    assert endpoint.body_media_type == "application/octet-stream"


def test_colliding_names_get_their_location() -> None:
    endpoint = _endpoint(_plan(), "updatePetWithForm")
    assert [a.key for a in endpoint.arguments] == ["petId", "name__query", "name__body", "status"]
    assert [a.name for a in endpoint.arguments] == ["petId", "name", "name", "status"]
    assert endpoint.body_media_type == "application/x-www-form-urlencoded"
    assert endpoint.success_media_type == "text/plain"
    assert endpoint.success_schema is None and endpoint.response_model is None


def test_idempotency_key_header_is_left_to_the_runtime() -> None:
    endpoint = _endpoint(_plan(), "placeOrder")
    assert endpoint.idempotency_key
    assert all(a.name != "Idempotency-Key" for a in endpoint.arguments)
    assert not endpoint.body_required
    assert all(not a.required for a in endpoint.arguments)  # optional body: nothing required


def test_inline_success_schema_gets_a_response_model() -> None:
    plan = _plan()
    assert _endpoint(plan, "findPetsByStatus").response_model == "FindPetsByStatusResponse"
    assert _endpoint(plan, "getInventory").response_model == "GetInventoryResponse"
    logout = _endpoint(plan, "logoutUser")
    assert (logout.success_status, logout.success_media_type) == ("default", None)


def test_lowest_2xx_wins_over_default() -> None:
    op = operation(
        "createThing",
        "post",
        "/things",
        responses=(
            ir.Response("default", "error", (ir.MediaType("application/json", ref("Tag")),)),
            ok(ref("Pet"), status="202"),
            ok(ref("Order"), status="201"),
        ),
    )
    endpoint = _endpoint(_plan(operations=(op,)), "createThing")
    assert endpoint.success_status == "201"
    assert endpoint.response_model == "Order"


def test_names_avoid_reserved_words_and_collisions() -> None:
    schemas = {
        "BaseModel": {"type": "object"},
        "pet": {"type": "string"},
        "Pet": {"type": "object"},
    }
    ops = (
        operation("close", "get", "/close", responses=(ok(ref("BaseModel")),)),
        operation("getPet", "get", "/a"),
        operation("get_pet", "get", "/b"),
        operation("class", "get", "/c"),
    )
    plan = _plan(schemas=schemas, operations=ops)
    assert plan.model_names == {"BaseModel": "BaseModelModel", "Pet": "Pet", "pet": "Pet2"}
    assert [e.method_name for e in plan.endpoints] == ["close_", "get_pet", "get_pet_2", "class_"]
    assert _endpoint(plan, "close").response_model == "BaseModelModel"
    assert len({t.name for t in plan.tools}) == 4


def test_default_tools_and_confirmation_policy() -> None:
    plan = _plan()
    assert len(plan.tools) == len(plan.endpoints)
    confirm = {t.name: t.confirm for t in plan.tools}
    assert confirm["get_pet_by_id"] is False
    assert confirm["add_pet"] is True
    assert confirm["delete_pet"] is True


def test_selection_include_union_minus_exclude() -> None:
    agent = ir.AgentConfig(
        include=ir.Selection(operations=("placeOrder",), tags=("pet",)),
        exclude=ir.Selection(methods=("delete", "post")),
    )
    names = [t.name for t in _plan(agent).tools]
    assert names == ["find_pets_by_status", "get_pet_by_id"]
    only_gets = ir.AgentConfig(include=ir.Selection(methods=("get",)))
    assert all(t.endpoint.operation.method == "get" for t in _plan(only_gets).tools)


def test_overrides_rename_describe_confirm_and_bind() -> None:
    override = ir.ToolOverride(
        operation_id="getPetById",
        name="lookup_pet",
        description="  Look up   a pet.\n\nUse it when asked. ",
        confirm=True,
        bind=(("petId", "pet"),),
        expose=("name",),
        redact=("id",),
    )
    by_wire = ir.ToolOverride(operation_id="updatePetWithForm", bind=(("name", "nickname"),))
    by_key = ir.ToolOverride(operation_id="deletePet", bind=(("api_key", "token"),))
    plan = _plan(ir.AgentConfig(overrides=(override, by_wire, by_key)))
    tool = next(t for t in plan.tools if t.endpoint.operation.id == "getPetById")
    assert tool.name == "lookup_pet"
    assert tool.description == "Look up a pet. Use it when asked."
    assert tool.confirm is True
    assert tool.bindings == (("petId", "pet"),)
    assert (tool.expose, tool.redact) == (("name",), ("id",))
    form = next(t for t in plan.tools if t.endpoint.operation.id == "updatePetWithForm")
    assert form.bindings == (("name__query", "nickname"),)  # the first argument of that name
    delete = next(t for t in plan.tools if t.endpoint.operation.id == "deletePet")
    assert delete.bindings == (("api_key", "token"),)
    assert not plan.diagnostics


def test_unknown_binding_is_a_diagnostic_naming_the_place() -> None:
    override = ir.ToolOverride(
        operation_id="getPetById", bind=(("email", "email"),), where="a.yaml:7"
    )
    plan = _plan(ir.AgentConfig(overrides=(override,)))
    (problem,) = plan.diagnostics
    assert problem.severity is ir.Severity.ERROR
    assert problem.where == "a.yaml:7"
    assert "email" in problem.message and "petId" in problem.hint


def test_override_name_collision_keeps_the_override() -> None:
    override = ir.ToolOverride(operation_id="addPet", name="get_pet_by_id")
    names = {
        t.endpoint.operation.id: t.name for t in _plan(ir.AgentConfig(overrides=(override,))).tools
    }
    assert names["addPet"] == "get_pet_by_id"
    assert names["getPetById"] == "get_pet_by_id_2"


def test_descriptions_are_trimmed_at_a_sentence() -> None:
    long = "This sentence is fine. " * 80
    op = replace(operation("getPet", "get", "/p"), summary="Get a pet", description=long)
    (tool,) = _plan(operations=(op,)).tools
    assert tool.description.startswith("Get a pet. This sentence is fine.")
    assert len(tool.description) <= 1024
    assert tool.description.endswith(".")
    bare = operation("getBare", "get", "/bare")
    (tool,) = _plan(operations=(bare,)).tools
    assert tool.description == "GET /bare"


def test_header_parameters_http_owns_are_ignored() -> None:
    op = operation(
        "getThing",
        "get",
        "/thing",
        parameters=(
            param("Accept", "header", {"type": "string"}),
            param("Authorization", "header", {"type": "string"}),
            param("X-Trace", "header", {"type": "string"}),
        ),
        body=None,
    )
    (endpoint,) = _plan(operations=(op,)).endpoints
    assert [a.key for a in endpoint.arguments] == ["X-Trace"]


def test_body_with_additional_properties_is_not_flattened() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": True,
    }
    op = operation("putMap", "put", "/map", body=json_body(schema))
    (endpoint,) = _plan(operations=(op,)).endpoints
    assert not endpoint.body_flattened
    assert [a.key for a in endpoint.arguments] == ["body"]
