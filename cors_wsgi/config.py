"""Options in, validated settings out: every option checked once, at construction.

The option names and defaults are flask-cors', so a flask-cors user migrates by changing one import.
What differs is strictness: flask-cors logs a warning for an unknown option and carries on (``origin=``
instead of ``origins=`` then allows every origin), accepts ``"yes"`` as a boolean, and lets a misspelt
origin silently never match. Here each of those is a :class:`~cors_wsgi.errors.Problem`, and all of them
are raised together as one :class:`~cors_wsgi.errors.ConfigError`.

Each option validates itself (:mod:`cors_wsgi.options`); this module adds what involves several options
(credentials with "any origin", ``send_wildcard`` without ``*``...) and reads ``resources``. It knows
nothing about requests: :mod:`cors_wsgi.policy` compiles the :class:`~cors_wsgi.options.Settings` it
returns into request-time lookups.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import Collector
from .options import (
    ALIASES,
    ALLOW_PRIVATE_NETWORK,
    BY_NAME,
    DEBUG,
    EXPOSE_HEADERS,
    OPTION_NAMES,
    ORIGINS,
    SEND_WILDCARD,
    SUPPORTS_CREDENTIALS,
    Settings,
)
from .origins import OriginMatcher
from .paths import PathPattern, pattern_text

# Keys of a resources entry that are response header names, written where an option was meant
# (flask-cors users sometimes copy them from a hand-written after_request hook).
_HEADER_NAMES_AS_OPTIONS = {
    "access_control_allow_origin": "origins",
    "access_control_allow_methods": "methods",
    "access_control_allow_headers": "allow_headers",
    "access_control_expose_headers": "expose_headers",
    "access_control_allow_credentials": "supports_credentials",
    "access_control_max_age": "max_age",
}


def unknown_option_message(name: object, known: Iterable[str] = OPTION_NAMES) -> str:
    known = tuple(known)
    if not isinstance(name, str):
        return f"option names are strings; valid options are {', '.join(known)}"
    key = name.lower().replace("-", "_")
    if key in _HEADER_NAMES_AS_OPTIONS:
        meant = ", ".join(f"{header.replace('_', '-').title()} -> {option}"
                          for header, option in _HEADER_NAMES_AS_OPTIONS.items())  # fmt: skip
        return (
            f"is a response header's name, not an option; write {_HEADER_NAMES_AS_OPTIONS[key]!r} "
            f"(the options that set the CORS headers: {meant})"
        )
    alias = ALIASES.get(key)
    guess = alias or next(iter(difflib.get_close_matches(key, known, n=1, cutoff=0.6)), None)
    hint = f"did you mean {guess!r}?" if guess else f"valid options are {', '.join(known)}"
    return f"is not a cors_wsgi option; {hint}"


def normalise_options(options: Mapping[str, Any], where: str, out: Collector) -> dict[str, Any]:
    """Validate each option on its own; returns the normalised values that passed.

    ``where`` prefixes option names in messages (``""`` or ``"resources['/api/*']."``).
    """
    normalised: dict[str, Any] = {}
    for name, value in options.items():
        label = f"{where}{name}"
        option = BY_NAME.get(name) if isinstance(name, str) else None
        if option is None:
            out.error(label, value, unknown_option_message(name))
            continue
        if where and not option.per_resource:
            out.error(label, value, "cannot be nested inside a resources entry")
            continue
        ok, result = option.normalise(label, value, out)
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
    origins: OriginMatcher | None = merged.get(ORIGINS.name)
    credentials: bool = merged.get(SUPPORTS_CREDENTIALS.name, False)

    def label(*names: str) -> str:
        return f"{where}{names[0]}" if overridden.intersection(names) else names[0]

    if credentials and origins is not None and origins.matches_anything:
        broad = origins.matches_anything[0]
        scope = "every site of a top-level domain" if "://*." in broad else "every origin"
        out.error(
            label("origins", "supports_credentials"),
            broad,
            f"allows {scope}, and supports_credentials=True would let any such website read responses "
            "made with the user's cookies; list the origins that may send credentials "
            "(origins=['https://app.example.com']), or pass a function that decides (origins=[is_allowed])",
        )
    if merged.get(ALLOW_PRIVATE_NETWORK.name) and origins is not None and origins.matches_anything:
        out.error(
            label("allow_private_network", "origins"),
            True,
            f"with origins {origins.matches_anything[0]!r} any website could reach this private-network "
            "server through the visitor's browser; list the origins that may (origins=['https://app.example.com'])",
        )
    if credentials and "*" in merged.get(EXPOSE_HEADERS.name, ()):
        out.error(
            label("expose_headers", "supports_credentials"),
            "*",
            "browsers ignore '*' in Access-Control-Expose-Headers on credentialed requests; name the headers to expose",
        )
    if credentials and origins is not None:
        for origin in origins.insecure_http:
            out.warn(
                label("origins", "supports_credentials"),
                origin,
                "credentials are allowed over plain http from a non-loopback origin: anyone on the "
                "network path can impersonate it; use https",
            )
        for origin in origins.unverified_http:
            out.warn(
                label("origins", "supports_credentials"),
                origin,
                "this regular expression can match plain-http origins, and cors_wsgi could not verify that it "
                "matches only loopback ones (localhost, 127.0.0.1, [::1]); credentials over plain http from "
                "another host can be read by anyone on the network path. Use https, or spell the loopback "
                "hosts out (r'http://localhost(:\\d+)?')",
            )
    if merged.get(SEND_WILDCARD.name) and origins is not None and not origins.allow_any:
        out.warn(
            label("send_wildcard", "origins"),
            True,
            "has no effect unless origins is '*' (the request's origin is sent back instead)",
        )
    if origins is not None and origins.allow_any and origins.callables:
        out.warn(
            label("origins"),
            "*",
            "allows every origin, so the function in origins is never asked; remove '*' or the function",
        )
    if merged.get(DEBUG.name):
        out.warn(
            label("debug"),
            True,
            "failed preflights from allowed origins are answered with the allowed methods and headers and "
            "an X-CORS-Debug reason: this discloses configuration, so turn it off in production",
        )
    if origins is None or any(name not in merged for name in OPTION_NAMES if BY_NAME[name].per_resource):
        return None
    return Settings(merged)


# --- resources ---------------------------------------------------------------------------------------


def parse_resources(value: object, out: Collector) -> list[tuple[PathPattern, Mapping[str, Any]]]:
    """``resources`` as a pattern, a list of patterns or a ``{pattern: {option: value}}`` dict."""
    if isinstance(value, (str, re.Pattern)):
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
