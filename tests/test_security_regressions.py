"""One regression test per vulnerability class the Python peers shipped (cors-protocol.md, "Peers' mistakes").

Each test names the class and, where there is one, the peer's CVE, and sends the attack through the real
middleware (webtest's ``TestApp`` with ``wsgiref.validate`` on both sides, werkzeug's ``Client``, or a
Flask application). Where test_contract.py / test_bad_input.py / test_config.py already pin the plain
case, the tests here take the angle the peer's bug took: the credentialed variant, the spelling the
peer accepted, the request the peer's fix still got wrong.

Classes, the peer that shipped them, and the test here:

- origin regex matched as a prefix (``re.match``; flask-cors, django-cors-headers regexes):
  ``test_origin_regex_must_match_the_whole_origin``, ``test_header_regex_must_match_the_whole_name``;
- glob ``https://*example.com`` allowing ``evilexample.com``:
  ``test_glob_spellings_are_refused_or_never_match_lookalikes``,
  ``test_subdomain_wildcard_with_credentials_never_allows_lookalikes``;
- ``*`` + credentials reflecting any origin (flask-cors): ``test_star_with_credentials_is_refused_*``;
- ``Origin: null`` allowed: ``test_null_origin_is_never_allowed_by_name_or_pattern``;
- ``Access-Control-Allow-Private-Network`` by default (flask-cors CVE-2024-6221):
  ``test_private_network_header_is_never_sent_*``;
- path rules matched case-insensitively (CVE-2024-6866), after ``+`` -> space and a second
  percent-decode (CVE-2024-6844), with ``../`` (CVE-2020-25032), or with a broad rule first
  (CVE-2024-6839), all flask-cors: ``test_cors_rule_is_the_rule_of_the_route_flask_serves``;
- log injection (flask-cors CVE-2024-1681): ``test_request_values_cannot_forge_log_lines``;
- ACRM / ACRH substring checks: ``test_method_is_compared_exactly_not_as_a_substring``,
  ``test_header_names_are_compared_exactly``;
- unbounded ACRH parsing: ``test_acrh_split_over_many_lines_is_bounded_too`` (cost: test_bounded_cost.py);
- a second ACAO next to the application's own: ``test_app_own_acao_*``;
- a failed preflight disclosing the allow-lists (flask-cors): ``test_failed_preflight_discloses_nothing_*``.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from typing import Any
from wsgiref.validate import validator

import pytest
from flask import Flask
from webtest import TestApp
from werkzeug.test import Client

from cors_wsgi import ConfigError, CORSConfigWarning, CORSMiddleware

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAPN = "Access-Control-Allow-Private-Network"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def text_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app body"]


def client(app: Any = text_app, **options: Any) -> TestApp:
    """webtest around the middleware, with PEP 3333 checked on both sides of it."""
    return TestApp(validator(CORSMiddleware(validator(app), **options)))


def preflight(test_app: TestApp, origin: str, method: str = "PUT", path: str = "/r", **extra: str) -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    headers.update({name.replace("_", "-"): value for name, value in extra.items()})
    return test_app.options(path, headers=headers, status="*")


def cors(response: Any) -> dict[str, str]:
    return {name: value for name, value in response.headerlist if name.lower().startswith("access-control-")}


def assert_refused_preflight(response: Any) -> None:
    assert response.status_int == 403
    assert response.body == b""
    assert cors(response) == {}
    assert response.headers.getall("Vary") == [PREFLIGHT_VARY]


# --- origins ------------------------------------------------------------------------------------------

SUFFIX_ATTACKS = [
    "https://example.com.evil.net",  # the peers' re.match allowed this
    "https://example.com.",
    "https://example.comevil.net",
    "https://example.com:8443",
    "https://example.com/",
    "https://example.com/.evil.net",
    "https://example.com%2F.evil.net",
    "https://example.com@evil.net",
    "https://example.com\r\n",
]


@pytest.mark.parametrize("attack", SUFFIX_ATTACKS)
@pytest.mark.parametrize(
    "pattern", [r"https://example\.com", re.compile(r"https://example\.com")], ids=["string", "compiled"]
)
def test_origin_regex_must_match_the_whole_origin(pattern: Any, attack: str) -> None:
    """Class: origin regexes matched with ``re.match`` (a prefix). With credentials, which is what made
    it exploitable: the attacker's page reads the user's data."""
    test_app = client(origins=[pattern, "https://other.example"], supports_credentials=True)
    allowed = test_app.get("/r", headers={"Origin": "https://example.com"})
    assert allowed.headers[ACAO] == "https://example.com" and allowed.headers[ACAC] == "true"
    response = test_app.get("/r", headers={"Origin": attack})
    assert cors(response) == {}
    assert_refused_preflight(preflight(test_app, attack))


def test_header_regex_must_match_the_whole_name() -> None:
    """The same class for ``allow_headers`` patterns: ``x-custom-\\d+`` is not ``x-custom-1-anything``."""
    test_app = client(origins="https://a.example", allow_headers=[r"x-custom-\d+"])
    assert preflight(test_app, "https://a.example", access_control_request_headers="x-custom-1").status_int == 204
    for name in ("x-custom-1-evil", "x-custom-1x", "authorization,x-custom-1"):
        assert_refused_preflight(preflight(test_app, "https://a.example", access_control_request_headers=name))


@pytest.mark.parametrize(
    "glob",
    ["https://*example.com", "*example.com", "*.example.com", "https://app.*.example.com", "https://*.*.example.com"],
)
def test_glob_spellings_are_refused_or_never_match_lookalikes(glob: str) -> None:
    """Class: glob patterns matching ``evilexample.com``. Every glob spelling but the two accepted
    wildcard forms is a ConfigError (it could never be what the operator meant)."""
    with pytest.raises(ConfigError, match=r"\*"):
        CORSMiddleware(text_app, origins=glob)


@pytest.mark.parametrize(
    "lookalike",
    [
        "https://evilexample.com",
        "https://example.com",
        "https://example.com.evil.test",
        "https://a.example.com.evil.test",
        "https://a-example.com",
        "https://a.example.co",
        "https://a.example.com:8443",
        "http://a.example.com",
        "https://.example.com",
        "https://a..example.com",
        "https://A.example.com",
    ],
)
def test_subdomain_wildcard_with_credentials_never_allows_lookalikes(lookalike: str) -> None:
    test_app = client(origins="https://*.example.com", supports_credentials=True)
    assert test_app.get("/r", headers={"Origin": "https://a.b.example.com"}).headers[ACAC] == "true"
    assert cors(test_app.get("/r", headers={"Origin": lookalike})) == {}
    assert_refused_preflight(preflight(test_app, lookalike))


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"origins": ["https://a.example", "*"]}, id="star-among-origins"),
        pytest.param({"origins": "*", "send_wildcard": True}, id="star-with-send_wildcard"),
        pytest.param({"resources": {"/api/*": {"origins": "*"}}}, id="resource-entry-inherits-credentials"),
        pytest.param({"origins": "https://*.com"}, id="top-level-domain-wildcard"),
        pytest.param({"origins": re.compile(r"https?://.+")}, id="compiled-any-origin"),
        pytest.param({"origins": r"https?://[^/]+"}, id="regex-any-host"),
    ],
)
def test_star_with_credentials_is_refused_in_every_spelling(options: dict[str, Any]) -> None:
    """Class: ``*`` + credentials reflecting any origin with ``ACAC: true`` (flask-cors' default
    behaviour when both are set)."""
    with pytest.raises(ConfigError, match="supports_credentials=True"):
        CORSMiddleware(text_app, supports_credentials=True, **options)


@pytest.mark.parametrize(
    "environ",
    [
        {"CORS_ORIGINS": "*", "CORS_SUPPORTS_CREDENTIALS": "true"},
        {"CORS_SUPPORTS_CREDENTIALS": "1"},  # origins left at the default '*'
        {"CORS_ORIGINS": "https://a.example, *", "CORS_SUPPORTS_CREDENTIALS": "yes"},
    ],
)
def test_star_with_credentials_from_the_environment_is_refused(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="supports_credentials=True"):
        CORSMiddleware.from_env(text_app, environ)


@pytest.mark.parametrize(
    "origins",
    [
        pytest.param(["https://a.example"], id="exact"),
        pytest.param([r"(null|https://a\.example)"], id="regex-matching-null"),
        pytest.param([re.compile(r"n.ll|https://a\.example")], id="compiled-matching-null"),
        pytest.param(["https://*.example.com", "http://localhost:*"], id="wildcards"),
    ],
)
def test_null_origin_is_never_allowed_by_name_or_pattern(origins: list[Any]) -> None:
    """Class: allowing ``Origin: null``, which any page can send from a sandboxed iframe, so allowing it
    allows everyone. Only ``"*"`` (never with credentials) lets it through."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)  # "this regex matches 'null'", by design
        test_app = client(origins=origins, supports_credentials=True)
    assert cors(test_app.get("/r", headers={"Origin": "null"})) == {}
    assert_refused_preflight(preflight(test_app, "null"))
    for spelling in ("null", "Null", " null"):
        with pytest.raises(ConfigError):
            CORSMiddleware(text_app, origins=[spelling, "https://a.example"])


# --- private network (CVE-2024-6221) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: CORSMiddleware(text_app), id="defaults"),
        pytest.param(lambda: CORSMiddleware.from_env(text_app, {}), id="from_env-defaults"),
        pytest.param(lambda: CORSMiddleware.from_mapping(text_app, {"CORS_ORIGINS": "*"}), id="from_mapping"),
        pytest.param(lambda: CORSMiddleware(text_app, automatic_options=False), id="app-answers-preflights"),
    ],
)
def test_private_network_header_is_never_sent_unless_enabled(make: Any) -> None:
    """flask-cors CVE-2024-6221: ``Access-Control-Allow-Private-Network: true`` sent by default let any
    website reach services on the visitor's private network. Not by default, on no kind of response."""
    test_app = TestApp(validator(make()))
    responses = [
        preflight(test_app, "https://a.example", access_control_request_private_network="true"),
        preflight(test_app, "https://a.example", "GET", access_control_request_private_network="true"),
        test_app.get("/r", headers={"Origin": "https://a.example", "Access-Control-Request-Private-Network": "true"}),
        test_app.get("/r", headers={"Access-Control-Request-Private-Network": "true"}),
    ]
    for response in responses:
        assert not any("private-network" in name.lower() for name, _ in response.headerlist), response.headerlist


def test_private_network_header_is_never_sent_on_a_refused_preflight() -> None:
    """Enabled, it still only goes with a successful preflight: refused origin, method or header get none."""
    test_app = client(origins="https://a.example", methods=["PUT"], allow_headers=["x-a"], allow_private_network=True)
    ok = preflight(test_app, "https://a.example", access_control_request_private_network="true")
    assert ok.headers[ACAPN] == "true"
    for origin, method, headers in (
        ("https://evil.example", "PUT", "x-a"),
        ("https://a.example", "DELETE", "x-a"),
        ("https://a.example", "PUT", "x-b"),
    ):
        response = preflight(
            test_app,
            origin,
            method,
            access_control_request_headers=headers,
            access_control_request_private_network="true",
        )
        assert_refused_preflight(response)


# --- paths: the rule that applies is the rule of the route that answers ---------------------------------

ADMIN = "https://admin.example"


def routed_app() -> Any:
    """A Flask application with a public and a private area; CORS is generous on one, strict on the other."""
    app = Flask(__name__)

    @app.route("/public/<path:rest>")
    def public(rest: str) -> str:
        return "public"

    @app.route("/private/<path:rest>")
    def private(rest: str) -> str:
        return "private"

    app.wsgi_app = CORSMiddleware(  # type: ignore[method-assign]
        app.wsgi_app,
        resources={
            # a broad compiled rule, listed first: flask-cors (< 6.0.1 and CVE-2024-6839) let it win
            re.compile(r"/.*"): {"origins": "*", "send_wildcard": True},
            "/private/*": {"origins": ADMIN, "supports_credentials": True},
        },
    )
    return app


PATH_VARIANTS = [
    "/private/data",
    "/public/data",
    "/Private/data",  # CVE-2024-6866: flask-cors matched paths case-insensitively
    "/PRIVATE/data",
    "/private+data",  # CVE-2024-6844: flask-cors turned '+' into a space
    "/private/a+b",
    "/public/x+y",
    "/%70rivate/data",  # a second percent-decoding (flask-cors unquote()s PATH_INFO again)
    "/public/%2e%2e/private/data",
    "/public/../private/data",  # CVE-2020-25032: '../' and the rule/route mismatch
    "/private/../public/data",
    "/public/..%2fprivate/data",
    "/private/./data",
    "/private//data",
    "/public/%2Fprivate/data",
    # werkzeug (Flask) and Falcon route "//private/data" like "/private/data": the rule is
    # chosen the same way (paths.routed_path), so the broad rule cannot apply to the private route.
    "//private/data",
    "///private/data",
    "//public/data",
]


@pytest.mark.parametrize("path", PATH_VARIANTS)
def test_cors_rule_is_the_rule_of_the_route_flask_serves(path: str) -> None:
    """Class: path rules matched on a *transformed* path (case-folded, ``+`` as space, decoded twice,
    ``../`` collapsed) or in an order where a broad rule beats a specific one. Each makes the CORS rule
    disagree with the route that really answers. Here the rule is chosen on ``PATH_INFO`` exactly as the
    router sees it, so whichever endpoint Flask runs, the response carries that area's CORS policy."""
    response = Client(routed_app()).get(
        "/", headers={"Origin": "https://evil.example"}, environ_overrides={"PATH_INFO": path}
    )
    served = response.get_data(as_text=True) if response.status_code == 200 else None
    if served == "private" or path.startswith("/private/"):
        assert ACAO not in response.headers, f"{path!r} served {served!r} with {dict(response.headers)!r}"
    else:
        assert response.headers.get(ACAO) == "*"
    admin = Client(routed_app()).get("/", headers={"Origin": ADMIN}, environ_overrides={"PATH_INFO": path})
    if admin.status_code == 200 and admin.get_data(as_text=True) == "private":
        assert admin.headers[ACAO] == ADMIN and admin.headers[ACAC] == "true"


# --- logging (CVE-2024-1681) ----------------------------------------------------------------------------

FORGE = "\r\nINFO forged: admin logged in\x1b[2J\x85"


@pytest.fixture
def cors_log() -> Any:
    """What a real handler with a real formatter writes for the cors_wsgi logger, at DEBUG."""
    logger = logging.getLogger("cors_wsgi")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def hostile_environs() -> list[dict[str, str]]:
    base = {"REQUEST_METHOD": "GET", "PATH_INFO": "/r", "HTTP_ORIGIN": "https://a.example"}
    preflight_base = {**base, "REQUEST_METHOD": "OPTIONS", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}
    return [
        {**base, "PATH_INFO": "/r" + FORGE},
        {**base, "HTTP_ORIGIN": "https://a.example" + FORGE},
        {**preflight_base, "HTTP_ORIGIN": "https://a.example" + FORGE},
        {**preflight_base, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT" + FORGE},
        {**preflight_base, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "x-a" + FORGE},
        {**preflight_base, "PATH_INFO": "/r" + FORGE, "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": "true" + FORGE},
        {**base, "REQUEST_METHOD": "GET" + FORGE},
        {**preflight_base, "REQUEST_METHOD": "OPTIONS" + FORGE},
    ]


@pytest.mark.parametrize("debug", [False, True], ids=["debug-logging", "debug=True-explanations"])
def test_request_values_cannot_forge_log_lines(cors_log: io.StringIO, debug: bool) -> None:
    """flask-cors CVE-2024-1681: request data logged with ``%s`` let a CR/LF in a path forge log lines.
    Every request value is ``repr()``-ed, so no control character reaches the log, and no log line can
    start with attacker text. (``debug=True`` writes multi-line explanations; their line breaks are the
    middleware's own.)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)  # debug=True warns "turn it off in production"
        middleware = CORSMiddleware(text_app, origins="https://a.example", debug=debug)
    for environ in hostile_environs():
        started: list[Any] = []
        middleware(environ, lambda status, headers, exc_info=None, into=started: into.append(headers))
        for name, value in started[0]:
            assert not any(char in value for char in "\r\n\x1b\x85"), (name, value)
    lines = cors_log.getvalue().split("\n")
    assert len(lines) > len(hostile_environs())
    for line in lines:
        assert line.isprintable(), repr(line)
        assert line == "" or line.startswith(("DEBUG cors_wsgi ", "  ")), repr(line)
        assert not line.lstrip().startswith("INFO forged"), repr(line)


# --- method and header names compared exactly -------------------------------------------------------------


@pytest.mark.parametrize(
    "requested",
    ["OS", "ET", "PU", "T, P", "GET, PUT", "PUT,", ",PUT", "put", "Put", " PUT", "PUT ", "PUTX", "XPUT", "DELETE"],
)
def test_method_is_compared_exactly_not_as_a_substring(requested: str) -> None:
    """Class: ``"OS" in "GET, POST"`` style checks of Access-Control-Request-Method. With unsafe headers
    (so that even GET/POST need the method list) every one of these is refused."""
    test_app = client(origins="https://a.example", methods=["GET", "POST", "PUT"], allow_headers=["x-a"])
    assert preflight(test_app, "https://a.example", "PUT", access_control_request_headers="x-a").status_int == 204
    response = preflight(test_app, "https://a.example", requested, access_control_request_headers="x-a")
    assert_refused_preflight(response)


@pytest.mark.parametrize(
    "requested",
    ["x-custom", "custom-header", "x-custom-header-evil", "x-custom-headers", "x-custom-header x-b", "x-custom_header"],
)
def test_header_names_are_compared_exactly(requested: str) -> None:
    test_app = client(origins="https://a.example", allow_headers=["X-Custom-Header", "Content-Type"])
    ok = preflight(test_app, "https://a.example", access_control_request_headers="content-type,x-custom-header")
    assert ok.status_int == 204
    assert_refused_preflight(preflight(test_app, "https://a.example", access_control_request_headers=requested))


def test_acrh_split_over_many_lines_is_bounded_too() -> None:
    """Class: unbounded Access-Control-Request-Headers parsing (the cost side is in
    test_bounded_cost.py). Proxies may split the list over many header lines, each small; the server
    joins them, and the joined value is what the cap applies to."""
    test_app = Client(CORSMiddleware(text_app, allow_headers=["x-a"]))
    lines = [("Access-Control-Request-Headers", "x-a, " * 24 + "x-a") for _ in range(40)]  # 40 x 124 bytes
    headers = [("Origin", "https://a.example"), ("Access-Control-Request-Method", "PUT"), *lines]
    response = test_app.open("/r", method="OPTIONS", headers=headers)
    assert response.status_code == 403
    assert not any(name.lower().startswith("access-control-") for name, _ in response.headers.items())
    few = [("Origin", "https://a.example"), ("Access-Control-Request-Method", "PUT"), *lines[:3]]
    assert test_app.open("/r", method="OPTIONS", headers=few).status_code == 204


# --- the application's own Access-Control-Allow-Origin ------------------------------------------------------


def own_acao_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    status = "500 Internal Server Error" if environ["PATH_INFO"] == "/error" else "200 OK"
    start_response(status, [("Content-Type", "text/plain"), ("access-control-allow-origin", "https://own.example")])
    return [b"own"]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="defaults"),
        pytest.param({"send_wildcard": True}, id="send_wildcard"),
        pytest.param({"origins": "https://a.example", "supports_credentials": True}, id="credentials"),
        pytest.param({"automatic_options": False, "origins": "https://a.example"}, id="app-answers-preflights"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        pytest.param("GET", "/r", {}, id="no-origin"),
        pytest.param("GET", "/r", {"Origin": "https://a.example"}, id="allowed"),
        pytest.param("GET", "/r", {"Origin": "https://evil.example"}, id="refused"),
        pytest.param("GET", "/error", {"Origin": "https://a.example"}, id="5xx"),
        pytest.param("OPTIONS", "/r", {"Origin": "https://a.example"}, id="options-without-acrm"),
    ],
)
def test_app_own_acao_is_the_only_one_on_every_kind_of_response(
    options: dict[str, Any], method: str, path: str, headers: dict[str, str]
) -> None:
    """Class: a second ACAO added next to the application's own (browsers then refuse the response, or
    a proxy keeps the wrong one). The application's CORS headers win; nothing, not even Vary, is added."""
    response = client(own_acao_app, **options).request(path, method=method, headers=headers, status="*")
    assert [(name, value) for name, value in response.headerlist if name.lower().startswith("access-control-")] == [
        ("access-control-allow-origin", "https://own.example")
    ]
    assert "Vary" not in response.headers


def test_app_own_acao_on_a_preflight_the_app_answers() -> None:
    test_app = client(own_acao_app, automatic_options=False, origins="https://a.example", supports_credentials=True)
    for origin in ("https://a.example", "https://evil.example"):
        response = preflight(test_app, origin, access_control_request_headers="x-a")
        assert cors(response) == {"access-control-allow-origin": "https://own.example"}


# --- failed preflights disclose nothing ---------------------------------------------------------------------

SECRET_POLICY: dict[str, Any] = {
    "origins": [
        "https://secret-partner.example",
        "https://*.internal-team.example",
        r"https://app\d+\.hidden\.example",
    ],
    "methods": ["GET", "PATCH"],
    "allow_headers": ["X-Secret-Token", r"x-tenant-\d+"],
    "expose_headers": ["X-Internal-Trace"],
    "supports_credentials": True,
    "max_age": 7123,
    "allow_private_network": True,
}
SECRETS = [
    "secret-partner",
    "internal-team",
    "hidden",
    "PATCH",
    "x-secret-token",
    "X-Secret-Token",
    "tenant",
    "X-Internal-Trace",
    "7123",
    "true",
]


@pytest.mark.parametrize(
    ("origin", "method", "extra"),
    [
        pytest.param("https://evil.example", "PATCH", {}, id="origin-not-allowed"),
        pytest.param("https://secret-partner.example.evil.test", "PATCH", {}, id="origin-lookalike"),
        pytest.param("https://secret-partner.example/", "PATCH", {}, id="origin-malformed"),
        pytest.param("", "PATCH", {}, id="origin-empty"),
        pytest.param("https://secret-partner.example", "DELETE", {}, id="method-not-allowed"),
        pytest.param("https://secret-partner.example", "PATCH ", {}, id="method-malformed"),
        pytest.param(
            "https://secret-partner.example", "PATCH", {"access_control_request_headers": "x-other"}, id="header"
        ),
        pytest.param(
            "https://secret-partner.example", "PATCH", {"access_control_request_headers": "*"}, id="header-star"
        ),
        pytest.param(
            "https://secret-partner.example", "PATCH", {"access_control_request_headers": "x a"}, id="headers-malformed"
        ),
        pytest.param(
            "https://secret-partner.example",
            "PATCH",
            {"access_control_request_headers": "x-secret-token," * 400},
            id="headers-oversized",
        ),
        pytest.param(
            "https://evil.example", "PATCH", {"access_control_request_private_network": "true"}, id="private-network"
        ),
    ],
)
def test_failed_preflight_discloses_nothing_of_the_policy(origin: str, method: str, extra: dict[str, str]) -> None:
    """Class: a failed preflight answered with the full allow-lists (flask-cors answers 200 with them),
    which tells anyone which origins, methods and headers the API trusts. Here: 403, an empty body, no
    ``Access-Control-*`` header, and no configured value anywhere in the response."""
    response = preflight(client(**SECRET_POLICY), origin, method, **extra)
    assert_refused_preflight(response)
    everything = " ".join(f"{name}: {value}" for name, value in response.headerlist) + response.text
    leaked = [secret for secret in SECRETS if secret.lower() in everything.lower()]
    assert leaked == [], response.headerlist
