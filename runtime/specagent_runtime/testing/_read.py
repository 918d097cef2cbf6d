"""Conversation test files (YAML) into `TestFile`s, every fault reported with file:line.

The layout is in `_schema`'s docstring and docs/testing.md. Reading needs no package: names
that only the package can check (tools, operations) are collected as `Named` and checked by
`_resolve` once it is imported, still pointing at their lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from specagent_runtime._identity import Identity
from specagent_runtime.testing._identities import make_identity
from specagent_runtime.testing._model import ToolCall, Turn
from specagent_runtime.testing._names import did_you_mean
from specagent_runtime.testing._read_expect import ExpectReader
from specagent_runtime.testing._recorder import Stub
from specagent_runtime.testing._schema import (
    MODES,
    ConversationTest,
    EndExpect,
    Expect,
    Mode,
    Named,
    Scenario,
    TestFile,
    TurnSpec,
)
from specagent_runtime.testing._yaml import Problem, Reader, child, compose, is_null

__all__ = ["TestFileError", "find_test_files", "load_test_file", "load_tests"]

_FILE_KEYS = ("package", "api", "identities", "tests")
_API_KEYS = ("server", "stubs")
_TEST_KEYS = (
    "name", "identity", "turns", "simulate", "end", "stubs", "modes", "unconfirmed"
)  # fmt: skip
_TURN_KINDS = ("customer", "host_confirms", "host_answers_task")
_TURN_KEYS = (*_TURN_KINDS, "identity", "model", "expect", "message_id")
_MODEL_KEYS = ("say", "call", "with", "calls")
_CALL_KEYS = ("call", "with")
_STUB_KEYS = ("body", "status", "headers", "when")
_SIMULATE_KEYS = ("goal", "knows", "behaviour", "first_message", "max_turns")
_IDENTITY_FIELDS = ("email", "user_id", "username", "customer_id")
_ANONYMOUS = "anonymous"


class TestFileError(Exception):
    """Test files that cannot be run as written; `problems` says where and why."""

    __test__ = False

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def find_test_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files named or under the folders named, sorted; a missing path is a problem."""
    found: list[Path] = []
    missing: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml")))
        elif path.is_file():
            found.append(path)
        else:
            missing.append(Problem(str(path), 0, "no such file or folder"))
    if missing:
        raise TestFileError(missing)
    return sorted(dict.fromkeys(found))


def load_tests(paths: Iterable[Path]) -> list[TestFile]:
    """Every test file under `paths`, read; raises `TestFileError` with all problems."""
    files: list[TestFile] = []
    problems: list[Problem] = []
    for path in find_test_files(paths):
        try:
            files.append(load_test_file(path))
        except TestFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise TestFileError(problems)
    return files


def load_test_file(path: Path) -> TestFile:
    """One file; raises `TestFileError` listing every problem in it."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TestFileError([Problem(name, 1, "not UTF-8 text")]) from None
    except OSError as exc:
        raise TestFileError([Problem(name, 0, f"cannot read it: {exc.strerror}")]) from None
    node, problems = compose(text, name)
    if node is None:
        raise TestFileError(problems)
    reader = Reader(name)
    result = _FileReader(reader, path).read(node)
    if reader.problems:
        raise TestFileError(sorted(reader.problems, key=lambda p: p.line))
    return result


class _FileReader(ExpectReader):
    def __init__(self, reader: Reader, path: Path) -> None:
        self.r = reader
        self.path = path
        self.names: list[Named] = []
        self.identities: dict[str, Identity | None] = {}

    def read(self, node: yaml.Node) -> TestFile:
        r = self.r
        top = r.mapping(node, "", _FILE_KEYS)
        package = r.text(top["package"], "package") if "package" in top else None
        server: str | None = None
        server_line = 0
        stubs: dict[str, tuple[Stub, ...]] = {}
        if "api" in top and not is_null(top["api"]):
            api = r.mapping(top["api"], "api", _API_KEYS)
            if "server" in api:
                server = r.text(api["server"], "api.server")
                server_line = r.line(api["server"])
                if server is not None and ":" not in server:
                    r.fail(
                        api["server"],
                        f"`api.server` must be `module:callable`, found {server!r}",
                        "e.g. `server: server:ShopServer` (a file server.py next to the tests)",
                    )
            if "stubs" in api:
                stubs = self.stubs(api["stubs"], "api.stubs")
        if "identities" in top:
            for key, value in r.mapping(top["identities"], "identities").items():
                self.identities[key] = self.identity_fields(value, child("identities", key))
        tests: list[ConversationTest] = []
        if "tests" not in top:
            r.fail(node, "the file has no `tests:` list", "add `tests:` with at least one test")
        else:
            items = r.items(top["tests"], "tests", single=False)
            if not items and isinstance(top["tests"], yaml.SequenceNode):
                r.fail(top["tests"], "`tests` is empty")
            seen: dict[str, int] = {}
            for index, item in enumerate(items):
                test = self.test(item, child("tests", index), stubs)
                if test is None:
                    continue
                if test.name in seen:
                    r.fail(
                        item,
                        f"two tests are named {test.name!r}",
                        f"the first is line {seen[test.name]}",
                    )
                seen[test.name] = test.line
                tests.append(test)
        package_line = r.line(top["package"]) if "package" in top else 1
        return TestFile(
            self.path, package, server, server_line, tuple(tests), tuple(self.names), package_line
        )

    # --- a test ------------------------------------------------------------------------------

    def test(
        self, node: yaml.Node, path: str, file_stubs: dict[str, tuple[Stub, ...]]
    ) -> ConversationTest | None:
        r = self.r
        entries = r.mapping(node, path, _TEST_KEYS)
        if not entries and not isinstance(node, yaml.MappingNode):
            return None
        name = r.required_text(entries["name"], child(path, "name")) if "name" in entries else ""
        if "name" not in entries:
            r.fail(node, f"`{path}` has no `name`", "give each test a name, shown in the report")
        identity = None
        if "identity" in entries:
            identity = self.identity(entries["identity"], child(path, "identity"))
        turns: tuple[TurnSpec, ...] = ()
        simulate: Scenario | None = None
        if "turns" in entries:
            items = r.items(entries["turns"], child(path, "turns"), single=False)
            turns = tuple(
                turn
                for index, item in enumerate(items)
                if (turn := self.turn(item, child(child(path, "turns"), index))) is not None
            )
            if not items:
                r.fail(entries["turns"], f"`{child(path, 'turns')}` is empty")
        if "simulate" in entries:
            simulate = self.scenario(entries["simulate"], child(path, "simulate"))
        if ("turns" in entries) == ("simulate" in entries):
            r.fail(
                node,
                f"`{path}` needs either `turns:` (a scripted conversation) or `simulate:` "
                "(a simulated customer), not both or neither",
            )
        stubs = dict(file_stubs)
        if "stubs" in entries:
            for operation, answers in self.stubs(entries["stubs"], child(path, "stubs")).items():
                stubs[operation] = (*answers, *file_stubs.get(operation, ()))
        modes: frozenset[Mode] = frozenset(["live"]) if simulate else frozenset(MODES)
        if "modes" in entries:
            modes = self.modes(entries["modes"], child(path, "modes"))
        unconfirmed: list[str] = []
        if "unconfirmed" in entries:
            for item in r.items(entries["unconfirmed"], child(path, "unconfirmed")):
                value = r.text(item, child(path, "unconfirmed"))
                if value:
                    unconfirmed.append(value)
                    self.names.append(Named(value, "operation", r.line(item)))
        end = self.end(entries["end"], child(path, "end")) if "end" in entries else EndExpect()
        return ConversationTest(
            name=name,
            file=self.path,
            line=r.line(node),
            identity=identity,
            turns=turns,
            simulate=simulate,
            end=end,
            stubs=stubs,
            modes=modes,
            unconfirmed=tuple(unconfirmed),
        )

    def modes(self, node: yaml.Node, path: str) -> frozenset[Mode]:
        chosen: set[Mode] = set()
        for item in self.r.items(node, path):
            value = self.r.text(item, path)
            if value in MODES:
                chosen.add(value)
            elif value is not None:
                self.r.fail(item, f"`{path}`: unknown mode {value!r}", did_you_mean(value, MODES))
        return frozenset(chosen)

    # --- identities --------------------------------------------------------------------------

    def identity(self, node: yaml.Node, path: str) -> Identity | None:
        if isinstance(node, yaml.ScalarNode) and not is_null(node):
            name = str(node.value)
            if name == _ANONYMOUS:
                return None
            if name in self.identities:
                return self.identities[name]
            options = [*self.identities, _ANONYMOUS]
            self.r.fail(
                node,
                f"`{path}`: no identity named {name!r}",
                did_you_mean(name, options) or "define it under `identities:`, or give fields",
            )
            return None
        return self.identity_fields(node, path)

    def identity_fields(self, node: yaml.Node, path: str) -> Identity | None:
        if is_null(node):
            return None
        entries = self.r.mapping(node, path)
        verified = True
        fields: dict[str, str] = {}
        for key, value in entries.items():
            if key == "verified":
                verified = self.r.boolean(value, child(path, key)) is not False
                continue
            text = self.r.text(value, child(path, key), scalars=True)
            if text is not None:
                fields[key] = text
        if not fields:
            self.r.fail(
                node,
                f"`{path}` names no field",
                f"e.g. `email: ada@example.com`; fields: {', '.join(_IDENTITY_FIELDS)} or your own",
            )
        return make_identity(fields, verified=verified)

    # --- turns -------------------------------------------------------------------------------

    def turn(self, node: yaml.Node, path: str) -> TurnSpec | None:
        r = self.r
        entries = r.mapping(node, path, _TURN_KEYS)
        kinds = [kind for kind in _TURN_KINDS if kind in entries]
        if len(kinds) != 1:
            if isinstance(node, yaml.MappingNode):
                r.fail(
                    node,
                    f"`{path}` needs exactly one of `customer:` (the customer's message), "
                    "`host_confirms:` or `host_answers_task:`",
                )
            return None
        kind = kinds[0]
        text = ""
        approved = True
        if kind == "customer":
            text = r.required_text(entries[kind], child(path, kind), scalars=True)
        elif kind == "host_confirms":
            value = entries[kind]
            if isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:bool":
                text = ""  # `host_confirms: true`: the only pending action
            else:
                text = r.text(value, child(path, kind)) or ""
                if text:
                    self.names.append(Named(text, "tool", r.line(value)))
        else:
            approved = r.boolean(entries[kind], child(path, kind)) is not False
        identity = None
        if "identity" in entries:
            identity = self.identity(entries["identity"], child(path, "identity"))
        message_id = None
        if "message_id" in entries:
            message_id = r.required_text(
                entries["message_id"], child(path, "message_id"), scalars=True
            )
        model: tuple[Turn, ...] = ()
        if "model" in entries:
            model = tuple(
                turn
                for index, item in enumerate(r.items(entries["model"], child(path, "model")))
                if (turn := self.model_turn(item, child(child(path, "model"), index))) is not None
            )
        expect = (
            self.expect(entries["expect"], child(path, "expect"))
            if "expect" in entries
            else Expect()
        )
        return TurnSpec(
            kind=kind,  # type: ignore[arg-type]
            text=text,
            line=r.line(node),
            model=model,
            expect=expect,
            identity=identity,
            identity_given="identity" in entries,
            approved=approved,
            message_id=message_id,
        )

    def model_turn(self, node: yaml.Node, path: str) -> Turn | None:
        r = self.r
        entries = r.mapping(node, path, _MODEL_KEYS)
        if not entries:
            if isinstance(node, yaml.MappingNode):
                r.fail(node, f"`{path}` is empty", "write `say: ...` or `call: <tool>`")
            return None
        text = (
            r.text(entries["say"], child(path, "say"), scalars=True) if "say" in entries else None
        )
        found: list[ToolCall] = []
        if "call" in entries:
            found.append(self.tool_call(entries, path, node))
        elif "with" in entries:
            r.fail(entries["with"], f"`{child(path, 'with')}` needs a `call:` beside it")
        if "calls" in entries:
            for index, item in enumerate(
                r.items(entries["calls"], child(path, "calls"), single=False)
            ):
                inner = child(child(path, "calls"), index)
                found.append(self.tool_call(r.mapping(item, inner, _CALL_KEYS), inner, item))
        if text is None and not found:
            r.fail(node, f"`{path}` says nothing and calls nothing")
            return None
        return Turn(text=text, calls=tuple(found))

    def tool_call(self, entries: dict[str, yaml.Node], path: str, node: yaml.Node) -> ToolCall:
        r = self.r
        if "call" not in entries:
            r.fail(node, f"`{path}` needs `call: <tool name>`")
            return ToolCall("", {})
        name = r.required_text(entries["call"], child(path, "call"))
        self.names.append(Named(name, "model_tool", r.line(entries["call"])))
        arguments: dict[str, Any] = {}
        if "with" in entries and not is_null(entries["with"]):
            arguments = r.plain_mapping(entries["with"], child(path, "with"))
            self.split_text(arguments, entries["with"], child(path, "with"))
        return ToolCall(name, arguments)

    def split_text(self, values: dict[str, Any], node: yaml.Node, path: str) -> None:
        """`{request: refund the mugs, changed my mind}` is two keys in YAML: a comma in an
        unquoted flow value starts a new key (here `changed my mind`, with no value)."""
        for key, value in values.items():
            if value is None and " " in key.strip():
                self.r.fail(
                    node,
                    f"`{path}` has a key {key!r} with no value: did a comma split a text?",
                    'quote text that has a comma: `{request: "refund the mugs, changed my mind"}`',
                )

    # --- the API's answers and the simulated customer ----------------------------------------

    def stubs(self, node: yaml.Node, path: str) -> dict[str, tuple[Stub, ...]]:
        r = self.r
        found: dict[str, tuple[Stub, ...]] = {}
        for operation, value in r.mapping(node, path).items():
            where = child(path, operation)
            self.names.append(Named(operation, "operation", r.line(value)))
            answers = []
            for index, item in enumerate(r.items(value, where)):
                inner = child(where, index) if isinstance(value, yaml.SequenceNode) else where
                entries = r.mapping(item, inner, _STUB_KEYS)
                if not entries and isinstance(item, yaml.MappingNode):
                    r.fail(item, f"`{inner}` is empty", "give at least `body:` (the JSON answered)")
                    continue
                status = 200
                if "status" in entries:
                    status = (
                        r.integer(entries["status"], child(inner, "status"), minimum=100) or 200
                    )
                answers.append(
                    Stub(
                        body=r.plain(entries["body"], child(inner, "body"))
                        if "body" in entries
                        else None,
                        status=status,
                        headers={
                            k: str(v)
                            for k, v in self.plain_mapping(entries, "headers", inner).items()
                        },
                        when=self.plain_mapping(entries, "when", inner),
                    )
                )
            if not answers and isinstance(value, yaml.SequenceNode):
                r.fail(value, f"`{where}` is empty", "give at least one answer: `- body: ...`")
            found[operation] = tuple(answers)
        return found

    def scenario(self, node: yaml.Node, path: str) -> Scenario | None:
        r = self.r
        entries = r.mapping(node, path, _SIMULATE_KEYS)
        if "goal" not in entries:
            if isinstance(node, yaml.MappingNode):
                r.fail(node, f"`{path}` needs `goal:` (what the customer wants)")
            return None
        knows = ""
        if "knows" in entries:
            value = entries["knows"]
            if isinstance(value, yaml.ScalarNode):
                knows = r.text(value, child(path, "knows"), scalars=True) or ""
            else:
                data = r.plain(value, child(path, "knows"))
                knows = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).strip()
        max_turns = 8
        if "max_turns" in entries:
            max_turns = r.integer(entries["max_turns"], child(path, "max_turns"), minimum=1) or 8
        return Scenario(
            goal=r.required_text(entries["goal"], child(path, "goal")),
            knows=knows,
            behaviour=r.text(entries["behaviour"], child(path, "behaviour")) or ""
            if "behaviour" in entries
            else "",
            first_message=r.text(
                entries["first_message"], child(path, "first_message"), scalars=True
            )
            if "first_message" in entries
            else None,
            max_turns=max_turns,
        )
