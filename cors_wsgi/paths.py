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

Literal paths are a dict lookup and ``prefix*`` patterns two string comparisons; only real regexes
run the regex engine per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar, Union

PathPattern = Union[str, "re.Pattern[str]"]
T = TypeVar("T")

# flask-cors' "probably a regex" characters: anything else is a literal path.
PATH_REGEX_CHARS = frozenset("*\\]?$^[()")
_REGEX_META = frozenset(".^$*+?{}[]\\|()")


def pattern_text(pattern: PathPattern) -> str:
    return pattern.pattern if isinstance(pattern, re.Pattern) else pattern


def routed_path(path: str) -> str:
    """``PATH_INFO`` with repeated leading slashes merged: ``//admin`` -> ``/admin``.

    werkzeug (Flask) and Falcon serve ``//admin`` from the ``/admin`` route. Choosing the rule
    on the raw path would let a request for ``//admin`` carry the policy of a broad ``/*`` rule while the
    ``/admin`` endpoint answers: the "rule disagrees with the route" class of CVE-2024-6866. Nothing
    else is normalised (``/a//b``, ``..``, percent-escapes): those frameworks route them as sent, or
    redirect to the canonical path, whose response then gets its own rule. (Bottle, Django and Pyramid
    answer ``//admin`` with a 404; that it gets the ``/admin`` rule's headers discloses nothing.)
    """
    if path.startswith("//"):
        return "/" + path.lstrip("/")
    return path


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
        if not isinstance(pattern.pattern, str):
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


class _Above(str):
    """The bound of a table with a rule that may cover any path: every ``str`` compares below it.

    A ``str`` subclass that overrides the reflected comparison, so ``path >= bound`` asks it (and gets
    False) before ``str`` answers; only tables with such a rule (a regex with no literal beginning) pay
    that Python-level call.
    """

    def __le__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


ABOVE_ALL = _Above()


def after_prefix(prefix: str) -> str:
    """The least string above every string that starts with ``prefix``.

    ``prefix <= path < after_prefix(prefix)`` is ``path.startswith(prefix)``, in two comparisons that
    cost less than the method call (CPython 3.11: about 40 ns against 80).
    """
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return ABOVE_ALL


class PathTable(Generic[T]):
    """Ordered path rules, most specific first, each carrying a value (the compiled resource policy).

    Built for the per-request path, which uses comparisons rather than str methods or slices:

    * ``bounds``: a path outside ``low <= path < high`` is covered by no rule (every rule's literal
      beginning lies inside, as does ``//``: see :func:`routed_path`);
    * ``everything``: the value of a table whose only rule covers every path (the default ``r"/*"``),
      so that no lookup is needed at all;
    * ``single_prefix``: for a table whose only rule is a prefix, ``(value, starts, after)``: a path
      with ``starts <= path < after`` (it starts with ``starts``) is covered by it; other paths are
      left to :meth:`lookup`.
    """

    __slots__ = ("_literals", "_ordered", "bounds", "everything", "rules", "single_prefix")

    def __init__(self, rules: Iterable[tuple[CompiledPath, T]]) -> None:
        self.rules: tuple[tuple[CompiledPath, T], ...] = tuple(sorted(rules, key=lambda rule: rule[0].sort_key()))
        literals: dict[str, T] = {}
        for path, value in self.rules:
            if path.kind == "literal":
                literals.setdefault(path.literal, value)
        self._literals = literals
        # Literals sort first, so a literal hit is always the winning rule. The rest are tried in order:
        # (starts, after, bare prefix, regex, value); a prefix rule is three comparisons, not a regex.
        ordered: list[tuple[str, str, str | None, re.Pattern[str] | None, T]] = []
        for path, value in self.rules:
            if path.kind == "prefix":
                # "/*" covers every PATH_INFO, even one a sloppy server did not start with "/".
                starts = path.literal + "/" if path.bare_prefix and path.literal else path.literal
                bare = path.literal if path.bare_prefix and path.literal else None
                ordered.append((starts, after_prefix(starts), bare, None, value))
            elif path.kind == "regex":
                ordered.append(("", ABOVE_ALL, None, path.regex, value))
        self._ordered = tuple(ordered)
        heads = [_head(path) for path, _ in self.rules]
        if heads:
            heads.append("//")
        highs = [after_prefix(head) for head in heads]
        self.bounds: tuple[str, str] = ("", "") if not heads else (min(heads), max(highs, key=_bound_key))
        """A path outside ``low <= path < high`` is covered by no rule."""
        only = self.rules[0] if len(self.rules) == 1 else None
        self.everything: T | None = None
        self.single_prefix: tuple[T | None, str, str] = (None, "", "")
        if only is not None and only[0].kind == "prefix":
            if only[0].literal == "":
                self.everything = only[1]
            else:
                starts, after, _, _, value = self._ordered[0]
                if after is not ABOVE_ALL:
                    self.single_prefix = (value, starts, after)

    def lookup(self, path: str) -> T | None:
        """The value of the most specific rule covering ``path`` (see :func:`routed_path`), or None."""
        if "//" <= path < "/0":  # path.startswith("//")
            path = routed_path(path)
        value = self._literals.get(path)
        if value is not None:
            return value
        for starts, after, bare, regex, candidate in self._ordered:
            if regex is None:
                if starts <= path < after or path == bare:
                    return candidate
            elif regex.fullmatch(path) is not None:
                return candidate
        return None

    def lookup_rule(self, path: str) -> tuple[CompiledPath, T] | None:
        """Like :meth:`lookup`, with the winning pattern (for logs and explanations)."""
        path = routed_path(path)
        for rule in self.rules:
            if rule[0].matches(path):
                return rule
        return None


def _bound_key(bound: str) -> tuple[bool, str]:
    return (bound is ABOVE_ALL, bound)


def _head(path: CompiledPath) -> str:
    """The literal text every path ``path`` covers starts with (``""`` when there is none)."""
    if path.kind in ("literal", "prefix"):
        return path.literal
    assert path.regex is not None
    text = path.regex.pattern
    if path.regex.flags & (re.IGNORECASE | re.VERBOSE) or "|" in text:
        return ""
    head: list[str] = []
    for char in text:
        if char in _REGEX_META:
            if char in "*?{" and head:  # the previous character is optional
                head.pop()
            break
        head.append(char)
    return "".join(head)
