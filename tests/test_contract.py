"""The behaviour promised in product-contract.md, one table per rule family, through real clients."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any
from wsgiref.validate import validator

import pytest
from webtest import TestApp
from werkzeug.test import Client

from cors_wsgi import ConfigError, CORSMiddleware
from cors_wsgi.options import ORIGINS

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class RecordingApp:
    """A WSGI app that counts its calls and answers with a configurable status and headers."""

    def __init__(self, status: str = "200 OK", headers: list[tuple[str, str]] | None = None) -> None:
        self.calls = 0
        self.status = status
        self.headers = headers if headers is not None else [("Content-Type", "text/plain")]

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response(self.status, list(self.headers))
        return [b"app body"]


def client(app=None, **options) -> TestApp:
    """webtest around the middleware, with PEP 3333 checked on both sides of it."""
    return TestApp(validator(CORSMiddleware(validator(app or RecordingApp()), **options)))


def cors_headers(response) -> dict[str, str]:
    return {name: value for name, value in response.headerlist if name.lower().startswith("access-control-")}


def preflight(
    test_app: TestApp, path="/r", origin="https://a.example", method="PUT", headers=None, status="*", **extra
):
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    if headers is not None:
        request_headers["Access-Control-Request-Headers"] = headers
    return test_app.options(path, headers=request_headers, status=status)


# --- defaults: flask-cors' --------------------------------------------------------------------------


def test_defaults_reflect_any_origin_with_vary() -> None:
    response = client().get("/anything", headers={"Origin": "https://a.example"})
    assert cors_headers(response) == {ACAO: "https://a.example"}
    assert response.headers.getall("Vary") == ["Origin"]


def test_defaults_no_origin_gets_wildcard_because_always_send() -> None:
    response = client().get("/")
    assert cors_headers(response) == {ACAO: "*"}
    assert response.headers["Vary"] == "Origin"


def test_defaults_preflight_lists_all_seven_methods_and_echoes_headers() -> None:
    app = RecordingApp()
    response = preflight(client(app), headers="x-custom,content-type")
    assert response.status_int == 204
    assert response.body == b""
    assert cors_headers(response) == {
        ACAO: "https://a.example",
        ACAM: "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE",
        ACAH: "x-custom, content-type",
    }
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert app.calls == 0


# --- origins ------------------------------------------------------------------------------------------

ORIGIN_TABLE = [
    # (origins option, request Origin, expected ACAO or None)
    ("*", "https://any.example", "https://any.example"),
    ("*", "null", "null"),
    ("*", "https://bad.example/path", None),
    ("https://a.example", "https://a.example", "https://a.example"),
    ("https://a.example", "https://A.example", None),
    ("https://a.example", "https://a.example/", None),
    ("https://a.example", "http://a.example", None),
    ("https://a.example", "https://a.example.evil.test", None),
    (["https://a.example", "https://b.example"], "https://b.example", "https://b.example"),
    ("https://a.example, https://b.example", "https://b.example", "https://b.example"),
    ("https://*.example.com", "https://api.example.com", "https://api.example.com"),
    ("https://*.example.com", "https://a.b.example.com", "https://a.b.example.com"),
    ("https://*.example.com", "https://example.com", None),
    ("https://*.example.com", "https://evilexample.com", None),
    ("https://*.example.com", "http://api.example.com", None),
    ("https://*.example.com", "https://api.example.com:8443", None),
    ("https://*.example.com:8443", "https://api.example.com:8443", "https://api.example.com:8443"),
    ("http://localhost:*", "http://localhost:3000", "http://localhost:3000"),
    ("http://localhost:*", "http://localhost", "http://localhost"),
    ("http://localhost:*", "http://localhost.evil.test:3000", None),
    ("http://[::1]:8080", "http://[::1]:8080", "http://[::1]:8080"),
    (r"https://app\d+\.example\.com", "https://app7.example.com", "https://app7.example.com"),
    (r"https://app\d+\.example\.com", "https://app7.example.com.evil.test", None),
    (re.compile(r"https://(a|b)\.example\.com"), "https://b.example.com", "https://b.example.com"),
    (re.compile(r"https://(a|b)\.example\.com"), "https://c.example.com", None),
]


@pytest.mark.parametrize(("origins", "origin", "expected"), ORIGIN_TABLE)
def test_origin_forms(origins, origin, expected) -> None:
    response = client(origins=origins).get("/r", headers={"Origin": origin})
    assert response.headers.get(ACAO) == expected
    assert response.headers["Vary"] == "Origin"


def test_exact_origins_are_a_hash_lookup_in_their_number() -> None:
    many = [f"https://app{i}.example.com" for i in range(1000)]
    mw = CORSMiddleware(RecordingApp(), origins=many)
    matcher = mw.policy.lookup("/x").settings[ORIGINS]  # type: ignore[union-attr]
    assert isinstance(matcher.exact, frozenset)
    assert len(matcher.exact) == 1000
    assert matcher.patterns == ()


# --- paths (resources) --------------------------------------------------------------------------------

PATH_TABLE = [
    (r"/*", "/", True),
    (r"/*", "/anything/at/all", True),
    (r"/api/*", "/api", True),
    (r"/api/*", "/api/", True),
    (r"/api/*", "/api/v1/users", True),
    (r"/api/*", "/apiary", False),
    (r"/api/*", "/API/v1", False),
    (r"/api/*", "/v1/api/x", False),
    (r"/test_acl*", "/test_acl", True),
    (r"/test_acl*", "/test_acl_abort_404", True),
    (r"/test_acl*", "/test_ac", False),
    (r"/test_acl*", "/x/test_acl", False),
    ("/users", "/users", True),
    ("/users", "/users/1", False),
    ("/users", "/Users", False),
    (r"/api/v\d+/items", "/api/v2/items", True),
    (r"/api/v\d+/items", "/api/v2/items/3", False),
    (re.compile(r"/x/\w+"), "/x/abc", True),
    (re.compile(r"/x/\w+"), "/x/abc/def", False),
    (r"/service\+path", "/service+path", True),
    (r"/service\+path", "/service path", False),
    (r"/api/*", "/api/a%2Fb", True),
    (r"/api/*", "/api/x\ny", True),
]


@pytest.mark.parametrize(("pattern", "path", "covered"), PATH_TABLE)
def test_path_table(pattern, path, covered) -> None:
    mw = CORSMiddleware(RecordingApp(), resources=pattern)
    response = TestApp(mw).get("/", headers={"Origin": "https://a.example"}, extra_environ={"PATH_INFO": path})
    assert (ACAO in response.headers) is covered
    assert ("Vary" in response.headers) is covered


@pytest.mark.parametrize(
    ("path", "expected_origin"),
    [
        ("/api/public/data", "*"),  # more slashes beats the broad rule
        ("/api/private", None),  # the broad rule, which does not allow this origin
        ("/api/exact", "https://exact.example"),  # literal paths first
    ],
)
def test_most_specific_resource_wins(path, expected_origin) -> None:
    mw = CORSMiddleware(
        RecordingApp(),
        resources={
            r"/api/*": {"origins": "https://only.example"},
            r"/api/public/*": {"origins": "*", "send_wildcard": True},
            "/api/exact": {"origins": "https://exact.example"},
        },
    )
    origin = expected_origin if expected_origin not in (None, "*") else "https://exact.example"
    response = TestApp(mw).get(path, headers={"Origin": origin})
    assert response.headers.get(ACAO) == expected_origin


def test_path_is_not_decoded_again() -> None:
    """`%2e%2e` arrives decoded once by the server; a second decode must not happen (CVE-2024-6844)."""
    mw = CORSMiddleware(RecordingApp(), resources=[r"/api/*"])
    response = TestApp(mw).get("/", headers={"Origin": "https://a.example"}, extra_environ={"PATH_INFO": "/%61pi/x"})
    assert ACAO not in response.headers


def test_uncovered_path_passes_through_untouched() -> None:
    app = RecordingApp()
    test_app = client(app, resources=r"/api/*")
    response = test_app.get("/other", headers={"Origin": "https://a.example"})
    assert cors_headers(response) == {}
    assert "Vary" not in response.headers
    options = test_app.options(
        "/other", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "PUT"}
    )
    assert app.calls == 2  # the preflight on an uncovered path went to the application
    assert cors_headers(options) == {}


def test_resource_options_override_keywords() -> None:
    mw = CORSMiddleware(
        RecordingApp(),
        origins="https://kw.example",
        max_age=10,
        resources={r"/api/*": {"max_age": 600}, r"/other/*": {}},
    )
    test_app = TestApp(mw)
    assert preflight(test_app, "/api/x", origin="https://kw.example").headers[ACMA] == "600"
    assert preflight(test_app, "/other/x", origin="https://kw.example").headers[ACMA] == "10"


# --- preflight ----------------------------------------------------------------------------------------

PREFLIGHT_TABLE = [
    # (options, origin, method, request headers, expected status, expected ACAH)
    ({}, "https://a.example", "PUT", None, 204, None),
    ({}, "https://a.example", "PUT", "X-A, x-b", 204, "x-a, x-b"),
    ({}, "https://a.example", "PUT", "x-a,x-a", 204, "x-a"),
    ({}, "https://a.example", "put", None, 403, None),  # ACRM is case-sensitive
    ({}, "https://a.example", "PROPFIND", None, 403, None),
    ({"methods": "*"}, "https://a.example", "PROPFIND", None, 204, None),
    ({"methods": ["PUT"]}, "https://a.example", "DELETE", None, 403, None),
    ({"methods": ["PUT"]}, "https://a.example", "POST", None, 204, None),  # safelisted, no headers
    ({"methods": ["PUT"]}, "https://a.example", "POST", "x-a", 403, None),  # safelisted + unsafe header
    ({"allow_headers": ["X-A"]}, "https://a.example", "PUT", "x-a", 204, "x-a"),
    ({"allow_headers": ["X-A"]}, "https://a.example", "PUT", "x-a,x-b", 403, None),
    ({"allow_headers": [r"X-Company-.*"]}, "https://a.example", "PUT", "x-company-id", 204, "x-company-id"),
    ({"allow_headers": [r"X-Company-.*"]}, "https://a.example", "PUT", "x-companyid", 403, None),
    ({"allow_headers": [r"X-Company-.*"]}, "https://a.example", "PUT", "y-x-company-id", 403, None),
    ({}, "https://a.example", "PUT", "authorization", 204, "authorization"),
    ({}, "https://a.example", "PUT", "", 403, None),
    ({}, "https://a.example", "PUT", "x a", 403, None),
    ({}, "https://a.example", "", None, 403, None),
    ({}, "", "PUT", None, 403, None),
    ({}, "https://a.example/", "PUT", None, 403, None),
    ({"origins": "https://b.example"}, "https://a.example", "PUT", None, 403, None),
]


@pytest.mark.parametrize(("options", "origin", "method", "headers", "status", "acah"), PREFLIGHT_TABLE)
def test_preflight_table(options, origin, method, headers, status, acah) -> None:
    app = RecordingApp()
    response = preflight(client(app, **options), origin=origin, method=method, headers=headers)
    assert response.status_int == status
    assert response.body == b""
    assert app.calls == 0
    assert response.headers["Vary"] == PREFLIGHT_VARY
    if status == 204:
        assert response.headers[ACAO] == origin
        assert response.headers.get(ACAH) == acah
        assert ACAM in response.headers
    else:
        assert cors_headers(response) == {}, "a failed preflight must not disclose the policy"


def test_preflight_with_methods_star_echoes_the_method() -> None:
    response = preflight(client(methods="*"), method="PURGE")
    assert response.headers[ACAM] == "PURGE"


def test_preflight_acrh_from_several_header_lines_is_tolerated() -> None:
    mw = CORSMiddleware(RecordingApp(), allow_headers=["X-A", "X-B"])
    response = Client(mw).open(
        "/r",
        method="OPTIONS",
        headers=[
            ("Origin", "https://a.example"),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "x-a"),
            ("Access-Control-Request-Headers", "X-B"),
        ],
    )
    assert response.status_code == 204
    assert response.headers[ACAH] in ("x-a, x-b", "x-b, x-a")


def test_preflight_oversized_acrh_fails() -> None:
    response = preflight(client(), headers="x-a," * 2048)
    assert response.status_int == 403
    assert cors_headers(response) == {}


@pytest.mark.parametrize(("max_age", "expected"), [(600, "600"), (timedelta(hours=1), "3600"), (0, "0"), (None, None)])
def test_max_age(max_age, expected) -> None:
    response = preflight(client(max_age=max_age))
    assert response.headers.get(ACMA) == expected


def test_credentials_on_preflight_and_actual() -> None:
    test_app = client(origins=["https://a.example"], supports_credentials=True)
    assert preflight(test_app).headers[ACAC] == "true"
    response = test_app.get("/r", headers={"Origin": "https://a.example"})
    assert response.headers[ACAC] == "true"
    assert response.headers[ACAO] == "https://a.example"
    rejected = test_app.get("/r", headers={"Origin": "https://b.example"})
    assert cors_headers(rejected) == {}


def test_no_credentials_header_by_default() -> None:
    assert ACAC not in preflight(client()).headers
    assert ACAC not in client().get("/r", headers={"Origin": "https://a.example"}).headers


@pytest.mark.parametrize(
    ("allow", "request_header", "expected"),
    [(True, "true", "true"), (True, None, None), (False, "true", None), (True, "false", None)],
)
def test_private_network(allow, request_header, expected) -> None:
    extra = {} if request_header is None else {"Access-Control-Request-Private-Network": request_header}
    response = preflight(client(allow_private_network=allow, origins=["https://a.example"]), **extra)
    assert response.status_int == 204
    assert response.headers.get(ACAPN) == expected
    vary = [item.strip() for item in response.headers["Vary"].split(",")]
    # The answer depends on Access-Control-Request-Private-Network only where it was granted.
    assert ("Access-Control-Request-Private-Network" in vary) == (expected == "true")


def test_private_network_is_refused_with_any_origin() -> None:
    with pytest.raises(ConfigError, match=r"allow_private_network.*private-network server"):
        CORSMiddleware(RecordingApp(), allow_private_network=True)


def test_send_wildcard_on_preflight() -> None:
    response = preflight(client(send_wildcard=True))
    assert response.headers[ACAO] == "*"


# --- automatic_options=False ------------------------------------------------------------------------


def test_manual_options_success_adds_preflight_headers_to_app_answer() -> None:
    app = RecordingApp("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept")])
    response = preflight(client(app, automatic_options=False), headers="x-a")
    assert app.calls == 1
    assert response.status_int == 200
    assert response.body == b"app body"
    assert response.headers[ACAO] == "https://a.example"
    assert response.headers[ACAH] == "x-a"
    assert response.headers.getall("Vary") == ["Accept, " + PREFLIGHT_VARY]


def test_manual_options_failure_keeps_app_answer_and_adds_only_vary() -> None:
    app = RecordingApp("405 Method Not Allowed")
    response = preflight(client(app, automatic_options=False, origins="https://b.example"))
    assert app.calls == 1
    assert response.status_int == 405
    assert response.body == b"app body"
    assert cors_headers(response) == {}
    assert response.headers["Vary"] == PREFLIGHT_VARY


# --- actual requests ----------------------------------------------------------------------------------


def test_options_without_acrm_is_an_actual_request() -> None:
    app = RecordingApp()
    response = client(app).options("/r", headers={"Origin": "https://a.example"})
    assert app.calls == 1
    assert response.headers[ACAO] == "https://a.example"


def test_expose_headers() -> None:
    test_app = client(expose_headers=["X-Total", "X-Page"])
    response = test_app.get("/r", headers={"Origin": "https://a.example"})
    assert response.headers[ACEH] == "X-Total, X-Page"
    assert ACEH not in preflight(test_app).headers


@pytest.mark.parametrize(
    ("options", "origin", "acao", "vary"),
    [
        ({"send_wildcard": True}, "https://a.example", "*", None),
        ({"send_wildcard": True}, None, "*", None),
        ({"send_wildcard": True, "always_send": False}, None, None, "Origin"),
        ({"send_wildcard": True, "always_send": False}, "https://a.example", "*", "Origin"),
        ({"always_send": False}, None, None, "Origin"),
        ({"origins": "https://a.example"}, None, None, "Origin"),
        ({"origins": "https://a.example"}, "https://a.example", "https://a.example", "Origin"),
        ({"origins": "https://a.example"}, "https://b.example", None, "Origin"),
        ({"vary_header": False}, "https://a.example", "https://a.example", None),
        ({"vary_header": False, "origins": "https://a.example"}, "https://b.example", None, None),
    ],
)
def test_actual_request_table(options, origin, acao, vary) -> None:
    headers = {} if origin is None else {"Origin": origin}
    response = client(**options).get("/r", headers=headers)
    assert response.headers.get(ACAO) == acao
    assert response.headers.get("Vary") == vary


def test_vary_header_false_also_disables_preflight_vary() -> None:
    assert "Vary" not in preflight(client(vary_header=False)).headers
    assert "Vary" not in preflight(client(vary_header=False), origin="https://x.example/").headers


@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        ([("Vary", "Accept-Encoding")], ["Accept-Encoding, Origin"]),
        ([("Vary", "*")], ["*"]),
        ([("vary", "origin")], ["origin"]),
        ([("Vary", "Accept"), ("Vary", "Cookie")], ["Accept, Cookie, Origin"]),
    ],
)
def test_vary_is_merged_never_duplicated(app_vary, expected) -> None:
    app = RecordingApp(headers=[("Content-Type", "text/plain"), *app_vary])
    for origin in ("https://a.example", "https://b.example"):
        response = client(app, origins="https://a.example").get("/r", headers={"Origin": origin})
        assert [v for k, v in response.headerlist if k.lower() == "vary"] == expected


def test_app_own_acao_wins_and_nothing_is_added() -> None:
    app = RecordingApp(headers=[("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "https://own.example")])
    response = client(app, supports_credentials=True, origins="https://a.example").get(
        "/r", headers={"Origin": "https://a.example"}
    )
    assert [v for k, v in response.headerlist if k == ACAO] == ["https://own.example"]
    assert ACAC not in response.headers
    assert "Vary" not in response.headers


@pytest.mark.parametrize("status", ["404 Not Found", "500 Internal Server Error", "503 Service Unavailable"])
def test_error_responses_carry_cors_headers(status) -> None:
    response = client(RecordingApp(status)).get("/r", headers={"Origin": "https://a.example"}, status="*")
    assert response.headers[ACAO] == "https://a.example"


def test_intercept_exceptions_false_leaves_5xx_untouched_only() -> None:
    five = client(RecordingApp("500 Internal Server Error"), intercept_exceptions=False)
    response = five.get("/r", headers={"Origin": "https://a.example"}, status="*")
    assert cors_headers(response) == {}
    assert "Vary" not in response.headers
    four = client(RecordingApp("404 Not Found"), intercept_exceptions=False)
    assert four.get("/r", headers={"Origin": "https://a.example"}, status="*").headers[ACAO] == "https://a.example"


# --- decide(): the pure decision --------------------------------------------------------------------


def test_decide_matches_what_the_middleware_sends() -> None:
    mw = CORSMiddleware(RecordingApp(), resources={r"/api/*": {"origins": "https://a.example"}})
    test_app = TestApp(mw)
    cases = [
        ("GET", "/api/x", {"Origin": "https://a.example"}),
        ("GET", "/api/x", {"Origin": "https://b.example"}),
        ("GET", "/api/x", {}),
        ("GET", "/elsewhere", {"Origin": "https://a.example"}),
        ("OPTIONS", "/api/x", {"Origin": "https://a.example", "Access-Control-Request-Method": "PUT"}),
        ("OPTIONS", "/api/x", {"Origin": "https://b.example", "Access-Control-Request-Method": "PUT"}),
    ]
    for method, path, headers in cases:
        decision = mw.decide(method, path, headers)
        response = test_app.request(path, method=method, headers=headers, status="*")
        sent = {k: v for k, v in response.headerlist if k.startswith("Access-Control-") or k == "Vary"}
        assert sent == dict(decision.headers), (method, path, headers, decision)
        if decision.status is not None:
            assert response.status_int == decision.status


@pytest.mark.parametrize(
    ("method", "path", "headers", "kind", "allowed", "reason"),
    [
        ("GET", "/nope", {}, "path not covered", False, "no resources pattern covers the path"),
        ("GET", "/api", {}, "not CORS", False, "no Origin header: not a CORS request"),
        ("GET", "/api", {"origin": "https://a.example"}, "actual", True, "origin allowed"),
        ("GET", "/api", {"Origin": "https://z.example"}, "actual", False, "origin not allowed"),
        (
            "OPTIONS",
            "/api",
            {
                "Origin": "https://a.example",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "x-b",
            },
            "preflight",
            False,
            "request header 'x-b' not allowed",
        ),
        (
            "OPTIONS",
            "/api",
            {"Origin": "https://a.example", "Access-Control-Request-Method": "PATCH"},
            "preflight",
            False,
            "method 'PATCH' not allowed",
        ),
    ],
)
def test_decide_reasons(method, path, headers, kind, allowed, reason) -> None:
    mw = CORSMiddleware(
        RecordingApp(), resources=r"/api*", origins="https://a.example", methods=["PUT"], allow_headers=["x-a"]
    )
    decision = mw.decide(method, path, headers)
    assert (decision.kind, decision.allowed, decision.reason) == (kind, allowed, reason)


# --- logging --------------------------------------------------------------------------------------------


def test_logger_is_silent_by_default_and_has_a_null_handler() -> None:
    logger = logging.getLogger("cors_wsgi")
    assert any(isinstance(handler, logging.NullHandler) for handler in logger.handlers)


def test_debug_log_gives_the_reason_with_repr_of_request_values(caplog) -> None:
    test_app = client(origins="https://a.example")
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        test_app.get("/r", headers={"Origin": "https://b.example"})
        mw = CORSMiddleware(RecordingApp(), origins="https://a.example")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/evil\r\nINJECTED",
            "HTTP_ORIGIN": "https://x\r\nforged line",
        }
        mw(environ, lambda status, headers, exc_info=None: None)
    messages = [record.getMessage() for record in caplog.records if record.name == "cors_wsgi"]
    assert any("'https://b.example'" in message and "origin not allowed" in message for message in messages)
    assert all("\r" not in message and "\n" not in message for message in messages)
    assert any("'/evil\\r\\nINJECTED'" in message for message in messages)


def test_app_own_credentials_header_is_not_doubled() -> None:
    app = RecordingApp(headers=[("Content-Type", "text/plain"), ("Access-Control-Allow-Credentials", "true")])
    response = client(app, supports_credentials=True, origins="https://a.example").get(
        "/r", headers={"Origin": "https://a.example"}
    )
    assert [v for k, v in response.headerlist if k == ACAC] == ["true"]
    assert response.headers[ACAO] == "https://a.example"


@pytest.mark.parametrize(
    ("options", "acao"),
    [
        ({}, "https://evil.example"),  # origins="*": every origin is echoed
        ({"send_wildcard": True}, "*"),
        ({"origins": [re.compile(r"https://.*\.example")]}, "https://evil.example"),
    ],
)
@pytest.mark.parametrize("spelling", ["Access-Control-Allow-Credentials", "access-control-allow-credentials"])
def test_app_own_credentials_header_cannot_turn_a_rule_without_credentials_into_one(
    options: dict[str, Any], acao: str, spelling: str
) -> None:
    """An application that sets ``Access-Control-Allow-Credentials: true`` on a rule without
    ``supports_credentials`` must not get credentialed access for every origin: the configuration
    refuses ``*`` with credentials, and the application's header must not get around that."""
    app = RecordingApp(headers=[("Content-Type", "text/plain"), (spelling, "true")])
    response = client(app, **options).get("/r", headers={"Origin": "https://evil.example"})
    assert response.headers[ACAO] == acao
    assert ACAC not in response.headers
    # A rejected origin gets no ACAO, so the application's own header is left as it wrote it.
    rejected = client(app, origins="https://a.example").get("/r", headers={"Origin": "https://evil.example"})
    assert ACAO not in rejected.headers and rejected.headers[ACAC] == "true"


def test_exc_info_may_be_passed_by_keyword() -> None:
    """PEP 3333 names the parameter; servers accept it as a keyword, so the wrapper must too."""
    import sys

    def failing_app(environ, start_response):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], exc_info=sys.exc_info())
        return [b"error"]

    # Not under wsgiref.validate, which refuses keyword arguments although real servers accept them.
    response = TestApp(CORSMiddleware(failing_app)).get("/r", headers={"Origin": "https://a.example"}, status=500)
    assert response.headers[ACAO] == "https://a.example"


def test_compiled_patterns_are_case_insensitive() -> None:
    test_app = client(origins=[re.compile(r"https://App\.example\.com")], allow_headers=[re.compile(r"X-Custom-.*")])
    response = preflight(test_app, origin="https://app.example.com", headers="X-Custom-A")
    assert response.status_int == 204
    assert response.headers[ACAH] == "x-custom-a"


def test_a_specific_string_pattern_beats_a_broad_compiled_regex() -> None:
    mw = CORSMiddleware(
        RecordingApp(),
        resources={
            re.compile(r"/api/.*"): {"origins": "https://broad.example"},
            r"/api/v1/users/*": {"origins": "https://specific.example"},
        },
    )
    response = TestApp(mw).get("/api/v1/users/5", headers={"Origin": "https://specific.example"})
    assert response.headers.get(ACAO) == "https://specific.example"


def test_acrh_with_too_many_elements_fails_before_parsing() -> None:
    response = preflight(client(), headers="a," * 200)
    assert response.status_int == 403
    assert preflight(client(), headers="a," * 100).status_int == 204


def test_exact_origin_answers_are_precomputed_not_built_per_request() -> None:
    mw = CORSMiddleware(RecordingApp(), origins=["https://a.example", "https://*.b.example"])
    resource = mw.policy.lookup("/")
    assert resource is not None
    assert resource.actual("https://a.example") is resource.actual("https://a.example")
    assert resource.actual("https://x.b.example").headers[0] == (ACAO, "https://x.b.example")
