"""HTTP header vocabulary for CORS: token lists, header-name patterns, bounded request-header
parsing and ``Vary`` merging.

Everything that looks at request data here is bounded: ``Access-Control-Request-Headers`` longer than
:data:`MAX_ACRH_LENGTH` is refused before it is split, because some peers spend milliseconds per
request splitting an 8 KiB header of commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .fetch import TOKEN_RE, is_forbidden_request_header

Header = tuple[str, str]
HeaderList = list[Header]

MAX_METHOD_LENGTH: Final = 64
MAX_ACRH_LENGTH: Final = 4096
"""Longer ``Access-Control-Request-Headers`` fail the preflight in constant time. Browsers send one
lowercase name per non-safelisted header the page set; 4 KiB is over a hundred such names."""
MAX_ACRH_ELEMENTS: Final = 128
"""More commas than this fail too (counted in C, before any split), which bounds the per-name work."""

# A glob written where a regex was meant: ``X-Company-*``.
_GLOB_HEADER_RE: Final = re.compile(r"[A-Za-z0-9_\-]*\*[A-Za-z0-9_\-*]*")
# Plain header names: tchar minus the characters that make a string a regular expression.
_PLAIN_NAME_RE: Final = re.compile(r"[!#%&'_`~0-9A-Za-z\-]+")
_HEADER_REGEX_CHARS: Final = frozenset("\\]?$^[()*+.|{}")


def split_list(value: str) -> list[str]:
    """Split a comma-separated option string into stripped, non-empty items."""
    return [item.strip() for item in value.split(",") if item.strip()]


def forbidden_request_header_reason(name: str) -> str | None:
    if is_forbidden_request_header(name):
        return (
            "is a forbidden request header (Fetch): browsers never let a page set it, so "
            "allowing it does nothing; remove it"
            + (" (cookies are sent by supports_credentials=True)" if name.lower().startswith("cookie") else "")
        )
    return None


@dataclass(frozen=True)
class HeaderMatcher:
    """A compiled ``allow_headers`` option: ``*``, exact names (case-insensitive) and regexes."""

    allow_any: bool
    names: frozenset[str]
    """Lowercase."""
    patterns: tuple[re.Pattern[str], ...]
    """Applied with ``fullmatch`` (case-insensitive when given as strings)."""

    def allows(self, lowercase_name: str) -> bool:
        if self.allow_any or lowercase_name in self.names:
            return True
        return any(pattern.fullmatch(lowercase_name) is not None for pattern in self.patterns)


def parse_header_patterns(items: Iterable[object]) -> tuple[HeaderMatcher, list[tuple[object, str]]]:
    """Compile ``allow_headers`` items; returns the matcher and ``(item, message)`` per bad item."""
    allow_any = False
    names: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    errors: list[tuple[object, str]] = []
    for item in items:
        if isinstance(item, re.Pattern):
            # Header names are case-insensitive (RFC 9110): the pattern must be too.
            patterns.append(re.compile(item.pattern, item.flags | re.IGNORECASE))
            continue
        if not isinstance(item, str):
            errors.append((item, "is not a header name; use strings or re.compile(...) patterns"))
            continue
        if item == "*":
            allow_any = True
            continue
        if _PLAIN_NAME_RE.fullmatch(item):
            reason = forbidden_request_header_reason(item)
            if reason:
                errors.append((item, reason))
            else:
                names.add(item.lower())
            continue
        if _GLOB_HEADER_RE.fullmatch(item):
            errors.append(
                (
                    item,
                    "looks like a glob, but header patterns are regular expressions; did you "
                    f"mean {item.replace('*', '.*')!r}?",
                )
            )
            continue
        if any(char in _HEADER_REGEX_CHARS for char in item):
            try:
                patterns.append(re.compile(item, re.IGNORECASE))
            except re.error as exc:
                errors.append((item, f"is not a valid regular expression ({exc})"))
            continue
        errors.append((item, "is not a valid header name (RFC 9110 token), e.g. 'X-Requested-With'"))
    return HeaderMatcher(allow_any, frozenset(names), tuple(patterns)), errors


def parse_request_headers(value: str) -> list[str] | None:
    """Parse ``Access-Control-Request-Headers`` into lowercase names, or None if it is malformed.

    Browsers send ``a,b,c`` (lowercase, sorted, no spaces); proxies may add spaces or join several
    header lines with ``, ``. Empty list elements are ignored (RFC 9110 section 5.6.1) but a value with
    no name at all, a non-token name or a value over :data:`MAX_ACRH_LENGTH` is malformed.
    """
    if len(value) > MAX_ACRH_LENGTH or value.count(",") > MAX_ACRH_ELEMENTS:
        return None
    names = []
    for item in value.lower().split(","):
        name = item.strip(" \t")
        if not name:
            continue
        if TOKEN_RE.fullmatch(name) is None:
            return None
        names.append(name)
    return names or None


def _name(header: object) -> str:
    """A header's name lower-cased, or ``""`` for an item that is not a ``(str, str)`` pair (an
    application's bug, passed on to the server untouched)."""
    if isinstance(header, tuple) and len(header) == 2 and isinstance(header[0], str):
        return header[0].lower()
    return ""


def merge_vary(headers: Sequence[Any], names: Sequence[str]) -> list[Any] | None:
    """Return a new header list with ``names`` merged into ``Vary``, or None if nothing changes.

    The application's own ``Vary`` lines are folded into one; ``Vary: *`` is left alone; a name is
    never repeated (case-insensitive).
    """
    vary_indexes = [i for i, header in enumerate(headers) if _name(header) == "vary"]
    if not vary_indexes:
        return [*headers, ("Vary", ", ".join(names))]
    present = []
    for i in vary_indexes:
        value = headers[i][1]
        present.extend(split_list(value) if isinstance(value, str) else [])
    lowered = {item.lower() for item in present}
    if "*" in lowered:
        return None
    missing = [name for name in names if name.lower() not in lowered]
    if not missing and len(vary_indexes) == 1:
        return None
    merged = ", ".join(present + missing)
    first = vary_indexes[0]
    result: list[Any] = []
    for i, header in enumerate(headers):
        if i == first:
            result.append((header[0], merged))
        elif i not in vary_indexes:
            result.append(header)
    return result


_COMMON_RESPONSE_HEADERS: Final = (
    "Accept-Ranges", "Age", "Allow", "Cache-Control", "Connection", "Content-Disposition", "Content-Encoding",
    "Content-Language", "Content-Length", "Content-Location", "Content-Range", "Content-Security-Policy",
    "Content-Type", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy", "Date", "ETag", "Expires",
    "Keep-Alive", "Last-Modified", "Link", "Location", "Permissions-Policy", "Pragma", "Referrer-Policy",
    "Retry-After", "Server", "Set-Cookie", "Strict-Transport-Security", "Transfer-Encoding", "WWW-Authenticate",
    "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id", "X-XSS-Protection", "Etag", "Content-type",
)  # fmt: skip
ORDINARY_RESPONSE_HEADERS: Final = frozenset(
    spelling for name in _COMMON_RESPONSE_HEADERS for spelling in (name, name.lower(), name.upper())
)
"""Header names, as applications commonly spell them, that are neither ``Vary`` nor ``Access-Control-*``:
a set lookup lets the middleware skip lower-casing every name of nearly every response."""


def add_cors_headers(app_headers: list[Any], extra: Sequence[Header], vary: str) -> list[Any]:
    """The header list to hand the server: the application's, plus ``extra``, with ``vary`` merged.

    Always a new list (the application may reuse its own list for every response), except when the
    application set ``Access-Control-Allow-Origin`` itself: then its CORS headers win and its list is
    passed on untouched, so exactly one ACAO ever leaves the middleware. Likewise an application's own
    ``Access-Control-Allow-Credentials`` is never doubled (browsers would read ``true, true`` and fail),
    and when the rule does not support credentials but allows the origin, the application's ACAC is
    dropped: next to the middleware's ACAO it would grant credentialed access the configuration refused
    (with ``origins="*"``, to every website).
    """
    app_vary = app_credentials = False
    for header in app_headers:
        lowered = _name(header)
        if lowered == "access-control-allow-origin":
            return app_headers
        if lowered == "vary":
            app_vary = True
        elif lowered == "access-control-allow-credentials":
            app_credentials = True
    result = list(app_headers)
    if app_vary and vary:
        merged = merge_vary(app_headers, split_list(vary))
        if merged is not None:
            result = merged
    if app_credentials:
        if any(header[0] == "Access-Control-Allow-Credentials" for header in extra):
            extra = [header for header in extra if header[0] != "Access-Control-Allow-Credentials"]
        elif extra:  # the origin is allowed (extra holds ACAO), without credentials
            result = [header for header in result if _name(header) != "access-control-allow-credentials"]
    result.extend(extra)
    if vary and not app_vary:  # where the common case puts it too: after the CORS headers
        result.append(("Vary", vary))
    return result


def with_cors_headers(app_headers: list[Any], extra: Sequence[Header], vary: str, appended: list[Header]) -> list[Any]:
    """:func:`add_cors_headers`, with the common case first: when every name the application sent is an
    ordinary one (:data:`ORDINARY_RESPONSE_HEADERS`), ``appended`` (``extra`` and ``Vary``) goes at the end."""
    for header in app_headers:
        name = header[0] if type(header) is tuple and len(header) == 2 else None
        if type(name) is not str or name not in ORDINARY_RESPONSE_HEADERS:
            return add_cors_headers(app_headers, extra, vary)
    return app_headers + appended
