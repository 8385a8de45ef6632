"""The release artifacts, as a user gets them: built, checked, installed where no test dependency is, used.

``python -m build`` makes the sdist and, from it, the wheel (compiled by mypyc with ``CORS_WSGI_COMPILE=1``
on CPython with a C compiler, so a fallback fails the build); the pure-Python wheel a release publishes
beside the platform wheels (``py3-none-any``, see ``[tool.cibuildwheel]`` in pyproject.toml) is built from
the sdist with ``CORS_WSGI_COMPILE=0``. Each artifact is then:

- listed: the package's sources, ``py.typed``, and for the compiled wheel an extension module per compiled
  module plus mypyc's shared ``cors_wsgi__mypyc`` library; no tests, examples, benchmarks, C sources or
  build leftovers; the licence and its metadata;
- checked by ``twine check --strict``;
- installed into a fresh virtual environment that has nothing else (the sdist install compiles too), where
  a subprocess run from outside the checkout wraps a WSGI application, sends a preflight and actual
  requests through it (calling it directly, no client library), runs ``python -m cors_wsgi check`` on a
  JSON configuration, and reports ``cors_wsgi.middleware.ACCELERATED``.

Marker ``slow`` (about a minute and a half, and it reaches the package index for the build dependencies):
``python -m pytest -m slow tests/test_release.py``; CI runs it as ``nox -s release``.
"""

from __future__ import annotations

import email.parser
import importlib.machinery
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NAME = "cors_wsgi"
COMPILED = tuple(
    re.findall(
        r'"cors_wsgi/(\w+)\.py"',
        (ROOT / "setup.py").read_text(encoding="utf-8").split("COMPILED = [", 1)[1].split("]", 1)[0],
    )
)
"""The modules setup.py compiles (tests/test_builds.py holds this list equal to cors_wsgi._build's)."""
SOURCES = sorted(path.name for path in (ROOT / NAME).glob("*.py"))
BIN = "Scripts" if os.name == "nt" else "bin"


def _has_compiler() -> bool:
    compiler = sysconfig.get_config_var("CC") or ("cl" if os.name == "nt" else "cc")
    words = shlex.split(compiler)
    return bool(words) and shutil.which(words[0]) is not None


EXPECT_COMPILED = platform.python_implementation() == "CPython" and _has_compiler()
"""Where a wheel must be compiled: on CPython with a C compiler (setup.py falls back elsewhere)."""


def _environment(**extra: str) -> dict[str, str]:
    """The environment without the caller's CORS_* and Python path settings."""
    keep = {key: value for key, value in os.environ.items() if not key.startswith("CORS_") and key != "PYTHONPATH"}
    return {**keep, **extra}


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env or _environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{command}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@dataclass(frozen=True)
class Artifacts:
    sdist: Path
    wheel: Path
    pure: Path


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    base = tmp_path_factory.mktemp("release")
    dist = base / "dist"
    flag = {"CORS_WSGI_COMPILE": "1"} if EXPECT_COMPILED else {}
    _run(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=base, env=_environment(**flag))
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    # The pure-Python wheel, from the sdist as a release would build it.
    source = base / "unpacked"
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):  # 3.12, and the security releases of 3.9-3.11
            archive.extractall(source, filter="data")
        else:  # the sdist was built just now, from this checkout
            archive.extractall(source)
    (tree,) = source.iterdir()
    pure_dist = base / "pure"
    _run(
        sys.executable,
        "-m",
        "build",
        "--wheel",
        "--outdir",
        pure_dist,
        tree,
        cwd=base,
        env=_environment(CORS_WSGI_COMPILE="0"),
    )
    (pure,) = pure_dist.glob("*.whl")
    return Artifacts(sdist, wheel, pure)


# --- what is in them ---------------------------------------------------------------------------------------


def _wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (path,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(archive.read(path).decode("utf-8"))


def _common_wheel_checks(names: list[str]) -> list[str]:
    """What every wheel must (not) hold; returns the names outside the dist-info directory."""
    dist_info = [name for name in names if re.match(rf"{NAME}-[^/]+\.dist-info/", name)]
    files = [name for name in names if name not in dist_info]
    assert not [name for name in files if re.match(r"(tests|examples|benchmarks|docs|build)/", name)], files
    leftovers = re.compile(r"\.(c|h|o|obj|lib|exp|pyc|pyx|pyi)$|__pycache__|\.egg-info|(^|/)build/")
    assert not [name for name in files if leftovers.search(name)], files
    assert f"{NAME}/py.typed" in files
    for source in SOURCES:
        assert f"{NAME}/{source}" in files, source
    assert {name.split("/", 1)[0] for name in dist_info} == {dist_info[0].split("/", 1)[0]}
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in dist_info), dist_info
    return files


def test_the_wheel_holds_the_sources_and_the_compiled_modules(artifacts: Artifacts) -> None:
    files = _common_wheel_checks(_wheel_names(artifacts.wheel))
    extensions = [name for name in files if name.endswith((".so", ".pyd"))]
    if not EXPECT_COMPILED:
        assert extensions == [], extensions
        return
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    expected = {f"{NAME}/{module}{suffix}" for module in COMPILED} | {f"{NAME}__mypyc{suffix}"}
    assert set(extensions) == expected
    assert set(files) == {f"{NAME}/{source}" for source in SOURCES} | {f"{NAME}/py.typed"} | expected
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert re.fullmatch(rf"{NAME}-[^-]+-{tag}-{tag}-[\w.]+\.whl", artifacts.wheel.name), artifacts.wheel.name


def test_the_pure_wheel_is_py3_none_any(artifacts: Artifacts) -> None:
    assert artifacts.pure.name.endswith("-py3-none-any.whl"), artifacts.pure.name
    files = _common_wheel_checks(_wheel_names(artifacts.pure))
    assert set(files) == {f"{NAME}/{source}" for source in SOURCES} | {f"{NAME}/py.typed"}


def test_the_metadata(artifacts: Artifacts) -> None:
    for wheel in (artifacts.wheel, artifacts.pure):
        metadata = _metadata(wheel)
        assert metadata["Name"] == NAME
        assert metadata["License-Expression"] == "MIT"
        assert metadata.get_all("License-File") == ["LICENSE"]
        assert metadata["Requires-Python"] == ">=3.9"
        assert "cors_wsgi authors" in (metadata["Author"] or "")
        classifiers = metadata.get_all("Classifier") or []
        assert "Typing :: Typed" in classifiers and "Programming Language :: Python :: 3.13" in classifiers
        # No dependency outside the extras.
        requires = metadata.get_all("Requires-Dist") or []
        assert requires and all("extra ==" in requirement for requirement in requires), requires
        extras = set(metadata.get_all("Provides-Extra") or [])
        assert {"flask", "docs", "test"} <= extras, extras
        assert metadata["Description-Content-Type"] == "text/markdown"
        assert not metadata.get_all("Project-URL"), "no public repository exists yet"


def test_the_sdist_builds_everything_the_wheel_needs(artifacts: Artifacts) -> None:
    with tarfile.open(artifacts.sdist) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    for needed in (
        "pyproject.toml",
        "setup.py",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        f"{NAME}/py.typed",
        "PKG-INFO",
    ):
        assert needed in names, needed
    assert not [name for name in names if name.startswith("tests/")], "half a test suite cannot run: MANIFEST.in"
    for source in SOURCES:
        assert f"{NAME}/{source}" in names, source
    assert not [name for name in names if re.search(r"\.(so|pyd|o|pyc)$|__pycache__|^build/|^dist/", name)], names


def test_twine_check(artifacts: Artifacts) -> None:
    output = _run(
        sys.executable,
        "-m",
        "twine",
        "check",
        "--strict",
        artifacts.sdist,
        artifacts.wheel,
        artifacts.pure,
        cwd=artifacts.sdist.parent,
    )
    assert output.count("PASSED") == 3, output


# --- installed, and used ------------------------------------------------------------------------------------

SMOKE = r"""
import json, subprocess, sys
from wsgiref.util import setup_testing_defaults

import cors_wsgi
from cors_wsgi import CORSMiddleware
from cors_wsgi.middleware import ACCELERATED

ORIGIN = "https://app.example.com"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


wrapped = CORSMiddleware(app, origins=[ORIGIN], supports_credentials=True, max_age=600)


def call(method, **headers):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": "/api/items"}
    environ.update(("HTTP_" + name.upper(), value) for name, value in headers.items())
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, [list(pair) for pair in response_headers]
        return lambda data: None

    body = b"".join(wrapped(environ, start_response)).decode()
    return {"status": seen["status"], "headers": seen["headers"], "body": body}


check = subprocess.run(
    [sys.executable, "-m", "cors_wsgi", "check", sys.argv[1]], capture_output=True, text=True, timeout=60
)
print(json.dumps({
    "file": cors_wsgi.__file__,
    "accelerated": ACCELERATED,
    "preflight": call(
        "OPTIONS", origin=ORIGIN, access_control_request_method="PUT",
        access_control_request_headers="content-type",
    ),
    "actual": call("GET", origin=ORIGIN),
    "other": call("GET", origin="https://evil.example"),
    "check": [check.returncode, check.stdout, check.stderr],
}))
"""


@pytest.fixture(params=["wheel", "sdist", "pure"])
def installed(request: pytest.FixtureRequest, artifacts: Artifacts, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A fresh virtual environment with the artifact installed and nothing else: its interpreter."""
    kind: str = request.param
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / BIN / ("python.exe" if os.name == "nt" else "python")
    # pip shows a PEP 639 licence (License-Expression) from 25.1 on; the venv's bundled pip may be older.
    _run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", cwd=tmp_path)
    artifact = getattr(artifacts, kind)
    flag = {"CORS_WSGI_COMPILE": "1"} if kind == "sdist" and EXPECT_COMPILED else {}
    _run(python, "-m", "pip", "install", "--quiet", artifact, cwd=tmp_path, env=_environment(**flag))
    listed = json.loads(_run(python, "-m", "pip", "list", "--format", "json", cwd=tmp_path))
    assert {package["name"].lower().replace("_", "-") for package in listed} <= {
        "pip",
        "setuptools",  # what `python -m venv` itself installs before 3.12
        "cors-wsgi",
    }, listed
    shown = _run(python, "-m", "pip", "show", NAME, cwd=tmp_path)
    assert re.search(r"^License-Expression: MIT$", shown, re.MULTILINE), shown
    yield kind, python


def test_installed_artifact_works(installed: tuple[str, Path], tmp_path: Path) -> None:
    kind, python = installed
    config = tmp_path / "cors.json"
    config.write_text('{"origins": ["https://app.example.com"], "max_age": 600}', encoding="utf-8")
    script = tmp_path / "smoke.py"
    script.write_text(SMOKE, encoding="utf-8")
    report = json.loads(_run(python, script, config, cwd=tmp_path))

    assert Path(report["file"]).resolve().is_relative_to(python.parent.parent.resolve()), report["file"]
    assert report["accelerated"] is (EXPECT_COMPILED and kind != "pure"), (kind, report["accelerated"])

    preflight = report["preflight"]
    headers = {name.lower(): value for name, value in preflight["headers"]}
    assert preflight["status"].startswith(("200", "204")), preflight
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-allow-credentials"] == "true"
    assert "PUT" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()
    assert headers["access-control-max-age"] == "600"

    actual = report["actual"]
    headers = {name.lower(): value for name, value in actual["headers"]}
    assert (actual["status"], actual["body"]) == ("200 OK", "hello")
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert "origin" in headers["vary"].lower()

    other = report["other"]
    assert (other["status"], other["body"]) == ("200 OK", "hello")
    assert not [name for name, _ in other["headers"] if name.lower().startswith("access-control-")], other

    status, out, err = report["check"]
    assert (status, err) == (0, ""), out
    assert out.splitlines() == [f"{config}: OK, 1 rule", "  rule '/*': origins https://app.example.com; max_age 600"]
