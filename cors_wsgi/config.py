"""Options in, validated settings out: every flask-cors option, checked once, at construction.

The option names and defaults are flask-cors', so a flask-cors user migrates by changing one import.
What differs is strictness: flask-cors logs a warning for an unknown option and carries on (``origin=``
instead of ``origins=`` then allows every origin), accepts ``"yes"`` as a boolean, and lets a misspelt
origin silently never match. Here each of those is a :class:`~cors_wsgi.errors.Problem`, and all of them
are raised together as one :class:`~cors_wsgi.errors.ConfigError`.

This module knows nothing about requests: it turns ``**options`` (and each ``resources`` entry's
overrides) into :class:`Settings`, which :mod:`cors_wsgi.policy` compiles into request-time lookups.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from .errors import Problem
from .headers import (
    FORBIDDEN_RESPONSE_HEADERS,
    HeaderMatcher,
    is_token,
    parse_header_patterns,
    split_list,
)
from .origins import OriginMatcher, ParsedOrigins, parse_origins
from .paths import PathPattern, pattern_text

ALL_METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE")
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
MAX_AGE_LIMIT = 86400
"""Firefox's cap; Chromium caps at 7200 and WebKit at 600. Larger values only mislead the reader."""

DEFAULTS: Mapping[str, Any] = {
    "resources": r"/*",
    "origins": "*",
    "methods": ALL_METHODS,
    "allow_headers": "*",
    "expose_headers": None,
    "supports_credentials": False,
    "max_age": None,
    "send_wildcard": False,
    "vary_header": True,
    "always_send": True,
    "automatic_options": True,
    "intercept_exceptions": True,
    "allow_private_network": False,
    "debug": False,
}
OPTION_NAMES = tuple(DEFAULTS)
BOOLEAN_OPTIONS = (
    "supports_credentials",
    "send_wildcard",
    "vary_header",
    "always_send",
    "automatic_options",
    "intercept_exceptions",
    "allow_private_network",
    "debug",
)

# Names other CORS libraries use for the same thing, so the error can say which of ours to use.
ALIASES = {
    "origin": "origins",
    "allow_origins": "origins",
    "allowed_origins": "origins",
    "allow_origin": "origins",
    "allow_origin_regex": "origins",
    "cors_allowed_origins": "origins",
    "cors_allowed_origin_regexes": "origins",
    "allow_methods": "methods",
    "allowed_methods": "methods",
    "method": "methods",
    "headers": "allow_headers",
    "allowed_headers": "allow_headers",
    "allow_header": "allow_headers",
    "expose_header": "expose_headers",
    "exposed_headers": "expose_headers",
    "credentials": "supports_credentials",
    "allow_credentials": "supports_credentials",
    "support_credentials": "supports_credentials",
    "maxage": "max_age",
    "preflight_max_age": "max_age",
    "resource": "resources",
    "paths": "resources",
    "vary": "vary_header",
    "private_network": "allow_private_network",
}


@dataclass(frozen=True)
class Settings:
    """One resource rule's validated, normalised options."""

    origins: OriginMatcher
    methods: tuple[str, ...] | None
    """None means ``*`` (any method)."""
    allow_headers: HeaderMatcher
    expose_headers: tuple[str, ...]
    supports_credentials: bool
    max_age: int | None
    send_wildcard: bool
    vary_header: bool
    always_send: bool
    automatic_options: bool
    intercept_exceptions: bool
    allow_private_network: bool
    debug: bool


class Collector:
    """Accumulates problems and warnings so that all of them are reported at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[tuple[str, object, str]] = []

    def error(self, option: str, value: object, message: str) -> None:
        problem = Problem(option, value, message)
        if problem not in self.problems:
            self.problems.append(problem)

    def warn(self, option: str, value: object, message: str) -> None:
        if (option, value, message) not in self.warnings:
            self.warnings.append((option, value, message))


def unknown_option_message(name: object, known: Iterable[str] = OPTION_NAMES) -> str:
    known = tuple(known)
    if not isinstance(name, str):
        return f"option names are strings; valid options are {', '.join(known)}"
    alias = ALIASES.get(name.lower())
    guess = alias or next(iter(difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)), None)
    hint = f"did you mean {guess!r}?" if guess else f"valid options are {', '.join(known)}"
    return f"is not a cors_wsgi option; {hint}"


def normalise_options(options: Mapping[str, Any], where: str, out: Collector) -> dict[str, Any]:
    """Validate each option on its own; returns the normalised values that passed.

    ``where`` prefixes option names in messages (``""`` or ``"resources['/api/*']."``).
    """
    normalised: dict[str, Any] = {}
    for name, value in options.items():
        label = f"{where}{name}"
        if name not in DEFAULTS or (where and name == "resources"):
            message = (
                "cannot be nested inside a resources entry" if name == "resources" else unknown_option_message(name)
            )
            out.error(label, value, message)
            continue
        if name == "resources":
            continue  # compiled by the policy, which owns the path table
        ok, result = _NORMALISERS[name](label, value, out)
        if ok:
            normalised[name] = result
    return normalised


def build_settings(
    merged: Mapping[str, Any],
    overridden: frozenset[str],
    where: str,
    out: Collector,
) -> Settings | None:
    """Combine per-option values and check the rules that involve several options.

    ``overridden`` names the options a resource entry set itself, so a cross-option problem is reported
    where it was introduced (once for the keyword arguments, not once per resource).
    """
    # An option that failed on its own is absent (its problem is recorded); the checks below still run
    # on the others, so that one ConfigError lists everything.
    parsed: ParsedOrigins | None = merged.get("origins")
    credentials: bool = merged.get("supports_credentials", False)

    def label(*names: str) -> str:
        return f"{where}{names[0]}" if overridden.intersection(names) else names[0]

    if credentials and parsed is not None and parsed.matches_anything:
        broad = parsed.matches_anything[0]
        scope = "every site of a top-level domain" if "://*." in broad else "every origin"
        out.error(
            label("origins", "supports_credentials"),
            broad,
            f"allows {scope}, and supports_credentials=True would let any such website read responses "
            "made with the user's cookies; list the origins that may send credentials "
            "(origins=['https://app.example.com'])",
        )
    if credentials and "*" in merged.get("expose_headers", ()):
        out.error(
            label("expose_headers", "supports_credentials"),
            "*",
            "browsers ignore '*' in Access-Control-Expose-Headers on credentialed requests; name the headers to expose",
        )
    if credentials and parsed is not None:
        for origin in parsed.insecure_http:
            out.warn(
                label("origins", "supports_credentials"),
                origin,
                "credentials are allowed over plain http from a non-loopback origin: anyone on the "
                "network path can impersonate it; use https",
            )
    if merged.get("send_wildcard") and parsed is not None and not parsed.matcher.allow_any:
        out.warn(
            label("send_wildcard", "origins"),
            True,
            "has no effect unless origins is '*' (the request's origin is sent back instead)",
        )
    if merged.get("debug"):
        out.warn(
            label("debug"),
            True,
            "failed preflights from allowed origins are answered with the allowed methods and headers and "
            "an X-CORS-Debug reason: this discloses configuration, so turn it off in production",
        )
    if parsed is None or any(name not in merged for name in DEFAULTS if name != "resources"):
        return None
    return Settings(
        origins=parsed.matcher,
        methods=merged["methods"],
        allow_headers=merged["allow_headers"],
        expose_headers=merged["expose_headers"],
        supports_credentials=credentials,
        max_age=merged["max_age"],
        send_wildcard=merged["send_wildcard"],
        vary_header=merged["vary_header"],
        always_send=merged["always_send"],
        automatic_options=merged["automatic_options"],
        intercept_exceptions=merged["intercept_exceptions"],
        allow_private_network=merged["allow_private_network"],
        debug=merged["debug"],
    )


# --- resources ---------------------------------------------------------------------------------------


def parse_resources(value: object, out: Collector) -> list[tuple[PathPattern, Mapping[str, Any]]]:
    """``resources`` as a pattern, a list of patterns or a ``{pattern: {option: value}}`` dict."""
    if isinstance(value, (str, re.Pattern)):
        if isinstance(value, str) and re.search(r",\s*/", value):
            # "/api/*, /v2/*" is one pattern that covers neither: commas separate origins, not paths.
            out.warn(
                "resources",
                value,
                "is one path pattern, not several (a string is never split on commas); "
                "pass a list, e.g. ['/api/*', '/v2/*'] (from the environment: a JSON list)",
            )
        return [(value, {})]
    entries: list[tuple[PathPattern, Mapping[str, Any]]] = []
    if isinstance(value, Mapping):
        for pattern, overrides in value.items():
            if overrides is None:
                overrides = {}
            if not isinstance(overrides, Mapping):
                out.error(
                    f"resources[{_show(pattern)}]",
                    overrides,
                    "must be a dict of options, e.g. {'origins': ['https://app.example.com']}",
                )
                continue
            entries.append((pattern, overrides))
    elif isinstance(value, (list, tuple, set, frozenset)):
        entries = [(pattern, {}) for pattern in value]
    else:
        out.error(
            "resources",
            value,
            "must be a path pattern, a list of them, or a dict {pattern: {option: value}}, e.g. r'/api/*'",
        )
        return []
    if not entries:
        out.warn("resources", value, "covers no path, so the middleware does nothing")
    return entries


def _show(pattern: object) -> str:
    return repr(pattern_text(pattern)) if isinstance(pattern, (str, re.Pattern)) else repr(pattern)


# --- one normaliser per option ------------------------------------------------------------------------


def _items(label: str, value: object, out: Collector, split: Callable[[str], list[str]]) -> list[Any] | None:
    """A string, a compiled pattern or an iterable of them, as a list (strings split by ``split``)."""
    if isinstance(value, (str, re.Pattern)):
        raw: list[Any] = [value]
    elif isinstance(value, (set, frozenset)):
        raw = sorted(value, key=repr)  # a set has no order; the headers we send should
    elif isinstance(value, (list, tuple)):
        raw = list(value)
    else:
        out.error(label, value, f"must be a string or a list of strings, not {type(value).__name__}")
        return None
    items: list[Any] = []
    for item in raw:
        if isinstance(item, str):
            items.extend(split(item))
        elif isinstance(item, re.Pattern) and isinstance(item.pattern, str):
            items.append(item)
        elif isinstance(item, re.Pattern):
            out.error(label, item, "is a bytes pattern; WSGI headers are str, so compile a str pattern")
        else:
            out.error(label, item, f"must be a string, not {type(item).__name__}")
    return items


def _split_plain(text: str) -> list[str]:
    return split_list(text) if "," in text else [text.strip()]


def _split_outside_groups(text: str) -> list[str]:
    """Split on commas, except inside ``{m,n}``, ``[...]`` or ``(...)`` (a regex keeps its commas)."""
    if "," not in text:
        return [text.strip()]
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "{[(":
            depth += 1
        elif char in "}])" and depth:
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _origins(label: str, value: object, out: Collector) -> tuple[bool, Any]:
    items = _items(label, value, out, _split_outside_groups)
    if items is None:
        return False, None
    parsed = parse_origins(items)
    for item, message in parsed.errors:
        out.error(label, item, message)
    for item, message in parsed.warnings:
        out.warn(label, item, message)
    if not items:
        out.warn(label, value, "is empty, so no origin is allowed on these paths")
    return True, parsed  # partial on error, so cross-option checks still run; errors are recorded


def _methods(label: str, value: object, out: Collector) -> tuple[bool, Any]:
    items = _items(label, value, out, _split_plain)
    if items is None:
        return False, None
    methods: list[str] = []
    any_method = False
    for item in items:
        if not isinstance(item, str):
            out.error(label, item, "methods are plain names like 'PUT', not patterns")
            continue
        if item == "*":
            any_method = True
            continue
        method = item.upper()
        if not is_token(method):
            out.error(label, item, "is not a valid HTTP method name (RFC 9110 token), e.g. 'PUT'")
        elif method in FORBIDDEN_METHODS:
            out.error(label, item, "is a forbidden method (Fetch): browsers never send it; remove it")
        elif method not in methods:
            methods.append(method)
    return True, None if any_method else tuple(methods)


def _allow_headers(label: str, value: object, out: Collector) -> tuple[bool, Any]:
    items = _items(label, value, out, _split_outside_groups)
    if items is None:
        return False, None
    matcher, errors = parse_header_patterns(items)
    for item, message in errors:
        out.error(label, item, message)
    return True, matcher


def _expose_headers(label: str, value: object, out: Collector) -> tuple[bool, Any]:
    if value is None:
        return True, ()
    items = _items(label, value, out, _split_plain)
    if items is None:
        return False, None
    names: list[str] = []
    for item in items:
        if not isinstance(item, str) or not (item == "*" or is_token(item)):
            out.error(label, item, "must be a header name like 'X-Request-Id' (or '*')")
        elif item.lower() in FORBIDDEN_RESPONSE_HEADERS:
            out.error(label, item, "browsers never expose Set-Cookie to a page, whatever the server says; remove it")
        elif item.lower() not in {name.lower() for name in names}:
            names.append(item)
    return True, tuple(names)


def _max_age(label: str, value: object, out: Collector) -> tuple[bool, Any]:
    if value is None:
        return True, None
    seconds: int | None = None
    if isinstance(value, bool) or not isinstance(value, (int, timedelta)):
        text = value.strip() if isinstance(value, str) else ""
        hint = f" (max_age={int(text)})" if text.isascii() and text.isdigit() else ""
        out.error(label, value, f"must be an int number of seconds or a timedelta{hint}")
        return False, None
    if isinstance(value, timedelta):
        total = value.total_seconds()
        if total != int(total):
            out.error(label, value, "must be a whole number of seconds")
            return False, None
        seconds = int(total)
    else:
        seconds = value
    if not 0 <= seconds <= MAX_AGE_LIMIT:
        out.error(
            label,
            value,
            f"must be between 0 and {MAX_AGE_LIMIT} seconds (browsers cap it anyway: Chromium at 7200); "
            "it is not clamped, so fix the value",
        )
        return False, None
    return True, seconds


def _boolean(label: str, value: object, out: Collector) -> tuple[bool, Any]:
    if isinstance(value, bool):
        return True, value
    out.error(label, value, f"must be True or False, not {type(value).__name__} ({label.split('.')[-1]}=True)")
    return False, None


_NORMALISERS: dict[str, Callable[[str, object, Collector], tuple[bool, Any]]] = {
    "origins": _origins,
    "methods": _methods,
    "allow_headers": _allow_headers,
    "expose_headers": _expose_headers,
    "max_age": _max_age,
    **{name: _boolean for name in BOOLEAN_OPTIONS},
}
