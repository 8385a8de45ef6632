"""A function in ``origins`` decides in Chromium as it does in the unit tests: an origin it allows reads
credentialed answers (cookie included), and one for which it raises is blocked, with no 500.

The page is on ``127.0.0.1:PAGE``; the function is the only item of ``origins``, so nothing static can
allow the page: every verdict is the function's.
"""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.browser

SESSION = "session=s3cret"


class Tenants:
    """Origins kept in a "database": the function reads it on every call, and counts its calls."""

    def __init__(self, *origins: str) -> None:
        self.origins = set(origins)
        self.asked: list[str] = []

    def __call__(self, origin: str) -> bool:
        self.asked.append(origin)
        return origin in self.origins


def test_a_function_allows_a_credentialed_request_with_a_cookie(cors) -> None:
    tenants = Tenants(cors.page_origin())
    cors.configure(origins=[tenants], supports_credentials=True)
    cors.open()

    set_by_api = cors.fetch("/cookie/set", credentials="include")
    echoed = cors.fetch("/echo", method="PUT", credentials="include")  # preflighted

    assert set_by_api.ok, set_by_api.error
    assert echoed.ok, echoed.error
    assert echoed.json["cookie"] == SESSION
    assert cors.server_log == [("GET", "/cookie/set"), ("OPTIONS", "/echo"), ("PUT", "/echo")]
    [preflight] = cors.seen("OPTIONS")
    assert preflight.response_headers["access-control-allow-origin"] == cors.page_origin()
    assert preflight.response_headers["access-control-allow-credentials"] == "true"
    assert tenants.asked == [cors.page_origin()] * 3  # never cached by the middleware


def test_a_function_that_raises_blocks_without_a_500(cors, caplog: pytest.LogCaptureFixture) -> None:
    def broken(origin: str) -> bool:
        raise ConnectionError("tenant database unreachable")

    cors.configure(origins=[broken], supports_credentials=True)
    cors.open()

    with caplog.at_level(logging.WARNING, logger="cors_wsgi"):
        simple = cors.fetch("/echo", credentials="include")
        preflighted = cors.fetch("/echo", method="PUT", credentials="include")

    assert simple.error == "TypeError: Failed to fetch"
    assert preflighted.error == "TypeError: Failed to fetch"
    [actual] = cors.seen("GET")
    [preflight] = cors.seen("OPTIONS")
    assert actual.status.startswith("200")  # the application answered; the browser hid it
    assert preflight.status == "403 Forbidden"
    for seen in (actual, preflight):
        assert not [name for name in seen.response_headers if name.startswith("access-control-")]
    assert ("PUT", "/echo") not in cors.server_log  # the refused preflight stopped the actual request
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 2 and all(repr(cors.page_origin()) in message for message in warnings)
