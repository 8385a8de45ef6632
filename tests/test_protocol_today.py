"""What browsers and the Fetch standard changed in 2025-26, and the configuration mistakes that follow.

- preflight caches are capped (Chromium 7200 s, WebKit 600 s): a larger ``max_age`` warns, up to 86400;
- no new safelisted methods: ``QUERY`` is an ordinary method that needs a preflight;
- a request's own ``Vary`` header is never copied into the response (a bug class seen in 2025);
- ``localhost``, ``*.localhost`` and loopback addresses are secure contexts: credentials with them over
  plain http do not warn, while a regex that might reach other hosts says what it could not verify;
- path patterns that cannot mean what their author wrote warn with one that works, here and in ``check``;
- a ``PATH_INFO`` without its leading slash gets the rule of the route that answers it.
"""

from __future__ import annotations

import re
import warnings
from typing import Any
from wsgiref.validate import validator

import flask
import pytest
from webtest import TestApp

from cors_wsgi import CORSConfigWarning, CORSMiddleware
from cors_wsgi.check import check_mapping

ORIGIN = "https://app.example.com"


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def build(**options: Any) -> tuple[CORSMiddleware, list[str]]:
    """The middleware and the CORSConfigWarning messages its construction gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mw = CORSMiddleware(app, **options)
    return mw, [str(item.message) for item in caught if issubclass(item.category, CORSConfigWarning)]


# --- max_age ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "warns"), [(600, False), (7200, False), (7201, True), (86400, True)])
def test_max_age_above_chromiums_cap_warns_once_and_is_kept(seconds: int, warns: bool) -> None:
    mw, said = build(origins=[ORIGIN], max_age=seconds)
    assert len(said) == int(warns), said
    if warns:
        assert "Chromium 7200 s" in said[0] and "WebKit 600 s" in said[0]
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    assert TestApp(mw).options("/x", headers=headers).headers["Access-Control-Max-Age"] == str(seconds)


# --- new methods ------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Unknown REQUEST_METHOD")  # the WSGI validators know only the old methods
@pytest.mark.parametrize(("methods", "allowed"), [(None, False), (["GET", "QUERY"], True), ("*", True)])
def test_query_is_an_ordinary_method(methods: Any, allowed: bool) -> None:
    options: dict[str, Any] = {"origins": [ORIGIN]}
    if methods is not None:
        options["methods"] = methods
    test_app = TestApp(validator(CORSMiddleware(validator(app), **options)))
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "QUERY"}
    answer = test_app.options("/x", headers=headers, status="*")
    assert answer.status_int == (204 if allowed else 403)
    if allowed:
        assert "QUERY" in answer.headers["Access-Control-Allow-Methods"]
    actual = test_app.request("/x", method="QUERY", headers={"Origin": ORIGIN})
    assert actual.headers["Access-Control-Allow-Origin"] == ORIGIN  # the actual request is answered as any


# --- Vary ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [None, ORIGIN, "https://evil.example"])
def test_a_requests_own_vary_is_never_copied_into_the_response(origin: str | None) -> None:
    test_app = TestApp(validator(CORSMiddleware(validator(app), origins=[ORIGIN])))
    headers = {"Vary": "X-Injected, Cookie"}
    if origin is not None:
        headers["Origin"] = origin
    response = test_app.get("/x", headers=headers)
    assert response.headers.getall("Vary") == ["Origin"]
    preflight = test_app.options("/x", headers={**headers, "Access-Control-Request-Method": "PUT"}, status="*")
    assert "X-Injected" not in preflight.headers.get("Vary", "")


# --- secure contexts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    ["http://localhost", "http://localhost:3000", "http://app.localhost:5173", "http://127.0.0.1:8000",
     "http://127.1.2.3", "http://[::1]:8080", "http://localhost:*", "https://app.example.com",
     re.compile(r"http://localhost(:\d+)?"), r"http://127\.0\.0\.1(:\d+)?", r"http://\[::1\](:\d+)?",
     r"^http://(localhost|127\.0\.0\.1):[0-9]+$", r"https://[a-z]+\.example\.com"],
)  # fmt: skip
def test_loopback_and_https_origins_take_credentials_without_a_warning(origin: Any) -> None:
    _, said = build(origins=[origin], supports_credentials=True)
    assert said == []


@pytest.mark.parametrize(
    ("origin", "says"),
    [
        ("http://app.example.com", "non-loopback origin"),
        ("http://*.example.com", "non-loopback origin"),
        (r"http://.*\.example\.com", "non-loopback origin"),
        (r"https?://app\.example\.com", "non-loopback origin"),
        (r"http://intranet\.corp(:\d+)?", "could not verify"),
        (r"http://.*\.localhost(:\d+)?", "could not verify"),
    ],
)
def test_plain_http_elsewhere_warns_and_says_what_it_could_not_verify(origin: str, says: str) -> None:
    _, said = build(origins=[origin], supports_credentials=True)
    assert len(said) == 1 and says in said[0], said


# --- path patterns that cannot work ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "fix", "covered"),
    [
        ("/public/items/<int:item_id>", "/public/items/*", "/public/items/42"),
        ("/files/<path:name>", "/files/*", "/files/a/b.txt"),
        ("/users/<id>/posts", "/users/[^/]+/posts", "/users/7/posts"),
        ("/items/{id}", "/items/*", "/items/3"),
        ("/items/{item_id:int}/parts/{part}", "/items/[^/]+/parts/[^/]+", "/items/3/parts/x"),
        ("^/api/", "/api/*", "/api/v1/users"),
        (r"^/api/v\d+/", r"/api/v\d+/.*", "/api/v2/items"),
    ],
)
def test_a_pattern_that_covers_nothing_warns_with_one_that_works(pattern: str, fix: str, covered: str) -> None:
    mw, said = build(resources=[pattern])
    assert len(said) == 1 and repr(fix) in said[0], said
    assert mw.policy.lookup(covered) is None  # as written it really covers nothing useful
    fixed, again = build(resources=[fix])
    assert again == [] and fixed.policy.lookup(covered) is not None  # the suggestion works
    result = check_mapping({"resources": [pattern]}, prefix="", where="", source="test")
    assert result.ok and any(repr(fix) in warning for warning in result.warnings)


@pytest.mark.parametrize("pattern", [r"/api/*", r"/api/v\d+/items", "/users", r"^/api/.*$", r"/x{2,3}/*"])
def test_a_working_pattern_does_not_warn(pattern: str) -> None:
    assert build(resources=[pattern])[1] == []


# --- PATH_INFO without its leading slash ---------------------------------------------------------------------


def test_a_path_without_its_slash_gets_the_rule_of_the_route_that_answers() -> None:
    flask_app = flask.Flask(__name__)

    @flask_app.route("/admin")
    def admin() -> str:
        return "admin"

    resources = {"/admin": {"origins": ["https://admin.example.com"]}, "/*": {"origins": [ORIGIN]}}
    flask_app.wsgi_app = CORSMiddleware(flask_app.wsgi_app, resources=resources)  # type: ignore[method-assign]
    client = flask_app.test_client()
    for path in ("admin", "/admin"):  # ("//admin" is a host name to the test client; test_contract sends it)
        answered = client.get(path, headers={"Origin": "https://admin.example.com"})
        assert answered.get_data(as_text=True) == "admin", path
        assert answered.headers["Access-Control-Allow-Origin"] == "https://admin.example.com", path
        refused = client.get(path, headers={"Origin": ORIGIN})
        assert "Access-Control-Allow-Origin" not in refused.headers, path  # not the broad rule's origin
