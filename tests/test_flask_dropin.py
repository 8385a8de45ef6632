"""``cors_wsgi.flask`` against flask-cors itself: the documented options and idioms, one app at a time.

Each case builds the same Flask application twice, once with ``flask_cors.CORS``/``cross_origin`` and once
with ``cors_wsgi.flask``'s, and sends the same requests through Flask's test client (a few also through a
real server). Where the two must agree, the test asserts both. Where cors_wsgi differs on purpose, the test
asserts each behaviour and names the row of the documentation's "Differences from flask-cors" table
(docs/migration.md) that says so: ``differs("row-id")``; ``test_every_cited_difference_is_documented``
holds the table to the citations.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask_cors
import pytest
from flask import Blueprint, Flask, abort
from werkzeug.serving import make_server

import cors_wsgi.flask as dropin
from cors_wsgi import ConfigError, CORSConfigWarning

ROOT = Path(__file__).resolve().parent.parent
A, B, C = "https://a.example", "https://b.example", "https://c.example"
IMPLEMENTATIONS = {"flask_cors": flask_cors, "cors_wsgi": dropin}


def differs(row: str) -> str:
    """Name the "Differences from flask-cors" row an assertion relies on (the test at the end of this
    file reads these names from the source and looks for each in the documentation)."""
    return row


Setup = Callable[[Flask, Any], None]


def make(impl: Any, setup: Setup) -> Any:
    """A Flask app with a few routes, ``setup(app, impl)`` applied, and its test client."""
    app = Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # Flask answers its own 500
    setup(app, impl)
    return app.test_client()


def base_routes(app: Flask) -> None:
    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    @app.route("/other")
    def other() -> str:
        return "other"

    @app.route("/api/missing")
    def missing() -> str:
        abort(404)

    @app.route("/api/boom")
    def boom() -> str:
        raise RuntimeError("view failed")


def send(client: Any, path: str, origin: str | None = None, method: str = "GET", **headers: str) -> Any:
    if origin is not None:
        headers["Origin"] = origin
    return client.open(path, method=method, headers={k.replace("_", "-"): v for k, v in headers.items()})


def preflight(client: Any, path: str, origin: str, method: str = "PUT", request_headers: str | None = None) -> Any:
    extra = {"Access_Control_Request_Method": method}
    if request_headers is not None:
        extra["Access_Control_Request_Headers"] = request_headers
    return send(client, path, origin, "OPTIONS", **extra)


def acao(response: Any) -> str | None:
    value = response.headers.get("Access-Control-Allow-Origin")
    return value if isinstance(value, str) else None


def both(setup: Setup) -> tuple[Any, Any]:
    """(flask-cors' client, cors_wsgi.flask's client) for the same application."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        return make(flask_cors, setup), make(dropin, setup)


# --- the extension -----------------------------------------------------------------------------------------


def test_defaults_reflect_any_origin_and_send_star_without_one() -> None:
    for client in both(lambda app, impl: (base_routes(app), impl.CORS(app))):
        allowed = send(client, "/api/items", A)
        assert acao(allowed) == A and allowed.headers["Vary"] == "Origin"
        assert acao(send(client, "/api/items")) == "*"


def test_resources_with_their_own_origins() -> None:
    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)
        impl.CORS(app, resources={r"/api/*": {"origins": A}})

    theirs, ours = both(setup)
    for client in (theirs, ours):
        assert acao(send(client, "/api/items", A)) == A
        assert acao(send(client, "/api/items", B)) is None
        assert acao(send(client, "/other", A)) is None
    assert "Vary" not in send(theirs, "/api/items", A).headers  # a single literal origin: no Vary there
    assert send(ours, "/api/items", A).headers["Vary"] == "Origin", differs("vary")
    assert send(ours, "/api/items", B).headers["Vary"] == "Origin", differs("vary")


def test_precedence_resource_over_keywords_over_app_config() -> None:
    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)
        app.config.update(CORS_ORIGINS=A, CORS_MAX_AGE=10, CORS_EXPOSE_HEADERS="X-Cfg")
        impl.CORS(app, origins=B, max_age=20, resources={r"/api/*": {"origins": C}, r"/*": {}})

    for client in both(setup):
        assert acao(send(client, "/api/items", C)) == C
        assert acao(send(client, "/api/items", B)) is None
        assert preflight(client, "/api/items", C, "GET").headers["Access-Control-Max-Age"] == "20"
        assert send(client, "/api/items", C).headers["Access-Control-Expose-Headers"] == "X-Cfg"
        assert acao(send(client, "/other", B)) == B
        assert acao(send(client, "/other", A)) is None


def test_app_config_alone() -> None:
    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)
        app.config.update(CORS_ORIGINS=[A], CORS_SUPPORTS_CREDENTIALS=True, CORS_RESOURCES=r"/api/*")
        impl.CORS(app)

    for client in both(setup):
        answered = send(client, "/api/items", A)
        assert acao(answered) == A and answered.headers["Access-Control-Allow-Credentials"] == "true"
        assert acao(send(client, "/other", A)) is None


def test_application_factory_with_init_app() -> None:
    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)
        cors = impl.CORS(origins=A, max_age=5)
        cors.init_app(app, origins=B)  # init_app's own keywords win

    for client in both(setup):
        assert acao(send(client, "/api/items", B)) == B
        assert acao(send(client, "/api/items", A)) is None
        assert preflight(client, "/api/items", B, "GET").headers["Access-Control-Max-Age"] == "5"


@pytest.mark.parametrize(
    ("options", "origin", "expected", "vary"),
    [
        ({"send_wildcard": True}, A, "*", False),
        ({"send_wildcard": True}, None, "*", False),
        ({"always_send": False}, None, None, True),
        ({"vary_header": False}, A, A, False),
        ({"origins": [A, B]}, B, B, True),
    ],
    ids=["send_wildcard", "send_wildcard-no-origin", "always_send-off", "vary_header-off", "list"],
)
def test_options_around_the_allow_origin_answer(
    options: dict[str, Any], origin: str | None, expected: Any, vary: bool
) -> None:
    for client in both(lambda app, impl: (base_routes(app), impl.CORS(app, **options))):
        answered = send(client, "/api/items", origin)
        assert acao(answered) == expected
        if origin is not None:
            assert ("Vary" in answered.headers) == vary


def test_expose_headers_max_age_and_credentials() -> None:
    options = {
        "origins": [A],
        "expose_headers": ["X-Total"],
        "max_age": timedelta(minutes=10),
        "supports_credentials": True,
    }
    for client in both(lambda app, impl: (base_routes(app), impl.CORS(app, **options))):
        actual = send(client, "/api/items", A)
        assert actual.headers["Access-Control-Expose-Headers"] == "X-Total"
        assert actual.headers["Access-Control-Allow-Credentials"] == "true"
        answered = preflight(client, "/api/items", A, "PUT", "content-type")
        assert answered.headers["Access-Control-Max-Age"] == "600"
        assert "PUT" in answered.headers["Access-Control-Allow-Methods"]
        assert answered.headers["Access-Control-Allow-Headers"].lower() == "content-type"


def test_preflights() -> None:
    theirs, ours = both(lambda app, impl: (base_routes(app), impl.CORS(app, origins=[A], methods=["GET", "PUT"])))
    for client in (theirs, ours):
        allowed = preflight(client, "/api/items", A)
        assert acao(allowed) == A and allowed.headers["Access-Control-Allow-Methods"] == "GET, PUT"
        assert acao(preflight(client, "/api/items", B)) is None
    assert preflight(theirs, "/api/items", A).status_code == 200
    assert preflight(ours, "/api/items", A).status_code == 204, differs("preflight-status")
    assert preflight(theirs, "/api/items", B).status_code == 200
    refused = preflight(ours, "/api/items", B)
    assert refused.status_code == 403 and "Allow" not in refused.headers, differs("preflight-status")
    # flask-cors tests a method with a substring test on "GET, PUT": "ET" passes there.
    assert "Access-Control-Allow-Methods" in preflight(theirs, "/api/items", A, "ET").headers
    assert preflight(ours, "/api/items", A, "ET").status_code == 403, differs("methods")
    # A header outside allow_headers: flask-cors drops it and answers; the browser then blocks.
    limited = both(lambda app, impl: (base_routes(app), impl.CORS(app, origins=[A], allow_headers=["X-A"])))
    assert preflight(limited[0], "/api/items", A, "PUT", "x-a,x-b").headers["Access-Control-Allow-Headers"] == "x-a"
    assert preflight(limited[1], "/api/items", A, "PUT", "x-a,x-b").status_code == 403, differs("request-headers")


def test_errors_get_the_headers() -> None:
    for client in both(lambda app, impl: (base_routes(app), impl.CORS(app, origins=[A]))):
        assert acao(send(client, "/api/missing", A)) == A  # abort(404) in a view
        assert acao(send(client, "/api/nothing-here", A)) == A  # a routing 404
        assert acao(send(client, "/api/boom", A)) == A  # an unhandled exception, Flask's own 500
    theirs, ours = both(lambda app, impl: (base_routes(app), impl.CORS(app, origins=[A], intercept_exceptions=False)))
    assert acao(send(theirs, "/api/boom", A)) == A  # flask-cors' after_request runs anyway
    assert acao(send(ours, "/api/boom", A)) is None, differs("intercept-exceptions")


def test_origins_are_matched_exactly_and_whole() -> None:
    theirs, ours = both(lambda app, impl: (base_routes(app), impl.CORS(app, origins=[A, r"https://.*\.c\.example"])))
    assert acao(send(theirs, "/api/items", "HTTPS://A.EXAMPLE")) == "HTTPS://A.EXAMPLE"
    assert acao(send(ours, "/api/items", "HTTPS://A.EXAMPLE")) is None, differs("origin-exact")
    assert acao(send(theirs, "/api/items", "https://x.c.example.evil.test")) == "https://x.c.example.evil.test"
    assert acao(send(ours, "/api/items", "https://x.c.example.evil.test")) is None, differs("origin-regex-whole")
    for client in (theirs, ours):
        assert acao(send(client, "/api/items", "https://x.c.example")) == "https://x.c.example"
    assert acao(send(theirs, "/api/items")) == A  # no Origin: the first listed origin
    assert acao(send(ours, "/api/items")) is None, differs("no-origin-literal")


def test_resources_are_matched_whole_with_a_warning_for_routes_that_lose_cors() -> None:
    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)

        @app.route("/apiary")
        def apiary() -> str:
            return "bees"

        impl.CORS(app, resources=r"/api/*")

    with pytest.warns(CORSConfigWarning, match=r"(?s)/apiary \(flask-cors: '/api/\*'\).*add '/apiary' to resources"):
        ours = make(dropin, setup)
    theirs = make(flask_cors, setup)
    assert acao(send(theirs, "/apiary", A)) == A
    assert acao(send(ours, "/apiary", A)) is None, differs("whole-path")
    for client in (theirs, ours):
        assert acao(send(client, "/api/items", A)) == A


def test_a_compiled_prefix_pattern_warns_with_the_pattern_that_works() -> None:
    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)
        impl.CORS(app, resources=[re.compile(r"/api/*")])

    with pytest.warns(CORSConfigWarning, match=r"/api/items \(flask-cors: '/api/\*'\): .* write '/api/\*'"):
        ours = make(dropin, setup)
    assert acao(send(ours, "/api/items", A)) is None, differs("whole-path")
    assert acao(send(make(flask_cors, setup), "/api/items", A)) == A


# --- CORS(app) twice -------------------------------------------------------------------------------------------


def test_two_calls_for_two_prefixes() -> None:
    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)

        @app.route("/v2/things")
        def things() -> str:
            return "things"

        impl.CORS(app, resources=r"/api/*", origins=A)
        impl.CORS(app, resources=r"/v2/*", origins=B)

    for client in both(setup):
        assert acao(send(client, "/api/items", A)) == A
        assert acao(send(client, "/api/items", B)) is None
        assert acao(send(client, "/v2/things", B)) == B
        assert acao(send(client, "/v2/things", A)) is None
        assert acao(send(client, "/other", A)) is None


def test_two_calls_on_one_path_add_up_and_the_latest_answers_first() -> None:
    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)
        impl.CORS(app, resources=r"/api/*", origins=A, max_age=1, expose_headers="X-First")
        impl.CORS(app, resources=r"/api/*", origins=[A, B], max_age=2, expose_headers="X-Second")

    theirs, ours = both(setup)
    for client in (theirs, ours):
        assert preflight(client, "/api/items", B).headers["Access-Control-Max-Age"] == "2"
        assert preflight(client, "/api/items", A).headers["Access-Control-Max-Age"] == "2"
        assert send(client, "/api/items", A).headers["Access-Control-Expose-Headers"] == "X-Second"
        assert acao(send(client, "/api/items", C)) is None
    # flask-cors: a routing 404 goes through nested exception handlers, where the first call wins.
    assert send(theirs, "/api/nothing", A).headers["Access-Control-Expose-Headers"] == "X-First"
    assert send(ours, "/api/nothing", A).headers["Access-Control-Expose-Headers"] == "X-Second", differs(
        "several-calls"
    )


def test_a_factory_that_initialises_twice_sends_one_answer() -> None:
    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)
        impl.CORS(app, origins=[A, B])
        impl.CORS(app, origins=[A, B])

    for client in both(setup):
        answered = send(client, "/api/items", A)
        assert answered.headers.getlist("Access-Control-Allow-Origin") == [A]
        assert answered.headers.getlist("Vary") == ["Origin"]


# --- @cross_origin -----------------------------------------------------------------------------------------------


def decorated_routes(app: Flask, impl: Any) -> None:
    base_routes(app)

    @app.route("/d", methods=["GET", "PUT"])
    @impl.cross_origin(origins=A, expose_headers="X-DEC")
    def decorated() -> str:
        return "d"

    @app.route("/d/noauto")
    @impl.cross_origin(origins=A, automatic_options=False)
    def no_automatic_options() -> str:
        return "n"

    @app.route("/d/boom")
    @impl.cross_origin(origins=A)
    def decorated_boom() -> str:
        raise RuntimeError("view failed")


def test_a_decorated_view_alone() -> None:
    theirs, ours = both(decorated_routes)
    for client in (theirs, ours):
        answered = send(client, "/d", A)
        assert acao(answered) == A and answered.headers["Access-Control-Expose-Headers"] == "X-DEC"
        assert acao(send(client, "/d", B)) is None
        assert acao(preflight(client, "/d", A)) == A  # the view answers its own preflight
        assert acao(send(client, "/other", A)) is None  # only that view
        assert acao(send(client, "/d", A, "POST")) is None  # 405: the view never ran
        assert acao(send(client, "/d/boom", A)) is None  # an exception: the view never answered
    assert preflight(ours, "/d", A).status_code == 204, differs("preflight-status")


def test_a_views_own_options_win_over_the_app_wide_ones() -> None:
    def setup(app: Flask, impl: Any) -> None:
        decorated_routes(app, impl)
        impl.CORS(app, origins=C, expose_headers="X-APP")

    for client in both(setup):
        assert acao(send(client, "/d", A)) == A
        assert acao(send(client, "/d", C)) is None  # the view's refusal is final
        assert acao(preflight(client, "/d", A)) == A
        assert acao(preflight(client, "/d", C)) is None
        # What never reached the view gets the application-wide rule.
        assert send(client, "/d", C, "POST").headers["Access-Control-Expose-Headers"] == "X-APP"
        assert send(client, "/d/nothing", C).headers["Access-Control-Expose-Headers"] == "X-APP"
        assert acao(send(client, "/d/boom", C)) == C
        # automatic_options=False: Flask answers OPTIONS itself, with the application-wide rule.
        assert acao(preflight(client, "/d/noauto", C, "GET")) == C
        assert acao(preflight(client, "/d/noauto", A, "GET")) is None


def test_decorator_typos_and_resources() -> None:
    with pytest.raises(ConfigError, match="did you mean 'origins'"):
        dropin.cross_origin(origin=A)  # type: ignore[call-arg]
    with pytest.warns(CORSConfigWarning, match="resources=...\\) is ignored"):
        dropin.cross_origin(resources=r"/x/*")


# --- blueprints ----------------------------------------------------------------------------------------------------


def blueprint_app(app: Flask, impl: Any, *, app_wide: dict[str, Any] | None = None) -> None:
    base_routes(app)
    api = Blueprint("api_v1", __name__)

    @api.route("/things", methods=["GET", "PUT"])
    def things() -> str:
        return "things"

    @api.route("/boom")
    def boom() -> str:
        raise RuntimeError("view failed")

    impl.CORS(api, origins=A, supports_credentials=True)
    app.register_blueprint(api, url_prefix="/v1")
    app.register_blueprint(api, url_prefix="/v2", name="api_v2")  # the same blueprint, twice
    if app_wide is not None:
        impl.CORS(app, **app_wide)


def test_a_blueprint_with_its_own_origins_and_credentials() -> None:
    for client in both(blueprint_app):
        for prefix in ("/v1", "/v2"):
            answered = send(client, f"{prefix}/things", A)
            assert acao(answered) == A and answered.headers["Access-Control-Allow-Credentials"] == "true"
            assert acao(preflight(client, f"{prefix}/things", A)) == A
            assert acao(send(client, f"{prefix}/boom", A)) == A  # an error inside the blueprint
            assert acao(send(client, f"{prefix}/nothing", A)) is None  # a 404 belongs to no blueprint
            assert acao(send(client, f"{prefix}/things", A, "DELETE")) is None  # nor does a 405
        assert acao(send(client, "/api/items", A)) is None  # routes outside it get nothing from that call


def test_a_blueprint_next_to_an_app_wide_rule() -> None:
    setup: Setup = lambda app, impl: blueprint_app(app, impl, app_wide={"origins": [C]})  # noqa: E731
    theirs, ours = both(setup)
    for client in (theirs, ours):
        assert acao(send(client, "/v1/things", A)) == A
        assert acao(send(client, "/api/items", C)) == C
        assert acao(send(client, "/v1/nothing", C)) == C
    assert acao(send(theirs, "/v1/things", C)) == C  # flask-cors: the app-wide rule fills in
    assert acao(send(ours, "/v1/things", C)) is None, differs("view-final")


def test_nested_blueprints() -> None:
    def setup(app: Flask, impl: Any) -> None:
        parent, child = Blueprint("parent", __name__), Blueprint("child", __name__)

        @parent.route("/r")
        def parent_route() -> str:
            return "p"

        @child.route("/r")
        def child_route() -> str:
            return "c"

        impl.CORS(parent, origins=A)
        impl.CORS(child, origins=B)
        parent.register_blueprint(child, url_prefix="/c")
        app.register_blueprint(parent, url_prefix="/p")

    theirs, ours = both(setup)
    for client in (theirs, ours):
        assert acao(send(client, "/p/r", A)) == A
        assert acao(send(client, "/p/r", B)) is None
        assert acao(send(client, "/p/c/r", B)) == B  # the inner blueprint first
    assert acao(send(theirs, "/p/c/r", A)) == A  # flask-cors: the parent allows what the child refused
    assert acao(send(ours, "/p/c/r", A)) is None, differs("view-final")


# --- configuration that flask-cors took and cors_wsgi refuses or reports -----------------------------------------


@pytest.mark.parametrize(
    ("options", "fix"),
    [
        ({"resource": r"/api/*"}, "did you mean 'resources'"),
        ({"ressources": r"/api/*"}, "did you mean 'resources'"),
        ({"origin": A}, "did you mean 'origins'"),
        (
            {"supports_credentials": True},
            r"CORS\(app, origins=\['https://app\.example\.com'\], supports_credentials=True\)",
        ),
        ({"origins": "https://A.example/"}, "did you mean 'https://a.example'"),
        (
            {"resources": {"*": {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "X-A"}}},
            r"write 'origins'.*Access-Control-Allow-Headers -> allow_headers",
        ),
    ],
)
def test_refusals_name_the_fix(options: dict[str, Any], fix: str) -> None:
    app = Flask(__name__)
    with pytest.raises(ConfigError, match=fix):
        dropin.CORS(app, **options)
    flask_cors.CORS(Flask(__name__), **options)  # flask-cors took it
    differs("refused-configs")


def test_app_config_shared_with_other_code_warns_once_and_still_starts() -> None:
    superset_style = {"origins": [A], "supports_credentials": True}

    def setup(app: Flask, impl: Any) -> None:
        base_routes(app)
        app.config.update(CORS_HEADERS="Content-Type", CORS_OPTIONS=superset_style, CORS_ORIGIN=B)
        impl.CORS(app, **app.config["CORS_OPTIONS"])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = make(dropin, setup)
        send(ours, "/api/items", A)
        send(ours, "/api/items", A)
    said = [str(item.message) for item in caught if issubclass(item.category, CORSConfigWarning)]
    assert len(said) == 3, said  # once per key, not once per request
    assert any("CORS_HEADERS" in message and "CORS_ALLOW_HEADERS" in message for message in said)
    assert any("CORS_ORIGIN'" in message and "did you mean CORS_ORIGINS" in message for message in said)
    assert any("CORS_OPTIONS" in message for message in said)
    differs("config-unknown")
    theirs = make(flask_cors, setup)
    for client in (theirs, ours):
        answered = send(client, "/api/items", A)
        assert acao(answered) == A and answered.headers["Access-Control-Allow-Credentials"] == "true"


def test_every_cited_difference_is_documented() -> None:
    """Every row this file cites with differs() names a row of the documentation's table."""
    source = Path(__file__).read_text(encoding="utf-8").split("def differs(", 1)[1]  # the calls, not the docs
    cited = set(re.findall(r'differs\(\s*"([a-z-]+)"\s*\)', source))
    page = (ROOT / "docs" / "migration.md").read_text(encoding="utf-8")
    rows = set(re.findall(r'<a id="diff-([a-z-]+)"></a>', page))
    assert len(cited) >= 10
    assert sorted(cited - rows) == []


# --- a real server ---------------------------------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[str]:
    app = Flask(__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        decorated_routes(app, dropin)
        dropin.CORS(app, resources=r"/api/*", origins=[C])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.mark.server
def test_through_a_real_server(served: str) -> None:
    import http.client

    def ask(method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection(served, timeout=10)
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    assert ask("GET", "/api/items", {"Origin": C}).getheader("Access-Control-Allow-Origin") == C
    answered = ask("OPTIONS", "/d", {"Origin": A, "Access-Control-Request-Method": "PUT"})
    assert answered.status == 204 and answered.getheader("Access-Control-Allow-Origin") == A
    refused = ask("OPTIONS", "/api/items", {"Origin": A, "Access-Control-Request-Method": "PUT"})
    assert refused.status == 403 and refused.getheader("Access-Control-Allow-Origin") is None
    assert ask("GET", "/d", {"Origin": C}).getheader("Access-Control-Allow-Origin") is None
