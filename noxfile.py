"""The test matrix: every interpreter and build cors_wsgi supports, in one command.

::

    nox                      # every leg below (what .ci/run runs, after the README's own command)
    nox -l                   # list the legs
    nox -s core-3.9          # one leg, both builds; nox -s "core-3.9(build='compiled')" for one build
    nox -s compiled mypy     # several

Legs, and the wall time each took in one run of ``.ci/run`` on the 2-core development machine (warm pip
cache; it includes making the venv, installing, and building the wheel). The whole ``nox`` run took about
10.5 minutes, and ``.ci/run`` (README command first, then ``nox``) 12 minutes.

==================================  ================  ========================================  ==========  =======
leg (nox session)                   Python            build, installed how                      tests       time
==================================  ================  ========================================  ==========  =======
``readme`` [0]                      CPython 3.11      interpreted: ``pip install -e ".[test]"``  all [1]     1.5 min
``compiled``                        CPython 3.11      compiled wheel (``CORS_WSGI_COMPILE=1``)   all [1]     2 min
``core-3.X(build='compiled')``      3.9 3.10 3.12     compiled wheel (``CORS_WSGI_COMPILE=1``)   CORE [2]    ~50 s
                                    3.13                                                                    each
``core-3.X(build='interpreted')``   3.9 3.10 3.12     pure wheel (``CORS_WSGI_COMPILE=0``)       CORE [2]    ~40 s
                                    3.13                                                                    each
``pypy``                            PyPy 7.3 (3.9)    pure wheel (setup.py's own fallback)      CORE [3]    1 min
``mypy-3.9``, ``mypy-3.13``         3.9, 3.13         none: that Python's mypy runs              none        ~10 s
                                                      ``mypy --strict cors_wsgi --python-version X.Y``       each
``release``                         CPython 3.11      sdist, compiled wheel, pure wheel, each    [4]         1 min
                                                      in a fresh venv with nothing else
==================================  ================  ========================================  ==========  =======

[0] .ci/run runs these two commands itself, first, in a fresh venv, then ``nox --keywords "not readme"``.
[1] Everything ``python -m pytest`` selects by default (``-m 'not slow'``): behaviour, property and fuzz
    tests, the headless-Chromium browser suite, the examples under gunicorn, waitress and pserve,
    ``probe``/``check``, the docs build, the benchmark smoke test, ``mypy --strict`` and ``ruff``, with the
    whole ``test`` extra (its Playwright pin, 1.65, needs Python 3.10+; 3.11 is the README's Python).
    tests/test_builds.py compares the compiled build with the interpreted one request by request in the
    compiled legs (in the others it checks which build runs, and skips the comparisons).
[2] :data:`CORE`, the behaviour tests that import only pytest, webtest, webob, werkzeug, Flask and
    hypothesis (and tomli before 3.11): test_contract, test_pep3333, test_bad_input, test_bounded_cost,
    test_fast_paths, test_fuzz, test_security_regressions, test_concurrency, test_config, test_sources,
    test_decide, test_explain, test_builds, test_parsers, test_origin_properties, test_dynamic_origins,
    test_protocol_today, test_flask, test_check. 3.11 has no core leg: ``readme`` and ``compiled`` run
    a superset there, one per build.
[3] CORE without test_builds.py, which imports tracemalloc (PyPy has none); the leg checks by itself that
    the interpreted build is what imports.
[4] tests/test_release.py (marker ``slow``): file lists, metadata, ``twine check --strict``, and in each
    venv a WSGI preflight and actual request, ``python -m cors_wsgi check``, and ``ACCELERATED``.

Every wheel is built from the sdist (``python -m build``), installed (never editable) in the leg's own
virtual environment, and tested with the ``pytest`` console script from the repository root, so the package
comes from site-packages, not from the checkout (``python -m pytest`` would put the checkout first on
``sys.path``). ``CORS_WSGI_COMPILE=1`` makes a failed compilation a failed build instead of a silent
fallback, the wheel's tag is checked (``cpXY`` for compiled, ``py3-none-any`` for interpreted), and
``CORS_WSGI_EXPECT_BUILD`` makes tests/test_builds.py's first test fail if the other build is the one
imported. Interpreters: ``python3.X`` on PATH, or pyenv's (``$PYENV_ROOT/versions/3.X.*``, found even when
pyenv's shims do not expose them), and Debian's ``pypy3`` (with ``pypy3-venv``). A missing interpreter
skips its legs locally and fails them under ``CI`` (nox's default, which .ci/run makes explicit).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "venv"
nox.options.error_on_external_run = True
# Outside the checkout: the virtual environments are large, and .gitignore does not list .nox/.
# `nox --envdir DIR` overrides it.
ROOT = Path(__file__).resolve().parent
nox.options.envdir = str(Path(tempfile.gettempdir()) / f"cors_wsgi-nox-{hashlib.sha1(bytes(ROOT)).hexdigest()[:8]}")

CPYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
OLDEST, MAIN, NEWEST = CPYTHONS[0], "3.11", CPYTHONS[-1]
PYPY = "pypy3"

CORE = [
    "tests/test_contract.py",
    "tests/test_pep3333.py",
    "tests/test_bad_input.py",
    "tests/test_bounded_cost.py",
    "tests/test_fast_paths.py",
    "tests/test_fuzz.py",
    "tests/test_security_regressions.py",
    "tests/test_concurrency.py",
    "tests/test_config.py",
    "tests/test_sources.py",
    "tests/test_decide.py",
    "tests/test_explain.py",
    "tests/test_builds.py",
    "tests/test_parsers.py",
    "tests/test_origin_properties.py",
    "tests/test_dynamic_origins.py",
    "tests/test_protocol_today.py",
    "tests/test_flask.py",
    "tests/test_check.py",
]
"""The core behaviour tests: light dependencies only (:data:`LIGHT`), run on every interpreter and build."""

LIGHT = {"pytest", "webtest", "webob", "werkzeug", "flask", "hypothesis", "tomli"}
"""What :data:`CORE` imports: these requirements are taken from the ``test`` extra, pins included."""

# test_builds.py imports tracemalloc, which PyPy does not have (its comparisons need the compiled build,
# which PyPy never has; _install_wheel checks which build imports).
NOT_ON_PYPY = ["tests/test_builds.py"]


def _pyenv_interpreters() -> None:
    """Put pyenv's ``python3.X`` first on PATH, as links in a directory of their own.

    pyenv's shims answer ``python3.9`` only for the versions made global or local; nox finds interpreters
    on PATH. Links, not pyenv's ``bin`` directories, so that ``python3`` and ``pip`` stay what they were."""
    versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if not versions.is_dir():
        return
    links = Path(nox.options.envdir) / ".interpreters"
    for version in CPYTHONS:
        found = [
            path
            for path in versions.glob(f"{version}.*/bin/python{version}")
            if re.fullmatch(rf"{re.escape(version)}\.\d+", path.parent.parent.name)
        ]
        if not found:
            continue
        newest = max(found, key=lambda path: [int(part) for part in path.parent.parent.name.split(".")])
        links.mkdir(parents=True, exist_ok=True)
        fresh = links / f".python{version}.{os.getpid()}"
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(newest)
        os.replace(fresh, links / f"python{version}")  # atomic: another nox run may be reading it
    if links.is_dir():
        os.environ["PATH"] = os.pathsep.join([str(links), os.environ.get("PATH", "")])


_pyenv_interpreters()


def _test_extra() -> list[str]:
    extra: list[str] = nox.project.load_toml(ROOT / "pyproject.toml")["project"]["optional-dependencies"]["test"]
    return extra


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[@]", requirement, maxsplit=1)[0].lower()


def _light() -> list[str]:
    chosen = [requirement for requirement in _test_extra() if _name(requirement) in LIGHT]
    missing = LIGHT - {_name(requirement) for requirement in chosen}
    if missing:
        raise RuntimeError(f"noxfile: the test extra does not list {sorted(missing)}")
    return chosen


def _fresh_pip(session: nox.Session) -> None:
    session.install("--quiet", "--upgrade", "pip")


def _install_wheel(session: nox.Session, build: str, expect: str) -> Path:
    """Build the sdist and, from it, the wheel of ``build`` (``compiled``, ``interpreted`` or ``auto``, the
    setup.py default), check the wheel's tag, install it without its dependencies, and check that the
    ``expect`` build is the one that imports (from outside the checkout)."""
    out = Path(session.create_tmp()) / "dist"
    shutil.rmtree(out, ignore_errors=True)
    session.install("--quiet", "build")
    compile_flag = {"compiled": "1", "interpreted": "0", "auto": ""}[build]
    session.run(
        "python", "-m", "build", "--outdir", str(out), str(ROOT), env={"CORS_WSGI_COMPILE": compile_flag}, silent=True
    )
    wheels = list(out.glob("*.whl"))
    if len(wheels) != 1:
        session.error(f"expected one wheel in {out}, found {wheels}")
    wheel = wheels[0]
    pure = wheel.name.endswith("-py3-none-any.whl")
    if build == "compiled" and pure:
        session.error(f"{wheel.name}: CORS_WSGI_COMPILE=1 built a pure-Python wheel")
    if build == "interpreted" and not pure:
        session.error(f"{wheel.name}: CORS_WSGI_COMPILE=0 built a platform wheel")
    session.log(f"testing {wheel.name}")
    session.install("--quiet", "--force-reinstall", "--no-deps", str(wheel))
    probe = (
        "import sys, cors_wsgi.middleware as m; "
        f"sys.exit(0 if m.ACCELERATED is {expect == 'compiled'} else 'not the {expect} build: ' + m.__file__)"
    )
    with session.chdir(session.create_tmp()):
        session.run("python", "-c", probe)
    return wheel


def _pytest(session: nox.Session, build: str, files: list[str]) -> None:
    """The ``pytest`` script (never ``python -m pytest``) from the root, with the build it must import.
    (``CORS_WSGI_*`` variables are the package's own, never read as CORS settings.)"""
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs, *files, env={"CORS_WSGI_EXPECT_BUILD": build})


@nox.session(python=MAIN)
def readme(session: nox.Session) -> None:
    """The README's Development commands, verbatim: an editable (interpreted) install and the one test
    command, everything included. .ci/run runs these itself first, in a fresh venv, then the other legs."""
    _fresh_pip(session)
    session.install("--quiet", "-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=MAIN)
def compiled(session: nox.Session) -> None:
    """The whole default suite on the compiled build (a wheel, installed), with every test dependency."""
    _fresh_pip(session)
    _install_wheel(session, "compiled", "compiled")
    session.install("--quiet", *_test_extra())
    _pytest(session, "compiled", [])


@nox.session(python=[version for version in CPYTHONS if version != MAIN])
@nox.parametrize("build", ["compiled", "interpreted"])
def core(session: nox.Session, build: str) -> None:
    """The core behaviour tests on one CPython and one build (3.11 runs everything, in readme and compiled)."""
    _fresh_pip(session)
    _install_wheel(session, build, build)
    session.install("--quiet", *_light())
    _pytest(session, build, CORE)


@nox.session(python=PYPY)
def pypy(session: nox.Session) -> None:
    """PyPy: setup.py falls back to the interpreted build by itself (no CORS_WSGI_COMPILE); the core tests."""
    _fresh_pip(session)
    _install_wheel(session, "auto", "interpreted")
    session.install("--quiet", *_light())
    _pytest(session, "interpreted", [file for file in CORE if file not in NOT_ON_PYPY])


@nox.session(python=[OLDEST, NEWEST])
def mypy(session: nox.Session) -> None:
    """``mypy --strict`` with the oldest and the newest interpreter's own mypy, for that version."""
    requirement = next(requirement for requirement in _test_extra() if _name(requirement) == "mypy")
    # cors_wsgi.flask imports Flask (typed), the one optional dependency the package imports.
    flask = nox.project.load_toml(ROOT / "pyproject.toml")["project"]["optional-dependencies"]["flask"]
    session.install("--quiet", requirement, *flask)
    cache = Path(session.create_tmp()) / "mypy_cache"
    session.run("mypy", "--strict", "cors_wsgi", "--python-version", str(session.python), "--cache-dir", str(cache))


@nox.session(python=MAIN)
def release(session: nox.Session) -> None:
    """tests/test_release.py (marker slow): the sdist and the wheels built, checked by twine, installed in
    fresh virtual environments without test dependencies, and used."""
    _fresh_pip(session)
    names = {"pytest", "build", "twine"}
    session.install("--quiet", *(requirement for requirement in _test_extra() if _name(requirement) in names))
    # `python -m pytest`: the checkout on sys.path lets pytest resolve pyproject's warning filter
    # (cors_wsgi.errors.CORSConfigWarning); the test itself imports cors_wsgi only in the venvs it makes.
    session.run(
        "python", "-m", "pytest", "-p", "no:cacheprovider", "-m", "slow", "tests/test_release.py", *session.posargs
    )
