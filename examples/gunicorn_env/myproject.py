"""A plain WSGI application, no framework: stands for "your app" in wsgi.py.

It handles its own errors the PEP 3333 way (``start_response`` with ``exc_info``), except on
``/api/crash``, where the exception leaves the application: then gunicorn writes its own 500, outside
every middleware, so that response has no CORS headers.
"""

import json
import sys


def app(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    if path == "/api/crash":
        raise RuntimeError("an unhandled bug that escapes the application")
    try:
        status, headers, body = route(method, path)
    except Exception:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"Internal Server Error"]
    start_response(status, headers)
    return [body]


def route(method, path):
    if path == "/api/items" and method in ("GET", "HEAD"):
        return "200 OK", json_headers(("X-Request-Id", "req-1")), json.dumps({"items": [{"id": 1}]}).encode()
    if path == "/api/items/1" and method == "PUT":
        return "200 OK", json_headers(), json.dumps({"id": 1, "updated": True}).encode()
    if path == "/api/boom":
        raise RuntimeError("an unhandled bug, answered with a 500 by the app itself")
    if path == "/health":
        return "200 OK", [("Content-Type", "text/plain")], b"ok"
    return "404 Not Found", [("Content-Type", "text/plain")], b"Not Found"


def json_headers(*extra):
    return [("Content-Type", "application/json"), *extra]
