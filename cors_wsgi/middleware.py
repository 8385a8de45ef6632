"""The WSGI adapter: answer preflights, add CORS headers to everything else on covered paths.

Everything about *what* to answer lives in :mod:`cors_wsgi.policy`, compiled once when the middleware
is built. This module only reads the request values CORS depends on from ``environ`` and applies the
answer, following PEP 3333 to the letter:

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

Bad input is read as if the middleware were not there, never as an error: a request value that is not
a ``str`` (a server bug) counts as empty, which is a malformed Origin or preflight, and an application's
headers that are not a list of pairs go to the server as they are, with the CORS headers added.

This module and the policy are compiled by mypyc where pip can build it (docs/performance.md); the
same source runs interpreted elsewhere. :data:`ACCELERATED` says which.

What it cannot do: CORS is enforced by browsers. A rejected *simple* request (GET, form POST) still
reaches the application; only the page is kept from reading the answer. Preflighted requests are
stopped here, before the application runs.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Mapping
from types import FunctionType
from typing import TYPE_CHECKING, Any, Final

from .errors import ConfigError, CORSConfigWarning, Problem
from .explain import Explanation, explain, shown
from .fetch import REQUEST_HEADER_KEYS
from .headers import ORDINARY_RESPONSE_HEADERS, add_cors_headers
from .options import DEBUG, CORSOptions, signature
from .origins import MAX_ORIGIN_LENGTH
from .policy import Answer, Decision, Policy, ResourcePolicy, compile_policy
from .sources import Options, read_options

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from typing_extensions import Unpack

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # mypy_extensions is a build dependency only

    def mypyc_attr(*attrs: str, **kwattrs: object) -> Any:  # type: ignore[misc]
        return lambda cls: cls


def _compiled() -> bool:
    """Whether this very function was compiled: mypyc makes it a builtin, not a Python function. (Not
    ``__file__``: some mypyc versions set it only once the module has loaded.)"""
    return not isinstance(_compiled, FunctionType)


ACCELERATED: Final = _compiled()
"""True when this module runs compiled by mypyc, False when interpreted (PyPy, no compiler, an
editable install)."""

logger: Final = logging.getLogger("cors_wsgi")
_DEBUG: Final = logging.DEBUG
_is_enabled_for: Final = logger.isEnabledFor
"""Asked on every request, as the logging module means it to be (its answer is cached there): DEBUG logs
say why each request was allowed or refused. The bound method spares an attribute lookup per request."""
_ACRM: Final = REQUEST_HEADER_KEYS["Access-Control-Request-Method"]
_ACRH: Final = REQUEST_HEADER_KEYS["Access-Control-Request-Headers"]
_ACRPN: Final = REQUEST_HEADER_KEYS["Access-Control-Request-Private-Network"]


class _ClassSignature:
    """``inspect.signature(CORSMiddleware)`` and ``help()`` list every option, generated from the
    registry (a compiled ``__init__`` has no introspectable signature). Only the class answers: an
    instance is a WSGI application, whose signature is ``(environ, start_response)``."""

    def __get__(self, instance: object, owner: object = None) -> Any:
        if instance is not None:
            raise AttributeError("__signature__")
        import inspect

        return signature(inspect.Parameter("app", inspect.Parameter.POSITIONAL_OR_KEYWORD))


@mypyc_attr(allow_interpreted_subclasses=True)
class CORSMiddleware:
    """Add Cross-Origin Resource Sharing to a WSGI application.

    - Preflights (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) on a covered path
      are answered here: ``204`` with the allow-headers when the policy allows the origin, method and
      every requested header; ``403`` with no ``Access-Control-*`` header otherwise. The application is
      not called (unless ``automatic_options=False``).
    - Every other request on a covered path goes to the application; its response gets
      ``Access-Control-Allow-Origin`` (and ``-Allow-Credentials``, ``-Expose-Headers``) when the origin
      is allowed, and ``Vary: Origin`` whenever the answer depends on the origin.
    - Paths no ``resources`` pattern covers pass through untouched.

    Options are keyword-only and use flask-cors' names and defaults (:class:`cors_wsgi.options.CORSOptions`
    lists them with their types; ``help(CORSMiddleware)`` with their defaults). An invalid configuration
    raises :class:`~cors_wsgi.ConfigError` listing every problem; :meth:`reconfigure` replaces the
    configuration of a running middleware.

    ::

        from cors_wsgi import CORSMiddleware

        app.wsgi_app = CORSMiddleware(app.wsgi_app, origins=["https://app.example.com"])
    """

    def __init__(self, app: WSGIApplication, *positional: object, **options: Unpack[CORSOptions]) -> None:
        # *positional only to refuse it: a compiled __init__ taking just **options ignores extra
        # positional arguments (mypyc 2.4), and CORSMiddleware(app, ["https://a.example"]) would then
        # silently allow every origin.
        if positional:
            raise TypeError(
                f"CORSMiddleware() takes the application, then options as keywords only, "
                f"e.g. CORSMiddleware(app, origins={positional[0]!r}); got {len(positional)} more positional"
            )
        self.app = app
        self.policy: Policy = self._compile(options, None)

    def _compile(self, options: Mapping[str, Any], labels: Mapping[str, str] | None) -> Policy:
        policy = compile_policy(options, labels)
        self._source: tuple[dict[str, Any], Mapping[str, str] | None] = (dict(options), labels)  # __reduce__
        if _is_enabled_for(_DEBUG):
            for path, resource in policy.table.rules:
                logger.debug("CORS rule %r (%s): %r", path.source, path.kind, resource.settings)
        return policy

    def reconfigure(self, **options: Unpack[CORSOptions]) -> None:
        """Replace the whole configuration with ``options``, as if the middleware were built anew:
        an option not given returns to its default.

        The new configuration is validated first: on :class:`~cors_wsgi.ConfigError` the old one keeps
        serving, unchanged. The swap is atomic: a request reads the configuration once, so each response
        is entirely the old configuration's answer or entirely the new one's. Safe to call from any
        thread (a timer, a signal handler, a gunicorn hook)::

            middleware.reconfigure(origins=load_allowed_origins(), supports_credentials=True)
        """
        self.policy = self._compile(options, None)

    def __reduce__(self) -> tuple[Any, ...]:
        """``copy.copy``, ``copy.deepcopy`` and ``pickle`` rebuild the middleware from its options: the
        compiled policy is not a set of attributes to copy."""
        return (_rebuild, (type(self), self.app, *self._source))

    @classmethod
    def from_mapping(
        cls, app: WSGIApplication, mapping: object, prefix: str = "CORS_", **options: Unpack[CORSOptions]
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
        cls,
        app: WSGIApplication,
        environ: Mapping[str, str] | None = None,
        prefix: str = "CORS_",
        **options: Unpack[CORSOptions],
    ) -> CORSMiddleware:
        """Read ``CORS_<OPTION>`` environment variables (``os.environ`` unless ``environ`` is given).

        Values are strings: ``CORS_ORIGINS=https://a.example,https://b.example``,
        ``CORS_SUPPORTS_CREDENTIALS=true``, ``CORS_MAX_AGE=600``,
        ``CORS_RESOURCES='{"/api/*": {"origins": "*"}}'``. Keyword ``options`` win; unknown ``CORS_*``
        variables are a :class:`ConfigError`, as for :meth:`from_mapping`::

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
        self.app = app
        self.policy = self._compile(merged, labels)
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

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        policy = self.policy  # read once: reconfigure() swaps it whole
        resource = policy.everything
        if resource is None:
            path = environ.get("PATH_INFO", "")
            if not isinstance(path, str):
                return self.app(environ, start_response)
            table = policy.table
            # Comparisons first (see PathTable): on CPython 3.11 str.startswith parses its arguments into a
            # tuple, and lookup() costs the interpreted build 3,100 instructions more per request than these
            # tests on a covered path, 3,400 more on /public and 2,800 more on /admin (callgrind, r"/api/*");
            # compiled, lookup() costs what the comparisons do (/public 470 more, /admin 80 less).
            if path < table.after:
                if table.starts <= path:
                    resource = table.single
                elif table.below <= path < table.first:  # below every rule's paths, yet routed as sent
                    return self.app(environ, start_response)
                else:
                    resource = table.lookup(path)
            elif path < table.above:  # above every rule's paths, yet routed as sent
                return self.app(environ, start_response)
            else:
                resource = table.lookup(path)
            if resource is None:
                return self.app(environ, start_response)
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            answer = resource.no_origin
        else:
            if not isinstance(origin, str):
                origin = ""
            # Fetch: a preflight is OPTIONS with Origin and Access-Control-Request-Method; any other
            # request with Origin (an OPTIONS without ACRM included) is an actual CORS request.
            method = environ.get(_ACRM)
            if method is not None and environ.get("REQUEST_METHOD") == "OPTIONS":
                if not resource.fast_preflights or _is_enabled_for(_DEBUG):
                    return self._preflight(environ, start_response, resource, origin, method)
                status, headers = resource.preflight_response(origin, method, environ.get(_ACRH))
                start_response(status, headers)
                return []
            # The answer for a listed origin is ready: one lookup (of a bounded value: a hostile Origin is
            # never hashed).
            found = resource.known_answers.get(origin) if len(origin) <= MAX_ORIGIN_LENGTH else None
            answer = found or resource.miss or resource.actual(origin)
        if _is_enabled_for(_DEBUG):
            self._log("request", environ, resource, answer)
        return _call_with_headers(self.app, environ, start_response, answer, resource.intercept_exceptions)

    def _preflight(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        resource: ResourcePolicy,
        origin: str,
        method: object,
    ) -> Iterable[bytes]:
        """A preflight the caches do not serve (``__call__`` sends the rest to ``preflight_response``):
        debug logging or ``debug=True`` explains it, ``automatic_options=False`` passes it on to the
        application, ``allow_private_network`` reads one more header."""
        if not isinstance(method, str):
            method = ""
        request_headers = environ.get(_ACRH)
        if request_headers is not None and not isinstance(request_headers, str):
            request_headers = ""
        # Access-Control-Request-Private-Network changes nothing unless allow_private_network is on.
        private_network = environ.get(_ACRPN) if resource.private_network else None
        if not isinstance(private_network, str):
            private_network = None
        answer = resource.preflight(origin, method, request_headers, private_network)
        if _is_enabled_for(_DEBUG):
            self._log("preflight", environ, resource, answer)
        if resource.automatic_options:
            status, headers = answer.response()
            start_response(status, headers)
            return []
        return _call_with_headers(self.app, environ, start_response, answer, resource.intercept_exceptions)

    def _log(self, kind: str, environ: WSGIEnvironment, resource: ResourcePolicy, answer: Answer) -> None:
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        if resource.settings[DEBUG] and isinstance(method, str) and isinstance(path, str):
            # debug=True: the whole explanation (it repr()s every request value).
            headers = {name: environ[key] for name, key in REQUEST_HEADER_KEYS.items() if key in environ}
            logger.debug(
                "%s", explain(self.policy, method, path, {k: v for k, v in headers.items() if isinstance(v, str)})
            )
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


# Set after the class is made: a compiled class body would turn it into an instance attribute.
setattr(CORSMiddleware, "__signature__", _ClassSignature())  # noqa: B010


def _rebuild(
    cls: type[CORSMiddleware], app: WSGIApplication, options: Mapping[str, Any], labels: Mapping[str, str] | None
) -> CORSMiddleware:
    self = cls.__new__(cls)
    self.app = app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)  # said when the original was built
        self.policy = self._compile(options, labels)
    return self


def _call_with_headers(
    app: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse, answer: Answer, intercept: bool
) -> Iterable[bytes]:
    """Call ``app`` with a ``start_response`` that adds ``answer``'s headers.

    A function of its own rather than inline in ``__call__``: a closure's variables are cells, made on
    every call of the function that defines it, and uncovered paths and preflights need none.
    """

    # Any: whatever the application passes goes on to the server; only a str status is inspected.
    def cors_start_response(status: Any, headers: Any, exc_info: Any = None) -> Any:
        if intercept or not (isinstance(status, str) and status.startswith("5")):
            # Almost no application sets Vary or CORS headers itself: then one concatenation is enough,
            # and a set lookup per name (ORDINARY_RESPONSE_HEADERS) shows it without lower-casing each.
            # A header that is not a pair of hashables raises here and is merged as well as it can be. (The
            # try costs nothing interpreted, where it replaces four type tests per header: 1,260
            # instructions less for two headers; compiled, 140 more.)
            if type(headers) is list:
                try:
                    for header in headers:
                        if header[0] not in ORDINARY_RESPONSE_HEADERS:
                            headers = _merged(headers, answer)
                            break
                    else:
                        headers = headers + answer.appended
                except Exception:
                    headers = _merged(headers, answer)
            else:
                headers = _merged(headers, answer)
        if exc_info is None:
            return start_response(status, headers)
        return start_response(status, headers, exc_info)

    return app(environ, cors_start_response)


def _merged(headers: Any, answer: Answer) -> Any:
    """The application's headers with ``answer``'s merged exactly (:func:`~cors_wsgi.headers.add_cors_headers`),
    whatever the application passed: a tuple or another iterable is read into a new list, and what is not
    headers at all goes to the server as it is, to be refused there as it would be without the middleware."""
    if not isinstance(headers, list):
        try:
            headers = list(headers)
        except TypeError:
            return headers
    return add_cors_headers(headers, answer.headers, answer.vary)
