"""The scripted Anthropic Messages model of the tests: `specagent_runtime.testing`'s
`ScriptedAnthropic`, under the name the suite's tests import (see `fake_openai`)."""

from __future__ import annotations

from specagent_runtime.testing import ScriptedAnthropic as FakeAnthropic
from specagent_runtime.testing import ToolCall, Turn, anthropic_problems, call, calls, say

problems = anthropic_problems

__all__ = ["FakeAnthropic", "ToolCall", "Turn", "call", "calls", "problems", "say"]
