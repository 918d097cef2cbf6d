"""The whole e2e suite with DEBUG logging on every logger, every record searched for secrets.

Issue 15 asks for it: no credential in any log record, at any level, from any logger. The e2e
conftest turns this on for every test of `tests/e2e`: every logger is set to DEBUG (the root,
every logger that exists, and new ones inherit it), one handler on the root and on every logger
that does not propagate keeps each record's formatted text (traceback included), its raw
message and its arguments, and after each test every record since the last check is searched
for each credential the process has made (every `specagent_runtime.Secret`, whoever built it:
API keys, client secrets, access tokens), in the spellings an API or a logger may use. A hit
fails that test, naming the logger and the spelling.

Only records of this process are seen: the workers that some tests fork keep their own logs
(tests/faults and tests/load check what those workers store and send).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from specagent_runtime import Secret

MIN_LENGTH = 8  # shorter test values ("x", "pw") would match ordinary words


class Everything(logging.Handler):
    """Every record of every logger, as text: formatted, raw message, raw arguments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.records: list[tuple[str, str]] = []  # (logger, text)
        self.checked = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception as exc:  # a record whose arguments do not format is still searched
            text = f"{record.msg!r} {exc!r}"
        self.records.append((record.name, f"{text}\n{record.msg!r}\n{record.args!r}"))


class SecretsSeen:
    """The value of every `Secret` made in this process since the session started."""

    def __init__(self) -> None:
        self.values: set[str] = set()


def spellings(secret: str) -> set[str]:
    """How a credential may be written down: plain, percent-encoded (either case), form-encoded,
    JSON-escaped, base64 (Basic auth's `user:password` is one, OAuth2's client credentials too)."""
    return {
        secret,
        quote(secret, safe=""),
        quote(secret, safe="").lower(),
        quote_plus(secret),
        json.dumps(secret, ensure_ascii=True)[1:-1].replace("-", "\\u002d"),
        base64.b64encode(secret.encode()).decode(),
    }


def _all_loggers() -> list[logging.Logger]:
    manager = logging.Logger.manager
    return [
        logger for logger in list(manager.loggerDict.values()) if isinstance(logger, logging.Logger)
    ]


class DebugEverything:
    """Installed once per session; `check()` after each test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.handler = Everything()
        self.seen = SecretsSeen()
        self._monkeypatch = monkeypatch
        self._levels: dict[logging.Logger, int] = {}
        self.searched: set[str] = set()  # the credentials looked for, for the figures
        self.hits: list[str] = []
        original = Secret.__init__
        seen = self.seen

        def recording_init(secret: Secret, value: Any) -> None:
            original(secret, value)
            seen.values.add(secret.reveal())

        monkeypatch.setattr(Secret, "__init__", recording_init)

    def start(self) -> None:
        root = logging.getLogger()
        self._levels[root] = root.level
        root.setLevel(logging.DEBUG)
        root.addHandler(self.handler)
        self.cover_new_loggers()

    def cover_new_loggers(self) -> None:
        """Loggers made since the last call: DEBUG, and the handler on those that do not
        propagate (uvicorn's, for one)."""
        for logger in _all_loggers():
            if logger in self._levels:
                continue
            self._levels[logger] = logger.level
            logger.setLevel(logging.DEBUG)
            if not logger.propagate:
                logger.addHandler(self.handler)

    def stop(self) -> None:
        for logger, level in self._levels.items():
            logger.setLevel(level)
            if self.handler in logger.handlers:
                logger.removeHandler(self.handler)

    def check(self) -> list[str]:
        """Hits in the records since the last check: `logger: spelling ... context`."""
        records = self.handler.records[self.handler.checked :]
        self.handler.checked = len(self.handler.records)
        secrets = {value for value in self.seen.values if len(value) >= MIN_LENGTH}
        self.searched |= secrets
        needles = {spelled for value in secrets for spelled in spellings(value)}
        hits = []
        for name, text in records:
            for needle in needles:
                at = text.find(needle)
                if at >= 0:
                    hits.append(f"{name}: {needle[:4]}... in {text[max(0, at - 60) : at]!r}")
        self.hits += hits
        return hits

    @property
    def records(self) -> int:
        return len(self.handler.records)

    @property
    def loggers(self) -> set[str]:
        return {name for name, _ in self.handler.records}


@pytest.fixture(scope="session")
def debug_everything() -> Iterator[DebugEverything]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        instrument = DebugEverything(monkeypatch)
        instrument.start()
        try:
            yield instrument
        finally:
            instrument.stop()
            hits = instrument.check()  # what the last module's teardown logged
            report = os.environ.get("SPECAGENT_DEBUG_SECRETS_REPORT")
            if report:  # the figures docs/security.md quotes
                figures = {
                    "records": instrument.records,
                    "loggers": sorted(instrument.loggers),
                    "secrets": len(instrument.searched),
                    "hits": len(instrument.hits) + len(hits),
                }
                with open(report, "w", encoding="utf-8") as file:
                    json.dump(figures, file)
            assert not hits, "a credential reached a log record:\n" + "\n".join(hits[:10])


@pytest.fixture(autouse=True)
def no_secret_in_any_record(debug_everything: DebugEverything) -> Iterator[None]:
    debug_everything.cover_new_loggers()
    yield
    hits = debug_everything.check()
    assert not hits, "a credential reached a log record:\n" + "\n".join(hits[:10])
