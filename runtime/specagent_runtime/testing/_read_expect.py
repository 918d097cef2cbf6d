"""Reading what a test expects: `expect:` of a turn and `end:` of a conversation.

The half of the test file reader (`_read`) that turns requests, events, tool calls, replies
and end-state reads into the patterns of `_checks`, collecting the names (tools,
operations) the package must have as `Named`, each with its line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from specagent_runtime.testing._checks import (
    EVENT_KINDS,
    EventPattern,
    ReplyCheck,
    RequestPattern,
    ToolPattern,
)
from specagent_runtime.testing._names import did_you_mean
from specagent_runtime.testing._schema import EndExpect, Expect, Named, StateCheck
from specagent_runtime.testing._yaml import Reader, child, is_null

_EXPECT_KEYS = (
    "reply", "requests", "no_requests", "events", "no_events", "tools", "no_tools", "not_shown"
)  # fmt: skip
_END_KEYS = ("requests", "no_requests", "count", "events", "no_events", "state")
_REPLY_KEYS = ("contains", "not_contains", "matches", "equals")
_REQUEST_KEYS = ("operation", "method", "path", "path_params", "query", "body", "status")
_TOOL_KEYS = ("call", "with", "status")
_STATE_KEYS = ("call", "with", "returns", "status")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
# The field a bare value names: `{task_waiting: confirmation}` is waiting_for: confirmation.
_MAIN_FIELD = {
    "tool_called": "tool",
    "confirmation_requested": "tool",
    "confirmation_executed": "tool",
    "handoff_requested": "reason",
    "task_started": "task",
    "task_waiting": "waiting_for",
    "task_finished": "status",
}


class ExpectReader:
    """Reads expectations with `r` (the file's `Reader`), noting names in `names`."""

    r: Reader
    names: list[Named]

    def expect(self, node: yaml.Node, path: str) -> Expect:
        r = self.r
        entries = r.mapping(node, path, _EXPECT_KEYS)
        reply = self.reply(entries["reply"], child(path, "reply")) if "reply" in entries else None
        return Expect(
            reply=reply,
            requests=self.requests(entries, "requests", path),
            no_requests=self.requests(entries, "no_requests", path),
            events=self.events(entries, "events", path),
            no_events=self.events(entries, "no_events", path),
            tools=self.tools(entries, "tools", path),
            no_tools=self.tools(entries, "no_tools", path),
            not_shown=self.texts(entries, "not_shown", path),
        )

    def texts(self, entries: dict[str, yaml.Node], key: str, path: str) -> tuple[str, ...]:
        if key not in entries:
            return ()
        where = child(path, key)
        items = self.r.items(entries[key], where)
        return tuple(t for item in items if (t := self.r.text(item, where, scalars=True)))

    def end(self, node: yaml.Node, path: str) -> EndExpect:
        r = self.r
        entries = r.mapping(node, path, _END_KEYS)
        counts: list[tuple[RequestPattern, int]] = []
        if "count" in entries:
            for key, value in r.mapping(entries["count"], child(path, "count")).items():
                times = r.integer(value, child(child(path, "count"), key))
                pattern = self.request_text(key, value, child(path, "count"))
                if times is not None and pattern is not None:
                    counts.append((pattern, times))
        state: list[StateCheck] = []
        if "state" in entries:
            for index, item in enumerate(r.items(entries["state"], child(path, "state"))):
                check = self.state(item, child(child(path, "state"), index))
                if check is not None:
                    state.append(check)
        return EndExpect(
            requests=self.requests(entries, "requests", path),
            no_requests=self.requests(entries, "no_requests", path),
            counts=tuple(counts),
            events=self.events(entries, "events", path),
            no_events=self.events(entries, "no_events", path),
            state=tuple(state),
            line=r.line(node),
        )

    def reply(self, node: yaml.Node, path: str) -> ReplyCheck | None:
        r = self.r
        if isinstance(node, yaml.ScalarNode):
            text = r.text(node, path, scalars=True)
            return ReplyCheck(contains=(text,)) if text else None
        entries = r.mapping(node, path, _REPLY_KEYS)

        def words(key: str) -> tuple[str, ...]:
            if key not in entries:
                return ()
            items = r.items(entries[key], child(path, key))
            return tuple(t for i in items if (t := r.text(i, child(path, key), scalars=True)))

        matches = (
            r.text(entries["matches"], child(path, "matches")) if "matches" in entries else None
        )
        if matches is not None:
            try:
                re.compile(matches)
            except re.error as exc:
                r.fail(
                    entries["matches"],
                    f"`{child(path, 'matches')}` is not a valid regular expression: {exc}",
                )
        equals = (
            r.text(entries["equals"], child(path, "equals"), scalars=True)
            if "equals" in entries
            else None
        )
        return ReplyCheck(words("contains"), words("not_contains"), matches, equals)

    def requests(
        self, entries: dict[str, yaml.Node], key: str, path: str
    ) -> tuple[RequestPattern, ...]:
        if key not in entries:
            return ()
        where = child(path, key)
        found = []
        for index, item in enumerate(self.r.items(entries[key], where)):
            pattern = self.request(item, child(where, index))
            if pattern is not None:
                found.append(pattern)
        return tuple(found)

    def request(self, node: yaml.Node, path: str) -> RequestPattern | None:
        r = self.r
        if isinstance(node, yaml.ScalarNode):
            text = r.text(node, path)
            return self.request_text(text, node, path) if text else None
        entries = r.mapping(node, path, _REQUEST_KEYS)
        operation = method = route = None
        if "operation" in entries:
            operation = r.text(entries["operation"], child(path, "operation"))
            if operation:
                self.names.append(Named(operation, "operation", r.line(entries["operation"])))
        if "method" in entries:
            method = self.method(entries["method"], child(path, "method"))
        if "path" in entries:
            route = r.text(entries["path"], child(path, "path"))
            if route and not route.startswith("/"):
                r.fail(
                    entries["path"], f"`{child(path, 'path')}` must start with `/`, found {route!r}"
                )
        status = (
            r.integer(entries["status"], child(path, "status")) if "status" in entries else None
        )
        return RequestPattern(
            operation=operation,
            method=method,
            path=route,
            path_params=self.plain_mapping(entries, "path_params", path),
            query=self.plain_mapping(entries, "query", path),
            body=r.plain(entries["body"], child(path, "body")) if "body" in entries else None,
            status=status,
        )

    def request_text(self, text: str, node: yaml.Node, path: str) -> RequestPattern | None:
        """`cancelOrder`, `POST`, `POST /orders/*/cancel` or `*` (any request)."""
        word, _, rest = text.strip().partition(" ")
        if text.strip() == "*":
            return RequestPattern()
        if word.upper() in _METHODS and word.isupper():
            route = rest.strip() or None
            if route is not None and not route.startswith("/"):
                self.r.fail(node, f"`{path}`: the path in {text!r} must start with `/`")
            return RequestPattern(method=word, path=route if route != "*" else None)
        if rest:
            self.r.fail(
                node,
                f"`{path}`: {text!r} is neither an operationId nor `METHOD /path`",
                "e.g. `cancelOrder` or `POST /orders/1002/cancel`",
            )
            return None
        self.names.append(Named(word, "operation", self.r.line(node)))
        return RequestPattern(operation=word)

    def method(self, node: yaml.Node, path: str) -> str | None:
        value = self.r.text(node, path)
        if value is None:
            return None
        if value.upper() not in _METHODS:
            self.r.fail(
                node,
                f"`{path}`: {value!r} is not an HTTP method",
                did_you_mean(value.upper(), _METHODS),
            )
            return None
        return value.upper()

    def plain_mapping(self, entries: dict[str, yaml.Node], key: str, path: str) -> dict[str, Any]:
        if key not in entries or is_null(entries[key]):
            return {}
        return self.r.plain_mapping(entries[key], child(path, key))

    def events(
        self, entries: dict[str, yaml.Node], key: str, path: str
    ) -> tuple[EventPattern, ...]:
        if key not in entries:
            return ()
        where = child(path, key)
        found = []
        for index, item in enumerate(self.r.items(entries[key], where)):
            pattern = self.event(item, child(where, index))
            if pattern is not None:
                found.append(pattern)
        return tuple(found)

    def event(self, node: yaml.Node, path: str) -> EventPattern | None:
        r = self.r
        if isinstance(node, yaml.ScalarNode):
            kind = r.text(node, path)
            return EventPattern(kind) if kind and self.event_kind(kind, node, path) else None
        entries = r.mapping(node, path)
        if len(entries) != 1:
            r.fail(node, f"`{path}` must be one event kind, e.g. `task_waiting: confirmation`")
            return None
        ((kind, value),) = entries.items()
        if not self.event_kind(kind, node, path):
            return None
        if is_null(value):
            return EventPattern(kind)
        if isinstance(value, yaml.ScalarNode):
            return EventPattern(kind, {_MAIN_FIELD[kind]: r.plain(value, child(path, kind))})
        fields = r.plain_mapping(value, child(path, kind))
        for name in fields:
            if name not in EVENT_KINDS[kind]:
                r.fail(
                    value,
                    f"`{child(path, kind)}.{name}`: {kind} events have no field {name!r}",
                    did_you_mean(name, EVENT_KINDS[kind])
                    or "fields: " + ", ".join(EVENT_KINDS[kind]),
                )
        return EventPattern(kind, fields)

    def event_kind(self, kind: str, node: yaml.Node, path: str) -> bool:
        if kind in EVENT_KINDS:
            return True
        self.r.fail(
            node,
            f"`{path}`: unknown event {kind!r}",
            did_you_mean(kind, EVENT_KINDS) or "events: " + ", ".join(EVENT_KINDS),
        )
        return False

    def tools(self, entries: dict[str, yaml.Node], key: str, path: str) -> tuple[ToolPattern, ...]:
        if key not in entries:
            return ()
        r = self.r
        where = child(path, key)
        found = []
        for index, item in enumerate(r.items(entries[key], where)):
            inner = child(where, index)
            if isinstance(item, yaml.ScalarNode):
                name = r.text(item, inner)
                if name:
                    self.names.append(Named(name, "model_tool", r.line(item)))
                    found.append(ToolPattern(name))
                continue
            fields = r.mapping(item, inner, _TOOL_KEYS)
            if "call" not in fields:
                r.fail(item, f"`{inner}` needs `call: <tool name>`")
                continue
            name = r.required_text(fields["call"], child(inner, "call"))
            self.names.append(Named(name, "model_tool", r.line(fields["call"])))
            arguments = self.plain_mapping(fields, "with", inner) if "with" in fields else None
            status = (
                r.text(fields["status"], child(inner, "status")) if "status" in fields else None
            )
            found.append(ToolPattern(name, arguments, status))
        return tuple(found)

    def state(self, node: yaml.Node, path: str) -> StateCheck | None:
        r = self.r
        entries = r.mapping(node, path, _STATE_KEYS)
        if "call" not in entries:
            if isinstance(node, yaml.MappingNode):
                r.fail(node, f"`{path}` needs `call: <operationId>`")
            return None
        operation = r.required_text(entries["call"], child(path, "call"))
        self.names.append(Named(operation, "operation", r.line(entries["call"])))
        if "returns" not in entries and "status" not in entries:
            r.fail(node, f"`{path}` needs `returns:` (a part of the answer) or `status:`")
        return StateCheck(
            operation=operation,
            arguments=self.plain_mapping(entries, "with", path),
            line=r.line(node),
            returns=r.plain(entries["returns"], child(path, "returns"))
            if "returns" in entries
            else None,
            status=r.integer(entries["status"], child(path, "status"))
            if "status" in entries
            else None,
        )
