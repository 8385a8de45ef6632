"""flask-cors' public surface on cors_wsgi's engine: migrate by changing one import.

::

    from cors_wsgi.flask import CORS, cross_origin   # was: from flask_cors import CORS, cross_origin

    CORS(app, resources={r"/api/*": {"origins": ["https://app.example.com"]}})

    @app.route("/public/items/<int:item_id>")
    @cross_origin(origins="*")
    def item(item_id): ...

What it keeps from flask-cors: the names (``CORS(app=None, **options)`` with ``init_app``,
``cross_origin(**options)``), the option names and defaults, ``app.config``'s ``CORS_*`` keys with
flask-cors' precedence (a resource's own options > ``init_app`` keywords > constructor keywords >
``app.config`` > defaults), blueprints (``CORS(bp)`` covers that blueprint's routes, wherever it is
registered), a decorated view answering its own preflights, and several ``CORS(app)`` calls adding up
(the latest call's rule first, then the earlier ones', as a union of what they allow).

What it changes, on purpose (the documentation's "Differences from flask-cors" table): every decision is
cors_wsgi's, so a configuration flask-cors would take silently but that cannot work is refused with the fix
(``*`` with credentials, a misspelt origin, an unknown option); preflights get 204/403 instead of 200
with or without headers; paths are matched whole, not as prefixes (a warning lists the routes that lose
coverage); a view's or a blueprint's own rule is final, rejections included.

How it works. ``CORS(app)`` wraps ``app.wsgi_app`` in a :class:`~cors_wsgi.CORSMiddleware` (compiled where
the build is), so preflights are answered before Flask routes them. ``@cross_origin`` and ``CORS(bp)``
decide at the Flask level, where the route is known: the decorated view, or the blueprint's
``after_request``, applies its own compiled rule to its response and marks the request decided, and the
app-wide layer then leaves that response alone; preflights for those routes are passed on to Flask. A 404
or 405 never runs the view, so it gets the app-wide rule (or nothing), as with flask-cors. What that costs
per request happens in :class:`~cors_wsgi.stack.LayerStack`, which imports no Flask and is compiled with
the engine; this module holds what needs Flask.

Flask is an optional dependency (``pip install "cors_wsgi[flask]"``); ``import cors_wsgi`` never imports it.
"""

from __future__ import annotations

import re
import threading
import warnings
import weakref
from collections.abc import Iterable, Mapping
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, Callable, TypeVar, cast

from flask import Blueprint, Flask, current_app, request
from werkzeug.datastructures import Headers

from .errors import ConfigError, CORSConfigWarning, Problem, _user_stacklevel
from .headers import ORDINARY_RESPONSE_HEADERS, add_cors_headers
from .middleware import CORSMiddleware
from .options import BY_NAME, DEFAULTS, ORIGINS, RESOURCES, SUPPORTS_CREDENTIALS
from .paths import PATH_REGEX_CHARS
from .policy import Policy, ResourcePolicy, compile_policy
from .sources import Options, read_options
from .stack import DECIDED, VIEW_SLOT, LayerStack, answer_for

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from typing_extensions import Unpack

    from .options import CORSOptions

__all__ = ["CORS", "cross_origin"]

F = TypeVar("F", bound=Callable[..., Any])

_EXTENSION = "cors_wsgi"
_VIEW_MARK = "__cors_wsgi_view__"
_BLUEPRINT_MARK = "__cors_wsgi_blueprint__"


# --- CORS(app) and CORS(blueprint) ---------------------------------------------------------------------


class CORS:
    """flask-cors' extension: CORS for a whole application (or a blueprint), configured like flask-cors.

    ``CORS(app, **options)`` or, for an application factory, ``cors = CORS(**options)`` then
    ``cors.init_app(app, **more_options)``. Options are cors_wsgi's (flask-cors' names); ``app.config``'s
    ``CORS_*`` keys are read when the application is initialised; an unknown ``CORS_*`` key there is a
    :class:`~cors_wsgi.CORSConfigWarning` (other extensions keep keys of their own in ``app.config``), while
    an unknown keyword option is a :class:`~cors_wsgi.ConfigError`: it is a typo in this very call.
    """

    def __init__(self, app: Flask | Blueprint | None = None, **options: Unpack[CORSOptions]) -> None:
        _check_names(options, "CORS")
        self._options: dict[str, Any] = dict(options)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask | Blueprint, **options: Unpack[CORSOptions]) -> None:
        """Add CORS to ``app`` (a Flask application or a Blueprint); ``options`` win over the constructor's."""
        _check_names(options, "init_app")
        given = {**self._options, **options}
        if isinstance(app, Blueprint):
            _BlueprintRule.install(app, given)
        else:
            _AppCORS.install(app, given)


def _check_names(options: Mapping[str, object], call: str) -> None:
    """A misspelt keyword in the call itself is an error: under flask-cors ``origin=`` silently allowed
    every origin. (``app.config`` is shared with other code, so its unknown keys only warn.)"""
    from .config import unknown_option_message

    problems = [
        Problem(f"{call}({name}=...)", value, unknown_option_message(name))
        for name, value in options.items()
        if name not in BY_NAME
    ]
    if problems:
        raise ConfigError(problems)


def _compile(options: Mapping[str, Any], labels: Mapping[str, str], call: str) -> None:
    """Validate with the engine; refusals are raised with their fix in flask-cors terms."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CORSConfigWarning)  # said once, when the middleware is built
            compile_policy(options, labels)
    except ConfigError as error:
        raise ConfigError(_with_flask_fixes(error.problems, options, call)) from None


_DEFAULT_ORIGINS = DEFAULTS[ORIGINS.name]


def _with_flask_fixes(problems: Iterable[Problem], options: Mapping[str, Any], call: str) -> list[Problem]:
    """Rewrite the refusals a flask-cors user meets first as the line to write instead."""
    rewritten = []
    for problem in problems:
        credentials_with_default = (
            problem.option.endswith(("origins", "supports_credentials"))
            and "supports_credentials=True" in problem.message
            and options.get(ORIGINS.name, _DEFAULT_ORIGINS) == _DEFAULT_ORIGINS
            and options.get(SUPPORTS_CREDENTIALS.name) is True
        )
        if credentials_with_default:
            target = "app" if call == "CORS" else "bp"
            rewritten.append(
                Problem(
                    "supports_credentials",
                    True,
                    "with the default origins='*' this would let every website read your users' data with their "
                    f"cookies (flask-cors allowed it); name the sites: CORS({target}, "
                    "origins=['https://app.example.com'], supports_credentials=True) "
                    "(or app.config['CORS_ORIGINS'] = ['https://app.example.com'])",
                )
            )
        else:
            rewritten.append(problem)
    return rewritten


def _config_options(app: Flask, given: Mapping[str, object]) -> Options:
    """``app.config``'s ``CORS_*`` settings; unknown keys warn once each (flask-cors ignored them).
    ``given``: the keyword options, which win over the configuration."""
    found, problems = read_options(app.config, prefix="CORS_", where="app.config ", unknown="ignore")
    if problems:
        raise ConfigError(problems)
    warned = app.extensions.setdefault(_EXTENSION + ".ignored", set())
    for key, why in found.ignored.items():
        if key not in warned:  # once per application, however many views read the configuration
            warned.add(key)
            message = f"app.config[{key!r}] is ignored, as flask-cors ignored it: {why.removeprefix(_NOT_A_SETTING)}"
            if key == "CORS_ORIGIN" and ORIGINS.name not in found and ORIGINS.name not in given:
                message += " Until it is renamed, every origin is allowed (the default origins='*')."
            warnings.warn(message, CORSConfigWarning, stacklevel=_user_stacklevel())
    return found


_NOT_A_SETTING = "is not a cors_wsgi setting; "


_INSTALLING = threading.Lock()


# --- the application-wide layer ---------------------------------------------------------------------------


class _AppCORS:
    """What ``CORS(app)`` installs as ``app.wsgi_app``: one or more compiled configurations (one per
    ``CORS(app)`` call, the latest first) around Flask's own ``wsgi_app``.

    With one call and no decorated view or blueprint rule, requests go straight to that configuration's
    :class:`~cors_wsgi.CORSMiddleware`. Otherwise, at the first request (when the routes exist) it knows
    which routes decide at the Flask level, passes their preflights to Flask, and leaves alone any response
    a view or blueprint marked decided.
    """

    def __init__(self, flask_app: Flask, wsgi_app: WSGIApplication) -> None:
        self.flask_app = flask_app
        self.app = wsgi_app
        self.layers: list[CORSMiddleware] = []
        """One per ``CORS(app)`` call, the latest first."""
        self.resources: list[object] = []
        """Each layer's ``resources`` option as written (for flask-cors' reading of it: :func:`coverage`)."""
        self._warned = False
        self._serve: Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]] | None = None
        self._flask_level: list[re.Pattern[str]] = []
        self._lock = threading.Lock()
        self.views: dict[int, ResourcePolicy] = {}
        """Each decorated view's rule for this application, by the view's id (:func:`cross_origin`)."""

    @classmethod
    def install(cls, app: Flask, given: Mapping[str, Any]) -> None:
        found = _config_options(app, given)
        options = {**found, **given}
        labels = {name: label for name, label in found.labels.items() if name not in given}
        _compile(options, labels, "CORS")
        layer = CORSMiddleware(app.wsgi_app, **options)
        installed = app.extensions.get(_EXTENSION)
        if not isinstance(installed, _AppCORS):
            installed = cls(app, app.wsgi_app)
            app.extensions[_EXTENSION] = installed
        if app.wsgi_app == installed._serve or app.wsgi_app == installed.app:  # ours, or nothing on top
            app.wsgi_app = installed  # type: ignore[method-assign]
        layer.app = installed.app
        installed.layers.insert(0, layer)
        installed.resources.insert(0, options.get(RESOURCES.name, DEFAULTS[RESOURCES.name]))
        installed._serve = None  # routes or layers changed: look again at the next request
        if any(rule.endpoint != "static" for rule in app.url_map.iter_rules()):  # routes first, then CORS(app)
            installed._warn_about_coverage()

    @classmethod
    def ensure(cls, app: Flask) -> None:
        """Put the layer in front of an application that has decorated views but no ``CORS(app)``: from
        the next request on, its views report their rule instead of rewriting Flask's response."""
        with _INSTALLING:
            if not isinstance(app.extensions.get(_EXTENSION), _AppCORS):
                installed = cls(app, app.wsgi_app)
                app.wsgi_app = installed  # type: ignore[method-assign]
                app.extensions[_EXTENSION] = installed

    def _warn_about_coverage(self) -> None:
        self._warned = True
        coverage_warnings(self.flask_app, self.layers, self.resources)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        serve = self._serve
        if serve is None:
            serve = self._prepare()
        return serve(environ, start_response)

    def _prepare(self) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
        with self._lock:
            if self._serve is not None:
                return self._serve
            self._flask_level = [_rule_regex(rule.rule) for rule in _flask_level_rules(self.flask_app)]
            if not self._warned:
                self._warn_about_coverage()
            if len(self.layers) == 1 and not self._flask_level:
                self._serve = self.layers[0]
            else:
                self._serve = LayerStack(self.app, self.layers, self.flask_app, self.views, self._flask_level)
            if self.flask_app.wsgi_app is self:  # spare every request this object's own call
                self.flask_app.wsgi_app = self._serve  # type: ignore[method-assign]
            return self._serve


# --- routes that decide at the Flask level ----------------------------------------------------------------


def _flask_level_rules(app: Flask) -> list[Any]:
    """URL rules whose view is decorated with ``@cross_origin`` or belongs to a blueprint given ``CORS(bp)``."""
    decided_blueprints = {name for name, blueprint in app.blueprints.items() if hasattr(blueprint, _BLUEPRINT_MARK)}
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        names = rule.endpoint.split(".")[:-1]
        owners = {".".join(names[: i + 1]) for i in range(len(names))}
        if getattr(view, _VIEW_MARK, None) is not None or owners & decided_blueprints:
            found.append(rule)
    return found


_CONVERTER = re.compile(r"<(?:[^:<>]+:)?[^<>]+>")


def _rule_regex(rule: str) -> re.Pattern[str]:
    """Every path a werkzeug rule string can match (and more): each ``<converter:name>`` as ``.+``."""
    parts = _CONVERTER.split(rule)
    return re.compile(".+".join(re.escape(part) for part in parts) + "/?")


# --- @cross_origin ---------------------------------------------------------------------------------------------


def cross_origin(*args: Any, **options: Unpack[CORSOptions]) -> Callable[[F], F]:
    """flask-cors' per-view decorator: this view answers CORS with its own options (over ``app.config``'s).

    Put it below ``@app.route``. With ``automatic_options`` (the default) the view answers preflights
    itself: 204 and the allow-headers when its options allow the request, 403 otherwise. Only the view's
    own responses are covered: a 404, a 405 (a method the route does not take) or an exception never run
    the view, and get the application-wide rule, if any, as with flask-cors. The options are checked when
    the view is decorated; ``app.config`` is read at the view's first request.
    """
    _check_names(options, "cross_origin")
    if args:
        raise TypeError("cross_origin() takes keyword options only, e.g. @cross_origin(origins=['https://a.example'])")
    own: dict[str, Any] = dict(options)
    if own.pop(RESOURCES.name, None) is not None:  # flask-cors accepted and ignored it too
        warnings.warn(
            "cross_origin(resources=...) is ignored: the decorator covers its own view's routes",
            CORSConfigWarning,
            stacklevel=_user_stacklevel(),
        )
    _compile(own, {}, "cross_origin")
    automatic = own.get("automatic_options", True)

    def decorator(view: F) -> F:
        if automatic:  # this view answers OPTIONS (its preflights) itself, as flask-cors' does
            target = cast(Any, view)
            target.required_methods = {*getattr(view, "required_methods", ()), "OPTIONS"}
            target.provide_automatic_options = False
        compiled: weakref.WeakKeyDictionary[Flask, ResourcePolicy] = weakref.WeakKeyDictionary()
        """Per application (a view may serve several, in tests): its configuration read at the first request."""

        def rule_for(app: Flask) -> ResourcePolicy:
            resource = compiled.get(app)
            if resource is None:
                merged = {**_config_options(app, own), **own, "resources": r"/*"}
                resource = _policy(merged).everything
                assert resource is not None
                compiled[app] = resource
            return resource

        key = id(view)

        def wrapped(*view_args: Any, **view_kwargs: Any) -> Any:
            slot = VIEW_SLOT.get(None)
            if slot is None:  # no layer in front yet (this application's first request): answer here
                app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
                _AppCORS.ensure(app)
                return _answer_in_flask(rule_for(app), app, view, view_args, view_kwargs)
            environ, app, views = slot[0], slot[1], slot[2]
            resource = views.get(key)
            if resource is None:
                resource = views[key] = rule_for(app)
            if resource.automatic_options and environ.get("REQUEST_METHOD") == "OPTIONS":
                slot.append(resource)  # the layer answers: a preflight itself, any other OPTIONS on Flask's
                preflight = environ.get("HTTP_ORIGIN") is not None and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
                return app.response_class() if preflight else app.make_default_options_response()
            result = view(*view_args, **view_kwargs)
            slot.append(resource)  # only once the view answered: an exception gets the app-wide rule
            return result

        setattr(wrapped, _VIEW_MARK, own)
        return cast(F, update_wrapper(wrapped, view))

    return decorator


# --- blueprints -----------------------------------------------------------------------------------------------


class _BlueprintRule:
    """``CORS(bp)``: the blueprint's routes answer CORS with these options, wherever it is registered."""

    @staticmethod
    def install(blueprint: Blueprint, given: Mapping[str, Any]) -> None:
        _compile(given, {}, "CORS")
        policy = _policy(given)
        setattr(blueprint, _BLUEPRINT_MARK, given)

        def after_request(response: Any) -> Any:
            environ = request.environ
            if environ.get(DECIDED):  # a decorated view, or a nested blueprint's rule, decided already
                return response
            path = environ.get("PATH_INFO", "")
            resource = policy.lookup(path) if isinstance(path, str) else None
            if resource is not None:
                _decide(resource, response, environ)
            return response

        blueprint.after_request(after_request)


def _policy(options: Mapping[str, Any]) -> Policy:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)  # said when the options were checked
        return compile_policy(options)


# --- answering at the Flask level -------------------------------------------------------------------------------


def _answer_in_flask(resource: ResourcePolicy, app: Flask, view: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """A decorated view's answer applied to Flask's response, where no layer stands in front."""
    environ = request.environ
    if resource.automatic_options and environ.get("REQUEST_METHOD") == "OPTIONS":
        preflight = environ.get("HTTP_ORIGIN") is not None and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        response = app.response_class() if preflight else app.make_default_options_response()
    else:
        response = app.make_response(view(*args, **kwargs))
    _decide(resource, response, environ)
    return response


def _decide(resource: ResourcePolicy, response: Any, environ: WSGIEnvironment) -> None:
    """Apply ``resource``'s answer to a Flask response and mark the request decided, so that the
    application-wide layer adds nothing more (one request, one answer)."""
    environ[DECIDED] = True
    answer = answer_for(resource, environ)
    if answer.status and resource.automatic_options:  # a preflight the rule answers itself
        status, headers = answer.response()
        response.status = status
        response.set_data(b"")
        response.headers = Headers(headers)
        return
    if not resource.intercept_exceptions and response.status_code >= 500:
        return
    headers = response.headers
    current = headers.to_wsgi_list()
    for name, _ in current:
        if name not in ORDINARY_RESPONSE_HEADERS:  # the view set Vary or CORS headers: merge exactly
            response.headers = Headers(add_cors_headers(current, answer.headers, answer.vary))
            return
    headers.extend(answer.appended)  # the common case: the view set neither


# --- coverage under flask-cors' reading ----------------------------------------------------------------------


def _sample_path(rule: str) -> str:
    """A path the rule matches, for comparing the two readings of ``resources``."""

    def sample(match: re.Match[str]) -> str:
        converter = match.group(0)[1:-1].split(":", 1)[0] if ":" in match.group(0) else "default"
        return {"int": "1", "float": "1.5", "path": "a/b", "uuid": "00000000-0000-0000-0000-000000000000"}.get(
            converter, "x"
        )

    return _CONVERTER.sub(sample, rule)


def flask_cors_rule(resources: object, path: str) -> str | None:
    """The ``resources`` pattern flask-cors 6 applies to ``path``: patterns with one of ``*\\]?$^[()``
    are regexes matched as prefixes (``re.match``), others compared whole; a dict is sorted literal
    paths first, then by more ``/`` and length; a list keeps its order."""
    if isinstance(resources, Mapping):
        patterns = sorted(resources, key=lambda p: (_is_regex(p), -_text(p).count("/"), -len(_text(p))))
    elif isinstance(resources, (str, re.Pattern)):
        patterns = [resources]
    else:
        patterns = list(cast(Iterable[Any], resources))
    for pattern in patterns:
        text = _text(pattern)
        if isinstance(pattern, re.Pattern):
            if pattern.match(path):
                return text
        elif _is_regex(pattern):
            try:
                if re.match(".*" if text == "*" else text, path):
                    return text
            except re.error:
                continue
        elif text == path:
            return text
    return None


def _text(pattern: object) -> str:
    return pattern.pattern if isinstance(pattern, re.Pattern) else str(pattern)


def _is_regex(pattern: object) -> bool:
    return isinstance(pattern, re.Pattern) or any(char in PATH_REGEX_CHARS for char in str(pattern))


def coverage(
    app: Flask, layers: list[CORSMiddleware] | None = None, resources: list[object] | None = None
) -> list[dict[str, Any]]:
    """Per URL rule: its methods, the ``resources`` rule cors_wsgi applies, and the one flask-cors would
    (``python -m cors_wsgi check --flask-app``)."""
    if layers is None or resources is None:
        installed = app.extensions.get(_EXTENSION)
        layers, resources = (installed.layers, installed.resources) if isinstance(installed, _AppCORS) else ([], [])
    decided = {rule.rule for rule in _flask_level_rules(app)}
    rows = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        path = _sample_path(rule.rule)
        ours = next((resource.pattern for layer in layers if (resource := layer.policy.lookup(path))), None)
        theirs = next((found for option in resources if (found := flask_cors_rule(option, path))), None)
        rows.append(
            {
                "route": rule.rule,
                "methods": sorted(rule.methods or ()),
                "cors_wsgi": "its own view or blueprint rule" if rule.rule in decided else ours,
                "flask_cors": "its own view or blueprint rule" if rule.rule in decided else theirs,
            }
        )
    return rows


def coverage_warnings(app: Flask, layers: list[CORSMiddleware], resources: list[object]) -> None:
    """Warn once about the routes flask-cors' prefix matching covered and cors_wsgi's whole-path matching
    does not: after a migration they would silently lose CORS."""
    lost = [row for row in coverage(app, layers, resources) if row["flask_cors"] and not row["cors_wsgi"]]
    if not lost:
        return
    lines = []
    for row in lost:
        pattern = row["flask_cors"]
        lines.append(f"  {row['route']} (flask-cors: {pattern!r}): {_why_lost(pattern, row['route'])}")
    warnings.warn(
        "these routes were covered by flask-cors, which matches resources patterns as prefixes, and are not "
        "covered here, where a pattern must match the whole path:\n" + "\n".join(lines),
        CORSConfigWarning,
        stacklevel=_user_stacklevel(),
    )


def _why_lost(pattern: str, route: str) -> str:
    if pattern.endswith("/*") and not route.startswith(pattern[:-1]):
        base = pattern[:-2]
        return (
            f"{pattern!r} covers {base!r} and the paths below {base + '/'!r}, and flask-cors matched it as a mere "
            f"prefix of {route!r}; if that route should have CORS, add {route!r} to resources"
        )
    prefix = pattern.lstrip("^").rstrip("$").rstrip("*").rstrip("/")
    return (
        f"{pattern!r} must match the whole path here; write {prefix + '/*'!r} (a string) to cover {prefix!r} and "
        "everything below it"
    )
