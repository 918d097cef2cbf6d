"""The scripted OpenAI-compatible model of the tests: `specagent_runtime.testing.ScriptedModel`.

It moved into the runtime's public testing kit, so the developers of generated agents test
with the same model this suite uses; this module keeps the name the suite's tests import.
`FakeOpenAI()` plays its script in process until started, and on a local port once started
(``with FakeOpenAI() as fake:``), exactly as before.
"""

from __future__ import annotations

from specagent_runtime.testing import ScriptedModel as FakeOpenAI
from specagent_runtime.testing import ToolCall, Turn, call, calls, finish, say

__all__ = ["FakeOpenAI", "ToolCall", "Turn", "call", "calls", "finish", "say"]
