"""Origin patterns: parsing the ``origins`` option and matching a request's ``Origin`` against it.

Browsers serialise an origin as ``scheme://host[:port]``: lowercase, no default port, no path, no
trailing slash (WHATWG URL, "origin serialization"). The CORS check compares ``Access-Control-Allow-Origin``
with the request's ``Origin`` byte for byte, so an allowed origin written any other way in the
configuration could never match. That is why a misspelt origin is a configuration error here, with the
corrected spelling, rather than a rule that silently never fires.

Four forms are accepted, each compiled once:

* ``*`` — every origin (``null`` included);
* an exact origin — a hash-set lookup, O(1) in the number of origins;
* ``https://*.example.com`` (any subdomain, any depth, never the apex) and ``http://localhost:*``
  (any port) — translated into anchored regular expressions with no other wildcard positions, because
  looser globs are how peers came to allow ``https://evilexample.com``;
* regular expressions (``re.compile(...)`` or a string with regex characters) — matched against the
  **whole** origin (``fullmatch``); peers that used ``re.match`` allowed
  ``https://example.com.evil.net``.

At request time an ``Origin`` longer than :data:`MAX_ORIGIN_LENGTH` or not shaped like a serialised
origin is never allowed, whatever the patterns say, so nothing odd is ever reflected.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Callable, Final, Union
from urllib.parse import urlsplit

logger: Final = logging.getLogger("cors_wsgi")

MAX_ORIGIN_LENGTH: Final = 300
"""Longer ``Origin`` values are rejected before any lookup (a hash of a huge string is not free)."""

DEFAULT_PORTS: Final = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

# Characters that make a string a regular expression: flask-cors' guess, minus "*" (which we read as a
# wildcard in the two positions we accept, and refuse elsewhere).
REGEX_CHARS: Final = frozenset("\\]?$^[()")

_SCHEME = r"[a-z][a-z0-9+.\-]*"
_LABEL = r"[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?"
_HOSTNAME = rf"{_LABEL}(?:\.{_LABEL})*"
_IPV6 = r"\[[0-9a-f:.]+\]"
_PORT = r"[1-9][0-9]{0,4}|0"

# The shape of a serialised origin, as browsers send it. Used on requests (bounded input) and to
# validate exact origins in the configuration.
ORIGIN_RE: Final = re.compile(rf"(?P<scheme>{_SCHEME})://(?P<host>{_HOSTNAME}|{_IPV6})(?::(?P<port>{_PORT}))?")

PatternLike = Union[str, "re.Pattern[str]", "OriginCheck"]


OriginCheck = Callable[[str], bool]
"""A function in ``origins``: called with a well-formed origin no static item allowed; only ``True`` allows."""

ALLOWED_EXACT: Final = "listed"
ALLOWED_ANY: Final = "'*'"
ALLOWED_PATTERN: Final = "a pattern"
NOT_ALLOWED: Final = "not allowed"
MALFORMED: Final = "malformed"


@dataclass(frozen=True)
class OriginMatcher:
    """A compiled ``origins`` option. Immutable; :meth:`allows` is the request-time entry point.

    What the configuration allows is decided in order of cost: the exact set (a hash lookup), then the
    shape check that every other form needs (so that a malformed, oversized or ``null`` Origin reaches
    neither a regex nor user code), then ``*``, the patterns, and last the functions.
    """

    allow_any: bool
    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    """Wildcard forms and user regexes, all applied with ``fullmatch``."""
    sources: tuple[str, ...]
    """The configuration as written, for messages, ``explain`` and ``check`` (a function as ``name()``)."""
    callables: tuple[OriginCheck, ...] = ()
    insecure_http: tuple[str, ...] = ()
    """Plain-http, non-loopback entries (risky with credentials)."""
    unverified_http: tuple[str, ...] = ()
    """Regexes that may match plain-http origins, which could not be shown to match only loopback ones."""
    matches_anything: tuple[str, ...] = ()
    """Entries that would allow any origin (``*`` or an over-broad regex)."""

    def allows(self, origin: str) -> bool:
        """Whether ``origin`` (a request header value) is allowed. Never raises, bounded cost (apart from
        what a configured function costs)."""
        return self.check(origin)[0]

    def check(self, origin: str) -> tuple[bool, str]:
        """``(allowed, how)``: how it was allowed (:data:`ALLOWED_EXACT`, :data:`ALLOWED_ANY`,
        :data:`ALLOWED_PATTERN` or a function's ``name()``), or why not."""
        if len(origin) > MAX_ORIGIN_LENGTH:
            return False, MALFORMED
        if origin in self.exact:  # exact entries are validated, so a hit is well formed
            return True, ALLOWED_EXACT
        if not (self.allow_any or self.patterns or self.callables):
            return False, NOT_ALLOWED
        if origin == "null":  # only "*" allows it: configuration refuses it in every other form
            return self.allow_any, ALLOWED_ANY if self.allow_any else NOT_ALLOWED
        if ORIGIN_RE.fullmatch(origin) is None:
            return False, MALFORMED
        if self.allow_any:
            return True, ALLOWED_ANY
        for pattern in self.patterns:
            if pattern.fullmatch(origin) is not None:
                return True, ALLOWED_PATTERN
        for decide in self.callables:
            try:
                verdict = decide(origin)
            except Exception as error:  # the user's code: a failure rejects, never a 500
                logger.warning(
                    "origins function %s raised %r for origin %r; the origin is not allowed",
                    callable_name(decide),
                    error,
                    origin,
                )
                return False, f"{callable_name(decide)} raised {type(error).__name__}"
            if verdict is True:  # not merely truthy: a returned string or 1 is a bug, not a yes
                return True, callable_name(decide)
        if self.callables:
            return False, f"{', '.join(map(callable_name, self.callables))} did not return True"
        return False, NOT_ALLOWED


def callable_name(function: object) -> str:
    """How a function in ``origins`` is named in messages: ``is_tenant_origin()``."""
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", None)
    if not isinstance(name, str):  # an object with __call__: its class names it
        name = type(function).__qualname__
    return f"{name.rpartition('<locals>.')[2]}()"


@dataclass(frozen=True)
class ParsedOrigins:
    """The result of parsing ``origins``: a matcher plus what was wrong or risky about the input."""

    matcher: OriginMatcher
    errors: tuple[tuple[object, str], ...]
    """``(item, message)`` pairs for :class:`~cors_wsgi.errors.Problem`; the message names the fix."""
    warnings: tuple[tuple[object, str], ...]


# Probes for "would this regex allow any website?": origins an attacker can register, over both schemes,
# the common top-level domains, with and without a port, digit or hyphen (so that `.*\.(com|net)`,
# `https://[a-z.]+` and `https?://\w+\.\w+` are caught as well as `.*`). None of them can be a site's
# own origin, so a pattern matching one of them matches strangers.
_ANY_ORIGIN_PROBES: Final = (
    "https://cors-wsgi-probe.invalid",
    "http://attacker-probe.invalid:8080",
    "https://attacker.com",
    "http://attacker.com",
    "https://attacker.net",
    "https://attacker.org",
    "https://attacker.io",
    "https://www.attacker.com",
    "https://attacker.co.uk",
    "https://attacker1.com:8443",
)
_NULL_ERROR: Final = (
    "'null' is the origin of sandboxed iframes, file: pages and some redirects; any website can produce "
    "it, so allowing it allows everyone. Remove it"
)

_LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})


def parse_origins(items: Iterable[PatternLike]) -> ParsedOrigins:
    """Compile the ``origins`` option (already split into items) into an :class:`OriginMatcher`."""
    allow_any = False
    exact: list[str] = []
    patterns: list[re.Pattern[str]] = []
    callables: list[OriginCheck] = []
    sources: list[str] = []
    errors: list[tuple[object, str]] = []
    warnings: list[tuple[object, str]] = []
    insecure: list[str] = []
    unverified: list[str] = []
    anything: list[str] = []

    for item in items:
        if not isinstance(item, (str, re.Pattern)):  # a function: the caller checked callable()
            callables.append(item)
            sources.append(callable_name(item))
            continue
        text = item.pattern if isinstance(item, re.Pattern) else item
        sources.append(text)
        if text == "*" and not isinstance(item, re.Pattern):
            allow_any = True
            anything.append(text)
            continue
        value: re.Pattern[str] | None
        if isinstance(item, re.Pattern):
            # Origins are case-insensitive ASCII that browsers send lowercase: a pattern written with
            # capitals must still match, as regex strings do.
            kind, value, error = "regex", re.compile(item.pattern, item.flags | re.IGNORECASE), None
        else:
            kind, value, error = _classify(item)
        if error is not None:
            errors.append((text, error))
            continue
        if kind == "exact":
            exact.append(text)
            if text.startswith("http://") and not _is_loopback(text):
                insecure.append(text)
            continue
        assert value is not None
        patterns.append(value)
        if kind == "regex":
            if any(value.fullmatch(probe) for probe in _ANY_ORIGIN_PROBES):
                anything.append(text)
            elif value.fullmatch("null"):
                warnings.append((text, "matches 'null', which a pattern never allows (only '*' does); remove it"))
            hint = _unescaped_dot_hint(text)
            if hint and not isinstance(item, re.Pattern):
                warnings.append((text, hint))
            http = _plain_http_reach(value, text)
            if http == "remote":
                insecure.append(text)
            elif http == "unverified":
                unverified.append(text)
        else:
            hint = _broad_wildcard_hint(text)
            if hint:
                warnings.append((text, hint))
                anything.append(text)  # near enough to "any origin" to refuse with credentials
            if text.startswith("http://") and not _is_loopback(text):
                insecure.append(text)

    matcher = OriginMatcher(
        allow_any=allow_any,
        exact=frozenset(exact),
        patterns=tuple(patterns),
        sources=tuple(sources),
        callables=tuple(callables),
        insecure_http=tuple(insecure),
        unverified_http=tuple(unverified),
        matches_anything=tuple(anything),
    )
    return ParsedOrigins(matcher, tuple(errors), tuple(warnings))


# Plain-http origins on other hosts, and on loopback ones (which browsers treat as secure contexts:
# RFC 6761 reserves localhost, and Fetch's "potentially trustworthy origin" includes 127/8 and [::1]).
_REMOTE_HTTP_PROBES: Final = (
    "http://attacker.com",
    "http://app.example.com",
    "http://example.com:8080",
    "http://10.0.0.1",
    "http://192.168.1.10:8000",
    "http://intranet",
    "http://localhost.attacker.com",
    "http://127.0.0.1.attacker.com",
)
_LOOPBACK_HTTP_PROBES: Final = (
    "http://localhost",
    "http://localhost:3000",
    "http://127.0.0.1",
    "http://127.0.0.1:8000",
    "http://[::1]",
    "http://[::1]:8080",
    "http://app.localhost:5173",
)
_LOOPBACK_REGEX_HOSTS: Final = re.compile(r"localhost|127\\\.0\\\.0\\\.1|\\\[::1\\\]")
_REGEX_PORT: Final = re.compile(r":(?:\\d|\[0-9\])(?:[+*]|\{\d*,?\d*\})?")
_MAY_BE_HTTP: Final = re.compile(r"http(?!s(?![?*]))")


def _plain_http_reach(regex: re.Pattern[str], text: str) -> str:
    """Whether an origin regex reaches plain-http origins on other hosts: ``"remote"`` when it matches
    one of the probes, ``""`` when it cannot match ``http://`` or names only loopback hosts (and ports),
    ``"unverified"`` when neither can be shown."""
    if any(regex.fullmatch(probe) for probe in _REMOTE_HTTP_PROBES):
        return "remote"
    if _MAY_BE_HTTP.search(text) is None:  # "https://..." only
        return ""
    if any(regex.fullmatch(probe) for probe in _LOOPBACK_HTTP_PROBES):
        rest = _REGEX_PORT.sub("", _LOOPBACK_REGEX_HOSTS.sub("", text.split("://", 1)[-1]))
        if re.fullmatch(r"[()|?^$]*", rest):
            return ""
    return "unverified"


def _broad_wildcard_hint(text: str) -> str | None:
    """``https://*.com`` allows every site in a top-level domain; say so (a list of public suffixes
    would be needed to refuse ``*.co.uk`` too, and we keep no such list)."""
    host = ORIGIN_RE.fullmatch(text.replace("*.", "x.").replace(":*", ""))
    if host is None or "*." not in text:
        return None
    domain = host.group("host").split(".", 1)[-1]
    if "." not in domain and domain != "localhost":
        return f"allows every site under the top-level domain '.{domain}'; name your own domain"
    return None


def _is_loopback(origin: str) -> bool:
    match = ORIGIN_RE.fullmatch(origin.replace("*.", "x.").replace(":*", ""))
    if match is None:
        return False
    host = match.group("host")
    return host in _LOOPBACK_HOSTS or host.endswith(".localhost") or host.startswith("127.")


def _classify(item: str) -> tuple[str, re.Pattern[str] | None, str | None]:
    """Decide what an origin string is: ``("exact"|"wildcard"|"regex", compiled, error)``."""
    if item == "null":
        return "exact", None, _NULL_ERROR
    if item in (".*", "^.*$", ".+"):
        return "regex", None, "to allow every origin write '*' (or pass re.compile(...) for a real pattern)"
    if item.lower().startswith("file:"):
        return "exact", None, "file: pages send 'Origin: null', which any website can forge. Remove it"
    if _is_exact(item):
        return "exact", None, None
    if "*" in item:
        kind, compiled, error = _compile_wildcard(item)
        if error is None or not any(char in REGEX_CHARS for char in item):
            return kind, compiled, error
    if _is_misspelt_ipv6_origin(item):
        return "exact", None, _exact_origin_fix(item)
    if any(char in REGEX_CHARS for char in item):
        try:
            return "regex", re.compile(item, re.IGNORECASE), None
        except re.error as exc:
            return (
                "regex",
                None,
                (f"is not a valid regular expression ({exc}); escape the special characters or pass re.compile(...)"),
            )
    return "exact", None, _exact_origin_fix(item)


def _is_exact(item: str) -> bool:
    match = ORIGIN_RE.fullmatch(item)
    if match is None or len(item) > MAX_ORIGIN_LENGTH:
        return False
    port = match.group("port")
    return port is None or (DEFAULT_PORTS.get(match.group("scheme")) != port and int(port) <= 65535)


_IPV6_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\[[0-9A-Fa-f:.]+\](?::[0-9]*)?(?:/[^\\?$^()\[\]*]*)?")


def _is_misspelt_ipv6_origin(item: str) -> bool:
    """``HTTP://[::1]:8080/`` is a misspelt origin, not a regex whose ``[::1]`` is a character class."""
    return _IPV6_URL_RE.fullmatch(item) is not None


def _compile_wildcard(item: str) -> tuple[str, re.Pattern[str] | None, str | None]:
    """``scheme://*.domain[:port|:*]`` and ``scheme://host:*``; every other ``*`` is refused."""
    scheme, sep, rest = item.partition("://")
    subdomains = rest.startswith("*.")
    host_port = rest[2:] if subdomains else rest
    any_port = host_port.endswith(":*")
    host_and_port = host_port[:-2] if any_port else host_port
    candidate = f"{scheme}://{host_and_port}"
    if sep and "*" not in host_and_port and (subdomains or any_port) and _is_exact(candidate):
        match = ORIGIN_RE.fullmatch(candidate)
        assert match is not None
        host = match.group("host")
        if subdomains and host.startswith("["):
            return "wildcard", None, "an IPv6 address has no subdomains; list the origin exactly"
        regex = re.escape(f"{scheme}://")
        if subdomains:
            regex += rf"(?:{_LABEL}\.)+"
        regex += re.escape(host)
        if any_port:
            regex += rf"(?::(?:{_PORT}))?"
        elif match.group("port"):
            regex += re.escape(":" + match.group("port"))
        return "wildcard", re.compile(regex), None
    return "wildcard", None, _wildcard_fix(item)


def _wildcard_fix(item: str) -> str:
    allowed = (
        "'*' is accepted alone, as a leading '*.' label (https://*.example.com) or as a ':*' port (http://localhost:*)"
    )
    regex_hint = "for any other shape pass re.compile(...) with a pattern that matches the whole origin"
    scheme = item.split("://")[0].lower() if "://" in item else "https"
    if not re.fullmatch(_SCHEME, scheme):
        scheme = "https"
    tail = item.rsplit("*", 1)[-1].lstrip(".").split("/")[0].lower()
    domain, _, port = tail.partition(":")
    if re.fullmatch(_HOSTNAME, domain) and "." in domain and (not port or port.isdigit()):
        suggestion = f"{scheme}://*.{domain}" + (f":{port}" if port else "")
        return f"{allowed}; did you mean '{suggestion}'? ({regex_hint})"
    return f"{allowed}; {regex_hint}"


def _exact_origin_fix(item: str) -> str:
    """Explain why ``item`` is not an origin as browsers send it, and suggest the spelling that is."""
    suggestion = suggest_origin(item)
    reason = "is not an origin as browsers send it (scheme://host[:port], lowercase, no default port, no path)"
    if "@" in item.split("://", 1)[-1].split("/", 1)[0]:
        reason = "has user information, which never appears in an Origin header"
    if suggestion is not None and suggestion != item:
        return f"{reason}; did you mean '{suggestion}'?"
    return reason


def suggest_origin(item: str) -> str | None:
    """The serialised origin a browser would send for a URL-ish string, or None if there is none."""
    text = item.strip()
    if "://" not in text:
        host = text.split("/")[0]
        scheme = "http" if host.split(":")[0] in ("localhost", "127.0.0.1") else "https"
        text = f"{scheme}://{text}"
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not hostname:
        return None
    scheme = parts.scheme.lower()
    host = f"[{hostname}]" if ":" in hostname else hostname.lower().rstrip(".")
    origin = f"{scheme}://{host}"
    if port is not None and DEFAULT_PORTS.get(scheme) != str(port):
        origin += f":{port}"
    return origin if _is_exact(origin) else None


def _unescaped_dot_hint(pattern: str) -> str | None:
    """Warn about ``example.com`` inside a regex: the dot matches any character (``exampleXcom``)."""
    if re.search(r"(?<![\\\[])[A-Za-z0-9]\.[A-Za-z]", pattern.replace("\\\\", "")):
        return (
            "this regular expression has an unescaped '.', which matches any character "
            "(so 'example.com' also matches 'examplexcom'); write '\\.'"
        )
    return None
