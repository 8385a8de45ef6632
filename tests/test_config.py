"""Configuration is validated at construction: every mistake is a ConfigError naming option, value
and fix, all reported at once; risky but legal settings warn once."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta

import pytest

from cors_wsgi import ConfigError, CORSConfigWarning, CORSMiddleware
from cors_wsgi.options import METHODS, ORIGINS


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b""]


def problems(**options) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(app, **options)
    assert isinstance(caught.value, ValueError)
    assert len(caught.value.problems) >= 1
    assert str(caught.value).startswith("invalid CORS configuration")
    return [str(problem) for problem in caught.value.problems]


# (options, option named, value shown, fragment of the fix)
REFUSED = [
    ({"origin": "https://a.example"}, "origin", "'https://a.example'", "did you mean 'origins'?"),
    ({"allow_origins": ["https://a.example"]}, "allow_origins", "https://a.example", "did you mean 'origins'?"),
    ({"max_agee": 5}, "max_agee", "5", "did you mean 'max_age'?"),
    ({"origins": 5}, "origins", "5", "must be a string or a list of strings"),
    ({"origins": None}, "origins", "None", "must be a string or a list"),
    ({"origins": [b"https://a.example"]}, "origins", "b'https://a.example'", "must be a string"),
    ({"supports_credentials": "yes"}, "supports_credentials", "'yes'", "must be True or False"),
    ({"send_wildcard": 1}, "send_wildcard", "1", "must be True or False"),
    ({"vary_header": None}, "vary_header", "None", "must be True or False"),
    ({"origins": "https://Example.com/"}, "origins", "'https://Example.com/'", "did you mean 'https://example.com'"),
    ({"origins": "https://example.com:443"}, "origins", "", "did you mean 'https://example.com'"),
    ({"origins": "example.com"}, "origins", "'example.com'", "did you mean 'https://example.com'"),
    ({"origins": "localhost:3000"}, "origins", "", "did you mean 'http://localhost:3000'"),
    ({"origins": "https://user@example.com"}, "origins", "", "user information"),
    ({"origins": "null"}, "origins", "'null'", "allowing it allows everyone"),
    ({"origins": "file:///home/me/page.html"}, "origins", "", "Origin: null"),
    ({"origins": "https://*example.com"}, "origins", "", "did you mean 'https://*.example.com'"),
    ({"origins": "https://app.*.example.com"}, "origins", "", "did you mean 'https://*.example.com'"),
    ({"origins": ".*.example.com"}, "origins", "", "did you mean 'https://*.example.com'"),
    ({"origins": "https://example.*"}, "origins", "", "re.compile"),
    ({"origins": r"https://(unclosed\.example\.com"}, "origins", "", "not a valid regular expression"),
    ({"origins": "*", "supports_credentials": True}, "origins", "'*'", "list the origins"),
    ({"supports_credentials": True}, "origins", "'*'", "list the origins"),
    ({"origins": r"https?://.*", "supports_credentials": True}, "origins", "", "allows every origin"),
    ({"origins": re.compile(".*"), "supports_credentials": True}, "origins", "", "allows every origin"),
    ({"methods": ["GET", "CONNECT"]}, "methods", "'CONNECT'", "forbidden method"),
    ({"methods": "TRACE"}, "methods", "'TRACE'", "forbidden method"),
    ({"methods": "track"}, "methods", "'track'", "forbidden method"),
    ({"methods": ["GET POST"]}, "methods", "'GET POST'", "not a valid HTTP method"),
    ({"allow_headers": ["Cookie"]}, "allow_headers", "'Cookie'", "supports_credentials"),
    ({"allow_headers": "Host"}, "allow_headers", "'Host'", "forbidden request header"),
    ({"allow_headers": "Sec-Fetch-Mode"}, "allow_headers", "", "forbidden request header"),
    ({"allow_headers": "Proxy-Authorization"}, "allow_headers", "", "forbidden request header"),
    ({"allow_headers": "Origin"}, "allow_headers", "", "forbidden request header"),
    ({"allow_headers": "X-Company-*"}, "allow_headers", "'X-Company-*'", "did you mean 'X-Company-.*'"),
    ({"allow_headers": "X-(a"}, "allow_headers", "", "not a valid regular expression"),
    ({"expose_headers": "Set-Cookie"}, "expose_headers", "'Set-Cookie'", "never expose Set-Cookie"),
    ({"expose_headers": ["set-cookie2"]}, "expose_headers", "", "never expose Set-Cookie"),
    ({"expose_headers": "X Bad"}, "expose_headers", "", "header name"),
    (
        {"expose_headers": "*", "supports_credentials": True, "origins": "https://a.example"},
        "expose_headers",
        "'*'",
        "name the headers",
    ),
    ({"max_age": -1}, "max_age", "-1", "between 0 and 86400"),
    ({"max_age": 86401}, "max_age", "86401", "not clamped"),
    ({"max_age": timedelta(days=2)}, "max_age", "", "between 0 and 86400"),
    ({"max_age": "600"}, "max_age", "'600'", "(max_age=600)"),
    ({"max_age": 1.5}, "max_age", "1.5", "int number of seconds"),
    ({"max_age": True}, "max_age", "True", "int number of seconds"),
    ({"max_age": timedelta(seconds=1.5)}, "max_age", "", "whole number of seconds"),
    ({"resources": 5}, "resources", "5", "path pattern"),
    ({"resources": r"/api/(unclosed"}, "resources", "", "not a valid regular expression"),
    ({"resources": ""}, "resources", "", "did you mean r'/*'"),
    ({"resources": {r"/api/*": "https://a.example"}}, "resources['/api/*']", "", "must be a dict of options"),
    ({"resources": {r"/api/*": {"origin": "*"}}}, "resources['/api/*'].origin", "", "did you mean 'origins'?"),
    ({"resources": {r"/api/*": {"resources": "/x"}}}, "resources['/api/*'].resources", "", "cannot be nested"),
    ({"resources": {r"/api/*": {"max_age": -5}}}, "resources['/api/*'].max_age", "-5", "between 0"),
    (
        {"resources": {r"/api/*": {"supports_credentials": True}}},
        "resources['/api/*'].origins",
        "'*'",
        "list the origins",
    ),
]


@pytest.mark.parametrize(("options", "option", "value", "fix"), REFUSED)
def test_refused_configuration_names_option_value_and_fix(options, option, value, fix) -> None:
    found = problems(**options)
    matching = [text for text in found if text.startswith(f"{option}=")]
    assert matching, found
    assert any(value in text and fix in text for text in matching), found


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        origin="https://a.example",
        origins=["https://A.example", "null"],
        methods=["CONNECT"],
        max_age=-1,
        supports_credentials="true",
        expose_headers="Set-Cookie",
    )
    assert len(found) == 7, found  # two bad origins, one problem each


def test_keyword_problem_is_reported_once_not_per_resource() -> None:
    found = problems(max_age=-1, resources={"/a": {}, "/b": {}, "/c": {}})
    assert found == [found[0]]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"origins": ["https://a.example", "http://localhost:*", "https://*.example.com", "http://[::1]:8080"]},
        {"origins": "https://a.example", "supports_credentials": True},
        {"origins": [re.compile(r"https://\w+\.example\.com")], "supports_credentials": True},
        {"origins": r"https://app\d+\.example\.com"},
        {"origins": "chrome-extension://abcdefghijklmnop"},
        {"methods": "get, put"},
        {"methods": ("PUT",)},
        {"allow_headers": ["Content-Type", "Authorization", r"X-Company-.*", re.compile("x-[a-z]+")]},
        {"expose_headers": "X-Total, X-Page"},
        {"max_age": timedelta(minutes=10)},
        {"max_age": 7200},
        {"resources": [r"/api/*", re.compile(r"/v\d+/.*"), "/exact"]},
        {"resources": {r"/api/*": {"origins": "https://a.example", "supports_credentials": True}}},
        {"origins": [], "resources": {r"/api/*": {"origins": "https://a.example"}}},
    ],
)
def test_valid_configurations_construct_without_warnings(options) -> None:
    options = dict(options)
    if options.get("origins") == []:
        with pytest.warns(CORSConfigWarning, match="no origin is allowed"):
            CORSMiddleware(app, **options)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CORSMiddleware(app, **options)


def test_string_lists_are_split_on_commas() -> None:
    mw = CORSMiddleware(app, origins="https://a.example, https://b.example", methods="get, put")
    resource = mw.policy.lookup("/")
    assert resource is not None
    assert resource.settings[ORIGINS].exact == {"https://a.example", "https://b.example"}
    assert resource.settings[METHODS] == ("GET", "PUT")


def test_regex_with_comma_quantifier_stays_whole() -> None:
    mw = CORSMiddleware(app, origins=r"https://a{1,3}\.example")
    resource = mw.policy.lookup("/")
    assert resource is not None
    assert resource.settings[ORIGINS].allows("https://aaa.example")
    assert not resource.settings[ORIGINS].allows("https://aaaa.example")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"origins": "http://app.example.com", "supports_credentials": True}, "use https"),
        ({"origins": "https://a.example", "send_wildcard": True}, "has no effect"),
        ({"origins": r"https://app.example\.com"}, "unescaped '.'"),
        ({"resources": []}, "covers no path"),
    ],
)
def test_risky_configurations_warn(options, fragment) -> None:
    with pytest.warns(CORSConfigWarning, match=re.escape(fragment)) as record:
        CORSMiddleware(app, **options)
    assert "test_config.py" in record[0].filename, "the warning should point at the caller"


def test_plain_http_loopback_with_credentials_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CORSMiddleware(app, origins=["http://localhost:3000", "http://127.0.0.1:8000"], supports_credentials=True)


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError, match=r"keywords only, e\.g\. CORSMiddleware\(app, origins='https://a\.example'\)"):
        CORSMiddleware(app, "https://a.example")


# --- inputs that once escaped as the wrong exception ------------------------------------------------


@pytest.mark.parametrize(
    ("options", "option", "fix"),
    [
        ({"origins": [re.compile(rb"https://a\.example")]}, "origins", "bytes pattern"),
        ({"origins": {"https://a.example", re.compile(b"x")}}, "origins", "bytes pattern"),
        ({"allow_headers": re.compile(b"x-a")}, "allow_headers", "bytes pattern"),
        ({"resources": re.compile(b"/api")}, "resources", "bytes pattern"),
        ({"resources": {"/api/*": {1: 2}}}, "resources['/api/*'].1", "option names are strings"),
        ({"max_age": "²"}, "max_age", "int number of seconds"),
    ],
)
def test_odd_values_are_config_errors_not_crashes(options, option, fix) -> None:
    found = problems(**options)
    assert any(text.startswith(f"{option}=") and fix in text for text in found), found


def test_cross_option_checks_still_run_when_another_option_fails() -> None:
    found = problems(methods=5, supports_credentials=True)
    assert any(text.startswith("methods=") for text in found), found
    assert any(text.startswith("origins='*'") for text in found), found


@pytest.mark.parametrize(
    "origins",
    [
        re.compile(r"http://.*"),
        re.compile(r"HTTPS?://.*"),
        "https://*.com",
        r".*\.(com|net|org)",
        r"https://[a-z.]+",
        r"https?://\w+\.\w+",
        r"https://[^/]+",
        r"https://.+\.io",
    ],
)
def test_broad_patterns_are_refused_with_credentials(origins) -> None:
    found = problems(origins=origins, supports_credentials=True)
    assert any(text.startswith("origins=") and "list the origins" in text for text in found), found


def test_top_level_domain_wildcard_warns_without_credentials() -> None:
    with pytest.warns(CORSConfigWarning, match="every site under the top-level domain"):
        CORSMiddleware(app, origins="https://*.com")


def test_regex_that_matches_null_warns_and_never_allows_null() -> None:
    with pytest.warns(CORSConfigWarning, match="matches 'null'"):
        mw = CORSMiddleware(app, origins=r"(null|https://a\.example)")
    resource = mw.policy.lookup("/")
    assert resource is not None
    assert not resource.settings[ORIGINS].allows("null")
    assert resource.settings[ORIGINS].allows("https://a.example")


def test_regex_with_comma_inside_a_group_stays_whole() -> None:
    mw = CORSMiddleware(app, origins=r"https://(a|b{1,2})\.example")
    resource = mw.policy.lookup("/")
    assert resource is not None
    assert resource.settings[ORIGINS].allows("https://bb.example")
