"""Stage-by-stage progress on stderr, for specs big enough to make people wonder.

On a terminal every stage is shown as it runs and then with its time. In logs (not a TTY) only
stages that took a noticeable time are printed, one plain line each, so CI logs of large specs
show where the time went while small runs, and the golden stderr files, stay quiet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

_LABELS = {
    "loading": "loading the spec",
    "building": "building the API model",
    "planning": "planning tools",
    "rendering": "rendering",
    "rendering models": "rendering models",
    "formatting": "formatting",
    "writing": "writing files",
}

# Below this, a stage is not worth a log line when stderr is not a terminal.
SLOW_STAGE_SECONDS = 1.0


class Progress:
    """Call with a stage name when it starts; `done()` closes the last stage."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interactive: bool,
        enabled: bool = True,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._stream = stream
        self._interactive = interactive
        self._enabled = enabled
        self._clock = clock
        self._stage: str | None = None
        self._started = 0.0

    def __call__(self, stage: str) -> None:
        self.done()
        self._stage = stage
        self._started = self._clock()
        if self._enabled and self._interactive:
            self._stream.write(f"{self._label(stage)} ...")
            self._stream.flush()

    def done(self) -> None:
        if self._stage is None:
            return
        elapsed = self._clock() - self._started
        label = self._label(self._stage)
        self._stage = None
        if not self._enabled:
            return
        if self._interactive:
            self._stream.write(f"\r{label:<26} {elapsed:6.2f}s\n")
        elif elapsed >= SLOW_STAGE_SECONDS:
            self._stream.write(f"{label}: {elapsed:.1f}s\n")
        self._stream.flush()

    @staticmethod
    def _label(stage: str) -> str:
        return _LABELS.get(stage, stage)
