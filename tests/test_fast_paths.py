"""The middleware's shortcuts must give exactly the answers of the slow, obvious code they replace.

- path routing: a catch-all rule skips the lookup, literal paths are a dict lookup and prefix rules a
  ``startswith``, where the obvious code tries each rule's full match in order;
- header merging: names in ``ORDINARY_RESPONSE_HEADERS`` skip the case-insensitive check;
- allowed preflights are answered from a bounded cache whose keys come from the configuration.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_wsgi import CORSMiddleware
from cors_wsgi.headers import ORDINARY_RESPONSE_HEADERS
from cors_wsgi.paths import after_prefix
from cors_wsgi.policy import PREFLIGHT_CACHE_SIZE

ORIGIN = "https://app.example.com"


def app_with(headers: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", headers if isinstance(headers, tuple) else list(headers))
        return [b"ok"]

    return app


def call(mw: CORSMiddleware, method: str, path: str, **headers: str) -> tuple[str, list[tuple[str, str]]]:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path}
    environ.update({"HTTP_" + name.upper(): value for name, value in headers.items()})
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, response_headers
        return lambda data: None

    list(mw(environ, start_response))
    return seen["status"], seen["headers"]


# --- path routing ------------------------------------------------------------------------------------------

RESOURCE_SETS = [
    r"/*",
    r"/api/*",
    r"/test_acl*",
    "/users",
    [r"/api/*", r"/api/v1/*"],
    [r"/api/*", "/api/special", r"/api/v\d+/items"],
    [re.compile(r"/x/\w+"), r"/x/*"],
    [r"/a(/b)?", r"/a/*"],
    [re.compile("/CASE", re.IGNORECASE), "/plain"],
    [r"/ab?c*", r"/z{2}/*"],
    [re.compile(".*x"), "/plain"],  # no literal beginning: every path is a candidate
    # Rules without a regex: a path above where they end, up to "0", is uncovered (PathTable.above).
    [r"/api/*", "/v2/x"],
    ["/a", r"/b/*", r"/apiary*"],
    ["/users", "/users/1"],
    [r"/.well-known/*", "/x"],
    [r"/api/*", "/\U0010ffff"],
    [r"/0/*", "/9"],  # "0/x" and "9" are routed to them, and sort above where they end
    # One prefix rule: the middleware's two-comparison test (PathTable.single) when it begins with one "/";
    # lookup() alone otherwise, since a path that has the prefix could still route elsewhere.
    r"/api/v1/*",
    r"api/*",
    r"//api/*",
    "/a\U0010ffff/*",
    "/\U0010ffff*",
    r"/.well-known/*",
]
PATHS = st.one_of(
    st.sampled_from(["", "/", "/api", "/api/", "/apiary", "/api/v1", "/api/v2/items", "/api/special", "/users",
                     "/users/1", "/test_acl", "/test_acl_x", "/x/abc", "/x/abc/d", "/a", "/a/b", "/case", "/CASE",
                     "/plain", "/ac", "/abc", "/zz/", "/zz", "/API/x", "\U0010ffffx", "//api/x", "//", "api/x",
                     "/a\U0010ffff", "/a\U0010ffff/", "/a\U0010ffff/x", "/\U0010ffff", "/\U0010ffff\U0010ffff",
                     "/b", "/.well-known/x", "/.well-known", "/api/v1/x", "/api/v1", "/v2/x", "/v2/x\x00", "/v2/y",
                     "/v3", "/b0", "/b/", "/c", "/0", "0x", "/users/", "/users/10", "/x", "/y", "/\U0010ffff/",
                     "0/x", "9", "/0/x", "/9"]),
    st.text(alphabet="/apicuservtx012_.%+ZAB\x00\U0010ffff", max_size=14),
)  # fmt: skip


@pytest.mark.parametrize("resources", RESOURCE_SETS, ids=repr)
@settings(max_examples=150, deadline=None)
@given(path=PATHS)
def test_routing_shortcuts_agree_with_the_rule_table(resources: Any, path: str) -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), resources=resources, origins=[ORIGIN])
    covered = mw.policy.table.lookup(path)
    routed = "/" + path.lstrip("/")  # as werkzeug routes "//api" and "api" (paths.routed_path)
    slow = next((value for rule, value in mw.policy.table.rules if rule.matches(routed)), None)
    assert covered is slow  # the table's own fast lookup agrees with matching rule by rule
    _, headers = call(mw, "GET", path, ORIGIN=ORIGIN)
    acao = [v for k, v in headers if k == "Access-Control-Allow-Origin"]
    assert acao == ([ORIGIN] if covered is not None else [])
    if covered is None:
        assert headers == [("Content-Type", "text/plain")]


@settings(max_examples=500, deadline=None)
@given(prefix=st.text(alphabet="/ab\x00\U0010ffff", max_size=5), text=st.text(alphabet="/ab\x00\U0010ffff", max_size=7))
def test_after_prefix_bounds_exactly_the_strings_with_the_prefix(prefix: str, text: str) -> None:
    after = after_prefix(prefix)
    within = prefix <= text and (after is None or text < after)
    assert within == text.startswith(prefix)
    assert (after is None) == (set(prefix) <= {"\U0010ffff"})  # only "" and U+10FFFF runs have no bound


# --- header merging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("vary", ["Vary", "vary", "VARY", "vAry"])
def test_app_vary_in_any_spelling_is_merged(vary: str) -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain"), (vary, "Accept-Encoding")]), origins=[ORIGIN])
    _, headers = call(mw, "GET", "/", ORIGIN=ORIGIN)
    varies = [(k, v) for k, v in headers if k.lower() == "vary"]
    assert varies == [(vary, "Accept-Encoding, Origin")]


@pytest.mark.parametrize(
    "name", ["Access-Control-Allow-Origin", "access-control-allow-origin", "ACCESS-CONTROL-ALLOW-ORIGIN"]
)
def test_app_acao_in_any_spelling_wins(name: str) -> None:
    app_headers = [("Content-Type", "text/plain"), (name, "https://other.example")]
    _, headers = call(CORSMiddleware(app_with(app_headers), origins=[ORIGIN]), "GET", "/", ORIGIN=ORIGIN)
    assert headers == app_headers


def test_tuple_of_headers_from_a_sloppy_app_still_gets_a_new_list() -> None:
    app_headers = (("Content-Type", "text/plain"),)
    _, headers = call(CORSMiddleware(app_with(app_headers), origins=[ORIGIN]), "GET", "/", ORIGIN=ORIGIN)
    assert isinstance(headers, list)
    assert headers == [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", ORIGIN), ("Vary", "Origin")]


def test_ordinary_header_names_are_never_vary_or_cors() -> None:
    assert ORDINARY_RESPONSE_HEADERS
    for name in ORDINARY_RESPONSE_HEADERS:
        assert name.lower() != "vary" and not name.lower().startswith("access-control-")


# --- preflight cache ---------------------------------------------------------------------------------------


def preflight(mw: CORSMiddleware, origin: str, method: str, acrh: str | None = None, **extra: str) -> Any:
    headers = {"ORIGIN": origin, "ACCESS_CONTROL_REQUEST_METHOD": method, **extra}
    if acrh is not None:
        headers["ACCESS_CONTROL_REQUEST_HEADERS"] = acrh
    return call(mw, "OPTIONS", "/api/x", **headers)


CONFIGS: list[dict[str, Any]] = [
    {"origins": [ORIGIN, "https://b.example"], "allow_headers": ["content-type", "x-token"], "methods": ["GET", "PUT"]},
    {"origins": "*", "max_age": 600},
    {"origins": "*", "send_wildcard": True},
    {"origins": [r"https://.*\.example\.com"], "supports_credentials": True},
    {"origins": ["https://*.example.com"], "methods": "*", "allow_headers": [r"x-.*"]},
]
REQUESTS = [
    (ORIGIN, "PUT", "content-type,x-token"),
    (ORIGIN, "PUT", None),
    ("https://b.example", "PUT", "content-type"),
    ("https://evil.example", "PUT", "content-type,x-token"),
    ("https://a.example.com", "DELETE", "x-custom"),
    (ORIGIN, "PATCH", "x-token"),
    ("null", "PUT", None),
    (ORIGIN, "PUT", "x-token,content-type"),  # not sorted: never cached, still answered
    (ORIGIN, "PUT", "content-type, x-token"),
]


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_cached_preflights_equal_computed_ones(config: dict[str, Any]) -> None:
    reference = CORSMiddleware(app_with([]), resources=r"/api/*", **config)
    cached = CORSMiddleware(app_with([]), resources=r"/api/*", **config)
    for request in REQUESTS * 3:  # warm the cache, then hit it, in every order
        assert preflight(cached, *request) == preflight(reference, *request), request
        reference = CORSMiddleware(app_with([]), resources=r"/api/*", **config)  # always cold
    resource = cached.policy.lookup("/api/x")
    assert resource is not None
    assert all(acrh in (None, "content-type,x-token", "content-type", "x-custom", "x-token") for _, acrh in
               resource._preflight_cache)  # fmt: skip


def test_a_cached_answer_is_never_given_to_a_refused_origin() -> None:
    mw = CORSMiddleware(app_with([]), resources=r"/api/*", origins=[ORIGIN], allow_headers=["content-type"])
    assert preflight(mw, ORIGIN, "PUT", "content-type")[0] == "204 No Content"
    assert preflight(mw, ORIGIN, "PUT", "content-type")[0] == "204 No Content"  # from the cache
    status, headers = preflight(mw, "https://evil.example", "PUT", "content-type")
    assert status == "403 Forbidden"
    assert not [k for k, _ in headers if k.startswith("Access-Control-")]


def test_cache_keys_come_only_from_the_configuration() -> None:
    """allow_headers='*' and methods='*' accept anything, but only configured-looking keys are kept."""
    mw = CORSMiddleware(app_with([]), resources=r"/api/*", origins=[ORIGIN], methods="*")
    for i in range(3 * PREFLIGHT_CACHE_SIZE):
        assert preflight(mw, ORIGIN, f"M{i}", f"x-h{i}")[0] == "204 No Content"
        assert preflight(mw, ORIGIN, "PUT", f"x-h{i},x-i{i}")[0] == "204 No Content"
    resource = mw.policy.lookup("/api/x")
    assert resource is not None
    assert resource._preflight_cache == {} and resource._exact_preflights == {}
    preflight(mw, ORIGIN, "PUT", "authorization,content-type")
    assert list(resource._preflight_cache) == [("PUT", "authorization,content-type")]


def test_cache_is_bounded_even_with_many_configured_names() -> None:
    names = [f"x-h{i:03d}" for i in range(40)]
    mw = CORSMiddleware(app_with([]), resources=r"/api/*", origins=[ORIGIN], allow_headers=names)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            assert preflight(mw, ORIGIN, "PUT", f"{names[i]},{names[j]}")[0] == "204 No Content"
    resource = mw.policy.lookup("/api/x")
    assert resource is not None
    assert len(resource._preflight_cache) == PREFLIGHT_CACHE_SIZE
    assert resource._exact_preflight_count == PREFLIGHT_CACHE_SIZE


def test_private_network_and_debug_logging_bypass_the_cache(caplog: pytest.LogCaptureFixture) -> None:
    mw = CORSMiddleware(app_with([]), resources=r"/api/*", origins=[ORIGIN], allow_private_network=True)
    preflight(mw, ORIGIN, "PUT")
    preflight(mw, ORIGIN, "PUT")  # cached now
    _, headers = preflight(mw, ORIGIN, "PUT", ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK="true")
    assert ("Access-Control-Allow-Private-Network", "true") in headers
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        preflight(mw, ORIGIN, "PUT")
    assert any("preflight allowed" in record.getMessage() for record in caplog.records)


def test_oversized_values_are_not_hashed_into_the_cache() -> None:
    mw = CORSMiddleware(app_with([]), resources=r"/api/*", origins=[ORIGIN])
    hostile = "x," * 200_000
    assert preflight(mw, ORIGIN, "PUT", hostile)[0] == "403 Forbidden"
    assert preflight(mw, ORIGIN + "x" * 300_000, "PUT")[0] == "403 Forbidden"
