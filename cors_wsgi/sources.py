"""Options from where deployments keep them: Flask ``app.config``, Django settings, the environment, Paste.

flask-cors reads ``CORS_<OPTION>`` keys from ``app.config``, django-cors-headers reads ``CORS_*``
Django settings, and twelve-factor deployments set environment variables. This module turns any of those
into the keyword options :func:`cors_wsgi.policy.compile_policy` takes, so every source is validated by
the same code and fails with the same :class:`~cors_wsgi.ConfigError`; the only differences are here:

- keys carry a prefix (``CORS_MAX_AGE``), and problems are reported under that key, because that is
  what the operator has to find and edit;
- values may be strings, because environment variables and ``.ini`` files have no other type:
  booleans are ``true/false/1/0/yes/no/on/off``, ``max_age`` is a number of seconds, lists are
  comma- or newline-separated, and ``resources`` may be a JSON object (``{"/api/*": {"origins": "*"}}``).
  Typed values (a Python ``list``, ``True``) pass through unchanged, so ``app.config`` keeps working
  with flask-cors' idioms;
- an unknown ``CORS_*`` key is an error with a "did you mean" (django-cors-headers'
  ``CORS_ALLOWED_ORIGINS`` -> ``CORS_ORIGINS``), because a misspelt key silently leaves the default in
  place. Keys without the prefix are ignored: they belong to the rest of the application.

Precedence, from :meth:`CORSMiddleware.from_mapping`: a ``resources`` entry's own options > keyword
arguments > the mapping > defaults.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from .config import ALIASES, BOOLEAN_OPTIONS, OPTION_NAMES
from .errors import ConfigError, Problem

TRUE_STRINGS = frozenset({"true", "1", "yes", "on"})
FALSE_STRINGS = frozenset({"false", "0", "no", "off"})
LIST_OPTIONS = ("origins", "methods", "allow_headers", "expose_headers")

# Settings of other CORS libraries that have no one-to-one equivalent, with what to write instead.
_FOREIGN_HINTS = {
    "allow_all_origins": "use CORS_ORIGINS='*'",
    "origin_allow_all": "use CORS_ORIGINS='*'",
    "urls_regex": "use CORS_RESOURCES (a path pattern such as r'/api/*')",
    "origin_whitelist": "use CORS_ORIGINS",
    "allowed_origin_regexes": "put the regexes in CORS_ORIGINS, next to the exact origins",
    "origin_regex_whitelist": "put the regexes in CORS_ORIGINS, next to the exact origins",
    "replace_https_referer": "cors_wsgi never rewrites Referer; remove it",
}


class Options(dict[str, Any]):
    """Keyword options read from a mapping, remembering the key each one came from.

    ``labels`` maps an option name to its source key (``"max_age" -> "CORS_MAX_AGE"``), so that
    :func:`~cors_wsgi.policy.compile_policy` can report a problem under the name the operator wrote.
    """

    labels: dict[str, str]

    def __init__(self) -> None:
        super().__init__()
        self.labels = {}


def read_mapping(source: object, prefix: str) -> dict[str, Any]:
    """The ``prefix``-ed entries of a mapping, or of an object's attributes (Django's ``settings``)."""
    if isinstance(source, Mapping):
        return {key: value for key, value in source.items() if isinstance(key, str) and key.startswith(prefix)}
    # django.conf.settings and plain modules/classes: settings are upper-case attributes.
    return {name: getattr(source, name) for name in dir(source) if name.startswith(prefix) and name.isupper()}


def options_from_mapping(
    source: object,
    *,
    prefix: str = "CORS_",
    where: str = "",
) -> Options:
    """``CORS_*`` keys of ``source`` as keyword options; raise :class:`ConfigError` naming the keys.

    ``where`` is prepended to key names in messages (``"environment variable "``). Only what can be
    judged per key is checked here (names, string syntax); everything else is the policy's job, which
    reports under the same key names through :attr:`Options.labels`.
    """
    options, problems = read_options(source, prefix=prefix, where=where)
    if problems:
        raise ConfigError(problems)
    return options


def read_options(source: object, *, prefix: str = "CORS_", where: str = "") -> tuple[Options, list[Problem]]:
    """Like :func:`options_from_mapping`, returning the keys that could be read and the problems."""
    problems: list[Problem] = []
    options = Options()
    for key, value in sorted(read_mapping(source, prefix).items()):
        label = f"{where}{key}"
        name = key[len(prefix) :].lower()
        if name not in OPTION_NAMES:
            problems.append(Problem(label, value, _unknown_key_message(name, prefix)))
            continue
        if name in options:
            problems.append(Problem(label, value, f"is given twice (also as {options.labels[name]})"))
            continue
        ok, parsed, message = _parse(name, value, key)
        if not ok:
            problems.append(Problem(label, value, message))
            continue
        options[name] = parsed
        options.labels[name] = label
    return options, problems


def _unknown_key_message(name: str, prefix: str) -> str:
    def key(option: str) -> str:  # as the operator writes it: CORS_ORIGINS, or origins in an .ini
        return prefix + option.upper() if prefix else option

    hint = _FOREIGN_HINTS.get(name)
    if hint is not None:
        return f"is not a cors_wsgi setting; {hint}"
    guess = ALIASES.get(name) or next(iter(difflib.get_close_matches(name, OPTION_NAMES, n=1, cutoff=0.6)), None)
    if guess is not None:
        return f"is not a cors_wsgi setting; did you mean {key(guess)}?"
    return f"is not a cors_wsgi setting; valid settings are {', '.join(map(key, OPTION_NAMES))}"


def _parse(name: str, value: object, key: str) -> tuple[bool, Any, str]:
    """One value from a mapping: strings are parsed by the option's type, anything else passes through."""
    if not isinstance(value, str):
        return True, value, ""
    text = value.strip()
    if name in BOOLEAN_OPTIONS:
        if text.lower() in TRUE_STRINGS:
            return True, True, ""
        if text.lower() in FALSE_STRINGS:
            return True, False, ""
        return False, None, f"must be true or false (also 1/0, yes/no, on/off), e.g. {key}=true"
    if name == "max_age":
        if not text:
            return True, None, ""
        if text.isascii() and text.isdigit():
            return True, int(text), ""
        return False, None, f"must be a whole number of seconds, e.g. {key}=600"
    if name == "resources" and text[:1] in ("{", "["):
        try:
            return True, json.loads(text), ""
        except ValueError as error:
            return False, None, f'is not valid JSON ({error}); e.g. {key}=\'{{"/api/*": {{"origins": "*"}}}}\''
    if name in LIST_OPTIONS and "\n" in text:
        # .ini files write lists one item per line; each line may still hold a comma-separated list.
        return True, [line.strip() for line in text.splitlines() if line.strip()], ""
    return True, text, ""


def relabel(problems: tuple[Problem, ...], labels: Mapping[str, str]) -> list[Problem]:
    """Problems renamed from option names to the source keys they came from."""
    return [Problem(relabel_option(problem.option, labels), problem.value, problem.message) for problem in problems]


def relabel_option(option: str, labels: Mapping[str, str]) -> str:
    """``"resources['/a'].origins"`` -> ``"CORS_RESOURCES['/a'].origins"`` when resources came from a key."""
    head = option.split("[", 1)[0].split(".", 1)[0]
    label = labels.get(head)
    return option if label is None else label + option[len(head) :]
