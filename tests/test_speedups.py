"""The C version of ``__call__`` (cors_wsgi/_speedups.c) must answer exactly as the Python one.

``CORSMiddleware._call`` is the Python implementation; calling the instance runs the C one when it is
compiled. Every request here goes through both, on the same instance, and everything the server sees
is compared: status, header list (order included), body, whether the application ran, what ``write()``
received, and any exception. Requests and configurations come from the fuzz generators, and a set of
awkward applications and callers (tuples of headers, an application's own Vary and CORS headers, 5xx
with ``intercept_exceptions=False``, ``exc_info``, keyword arguments, ``start_response`` called late,
``write()``, a non-dict environ, non-str values, DEBUG logging) covers the branches where C hands over to
Python. The rest of the suite runs through the C version too; ``.ci/run`` repeats the core tests with
``CORS_WSGI_PURE_PYTHON=1``.
"""

from __future__ import annotations

import gc
import logging
import os
import platform
import sys
import tracemalloc
import warnings
import weakref
from collections.abc import Iterator
from typing import Any, Callable

import _generators as gen
import pytest
from _oracle import Request, oracle_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_wsgi import ConfigError, CORSConfigWarning, CORSMiddleware, middleware

ORIGIN = "https://app.example.com"
accelerated = pytest.mark.skipif(not middleware.ACCELERATED, reason="the C accelerator is not compiled here")


def test_the_accelerator_is_built_where_it_can_be() -> None:
    """CI compiles it (gcc and the CPython headers are there): a silent fallback would make the README's
    performance figures untrue and leave the C code untested."""
    if os.environ.get("CORS_WSGI_PURE_PYTHON", "") not in ("", "0", "false", "no"):
        assert not middleware.ACCELERATED
    elif os.environ.get("CI") and platform.python_implementation() == "CPython":
        assert middleware.ACCELERATED, "cors_wsgi/_speedups.c was not compiled: pip install -e . failed to build it"


# --- a recording server -----------------------------------------------------------------------------------


def serve(call: Callable[[Any, Any], Any], environ: Any) -> tuple[Any, ...]:
    """What a server sees: ``(status, headers, exc_info given, body, writes, app ran)`` or the exception."""
    seen: dict[str, Any] = {"writes": []}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if not isinstance(headers, (list, tuple)):  # an iterator passed on untouched: compare its items
            headers = list(headers)
        seen["status"], seen["headers"], seen["exc_info"] = status, headers, exc_info is not None
        return seen["writes"].append

    try:
        result = call(environ, start_response)
        body = b"".join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
    except Exception as error:  # compared like any other outcome (argument errors are worded differently)
        return ("raised", type(error))
    ran = environ.get("test.ran", []) if isinstance(environ, dict) else []
    return (seen.get("status"), seen.get("headers"), seen.get("exc_info"), body, seen["writes"], len(ran))


def both(mw: CORSMiddleware, make_environ: Callable[[], Any]) -> tuple[Any, Any]:
    python = serve(lambda e, s: CORSMiddleware._call(mw, e, s), make_environ())
    native = serve(mw, make_environ())
    return native, python


# --- awkward applications -----------------------------------------------------------------------------------


def recording(app: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def wrapped(environ: Any, start_response: Any) -> Any:
        if isinstance(environ, dict):
            environ.setdefault("test.ran", []).append(1)
        return app(environ, start_response)

    return wrapped


def plain(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def tuple_headers(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", (("Content-Type", "text/plain"),))
    return [b"ok"]


def own_vary(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("vary", "Accept-Encoding"), ("VARY", "Cookie")])
    return [b"ok"]


def own_cors(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Access-Control-Allow-Origin", "https://other.example"), ("Vary", "Origin")])
    return [b"ok"]


def own_credentials(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("X-Custom", "1"), ("access-control-allow-credentials", "true")])
    return [b"ok"]


def server_error(environ: Any, start_response: Any) -> list[bytes]:
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"boom"]


def with_exc_info(environ: Any, start_response: Any) -> list[bytes]:
    try:
        raise ValueError("app failed")
    except ValueError:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"error page"]


def keywords(environ: Any, start_response: Any) -> list[bytes]:
    start_response(status="201 Created", headers=[("Content-Type", "text/plain")], exc_info=None)
    return [b"ok"]


def late(environ: Any, start_response: Any) -> Iterator[bytes]:
    yield b""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"late"


def writes(environ: Any, start_response: Any) -> list[bytes]:
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written")
    return [b"returned"]


def bad_arity(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK")
    return []


def bad_keyword(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [], status_code=200)
    return []


def bad_header(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain", "extra")])
    return []


def non_str_status(environ: Any, start_response: Any) -> list[bytes]:
    start_response(200, [("Content-Type", "text/plain")])
    return []


def empty_headers(environ: Any, start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return []


def iterator_headers(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", iter([("Vary", "Cookie"), ("Content-Type", "text/plain")]))
    return [b"ok"]


class HeaderList(list):  # type: ignore[type-arg]
    pass


def list_subclass(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", HeaderList([("Content-Type", "text/plain"), ("Vary", "Cookie")]))
    return [b"ok"]


def unhashable_name(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [(["X-Odd"], "1")])
    return []


def str_subclass_name(environ: Any, start_response: Any) -> list[bytes]:
    class Name(str):
        pass

    start_response("200 OK", [(Name("Content-Type"), "text/plain"), (Name("VARY"), "Cookie")])
    return [b"ok"]


APPS = [plain, tuple_headers, own_vary, own_cors, own_credentials, server_error, with_exc_info, keywords, late,
        writes, bad_arity, bad_keyword, bad_header, non_str_status, empty_headers, iterator_headers, list_subclass,
        unhashable_name, str_subclass_name]  # fmt: skip

CONFIGS: list[dict[str, Any]] = [
    {},
    {"origins": [ORIGIN]},
    {"resources": r"/api/*", "origins": [ORIGIN], "max_age": 600, "methods": ["GET", "PUT"]},
    {"resources": {r"/api/*": {"origins": [ORIGIN]}, "/public": {"origins": "*", "send_wildcard": True}}},
    {"resources": r"/api/*", "origins": [ORIGIN], "intercept_exceptions": False, "supports_credentials": True},
    {"resources": [r"/a/*", r"/b/*"], "origins": [ORIGIN, r"https://.*\.example\.org"], "expose_headers": ["X-A"]},
    {"resources": r"/api/*", "origins": [ORIGIN], "allow_private_network": True},
    {"resources": r"/api/*", "origins": [ORIGIN], "automatic_options": False},
]

PATHS = ["/api/items", "/api", "/apiary", "//api/x", "/public", "/a/1", "/b", "/other", "", "/"]
PREFLIGHT = {"REQUEST_METHOD": "OPTIONS", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}
REQUESTS: list[dict[str, Any]] = [
    {},
    {"HTTP_ORIGIN": ORIGIN},
    {"HTTP_ORIGIN": "https://evil.example"},
    {"HTTP_ORIGIN": "https://x.example.org"},
    {"HTTP_ORIGIN": ORIGIN + "x" * 400},
    {"HTTP_ORIGIN": ORIGIN, **PREFLIGHT},
    {"HTTP_ORIGIN": ORIGIN, **PREFLIGHT, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "content-type"},
    {"HTTP_ORIGIN": ORIGIN, **PREFLIGHT, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "x" * 5000},
    {"HTTP_ORIGIN": ORIGIN, **PREFLIGHT, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "P" * 65},
    {"HTTP_ORIGIN": "https://evil.example", **PREFLIGHT},
    {"HTTP_ORIGIN": ORIGIN, **PREFLIGHT, "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": "true"},
    {"HTTP_ORIGIN": ORIGIN, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"},  # not OPTIONS: an actual request
    {"HTTP_ORIGIN": ORIGIN, "REQUEST_METHOD": "OPTIONS"},
    {"HTTP_ORIGIN": b"https://app.example.com"},  # not a str: Python decides
    {"HTTP_ORIGIN": ORIGIN, **PREFLIGHT, "REQUEST_METHOD": b"OPTIONS"},
    {"HTTP_ORIGIN": ORIGIN, **PREFLIGHT, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": b"PUT"},
    {"HTTP_ORIGIN": ORIGIN, **PREFLIGHT, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": b"x-a"},
]


def environ_for(path: str | None, extra: dict[str, Any]) -> dict[str, Any]:
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": ""}
    if path is not None:
        environ["PATH_INFO"] = path
    environ.update(extra)
    return environ


@accelerated
@pytest.mark.parametrize("options", CONFIGS, ids=repr)
@pytest.mark.parametrize("app", APPS, ids=lambda app: app.__name__)
def test_awkward_applications_and_requests(options: dict[str, Any], app: Callable[[Any, Any], Any]) -> None:
    mw = CORSMiddleware(recording(app), **options)
    for path in [*PATHS, None]:
        for extra in REQUESTS:
            native, python = both(mw, lambda: environ_for(path, extra))  # noqa: B023 (called at once)
            assert native == python, (path, extra)


class NotADict(dict):  # type: ignore[type-arg]
    """A dict subclass: C leaves it to Python."""


@accelerated
@pytest.mark.parametrize("environ_type", [NotADict, dict])
def test_environ_types_and_values(environ_type: type) -> None:
    mw = CORSMiddleware(recording(plain), resources=r"/api/*", origins=[ORIGIN])
    for environ in [
        {"PATH_INFO": "/api/x", "HTTP_ORIGIN": ORIGIN},
        {"PATH_INFO": b"/api/x", "HTTP_ORIGIN": ORIGIN},
        {"PATH_INFO": None, "HTTP_ORIGIN": ORIGIN},
        {"HTTP_ORIGIN": ORIGIN},
    ]:
        native, python = both(mw, lambda: environ_type(environ))  # noqa: B023
        assert native == python, environ


@accelerated
def test_calls_with_the_wrong_arguments_fail_as_in_python() -> None:
    mw = CORSMiddleware(plain)
    for args, kwargs in [((), {}), (({},), {}), (({}, plain, 1), {}), (({},), {"start_response": plain})]:
        with pytest.raises(TypeError) as native:
            mw(*args, **kwargs)
        with pytest.raises(TypeError) as python:
            CORSMiddleware._call(mw, *args, **kwargs)
        assert str(native.value) == str(python.value)


@accelerated
def test_keyword_call_is_served() -> None:
    mw = CORSMiddleware(recording(plain), origins=[ORIGIN])
    environ = {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN}
    native = serve(lambda e, s: mw(environ=e, start_response=s), dict(environ))
    assert native == serve(lambda e, s: CORSMiddleware._call(mw, e, s), dict(environ))
    assert ("Access-Control-Allow-Origin", ORIGIN) in native[1]


@accelerated
def test_debug_logging_is_left_to_python(caplog: pytest.LogCaptureFixture) -> None:
    mw = CORSMiddleware(recording(plain), resources=r"/api/*", origins=[ORIGIN])
    for extra in REQUESTS[:12]:
        with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
            native = serve(mw, environ_for("/api/x", extra))
        logged = [record.getMessage() for record in caplog.records]
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
            python = serve(lambda e, s: CORSMiddleware._call(mw, e, s), environ_for("/api/x", extra))
        assert native == python
        assert logged and logged == [record.getMessage() for record in caplog.records]
        caplog.clear()


@accelerated
def test_replacing_the_application_takes_effect() -> None:
    mw = CORSMiddleware(plain, origins=[ORIGIN])
    mw.app = server_error
    status, headers, *_ = serve(mw, {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN})
    assert status == "500 Internal Server Error" and ("Access-Control-Allow-Origin", ORIGIN) in headers
    del mw.app
    with pytest.raises(AttributeError):
        mw({"PATH_INFO": "/"}, lambda *args: None)


@accelerated
def test_uninitialised_instance_fails_as_in_python() -> None:
    mw = CORSMiddleware.__new__(CORSMiddleware)
    native, python = both(mw, lambda: {"PATH_INFO": "/"})
    assert native == python == ("raised", AttributeError)


@accelerated
def test_configure_refuses_what_would_crash_it() -> None:
    """configure() is private, but the request path reads what it stores without checking again."""
    from cors_wsgi import _speedups  # type: ignore[attr-defined]

    mw = CORSMiddleware(plain, resources=r"/api/*", origins=[ORIGIN])
    record = middleware._rule_record(mw._single)
    good = [mw, CORSMiddleware._call, {}, None, "/", None, "/api/", "/api0", record, mw._lookup,
            {mw._single: record}, middleware._with_answer, frozenset(), 300, 64, 4096]  # fmt: skip
    _speedups.configure(*good)
    bad_records = [(1,), (*record[:6], [], *record[7:]), (*record[:8], None, *record[9:])]
    for index, bad in [(4, None), (9, None), (10, {mw._single: (1,)}), *((8, record) for record in bad_records)]:
        args = list(good)
        args[index] = bad
        with pytest.raises(TypeError):
            _speedups.configure(*args)


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_copies_and_pickles_are_rebuilt_from_the_options(how: str) -> None:
    import copy
    import pickle

    mw = CORSMiddleware(plain, resources={r"/api/*": {"origins": [ORIGIN], "max_age": 60}}, supports_credentials=True)
    other = {"copy": copy.copy, "deepcopy": copy.deepcopy, "pickle": lambda m: pickle.loads(pickle.dumps(m))}[how](mw)
    assert other is not mw and type(other) is CORSMiddleware
    for extra in REQUESTS[:12]:
        assert serve(other, environ_for("/api/x", extra)) == serve(mw, environ_for("/api/x", extra)), extra


@accelerated
def test_a_sub_interpreter_leaves_the_main_one_alone() -> None:
    """A middleware built in a sub-interpreter (mod_wsgi runs each application group in one) must not
    change what the main interpreter's middleware does, during its life or after it is destroyed."""
    interpreters = pytest.importorskip("_xxsubinterpreters")

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Vary", "Cookie")])
        return [b"ok"]

    mw = CORSMiddleware(app, origins=[ORIGIN])
    expected = serve(mw, {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN})
    assert expected[1] == [("Vary", "Cookie, Origin"), ("Access-Control-Allow-Origin", ORIGIN)]
    interpreter = interpreters.create()
    try:
        code = "from cors_wsgi import CORSMiddleware\nCORSMiddleware(lambda e, s: [], origins=['https://x.test'])"
        interpreters.run_string(interpreter, code)
        assert serve(mw, {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN}) == expected
    finally:
        interpreters.destroy(interpreter)
    assert serve(mw, {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN}) == expected


@accelerated
def test_no_leak_over_many_requests() -> None:
    """Reference counting in C: 20 000 requests of every fast-path kind leave no memory behind."""
    mw = CORSMiddleware(recording(plain), resources=r"/api/*", origins=[ORIGIN], max_age=600)
    environs = [environ_for(path, extra) for path in ("/api/x", "/other") for extra in REQUESTS[:11]]

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    def run(rounds: int) -> None:
        for _ in range(rounds):
            for environ in environs:
                environ.pop("test.ran", None)
                for _chunk in mw(environ, start_response):
                    pass

    run(200)  # caches warm
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    run(1000)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 64 * 1024, f"{grown} bytes left after {1000 * len(environs)} requests"


@accelerated
def test_a_cycle_through_the_application_is_collected() -> None:
    """Flask's ``app.wsgi_app = CORSMiddleware(app.wsgi_app)`` makes a cycle through the C fields."""

    class App:
        def __call__(self, environ: Any, start_response: Any) -> list[bytes]:
            return plain(environ, start_response)

    app = App()
    mw = CORSMiddleware(app, origins=[ORIGIN])
    app.middleware = mw  # type: ignore[attr-defined]
    ref = weakref.ref(mw)
    del app, mw
    gc.collect()
    assert ref() is None


@accelerated
@settings(deadline=None, database=None, max_examples=3000)
@given(
    st.one_of(
        st.text(alphabet="az09_-.:/[]+AZé", max_size=30),
        st.builds(
            lambda scheme, host, port: f"{scheme}://{host}{port}",
            st.sampled_from(["https", "http", "a+b.c-d", "H", "1a", ""]),
            st.text(alphabet="ab0_-.[]:f", max_size=20),
            st.sampled_from(["", ":", ":0", ":00", ":1", ":443", ":65535", ":99999", ":123456", ":8a"]),
        ),
    )
)
def test_origin_shape_check_in_c_is_the_regex(origin: str) -> None:
    from cors_wsgi import _speedups  # type: ignore[attr-defined]
    from cors_wsgi.origins import ORIGIN_RE

    assert _speedups.origin_shape_ok(origin) is (ORIGIN_RE.fullmatch(origin) is not None), origin


# --- generated configurations and requests -------------------------------------------------------------------


@accelerated
@settings(deadline=None, database=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**64 - 1))
def test_generated_configurations_and_requests(seed: int) -> None:
    chooser = gen.RandomChooser(seed)
    options = gen.config(chooser, invalid_percent=0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CORSConfigWarning)
            mw = CORSMiddleware(recording(oracle_app), **options)
    except ConfigError:
        return
    for _ in range(40):
        request: Request = gen.request(chooser, options)
        native, python = both(mw, request.environ)
        assert native == python, (options, request)
