"""The option registry: every option, declared once.

Each :class:`Option` says everything the package needs to know about one option: its name, its default
(flask-cors' default), how a value is validated and normalised, how a ``CORS_*`` string (an environment
variable, an ``.ini`` value) is read, which names other libraries use for it, and a one-line doc. The
rest is derived from :data:`OPTIONS`: the defaults, "did you mean" hints, the runtime signature of
``CORSMiddleware`` (``help()``), the ``check`` summary and the documentation's options table (a test
holds the docs to it). :class:`CORSOptions` is the same list as a static type, for IDEs and mypy; a test
holds it to the registry too.

Adding an option is therefore: one :class:`Option` here, one line in :class:`CORSOptions`, and what it
does in :mod:`cors_wsgi.policy`.

Normalisers never raise: they record problems on a :class:`~cors_wsgi.errors.Collector`, so that one
:class:`~cors_wsgi.errors.ConfigError` lists every mistake at once.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable, ForwardRef, Generic, TypedDict, TypeVar, Union

from .errors import Collector
from .fetch import FORBIDDEN_METHODS, FORBIDDEN_RESPONSE_HEADERS, MAX_AGE_CAPS, is_token
from .headers import HeaderMatcher, parse_header_patterns, split_list
from .origins import OriginCheck, OriginMatcher, parse_origins

if TYPE_CHECKING:  # pragma: no cover
    from .paths import PathPattern

T = TypeVar("T")

ALL_METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE")
MAX_AGE_LIMIT = MAX_AGE_CAPS["Firefox"]
"""The largest cap a browser applies; larger values only mislead the reader."""
MAX_AGE_WARNING = MAX_AGE_CAPS["Chromium"]

Normaliser = Callable[[str, object, Collector], "tuple[bool, Any]"]
"""``(label, value, out) -> (ok, normalised)``: ``label`` names the option in messages."""
StringParser = Callable[[str, str], "tuple[bool, Any, str]"]
"""``(text, key) -> (ok, value, message)``: a ``CORS_*`` string value as the option's type."""


@dataclass(frozen=True)
class Option(Generic[T]):
    """One option. ``T`` is its normalised type, what :class:`Settings` returns for it."""

    name: str
    default: object
    """As a user would write it (flask-cors' default)."""
    normalise: Callable[[str, object, Collector], tuple[bool, T]]
    from_string: StringParser
    doc: str
    """One line, for the documentation's options table."""
    default_text: str = ""
    """The default as the docs show it, when ``repr(default)`` is not what a reader needs."""
    aliases: tuple[str, ...] = ()
    """Other libraries' names for this option (lowercase), for "did you mean" hints."""
    per_resource: bool = True
    """May be set inside a ``resources`` entry."""


class Settings:
    """One ``resources`` rule's validated, normalised options; ``settings[MAX_AGE]`` is typed by its option."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def __getitem__(self, option: Option[T]) -> T:
        value: T = self._values[option.name]  # type: ignore[assignment]
        return value

    def __repr__(self) -> str:
        return f"Settings({self._values!r})"


# --- reading CORS_* strings ---------------------------------------------------------------------------


def _text(text: str, key: str) -> tuple[bool, Any, str]:
    return True, text, ""


def _boolean_text(text: str, key: str) -> tuple[bool, Any, str]:
    lowered = text.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True, True, ""
    if lowered in ("false", "0", "no", "off"):
        return True, False, ""
    return False, None, f"must be true or false (also 1/0, yes/no, on/off), e.g. {key}=true"


def _seconds_text(text: str, key: str) -> tuple[bool, Any, str]:
    if not text:
        return True, None, ""
    if text.isascii() and text.isdigit():
        return True, int(text), ""
    return False, None, f"must be a whole number of seconds, e.g. {key}=600"


def _list_text(text: str, key: str) -> tuple[bool, Any, str]:
    if "\n" in text:  # .ini files write lists one item per line; a line may still hold a comma-separated list
        return True, [line.strip() for line in text.splitlines() if line.strip()], ""
    return True, text, ""


def _resources_text(text: str, key: str) -> tuple[bool, Any, str]:
    if text[:1] not in ("{", "["):
        return True, text, ""
    try:
        return True, json.loads(text), ""
    except ValueError as error:
        return False, None, f'is not valid JSON ({error}); e.g. {key}=\'{{"/api/*": {{"origins": "*"}}}}\''


# --- normalisers --------------------------------------------------------------------------------------


def _items(label: str, value: object, out: Collector, split: Callable[[str], list[str]]) -> list[Any] | None:
    """A string, a compiled pattern, a callable or an iterable of them, as a list (strings split by ``split``)."""
    if isinstance(value, (str, re.Pattern)) or callable(value):
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
        elif callable(item):
            items.append(item)
        else:
            out.error(label, item, f"must be a string, not {type(item).__name__}")
    return items


def _split_plain(text: str) -> list[str]:
    """Comma-separated items; an empty or blank string is no item (``CORS_EXPOSE_HEADERS=``)."""
    return split_list(text)


def _split_outside_groups(text: str) -> list[str]:
    """Split on commas, except inside ``{m,n}``, ``[...]`` or ``(...)`` (a regex keeps its commas)."""
    if "," not in text:
        return [text.strip()] if text.strip() else []
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


def _origins(label: str, value: object, out: Collector) -> tuple[bool, OriginMatcher]:
    items = _items(label, value, out, _split_outside_groups)
    parsed = parse_origins(items or [])
    for item, message in parsed.errors:
        out.error(label, item, message)
    for item, message in parsed.warnings:
        out.warn(label, item, message)
    if items == []:
        out.warn(label, value, "is empty, so no origin is allowed on these paths")
    # Partial on error, so that the checks involving several options still run; the errors are recorded.
    return items is not None, parsed.matcher


def _methods(label: str, value: object, out: Collector) -> tuple[bool, tuple[str, ...] | None]:
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


def _allow_headers(label: str, value: object, out: Collector) -> tuple[bool, HeaderMatcher]:
    items = _items(label, value, out, _split_outside_groups)
    matcher, errors = parse_header_patterns(items or [])
    for item, message in errors:
        out.error(label, item, message)
    return items is not None, matcher


def _expose_headers(label: str, value: object, out: Collector) -> tuple[bool, tuple[str, ...]]:
    if value is None:
        return True, ()
    items = _items(label, value, out, _split_plain)
    if items is None:
        return False, ()
    names: list[str] = []
    for item in items:
        if not isinstance(item, str) or not (item == "*" or is_token(item)):
            out.error(label, item, "must be a header name like 'X-Request-Id' (or '*')")
        elif item.lower() in FORBIDDEN_RESPONSE_HEADERS:
            out.error(label, item, "browsers never expose Set-Cookie to a page, whatever the server says; remove it")
        elif item.lower() not in {name.lower() for name in names}:
            names.append(item)
    return True, tuple(names)


def _max_age(label: str, value: object, out: Collector) -> tuple[bool, int | None]:
    if value is None:
        return True, None
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
            f"must be between 0 and {MAX_AGE_LIMIT} seconds (browsers cap it anyway: Chromium at "
            f"{MAX_AGE_WARNING}); it is not clamped, so fix the value",
        )
        return False, None
    if seconds > MAX_AGE_WARNING:
        caps = ", ".join(f"{browser} {cap} s" for browser, cap in MAX_AGE_CAPS.items())
        out.warn(label, value, f"is above what most browsers keep ({caps}): they use their cap instead")
    return True, seconds


def _boolean(label: str, value: object, out: Collector) -> tuple[bool, bool]:
    if isinstance(value, bool):
        return True, value
    out.error(label, value, f"must be True or False, not {type(value).__name__} ({label.split('.')[-1]}=True)")
    return False, False


def _resources(label: str, value: object, out: Collector) -> tuple[bool, object]:
    return True, value  # compiled by the policy, which owns the path table (cors_wsgi.config.parse_resources)


# --- the registry -------------------------------------------------------------------------------------

RESOURCES: Option[object] = Option(
    "resources",
    r"/*",
    _resources,
    _resources_text,
    "Which paths get CORS: a pattern, a list of them, or a dict {pattern: {option: value}} whose options "
    "override the others for that pattern.",
    default_text="r'/*'",
    aliases=("resource", "paths", "urls_regex"),
    per_resource=False,
)
ORIGINS: Option[OriginMatcher] = Option(
    "origins",
    "*",
    _origins,
    _list_text,
    "Allowed origins: exact origins, https://*.example.com, http://localhost:*, regexes, callables "
    "(origin) -> bool, or '*'.",
    aliases=(
        "origin",
        "allow_origins",
        "allowed_origins",
        "allow_origin",
        "allow_origin_regex",
        "cors_allowed_origins",
        "cors_allowed_origin_regexes",
        "access_control_allow_origin",
    ),
)
METHODS: Option[tuple[str, ...] | None] = Option(
    "methods",
    ALL_METHODS,
    _methods,
    _list_text,
    "Methods a preflight may ask for ('*' allows any); GET, HEAD and POST never need listing.",
    default_text=", ".join(ALL_METHODS),
    aliases=("allow_methods", "allowed_methods", "method", "access_control_allow_methods"),
)
ALLOW_HEADERS: Option[HeaderMatcher] = Option(
    "allow_headers",
    "*",
    _allow_headers,
    _list_text,
    "Request headers a preflight may ask for: names, regexes or '*' (Authorization is always named).",
    aliases=("headers", "allowed_headers", "allow_header", "access_control_allow_headers"),
)
EXPOSE_HEADERS: Option[tuple[str, ...]] = Option(
    "expose_headers",
    None,
    _expose_headers,
    _list_text,
    "Response headers a page may read beyond the safelisted ones (Access-Control-Expose-Headers).",
    aliases=("expose_header", "exposed_headers", "access_control_expose_headers"),
)
SUPPORTS_CREDENTIALS: Option[bool] = Option(
    "supports_credentials",
    False,
    _boolean,
    _boolean_text,
    "Let pages send cookies and read credentialed answers (Access-Control-Allow-Credentials); never with '*'.",
    aliases=("credentials", "allow_credentials", "support_credentials", "access_control_allow_credentials"),
)
MAX_AGE: Option[int | None] = Option(
    "max_age",
    None,
    _max_age,
    _seconds_text,
    "Seconds a browser may cache a preflight (int or timedelta, 0..86400; above 7200 Chromium caps it).",
    aliases=("maxage", "preflight_max_age", "access_control_max_age"),
)
SEND_WILDCARD: Option[bool] = Option(
    "send_wildcard",
    False,
    _boolean,
    _boolean_text,
    "With origins '*', answer 'Access-Control-Allow-Origin: *' instead of the request's origin.",
)
VARY_HEADER: Option[bool] = Option(
    "vary_header",
    True,
    _boolean,
    _boolean_text,
    "Add Vary: Origin where the answer depends on the origin (turn off only behind a cache you control).",
    aliases=("vary",),
)
ALWAYS_SEND: Option[bool] = Option(
    "always_send",
    True,
    _boolean,
    _boolean_text,
    "With origins '*', answer 'Access-Control-Allow-Origin: *' to requests without an Origin too.",
)
AUTOMATIC_OPTIONS: Option[bool] = Option(
    "automatic_options",
    True,
    _boolean,
    _boolean_text,
    "Answer preflights in the middleware; False passes them to the application and adds the headers.",
)
INTERCEPT_EXCEPTIONS: Option[bool] = Option(
    "intercept_exceptions",
    True,
    _boolean,
    _boolean_text,
    "Add CORS headers to 5xx responses too, so the page can read the error.",
)
ALLOW_PRIVATE_NETWORK: Option[bool] = Option(
    "allow_private_network",
    False,
    _boolean,
    _boolean_text,
    "Legacy Private Network Access: answer Access-Control-Allow-Private-Network (current browsers ask the "
    "user instead).",
    aliases=("private_network",),
)
DEBUG: Option[bool] = Option(
    "debug",
    False,
    _boolean,
    _boolean_text,
    "Explain refused preflights to allowed origins (X-CORS-Debug) and log every decision; not for production.",
)

OPTIONS: tuple[Option[Any], ...] = (
    RESOURCES,
    ORIGINS,
    METHODS,
    ALLOW_HEADERS,
    EXPOSE_HEADERS,
    SUPPORTS_CREDENTIALS,
    MAX_AGE,
    SEND_WILDCARD,
    VARY_HEADER,
    ALWAYS_SEND,
    AUTOMATIC_OPTIONS,
    INTERCEPT_EXCEPTIONS,
    ALLOW_PRIVATE_NETWORK,
    DEBUG,
)
BY_NAME: Mapping[str, Option[Any]] = {option.name: option for option in OPTIONS}
OPTION_NAMES = tuple(BY_NAME)
DEFAULTS: Mapping[str, object] = {option.name: option.default for option in OPTIONS}
ALIASES: Mapping[str, str] = {alias: option.name for option in OPTIONS for alias in option.aliases}
"""Names other CORS libraries use, so that an error can say which of ours to use."""


# --- the same options as a static type ------------------------------------------------------------------

OriginItem = Union[str, "re.Pattern[str]", OriginCheck]
HeaderItem = Union[str, "re.Pattern[str]"]


class CORSOptions(TypedDict, total=False):
    """The keyword options of ``CORSMiddleware``, ``reconfigure()``, ``from_mapping()`` and
    ``from_env()``, as a type (PEP 692): IDEs complete them and mypy checks them. Kept equal to
    :data:`OPTIONS` by a test."""

    resources: PathPattern | Iterable[PathPattern] | Mapping[PathPattern, Mapping[str, Any]]
    origins: OriginItem | Iterable[OriginItem]
    methods: str | Iterable[str]
    allow_headers: HeaderItem | Iterable[HeaderItem]
    expose_headers: str | Iterable[str] | None
    supports_credentials: bool
    max_age: int | timedelta | None
    send_wildcard: bool
    vary_header: bool
    always_send: bool
    automatic_options: bool
    intercept_exceptions: bool
    allow_private_network: bool
    debug: bool


def annotation_text(name: str) -> str:
    """An option's type as written in :class:`CORSOptions`."""
    annotation = CORSOptions.__annotations__[name]
    return annotation.__forward_arg__ if isinstance(annotation, ForwardRef) else str(annotation)


def signature(*leading: inspect.Parameter) -> inspect.Signature:
    """``leading`` parameters, then every option as a keyword-only parameter with its default: what
    ``help(CORSMiddleware)`` and ``inspect.signature`` show."""
    options = [
        inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, default=option.default,
                          annotation=annotation_text(option.name))
        for option in OPTIONS
    ]  # fmt: skip
    return inspect.Signature([*leading, *options])


def markdown_table() -> str:
    """The documentation's options table, generated from the registry (tests/test_docs.py compares)."""
    rows = ["| option | default | what it does |", "|---|---|---|"]
    for option in OPTIONS:
        default = option.default_text or repr(option.default)
        rows.append(f"| `{option.name}` | `{default}` | {option.doc} |")
    return "\n".join(rows)
