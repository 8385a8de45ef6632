"""Several CORS configurations over one application whose routes may answer CORS themselves.

This is the per-request half of the Flask drop-in (:mod:`cors_wsgi.flask`), kept free of Flask so that it
is compiled with the engine: ``CORS(app)`` called more than once, ``@cross_origin`` views and ``CORS(bp)``
blueprints all meet here. Compiled, a decorated view's whole overhead went from about 15,000 to 9,000
instructions per request on a rejected origin, and from 14,000 to 11,000 on an allowed one (callgrind;
flask-cors' decorator: 174,000 and 224,000).

::

    stack = LayerStack(flask_app.wsgi_app, [latest, earlier], flask_app, views, deciding=[re.compile("/items/.+/?")])

A request goes to the latest configuration that covers its path and allows its origin; when none allows
it, the latest covering one refuses it (several ``CORS(app)`` calls add up, as in flask-cors). A route
that decides itself wins over all of them: a decorated view appends its rule to the request's slot
(:data:`VIEW_SLOT`), and a blueprint's ``after_request`` marks the request :data:`DECIDED` after applying
its own answer. Preflights to a path such a route may serve (``deciding``) are passed on to the application,
since only routing tells whose they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from .headers import add_cors_headers
from .middleware import CORSMiddleware
from .paths import routed_path
from .policy import Answer, ResourcePolicy

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

VIEW_SLOT: ContextVar[list[Any]] = ContextVar("cors_wsgi.flask.view")
"""Set by :class:`LayerStack` for the request it passes on: ``[environ, owner, views]`` (``views``: the
decorated views' rules for that application), to which a decorated view appends the rule it answers with."""

DECIDED = "cors_wsgi.decided"
"""``environ`` key set by a route (a decorated view, a blueprint's rule) once it has answered CORS itself."""

Rules = list[tuple[CORSMiddleware, ResourcePolicy]]


class LayerStack:
    """``layers`` (the latest first) around ``app``; see the module docstring.

    ``owner`` and ``views`` are handed to a decorated view through :data:`VIEW_SLOT`; ``deciding`` holds a
    regex for every path a route that decides itself may serve.
    """

    def __init__(
        self,
        app: WSGIApplication,
        layers: list[CORSMiddleware],
        owner: object,
        views: dict[int, ResourcePolicy],
        deciding: list[re.Pattern[str]],
    ) -> None:
        self.app = app
        self.layers = layers
        self.owner = owner
        self.views = views
        self.deciding = deciding

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not isinstance(origin, str):
            origin = ""
        path = environ.get("PATH_INFO", "")
        if isinstance(path, str):
            rules = self._covering(path)
        else:  # no rule covers it; a route that decides itself may still answer
            path, rules = "", []
        preflight = "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ and environ.get("REQUEST_METHOD") == "OPTIONS"
        if origin is not None and preflight:
            return self._preflight(environ, start_response, rules, origin, path)
        answer, resource = union_actual(rules, origin) if rules else (None, None)
        slot: list[Any] = [environ, self.owner, self.views]

        def cors_start_response(status: Any, headers: Any, exc_info: Any = None) -> Any:
            rule: ResourcePolicy | None = resource
            decided: Answer | None = answer
            if len(slot) > 3:  # a decorated view answered: its rule decides
                rule = slot[3]
                decided = rule.no_origin if origin is None else rule.actual(origin)
            elif environ.get(DECIDED):  # a blueprint's rule applied its own answer
                decided = None
            if decided is not None and rule is not None and (rule.intercept_exceptions or not is_error(status)):
                headers = decided.added_to(headers)
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        token = VIEW_SLOT.set(slot)
        try:
            return self.app(environ, cors_start_response)
        finally:
            VIEW_SLOT.reset(token)

    def _covering(self, path: str) -> Rules:
        """The configurations whose rules cover ``path``, the latest first, each with its rule."""
        rules: Rules = []
        for layer in self.layers:
            found = layer.policy.lookup(path)
            if found is not None:
                rules.append((layer, found))
        return rules

    def _preflight(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        rules: Rules,
        origin: str,
        path: str,
    ) -> Iterable[bytes]:
        """A preflight: answered here, unless its path may be served by a route that decides itself. Then
        the application routes it; the rule that answers there decides, and if none does, the layers'."""
        answer: Answer | None = None
        resource: ResourcePolicy | None = None
        if rules:
            answer, resource = union_preflight(rules, environ, origin)
            if resource.automatic_options and not any(regex.fullmatch(routed_path(path)) for regex in self.deciding):
                status, headers = answer.response()
                start_response(status, headers)
                return []
        slot: list[Any] = [environ, self.owner, self.views]
        replaced: list[bool] = []
        started: list[bool] = []

        def cors_start_response(status: Any, headers: Any, exc_info: Any = None) -> Any:
            started.append(True)
            decided, rule = answer, resource
            if len(slot) > 3:  # a decorated view answered: its rule decides
                rule = slot[3]
                decided = answer_for(slot[3], environ)
            elif environ.get(DECIDED):  # a blueprint's rule applied its own answer
                decided = None
            if decided is not None and rule is not None and rule.automatic_options:  # the rule's own answer
                replaced.append(True)
                status, headers = decided.response()
            elif decided is not None:  # automatic_options=False: the application's answer, with the headers
                headers = add_cors_headers(list(headers), decided.headers, decided.vary)
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        token = VIEW_SLOT.set(slot)
        try:
            result = self.app(environ, cors_start_response)
        finally:
            VIEW_SLOT.reset(token)
        if replaced:  # the layer's own answer went out instead of the application's
            _close(result)
            return []
        if not started:  # start_response may still come, from inside the body (PEP 3333)
            return _unless_replaced(result, replaced)
        return result


def _unless_replaced(result: Iterable[bytes], replaced: list[bool]) -> Iterator[bytes]:
    """The application's body, unless the ``start_response`` it calls while producing it is answered by the
    layer instead (then the answer goes out with no body); closed either way."""
    try:
        for chunk in result:
            if replaced:
                break
            yield chunk
    finally:
        _close(result)


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def is_error(status: object) -> bool:
    return isinstance(status, str) and status.startswith("5")


def union_actual(rules: Rules, origin: str | None) -> tuple[Answer, ResourcePolicy]:
    """Several ``CORS(app)`` calls add up, as in flask-cors: the latest rule that allows the origin answers;
    when none does, the latest rule's refusal (its ``Vary``)."""
    for _, resource in rules:
        answer = resource.no_origin if origin is None else resource.actual(origin)
        if answer.allowed:
            return answer, resource
    resource = rules[0][1]
    return (resource.no_origin if origin is None else resource.actual(origin)), resource


def union_preflight(rules: Rules, environ: WSGIEnvironment, origin: str) -> tuple[Answer, ResourcePolicy]:
    """The latest rule that allows the preflight answers it; when none does, the latest rule refuses it."""
    method, request_headers, private_network = _preflight_values(environ)
    first: tuple[Answer, ResourcePolicy] | None = None
    for _, resource in rules:
        answer = resource.preflight(origin, method, request_headers, private_network)
        if answer.allowed:
            return answer, resource
        first = first or (answer, resource)
    assert first is not None
    return first


def answer_for(resource: ResourcePolicy, environ: WSGIEnvironment) -> Answer:
    """``resource``'s answer to this request: a preflight's, or an actual request's."""
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None and not isinstance(origin, str):
        origin = ""
    preflight = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD") is not None
    if origin is not None and preflight and environ.get("REQUEST_METHOD") == "OPTIONS":
        return resource.preflight(origin, *_preflight_values(environ))
    return resource.no_origin if origin is None else resource.actual(origin)


def _preflight_values(environ: WSGIEnvironment) -> tuple[str, str | None, str | None]:
    """A preflight's method, request headers and private-network request, a value that is not ``str`` (a
    server bug) read as malformed."""
    method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
    request_headers = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
    private_network = environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK")
    return (
        method if isinstance(method, str) else "",
        request_headers if request_headers is None or isinstance(request_headers, str) else "",
        private_network if isinstance(private_network, str) else None,
    )
