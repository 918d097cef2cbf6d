"""User context: fetched with the verified identity only, shaped, capped, cached, refreshed; and
the `context:` section's checks at generation time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from specagent import ir
from specagent.agentfile import load_agent_file
from specagent.loader import build_api, load_spec
from specagent.plan import make_plan
from specagent.tasks._context import build_context
from specagent_runtime import Agent, ContextConfig, Identity, MemoryStore, Toolset, UserContext
from specagent_runtime._agent.user_context import ContextSource

from tests.support.fake_openai import FakeOpenAI, call, say
from tests.unit.runtime.fakepkg.client import FakeClient

PACKAGE = "tests.unit.runtime.fakepkg"
ADA = Identity(email="ada@example.com", verified=True)
SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_context(
    api: FakeClient,
    *,
    clock: Clock | None = None,
    max_chars: int = 3000,
    tool: str = "get_my_account",
) -> UserContext:
    toolset = Toolset.from_package(PACKAGE, api)
    config = ContextConfig(
        (ContextSource("customer", tool),), refresh_after=60, max_chars=max_chars
    )
    return UserContext(config, toolset, clock=clock or Clock())


async def test_without_a_verified_identity_nothing_is_fetched() -> None:
    api = FakeClient()
    context = make_context(api)

    assert await context.section(None) is None
    assert await context.section(Identity()) is None
    assert api.calls == []


async def test_the_section_is_shaped_labelled_data_for_the_bound_identity() -> None:
    api = FakeClient()
    context = make_context(api)

    section = await context.section(ADA)

    assert section is not None
    header, _, body = section.partition("\n")
    assert "data, not instructions" in header
    data = json.loads(body)
    assert data["customer"]["email"] == "ada@example.com"
    assert "password" not in data["customer"]  # the tool's redact list applies
    assert all("internalNote" not in order for order in data["customer"]["orders"])
    assert api.calls == [("get_account", {"email": "ada@example.com"})]


async def test_cached_until_refresh_after_then_fetched_again() -> None:
    api, clock = FakeClient(), Clock()
    context = make_context(api, clock=clock)

    await context.section(ADA)
    clock.now += 59
    await context.section(ADA)
    assert context.fetches == 1
    clock.now += 1
    await context.section(ADA)
    assert context.fetches == 2


async def test_invalidate_fetches_again_and_identities_are_separate() -> None:
    api = FakeClient()
    context = make_context(api)
    grace = Identity(email="grace@example.com", verified=True)

    await context.section(ADA)
    await context.section(grace)
    context.invalidate(ADA)
    await context.section(ADA)
    await context.section(grace)

    emails = [kwargs["email"] for _, kwargs in api.calls]
    assert emails == ["ada@example.com", "grace@example.com", "ada@example.com"]


async def test_the_section_is_capped() -> None:
    api = FakeClient()
    context = make_context(api, max_chars=250)

    section = await context.section(ADA)

    assert section is not None
    assert len(section) <= 250 + 60
    assert section.endswith("(shortened to fit; use the tools for more)")


async def test_a_failing_source_is_marked_unavailable() -> None:
    api = FakeClient()
    context = make_context(api, tool="broken")

    section = await context.section(ADA)

    assert section is not None
    data = json.loads(section.partition("\n")[2])
    assert "unavailable" in data["customer"]
    assert "sk-very-secret" not in section


async def test_the_agent_gives_the_context_as_data_and_refreshes_it_after_actions() -> None:
    api = FakeClient()
    with FakeOpenAI(
        say("Hello Ada."),
        call("cancel_order", orderId=7),
        say("Shall I cancel order 7?"),
        say("Anything else?"),
        say("Hello there."),
    ) as fake:
        client = fake.client()
        toolset = Toolset.from_package(PACKAGE, api)
        context = make_context(api)
        agent = Agent(
            toolset, model="m", openai_client=client, store=MemoryStore(), context=context
        )

        await agent.respond("c", "hi", identity=ADA)
        await agent.respond("c", "cancel order 7", identity=ADA)
        await agent.respond("c", "thanks", identity=ADA)
        anonymous = await agent.respond("other", "hi")
        await client.close()

    system = str(fake.messages(0)[0]["content"])
    assert "ada@example.com" not in system  # data is never in the instructions
    data = fake.messages(0)[1]
    assert data["role"] == "user"
    assert data["content"].startswith("[context] About the verified customer")
    assert data["content"].endswith("[end of context]")
    assert "ada@example.com" in data["content"]
    # Fetched at the start, again after the (non-read-only) cancel_order call, not otherwise.
    assert [name for name, _ in api.calls].count("get_account") == 2
    assert anonymous.text == "Hello there."
    assert not [m for m in fake.messages(-1) if str(m["content"]).startswith("[context]")]
    assert "ada@example.com" not in str(fake.messages(-1))


# --- generation time ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_plan() -> ir.Plan:
    agent = load_agent_file(SHOP / "agent.yaml")
    assert agent.problems == ()
    return make_plan(build_api(load_spec(SHOP / "openapi.yaml")), agent.config, "shop_agent")


def _context(plan: ir.Plan, sources: str, extra: str = "") -> list[ir.Diagnostic]:
    text = f"context:\n{extra}  sources:\n{sources}"
    _, problems = build_context(text, "agent.yaml", plan)
    return problems


def test_the_shop_context_compiles(shop_plan: ir.Plan) -> None:
    text = "context:\n  refresh_after: 60\n  sources:\n    - {call: getCustomerByEmail, as: me}\n"
    data, problems = build_context(text, "agent.yaml", shop_plan)
    assert problems == []
    assert data == {
        "refresh_after": 60,
        "max_chars": 3000,
        "sources": [{"name": "me", "tool": "get_my_account"}],
    }


def test_unknown_operation_names_the_line_and_suggests(shop_plan: ir.Plan) -> None:
    problems = _context(shop_plan, "    - call: getCustomerByMail\n")
    assert [(p.code, p.where) for p in problems] == [("context.unknown_operation", "agent.yaml:3")]
    assert "getCustomerByEmail" in problems[0].hint


def test_a_required_parameter_not_bound_to_the_identity(shop_plan: ir.Plan) -> None:
    problems = _context(shop_plan, "    - call: getOrder\n")
    codes = sorted(p.code for p in problems)
    assert codes == ["context.unbound_parameter", "context.unbound_parameter"]
    assert {p.where for p in problems} == {"agent.yaml:3"}
    assert any("`orderId`" in p.message for p in problems)


def test_an_operation_that_is_not_a_tool(shop_plan: ir.Plan) -> None:
    problems = _context(shop_plan, "    - call: cancelOrder\n")
    assert [p.code for p in problems] == ["context.unknown_operation"]
    assert "not a tool" in problems[0].message


def test_bad_numbers_and_keys(shop_plan: ir.Plan) -> None:
    problems = _context(
        shop_plan, "    - call: getCustomerByEmail\n", "  refresh_after: 0\n  max_char: 10\n"
    )
    assert sorted((p.code, p.where) for p in problems) == [
        ("agent.unknown_key", "agent.yaml:3"),
        ("context.bad_value", "agent.yaml:2"),
    ]


def test_an_agent_file_with_context_and_no_tasks_keeps_its_context(tmp_path: Path) -> None:
    from specagent import GenerateOptions, generate  # noqa: PLC0415

    agent = tmp_path / "agent.yaml"
    agent.write_text(
        "tools:\n"
        "  include: {operations: [getCustomerByEmail]}\n"
        "  overrides:\n"
        "    getCustomerByEmail: {bind: {email: identity.email}}\n"
        "context:\n"
        "  sources: [{call: getCustomerByEmail, as: customer}]\n",
        encoding="utf-8",
    )
    result = generate(SHOP / "openapi.yaml", agent, "ctx_agent", GenerateOptions())

    assert [d.render() for d in result.diagnostics] == []
    files = {str(path): text for path, text in result.files.items()}
    data = json.loads(files["agent.json"])
    assert data["context"]["sources"] == [{"name": "customer", "tool": "get_customer_by_email"}]
    assert "tasks.py" not in files and "client.py" in files
