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
from collections.abc import Mapping
from typing import Any

from .errors import ConfigError, Problem
from .options import ALIASES, BY_NAME, OPTION_NAMES

# Settings of other CORS libraries (and of flask-cors' early README) that have no one-to-one
# equivalent, with what to write instead.
FOREIGN_HINTS = {
    "headers": (
        "flask-cors never read it either (its early README set it, to no effect): delete it, or use "
        "CORS_ALLOW_HEADERS to restrict which request headers pages may send"
    ),
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
    ignored: dict[str, str]
    """Unknown keys read with ``unknown="ignore"``: key -> why it is not a setting (and what to write)."""

    def __init__(self) -> None:
        super().__init__()
        self.labels = {}
        self.ignored = {}


RESERVED_PREFIX = "CORS_WSGI_"
"""The package's own variables (``CORS_WSGI_COMPILE`` at build time): never read as settings."""


def read_mapping(source: object, prefix: str) -> dict[str, Any]:
    """The ``prefix``-ed entries of a mapping, or of an object's attributes (Django's ``settings``)."""
    if isinstance(source, Mapping):
        found = {key: value for key, value in source.items() if isinstance(key, str) and key.startswith(prefix)}
    else:  # django.conf.settings and plain modules/classes: settings are upper-case attributes
        found = {name: getattr(source, name) for name in dir(source) if name.startswith(prefix) and name.isupper()}
    return {key: value for key, value in found.items() if not key.startswith(RESERVED_PREFIX)}


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


def read_options(
    source: object, *, prefix: str = "CORS_", where: str = "", unknown: str = "error"
) -> tuple[Options, list[Problem]]:
    """Like :func:`options_from_mapping`, returning the keys that could be read and the problems.

    ``unknown="ignore"`` records unknown keys in :attr:`Options.ignored` instead of as problems: Flask's
    ``app.config`` is shared with other extensions, which keep ``CORS_*`` keys of their own.
    """
    problems: list[Problem] = []
    options = Options()
    for key, value in sorted(read_mapping(source, prefix).items()):
        label = f"{where}{key}"
        name = key[len(prefix) :].lower()
        option = BY_NAME.get(name)
        if option is None:
            if unknown == "ignore":
                options.ignored[key] = unknown_key_message(name, prefix)
            else:
                problems.append(Problem(label, value, unknown_key_message(name, prefix)))
            continue
        if name in options:
            problems.append(Problem(label, value, f"is given twice (also as {options.labels[name]})"))
            continue
        ok, parsed, message = (
            (True, value, "") if not isinstance(value, str) else option.from_string(value.strip(), key)
        )
        if not ok:
            problems.append(Problem(label, value, message))
            continue
        options[name] = parsed
        options.labels[name] = label
    return options, problems


def unknown_key_message(name: str, prefix: str) -> str:
    """Why ``prefix + NAME`` is not a setting, and what to write instead."""

    def key(option: str) -> str:  # as the operator writes it: CORS_ORIGINS, or origins in an .ini
        return prefix + option.upper() if prefix else option

    hint = FOREIGN_HINTS.get(name)
    if hint is not None:
        return f"is not a cors_wsgi setting; {hint}"
    guess = ALIASES.get(name) or next(iter(difflib.get_close_matches(name, OPTION_NAMES, n=1, cutoff=0.6)), None)
    if guess is not None:
        return f"is not a cors_wsgi setting; did you mean {key(guess)}?"
    return f"is not a cors_wsgi setting; valid settings are {', '.join(map(key, OPTION_NAMES))}"


def relabel(problems: tuple[Problem, ...], labels: Mapping[str, str]) -> list[Problem]:
    """Problems renamed from option names to the source keys they came from."""
    return [Problem(relabel_option(problem.option, labels), problem.value, problem.message) for problem in problems]


def relabel_option(option: str, labels: Mapping[str, str]) -> str:
    """``"resources['/a'].origins"`` -> ``"CORS_RESOURCES['/a'].origins"`` when resources came from a key."""
    head = option.split("[", 1)[0].split(".", 1)[0]
    label = labels.get(head)
    return option if label is None else label + option[len(head) :]
