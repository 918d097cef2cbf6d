"""Log filters on the HTTP libraries the runtime's requests pass through.

A host that turns on DEBUG logging everywhere (the first thing anyone does while debugging)
gets records from httpx (request lines), httpcore (connection events, response headers), h2
and hpack (with HTTP/2 on, hpack logs every header it compresses: the API key header among
them). Filters on those loggers rewrite each record before any handler sees it:

- httpx and httpcore: query strings of URLs are masked (they carry API keys and customers'
  data), credential header values are masked by name, and every live `Secret` (credentials,
  fetched tokens) is masked in whatever spelling (`_secrets.redact_known`);
- hpack: header names, values and encoded header blocks are hidden altogether (only numbers
  remain), since a Huffman-encoded value is the secret in another spelling;
- h2 logs through its own configuration object (silent unless a host passes a logger); its
  loggers get the same filter as httpcore in case one is configured.

Filters sit on loggers, not handlers, so they apply to records logged to exactly these
loggers: the list below names every one those libraries create.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from specagent_runtime._lazy import lazy_module
from specagent_runtime._secrets import MASK, redact_known

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")  # the filters are installed before httpx is first used

HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "h2",
    "h2.connection",
)
HEADER_LOGGERS = ("hpack", "hpack.hpack", "hpack.table")
# Header names whose values are credentials wherever they appear in a record (a tuple of
# bytes in httpcore's response headers, "name: value" elsewhere).
_CREDENTIAL_HEADERS = re.compile(
    r"""(?ix)
    (?P<name>['"]?(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key
        |x-auth-token|x-access-token)['"]?)
    (?P<sep>\s*(?:,\s*b?|:\s*|=\s*))
    (?P<quote>['"]?)(?P<value>[^'",\r\n]*)""",
)


class HttpLogFilter(logging.Filter):
    """Masks URL query strings, credential headers and every live secret in a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                _masked_url(a) if isinstance(a, httpx.URL) else a for a in record.args
            )
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a broken record: leave it to the handler's error path
            return True
        cleaned = redact_known(_CREDENTIAL_HEADERS.sub(_mask_header, text))
        if cleaned != text:
            record.msg, record.args = cleaned, ()
        return True


class HeaderLogFilter(logging.Filter):
    """hpack's records with everything but numbers hidden."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        record.args = tuple(
            a if isinstance(a, int | float) and not isinstance(a, bool) else "<hidden>"
            for a in args
        )
        return True


def _mask_header(match: re.Match[str]) -> str:
    return match["name"] + match["sep"] + match["quote"] + MASK


def _masked_url(url: httpx.URL) -> str:
    bare = str(url.copy_with(query=None, fragment=None))
    return bare + "?" + MASK if url.query else bare


def install_log_filters() -> None:
    """Once per process (importing the client does it)."""
    for names, kind in ((HTTP_LOGGERS, HttpLogFilter), (HEADER_LOGGERS, HeaderLogFilter)):
        for name in names:
            target = logging.getLogger(name)
            if not any(isinstance(f, kind) for f in target.filters):
                target.addFilter(kind())
