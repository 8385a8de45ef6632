"""Random configurations and requests for the fuzz, concurrency and load tests.

One generator, two drivers: :class:`HypothesisChooser` draws every choice from Hypothesis (so a failure
shrinks to a small example), :class:`RandomChooser` from a seeded ``random.Random`` (fast enough for the
100 000-request slow run). Everything drawn comes from pools whose meaning ``_oracle`` knows: origin items
of every form the contract accepts (plus a few it refuses, to exercise ``ConfigError``), path patterns
from ``_oracle.PATH_PATTERNS``, and requests that mix what browsers send with near misses and raw latin-1
text (what a PEP 3333 server hands over for arbitrary header bytes).
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from _oracle import APP_MODES, APP_STATUSES, PATH_PATTERNS, Request, as_list
from hypothesis import strategies as st

T = TypeVar("T")


class Chooser:
    """The four kinds of choice the generators make."""

    def choice(self, items: Sequence[T]) -> T:
        raise NotImplementedError

    def chance(self, percent: int) -> bool:
        raise NotImplementedError

    def integer(self, low: int, high: int) -> int:
        raise NotImplementedError

    def text(self, alphabet: str, max_size: int) -> str:
        raise NotImplementedError


class RandomChooser(Chooser):
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choice(self, items: Sequence[T]) -> T:
        return self.rng.choice(items)

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def text(self, alphabet: str, max_size: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(0, max_size)))


class HypothesisChooser(Chooser):
    """Every choice drawn from Hypothesis; strategies are built once (drawing is the costly part)."""

    _PERCENT = st.integers(0, 99)
    _indexes: dict[int, st.SearchStrategy[int]] = {}  # noqa: RUF012 (a cache shared by instances)
    _texts: dict[tuple[str, int], st.SearchStrategy[str]] = {}  # noqa: RUF012

    def __init__(self, data: Any) -> None:
        self.draw = data.draw

    def choice(self, items: Sequence[T]) -> T:
        return items[self.integer(0, len(items) - 1)]

    def chance(self, percent: int) -> bool:
        return self.draw(self._PERCENT) < percent  # type: ignore[no-any-return]

    def integer(self, low: int, high: int) -> int:
        strategy = self._indexes.get(high - low)
        if strategy is None:
            strategy = self._indexes[high - low] = st.integers(0, high - low)
        return low + self.draw(strategy)  # type: ignore[no-any-return]

    def text(self, alphabet: str, max_size: int) -> str:
        strategy = self._texts.get((alphabet, max_size))
        if strategy is None:
            strategy = self._texts[alphabet, max_size] = st.text(alphabet=alphabet, max_size=max_size)
        return self.draw(strategy)  # type: ignore[no-any-return]


LATIN1 = "".join(chr(code) for code in range(256))

# --- configurations -----------------------------------------------------------------------------------

EXACT_ORIGINS = [
    "https://app.example.com",
    "http://localhost:3000",
    "https://api.example.org",
    "http://[::1]:8080",
    "https://a.test:8443",
    "https://example.com",
]
WILDCARD_ORIGINS = [
    "https://*.example.com",
    "https://*.example.org:8443",
    "http://localhost:*",
    "http://127.0.0.1:*",
    "https://*.example.com:*",
]
BROAD_REGEX = re.compile(r"https?://.*")
"""Allows any http(s) origin: legal without credentials, a ConfigError with them."""
REGEX_ORIGINS: list[Any] = [
    r"https://(app|api)\.example\.net",
    r"https://app\d+\.example\.com",
    r"(?:null|https://z\.example\.com)",  # a regex that would match "null": still never allows it
    re.compile(r"https://[a-z]+\.example\.io"),
    re.compile(r"HTTPS://CAPS\.EXAMPLE\.COM"),  # case-insensitive whatever the pattern's own flags
    BROAD_REGEX,
]
REGEX_SAMPLES = {
    r"https://(app|api)\.example\.net": ["https://app.example.net", "https://api.example.net"],
    r"https://app\d+\.example\.com": ["https://app7.example.com", "https://app123.example.com"],
    r"(?:null|https://z\.example\.com)": ["https://z.example.com", "null"],
    r"https://[a-z]+\.example\.io": ["https://abc.example.io", "https://z.example.io"],
    r"HTTPS://CAPS\.EXAMPLE\.COM": ["https://caps.example.com"],
    r"https?://.*": ["https://any.test", "http://anything.example:9"],
}
INVALID_ORIGINS = [
    "https://*example.com",
    "null",
    "https://App.example.com/",
    "file:///tmp/x",
    "https://app.*.example.com",
]
"""The contract refuses each of these: a configuration holding one must raise ConfigError."""

HEADER_NAMES = ["X-A", "x-b", "Content-Type", "Authorization", "X-Requested-With"]
HEADER_REGEXES: list[Any] = [r"x-custom-\d+", re.compile(r"X-Trace-[a-z]+")]
INVALID_HEADERS = ["X-Company-*", "Cookie", "Sec-Fetch-Mode"]
METHOD_POOL = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "purge"]
PATH_SOURCES = sorted(PATH_PATTERNS)


def origins_option(c: Chooser, invalid_percent: int) -> Any:
    if c.chance(25):
        return "*"
    items: list[Any] = []
    for _ in range(c.integer(1, 4)):
        kind = c.integer(0, 99)
        if kind < 40:
            items.append(c.choice(EXACT_ORIGINS))
        elif kind < 65:
            items.append(c.choice(WILDCARD_ORIGINS))
        elif kind < 95:
            items.append(c.choice(REGEX_ORIGINS))
        else:
            items.append("*")
    if c.chance(invalid_percent):
        items.append(c.choice(INVALID_ORIGINS))
    unique = list({(type(item), str(item)): item for item in items}.values())
    return unique[0] if len(unique) == 1 and c.chance(30) else unique


def is_broad(origins: Any) -> bool:
    """Allows any origin: refused together with credentials."""
    return any(item == "*" or item is BROAD_REGEX for item in as_list(origins))


def rule_options(c: Chooser, invalid_percent: int, outer: dict[str, Any] | None = None) -> dict[str, Any]:
    """A dict of options; inside a resources entry (``outer`` = the keyword options) only a few."""
    nested = outer is not None
    options: dict[str, Any] = {}
    if not nested or c.chance(50):
        options["origins"] = origins_option(c, invalid_percent)
    broad = is_broad(options.get("origins", outer.get("origins", "*") if outer is not None else "*"))
    inherited_credentials = outer is not None and outer.get("supports_credentials", False)
    # '*' (or a pattern allowing any origin) with credentials is refused: make it rare, not absent.
    if c.chance(invalid_percent if broad else 40):
        options["supports_credentials"] = True
    elif (not nested and c.chance(20)) or (broad and inherited_credentials):
        options["supports_credentials"] = False
    if c.chance(40 if not nested else 20):
        kind = c.integer(0, 9)
        if kind == 0:
            options["methods"] = "*"
        else:
            count = c.integer(1, 4)
            options["methods"] = list(dict.fromkeys(c.choice(METHOD_POOL) for _ in range(count)))
            if c.chance(invalid_percent):
                options["methods"].append("TRACE")
    if c.chance(50 if not nested else 20):
        if c.chance(20):
            options["allow_headers"] = "*"
        else:
            headers = [c.choice(HEADER_NAMES + HEADER_REGEXES) for _ in range(c.integer(1, 4))]
            options["allow_headers"] = list({str(item): item for item in headers}.values())
            if c.chance(invalid_percent):
                options["allow_headers"].append(c.choice(INVALID_HEADERS))
    if c.chance(30):
        options["expose_headers"] = c.choice([["X-Total"], ["X-Total", "X-Page"], "X-Request-Id", None])
    if c.chance(30):
        options["max_age"] = c.choice([0, 600, timedelta(hours=1), 86400])
        if c.chance(invalid_percent):
            options["max_age"] = 100000
    for name, default_percent in (
        ("send_wildcard", 30),
        ("vary_header", 15),
        ("always_send", 20),
        ("automatic_options", 15),
        ("intercept_exceptions", 15),
    ):
        if c.chance(default_percent):
            options[name] = c.choice([True, False])
    # Like credentials, private network access with any origin is refused: rare, not absent.
    if c.chance(invalid_percent if broad else 25):
        options["allow_private_network"] = c.choice([True, False])
    return options


def resources_option(c: Chooser) -> tuple[Any, bool]:
    """``(resources, is_dict)``; patterns are unique and never tie (see _oracle.winning_rule)."""
    kind = c.integer(0, 9)
    patterns = list(dict.fromkeys(c.choice(PATH_SOURCES) for _ in range(c.integer(1, 4))))
    if "*" in patterns and "/*" in patterns:
        patterns.remove("*")  # both cover everything with no tie-break the contract states
    values = [PATH_PATTERNS[source].option() for source in patterns]
    if kind < 3:
        return values[0], False
    if kind < 5:
        return values, False
    return values, True


def config(c: Chooser, invalid_percent: int = 2) -> dict[str, Any]:
    """Keyword options for CORSMiddleware: valid most of the time (see config_is_valid)."""
    options = rule_options(c, invalid_percent)
    if c.chance(70):
        resources, is_dict = resources_option(c)
        if is_dict:
            options["resources"] = {pattern: rule_options(c, invalid_percent, options) for pattern in resources}
        else:
            options["resources"] = resources
    return options


def config_is_valid(options: dict[str, Any]) -> bool:
    """The contract's "Refused" list, for what ``config`` can produce."""
    entries: list[dict[str, Any]] = [options]
    resources = options.get("resources")
    if isinstance(resources, dict):
        base = {name: value for name, value in options.items() if name != "resources"}
        entries = [{**base, **own} for own in resources.values()]
    for own in [options, *entries]:
        origins = as_list(own.get("origins", "*"))
        if any(isinstance(item, str) and item in INVALID_ORIGINS for item in origins):
            return False
        if "TRACE" in as_list(own.get("methods")):
            return False
        if any(isinstance(item, str) and item in INVALID_HEADERS for item in as_list(own.get("allow_headers"))):
            return False
        if own.get("max_age") == 100000:
            return False
    return not any(
        (own.get("supports_credentials") or own.get("allow_private_network")) and is_broad(own.get("origins", "*"))
        for own in entries
    )


# --- requests -----------------------------------------------------------------------------------------

PATHS = [
    "/", "", "api/x", "/api", "/api/", "/api/v1", "/api/v1/users", "/API/v1", "/apiary", "/v1/api/x",
    "/api/v2/items", "/api/v2/items/3", "/api/v1/items", "/api/v/items", "/api/v\xb2/items", "/users",
    "/Users", "/users/1", "/users/", "/x/abc", "/x/ab\xe9", "/x/abc/def", "/x/", "/x/a b", "/service+path",
    "/service path", "/service%2Bpath", "/caf\xc3\xa9", "/café", "/caf%C3%A9", "/test_acl", "/test_acl_abort_404",
    "/test_ac", "/public", "/public/x", "/public/../private/x", "/public/..%2fprivate/x", "/private",
    "/private/x", "/Private/x", "/public/%2e%2e/private/x", "/api/../users", "/api/x\ny", "/%61pi/x",
    "/api%2Fx", "/api+v1", "/api/x%00", "/./api/x", "//api/x",
]  # fmt: skip
PATH_ALPHABET = string.ascii_letters + string.digits + "/%+._~-" + "/" * 6 + "é\xc3\xa9\x00\n \t\xff"

METHODS = ["OPTIONS", "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "options", "Options", "PROPFIND", "FOO"]
ACRMS = [
    "PUT", "GET", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "PURGE", "patch", "put", "OS", "PU", "T",
    "GET, POST", "GET,POST", "", " PUT", "PUT ", "P U T", "CONNECT", "TRACE", "PUT\r\n", "X" * 64, "X" * 65,
]  # fmt: skip
ACRH_NAMES = [
    "x-a", "X-A", "x-b", "content-type", "authorization", "Authorization", "x-requested-with", "x-custom-12",
    "x-custom-", "x-trace-abc", "X-TRACE-Q", "x-unknown", "*", "cookie", "x-a x-b", "x:y", "\xe9", "",
]  # fmt: skip
SEPARATORS = [",", ", ", " ,", ",,", "\t,", " , "]
NEAR_MISS = [
    lambda o: o.upper(),
    lambda o: o.replace("://", "://X", 1),
    lambda o: o + "/",
    lambda o: o + "/path",
    lambda o: o + ".evil.test",
    lambda o: o.replace("://", "://evil", 1),
    lambda o: o.replace("://", "://evil.", 1),
    lambda o: o.replace("https://", "http://", 1) if o.startswith("https") else o.replace("http://", "https://", 1),
    lambda o: o + ":443",
    lambda o: o + ":80",
    lambda o: o + ":8443",
    lambda o: o + ":",
    lambda o: o + ":0443",
    lambda o: " " + o,
    lambda o: o + " ",
    lambda o: o + "\t",
    lambda o: o + ", https://evil.test",
    lambda o: o + ",",
    lambda o: o + "\r\nX-Evil: 1",
    lambda o: o + "\x00",
    lambda o: o.replace("://", "://user@", 1),
    lambda o: o.replace(".", "..", 1),
    lambda o: o + ".",
    lambda o: o.encode("utf-8").decode("latin-1") + "\xe9",
    lambda o: o.replace("a", "\xe0", 1),
    lambda o: o[:-1],
    lambda o: o.split(".", 1)[-1] if "." in o else o,
]
GENERIC_ORIGINS = [
    "null", "Null", "https://evil.test", "https://example.com.evil.test", "https://evilexample.com",
    "https://app.example.com.evil.net", "", "*", "https://", "http://localhost", "http://localhost.evil.test:3000",
    "http://[::1]", "http://[::1]:8080/", "http://127.0.0.1:99999", "https://a." + "b" * 300 + ".example.com",
]  # fmt: skip


def allowed_sample(c: Chooser, item: Any) -> str:
    """An origin that ``item`` (one ``origins`` entry) allows, as a browser would send it."""
    source = item.pattern if isinstance(item, re.Pattern) else item
    if source in REGEX_SAMPLES:
        return c.choice(REGEX_SAMPLES[source])
    if item == "*":
        return c.choice([*EXACT_ORIGINS, "https://anyone.test", "null", "http://[::1]:1"])
    if "*" in source:
        scheme, _, rest = source.partition("://")
        port = ""
        if rest.endswith(":*"):
            rest = rest[:-2]
            port = c.choice(["", ":1", ":3000", ":8080", ":65535", ":99999", ":0"])
        if rest.startswith("*."):
            labels = [c.choice(["a", "api", "x-y", "b_c", "0", "deep"]) for _ in range(c.integer(1, 3))]
            rest = ".".join(labels) + rest[1:]
        return f"{scheme}://{rest}{port}"
    return str(source)


PATH_EXAMPLES = {
    "/*": ["/", "/anything/at/all"],
    "*": ["/", "/x"],
    "/api/*": ["/api", "/api/", "/api/v1/users", "/api/../private/x", "/api/x\ny"],
    "/api/v1/*": ["/api/v1", "/api/v1/x", "/api/v1/items"],
    "/public/*": ["/public", "/public/x", "/public/../private/x", "/public/..%2fprivate/x"],
    "/private/*": ["/private", "/private/x"],
    "/test_acl*": ["/test_acl", "/test_acl_abort_404"],
    "/users": ["/users"],
    "/café": ["/caf\xc3\xa9"],
    r"/api/v\d+/items": ["/api/v2/items", "/api/v10/items"],
    r"/x/\w+": ["/x/abc", "/x/ab\xe9", "/x/_"],
    r"/service\+path": ["/service+path"],
}
HEADER_SAMPLES = {r"x-custom-\d+": ["x-custom-7", "X-Custom-12"], "X-Trace-[a-z]+": ["x-trace-abc", "X-TRACE-Q"]}


def configured(options: dict[str, Any], name: str, default: Any) -> list[Any]:
    """Every item of option ``name`` in a configuration, resources entries included."""
    rules = [options]
    if isinstance(options.get("resources"), dict):
        rules += list(options["resources"].values())
    return [item for own in rules for item in as_list(own.get(name, default))]


def configured_paths(options: dict[str, Any]) -> list[str]:
    resources = options.get("resources", "/*")
    patterns = [resources] if isinstance(resources, (str, re.Pattern)) else list(resources)
    sources = [pattern.pattern if isinstance(pattern, re.Pattern) else pattern for pattern in patterns]
    return [path for source in sources for path in PATH_EXAMPLES[source]]


def origin(c: Chooser, options: dict[str, Any]) -> str | None:
    items = configured(options, "origins", "*")
    kind = c.integer(0, 99)
    if kind < 12:
        return None
    if kind < 50 and items:
        return allowed_sample(c, c.choice(items))
    if kind < 80 and items:
        return c.choice(NEAR_MISS)(allowed_sample(c, c.choice(items)))
    if kind < 90:
        return c.choice(GENERIC_ORIGINS)
    if kind < 98:
        return c.text(LATIN1, 40)
    return "https://" + "a" * c.integer(290, 5000) + ".test"


def acrh(c: Chooser, options: dict[str, Any]) -> str | None:
    kind = c.integer(0, 99)
    if kind < 35:
        return None
    if kind < 85:
        allowed = [
            sample
            for item in configured(options, "allow_headers", "*")
            for sample in HEADER_SAMPLES.get(item.pattern if isinstance(item, re.Pattern) else item, [item])
            if sample != "*"
        ]
        pool = ACRH_NAMES if not allowed or c.chance(40) else allowed
        names = [c.choice(pool) for _ in range(c.integer(1, 4))]
        if c.chance(50):
            names = sorted({name.lower() for name in names})  # what browsers send: lowercase, sorted, unique
            return ",".join(names)
        return c.choice(SEPARATORS).join(names)
    if kind < 95:
        return c.text(LATIN1, 30)
    return c.choice(["x-a," * 130, "x-a," * 1100, ",", " ", "a" * 4097, "x-a" + "," * 129])


def path(c: Chooser, options: dict[str, Any]) -> str:
    kind = c.integer(0, 99)
    if kind < 40:
        return c.choice(configured_paths(options))
    if kind < 65:
        return c.choice(PATHS)
    if kind < 85:
        return "/" + c.text(PATH_ALPHABET, 20)
    return c.text(LATIN1, 20)


def request(c: Chooser, options: dict[str, Any]) -> Request:
    preflight = c.chance(45)
    method = "OPTIONS" if preflight else c.choice(METHODS) if c.chance(90) else c.text(LATIN1, 8)
    request_origin = origin(c, options)
    if preflight and request_origin is None and c.chance(80):
        request_origin = allowed_sample(c, c.choice(EXACT_ORIGINS))
    acrm = None
    if preflight or c.chance(10):
        kind = c.integer(0, 99)
        if kind < 45:
            methods = [m for m in configured(options, "methods", METHOD_POOL) if m != "*"]
            acrm = c.choice(methods or METHOD_POOL).upper()
        else:
            acrm = c.choice(ACRMS) if kind < 90 else c.text(LATIN1, 8)
    request_path = path(c, options)
    return Request(
        method=method,
        path=request_path,
        origin=request_origin,
        acrm=acrm,
        acrh=acrh(c, options) if preflight or c.chance(5) else None,
        acrpn=c.choice([None, None, "true", "false", "TRUE"]),
        app_mode=c.choice(APP_MODES) if c.chance(20) else "plain",
        app_status=c.integer(0, len(APP_STATUSES) - 1) if c.chance(20) else 0,
    )
