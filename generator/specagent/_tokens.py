"""Counting tokens the way OpenAI models do, without a network.

`tiktoken` fetches its vocabularies from the internet on first use, which fails in CI sandboxes
and air-gapped builds; `bpe-openai` is the same byte-pair encoding (GitHub's Rust
implementation) with the o200k_base vocabulary inside the wheel. The tests check its counts
against `tiktoken` loaded with that same vocabulary file.

A tool "costs" the tokens of its definition serialised as compact JSON: that is what SDKs send,
and one fixed serialisation lets `specagent tools` and the benchmarks compare tool lists fairly.
The provider adds a few tokens of framing per tool on top, the same for every generator.
"""

from __future__ import annotations

import functools
import json
import warnings
from typing import Any, Protocol

__all__ = ["ENCODING", "count_json_tokens", "count_tokens", "tool_json"]

ENCODING = "o200k_base"  # GPT-4o, GPT-4.1, o-series, GPT-5


# bpe-openai refuses texts over 1,000,000 characters or 200,000 tokens in one call; longer
# texts (a huge tool of a huge API) are counted in pieces cut between JSON members, which may
# miscount by a token per cut.
_PIECE = 200_000


class _Encoding(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...


@functools.cache
def _encoding() -> _Encoding:
    # bpe-openai reads its bundled vocabularies with importlib.resources' legacy functions,
    # which warn on Python 3.11; the warning is its maintainers' to fix, not our users' to see.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        # Imported on first use: loading the vocabulary takes a moment. No py.typed in the wheel.
        import bpe_openai  # type: ignore[import-untyped]  # noqa: PLC0415

        encoding: _Encoding = bpe_openai.get_encoding(ENCODING)
    return encoding


def count_tokens(text: str) -> int:
    """Tokens of `text` in o200k_base (`<|endoftext|>` and friends count as plain text: a
    hostile description must not break the count)."""
    encoding = _encoding()
    total = 0
    for piece in _pieces(text):
        total += len(encoding.encode_ordinary(piece))
    return total


def _pieces(text: str) -> list[str]:
    pieces = []
    while len(text) > _PIECE:
        cut = text.rfind(',"', _PIECE // 2, _PIECE)
        cut = _PIECE if cut < 0 else cut + 1
        pieces.append(text[:cut])
        text = text[cut:]
    if text:
        pieces.append(text)
    return pieces


def tool_json(data: Any) -> str:
    """The compact JSON text whose tokens are counted (key order kept as given)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def count_json_tokens(data: Any) -> int:
    """Tokens of `data` as compact JSON."""
    return count_tokens(tool_json(data))
