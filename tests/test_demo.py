"""The newcomer demo, ``python -m cors_wsgi.demo``.

The subprocess tests run the README command itself (``--port 0``), fetch the page, then send the API the
requests the page's ``fetch()`` calls make a browser send (with ``Origin: <page origin>``, and the
preflight where the browser would send one) and check the API answers what the page expects to see.
Whether Chromium really shows "5 of 5" is the browser suite's job (tests/browser).
"""

from __future__ import annotations

import http.client
import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cors_wsgi import demo as demo_module
from cors_wsgi.demo import ADMIN_ORIGIN, DEMO_TOKEN, SCENARIOS, STOP_LINE, build_parser, main, start

ROOT = Path(__file__).resolve().parent.parent
URL_LINE = re.compile(r"^\s+(API|page):\s+(http://\S+)")
STARTUP_TIMEOUT = 30  # a safety net for a hung start, not a performance assertion


class Response:
    def __init__(self, status: int, headers: Message, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(
    url: str, method: str = "GET", headers: Mapping[str, str] | None = None, body: bytes | None = None
) -> Response:
    parts = urlsplit(url)
    assert parts.hostname is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


class DemoProcess:
    """``python -m cors_wsgi.demo ARGS`` with its stdout collected line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cors_wsgi.demo", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def urls(self) -> dict[str, str]:
        """Wait for the two printed URLs and the "open ..." line."""
        urls: dict[str, str] = {}
        while True:
            try:
                line = self._queue.get(timeout=STARTUP_TIMEOUT)
            except queue.Empty:
                pytest.fail(f"the demo printed no URLs in {STARTUP_TIMEOUT} s: {self.lines}")
            if line is None:
                pytest.fail(f"the demo exited early: {self.lines} {self.stderr()}")
            self.lines.append(line)
            match = URL_LINE.match(line)
            if match:
                urls[match.group(1)] = match.group(2)
            if line.startswith("open "):
                return urls

    def interrupt(self) -> int:
        """Ctrl-C; return the exit status."""
        self.proc.send_signal(signal.SIGINT)
        returncode = self.proc.wait(timeout=STARTUP_TIMEOUT)
        self._reader.join(timeout=STARTUP_TIMEOUT)
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return returncode

    def stderr(self) -> str:
        return self.proc.stderr.read() if self.proc.stderr and self.proc.poll() is not None else ""

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=STARTUP_TIMEOUT)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture(scope="module")
def running() -> Iterator[dict[str, str]]:
    """One demo process for the API checks: its printed URLs and origins."""
    process = DemoProcess("--port", "0")
    try:
        urls = process.urls()
        yield {
            "api": urls["API"],
            "page": urls["page"],
            "api_origin": origin_of(urls["API"]),
            "page_origin": origin_of(urls["page"]),
            "output": "".join(process.lines),
        }
    finally:
        process.close()


def api(running: Mapping[str, str], path: str, method: str = "GET", **headers: str) -> Response:
    """A request to the demo API as the page's fetch() makes the browser send it."""
    sent = {"Origin": running["page_origin"], **{name.replace("_", "-"): value for name, value in headers.items()}}
    return fetch(running["api_origin"] + path, method, sent)


# ------------------------------------------------------------------------------------------------------
# The command, as the README tells a newcomer to run it


@pytest.mark.server
def test_prints_both_urls_on_two_origins_and_how_to_stop(running: Mapping[str, str]) -> None:
    assert running["api"].startswith("http://127.0.0.1:") and running["api"].endswith("/")
    assert running["page"].startswith("http://127.0.0.1:") and running["page"].endswith("/")
    assert running["api_origin"] != running["page_origin"]
    assert f"open {running['page']} in a browser; Ctrl-C to stop" in running["output"]


@pytest.mark.server
def test_page_is_served_with_every_scenario_and_the_api_origin(running: Mapping[str, str]) -> None:
    response = fetch(running["page"])
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.body.decode()
    for name, _title, expected, _intro in SCENARIOS:
        assert f'data-scenario="{name}" data-expected="{expected}"' in page
    assert [name for name, *_ in SCENARIOS] == [
        "simple-get",
        "preflight-put",
        "credentialed",
        "disallowed-origin",
        "exposed-header",
    ]
    assert json.dumps(running["api_origin"]) in page  # the script calls this run's API port
    for path in ("/api/hello", "/api/items/42", "/api/me", "/api/admin", "/api/report"):
        assert path in page


@pytest.mark.server
def test_api_root_is_not_covered_and_points_to_the_page(running: Mapping[str, str]) -> None:
    response = api(running, "/")
    assert response.status == 200
    assert response.json()["page"] == running["page"]
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.server
def test_simple_get_is_readable_by_the_page_origin(running: Mapping[str, str]) -> None:
    response = api(running, "/api/hello?run=t-simple-get")
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == running["page_origin"]
    assert response.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.json() == {"message": "Hello from the API!"}


@pytest.mark.server
def test_put_with_custom_header_is_preflighted_then_allowed(running: Mapping[str, str]) -> None:
    # What Chromium sends for fetch(url, {method: "PUT", headers: {X-Demo-Token, Content-Type: JSON}}).
    preflight = api(
        running,
        "/api/items/42?run=t-preflight-put",
        "OPTIONS",
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers="content-type,x-demo-token",
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == running["page_origin"]
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"].split(", ")
    assert set(preflight.headers["Access-Control-Allow-Headers"].split(", ")) == {"content-type", "x-demo-token"}
    assert preflight.body == b""

    put = fetch(
        running["api_origin"] + "/api/items/42?run=t-preflight-put",
        "PUT",
        {"Origin": running["page_origin"], "X-Demo-Token": DEMO_TOKEN, "Content-Type": "application/json"},
        json.dumps({"name": "a new name"}).encode(),
    )
    assert put.status == 200
    assert put.headers["Access-Control-Allow-Origin"] == running["page_origin"]
    assert put.json() == {"id": "42", "saved": {"name": "a new name"}}


@pytest.mark.server
def test_preflight_for_a_header_the_rule_does_not_list_is_refused(running: Mapping[str, str]) -> None:
    preflight = api(
        running,
        "/api/items/42",
        "OPTIONS",
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers="x-other",
    )
    assert preflight.status == 403
    assert not [name for name in preflight.headers if name.lower().startswith("access-control-")]


@pytest.mark.server
def test_credentialed_cookie_round_trip(running: Mapping[str, str]) -> None:
    sign_in = api(running, "/api/me?run=t-credentialed", "POST")
    assert sign_in.status == 200
    assert sign_in.headers["Access-Control-Allow-Origin"] == running["page_origin"]  # exact, never *
    assert sign_in.headers["Access-Control-Allow-Credentials"] == "true"
    cookie = sign_in.headers["Set-Cookie"]
    assert cookie.startswith("demo_session=") and "HttpOnly" in cookie
    session = cookie.split(";", 1)[0]

    me = api(running, "/api/me?run=t-credentialed", Cookie=session)
    assert me.headers["Access-Control-Allow-Origin"] == running["page_origin"]
    assert me.headers["Access-Control-Allow-Credentials"] == "true"
    assert me.json() == {"signed_in": True, "user": "newcomer"}

    assert api(running, "/api/me").json()["signed_in"] is False  # it really is the cookie that counts


@pytest.mark.server
def test_admin_path_reaches_the_app_but_carries_no_allow_origin_for_the_page(running: Mapping[str, str]) -> None:
    response = api(running, "/api/admin?run=t-disallowed-origin")
    assert response.status == 200  # the app answered: the browser, not the server, hides it
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]
    assert response.headers["Vary"] == "Origin"
    # the rule is what the page says it is: the admin origin is allowed
    admin = fetch(running["api_origin"] + "/api/admin", headers={"Origin": ADMIN_ORIGIN})
    assert admin.headers["Access-Control-Allow-Origin"] == ADMIN_ORIGIN


@pytest.mark.server
def test_only_the_exposed_header_is_listed(running: Mapping[str, str]) -> None:
    response = api(running, "/api/report?run=t-exposed-header")
    assert response.headers["Access-Control-Allow-Origin"] == running["page_origin"]
    assert response.headers["Access-Control-Expose-Headers"] == "X-Request-Id"
    assert response.headers["X-Request-Id"].startswith("req-")
    assert response.headers["X-Internal"]  # sent, but not exposed: the page reads null


@pytest.mark.server
def test_page_origin_log_shows_what_the_api_received_and_answered(running: Mapping[str, str]) -> None:
    api(
        running,
        "/api/items/7?run=t-log",
        "OPTIONS",
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers="content-type,x-demo-token",
    )
    api(running, "/api/admin?run=t-log")
    log = fetch(running["page_origin"] + "/log?run=t-log").json()
    assert [(entry["method"], entry["status"], entry["app_called"]) for entry in log] == [
        ("OPTIONS", 204, False),  # the middleware answered the preflight itself
        ("GET", 200, True),  # the blocked simple request still reached the app
    ]
    # each entry carries cors_wsgi's own explanation of the request
    assert {key: log[0]["middleware"][key] for key in ("kind", "rule", "allowed", "code")} == {
        "kind": "preflight",
        "rule": "/api/items/*",
        "allowed": True,
        "code": "allowed",
    }
    assert {key: log[1]["middleware"][key] for key in ("kind", "rule", "allowed", "code")} == {
        "kind": "actual",
        "rule": "/api/admin",
        "allowed": False,
        "code": "origin-not-allowed",
    }
    assert running["page_origin"] in log[1]["middleware"]["reason"]
    assert "Access-Control-Allow-Origin" not in log[1]["response_headers"]
    assert fetch(running["page_origin"] + "/log?run=nothing-ran").json() == []


@pytest.mark.server
def test_ctrl_c_stops_both_servers_and_exits_0() -> None:
    process = DemoProcess("--port", "0")
    try:
        urls = process.urls()
        assert fetch(urls["page"]).status == 200
        assert process.interrupt() == 0
        assert STOP_LINE + "\n" in process.lines
        assert "Traceback" not in process.stderr()
        for url in urls.values():
            parts = urlsplit(url)
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    finally:
        process.close()


# ------------------------------------------------------------------------------------------------------
# In process: start() (used by the browser suite) and main()'s argument handling


def test_start_in_process_serves_both_origins_and_stop_closes_them() -> None:
    with start(host="127.0.0.1", api_port=0, page_port=0) as demo:
        assert demo.api_url == demo.api_origin + "/" and demo.page_url == demo.page_origin + "/"
        assert demo.api_origin != demo.page_origin
        hello = fetch(demo.api_origin + "/api/hello", headers={"Origin": demo.page_origin})
        assert hello.headers["Access-Control-Allow-Origin"] == demo.page_origin
        assert fetch(demo.page_url).status == 200
        port = urlsplit(demo.api_url).port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    demo.stop()  # a second stop is harmless


def test_start_on_ipv6_loopback_uses_a_bracketed_origin() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with start(host="::1") as demo:
        assert re.fullmatch(r"http://\[::1\]:\d+", demo.page_origin)
        hello = fetch(demo.api_origin + "/api/hello", headers={"Origin": demo.page_origin})
        assert hello.headers["Access-Control-Allow-Origin"] == demo.page_origin


def test_host_and_port_reach_start_and_the_page_takes_the_next_port(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []

    def fake_start(host: str, api_port: int, page_port: int, *, verbose: bool) -> Any:
        calls.append((host, api_port, page_port, verbose))
        raise OSError(98, "cannot listen")

    monkeypatch.setattr(demo_module, "start", fake_start)
    assert main(["--host", "localhost", "--port", "9000"]) == 2
    assert main(["--port", "0", "--verbose"]) == 2
    assert main([]) == 2
    assert calls == [("localhost", 9000, 9001, False), ("127.0.0.1", 0, 0, True), ("127.0.0.1", 8000, 8001, False)]


def test_main_serves_until_ctrl_c_then_returns_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[int] = []

    def interrupt() -> None:
        page = capsys.readouterr().out.split("open ", 1)[1].split(" ", 1)[0]
        seen.append(fetch(page).status)
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_module, "_wait_for_interrupt", interrupt)
    assert main(["--port", "0"]) == 0
    assert seen == [200]
    assert capsys.readouterr().out == STOP_LINE + "\n"


def test_port_in_use_is_a_clear_error_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 2
        error = capsys.readouterr().err
        assert f"cannot listen on 127.0.0.1:{port} for the API" in error
        assert "--port 0" in error
        with pytest.raises(OSError, match="for the page"):
            start(api_port=0, page_port=port)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "70000"], "not between 0 and 65534"),
        (["--port", "eighty"], "is not a port number"),
    ],
)
def test_bad_port_is_a_usage_error(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_wildcard_host_is_refused_because_the_page_origin_must_be_known(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "give the address your browser will use" in capsys.readouterr().err
