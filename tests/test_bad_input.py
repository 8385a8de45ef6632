"""Bad input never crashes and never leaks (product-contract.md, "Bad input at runtime").

Every hostile value is sent through three transports:

* ``webtest``: ``webtest.TestApp`` (with its lint on);
* ``werkzeug``: ``werkzeug.test.Client`` (it refuses CR/LF in header values: those cases are skipped there);
* ``direct``: the middleware called with an ``environ`` built by ``wsgiref.util.setup_testing_defaults``,
  wrapped in ``wsgiref.validate.validator`` on both sides (around the application and around the
  middleware), with a recording ``start_response``. This is the only transport that can send what a real
  server would hand over for raw bytes (latin-1 decoded text, CR/LF, 256 KiB values).

For every response: never a 500; every header name and value is a ``str`` of latin-1 characters without
CR or LF; for a malformed or unmatched input no ``Access-Control-Allow-*`` header and no piece of the hostile
value in any header; a failed preflight is ``403`` with an empty body and no ``Access-Control-*`` header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest
from webtest import TestApp
from werkzeug.test import Client

from cors_wsgi import CORSMiddleware

pytestmark = pytest.mark.filterwarnings("ignore:Unknown REQUEST_METHOD")

ACAO = "Access-Control-Allow-Origin"
ACAH = "Access-Control-Allow-Headers"
ACAM = "Access-Control-Allow-Methods"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
GOOD = "https://app.example.com"  # allowed by every configuration below
KIB = 1024


# --- configurations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    name: str
    options: dict[str, Any]
    allow_any: bool = False
    """origins '*': every well-formed origin, 'null' included."""
    wildcard: bool = False
    """send_wildcard: every actual response carries ACAO '*' whatever the Origin."""

    def __str__(self) -> str:
        return self.name


CONFIGS = [
    Config("star", {}, allow_any=True),
    Config(
        "exact+credentials",
        {"origins": [GOOD, "https://admin.example.org"], "supports_credentials": True},
    ),
    Config("star+send_wildcard", {"send_wildcard": True}, allow_any=True, wildcard=True),
    Config("subdomain", {"origins": "https://*.example.com"}),
    Config("regex", {"origins": r"https://(app|api)\.example\.com"}),
    Config("compiled-regex", {"origins": re.compile(r"https://[a-z]+\.example\.com")}),
]


# --- transports ---------------------------------------------------------------------------------------


class RecordingApp:
    """The wrapped application: counts calls, answers 200 text/plain."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"app body"]


@dataclass
class Result:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    app_calls: int

    def cors(self) -> dict[str, str]:
        return {name: value for name, value in self.headers if name.lower().startswith("access-control-")}

    def get_all(self, wanted: str) -> list[str]:
        return [value for name, value in self.headers if name.lower() == wanted.lower()]


def via_webtest(options: dict[str, Any], method: str, headers: dict[str, str]) -> Result:
    app = RecordingApp()
    response = TestApp(CORSMiddleware(app, **options)).request(
        "/r", method=method, headers=headers, status="*", expect_errors=True
    )
    return Result(response.status_int, list(response.headerlist), response.body, app.calls)


def via_werkzeug(options: dict[str, Any], method: str, headers: dict[str, str]) -> Result:
    app = RecordingApp()
    response = Client(CORSMiddleware(app, **options)).open("/r", method=method, headers=headers)
    return Result(response.status_code, list(response.headers.items()), response.get_data(), app.calls)


def via_direct(options: dict[str, Any], method: str, headers: dict[str, str]) -> Result:
    app = RecordingApp()
    wsgi_app = validator(CORSMiddleware(validator(app), **options))
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ["REQUEST_METHOD"] = method
    environ["PATH_INFO"] = "/r"
    environ["QUERY_STRING"] = ""
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    recorded: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status, response_headers, exc_info=None):
        recorded.append((status, list(response_headers)))
        return lambda data: None

    result = wsgi_app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    assert len(recorded) == 1
    status, response_headers = recorded[0]
    assert isinstance(status, str)
    return Result(int(status.split()[0]), response_headers, body, app.calls)


TRANSPORTS: dict[str, Callable[[dict[str, Any], str, dict[str, str]], Result]] = {
    "webtest": via_webtest,
    "werkzeug": via_werkzeug,
    "direct": via_direct,
}
TRANSPORT_NAMES = list(TRANSPORTS)


def transports_for(value: str) -> list[str]:
    """werkzeug.test.Client refuses CR/LF in header values: those go through webtest and 'direct' only."""
    if "\r" in value or "\n" in value:
        return [name for name in TRANSPORT_NAMES if name != "werkzeug"]
    return TRANSPORT_NAMES


def with_transports(values: dict[str, str]) -> list[Any]:
    """``(value, transport)`` parameters for every transport able to send ``value``."""
    return [
        pytest.param(value, transport, id=f"{key}-{transport}")
        for key, value in values.items()
        for transport in transports_for(value)
    ]


def send(transport: str, config: Config, method: str, headers: dict[str, str]) -> Result:
    result = TRANSPORTS[transport](config.options, method, headers)
    assert result.status != 500
    assert_headers_well_formed(result)
    return result


def preflight(transport: str, config: Config, origin: str = GOOD, method: str = "PUT", **extra: str) -> Result:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    headers.update({name.replace("_", "-"): value for name, value in extra.items()})
    return send(transport, config, "OPTIONS", headers)


# --- assertions ---------------------------------------------------------------------------------------


def assert_headers_well_formed(result: Result) -> None:
    for name, value in result.headers:
        assert type(name) is str and type(value) is str, (name, value)
        for text in (name, value):
            assert "\r" not in text and "\n" not in text, (name, value)
            text.encode("latin-1")  # raises if a character is outside latin-1


WINDOW = 8


def assert_not_reflected(result: Result, hostile: str) -> None:
    """No header value contains the hostile value, nor any 8-character piece of it."""
    if not hostile:
        return
    for name, value in result.headers:
        assert hostile not in value, (name, value)
        for start in range(max(len(value) - WINDOW + 1, 0)):
            piece = value[start : start + WINDOW]
            assert piece not in hostile, f"{name}: {value!r} reflects {piece!r} of the hostile input"


def assert_no_allow_headers(result: Result) -> None:
    leaked = [name for name, _ in result.headers if name.lower().startswith("access-control-allow-")]
    assert leaked == []


def assert_failed_preflight(result: Result, hostile: str) -> None:
    assert result.status == 403
    assert result.body == b""
    assert result.cors() == {}
    assert result.app_calls == 0
    assert result.get_all("Vary") == [PREFLIGHT_VARY]
    assert_not_reflected(result, hostile)


def assert_rejected_actual(result: Result, config: Config, hostile: str) -> None:
    assert result.status == 200
    assert result.app_calls == 1
    assert result.body == b"app body"
    if config.wildcard:
        # the answer does not depend on the origin: ACAO '*' on every response, no Vary: Origin
        assert result.cors() == {ACAO: "*"}
        assert result.get_all("Vary") == []
    else:
        assert_no_allow_headers(result)
        assert result.cors() == {}
        assert result.get_all("Vary") == ["Origin"]
    assert_not_reflected(result, hostile)


# --- hostile origins ----------------------------------------------------------------------------------


def origin_of_length(length: int, domain: str = ".example.com") -> str:
    """``https://aaa…a.aaa…a<domain>``, exactly ``length`` characters, made of valid 49/50-char labels."""
    body = length - len("https://") - len(domain)
    assert body >= 1
    labels, rest = divmod(body - 1, 50)
    return "https://" + ("a" * 49 + ".") * labels + "a" * (rest + 1) + domain


def mojibake(text: str) -> str:
    """What a PEP 3333 server hands over for UTF-8 bytes: each byte as one latin-1 character."""
    return text.encode("utf-8").decode("latin-1")


@dataclass(frozen=True)
class OriginCase:
    id: str
    value: str
    by_any: bool = False
    """Allowed by origins '*' (a well-formed origin that the restrictive configurations do not list)."""


HOSTILE_ORIGINS = [
    OriginCase("empty", ""),
    OriginCase("256KiB", origin_of_length(256 * KIB)),
    OriginCase("301-bytes", origin_of_length(301)),
    OriginCase("latin-1-umlaut", "https://exämple.com"),
    OriginCase("latin-1-umlaut-subdomain", "https://äpp.example.com"),
    OriginCase("utf-8-mojibake", mojibake("https://äpp.example.com")),
    OriginCase("utf-8-mojibake-idn", mojibake("https://例え.example.com")),
    OriginCase("two-origins-comma-space", "https://app.example.com, https://api.example.com"),
    OriginCase("two-origins-comma", "https://app.example.com,https://evil.test"),
    OriginCase("crlf-injection", "https://app.example.com\r\nSet-Cookie: injected=1"),
    OriginCase("trailing-crlf", "https://app.example.com\r\n"),
    OriginCase("lone-lf", "https://app.example.com\nX-Evil: 1"),
    OriginCase("leading-space", " https://app.example.com"),
    OriginCase("trailing-space", "https://app.example.com "),
    OriginCase("inner-space", "https://app .example.com"),
    OriginCase("tab", "https://app.example.com\t"),
    OriginCase("trailing-slash", "https://app.example.com/"),
    OriginCase("path", "https://app.example.com/evil/path"),
    OriginCase("query", "https://app.example.com?x=1"),
    OriginCase("uppercase-host", "https://APP.EXAMPLE.COM"),
    OriginCase("uppercase-label", "https://App.example.com"),
    OriginCase("uppercase-scheme", "HTTPS://app.example.com"),
    OriginCase("userinfo", "https://user:pass@app.example.com"),
    OriginCase("userinfo-suffix", "https://app.example.com@evil.test"),
    OriginCase("default-port", "https://app.example.com:443", by_any=True),
    OriginCase("empty-label", "https://app..example.com"),
    OriginCase("trailing-dot", "https://app.example.com."),
    OriginCase("control-char", "https://app.example.com\x00"),
    OriginCase("no-scheme", "app.example.com"),
    # well formed, so '*' allows them; every other configuration must not
    OriginCase("null", "null", by_any=True),
    OriginCase("other-site", "https://evil.test", by_any=True),
    OriginCase("suffix-attack", "https://app.example.com.evil.test", by_any=True),
    OriginCase("prefix-attack", "https://evilexample.com", by_any=True),
    OriginCase("apex", "https://example.com", by_any=True),
    OriginCase("wrong-scheme", "http://app.example.com", by_any=True),
    OriginCase("other-port", "https://app.example.com:8443", by_any=True),
]


ORIGIN_PARAMS = [
    pytest.param(case, transport, id=f"{case.id}-{transport}")
    for case in HOSTILE_ORIGINS
    for transport in transports_for(case.value)
]


@pytest.mark.parametrize(("case", "transport"), ORIGIN_PARAMS)
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_hostile_origin_on_actual_request(config: Config, case: OriginCase, transport: str) -> None:
    result = send(transport, config, "GET", {"Origin": case.value})
    if case.by_any and config.allow_any:
        assert result.cors() == {ACAO: "*" if config.wildcard else case.value}
    else:
        assert_rejected_actual(result, config, case.value)


@pytest.mark.parametrize(("case", "transport"), ORIGIN_PARAMS)
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_hostile_origin_on_preflight(config: Config, case: OriginCase, transport: str) -> None:
    result = preflight(transport, config, origin=case.value)
    if case.by_any and config.allow_any:
        assert result.status == 204
        assert result.cors()[ACAO] == ("*" if config.wildcard else case.value)
    else:
        assert_failed_preflight(result, case.value)


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_allowed_origin_control(config: Config, transport: str) -> None:
    """The same request with a good origin is allowed: the rejections above are about the input."""
    actual = send(transport, config, "GET", {"Origin": GOOD})
    assert actual.cors()[ACAO] == ("*" if config.wildcard else GOOD)
    answered = preflight(transport, config)
    assert answered.status == 204
    assert answered.cors()[ACAO] == ("*" if config.wildcard else GOOD)


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
@pytest.mark.parametrize("config", [c for c in CONFIGS if c.name in ("star", "subdomain")], ids=str)
def test_origin_length_limit_is_300(config: Config, transport: str) -> None:
    longest = origin_of_length(300)
    assert send(transport, config, "GET", {"Origin": longest}).cors() == {ACAO: longest}
    too_long = origin_of_length(301)
    assert_rejected_actual(send(transport, config, "GET", {"Origin": too_long}), config, too_long)


@pytest.mark.parametrize(
    "value",
    ["https://例え.example.com", "https://app.example.com\u2028", "https://app.example.com\udcff"],
    ids=["cjk", "line-separator", "lone-surrogate"],
)
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_non_latin1_origin_called_directly(config: Config, value: str) -> None:
    """No server produces these (environ values are latin-1), but a buggy one must not crash us either."""
    assert_rejected_actual(send("direct", config, "GET", {"Origin": value}), config, value)
    assert_failed_preflight(preflight("direct", config, origin=value), value)


# --- malformed Access-Control-Request-Method ----------------------------------------------------------

HOSTILE_METHODS = {
    "empty": "",
    "lowercase-put": "put",
    "two-methods": "GET POST",
    "comma-list": "PUT,DELETE",
    "crlf": "P\r\nUT",
    "10KiB": "PUT" + "X" * (10 * KIB),
    "space-padded": " PUT ",
    "forbidden-connect": "CONNECT",
    "non-token": "PU(T)",
    "latin-1": "PÜT",
}


@pytest.mark.parametrize(("method", "transport"), with_transports(HOSTILE_METHODS))
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_malformed_request_method(config: Config, method: str, transport: str) -> None:
    assert_failed_preflight(preflight(transport, config, method=method), method)


@pytest.mark.parametrize(("method", "transport"), with_transports(HOSTILE_METHODS))
def test_malformed_request_method_with_headers(method: str, transport: str) -> None:
    """Also when ACRH is present and valid (the method check must not be skipped)."""
    result = preflight(transport, CONFIGS[0], method=method, Access_Control_Request_Headers="x-a")
    assert_failed_preflight(result, method)


# --- malformed Access-Control-Request-Headers ---------------------------------------------------------

HOSTILE_ACRH = {
    "empty": "",
    "only-commas": ",,,",
    "commas-and-spaces": " , ,\t, ",
    "at-sign": "x-a, b@d",
    "inner-space": "x a",
    "semicolon": "x-a;x-b",
    "parentheses": "(x-a)",
    "colon": "x-a: 1",
    "latin-1": "x-ä",
    "crlf": "x-a\r\nx-b",
    "crlf-injection": "x-a\r\nSet-Cookie: injected=1",
    "nul": "x-a\x00",
    "8KiB": "x-a," * (8 * KIB // 4),
    "256KiB": "x-a," * (256 * KIB // 4),
}


@pytest.mark.parametrize(("value", "transport"), with_transports(HOSTILE_ACRH))
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_malformed_request_headers(config: Config, value: str, transport: str) -> None:
    result = preflight(transport, config, Access_Control_Request_Headers=value)
    assert_failed_preflight(result, value)


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_request_headers_tolerate_spaces_case_and_repeats(config: Config, transport: str) -> None:
    result = preflight(transport, config, Access_Control_Request_Headers="X-A , x-b,X-A")
    assert result.status == 204
    assert result.cors()[ACAH] == "x-a, x-b"


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_authorization_is_named_never_bare_star(config: Config, transport: str) -> None:
    result = preflight(transport, config, Access_Control_Request_Headers="Authorization, content-type")
    assert result.status == 204
    assert result.cors()[ACAH] == "authorization, content-type"


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_requested_star_never_becomes_bare_star(config: Config) -> None:
    """'*' is a valid token, but ACAH '*' is a wildcard to the browser; the contract says never a bare '*'.

    Either the preflight fails or ACAH names headers only (one request per configuration: it is one rule).
    """
    value = "x-a,*"
    result = preflight("direct", config, Access_Control_Request_Headers=value)
    if result.status == 403:
        assert_failed_preflight(result, value)
    else:
        assert result.status == 204
        names = [name.strip() for name in result.cors()[ACAH].split(",")]
        assert "*" not in names


# --- odd request methods ------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
@pytest.mark.parametrize("method", ["options", "Options", "PROPFIND", "FOO"])
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_odd_methods_are_actual_requests(config: Config, method: str, transport: str) -> None:
    """Methods are case-sensitive: only 'OPTIONS' with ACRM is a preflight; anything else reaches the app."""
    headers = {"Origin": GOOD, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-a"}
    result = send(transport, config, method, headers)
    assert result.status == 200
    assert result.app_calls == 1
    assert ACAO in result.cors()
    assert ACAM not in result.cors()
    assert ACAH not in result.cors()


@pytest.mark.parametrize("transport", [name for name in TRANSPORT_NAMES if name != "werkzeug"])
@pytest.mark.parametrize("method", ["options", "PROPFIND", "FOO"])
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_odd_methods_with_hostile_origin(config: Config, method: str, transport: str) -> None:
    hostile = "https://app.example.com\r\nX-Evil: 1"
    result = send(transport, config, method, {"Origin": hostile, "Access-Control-Request-Method": "PUT"})
    assert_rejected_actual(result, config, hostile)
