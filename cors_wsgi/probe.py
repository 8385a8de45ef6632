"""``python -m cors_wsgi probe``: what a browser would do with one cross-origin request to a live server.

A blocked CORS request shows the page only ``TypeError: Failed to fetch``; the reason is in the browser's
console, and the fix is on the server. ``probe`` plays the browser against the real server (any server,
not only cors_wsgi): it decides whether the request needs a preflight, sends it, applies the browser's
checks to the answer, sends the actual request, checks that too, and prints one verdict per step with
the reason, the fix in cors_wsgi's option names, and the error Chromium would report::

    python -m cors_wsgi probe https://api.example.com/items --origin https://app.example.com \\
        --method PUT --header "Content-Type: application/json" --credentials

Exit status: 0 when the browser would let the page read the response, 1 when it would not (also when
an ``--expose-check`` header is unreadable, and when ``probe`` cannot show that it would: an actual
request that redirects is reported, not followed), 2 for a usage or network error.

The browser's rules are the WHATWG Fetch standard's ("CORS-safelisted request-header", "CORS check",
"CORS-preflight fetch"), implemented here as pure functions -- :func:`needs_preflight`,
:func:`check_preflight`, :func:`check_response`, :func:`readable_headers` -- separate from the network
code and independent of the middleware's own logic, so that tests can hold one against the other. Where
browsers differ, ``probe`` applies the strictest rule, so that "allowed" holds in all of them: it
refuses ``Access-Control-Allow-Headers: *`` as cover for ``Authorization`` (the standard, enforced by
Firefox and Safari; Chromium lets it through, and the verdict says so), and it expects a preflight for
``Range: BYTES=0-1`` (Chromium 156 preflights it; Chromium 150 and the standard do not).

What ``probe`` is not: it sends no cookies (``--credentials`` only changes which checks apply, as the
request's credentials mode does), it follows no redirects, and it knows nothing of a browser's preflight
cache. When a preflight is refused without any ``Access-Control-*`` header -- which is how cors_wsgi
refuses, so as not to disclose its policy -- ``probe`` sends a few extra preflights (a bare one, then
the method alone, then each header alone) to tell which part was refused; ``--no-diagnose`` turns that
off. It does so only when the answer can be a CORS layer's refusal. A redirect, a 401 or 407, or an error
status without any trace of a CORS layer (no ``Access-Control-*`` header, no ``Vary`` naming ``Origin``)
means the preflight never reached one: usually an authentication layer runs in front of it and refuses
every preflight, since preflights carry no credentials. ``probe`` then says so rather than blame the
origin, whose extra preflights would be refused just the same.

Two things no CORS header shows are reported too. An ``X-CORS-Debug`` header (cors_wsgi's ``debug=True``:
which rule, or which origin function, decided) is shown as "the server says". And when the URL is on a
more private address than the page (loopback or a private network), the note says that current Chrome
and Firefox ask the user for a local-network permission (Local Network Access, which replaced Private
Network Access preflights): a request blocked there is not a CORS failure, and nothing on the server
fixes it.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import re
import socket
import ssl
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Callable, Union
from urllib.parse import urljoin, urlsplit

from .fetch import (
    ACAC,
    ACAH,
    ACAM,
    ACAO,
    ACAPN,
    ACEH,
    ACMA,
    ACRPN,
    DEFAULT_MAX_AGE,
    FORBIDDEN_METHODS,
    FORBIDDEN_RESPONSE_HEADERS,
    MAX_AGE_CAPS,
    MAX_SAFELISTED_TOTAL,
    MAX_SAFELISTED_VALUE,
    METHOD_OVERRIDE_HEADERS,
    NORMALISED_METHODS,
    SAFELISTED_CONTENT_TYPES,
    SAFELISTED_METHODS,
    SAFELISTED_REQUEST_HEADERS,
    SAFELISTED_RESPONSE_HEADERS,
    is_forbidden_request_header,
    is_token,
)
from .origins import ORIGIN_RE, suggest_origin
from .policy import DEBUG_HEADER  # debug=True's account of a decision, shown as "the server says"

Header = tuple[str, str]
HeadersLike = Union[Mapping[str, str], Iterable[Header]]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
"""The statuses a browser follows as a redirect (with a ``Location``); any of them fails a preflight."""
MAX_DEBUG_SHOWN = 200

# Fetch, "CORS-unsafe request-header byte".
_UNSAFE_BYTE_RE = re.compile(r'[\x00-\x08\x0a-\x1f"():<>?@\[\\\]{}\x7f]')
_LANGUAGE_VALUE_RE = re.compile(r"[0-9A-Za-z *,\-.;=]*")
# Fetch, "parse a single range header value" (no whitespace allowed), for the Range safelist. Fetch
# accepts "BYTES=" too; Chromium 156 preflights it (150 does not): expecting the preflight is the rule
# that holds in both.
_RANGE_RE = re.compile(r"bytes=([0-9]*)-([0-9]*)")
_URL_LIKE_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:.+")

# What Chromium prints in the console, after "Access to fetch at '<url>' from origin '<origin>' has been
# blocked by CORS policy: ". Checked against Chromium 150 and 156 (tests/browser/test_probe_agrees.py).
_PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "
_VALID_VALUE = " Have the server send the header with a valid value."
_CONSOLE = {
    "MissingAllowOriginHeader": "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
    "WildcardOriginNotAllowed": (
        "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' "
        "when the request's credentials mode is 'include'."
    ),
    "AllowOriginMismatch": (
        "The 'Access-Control-Allow-Origin' header has a value '{}' that is not equal to the supplied origin."
        + _VALID_VALUE
    ),
    "MultipleAllowOriginValues": (
        "The 'Access-Control-Allow-Origin' header contains multiple values '{}', but only one is allowed."
        + _VALID_VALUE
    ),
    "InvalidAllowOriginValue": "The 'Access-Control-Allow-Origin' header contains the invalid value '{}'."
    + _VALID_VALUE,
    "InvalidAllowCredentials": (
        "The value of the 'Access-Control-Allow-Credentials' header in the response is '{}' which must be 'true' "
        "when the request's credentials mode is 'include'."
    ),
    "PreflightInvalidStatus": _PREFLIGHT_PREFIX + "It does not have HTTP ok status.",
    "PreflightDisallowedRedirect": _PREFLIGHT_PREFIX + "Redirect is not allowed for a preflight request.",
    "InvalidAllowMethodsPreflightResponse": (
        "Cannot parse Access-Control-Allow-Methods response header field in preflight response."
    ),
    "InvalidAllowHeadersPreflightResponse": (
        "Cannot parse Access-Control-Allow-Headers response header field in preflight response."
    ),
    "MethodDisallowedByPreflightResponse": (
        "Method {} is not allowed by Access-Control-Allow-Methods in preflight response."
    ),
    "HeaderDisallowedByPreflightResponse": (
        "Request header field {} is not allowed by Access-Control-Allow-Headers in preflight response."
    ),
}


class ProbeError(Exception):
    """A usage or network error: ``probe`` could not ask the question, so it has no verdict (exit 2)."""


@dataclass(frozen=True)
class Verdict:
    """The browser's judgement of one step (``preflight``, ``actual``, ``expose``...)."""

    step: str
    ok: bool
    reason: str
    """What happened, in one sentence."""
    fix: str = ""
    """What to change (in cors_wsgi option names), when the step failed."""
    browser_error: str | None = None
    """The error class Chromium reports (DevTools ``corsErrorStatus.corsError``), e.g.
    ``PreflightMissingAllowOriginHeader``; None when the browser reports no CORS error."""
    console: str | None = None
    """What Chromium prints in the page's console for this failure."""
    status: int | None = None
    headers: tuple[Header, ...] = ()
    """The response headers the verdict is based on (``Access-Control-*``, ``Vary``, ``Location``)."""
    sent: bool = True
    """False when no request was sent for this step (a preflight not needed, an actual request the
    browser would not send after a failed preflight)."""
    request: str = ""
    """The request line sent, e.g. ``OPTIONS /api/items``."""
    notes: tuple[str, ...] = ()
    server_says: str = ""
    """The response's ``X-CORS-Debug`` header (cors_wsgi's ``debug=True``), clipped: the server's own account
    of its decision, e.g. ``origin allowed by is_tenant_origin()``, which no CORS header can tell."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "ok": self.ok,
            "sent": self.sent,
            "request": self.request or None,
            "status": self.status,
            "reason": self.reason,
            "fix": self.fix or None,
            "browser_error": self.browser_error,
            "console": self.console,
            "headers": [list(header) for header in self.headers],
            "notes": list(self.notes),
            "server_says": self.server_says or None,
        }


@dataclass(frozen=True)
class Response:
    """An HTTP response as the probe received it: header lines in order, duplicates kept."""

    status: int
    reason: str = ""
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True)
class ProbeRequest:
    """The request a page would make: ``fetch(url, {method, headers, credentials})`` from ``origin``."""

    url: str
    origin: str
    method: str = "GET"
    headers: tuple[Header, ...] = ()
    credentials: bool = False
    expose_checks: tuple[str, ...] = ()
    diagnose: bool = True


@dataclass(frozen=True)
class Report:
    """Every step of one probe and the overall verdict: ``allowed``, ``blocked``, ``redirected`` (not
    followed, so not shown to be allowed) or ``not exposed`` (allowed, but an ``--expose-check`` failed)."""

    request: ProbeRequest
    steps: tuple[Verdict, ...]
    verdict: str
    preflight_reason: str = ""
    preflight_request_headers: tuple[Header, ...] = ()
    notes: tuple[str, ...] = ()
    """What applies to the whole request rather than to one response (a browser's Local Network Access
    prompt, which no response can change)."""

    @property
    def exit_status(self) -> int:
        return 0 if self.verdict == "allowed" else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.request.url,
            "origin": self.request.origin,
            "method": self.request.method,
            "credentials": self.request.credentials,
            "request_headers": [list(header) for header in self.request.headers],
            "preflight_required": any(step.step == "preflight" and step.sent for step in self.steps),
            "preflight_reason": self.preflight_reason,
            "preflight_request_headers": [list(header) for header in self.preflight_request_headers],
            "steps": [step.to_dict() for step in self.steps],
            "notes": list(self.notes),
            "verdict": self.verdict,
            "exit_status": self.exit_status,
        }


# --- the page's side: what the request looks like -----------------------------------------------------


def normalise_method(method: str) -> str:
    """The method as the browser sends it (Fetch, "normalize a method")."""
    upper = method.upper()
    return upper if upper in NORMALISED_METHODS else method


def method_problem(method: str) -> str | None:
    """Why ``fetch()`` would throw for this method, or None."""
    if not is_token(method):
        return f"{method!r} is not an HTTP method name"
    if method.upper() in FORBIDDEN_METHODS:
        return f"browsers never send {method.upper()} (a forbidden method: fetch() throws)"
    return None


def request_header_problem(name: str, value: str) -> str | None:
    """Why a page could not send this header, or None."""
    if not is_token(name):
        return f"{name!r} is not a header name"
    if any(char in value for char in "\r\n\x00"):
        return f"the value of {name} contains CR, LF or NUL"
    lowered = name.lower()
    forbidden = is_forbidden_request_header(name)
    if lowered in METHOD_OVERRIDE_HEADERS:
        forbidden = any(item.strip().upper() in FORBIDDEN_METHODS for item in value.split(","))
    if forbidden:
        extra = (
            " (cookies are sent with --credentials in a browser; probe itself sends none)"
            if "cookie" in lowered
            else ""
        )
        return f"browsers never let a page set {name} (a forbidden request header){extra}"
    return None


def safelist_problem(name: str, value: str) -> str | None:
    """None if ``name: value`` is a CORS-safelisted request-header (Fetch); otherwise why it is not."""
    lowered = name.lower()
    if lowered not in SAFELISTED_REQUEST_HEADERS:
        return f"request header {lowered!r} is not CORS-safelisted"
    if len(value.encode("latin-1", "replace")) > MAX_SAFELISTED_VALUE:
        return f"the {lowered} value is longer than {MAX_SAFELISTED_VALUE} bytes"
    if lowered in ("accept-language", "content-language"):
        if _LANGUAGE_VALUE_RE.fullmatch(value) is None:
            return f"the {lowered} value {value!r} has characters outside the safelist"
        return None
    if lowered == "range":
        match = _RANGE_RE.fullmatch(value)
        if match is None or not match.group(1):
            return f"Range {value!r} is not a single 'bytes=start-[end]' range"
        if match.group(2) and int(match.group(1)) > int(match.group(2)):
            return f"Range {value!r} ends before it starts"
        return None
    if _UNSAFE_BYTE_RE.search(value) is not None:
        return f"the {lowered} value {value!r} contains a CORS-unsafe byte"
    if lowered == "content-type":
        essence = _mime_essence(value)
        if essence not in SAFELISTED_CONTENT_TYPES:
            return (
                f"Content-Type {value!r} is not one of application/x-www-form-urlencoded, multipart/form-data, "
                "text/plain"
            )
    return None


def _mime_essence(value: str) -> str | None:
    """Fetch, "parse a MIME type", as far as its essence (type/subtype, lowercased)."""
    text = value.strip(" \t\r\n")
    kind, slash, rest = text.partition("/")
    subtype = rest.split(";", 1)[0].rstrip(" \t\r\n")
    if not slash or not is_token(kind) or not is_token(subtype):
        return None
    return f"{kind}/{subtype}".lower()


def unsafe_header_names(headers: HeadersLike) -> dict[str, str]:
    """Fetch, "CORS-unsafe request-header names": lowercase name -> why it is unsafe, sorted by name.

    These are the names the browser puts in ``Access-Control-Request-Headers`` (joined by ``,``).
    """
    unsafe: dict[str, str] = {}
    safe: list[str] = []
    total = 0
    for name, value in _pairs(headers):
        problem = safelist_problem(name, value)
        if problem is None:
            safe.append(name.lower())
            total += len(value)
        else:
            unsafe.setdefault(name.lower(), problem)
    if total > MAX_SAFELISTED_TOTAL:
        reason = f"the safelisted header values add up to more than {MAX_SAFELISTED_TOTAL} bytes"
        for name in safe:
            unsafe.setdefault(name, reason)
    return dict(sorted(unsafe.items()))


def needs_preflight(method: str, headers: HeadersLike = (), credentials: bool = False) -> tuple[bool, str]:
    """Whether ``fetch()`` sends a preflight first, and why (Fetch, "main fetch", step "CORS-preflight").

    ``credentials`` does not change the answer (cookies never trigger a preflight); it is accepted so
    the call reads like the request it describes. ``method`` is as the browser sends it.
    """
    del credentials
    reasons = []
    if method not in SAFELISTED_METHODS:
        reasons.append(f"method {method!r} is not CORS-safelisted (only GET, HEAD, POST are)")
    reasons.extend(unsafe_header_names(headers).values())
    if reasons:
        return True, "; ".join(reasons)
    return False, f"{method} with only CORS-safelisted headers is a simple request"


def preflight_request_headers(origin: str, method: str, headers: HeadersLike) -> list[Header]:
    """The headers of the preflight the browser sends for this request (no cookies, no Authorization)."""
    sent = [("Origin", origin), ("Access-Control-Request-Method", method)]
    unsafe = unsafe_header_names(headers)
    if unsafe:
        sent.append(("Access-Control-Request-Headers", ",".join(unsafe)))
    sent.append(("Accept", "*/*"))
    return sent


# --- the browser's checks on a response ---------------------------------------------------------------


def _pairs(headers: HeadersLike) -> list[Header]:
    if isinstance(headers, Mapping):
        return [(str(name), str(value)) for name, value in headers.items()]
    return [(name, value) for name, value in headers]


def _get(headers: Sequence[Header], name: str) -> str | None:
    """Fetch, "get": every line of the header combined with ``, ``; None when absent."""
    lowered = name.lower()
    values = [value.strip(" \t") for key, value in headers if key.lower() == lowered]
    return ", ".join(values) if values else None


def _relevant(headers: Sequence[Header]) -> tuple[Header, ...]:
    return tuple(
        (name, value)
        for name, value in headers
        if name.lower().startswith("access-control-") or name.lower() in ("vary", "location", "x-cors-debug")
    )


def _console(url: str, origin: str, error: str, parameter: str = "") -> str:
    """Chromium's console message for ``error`` (a preflight variant adds the preflight prefix)."""
    if error in _CONSOLE:
        detail = _CONSOLE[error].format(parameter)
    else:
        detail = _PREFLIGHT_PREFIX + _CONSOLE[error.removeprefix("Preflight")].format(parameter)
    return f"Access to fetch at '{url}' from origin '{origin}' has been blocked by CORS policy: {detail}"


@dataclass(frozen=True)
class _Failure:
    error: str
    parameter: str
    reason: str
    fix: str


def cors_check(headers: HeadersLike, origin: str, credentials: bool) -> _Failure | None:
    """Fetch, "CORS check", with Chromium's error classes: None on success."""
    pairs = _pairs(headers)
    allow_origin = _get(pairs, ACAO)
    add_origin = f"add {origin!r} to origins"
    if allow_origin is None:
        return _Failure("MissingAllowOriginHeader", "", "no Access-Control-Allow-Origin header", add_origin)
    if allow_origin == "*":
        if credentials:
            return _Failure(
                "WildcardOriginNotAllowed",
                "",
                "Access-Control-Allow-Origin is '*', which browsers refuse on a credentialed request",
                f"list {origin!r} in origins (not '*') and set supports_credentials=True, so the server echoes the "
                "origin; or make the request without credentials",
            )
    elif allow_origin != origin:
        if any(char in allow_origin for char in " ,"):
            return _Failure(
                "MultipleAllowOriginValues",
                allow_origin,
                f"Access-Control-Allow-Origin has several values ({allow_origin!r}); browsers accept exactly one",
                "make only one layer add CORS headers (the application, a proxy or the middleware, not two of "
                "them); cors_wsgi adds nothing when the application sets Access-Control-Allow-Origin itself",
            )
        if allow_origin != "null" and _URL_LIKE_RE.fullmatch(allow_origin) is None:
            return _Failure(
                "InvalidAllowOriginValue",
                allow_origin,
                f"Access-Control-Allow-Origin {allow_origin!r} is not an origin",
                f"send exactly {origin!r}; {add_origin}",
            )
        near = allow_origin.lower().rstrip("/") == origin
        return _Failure(
            "AllowOriginMismatch",
            allow_origin,
            f"Access-Control-Allow-Origin is {allow_origin!r}, not the page's origin {origin!r}"
            + (" (browsers compare byte for byte: case and trailing slash count)" if near else ""),
            f"send exactly {origin!r}; {add_origin}",
        )
    if credentials:
        allow_credentials = _get(pairs, ACAC)
        if allow_credentials != "true":
            shown = allow_credentials or ""
            reason = (
                "no Access-Control-Allow-Credentials header on a credentialed request"
                if allow_credentials is None
                else f"Access-Control-Allow-Credentials is {shown!r}; it must be exactly 'true'"
            )
            return _Failure("InvalidAllowCredentials", shown, reason, "set supports_credentials=True")
    return None


def _parse_list(value: str | None) -> list[str] | None:
    """Fetch, "extract header list values" for ``#token``: empty elements ignored, None if malformed."""
    if value is None:
        return []
    items = [item.strip(" \t") for item in value.split(",")]
    if any(item and not is_token(item) for item in items):
        return None
    return [item for item in items if item]


def check_preflight(
    response_status: int,
    response_headers: HeadersLike,
    origin: str,
    method: str,
    headers: HeadersLike = (),
    credentials: bool = False,
    *,
    url: str = "",
) -> Verdict:
    """The browser's judgement of a preflight response (Fetch, "CORS-preflight fetch").

    ``method`` and ``headers`` are the actual request's (method as sent, headers as the page set them);
    ``credentials`` is its credentials mode ``include``. Checks, in Chromium's order: no redirect; the
    CORS check (``Access-Control-Allow-Origin``, ``-Allow-Credentials``); an ok (2xx) status; the method in
    ``Access-Control-Allow-Methods``; each CORS-unsafe request header in ``Access-Control-Allow-Headers``.
    The error class is always the one Chromium reports; the reason says who answered when it was not a
    CORS layer (a redirect, an authentication layer, the application), since the fix is then elsewhere.
    """
    pairs = _pairs(response_headers)
    shown = _relevant(pairs)
    said = _server_says(pairs)
    legacy = (_ACAPN_NOTE,) if _get(pairs, ACAPN) is not None else ()

    def fail(error: str, parameter: str, reason: str, fix: str) -> Verdict:
        console = _console(url, origin, error, parameter)
        return Verdict(
            "preflight",
            False,
            reason,
            fix,
            error,
            console,
            response_status,
            shown,
            notes=legacy,
            server_says=said,
        )

    location = _get(pairs, "Location")
    if response_status in REDIRECT_STATUSES and location is not None:
        return fail("PreflightDisallowedRedirect", "", *_redirect_failure(response_status, location, url))
    failure = cors_check(pairs, origin, credentials)
    if failure is not None:
        reason = failure.reason
        fix = failure.fix
        if failure.error == "MissingAllowOriginHeader":
            reason, fix = _explain_missing_preflight_acao(response_status, pairs, origin, method, headers)
        return fail("Preflight" + failure.error, failure.parameter, reason, fix)
    if not 200 <= response_status <= 299:
        reason = f"the preflight got status {response_status}; a preflight must succeed with a 2xx status"
        if response_status in (401, 407):
            reason += f": it reached {_authenticator(response_status)} after the CORS layer, and {_NO_CREDENTIALS}"
        return fail("PreflightInvalidStatus", "", reason, _status_fix(response_status))
    methods = _parse_list(_get(pairs, ACAM))
    if methods is None:
        return fail(
            "InvalidAllowMethodsPreflightResponse",
            "",
            f"Access-Control-Allow-Methods {_get(pairs, ACAM)!r} is not a comma-separated list of method names",
            "send method names separated by commas (cors_wsgi does)",
        )
    allowed_headers = _parse_list(_get(pairs, ACAH))
    if allowed_headers is None:
        return fail(
            "InvalidAllowHeadersPreflightResponse",
            "",
            f"Access-Control-Allow-Headers {_get(pairs, ACAH)!r} is not a comma-separated list of header names",
            "send header names separated by commas (cors_wsgi does)",
        )
    wildcard = not credentials  # '*' is a wildcard only for requests without credentials
    if method not in methods and method not in SAFELISTED_METHODS and not (wildcard and "*" in methods):
        return fail("MethodDisallowedByPreflightResponse", method, *_method_failure(method, methods, credentials))
    lowered = {name.lower() for name in allowed_headers}
    unsafe = list(unsafe_header_names(headers))
    for name in unsafe:
        # Fetch: '*' never covers Authorization (a "CORS non-wildcard request-header name").
        if name not in lowered and not (wildcard and "*" in lowered and name != "authorization"):
            return fail(
                "HeaderDisallowedByPreflightResponse", name, *_header_failure(name, allowed_headers, credentials)
            )

    max_age = _get(pairs, ACMA)
    seconds = int(max_age) if max_age is not None and max_age.isascii() and max_age.isdigit() else None
    if seconds is None:
        note = f"no valid Access-Control-Max-Age: browsers cache this preflight for {DEFAULT_MAX_AGE} s"
    else:
        note = (
            f"browsers may cache this preflight for {seconds} s (Chromium caps at {MAX_AGE_CAPS['Chromium']} s, "
            f"Firefox at {MAX_AGE_CAPS['Firefox']} s, Safari at {MAX_AGE_CAPS['WebKit']} s)"
        )
    what = [f"origin {origin!r}", f"method {method!r}"]
    if unsafe:
        what.append(f"header{'s' if len(unsafe) > 1 else ''} {', '.join(unsafe)}")
    return Verdict(
        "preflight",
        True,
        f"{', '.join(what)} allowed",
        status=response_status,
        headers=shown,
        notes=(note, *legacy),
        server_says=said,
    )


_NO_CREDENTIALS = "preflights carry no credentials (no cookies, no Authorization), so authentication refuses them"
_AUTH_FIX = (
    "put the CORS layer outside (before) authentication, so that it answers preflights itself (cors_wsgi: "
    "outermost, with automatic_options=True); never require credentials on a preflight"
)
_PNA_LEGACY = (
    f"current Chrome and Firefox no longer send Private Network Access preflights ({ACRPN}); they ask the user "
    "for a local-network permission instead (Local Network Access), which no response header grants"
)
_LNA_NOT_CORS = (
    "a request blocked by the browser's local-network permission prompt is not a CORS failure: nothing on the "
    "server fixes it; the user grants it"
)
_ACAPN_NOTE = f"the server sent {ACAPN} (legacy): {_PNA_LEGACY}; {_LNA_NOT_CORS}"


def _authenticator(status: int) -> str:
    return "a proxy that requires authentication" if status == 407 else "the application or an authentication layer"


def _cors_traces(pairs: Sequence[Header]) -> bool:
    """Whether a CORS layer left its mark on a response: an ``Access-Control-*`` header, or a ``Vary`` that
    names ``Origin`` or an ``Access-Control-Request-*`` header (cors_wsgi's refusal carries only that)."""
    if any(name.lower().startswith("access-control-") for name, _ in pairs):
        return True
    vary = {item.strip().lower() for item in (_get(pairs, "Vary") or "").split(",")}
    return "origin" in vary or any(item.startswith("access-control-request-") for item in vary)


def may_be_cors_refusal(status: int, headers: HeadersLike) -> bool:
    """Whether a preflight answered without ``Access-Control-Allow-Origin`` can be a CORS layer's refusal.

    Not a redirect (CORS layers answer, they do not redirect), not a 401 or 407 (a preflight has no
    credentials to check: only an authentication layer in front of the CORS layer answers so), and not an
    error status without any trace of a CORS layer. In those cases the preflight never reached the CORS
    policy, so probing the policy with extra preflights would only blame the origin for it. A 2xx without
    traces may be one (flask-cors refuses with the application's own 200).
    """
    if 300 <= status <= 399 or status in (401, 407):
        return False
    return status < 400 or _cors_traces(_pairs(headers))


def _redirect_failure(status: int, location: str, url: str) -> tuple[str, str]:
    """Reason and fix for a redirected preflight: the page fixes a move of the same resource (a trailing
    slash, http->https); anything else, such as a login page, is fixed by answering OPTIONS first."""
    reason = (
        f"the preflight was redirected ({status} to {location}): browsers fail a redirected preflight (they never "
        "follow it); whatever redirected answered before a CORS layer could"
    )
    here = urlsplit(url)
    there = urlsplit(urljoin(url, location))
    if url and there.path.rstrip("/") == here.path.rstrip("/") and there.query == here.query:
        fix = (
            f"request the final URL ({there.geturl()}) directly (a missing or extra trailing slash and "
            "http->https redirects are the usual causes)"
        )
    else:
        fix = (
            "answer OPTIONS before the redirect: put the CORS layer in front of whatever redirects (cors_wsgi "
            "outermost, with automatic_options=True); a login redirect comes from authentication, which no "
            "preflight passes since preflights carry no credentials. If the move is permanent, request the final "
            "URL directly"
        )
    return reason, fix


def _not_from_a_cors_layer(status: int) -> tuple[str, str]:
    """Reason and fix for a preflight that something other than a CORS layer answered."""
    if 300 <= status <= 399:
        return (
            f"the preflight got status {status} (a redirect status) and no Access-Control-Allow-Origin: it did not "
            "reach a CORS layer, and browsers fail a preflight that does not succeed with 2xx",
            "answer OPTIONS before the redirect: put the CORS layer in front (cors_wsgi outermost, "
            "automatic_options=True)",
        )
    if status == 407:
        return (
            f"your preflight reached {_authenticator(status)} (407), not a CORS layer: {_NO_CREDENTIALS}",
            "let OPTIONS requests through the proxy without authentication, or answer preflights in front of it",
        )
    if status == 401:
        return (
            f"your preflight reached {_authenticator(status)} (401), not a CORS layer: {_NO_CREDENTIALS}",
            _AUTH_FIX,
        )
    if status == 403:
        return (
            f"your preflight reached {_authenticator(status)} (403), not a CORS layer (a CORS layer's refusal "
            f"carries an Access-Control-* header or a Vary naming Origin; this has neither): {_NO_CREDENTIALS}, "
            "and so do CSRF checks and IP filters",
            _AUTH_FIX,
        )
    if status in (404, 405, 501):
        return (
            f"your preflight reached the application ({status}), not a CORS layer (no Access-Control-* header, no "
            "Vary naming Origin): the application has no OPTIONS answer for this path",
            "put the CORS middleware in front of the application so that it answers preflights (cors_wsgi: "
            "automatic_options=True, and resources must cover this path)",
        )
    return (
        f"your preflight reached the application or a proxy ({status}), not a CORS layer (no Access-Control-* "
        "header, no Vary naming Origin)",
        "put the CORS middleware in front so that it answers preflights before anything else runs (cors_wsgi: "
        "outermost, automatic_options=True, and resources must cover this path)",
    )


def _explain_missing_preflight_acao(
    status: int, pairs: Sequence[Header], origin: str, method: str, headers: HeadersLike
) -> tuple[str, str]:
    if not may_be_cors_refusal(status, pairs):
        return _not_from_a_cors_layer(status)
    unsafe = list(unsafe_header_names(headers))
    parts = [f"origin {origin!r}"]
    if method not in SAFELISTED_METHODS or unsafe:
        parts.append(f"method {method!r}")
    if unsafe:
        parts.append("headers " + ", ".join(unsafe))
    if any(name.lower().startswith("access-control-") for name, _ in pairs):
        reason = "the preflight response has Access-Control-* headers but no Access-Control-Allow-Origin"
        fix = f"send Access-Control-Allow-Origin: {origin} on preflights too (cors_wsgi: add {origin!r} to origins)"
    elif _cors_traces(pairs):
        reason = (
            f"the preflight was refused (status {status}, no Access-Control-Allow-Origin): the server's CORS policy "
            f"does not allow one of: {'; '.join(parts)} (cors_wsgi refuses without saying which)"
        )
        fix = _allow_all_fix(origin, method, unsafe) + " (without --no-diagnose, probe finds out which)"
    else:
        reason = (
            f"the preflight got status {status} with no CORS headers at all: no CORS layer answered it"
            " (the application did)"
        )
        fix = (
            "put the CORS middleware in front of the application and make sure resources covers this path; "
            "then " + _allow_all_fix(origin, method, unsafe)
        )
    return reason, fix


def _allow_all_fix(origin: str, method: str, unsafe: Sequence[str]) -> str:
    fixes = [f"origins allows {origin!r}"]
    if method not in SAFELISTED_METHODS or unsafe:
        fixes.append(f"methods has {method!r}")
    if unsafe:
        fixes.append("allow_headers has " + ", ".join(repr(_display_name(name)) for name in unsafe))
    return "make sure " + (", ".join(fixes[:-1]) + " and " if len(fixes) > 1 else "") + fixes[-1]


def _display_name(name: str) -> str:
    """``x-foo`` -> ``X-Foo``, the usual way to write a header name in a configuration."""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _server_says(pairs: Sequence[Header]) -> str:
    """The ``X-CORS-Debug`` value, shown as is when it is printable ASCII (cors_wsgi's always is), escaped
    otherwise (any server can send it, and a terminal must not interpret it), and at most 200 characters."""
    value = _get(pairs, DEBUG_HEADER)
    if not value:
        return ""
    if not (value.isascii() and value.isprintable()):
        value = ascii(value)
    return value if len(value) <= MAX_DEBUG_SHOWN else value[: MAX_DEBUG_SHOWN - 3] + "..."


def _status_fix(status: int) -> str:
    if status in (401, 403):
        return (
            "answer the preflight before authentication runs (preflights never carry cookies or Authorization); "
            "with cors_wsgi outermost and automatic_options=True it is answered before the application"
        )
    if status == 407:
        return "let OPTIONS requests through the proxy without authentication (preflights carry no credentials)"
    if status in (404, 405, 501):
        return (
            "the application answered OPTIONS itself: let the CORS middleware answer preflights "
            "(cors_wsgi: automatic_options=True, and resources must cover this path)"
        )
    return "answer the preflight with 204 (cors_wsgi does, with automatic_options=True)"


def _method_failure(method: str, methods: Sequence[str], credentials: bool) -> tuple[str, str]:
    listed = ", ".join(methods) if methods else "nothing"
    reason = f"method {method!r} is not in Access-Control-Allow-Methods ({listed})"
    fix = f"add {method!r} to methods"
    if method.upper() != method:
        reason += (
            "; the page asked for it in lower case, and browsers upper-case only DELETE, GET, HEAD, OPTIONS, POST, PUT"
        )
        fix = (
            f"write it in upper case in the page (method: {method.upper()!r}), and allow {method.upper()!r} in methods"
        )
    elif any(item.upper() == method for item in methods):
        reason += " (methods are compared case-sensitively)"
        fix = f"send {method!r} in upper case in Access-Control-Allow-Methods (cors_wsgi upper-cases methods)"
    elif "*" in methods and credentials:
        reason += "; '*' is only a wildcard for requests without credentials"
        fix = f"list {method!r} in methods instead of '*'"
    return reason, fix


def _header_failure(name: str, allowed: Sequence[str], credentials: bool) -> tuple[str, str]:
    listed = ", ".join(allowed) if allowed else "nothing"
    reason = f"request header {name!r} is not in Access-Control-Allow-Headers ({listed})"
    fix = f"add {_display_name(name)!r} to allow_headers"
    if "*" in allowed and name == "authorization":
        reason += "; '*' never covers Authorization (Fetch; Firefox and Safari block it, Chromium lets it through)"
        fix = "list 'Authorization' in allow_headers by name (cors_wsgi names it when allow_headers='*')"
    elif "*" in allowed and credentials:
        reason += "; '*' is only a wildcard for requests without credentials"
        fix = f"list {_display_name(name)!r} in allow_headers by name (cors_wsgi always names each header)"
    return reason, fix


def check_response(
    response_status: int,
    response_headers: HeadersLike,
    origin: str,
    credentials: bool = False,
    *,
    url: str = "",
) -> Verdict:
    """The browser's CORS check on the actual response: may the page read it?"""
    pairs = _pairs(response_headers)
    shown = _relevant(pairs)
    failure = cors_check(pairs, origin, credentials)
    if failure is None:
        allowed = _get(pairs, ACAO)
        credit = " with credentials" if credentials else ""
        return Verdict(
            "actual",
            True,
            f"Access-Control-Allow-Origin {allowed!r} lets the page read the response{credit}",
            status=response_status,
            headers=shown,
            server_says=_server_says(pairs),
        )
    reason, fix = failure.reason, failure.fix
    if failure.error == "MissingAllowOriginHeader":
        vary = {item.strip().lower() for item in (_get(pairs, "Vary") or "").split(",")}
        if response_status >= 500:
            reason += f" on a {response_status} response"
            fix += "; error responses need CORS headers too (cors_wsgi: intercept_exceptions=True, the default)"
        elif "origin" in vary:
            reason += " (but Vary: Origin, so a CORS policy ran and did not allow this origin)"
        else:
            reason += " and no Vary: Origin: no CORS layer handled this response"
            fix = "put the CORS middleware in front of the application and make sure resources covers this path"
    console = _console(url, origin, failure.error, failure.parameter)
    return Verdict(
        "actual", False, reason, fix, failure.error, console, response_status, shown, server_says=_server_says(pairs)
    )


def readable_headers(response_headers: HeadersLike, credentials: bool = False) -> list[str]:
    """The response header names page JavaScript can read (lowercase, sorted): the safelisted ones and
    those in ``Access-Control-Expose-Headers`` (``*`` counts only without credentials)."""
    pairs = _pairs(response_headers)
    exposed = {name.lower() for name in (_parse_list(_get(pairs, ACEH)) or [])}
    every = "*" in exposed and not credentials
    names = set()
    for name, _ in pairs:
        lowered = name.lower()
        if lowered in FORBIDDEN_RESPONSE_HEADERS:
            continue
        if lowered in SAFELISTED_RESPONSE_HEADERS or lowered in exposed or every:
            names.add(lowered)
    return sorted(names)


def check_exposed(name: str, response_headers: HeadersLike, credentials: bool = False) -> Verdict:
    """Whether page JavaScript can read response header ``name`` (``response.headers.get(name)``)."""
    pairs = _pairs(response_headers)
    lowered = name.lower()
    present = any(key.lower() == lowered for key, _ in pairs)
    shown = tuple(header for header in _relevant(pairs) if header[0].lower() == ACEH.lower())
    step = f"expose {name}"
    if not present:
        return Verdict(
            step, False, f"the response has no {name} header", f"the application must send {name}", headers=shown
        )
    if lowered in readable_headers(pairs, credentials):
        return Verdict(step, True, f"{name} is readable by the page", headers=shown)
    if lowered in FORBIDDEN_RESPONSE_HEADERS:
        return Verdict(step, False, f"browsers never let a page read {name}", "nothing can expose it", headers=shown)
    exposed = _parse_list(_get(pairs, ACEH)) or []
    reason = f"{name} is not in Access-Control-Expose-Headers, so response.headers.get() returns null"
    if "*" in exposed and credentials:
        reason = f"{name} is only covered by '*', which does not apply to credentialed requests"
    return Verdict(step, False, reason, f"add {name!r} to expose_headers", headers=shown)


# --- the network ----------------------------------------------------------------------------------------

Send = Callable[[str, str, Sequence[Header]], Response]
"""``send(method, url, headers) -> Response``: one HTTP exchange, no redirects followed."""

USER_AGENT = "cors_wsgi-probe"
MAX_BODY = 1 << 20


def http_sender(timeout: float = 10.0, insecure: bool = False) -> Send:
    """A :data:`Send` over ``http.client``: one connection per request, redirects not followed."""

    def send(method: str, url: str, headers: Sequence[Header]) -> Response:
        parts = urlsplit(url)
        host = parts.hostname or ""
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context()
            if insecure:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            connection = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=context)
        else:
            connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
        try:
            connection.putrequest(method, target, skip_accept_encoding=True)
            for name, value in (("User-Agent", USER_AGENT), *headers):
                connection.putheader(name, value)
            if method in ("POST", "PUT", "PATCH") and not any(n.lower() == "content-length" for n, _ in headers):
                connection.putheader("Content-Length", "0")
            connection.endheaders()
            response = connection.getresponse()
            response.read(MAX_BODY)
            return Response(response.status, response.reason, tuple(response.getheaders()))
        except ssl.SSLCertVerificationError as error:
            raise ProbeError(
                f"TLS certificate check failed for {host}: {error.verify_message} (--insecure skips it)"
            ) from None
        except socket.timeout:
            raise ProbeError(f"{method} {url}: no answer within {timeout:g} s") from None
        except (OSError, http.client.HTTPException) as error:
            detail = (
                error.strerror if isinstance(error, OSError) and error.strerror else str(error) or type(error).__name__
            )
            raise ProbeError(f"{method} {url}: {detail}") from None
        finally:
            connection.close()

    return send


# --- the probe ------------------------------------------------------------------------------------------


def url_origin(url: str) -> str:
    """The serialised origin of an http(s) URL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def _is_potentially_trustworthy(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return (
        urlsplit(url).scheme == "https"
        or host in ("localhost", "::1")
        or host.endswith(".localhost")
        or re.fullmatch(r"127(?:\.[0-9]{1,3}){3}", host) is not None
    )


def validate(request: ProbeRequest) -> ProbeRequest:
    """Check the request the way ``fetch()`` would (raising :class:`ProbeError`) and normalise it."""
    try:
        parts = urlsplit(request.url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as error:
        raise ProbeError(f"{request.url!r} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeError(f"{request.url!r} is not an http:// or https:// URL")
    if parts.username is not None:
        raise ProbeError("fetch() refuses URLs with credentials in them (user:password@)")
    origin = request.origin
    if origin != "null" and (ORIGIN_RE.fullmatch(origin) is None or suggest_origin(origin) != origin):
        hint = suggest_origin(origin)
        did_you_mean = f"; did you mean {hint!r}?" if hint and hint != origin else ""
        raise ProbeError(
            f"--origin {origin!r} is not an origin as browsers send it (scheme://host[:port], lowercase, no "
            f"default port, no path){did_you_mean}"
        )
    problem = method_problem(request.method)
    if problem:
        raise ProbeError(problem)
    combined: dict[str, tuple[str, str]] = {}
    for name, value in request.headers:
        value = value.strip(" \t")
        problem = request_header_problem(name, value)
        if problem:
            raise ProbeError(problem)
        lowered = name.lower()
        if lowered in combined:  # Headers.append() combines repeated names, as the browser sends them
            combined[lowered] = (combined[lowered][0], f"{combined[lowered][1]}, {value}")
        else:
            combined[lowered] = (name, value)
    url = parts._replace(fragment="").geturl()
    return replace(request, url=url, method=normalise_method(request.method), headers=tuple(combined.values()))


def run_probe(request: ProbeRequest, send: Send) -> Report:
    """Make ``request`` the way a browser would, through ``send``; raises :class:`ProbeError`."""
    request = validate(request)
    url, origin, method, credentials = request.url, request.origin, request.method, request.credentials
    path = urlsplit(url).path or "/"
    if url_origin(url) == origin:
        step = Verdict(
            "same origin",
            True,
            f"not cross-origin: {url} is on the page's own origin, so CORS does not apply",
            sent=False,
        )
        return Report(request, (step,), "allowed", "same-origin request")
    if origin.startswith("https:") and not _is_potentially_trustworthy(url):
        step = Verdict(
            "mixed content",
            False,
            "blocked: an https page may not fetch plain http from a non-local host (mixed content); the browser "
            "never sends the request",
            "serve the API over https (or probe with an http:// origin to check the CORS answers alone)",
            sent=False,
        )
        return Report(request, (step,), "blocked", "")

    notes = _local_network_notes(request)
    required, why = needs_preflight(method, request.headers, credentials)
    steps: list[Verdict] = []
    preflight_headers: tuple[Header, ...] = ()
    if required:
        preflight_headers = tuple(preflight_request_headers(origin, method, request.headers))
        response = send("OPTIONS", url, preflight_headers)
        verdict = check_preflight(
            response.status, response.headers, origin, method, request.headers, credentials, url=url
        )
        verdict = replace(verdict, request=f"OPTIONS {path}")
        if (
            verdict.browser_error == "PreflightMissingAllowOriginHeader"
            and request.diagnose
            and may_be_cors_refusal(response.status, response.headers)
        ):
            verdict = _diagnose(verdict, request, send)
        steps.append(verdict)
        if not verdict.ok:
            steps.append(Verdict("actual", False, "not sent: the browser stops after a failed preflight", sent=False))
            return Report(request, tuple(steps), "blocked", why, preflight_headers, notes)
    else:
        steps.append(Verdict("preflight", True, f"not needed: {why}", sent=False))

    actual_headers = [("Origin", origin), *request.headers]
    if not any(name.lower() == "accept" for name, _ in request.headers):
        actual_headers.append(("Accept", "*/*"))
    response = send(method, url, actual_headers)
    location = _get(response.headers, "Location")
    verdict = check_response(response.status, response.headers, origin, credentials, url=url)
    verdict = replace(verdict, request=f"{method} {path}")
    if response.status in REDIRECT_STATUSES and location is not None:
        if not verdict.ok:
            steps.append(replace(verdict, reason=f"redirect to {location}: {verdict.reason}"))
            return Report(request, tuple(steps), "blocked", why, preflight_headers, notes)
        steps.append(
            replace(
                verdict,
                reason=f"redirected ({response.status}) to {location}; the redirect itself passes the CORS check, "
                "but probe does not follow redirects",
                fix=f"probe {location} directly (or have the page request it)",
            )
        )
        return Report(request, tuple(steps), "redirected", why, preflight_headers, notes)
    readable = readable_headers(response.headers, credentials)
    if verdict.ok:
        verdict = replace(
            verdict, notes=(*verdict.notes, f"readable response headers: {', '.join(readable) or 'none'}")
        )
    steps.append(verdict)
    if verdict.ok:
        steps.extend(check_exposed(name, response.headers, credentials) for name in request.expose_checks)
    if all(step.ok for step in steps):
        final = "allowed"
    elif all(step.ok or step.step.startswith("expose ") for step in steps):
        final = "not exposed"  # the page gets the response, but cannot read a header it needs
    else:
        final = "blocked"
    return Report(request, tuple(steps), final, why, preflight_headers, notes)


_ADDRESS_SPACES = ("public", "local", "loopback")
"""Local Network Access's address spaces, least private first: a page may not reach a more private one
without the user's permission."""
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10")
)
"""Private (RFC 1918, RFC 4193) and link-local networks: the "local" address space. Not ``is_private``, which
also covers documentation and other reserved ranges that browsers treat as public."""


def _address_space(host: str) -> tuple[str, bool]:
    """The address space of a URL's host, and whether the host alone tells it: a name other than
    ``localhost`` or ``*.local`` counts as public, since probe cannot know where the page is served from."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback", True
    if host.endswith(".local"):
        return "local", True
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        return "public", False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback", True
    return ("local" if any(address in network for network in _LOCAL_NETWORKS) else "public"), True


def _local_network_notes(request: ProbeRequest) -> tuple[str, ...]:
    """What the browser's local-network permission means for this request.

    No response shows it, so probe cannot see it fail; but a page blocked at that prompt gets the same
    ``TypeError: Failed to fetch`` as a CORS failure, and a user who reads "allowed" here needs to know
    that the server is not the problem then.
    """
    notes = []
    if any(name.lower() == ACRPN.lower() for name, _ in request.headers):
        notes.append(
            f"{ACRPN} is sent here as the page's own request header (so it needs a preflight and allow_headers, "
            f"like any other); {_PNA_LEGACY}; {_LNA_NOT_CORS}"
        )
    host = urlsplit(request.url).hostname or ""
    target, _ = _address_space(host)
    page, known = _address_space(urlsplit(request.origin).hostname or "")
    if _ADDRESS_SPACES.index(target) > _ADDRESS_SPACES.index(page):
        notes.append(
            f"{host} is a {target} address and the page's origin {request.origin} is {'' if known else 'probably '}"
            f"not: {_PNA_LEGACY}; {_LNA_NOT_CORS}"
        )
    return tuple(notes)


def _diagnose(verdict: Verdict, request: ProbeRequest, send: Send) -> Verdict:
    """Narrow down a preflight refused without any CORS header, with extra preflights of one part each.

    A bare preflight (``GET``, no headers) tests the origin (and that the path is covered), then the
    method alone, then each header alone. These are probe's own requests, not the browser's.
    """
    url, origin, method = request.url, request.origin, request.method
    unsafe = list(unsafe_header_names(request.headers))
    tried: list[str] = []

    def passes(acrm: str, header: str | None) -> bool:
        headers = [("Origin", origin), ("Access-Control-Request-Method", acrm), ("Accept", "*/*")]
        if header is not None:
            headers.insert(2, ("Access-Control-Request-Headers", header))
        response = send("OPTIONS", url, headers)
        ok = 200 <= response.status <= 299 and cors_check(response.headers, origin, False) is None
        tried.append(f"ACRM {acrm}" + (f", ACRH {header}" if header else "") + f" -> {response.status}")
        return ok

    cause = fix = ""
    if not passes("GET", None):
        cause = f"the origin {origin!r} is not allowed on this path (a bare preflight is refused too)"
        fix = f"add {origin!r} to origins (and check that resources covers this path)"
    elif method not in SAFELISTED_METHODS and not passes(method, None):
        cause = f"the method {method!r} is not allowed"
        fix = f"add {method!r} to methods"
        if method.upper() != method:  # cors_wsgi upper-cases methods: only the page can fix this one
            upper = method.upper()
            fix = f"write it in upper case in the page (method: {upper!r}), and allow {upper!r} in methods"
    elif unsafe:
        refused = [name for name in unsafe if not passes(method, name)]
        if refused and len(refused) == len(unsafe) and method in SAFELISTED_METHODS:
            cause = (
                f"every request header is refused with method {method!r}: the headers are not allowed, or "
                f"the server requires {method!r} in methods when headers are sent (cors_wsgi does)"
            )
            fix = f"add {', '.join(repr(_display_name(n)) for n in refused)} to allow_headers and {method!r} to methods"
        elif refused:
            names = ", ".join(repr(_display_name(name)) for name in refused)
            cause = f"request header{'s' if len(refused) > 1 else ''} {names} not allowed"
            fix = f"add {names} to allow_headers"
    if not cause:
        return replace(verdict, notes=(*verdict.notes, "probe's extra preflights: " + "; ".join(tried)))
    return replace(
        verdict,
        reason=f"{verdict.reason.split(':', 1)[0]}: {cause}",
        fix=fix,
        notes=(*verdict.notes, "diagnosed with probe's own extra preflights: " + "; ".join(tried)),
    )


# --- the command line -------------------------------------------------------------------------------------


def format_text(report: Report, verbose: bool = False) -> str:
    """The human-readable report: a few lines per step, then ``allowed`` / ``blocked`` / ``redirected``.

    Response headers are shown for failed steps (they are the evidence), and for every step if ``verbose``.
    """
    request = report.request
    credentials = "include" if request.credentials else "omit cookies"
    lines = [f"probe {request.method} {request.url} from origin {request.origin} (credentials: {credentials})"]
    for step in report.steps:
        if not step.sent:  # the reason says it: "not needed: ...", "not sent: ...", "blocked: ..."
            lines.append(f"{step.step}: {step.reason}")
        elif not step.request:
            lines.append(f"{step.step}: {'ok' if step.ok else 'FAILED'}: {step.reason}")
        else:
            lines.append(f"{step.step}: {step.request} -> {step.status}")
            if step.step == "preflight" and report.preflight_reason:
                lines.append(f"  sent because: {report.preflight_reason}")
            lines.append(f"  {'ok' if step.ok else 'BLOCKED'}: {step.reason}")
        if step.server_says:
            lines.append(f"  the server says: {step.server_says}")
        if step.fix:
            lines.append(f"  fix: {step.fix}")
        if step.browser_error:
            lines.append(f"  browser error: {step.browser_error}")
            lines.append(f"  console: {step.console}")
        if step.headers and (verbose or not step.ok):
            lines.append("  headers: " + "; ".join(f"{name}: {value}" for name, value in step.headers))
        lines.extend(f"  note: {note}" for note in step.notes)
    lines.extend(f"note: {note}" for note in report.notes)
    lines.append(report.verdict)
    return "\n".join(lines)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Act as a browser: send the preflight when the Fetch rules require one, then the actual request, and "
        "say whether the page could read the answer, why, and what to change. Exit status 0 allowed, 1 blocked, "
        "2 usage or network error."
    )
    parser.add_argument("url", help="the API URL the page fetches (http:// or https://)")
    parser.add_argument("--origin", required=True, help="the page's origin, e.g. https://app.example.com")
    parser.add_argument("--method", default="GET", help="request method (default GET)")
    parser.add_argument(
        "--header",
        "-H",
        action="append",
        default=[],
        metavar="'NAME[: VALUE]'",
        help="a request header the page sets (repeatable); without a value, 1 is sent",
    )
    parser.add_argument(
        "--credentials", action="store_true", help="credentials: 'include' (cookies / HTTP auth; probe sends none)"
    )
    parser.add_argument(
        "--expose-check",
        action="append",
        default=[],
        metavar="NAME",
        help="also require that page JavaScript can read this response header (repeatable)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    parser.add_argument("--insecure", action="store_true", help="do not verify https certificates")
    parser.add_argument(
        "--no-diagnose",
        dest="diagnose",
        action="store_false",
        help="when a preflight is refused without CORS headers, do not send extra preflights to find out why",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show the response headers of every step")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def parse_header(text: str) -> Header:
    name, colon, value = text.partition(":")
    return name.strip(), value.strip() if colon else "1"


def run(args: argparse.Namespace) -> int:
    """``python -m cors_wsgi probe``; returns the exit status."""
    request = ProbeRequest(
        url=args.url,
        origin=args.origin,
        method=args.method,
        headers=tuple(parse_header(text) for text in args.header),
        credentials=args.credentials,
        expose_checks=tuple(args.expose_check),
        diagnose=args.diagnose,
    )
    try:
        report = run_probe(request, http_sender(timeout=args.timeout, insecure=args.insecure))
    except ProbeError as error:
        print(f"probe: error: {error}", file=sys.stderr)
        if args.json:
            print(json.dumps({"verdict": "error", "error": str(error), "exit_status": 2}))
        return 2
    print(json.dumps(report.to_dict(), indent=2) if args.json else format_text(report, args.verbose))
    return report.exit_status
