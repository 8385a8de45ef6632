"""Both builds give the same responses to every input, bad input included.

The hot-path modules run compiled by mypyc where pip could build them, and interpreted elsewhere (PyPy, no
compiler, an editable install): one source, two builds. When the compiled build is installed, the
interpreted one is loaded beside it from the same ``.py`` files (benchmarks/interpreted.py), and every
request here goes through both; everything the server sees is compared: status, header list (order
included), body, whether the application ran, what ``write()`` received, and any exception. Requests and
configurations come from the fuzz generators, and a set of awkward applications and callers (tuples of
headers, an application's own Vary and CORS headers, 5xx with ``intercept_exceptions=False``,
``exc_info``, keyword arguments, ``start_response`` called late, ``write()``, non-str values) covers the
typed boundary, where compiled code checks types that interpreted code does not.

``.ci/run`` (noxfile.py) runs the whole suite once on each build; ``CORS_WSGI_EXPECT_BUILD`` makes
the first test fail when the build is not the one that leg means to test.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import sys
import tracemalloc
import warnings
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import _generators as gen
import pytest
from _oracle import Request, oracle_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cors_wsgi
from cors_wsgi import ConfigError, CORSMiddleware, _build, middleware

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks import interpreted  # noqa: E402

ORIGIN = "https://app.example.com"
INTERPRETED: ModuleType | None = interpreted.load()
compiled = pytest.mark.skipif(INTERPRETED is None, reason="the interpreted build is installed: nothing to compare")


def test_the_build_is_the_one_this_run_tests() -> None:
    """CI installs each build on purpose (CORS_WSGI_COMPILE=1 fails the install rather than fall back):
    a silent fallback would leave the compiled build untested and the README's figures untrue."""
    expected = os.environ.get("CORS_WSGI_EXPECT_BUILD", "")
    if expected:
        assert middleware.ACCELERATED is (expected == "compiled"), (expected, middleware.__file__)
    assert middleware.ACCELERATED is middleware.__file__.endswith((".so", ".pyd"))


def test_setup_compiles_the_modules_the_package_lists() -> None:
    text = (ROOT / "setup.py").read_text(encoding="utf-8")
    listed = re.findall(r'"cors_wsgi/(\w+)\.py"', text.split("COMPILED = [", 1)[1].split("]", 1)[0])
    assert tuple(listed) == _build.COMPILED


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
    except Exception as error:  # compared like any other outcome (messages differ between the builds)
        return ("raised", type(error))
    ran = environ.get("test.ran", []) if isinstance(environ, dict) else []
    return (seen.get("status"), seen.get("headers"), seen.get("exc_info"), body, seen["writes"], len(ran))


def pair(app: Callable[[Any, Any], Any], **options: Any) -> tuple[Any, Any]:
    """The same configuration on the compiled and on the interpreted build."""
    assert INTERPRETED is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the interpreted copy has its own CORSConfigWarning class
        return CORSMiddleware(app, **options), INTERPRETED.CORSMiddleware(app, **options)


def both(mws: tuple[Any, Any], make_environ: Callable[[], Any]) -> tuple[Any, Any]:
    return serve(mws[0], make_environ()), serve(mws[1], make_environ())


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
    {"HTTP_ORIGIN": b"https://app.example.com"},  # not a str: read as empty, a malformed Origin
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


@compiled
@pytest.mark.parametrize("options", CONFIGS, ids=repr)
@pytest.mark.parametrize("app", APPS, ids=lambda app: app.__name__)
def test_awkward_applications_and_requests(options: dict[str, Any], app: Callable[[Any, Any], Any]) -> None:
    mws = pair(recording(app), **options)
    for path in [*PATHS, None]:
        for extra in REQUESTS:
            compiled_answer, interpreted_answer = both(mws, lambda: environ_for(path, extra))  # noqa: B023
            assert compiled_answer == interpreted_answer, (path, extra)


WELL_BEHAVED = [plain, tuple_headers, own_vary, own_cors, own_credentials, server_error, with_exc_info, keywords,
                late, writes, non_str_status, empty_headers, iterator_headers, list_subclass, unhashable_name,
                bad_header, str_subclass_name]  # fmt: skip


@pytest.mark.parametrize("options", CONFIGS, ids=repr)
@pytest.mark.parametrize("app", WELL_BEHAVED, ids=lambda app: app.__name__)
def test_the_middleware_itself_never_raises(options: dict[str, Any], app: Callable[[Any, Any], Any]) -> None:
    """Whatever an application passes to start_response and whatever the request holds, an exception can
    only come from the application's own code: never a 500 made by the middleware (either build)."""
    mw = CORSMiddleware(recording(app), **options)
    for path in [*PATHS, None, b"/api/x", 42]:
        for extra in REQUESTS:
            outcome = serve(mw, environ_for(path, extra))  # type: ignore[arg-type]
            assert outcome[0] != "raised", (path, extra, outcome)


class DictSubclass(dict):  # type: ignore[type-arg]
    pass


@compiled
@pytest.mark.parametrize("environ_type", [DictSubclass, dict])
def test_environ_types_and_values(environ_type: type) -> None:
    mws = pair(recording(plain), resources=r"/api/*", origins=[ORIGIN])
    for environ in [
        {"PATH_INFO": "/api/x", "HTTP_ORIGIN": ORIGIN},
        {"PATH_INFO": b"/api/x", "HTTP_ORIGIN": ORIGIN},
        {"PATH_INFO": None, "HTTP_ORIGIN": ORIGIN},
        {"PATH_INFO": "/api/x", "HTTP_ORIGIN": None},
        {"PATH_INFO": "/api/x", "HTTP_ORIGIN": 7, "REQUEST_METHOD": None},
        {"HTTP_ORIGIN": ORIGIN},
    ]:
        compiled_answer, interpreted_answer = both(mws, lambda: environ_type(environ))  # noqa: B023
        assert compiled_answer == interpreted_answer, environ
        assert compiled_answer[0] != "raised", environ


@compiled
def test_calls_with_the_wrong_arguments_fail_in_both() -> None:
    mws = pair(plain)
    for args, kwargs in [((), {}), (({},), {}), (({}, plain, 1), {}), (({},), {"start_response": plain})]:
        for mw in mws:
            with pytest.raises(TypeError):
                mw(*args, **kwargs)


@compiled
def test_options_are_keyword_only_in_both() -> None:
    for cls in (CORSMiddleware, INTERPRETED.CORSMiddleware):  # type: ignore[union-attr]
        with pytest.raises(TypeError, match="keywords only"):
            cls(plain, [ORIGIN])


def test_keyword_call_is_served() -> None:
    mw = CORSMiddleware(recording(plain), origins=[ORIGIN])
    environ = {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN}
    answer = serve(lambda e, s: mw(environ=e, start_response=s), dict(environ))
    assert ("Access-Control-Allow-Origin", ORIGIN) in answer[1]


@compiled
def test_debug_logging_says_the_same_in_both(caplog: pytest.LogCaptureFixture) -> None:
    for options in ({"resources": r"/api/*", "origins": [ORIGIN]}, {"origins": [ORIGIN], "debug": True}):
        mws = pair(recording(plain), **options)
        for extra in REQUESTS[:12]:
            logged = []
            for mw in mws:
                with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
                    serve(mw, environ_for("/api/x", extra))
                logged.append([record.getMessage() for record in caplog.records])
                caplog.clear()
            assert logged[0] and logged[0] == logged[1], extra


def test_replacing_the_application_takes_effect() -> None:
    mw = CORSMiddleware(plain, origins=[ORIGIN])
    mw.app = server_error
    status, headers, *_ = serve(mw, {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN})
    assert status == "500 Internal Server Error" and ("Access-Control-Allow-Origin", ORIGIN) in headers


def test_a_subclass_is_served_by_the_same_code() -> None:
    class Logged(CORSMiddleware):
        calls = 0

        def __call__(self, environ: Any, start_response: Any) -> Any:
            type(self).calls += 1
            return super().__call__(environ, start_response)

    mw = Logged(plain, origins=[ORIGIN])
    answer = serve(mw, {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN})
    assert ("Access-Control-Allow-Origin", ORIGIN) in answer[1] and Logged.calls == 1


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_copies_and_pickles_are_rebuilt_from_the_options(how: str) -> None:
    import copy
    import pickle

    mw = CORSMiddleware(plain, resources={r"/api/*": {"origins": [ORIGIN], "max_age": 60}}, supports_credentials=True)
    other = {"copy": copy.copy, "deepcopy": copy.deepcopy, "pickle": lambda m: pickle.loads(pickle.dumps(m))}[how](mw)
    assert other is not mw and type(other) is CORSMiddleware
    for extra in REQUESTS[:12]:
        assert serve(other, environ_for("/api/x", extra)) == serve(mw, environ_for("/api/x", extra)), extra


def test_a_sub_interpreter_leaves_the_main_one_alone() -> None:
    """mod_wsgi runs each application group in a sub-interpreter. Compiled modules keep their state in C
    globals shared by the whole process (mypyc issue 980), so a sub-interpreter imports the interpreted
    build (cors_wsgi/_build.py); the main interpreter's middleware must answer the same during the
    sub-interpreter's life and after it is destroyed."""
    interpreters = pytest.importorskip("_interpreters" if sys.version_info >= (3, 13) else "_xxsubinterpreters")

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Vary", "Cookie")])
        return [b"ok"]

    mw = CORSMiddleware(app, origins=[ORIGIN])
    expected = serve(mw, {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN})
    assert expected[1] == [("Vary", "Cookie, Origin"), ("Access-Control-Allow-Origin", ORIGIN)]
    # A legacy interpreter (mod_wsgi's kind, which may import single-phase extension modules): spelt
    # "legacy" since 3.13, isolated=False in 3.12, and the only kind before.
    if sys.version_info >= (3, 13):
        interpreter = interpreters.create("legacy")
    elif sys.version_info >= (3, 12):
        interpreter = interpreters.create(isolated=False)
    else:
        interpreter = interpreters.create()
    code = f"""
import sys
sys.path[:0] = {[str(Path(cors_wsgi.__file__).parent.parent)]!r}
from cors_wsgi import CORSMiddleware, middleware
assert not middleware.ACCELERATED, "a sub-interpreter must not run the compiled modules"
seen = {{}}
mw = CORSMiddleware(lambda e, s: s("200 OK", []) or [], origins=["https://x.test"])
mw({{"PATH_INFO": "/", "HTTP_ORIGIN": "https://x.test"}}, lambda status, headers, exc_info=None: seen.update(h=headers))
assert seen["h"] == [("Access-Control-Allow-Origin", "https://x.test"), ("Vary", "Origin")], seen
"""
    try:
        interpreters.run_string(interpreter, code)
        assert serve(mw, {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN}) == expected
    finally:
        interpreters.destroy(interpreter)
    assert serve(mw, {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN}) == expected
    assert serve(CORSMiddleware(app, origins=[ORIGIN]), {"PATH_INFO": "/", "HTTP_ORIGIN": ORIGIN}) == expected


def test_no_leak_over_many_requests() -> None:
    """20 000 requests of every kind leave no memory behind (the compiled build manages references in C)."""
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


def test_a_cycle_through_the_application_is_collected() -> None:
    """Flask's ``app.wsgi_app = CORSMiddleware(app.wsgi_app)`` makes a cycle through the middleware."""

    class App:
        def __call__(self, environ: Any, start_response: Any) -> list[bytes]:
            return plain(environ, start_response)

    app = App()
    mw = CORSMiddleware(app, origins=[ORIGIN])
    app.middleware = mw  # type: ignore[attr-defined]
    ref = weakref.ref(app)  # a compiled class takes no weak references itself
    del app, mw
    gc.collect()
    assert ref() is None


# --- generated configurations and requests -------------------------------------------------------------------


@compiled
@settings(deadline=None, database=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**64 - 1))
def test_generated_configurations_and_requests(seed: int) -> None:
    chooser = gen.RandomChooser(seed)
    options = gen.config(chooser, invalid_percent=0)
    try:
        mws = pair(recording(oracle_app), **options)
    except (ConfigError, INTERPRETED.ConfigError):  # type: ignore[union-attr]
        return
    for _ in range(40):
        request: Request = gen.request(chooser, options)
        compiled_answer, interpreted_answer = both(mws, request.environ)
        assert compiled_answer == interpreted_answer, (options, request)
