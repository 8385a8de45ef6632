"""Credentials in Chromium: a cookie the API sets, sent back on ``credentials: "include"``, and the ways
that fails.

The page (``127.0.0.1:PAGE``) and the API (``127.0.0.1:API``) are different origins but the same site,
and cookies ignore ports: a ``SameSite=Lax`` cookie set by the API goes back to it on a credentialed
fetch from the page. CORS decides whether the *page* may read the answer; it does not stop the browser
from storing the cookie or sending it.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SESSION = "session=s3cret"


def _cookie_jar(cors) -> list[tuple[str, str]]:
    return [(cookie["name"], cookie["value"]) for cookie in cors.context.cookies(cors.api_origin)]


def _put_cookie_in_jar(cors) -> None:
    cors.context.add_cookies([{"name": "session", "value": "s3cret", "url": cors.api_origin}])


def test_cookie_set_by_the_api_comes_back(cors) -> None:
    cors.configure(origins=cors.page_origin(), supports_credentials=True)
    cors.open()

    set_by_api = cors.fetch("/cookie/set", credentials="include")
    echoed = cors.fetch("/echo", credentials="include")

    assert set_by_api.ok, set_by_api.error
    assert _cookie_jar(cors) == [("session", "s3cret")]
    assert echoed.ok, echoed.error
    assert echoed.json["cookie"] == SESSION  # the page reads what the API did with the cookie
    assert cors.server_log == [("GET", "/cookie/set"), ("GET", "/echo")]
    for seen in cors.seen("GET"):
        assert seen.response_headers["access-control-allow-origin"] == cors.page_origin()
        assert seen.response_headers["access-control-allow-credentials"] == "true"


def test_without_credentials_include_no_cookie_is_sent(cors) -> None:
    """The default ``credentials: "same-origin"`` keeps the cookie at home; the answer is still readable."""
    cors.configure(origins=cors.page_origin(), supports_credentials=True)
    cors.open()
    _put_cookie_in_jar(cors)

    echoed = cors.fetch("/echo")

    assert echoed.ok, echoed.error
    assert "cookie" not in echoed.json
    assert "cookie" not in cors.app_saw()


def test_without_supports_credentials_the_page_reads_nothing(cors) -> None:
    """No ``Access-Control-Allow-Credentials``: Chromium still stores the cookie and sends it back (the API
    sees it), but the page can read neither answer."""
    cors.configure(origins=cors.page_origin())
    cors.open()

    set_by_api = cors.fetch("/cookie/set", credentials="include")
    assert set_by_api.error == "TypeError: Failed to fetch"
    assert cors.cors_error() == ("InvalidAllowCredentials", "")
    cors.cors_errors.clear()
    echoed = cors.fetch("/echo", credentials="include")

    assert echoed.error == "TypeError: Failed to fetch"
    assert cors.cors_error() == ("InvalidAllowCredentials", "")
    assert _cookie_jar(cors) == [("session", "s3cret")]
    assert cors.server_log == [("GET", "/cookie/set"), ("GET", "/echo")]
    assert cors.api.app_log[1].headers["cookie"] == SESSION
    for seen in cors.seen("GET"):
        assert seen.response_headers["access-control-allow-origin"] == cors.page_origin()
        assert "access-control-allow-credentials" not in seen.response_headers


def test_rejected_origin_sends_the_cookie_but_reads_nothing(cors) -> None:
    cors.configure(origins="http://trusted.example.test", supports_credentials=False)
    cors.open()
    _put_cookie_in_jar(cors)

    echoed = cors.fetch("/echo", credentials="include")

    assert echoed.error == "TypeError: Failed to fetch"
    assert cors.cors_error() == ("MissingAllowOriginHeader", "")
    assert cors.app_saw()["cookie"] == SESSION
    assert not any(name.startswith("access-control-") for name in cors.seen("GET")[0].response_headers)


@pytest.mark.parametrize("allowed", [True, False], ids=["allowed", "refused"])
def test_credentialed_preflight(cors, allowed: bool) -> None:
    """A credentialed PUT: the preflight itself never carries the cookie; it must answer
    ``Access-Control-Allow-Credentials: true`` or Chromium stops before the PUT."""
    cors.configure(origins=cors.page_origin(), supports_credentials=allowed)
    cors.open()
    _put_cookie_in_jar(cors)

    seen_by_js = cors.fetch("/echo", method="PUT", credentials="include")

    [preflight] = cors.seen("OPTIONS")
    assert "cookie" not in preflight.headers
    assert preflight.status == "204 No Content"
    if allowed:
        assert seen_by_js.ok, seen_by_js.error
        assert seen_by_js.json["cookie"] == SESSION
        assert preflight.response_headers["access-control-allow-credentials"] == "true"
        assert cors.server_log == [("OPTIONS", "/echo"), ("PUT", "/echo")]
    else:
        assert seen_by_js.error == "TypeError: Failed to fetch"
        assert "access-control-allow-credentials" not in preflight.response_headers
        assert cors.cors_error() == ("PreflightInvalidAllowCredentials", "")
        assert cors.server_log == [("OPTIONS", "/echo")]
        assert cors.app_log == []
