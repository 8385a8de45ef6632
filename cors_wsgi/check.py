"""``python -m cors_wsgi check``: validate a CORS configuration offline, before deploying it.

A configuration is checked when the middleware is built, so a mistake shows up when the application
starts, in production. ``check`` runs the very same validation on a file or on the environment, from a
shell or CI, and prints each problem (naming the key as written, the value and the fix) and each warning::

    python -m cors_wsgi check cors.toml          # also .json, .ini / .cfg
    CORS_ORIGINS=https://app.example.com python -m cors_wsgi check --env

Formats:

- ``.json``: an object of option names (``"origins"``) or of ``CORS_*`` keys (``"CORS_ORIGINS"``), the
  same object under a top-level ``"cors"`` key, ``resources`` possibly a nested object;
- ``.toml``: a ``[cors]`` table, ``[tool.cors_wsgi]`` (``pyproject.toml``), or top-level keys, named
  either way (Python 3.11+, or ``tomli`` installed on 3.9/3.10);
- ``.ini`` / ``.cfg``: a ``[cors]`` section or a PasteDeploy ``[filter:...]`` section with
  ``use = egg:cors_wsgi`` (or one named ``[filter:cors]``); keys are option names, values strings;
- ``--env``: ``CORS_*`` environment variables (``--prefix`` to change the prefix);
- ``--flask-app MODULE:APP`` (or ``MODULE:create_app()``): a Flask application using ``cors_wsgi.flask``,
  route by route: the methods, the ``resources`` rule cors_wsgi applies, and the one flask-cors would
  have applied. Routes flask-cors covered and cors_wsgi does not are listed after the table; they fail
  the check only with ``--strict``.

Strings are read exactly as :meth:`CORSMiddleware.from_env` and the Paste filter read them (lists
separated by commas or newlines, booleans ``true``/``false``, ``resources`` as a pattern or JSON), by
:func:`cors_wsgi.sources.read_options`; then :func:`cors_wsgi.policy.compile_policy` validates.

A source with no CORS setting at all (``--env`` with no ``CORS_*`` variable, ``{}``, an empty ``[cors]``
table or section) is an error, not a pass: the middleware would run on its defaults, which is rarely what
a deployment meant (a misspelt prefix, a variable not exported, the wrong file). ``--allow-defaults``
says the defaults are meant: the check then passes and prints the rules they give.

Exit status: 0 valid (warnings are printed but do not fail unless ``--strict``), 1 invalid (including a
file that does not parse, and a source with no CORS setting unless ``--allow-defaults``), 2 usage errors
(no such file, unknown format, TOML without a parser).
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, CORSConfigWarning, Problem
from .options import DEFAULTS, MAX_AGE, METHODS, ORIGINS, SUPPORTS_CREDENTIALS
from .policy import Policy, compile_policy
from .sources import read_mapping, read_options

FORMATS = {".json": "json", ".toml": "toml", ".ini": "ini", ".cfg": "ini", ".conf": "ini"}
PREFIX = "CORS_"


class FileProblem(Problem):
    """A problem with the file as a whole (it does not parse, has no CORS section...)."""

    def __str__(self) -> str:
        return f"{self.option}: {self.message}"


class NothingFound(Problem):
    """The source holds no CORS setting at all: the defaults would apply (an error unless allowed)."""

    def __str__(self) -> str:
        return self.message


class UsageError(Exception):
    """The check could not run (exit 2)."""


@dataclass(frozen=True)
class Result:
    """The outcome of one check: problems (errors), warnings, and the compiled rules when valid."""

    source: str
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    """One summary line per ``resources`` rule, most specific first (empty when invalid)."""
    defaults: bool = False
    """The source held no CORS setting, and the defaults were checked on purpose (``allow_defaults``)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def exit_status(self, strict: bool = False) -> int:
        return 1 if self.problems or (strict and self.warnings) else 0

    def to_dict(self, strict: bool = False) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "errors": [
                {"option": problem.option, "value": _jsonable(problem.value), "message": problem.message}
                for problem in self.problems
            ],
            "warnings": list(self.warnings),
            "rules": list(self.rules),
            "defaults": self.defaults,
            "exit_status": self.exit_status(strict),
        }


def _jsonable(value: object) -> object:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


# --- reading ---------------------------------------------------------------------------------------------


def read_file(path: Path, fmt: str | None = None) -> tuple[dict[str, Any], str, str]:
    """The CORS settings in a file: ``(mapping, prefix, where)``; raises :class:`UsageError` if the file
    cannot be read and :class:`ConfigError` if it does not parse."""
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"{path}: cannot tell the format from the extension; use --format json, toml or ini")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError([FileProblem(str(path), None, f"is not UTF-8 text ({error.reason})")]) from None
    if fmt == "json":
        return _from_object(_parse_json(path, text), path)
    if fmt == "toml":
        return _from_object(_parse_toml(path, text), path)
    return _read_ini(path, text)


def _parse_json(path: Path, text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigError([FileProblem(str(path), None, f"is not valid JSON ({error})")]) from None


def _parse_toml(path: Path, text: str) -> object:
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            raise UsageError(
                f"{path}: reading TOML needs Python 3.11+ or the tomli package (pip install tomli); "
                "or write the configuration as JSON or .ini"
            ) from None
    try:
        parsed: object = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([FileProblem(str(path), None, f"is not valid TOML ({error})")]) from None
    return parsed


def _from_object(data: object, path: Path) -> tuple[dict[str, Any], str, str]:
    if not isinstance(data, dict):
        raise ConfigError(
            [FileProblem(str(path), data, 'must hold an object of CORS options, e.g. {"origins": [...]}')]
        )
    table: dict[str, Any] = data
    where = ""
    tool = table.get("tool")
    if isinstance(table.get("cors"), dict):
        table, where = table["cors"], "cors."
    elif isinstance(tool, dict) and isinstance(tool.get("cors_wsgi"), dict):
        table, where = tool["cors_wsgi"], "tool.cors_wsgi."
    return _with_prefix(table, where)


def _with_prefix(data: Mapping[str, Any], where: str) -> tuple[dict[str, Any], str, str]:
    """Option names or ``CORS_*`` keys, but not a mix: in a file of CORS settings every key must count."""
    prefixed = [key for key in data if key.startswith(PREFIX)]
    if not prefixed:
        return dict(data), "", where
    plain = [key for key in data if not key.startswith(PREFIX)]
    if plain:
        raise ConfigError(
            [
                Problem(
                    f"{where}{key}",
                    data[key],
                    f"mixes a plain option name with {PREFIX}* keys; write {PREFIX}{key.upper()} (or drop the "
                    f"{PREFIX} prefix everywhere)",
                )
                for key in plain
            ]
        )
    return dict(data), PREFIX, where


def _read_ini(path: Path, text: str) -> tuple[dict[str, Any], str, str]:
    # [DEFAULT] is read as an ordinary section: PasteDeploy's global_conf, never CORS settings.
    parser = configparser.ConfigParser(interpolation=None, default_section="\0no default")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as error:
        raise ConfigError(
            [FileProblem(str(path), None, f"is not a valid .ini file ({' '.join(error.message.split())})")]
        ) from None
    section = _find_section(parser)
    if section is None:
        raise ConfigError(
            [
                FileProblem(
                    str(path),
                    parser.sections(),
                    "has no CORS section: write [cors], or a PasteDeploy [filter:cors] with use = egg:cors_wsgi",
                )
            ]
        )
    data = {key: value for key, value in parser[section].items() if key != "use"}
    return _with_prefix(data, f"[{section}] ")


def _find_section(parser: configparser.ConfigParser) -> str | None:
    if parser.has_section("cors"):
        return "cors"
    sections: list[str] = parser.sections()  # typed: typeshed's 3.13 ConfigParser stubs leave it Any
    for section in sections:
        use = parser[section].get("use", "").strip()
        if section.startswith("filter:") and use.split("#")[0] == "egg:cors_wsgi":
            return section
    return "filter:cors" if parser.has_section("filter:cors") else None


# --- checking --------------------------------------------------------------------------------------------


def check_mapping(
    mapping: Mapping[str, Any], *, prefix: str, where: str, source: str, allow_defaults: bool = False, empty: str = ""
) -> Result:
    """Validate settings the way the middleware would: every problem and warning, nothing raised.

    A mapping with no setting (no ``prefix``-ed key) is a problem, whose message is ``empty`` (a default
    one when not given), unless ``allow_defaults``: then the defaults are checked and summarised."""
    nothing = not read_mapping(mapping, prefix)
    if nothing and not allow_defaults:
        what = f"no {prefix}* settings found" if prefix else "no CORS settings found"
        message = empty or f"{what} in {source}"
        return Result(source, (NothingFound(source, None, f"{message}; {_DEFAULTS_HINT}"),))
    options, problems = read_options(mapping, prefix=prefix, where=where)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CORSConfigWarning)
        try:
            policy = compile_policy(options, options.labels)
        except ConfigError as error:
            problems.extend(error.problems)
    if problems:
        return Result(source, tuple(problems))
    found = tuple(str(item.message) for item in caught if issubclass(item.category, CORSConfigWarning))
    return Result(source, (), found, _summarise(policy), defaults=nothing)


_DEFAULTS_HINT = (
    f"the middleware would run on its defaults (origins {DEFAULTS['origins']!r}). Set the options the "
    "deployment means, or pass --allow-defaults if the defaults are what it means"
)


def _summarise(policy: Policy) -> tuple[str, ...]:
    lines = []
    for path, resource in policy.table.rules:
        settings = resource.settings
        origins = settings[ORIGINS]
        details = [f"origins {', '.join(origins.sources) or 'none'}"]
        if origins.callables:
            named = ", ".join(source for source in origins.sources if source.endswith("()"))
            details.append(f"origins not listed are decided by {named}")
        methods = settings[METHODS]
        if methods is None or methods != DEFAULTS["methods"]:
            details.append(f"methods {'*' if methods is None else ', '.join(methods)}")
        if settings[SUPPORTS_CREDENTIALS]:
            details.append("credentials")
        if settings[MAX_AGE] is not None:
            details.append(f"max_age {settings[MAX_AGE]}")
        lines.append(f"{path.source!r}: " + "; ".join(details))
    return tuple(lines)


def check_file(path: Path, fmt: str | None = None, *, allow_defaults: bool = False) -> Result:
    """Read and validate a configuration file; raises :class:`UsageError` if it cannot be read.

    A file (or its ``[cors]`` table or section) with no CORS setting is invalid unless ``allow_defaults``."""
    try:
        mapping, prefix, where = read_file(path, fmt)
    except ConfigError as error:
        return Result(str(path), error.problems)
    return check_mapping(
        mapping,
        prefix=prefix,
        where=where,
        source=str(path),
        allow_defaults=allow_defaults,
        empty=f"no CORS settings found in {path}",
    )


def check_environment(
    environ: Mapping[str, str] | None = None, prefix: str = PREFIX, *, allow_defaults: bool = False
) -> Result:
    """Validate the ``CORS_*`` environment variables, as :meth:`CORSMiddleware.from_env` reads them.

    No ``CORS_*`` variable at all is invalid unless ``allow_defaults``."""
    source = os.environ if environ is None else environ
    return check_mapping(
        source,
        prefix=prefix,
        where="environment variable ",
        source=f"{prefix}* environment",
        allow_defaults=allow_defaults,
        empty=f"no {prefix}* settings found in the environment",
    )


# --- the command line --------------------------------------------------------------------------------------


def format_text(result: Result, strict: bool = False) -> str:
    lines = []
    if result.problems:
        count = len(result.problems)
        lines.append(f"{result.source}: invalid, {count} problem{'s' if count != 1 else ''}")
        lines.extend(f"  error: {problem}" for problem in result.problems)
    if result.defaults:
        lines.append("  note: no CORS settings found; checked the defaults, as --allow-defaults asks")
    lines.extend(f"  warning: {message}" for message in result.warnings)
    if not result.problems:
        count = len(result.rules)
        verdict = "fails --strict" if strict and result.warnings else "OK"
        lines.insert(0, f"{result.source}: {verdict}, {count} rule{'s' if count != 1 else ''}")
        lines.extend(f"  rule {rule}" for rule in result.rules)
    return "\n".join(lines)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Validate a cors_wsgi configuration offline: a .json, .toml or .ini/.cfg file, or the CORS_* "
        "environment (--env). Prints every problem and warning. Exit status 0 valid, 1 invalid (a source with "
        "no CORS setting too, unless --allow-defaults), 2 usage error."
    )
    parser.add_argument("file", nargs="?", type=Path, help="configuration file (.json, .toml, .ini, .cfg)")
    parser.add_argument("--env", action="store_true", help="check the CORS_* environment variables instead")
    parser.add_argument("--prefix", default=PREFIX, help=f"environment variable prefix with --env (default {PREFIX})")
    parser.add_argument(
        "--format", choices=("json", "toml", "ini"), help="file format, when the extension does not say"
    )
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) on warnings too")
    parser.add_argument(
        "--allow-defaults",
        action="store_true",
        help="pass when the source holds no CORS setting at all (the defaults are meant); without it that fails",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--flask-app",
        metavar="MODULE:APP",
        help="a Flask application using cors_wsgi.flask (MODULE:APP or MODULE:create_app()), checked route by "
        "route against what flask-cors would have covered",
    )


def run(args: argparse.Namespace) -> int:
    """``python -m cors_wsgi check``; returns the exit status."""
    try:
        if args.flask_app is not None:
            if args.env or args.file is not None:
                raise UsageError("give --flask-app alone, without a FILE or --env")
            return check_flask_app(args.flask_app, as_json=args.json, strict=args.strict)
        if args.env and args.file is not None:
            raise UsageError("give a configuration FILE or --env, not both")
        if not args.env and args.file is None:
            raise UsageError("give a configuration FILE (.json, .toml, .ini, .cfg), or --env for CORS_* variables")
        allow = args.allow_defaults
        if args.env:
            result = check_environment(prefix=args.prefix, allow_defaults=allow)
        else:
            result = check_file(args.file, args.format, allow_defaults=allow)
    except UsageError as error:
        print(f"check: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict(args.strict), indent=2) if args.json else format_text(result, args.strict))
    return result.exit_status(args.strict)


# --- a Flask application, route by route -----------------------------------------------------------------


def load_flask_app(target: str) -> Any:
    """``module:app`` or ``module:create_app()``, imported from the current directory (as ``flask --app``)."""
    import importlib

    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"--flask-app {target!r}: write MODULE:APP or MODULE:create_app()")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError(f"--flask-app {target!r}: cannot import {module_name!r} ({error})") from None
    factory = attribute.endswith("()")
    found = getattr(module, attribute[:-2] if factory else attribute, None)
    if found is None:
        raise UsageError(f"--flask-app {target!r}: {module_name!r} has no {attribute!r}")
    return found() if factory else found


def check_flask_app(target: str, *, as_json: bool = False, strict: bool = False) -> int:
    """Print :func:`cors_wsgi.flask.coverage` as a table; exit 1 with ``strict`` if a route lost coverage."""
    from .flask import coverage

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CORSConfigWarning)
        app = load_flask_app(target)
    rows = coverage(app)
    if not app.extensions.get("cors_wsgi"):
        print(f"{target}: no CORS(app) from cors_wsgi.flask is installed; only decorated views and blueprints "
              "are shown (migrate the import first)", file=sys.stderr)  # fmt: skip
    lost = [row for row in rows if row["flask_cors"] and not row["cors_wsgi"]]
    if as_json:
        print(json.dumps({"app": target, "routes": rows, "lost": [row["route"] for row in lost]}, indent=2))
    else:
        table = [("route", "methods", "cors_wsgi applies", "flask-cors applied")]
        for row in rows:
            table.append((row["route"], ",".join(row["methods"]), row["cors_wsgi"] or "-", row["flask_cors"] or "-"))
        widths = [max(len(line[column]) for line in table) for column in range(4)]
        for line in table:
            print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        for warning in caught:
            if issubclass(warning.category, CORSConfigWarning):
                print(f"warning: {warning.message}")
        verdict = f"{len(lost)} route(s) lose the coverage flask-cors gave them" if lost else "no route loses coverage"
        print(f"{target}: {len(rows)} routes; {verdict}")
    return 1 if strict and lost else 0
