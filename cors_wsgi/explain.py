"""Answers to "why did the browser block my request?", from the policy itself.

The browser only says ``TypeError: Failed to fetch``; its console says which check failed but not why
the server answered as it did. :func:`explain` gives the server's side in words: which ``resources``
rule applied, what was allowed or refused and what to change. It is built on
:meth:`~cors_wsgi.policy.Policy.decide`, the very code path the middleware runs, so an explanation
can never disagree with what the middleware sends.

Explanations are meant for the operator (logs, a shell, tests): they name the configuration. They are
never sent to a browser, except in ``debug=True`` mode, and then only to allowed origins.

::

    >>> print(middleware.explain("OPTIONS", "/api/items", {"Origin": "https://app.example.com",
    ...                                                     "Access-Control-Request-Method": "PUT",
    ...                                                     "Access-Control-Request-Headers": "x-token"}))
    preflight OPTIONS '/api/items' from 'https://app.example.com': rejected (403)
      rule:    '/api/*'
      reason:  request header 'x-token' is not matched by allow_headers ('content-type')
      fix:     add 'x-token' to allow_headers
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .fetch import TOKEN_RE
from .headers import Header
from .options import ALLOW_HEADERS, METHODS, ORIGINS, SEND_WILDCARD
from .origins import ALLOWED_ANY, ALLOWED_EXACT, ALLOWED_PATTERN, MALFORMED, MAX_ORIGIN_LENGTH, NOT_ALLOWED, ORIGIN_RE
from .policy import (
    ALLOWED,
    HEADER_NOT_ALLOWED,
    HEADERS_MALFORMED,
    METHOD_MALFORMED,
    METHOD_NOT_ALLOWED,
    NO_ORIGIN,
    NOT_COVERED,
    ORIGIN_NOT_ALLOWED,
    Policy,
    ResourcePolicy,
)

ORIGIN_MALFORMED = "origin-malformed"


@dataclass(frozen=True)
class Explanation:
    """What the middleware does with one request, and why, in words."""

    method: str
    path: str
    origin: str | None
    kind: str
    """``"path not covered"``, ``"not CORS"``, ``"preflight"`` or ``"actual"``."""
    rule: str | None
    """The ``resources`` pattern that applied, if any."""
    allowed: bool
    code: str
    """``allowed``, ``path-not-covered``, ``no-origin``, ``origin-not-allowed``, ``origin-malformed``,
    ``method-not-allowed``, ``method-malformed``, ``header-not-allowed`` or ``headers-malformed``."""
    subject: str
    """The request value the code is about (the refused origin, method or header name)."""
    reason: str
    fix: str | None
    """What to change in the configuration, when something can be (``None`` otherwise)."""
    status: int | None
    """204/403 for a preflight the middleware answers; ``None`` when the application answers."""
    headers: tuple[Header, ...]
    """The headers the middleware adds (``Vary`` is merged into the application's in practice)."""

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for ``json.dumps``."""
        data = asdict(self)
        data["headers"] = [list(header) for header in self.headers]
        return data

    def __str__(self) -> str:
        verdict = "allowed" if self.allowed else "rejected"
        if self.status is not None:
            verdict += f" ({self.status})"
        if self.kind == "path not covered":
            verdict = "passed through untouched"
        elif self.kind == "not CORS":
            verdict = "answered with 'Access-Control-Allow-Origin: *'" if self.allowed else "no CORS headers"
        # The method as written when it is a plain token; repr() otherwise, so CR/LF cannot forge a log line.
        method = self.method if TOKEN_RE.fullmatch(self.method) else repr(self.method)
        lines = [f"{self.kind} {method} {shown(self.path)} from {shown(self.origin)}: {verdict}"]
        if self.rule is not None:
            lines.append(f"  rule:    {self.rule!r}")
        lines.append(f"  reason:  {self.reason}")
        if self.fix:
            lines.append(f"  fix:     {self.fix}")
        for name, value in self.headers:
            lines.append(f"  sends:   {name}: {value}")
        return "\n".join(lines)


def shown(value: str | None, limit: int = 200) -> str:
    """``repr(value)`` for logs, cut to ``limit`` characters: a 256 KiB Origin makes a short line."""
    if value is None or len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


def explain(policy: Policy, method: str, path: str, headers: Mapping[str, str]) -> Explanation:
    """The decision ``policy`` takes for a request (``path`` as in ``PATH_INFO``; header names in any case)."""
    decision = policy.decide(method, path, headers)
    lowered = {name.lower(): value for name, value in headers.items()}
    origin = lowered.get("origin")
    resource = policy.lookup(path)
    code, subject = decision.code, decision.subject
    if code == ORIGIN_NOT_ALLOWED and not _well_formed(subject):
        code = ORIGIN_MALFORMED
    reason, fix = _words(code, subject, decision.kind, path, resource, lowered, decision.via)
    return Explanation(
        method=method,
        path=path,
        origin=origin,
        kind=decision.kind,
        rule=decision.resource,
        allowed=decision.allowed,
        code=code,
        subject=subject,
        reason=reason,
        fix=fix,
        status=decision.status,
        headers=decision.headers,
    )


def _well_formed(origin: str) -> bool:
    return len(origin) <= MAX_ORIGIN_LENGTH and ORIGIN_RE.fullmatch(origin) is not None


def _words(
    code: str,
    subject: str,
    kind: str,
    path: str,
    resource: ResourcePolicy | None,
    headers: Mapping[str, str],
    via: str = "",
) -> tuple[str, str | None]:
    """(reason, fix) for one decision code; ``via`` is what decided the origin (a function's name...)."""
    if code == NOT_COVERED or resource is None:
        return (
            f"no resources pattern covers {path!r}, so the middleware adds nothing",
            f"add a pattern covering {path!r} to resources if pages on other origins should call it",
        )
    settings = resource.settings
    decided = via not in ("", ALLOWED_EXACT, ALLOWED_ANY, ALLOWED_PATTERN, NOT_ALLOWED, MALFORMED)
    if code == NO_ORIGIN:
        return (
            "the request has no Origin header, so it is not a CORS request (same-origin, or not from a browser)",
            None,
        )
    if code == ORIGIN_MALFORMED:
        return (
            f"Origin {subject!r} is not an origin as browsers send it (scheme://host[:port]); it is never allowed",
            None,
        )
    if code == ORIGIN_NOT_ALLOWED:
        listed = ", ".join(map(repr, settings[ORIGINS].sources)) or "none"
        still = " The request still reached the application; the browser hides the answer." if kind == "actual" else ""
        if decided:  # a function in origins had the last word
            return (
                f"origin {subject!r} matched no static item of origins ({listed}) of rule {resource.pattern!r}, "
                f"and the function decided: {via}.{still}",
                "return True from the function for that origin, or add it to origins"
                + (
                    " (the function's exception was logged as a WARNING on the 'cors_wsgi' logger)"
                    if " raised " in via
                    else ""
                ),
            )
        return (
            f"origin {subject!r} is not allowed by origins ({listed}) of rule {resource.pattern!r}.{still}",
            f"add {subject!r} to origins if that site should read these responses",
        )
    if code == METHOD_MALFORMED:
        return f"Access-Control-Request-Method {subject!r} is not a method name; browsers never send it", None
    if code == METHOD_NOT_ALLOWED:
        allowed_methods = settings[METHODS]
        methods = ", ".join(allowed_methods or ())
        return (
            f"method {subject!r} is not in methods ({methods})",
            f"add {subject!r} to methods",
        )
    if code == HEADERS_MALFORMED:
        return (
            "Access-Control-Request-Headers is malformed or oversized (over 4096 characters or 128 names)",
            None,
        )
    if code == HEADER_NOT_ALLOWED:
        if subject == "*":
            return "Access-Control-Request-Headers names '*', which no browser sends", None
        matcher = settings[ALLOW_HEADERS]
        patterns = ", ".join(map(repr, [*sorted(matcher.names), *(p.pattern for p in matcher.patterns)])) or "none"
        return (
            f"request header {subject!r} is not matched by allow_headers ({patterns})",
            f"add {subject!r} to allow_headers",
        )
    assert code == ALLOWED, code
    by = f" (the origin by {via})" if decided else ""
    if kind == "preflight":
        method = headers.get("access-control-request-method", "")
        return f"origin, method {method!r} and every requested header are allowed{by}", None
    origin = headers.get("origin")
    if origin is None:
        return "no Origin header; origins is '*' and always_send is on, so 'Access-Control-Allow-Origin: *'", None
    if settings[SEND_WILDCARD] and settings[ORIGINS].allow_any:
        return "every origin is allowed and send_wildcard is on, so 'Access-Control-Allow-Origin: *'", None
    return f"origin {origin!r} is allowed by rule {resource.pattern!r}{by}", None
