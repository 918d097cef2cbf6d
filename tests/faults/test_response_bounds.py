"""Hostile responses cannot exhaust the worker: decoded size and JSON nesting are capped.

A 284 KB gzip body that inflates to 300 MB stops at the cap while memory stays flat (measured
in a child process, whose peak RSS is its own); a JSON text nested 100,000 levels deep is a
typed error before anything parses it, on each path that reads a response (a tool call in the
agent loop, a task `call` step, the user context), and the conversation goes on afterwards.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from specagent_runtime import (
    ApiClient,
    AsyncApiClient,
    MemoryStore,
    OperationSpec,
    ResponseDecodeError,
    ResponseLimits,
    ResponseTooDeepError,
    ResponseTooLargeError,
    RunStatus,
)
from specagent_runtime._http.body import BodyDecoder, json_depth_exceeds, loads

from tests.security.conftest import forget, generate_into
from tests.support.fake_openai import FakeOpenAI, call, say
from tests.support.fault_server import Fault, FaultServer, json_response

HERE = Path(__file__).resolve().parent
API = "/api/v3"
BOMB_MB = 300


@cache
def gzip_bomb() -> bytes:
    """300 MB of zeros, gzip-compressed (about 290 KB), made without holding 300 MB."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = b"0" * (1024 * 1024)
    parts = [squeeze.compress(zeros) for _ in range(BOMB_MB)]
    return b"".join([*parts, squeeze.flush()])


def bomb_response() -> Fault:
    headers = (("Content-Type", "application/json"), ("Content-Encoding", "gzip"))
    return Fault("respond", 200, gzip_bomb(), headers)


def deep_json(levels: int = 100_000) -> bytes:
    return b"[" * levels + b"]" * levels


def deep_response(levels: int = 100_000) -> Fault:
    return Fault("respond", 200, deep_json(levels), (("Content-Type", "application/json"),))


GET_THING = OperationSpec(id="getThing", method="GET", path="/thing")


@pytest.fixture(scope="module")
def tasks_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("bounds_tasks_package")
    spec = HERE.parent / "security" / "petstore.yaml"
    module = generate_into(root, spec, HERE / "tasks_agent.yaml", "flt_bounds_tasks")
    sys.path.insert(0, str(root))
    yield module
    sys.path.remove(str(root))
    forget("flt_bounds_tasks")


# --- the decoder and the depth check ---------------------------------------------------------


def test_the_bomb_is_what_the_issue_describes() -> None:
    assert 250_000 < len(gzip_bomb()) < 320_000


def test_the_decoder_stops_at_the_cap_in_bounded_pieces() -> None:
    decoder = BodyDecoder("gzip", 1024 * 1024)
    biggest = 0
    with pytest.raises(ResponseTooLargeError) as caught:
        for start in range(0, len(gzip_bomb()), 65536):
            for piece in decoder.feed(gzip_bomb()[start : start + 65536]):
                biggest = max(biggest, len(piece))
    assert caught.value.limit == 1024 * 1024
    assert decoder.size <= 1024 * 1024 + 65536
    assert biggest <= 65536  # never one huge inflation, whatever the ratio


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("identity", lambda data: data),
    ],
)
def test_the_decoder_reads_real_encodings(encoding: str, encode: object) -> None:
    data = json.dumps({"items": list(range(50_000))}).encode()
    raw = encode(data)  # type: ignore[operator]
    decoder = BodyDecoder(encoding, 10 * 1024 * 1024)
    out = b"".join(
        piece for i in range(0, len(raw), 1000) for piece in decoder.feed(raw[i : i + 1000])
    )
    assert out == data


def test_two_gzip_members_and_padding() -> None:
    raw = gzip.compress(b'{"a": ') + gzip.compress(b"1}") + b"\x00" * 16
    decoder = BodyDecoder("gzip", 1024)
    assert b"".join(decoder.feed(raw)) == b'{"a": 1}'


def test_corrupt_or_unknown_encodings_are_decode_errors() -> None:
    with pytest.raises(ResponseDecodeError, match="decompressed"):
        list(BodyDecoder("gzip", 1024).feed(b"not gzip at all"))
    with pytest.raises(ResponseDecodeError, match="'br'"):
        BodyDecoder("br", 1024)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"{}", 1),
        (b"[1, [2, [3]]]", 3),
        (b'{"a": "[[[[[[[[[[[[[[[[[[", "b": {"c": []}}', 3),  # brackets in strings do not count
        (b'["\\"[[[[[[[[[[", [[]]]', 3),  # nor after an escaped quote
        (b"[" * 64 + b"]" * 64, 64),
        (b"[[]]" * 10_000, 2),
    ],
)
def test_depth_is_measured_without_parsing(text: bytes, depth: int) -> None:
    assert not json_depth_exceeds(text, depth)
    assert json_depth_exceeds(text, depth - 1)


def test_unbalanced_or_unterminated_text_is_left_to_the_parser() -> None:
    for text in (b"[[[", b"]]]", b'["abc', b'"' + b'\\"' * 50_000):
        assert not json_depth_exceeds(text, 5)
        with pytest.raises(ValueError):
            loads(text, 5)


def test_a_deep_body_is_a_typed_error_not_a_recursion_error() -> None:
    with pytest.raises(ResponseTooDeepError) as caught:
        loads(deep_json(), 64)
    assert caught.value.limit == 64
    assert "nested too deeply" in caught.value.model_message()


# --- the client -------------------------------------------------------------------------------


def test_the_client_stops_the_bomb_and_names_the_operation(server: FaultServer) -> None:
    server.route("GET", "/thing", bomb_response())

    async def run() -> None:
        async with AsyncApiClient(server.root_url) as client:
            with pytest.raises(ResponseTooLargeError) as caught:
                await client._call(GET_THING, {}, dict)
        assert caught.value.operation_id == "getThing"
        assert "too large" in caught.value.model_message()

    asyncio.run(run())
    (request,) = server.requests("GET", "/thing")
    assert request.headers["accept-encoding"] == "gzip, deflate"  # never br or zstd


def test_the_sync_client_too(server: FaultServer) -> None:
    server.route("GET", "/thing", bomb_response())
    with ApiClient(server.root_url) as client, pytest.raises(ResponseTooLargeError):
        client._call(GET_THING, {}, dict)


def test_limits_are_configurable_and_checked(server: FaultServer) -> None:
    server.route("GET", "/thing", json_response({"items": ["x" * 100] * 100}))
    nested = {"a": {"b": {"c": {"d": 1}}}}

    async def run() -> None:
        small = AsyncApiClient(server.root_url, response_limits=ResponseLimits(max_bytes=4096))
        with pytest.raises(ResponseTooLargeError):
            await small._call(GET_THING, {}, dict)
        server.route("GET", "/thing", json_response(nested))
        shallow = AsyncApiClient(server.root_url, response_limits=ResponseLimits(max_depth=3))
        with pytest.raises(ResponseTooDeepError):
            await shallow._call(GET_THING, {}, dict)
        default = AsyncApiClient(server.root_url)
        assert await default._call(GET_THING, {}, dict) == nested
        for client in (small, shallow, default):
            await client.aclose()

    asyncio.run(run())
    with pytest.raises(ValueError, match="max_depth"):
        ResponseLimits(max_depth=100_000)


def test_an_error_body_bomb_is_cut_not_inflated(server: FaultServer) -> None:
    headers = (("Content-Type", "application/json"), ("Content-Encoding", "gzip"))
    server.route("GET", "/thing", Fault("respond", 404, gzip_bomb(), headers))

    async def run() -> None:
        async with AsyncApiClient(server.root_url) as client:
            with pytest.raises(Exception) as caught:
                await client._call(GET_THING, {}, dict)
        assert type(caught.value).__name__ == "NotFoundError"
        assert len(str(caught.value)) < 1000

    asyncio.run(run())


_RSS_CHILD = textwrap.dedent(
    """
    import asyncio, resource, sys
    from specagent_runtime import AsyncApiClient, OperationSpec, ResponseTooLargeError

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    async def main():
        op = OperationSpec(id="getThing", method="GET", path="/thing")
        async with AsyncApiClient(sys.argv[1]) as client:
            await client._call(OperationSpec(id="ok", method="GET", path="/ok"), {}, dict)
            before = peak_mb()
            try:
                await client._call(op, {}, dict)
            except ResponseTooLargeError:
                print(before, peak_mb())

    asyncio.run(main())
    """
)


def test_memory_stays_flat_under_the_bomb(server: FaultServer) -> None:
    """The child's own peak RSS, before and after reading the bomb (the issue saw 63 MB become
    1,518 MB); the cap is 8 MB decoded, so growth stays far below the 300 MB inflated."""
    server.route("GET", "/thing", bomb_response())
    server.route("GET", "/ok", json_response({"ok": True}))
    done = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, server.root_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before, after = (float(value) for value in done.stdout.split())
    assert after - before < 64, (before, after)


# --- every path: a tool call, a task step, the user context ----------------------------------


class _Agent:
    """The package's agent with its own model client, both closed on exit."""

    def __init__(self, package: ModuleType, server: FaultServer, fake_model: FakeOpenAI) -> None:
        self.model = fake_model.client()
        self.agent = package.build_agent(
            package.AsyncClient(server.root_url + API),
            model="m",
            openai_client=self.model,
            store=MemoryStore(),
        )

    async def __aenter__(self) -> Any:
        return self.agent

    async def __aexit__(self, *exc_info: object) -> None:
        await self.agent.aclose()
        await self.model.close()


def test_a_tool_call_gets_an_explained_error(
    package: ModuleType, server: FaultServer, fake_model: FakeOpenAI
) -> None:
    server.route("GET", f"{API}/store/order/5", deep_response())
    fake_model.add(call("get_order", orderId=5), say("Sorry, I could not read that order."))
    server.route("GET", f"{API}/store/order/6", bomb_response())
    fake_model.add(call("get_order", orderId=6), say("That one neither."))

    async def run() -> list[str]:
        async with _Agent(package, server, fake_model) as agent:
            first = await agent.respond("c", "order 5?")
            second = await agent.respond("c", "and order 6?")
        return [first.text, second.text]

    assert asyncio.run(run()) == ["Sorry, I could not read that order.", "That one neither."]
    deep, large = fake_model.tool_results()
    assert deep["status"] == large["status"] == "error"
    assert "nested too deeply" in deep["message"]
    assert "too large" in large["message"]


def test_a_task_call_step_hands_off_and_the_conversation_goes_on(
    tasks_package: ModuleType, server: FaultServer, fake_model: FakeOpenAI
) -> None:
    """The issue's case: a task `call` step met 100,000 levels, `respond()` raised
    RecursionError and the run stayed stuck, so every later message failed."""
    server.route("GET", f"{API}/store/order/11", deep_response())
    fake_model.add(call("cancel_order", order_id=11), say("Anything else I can do?"))

    async def run() -> tuple[list[str], list[RunStatus]]:
        async with _Agent(tasks_package, server, fake_model) as agent:
            texts = [
                (await agent.respond("t", "cancel order 11")).text,
                (await agent.respond("t", "hello?")).text,
            ]
            runs = await agent.tasks.runs("t")
        return texts, [run.status for run in runs]

    texts, statuses = asyncio.run(run())
    assert statuses == [RunStatus.HANDED_OFF]
    assert "colleague" in texts[0]
    assert texts[1] == "Anything else I can do?"
    # A GET may be repeated once with the same key; then the run hands off, nothing loops.
    assert len(server.requests("GET", f"{API}/store/order/11")) == 2


CONTEXT_AGENT = """\
agent: {name: Context bounds, instructions: You help customers of the pet store.}
tools:
  include: {operations: [getUserByName, getOrderById]}
  overrides:
    getUserByName: {name: get_my_account, bind: {username: identity.username}}
    getOrderById: {name: get_order}
context:
  sources:
    - call: getUserByName
      as: me
"""


@pytest.fixture(scope="module")
def context_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("bounds_context_package")
    agent = root / "agent.yaml"
    agent.write_text(CONTEXT_AGENT, encoding="utf-8")
    spec = HERE.parent / "security" / "petstore.yaml"
    module = generate_into(root, spec, agent, "flt_bounds_context")
    sys.path.insert(0, str(root))
    yield module
    sys.path.remove(str(root))
    forget("flt_bounds_context")


@pytest.mark.parametrize("body", [bomb_response, deep_response], ids=["gzip-bomb", "deep"])
def test_the_user_context_meets_a_bomb_and_the_conversation_goes_on(
    context_package: ModuleType, server: FaultServer, fake_model: FakeOpenAI, body: Any
) -> None:
    """The context is fetched before the model runs, on every conversation's first turn: a
    body that is too large or too deep leaves the context out, never the worker dead."""
    from specagent_runtime import Identity  # noqa: PLC0415

    server.route("GET", f"{API}/user/ada", body())
    fake_model.add(say("Hello Ada, how can I help?"), say("Anything else?"))
    ada = Identity(username="ada", verified=True)

    async def run() -> list[str]:
        async with _Agent(context_package, server, fake_model) as agent:
            first = await agent.respond("c", "hi", identity=ada)
            second = await agent.respond("c", "thanks", identity=ada)
        return [first.text, second.text]

    assert asyncio.run(run()) == ["Hello Ada, how can I help?", "Anything else?"]
    assert server.requests("GET", f"{API}/user/ada")  # the context was asked for
    sent = max(len(json.dumps(request["messages"])) for request in fake_model.requests)
    assert sent < 20_000  # nothing of the body reached the model
