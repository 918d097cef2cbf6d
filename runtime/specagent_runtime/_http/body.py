"""Reading a response body within bounds: decoded size, compression, JSON nesting.

A response is untrusted input. A 284 KB gzip body can inflate to 300 MB, and a JSON text of
100,000 nested brackets makes `json.loads` (and everything recursive after it: validation,
shaping, the model's JSON text) raise `RecursionError`. So the client streams every body,
inflates it here in bounded pieces while counting the decoded bytes, and stops at
`ResponseLimits.max_bytes`; a JSON body's nesting is measured before it is parsed. Both
failures are typed errors (`ResponseTooLargeError`, `ResponseTooDeepError`) that the model is
shown in words, on every path that reads a response: the agent's tools, task `call` steps, the
user context and MCP all go through the client.

The client asks only for the encodings decoded here (``Accept-Encoding: gzip, deflate``), so
brotli or zstd support installed for httpx cannot bring back an unbounded decoder.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specagent_runtime._errors import (
    ConfigurationError,
    ResponseDecodeError,
    ResponseTooDeepError,
    ResponseTooLargeError,
)

if TYPE_CHECKING:
    import httpx

ACCEPT_ENCODING = "gzip, deflate"
# At most this much inflated output per decompress call, so memory follows the cap, not the
# compression ratio (gzip reaches about 1000:1, so one 64 KB network read could be 64 MB).
_PIECE = 64 * 1024
# Error bodies are only read for their message and an excerpt.
ERROR_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class ResponseLimits:
    """How much of a response the client reads. `max_bytes` counts decoded bytes (after
    decompression); `max_depth` is the deepest nesting of JSON arrays and objects accepted.

    The defaults leave real APIs alone (a support API's answer is kilobytes, a dozen levels
    deep) while keeping one hostile response from taking the worker's memory or stack."""

    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 64

    def __post_init__(self) -> None:
        if self.max_bytes < 1024:
            raise ConfigurationError(f"max_bytes must be at least 1024, not {self.max_bytes}")
        if not 1 <= self.max_depth <= 500:
            # Deeper than a few hundred levels, the recursive code after parsing (pydantic,
            # json.dumps, shaping) can hit Python's recursion limit itself.
            raise ConfigurationError(f"max_depth must be 1 to 500, not {self.max_depth}")


class BodyDecoder:
    """Content-Encoding undone in bounded pieces, counting the decoded bytes against `limit`.

    `limit` None never raises: the caller (an error body) keeps only the first bytes."""

    def __init__(self, content_encoding: str, limit: int | None) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        self._stages = [_stage(coding) for coding in reversed(codings) if coding != "identity"]
        self._limit = limit
        self.size = 0

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """The decoded pieces of one raw chunk; raises `ResponseTooLargeError` past the cap."""
        pieces: Iterable[bytes] = (raw,)
        for stage in self._stages:
            pieces = _chain(stage, pieces)
        for piece in pieces:
            if not piece:
                continue
            self.size += len(piece)
            if self._limit is not None and self.size > self._limit:
                raise _too_large(self._limit)
            yield piece


def _chain(stage: _Inflate, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from stage.feed(piece)


class _Inflate:
    """gzip (several members allowed) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._zlib = self._new()
        self._fresh = True  # nothing decoded yet: a deflate stream may still be raw
        self._between = False  # a gzip member just ended: what follows may be padding
        self._done = False

    def _new(self) -> Any:
        return zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._done:
            try:
                piece = self._zlib.decompress(data, _PIECE)
            except zlib.error:
                if self._between:
                    self._done = True  # bytes after the last member, which httpx ignores too
                    return
                if self._gzip or not self._fresh:
                    raise ResponseDecodeError(
                        "the response body could not be decompressed"
                    ) from None
                # deflate without its zlib header, which httpx accepts too
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self._fresh = False
                continue
            self._fresh = False
            if piece:
                self._between = False
            yield piece
            if self._zlib.eof:
                data = self._zlib.unused_data
                self._done = not self._gzip  # anything after a deflate stream is ignored
                self._between = True
                self._zlib = self._new()  # a gzip member may follow
                continue
            data = self._zlib.unconsumed_tail
            while not data and len(piece) == _PIECE:
                # max_length held output back though all input was taken: drain it.
                piece = self._zlib.decompress(b"", _PIECE)
                yield piece


def _stage(coding: str) -> _Inflate:
    if coding in ("gzip", "x-gzip"):
        return _Inflate(gzip=True)
    if coding == "deflate":
        return _Inflate(gzip=False)
    raise ResponseDecodeError(f"the response uses content-encoding {coding!r}, not supported")


def check_size(body: bytes, limit: int) -> bytes:
    """`body` (already decoded) if it is within `limit` bytes."""
    if len(body) > limit:
        raise _too_large(limit)
    return body


def _too_large(limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"the response body is over {limit} bytes once decoded; reading stopped there",
        limit=limit,
    )


async def read_async(response: httpx.Response, limit: int | None) -> bytes:
    """The decoded body of a streamed response, raising past `limit` bytes; None reads an
    error body's first `ERROR_BODY_LIMIT` bytes and drops the rest instead."""
    if response.is_stream_consumed:
        return _already_read(response, limit)
    encoding = response.headers.get("content-encoding")
    if limit is not None and not encoding:
        # Nothing to inflate (the usual answer): the raw bytes are the decoded bytes, so
        # they are counted as they arrive, without the decoder's generators per chunk.
        parts: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw():
            size += len(raw)
            if size > limit:
                raise _too_large(limit)
            parts.append(raw)
        return parts[0] if len(parts) == 1 else b"".join(parts)
    decoder = BodyDecoder(encoding or "", limit)
    parts = []
    async for raw in response.aiter_raw():
        parts.extend(decoder.feed(raw))
        if limit is None and decoder.size >= ERROR_BODY_LIMIT:
            break
    return b"".join(parts)[: ERROR_BODY_LIMIT if limit is None else limit]


def read_sync(response: httpx.Response, limit: int | None) -> bytes:
    """`read_async` for the sync client."""
    if response.is_stream_consumed:
        return _already_read(response, limit)
    encoding = response.headers.get("content-encoding")
    if limit is not None and not encoding:  # as in `read_async`
        parts: list[bytes] = []
        size = 0
        for raw in response.iter_raw():
            size += len(raw)
            if size > limit:
                raise _too_large(limit)
            parts.append(raw)
        return parts[0] if len(parts) == 1 else b"".join(parts)
    decoder = BodyDecoder(encoding or "", limit)
    parts = []
    for raw in response.iter_raw():
        parts.extend(decoder.feed(raw))
        if limit is None and decoder.size >= ERROR_BODY_LIMIT:
            break
    return b"".join(parts)[: ERROR_BODY_LIMIT if limit is None else limit]


def _already_read(response: httpx.Response, limit: int | None) -> bytes:
    """A body the transport read before handing it over (httpx.MockTransport, a caller's own
    transport): it is in memory already, so only the cap can still be applied."""
    body = response.content
    return body[:ERROR_BODY_LIMIT] if limit is None else check_size(body, limit)


# --- JSON nesting ---------------------------------------------------------------------------

# Everything but brackets and quotes is deleted, and `{}` are read as `[]`: nesting depth does
# not depend on the kind of bracket (the parser checks they match).
_KEEP = b'[]{}"'
_DELETE = bytes(byte for byte in range(256) if byte not in _KEEP)
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")


def json_depth_exceeds(body: bytes, max_depth: int) -> bool:
    """Whether the JSON text nests arrays and objects deeper than `max_depth`.

    Measured without parsing, with bytes operations that run in C: escaped backslashes and
    quotes are dropped, then everything but brackets and quotes, then the strings (between
    the quotes that remain); of the bracket skeleton left, each `replace` of ``[]`` removes
    exactly one level. Text that is not JSON is left for the parser to reject."""
    text = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(_AS_SQUARE, _DELETE)
    # Two quotes with nothing between them never change what is inside a string: most
    # strings (keys, values without brackets) go at memchr speed, and few are left to split.
    text = text.replace(b'""', b"")
    skeleton = b"".join(text.split(b'"')[::2]) if b'"' in text else text  # outside strings
    if b"[" * (max_depth + 1) in skeleton:
        return True  # the usual attack, found in one search
    for _ in range(max_depth):
        if not skeleton:
            return False
        shorter = skeleton.replace(b"[]", b"")
        if len(shorter) == len(skeleton):
            return False  # unbalanced: json.loads will say where
        skeleton = shorter
    return b"[]" in skeleton


def loads(body: bytes, max_depth: int) -> Any:
    """`json.loads` that refuses nesting deeper than `max_depth` before it parses.

    Raises `ResponseTooDeepError`, or `ValueError` for text that is not JSON."""
    if json_depth_exceeds(body, max_depth):
        raise ResponseTooDeepError(
            f"the response nests JSON deeper than {max_depth} levels; not parsed",
            limit=max_depth,
        )
    try:
        return json.loads(body)
    except RecursionError:  # cannot happen below the cap; kept as a typed error regardless
        raise ResponseTooDeepError(
            "the response nests JSON too deeply to parse", limit=max_depth
        ) from None
