"""``python -m <package> audit``: the audit trail from the store, as a table or JSON lines."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from specagent_runtime import SQLiteStore, package_main
from specagent_runtime._stores.base import AuditEntry

PACKAGE = "tests.unit.runtime.fakepkg"


def _entry(conversation: str, outcome: str) -> AuditEntry:
    return AuditEntry(
        conversation_id=conversation,
        identity="v-0123456789abcdef01234567",
        confirmed_by="message:m7",
        method="POST",
        path="/orders/1/cancel",
        outcome=outcome,
        body={"orderId": 1},
        action="cancel_order(orderId=1): Cancel an order.",
    )


@pytest.fixture
def store_file(tmp_path: Path) -> str:
    path = tmp_path / "agent.sqlite3"
    store = SQLiteStore(path)

    async def fill() -> None:
        await store.audit(_entry("c1", "done 200"))
        await store.audit(_entry("c2", "unknown: ApiTimeoutError; not sent again"))

    asyncio.run(fill())
    store.close()
    return str(path)


def test_the_trail_as_json_lines(store_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert package_main(PACKAGE, ["audit", "--store", store_file, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["conversation_id"], e["outcome"]) for e in lines] == [
        ("c1", "done 200"),
        ("c2", "unknown: ApiTimeoutError; not sent again"),
    ]
    assert lines[0]["confirmed_by"] == "message:m7" and lines[0]["seq"] == 1


def test_one_conversation_from_the_environment_as_a_table(
    store_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"SPECAGENT_STORE": store_file}
    assert package_main(PACKAGE, ["audit", "--conversation", "c2"], env) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert "c2  v-0123456789abcdef01234567  message:m7  POST /orders/1/cancel  -> unknown" in line


def test_since_filters_and_a_bad_since_is_one_error_line(
    store_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert package_main(PACKAGE, ["audit", "--store", store_file, "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""
    assert package_main(PACKAGE, ["audit", "--store", store_file, "--since", "yesterday"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --since 'yesterday'") and "Traceback" not in err
