"""The applications being measured: the floor, two reference layers, cors_wsgi and its peers.

Every CORS implementation gets the same policy (:data:`ALLOWED_ORIGIN` only, :data:`METHODS`,
:data:`ALLOW_HEADERS`, max age 600 s, credentials off, paths under ``/api``), written in each one's own
option language; the factories below say how. Peers are optional: :class:`Peers` imports them and
records a line for each one that is missing, so the run goes on without it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable
from types import ModuleType
from typing import Any, Callable

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

ALLOWED_ORIGIN = "https://app.example.com"
REJECTED_ORIGIN = "https://evil.example.net"
METHODS = ("GET", "POST", "PUT", "DELETE")
ALLOW_HEADERS = ("Content-Type", "X-Requested-With")
MAX_AGE = 600
COVERED_PATH = "/api/items"
UNCOVERED_PATH = "/public/page"
RESOURCES = r"/api/*"

# 1000 exact origins with the allowed one last (the worst place for a peer that scans a list).
FUNCTION_ORIGIN = "https://tenant.example.org"
"""Allowed only by the function in ``origins`` (:func:`is_tenant_origin`)."""
MANY_ORIGINS = (*(f"https://app{i}.example.com" for i in range(999)), ALLOWED_ORIGIN)

# What ``pip install`` name provides each importable peer, for the "skipped" lines.
DISTRIBUTIONS = {
    "wsgicors": "wsgicors==0.7.0",
    "flask": "flask",
    "flask_cors": "flask-cors",
    "django": "django",
    "corsheaders": "django-cors-headers",
}


class Peers:
    """Optional imports. ``without`` simulates missing packages (``--without``): the import then fails
    with the same ImportError as a package that is not installed, through the same code path."""

    def __init__(self, without: Iterable[str] = ()) -> None:
        self.without = {_module_name(name) for name in without}
        self.skipped: list[str] = []
        self._cache: dict[str, ModuleType | None] = {}

    def load(self, module: str) -> ModuleType | None:
        if module not in self._cache:
            self._cache[module] = self._import(module)
        return self._cache[module]

    def _import(self, module: str) -> ModuleType | None:
        saved = sys.modules.get(module, _MISSING)
        if module in self.without:
            sys.modules[module] = None  # type: ignore[assignment]  # makes ``import module`` raise
        try:
            return __import__(module)
        except ImportError as exc:
            self.skip(module, f"not installed ({exc.__class__.__name__}); pip install {DISTRIBUTIONS.get(module)}")
            return None
        finally:
            if module in self.without:
                if saved is _MISSING:
                    sys.modules.pop(module, None)
                else:
                    sys.modules[module] = saved  # type: ignore[assignment]

    def skip(self, what: str, why: str) -> None:
        line = f"skipped {what}: {why}"
        if line not in self.skipped:
            self.skipped.append(line)


_MISSING = object()


def _module_name(name: str) -> str:
    """Accept distribution names too: ``--without django-cors-headers`` means ``corsheaders``."""
    aliases = {"django-cors-headers": "corsheaders", "flask-cors": "flask_cors"}
    return aliases.get(name, name.replace("-", "_"))


# --- the floor and the two reference layers ------------------------------------------------------------

_BODY = [b"ok"]


def trivial_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The floor: a new header list per response (as real apps build), a constant one-chunk body."""
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")])
    return _BODY


class Forward:
    """R0: a middleware that only forwards the call. The cheapest possible layer."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, start_response)


_R1_HEADERS = [("X-Bench-One", "1"), ("X-Bench-Two", "2"), ("Vary", "Origin")]


class AppendHeaders:
    """R1: wraps ``start_response`` and hands the server a new list with three constant headers
    appended; the least a header-adding middleware can do without mutating the application's list."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        def wrapped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, headers + _R1_HEADERS, exc_info)

        return self.app(environ, wrapped)


# --- cors_wsgi and wsgicors ------------------------------------------------------------------------------


def cors_wsgi(app: WSGIApp, origins: Iterable[str] = (ALLOWED_ORIGIN,), middleware: Any = None) -> WSGIApp:
    from cors_wsgi import CORSMiddleware

    return (middleware or CORSMiddleware)(
        app,
        resources=RESOURCES,
        origins=list(origins),
        methods=list(METHODS),
        allow_headers=list(ALLOW_HEADERS),
        max_age=MAX_AGE,
        supports_credentials=False,
    )


def is_tenant_origin(origin: str) -> bool:
    """A function in ``origins``, as deployments write them: a set lookup (a cache of a database)."""
    return origin in TENANT_ORIGINS


TENANT_ORIGINS = frozenset({FUNCTION_ORIGIN})


def cors_wsgi_with_function(app: WSGIApp) -> WSGIApp:
    """The same configuration with a function beside the listed origin."""
    from cors_wsgi import CORSMiddleware

    return CORSMiddleware(
        app,
        resources=RESOURCES,
        origins=[ALLOWED_ORIGIN, is_tenant_origin],
        methods=list(METHODS),
        allow_headers=list(ALLOW_HEADERS),
        max_age=MAX_AGE,
        supports_credentials=False,
    )


def cors_wsgi_interpreted(app: WSGIApp) -> WSGIApp | None:
    """The same configuration on the interpreted build of the same source (benchmarks/interpreted.py),
    as it runs on PyPy, without a compiler or in an editable install. None when the installed build is
    the interpreted one: the ``cors_wsgi`` variant is then this one."""
    from benchmarks import interpreted

    package = interpreted.load()
    if package is None:
        return None
    return cors_wsgi(app, middleware=package.CORSMiddleware)


def wsgicors(module: ModuleType, app: WSGIApp, origins: Iterable[str] = (ALLOWED_ORIGIN,)) -> WSGIApp:
    """wsgicors 0.7.0 (read from its source): keyword options form one "direct" policy; ``origin`` is a
    space-separated list of fnmatch patterns compared with the lowercased request origin; ``methods``
    is comma-separated; ``headers`` is sent verbatim as Access-Control-Allow-Headers (only ``*`` echoes
    the request); ``credentials`` and ``maxage`` are strings. It has no notion of paths: every path is
    covered.

    ``selectPolicy`` is an ``lru_cache(maxsize=200)`` keyed by (instance, origin, method), declared on
    the class, so every instance shares one cache. A deployment has one instance; here several live in
    one process, and the rotating-origin scenario would evict the others' entries every round. So each
    instance gets its own class with its own cache of the same size: wsgicors' logic, unchanged.
    """
    isolated = type("CORS", (module.CORS,), {"selectPolicy": functools.lru_cache(maxsize=200)(_unwrap(module))})
    app_: WSGIApp = isolated(
        app,
        origin=" ".join(origins),
        methods=", ".join(METHODS),
        headers=", ".join(name.lower() for name in ALLOW_HEADERS),
        maxage=str(MAX_AGE),
        credentials="false",
    )
    return app_


def _unwrap(module: ModuleType) -> Callable[..., Any]:
    original: Callable[..., Any] = module.CORS.selectPolicy.__wrapped__
    return original


# --- Flask ----------------------------------------------------------------------------------------------


def flask_app(flask: ModuleType) -> Any:
    """A minimal Flask app; each call builds a new, identical one."""
    app = flask.Flask("bench")

    @app.route(COVERED_PATH)
    def items() -> str:
        return "ok"

    @app.route(UNCOVERED_PATH)
    def page() -> str:
        return "ok"

    return app


def flask_with_cors_wsgi(flask: ModuleType) -> Any:
    app = flask_app(flask)
    app.wsgi_app = cors_wsgi(app.wsgi_app)
    return app


def flask_with_flask_cors(flask: ModuleType, flask_cors: ModuleType) -> Any:
    """flask-cors takes the same option names as cors_wsgi (cors_wsgi copied them); so does
    ``cors_wsgi.flask``, its drop-in, passed as ``flask_cors`` for the ``flask+cors_wsgi.flask`` variant."""
    app = flask_app(flask)
    flask_cors.CORS(
        app,
        resources={RESOURCES: {}},
        origins=[ALLOWED_ORIGIN],
        methods=list(METHODS),
        allow_headers=list(ALLOW_HEADERS),
        max_age=MAX_AGE,
        supports_credentials=False,
    )
    return app


def flask_view_app(flask: ModuleType, cross_origin: Any = None) -> Any:
    """A minimal Flask app whose covered view is decorated with ``cross_origin`` (None: no CORS)."""
    app = flask.Flask("bench")

    def items() -> str:
        return "ok"

    view = items
    if cross_origin is not None:
        view = cross_origin(
            origins=[ALLOWED_ORIGIN], methods=list(METHODS), allow_headers=list(ALLOW_HEADERS), max_age=MAX_AGE
        )(items)
    app.add_url_rule(COVERED_PATH, "items", view, methods=["GET", "PUT", "POST", "DELETE"])
    return app


# --- Django ---------------------------------------------------------------------------------------------

urlpatterns: list[Any] = []
"""Filled by :func:`django_apps`; this module is the benchmark's ROOT_URLCONF."""


def _django_view(request: Any) -> Any:
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain; charset=utf-8")


def django_apps(peers: Peers) -> tuple[WSGIApp, WSGIApp | None] | None:
    """(bare Django app, the same app with django-cors-headers) or None when Django is unusable here.

    Settings are configured in-process (once: Django's settings are global), with no database, no
    installed apps and one view on both paths. django-cors-headers is configured with the same policy:
    ``CORS_ALLOWED_ORIGINS``, ``CORS_ALLOW_METHODS``, ``CORS_ALLOW_HEADERS`` (lowercase, as it sends
    them), ``CORS_PREFLIGHT_MAX_AGE``, ``CORS_ALLOW_CREDENTIALS=False`` and ``CORS_URLS_REGEX`` matching
    what ``resources=r"/api/*"`` covers. Its middleware is read only when a handler is built, so the
    two handlers below differ only by that middleware.
    """
    django = peers.load("django")
    if django is None:
        return None
    from django.conf import settings

    if settings.configured:
        peers.skip("django", "settings were already configured in this process")
        return None
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        DATABASES={},
        USE_TZ=True,
        LOGGING_CONFIG=None,
        CORS_ALLOWED_ORIGINS=[ALLOWED_ORIGIN],
        CORS_ALLOW_METHODS=list(METHODS),
        CORS_ALLOW_HEADERS=[name.lower() for name in ALLOW_HEADERS],
        CORS_PREFLIGHT_MAX_AGE=MAX_AGE,
        CORS_ALLOW_CREDENTIALS=False,
        CORS_URLS_REGEX=r"^/api(?:/.*)?$",
    )
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.urls import path

    urlpatterns[:] = [path(COVERED_PATH.lstrip("/"), _django_view), path(UNCOVERED_PATH.lstrip("/"), _django_view)]
    bare = WSGIHandler()
    with_corsheaders = None
    if peers.load("corsheaders") is not None:
        settings.MIDDLEWARE = ["corsheaders.middleware.CorsMiddleware"]
        with_corsheaders = WSGIHandler()
        settings.MIDDLEWARE = []
    return bare, with_corsheaders
