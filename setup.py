"""Build the hot-path modules with mypyc where it can be done; everything else is in pyproject.toml.

One source: the modules listed in :data:`COMPILED` are the same typed Python that runs interpreted, compiled
to C extensions by mypyc (mypy's compiler) when a wheel is built on CPython. The ``.py`` files ship too, so
where compiling is not possible the very same package runs interpreted, with the same answers:

* on PyPy (or any interpreter but CPython): nothing is compiled;
* without a C compiler, or if mypy is missing or fails: a one-line notice, then the interpreted package;
* in an editable install (``pip install -e .``): interpreted, so that an edited ``.py`` file always takes
  effect (a compiled module next to it would be imported instead, and go stale);
* ``CORS_WSGI_COMPILE=0`` never compiles; ``CORS_WSGI_COMPILE=1`` compiles an editable install too and turns
  every fallback above into an error (CI uses it to prove the compiled build is what it tests).

``cors_wsgi.middleware.ACCELERATED`` tells at run time which build is installed.
"""

from __future__ import annotations

import os
import platform
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    "cors_wsgi/fetch.py",
    "cors_wsgi/headers.py",
    "cors_wsgi/origins.py",
    "cors_wsgi/paths.py",
    "cors_wsgi/policy.py",
    "cors_wsgi/middleware.py",
    "cors_wsgi/stack.py",
]
REQUIRED = os.environ.get("CORS_WSGI_COMPILE", "").strip().lower() in ("1", "true", "yes")
NEVER = os.environ.get("CORS_WSGI_COMPILE", "").strip().lower() in ("0", "false", "no")


def notice(reason: str) -> None:
    if REQUIRED:
        sys.exit(f"cors_wsgi: CORS_WSGI_COMPILE=1, but the mypyc build is not possible: {reason}")
    print(f"cors_wsgi: installing the interpreted build ({reason})", file=sys.stderr)


def extensions() -> list[object]:
    commands = set(sys.argv[1:])
    if not commands & {"bdist_wheel", "build", "build_ext", "install", "editable_wheel", "develop"}:
        return []  # sdist, egg_info, dist_info: nothing is built
    if NEVER:
        notice("CORS_WSGI_COMPILE=0")
        return []
    if platform.python_implementation() != "CPython":
        notice(f"mypyc compiles for CPython, not {platform.python_implementation()}")
        return []
    if commands & {"editable_wheel", "develop"} and not REQUIRED:
        print("cors_wsgi: editable install, interpreted so that edits take effect", file=sys.stderr)
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        notice("mypy is not installed in the build environment")
        return []
    try:
        return list(mypycify(COMPILED, opt_level="3", group_name="cors_wsgi"))
    except (Exception, SystemExit) as error:  # mypy reports type errors by exiting
        notice(f"mypyc failed: {error}")
        return []


class OptionalBuildExt(build_ext):
    """Compile the extensions, or none of them: a compiled module without the shared library beside it
    could not be imported, while the ``.py`` files always work."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler (CompileError, PlatformError, ...), a failed link
            for output in self.get_outputs():
                if os.path.exists(output):
                    os.remove(output)
            notice(f"the C extensions could not be built ({type(error).__name__}: is a C compiler installed?)")


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
