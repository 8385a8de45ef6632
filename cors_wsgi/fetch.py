"""The Fetch standard's CORS vocabulary, declared once.

The middleware, the configuration checks and ``probe`` (which plays the browser) all need the same
lists: which methods and request headers a page may use without a preflight, which a page can never
set, which response headers it may read. A second copy of any of them drifts (one did: ``probe`` and the
configuration once disagreed about ``Access-Control-Request-Private-Network``), so every module imports
them from here. Section names are the WHATWG Fetch standard's; nothing here knows about WSGI or I/O.
"""

from __future__ import annotations

import re
from typing import Final

# Response headers (Fetch, "HTTP responses" of the CORS protocol).
ACAO: Final = "Access-Control-Allow-Origin"
ACAC: Final = "Access-Control-Allow-Credentials"
ACAM: Final = "Access-Control-Allow-Methods"
ACAH: Final = "Access-Control-Allow-Headers"
ACEH: Final = "Access-Control-Expose-Headers"
ACMA: Final = "Access-Control-Max-Age"
ACAPN: Final = "Access-Control-Allow-Private-Network"
"""Private Network Access, a Chromium draft now on hold: Chrome and Firefox ask the user for a Local
Network Access permission instead, which no response header grants."""

# Request headers, and the WSGI environ keys a server files them under (PEP 3333: HTTP_ + upper case).
ORIGIN: Final = "Origin"
ACRM: Final = "Access-Control-Request-Method"
ACRH: Final = "Access-Control-Request-Headers"
ACRPN: Final = "Access-Control-Request-Private-Network"
REQUEST_HEADER_KEYS: Final = {name: "HTTP_" + name.upper().replace("-", "_") for name in (ORIGIN, ACRM, ACRH, ACRPN)}

VARY_ACTUAL: Final = "Origin"
"""Fetch, "CORS protocol and HTTP caches": what a response whose CORS headers depend on Origin varies by."""
VARY_PREFLIGHT: Final = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
VARY_PRIVATE_NETWORK: Final = VARY_PREFLIGHT + ", Access-Control-Request-Private-Network"

# RFC 9110 section 5.6.2: token = 1*tchar. Methods and header names are tokens.
TOKEN_RE: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

SAFELISTED_METHODS: Final = frozenset({"GET", "HEAD", "POST"})
"""Fetch, "CORS-safelisted method": never needs to appear in Access-Control-Allow-Methods. The standard
will not add more: new methods such as ``QUERY`` are ordinary methods that need a preflight."""
NORMALISED_METHODS: Final = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
"""Fetch, "normalize a method": only these are upper-cased; ``fetch(url, {method: "patch"})`` sends
``patch``, which ``Access-Control-Allow-Methods: PATCH`` does not allow."""
FORBIDDEN_METHODS: Final = frozenset({"CONNECT", "TRACE", "TRACK"})
"""Fetch, "forbidden method": a page can never send these."""

FORBIDDEN_REQUEST_HEADERS: Final = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
"""Fetch, "forbidden request-header": a page cannot set them; ``fetch()`` silently drops them."""
FORBIDDEN_REQUEST_PREFIXES: Final = ("proxy-", "sec-")
METHOD_OVERRIDE_HEADERS: Final = frozenset({"x-http-method", "x-http-method-override", "x-method-override"})
"""Forbidden when their value names a forbidden method (Fetch, "forbidden request-header")."""

SAFELISTED_REQUEST_HEADERS: Final = frozenset(
    {"accept", "accept-language", "content-language", "content-type", "range"}
)
"""Fetch, "CORS-safelisted request-header" names; each is safelisted only for some values (``probe``
checks the values)."""
SAFELISTED_CONTENT_TYPES: Final = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
MAX_SAFELISTED_VALUE: Final = 128
MAX_SAFELISTED_TOTAL: Final = 1024

SAFELISTED_RESPONSE_HEADERS: Final = frozenset(
    {"cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"}
)
"""Fetch, "CORS-safelisted response-header name": readable by a page without Access-Control-Expose-Headers."""
FORBIDDEN_RESPONSE_HEADERS: Final = frozenset({"set-cookie", "set-cookie2"})
"""Fetch, "forbidden response-header name": never exposed to a page, whatever the server says."""

DEFAULT_MAX_AGE: Final = 5
"""Seconds a browser caches a preflight without (or with an invalid) Access-Control-Max-Age."""
MAX_AGE_CAPS: Final = {"Chromium": 7200, "WebKit": 600, "Firefox": 86400}
"""What browsers do with a larger Access-Control-Max-Age: they use their cap instead."""


def is_token(value: str) -> bool:
    return TOKEN_RE.fullmatch(value) is not None


def is_forbidden_request_header(name: str) -> bool:
    """Whether a page can never set a header of this name (the value-dependent method-override names
    aside)."""
    lowered = name.lower()
    return lowered in FORBIDDEN_REQUEST_HEADERS or lowered.startswith(FORBIDDEN_REQUEST_PREFIXES)
