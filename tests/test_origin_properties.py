"""Property tests: origin parsing and matching against a deliberately naive reference implementation.

``reference_allows`` below implements the contract's "Origins" rules with plain ``str`` methods (no
regular expressions except for the user's own regex items), so it shares no code and few ideas with
``cors_wsgi.origins``. Hypothesis generates configurations around a few domains and request origins
that are either what a browser sends or near misses of them (suffix/prefix attacks, wrong scheme or
port, uppercase, trailing slash, empty labels, random text).
"""

from __future__ import annotations

import ipaddress
import re
import string
from typing import Any, Union
from wsgiref.util import setup_testing_defaults

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_wsgi import ConfigError, CORSMiddleware
from cors_wsgi.options import ORIGINS
from cors_wsgi.origins import parse_origins

Item = Union[str, "re.Pattern[str]"]

# database=None: no .hypothesis/ directory left in the project; failures are printed with their example.
FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

MAX_ORIGIN_LENGTH = 300  # the contract: "too long (> 300 bytes)" is never allowed
DEFAULT_PORTS = {"http": "80", "https": "443"}

# --- the reference ------------------------------------------------------------------------------------

LOWER = string.ascii_lowercase
DIGITS = string.digits
LABEL_CHARS = set(LOWER + DIGITS + "-_")
SCHEME_CHARS = set(LOWER + DIGITS + "+-.")
IPV6_CHARS = set("0123456789abcdef:.")


def split_origin(origin: str) -> tuple[str, str, str] | None:
    """``(scheme, host, port)`` of a request ``Origin`` shaped as browsers send it, else None.

    port is ``""`` when absent. Host: dot-separated non-empty labels of ``[a-z0-9_-]`` not starting or
    ending with ``-``, or ``[...]`` holding hex digits, colons and dots. Port: 1-5 digits, no leading 0.
    """
    scheme, sep, rest = origin.partition("://")
    if not sep or not scheme or scheme[0] not in LOWER or not set(scheme) <= SCHEME_CHARS:
        return None
    if rest.startswith("["):
        inside, bracket, after = rest[1:].partition("]")
        if not bracket or not inside or not set(inside) <= IPV6_CHARS:
            return None
        host = "[" + inside + "]"
        if after == "":
            return scheme, host, ""
        if not after.startswith(":"):
            return None
        port = after[1:]
    else:
        host, colon, port = rest.partition(":")
        labels = host.split(".")
        for label in labels:
            if not label or not set(label) <= LABEL_CHARS or label[0] == "-" or label[-1] == "-":
                return None
        if not colon:
            return scheme, host, ""
    if not port or len(port) > 5 or not all(char in DIGITS for char in port):
        return None
    if port[0] == "0" and port != "0":
        return None
    return scheme, host, port


def well_formed(origin: str) -> bool:
    return len(origin) <= MAX_ORIGIN_LENGTH and (origin == "null" or split_origin(origin) is not None)


def reference_allows(items: list[Item], origin: str) -> bool:
    """The contract's origin rules, written in the most naive way."""
    if not well_formed(origin):
        return False  # "Bad input at runtime": never allowed, whatever the configuration
    for item in items:
        if isinstance(item, re.Pattern):
            if item.fullmatch(origin):
                return True
        elif item == "*" or item == origin:
            return True
        elif split_origin(item) is not None:
            continue  # a valid origin spelling is an exact origin, even with IPv6 brackets in it
        elif is_wildcard(item):
            if wildcard_allows(item, origin):
                return True
        elif any(char in "\\]?$^[()" for char in item) and re.fullmatch(item, origin, re.IGNORECASE):
            return True  # a regular expression: the whole origin, case-insensitively (strings only)
    return False


def is_wildcard(item: str) -> bool:
    """A leading '*.' label and/or a ':*' port around an otherwise valid origin (IPv6 hosts included)."""
    if "*" not in item:
        return False
    scheme_, _, rest = item.partition("://")
    rest = rest[len("*.") :] if rest.startswith("*.") else rest
    rest = rest[: -len(":*")] if rest.endswith(":*") else rest
    return "*" not in rest and split_origin(f"{scheme_}://{rest}") is not None


def wildcard_allows(item: str, origin: str) -> bool:
    """``scheme://*.domain[:port]`` and ``scheme://host:*`` (and both at once)."""
    parts = split_origin(origin)
    if parts is None:
        return False
    scheme, host, port = parts
    item_scheme, _, rest = item.partition("://")
    if scheme != item_scheme:
        return False
    any_port = rest.endswith(":*")
    if any_port:
        rest = rest[: -len(":*")]
        item_port = None
    else:
        rest, _, item_port = rest.partition(":")
    if item_port is not None and port != item_port:
        return False
    if rest.startswith("*."):
        domain = rest[len("*.") :]
        if not host.endswith("." + domain):
            return False
        prefix = host[: -len(domain) - 1]
        return all(label != "" for label in prefix.split("."))
    return host == rest


# --- strategies ---------------------------------------------------------------------------------------

DOMAINS = ["example.com", "example.org", "a-b.example.net", "localhost", "127.0.0.1", "[::1]"]
NAME_DOMAINS = ["example.com", "example.org", "a-b.example.net"]

_label_core = st.text(alphabet=LOWER + DIGITS, min_size=1, max_size=8)
label = st.one_of(_label_core, st.builds("{}-{}".format, _label_core, _label_core))
hostname = st.lists(label, min_size=1, max_size=4).map(".".join)
ipv4 = st.integers(min_value=0, max_value=2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
ipv6 = st.one_of(
    st.sampled_from(["[::1]", "[::]", "[2001:db8::1]", "[fe80::1:2]", "[::ffff:1.2.3.4]"]),
    st.integers(min_value=0, max_value=2**128 - 1).map(lambda n: f"[{ipaddress.IPv6Address(n).compressed}]"),
)
port = st.integers(min_value=1, max_value=65535).map(str)
scheme = st.sampled_from(["http", "https"])


def origin_strategy(hosts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """What a browser sends: lowercase, no default port, no path."""

    def build(chosen_scheme: str, host: str, chosen_port: str) -> str:
        if chosen_port == DEFAULT_PORTS[chosen_scheme]:
            chosen_port = ""
        return f"{chosen_scheme}://{host}" + (f":{chosen_port}" if chosen_port else "")

    return st.builds(build, scheme, hosts, st.one_of(st.just(""), port))


subdomain_host = st.builds("{}.{}".format, hostname, st.sampled_from(NAME_DOMAINS))
any_host = st.one_of(hostname, st.sampled_from(DOMAINS), subdomain_host, ipv4, ipv6)
browser_origins = origin_strategy(any_host)
known_origins = origin_strategy(st.sampled_from(DOMAINS))
subdomain_origins = origin_strategy(subdomain_host)


def near_miss_variants(origin: str) -> list[str]:
    """Ways an attacker (or a confused proxy) varies an allowed origin."""
    scheme_, _, rest = origin.partition("://")
    host = rest.rsplit(":", 1)[0] if not rest.endswith("]") and ":" in rest else rest
    other_scheme = "http" if scheme_ == "https" else "https"
    return [
        f"{scheme_}://evil{host}",
        f"{scheme_}://evil-{host}",
        f"{scheme_}://{rest}.evil.test",
        f"{scheme_}://{host}.evil.test",
        f"{scheme_}://evil.test.{rest}",
        f"{other_scheme}://{rest}",
        f"{scheme_}s://{rest}",
        f"{scheme_}://{rest}/",
        f"{scheme_}://{rest}/path",
        f"{scheme_}://{rest}:8080",
        f"{scheme_}://{host}:{DEFAULT_PORTS.get(scheme_, '443')}",
        f"{scheme_}://{host}:0{rest.rsplit(':', 1)[-1]}" if rest != host else f"{scheme_}://{host}:080",
        origin.upper(),
        scheme_.upper() + "://" + rest,
        f"{scheme_}://{rest}.",
        f"{scheme_}://.{rest}",
        f"{scheme_}://a..{rest}",
        f"{scheme_}://{rest} ",
        f" {origin}",
        f"{origin},{origin}",
        f"{origin}\r\n",
        f"{scheme_}://user@{rest}",
        f"{scheme_}://{rest}@evil.test",
        origin[:-1],
        origin + "x",
        "null",
        "",
    ]


def pick(draw: Any, values: list[str]) -> str:
    """One of ``values`` (built per example, so not a ``sampled_from``: strategies are costly to build)."""
    return values[draw(st.integers(min_value=0, max_value=len(values) - 1))]


short_text = st.text(max_size=40)


@st.composite
def near_misses_of(draw: Any, origins: st.SearchStrategy[str]) -> str:
    return pick(draw, near_miss_variants(draw(origins)))


config_wildcards = st.one_of(
    st.builds(lambda s, d: f"{s}://*.{d}", scheme, st.sampled_from(NAME_DOMAINS)),
    st.builds(
        lambda s, d, p: f"{s}://*.{d}:{p}", scheme, st.sampled_from(NAME_DOMAINS), st.sampled_from(["8080", "8443"])
    ),
    st.builds(lambda s, d: f"{s}://{d}:*", scheme, st.sampled_from(DOMAINS)),
    st.builds(lambda s, d: f"{s}://*.{d}:*", scheme, st.sampled_from(NAME_DOMAINS)),
)
REGEX_ITEMS = [
    r"https://(app|api)\.example\.com",
    r"https?://[a-z0-9-]+\.example\.org(:\d+)?",
    r"http://127\.0\.0\.1:\d{4}",
    r"https://[a-z]+\.a-b\.example\.net",
    re.compile(r"https://(?:[a-z]+\.)*example\.com"),
    re.compile(r"http://localhost:(8000|3000)"),
    re.compile(r"https://example\.(?:com|org)"),
]
config_exact = origin_strategy(
    st.one_of(st.sampled_from(DOMAINS), hostname, st.builds("{}.{}".format, label, st.sampled_from(NAME_DOMAINS)))
)
config_items = st.lists(
    st.one_of(config_exact, config_wildcards, st.sampled_from(REGEX_ITEMS), st.just("*")),
    min_size=1,
    max_size=5,
)
restrictive_items = st.lists(
    st.one_of(config_exact, config_wildcards, st.sampled_from(REGEX_ITEMS)), min_size=1, max_size=5
)


@st.composite
def request_origins_for(draw: Any, items: list[Item]) -> str:
    """An origin drawn near the configuration: a listed origin, a subdomain of a wildcard, a near miss…"""
    written = [item for item in items if isinstance(item, str)]
    instances = [item.replace("*.", "x.").replace(":*", "") for item in written]
    source = draw(st.integers(min_value=0, max_value=4))
    if source == 0:
        base = draw(browser_origins)
    elif source == 1:
        base = draw(known_origins)
    elif source == 2:
        base = draw(subdomain_origins)
    else:
        base = pick(draw, (instances if source == 3 else written) or ["null"])
    variant = draw(st.integers(min_value=0, max_value=3))
    if variant == 0:
        return draw(short_text)
    if variant == 1:
        return pick(draw, near_miss_variants(base))
    return base


# --- parse_origins(items).matcher.allows == reference -------------------------------------------------


@THOROUGH
@given(st.data())
def test_matcher_agrees_with_reference(data: Any) -> None:
    items = data.draw(config_items, label="items")
    parsed = parse_origins(items)
    assert parsed.errors == ()
    origin = data.draw(request_origins_for(items), label="origin")
    assert parsed.matcher.allows(origin) == reference_allows(items, origin)


@THOROUGH
@given(st.data())
def test_restrictive_matcher_agrees_with_reference(data: Any) -> None:
    """Without '*' in the list, so the wildcard and regex paths decide."""
    items = data.draw(restrictive_items, label="items")
    parsed = parse_origins(items)
    assert parsed.errors == ()
    origin = data.draw(request_origins_for(items), label="origin")
    assert parsed.matcher.allows(origin) == reference_allows(items, origin)


# Any text at all (control characters, non-ASCII, lone surrogates), and text over the characters origins
# are made of, which comes closer to the shapes the matcher has to tell apart.
arbitrary_text = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=())),
    st.text(alphabet="htps:/.[]*-_0123456789abcdefxyzAEX@?, \t\r\n\x00\u00e4", max_size=40),
)


@THOROUGH
@given(items=config_items, origin=arbitrary_text)
def test_allows_never_raises_on_arbitrary_text(items: list[Item], origin: str) -> None:
    """Control characters, non-ASCII, surrogates: never an exception, never allowed unless well formed."""
    allowed = parse_origins(items).matcher.allows(origin)
    assert isinstance(allowed, bool)
    assert allowed == reference_allows(items, origin)
    if allowed:
        assert well_formed(origin)


@FAST
@given(st.data())
def test_allows_rejects_long_well_formed_origins(data: Any) -> None:
    items = data.draw(config_items)
    sub = "a" * 49
    long_origin = "https://" + ".".join([sub] * 6) + ".example.com"
    assert len(long_origin) > MAX_ORIGIN_LENGTH
    assert not parse_origins(items).matcher.allows(long_origin)


# --- exact origins -------------------------------------------------------------------------------------


@FAST
@given(st.data())
def test_exact_origin_allows_only_itself(data: Any) -> None:
    configured = data.draw(browser_origins, label="configured")
    parsed = parse_origins([configured])
    assert parsed.errors == ()
    assert parsed.matcher.allows(configured)
    other = data.draw(st.one_of(near_misses_of(st.just(configured)), browser_origins, arbitrary_text), label="other")
    assert parsed.matcher.allows(other) == (other == configured)


@FAST
@given(origins=st.lists(browser_origins, min_size=1, max_size=8, unique=True), other=browser_origins)
def test_exact_list_is_a_set(origins: list[str], other: str) -> None:
    matcher = parse_origins(origins).matcher
    assert all(matcher.allows(origin) for origin in origins)
    assert matcher.allows(other) == (other in origins)


# --- subdomain wildcard ---------------------------------------------------------------------------------


def test_subdomain_wildcard_never_allows_apex_lookalikes_or_other_scheme() -> None:
    matcher = parse_origins(["https://*.example.com"]).matcher
    for origin in [
        "https://example.com",
        "https://evilexample.com",
        "http://a.example.com",
        "https://a.example.com.evil.test",
        "https://a.example.com:443",
        "https://a.example.com:8443",
        "https://.example.com",
        "https://a..example.com",
        "https://A.example.com",
        "https://a.example.com/",
        "wss://a.example.com",
    ]:
        assert not matcher.allows(origin), origin
    for origin in ["https://a.example.com", "https://a.b.c.example.com", "https://x-1.example.com"]:
        assert matcher.allows(origin), origin


@FAST
@given(
    prefix=st.text(alphabet=LOWER + DIGITS + ".-_", max_size=20),
    domain=st.sampled_from(NAME_DOMAINS),
    chosen_scheme=scheme,
    chosen_port=st.one_of(st.just(""), port),
)
def test_subdomain_wildcard_property(prefix: str, domain: str, chosen_scheme: str, chosen_port: str) -> None:
    matcher = parse_origins([f"https://*.{domain}"]).matcher
    assert not matcher.allows(f"https://{domain}")
    assert not matcher.allows(f"https://{prefix}{domain}") or prefix.endswith(".")
    origin = f"{chosen_scheme}://{prefix}{domain}" + (f":{chosen_port}" if chosen_port else "")
    allowed = matcher.allows(origin)
    assert allowed == reference_allows([f"https://*.{domain}"], origin)
    if allowed:
        assert chosen_scheme == "https"
        assert chosen_port == ""
        assert prefix.endswith(".") and all(part for part in prefix[:-1].split("."))


@FAST
@given(chosen_port=st.one_of(st.just(""), port), host=st.sampled_from(["localhost", "127.0.0.1", "[::1]"]))
def test_any_port_wildcard(chosen_port: str, host: str) -> None:
    matcher = parse_origins([f"http://{host}:*"]).matcher
    suffix = f":{chosen_port}" if chosen_port else ""
    assert matcher.allows(f"http://{host}{suffix}")
    assert not matcher.allows(f"https://{host}{suffix}")
    assert not matcher.allows(f"http://{host}.evil.test{suffix}")
    assert not matcher.allows(f"http://evil{host}{suffix}")


# --- configuration spelling -----------------------------------------------------------------------------

# IPv6 hosts are left out here: a mangled IPv6 origin contains ']' and so is read as a regular expression
# (see test_mangled_ipv6_origin_is_not_silently_a_regex).
spellable = origin_strategy(st.one_of(hostname, st.sampled_from(DOMAINS[:-1]), ipv4))


@st.composite
def mangled_origins(draw: Any) -> tuple[str, str]:
    """``(correct, mangled)``: uppercase, trailing slash or an explicit default port."""
    correct = draw(spellable)
    scheme_, _, rest = correct.partition("://")
    manglers = [lambda: correct + "/", lambda: correct + "/index.html", lambda: scheme_.upper() + "://" + rest]
    letters = [index for index, char in enumerate(rest) if char.isalpha()]
    if letters:
        first = letters[0]
        manglers.append(lambda: f"{scheme_}://{rest.upper()}")
        manglers.append(lambda: f"{scheme_}://{rest[:first]}{rest[first].upper()}{rest[first + 1 :]}")
    if ":" not in rest:
        manglers.append(lambda: f"{correct}:{DEFAULT_PORTS[scheme_]}")
        manglers.append(lambda: f"{correct}:{DEFAULT_PORTS[scheme_]}/")
    mangled = draw(st.sampled_from(manglers))()
    return correct, mangled


@FAST
@given(spellable)
def test_valid_origin_is_accepted(origin: str) -> None:
    parsed = parse_origins([origin])
    assert parsed.errors == ()
    assert parsed.matcher.exact == frozenset({origin})
    assert parsed.matcher.patterns == ()


@FAST
@given(mangled_origins())
def test_mangled_origin_is_an_error_with_the_fix(pair: tuple[str, str]) -> None:
    correct, mangled = pair
    assert mangled != correct
    parsed = parse_origins([mangled])
    assert len(parsed.errors) == 1
    item, message = parsed.errors[0]
    assert item == mangled
    assert f"did you mean '{correct}'" in message
    assert not parsed.matcher.allows(correct)


@FAST
@given(mangled_origins())
def test_mangled_origin_through_the_constructor(pair: tuple[str, str]) -> None:
    correct, mangled = pair
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(lambda environ, start_response: [], origins=[mangled])
    assert f"did you mean '{correct}'" in str(caught.value)


@pytest.mark.parametrize(
    ("mangled", "correct"),
    [
        ("HTTP://[::1]:8080", "http://[::1]:8080"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("http://[::A]", "http://[::a]"),
        ("https://[2001:DB8::1]:443", "https://[2001:db8::1]"),
    ],
)
def test_mangled_ipv6_origin_is_not_silently_a_regex(mangled: str, correct: str) -> None:
    """The contract: an origin written otherwise than browsers send it is a ConfigError with the fix.

    A mangled IPv6 origin contains ']' and must not turn into a regular expression where '[::1]' is a
    character class (which allows 'http://1:8080' and never 'http://[::1]:8080').
    """
    parsed = parse_origins([mangled])
    assert parsed.errors, f"{mangled!r} was accepted as {[p.pattern for p in parsed.matcher.patterns]}"
    assert any(f"did you mean '{correct}'" in message for _, message in parsed.errors)


# --- through the middleware ----------------------------------------------------------------------------


def call(middleware: CORSMiddleware, method: str, headers: dict[str, str]) -> list[tuple[str, str]]:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ["REQUEST_METHOD"] = method
    environ["PATH_INFO"] = "/r"
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    recorded: list[list[tuple[str, str]]] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        assert not status.startswith("5")
        recorded.append(list(response_headers))
        return lambda data: None

    body = middleware(environ, start_response)
    b"".join(body)
    return recorded[0]


def app(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


MIDDLEWARE_CONFIGS = {
    "star": {},
    "star+send_wildcard": {"send_wildcard": True},
    "exact+credentials": {"origins": ["https://app.example.com", "https://[::1]:8443"], "supports_credentials": True},
    "subdomain": {"origins": "https://*.example.com"},
    "any-port": {"origins": ["http://localhost:*", "http://127.0.0.1:*"]},
    "regex": {"origins": [r"https://(app|api)\.example\.com", re.compile(r"https://[a-z]+\.example\.org")]},
}
MIDDLEWARES = {name: CORSMiddleware(app, **options) for name, options in MIDDLEWARE_CONFIGS.items()}
latin1_text = st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=40)
any_request_origin = st.one_of(
    browser_origins,
    near_misses_of(browser_origins),
    subdomain_origins,
    latin1_text,
)


@THOROUGH
@given(
    name=st.sampled_from(sorted(MIDDLEWARES)),
    origin=any_request_origin,
    preflight=st.booleans(),
    request_headers=st.one_of(st.none(), st.sampled_from(["x-a", "authorization,content-type", "X-A , x-b"])),
)
def test_acao_is_the_origin_or_star(name: str, origin: str, preflight: bool, request_headers: str | None) -> None:
    headers = {"Origin": origin}
    if preflight:
        headers["Access-Control-Request-Method"] = "PUT"
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    response_headers = call(MIDDLEWARES[name], "OPTIONS" if preflight else "GET", headers)
    acao = [value for header, value in response_headers if header.lower() == "access-control-allow-origin"]
    assert len(acao) <= 1
    if acao:
        assert acao[0] in (origin, "*")
        if acao[0] == origin:
            assert MIDDLEWARES[name].policy.lookup("/r").settings[ORIGINS].allows(origin)
            assert well_formed(origin)
    if name == "star+send_wildcard" and not preflight:
        assert acao == ["*"]
    cors = [header for header, _ in response_headers if header.lower().startswith("access-control-")]
    if not acao:
        assert cors == []
    for header, value in response_headers:
        assert "\r" not in value and "\n" not in value, (header, value)
