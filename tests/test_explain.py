"""explain(): every verdict path, its agreement with what the middleware sends, and debug mode."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from webtest import TestApp

from cors_wsgi import CORSConfigWarning, CORSMiddleware, Explanation

APP_ORIGIN = "https://app.example.com"
ACRM = "Access-Control-Request-Method"
ACRH = "Access-Control-Request-Headers"


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def make(**options: Any) -> CORSMiddleware:
    defaults: dict[str, Any] = {
        "resources": {r"/api/*": {}, r"/public/*": {"origins": "*", "send_wildcard": True}},
        "origins": [APP_ORIGIN],
        "methods": ["GET", "PUT"],
        "allow_headers": ["content-type", "x-token"],
    }
    return CORSMiddleware(hello, **{**defaults, **options})


MW = make()


@pytest.mark.parametrize(
    ("method", "path", "headers", "kind", "allowed", "code", "subject", "status", "reason_part", "fix_part"),
    [
        ("GET", "/other", {"Origin": APP_ORIGIN}, "path not covered", False, "path-not-covered", "", None,
         "no resources pattern covers '/other'", "add a pattern covering '/other' to resources"),
        ("GET", "/api/x", {}, "not CORS", False, "no-origin", "", None, "no Origin header", None),
        ("GET", "/api/x", {"Origin": APP_ORIGIN}, "actual", True, "allowed", "", None,
         "origin 'https://app.example.com' is allowed by rule '/api/*'", None),
        ("GET", "/api/x", {"Origin": "https://evil.example.com"}, "actual", False, "origin-not-allowed",
         "https://evil.example.com", None, "still reached the application",
         "add 'https://evil.example.com' to origins"),
        ("GET", "/api/x", {"Origin": "https://app.example.com/"}, "actual", False, "origin-malformed",
         "https://app.example.com/", None, "is not an origin as browsers send it", None),
        ("GET", "/public/x", {"Origin": "https://anyone.example"}, "actual", True, "allowed", "", None,
         "send_wildcard is on", None),
        ("OPTIONS", "/api/x", {"Origin": APP_ORIGIN, ACRM: "PUT", ACRH: "X-Token"}, "preflight", True,
         "allowed", "", 204, "every requested header are allowed", None),
        ("OPTIONS", "/api/x", {"Origin": "https://evil.example.com", ACRM: "PUT"}, "preflight", False,
         "origin-not-allowed", "https://evil.example.com", 403, "is not allowed by origins", "to origins"),
        ("OPTIONS", "/api/x", {"Origin": "null", ACRM: "PUT"}, "preflight", False,
         "origin-malformed", "null", 403, "is not an origin as browsers send it", None),
        ("OPTIONS", "/api/x", {"Origin": APP_ORIGIN, ACRM: "PATCH"}, "preflight", False,
         "method-not-allowed", "PATCH", 403, "method 'PATCH' is not in methods (GET, PUT)", "add 'PATCH' to methods"),
        ("OPTIONS", "/api/x", {"Origin": APP_ORIGIN, ACRM: "P U T"}, "preflight", False,
         "method-malformed", "P U T", 403, "is not a method name", None),
        ("OPTIONS", "/api/x", {"Origin": APP_ORIGIN, ACRM: "PUT", ACRH: "x-token, x-foo"}, "preflight", False,
         "header-not-allowed", "x-foo", 403, "'x-foo' is not matched by allow_headers ('content-type', 'x-token')",
         "add 'x-foo' to allow_headers"),
        ("OPTIONS", "/api/x", {"Origin": APP_ORIGIN, ACRM: "PUT", ACRH: "*"}, "preflight", False,
         "header-not-allowed", "*", 403, "names '*'", None),
        ("OPTIONS", "/api/x", {"Origin": APP_ORIGIN, ACRM: "PUT", ACRH: "x-token,,\x00"}, "preflight", False,
         "headers-malformed", "x-token,,\x00", 403, "malformed or oversized", None),
        ("OPTIONS", "/api/x", {"Origin": APP_ORIGIN, ACRM: "PUT", ACRH: "a," * 3000}, "preflight", False,
         "headers-malformed", ("a," * 3000)[:100], 403, "malformed or oversized", None),
    ],
)  # fmt: skip
def test_each_verdict(method, path, headers, kind, allowed, code, subject, status, reason_part, fix_part) -> None:
    explanation = MW.explain(method, path, headers)
    assert isinstance(explanation, Explanation)
    assert (explanation.kind, explanation.allowed, explanation.code, explanation.subject, explanation.status) == (
        kind,
        allowed,
        code,
        subject,
        status,
    )
    assert reason_part in explanation.reason
    if fix_part is None:
        assert explanation.fix is None
    else:
        assert explanation.fix is not None and fix_part in explanation.fix
    assert explanation.rule == (None if kind == "path not covered" else path.rsplit("/", 1)[0] + "/*")


def test_str_is_one_block_with_request_values_repr_escaped() -> None:
    text = str(MW.explain("GET", "/api/\r\nx", {"Origin": "https://evil\r\n.example"}))
    assert "\r" not in text and text.count("\n") >= 2
    assert text.splitlines()[0] == "actual GET '/api/\\r\\nx' from 'https://evil\\r\\n.example': rejected"
    assert "  rule:    '/api/*'" in text and "  sends:   Vary: Origin" in text


def test_as_dict_is_json_serialisable() -> None:
    data = MW.explain("OPTIONS", "/api/x", {"Origin": APP_ORIGIN, ACRM: "PUT"}).as_dict()
    assert json.loads(json.dumps(data))["headers"][0] == ["Access-Control-Allow-Origin", APP_ORIGIN]
    assert data["code"] == "allowed" and data["status"] == 204


# --- explain() and the middleware never disagree --------------------------------------------------------

ORIGINS = st.sampled_from([APP_ORIGIN, "https://evil.example.com", "null", "https://app.example.com.evil", ""])
HEADER_LISTS = st.sampled_from([None, "x-token", "X-Token, content-type", "x-foo", "*", "", "a,,b"])
METHODS = st.sampled_from(["GET", "PUT", "PATCH", "POST", "OPTIONS", "put", "P T"])
PATHS = st.sampled_from(["/api/x", "/public/y", "/other", "/api", "/API/x"])


@settings(max_examples=300, deadline=None)
@given(
    request_method=st.sampled_from(["GET", "POST", "OPTIONS", "PUT"]),
    path=PATHS,
    origin=st.one_of(st.none(), ORIGINS),
    acrm=st.one_of(st.none(), METHODS),
    acrh=HEADER_LISTS,
    debug=st.booleans(),
)
def test_explain_agrees_with_the_middleware(request_method, path, origin, acrm, acrh, debug) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        mw = make(debug=debug)
    headers = {"Origin": origin, ACRM: acrm, ACRH: acrh}
    headers = {name: value for name, value in headers.items() if value is not None}
    explanation = mw.explain(request_method, path, headers)
    environ = {"REQUEST_METHOD": request_method, "PATH_INFO": path}
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"] = int(status[:3])
        seen["headers"] = response_headers
        return lambda data: None

    list(mw(environ, start_response))
    sent = tuple((k, v) for k, v in seen["headers"] if k.startswith("Access-Control-") or k in ("Vary", "X-CORS-Debug"))
    assert sorted(sent) == sorted(explanation.headers)
    if explanation.status is not None:
        assert seen["status"] == explanation.status
    else:
        assert seen["status"] == 200  # the application answered
    # The two views of one request agree on whether the browser would be let through.
    assert explanation.allowed == any(k == "Access-Control-Allow-Origin" for k, _ in sent) or (
        debug and explanation.code in ("method-not-allowed", "header-not-allowed", "method-malformed",
                                       "headers-malformed")
    )  # fmt: skip


# --- debug mode ------------------------------------------------------------------------------------------


def debug_client(**options: Any) -> TestApp:
    with pytest.warns(CORSConfigWarning, match="discloses configuration"):
        mw = make(debug=True, **options)
    return TestApp(mw)


def test_debug_warns_once_at_construction() -> None:
    with pytest.warns(CORSConfigWarning) as record:
        make(debug=True)
    assert [str(w.message) for w in record if "debug" in str(w.message)] == [
        "debug=True: failed preflights from allowed origins are answered with the allowed methods and headers "
        "and an X-CORS-Debug reason: this discloses configuration, so turn it off in production"
    ]


def test_debug_refused_header_from_allowed_origin_names_what_is_allowed() -> None:
    response = debug_client().options(
        "/api/x", headers={"Origin": APP_ORIGIN, ACRM: "PUT", ACRH: "x-token, x-foo"}, status="*"
    )
    # 2xx, so the browser gets as far as the header check and names x-foo in its console.
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Access-Control-Allow-Headers"] == "x-token"
    assert "x-foo" not in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["X-CORS-Debug"] == "request header 'x-foo' not allowed (rule '/api/*')"


def test_debug_refused_method_from_allowed_origin_lists_allowed_methods() -> None:
    response = debug_client().options("/api/x", headers={"Origin": APP_ORIGIN, ACRM: "DELETE"}, status="*")
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert "method 'DELETE' not allowed" in response.headers["X-CORS-Debug"]


@pytest.mark.parametrize("method", ["POST", "GET", "HEAD"])
def test_debug_refused_safelisted_method_is_a_403_the_browser_blocks(method: str) -> None:
    """A refused GET/HEAD/POST (unsafe header, method not in ``methods``) must not be a 204: browsers
    never check safelisted methods against Allow-Methods, so a 204 would let the request through."""
    client = debug_client(methods=["PUT"])
    response = client.options("/api/x", headers={"Origin": APP_ORIGIN, ACRM: method, ACRH: "x-token"}, status="*")
    assert response.status_int == 403
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert f"method {method!r} not allowed" in response.headers["X-CORS-Debug"]
    assert "Access-Control-Allow-Methods" not in response.headers
    assert "Access-Control-Allow-Headers" not in response.headers
    # Without the unsafe header the browser needs no method check: allowed, as without debug.
    assert client.options("/api/x", headers={"Origin": APP_ORIGIN, ACRM: method}).status_int == 204


def test_explanation_text_cannot_be_forged_and_stays_short() -> None:
    """The method, path and origin are written so that CR/LF cannot start a new line, and a 256 KiB
    Origin does not make a 256 KiB log line."""
    text = str(MW.explain("GET\r\nINFO forged", "/api/x\nINFO forged", {"Origin": "https://a" + "x" * 262_144}))
    first = text.split("\n")[0]
    assert "'GET\\r\\nINFO forged'" in first and "'/api/x\\nINFO forged'" in first
    assert "(262153 characters)" in first and len(first) < 600
    assert all(line.startswith("  ") for line in text.split("\n")[1:])


def test_debug_malformed_request_from_allowed_origin_stays_403_with_a_reason() -> None:
    response = debug_client().options("/api/x", headers={"Origin": APP_ORIGIN, ACRM: "P U T"}, status="*")
    assert response.status_int == 403
    assert "malformed Access-Control-Request-Method" in response.headers["X-CORS-Debug"]
    assert "Access-Control-Allow-Methods" not in response.headers


@pytest.mark.parametrize("origin", ["https://evil.example.com", "null", "https://app.example.com.evil.test"])
def test_debug_never_tells_a_rejected_origin_anything(origin: str) -> None:
    client = debug_client()
    preflight = client.options("/api/x", headers={"Origin": origin, ACRM: "DELETE", ACRH: "x-foo"}, status="*")
    assert preflight.status_int == 403
    assert not [k for k in preflight.headers if k.startswith("Access-Control-") or k == "X-CORS-Debug"]
    actual = client.get("/api/x", headers={"Origin": origin})
    assert not [k for k in actual.headers if k.startswith("Access-Control-") or k == "X-CORS-Debug"]


def test_without_debug_a_refused_header_gets_a_bare_403() -> None:
    response = TestApp(make()).options("/api/x", headers={"Origin": APP_ORIGIN, ACRM: "PUT", ACRH: "x-foo"}, status="*")
    assert response.status_int == 403
    assert not [k for k in response.headers if k.startswith("Access-Control-") or k == "X-CORS-Debug"]


def test_debug_can_be_set_per_resource() -> None:
    with pytest.warns(CORSConfigWarning, match="resources\\['/api/\\*'\\].debug"):
        mw = make(resources={r"/api/*": {"debug": True}, r"/v2/*": {}})
    client = TestApp(mw)
    refused = {"Origin": APP_ORIGIN, ACRM: "DELETE"}
    assert client.options("/api/x", headers=refused, status="*").status_int == 204
    assert client.options("/v2/x", headers=refused, status="*").status_int == 403


def test_debug_log_lines_carry_the_explanation(caplog: pytest.LogCaptureFixture) -> None:
    client = debug_client()
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        client.options("/api/x", headers={"Origin": APP_ORIGIN, ACRM: "PUT", ACRH: "x-foo"}, status="*")
    messages = [record.getMessage() for record in caplog.records if record.name == "cors_wsgi"]
    assert any(
        "reason:  request header 'x-foo' is not matched by allow_headers" in m and "fix:     add 'x-foo'" in m
        for m in messages
    )


def test_without_debug_log_lines_are_one_line_reasons(caplog: pytest.LogCaptureFixture) -> None:
    client = TestApp(make())
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        client.options("/api/x", headers={"Origin": APP_ORIGIN, ACRM: "PUT", ACRH: "x-foo"}, status="*")
    messages = [record.getMessage() for record in caplog.records if record.name == "cors_wsgi"]
    assert messages and all("\n" not in m for m in messages)
    assert any("request header 'x-foo' not allowed" in m for m in messages)


def test_debug_header_stays_latin_1_for_a_non_latin_1_pattern() -> None:
    """X-CORS-Debug names the rule; a pattern like "/日本/*" must not put non-latin-1 text in a header."""
    with pytest.warns(CORSConfigWarning):
        mw = CORSMiddleware(hello, resources={"/日本/*": {}}, origins=[APP_ORIGIN], allow_headers=["x-a"], debug=True)
    path = "/日本/x".encode().decode("latin-1")  # as a PEP 3333 server hands it over
    environ = {
        "REQUEST_METHOD": "OPTIONS",
        "PATH_INFO": path,
        "HTTP_ORIGIN": APP_ORIGIN,
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "x-b",
    }
    started: list[Any] = []
    mw(environ, lambda status, headers, exc_info=None: started.append(headers))
    value = dict(started[0])["X-CORS-Debug"]
    value.encode("latin-1")
    assert "\\u65e5\\u672c" in value
