"""Preflighted requests in Chromium: the OPTIONS the browser sends first, and what it does with the answer.

The middleware answers preflights itself, so an OPTIONS shows in the server log but never in the
application's. When the preflight fails the browser never sends the actual request: the application must
not see it at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from cors_wsgi import CORSConfigWarning

pytestmark = pytest.mark.browser

EVIL = "trusted.example.test.evil.test"


def _preflight_answer(cors) -> tuple[str, dict[str, str], dict[str, str]]:
    """The one preflight that reached the server: (status, what it asked, what it was answered)."""
    [preflight] = cors.seen("OPTIONS")
    return preflight.status, preflight.headers, preflight.response_headers


def _assert_allowed(cors, method: str, seen_by_js: Any) -> dict[str, str]:
    assert seen_by_js.ok, seen_by_js.error
    assert seen_by_js.status == 200
    assert seen_by_js.json["method"] == method
    assert cors.server_log == [("OPTIONS", "/echo"), (method, "/echo")]
    assert cors.app_log == [(method, "/echo")]  # the middleware answered the preflight
    status, asked, answered = _preflight_answer(cors)
    assert status == "204 No Content"
    assert asked["access-control-request-method"] == method
    assert answered["access-control-allow-origin"] == cors.page_origin()
    return answered


def _assert_blocked_before_the_app(cors, method: str, seen_by_js: Any) -> dict[str, str]:
    assert seen_by_js.error == "TypeError: Failed to fetch"
    assert cors.server_log == [("OPTIONS", "/echo")]  # the actual request was never sent
    assert cors.app_log == []
    status, _, answered = _preflight_answer(cors)
    assert status == "403 Forbidden"
    assert not any(name.startswith("access-control-") for name in answered)
    # cors_wsgi's failed preflight carries no ACAO, which is the first thing Chromium checks.
    assert cors.cors_error() == ("PreflightMissingAllowOriginHeader", "")
    return answered


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_unsafe_method_allowed(cors, method: str) -> None:
    cors.configure(origins=cors.page_origin(), methods=["GET", method])
    cors.open()

    seen_by_js = cors.fetch("/echo", method=method)

    answered = _assert_allowed(cors, method, seen_by_js)
    assert method in answered["access-control-allow-methods"].split(", ")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_unsafe_method_not_in_methods(cors, method: str) -> None:
    cors.configure(origins=cors.page_origin(), methods=["GET", "POST"])
    cors.open()

    _assert_blocked_before_the_app(cors, method, cors.fetch("/echo", method=method))


def test_lowercase_patch_is_not_patch(cors) -> None:
    """Browsers upper-case only the six standard method names: ``patch`` is asked for as written."""
    cors.configure(origins=cors.page_origin(), methods=["PATCH"])
    cors.open()

    _assert_blocked_before_the_app(cors, "patch", cors.fetch("/echo", method="patch"))
    assert _preflight_answer(cors)[1]["access-control-request-method"] == "patch"


def test_preflight_from_a_rejected_origin(cors) -> None:
    cors.configure(origins=cors.page_origin())
    cors.open(EVIL)

    seen_by_js = cors.fetch("/echo", method="PUT")

    assert seen_by_js.error == "TypeError: Failed to fetch"
    assert cors.server_log == [("OPTIONS", "/echo")]
    assert cors.app_log == []
    assert _preflight_answer(cors)[0] == "403 Forbidden"
    assert cors.cors_error() == ("PreflightMissingAllowOriginHeader", "")


# (request headers and body, allow_headers that allow them, allow_headers that do not)
HEADER_CASES = {
    "custom-header": ({"X-Custom": "42"}, None, ["X-Custom"], ["X-Other"]),
    "json-post": ({"Content-Type": "application/json"}, '{"a": 1}', ["Content-Type"], ["X-Custom"]),
    "authorization": ({"Authorization": "Bearer t0ken"}, None, ["Authorization"], ["X-Custom"]),
    "authorization-by-star": ({"Authorization": "Bearer t0ken"}, None, "*", ["X-Custom"]),
    "json-by-star": ({"Content-Type": "application/json"}, '{"a": 1}', "*", [r"X-.*"]),
    "two-headers-one-refused": ({"X-Custom": "42", "X-Other": "1"}, None, ["X-Custom", "X-Other"], ["X-Custom"]),
}


@pytest.mark.parametrize(("headers", "body", "allowing", "refusing"), HEADER_CASES.values(), ids=HEADER_CASES.keys())
@pytest.mark.parametrize("allowed", [True, False], ids=["allowed", "refused"])
def test_request_headers(
    cors, headers: dict[str, str], body: str | None, allowing: Any, refusing: Any, allowed: bool
) -> None:
    method = "POST" if body is not None else "PUT"
    cors.configure(origins=cors.page_origin(), allow_headers=allowing if allowed else refusing)
    cors.open()

    seen_by_js = cors.fetch("/echo", method=method, headers=headers, body=body)

    requested = sorted(name.lower() for name in headers)
    if allowed:
        answered = _assert_allowed(cors, method, seen_by_js)
        _, asked, _ = _preflight_answer(cors)
        assert asked["access-control-request-headers"] == ",".join(requested)
        # each requested header named, never a bare '*' (which would not cover Authorization)
        assert sorted(answered["access-control-allow-headers"].split(", ")) == requested
        for name, value in headers.items():
            assert cors.app_saw()[name.lower()] == value
        assert "authorization" not in asked  # a preflight never carries credentials
        if body is not None:
            assert seen_by_js.json["body"] == body
    else:
        _assert_blocked_before_the_app(cors, method, seen_by_js)


@pytest.mark.parametrize(
    ("fetch_args", "culprit"),
    [
        ({"method": "PUT"}, ("MethodDisallowedByPreflightResponse", "PUT")),
        ({"method": "POST", "headers": {"X-Other": "1"}}, ("HeaderDisallowedByPreflightResponse", "x-other")),
    ],
    ids=["method", "header"],
)
def test_debug_mode_lets_chromium_name_the_culprit(cors, fetch_args: dict[str, Any], culprit: tuple[str, str]) -> None:
    """``debug=True``: a refused preflight from an allowed origin gets a 204 listing what *is* allowed, so
    Chromium's console names the refused method or header; the request is still blocked."""
    with pytest.warns(CORSConfigWarning, match="debug"):
        cors.configure(origins=cors.page_origin(), methods=["GET", "POST"], allow_headers=["X-Custom"], debug=True)
    cors.open()

    seen_by_js = cors.fetch("/echo", **fetch_args)

    assert seen_by_js.error == "TypeError: Failed to fetch"
    assert cors.server_log == [("OPTIONS", "/echo")]
    assert cors.app_log == []
    assert cors.cors_error() == culprit
    status, _, answered = _preflight_answer(cors)
    assert status == "204 No Content"
    assert culprit[1] in answered["x-cors-debug"]


def test_debug_mode_tells_a_rejected_origin_nothing(cors) -> None:
    with pytest.warns(CORSConfigWarning, match="debug"):
        cors.configure(origins=cors.page_origin(), methods=["GET"], debug=True)
    cors.open(EVIL)

    seen_by_js = cors.fetch("/echo", method="PUT")

    assert seen_by_js.error == "TypeError: Failed to fetch"
    assert cors.server_log == [("OPTIONS", "/echo")]
    status, _, answered = _preflight_answer(cors)
    assert status == "403 Forbidden"
    assert "x-cors-debug" not in answered
    assert not any(name.startswith("access-control-") for name in answered)
    assert cors.cors_error() == ("PreflightMissingAllowOriginHeader", "")


@pytest.mark.parametrize("allowed", [True, False], ids=["allowed", "refused"])
def test_preflight_passed_to_the_app(cors, allowed: bool) -> None:
    """``automatic_options=False``: the application answers the OPTIONS, the middleware adds the headers
    only when the preflight passes (the application's 200 alone does not make Chromium send the PUT)."""
    cors.configure(origins=cors.page_origin(), methods=["GET", "PUT" if allowed else "POST"], automatic_options=False)
    cors.open()

    seen_by_js = cors.fetch("/echo", method="PUT")

    status, _, answered = _preflight_answer(cors)
    assert status == "200 OK"
    if allowed:
        assert seen_by_js.ok, seen_by_js.error
        assert cors.app_log == [("OPTIONS", "/echo"), ("PUT", "/echo")]
        assert answered["access-control-allow-origin"] == cors.page_origin()
    else:
        assert seen_by_js.error == "TypeError: Failed to fetch"
        assert cors.app_log == [("OPTIONS", "/echo")]
        assert not any(name.startswith("access-control-") for name in answered)
        assert cors.cors_error() == ("PreflightMissingAllowOriginHeader", "")
