"""PEP 3333 correctness of ``CORSMiddleware``.

Every application here runs twice: directly under the middleware, and with ``wsgiref.validate.validator``
on both sides of it (``validator(CORSMiddleware(validator(app), ...))``), so the validator checks what the
middleware receives from the application *and* what it hands to the server. Requests come from a fake
server (``start_response`` that records its arguments, ``environ`` from ``setup_testing_defaults``),
webtest's ``TestApp`` and werkzeug's test ``Client``.
"""

import sys
from typing import NamedTuple
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import IteratorWrapper, WriteWrapper, validator

import pytest
from webtest import TestApp
from werkzeug.test import Client

from cors_wsgi import CORSMiddleware

ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://other.example.com"
EVIL_ORIGIN = "https://evil.example.net"
ACAO = "Access-Control-Allow-Origin"
TEXT = ("Content-Type", "text/plain; charset=utf-8")
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class Boom(Exception):
    """Raised by the applications under test; must come out of the middleware unchanged."""


# ------------------------------------------------------------------------------------------------------
# A fake server, a recorder for real test clients, and a way to look through the validator's wrappers.


class Call(NamedTuple):
    status: str
    headers: list
    exc_info: object


class FakeServer:
    """The server side of PEP 3333: records every ``start_response`` call and every ``write()``."""

    def __init__(self):
        self.calls: list[Call] = []
        self.written: list[bytes] = []
        self.write = self.written.append  # one object, so identity can be checked

    def start_response(self, status, headers, exc_info=None):
        self.calls.append(Call(status, headers, exc_info))
        return self.write

    def run(self, app, environ):
        """Call ``app`` like a server: iterate the body, then always call ``close()``."""
        result = app(environ, self.start_response)
        try:
            chunks = list(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return b"".join(self.written + chunks)


class Recorder:
    """Outermost WSGI layer: records exactly what a real client's server was handed."""

    def __init__(self, app):
        self.app = app
        self.calls: list[Call] = []

    def __call__(self, environ, start_response):
        def recording_start_response(status, headers, exc_info=None):
            self.calls.append(Call(status, headers, exc_info))
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        return self.app(environ, recording_start_response)


class Exchange(NamedTuple):
    status: int
    headers: list
    body: bytes
    calls: list


def make_environ(method="GET", path="/", headers=None, script_name=""):
    environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": script_name, "PATH_INFO": path, "QUERY_STRING": ""}
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    return environ


def send(client, app, method="GET", path="/", headers=None, script_name="", buffered=False):
    """One request through ``client``; the headers are those handed to the server, untouched.

    werkzeug's ``buffered=True`` drops data sent through ``write()``, but without it werkzeug does not
    close the body when iteration raises; so it is off unless asked for.
    """
    headers = dict(headers or {})
    if client == "server":
        server = FakeServer()
        body = server.run(app, make_environ(method, path, headers, script_name))
        calls = server.calls
    elif client == "webtest":
        recorder = Recorder(app)
        res = TestApp(recorder).request(
            path, method=method, headers=headers, base_url="http://localhost" + script_name, expect_errors=True
        )
        body, calls = res.body, recorder.calls
        assert res.status_int == int(calls[-1].status[:3])
    else:
        recorder = Recorder(app)
        resp = Client(recorder).open(
            path, method=method, headers=headers, base_url="http://localhost" + script_name, buffered=buffered
        )
        try:
            body = resp.get_data()
        finally:
            resp.close()
        calls = recorder.calls
        assert resp.status_code == int(calls[-1].status[:3])
    return Exchange(int(calls[-1].status[:3]), calls[-1].headers, body, calls)


def values(headers, name):
    return [value for key, value in headers if key.lower() == name.lower()]


def cors_headers(headers):
    return [(key, value) for key, value in headers if key.lower().startswith("access-control-")]


def unwrap_iterable(result):
    """The object under the validator's ``IteratorWrapper``s: what the application itself returned."""
    while isinstance(result, IteratorWrapper):
        result = result.original_iterator
    return result


def unwrap_writer(write):
    while isinstance(write, WriteWrapper):
        write = write.writer
    return write


@pytest.fixture(params=["direct", "validated"])
def wrap(request):
    """``wrap(app, **options)``: the middleware around ``app``, with or without validators on both sides."""
    validated = request.param == "validated"

    def build(app, **options):
        inner = validator(app) if validated else app
        middleware = CORSMiddleware(inner, **options)
        return validator(middleware) if validated else middleware

    return build


@pytest.fixture(params=["server", "webtest", "werkzeug"])
def client(request):
    return request.param


def hello_app(environ, start_response):
    start_response("200 OK", [TEXT])
    return [b"hello"]


# ------------------------------------------------------------------------------------------------------
# exc_info, intercept_exceptions and exceptions


class ErrorApp:
    """Catches its own error and starts a 500 with ``exc_info`` (optionally after a first 200)."""

    def __init__(self, started_ok_first=False):
        self.started_ok_first = started_ok_first
        self.exc_info = None

    def __call__(self, environ, start_response):
        if self.started_ok_first:
            start_response("200 OK", [TEXT])
        try:
            raise Boom("database down")
        except Boom:
            self.exc_info = sys.exc_info()
            start_response("500 Internal Server Error", [TEXT], self.exc_info)
        return [b"internal error"]


@pytest.mark.parametrize("started_ok_first", [False, True], ids=["first-start", "replacing-a-200"])
def test_exc_info_response_gets_cors_headers_and_exc_info_reaches_server(wrap, started_ok_first):
    """A 500 started with exc_info carries CORS headers, and exc_info is passed on to the server as is."""
    app = ErrorApp(started_ok_first)
    server = FakeServer()
    body = server.run(wrap(app, origins=[ORIGIN]), make_environ(headers={"Origin": ORIGIN}))
    last = server.calls[-1]
    assert last.status == "500 Internal Server Error"
    assert values(last.headers, ACAO) == [ORIGIN]
    assert values(last.headers, "Vary") == ["Origin"]
    assert last.exc_info is app.exc_info
    assert isinstance(last.exc_info[1], Boom)
    assert body == b"internal error"


def test_exc_info_response_through_webtest_gets_cors_headers(wrap):
    """webtest's server keeps exc_info responses: the 500 it returns carries the CORS headers."""
    res = TestApp(wrap(ErrorApp(), origins=[ORIGIN])).get("/", headers={"Origin": ORIGIN}, status=500)
    assert res.headers[ACAO] == ORIGIN
    assert res.headers.getall("Vary") == ["Origin"]
    assert res.body == b"internal error"


def test_exc_info_is_reraised_by_a_strict_server(wrap):
    """werkzeug's test server re-raises exc_info: the app's exception proves exc_info got through."""
    app = ErrorApp()
    with pytest.raises(Boom, match="database down") as caught:
        Client(wrap(app, origins=[ORIGIN])).get("/", headers={"Origin": ORIGIN})
    assert caught.value is app.exc_info[1]


@pytest.mark.parametrize(
    ("status", "with_exc_info", "touched"),
    [
        ("500 Internal Server Error", True, False),
        ("500 Internal Server Error", False, False),
        ("503 Service Unavailable", False, False),
        ("404 Not Found", False, True),
        ("200 OK", False, True),
    ],
)
def test_intercept_exceptions_false_leaves_5xx_untouched(wrap, status, with_exc_info, touched):
    """intercept_exceptions=False: 5xx responses get no Access-Control-* and no Vary; others still do."""
    app_headers = [TEXT, ("X-App", "1")]

    def app(environ, start_response):
        if with_exc_info:
            try:
                raise Boom
            except Boom:
                start_response(status, list(app_headers), sys.exc_info())
        else:
            start_response(status, list(app_headers))
        return [b"body"]

    server = FakeServer()
    server.run(wrap(app, origins=[ORIGIN], intercept_exceptions=False), make_environ(headers={"Origin": ORIGIN}))
    headers = server.calls[-1].headers
    if touched:
        assert values(headers, ACAO) == [ORIGIN]
        assert values(headers, "Vary") == ["Origin"]
    else:
        assert headers == app_headers


def raise_at_call(environ, start_response):
    raise Boom("at call")


def raise_before_start(environ, start_response):
    raise Boom("in iteration, before start_response")
    yield b""  # pragma: no cover


def raise_after_first_chunk(environ, start_response):
    start_response("200 OK", [TEXT])
    yield b"partial"
    raise Boom("in iteration, after the first chunk")


@pytest.mark.parametrize("app", [raise_at_call, raise_before_start, raise_after_first_chunk])
def test_exceptions_raised_by_the_app_propagate(wrap, client, app):
    """An exception the application raises comes out of the middleware, never swallowed into a response."""
    with pytest.raises(Boom):
        send(client, wrap(app, origins=[ORIGIN]), headers={"Origin": ORIGIN}, buffered=True)


# ------------------------------------------------------------------------------------------------------
# write(), late start_response, close(), streaming


class WriteApp:
    """Emits its body through the write() callable and returns an empty iterable."""

    def __init__(self):
        self.write = None

    def __call__(self, environ, start_response):
        self.write = start_response("200 OK", [TEXT])
        self.write(b"written ")
        self.write(b"body")
        return []


def test_write_callable_is_the_servers_own(wrap):
    """start_response returns the server's write() unchanged (only the validator's checks around it)."""
    app = WriteApp()
    server = FakeServer()
    body = server.run(wrap(app, origins=[ORIGIN]), make_environ(headers={"Origin": ORIGIN}))
    assert unwrap_writer(app.write) is server.write
    assert server.written == [b"written ", b"body"]
    assert body == b"written body"
    assert values(server.calls[-1].headers, ACAO) == [ORIGIN]


def test_write_callable_body_reaches_clients(wrap, client):
    """An application that uses write() still produces its body, with CORS headers."""
    res = send(client, wrap(WriteApp(), origins=[ORIGIN]), headers={"Origin": ORIGIN})
    assert res.status == 200
    assert res.body == b"written body"
    assert values(res.headers, ACAO) == [ORIGIN]


def late_start_app(environ, start_response):
    start_response("200 OK", [TEXT])
    yield b"late "
    yield b"start"


def test_late_start_response_gets_cors_headers(wrap):
    """start_response called from inside iteration (a generator app) still goes through the middleware."""
    server = FakeServer()
    result = wrap(late_start_app, origins=[ORIGIN])(make_environ(headers={"Origin": ORIGIN}), server.start_response)
    try:
        assert server.calls == []  # really late: nothing started before iteration
        chunks = list(result)
    finally:
        result.close()
    assert chunks == [b"late ", b"start"]
    assert values(server.calls[-1].headers, ACAO) == [ORIGIN]
    assert values(server.calls[-1].headers, "Vary") == ["Origin"]


def test_late_start_response_through_clients(wrap, client):
    """Real clients see the CORS headers of a generator app."""
    res = send(client, wrap(late_start_app, origins=[ORIGIN]), headers={"Origin": ORIGIN})
    assert res.body == b"late start"
    assert values(res.headers, ACAO) == [ORIGIN]


class ClosingBody:
    """A body iterable with close(), recording how many chunks were pulled and whether it was closed."""

    def __init__(self, chunks=(b"a", b"b", b"c")):
        self._chunks = iter(chunks)
        self.pulled = 0
        self.closed = 0

    def __iter__(self):
        return self

    def __next__(self):
        chunk = next(self._chunks)
        self.pulled += 1
        return chunk

    def close(self):
        self.closed += 1


class ClosingApp:
    def __init__(self):
        self.body = ClosingBody()

    def __call__(self, environ, start_response):
        start_response("200 OK", [TEXT])
        return self.body


def test_app_iterable_is_returned_as_is_and_closed(wrap):
    """The middleware returns the application's own iterable (identity), so the server calls its close()."""
    app = ClosingApp()
    server = FakeServer()
    result = wrap(app, origins=[ORIGIN])(make_environ(headers={"Origin": ORIGIN}), server.start_response)
    try:
        assert unwrap_iterable(result) is app.body
    finally:
        result.close()
    assert app.body.closed == 1


def test_close_is_called_by_clients(wrap, client):
    """Every client ends the response by calling the application iterable's close(), exactly once."""
    app = ClosingApp()
    res = send(client, wrap(app, origins=[ORIGIN]), headers={"Origin": ORIGIN})
    assert res.body == b"abc"
    assert app.body.closed == 1


@pytest.mark.parametrize("origin", [ORIGIN, EVIL_ORIGIN, None], ids=["allowed", "rejected", "no-origin"])
def test_body_streams_unbuffered(wrap, origin):
    """The middleware does not consume the body: nothing is pulled until the server iterates, one at a time."""
    app = ClosingApp()
    server = FakeServer()
    headers = {"Origin": origin} if origin else {}
    result = wrap(app, origins=[ORIGIN])(make_environ(headers=headers), server.start_response)
    try:
        assert app.body.pulled == 0
        assert next(iter(result)) == b"a"
        assert app.body.pulled == 1
        assert list(result) == [b"b", b"c"]
    finally:
        result.close()
    assert app.body.closed == 1


# ------------------------------------------------------------------------------------------------------
# The header list handed to the server


def test_multiple_set_cookie_headers_preserved_in_order(wrap, client):
    """Several Set-Cookie headers (and all other app headers) keep their order next to the CORS headers."""
    app_headers = [
        TEXT,
        ("Set-Cookie", "a=1; Path=/"),
        ("Set-Cookie", "b=2; Path=/; HttpOnly"),
        ("X-Between", "x"),
        ("Set-Cookie", "c=3; Path=/; Secure"),
    ]

    def app(environ, start_response):
        start_response("200 OK", list(app_headers))
        return [b"ok"]

    options = {"origins": [ORIGIN], "supports_credentials": True, "expose_headers": ["X-Between"]}
    res = send(client, wrap(app, **options), headers={"Origin": ORIGIN})
    assert values(res.headers, "Set-Cookie") == ["a=1; Path=/", "b=2; Path=/; HttpOnly", "c=3; Path=/; Secure"]
    assert [header for header in res.headers if header in app_headers] == app_headers
    assert values(res.headers, ACAO) == [ORIGIN]
    assert values(res.headers, "Access-Control-Allow-Credentials") == ["true"]
    assert values(res.headers, "Access-Control-Expose-Headers") == ["X-Between"]


SHARED_HEADERS = [TEXT, ("X-Shared", "1")]


def shared_list_app(environ, start_response):
    start_response("200 OK", SHARED_HEADERS)  # the same list object for every response
    return [b"shared"]


@pytest.fixture
def shared_headers():
    saved = list(SHARED_HEADERS)
    yield saved
    SHARED_HEADERS[:] = saved  # if the middleware mutated it, do not poison the other cases


def test_header_lists_are_fresh_per_response(wrap, shared_headers):
    """An app reusing one header list: the list is never mutated and each response gets its own list."""
    app = wrap(shared_list_app, origins=[ORIGIN, OTHER_ORIGIN])
    server = FakeServer()
    server.run(app, make_environ(headers={"Origin": ORIGIN}))
    server.run(app, make_environ(headers={"Origin": OTHER_ORIGIN}))
    assert shared_headers == SHARED_HEADERS
    first, second = server.calls[0].headers, server.calls[1].headers
    assert first is not second
    assert first is not SHARED_HEADERS and second is not SHARED_HEADERS
    assert values(first, ACAO) == [ORIGIN]
    assert values(second, ACAO) == [OTHER_ORIGIN]


@pytest.mark.parametrize(
    ("options", "method", "headers", "acao"),
    [
        pytest.param({"origins": [ORIGIN]}, "GET", {"Origin": ORIGIN}, [ORIGIN], id="allowed"),
        pytest.param({"origins": [ORIGIN]}, "GET", {"Origin": EVIL_ORIGIN}, [], id="rejected"),
        pytest.param({}, "GET", {}, ["*"], id="always-send-no-origin"),
        pytest.param({"send_wildcard": True}, "GET", {"Origin": ORIGIN}, ["*"], id="send-wildcard"),
        pytest.param(
            {"origins": [ORIGIN], "supports_credentials": True, "expose_headers": ["X-Total"]},
            "POST",
            {"Origin": ORIGIN},
            [ORIGIN],
            id="credentialed",
        ),
        pytest.param(
            {"origins": [ORIGIN], "max_age": 600},
            "OPTIONS",
            {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-a"},
            [ORIGIN],
            id="preflight-allowed",
        ),
        pytest.param(
            {"origins": [ORIGIN]},
            "OPTIONS",
            {"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "PUT"},
            [],
            id="preflight-rejected",
        ),
    ],
)
def test_headers_are_native_str_with_at_most_one_acao(wrap, client, options, method, headers, acao):
    """Every header name and value handed to the server is a native str; never two ACAO headers."""
    res = send(client, wrap(hello_app, **options), method=method, headers=headers)
    for call in res.calls:
        assert type(call.status) is str
        assert type(call.headers) is list
        for header in call.headers:
            assert type(header) is tuple
            assert [type(part) for part in header] == [str, str]
    assert values(res.headers, ACAO) == acao


@pytest.mark.parametrize("acao_name", ["Access-Control-Allow-Origin", "access-control-allow-origin"])
@pytest.mark.parametrize("origin", [ORIGIN, EVIL_ORIGIN], ids=["allowed", "rejected"])
def test_app_own_acao_wins_and_middleware_adds_nothing(wrap, client, acao_name, origin):
    """If the app set Access-Control-Allow-Origin itself, its headers go out unchanged: no Vary, nothing."""
    app_headers = [TEXT, (acao_name, "https://own.example")]

    def app(environ, start_response):
        start_response("200 OK", list(app_headers))
        return [b"own"]

    options = {"origins": [ORIGIN], "supports_credentials": True, "expose_headers": ["X-Total"]}
    res = send(client, wrap(app, **options), headers={"Origin": origin})
    assert res.headers == app_headers


@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        pytest.param([], [("Vary", "Origin")], id="none"),
        pytest.param([("Vary", "Accept-Encoding")], [("Vary", "Accept-Encoding, Origin")], id="merged"),
        pytest.param([("Vary", "*")], [("Vary", "*")], id="star-left-alone"),
        pytest.param([("vary", "origin")], [("vary", "origin")], id="already-there-any-case"),
        pytest.param(
            [("Vary", "Accept-Encoding"), ("Vary", "Accept-Language")],
            [("Vary", "Accept-Encoding, Accept-Language, Origin")],
            id="two-lines-folded",
        ),
        pytest.param(
            [("Vary", "Origin"), ("Vary", "Cookie")], [("Vary", "Origin, Cookie")], id="two-lines-origin-present"
        ),
    ],
)
@pytest.mark.parametrize("origin", [ORIGIN, EVIL_ORIGIN], ids=["allowed", "rejected"])
def test_vary_is_merged_into_the_apps(wrap, client, app_vary, expected, origin):
    """Vary: Origin is merged into the app's Vary (one line, no duplicates); Vary: * is left alone."""

    def app(environ, start_response):
        start_response("200 OK", [TEXT, *app_vary, ("X-After", "1")])
        return [b"varied"]

    res = send(client, wrap(app, origins=[ORIGIN]), headers={"Origin": origin})
    assert [header for header in res.headers if header[0].lower() == "vary"] == expected
    assert values(res.headers, ACAO) == ([ORIGIN] if origin == ORIGIN else [])


# ------------------------------------------------------------------------------------------------------
# Preflights answered by the middleware


class CountingApp:
    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response("200 OK", [TEXT])
        return [b"app ran"]


PREFLIGHT_OPTIONS = {"origins": [ORIGIN], "methods": ["GET", "PUT"], "allow_headers": ["X-Custom"], "max_age": 600}


def test_preflight_is_answered_without_calling_the_app(wrap, client):
    """An allowed preflight: 204, empty body, no Content-Type, the preflight headers; the app never runs."""
    app = CountingApp()
    res = send(
        client,
        wrap(app, **PREFLIGHT_OPTIONS),
        method="OPTIONS",
        path="/items/1",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "X-Custom",
        },
    )
    assert app.calls == 0
    assert res.status == 204
    assert res.calls[-1].status == "204 No Content"
    assert res.body == b""
    assert values(res.headers, "Content-Type") == []
    assert cors_headers(res.headers) == [
        ("Access-Control-Allow-Origin", ORIGIN),
        ("Access-Control-Allow-Methods", "GET, PUT"),
        ("Access-Control-Allow-Headers", "x-custom"),
        ("Access-Control-Max-Age", "600"),
    ]
    assert values(res.headers, "Vary") == [PREFLIGHT_VARY]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "PUT"}, id="origin"),
        pytest.param({"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"}, id="method"),
        pytest.param(
            {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-other"},
            id="header",
        ),
        pytest.param({"Origin": "", "Access-Control-Request-Method": "PUT"}, id="empty-origin"),
        pytest.param({"Origin": ORIGIN, "Access-Control-Request-Method": "P U T"}, id="malformed-method"),
    ],
)
def test_failed_preflight_is_403_without_access_control_headers(wrap, client, headers):
    """A failed preflight: 403, empty body, no Access-Control-* header at all, Vary kept; the app never runs."""
    app = CountingApp()
    res = send(client, wrap(app, **PREFLIGHT_OPTIONS), method="OPTIONS", path="/items/1", headers=headers)
    assert app.calls == 0
    assert res.status == 403
    assert res.body == b""
    assert cors_headers(res.headers) == []
    assert values(res.headers, "Vary") == [PREFLIGHT_VARY]


# ------------------------------------------------------------------------------------------------------
# SCRIPT_NAME


@pytest.mark.parametrize(
    ("script_name", "path_info", "covered"),
    [
        ("", "/api/x", True),
        ("/mount", "/api/x", True),
        ("/mount", "/api", True),
        ("/api", "/x", False),
        ("/api", "/", False),
        ("", "/mount/api/x", False),
    ],
)
def test_script_name_is_not_part_of_the_matched_path(wrap, client, script_name, path_info, covered):
    """resources match PATH_INFO only: SCRIPT_NAME (where the app is mounted) is ignored."""
    res = send(
        client,
        wrap(hello_app, origins=[ORIGIN], resources=r"/api/*"),
        path=path_info,
        script_name=script_name,
        headers={"Origin": ORIGIN},
    )
    assert res.status == 200
    if covered:
        assert values(res.headers, ACAO) == [ORIGIN]
        assert values(res.headers, "Vary") == ["Origin"]
    else:
        assert res.headers == [TEXT]
