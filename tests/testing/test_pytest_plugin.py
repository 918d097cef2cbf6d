"""The pytest plugin: YAML files under agent_tests/ collected as tests, failures with the turn."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.testing.conftest import PETSTORE

FAILING = """\
package: petstore_agent
api:
  stubs:
    getOrderById: {body: {id: 1, petId: 1, quantity: 1, status: placed, complete: false}}
tests:
  - name: expects the wrong order
    turns:
      - customer: Where is order 1?
        model: [{call: get_order, with: {orderId: 1}}, {say: It is placed.}]
        expect:
          requests: [{path: /store/order/2}]
"""


def test_agent_tests_run_inside_pytest(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "agent_tests").mkdir(parents=True)
    shutil.copy(PETSTORE / "agent_tests" / "access.yaml", project / "agent_tests" / "access.yaml")
    (project / "agent_tests" / "failing.yaml").write_text(FAILING, encoding="utf-8")
    (project / "other.yaml").write_text("not: a test\n", encoding="utf-8")  # not collected
    (project / "conftest.py").write_text(
        'pytest_plugins = ["specagent_runtime.testing.pytest_plugin"]\n', encoding="utf-8"
    )
    (project / "test_harness_fixture.py").write_text(
        "import asyncio\n"
        "from specagent_runtime.testing import say\n\n"
        "def test_fixture(agent_harness, scripted_model):\n"
        "    async def play():\n"
        "        async with agent_harness('petstore_agent') as h:\n"
        "            turn = await h.say('hi', model=[say('Hello!')])\n"
        "            turn.expect_reply('hello')\n"
        "    asyncio.run(play())\n"
        "    assert scripted_model.requests\n",
        encoding="utf-8",
    )
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(project), "-p", "no:cacheprovider", "-q", "-rA"],
        cwd=PETSTORE,  # where the package is found
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "1 failed, 6 passed" in out
    assert "agent_tests/access.yaml::anyone may look up an order by its number" in out
    assert "turn 1: expected the request /store/order/2 in this turn, not made" in out
    assert "transcript:" in out and "turn 1 customer: Where is order 1?" in out
