"""LayerStack (the Flask drop-in's per-request work) with applications that call ``start_response`` late.

Flask calls ``start_response`` before returning its body, but a WSGI middleware between the layer and Flask
may call it from inside the body, as PEP 3333 allows. A preflight passed on to a route that answers it with
its own rule must then still go out as that rule's answer, without the application's body.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from typing import Any
from wsgiref.validate import validator

from cors_wsgi import CORSMiddleware
from cors_wsgi.stack import VIEW_SLOT, LayerStack

LAYER_ORIGIN = "https://layer.example"
VIEW_ORIGIN = "https://view.example"


def rule(**options: Any) -> Any:
    """A compiled rule for ``/x``."""
    resource = CORSMiddleware(lambda environ, start_response: [], resources="/x", **options).policy.lookup("/x")
    assert resource is not None
    return resource


class LateApp:
    """A route that decides with ``view_rule`` (as a decorated view does), and calls ``start_response``
    only when its body is first read."""

    def __init__(self, view_rule: Any) -> None:
        self.view_rule = view_rule
        self.closed = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        VIEW_SLOT.get().append(self.view_rule)  # the view answered, with its rule

        def body() -> Iterator[bytes]:
            try:
                start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "8")])
                yield b"app body"
            finally:
                self.closed = True

        return body()


def serve(app: Any, **headers: str) -> tuple[str, list[tuple[str, str]], bytes]:
    layer = CORSMiddleware(app, resources="/x", origins=[LAYER_ORIGIN])
    stack = validator(LayerStack(app, [layer], object(), {}, [re.compile("/x")]))
    environ = {
        "REQUEST_METHOD": "OPTIONS",
        "PATH_INFO": "/x",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **{"HTTP_" + name.upper(): value for name, value in headers.items()},
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, response_headers
        return lambda data: None

    result: Any = stack(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()  # the validator's iterator has one
    return seen["status"], seen["headers"], body


def test_a_late_start_response_answered_by_the_routes_rule_sends_no_application_body() -> None:
    app = LateApp(rule(origins=[VIEW_ORIGIN]))
    status, headers, body = serve(app, ORIGIN=VIEW_ORIGIN, ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert status.startswith("204")
    assert ("Access-Control-Allow-Origin", VIEW_ORIGIN) in headers
    assert body == b""
    assert app.closed


def test_a_late_start_response_the_application_answers_keeps_its_body() -> None:
    app = LateApp(rule(origins=[VIEW_ORIGIN], automatic_options=False))
    status, headers, body = serve(app, ORIGIN=VIEW_ORIGIN, ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert status == "200 OK"
    assert ("Access-Control-Allow-Origin", VIEW_ORIGIN) in headers
    assert body == b"app body"
    assert app.closed
