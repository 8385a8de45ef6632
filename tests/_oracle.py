"""A naive reference of the CORS contract, for the fuzz, concurrency and load tests.

It imports nothing from ``cors_wsgi``: every rule of product-contract.md that decides what the middleware
must answer is written out again here with plain ``str`` operations (regular expressions only where the
*user* wrote one), so that a bug in the middleware and in this file would have to be the same bug twice.

Three parts:

* what a configuration means: :func:`origin_allowed` (exact origins, ``*.domain`` and ``:*`` wildcards,
  regexes matched whole, ``null`` and malformed origins never), :func:`winning_rule` (which ``resources``
  pattern applies: literal paths first, then more ``/``, then longer), :func:`parse_acrh`;
* :func:`expected`: the status, ``Access-Control-*`` headers and ``Vary`` a request must get;
* :func:`check`: compares a recorded :class:`Response` with :func:`expected` and with the invariants that
  hold whatever the configuration (no exception, PEP 3333 headers, an ``ACAO`` that is ``*`` or the
  request's own allowed ``Origin``, never ``ACAC: true`` with ``ACAO: *``, an allowed preflight is 2xx).

Configurations are the keyword options of ``CORSMiddleware``. Path patterns must come from
:data:`PATH_PATTERNS`, whose coverage is written by hand below; origins, methods and header names may be
anything the contract describes.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"
ACAM = "access-control-allow-methods"
ACAH = "access-control-allow-headers"
ACEH = "access-control-expose-headers"
ACMA = "access-control-max-age"
ACAPN = "access-control-allow-private-network"
VARY_ACTUAL = ["Origin"]
VARY_PREFLIGHT = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]

DEFAULT_METHODS = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]
SAFELISTED_METHODS = {"GET", "HEAD", "POST"}
MAX_ORIGIN = 300  # contract: "too long (> 300 bytes)" is never allowed
MAX_ACRH = 4096  # README: over 4096 characters ...
MAX_ACRH_COMMAS = 128  # ... or 128 commas, the preflight fails
MAX_METHOD = 64

TCHARS = frozenset("!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits)
LOWER = frozenset(string.ascii_lowercase)
SCHEME_CHARS = frozenset(string.ascii_lowercase + string.digits + "+-.")
LABEL_CHARS = frozenset(string.ascii_lowercase + string.digits + "-_")
IPV6_CHARS = frozenset("0123456789abcdef:.")
HEADER_REGEX_CHARS = frozenset("\\]?$^[()*+.|{}")
ORIGIN_REGEX_CHARS = frozenset("\\]?$^[()")


def is_token(value: str) -> bool:
    return value != "" and all(char in TCHARS for char in value)


# --- origins ------------------------------------------------------------------------------------------


def split_origin(origin: str) -> tuple[str, str, str] | None:
    """``(scheme, host, port)`` of an origin serialised the way browsers send it, else None."""
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
        for label in host.split("."):
            if not label or not set(label) <= LABEL_CHARS or label[0] == "-" or label[-1] == "-":
                return None
        if not colon:
            return scheme, host, ""
    if not port or len(port) > 5 or not all(char in string.digits for char in port):
        return None
    if port[0] == "0" and port != "0":
        return None
    return scheme, host, port


def well_formed(origin: str) -> bool:
    return len(origin) <= MAX_ORIGIN and split_origin(origin) is not None


def _wildcard_allows(item: str, origin: str) -> bool:
    """``scheme://*.domain[:port]``, ``scheme://host:*`` or both; anything else allows nothing."""
    parts = split_origin(origin)
    if parts is None:
        return False
    scheme, host, port = parts
    item_scheme, _, rest = item.partition("://")
    any_port = rest.endswith(":*")
    if any_port:
        rest = rest[:-2]
    subdomains = rest.startswith("*.")
    if subdomains:
        rest = rest[2:]
    item_host, _, item_port = rest.partition(":")
    if scheme != item_scheme:
        return False
    if not any_port and port != item_port:
        return False
    if subdomains:
        return host.endswith("." + item_host) and len(host) > len(item_host) + 1
    return host == item_host


def origin_allowed(items: Sequence[Any], origin: str) -> bool:
    """The contract's "Origins" section, naively. ``items`` is the ``origins`` option as a list."""
    if origin == "null":
        return "*" in items  # only "*" allows null; it is refused in every other form
    if not well_formed(origin):
        return False  # "Bad input at runtime": never allowed, whatever the configuration
    for item in items:
        if isinstance(item, re.Pattern):
            if re.fullmatch(item.pattern, origin, item.flags | re.IGNORECASE):
                return True
        elif item == "*" or item == origin:
            return True
        elif split_origin(item) is not None:
            continue  # an exact origin that is not this one
        elif "*" in item:
            if _wildcard_allows(item, origin):
                return True
        elif any(char in ORIGIN_REGEX_CHARS for char in item) and re.fullmatch(item, origin, re.IGNORECASE):
            return True
    return False


# --- paths --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathPattern:
    source: str
    covers: Callable[[str], bool]
    literal: bool
    """No regex character at all: such patterns win before any other."""
    compiled: bool = False
    """Passed to the middleware as ``re.compile(source)``."""

    def option(self) -> Any:
        return re.compile(self.source) if self.compiled else self.source

    def specificity(self) -> tuple[int, int, int]:
        """The contract: literal paths first, then patterns with more ``/``, then longer ones."""
        return (0 if self.literal else 1, -self.source.count("/"), -len(self.source))


def _prefix(prefix: str) -> Callable[[str], bool]:
    """A trailing ``/*``: the bare prefix and anything under it, nothing else."""
    return lambda path: path == prefix or path.startswith(prefix + "/")


def _digits_between(head: str, tail: str) -> Callable[[str], bool]:
    def covers(path: str) -> bool:
        middle = path[len(head) : len(path) - len(tail)]
        return (
            len(path) > len(head) + len(tail)
            and path.startswith(head)
            and path.endswith(tail)
            and all(char in string.digits for char in middle)
        )

    return covers


def _word_after(head: str) -> Callable[[str], bool]:
    # Python's \w on str: what str.isalnum() says, plus "_" (Unicode-aware, so latin-1 letters count).
    return lambda path: (
        path.startswith(head) and len(path) > len(head) and all(c.isalnum() or c == "_" for c in path[len(head) :])
    )


_PATTERNS = [
    PathPattern("/*", lambda path: True, literal=False),
    PathPattern("*", lambda path: True, literal=False),
    PathPattern("/api/*", _prefix("/api"), literal=False),
    PathPattern("/api/v1/*", _prefix("/api/v1"), literal=False),
    PathPattern("/public/*", _prefix("/public"), literal=False),
    PathPattern("/private/*", _prefix("/private"), literal=False),
    PathPattern("/test_acl*", lambda path: path.startswith("/test_acl"), literal=False),
    PathPattern("/users", lambda path: path == "/users", literal=True),
    # PEP 3333 servers hand over UTF-8 bytes read as latin-1, so "/café" is requested as "/cafÃ©".
    PathPattern("/café", lambda path: path == "/café".encode().decode("latin-1"), literal=True),
    PathPattern(r"/api/v\d+/items", _digits_between("/api/v", "/items"), literal=False),
    PathPattern(r"/x/\w+", _word_after("/x/"), literal=False, compiled=True),
    PathPattern(r"/service\+path", lambda path: path == "/service+path", literal=False),
]
PATH_PATTERNS: dict[str, PathPattern] = {pattern.source: pattern for pattern in _PATTERNS}


def resource_rules(options: Mapping[str, Any]) -> list[tuple[PathPattern, dict[str, Any]]]:
    """``(pattern, effective options)`` per ``resources`` entry; entry options override the others."""
    base = {name: value for name, value in options.items() if name != "resources"}
    resources = options.get("resources", "/*")
    if isinstance(resources, (str, re.Pattern)):
        entries: list[tuple[Any, Mapping[str, Any]]] = [(resources, {})]
    elif isinstance(resources, Mapping):
        entries = [(pattern, own or {}) for pattern, own in resources.items()]
    else:
        entries = [(pattern, {}) for pattern in resources]
    rules = []
    for pattern, own in entries:
        source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
        rules.append((PATH_PATTERNS[source], {**base, **own}))
    return rules


def winning_rule(options: Mapping[str, Any], path: str) -> dict[str, Any] | None:
    """The effective options of the most specific pattern covering ``path``, or None.

    Repeated leading slashes count as one (``//api/x`` is ``/api/x``), as werkzeug and Falcon
    route it, and a path without its leading slash gets one (``api/x`` is ``/api/x``, as werkzeug's test
    client and Flask serve it); nothing else about the path is normalised."""
    while path.startswith("//"):
        path = path[1:]
    if not path.startswith("/"):
        path = "/" + path
    covering = [(pattern, own) for pattern, own in resource_rules(options) if pattern.covers(path)]
    if not covering:
        return None
    best = min(pattern.specificity() for pattern, _ in covering)
    winners = [own for pattern, own in covering if pattern.specificity() == best]
    assert len(winners) == 1, f"ambiguous resources for {path!r}: the fuzz pool must not produce ties"
    return winners[0]


# --- one rule's options, read naively ---------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, re.Pattern)):
        return [value]
    return list(value)


@dataclass(frozen=True)
class Rule:
    origins: list[Any]
    methods: list[str] | None
    """None: ``*``, any method."""
    allow_headers: list[Any]
    expose: list[str]
    credentials: bool
    max_age: str | None
    send_wildcard: bool
    vary_header: bool
    always_send: bool
    automatic_options: bool
    intercept_exceptions: bool
    private_network: bool

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> Rule:
        methods_option = as_list(options.get("methods", DEFAULT_METHODS))
        methods = None if "*" in methods_option else [method.upper() for method in methods_option]
        max_age = options.get("max_age")
        if isinstance(max_age, timedelta):
            max_age = int(max_age.total_seconds())
        return cls(
            origins=as_list(options.get("origins", "*")),
            methods=methods,
            allow_headers=as_list(options.get("allow_headers", "*")),
            expose=as_list(options.get("expose_headers")),
            credentials=options.get("supports_credentials", False),
            max_age=None if max_age is None else str(max_age),
            send_wildcard=options.get("send_wildcard", False),
            vary_header=options.get("vary_header", True),
            always_send=options.get("always_send", True),
            automatic_options=options.get("automatic_options", True),
            intercept_exceptions=options.get("intercept_exceptions", True),
            private_network=options.get("allow_private_network", False),
        )

    @property
    def star(self) -> bool:
        return "*" in self.origins

    @property
    def wildcard(self) -> bool:
        """Every actual response carries ``ACAO: *``, whatever the ``Origin``."""
        return self.star and self.send_wildcard

    def allows_origin(self, origin: str) -> bool:
        return origin_allowed(self.origins, origin)

    def allows_header(self, name: str) -> bool:
        for item in self.allow_headers:
            if item == "*":
                return True
            if isinstance(item, re.Pattern):
                if re.fullmatch(item.pattern, name, item.flags | re.IGNORECASE):
                    return True
            elif any(char in HEADER_REGEX_CHARS for char in item):
                if re.fullmatch(item, name, re.IGNORECASE):
                    return True
            elif item.lower() == name:
                return True
        return False


def parse_acrh(value: str) -> list[str] | None:
    """Access-Control-Request-Headers as lowercase names; None when malformed, empty or oversized."""
    if len(value) > MAX_ACRH or value.count(",") > MAX_ACRH_COMMAS:
        return None
    names = []
    for element in value.split(","):
        element = element.strip(" \t")
        if element == "":
            continue
        if not is_token(element):
            return None
        names.append(element.lower())
    return names or None


# --- requests and responses ---------------------------------------------------------------------------

APP_MODES = ("plain", "vary", "own")
"""What the wrapped application answers with: plain headers, its own ``Vary``, its own ``ACAO``."""
APP_STATUSES = ("200 OK", "404 Not Found", "500 Internal Server Error")
OWN_ACAO = "https://own.example"


def app_headers(mode: str) -> list[tuple[str, str]]:
    """The application's headers; ``X-Test-App`` shows that it ran (over HTTP, where nothing else does)."""
    headers = [("Content-Type", "text/plain"), ("X-Test-App", "called")]
    if mode == "vary":
        headers.append(("Vary", "Accept-Encoding"))
    elif mode == "own":
        headers.append(("Access-Control-Allow-Origin", OWN_ACAO))
    return headers


def oracle_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The wrapped application: ``X-Test-App: <mode>:<status index>`` chooses its answer."""
    mode, _, status = environ.get("HTTP_X_TEST_APP", "plain:0").partition(":")
    calls = environ.get("test.calls")
    if calls is not None:
        calls.append(1)
    start_response(APP_STATUSES[int(status)], app_headers(mode))
    return [b"app body"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    origin: str | None = None
    acrm: str | None = None
    acrh: str | None = None
    acrpn: str | None = None
    app_mode: str = "plain"
    app_status: int = 0

    @property
    def app_status_line(self) -> str:
        return APP_STATUSES[self.app_status]

    def http_headers(self) -> dict[str, str]:
        headers = {"X-Test-App": f"{self.app_mode}:{self.app_status}"}
        for name, value in (
            ("Origin", self.origin),
            ("Access-Control-Request-Method", self.acrm),
            ("Access-Control-Request-Headers", self.acrh),
            ("Access-Control-Request-Private-Network", self.acrpn),
        ):
            if value is not None:
                headers[name] = value
        return headers

    def environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
        }
        for name, value in self.http_headers().items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        return environ


@dataclass
class Response:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    app_called: bool

    @property
    def code(self) -> int:
        return int(self.status[:3])

    def values(self, name: str) -> list[str]:
        return [value for header, value in self.headers if header.lower() == name]

    def cors(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for header, value in self.headers:
            lowered = header.lower()
            if lowered.startswith("access-control-"):
                assert lowered not in found, f"{header} sent twice: {self.headers!r}"
                found[lowered] = value
        return found

    def vary_items(self) -> list[str]:
        return [item.strip() for value in self.values("vary") for item in value.split(",") if item.strip()]


@dataclass
class Expected:
    covered: bool
    preflight: bool
    app_called: bool
    status: str
    cors: dict[str, str] = field(default_factory=dict)
    """``Access-Control-*`` headers, lowercase names, exactly (ACAM and ACAH compared as sets)."""
    vary: list[str] = field(default_factory=list)
    """The ``Vary`` items the middleware adds."""
    untouched: bool = False
    """The application's response must come out exactly as it went in."""
    allowed: bool = False
    """For a preflight: the reference says it must succeed."""


def expected(options: Mapping[str, Any], request: Request) -> Expected:
    """What the contract says the middleware answers to ``request`` under ``options``."""
    own = winning_rule(options, request.path)
    app_status = request.app_status_line
    if own is None:
        return Expected(False, False, True, app_status, untouched=True)
    rule = Rule.of(own)
    origin = request.origin
    is_preflight = request.method == "OPTIONS" and origin is not None and request.acrm is not None
    if not is_preflight:
        cors: dict[str, str] = {}
        if origin is None:
            if rule.always_send and rule.star and not rule.credentials:
                cors[ACAO] = "*"
        elif rule.wildcard:
            cors[ACAO] = "*"
        elif rule.allows_origin(origin):
            cors[ACAO] = origin
            if rule.credentials:
                cors[ACAC] = "true"
        if cors and rule.expose:
            cors[ACEH] = ", ".join(rule.expose)
        vary = VARY_ACTUAL if rule.vary_header and not (rule.wildcard and rule.always_send) else []
        return _through_app(Expected(True, False, True, app_status, cors, list(vary)), rule, request)

    assert origin is not None and request.acrm is not None
    vary = list(VARY_PREFLIGHT) if rule.vary_header else []
    names = None if request.acrh is None else parse_acrh(request.acrh)
    method = request.acrm
    allowed = (
        rule.allows_origin(origin)
        and is_token(method)
        and len(method) <= MAX_METHOD
        and (request.acrh is None or names is not None)
        and all(name != "*" and rule.allows_header(name) for name in names or ())
        and (rule.methods is None or method in rule.methods or (method in SAFELISTED_METHODS and not names))
    )
    cors = {}
    if allowed:
        cors[ACAO] = "*" if rule.wildcard else origin
        cors[ACAM] = method if rule.methods is None else ", ".join(rule.methods)
        if names:
            cors[ACAH] = ", ".join(dict.fromkeys(names))
        if rule.credentials:
            cors[ACAC] = "true"
        if rule.max_age is not None:
            cors[ACMA] = rule.max_age
        if rule.private_network and request.acrpn == "true":
            cors[ACAPN] = "true"
            if vary:  # the answer depends on that request header too
                vary.append("Access-Control-Request-Private-Network")
    if rule.automatic_options:
        status = "204 No Content" if allowed else "403 Forbidden"
        return Expected(True, True, False, status, cors, vary, allowed=allowed)
    return _through_app(Expected(True, True, True, app_status, cors, vary, allowed=allowed), rule, request)


def _through_app(answer: Expected, rule: Rule, request: Request) -> Expected:
    """The application answered: an own ACAO, or a 5xx with intercept_exceptions=False, is left alone."""
    if request.app_mode == "own" or (not rule.intercept_exceptions and request.app_status_line[0] == "5"):
        answer.untouched = True
        answer.cors = {ACAO: OWN_ACAO} if request.app_mode == "own" else {}
        answer.vary = []
    return answer


# --- checking -----------------------------------------------------------------------------------------

_CONTROL = frozenset(chr(code) for code in range(32)) | {"\x7f"}


def check_pep3333(response: Response) -> None:
    """What a server may rely on (PEP 3333, wsgiref.validate): native strings, latin-1, no CR/LF."""
    status = response.status
    assert type(status) is str and len(status) > 4 and status[:3].isdigit() and status[3] == " ", status
    assert type(response.headers) is list, type(response.headers)
    for header in response.headers:
        assert type(header) is tuple and len(header) == 2, header
        name, value = header
        assert type(name) is str and type(value) is str, header
        assert is_token(name), header
        assert not any(char in _CONTROL for char in value), header
        value.encode("latin-1")  # raises when a character is outside latin-1


def check_invariants(options: Mapping[str, Any], request: Request, response: Response) -> None:
    """The properties that hold whatever the contract's details: the issue's list."""
    check_pep3333(response)
    assert response.code < 500 or response.app_called, "a 5xx the application did not send"
    cors = response.cors()
    acao = cors.get(ACAO)
    if acao is not None and acao != OWN_ACAO:
        assert acao == "*" or acao == request.origin, f"ACAO {acao!r} for Origin {request.origin!r}"
        if acao != "*":
            own = winning_rule(options, request.path)
            assert own is not None and Rule.of(own).allows_origin(acao), f"ACAO {acao!r} not allowed by the reference"
    if acao == "*":
        assert cors.get(ACAC) != "true", "ACAC: true with ACAO: *"


def check(options: Mapping[str, Any], request: Request, response: Response) -> Expected:
    """Every invariant, then the exact expected answer; raises AssertionError saying what differs."""
    check_invariants(options, request, response)
    want = expected(options, request)
    if want.preflight and want.allowed and not want.app_called:
        assert 200 <= response.code < 300, f"allowed preflight answered {response.status!r}"
    assert response.status == want.status, (response.status, want)
    assert response.app_called == want.app_called, (response.app_called, want)
    if want.untouched:
        assert response.headers == app_headers(request.app_mode), response.headers
        return want
    got = response.cors()
    for name in (ACAM, ACAH):  # lists: compare as sets, but never a name twice
        if name in got and name in want.cors:
            items = [item.strip() for item in got[name].split(",")]
            assert len(items) == len(set(items)), got[name]
            assert set(items) == {item.strip() for item in want.cors[name].split(",")}, (got[name], want.cors[name])
            got[name] = want.cors[name]
    assert got == want.cors, f"Access-Control-* {got!r} != {want.cors!r}"
    app_vary = ["Accept-Encoding"] if want.app_called and request.app_mode == "vary" else []
    assert response.vary_items() == app_vary + want.vary, (response.headers, want.vary)
    assert len(response.values("vary")) <= 1, response.headers
    if want.preflight and not want.app_called:
        assert response.body == b""
    return want


def call(middleware: Callable[..., Any], request: Request, environ: dict[str, Any] | None = None) -> Response:
    """Call a WSGI application like a server does and record what it handed over."""
    environ = request.environ() if environ is None else environ
    calls: list[int] = []
    environ["test.calls"] = calls
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        started.append((status, headers))
        return lambda data: None

    result = middleware(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    assert len(started) == 1, started
    status, headers = started[0]
    return Response(status, headers, body, bool(calls))
