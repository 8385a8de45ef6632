"""The compiled, immutable CORS policy: (method, path, request headers) -> which headers to send.

Nothing here knows about WSGI. :func:`compile_policy` validates the options (all problems at once) and
precomputes every constant header; per request, :meth:`ResourcePolicy.actual` and
:meth:`ResourcePolicy.preflight` only do lookups and fill in the request's own origin and header names
once they have matched the policy. :meth:`Policy.decide` is the same logic behind a plain function of
the request, for tests, logs and tooling; the middleware calls the very methods it calls, so the two
cannot disagree.

Protocol references are to the WHATWG Fetch standard ("CORS protocol", "CORS check", "CORS-preflight
fetch", "CORS protocol and HTTP caches").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import DEFAULTS, Collector, Settings, build_settings, normalise_options, parse_resources
from .errors import ConfigError, warn
from .headers import MAX_METHOD_LENGTH, TOKEN_RE, Header, parse_request_headers
from .origins import MAX_ORIGIN_LENGTH
from .paths import CompiledPath, PathTable, compile_path, pattern_text
from .sources import relabel, relabel_option

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"

VARY_ACTUAL = "Origin"
VARY_PREFLIGHT = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

# Fetch: CORS-safelisted methods never need to appear in Access-Control-Allow-Methods.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})


# Why a request was allowed or rejected, as stable codes for tools (explain(), probe, logs).
ALLOWED = "allowed"
NO_ORIGIN = "no-origin"
ORIGIN_NOT_ALLOWED = "origin-not-allowed"
METHOD_MALFORMED = "method-malformed"
METHOD_NOT_ALLOWED = "method-not-allowed"
HEADERS_MALFORMED = "headers-malformed"
HEADER_NOT_ALLOWED = "header-not-allowed"
NOT_COVERED = "path-not-covered"

DEBUG_HEADER = "X-CORS-Debug"

PREFLIGHT_CACHE_SIZE = 256
"""Per resource rule; see ResourcePolicy.cached_preflight."""
_STANDARD_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_COMMON_REQUEST_HEADERS = frozenset(
    {"accept", "accept-language", "authorization", "content-language", "content-type", "x-requested-with",
     "x-csrftoken", "x-csrf-token", "x-xsrf-token", "cache-control", "if-match", "if-none-match", "range"}
)  # fmt: skip


class Answer:
    """What the policy says about one request.

    ``headers`` are the CORS headers to add (empty when rejected); ``vary`` is the ``Vary`` value to
    merge (``""`` for none); ``reason`` says why, for logs, and ``code``/``subject`` say it for tools
    (``"header-not-allowed"``, ``"x-foo"``). ``status`` is what a preflight answered by the middleware
    gets (204 or 403); 0 for other requests, whose status is the application's.

    ``appended`` is ``headers`` plus ``Vary`` as a list, precomputed so that the common response (the
    application set neither ``Vary`` nor CORS headers) costs one list concatenation. It is never
    handed to a server itself: ``app_headers + appended`` is a new list.
    """

    __slots__ = ("allowed", "appended", "code", "headers", "reason", "status", "subject", "vary")

    def __init__(
        self,
        allowed: bool,
        headers: tuple[Header, ...],
        vary: str,
        reason: str,
        code: str = ALLOWED,
        subject: str = "",
        status: int = 0,
    ) -> None:
        self.allowed = allowed
        self.headers = headers
        self.vary = vary
        self.reason = reason
        self.code = code
        self.subject = subject
        self.status = status
        self.appended: list[Header] = [*headers, ("Vary", vary)] if vary else list(headers)

    def __repr__(self) -> str:
        return f"Answer({self.allowed!r}, {self.headers!r}, {self.vary!r}, {self.reason!r}, {self.code!r})"


class ResourcePolicy:
    """The compiled options of one ``resources`` rule. Immutable after construction."""

    __slots__ = (
        "_acam",
        "_allows_header",
        "_allows_origin",
        "_cacheable_methods",
        "_cacheable_names",
        "_debug",
        "_exact_only",
        "_methods",
        "_preflight_cache",
        "_preflight_rejected",
        "_preflight_tail",
        "_private_network",
        "_vary_preflight",
        "_wildcard",
        "_wildcard_answer",
        "allowed_tail",
        "any_origin",
        "automatic_options",
        "exact_answers",
        "exact_only",
        "exact_preflights",
        "fast_preflights",
        "intercept_exceptions",
        "miss",
        "no_origin",
        "pattern",
        "preflight_refused",
        "rejected",
        "settings",
        "vary_actual",
    )

    def __init__(self, pattern: str, settings: Settings) -> None:
        self.pattern = pattern
        self.settings = settings
        self.automatic_options = settings.automatic_options
        self.intercept_exceptions = settings.intercept_exceptions
        self._allows_origin = settings.origins.allows
        self._allows_header = settings.allow_headers.allows
        # config refuses "*" with credentials, so a wildcard answer is never credentialed
        self._wildcard = settings.origins.allow_any and settings.send_wildcard

        expose: tuple[Header, ...] = ((ACEH, ", ".join(settings.expose_headers)),) if settings.expose_headers else ()
        credentials: tuple[Header, ...] = ((ACAC, "true"),) if settings.supports_credentials else ()
        self.allowed_tail = credentials + expose
        wildcard_headers = ((ACAO, "*"), *expose)

        self._methods = None if settings.methods is None else frozenset(settings.methods)
        self._acam = None if settings.methods is None else ", ".join(settings.methods)
        max_age: tuple[Header, ...] = () if settings.max_age is None else ((ACMA, str(settings.max_age)),)
        self._preflight_tail = credentials + max_age
        self._private_network = settings.allow_private_network
        self._debug = settings.debug
        self._vary_preflight = VARY_PREFLIGHT if settings.vary_header else ""

        # Fetch, "CORS protocol and HTTP caches": a response whose CORS headers depend on Origin
        # needs "Vary: Origin", including responses to requests without one. Only "always *" does not.
        constant = self._wildcard and settings.always_send
        self.vary_actual = VARY_ACTUAL if settings.vary_header and not constant else ""
        vary = self.vary_actual
        if settings.always_send and settings.origins.allow_any and not settings.supports_credentials:
            self.no_origin = Answer(True, wildcard_headers, vary, "no Origin header; always_send answers '*'")
        else:
            self.no_origin = Answer(False, (), vary, "no Origin header: not a CORS request", NO_ORIGIN)
        self._wildcard_answer = Answer(True, wildcard_headers, vary, "every origin allowed; send_wildcard answers '*'")
        self.rejected = Answer(False, (), vary, "origin not allowed", ORIGIN_NOT_ALLOWED)
        # Exact origins come from the configuration, so their answers are built once; the per-request
        # path for them is a dict lookup with no allocation (and nothing a request can add to).
        # None under send_wildcard: there every allowed origin gets "*", listed or not.
        listed = () if self._wildcard else settings.origins.exact
        self.exact_answers = {
            origin: Answer(True, ((ACAO, origin), *self.allowed_tail), vary, "origin allowed") for origin in listed
        }
        # What an origin missing from exact_answers gets, when that needs no further matching: the one
        # wildcard answer, or a rejection when only exact origins are configured. None: call actual().
        self.miss: Answer | None = None
        if self._wildcard:
            self.miss = self._wildcard_answer
        elif not settings.origins.allow_any and not settings.origins.patterns:
            self.miss = self.rejected
        self.exact_only = self.miss is self.rejected
        """Only exact origins are configured: an origin missing from exact_answers is refused."""
        self.any_origin = settings.origins.allow_any and not self._wildcard
        """``origins="*"`` without send_wildcard: any well-formed origin missing from exact_answers is
        allowed and reflected."""
        self._preflight_rejected = Answer(
            False, (), self._vary_preflight, "origin not allowed", ORIGIN_NOT_ALLOWED, "", 403
        )
        self.preflight_refused: tuple[Header, ...] = (("Vary", self._vary_preflight),) if self._vary_preflight else ()
        """Every refused preflight gets these headers and nothing else (outside debug mode)."""
        self.fast_preflights = settings.automatic_options and not settings.debug and not self._private_network
        """Preflights may be answered from the cache and refused early (debug mode explains instead).
        The cached answers hold no Access-Control-Allow-Private-Network, and without
        allow_private_network a preflight's Access-Control-Request-Private-Network changes nothing, so
        the fast path need not look for it."""

        # Allowed preflights, keyed by (Access-Control-Request-Method, Access-Control-Request-Headers):
        # everything in the answer but the origin. Only keys made of configured values go in (a method
        # from `methods`, header names from `allow_headers`, in the canonical form browsers send:
        # lowercase, sorted, comma-separated), and only answers computed by preflight() itself, so a
        # client can neither make it grow past PREFLIGHT_CACHE_SIZE nor make it answer wrongly.
        self._preflight_cache: dict[tuple[str, str | None], tuple[Header, ...]] = {}
        # The same for exact origins, with the origin in the key and the whole answer as the value: the
        # middleware's preflight path is then one lookup. Bounded by the same rules (origins from the
        # configuration), so its size is too.
        self.exact_preflights: dict[tuple[str, str, str | None], tuple[Header, ...]] = {}
        self._cacheable_methods = frozenset(settings.methods or _STANDARD_METHODS)
        allow = settings.allow_headers
        self._cacheable_names = allow.names if not allow.allow_any else _COMMON_REQUEST_HEADERS

    def actual(self, origin: str | None) -> Answer:
        """The answer to a request that is not a preflight (``origin`` is the ``Origin`` header)."""
        if origin is None:
            return self.no_origin
        if self._wildcard:
            return self._wildcard_answer
        if len(origin) <= MAX_ORIGIN_LENGTH:  # bound the hash of a hostile value
            precomputed = self.exact_answers.get(origin)
            if precomputed is not None:
                return precomputed
        if self._allows_origin(origin):
            return Answer(True, ((ACAO, origin), *self.allowed_tail), self.vary_actual, "origin allowed")
        return self.rejected

    def cached_preflight(self, origin: str, method: str, request_headers: str | None) -> list[Header] | None:
        """The headers of an allowed preflight seen before, as a new list; None means "call preflight()"."""
        rest = self._preflight_cache.get((method, request_headers))
        if rest is None:
            return None
        if self._wildcard:
            # "*" reflects nothing, but a malformed Origin is still refused, as preflight() does.
            return [(ACAO, "*"), *rest] if self._allows_origin(origin) else None
        if len(origin) <= MAX_ORIGIN_LENGTH and origin in self.exact_answers:
            return [(ACAO, origin), *rest]
        if self.exact_only or not self._allows_origin(origin):
            return None  # preflight() gives the refusal, with its reason
        return [(ACAO, origin), *rest]

    def preflight(
        self,
        origin: str,
        method: str,
        request_headers: str | None,
        private_network: str | None = None,
    ) -> Answer:
        """The answer to a preflight: ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``.

        On failure nothing but ``Vary`` is returned: a failed preflight must not disclose the policy.
        """
        vary = self._vary_preflight
        if not self._allows_origin(origin):  # also refuses malformed and empty origins
            return self._preflight_rejected
        if len(method) > MAX_METHOD_LENGTH or TOKEN_RE.fullmatch(method) is None:
            return self._refuse(origin, "malformed Access-Control-Request-Method", METHOD_MALFORMED, method)
        names: list[str] | None = None
        if request_headers is not None:
            names = parse_request_headers(request_headers)
            if names is None:
                reason = "malformed or oversized Access-Control-Request-Headers"
                return self._refuse(origin, reason, HEADERS_MALFORMED, request_headers[:100])
            for name in names:
                # "*" is a token, but in Access-Control-Allow-Headers it would mean "any header".
                if name == "*" or not self._allows_header(name):
                    reason = f"request header {name!r} not allowed"
                    return self._refuse(origin, reason, HEADER_NOT_ALLOWED, name, method, names)
        methods = self._methods
        if not (methods is None or method in methods or (method in SAFELISTED_METHODS and not names)):
            return self._refuse(origin, f"method {method!r} not allowed", METHOD_NOT_ALLOWED, method, method, names)

        headers = self._preflight_headers(origin, method, names)
        if self._private_network and private_network == "true":
            headers.append((ACAPN, "true"))
        elif private_network is None and len(self._preflight_cache) < PREFLIGHT_CACHE_SIZE:
            self._remember(method, request_headers, names, headers)
        return Answer(True, tuple(headers), vary, "preflight allowed", ALLOWED, "", 204)

    def _remember(
        self, method: str, request_headers: str | None, names: list[str] | None, headers: list[Header]
    ) -> None:
        if method not in self._cacheable_methods:
            return
        if names is not None:
            canonical = sorted(set(names))
            if request_headers != ",".join(canonical) or not self._cacheable_names.issuperset(canonical):
                return
        rest = tuple(headers[1:])
        if self._vary_preflight:
            rest += (("Vary", self._vary_preflight),)
        self._preflight_cache[(method, request_headers)] = rest
        origin = headers[0][1]
        if origin in self.exact_answers and len(self.exact_preflights) < PREFLIGHT_CACHE_SIZE * 4:
            self.exact_preflights[(origin, method, request_headers)] = (headers[0], *rest)

    def _preflight_headers(self, origin: str, method: str, names: list[str] | None) -> list[Header]:
        headers: list[Header] = [(ACAO, "*" if self._wildcard else origin), (ACAM, self._acam or method)]
        if names:
            headers.append((ACAH, ", ".join(dict.fromkeys(names))))
        headers.extend(self._preflight_tail)
        return headers

    def _refuse(
        self,
        origin: str,
        reason: str,
        code: str,
        subject: str,
        method: str | None = None,
        names: list[str] | None = None,
    ) -> Answer:
        """A failed preflight from an allowed origin: 403 and nothing but ``Vary``, unless in debug mode.

        In debug mode the answer is what lets the browser console name the culprit: a 204 whose
        Allow-Methods / Allow-Headers list what *is* allowed (never the refused method or header, never
        ``*``), so the browser still blocks the request but says "Request header field x-foo is not
        allowed by Access-Control-Allow-Headers". An ``X-CORS-Debug`` header carries the reason. A
        refused GET/HEAD/POST (unsafe headers, method not in ``methods``) gets a 403 instead, since
        browsers do not check those methods against Allow-Methods. Only origins the policy allows ever
        see this.
        """
        if not self._debug:
            return Answer(False, (), self._vary_preflight, reason, code, subject, 403)
        # !a (ascii): the pattern may hold any character; a header value must be latin-1 (PEP 3333).
        debug: tuple[Header, ...] = ((DEBUG_HEADER, f"{reason} (rule {self.pattern!a})"),)
        # A malformed request (nothing a browser could be told to fix), or a refused GET/HEAD/POST, which
        # browsers never check against Allow-Methods so that a 204 would let it through: a non-2xx status.
        if method is None or (code == METHOD_NOT_ALLOWED and method in SAFELISTED_METHODS):
            allow_origin = ((ACAO, "*" if self._wildcard else origin),)
            return Answer(False, allow_origin + debug, self._vary_preflight, reason, code, subject, 403)
        allowed = [name for name in names or () if name != "*" and self._allows_header(name)]
        headers = self._preflight_headers(origin, method, allowed)
        if code == METHOD_NOT_ALLOWED:
            headers[1] = (ACAM, self._acam or "")
        return Answer(False, (*headers, *debug), self._vary_preflight, reason, code, subject, 204)


# ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The middleware's decision for one request, as plain data."""

    kind: str
    """``"path not covered"``, ``"not CORS"``, ``"preflight"`` or ``"actual"``."""
    resource: str | None
    """The ``resources`` pattern that applied."""
    allowed: bool
    reason: str
    status: int | None = None
    """For a preflight the middleware answers itself: 204 or 403; otherwise the application decides."""
    headers: tuple[Header, ...] = field(default=())
    """The headers the middleware adds (``Vary`` shown as its own header; it is merged in practice)."""
    code: str = ""
    """Why, as a stable code: ``"allowed"``, ``"origin-not-allowed"``, ``"header-not-allowed"``, ..."""
    subject: str = ""
    """The request value the code is about (the refused header name, method or origin)."""


class Policy:
    """All resource rules, most specific first. Immutable; shared safely between threads."""

    __slots__ = ("lookup", "table")

    def __init__(self, table: PathTable[ResourcePolicy]) -> None:
        self.table = table
        self.lookup = table.lookup
        """``lookup(path) -> ResourcePolicy | None``: the rule covering ``PATH_INFO``."""

    def decide(self, method: str, path: str, headers: Mapping[str, str]) -> Decision:
        """What the middleware does with a request, given its method, ``PATH_INFO`` and headers
        (names in any case)."""
        resource = self.lookup(path)
        if resource is None:
            return Decision("path not covered", None, False, "no resources pattern covers the path", code=NOT_COVERED)
        lowered = {name.lower(): value for name, value in headers.items()}
        origin = lowered.get("origin")
        acrm = lowered.get("access-control-request-method")
        if method == "OPTIONS" and origin is not None and acrm is not None:
            answer = resource.preflight(
                origin,
                acrm,
                lowered.get("access-control-request-headers"),
                lowered.get("access-control-request-private-network"),
            )
            status = answer.status if resource.automatic_options else None
            kind = "preflight"
        else:
            answer = resource.actual(origin)
            status = None
            kind = "not CORS" if origin is None else "actual"
        shown = answer.headers + ((("Vary", answer.vary),) if answer.vary else ())
        code, subject = answer.code, answer.subject
        if code == ORIGIN_NOT_ALLOWED:
            subject = origin or ""
        return Decision(kind, resource.pattern, answer.allowed, answer.reason, status, shown, code, subject)


def compile_policy(options: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> Policy:
    """Validate ``options`` (flask-cors names) and compile them; raise :class:`ConfigError` listing
    every problem, and emit a :class:`~cors_wsgi.errors.CORSConfigWarning` for each risky setting.

    Precedence, as in flask-cors: a ``resources`` entry's own options > ``options`` > defaults.
    ``labels`` renames options in messages to the keys they were read from (``CORS_MAX_AGE``).
    """
    out = Collector()
    given = normalise_options(options, "", out)
    defaults = normalise_options({k: v for k, v in DEFAULTS.items() if k not in options}, "", out)
    base = {**defaults, **given}
    entries = parse_resources(options.get("resources", DEFAULTS["resources"]), out)

    rules: list[tuple[CompiledPath, ResourcePolicy]] = []
    for pattern, overrides in entries:
        shown = pattern_text(pattern) if isinstance(pattern, (str, re.Pattern)) else pattern
        compiled, error = compile_path(pattern)
        if compiled is None:
            out.error("resources", shown, error or "is not a path pattern")
            continue
        where = f"resources[{shown!r}]."
        own = normalise_options(overrides, where, out)
        settings = build_settings({**base, **own}, frozenset(overrides), where, out)
        if settings is not None:
            rules.append((compiled, ResourcePolicy(compiled.source, settings)))

    labels = labels or {}
    if out.problems:
        raise ConfigError(relabel(tuple(out.problems), labels))
    for option, value, message in out.warnings:
        warn(relabel_option(option, labels), value, message)
    return Policy(PathTable(rules))
