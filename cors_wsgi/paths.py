"""Path patterns for ``resources``: which rule, if any, covers a request's ``PATH_INFO``.

The peers' path bugs (flask-cors CVE-2024-6866, -6844, -6839; CVE-2020-25032) all came from matching a
*transformed* path or from the wrong rule winning. So here:

* the path is ``PATH_INFO`` exactly as the WSGI server provides it: no second percent-decoding, ``+`` is
  a plus, case-sensitive, ``../`` not collapsed; ``SCRIPT_NAME`` is not part of it. One exception:
  repeated leading slashes count as one (see :func:`routed_path`), because werkzeug and Falcon route
  on that;
* a pattern must cover the **whole** path, except that a trailing ``*`` directly after a literal
  character or ``/`` means "any rest of the path" and a trailing ``/*`` also covers the bare prefix
  (``/api/*`` covers ``/api`` but not ``/apiary``);
* when several patterns cover a path the most specific wins: literal paths first, then by more ``/``,
  then by length, compiled or not (flask-cors ≥ 6.0.1 puts every compiled regex before every string,
  so a broad compiled regex beats a specific pattern there).

Literal paths are a dict lookup and ``prefix*`` patterns a ``startswith``; only real regexes
run the regex engine per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar, Union

PathPattern = Union[str, "re.Pattern[str]"]
T = TypeVar("T")

# flask-cors' "probably a regex" characters: anything else is a literal path.
PATH_REGEX_CHARS: Final = frozenset("*\\]?$^[()")
_REGEX_META: Final = frozenset(".^$*+?{}[]\\|()")


def pattern_text(pattern: PathPattern) -> str:
    if isinstance(pattern, str):
        return pattern
    text = _source(pattern)
    return text if isinstance(text, str) else repr(text)  # a bytes pattern, refused with its repr shown


def _source(pattern: Any) -> object:
    """A compiled pattern's source, str or bytes: ``Any``, so that compiled code does not insist on str
    before a bytes pattern can be refused with a message."""
    return pattern.pattern


def routed_path(path: str) -> str:
    """``PATH_INFO`` as the application routes it: ``//admin`` and ``admin`` -> ``/admin``.

    werkzeug (Flask) and Falcon serve ``//admin`` from the ``/admin`` route. Choosing the rule
    on the raw path would let a request for ``//admin`` carry the policy of a broad ``/*`` rule while the
    ``/admin`` endpoint answers: the "rule disagrees with the route" class of CVE-2024-6866. Nothing
    else is normalised (``/a//b``, ``..``, percent-escapes): those frameworks route them as sent, or
    redirect to the canonical path, whose response then gets its own rule. (Bottle, Django and Pyramid
    answer ``//admin`` with a 404; that it gets the ``/admin`` rule's headers discloses nothing.)

    A path without its leading slash (werkzeug's test client sends ``admin`` for ``client.get('admin')``,
    and Flask serves the ``/admin`` view) gets one, for the same reason: the rule must be the route's.
    """
    return "/" + path.lstrip("/")


def to_wsgi_str(text: str) -> str:
    """Encode a pattern the way PEP 3333 servers decode ``PATH_INFO`` (UTF-8 bytes read as latin-1),
    so ``"/café"`` in the configuration matches the request for ``/caf%C3%A9``."""
    try:
        return text.encode("utf-8").decode("latin-1")
    except UnicodeEncodeError:  # lone surrogates: leave as written, it simply never matches
        return text


@dataclass(frozen=True)
class CompiledPath:
    """How one ``resources`` pattern matches: ``literal`` (==), ``prefix`` or ``regex`` (fullmatch)."""

    source: str
    kind: str
    literal: str = ""
    """For ``literal``: the path. For ``prefix``: the prefix."""
    bare_prefix: bool = False
    """For ``prefix`` from a trailing ``/*``: the prefix itself (``/api``) is covered too, and
    otherwise only paths continuing with ``/``."""
    regex: re.Pattern[str] | None = None

    def matches(self, path: str) -> bool:
        if self.kind == "literal":
            return path == self.literal
        if self.kind == "prefix":
            if self.bare_prefix and self.literal:
                return path == self.literal or path.startswith(self.literal + "/")
            return path.startswith(self.literal)
        assert self.regex is not None
        return self.regex.fullmatch(path) is not None

    def sort_key(self) -> tuple[int, int, int]:
        """Most specific first: literal paths, then more ``/``, then longer (compiled or not, so a
        broad compiled regex never beats a specific string pattern)."""
        return (0 if self.kind == "literal" else 1, -self.source.count("/"), -len(self.source))


def compile_path(pattern: PathPattern) -> tuple[CompiledPath | None, str | None]:
    """Compile one pattern; returns ``(compiled, None)`` or ``(None, error message)``."""
    if isinstance(pattern, re.Pattern):
        if not isinstance(_source(pattern), str):
            return None, "is a bytes pattern; PATH_INFO is a str, so compile a str pattern"
        return CompiledPath(pattern.pattern, "regex", regex=pattern), None
    if not isinstance(pattern, str):
        return None, f"{pattern!r} is not a path pattern; use a string or re.compile(...)"
    if pattern in ("*", "/*", ""):
        if pattern == "":
            return None, "an empty path pattern covers nothing; did you mean r'/*'?"
        return CompiledPath(pattern, "prefix", literal="", bare_prefix=True), None
    text = to_wsgi_str(pattern)
    if not any(char in PATH_REGEX_CHARS for char in text):
        return CompiledPath(pattern, "literal", literal=text), None
    if text.endswith("*") and _is_literal_star_position(text):
        body, bare = (text[:-2], True) if text.endswith("/*") else (text[:-1], False)
        if not any(char in _REGEX_META for char in body):
            return CompiledPath(pattern, "prefix", literal=body, bare_prefix=bare), None
        regex_text = body + ("(?:/.*)?" if bare else ".*")
    else:
        regex_text = text
    try:
        return CompiledPath(pattern, "regex", regex=re.compile(regex_text, re.DOTALL)), None
    except re.error as exc:
        return None, f"{pattern!r} is not a valid regular expression ({exc}); escape it or use re.compile"


def _is_literal_star_position(text: str) -> bool:
    """True when the final ``*`` follows a literal character or ``/`` (not a regex atom like ``.``,
    ``)``, ``]``, or an escaped ``\\*``)."""
    if len(text) < 2:
        return False
    before = text[-2]
    if before in _REGEX_META:
        return False
    # An odd number of backslashes before the star escapes it; one before the previous char escapes
    # that char (``\\d*`` is a regex quantifier on a class).
    backslashes = len(text[:-2]) - len(text[:-2].rstrip("\\"))
    return backslashes % 2 == 0


def after_prefix(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix``, so that
    ``prefix <= text < after_prefix(prefix)`` is ``text.startswith(prefix)``; None when there is none (a
    prefix of U+10FFFF characters only: every string above it starts with it)."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return None


class PathTable(Generic[T]):
    """Ordered path rules, most specific first, each carrying a value (the compiled resource policy).

    ``everything`` is the value of a table whose only rule covers every path (the default ``r"/*"``),
    which needs no lookup at all. For a table without a regex, the middleware compares before it calls
    :meth:`lookup`, since a comparison is the cheapest test of a path in both builds (see
    :func:`after_prefix`):

    * ``single`` is the value of a table whose only rule is a prefix such as ``r"/api/*"``: it covers every
      path with ``starts <= path < after``, which start with ``"/api/"`` (``starts`` begins with one
      ``/``, so these are routed as sent);
    * every rule's paths lie in ``first <= path < after``; a path with ``below <= path < first`` or
      ``after <= path < above`` lies outside, yet begins with one ``/`` and then a character other than
      ``/`` (``"/0" <= path < "0"``), so it is routed as sent: no rule covers it (``/admin``, ``/public``).
      A table of several rules has ``starts == after``, so that only these tests apply.

    Other paths (``/``, ``//api``, ``/api``, a path between two rules) are for :meth:`lookup`, where literal
    paths are one dict lookup and ``prefix*`` rules a ``startswith``; only real regexes run the regex engine
    per request.
    """

    __slots__ = ("_literals", "_ordered", "above", "after", "below", "everything", "first", "rules", "single", "starts")

    def __init__(self, rules: Iterable[tuple[CompiledPath, T]]) -> None:
        self.rules: tuple[tuple[CompiledPath, T], ...] = tuple(sorted(rules, key=lambda rule: rule[0].sort_key()))
        literals: dict[str, T] = {}
        for path, value in self.rules:
            if path.kind == "literal":
                literals.setdefault(path.literal, value)
        self._literals = literals
        # Literals sort first, so a literal hit is always the winning rule. The rest are tried in order,
        # as (starts, bare prefix or "", regex, value): a prefix rule is a startswith, not a regex. A routed
        # path is never "" (routed_path), so "" as the bare prefix matches nothing.
        ordered: list[tuple[str, str, re.Pattern[str] | None, T]] = []
        for path, value in self.rules:
            if path.kind == "prefix":
                bare = path.literal if path.bare_prefix and path.literal else ""
                ordered.append((path.literal + "/" if bare else path.literal, bare, None, value))
            elif path.kind == "regex":
                ordered.append(("", "", path.regex, value))
        self._ordered = tuple(ordered)
        only = self.rules[0] if len(self.rules) == 1 else None
        self.everything: T | None = None
        if only is not None and only[0].kind == "prefix" and only[0].literal == "":
            self.everything = only[1]
        self.single: T | None = None
        self.starts = self.after = self.above = self.below = self.first = ""  # "" <= path < "": never
        if self.everything is not None or any(regex is not None for _, _, regex, _ in self._ordered):
            return
        # The rules' span: from the least path a rule covers (a literal, a bare prefix, a prefix) to where
        # the last one ends (after_prefix(), or a literal's next string). Routed paths outside it are
        # uncovered, unless the span reaches below "/0": then "//api", which is not routed as sent, is
        # outside it too.
        first = min([*literals, *(bare or starts for starts, bare, _, _ in ordered)], default="")
        ends = [after_prefix(starts) for starts, _, _, _ in ordered] + [text + "\x00" for text in literals]
        end = max((end for end in ends if end is not None), default="")
        if None in ends or end < "/0":
            return
        self.starts = self.after = end
        self.above = "0"  # from "0" on, a path does not begin with "/"
        if first >= "/0":
            self.below, self.first = "/0", first
        if only is not None and only[0].kind == "prefix" and "/0" <= ordered[0][0] < "0":  # one "/", then not another
            self.single, self.starts = only[1], ordered[0][0]

    def lookup(self, path: str) -> T | None:
        """The value of the most specific rule covering ``path`` (see :func:`routed_path`), or None."""
        if not path.startswith("/") or path.startswith("//"):
            path = routed_path(path)
        if self._literals:
            value = self._literals.get(path)
            if value is not None:
                return value
        for starts, bare, regex, candidate in self._ordered:
            if regex is None:
                if path.startswith(starts) or path == bare:
                    return candidate
            elif regex.fullmatch(path) is not None:
                return candidate
        return None


# --- patterns that cannot mean what their author wrote -------------------------------------------------

_CONVERTER_RE: Final = re.compile(r"<(?:[A-Za-z_]\w*(?:\([^)]*\))?:)?[A-Za-z_]\w*>")
_PLACEHOLDER_RE: Final = re.compile(r"\{[A-Za-z_]\w*(?::[^{}]*)?\}")


def pattern_warnings(pattern: PathPattern) -> list[str]:
    """Why a ``resources`` pattern probably covers nothing its author meant, with one that works.

    A Flask/werkzeug converter (``/items/<int:id>``) or a ``{id}`` placeholder is matched literally, so
    it covers no real path; a ``^``-anchored regex such as ``^/api/`` is a prefix in flask-cors and
    django-cors-headers (``re.match``), but a pattern must match the whole path here; and a comma does
    not separate patterns.
    """
    if not isinstance(pattern, str):
        return []
    found: list[str] = []
    for kind, regex in (("a Flask/werkzeug converter", _CONVERTER_RE), ("a {placeholder}", _PLACEHOLDER_RE)):
        if regex.search(pattern):
            found.append(
                f"holds {kind}, which is matched as literal text and covers no real path; "
                f"write {_without_placeholders(regex, pattern)!r}"
            )
            break
    if pattern.startswith("^") and not pattern.endswith(("$", "*")) and not found:
        body = pattern[1:]
        fix = body + "*" if not any(char in _REGEX_META for char in body.rstrip("/")) else body + ".*"
        found.append(
            "is anchored with '^' like a prefix, but a pattern here must match the whole path, so it covers "
            f"only {body!r}-shaped paths exactly; to cover everything below it write {fix!r}"
        )
    if re.search(r",\s*/", pattern):
        found.append(
            "is one path pattern, not several (a string is never split on commas); "
            "pass a list, e.g. ['/api/*', '/v2/*'] (from the environment: a JSON list)"
        )
    return found


def _without_placeholders(regex: re.Pattern[str], pattern: str) -> str:
    """``/items/<int:id>`` -> ``/items/*``; ``/a/<id>/b`` -> ``/a/[^/]+/b``."""
    placeholders = list(regex.finditer(pattern))
    if len(placeholders) == 1 and placeholders[0].end() == len(pattern):
        return pattern[: placeholders[0].start()] + "*"
    return regex.sub("[^/]+", pattern)
