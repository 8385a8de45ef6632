"""``CORSMiddleware`` around a real Flask application (``app.wsgi_app = CORSMiddleware(app.wsgi_app, ...)``).

Each case runs through Flask's own test client (werkzeug) and through webtest's ``TestApp(app)``.
"""

from collections import Counter
from typing import NamedTuple

import pytest
from flask import Flask, abort, jsonify, make_response
from webtest import TestApp

from cors_wsgi import CORSMiddleware

ORIGIN = "https://app.example.com"
EVIL_ORIGIN = "https://evil.example.net"
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACEH = "Access-Control-Expose-Headers"


def make_app(**cors_options):
    """A Flask app with the routes below; ``app.view_calls`` counts how often each view ran."""
    app = Flask(__name__)
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False  # Flask answers its own 500 instead of re-raising
    calls = Counter()
    app.view_calls = calls

    @app.route("/api/items", methods=["GET", "PUT"])
    def items():
        calls["items"] += 1
        return "items"

    @app.route("/api/missing")
    def missing():
        calls["missing"] += 1
        abort(404)

    @app.route("/api/broken")
    def broken():
        calls["broken"] += 1
        raise RuntimeError("view failed")

    @app.route("/api/json")
    def as_json():
        calls["json"] += 1
        return jsonify(items=[1, 2], total=2)

    @app.route("/api/own-cors")
    def own_cors():
        calls["own-cors"] += 1
        response = make_response("own")
        response.headers[ACAO] = "https://own.example"
        return response

    @app.route("/public/data")
    def public_data():
        calls["public"] += 1
        return "public"

    @app.route("/other")
    def other():
        calls["other"] += 1
        return "other"

    app.wsgi_app = CORSMiddleware(app.wsgi_app, **cors_options)
    return app


class Result(NamedTuple):
    status: int
    headers: list
    body: bytes


@pytest.fixture(params=["flask", "webtest"])
def fetch(request):
    """``fetch(app, method, path, headers)`` through Flask's test client or webtest's TestApp."""

    def flask_client(app, method, path, headers):
        response = app.test_client().open(path, method=method, headers=headers)
        return Result(response.status_code, list(response.headers.items()), response.get_data())

    def webtest_client(app, method, path, headers):
        response = TestApp(app).request(path, method=method, headers=headers, expect_errors=True)
        return Result(response.status_int, response.headerlist, response.body)

    return flask_client if request.param == "flask" else webtest_client


def values(headers, name):
    return [value for key, value in headers if key.lower() == name.lower()]


def cors_headers(headers):
    return [(key, value) for key, value in headers if key.lower().startswith("access-control-")]


ROUTES = [
    pytest.param("/api/items", 200, "text/html; charset=utf-8", id="200"),
    pytest.param("/api/json", 200, "application/json", id="json"),
    pytest.param("/api/missing", 404, "text/html; charset=utf-8", id="404-abort"),
    pytest.param("/api/broken", 500, "text/html; charset=utf-8", id="500-exception"),
]


@pytest.mark.parametrize(("path", "status", "content_type"), ROUTES)
def test_allowed_origin_gets_acao_and_vary_on_every_status(fetch, path, status, content_type):
    """An allowed origin gets ACAO (its own value) and Vary: Origin on 200, JSON, 404 and Flask's 500."""
    res = fetch(make_app(origins=[ORIGIN]), "GET", path, {"Origin": ORIGIN})
    assert res.status == status
    assert values(res.headers, "Content-Type") == [content_type]
    assert cors_headers(res.headers) == [(ACAO, ORIGIN)]
    assert values(res.headers, "Vary") == ["Origin"]


@pytest.mark.parametrize(("path", "status", "content_type"), ROUTES)
def test_rejected_origin_gets_only_vary(fetch, path, status, content_type):
    """A rejected origin gets no Access-Control-* header, only Vary: Origin; the response is Flask's."""
    res = fetch(make_app(origins=[ORIGIN]), "GET", path, {"Origin": EVIL_ORIGIN})
    assert res.status == status
    assert values(res.headers, "Content-Type") == [content_type]
    assert cors_headers(res.headers) == []
    assert values(res.headers, "Vary") == ["Origin"]


def test_json_body_is_untouched(fetch):
    """The JSON body Flask produced arrives unchanged next to the CORS headers."""
    res = fetch(make_app(origins=[ORIGIN]), "GET", "/api/json", {"Origin": ORIGIN})
    assert res.body.replace(b" ", b"").strip() == b'{"items":[1,2],"total":2}'


def test_view_that_sets_its_own_acao_wins(fetch):
    """A view's own Access-Control-Allow-Origin goes out alone: the middleware adds nothing, not even Vary."""
    app = make_app(origins=[ORIGIN], supports_credentials=True, expose_headers=["X-Total-Count"])
    res = fetch(app, "GET", "/api/own-cors", {"Origin": ORIGIN})
    assert res.status == 200
    assert cors_headers(res.headers) == [(ACAO, "https://own.example")]
    assert values(res.headers, "Vary") == []


def test_preflight_is_answered_without_running_the_view(fetch):
    """A preflight for PUT with a custom header: 204 from the middleware; neither the view nor Flask's
    automatic OPTIONS handler runs."""
    app = make_app(origins=[ORIGIN], methods=["GET", "PUT"], allow_headers=["X-Custom"])
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-custom"}
    res = fetch(app, "OPTIONS", "/api/items", preflight)
    assert res.status == 204
    assert res.body == b""
    assert values(res.headers, "Allow") == []  # Flask's automatic OPTIONS answer would carry Allow
    assert values(res.headers, ACAO) == [ORIGIN]
    assert values(res.headers, "Access-Control-Allow-Methods") == ["GET, PUT"]
    assert values(res.headers, "Access-Control-Allow-Headers") == ["x-custom"]
    assert app.view_calls["items"] == 0

    put = fetch(app, "PUT", "/api/items", {"Origin": ORIGIN, "X-Custom": "1"})
    assert put.status == 200
    assert values(put.headers, ACAO) == [ORIGIN]
    assert app.view_calls["items"] == 1


def test_failed_preflight_does_not_run_the_view(fetch):
    """A preflight asking for a header that is not allowed: 403 without Access-Control-*; the view never runs."""
    app = make_app(origins=[ORIGIN], methods=["GET", "PUT"], allow_headers=["X-Custom"])
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-other"}
    res = fetch(app, "OPTIONS", "/api/items", preflight)
    assert res.status == 403
    assert cors_headers(res.headers) == []
    assert app.view_calls["items"] == 0


PER_PATH = {
    r"/api/*": {"origins": "https://a.example"},
    r"/public/*": {"origins": "*", "send_wildcard": True},
}


@pytest.mark.parametrize(
    ("path", "origin", "acao", "vary"),
    [
        pytest.param("/api/items", "https://a.example", ["https://a.example"], ["Origin"], id="api-allowed"),
        pytest.param("/api/items", "https://b.example", [], ["Origin"], id="api-rejected"),
        pytest.param("/api/items", ORIGIN, [], ["Origin"], id="api-outer-origin-overridden"),
        pytest.param("/public/data", "https://b.example", ["*"], [], id="public-wildcard"),
        pytest.param("/public/data", None, ["*"], [], id="public-no-origin"),
        pytest.param("/other", "https://a.example", [], [], id="uncovered"),
    ],
)
def test_per_path_resources_override_the_outer_options(fetch, path, origin, acao, vary):
    """A resources dict: each pattern's own options apply to its paths; uncovered paths are untouched."""
    app = make_app(resources=PER_PATH, origins=[ORIGIN])
    res = fetch(app, "GET", path, {"Origin": origin} if origin else {})
    assert res.status == 200
    assert values(res.headers, ACAO) == acao
    assert values(res.headers, "Vary") == vary
    if not acao:
        assert cors_headers(res.headers) == []


def test_uncovered_path_passes_through_untouched(fetch):
    """A path no pattern covers gets exactly the headers Flask sends without the middleware."""
    bare = Flask(__name__)
    bare.route("/other")(lambda: "other")
    expected = fetch(bare, "GET", "/other", {"Origin": ORIGIN})
    res = fetch(make_app(resources=r"/api/*"), "GET", "/other", {"Origin": ORIGIN})
    assert (res.status, res.headers, res.body) == (expected.status, expected.headers, expected.body)


@pytest.mark.parametrize("path", ["/api/items", "/api/missing", "/api/broken"])
def test_credentials_flow(fetch, path):
    """supports_credentials with an exact origin: ACAO is that origin (never *) and ACAC is true."""
    app = make_app(origins=[ORIGIN], supports_credentials=True)
    res = fetch(app, "GET", path, {"Origin": ORIGIN, "Cookie": "session=abc"})
    assert values(res.headers, ACAO) == [ORIGIN]
    assert values(res.headers, ACAC) == ["true"]
    assert values(res.headers, "Vary") == ["Origin"]


def test_credentialed_preflight(fetch):
    """A preflight under supports_credentials also answers ACAC: true and the exact origin."""
    app = make_app(origins=[ORIGIN], supports_credentials=True)
    res = fetch(app, "OPTIONS", "/api/items", {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"})
    assert res.status == 204
    assert values(res.headers, ACAO) == [ORIGIN]
    assert values(res.headers, ACAC) == ["true"]
    assert app.view_calls["items"] == 0


@pytest.mark.parametrize(
    ("expose_headers", "expected"),
    [
        (["X-Total-Count"], "X-Total-Count"),
        (["X-Total-Count", "X-Request-Id"], "X-Total-Count, X-Request-Id"),
        ("X-Total-Count, X-Request-Id", "X-Total-Count, X-Request-Id"),
    ],
)
def test_expose_headers_in_access_control_expose_headers(fetch, expose_headers, expected):
    """expose_headers shows up as Access-Control-Expose-Headers on allowed responses (only there)."""
    app = make_app(origins=[ORIGIN], expose_headers=expose_headers)
    allowed = fetch(app, "GET", "/api/json", {"Origin": ORIGIN})
    assert values(allowed.headers, ACEH) == [expected]
    rejected = fetch(app, "GET", "/api/json", {"Origin": EVIL_ORIGIN})
    assert values(rejected.headers, ACEH) == []
