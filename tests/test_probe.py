"""``python -m cors_wsgi probe``: the browser's rules as pure functions, then the command against real
servers on loopback (cors_wsgi with several configurations, and hand-written servers broken in each way
a browser notices), and probe's verdict held against the middleware's own decision."""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import random
import socket
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.util import shift_path_info

import pytest

from cors_wsgi import CORSMiddleware
from cors_wsgi.__main__ import main
from cors_wsgi.options import SUPPORTS_CREDENTIALS
from cors_wsgi.probe import (
    ProbeRequest,
    Response,
    check_exposed,
    check_preflight,
    check_response,
    format_text,
    http_sender,
    may_be_cors_refusal,
    needs_preflight,
    preflight_request_headers,
    readable_headers,
    run_probe,
    unsafe_header_names,
)

ROOT = Path(__file__).resolve().parent.parent
APP = "https://app.test"
EVIL = "https://evil.test"
TENANT_DEBUG = "origin allowed by is_tenant_origin()"

# --- servers on loopback ------------------------------------------------------------------------------------


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (OS-chosen port) in a daemon thread; yield its base URL; always stop."""
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=5):
            pass  # listening and accepting
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("X-Total", "3"), ("X-Secret", "s")])
    return [b"[]"]


MIDDLEWARE = {
    "strict": {
        "resources": {
            r"/api/*": {
                "origins": [APP],
                "methods": ["GET", "PUT", "DELETE"],
                "allow_headers": ["Content-Type", "X-Foo", "Authorization"],
                "expose_headers": ["X-Total"],
                "supports_credentials": True,
                "max_age": 600,
            }
        }
    },
    "open": {},
    "wildcard": {"send_wildcard": True, "expose_headers": "*"},
    "debug": {"origins": [APP], "methods": ["PUT"], "allow_headers": ["X-Foo"], "debug": True},
}


def broken_app(case: str):
    """A server that gets CORS wrong in exactly one way (``case``)."""

    def app(environ, start_response):
        origin = environ.get("HTTP_ORIGIN", "")
        preflight = environ["REQUEST_METHOD"] == "OPTIONS"
        headers = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", "PUT, DELETE")]
        headers.append(("Access-Control-Allow-Headers", "x-foo, authorization"))
        status = "204 No Content" if preflight else "200 OK"
        if case == "no_cors":
            headers = []
        elif case == "star_with_credentials":
            headers = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")]
            headers += [("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "x-foo")]
        elif case == "preflight_404" and preflight:
            status = "404 Not Found"
        elif case == "preflight_401" and preflight:
            status = "401 Unauthorized"
        elif case == "lowercase_put":
            headers[1] = ("Access-Control-Allow-Methods", "put")
        elif case == "missing_header":
            headers[2] = ("Access-Control-Allow-Headers", "x-bar")
        elif case == "redirect":
            status = "302 Found"
            headers.append(("Location", "/elsewhere"))
        elif case == "redirect_no_cors" and not preflight:
            status, headers = "302 Found", [("Location", "/elsewhere")]
        elif case == "trailing_slash":
            headers[0] = ("Access-Control-Allow-Origin", origin + "/")
        elif case == "two_origins":
            headers.append(("Access-Control-Allow-Origin", origin))
        elif case == "credentials_True":
            headers.append(("Access-Control-Allow-Credentials", "True"))
        elif case == "no_credentials":
            pass
        elif case == "bad_methods":
            headers[1] = ("Access-Control-Allow-Methods", "PUT DELETE")
        elif case == "bad_headers":
            headers[2] = ("Access-Control-Allow-Headers", "x-foo;authorization")
        elif case == "star_headers":
            headers[1:] = [("Access-Control-Allow-Methods", "*"), ("Access-Control-Allow-Headers", "*")]
        elif case == "error_500" and not preflight:
            status, headers = "500 Internal Server Error", []
        elif case == "expose_star":
            headers.append(("Access-Control-Expose-Headers", "*"))
            headers.append(("Access-Control-Allow-Credentials", "true"))
        elif case == "debug_header":  # cors_wsgi's debug=True naming the origin function, on every response
            headers.append(("X-CORS-Debug", TENANT_DEBUG))
        elif case == "private_network" and preflight:
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        start_response(status, [*headers, ("Content-Type", "text/plain"), ("X-Total", "3")])
        return [] if preflight else [b"body"]

    return app


def _build_middlewares() -> dict[str, CORSMiddleware]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # debug=True warns, by design
        return {name: CORSMiddleware(application, **options) for name, options in MIDDLEWARE.items()}


MIDDLEWARES = _build_middlewares()


def requires_authorization(app):
    """An authentication layer: 401 to any request without ``Authorization``, as most are written (and
    so to every preflight, which never carries it)."""

    def layer(environ, start_response):
        if "HTTP_AUTHORIZATION" not in environ:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Bearer realm="api"'), ("Content-Length", "0")])
            return []
        return app(environ, start_response)

    return layer


def redirects_to_login(app):
    """A session layer: 302 to ``/login`` for any request without a cookie (preflights have none)."""

    def layer(environ, start_response):
        if "HTTP_COOKIE" not in environ:
            start_response("302 Found", [("Location", "/login"), ("Content-Length", "0")])
            return []
        return app(environ, start_response)

    return layer


def forbids_without_token(app):
    """A CSRF-style check: 403, and no CORS header, to any request without ``X-CSRF-Token``."""

    def layer(environ, start_response):
        if "HTTP_X_CSRF_TOKEN" not in environ:
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"forbidden"]
        return app(environ, start_response)

    return layer


LAYERED = {
    # the mistake: something that refuses unauthenticated requests runs before the CORS layer
    "auth-outside": requires_authorization(MIDDLEWARES["strict"]),
    "login-outside": redirects_to_login(MIDDLEWARES["strict"]),
    "forbid-outside": forbids_without_token(MIDDLEWARES["strict"]),
    # the fix: cors_wsgi outermost answers preflights before authentication runs
    "auth-inside": CORSMiddleware(requires_authorization(application), **MIDDLEWARE["strict"]),
}
SEEN: list[tuple[str, str, str]] = []
"""(layered server, method, path) of every request the ``/layered/`` servers received, in order."""


def dispatcher(environ, start_response):
    """``/mw/<config>/...`` -> a CORSMiddleware (seeing ``/...``); ``/layered/<name>/...`` -> a CORS layer
    with another layer around or inside it; ``/broken/<case>`` -> a broken server."""
    kind, name = shift_path_info(environ), shift_path_info(environ)
    if kind == "mw":
        return MIDDLEWARES[name](environ, start_response)
    if kind == "layered":
        SEEN.append((name or "", environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        return LAYERED[name or ""](environ, start_response)
    return broken_app(name or "")(environ, start_response)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(dispatcher) as url:
        yield url


def probe_json(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    status = main(["probe", *args, "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


def probe_text(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["probe", *args])
    return status, capsys.readouterr().out


# --- the page's side: when does the browser preflight? ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "headers", "preflight"),
    [
        pytest.param("GET", {}, False, id="plain GET"),
        pytest.param("HEAD", {}, False, id="HEAD"),
        pytest.param("POST", {"Content-Type": "text/plain;charset=utf-8"}, False, id="form-like POST"),
        pytest.param("POST", {"Content-Type": "multipart/form-data; boundary=x"}, False, id="multipart POST"),
        pytest.param("POST", {"Content-Type": "Text/Plain"}, False, id="MIME essence is case-insensitive"),
        pytest.param("POST", {"Content-Type": "application/json"}, True, id="JSON POST"),
        pytest.param("POST", {"Content-Type": 'text/plain; charset="utf-8"'}, True, id="quote is an unsafe byte"),
        pytest.param("PUT", {}, True, id="PUT"),
        pytest.param("patch", {}, True, id="lowercase patch"),
        pytest.param("GET", {"X-Foo": "1"}, True, id="custom header"),
        pytest.param("GET", {"Authorization": "Bearer t"}, True, id="Authorization"),
        pytest.param("GET", {"Accept": "application/json"}, False, id="Accept"),
        pytest.param("GET", {"Accept": 'a"b'}, True, id="Accept with an unsafe byte"),
        pytest.param("GET", {"Accept": "a" * 128}, False, id="128-byte value"),
        pytest.param("GET", {"Accept": "a" * 129}, True, id="129-byte value"),
        pytest.param("GET", {"Accept-Language": "de-DE, en;q=0.5"}, False, id="Accept-Language"),
        pytest.param("GET", {"Accept-Language": "en_US"}, True, id="Accept-Language with underscore"),
        pytest.param("GET", {"Content-Language": "fr"}, False, id="Content-Language"),
        pytest.param("GET", {"Range": "bytes=0-99"}, False, id="single byte range"),
        pytest.param("GET", {"Range": "bytes=5-"}, False, id="open byte range"),
        pytest.param("GET", {"Range": "bytes=-5"}, True, id="suffix range"),
        pytest.param("GET", {"Range": "bytes=5-1"}, True, id="backwards range"),
        pytest.param("GET", {"Range": "bytes=0-1,3-4"}, True, id="several ranges"),
        pytest.param("GET", {"Range": "BYTES=0-1"}, True, id="uppercase unit: Chromium preflights"),
    ],
)
def test_needs_preflight_follows_the_fetch_safelists(method: str, headers: dict, preflight: bool) -> None:
    required, reason = needs_preflight(method, headers)
    assert required is preflight, reason
    assert reason


def test_safelisted_values_over_1024_bytes_in_total_make_every_one_unsafe() -> None:
    headers = [("Accept", "a" * 120)] * 8 + [("Accept-Language", "b" * 120)]
    assert unsafe_header_names(headers[:8]) == {}
    assert list(unsafe_header_names(headers)) == ["accept", "accept-language"]


def test_the_preflight_names_unsafe_headers_lowercased_sorted_and_once() -> None:
    sent = dict(preflight_request_headers(APP, "PUT", [("X-B", "1"), ("x-a", "2"), ("Accept", "*/*"), ("X-B", "3")]))
    assert sent["Access-Control-Request-Headers"] == "x-a,x-b"
    assert sent["Access-Control-Request-Method"] == "PUT"
    assert sent["Origin"] == APP
    assert not any(name.lower() in ("cookie", "authorization") for name in sent)


# --- the browser's checks, as pure functions --------------------------------------------------------------

OK_PREFLIGHT = {
    "Access-Control-Allow-Origin": APP,
    "Access-Control-Allow-Methods": "PUT, DELETE",
    "Access-Control-Allow-Headers": "x-foo, authorization",
    "Access-Control-Allow-Credentials": "true",
}


def _with(**changes: str | None) -> list[tuple[str, str]]:
    headers = dict(OK_PREFLIGHT)
    for key, value in changes.items():
        name = "Access-Control-" + key.replace("_", "-").title()
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    return list(headers.items())


@pytest.mark.parametrize(
    ("status", "headers", "method", "request_headers", "credentials", "error", "fix"),
    [
        pytest.param(204, _with(), "PUT", {"X-Foo": "1"}, True, None, "", id="allowed"),
        pytest.param(200, _with(), "DELETE", {}, False, None, "", id="200 is ok too"),
        pytest.param(
            403,
            _with(Allow_Origin=None),
            "PUT",
            {},
            False,
            "PreflightMissingAllowOriginHeader",
            "to origins",
            id="no ACAO",
        ),
        pytest.param(
            204,
            _with(Allow_Origin="*"),
            "PUT",
            {},
            True,
            "PreflightWildcardOriginNotAllowed",
            "supports_credentials",
            id="star with credentials",
        ),
        pytest.param(204, _with(Allow_Origin="*"), "PUT", {}, False, None, "", id="star without credentials"),
        pytest.param(
            204,
            _with(Allow_Origin=APP + "/"),
            "PUT",
            {},
            False,
            "PreflightAllowOriginMismatch",
            "exactly",
            id="trailing slash",
        ),
        pytest.param(
            204,
            _with(Allow_Origin="https://App.test"),
            "PUT",
            {},
            False,
            "PreflightAllowOriginMismatch",
            "exactly",
            id="case differs",
        ),
        pytest.param(
            204,
            _with(Allow_Origin=f"{APP}, {APP}"),
            "PUT",
            {},
            False,
            "PreflightMultipleAllowOriginValues",
            "only one layer",
            id="two values",
        ),
        pytest.param(
            204,
            _with(Allow_Origin="app.test"),
            "PUT",
            {},
            False,
            "PreflightInvalidAllowOriginValue",
            "exactly",
            id="not an origin",
        ),
        pytest.param(
            204,
            _with(Allow_Credentials=None),
            "PUT",
            {},
            True,
            "PreflightInvalidAllowCredentials",
            "supports_credentials=True",
            id="no ACAC",
        ),
        pytest.param(
            204,
            _with(Allow_Credentials="True"),
            "PUT",
            {},
            True,
            "PreflightInvalidAllowCredentials",
            "supports_credentials=True",
            id="ACAC True",
        ),
        pytest.param(
            404, _with(), "PUT", {}, False, "PreflightInvalidStatus", "automatic_options=True", id="404 preflight"
        ),
        pytest.param(
            401, _with(), "PUT", {}, False, "PreflightInvalidStatus", "before authentication", id="401 preflight"
        ),
        pytest.param(
            302,
            [*_with(), ("Location", "/x/")],
            "PUT",
            {},
            False,
            "PreflightDisallowedRedirect",
            "final URL",
            id="redirect",
        ),
        pytest.param(
            204,
            _with(Allow_Methods="put"),
            "PUT",
            {},
            False,
            "MethodDisallowedByPreflightResponse",
            "in upper case",
            id="ACAM lowercase put",
        ),
        pytest.param(
            204,
            _with(Allow_Methods="PUT"),
            "DELETE",
            {},
            False,
            "MethodDisallowedByPreflightResponse",
            "add 'DELETE' to methods",
            id="method not listed",
        ),
        pytest.param(
            204,
            _with(Allow_Methods="PATCH"),
            "patch",
            {},
            False,
            "MethodDisallowedByPreflightResponse",
            "upper case in the page",
            id="page wrote patch",
        ),
        pytest.param(204, _with(Allow_Methods="*"), "PATCH", {}, False, None, "", id="ACAM star"),
        pytest.param(
            204,
            _with(Allow_Methods="*"),
            "PATCH",
            {},
            True,
            "MethodDisallowedByPreflightResponse",
            "instead of '*'",
            id="ACAM star with credentials",
        ),
        pytest.param(204, _with(Allow_Methods=None), "POST", {"X-Foo": "1"}, False, None, "", id="POST needs no ACAM"),
        pytest.param(
            204,
            _with(Allow_Methods="PUT GET"),
            "PUT",
            {},
            False,
            "InvalidAllowMethodsPreflightResponse",
            "commas",
            id="ACAM not a list",
        ),
        pytest.param(204, _with(Allow_Methods=" ,PUT,, DELETE"), "PUT", {}, False, None, "", id="empty list elements"),
        pytest.param(
            204,
            _with(Allow_Headers="x-bar"),
            "PUT",
            {"X-Foo": "1"},
            False,
            "HeaderDisallowedByPreflightResponse",
            "add 'X-Foo' to allow_headers",
            id="header not listed",
        ),
        pytest.param(
            204, _with(Allow_Headers="X-FOO"), "PUT", {"x-foo": "1"}, False, None, "", id="header case-insensitive"
        ),
        pytest.param(
            204,
            _with(Allow_Headers="x-foo;y"),
            "PUT",
            {"X-Foo": "1"},
            False,
            "InvalidAllowHeadersPreflightResponse",
            "commas",
            id="ACAH not a list",
        ),
        pytest.param(204, _with(Allow_Headers="*"), "PUT", {"X-Foo": "1"}, False, None, "", id="ACAH star"),
        pytest.param(
            204,
            _with(Allow_Headers="*"),
            "PUT",
            {"X-Foo": "1"},
            True,
            "HeaderDisallowedByPreflightResponse",
            "by name",
            id="ACAH star with credentials",
        ),
        pytest.param(
            204,
            _with(Allow_Headers="*"),
            "PUT",
            {"Authorization": "t"},
            False,
            "HeaderDisallowedByPreflightResponse",
            "'Authorization' in allow_headers by name",
            id="star never covers Authorization",
        ),
        pytest.param(
            204,
            _with(Allow_Headers=None),
            "PUT",
            {"Accept": "text/html", "Content-Type": "text/plain"},
            False,
            None,
            "",
            id="safelisted headers need no ACAH",
        ),
    ],
)
def test_check_preflight(status, headers, method, request_headers, credentials, error, fix) -> None:
    verdict = check_preflight(status, headers, APP, method, request_headers, credentials, url="http://api.test/x")
    assert verdict.browser_error == error, verdict
    assert verdict.ok is (error is None)
    assert verdict.step == "preflight"
    assert verdict.status == status
    if error is None:
        assert verdict.fix == "" and verdict.console is None
    else:
        assert fix in verdict.fix, verdict.fix
        assert verdict.console.startswith(
            f"Access to fetch at 'http://api.test/x' from origin '{APP}' has been blocked by CORS policy: "
        )
        assert verdict.reason


def test_check_preflight_uses_chromium_console_texts() -> None:
    missing = check_preflight(403, {}, APP, "PUT", url="http://api.test/x")
    assert missing.console.endswith(
        "Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' "
        "header is present on the requested resource."
    )
    header = check_preflight(204, _with(Allow_Headers="x-bar"), APP, "PUT", {"X-Foo": "1"}, url="u")
    assert header.console.endswith(
        "Request header field x-foo is not allowed by Access-Control-Allow-Headers in preflight response."
    )


def test_a_preflight_refused_by_cors_wsgi_names_every_candidate() -> None:
    vary = [("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")]
    verdict = check_preflight(403, vary, APP, "PUT", {"X-Foo": "1"})
    assert "does not allow one of" in verdict.reason
    assert verdict.fix.startswith(
        f"make sure origins allows {APP!r}, methods has 'PUT' and allow_headers has 'X-Foo' (without --no-diagnose"
    )
    app_answered = check_preflight(405, [], APP, "PUT")
    assert "your preflight reached the application (405), not a CORS layer" in app_answered.reason
    assert "resources must cover this path" in app_answered.fix
    app_answered_ok = check_preflight(200, [], APP, "PUT")
    assert "no CORS layer answered it" in app_answered_ok.reason
    assert "resources covers this path" in app_answered_ok.fix


def test_preflight_cache_note() -> None:
    assert "600 s" in check_preflight(204, [*_with(), ("Access-Control-Max-Age", "600")], APP, "PUT").notes[0]
    assert "5 s" in check_preflight(204, _with(), APP, "PUT").notes[0]


@pytest.mark.parametrize(
    ("status", "headers", "credentials", "error", "fix"),
    [
        pytest.param(200, [("Access-Control-Allow-Origin", APP)], False, None, "", id="allowed"),
        pytest.param(404, [("Access-Control-Allow-Origin", "*")], False, None, "", id="any status is readable"),
        pytest.param(200, [], False, "MissingAllowOriginHeader", "resources covers", id="no CORS layer"),
        pytest.param(200, [("Vary", "Origin")], False, "MissingAllowOriginHeader", "add", id="origin not allowed"),
        pytest.param(500, [], False, "MissingAllowOriginHeader", "intercept_exceptions", id="500 without ACAO"),
        pytest.param(
            200,
            [("Access-Control-Allow-Origin", "*")],
            True,
            "WildcardOriginNotAllowed",
            "supports_credentials",
            id="star with credentials",
        ),
        pytest.param(
            200,
            [("Access-Control-Allow-Origin", APP)],
            True,
            "InvalidAllowCredentials",
            "supports_credentials",
            id="no ACAC",
        ),
        pytest.param(
            200,
            [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Credentials", "true")],
            True,
            None,
            "",
            id="credentialed",
        ),
        pytest.param(
            200,
            [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Origin", APP)],
            False,
            "MultipleAllowOriginValues",
            "only one layer",
            id="two ACAO lines",
        ),
        pytest.param(
            200,
            [("Access-Control-Allow-Origin", "https://other.test")],
            False,
            "AllowOriginMismatch",
            f"{APP!r}",
            id="another origin",
        ),
    ],
)
def test_check_response(status, headers, credentials, error, fix) -> None:
    verdict = check_response(status, headers, APP, credentials, url="http://api.test/x")
    assert verdict.browser_error == error, verdict
    assert verdict.ok is (error is None)
    assert fix in verdict.fix


def test_readable_headers_follow_expose_headers() -> None:
    headers = [("Content-Type", "x"), ("X-Total", "1"), ("X-Secret", "2"), ("Set-Cookie", "a=b"), ("ETag", "e")]
    assert readable_headers(headers) == ["content-type"]
    assert readable_headers([*headers, ("Access-Control-Expose-Headers", "x-total")]) == ["content-type", "x-total"]
    star = [*headers, ("Access-Control-Expose-Headers", "*")]
    assert readable_headers(star) == ["access-control-expose-headers", "content-type", "etag", "x-secret", "x-total"]
    assert readable_headers(star, credentials=True) == ["content-type"]
    assert check_exposed("X-Total", star, credentials=True).fix == "add 'X-Total' to expose_headers"
    assert check_exposed("X-Missing", star).fix == "the application must send X-Missing"
    assert check_exposed("X-Total", star).ok


# --- the command against real servers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "args", "error"),
    [
        pytest.param("no_cors", ["--method", "PUT"], "PreflightMissingAllowOriginHeader", id="no CORS, preflight"),
        pytest.param("no_cors", [], "MissingAllowOriginHeader", id="no CORS, simple GET"),
        pytest.param(
            "star_with_credentials",
            ["--method", "PUT", "--credentials"],
            "PreflightWildcardOriginNotAllowed",
            id="star with credentials, preflight",
        ),
        pytest.param("star_with_credentials", ["--credentials"], "WildcardOriginNotAllowed", id="star with creds"),
        pytest.param("preflight_404", ["--method", "PUT"], "PreflightInvalidStatus", id="preflight 404"),
        pytest.param("preflight_401", ["--method", "DELETE"], "PreflightInvalidStatus", id="preflight 401"),
        pytest.param("lowercase_put", ["--method", "PUT"], "MethodDisallowedByPreflightResponse", id="ACAM put"),
        pytest.param(
            "missing_header",
            ["--method", "PUT", "-H", "X-Foo: 1"],
            "HeaderDisallowedByPreflightResponse",
            id="ACAH missing a header",
        ),
        pytest.param("redirect", ["--method", "PUT"], "PreflightDisallowedRedirect", id="redirecting preflight"),
        pytest.param("redirect_no_cors", [], "MissingAllowOriginHeader", id="redirect without CORS"),
        pytest.param("trailing_slash", [], "AllowOriginMismatch", id="ACAO with trailing slash"),
        pytest.param("two_origins", [], "MultipleAllowOriginValues", id="two ACAO headers"),
        pytest.param("credentials_True", ["--credentials"], "InvalidAllowCredentials", id="ACAC True"),
        pytest.param(
            "no_credentials", ["--method", "PUT", "--credentials"], "PreflightInvalidAllowCredentials", id="no ACAC"
        ),
        pytest.param("bad_methods", ["--method", "PUT"], "InvalidAllowMethodsPreflightResponse", id="ACAM bad"),
        pytest.param("bad_headers", ["-H", "X-Foo"], "InvalidAllowHeadersPreflightResponse", id="ACAH not a list"),
        pytest.param(
            "star_headers",
            ["--method", "PUT", "-H", "Authorization: Bearer t"],
            "HeaderDisallowedByPreflightResponse",
            id="ACAH star and Authorization",
        ),
        pytest.param("error_500", [], "MissingAllowOriginHeader", id="500 without CORS headers"),
    ],
)
def test_each_blocking_server_is_blocked_for_its_reason(
    base: str, case: str, args: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = probe_json(f"{base}/broken/{case}", "--origin", APP, *args, capsys=capsys)
    assert status == 1
    assert report["verdict"] == "blocked"
    failed = [step for step in report["steps"] if not step["ok"] and step["sent"]]
    assert [step["browser_error"] for step in failed] == [error]
    assert failed[0]["fix"]
    assert failed[0]["console"].startswith(f"Access to fetch at '{base}/broken/{case}' from origin '{APP}'")
    if failed[0]["step"] == "preflight":
        assert report["steps"][-1] == {**report["steps"][-1], "step": "actual", "sent": False, "ok": False}


@pytest.mark.parametrize(
    ("case", "args"),
    [
        pytest.param("star_headers", ["--method", "PATCH", "-H", "X-Anything: 1"], id="star lists"),
        pytest.param("expose_star", ["--method", "DELETE", "-H", "Authorization: t", "--credentials"], id="creds"),
        pytest.param("lowercase_put", [], id="simple GET needs no ACAM"),
        pytest.param("preflight_404", [], id="no preflight, no 404"),
    ],
)
def test_servers_that_get_it_right_are_allowed(
    base: str, case: str, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = probe_json(f"{base}/broken/{case}", "--origin", APP, *args, capsys=capsys)
    assert (status, report["verdict"]) == (0, "allowed"), report


def test_an_unreadable_expose_check_header_fails_the_probe(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"{base}/mw/strict/api/x"
    status, out = probe_text(url, "--origin", APP, "--expose-check", "X-Secret", capsys=capsys)
    assert status == 1
    assert "expose X-Secret: FAILED: X-Secret is not in Access-Control-Expose-Headers" in out
    assert "  fix: add 'X-Secret' to expose_headers" in out
    assert out.splitlines()[-1] == "not exposed"


def test_a_redirected_actual_request_is_reported_not_followed(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, report = probe_json(f"{base}/broken/redirect", "--origin", APP, capsys=capsys)
    assert (status, report["verdict"]) == (1, "redirected")
    actual = report["steps"][-1]
    assert actual["status"] == 302 and "/elsewhere" in actual["reason"] and "/elsewhere" in actual["fix"]


def test_allowed_through_cors_wsgi_text_output(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = probe_text(
        f"{base}/mw/strict/api/items",
        *("--origin", APP, "--method", "PUT", "-H", "Content-Type: application/json", "--credentials"),
        *("--expose-check", "X-Total"),
        capsys=capsys,
    )
    assert status == 0, out
    lines = out.splitlines()
    assert lines[0] == f"probe PUT {base}/mw/strict/api/items from origin {APP} (credentials: include)"
    assert lines[1] == "preflight: OPTIONS /mw/strict/api/items -> 204"
    assert "ok: origin 'https://app.test', method 'PUT', header content-type allowed" in out
    assert "actual: PUT /mw/strict/api/items -> 200" in out
    assert "readable response headers: content-length, content-type, x-total" in out
    assert "expose X-Total: ok" in out
    assert lines[-1] == "allowed"


@pytest.mark.parametrize(
    ("args", "cause", "fix"),
    [
        pytest.param(
            ["--origin", EVIL], f"the origin {EVIL!r} is not allowed", f"add {EVIL!r} to origins", id="origin"
        ),
        pytest.param(
            ["--origin", APP, "--method", "PATCH"], "the method 'PATCH'", "add 'PATCH' to methods", id="method"
        ),
        pytest.param(
            ["--origin", APP, "--method", "patch"],
            "the method 'patch'",
            "write it in upper case in the page (method: 'PATCH')",
            id="lower-case method",
        ),
        pytest.param(
            ["--origin", APP, "-H", "X-Foo", "-H", "X-Bar: 2"],
            "request header 'X-Bar' not allowed",
            "add 'X-Bar' to allow_headers",
            id="header",
        ),
    ],
)
def test_diagnosis_names_the_part_cors_wsgi_refused(
    base: str, args: list[str], cause: str, fix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{base}/mw/strict/api/items"
    status, report = probe_json(url, "--method", "PUT", *args, capsys=capsys)
    preflight = report["steps"][0]
    assert status == 1
    assert preflight["status"] == 403 and preflight["browser_error"] == "PreflightMissingAllowOriginHeader"
    assert cause in preflight["reason"]
    assert preflight["fix"].startswith(fix)
    assert "extra preflights" in preflight["notes"][-1]

    status, report = probe_json(url, "--method", "PUT", *args, "--no-diagnose", capsys=capsys)
    assert status == 1
    assert "does not allow one of" in report["steps"][0]["reason"]


def test_debug_mode_refusals_are_still_blocked_and_named(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, report = probe_json(f"{base}/mw/debug/x", "--origin", APP, "--method", "PUT", "-H", "X-Bar", capsys=capsys)
    preflight = report["steps"][0]
    assert status == 1
    assert preflight["status"] == 204
    assert preflight["browser_error"] == "HeaderDisallowedByPreflightResponse"
    assert preflight["fix"] == "add 'X-Bar' to allow_headers"
    assert preflight["server_says"] == dict(preflight["headers"])["X-CORS-Debug"]


# --- a preflight that never reached a CORS layer ---------------------------------------------------------------


def _layered(name: str, *args: str, capsys: pytest.CaptureFixture[str], base: str) -> tuple[int, dict, list]:
    """Probe ``/layered/<name>/api/items`` (diagnosis on); the report and the requests the server got."""
    SEEN.clear()
    status, report = probe_json(f"{base}/layered/{name}/api/items", *args, capsys=capsys)
    return status, report, [(method, path) for seen, method, path in SEEN if seen == name]


def _assert_not_blamed_on_the_policy(report: dict, seen: list) -> None:
    """Neither the origin nor the policy is blamed, and probe sent the browser's preflight only."""
    preflight = report["steps"][0]
    assert report["verdict"] == "blocked"
    assert "not allowed" not in preflight["reason"] and "not allowed" not in preflight["fix"]
    assert "origins" not in preflight["fix"]
    assert not any("extra preflights" in note for note in preflight["notes"])
    assert seen == [("OPTIONS", "/api/items")]
    assert report["steps"][1] == {**report["steps"][1], "step": "actual", "sent": False}


def test_a_401_from_authentication_in_front_is_not_blamed_on_the_origin(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An auth layer outside cors_wsgi answers the preflight 401 without CORS headers. Chromium reports it as
    a missing Access-Control-Allow-Origin (checked in tests/browser/test_probe_agrees.py), but the fix is
    the order of the layers, not the origins."""
    status, report, seen = _layered(
        "auth-outside", "--origin", APP, "--method", "PUT", "-H", "Authorization: Bearer t", base=base, capsys=capsys
    )
    preflight = report["steps"][0]
    assert status == 1
    assert preflight["status"] == 401
    assert preflight["reason"].startswith(
        "your preflight reached the application or an authentication layer (401), not a CORS layer: preflights "
        "carry no credentials"
    )
    assert preflight["fix"].startswith("put the CORS layer outside (before) authentication")
    assert preflight["browser_error"] == "PreflightMissingAllowOriginHeader"
    assert preflight["console"].endswith(
        "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    )
    _assert_not_blamed_on_the_policy(report, seen)


def test_a_login_redirect_on_the_preflight_is_reported_as_a_redirect(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report, seen = _layered("login-outside", "--origin", APP, "--method", "DELETE", base=base, capsys=capsys)
    preflight = report["steps"][0]
    assert status == 1
    assert preflight["status"] == 302
    assert preflight["reason"].startswith(
        "the preflight was redirected (302 to /login): browsers fail a redirected preflight"
    )
    assert preflight["fix"].startswith("answer OPTIONS before the redirect: put the CORS layer in front")
    assert preflight["browser_error"] == "PreflightDisallowedRedirect"
    assert preflight["console"].endswith(
        "Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight "
        "request."
    )
    assert ["Location", "/login"] in preflight["headers"]
    _assert_not_blamed_on_the_policy(report, seen)


def test_a_403_without_cors_headers_from_a_layer_in_front_is_not_a_cors_refusal(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """cors_wsgi's refusal is a 403 too, but with ``Vary: Origin, ...``; a 403 with neither an
    Access-Control-* header nor such a Vary came from something else."""
    status, out = probe_text(
        f"{base}/layered/forbid-outside/api/items", "--origin", APP, "--method", "PUT", "-H", "X-Foo", capsys=capsys
    )
    assert status == 1
    assert "  BLOCKED: your preflight reached the application or an authentication layer (403), not a CORS layer" in out
    assert "  fix: put the CORS layer outside (before) authentication" in out
    assert "  browser error: PreflightMissingAllowOriginHeader" in out
    assert "not allowed" not in out
    status, report, seen = _layered(
        "forbid-outside", "--origin", APP, "--method", "PUT", "-H", "X-Foo", base=base, capsys=capsys
    )
    _assert_not_blamed_on_the_policy(report, seen)


def test_cors_wsgi_own_403_is_still_diagnosed_as_a_cors_refusal(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    """With cors_wsgi outside the auth layer (the fix), its own 403 refusal still gets the candidate-finding
    preflights, and an allowed origin's request gets through authentication."""
    status, report, seen = _layered("auth-inside", "--origin", EVIL, "--method", "PUT", base=base, capsys=capsys)
    preflight = report["steps"][0]
    assert status == 1
    assert preflight["status"] == 403
    assert preflight["browser_error"] == "PreflightMissingAllowOriginHeader"
    assert f"the origin {EVIL!r} is not allowed on this path" in preflight["reason"]
    assert preflight["fix"].startswith(f"add {EVIL!r} to origins")
    assert preflight["notes"][-1] == "diagnosed with probe's own extra preflights: ACRM GET -> 403"
    assert seen == [("OPTIONS", "/api/items"), ("OPTIONS", "/api/items")]

    status, report, seen = _layered(
        "auth-inside", "--origin", APP, "--method", "PUT", "-H", "Authorization: Bearer t", base=base, capsys=capsys
    )
    assert (status, report["verdict"]) == (0, "allowed"), report
    assert [step["status"] for step in report["steps"]] == [204, 200]


@pytest.mark.parametrize(
    ("status", "headers", "refusal"),
    [
        pytest.param(403, [("Vary", "Origin, Access-Control-Request-Method")], True, id="cors_wsgi's 403"),
        pytest.param(403, [("Vary", "access-control-request-headers")], True, id="Vary names ACRH only"),
        pytest.param(400, [("Access-Control-Allow-Methods", "GET")], True, id="starlette-like 400 with CORS headers"),
        pytest.param(200, [], True, id="2xx without CORS headers (flask-cors refuses so)"),
        pytest.param(403, [("Vary", "Accept-Encoding")], False, id="403 without CORS traces"),
        pytest.param(404, [], False, id="404 from the application"),
        pytest.param(405, [("Allow", "GET")], False, id="405 from the application"),
        pytest.param(502, [], False, id="502 from a proxy"),
        pytest.param(401, [("Vary", "Origin")], False, id="401 even with Vary: Origin"),
        pytest.param(407, [], False, id="407 from a proxy"),
        pytest.param(302, [("Location", "/login")], False, id="redirect"),
        pytest.param(304, [], False, id="3xx without Location"),
    ],
)
def test_which_preflight_answers_may_be_a_cors_refusal(status: int, headers: list, refusal: bool) -> None:
    """Only these get probe's extra preflights, and only these are described as the policy's refusal."""
    assert may_be_cors_refusal(status, headers) is refusal
    verdict = check_preflight(status, headers, APP, "PUT", {"X-Foo": "1"}, url="http://api.test/x")
    assert not verdict.ok
    assert ("not a CORS layer" in verdict.reason or "redirect" in verdict.reason) is not refusal, verdict.reason
    if status in (401, 403, 407) and not refusal:
        assert "preflights carry no credentials" in verdict.reason


@pytest.mark.parametrize(
    ("location", "fix"),
    [
        pytest.param("/login?next=/x", "answer OPTIONS before the redirect", id="login redirect"),
        pytest.param("https://api.test/x/", "request the final URL (https://api.test/x/) directly", id="moved"),
    ],
)
def test_a_redirected_preflight_fix_depends_on_where_it_goes(location: str, fix: str) -> None:
    verdict = check_preflight(307, [("Location", location)], APP, "PUT", url="http://api.test/x")
    assert verdict.browser_error == "PreflightDisallowedRedirect"
    assert verdict.reason.startswith(f"the preflight was redirected (307 to {location}): browsers fail")
    assert verdict.fix.startswith(fix)


def test_a_401_after_the_cors_layer_is_an_invalid_status_naming_authentication() -> None:
    """With Access-Control-Allow-Origin present Chromium reports the status (PreflightInvalidStatus)."""
    verdict = check_preflight(401, [("Access-Control-Allow-Origin", APP)], APP, "PUT", url="http://api.test/x")
    assert verdict.browser_error == "PreflightInvalidStatus"
    assert verdict.console.endswith(
        "Response to preflight request doesn't pass access control check: It does not have HTTP ok status."
    )
    assert "reached the application or an authentication layer after the CORS layer" in verdict.reason
    assert "preflights carry no credentials" in verdict.reason
    assert "before authentication" in verdict.fix


# --- Private Network Access is legacy; Local Network Access is a permission --------------------------------

LNA_WORDING = (
    "current Chrome and Firefox no longer send Private Network Access preflights "
    "(Access-Control-Request-Private-Network); they ask the user for a local-network permission instead (Local "
    "Network Access), which no response header grants; a request blocked by the browser's local-network "
    "permission prompt is not a CORS failure: nothing on the server fixes it; the user grants it"
)


def test_a_server_answering_private_network_access_gets_the_legacy_note(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = probe_json(f"{base}/broken/private_network", "--origin", APP, "--method", "PUT", capsys=capsys)
    assert status == 0
    assert (
        "the server sent Access-Control-Allow-Private-Network (legacy): " + LNA_WORDING in report["steps"][0]["notes"]
    )


def test_a_page_setting_the_private_network_request_header_sends_an_ordinary_header(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Chromium 156 lets a page set Access-Control-Request-Private-Network and lists it in the preflight's
    Access-Control-Request-Headers like any other name: probe does the same, and says what it is not."""
    status, report = probe_json(
        f"{base}/mw/open/x", "--origin", APP, "-H", "Access-Control-Request-Private-Network: true", capsys=capsys
    )
    assert status == 0
    assert ["Access-Control-Request-Headers", "access-control-request-private-network"] in report[
        "preflight_request_headers"
    ]
    assert (
        "Access-Control-Request-Private-Network is sent here as the page's own request header (so it needs a "
        "preflight and allow_headers, like any other); " + LNA_WORDING in report["notes"]
    )


def _stub_send(method: str, url: str, headers) -> Response:
    origin = dict(headers)["Origin"]
    return Response(200, "OK", (("Access-Control-Allow-Origin", origin),))


@pytest.mark.parametrize(
    ("url", "origin", "note"),
    [
        pytest.param(
            "http://127.0.0.1/x",
            "https://app.test",
            "127.0.0.1 is a loopback address and the page's origin https://app.test is probably not: ",
            id="loopback from a name",
        ),
        pytest.param(
            "http://[::1]:8080/x",
            "http://192.168.0.2",
            "::1 is a loopback address and the page's origin http://192.168.0.2 is not: ",
            id="loopback from a local address",
        ),
        pytest.param(
            "https://10.1.2.3/x",
            "https://203.0.113.9",
            "10.1.2.3 is a local address and the page's origin https://203.0.113.9 is not: ",
            id="local from public",
        ),
        pytest.param(
            "https://printer.local/x",
            "https://app.test",
            "printer.local is a local address and the page's origin https://app.test is probably not: ",
            id=".local",
        ),
        pytest.param("http://127.0.0.1/x", "http://localhost:3000", None, id="loopback from loopback"),
        pytest.param("http://10.1.2.3/x", "http://127.0.0.1:3000", None, id="local from loopback"),
        pytest.param("https://api.example.com/x", "https://app.test", None, id="public from public"),
    ],
)
def test_a_request_to_a_more_private_address_notes_the_local_network_permission(
    url: str, origin: str, note: str | None
) -> None:
    """No response shows the browser's local-network permission, so probe says when it applies."""
    report = run_probe(ProbeRequest(url, origin), _stub_send)
    assert report.verdict == "allowed"
    if note is None:
        assert report.notes == ()
    else:
        assert report.notes == (note + LNA_WORDING,)
        text = format_text(report).splitlines()
        assert text[-2] == f"note: {report.notes[0]}" and text[-1] == "allowed"


# --- X-CORS-Debug: the server's own account ------------------------------------------------------------------


def test_x_cors_debug_is_shown_for_the_preflight_and_the_actual_response(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{base}/broken/debug_header"
    status, out = probe_text(url, "--origin", APP, "--method", "PUT", capsys=capsys)
    assert status == 0, out
    lines = out.splitlines()
    said = f"  the server says: {TENANT_DEBUG}"
    assert lines.count(said) == 2
    assert lines[lines.index("preflight: OPTIONS /broken/debug_header -> 204") + 3] == said
    assert lines[lines.index("actual: PUT /broken/debug_header -> 200") + 2] == said
    status, report = probe_json(url, "--origin", APP, "--method", "PUT", capsys=capsys)
    assert [step["server_says"] for step in report["steps"]] == [TENANT_DEBUG, TENANT_DEBUG]
    status, report = probe_json(url, "--origin", APP, capsys=capsys)  # simple request: the actual response only
    assert [step["server_says"] for step in report["steps"]] == [None, TENANT_DEBUG]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("origin allowed by f()", "origin allowed by f()", id="verbatim"),
        pytest.param("x" * 200, "x" * 200, id="200 characters"),
        pytest.param("x" * 201, "x" * 197 + "...", id="clipped to 200"),
        pytest.param("a\x1b[2Jb", "'a\\x1b[2Jb'", id="control characters escaped"),
        pytest.param("caf\xe9", "'caf\\xe9'", id="non-ASCII escaped"),
    ],
)
def test_x_cors_debug_is_clipped_and_never_reaches_the_terminal_raw(value: str, shown: str) -> None:
    headers = [("Access-Control-Allow-Origin", APP), ("X-CORS-Debug", value)]
    assert check_response(200, headers, APP).server_says == shown
    assert check_preflight(204, [*headers, ("Access-Control-Allow-Methods", "PUT")], APP, "PUT").server_says == shown
    assert check_response(200, headers[:1], APP).server_says == ""


def test_uncovered_path_is_blamed_on_resources(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = probe_text(f"{base}/mw/strict/other", "--origin", APP, capsys=capsys)
    assert status == 1
    assert "no CORS layer handled this response" in out
    assert "resources covers this path" in out


def test_same_origin_and_mixed_content(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, report = probe_json(f"{base}/broken/no_cors", "--origin", base, capsys=capsys)
    assert (status, report["steps"][0]["step"]) == (0, "same origin")
    status, report = probe_json("http://api.example.invalid/x", "--origin", APP, capsys=capsys)
    assert (status, report["steps"][0]["step"], report["verdict"]) == (1, "mixed content", "blocked")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["http://127.0.0.1:9/x", "--origin", "https://App.test/"], "did you mean 'https://app.test'"),
        pytest.param(["http://127.0.0.1:9/x", "--origin", APP, "-H", "Cookie: a=b"], "forbidden request header"),
        pytest.param(["http://127.0.0.1:9/x", "--origin", APP, "--method", "TRACE"], "forbidden method"),
        pytest.param(["ftp://127.0.0.1/x", "--origin", APP], "not an http:// or https:// URL"),
        pytest.param(["http://127.0.0.1:9/x"], "required: --origin"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_no_subcommand_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "probe" in capsys.readouterr().err


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A port bound but not listening: connections to it are refused, and nobody else can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_connection_refused_exits_2_with_json_error(refused_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["probe", f"http://127.0.0.1:{refused_port}/x", "--origin", APP, "--json"])
    captured = capsys.readouterr()
    assert status == 2
    assert "Connection refused" in captured.err
    assert json.loads(captured.out)["verdict"] == "error"


def _run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "probe", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_exit_statuses_in_a_subprocess(base: str, refused_port: int) -> None:
    allowed = _run_module(f"{base}/mw/strict/api/x", "--origin", APP, "--method", "PUT", "-H", "X-Foo")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert allowed.stdout.splitlines()[-1] == "allowed"
    blocked = _run_module(f"{base}/mw/strict/api/x", "--origin", EVIL, "--method", "PUT")
    assert blocked.returncode == 1
    assert blocked.stdout.splitlines()[-1] == "blocked"
    refused = _run_module(f"http://127.0.0.1:{refused_port}/x", "--origin", APP)
    assert refused.returncode == 2
    assert refused.stdout == "" and "Connection refused" in refused.stderr
    usage = _run_module(f"{base}/x")
    assert usage.returncode == 2 and "--origin" in usage.stderr


# --- probe agrees with the middleware's own decision -----------------------------------------------------------

A = "https://a.test"
AGREE_CONFIGS = [
    {},
    {"origins": [A, "https://*.b.test"], "supports_credentials": True, "max_age": 60, "allow_headers": ["X-A"]},
    {"send_wildcard": True, "expose_headers": "X-Total"},
    {"origins": A, "methods": ["PUT", "patch"], "allow_headers": "*"},
    {"origins": [A], "methods": "*", "allow_headers": [r"X-[a-z]+", "Content-Type"], "supports_credentials": True},
    {"resources": {r"/api/*": {"origins": A, "methods": ["DELETE"]}, "/open": {}}},
    # debug=True without POST: a refused POST with unsafe headers must be a 403 (a 204 would pass in browsers).
    {"origins": [A], "methods": ["GET", "DELETE"], "allow_headers": ["X-A"], "debug": True},
    {"origins": [A], "automatic_options": False, "allow_headers": ["X-A", "Authorization"]},
]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    AGREE_MIDDLEWARES = [CORSMiddleware(application, **options) for options in AGREE_CONFIGS]

ORIGINS = [A, "https://x.b.test", EVIL, "null"]
METHODS = ["GET", "POST", "PUT", "DELETE", "patch", "PATCH", "OPTIONS"]
HEADER_SETS = [
    (),
    (("X-A", "1"),),
    (("Content-Type", "application/json"),),
    (("Content-Type", "text/plain"),),
    (("Authorization", "Bearer t"),),
    (("X-A", "1"), ("X-Other", "2")),
    (("Accept", "*/*"), ("Range", "bytes=0-9")),
]
PATHS = ["/api/x", "/open", "/x"]


def expected_by_the_middleware(index: int, path: str, origin: str, method: str, headers, credentials: bool):
    """What cors_wsgi's decide() says the browser will see: (preflight verdict or None, actual verdict or None).

    A step is allowed iff the middleware says it allows it and, for a credentialed request, the rule
    supports credentials (the middleware allows the origin either way; only the browser needs ACAC).
    """
    middleware = AGREE_MIDDLEWARES[index]
    rule = middleware.policy.lookup(path)
    credentials_ok = not credentials or (rule is not None and rule.settings[SUPPORTS_CREDENTIALS])
    required, _ = needs_preflight(method, headers)
    preflight = None
    if required:
        sent = dict(preflight_request_headers(origin, method, headers))
        decision = middleware.decide("OPTIONS", path, sent)
        preflight = decision.allowed and credentials_ok
        if not preflight:
            return preflight, None
    decision = middleware.decide(method, path, {"Origin": origin, **dict(headers)})
    return preflight, decision.allowed and credentials_ok


@pytest.mark.parametrize("index", range(len(AGREE_CONFIGS)))
def test_browser_checks_on_decide_output_agree_with_decide(index: int) -> None:
    """Fed the middleware's own answers (as decide() reports them), the browser's checks allow exactly
    what the middleware says it allows, debug-mode refusals included: every path, origin, method, header
    set and credentials mode of the tables above (1176 requests per configuration)."""
    middleware = AGREE_MIDDLEWARES[index]
    for scenario in itertools.product([index], PATHS, ORIGINS, METHODS, HEADER_SETS, [False, True]):
        _, path, origin, method, headers, credentials = scenario
        expected_preflight, expected_actual = expected_by_the_middleware(*scenario)
        if expected_preflight is not None:
            decision = middleware.decide("OPTIONS", path, dict(preflight_request_headers(origin, method, headers)))
            verdict = check_preflight(decision.status or 200, decision.headers, origin, method, headers, credentials)
            assert verdict.ok is expected_preflight, (scenario, decision, verdict)
        if expected_actual is not None:
            decision = middleware.decide(method, path, {"Origin": origin})
            verdict = check_response(200, decision.headers, origin, credentials)
            assert verdict.ok is expected_actual, (scenario, decision, verdict)


def dispatch_agree(environ, start_response):
    index = int(shift_path_info(environ) or 0)
    return AGREE_MIDDLEWARES[index](environ, start_response)


@pytest.fixture(scope="module")
def agree_base() -> Iterator[str]:
    with serve(dispatch_agree) as url:
        yield url


def _network_scenarios() -> list[tuple]:
    """Per configuration, two fixed scenarios of each outcome (simple allowed / blocked, preflight allowed /
    refused...), for the slower path through a real server and the whole probe."""
    chosen = []
    for index in range(len(AGREE_CONFIGS)):
        candidates = list(itertools.product([index], PATHS, ORIGINS[:3], METHODS, HEADER_SETS, [False, True]))
        random.Random(index).shuffle(candidates)
        taken: collections.Counter[tuple] = collections.Counter()
        for scenario in candidates:
            outcome = expected_by_the_middleware(*scenario)
            if taken[outcome] < 2:
                taken[outcome] += 1
                chosen.append(scenario)
    return chosen


NETWORK_SCENARIOS = _network_scenarios()


@pytest.mark.parametrize("scenario", NETWORK_SCENARIOS)
def test_probe_over_the_network_agrees_with_decide(agree_base: str, scenario) -> None:
    index, path, origin, method, headers, credentials = scenario
    expected_preflight, expected_actual = expected_by_the_middleware(*scenario)
    request = ProbeRequest(f"{agree_base}/{index}{path}", origin, method, tuple(headers), credentials, diagnose=False)
    report = run_probe(request, http_sender(timeout=10))
    steps = {step.step: step for step in report.steps}
    assert steps["preflight"].sent is (expected_preflight is not None)
    if expected_preflight is not None:
        assert steps["preflight"].ok is expected_preflight, report
    expected = expected_actual if expected_actual is not None else expected_preflight
    assert report.verdict == ("allowed" if expected else "blocked"), report
    assert report.exit_status == (0 if expected else 1)
