"""The request URL the client builds from a cached base URL is the URL httpx would parse from
the same text: percent-encoded paths reuse the base's parsed parts, anything else is parsed."""

from __future__ import annotations

import itertools

import httpx
import pytest
from specagent_runtime import AsyncApiClient
from specagent_runtime._http.serialize import PreparedRequest
from specagent_runtime._spec import OperationSpec

BASES = [
    "http://127.0.0.1:4242/api/v3",
    "https://api.example.com",
    "https://api.example.com/",
    "https://x.io/v1/?k=1&a=%20b",
    "http://[::1]:80/x/",
]
PATHS = [
    "/store/order/42",
    "/a/%2F..%2F",
    "/a b/c",
    "/x/~a!$&'()*+,;=:@",
    "/p/%E2%82%AC",
    "/a/../b",
]
QUERIES = ["", "a=1&b=%2C", "x=a%2Cb,c", "z=%ZZ", "s=a b"]


@pytest.mark.parametrize(("base", "path", "query"), list(itertools.product(BASES, PATHS, QUERIES)))
def test_the_url_is_what_httpx_parses(base: str, path: str, query: str) -> None:
    client = AsyncApiClient(base)
    op = OperationSpec(id="op", method="get", path=path)
    url = client._url(op, PreparedRequest(method="GET", path=path, query=query))
    parsed = httpx.URL(base)
    root = str(parsed.copy_with(query=None, fragment=None)).rstrip("/")
    both = "&".join(q for q in (parsed.query.decode(), query) if q)
    expected = httpx.URL(root + path + ("?" + both if both else ""))
    assert str(url) == str(expected)
    assert (url.scheme, url.host, url.port, url.raw_path) == (
        expected.scheme,
        expected.host,
        expected.port,
        expected.raw_path,
    )
