"""What the page may read and how often Chromium asks: ``expose_headers``, ``max_age``, per-path
``resources`` and the application's error responses."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

OTHER = "http://other.example.test"


@pytest.mark.parametrize("exposed", [True, False], ids=["exposed", "not-exposed"])
def test_expose_headers(cors, exposed: bool) -> None:
    cors.configure(origins=cors.page_origin(), expose_headers=["X-Secret"] if exposed else None)
    cors.open()

    seen_by_js = cors.fetch("/echo")

    assert seen_by_js.ok, seen_by_js.error
    assert seen_by_js.headers["content-type"] == "application/json"  # safelisted: always readable
    answered = cors.seen("GET")[0].response_headers
    assert answered["x-secret"] == "s3cret"  # it is on the wire either way
    if exposed:
        assert seen_by_js.headers["x-secret"] == "s3cret"
        assert answered["access-control-expose-headers"] == "X-Secret"
    else:
        assert "x-secret" not in seen_by_js.headers
        assert "access-control-expose-headers" not in answered


@pytest.mark.parametrize(("max_age", "preflights"), [(600, 1), (0, 2)], ids=["600", "0"])
def test_max_age_caches_the_preflight(cors, max_age: int, preflights: int) -> None:
    """With a max age the second identical PUT goes without asking again; ``max_age=0`` makes Chromium
    ask every time. (Without any max age Chromium caches for 5 s, which no assertion here relies on.)"""
    cors.configure(origins=cors.page_origin(), max_age=max_age)
    cors.open()

    first = cors.fetch("/echo", method="PUT", headers={"X-Custom": "1"})
    second = cors.fetch("/echo", method="PUT", headers={"X-Custom": "1"})

    assert first.ok, first.error
    assert second.ok, second.error
    assert len(cors.seen("OPTIONS")) == preflights
    assert len(cors.seen("PUT")) == 2
    assert cors.seen("OPTIONS")[0].response_headers["access-control-max-age"] == str(max_age)


def test_resources_covered_and_uncovered_path(cors) -> None:
    cors.configure(resources=r"/api/*", origins=cors.page_origin())
    cors.open()

    covered = cors.fetch("/api/echo")
    uncovered = cors.fetch("/private/echo")

    assert covered.ok, covered.error
    assert covered.json["path"] == "/api/echo"
    assert uncovered.error == "TypeError: Failed to fetch"
    assert cors.cors_error() == ("MissingAllowOriginHeader", "")
    assert cors.app_log == [("GET", "/api/echo"), ("GET", "/private/echo")]
    api, private = cors.api.server_log
    assert api.response_headers["access-control-allow-origin"] == cors.page_origin()
    assert "vary" not in private.response_headers  # an uncovered path is left untouched
    assert not any(name.startswith("access-control-") for name in private.response_headers)


def test_resources_preflight_on_uncovered_path_goes_to_the_app(cors) -> None:
    """The application answers the OPTIONS itself (200, no CORS headers), so Chromium never sends the PUT."""
    cors.configure(resources=r"/api/*", origins=cors.page_origin())
    cors.open()

    covered = cors.fetch("/api/echo", method="PUT")
    cors.api.server_log.clear()
    cors.api.app_log.clear()
    uncovered = cors.fetch("/private/echo", method="PUT")

    assert covered.ok, covered.error
    assert uncovered.error == "TypeError: Failed to fetch"
    assert cors.cors_error() == ("PreflightMissingAllowOriginHeader", "")
    assert cors.server_log == [("OPTIONS", "/private/echo")]
    assert cors.app_log == [("OPTIONS", "/private/echo")]


@pytest.mark.parametrize("allowed", [True, False], ids=["allowed", "refused"])
def test_resources_per_path_options(cors, allowed: bool) -> None:
    """A ``resources`` entry's own options override the keyword ones for the paths it covers."""
    cors.configure(
        origins=cors.page_origin(),
        resources={r"/api/*": {}, r"/admin/*": {"origins": OTHER}},
    )
    cors.open()

    seen_by_js = cors.fetch("/api/echo" if allowed else "/admin/echo", method="PUT")

    if allowed:
        assert seen_by_js.ok, seen_by_js.error
        assert cors.server_log == [("OPTIONS", "/api/echo"), ("PUT", "/api/echo")]
    else:
        assert seen_by_js.error == "TypeError: Failed to fetch"
        assert cors.cors_error() == ("PreflightMissingAllowOriginHeader", "")
        assert cors.server_log == [("OPTIONS", "/admin/echo")]
        assert cors.app_log == []


@pytest.mark.parametrize("status", [404, 500])
def test_error_responses_are_readable_cross_origin(cors, status: int) -> None:
    """The page can tell a 404 or a 500 from a CORS failure, and read the error body."""
    cors.configure(origins=cors.page_origin())
    cors.open()

    seen_by_js = cors.fetch(f"/status/{status}", method="DELETE")

    assert seen_by_js.ok, seen_by_js.error
    assert seen_by_js.status == status
    assert seen_by_js.json["error"]
    assert seen_by_js.json["method"] == "DELETE"


@pytest.mark.parametrize("status", [404, 500])
def test_error_responses_from_a_rejected_origin(cors, status: int) -> None:
    cors.configure(origins=OTHER)
    cors.open()

    seen_by_js = cors.fetch(f"/status/{status}")

    assert seen_by_js.error == "TypeError: Failed to fetch"
    assert cors.cors_error() == ("MissingAllowOriginHeader", "")
    assert cors.server_log == [("GET", f"/status/{status}")]


@pytest.mark.parametrize(("status", "readable"), [(404, True), (500, False)])
def test_intercept_exceptions_off_leaves_5xx_untouched(cors, status: int, readable: bool) -> None:
    cors.configure(origins=cors.page_origin(), intercept_exceptions=False)
    cors.open()

    seen_by_js = cors.fetch(f"/status/{status}")

    answered = cors.seen("GET")[0].response_headers
    if readable:
        assert seen_by_js.status == status
        assert answered["access-control-allow-origin"] == cors.page_origin()
    else:
        assert seen_by_js.error == "TypeError: Failed to fetch"
        assert cors.cors_error() == ("MissingAllowOriginHeader", "")
        assert "access-control-allow-origin" not in answered
