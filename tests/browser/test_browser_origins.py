"""Simple requests (GET, text/plain POST) in Chromium: which page origins may read the API's answer.

Every ``*.test`` host name resolves to 127.0.0.1 in the suite's Chromium, so each page below is a real
origin; the bypass attempts are the classic ones against prefix-matching regexes and naive globs. Each
test serves one configuration and opens the page at several host names in turn (simple requests leave
nothing in the browser that could change the next answer).

A rejected simple request still reaches the application: CORS only keeps the page from reading it.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

TRUSTED = "trusted.example.test"
DEEPER = "a.trusted.example.test"
SUFFIX_ATTACK = "trusted.example.test.evil.test"
PREFIX_ATTACK = "eviltrusted.example.test"
PARENT = "example.test"
LOOKALIKE = "evilexample.test"
ALLOWED, BLOCKED = "allowed", "blocked"

# origins (with "{P}" for the page's port, "{A}" for the API's: a port the page is not on)
#   -> {page host: what the browser lets the page do}
CASES = {
    "exact": (
        "http://trusted.example.test:{P}",
        {TRUSTED: ALLOWED, SUFFIX_ATTACK: BLOCKED, PREFIX_ATTACK: BLOCKED, PARENT: BLOCKED, DEEPER: BLOCKED},
    ),
    "exact-https-vs-http-page": ("https://trusted.example.test:{P}", {TRUSTED: BLOCKED}),
    "exact-other-port": ("http://trusted.example.test:{A}", {TRUSTED: BLOCKED}),
    "list": (["http://other.test:{P}", "http://trusted.example.test:{P}"], {TRUSTED: ALLOWED, PARENT: BLOCKED}),
    "comma-separated-string": ("http://other.test:{P}, http://trusted.example.test:{P}", {TRUSTED: ALLOWED}),
    "subdomain-wildcard": (
        "http://*.example.test:{P}",
        {TRUSTED: ALLOWED, DEEPER: ALLOWED, PARENT: BLOCKED, LOOKALIKE: BLOCKED, SUFFIX_ATTACK: BLOCKED},
    ),
    "subdomain-wildcard-other-port": ("http://*.example.test:{A}", {TRUSTED: BLOCKED}),
    "subdomain-wildcard-https": ("https://*.example.test:{P}", {TRUSTED: BLOCKED}),
    "port-wildcard": (
        "http://trusted.example.test:*",
        {TRUSTED: ALLOWED, SUFFIX_ATTACK: BLOCKED, PREFIX_ATTACK: BLOCKED, DEEPER: BLOCKED},
    ),
    "regex": (
        r"http://trusted\.example\.test:\d+",
        {TRUSTED: ALLOWED, SUFFIX_ATTACK: BLOCKED, PREFIX_ATTACK: BLOCKED},
    ),
    # a regex that would be a bypass with re.match: it is a prefix of the attacker's origin
    "regex-without-port": (r"http://trusted\.example\.test", {SUFFIX_ATTACK: BLOCKED, TRUSTED: BLOCKED}),
    "compiled-regex": (
        re.compile(r"http://(api|trusted)\.example\.test:\d+"),
        {TRUSTED: ALLOWED, "evil.example.test": BLOCKED, SUFFIX_ATTACK: BLOCKED},
    ),
    "star": ("*", {TRUSTED: ALLOWED, SUFFIX_ATTACK: ALLOWED, "127.0.0.1": ALLOWED}),
}


def _fill(origins: object, page_port: int, api_port: int) -> object:
    if isinstance(origins, list):
        return [_fill(item, page_port, api_port) for item in origins]
    if isinstance(origins, str):
        return origins.replace("{P}", str(page_port)).replace("{A}", str(api_port))
    return origins


def simple_request_from(cors, host: str, method: str = "GET", body: str | None = None) -> str:
    """Open the page at ``host``, fetch ``/echo``, check both sides agree; "allowed" or "blocked"."""
    cors.forget()
    cors.open(host)
    page_origin = cors.page_origin(host)

    seen_by_js = cors.fetch("/echo", method=method, body=body)

    # A simple request is sent straight away, allowed or not: the application runs either way.
    assert cors.server_log == [(method, "/echo")], host
    assert cors.app_saw()["origin"] == page_origin
    answered = cors.seen(method)[0].response_headers
    acao = answered.get("access-control-allow-origin")
    if not seen_by_js.ok:
        assert seen_by_js.error == "TypeError: Failed to fetch", host
        assert cors.cors_error() == ("MissingAllowOriginHeader", ""), host
        assert not any(name.startswith("access-control-") for name in answered), host
        assert answered["vary"] == "Origin", host
        return BLOCKED
    assert seen_by_js.status == 200, host
    assert seen_by_js.json["origin"] == page_origin, host
    assert seen_by_js.json["body"] == (body or ""), host
    if acao == "*":
        assert "vary" not in answered, host  # the answer does not depend on the origin
    else:
        assert acao == page_origin, host
        assert answered["vary"] == "Origin", host
    return ALLOWED


@pytest.mark.parametrize(("origins", "verdicts"), CASES.values(), ids=CASES.keys())
def test_simple_get(cors, origins: object, verdicts: dict[str, str]) -> None:
    api_port = int(cors.api_origin.rsplit(":", 1)[1])
    cors.configure(origins=_fill(origins, cors.page_port, api_port))

    seen = {host: simple_request_from(cors, host) for host in verdicts}

    assert seen == verdicts


def test_simple_post(cors) -> None:
    """A text/plain POST is not preflighted: even when the page may not read the answer, the application
    has handled the POST."""
    cors.configure(origins=cors.page_origin(TRUSTED))

    for host, verdict in [(TRUSTED, ALLOWED), (SUFFIX_ATTACK, BLOCKED)]:
        assert simple_request_from(cors, host, "POST", "hello") == verdict
        assert cors.app_saw()["content-type"] == "text/plain;charset=UTF-8"


def test_send_wildcard_answers_star(cors) -> None:
    cors.configure(origins="*", send_wildcard=True)

    for host in [TRUSTED, SUFFIX_ATTACK]:
        assert simple_request_from(cors, host) == ALLOWED
        assert cors.seen("GET")[0].response_headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("send_wildcard", [False, True], ids=["echo", "send_wildcard"])
def test_star_never_lets_credentials_through(cors, send_wildcard: bool) -> None:
    """``*`` cannot go with ``supports_credentials``, so a credentialed fetch is blocked either way."""
    cors.configure(origins="*", send_wildcard=send_wildcard)
    cors.open()

    seen_by_js = cors.fetch("/echo", credentials="include")

    assert seen_by_js.error == "TypeError: Failed to fetch"
    assert cors.server_log == [("GET", "/echo")]
    answered = cors.seen("GET")[0].response_headers
    assert "access-control-allow-credentials" not in answered
    if send_wildcard:
        assert answered["access-control-allow-origin"] == "*"
        assert cors.cors_error() == ("WildcardOriginNotAllowed", "")
    else:
        assert answered["access-control-allow-origin"] == cors.page_origin()
        assert cors.cors_error() == ("InvalidAllowCredentials", "")
