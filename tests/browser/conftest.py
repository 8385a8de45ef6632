"""Harness for the headless-Chromium suite: an API wrapped by CORSMiddleware on one loopback origin, a page
on another, and a browser that runs ``fetch()`` from the page.

- One Chromium per session (Debian's ``/usr/bin/chromium``, driven by Playwright; ``playwright install``
  is never run). ``--host-resolver-rules`` maps every ``*.test`` name to 127.0.0.1, so a page served at
  ``http://trusted.example.test.evil.test:PORT/`` is a real origin on loopback, and blocks every other
  look-up.
- One API server and one page server per session, each a threaded ``wsgiref`` server on 127.0.0.1 port 0
  in a daemon thread, stopped at the end. Each test installs its own ``CORSMiddleware`` options on the
  API server (``cors.configure(...)``) and gets an empty request log.
- A fresh browser context (own preflight cache and cookie jar) and page per test, with a DevTools session
  that collects Chromium's reason for every blocked request (``corsErrorStatus.corsError``).

The API keeps two logs: ``server_log`` is written *outside* the middleware (every request that reaches
the server, preflights included, with the response status and headers), ``app_log`` *inside* it (what
the application really handled). A preflight the middleware answers shows in the first only; a request
the browser never sent shows in neither.

Without ``/usr/bin/chromium`` (or Playwright) the suite is skipped with the reason, except when ``CI``
is set: CI installs Chromium, so there a missing browser fails the run instead of skipping it silently.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any, Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from cors_wsgi import CORSMiddleware

CHROMIUM = "/usr/bin/chromium"
# *.test names are real origins on loopback; every other look-up fails fast (no background traffic).
RESOLVER_RULES = "MAP *.test 127.0.0.1 , MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"
# Chromium reports a CORS failure over DevTools shortly after fetch() rejects: how long to wait at most.
CORS_ERROR_WAIT = 5.0

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}, and CI is set: CI must run the browser suite (.ci/run installs Chromium)")
    pytest.skip(f"{reason}: install Debian's chromium package to run the browser suite")


# ------------------------------------------------------------------------------------------------------
# Servers


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class ServerThread:
    """A threaded wsgiref server on 127.0.0.1, port chosen by the OS, serving in a daemon thread."""

    def __init__(self, app: WSGIApp) -> None:
        self.httpd = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
        self.port: int = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@dataclass(frozen=True)
class Seen:
    """One request as the server or the application saw it (and, for the server log, what it answered)."""

    method: str
    path: str
    headers: dict[str, str]
    status: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str | None:
        return self.headers.get("origin")


_REQUEST_HEADERS = (
    "Origin",
    "Cookie",
    "Authorization",
    "X-Custom",
    "X-Other",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
)


def _request_headers(environ: Environ) -> dict[str, str]:
    found = {}
    for name in _REQUEST_HEADERS:
        key = "HTTP_" + name.upper().replace("-", "_")
        if environ.get(key):
            found[name.lower()] = environ[key]
    if environ.get("CONTENT_LENGTH"):  # wsgiref makes up "text/plain" when there is no Content-Type
        found["content-type"] = environ.get("CONTENT_TYPE", "")
    return found


def api_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """The application behind the middleware; it knows nothing about CORS.

    ``/status/404`` and ``/status/500`` answer that status (500 through ``start_response``'s
    ``exc_info``, as a framework's error handler does); ``/cookie/set`` sets ``session=s3cret``;
    everything else echoes the request as JSON. Every response carries ``X-Secret`` (never exposed unless
    the test exposes it).
    """
    environ["cors_test.app_log"].append(
        Seen(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), _request_headers(environ))
    )
    path = environ.get("PATH_INFO", "")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode() if length else ""
    data = {"method": environ["REQUEST_METHOD"], "path": path, "body": body, **_request_headers(environ)}
    headers = [("Content-Type", "application/json"), ("X-Secret", "s3cret"), ("Cache-Control", "no-store")]
    if path == "/status/404":
        start_response("404 Not Found", headers)
        return [json.dumps({"error": "no such thing", **data}).encode()]
    if path == "/status/500":
        try:
            raise RuntimeError("the application failed")
        except RuntimeError as exc:
            start_response("500 Internal Server Error", headers, (type(exc), exc, exc.__traceback__))
        return [json.dumps({"error": "it broke", **data}).encode()]
    if path == "/cookie/set":
        headers.append(("Set-Cookie", "session=s3cret; Path=/; HttpOnly; SameSite=Lax"))
    start_response("200 OK", headers)
    return [json.dumps(data).encode()]


class API:
    """The API server: ``server_log`` <- recorder <- CORSMiddleware(options) <- ``api_app`` (``app_log``).

    One server for the session; ``configure()`` swaps the middleware, so each test brings its own options.
    """

    def __init__(self) -> None:
        self.server_log: list[Seen] = []
        self.app_log: list[Seen] = []
        self.middleware: CORSMiddleware | None = None
        self.server = ServerThread(self)
        self.origin = f"http://127.0.0.1:{self.server.port}"

    def reset(self) -> None:
        self.server_log.clear()
        self.app_log.clear()
        self.middleware = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), _request_headers(environ))
        middleware = self.middleware
        if middleware is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no CORS configuration installed for this test"]
        environ["cors_test.app_log"] = self.app_log

        def recording_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen = Seen(*request, status=status, response_headers={name.lower(): value for name, value in headers})
            self.server_log.append(seen)
            return start_response(status, headers, exc_info)

        return middleware(environ, recording_start_response)


PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>cors_wsgi browser suite</title></head>
<body><p>The page the browser suite runs fetch() from.</p></body></html>
"""


def page_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """The page, the same for every host name it is reached by (its origin is what the test is about)."""
    if environ.get("PATH_INFO") != "/":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b""]
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")])
    return [PAGE]


# ------------------------------------------------------------------------------------------------------
# Browser


@dataclass(frozen=True)
class Fetched:
    """What page JavaScript saw: a response (status, body, every header it may read) or the rejection."""

    ok: bool
    status: int = 0
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def json(self) -> Any:
        return json.loads(self.body)


_FETCH_JS = """async ([url, init]) => {
    try {
        const response = await fetch(url, init);
        const headers = {};
        response.headers.forEach((value, name) => { headers[name] = value; });
        return {ok: true, status: response.status, body: await response.text(), headers, error: ""};
    } catch (error) {
        return {ok: false, status: 0, body: "", headers: {}, error: String(error)};
    }
}"""


class CORSHarness:
    """One test's view: configure the API, open the page at some host name, fetch, read the evidence."""

    def __init__(self, browser: Any, api: API, page_port: int) -> None:
        self.api = api
        self.api_origin = api.origin
        self.page_port = page_port
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.cors_errors: list[dict[str, Any]] = []
        self._cdp = self.context.new_cdp_session(self.page)
        self._cdp.on("Network.loadingFailed", self._loading_failed)
        self._cdp.send("Network.enable")

    def _loading_failed(self, params: dict[str, Any]) -> None:
        status = params.get("corsErrorStatus")
        if status:
            self.cors_errors.append(status)

    def close(self) -> None:
        self.context.close()

    def page_origin(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.page_port}"

    def configure(self, **options: Any) -> CORSMiddleware:
        """Wrap the API in ``CORSMiddleware(api_app, **options)`` for this test."""
        self.api.middleware = CORSMiddleware(api_app, **options)
        return self.api.middleware

    def open(self, host: str = "127.0.0.1") -> None:
        """Load the page at ``http://HOST:PAGEPORT/``: its origin is the one the fetches come from."""
        response = self.page.goto(self.page_origin(host) + "/")
        assert response is not None and response.status == 200

    def fetch(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: str | None = None,
        credentials: str | None = None,
    ) -> Fetched:
        """Run ``fetch(API + path, {...})`` in the page and return what JavaScript saw."""
        init: dict[str, Any] = {"method": method, "headers": headers or {}}
        if body is not None:
            init["body"] = body
        if credentials is not None:
            init["credentials"] = credentials
        return Fetched(**self.page.evaluate(_FETCH_JS, [self.api_origin + path, init]))

    def cors_error(self) -> tuple[str, str]:
        """Chromium's reason for the last blocked request: (``corsError``, ``failedParameter``).

        DevTools reports it a little after fetch() rejects; events are delivered while Playwright waits,
        so wait in short steps until it is there.
        """
        deadline = time.monotonic() + CORS_ERROR_WAIT
        while not self.cors_errors and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
        assert self.cors_errors, "Chromium reported no CORS error"
        status = self.cors_errors[-1]
        return str(status["corsError"]), str(status.get("failedParameter", ""))

    def forget(self) -> None:
        """Clear the API's logs and the CORS errors collected so far (the configuration stays)."""
        self.api.server_log.clear()
        self.api.app_log.clear()
        self.cors_errors.clear()

    def seen(self, method: str) -> list[Seen]:
        """Every request with this method that reached the API server, with what the server answered."""
        return [seen for seen in self.api.server_log if seen.method == method]

    @property
    def server_log(self) -> list[tuple[str, str]]:
        """(method, path) of every request that reached the API server, preflights included."""
        return [(seen.method, seen.path) for seen in self.api.server_log]

    @property
    def app_log(self) -> list[tuple[str, str]]:
        """(method, path) of every request the application behind the middleware handled."""
        return [(seen.method, seen.path) for seen in self.api.app_log]

    def app_saw(self) -> dict[str, str]:
        """The request headers the application received on the only request it handled."""
        assert len(self.api.app_log) == 1, self.app_log
        return self.api.app_log[0].headers


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--disable-gpu", "--disable-quic", f"--host-resolver-rules={RESOLVER_RULES}"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def api_server() -> Iterator[API]:
    api = API()
    try:
        yield api
    finally:
        api.server.stop()


@pytest.fixture(scope="session")
def page_server() -> Iterator[ServerThread]:
    server = ServerThread(page_app)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cors(chromium: Any, api_server: API, page_server: ServerThread) -> Iterator[CORSHarness]:
    """A fresh browser context and page, an empty API log, and no CORS configuration yet."""
    api_server.reset()
    harness = CORSHarness(chromium, api_server, page_server.port)
    try:
        yield harness
    finally:
        harness.close()
        api_server.reset()


@pytest.fixture
def fresh_page(chromium: Any) -> Iterator[Any]:
    """A page in a fresh browser context, for tests that bring their own servers."""
    context = chromium.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()
