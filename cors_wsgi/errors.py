"""The two ways cors_wsgi tells an operator that a configuration is wrong or risky.

A CORS misconfiguration fails silently in production: the browser blocks a request and the page sees
only ``TypeError: Failed to fetch``, or worse, the server allows more than intended and nobody notices.
So cors_wsgi refuses an invalid configuration when the middleware is built, and reports *every* problem
at once, each naming the option, the offending value and the fix, so one edit-and-restart cycle is
enough. Legal but risky settings are reported once, at construction, as :class:`CORSConfigWarning`.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One configuration mistake: where it is, what was given, and how to fix it."""

    option: str
    """The option's name, with its resource when it came from a ``resources`` dict
    (``resources['/api/*'].origins``)."""
    value: object
    message: str
    """What is wrong and what to write instead."""

    def __str__(self) -> str:
        return f"{self.option}={self.value!r}: {self.message}"


class ConfigError(ValueError):
    """An invalid cors_wsgi configuration; raised by the constructor, never at request time.

    ``problems`` holds every :class:`Problem` found, so tools can show them one by one; ``str()``
    lists them all.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = [f"invalid CORS configuration ({count} problem{'s' if count != 1 else ''}):"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        super().__init__("\n".join(lines))


class CORSConfigWarning(UserWarning):
    """A configuration that is legal but probably not what was meant, or riskier than it looks."""


class Collector:
    """Accumulates problems and warnings while a configuration is validated, so that all of them are
    reported at once."""

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


def warn(option: str, value: object, message: str) -> None:
    """Emit a :class:`CORSConfigWarning` pointing at the user's constructor call."""
    # stacklevel: warn <- config helpers <- compile <- CORSMiddleware.__init__ <- user code. The exact
    # depth varies by option, so point at the caller of the package rather than guess a frame.
    warnings.warn(f"{option}={value!r}: {message}", CORSConfigWarning, stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """How many frames up the first frame outside this package is, for ``warnings.warn``."""
    package_dir = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(package_dir):
        frame = frame.f_back
        level += 1
    return level
