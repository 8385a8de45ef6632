"""A real server under bounded loopback load: gunicorn (gthread, 2 workers x 4 threads) serving
``_load_app.application``, and a pool of 8 client threads, each on its own keep-alive
``http.client`` connection, sending a fixed number of mixed CORS requests (preflights allowed and
refused, actual requests from allowed, refused and malformed origins, requests without ``Origin``,
paths no rule covers, the application's own ``Access-Control-Allow-Origin``, 404s and 500s).

Every response is checked against ``_oracle`` (status, every ``Access-Control-*`` header, ``Vary``,
whether the application ran), there must be no transport error at all, and the server's log must show
no error. The default run sends ``DEFAULT_REQUESTS``; ``python -m pytest -m slow tests/test_load.py``
sends ``SLOW_REQUESTS``. Nothing is timed; the duration is printed (``-s``) for the record.

The server gets a listening socket the test has already bound to 127.0.0.1 port 0 (``--bind fd://N``),
so the port is known without a race and without parsing the server's output; readiness is a first
successful request.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import _generators as gen
import pytest
from _load_app import LOAD_OPTIONS
from _oracle import Request, Response, check

pytestmark = pytest.mark.server

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CLIENTS = 8
DEFAULT_REQUESTS = 20_000
SLOW_REQUESTS = 100_000
# What gunicorn adds on its own: everything else in a response came from the middleware or the application.
SERVER_HEADERS = {"server", "date", "connection", "transfer-encoding", "content-length", "keep-alive"}
HTTP_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND"]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path


def wait_until_serving(server: Server, deadline: float) -> None:
    while True:
        assert server.process.poll() is None, server.log.read_text(errors="replace")
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            connection.request("GET", "/ready", headers={"X-Test-App": "plain:0"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        assert time.monotonic() < deadline, "gunicorn did not answer:\n" + server.log.read_text(errors="replace")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    log_dir = tempfile.mkdtemp(prefix="cors_wsgi_load_")
    log = Path(log_dir) / "gunicorn.log"
    argv = [
        sys.executable, "-m", "gunicorn",
        "--worker-class", "gthread", "--workers", "2", "--threads", "4",
        "--bind", f"fd://{listener.fileno()}",
        "--keep-alive", "60", "--timeout", "120", "--graceful-timeout", "10",
        "--log-level", "warning", "--chdir", str(TESTS),
        "_load_app:application",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, env=env, pass_fds=(listener.fileno(),), start_new_session=True
        )
    listener.close()  # gunicorn holds its own copy
    running = Server(process, port, log)
    try:
        wait_until_serving(running, time.monotonic() + 60)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for leftover in Path(log_dir).iterdir():
            leftover.unlink()
        os.rmdir(log_dir)


def transportable(request: Request) -> Request:
    """The same kind of request, made of what HTTP carries unchanged: a method gunicorn accepts, a path
    starting with "/" (percent-encoded on the wire, decoded back by the server), header values without
    control characters or surrounding whitespace (which the server would strip)."""
    method = request.method if request.method in HTTP_METHODS else "GET"
    path = request.path if request.path.startswith("/") else "/" + request.path

    def keep(value: str | None) -> str | None:
        if value is None:
            return None
        if value != value.strip(" \t") or not all(" " <= char <= "~" or "\xa0" <= char <= "\xff" for char in value):
            return "https://evil.example"
        return value

    return replace(
        request, method=method, path=path, origin=keep(request.origin), acrm=keep(request.acrm), acrh=keep(request.acrh)
    )


def plan(count: int, seed: int) -> list[Request]:
    chooser = gen.RandomChooser(seed)
    return [transportable(gen.request(chooser, LOAD_OPTIONS)) for _ in range(count)]


def target(path: str) -> str:
    """The request-target whose percent-decoding (what the server puts in PATH_INFO) is ``path``."""
    return quote(path.encode("latin-1"), safe="/!$&'()*+,;=:@-._~")


def send(connection: http.client.HTTPConnection, request: Request) -> Response:
    headers = request.http_headers()
    connection.putrequest(request.method, target(request.path), skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value.encode("latin-1"))
    connection.endheaders()
    answer = connection.getresponse()
    body = answer.read()
    received = [(name, value) for name, value in answer.getheaders() if name.lower() not in SERVER_HEADERS]
    app_called = any(name.lower() == "x-test-app" for name, _ in received)
    return Response(f"{answer.status} {answer.reason}", received, body, app_called)


def hammer(server: Server, requests: list[Request]) -> tuple[int, list[str], float]:
    """Send ``requests`` from CLIENTS threads; return (checked responses, problems, seconds)."""
    slices = [requests[index::CLIENTS] for index in range(CLIENTS)]
    checked = [0] * CLIENTS
    problems: list[str] = []
    barrier = threading.Barrier(CLIENTS + 1)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        barrier.wait()
        try:
            for request in slices[index]:
                try:
                    response = send(connection, request)
                except (OSError, http.client.HTTPException) as error:
                    problems.append(f"transport error for {request!r}: {error!r}")
                    connection.close()  # and go on with a new connection
                    continue
                try:
                    check(LOAD_OPTIONS, request, response)
                except AssertionError as error:
                    problems.append(f"{request!r} -> {response!r}: {error}")
                checked[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=900)
    seconds = time.perf_counter() - started
    assert not any(thread.is_alive() for thread in threads), "a client thread hung"
    return sum(checked), problems, seconds


def run_load(server: Server, count: int, seed: int) -> None:
    requests = plan(count, seed)
    checked, problems, seconds = hammer(server, requests)
    rate = count / seconds
    print(f"\n{count} requests, {CLIENTS} keep-alive clients, gunicorn gthread 2x4: {seconds:.1f} s ({rate:.0f}/s)")
    assert problems == [], f"{len(problems)} problems, e.g. {problems[:3]}"
    assert checked == count
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log and "[ERROR]" not in log, log[-3000:]
    kinds = {(request.method == "OPTIONS" and request.acrm is not None, request.origin is None) for request in requests}
    assert len(kinds) == 4  # preflights and not, with and without Origin


def test_loopback_load(server: Server) -> None:
    run_load(server, DEFAULT_REQUESTS, seed=1)


@pytest.mark.slow
def test_loopback_load_long(server: Server) -> None:
    run_load(server, SLOW_REQUESTS, seed=2)
