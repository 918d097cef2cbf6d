"""The process-wide list of live secrets that log filters and tool results are masked with.

Secrets with equal values compare equal; the registry must still know a value while any
Secret holding it is alive (found when a second set of the same credentials outlived the
first in the full suite and stopped being masked).
"""

from __future__ import annotations

import gc

from specagent_runtime import Secret
from specagent_runtime._secrets import MASK, redact_known


def test_a_value_stays_known_while_any_secret_holding_it_lives() -> None:
    first = Secret("sk-registry-twin-5150")
    second = Secret("sk-registry-twin-5150")
    del first
    gc.collect()
    assert redact_known("key sk-registry-twin-5150 echoed") == f"key {MASK} echoed"
    assert second.reveal() == "sk-registry-twin-5150"


def test_a_value_is_forgotten_when_no_secret_holds_it() -> None:
    gone = Secret("sk-registry-gone-6160")
    del gone
    gc.collect()
    assert redact_known("sk-registry-gone-6160") == "sk-registry-gone-6160"
