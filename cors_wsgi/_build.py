"""Which build runs: the modules mypyc compiles, and a way to import their ``.py`` files instead.

A compiled install ships each compiled module twice: the extension module, which Python imports, and the
``.py`` source it was compiled from. :class:`SourceFinder` imports the source instead. The package uses it in
a sub-interpreter (see ``cors_wsgi/__init__.py``); the benchmarks and the build tests use it to load the
interpreted build beside the compiled one, under another package name, and compare them.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
from collections.abc import Collection, Sequence
from pathlib import Path
from types import ModuleType

COMPILED = ("fetch", "headers", "origins", "paths", "policy", "middleware", "stack")
"""The modules setup.py compiles (tests/test_builds.py holds the two lists equal)."""


class SourceFinder(importlib.abc.MetaPathFinder):
    """Imports ``package`` (and its modules named in ``only``, or all of them) from the ``.py`` files in
    ``directory``, never from an extension module."""

    def __init__(self, package: str, directory: Path, only: Collection[str] | None = None) -> None:
        self.package = package
        self.directory = directory
        self.only = only

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.package:
            if self.only is not None:
                return None
            file = self.directory / "__init__.py"
        elif fullname.startswith(self.package + ".") and fullname.count(".") == self.package.count(".") + 1:
            name = fullname.rsplit(".", 1)[1]
            if self.only is not None and name not in self.only:
                return None
            file = self.directory / f"{name}.py"
        else:
            return None
        if not file.is_file():
            return None
        return importlib.util.spec_from_file_location(
            fullname,
            file,
            loader=importlib.machinery.SourceFileLoader(fullname, str(file)),
            submodule_search_locations=[str(self.directory)] if fullname == self.package else None,
        )


def in_main_interpreter() -> bool:
    """False in a sub-interpreter (mod_wsgi runs each application group in one).

    mypyc keeps a compiled module's state in C globals shared by every interpreter of the process
    (mypyc issue 980): a sub-interpreter importing the compiled modules would overwrite the main one's, and
    destroying it would leave them broken. CPython has no public way to ask before 3.14, so this asks its
    interpreters module; where that is missing, it answers True (the compiled build).
    """
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            module = importlib.import_module(name)
            current, main = module.get_current(), module.get_main()
        except Exception:  # missing, or an interface this code does not know
            continue
        return _interpreter_id(current) == _interpreter_id(main)
    return True


def _interpreter_id(value: object) -> object:
    """3.13's ``_interpreters`` answers ``(id, whence)``; earlier versions an ``InterpreterID``."""
    return value[0] if isinstance(value, tuple) else value
