"""Typed task code: steps read results as the API's models, and mypy --strict checks them.

One package is generated from `typed/openapi.yaml` (nested required and optional objects,
lists, dates, enums, a free-form object, a list response) and `typed/agent.yaml`, whose task
reads every kind of field. The tests check that it passes ruff and mypy --strict, how each read
is written, that a run against the API says what the agent file means, that a missing value
keeps its meaning (None, or a hand-off where it is needed), and that a misused field is caught:
by specagent when it is written in the agent file, by mypy when a step is edited by hand.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from specagent import GenerateOptions, generate, ir
from specagent.agentfile import load_agent_file
from specagent.loader import build_api, load_spec
from specagent.plan import make_plan
from specagent.tasks import build_tasks
from specagent_runtime import (
    Goto,
    MemoryStore,
    Respond,
    RunStatus,
    TaskContext,
    TaskDataError,
    TaskEngine,
)

from tests.support.imports import imported_from

HERE = Path(__file__).resolve().parent / "typed"
REPO = HERE.parents[3]
PACKAGE = "typed_agent"

ORDER = {
    "id": 7,
    "status": "shipped",
    "previous_status": "placed",
    "total": 12.5,
    "placed_at": "2026-11-02",
    "shipped_at": "2026-11-03T09:30:00Z",
    "priority": 1,
    "customer": {"name": "Ada", "tier": "gold", "address": {"city": "Oslo", "zip": "0150"}},
    "items": [{"sku": "MUG-1", "qty": 1}, {"sku": "TEA-2", "qty": 3}],
    "tags": ["vip"],
    "meta": {"colour": "red"},
    "orderNote": None,
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = generate(HERE / "openapi.yaml", HERE / "agent.yaml", PACKAGE, GenerateOptions())
    errors = [d.render() for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    assert result.ok, errors
    folder = tmp_path_factory.mktemp("typed")
    for path, text in result.files.items():
        target = folder / PACKAGE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def package(root: Path) -> Iterator[ModuleType]:
    with imported_from(root, PACKAGE) as module:
        yield module


def _mypy(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            os.devnull,
            "--cache-dir",
            str(REPO / ".mypy_cache"),
            "--show-error-codes",
            "-p",
            f"{PACKAGE}.tasks",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
    )


def test_the_steps_pass_ruff_and_mypy_strict(root: Path) -> None:
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", str(root / PACKAGE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = _mypy(root)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_reads_are_written_against_the_models(root: Path) -> None:
    source = (root / PACKAGE / "tasks.py").read_text(encoding="utf-8")
    expected = [
        # A result is read once per step as its model; the inputs as the task's dataclass.
        'order = ctx.result("order", models.Order)',
        "inputs = ctx.inputs(InspectInputs)",
        'tier: Literal["basic", "gold"] | None = None',
        # A list response is its RootModel's list.
        'orders = ctx.result("orders", models.ListOrdersResponse).root',
        # A required object is read through; an optional one is narrowed; an index may miss.
        "order.customer.name",
        "_v1.city if (_v1 := order.customer.address) is not None else None",
        "_v2.sku if (_v2 := ctx.item(order.items, 0)) is not None else None",
        # Python names, not the spec's: `orderNote` is `order_note` in models.py.
        "order.order_note",
        # Where None cannot go, a missing value hands off, as before.
        'len(ctx.need(order.items, "order.items")) > 1',
        '"vip" in ctx.need(order.tags, "order.tags")',
        'ctx.need(order.total, "order.total") * 2 > 10',
        # An enum compared with an enum-typed input, a value passed on typed.
        "if order.customer.tier == inputs.tier:",
        '"tier": order.customer.tier,',
        # A variable `set` to a whole result is read as that model again.
        'whole = ctx.result("whole", models.Order)',
    ]
    for text in expected:
        assert text in source, text
    # What the models cannot say with the checked JSON kind stays a (typed) JSON accessor:
    # a free-form object, a date compared as text, two enum classes, a whole object as data.
    fallbacks = [
        'ctx.value("order", "meta", "colour")',
        'if ctx.text("order", "placed_at") == "2026-11-02":',
        'if ctx.text("order", "status") == ctx.text("order", "previous_status"):',
        '"whole": ctx.value("order"),',
    ]
    for text in fallbacks:
        assert text in source, text
    # Every other read is typed; `city`, a `set` value, is plain JSON.
    json_reads = re.findall(
        r"ctx\.(?:need_)?(?:text|integer|number|boolean|items|value)\([^)]*\)", source
    )
    assert sorted(json_reads) == sorted(
        [
            'ctx.value("order", "meta", "colour")',
            'ctx.text("order", "placed_at")',
            'ctx.text("order", "status")',
            'ctx.text("order", "previous_status")',
            'ctx.value("order")',
            'ctx.text("city")',
        ]
    )


class _Api:
    """The API on an httpx.MockTransport: canned orders, and the notes it was sent."""

    def __init__(self, order: dict[str, Any]) -> None:
        self.order = order
        self.notes: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/orders/7":
            return httpx.Response(200, json=self.order)
        if request.method == "GET" and path == "/orders":
            return httpx.Response(200, json=[self.order, {**self.order, "id": 6}])
        if request.method == "POST" and path == "/orders/7/notes":
            self.notes.append(json.loads(request.content))
            return httpx.Response(204)
        return httpx.Response(404, json={"message": "not found"})


def test_a_run_says_what_the_agent_file_means(package: ModuleType) -> None:
    tasks = importlib.import_module(f"{PACKAGE}.tasks")
    client_module = importlib.import_module(f"{PACKAGE}.client")
    api = _Api(ORDER)

    async def run() -> tuple[Any, Any]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(api))
        client = client_module.AsyncClient("https://api.example.test", http_client=http)
        engine = TaskEngine(MemoryStore(), client, tasks)
        first = await engine.start("inspect", {"order_id": 7, "tier": "gold"})
        second = await engine.resume(first.run_id, "yes")
        await http.aclose()
        return first, second

    first, second = asyncio.run(run())
    assert first.messages == (
        "Order 7 for Ada in Oslo, first item MUG-1, colour red, placed 2026-11-02, shipped"
        " 2026-11-03T09:30:00Z, note .",
        "Urgent.",
        "Same tier.",
        "Placed on the day.",
        "VIP.",
        "A big order.",
        "2 recent; the first is 7 (zip 0150).",
        "Add a note to order 7 for Oslo?",
    )
    assert (second.status, second.messages) == (RunStatus.DONE, ("Done.",))
    assert api.notes == [{"text": "Ada", "tier": "gold"}]


def test_a_missing_value_keeps_its_meaning(package: ModuleType) -> None:
    """A drifted response (required fields missing, a new enum value): fields that are not
    there read as None, shown as nothing; where a value is needed the run is handed off."""
    tasks = importlib.import_module(f"{PACKAGE}.tasks")
    steps = tasks.TASKS["inspect"].steps
    drifted = {"id": 7, "status": "returned", "placed_at": "2026-11-02"}
    ctx = TaskContext({"inputs": {"order_id": 7, "tier": "gold"}, "order": drifted})
    said = steps["2"](ctx)
    assert isinstance(said, Respond)
    assert said.message == (
        "Order 7 for  in , first item , colour , placed 2026-11-02, shipped , note ."
    )
    assert steps["3"](ctx) == Goto("4")  # no priority: not urgent
    assert steps["4"](ctx) == Goto("5")  # no customer: not the same tier
    assert steps["5"](ctx) == Goto("6")  # no previous status: not unchanged
    assert steps["6"](ctx) == Goto("6.then.1")  # the date still reads as its text
    with pytest.raises(TaskDataError, match=r"`order\.tags` has no value"):
        steps["7"](ctx)
    # An empty list response: the first order's fields are missing, not an error.
    said = steps["10"](TaskContext({"orders": []}))
    assert isinstance(said, Respond)
    assert said.message == "0 recent; the first is  (zip )."


# --- misuse ------------------------------------------------------------------------------------


def _problems(steps: str) -> list[tuple[str, str]]:
    agent = load_agent_file(HERE / "agent.yaml")
    plan = make_plan(build_api(load_spec(HERE / "openapi.yaml")), agent.config, PACKAGE)
    text = (
        "tasks:\n  probe:\n    description: A probe.\n    requires: anyone\n    steps:\n"
        "      - call: getOrder\n        with: {orderId: 7}\n        as: order\n"
        + "".join(f"      {line}\n" for line in steps.strip().splitlines())
    )
    _, diagnostics = build_tasks(text, "agent.yaml", plan)
    return [(d.code, d.message) for d in diagnostics]


def test_a_misused_field_in_the_agent_file_is_caught_at_generation() -> None:
    [(code, message)] = _problems('- if: order.id == "7"\n  then: [{end: done}]')
    assert code == "task.type_mismatch"
    assert "`order.id == '7'` compares integer with string" in message
    [(code, message)] = _problems('- respond: "{order.customer.nmae}"')
    assert (code, message) == (
        "task.unknown_field",
        "task `probe`: `order.customer` has no field `nmae`",
    )


def test_mypy_strict_catches_a_hand_edited_step_that_misuses_a_field(
    root: Path, tmp_path: Path
) -> None:
    """The typing is real: the same mistakes edited into tasks.py by hand fail mypy --strict,
    where the JSON accessors of older packages let a misspelt field through."""
    shutil.copytree(root / PACKAGE, tmp_path / PACKAGE)
    tasks_py = tmp_path / PACKAGE / "tasks.py"
    source = tasks_py.read_text(encoding="utf-8")
    edits = {
        # An integer field compared with text.
        'if bool(order.priority == 1 and order.status != "delivered"):': 'if order.id == "7":',
        # A misspelt field.
        "            order.customer.name,\n": "            order.customer.nmae,\n",
        # An optional number used without `ctx.need`.
        'ctx.need(order.total, "order.total") * 2 > 10': "order.total * 2 > 10",
        # The same misspelling through a JSON accessor: mypy cannot see it.
        'ctx.value("order", "meta", "colour")': 'ctx.text("order", "customer", "nmae")',
    }
    for old, new in edits.items():
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    tasks_py.write_text(source, encoding="utf-8")
    lines = source.splitlines()

    def line_of(text: str) -> int:
        return next(number for number, line in enumerate(lines, 1) if text in line)

    result = _mypy(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    found = re.findall(r"tasks\.py:(\d+): error: .*\[([a-z-]+)\]", result.stdout)
    assert sorted((int(line), code) for line, code in found) == sorted(
        [
            (line_of('if order.id == "7":'), "comparison-overlap"),
            (line_of("order.customer.nmae,"), "attr-defined"),
            (line_of("order.total * 2 > 10"), "operator"),
        ]
    ), result.stdout
