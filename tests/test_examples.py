"""Every example under ``examples/`` served by the real server its README names, checked over real HTTP.

Each example directory's ``README.md`` holds one shell command that runs it (gunicorn, waitress-serve or
pserve). This file runs exactly that command, with the example directory as the working directory and
``8080`` replaced by ``0`` so the OS picks a free port, which the server then prints ("Listening at:" for
gunicorn, "Serving on" for waitress): no port is guessed, so there is no race with other processes.
One server per example, started once for all the checks below and always stopped.

Every example serves the same small API, so one table of expectations covers them all:

- ``GET /api/items`` (200, JSON, ``X-Request-Id``), ``PUT /api/items/1`` (200);
- ``/api/missing``: the framework's own 404; ``/api/boom``: an unhandled exception, turned into the
  framework's own 500 (Flask, Django with ``DEBUG = False``, Bottle, Falcon, a Pyramid exception view,
  a plain app's ``start_response(..., exc_info)``); both keep the CORS headers;
- ``/health``: outside ``resources`` (``/api/*``), so untouched.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

ALLOWED = "https://app.example.com"
REJECTED = "https://evil.example.com"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
ALL_METHODS = "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE"

STARTUP_TIMEOUT = 20.0
READY_LINE = re.compile(r"(?:Listening at: |Serving on )http://127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class Example:
    """One example and what its configuration promises."""

    directory: str
    methods: str
    """``Access-Control-Allow-Methods`` on a successful preflight."""
    credentials: bool = False
    expose: str | None = None
    max_age: str | None = None
    not_found: str = ""
    """A piece of the framework's own 404 body: proves the 404 came from the application."""
    server_error: str = ""
    """The same for its 500."""
    escaping_exception: str | None = None
    """A path where the exception leaves the application (only the plain WSGI app has one)."""

    def actual_headers(self) -> dict[str, str]:
        """The ``Access-Control-*`` headers of any response to the allowed origin on ``/api/*``."""
        headers = {"access-control-allow-origin": ALLOWED}
        if self.credentials:
            headers["access-control-allow-credentials"] = "true"
        if self.expose:
            headers["access-control-expose-headers"] = self.expose
        return headers

    def preflight_headers(self) -> dict[str, str]:
        headers = {
            "access-control-allow-origin": ALLOWED,
            "access-control-allow-methods": self.methods,
            "access-control-allow-headers": "content-type",
        }
        if self.credentials:
            headers["access-control-allow-credentials"] = "true"
        if self.max_age:
            headers["access-control-max-age"] = self.max_age
        return headers


EXAMPLE_TABLE = [
    Example(  # gunicorn 'app:create_app()'; CORS_* keys in app.config
        "flask_app",
        methods=ALL_METHODS,
        expose="X-Request-Id",
        not_found="<h1>Not Found</h1>",
        server_error="<h1>Internal Server Error</h1>",
    ),
    Example(  # gunicorn mysite.wsgi; settings.CORS_*
        "django_project",
        methods="GET, PUT, DELETE",
        credentials=True,
        not_found="<h1>Not Found</h1>",
        server_error="<h1>Server Error (500)</h1>",
    ),
    Example(  # waitress-serve app:app; keyword options
        "bottle_app",
        methods="GET, PUT",
        expose="X-Request-Id",
        not_found="Error: 404 Not Found",
        server_error="Error: 500 Internal Server Error",
    ),
    Example(  # pserve production.ini; a [filter:cors] section
        "pyramid_app",
        methods="GET, PUT, DELETE",
        credentials=True,
        expose="X-Request-Id",
        max_age="600",
        not_found="404 Not Found",
        server_error="Internal Server Error",
    ),
    Example(  # waitress-serve app:application; keyword options
        "falcon_app",
        methods=ALL_METHODS,
        expose="X-Request-Id",
        max_age="3600",
        not_found='"404 Not Found"',
        server_error='"500 Internal Server Error"',
    ),
    Example(  # gunicorn -c gunicorn.conf.py; CORS_* environment variables
        "gunicorn_env",
        methods=ALL_METHODS,
        credentials=True,
        expose="X-Request-Id",
        max_age="600",
        not_found="Not Found",
        server_error="Internal Server Error",
        escaping_exception="/api/crash",
    ),
]


# --- running an example ----------------------------------------------------------------------------


def readme_command(directory: Path) -> tuple[dict[str, str], list[str]]:
    """The example's run command from its README: leading ``NAME=value`` words, then the argv."""
    blocks = re.findall(r"^```sh\n(.*?)^```", (directory / "README.md").read_text(), re.S | re.M)
    assert len(blocks) == 1, f"{directory}/README.md must hold exactly one ```sh block, the run command"
    words = shlex.split(blocks[0].replace("\\\n", " "))
    env: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words


def with_free_port(env: dict[str, str], argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """The README command serves on 8080; ask the OS for a free port instead (port 0)."""
    count = sum(value.count("8080") for value in [*env.values(), *argv])
    assert count == 1, f"the run command must name port 8080 exactly once: {env} {argv}"
    return {k: v.replace("8080", "0") for k, v in env.items()}, [word.replace("8080", "0") for word in argv]


def executable(name: str) -> str:
    """A console script of the interpreter running the tests (its venv), else from PATH."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[test]')")
    return found


def gunicorn_cmd_args() -> str:
    """gunicorn >= 24 opens a control socket under ~/.gunicorn, shared by every gunicorn on the machine."""
    from gunicorn.config import KNOWN_SETTINGS

    return "--no-control-socket" if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else ""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: str

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def get(self, name: str) -> str | None:
        values = self.all(name)
        assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
        return values[0] if values else None

    def cors(self) -> dict[str, str]:
        """Every ``Access-Control-*`` header, each of which must appear at most once."""
        names = [key.lower() for key, _ in self.headers if key.lower().startswith("access-control-")]
        assert len(names) == len(set(names)), f"repeated CORS headers: {self.headers}"
        return {key.lower(): value for key, value in self.headers if key.lower().startswith("access-control-")}

    def vary(self) -> list[str]:
        return [item.strip().lower() for value in self.all("Vary") for item in value.split(",")]


@dataclass
class Server:
    example: Example
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: str | None = None
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.getheaders(), response.read().decode("utf-8", "replace"))
        except (OSError, http.client.HTTPException) as error:
            # e.g. gunicorn listens before its workers import the app; a worker that fails to boot
            # leaves the connection unanswered: show why.
            pytest.fail(f"{method} {path}: {error!r}; server {self.state()}:\n{self.output()}")
        finally:
            connection.close()

    def state(self) -> str:
        code = self.process.poll()
        return "running" if code is None else f"exited with {code}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def serve(example: Example) -> Iterator[Server]:
    directory = EXAMPLES / example.directory
    readme_env, argv = with_free_port(*readme_command(directory))
    argv[0] = executable(argv[0])
    env = {key: value for key, value in os.environ.items() if not key.startswith("CORS_")}
    env.update(readme_env, PYTHONUNBUFFERED="1")
    if Path(argv[0]).name == "gunicorn":
        env["GUNICORN_CMD_ARGS"] = gunicorn_cmd_args()
    with tempfile.TemporaryDirectory(prefix=f"cors_wsgi-{example.directory}-") as tmp:
        log = Path(tmp) / "server.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                argv, cwd=directory, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            running = Server(example, process, wait_until_serving(process, log), log)
            # The first request proves the application itself loaded (gunicorn imports it in its workers,
            # after it starts listening); if it did not, fail here, once, with the server's output.
            running.request("GET", "/health")
            yield running
        finally:
            stop(process)


def wait_until_serving(process: subprocess.Popen[bytes], log: Path) -> int:
    """The port the server printed, once it accepts connections; fail with its output otherwise."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    port = None
    while time.monotonic() < deadline and process.poll() is None:
        if port is None:
            match = READY_LINE.search(log.read_text(errors="replace"))
            port = int(match.group(1)) if match else None
        if port is not None:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return port
        time.sleep(0.05)
    state = f"exited with {process.returncode}" if process.poll() is not None else "timed out"
    pytest.fail(f"{process.args} {state} before serving:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful for gunicorn's workers too), then SIGKILL to the whole process group."""
    if process.poll() is not None:
        return  # exited by itself (gunicorn stops its workers before it exits)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # Still running, so not yet reaped: its process group is this server and its workers, nothing else.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture(scope="module", params=EXAMPLE_TABLE, ids=lambda example: example.directory)
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with serve(request.param) as running:
        yield running


# --- the checks ------------------------------------------------------------------------------------------


def explain(response: Response, server: Server) -> str:
    return (
        f"{response.status} {response.headers}\n{response.body[:500]}\n--- server output ---\n{server.output()[-3000:]}"
    )


def test_preflight_from_allowed_origin_is_answered_by_the_middleware(server: Server) -> None:
    response = server.request(
        "OPTIONS",
        "/api/items/1",
        {"Origin": ALLOWED, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"},
    )
    assert response.status == 204, explain(response, server)
    assert response.cors() == server.example.preflight_headers(), explain(response, server)
    assert response.get("Vary") == PREFLIGHT_VARY
    assert response.body == ""


def test_preflight_from_rejected_origin_is_403_without_cors_headers(server: Server) -> None:
    response = server.request(
        "OPTIONS",
        "/api/items/1",
        {"Origin": REJECTED, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"},
    )
    assert response.status == 403, explain(response, server)
    assert response.cors() == {}, explain(response, server)
    assert response.get("Vary") == PREFLIGHT_VARY


def test_get_from_allowed_origin(server: Server) -> None:
    response = server.request("GET", "/api/items", {"Origin": ALLOWED})
    assert response.status == 200, explain(response, server)
    assert response.cors() == server.example.actual_headers(), explain(response, server)
    assert "origin" in response.vary()
    assert response.get("X-Request-Id") == "req-1"
    assert json.loads(response.body)["items"][0]["id"] == 1


def test_put_from_allowed_origin(server: Server) -> None:
    response = server.request(
        "PUT", "/api/items/1", {"Origin": ALLOWED, "Content-Type": "application/json"}, body='{"name": "kettle"}'
    )
    assert response.status == 200, explain(response, server)
    assert response.cors() == server.example.actual_headers(), explain(response, server)
    assert json.loads(response.body) == {"id": 1, "updated": True}


def test_get_from_rejected_origin_has_no_cors_headers(server: Server) -> None:
    """The application still answers (CORS is enforced by the browser); only the permission is withheld."""
    response = server.request("GET", "/api/items", {"Origin": REJECTED})
    assert response.status == 200, explain(response, server)
    assert response.cors() == {}, explain(response, server)
    assert "origin" in response.vary()


def test_frameworks_own_404_keeps_cors_headers(server: Server) -> None:
    response = server.request("GET", "/api/missing", {"Origin": ALLOWED})
    assert response.status == 404, explain(response, server)
    assert server.example.not_found in response.body, explain(response, server)
    assert response.cors() == server.example.actual_headers(), explain(response, server)
    assert "origin" in response.vary()


def test_frameworks_own_500_keeps_cors_headers(server: Server) -> None:
    """``intercept_exceptions=True`` (the default): the page can read the error instead of a CORS failure."""
    response = server.request("GET", "/api/boom", {"Origin": ALLOWED})
    assert response.status == 500, explain(response, server)
    assert server.example.server_error in response.body, explain(response, server)
    assert response.cors() == server.example.actual_headers(), explain(response, server)
    assert "origin" in response.vary()
    if server.example.escaping_exception:
        # The limit of any WSGI middleware: an exception that leaves the application reaches the server,
        # which writes its own 500 outside every middleware, so it has no CORS headers. Frameworks avoid
        # this by answering 500 themselves (above).
        response = server.request("GET", server.example.escaping_exception, {"Origin": ALLOWED})
        assert response.status == 500, explain(response, server)
        assert response.cors() == {}, explain(response, server)
        assert "RuntimeError: an unhandled bug that escapes the application" in server.output()


def test_uncovered_path_is_untouched(server: Server) -> None:
    response = server.request("GET", "/health", {"Origin": ALLOWED})
    assert response.status == 200, explain(response, server)
    assert response.body == "ok"
    assert response.cors() == {}, explain(response, server)
    assert "origin" not in response.vary()
