"""Running conversation test files: scripted (deterministic, no key) or live (a real model,
k trials, pass^k), and simulated customers.

One trial of one test is one fresh conversation: a fresh store, a fresh API recorder, a fresh
reference server when the file names one. In scripted mode each turn's `model:` answers are
all the model may say in that turn; in live mode they are ignored, and so are the
expectations on tool calls (how a real model gets there is its business: only outcomes count).
Every trial also runs the consent check: no consequential request may reach the API in a turn
where nobody confirmed anything.

pass^k is tau-bench's: the mean over tests of C(successes, k) / C(trials, k), the chance that
k trials drawn from a test's trials all pass; with k = trials, the share of tests that passed
every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from specagent_runtime._errors import ApiStatusError, SpecagentError
from specagent_runtime.testing._checks import (
    count_problem,
    describe_events,
    forbidden_events,
    forbidden_requests,
    forbidden_tools,
    missing_events,
    missing_requests,
    missing_tools,
    not_shown_problem,
)
from specagent_runtime.testing._harness import AgentHarness, TurnResult
from specagent_runtime.testing._match import show, subset
from specagent_runtime.testing._model import ScriptedModel, Turn
from specagent_runtime.testing._read import TestFileError, load_tests
from specagent_runtime.testing._resolve import Resolved, resolve
from specagent_runtime.testing._schema import ConversationTest, EndExpect, Mode, TurnSpec
from specagent_runtime.testing._simulate import SimulatedCustomer
from specagent_runtime.testing._yaml import Problem

__all__ = [
    "Failure",
    "RunOptions",
    "SuiteResult",
    "TestResult",
    "TrialResult",
    "pass_hat_k",
    "run_tests",
    "run_tests_async",
]

logger = logging.getLogger("specagent_runtime.testing")


def pass_hat_k(successes: int, trials: int, k: int) -> float:
    """C(successes, k) / C(trials, k): the chance that k of the trials, drawn without
    replacement, all passed (tau-bench's pass^k for one test)."""
    if not 1 <= k <= trials:
        raise ValueError(f"pass^k needs 1 <= k <= trials, got k={k}, trials={trials}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and {trials}, got {successes}")
    return math.comb(successes, k) / math.comb(trials, k)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run: `mode` "scripted" (the files' model scripts) or "live" (`model` through
    `model_client`, else an SDK client built from `base_url` and the environment)."""

    mode: Mode = "scripted"
    trials: int = 1
    model: str | None = None
    customer_model: str | None = None  # the simulated customers' model; default `model`
    base_url: str | None = None
    package: str | None = None  # for files that do not name theirs
    model_client: Any | None = None
    timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class Failure:
    trial: int
    turn: int | None  # None: after the conversation (end checks) or before it (set-up)
    message: str

    def __str__(self) -> str:
        return f"turn {self.turn}: {self.message}" if self.turn else f"end: {self.message}"


@dataclass(frozen=True, slots=True)
class TrialResult:
    number: int
    failures: tuple[Failure, ...]
    transcript: tuple[str, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True, slots=True)
class TestResult:
    test: ConversationTest
    trials: tuple[TrialResult, ...] = ()
    skipped: str | None = None  # why it did not run in this mode

    __test__ = False

    @property
    def name(self) -> str:
        return self.test.name

    @property
    def passed(self) -> int:
        return sum(1 for trial in self.trials if trial.passed)

    @property
    def ok(self) -> bool:
        return self.skipped is not None or self.passed == len(self.trials)

    @property
    def first_failure(self) -> Failure | None:
        return next((f for trial in self.trials for f in trial.failures), None)

    def pass_hat(self, k: int) -> float:
        return pass_hat_k(self.passed, len(self.trials), k)


@dataclass(frozen=True, slots=True)
class SuiteResult:
    results: tuple[TestResult, ...]
    mode: Mode
    trials: int
    seconds: float = 0.0

    @property
    def ran(self) -> list[TestResult]:
        return [r for r in self.results if r.skipped is None]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def pass_hat(self, k: int | None = None) -> float:
        """The suite's pass^k (k = the trials when None): the mean of its tests'."""
        ran = self.ran
        if not ran:
            return 1.0
        chosen = self.trials if k is None else k
        return sum(result.pass_hat(chosen) for result in ran) / len(ran)


# --- running ---------------------------------------------------------------------------------


def run_tests(paths: Iterable[Path | str], options: RunOptions | None = None) -> SuiteResult:
    """Read, check and run the test files under `paths`; raises `TestFileError` (with every
    problem, file:line) before anything runs when a file cannot be run as written."""
    return asyncio.run(run_tests_async(paths, options))


async def run_tests_async(
    paths: Iterable[Path | str], options: RunOptions | None = None
) -> SuiteResult:
    options = options or RunOptions()
    if options.trials < 1:
        raise ValueError(f"trials must be at least 1, not {options.trials}")
    files = load_tests(Path(p) for p in paths)
    if not files:
        raise TestFileError([Problem(", ".join(str(p) for p in paths), 0, "no test files found")])
    resolved = resolve(files, options.package)
    started = time.perf_counter()
    model_client = None
    if options.mode == "live":
        model_client = options.model_client or live_client(options)
    results: list[TestResult] = []
    try:
        for item in resolved:
            for test in item.file.tests:
                results.append(await run_test(item, test, options, model_client))
    finally:
        if options.model_client is None and model_client is not None:
            await model_client.close()
    return SuiteResult(tuple(results), options.mode, options.trials, time.perf_counter() - started)


def live_client(options: RunOptions) -> Any:
    """An SDK client for `options.model`: Anthropic for ``claude-*``, otherwise OpenAI or the
    OpenAI-compatible server at `base_url` (``OPENAI_BASE_URL``)."""
    if not options.model:
        raise TestFileError([Problem("--model", 0, "live mode needs a model name")])
    if options.model.startswith("claude"):
        try:
            import anthropic  # noqa: PLC0415 - the [anthropic] extra
        except ImportError:
            problem = (
                "Claude models need the anthropic SDK: pip install 'specagent-runtime[anthropic]'"
            )
            raise TestFileError([Problem("--model", 0, problem)]) from None
        if not (options.base_url or os.environ.get("ANTHROPIC_API_KEY")):
            raise TestFileError([Problem("--model", 0, "set ANTHROPIC_API_KEY for Claude models")])
        return anthropic.AsyncAnthropic(
            base_url=options.base_url,
            api_key=os.environ.get("ANTHROPIC_API_KEY") or "unused",
            timeout=options.timeout,
        )
    try:
        import openai  # noqa: PLC0415 - the [openai] extra
    except ImportError:
        problem = "live runs need the openai SDK: pip install 'specagent-runtime[openai]'"
        raise TestFileError([Problem("--model", 0, problem)]) from None
    base_url = options.base_url or os.environ.get("OPENAI_BASE_URL")
    key = os.environ.get("OPENAI_API_KEY")
    if not (key or base_url):
        problem = "set OPENAI_API_KEY (or --base-url for another OpenAI-compatible server)"
        raise TestFileError([Problem("--model", 0, problem)])
    return openai.AsyncOpenAI(base_url=base_url, api_key=key or "unused", timeout=options.timeout)


async def run_test(
    item: Resolved, test: ConversationTest, options: RunOptions, model_client: Any
) -> TestResult:
    if options.mode not in test.modes:
        why = "needs --model (a simulated customer)" if test.simulate else f"not run {options.mode}"
        return TestResult(test, skipped=why)
    trials = []
    for number in range(1, options.trials + 1):
        trials.append(await _trial(item, test, options, model_client, number))
    return TestResult(test, tuple(trials))


async def _trial(
    item: Resolved, test: ConversationTest, options: RunOptions, model_client: Any, number: int
) -> TrialResult:
    started = time.perf_counter()
    trial = _Trial(number, test, options.mode == "scripted")
    with _captured_logs(trial.transcript), contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(item.server()) if item.server else None
        except Exception as exc:
            trial.fail(None, f"the reference server did not start: {type(exc).__name__}: {exc}")
            return trial.result(started)
        scripted = options.mode == "scripted"
        base_url = str(server.base_url) if server is not None else None
        forward = None
        if base_url is not None:
            # Loading the CA bundle takes a tenth of a second: only for an https server.
            forward = httpx.AsyncHTTPTransport(verify=base_url.startswith("https:"))
        harness = AgentHarness(
            item.package,
            model=ScriptedModel() if scripted else model_client,
            model_name=options.model or "scripted-model",
            stubs=dict(test.stubs),
            forward=forward,
            base_url=base_url,
            credentials=_credentials(server),
            identity=test.identity,
            conversation_id=f"agent-test-{number}",
            timeout=options.timeout,
        )
        try:
            async with harness:
                if test.simulate is not None:
                    await trial.simulate(harness, model_client, options)
                else:
                    await trial.play(harness)
                await trial.finish(harness)
        except SpecagentError as exc:
            trial.fail(None, f"{type(exc).__name__}: {exc}")
    return trial.result(started)


def _credentials(server: Any) -> Mapping[str, Any] | None:
    if server is None:
        return None
    credentials = getattr(server, "credentials", None)
    if callable(credentials):
        credentials = credentials()
    return dict(credentials) if credentials else None


@dataclass
class _Trial:
    number: int
    test: ConversationTest
    scripted: bool
    failures: list[Failure] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    def fail(self, turn: int | None, message: str) -> None:
        self.failures.append(Failure(self.number, turn, message))

    def result(self, started: float) -> TrialResult:
        seconds = time.perf_counter() - started
        return TrialResult(self.number, tuple(self.failures), tuple(self.transcript), seconds)

    async def play(self, harness: AgentHarness) -> None:
        for spec in self.test.turns:
            identity = spec.identity if spec.identity_given else self.test.identity
            script: Sequence[Turn] | None = spec.model if self.scripted else None
            self.header(len(harness.turns) + 1, spec.kind, spec.text or str(spec.approved))
            mid = spec.message_id
            if spec.kind == "customer":
                result = await harness.say(
                    spec.text, identity=identity, model=script, message_id=mid
                )
            elif spec.kind == "host_confirms":
                result = await harness.host_confirms(
                    spec.text or None, identity=identity, model=script, message_id=mid
                )
            else:
                result = await harness.host_answers_task(
                    spec.approved, identity=identity, model=script, message_id=mid
                )
            self.note(result)
            self.check_turn(spec, result)
            if result.error is not None:
                break

    async def simulate(self, harness: AgentHarness, client: Any, options: RunOptions) -> None:
        scenario = self.test.simulate
        assert scenario is not None
        customer = SimulatedCustomer(
            client, options.customer_model or options.model or "", scenario
        )
        try:
            message = await customer.opening()
            for _ in range(scenario.max_turns):
                if message is None:
                    break
                self.header(len(harness.turns) + 1, "customer", message)
                result = await harness.say(message, model=None)
                self.note(result)
                if result.error is not None:
                    self.fail(result.number, result.error)
                    return
                self.check_unanswered(result)
                if result.reply is not None and result.reply.handed_off:
                    break
                message = await customer.answer(result.text)
            else:
                self.transcript.append(
                    f"(the customer still had things to say after {scenario.max_turns} turns)"
                )
        except (
            Exception
        ) as exc:  # the customer's model failed: not the agent's fault, but no result
            self.fail(None, f"the simulated customer's model failed: {type(exc).__name__}")

    def header(self, number: int, kind: str, text: str) -> None:
        self.transcript.append(f"turn {number} {kind.replace('_', ' ')}: {text}")

    def note(self, result: TurnResult) -> None:
        lines = self.transcript
        if result.duplicate:
            lines.append("  (a message id handled before: the stored reply again, nothing ran)")
            lines.append(f"  agent: {show(result.text, 300)[1:-1]}")
            return
        for call in result.tool_calls:
            status = call.status + (f" ({call.error[:120]})" if call.error else "")
            lines.append(f"  tool {call.tool}({show(dict(call.arguments), 100)}) -> {status}")
        for request in result.requests:
            body = f" {show(request.body, 100)}" if request.body is not None else ""
            lines.append(f"  api {request.describe()}{body}")
        others = [e for e in result.events if e.kind != "tool_called"]
        if others:
            lines.append(f"  events: {describe_events(others)}")
        if result.error is not None:
            lines.extend(f"  {note}" for note in result.notes)
            lines.append(f"  error: {result.error}")
        else:
            lines.append(f"  agent: {show(result.text, 300)[1:-1]}")

    def check_turn(self, spec: TurnSpec, result: TurnResult) -> None:
        turn = result.number
        if result.error is not None:
            self.fail(turn, result.error)
            return
        if self.scripted and result.unused_script:
            unused = ", ".join(_describe_turn(t) for t in result.unused_script)
            count = len(result.unused_script)
            self.fail(turn, f"the model was not asked for {count} scripted answer(s): {unused}")
        expect = spec.expect
        here = "in this turn"
        problems = [
            expect.reply.problem(result.text) if expect.reply is not None else None,
            missing_requests(expect.requests, result.requests, here),
            forbidden_requests(expect.no_requests, result.requests, here),
            missing_events(expect.events, result.events, here),
            forbidden_events(expect.no_events, result.events, here),
        ]
        if self.scripted:
            problems.append(missing_tools(expect.tools, result.tool_calls, here))
            problems.append(forbidden_tools(expect.no_tools, result.tool_calls, here))
            problems.append(not_shown_problem(expect.not_shown, result.model_saw))
        for problem in problems:
            if problem is not None:
                self.fail(turn, _with_hint(problem, result))
        self.check_unanswered(result)

    def check_unanswered(self, result: TurnResult) -> None:
        for request in result.requests:
            if not request.answered and self.scripted:
                what = request.operation or f"{request.method} {request.path}"
                self.fail(
                    result.number,
                    f"the agent called {what}, which has no stub (add one under `stubs:`)",
                )

    async def finish(self, harness: AgentHarness) -> None:
        end: EndExpect = self.test.end
        requests = harness.requests
        events = [event for turn in harness.turns for event in turn.events]
        where = "in the conversation"
        problems = [
            missing_requests(end.requests, requests, where),
            forbidden_requests(end.no_requests, requests, where),
            *(count_problem(pattern, times, requests, where) for pattern, times in end.counts),
            missing_events(end.events, events, where),
            forbidden_events(end.no_events, events, where),
        ]
        for problem in problems:
            if problem is not None:
                self.fail(None, problem)
        for check in end.state:
            await self.check_state(
                harness, check.operation, check.arguments, check.returns, check.status
            )
        for turn, problem in harness.consent_problems(self.test.unconfirmed):
            self.fail(turn, problem)

    async def check_state(
        self,
        harness: AgentHarness,
        operation: str,
        arguments: Mapping[str, Any],
        returns: Any,
        status: int | None,
    ) -> None:
        call = f"{operation}({show(dict(arguments), 80)})"
        try:
            answer = await harness.call_operation(operation, arguments)
        except ApiStatusError as exc:
            if status is not None and exc.status == status:
                return
            self.fail(
                None, f"state: {call} failed with HTTP {exc.status}, expected {status or 'success'}"
            )
            return
        except SpecagentError as exc:
            self.fail(None, f"state: {call} failed: {type(exc).__name__}: {exc}")
            return
        if status is not None and not 200 <= status < 300:
            self.fail(None, f"state: {call} succeeded, expected HTTP {status}")
            return
        if returns is not None:
            problem = subset(returns, _jsonable(answer), "")
            if problem is not None:
                self.fail(None, f"state: {call}: {problem}")


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True)
    return value


def _describe_turn(turn: Turn) -> str:
    parts = [f"say {show(turn.text, 40)}"] if turn.text else []
    parts.extend(f"call {c.name}" for c in turn.calls)
    return " + ".join(parts) or "an empty answer"


def _with_hint(problem: str, result: TurnResult) -> str:
    """Explain the commonest surprise: the action waits for the customer's yes."""
    if "expected the request" in problem and result.reply is not None:
        waiting = [e for e in result.reply.pending_confirmations]
        if waiting:
            tools = ", ".join(sorted({e.tool for e in waiting}))
            return (
                f"{problem}; {tools} was proposed and waits for the customer's confirmation "
                "(it runs in the turn where they say yes)"
            )
    return problem


@contextlib.contextmanager
def _captured_logs(lines: list[str]) -> Iterator[None]:
    """The runtime's log warnings and Python warnings (pydantic's, on an odd response) during a
    trial go to its transcript, not to the terminal, and never fail the run themselves."""
    handler = _ListHandler(lines)
    root = logging.getLogger("specagent_runtime")
    root.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for item in caught:
            text = " ".join(str(item.message).split())
            lines.append(f"  warning: {item.category.__name__}: {text[:300]}")
    finally:
        root.removeHandler(handler)


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"  log {record.levelname.lower()}: {record.getMessage()[:300]}")
