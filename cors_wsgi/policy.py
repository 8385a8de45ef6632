"""The compiled CORS policy: (method, path, request headers) -> which headers to send.

Nothing here knows about WSGI. :func:`compile_policy` validates the options (all problems at once) and
precomputes every constant header; per request, :meth:`ResourcePolicy.actual` and
:meth:`ResourcePolicy.preflight_response` only do lookups and fill in the request's own origin and header
names once they have matched the policy. :meth:`Policy.decide` is the same logic behind a plain function
of the request, for tests, logs and tooling; it calls the very methods the middleware calls, so the two
cannot disagree.

What is mutable, and why that is safe: a compiled policy never changes what it answers. Its two preflight
caches fill as preflights arrive, and are written from many threads without a lock. That is safe because
an entry is written only with the answer :meth:`ResourcePolicy.preflight` computed for that very key (two
threads racing write the same value), keys are made of configured values only (so a client cannot make
them grow past their bound), and a reader sees either no entry (and computes) or a complete one (a dict
assignment is atomic for readers in CPython, and the entry is a tuple built before it is stored).

Protocol references are to the WHATWG Fetch standard ("CORS protocol", "CORS check", "CORS-preflight
fetch", "CORS protocol and HTTP caches").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .config import build_settings, normalise_options, parse_resources
from .errors import Collector, ConfigError, warn
from .fetch import (
    ACAC,
    ACAH,
    ACAM,
    ACAO,
    ACAPN,
    ACEH,
    ACMA,
    SAFELISTED_METHODS,
    TOKEN_RE,
    VARY_ACTUAL,
    VARY_PREFLIGHT,
    VARY_PRIVATE_NETWORK,
)
from .headers import MAX_ACRH_LENGTH, MAX_METHOD_LENGTH, Header, parse_request_headers, with_cors_headers
from .options import (
    ALL_METHODS,
    ALLOW_HEADERS,
    ALLOW_PRIVATE_NETWORK,
    ALWAYS_SEND,
    AUTOMATIC_OPTIONS,
    DEBUG,
    DEFAULTS,
    EXPOSE_HEADERS,
    INTERCEPT_EXCEPTIONS,
    MAX_AGE,
    METHODS,
    ORIGINS,
    RESOURCES,
    SEND_WILDCARD,
    SUPPORTS_CREDENTIALS,
    VARY_HEADER,
    Settings,
)
from .origins import (
    ALLOWED_ANY,
    ALLOWED_EXACT,
    ALLOWED_PATTERN,
    MALFORMED,
    MAX_ORIGIN_LENGTH,
    NOT_ALLOWED,
    OriginMatcher,
)
from .paths import CompiledPath, PathTable, compile_path, pattern_text, pattern_warnings
from .sources import relabel, relabel_option

# Why a request was allowed or rejected, as stable codes for tools (explain(), probe, logs).
ALLOWED: Final = "allowed"
NO_ORIGIN: Final = "no-origin"
ORIGIN_NOT_ALLOWED: Final = "origin-not-allowed"
METHOD_MALFORMED: Final = "method-malformed"
METHOD_NOT_ALLOWED: Final = "method-not-allowed"
HEADERS_MALFORMED: Final = "headers-malformed"
HEADER_NOT_ALLOWED: Final = "header-not-allowed"
NOT_COVERED: Final = "path-not-covered"

DEBUG_HEADER: Final = "X-CORS-Debug"
NO_CONTENT: Final = "204 No Content"
FORBIDDEN: Final = "403 Forbidden"
FORBIDDEN_BODY_HEADERS: Final = (("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "0"))

PREFLIGHT_CACHE_SIZE: Final = 256
"""Per resource rule; see ResourcePolicy.preflight_response."""
KNOWN_ORIGINS_LIMIT: Final = 256
"""Per resource rule: how many origins allowed by '*' or a pattern keep their answer. Checking an origin's
shape and patterns costs about three times what the rest of a request costs (callgrind, compiled build:
15,500 instructions per request against 7,000 for a listed origin); a known one is one lookup. A client
cycling through origins only fills the table (about 130 KB); then each new origin is checked as before."""
_COMMON_REQUEST_HEADERS: Final = frozenset(
    {"accept", "accept-language", "authorization", "content-language", "content-type", "x-requested-with",
     "x-csrftoken", "x-csrf-token", "x-xsrf-token", "cache-control", "if-match", "if-none-match", "range"}
)  # fmt: skip


class Answer:
    """What the policy says about one request.

    ``headers`` are the CORS headers to add (empty when rejected); ``vary`` is the ``Vary`` value to
    merge (``""`` for none); ``reason`` says why, for logs, and ``code``/``subject`` say it for tools
    (``"header-not-allowed"``, ``"x-foo"``). ``via`` says what decided the origin (``"listed"``, a
    function's ``name()``...). ``status`` is what a preflight answered by the middleware gets (204 or
    403); 0 for other requests, whose status is the application's.

    ``appended`` is ``headers`` plus ``Vary`` as a list, precomputed so that the common response (the
    application set neither ``Vary`` nor CORS headers) costs one list concatenation. It is never
    handed to a server itself: ``app_headers + appended`` is a new list.
    """

    __slots__ = ("allowed", "appended", "code", "headers", "reason", "status", "subject", "vary", "via")

    def __init__(
        self,
        allowed: bool,
        headers: tuple[Header, ...],
        vary: str,
        reason: str,
        code: str = ALLOWED,
        subject: str = "",
        status: int = 0,
        via: str = "",
    ) -> None:
        self.allowed = allowed
        self.headers = headers
        self.vary = vary
        self.reason = reason
        self.code = code
        self.subject = subject
        self.status = status
        self.via = via
        self.appended: list[Header] = [*headers, ("Vary", vary)] if vary else list(headers)

    def added_to(self, app_headers: Any) -> Any:
        """What a ``start_response`` wrapper hands the server: the application's headers (a list, or a tuple
        read into one) with this answer's merged (:func:`~cors_wsgi.headers.with_cors_headers`)."""
        if type(app_headers) is not list:
            app_headers = list(app_headers)
        return with_cors_headers(app_headers, self.headers, self.vary, self.appended)

    def response(self) -> tuple[str, list[Header]]:
        """A preflight's status line and headers (a new list), when the middleware answers it."""
        headers = list(self.appended)
        if self.status == 204:
            return NO_CONTENT, headers
        headers.extend(FORBIDDEN_BODY_HEADERS)
        return FORBIDDEN, headers

    def __repr__(self) -> str:
        return f"Answer({self.allowed!r}, {self.headers!r}, {self.vary!r}, {self.reason!r}, {self.code!r})"


class ResourcePolicy:
    """The compiled options of one ``resources`` rule: what it answers never changes (its preflight
    caches fill, see the module docstring)."""

    def __init__(self, pattern: str, settings: Settings) -> None:
        self.pattern = pattern
        self.settings = settings
        origins = settings[ORIGINS]
        credentials = settings[SUPPORTS_CREDENTIALS]
        methods = settings[METHODS]
        self.automatic_options = settings[AUTOMATIC_OPTIONS]
        self.intercept_exceptions = settings[INTERCEPT_EXCEPTIONS]
        self._origins: OriginMatcher = origins
        self._allows_header = settings[ALLOW_HEADERS].allows
        # config refuses "*" with credentials, so a wildcard answer is never credentialed
        self._wildcard = origins.allow_any and settings[SEND_WILDCARD]

        expose = settings[EXPOSE_HEADERS]
        expose_headers: tuple[Header, ...] = ((ACEH, ", ".join(expose)),) if expose else ()
        allow_credentials: tuple[Header, ...] = ((ACAC, "true"),) if credentials else ()
        self.allowed_tail = allow_credentials + expose_headers
        wildcard_headers = ((ACAO, "*"), *expose_headers)

        self._methods = None if methods is None else frozenset(methods)
        self._acam = None if methods is None else ", ".join(methods)
        max_age = settings[MAX_AGE]
        max_age_header: tuple[Header, ...] = () if max_age is None else ((ACMA, str(max_age)),)
        self._preflight_tail = allow_credentials + max_age_header
        self.private_network = settings[ALLOW_PRIVATE_NETWORK]
        self._debug = settings[DEBUG]
        self._vary_preflight = VARY_PREFLIGHT if settings[VARY_HEADER] else ""

        # Fetch, "CORS protocol and HTTP caches": a response whose CORS headers depend on Origin
        # needs "Vary: Origin", including responses to requests without one. Only "always *" does not.
        always_send = settings[ALWAYS_SEND]
        constant = self._wildcard and always_send
        self.vary_actual = VARY_ACTUAL if settings[VARY_HEADER] and not constant else ""
        vary = self.vary_actual
        if always_send and origins.allow_any and not credentials:
            self.no_origin = Answer(True, wildcard_headers, vary, "no Origin header; always_send answers '*'")
        else:
            self.no_origin = Answer(False, (), vary, "no Origin header: not a CORS request", NO_ORIGIN)
        self._wildcard_answer = Answer(True, wildcard_headers, vary, "every origin allowed; send_wildcard answers '*'")
        self.rejected = Answer(False, (), vary, "origin not allowed", ORIGIN_NOT_ALLOWED, via=NOT_ALLOWED)
        # Listed origins come from the configuration, so their answers are built once; the per-request
        # path for them is a dict lookup with no allocation. An origin that '*' or a pattern allowed is
        # added (actual()), up to KNOWN_ORIGINS_LIMIT more, since their answer never changes either; a
        # function's is never kept. Empty under send_wildcard: there every allowed origin gets "*".
        listed = () if self._wildcard else origins.exact
        self._learning_limit = len(listed) + KNOWN_ORIGINS_LIMIT
        self.known_answers = {
            origin: Answer(True, ((ACAO, origin), *self.allowed_tail), vary, "origin allowed", via=ALLOWED_EXACT)
            for origin in listed
        }
        # What an origin missing from known_answers gets, when that needs no further matching: the one
        # wildcard answer, or a rejection when only exact origins are configured. None: ask the matcher.
        self.miss: Answer | None = None
        if self._wildcard:
            self.miss = self._wildcard_answer
        elif not (origins.allow_any or origins.patterns or origins.callables):
            self.miss = self.rejected
        self._exact_only = self.miss is self.rejected
        self._preflight_rejected = Answer(
            False, (), self._vary_preflight, "origin not allowed", ORIGIN_NOT_ALLOWED, "", 403, NOT_ALLOWED
        )
        self.fast_preflights = settings[AUTOMATIC_OPTIONS] and not self._debug and not self.private_network
        """Preflights may be answered by preflight_response(), from the caches (debug mode explains
        instead). The cached answers hold no Access-Control-Allow-Private-Network, and without
        allow_private_network a preflight's Access-Control-Request-Private-Network changes nothing, so
        that path need not look for it."""
        self._refused = tuple(self._preflight_rejected.response()[1])

        # Allowed preflights, keyed by (Access-Control-Request-Method, Access-Control-Request-Headers):
        # everything in the answer but the origin. Only keys made of configured values go in (a method
        # from `methods`, header names from `allow_headers`, in the canonical form browsers send:
        # lowercase, sorted, comma-separated), and only answers computed by preflight() itself, so a
        # client can neither make it grow past PREFLIGHT_CACHE_SIZE nor make it answer wrongly.
        self._preflight_cache: dict[tuple[str, str | None], tuple[Header, ...]] = {}
        # The same for listed origins, with the origin in the key and the whole answer as the value: a
        # repeated preflight is then one lookup. Bounded by the same rules (origins from the
        # configuration), so its size is too.
        self._exact_preflights: dict[str, dict[str, dict[str | None, tuple[Header, ...]]]] = {}
        self._exact_preflight_count = 0
        self._cacheable_methods = frozenset(methods or ALL_METHODS)
        allow = settings[ALLOW_HEADERS]
        self._cacheable_names = allow.names if not allow.allow_any else _COMMON_REQUEST_HEADERS

    def actual(self, origin: str) -> Answer:
        """The answer to a request with an ``Origin`` that is not a preflight."""
        if len(origin) <= MAX_ORIGIN_LENGTH:  # bound the hash of a hostile value
            precomputed = self.known_answers.get(origin)
            if precomputed is not None:
                return precomputed
        if self.miss is not None:
            return self.miss
        allowed, via = self._origins.check(origin)
        if allowed:
            reason = f"origin allowed by {via}"
            if via in (ALLOWED_ANY, ALLOWED_PATTERN):
                answer = Answer(True, ((ACAO, origin), *self.allowed_tail), self.vary_actual, reason, via=via)
                if len(self.known_answers) < self._learning_limit:
                    self.known_answers[origin] = answer
                return answer
            # A function decided: never kept (it may answer otherwise next time); debug mode says so.
            said: tuple[Header, ...] = ((DEBUG_HEADER, reason),) if self._debug else ()
            return Answer(True, ((ACAO, origin), *self.allowed_tail, *said), self.vary_actual, reason, via=via)
        if via in (NOT_ALLOWED, MALFORMED):
            return self.rejected
        return Answer(False, (), self.vary_actual, f"origin not allowed: {via}", ORIGIN_NOT_ALLOWED, via=via)

    def preflight_response(self, origin: str, method: object, request_headers: object) -> tuple[str, list[Header]]:
        """A preflight's status line and headers, for a rule with ``fast_preflights``, from the caches when
        it can be: an oversized value is refused before anything is hashed, a preflight seen before from a
        listed origin is one lookup, an unknown origin is refused when only listed origins are configured,
        and a preflight seen before from an origin a pattern allows is two. Request values that are not
        ``str`` (a server bug) count as malformed, as in :meth:`preflight`."""
        if not isinstance(method, str):
            method = ""
        if request_headers is not None and not isinstance(request_headers, str):
            request_headers = ""
        if (
            len(origin) > MAX_ORIGIN_LENGTH
            or len(method) > MAX_METHOD_LENGTH
            or (request_headers is not None and len(request_headers) > MAX_ACRH_LENGTH)
        ):
            return FORBIDDEN, list(self._refused)
        by_method = self._exact_preflights.get(origin)
        if by_method is not None:
            by_headers = by_method.get(method)
            cached = None if by_headers is None else by_headers.get(request_headers)
            if cached is not None:
                return NO_CONTENT, list(cached)
        if self._exact_only and origin not in self.known_answers:
            return FORBIDDEN, list(self._refused)
        rest = self._preflight_cache.get((method, request_headers))
        if rest is not None and (origin in self.known_answers or self._origins.allows(origin)):
            return NO_CONTENT, [(ACAO, "*" if self._wildcard else origin), *rest]
        return self.preflight(origin, method, request_headers).response()

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
        allowed, via = self._origins.check(origin)  # also refuses malformed and empty origins
        if not allowed:
            if via in (NOT_ALLOWED, MALFORMED):
                return self._preflight_rejected
            return Answer(False, (), vary, f"origin not allowed: {via}", ORIGIN_NOT_ALLOWED, "", 403, via)
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
        if self.private_network and private_network == "true":
            headers.append((ACAPN, "true"))
            vary = VARY_PRIVATE_NETWORK if vary else ""
        elif private_network is None and len(self._preflight_cache) < PREFLIGHT_CACHE_SIZE:
            self._remember(method, request_headers, names, headers)
        if self._debug and via not in (ALLOWED_EXACT, ALLOWED_ANY, ALLOWED_PATTERN):
            headers.append((DEBUG_HEADER, f"origin allowed by {via}"))  # a function decided
        return Answer(True, tuple(headers), vary, "preflight allowed", ALLOWED, "", 204, via)

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
        if origin in self.known_answers and self._exact_preflight_count < PREFLIGHT_CACHE_SIZE * 4:
            self._exact_preflight_count += 1
            self._exact_preflights.setdefault(origin, {}).setdefault(method, {})[request_headers] = (headers[0], *rest)

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
    via: str = ""
    """What decided the origin: ``"listed"``, ``"'*'"``, ``"a pattern"``, a function's ``name()``, or
    why it was not allowed (``"is_tenant() raised KeyError"``)."""


class Policy:
    """All resource rules, most specific first. Shared safely between threads (module docstring)."""

    def __init__(self, table: PathTable[ResourcePolicy]) -> None:
        self.table = table
        self.everything = table.everything
        """The rule of a table whose only rule covers every path (no lookup needed), else None."""

    def lookup(self, path: str) -> ResourcePolicy | None:
        """The rule covering ``PATH_INFO``, or None."""
        return self.table.lookup(path)

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
            answer = resource.no_origin if origin is None else resource.actual(origin)
            status = None
            kind = "not CORS" if origin is None else "actual"
        shown = answer.headers + ((("Vary", answer.vary),) if answer.vary else ())
        code, subject = answer.code, answer.subject
        if code == ORIGIN_NOT_ALLOWED:
            subject = origin or ""
        return Decision(kind, resource.pattern, answer.allowed, answer.reason, status, shown, code, subject, answer.via)


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
    entries = parse_resources(options.get(RESOURCES.name, DEFAULTS[RESOURCES.name]), out)

    rules: list[tuple[CompiledPath, ResourcePolicy]] = []
    for pattern, overrides in entries:
        shown = pattern_text(pattern) if isinstance(pattern, (str, re.Pattern)) else pattern
        compiled, error = compile_path(pattern)
        if compiled is None:
            out.error("resources", shown, error or "is not a path pattern")
            continue
        for message in pattern_warnings(pattern):
            out.warn("resources", shown, message)
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
