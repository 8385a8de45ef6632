"""``python -m cors_wsgi.demo``: watch a real browser apply CORS to an API wrapped by cors_wsgi.

One command, no configuration: it starts a small JSON API wrapped by :class:`~cors_wsgi.CORSMiddleware`
on one port and a web page on the next port, which is another *origin* to a browser. Open the page: it
makes five cross-origin calls (a simple GET, a preflighted PUT with a custom header, a credentialed
request with a cookie, a call to a path that does not allow this page's origin, and a response with an
exposed and an unexposed header) and shows for each what the browser let the page see and why, next to
what the API really received and answered (its own request log, which the page reads from its own
origin).

The API's CORS configuration is built from the page's actual origin (``http://HOST:PAGEPORT``), so the
demo works on any host and ports; open the page at exactly the address printed, since ``localhost`` and
``127.0.0.1`` are different origins.

Standard library only (``wsgiref`` servers in daemon threads), so it works right after
``pip install cors_wsgi``. Meant for learning and trying things on loopback, not for serving anything.

From Python (tests and the browser suite use this)::

    from cors_wsgi.demo import start

    with start(host="127.0.0.1", api_port=0, page_port=0) as demo:
        print(demo.page_url)  # http://127.0.0.1:PORT/
"""

from __future__ import annotations

import argparse
import html
import json
import secrets
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from http.cookies import CookieError, SimpleCookie
from socketserver import TCPServer, ThreadingMixIn
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from .errors import ConfigError
from .middleware import CORSMiddleware

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["SCENARIOS", "Demo", "api_options", "build_parser", "main", "start"]

ADMIN_ORIGIN = "https://admin.example.com"
"""The only origin ``/api/admin`` allows: not the page's, so the browser blocks that scenario."""
DEMO_TOKEN = "let-me-in"
"""The ``X-Demo-Token`` value the page sends with its PUT (a custom header, so the browser preflights)."""
SESSION_COOKIE = "demo_session"
STOP_LINE = "cors_wsgi demo stopped"

_APP_CALLED = "cors_wsgi.demo.app_called"
_MAX_BODY = 64 * 1024
_MAX_SESSIONS = 1000
_POLL_INTERVAL = 0.2  # how often serve_forever() checks for shutdown(): bounds the time Ctrl-C takes

# (data-scenario name, title, what the demo expects the browser to do, what the page does)
SCENARIOS: tuple[tuple[str, str, str, str], ...] = (
    (
        "simple-get",
        "Simple GET",
        "allowed",
        "A GET without custom headers: a “simple” request, which the browser sends straight away.",
    ),
    (
        "preflight-put",
        "Preflighted PUT with a custom header",
        "allowed",
        "A PUT with an X-Demo-Token header and a JSON body: the browser must ask first (an OPTIONS preflight).",
    ),
    (
        "credentialed",
        "Credentialed request (a cookie)",
        "allowed",
        'Two calls with credentials: "include": a POST that sets a session cookie, then a GET that needs it.',
    ),
    (
        "disallowed-origin",
        "A path that does not allow this page's origin",
        "blocked",
        f"A simple GET to /api/admin, whose rule only allows {ADMIN_ORIGIN}.",
    ),
    (
        "exposed-header",
        "Exposed and unexposed response headers",
        "allowed",
        "The API answers with X-Request-Id (exposed) and X-Internal (not exposed); the page tries to read both.",
    ),
)


def api_options(page_origin: str) -> dict[str, Any]:
    """The demo API's CORS options: one ``resources`` rule per scenario (shown on the page as is)."""
    return {
        "origins": [page_origin],
        "resources": {
            "/api/hello": {},
            "/api/items/*": {"methods": ["GET", "PUT"], "allow_headers": ["Content-Type", "X-Demo-Token"]},
            "/api/me": {"supports_credentials": True},
            "/api/admin": {"origins": [ADMIN_ORIGIN]},
            "/api/report": {"expose_headers": ["X-Request-Id"]},
        },
    }


def _options_snippet(options: dict[str, Any]) -> str:
    lines = ["CORSMiddleware(", "    api,"]
    for key, value in options.items():
        if key == "resources":
            lines.append("    resources={")
            lines.extend(f"        {pattern!r}: {rule!r}," for pattern, rule in value.items())
            lines.append("    },")
        else:
            lines.append(f"    {key}={value!r},")
    lines.append(")")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------
# The API: a tiny JSON application, wrapped by CORSMiddleware, wrapped by a request log.


def _json(start_response: StartResponse, status: str, data: object, *extra: tuple[str, str]) -> list[bytes]:
    body = json.dumps(data, indent=2).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *extra]
    start_response(status, [*headers, ("Cache-Control", "no-store")])
    return [body]


def _read_body(environ: WSGIEnvironment) -> str:
    try:
        length = min(int(environ.get("CONTENT_LENGTH") or 0), _MAX_BODY)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length).decode("utf-8", "replace") if length > 0 else ""


def _cookies(environ: WSGIEnvironment) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


class DemoAPI:
    """The application behind the middleware. It knows nothing about CORS: every CORS header comes from
    :class:`~cors_wsgi.CORSMiddleware`."""

    def __init__(self, page_url: str) -> None:
        self.page_url = page_url
        self._sessions: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ[_APP_CALLED] = True  # read by the request log: was the app called, or the middleware alone?
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path == "/" and method == "GET":
            return _json(start_response, "200 OK", self._index())
        if path == "/api/hello" and method == "GET":
            return _json(start_response, "200 OK", {"message": "Hello from the API!"})
        if path.startswith("/api/items/") and method == "PUT":
            if environ.get("HTTP_X_DEMO_TOKEN") != DEMO_TOKEN:
                return _json(start_response, "403 Forbidden", {"error": f"X-Demo-Token must be {DEMO_TOKEN!r}"})
            body = _read_body(environ)
            try:
                saved: object = json.loads(body)
            except ValueError:
                saved = body
            return _json(start_response, "200 OK", {"id": path[len("/api/items/") :], "saved": saved})
        if path == "/api/me" and method == "POST":
            return self._sign_in(start_response)
        if path == "/api/me" and method == "GET":
            with self._lock:
                signed_in = _cookies(environ).get(SESSION_COOKIE) in self._sessions
            return _json(start_response, "200 OK", {"signed_in": signed_in, "user": "newcomer" if signed_in else None})
        if path == "/api/admin" and method == "GET":
            return _json(start_response, "200 OK", {"secret": "only https://admin.example.com may read this"})
        if path == "/api/report" and method == "GET":
            request_id = "req-" + secrets.token_hex(4)
            return _json(
                start_response,
                "200 OK",
                {"report": "ok"},
                ("X-Request-Id", request_id),
                ("X-Internal", "backend-7"),
            )
        return _json(start_response, "404 Not Found", {"error": f"no {method} {path}", **self._index()})

    def _sign_in(self, start_response: StartResponse) -> list[bytes]:
        session = secrets.token_urlsafe(16)
        with self._lock:
            if len(self._sessions) >= _MAX_SESSIONS:
                self._sessions.clear()
            self._sessions.add(session)
        # Lax is enough: 127.0.0.1:A and 127.0.0.1:B are the same *site* (ports do not count for cookies).
        cookie = f"{SESSION_COOKIE}={session}; Path=/api; HttpOnly; SameSite=Lax"
        return _json(start_response, "200 OK", {"signed_in": True}, ("Set-Cookie", cookie))

    def _index(self) -> dict[str, object]:
        return {
            "about": "the cors_wsgi demo API; open the page to see what a browser allows",
            "page": self.page_url,
            "endpoints": [
                "GET /api/hello",
                "PUT /api/items/<id> (X-Demo-Token)",
                "POST /api/me (sets a cookie)",
                "GET /api/me",
                "GET /api/admin",
                "GET /api/report",
            ],
        }


_SHOWN_REQUEST_HEADERS = (
    ("Origin", "HTTP_ORIGIN"),
    ("Access-Control-Request-Method", "HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
    ("Access-Control-Request-Headers", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
    ("Content-Type", "CONTENT_TYPE"),
    ("X-Demo-Token", "HTTP_X_DEMO_TOKEN"),
)
_SHOWN_RESPONSE_HEADERS = frozenset({"vary", "set-cookie", "x-request-id", "x-internal"})
_EXPLAIN_HEADERS = (
    ("Origin", "HTTP_ORIGIN"),
    ("Access-Control-Request-Method", "HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
    ("Access-Control-Request-Headers", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
    ("Access-Control-Request-Private-Network", "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
)


class RequestLog:
    """What the API received and answered, per request, so the page can show what happened on the wire
    (a blocked simple request still reaches the server; a preflight is answered without the app)."""

    def __init__(self, middleware: CORSMiddleware, maxlen: int = 500) -> None:
        self.middleware = middleware
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)

    def wrap(self, app: WSGIApplication) -> WSGIApplication:
        """``app`` (the middleware) with every request and its response recorded."""

        def logged(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            def recording_start_response(
                status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
            ) -> Callable[[bytes], object]:
                self._record(environ, status, headers)
                return start_response(status, headers, exc_info)

            return app(environ, recording_start_response)

        return logged

    def _record(self, environ: WSGIEnvironment, status: str, headers: list[tuple[str, str]]) -> None:
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        # explain() runs the very decision code the middleware ran, and says it in words
        why = self.middleware.explain(
            method, path, {name: environ[key] for name, key in _EXPLAIN_HEADERS if key in environ}
        )
        self._entries.append(
            {
                "run": parse_qs(environ.get("QUERY_STRING", "")).get("run", [""])[0],
                "method": method,
                "path": path,
                "request_headers": self._request_headers(environ),
                "cookies_sent": sorted(_cookies(environ)),
                "status": int(status.split(" ", 1)[0]),
                "response_headers": {
                    name: value
                    for name, value in headers
                    if name.lower().startswith("access-control-") or name.lower() in _SHOWN_RESPONSE_HEADERS
                },
                "app_called": bool(environ.get(_APP_CALLED)),
                "middleware": {
                    "kind": why.kind,
                    "rule": why.rule,
                    "allowed": why.allowed,
                    "code": why.code,
                    "reason": why.reason,
                    "fix": why.fix,
                },
            }
        )

    @staticmethod
    def _request_headers(environ: WSGIEnvironment) -> dict[str, str]:
        shown = {name: environ[key] for name, key in _SHOWN_REQUEST_HEADERS if environ.get(key)}
        if environ.get("CONTENT_LENGTH", "0") in ("", "0"):
            shown.pop("Content-Type", None)  # wsgiref reports text/plain for requests that sent none
        return shown

    def for_run(self, run: str) -> list[dict[str, Any]]:
        """The entries of the requests whose query string carried ``run=<run>``, oldest first."""
        return [entry for entry in list(self._entries) if entry["run"] == run] if run else []


# ------------------------------------------------------------------------------------------------------
# The page: served from another origin (another port), it runs the scenarios with fetch().


class PageApp:
    """Serves the page at ``/`` and the API's request log at ``/log?run=...`` (same origin as the page)."""

    def __init__(self, page: bytes, log: RequestLog) -> None:
        self.page = page
        self.log = log

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/":
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(self.page))),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [self.page]
        if path == "/log":
            run = parse_qs(environ.get("QUERY_STRING", "")).get("run", [""])[0]
            return _json(start_response, "200 OK", self.log.for_run(run))
        body = b"not found; the demo page is at /\n"
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]


def render_page(api_origin: str, page_origin: str, options: dict[str, Any]) -> bytes:
    """The page's HTML: the scenario sections (with their ``data-*`` contract) are in the markup itself,
    the script fills them in."""
    config = {
        "api_origin": api_origin,
        "page_origin": page_origin,
        "admin_origin": ADMIN_ORIGIN,
        "token": DEMO_TOKEN,
        "snippet": _options_snippet(options),
    }
    # "<" escaped so nothing in the data can close the <script> element
    config_json = json.dumps(config).replace("<", "\\u003c")
    sections = "\n".join(
        f'<section class="scenario" data-scenario="{name}" data-expected="{expected}">\n'
        f"  <h2>{number}. {html.escape(title)}</h2>\n"
        f'  <p class="intro">{html.escape(intro)}</p>\n'
        "  <dl>\n"
        '    <dt>The page calls</dt><dd><pre class="call">not run yet</pre></dd>\n'
        '    <dt>What the browser let the page see</dt><dd><pre class="result"></pre></dd>\n'
        '    <dt>Why</dt><dd class="why"></dd>\n'
        '    <dt>What the API received and answered (its own log)</dt><dd><pre class="wire"></pre></dd>\n'
        f'    <dt>Expected</dt><dd class="verdict">{expected}</dd>\n'
        "  </dl>\n"
        "</section>"
        for number, (name, title, expected, intro) in enumerate(SCENARIOS, 1)
    )
    page = (
        _PAGE.replace("__API_ORIGIN__", html.escape(api_origin))
        .replace("__PAGE_ORIGIN__", html.escape(page_origin))
        .replace("__SECTIONS__", sections)
        .replace("__CONFIG__", config_json)
    )
    return page.encode()


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cors_wsgi demo</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 62rem; margin: 1.5rem auto; padding: 0 1rem; color: #222; }
  pre { white-space: pre-wrap; word-break: break-word; background: #f6f6f6; padding: .5rem .7rem; margin: 0;
        font-size: 13px; }
  code { background: #f0f0f0; padding: 0 .2rem; }
  .scenario { border: 1px solid #ccc; border-left: 6px solid #ccc; border-radius: 4px; padding: .2rem 1rem .8rem;
              margin: 1rem 0; }
  .scenario[data-as-expected="true"] { border-left-color: #2a8a3a; }
  .scenario[data-as-expected="false"] { border-left-color: #c0392b; }
  .scenario h2 { font-size: 1.15rem; margin: .6rem 0 .2rem; }
  dt { font-weight: 600; margin-top: .5rem; }
  dd { margin: .15rem 0 0 0; }
  .allowed { color: #2a8a3a; font-weight: 600; }
  .blocked { color: #c0392b; font-weight: 600; }
  #summary { font-size: 1.2rem; font-weight: 600; }
  #wrong-origin { background: #fde2e1; padding: .6rem; border-radius: 4px; }
</style>
</head>
<body>
<h1>cors_wsgi demo: what the browser allows, and why</h1>
<p>This page comes from <code>__PAGE_ORIGIN__</code>. The API it calls runs at <code>__API_ORIGIN__</code>:
another port, so another <em>origin</em>. Every call below is cross-origin, and the browser applies CORS to it:
it lets the page read an answer only when the API's CORS headers allow this page's origin.</p>
<p id="wrong-origin" hidden></p>
<details>
<summary>How the API is wrapped (the real configuration of this run)</summary>
<pre id="snippet"></pre>
</details>
<p>The page itself can never read the <code>Access-Control-*</code> response headers; the API keeps a log of
what it received and answered, and each scenario shows its part of it.</p>
<p><span id="summary">running…</span> <button id="rerun" type="button" disabled>Run again</button></p>
__SECTIONS__
<script type="application/json" id="demo-config">__CONFIG__</script>
<script>
"use strict";
const CFG = JSON.parse(document.getElementById("demo-config").textContent);
const API = CFG.api_origin;
const PAGE = CFG.page_origin;
const ACAO = "Access-Control-Allow-Origin";

document.getElementById("snippet").textContent = CFG.snippet;
if (location.origin !== PAGE) {
  const warn = document.getElementById("wrong-origin");
  warn.hidden = false;
  warn.textContent = `You opened this page as ${location.origin}, but the API allows ${PAGE} (the address the ` +
    `demo printed). localhost and 127.0.0.1 are different origins: open ${PAGE}/ to see the expected results.`;
}

const find = (log, method) => log.find((entry) => entry.method === method);
const header = (entry, name) => (entry && entry.response_headers[name]) || null;

function blockedWhy(entry) {
  if (!entry) return "Blocked: the request never reached the API (see the browser console for the reason).";
  const acao = header(entry, ACAO);
  return `Blocked: the API answered ${entry.status}` +
    (acao ? ` with Access-Control-Allow-Origin: ${acao}, which is not this page's origin (${location.origin}),`
          : " without Access-Control-Allow-Origin,") +
    " so the browser hid the answer from the page." +
    (location.origin === PAGE ? "" : ` The API allows ${PAGE}, not this page's origin, ${location.origin}.`);
}

const SCENARIOS = {
  "simple-get": {
    steps: [{method: "GET", path: "/api/hello"}],
    check: (rs) => rs[0].status === 200,
    why(rs, log) {
      const get = find(log, "GET");
      if (!rs[0].allowed) return blockedWhy(get);
      return `Allowed: the answer carried Access-Control-Allow-Origin: ${header(get, ACAO)}, this page's origin ` +
        "exactly, so the browser let the page read it. No preflight: a GET without custom headers is a " +
        "“simple” request, sent straight away.";
    },
  },
  "preflight-put": {
    steps: [{method: "PUT", path: "/api/items/42",
             headers: {"X-Demo-Token": CFG.token, "Content-Type": "application/json"},
             body: JSON.stringify({name: "a new name"})}],
    check: (rs, log) => rs[0].status === 200 && !!find(log, "OPTIONS") && find(log, "OPTIONS").status === 204 &&
      !find(log, "OPTIONS").app_called,
    why(rs, log) {
      const pre = find(log, "OPTIONS");
      const put = find(log, "PUT");
      if (!pre) {
        return (rs[0].allowed ? "Allowed" : "Blocked") + ", but the API saw no OPTIONS preflight this time " +
          "(the browser may have reused a cached one).";
      }
      const first = "The browser sent an OPTIONS preflight first, because PUT is not a “simple” method and " +
        "X-Demo-Token and Content-Type: application/json are not safelisted headers. ";
      if (pre.status !== 204 || !put) {
        return first + `The preflight was refused (${pre.status}, no Access-Control-* headers), so the browser ` +
          "never sent the PUT.";
      }
      return first + `cors_wsgi answered it itself with ${pre.status}` +
        (pre.app_called ? "" : " (the app was not called)") +
        `: Access-Control-Allow-Methods: ${header(pre, "Access-Control-Allow-Methods")} includes PUT and ` +
        `Access-Control-Allow-Headers: ${header(pre, "Access-Control-Allow-Headers")} names both headers. ` +
        (rs[0].allowed
          ? `Only then did the browser send the PUT; its answer carried Access-Control-Allow-Origin: ` +
            `${header(put, ACAO)}, so the page could read it.`
          : blockedWhy(put));
    },
  },
  "credentialed": {
    steps: [{method: "POST", path: "/api/me", credentials: "include"},
            {method: "GET", path: "/api/me", credentials: "include"}],
    check: (rs) => rs[1].status === 200 && rs[1].data.signed_in === true,
    why(rs, log) {
      const gets = log.filter((entry) => entry.method === "GET");
      const get = gets[gets.length - 1];
      if (!rs.every((r) => r.allowed)) return blockedWhy(get || find(log, "POST"));
      const sent = get && get.cookies_sent.includes("demo_session");
      return 'credentials: "include" makes the browser send and store cookies for the API, and then it lets the ' +
        "page read the answer only if Access-Control-Allow-Origin names this exact origin (never *) and " +
        "Access-Control-Allow-Credentials is true. /api/me sends both " +
        `(${ACAO}: ${header(get, ACAO)}, Access-Control-Allow-Credentials: ` +
        `${header(get, "Access-Control-Allow-Credentials")}) because its rule has supports_credentials=True. ` +
        (sent ? "The cookie set by the first call (HttpOnly, so the page cannot see it) came back with the second, "
              : "But the cookie set by the first call did not come back with the second, ") +
        `so the API answered signed_in: ${rs[1].data.signed_in}.`;
    },
  },
  "disallowed-origin": {
    steps: [{method: "GET", path: "/api/admin"}],
    check: (rs, log) => !!find(log, "GET") && find(log, "GET").app_called,
    why(rs, log) {
      const get = find(log, "GET");
      if (rs[0].allowed) return `Allowed: unexpected, the answer carried ${ACAO}: ${header(get, ACAO)}.`;
      return `Blocked: /api/admin only allows ${CFG.admin_origin}. ` +
        (get ? `The request still reached the server (the app answered ${get.status}, see below), but the ` +
               "answer had no Access-Control-Allow-Origin for this page, so the browser hid it: "
             : "The browser hid the answer: ") +
        "all the page gets is “TypeError: Failed to fetch”. CORS stops other sites from reading answers, " +
        "not from sending requests: endpoints that change things still need authentication.";
    },
  },
  "exposed-header": {
    steps: [{method: "GET", path: "/api/report", read: ["X-Request-Id", "X-Internal"]}],
    check: (rs) => rs[0].headers["X-Request-Id"] !== null && rs[0].headers["X-Internal"] === null,
    why(rs, log) {
      const get = find(log, "GET");
      if (!rs[0].allowed) return blockedWhy(get);
      const aceh = header(get, "Access-Control-Expose-Headers");
      return "Allowed. The API sent both X-Request-Id and X-Internal (see below), but a cross-origin page can " +
        "read only the safelisted response headers (Content-Type, Content-Length, …) and those named in " +
        `Access-Control-Expose-Headers (here: ${aceh}). So X-Request-Id reads as ` +
        `${JSON.stringify(rs[0].headers["X-Request-Id"])} and X-Internal as ${rs[0].headers["X-Internal"]}.`;
    },
  },
};

function showCall(step, url) {
  const init = [];
  if (step.method !== "GET") init.push(`method: "${step.method}"`);
  if (step.headers) init.push(`headers: ${JSON.stringify(step.headers)}`);
  if (step.body) init.push(`body: ${JSON.stringify(step.body)}`);
  if (step.credentials) init.push(`credentials: "${step.credentials}"`);
  return `fetch("${url}"` + (init.length ? `, {${init.join(", ")}}` : "") + ")";
}

async function call(step, run) {
  const url = `${API}${step.path}?run=${run}`;
  const init = {method: step.method, headers: step.headers || {}};
  if (step.body) init.body = step.body;
  if (step.credentials) init.credentials = step.credentials;
  const shown = showCall(step, url);
  try {
    const response = await fetch(url, init);
    const body = await response.text();
    let data = body;
    try { data = JSON.parse(body); } catch (e) { /* not JSON: keep the text */ }
    const headers = {};
    for (const name of step.read || []) headers[name] = response.headers.get(name);
    return {shown, allowed: true, status: response.status, data, headers};
  } catch (error) {
    return {shown, allowed: false, error: String(error)};
  }
}

function showResult(r) {
  if (!r.allowed) return `blocked: ${r.error}`;
  const lines = [`allowed: status ${r.status}, body ${JSON.stringify(r.data)}`];
  for (const [name, value] of Object.entries(r.headers)) {
    lines.push(`  response.headers.get("${name}") → ${JSON.stringify(value)}` +
               (value === null ? "  (not readable)" : "  (readable)"));
  }
  return lines.join("\\n");
}

function showWire(log) {
  if (!log.length) return "(the API logged no request for this scenario)";
  return log.map((e) => {
    const lines = [`${e.method} ${e.path}`];
    for (const [name, value] of Object.entries(e.request_headers)) lines.push(`  ${name}: ${value}`);
    if (e.cookies_sent.length) lines.push(`  Cookie: ${e.cookies_sent.join(", ")} (values hidden)`);
    lines.push(`→ ${e.status}, answered by ` + (e.app_called ? "the app" : "cors_wsgi (the app was not called)"));
    for (const [name, value] of Object.entries(e.response_headers)) {
      lines.push(`  ${name}: ${name.toLowerCase() === "set-cookie" ? value.replace(/=[^;]*/, "=…") : value}`);
    }
    const m = e.middleware;
    lines.push(`  cors_wsgi.explain(): ${m.kind} on rule ${JSON.stringify(m.rule)}, ` +
               `${m.allowed ? "allowed" : "rejected"}: ${m.reason}`);
    if (m.fix) lines.push(`  fix: ${m.fix}`);
    return lines.join("\\n");
  }).join("\\n\\n");
}

async function serverLog(run) {
  try {
    const response = await fetch("/log?run=" + encodeURIComponent(run));
    return await response.json();
  } catch (error) {
    return [];
  }
}

async function runScenario(section, run) {
  const name = section.dataset.scenario;
  const scenario = SCENARIOS[name];
  const tag = `${run}-${name}`;
  const results = [];
  for (const step of scenario.steps) {
    const result = await call(step, tag);
    results.push(result);
    if (!result.allowed) break;
  }
  const log = await serverLog(tag);
  const outcome = results.every((r) => r.allowed) ? "allowed" : "blocked";
  let checked = false;
  try { checked = scenario.check(results, log); } catch (e) { checked = false; }
  const asExpected = outcome === section.dataset.expected && checked;
  section.querySelector(".call").textContent = results.map((r) => r.shown).join("\\n");
  const result = section.querySelector(".result");
  result.textContent = results.map(showResult).join("\\n");
  result.className = "result " + outcome;
  section.querySelector(".why").textContent = scenario.why(results, log);
  section.querySelector(".wire").textContent = showWire(log);
  section.querySelector(".verdict").textContent =
    `${section.dataset.expected}: ` + (asExpected ? "✓ behaved as expected" : "✗ did NOT behave as expected");
  section.dataset.asExpected = String(asExpected);
  section.dataset.outcome = outcome;
  return asExpected;
}

async function runAll() {
  const button = document.getElementById("rerun");
  const summary = document.getElementById("summary");
  const sections = Array.from(document.querySelectorAll("[data-scenario]"));
  button.disabled = true;
  delete document.body.dataset.done;
  summary.textContent = "running…";
  for (const section of sections) {
    delete section.dataset.outcome;
    delete section.dataset.asExpected;
  }
  const run = Math.random().toString(36).slice(2, 10);
  let passed = 0;
  for (const section of sections) {
    if (await runScenario(section, run)) passed += 1;
  }
  summary.textContent = `${passed} of ${sections.length} behaved as expected`;
  summary.dataset.passed = String(passed);
  summary.dataset.total = String(sections.length);
  document.body.dataset.done = "true";
  button.disabled = false;
}

document.getElementById("rerun").addEventListener("click", runAll);
runAll();
</script>
</body>
</html>
"""


# ------------------------------------------------------------------------------------------------------
# Servers


class _Server(ThreadingMixIn, WSGIServer):
    """``wsgiref``'s server, one thread per request, so the page and slow calls never block each other."""

    daemon_threads = True
    label = ""
    verbose = False

    def server_bind(self) -> None:
        # HTTPServer.server_bind() looks the address up in DNS (socket.getfqdn), which can take seconds on
        # a machine with a misconfigured resolver; the demo only needs the address it was given.
        TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.setup_environ()


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(WSGIRequestHandler):
    """Quiet unless ``--verbose``."""

    def log_message(self, format: str, *args: Any) -> None:
        server = self.server
        if isinstance(server, _Server) and server.verbose:
            sys.stderr.write(f"[{server.label}] {self.address_string()} {format % args}\n")


def _origin(host: str, port: int) -> str:
    """The origin a browser sends for a page at ``http://host:port/`` (default port omitted)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}" if port == 80 else f"http://{shown}:{port}"


def _bind(host: str, port: int, label: str, verbose: bool) -> _Server:
    server_class = _Server6 if ":" in host else _Server
    try:
        server = server_class((host, port), _Handler)
    except OSError as exc:
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise OSError(exc.errno, f"cannot listen on {where} for the {label}: {exc.strerror or exc}") from exc
    server.label = label
    server.verbose = verbose
    return server


class Demo:
    """The two running servers: the API (wrapped by :class:`~cors_wsgi.CORSMiddleware`) and the page, on
    another origin. ``api_url`` and ``page_url`` end with ``/``; the origins do not."""

    def __init__(self, api_server: _Server, page_server: _Server, host: str, middleware: CORSMiddleware) -> None:
        self.api_origin = _origin(host, api_server.server_port)
        self.page_origin = _origin(host, page_server.server_port)
        self.api_url = self.api_origin + "/"
        self.page_url = self.page_origin + "/"
        self.middleware = middleware
        self._servers = (api_server, page_server)
        self._threads = [
            threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL},
                name=f"cors_wsgi demo {server.label}",
                daemon=True,
            )
            for server in self._servers
        ]
        self._stopped = False
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop both servers and close their sockets; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        for server in self._servers:
            server.shutdown()
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> Demo:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start(host: str = "127.0.0.1", api_port: int = 0, page_port: int = 0, *, verbose: bool = False) -> Demo:
    """Start the API on ``host:api_port`` and the page on ``host:page_port`` (0: the system picks), each in
    a daemon thread; return the running :class:`Demo`.

    ``host`` must be the address the browser will use: the API allows exactly the page's origin, which is
    built from it. Raises :class:`OSError` when a port cannot be bound and :class:`ValueError` for a
    wildcard address such as ``0.0.0.0``.
    """
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host in ("", "0.0.0.0", "::"):
        raise ValueError(
            f"--host {host or repr(host)} listens on every address, but the API allows exactly one page "
            "origin, built from the host: give the address your browser will use, e.g. 127.0.0.1 or "
            "this machine's LAN address"
        )
    api_server = _bind(host, api_port, "API", verbose)
    try:
        page_server = _bind(host, page_port, "page", verbose)
    except BaseException:
        api_server.server_close()
        raise
    try:
        api_origin = _origin(host, api_server.server_port)
        page_origin = _origin(host, page_server.server_port)
        options = api_options(page_origin)
        middleware = CORSMiddleware(DemoAPI(page_origin + "/"), **options)
        log = RequestLog(middleware)
        api_server.set_app(log.wrap(middleware))
        page_server.set_app(PageApp(render_page(api_origin, page_origin, options), log))
        return Demo(api_server, page_server, host, middleware)
    except BaseException:
        api_server.server_close()
        page_server.server_close()
        raise


# ------------------------------------------------------------------------------------------------------
# Command line


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65534:
        raise argparse.ArgumentTypeError(f"{port} is not between 0 and 65534 (the page uses the next port)")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cors_wsgi.demo",
        description="Start an API wrapped by cors_wsgi and a page on another origin that shows what a browser "
        "allows, and why.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address both servers listen on and the browser uses (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="the API's port; the page uses the next one. 0: let the system pick both (default: %(default)s)",
    )
    parser.add_argument("--verbose", action="store_true", help="print every request both servers receive")
    return parser


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _wait_for_interrupt() -> None:
    while True:
        time.sleep(3600)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: start the demo, print the URLs, serve until Ctrl-C (or SIGTERM); exit status 0,
    or 2 when it cannot start."""
    args = build_parser().parse_args(argv)
    try:
        demo = start(args.host, args.port, args.port + 1 if args.port else 0, verbose=args.verbose)
    except (OSError, ValueError, ConfigError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        hint = "; try another --port, or --port 0 to let the system pick" if isinstance(exc, OSError) else ""
        print(f"cors_wsgi.demo: {message}{hint}", file=sys.stderr)
        return 2
    restore: list[tuple[signal.Signals, Any]] = []
    try:
        if threading.current_thread() is threading.main_thread():
            # Ctrl-C must work even when the parent started us with SIGINT ignored; SIGTERM stops cleanly too.
            for signum in (signal.SIGINT, signal.SIGTERM):
                restore.append((signum, signal.signal(signum, _raise_keyboard_interrupt)))
        print("cors_wsgi demo", flush=True)
        print(f"  API:  {demo.api_url}  (wrapped by CORSMiddleware)", flush=True)
        print(f"  page: {demo.page_url}  (another origin)", flush=True)
        print(f"open {demo.page_url} in a browser; Ctrl-C to stop", flush=True)
        _wait_for_interrupt()
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()
        for signum, handler in restore:
            signal.signal(signum, handler)
    if sys.stdout.isatty():
        print()  # past the "^C" the terminal echoed
    print(STOP_LINE, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
