"""The WSGI adapter: answer preflights, add CORS headers to everything else on covered paths.

Everything about *what* to answer lives in :mod:`cors_wsgi.policy`, compiled once when the middleware
is built. This module only reads the four request values CORS depends on from ``environ`` and applies
the answer, following PEP 3333 to the letter:

* the application's iterable is returned as is, so the body streams unbuffered and the server still
  calls its ``close()``;
* ``start_response`` is wrapped, not replaced: it may be called late (from inside iteration), with
  ``exc_info`` (passed on, so the server can re-raise), and its ``write()`` callable is returned
  unchanged;
* the application's header list is never mutated (it may reuse one list object for every response):
  headers are added to a new list, and a response the middleware leaves alone (a 5xx with
  ``intercept_exceptions=False``, an application that set ``Access-Control-Allow-Origin`` itself)
  gets the application's own list;
* exceptions raised by the application propagate untouched, so debuggers and error reporters outside
  the middleware still see them.

Two implementations of ``__call__``, with the same answers: ``_call`` below, in Python, and where it
was compiled, the C accelerator in ``_speedups.c``, which serves the requests whose answer was
precomputed and hands every other one to ``_call`` (README, "Performance").

What it cannot do: CORS is enforced by browsers. A rejected *simple* request (GET, form POST) still
reaches the application; only the page is kept from reading the answer. Preflighted requests are
stopped here, before the application runs.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, cast

from .errors import ConfigError, CORSConfigWarning, Problem
from .explain import Explanation, explain, shown
from .headers import MAX_ACRH_LENGTH, MAX_METHOD_LENGTH, HeaderList, add_cors_headers
from .headers import ORDINARY_RESPONSE_HEADERS as _ORDINARY
from .origins import MAX_ORIGIN_LENGTH
from .paths import ABOVE_ALL
from .policy import Answer, Decision, Policy, ResourcePolicy, compile_policy
from .sources import Options, read_options

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# The optional C version of __call__ (cors_wsgi/_speedups.c; README, "Performance"). It answers only
# requests whose answer is precomputed and hands everything else to _call, the Python version below.
# CORS_WSGI_PURE_PYTHON=1 turns it off (the test suite runs both ways).
_speedups: ModuleType | None
if os.environ.get("CORS_WSGI_PURE_PYTHON", "").strip().lower() in ("", "0", "false", "no"):
    try:
        from . import _speedups
    except ImportError:  # not compiled: no compiler at install time, or not CPython
        _speedups = None
else:
    _speedups = None
ACCELERATED = _speedups is not None
"""True when requests are served by the C version of ``__call__``."""
if TYPE_CHECKING or _speedups is None:  # noqa: SIM108 (mypy takes a class alias from an if, not a ternary)
    _Base = object
else:
    _Base = _speedups.Dispatcher

logger = logging.getLogger("cors_wsgi")
_DEBUG = logging.DEBUG
# logging's own per-logger memo of isEnabledFor() (cleared in place when levels change). Reading it
# directly spares a method call per request; without it (another Python), isEnabledFor() is asked.
_LOG_CACHE: dict[int, bool] = getattr(logger, "_cache", {})
_ACRM = "HTTP_ACCESS_CONTROL_REQUEST_METHOD"
_ACRH = "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"
_ACRPN = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"

_NO_CONTENT = "204 No Content"
_FORBIDDEN = "403 Forbidden"
_EXPLAINED_HEADERS = (
    ("Origin", "HTTP_ORIGIN"),
    ("Access-Control-Request-Method", "HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
    ("Access-Control-Request-Headers", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
    ("Access-Control-Request-Private-Network", "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
)
_FORBIDDEN_HEADERS = (("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "0"))


class CORSMiddleware(_Base):
    """Add Cross-Origin Resource Sharing to a WSGI application.

    - Preflights (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) on a covered path
      are answered here: ``204`` with the allow-headers when the policy allows the origin, method and
      every requested header; ``403`` with no ``Access-Control-*`` header otherwise. The application is
      not called (unless ``automatic_options=False``).
    - Every other request on a covered path goes to the application; its response gets
      ``Access-Control-Allow-Origin`` (and ``-Allow-Credentials``, ``-Expose-Headers``) when the origin
      is allowed, and ``Vary: Origin`` whenever the answer depends on the origin.
    - Paths no ``resources`` pattern covers pass through untouched.

    Options are keyword-only and use flask-cors' names and defaults: ``resources``, ``origins``,
    ``methods``, ``allow_headers``, ``expose_headers``, ``supports_credentials``, ``max_age``,
    ``send_wildcard``, ``vary_header``, ``always_send``, ``automatic_options``,
    ``intercept_exceptions``, ``allow_private_network``. See the README for each. An invalid
    configuration raises :class:`~cors_wsgi.ConfigError` listing every problem.

    ::

        from cors_wsgi import CORSMiddleware

        app.wsgi_app = CORSMiddleware(app.wsgi_app, origins=["https://app.example.com"])
    """

    def __init__(self, app: WSGIApplication, **options: Any) -> None:
        self._setup(app, options, None)

    def _setup(self, app: WSGIApplication, options: Mapping[str, Any], labels: Mapping[str, str] | None) -> None:
        self.app = app
        self.policy: Policy = compile_policy(options, labels)
        self._source = (dict(options), labels)  # for __reduce__
        table = self.policy.table
        self._lookup = table.lookup
        self._everything = table.everything
        self._low, self._high = table.bounds
        single, self._starts, self._after = table.single_prefix
        # Read only when self._starts <= path < self._after, which no path satisfies when it is None.
        self._single = cast(ResourcePolicy, single)
        if _speedups is not None:
            records = {resource: _rule_record(resource) for _, resource in table.rules}
            _speedups.configure(
                self,
                CORSMiddleware._call,
                _LOG_CACHE,
                None if self._everything is None else records[self._everything],
                self._low,
                None if self._high is ABOVE_ALL else self._high,
                self._starts,
                self._after,
                None if single is None else records[single],
                self._lookup,
                records,
                _with_answer,
                _ORDINARY,
                MAX_ORIGIN_LENGTH,
                MAX_METHOD_LENGTH,
                MAX_ACRH_LENGTH,
            )
        if logger.isEnabledFor(_DEBUG):
            for path, resource in self.policy.table.rules:
                logger.debug("CORS rule %r (%s): %r", path.source, path.kind, resource.settings)

    def __reduce__(self) -> tuple[Any, ...]:
        """``copy.copy``, ``copy.deepcopy`` and ``pickle`` rebuild the middleware from its options: the
        compiled policy (and the C accelerator's view of it) is not a set of attributes to copy."""
        return (_rebuild, (type(self), self.app, *self._source))

    @classmethod
    def from_mapping(
        cls, app: WSGIApplication, mapping: object, prefix: str = "CORS_", **options: Any
    ) -> CORSMiddleware:
        """Read ``CORS_<OPTION>`` keys from Flask's ``app.config``, Django's ``settings`` or any dict.

        Keyword ``options`` win over the mapping; a ``resources`` entry's own options win over both.
        Keys without ``prefix`` are ignored; an unknown ``CORS_*`` key is a :class:`ConfigError` (a
        misspelt key would otherwise leave the default, often "every origin", silently in place)::

            app.wsgi_app = CORSMiddleware.from_mapping(app.wsgi_app, app.config)
            application = CORSMiddleware.from_mapping(get_wsgi_application(), django.conf.settings)
        """
        return cls._from_source(app, *read_options(mapping, prefix=prefix), options)

    @classmethod
    def from_env(
        cls, app: WSGIApplication, environ: Mapping[str, str] | None = None, prefix: str = "CORS_", **options: Any
    ) -> CORSMiddleware:
        """Read ``CORS_<OPTION>`` environment variables (``os.environ`` unless ``environ`` is given).

        Values are strings: ``CORS_ORIGINS=https://a.example,https://b.example``,
        ``CORS_SUPPORTS_CREDENTIALS=true``, ``CORS_MAX_AGE=600``,
        ``CORS_RESOURCES='{"/api/*": {"origins": "*"}}'``. Keyword ``options`` win::

            application = CORSMiddleware.from_env(application)
        """
        source = os.environ if environ is None else environ
        return cls._from_source(app, *read_options(source, prefix=prefix, where="environment variable "), options)

    @classmethod
    def _from_source(
        cls, app: WSGIApplication, found: Options, problems: list[Problem], options: Mapping[str, Any]
    ) -> CORSMiddleware:
        labels = {name: label for name, label in found.labels.items() if name not in options}
        merged = {**found, **options}
        if problems:  # report these with whatever else is wrong, as one error
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CORSConfigWarning)
                try:
                    compile_policy(merged, labels)
                except ConfigError as error:
                    problems = [*problems, *error.problems]
            raise ConfigError(sorted(problems, key=lambda problem: problem.option))
        self = cls.__new__(cls)
        self._setup(app, merged, labels)
        return self

    def decide(self, method: str, path: str, headers: Mapping[str, str]) -> Decision:
        """What this middleware does with such a request; pure, no WSGI needed."""
        return self.policy.decide(method, path, headers)

    def explain(self, method: str, path: str, headers: Mapping[str, str]) -> Explanation:
        """:meth:`decide`, in words: which rule applied, why, and what to change. Pure, no WSGI needed::

        print(middleware.explain("OPTIONS", "/api/items", {"Origin": "https://app.example.com",
                                                            "Access-Control-Request-Method": "PUT"}))
        """
        return explain(self.policy, method, path, headers)

    def _call(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The hot path: a handful of dict lookups and string comparisons, all prepared at construction.
        # Comparisons rather than str methods or slices: on CPython a comparison costs a quarter of a
        # method call, and a slice allocates.
        resource = self._everything
        if resource is None:
            try:
                path: str = environ["PATH_INFO"]
            except KeyError:
                path = ""
            if path >= self._high or path < self._low:  # no rule can cover it
                return self.app(environ, start_response)
            if self._starts <= path < self._after:  # the one "prefix*" rule covers it
                resource = self._single
            else:  # "/api" for "/api/*", "//api/x" (paths.routed_path), several rules
                found_resource = self._lookup(path)
                if found_resource is None:
                    return self.app(environ, start_response)
                resource = found_resource
        origin: str | None = environ.get("HTTP_ORIGIN")
        kind = "request"
        if origin is None:
            answer = resource.no_origin
        elif _ACRM in environ and environ.get("REQUEST_METHOD") == "OPTIONS":
            # Fetch: a preflight is OPTIONS with Origin and Access-Control-Request-Method; any other
            # request with Origin (an OPTIONS without ACRM included) is an actual CORS request.
            method = environ[_ACRM]
            acrh = environ.get(_ACRH)
            if resource.fast_preflights and _LOG_CACHE.get(_DEBUG) is False:
                # Oversized values are refused before anything is hashed; then an allowed preflight
                # seen before is one lookup away, and an unknown origin is refused.
                if (
                    len(origin) > MAX_ORIGIN_LENGTH
                    or len(method) > MAX_METHOD_LENGTH
                    or (acrh is not None and len(acrh) > MAX_ACRH_LENGTH)
                ):
                    start_response(_FORBIDDEN, [*resource.preflight_refused, *_FORBIDDEN_HEADERS])
                    return []
                cached = resource.exact_preflights.get((origin, method, acrh))
                if cached is not None:
                    start_response(_NO_CONTENT, [*cached])
                    return []
                if resource.exact_only and origin not in resource.exact_answers:
                    start_response(_FORBIDDEN, [*resource.preflight_refused, *_FORBIDDEN_HEADERS])
                    return []
                headers = resource.cached_preflight(origin, method, acrh)
                if headers is not None:
                    start_response(_NO_CONTENT, headers)
                    return []
            answer = resource.preflight(origin, method, acrh, environ.get(_ACRPN))
            kind = "preflight"
            if resource.automatic_options:
                if _LOG_CACHE.get(_DEBUG) is not False:
                    self._log(kind, environ, resource, answer)
                return _answer_preflight(answer, start_response)
        else:
            # Exact origins: a dict lookup of a precomputed answer (bounded: a hostile Origin is not hashed).
            found = resource.exact_answers.get(origin) if len(origin) <= MAX_ORIGIN_LENGTH else None
            answer = found or resource.miss or resource.actual(origin)
        if _LOG_CACHE.get(_DEBUG) is not False:
            self._log(kind, environ, resource, answer)

        return _with_cors_headers(self.app, environ, start_response, answer, resource.intercept_exceptions)

    if TYPE_CHECKING or _speedups is None:
        __call__ = _call
    # Otherwise the C base class's __call__ serves requests, and calls _call for the rest.

    def _log(self, kind: str, environ: WSGIEnvironment, resource: ResourcePolicy, answer: Answer) -> None:
        if not logger.isEnabledFor(_DEBUG):
            return
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        if resource.settings.debug:
            # debug=True: the whole explanation (it repr()s every request value).
            headers = {name: environ[key] for name, key in _EXPLAINED_HEADERS if key in environ}
            logger.debug("%s", self.explain(method, path, headers))
            return
        # repr() throughout (shown()): request values may carry CR/LF (log injection, CVE-2024-1681).
        logger.debug(
            "%s %s %s from origin %s (rule %r): %s",
            kind,
            shown(method),
            shown(path),
            shown(environ.get("HTTP_ORIGIN")),
            resource.pattern,
            answer.reason,
        )


def _rebuild(
    cls: type[CORSMiddleware], app: WSGIApplication, options: Mapping[str, Any], labels: Mapping[str, str] | None
) -> CORSMiddleware:
    self = cls.__new__(cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)  # said when the original was built
        self._setup(app, options, labels)
    return self


def _with_cors_headers(
    app: WSGIApplication,
    environ: WSGIEnvironment,
    start_response: StartResponse,
    answer: Answer,
    intercept_exceptions: bool,
) -> Iterable[bytes]:
    """Call ``app`` with a ``start_response`` that adds ``answer``'s headers.

    A function of its own, not inline in ``__call__``: the closure's variables are cells, created on
    every call of the function that defines it, and uncovered paths and preflights need none.
    """
    appended = answer.appended

    def cors_start_response(
        status: str, headers: HeaderList, exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        if intercept_exceptions or status < "5" or status >= "6":  # not a 5xx status
            # Almost no application sets Vary or CORS headers itself: then one concatenation is
            # enough (a new list: the application's is never mutated). Otherwise merge exactly.
            try:
                sent = headers + appended
            except TypeError:  # not a list: a tuple or another iterable, from a sloppy application
                sent = _with_answer(list(headers), answer)
            else:
                for name, _ in headers:
                    if name not in _ORDINARY:
                        sent = _with_answer(headers, answer)
                        break
            headers = sent
        if exc_info is None:
            return start_response(status, headers)
        return start_response(status, headers, exc_info)

    return app(environ, cors_start_response)


def _with_answer(headers: HeaderList, answer: Answer) -> HeaderList:
    """The application's header list with ``answer``'s headers, whatever names it holds: ``Vary`` merged,
    its own CORS headers respected (:func:`~cors_wsgi.headers.add_cors_headers`)."""
    for name, _ in headers:
        name = name.lower()
        if name == "vary" or name.startswith("access-control-"):
            return add_cors_headers(headers, answer.headers, answer.vary)
    return headers + answer.appended


def _rule_record(resource: ResourcePolicy) -> tuple[Any, ...]:
    """What the C version of ``__call__`` reads of a rule, in the order _speedups.c's RULE_* indexes
    name; the objects are the policy's own."""
    assert _speedups is not None
    record = (
        resource.no_origin,
        resource.exact_answers,
        resource.miss,
        resource.intercept_exceptions,
        resource.fast_preflights,
        resource.exact_only,
        resource.exact_preflights,
        (*resource.preflight_refused, *_FORBIDDEN_HEADERS),
        resource.actual,
        resource.any_origin,
        resource.settings.origins.allows,
        resource.allowed_tail,
        ("Vary", resource.vary_actual) if resource.vary_actual else None,
        resource.rejected,
    )
    assert len(record) == _speedups.RULE_SIZE
    return record


def _answer_preflight(answer: Answer, start_response: StartResponse) -> Iterable[bytes]:
    headers = list(answer.headers)
    if answer.vary:
        headers.append(("Vary", answer.vary))
    if answer.status == 204:
        start_response(_NO_CONTENT, headers)
    else:
        headers.extend(_FORBIDDEN_HEADERS)
        start_response(_FORBIDDEN, headers)
    return []
