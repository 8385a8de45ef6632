"""The documentation site (mkdocs.yml, docs/) and the README say only what is true, and keep saying it.

- The site builds with ``mkdocs build --strict``: a broken link or anchor, a missing include, a page left
  out of the nav or an API reference that no longer resolves fails the suite. Without MkDocs the build is
  skipped with the reason, except under CI, where it fails.
- The options table on the Configuration page is ``cors_wsgi.options.markdown_table()`` verbatim, so a new
  option fails this test until it is documented.
- Code on the site is included from files (pymdownx.snippets), never pasted: every include names an
  existing file (and, for a line range, lines that still hold what they held: a Python range compiles, an
  ``.ini`` range starts at a section, a README range is inside its command block), and every Python or
  configuration code block is an include, apart from the migration guide's marked before/after blocks.
- The example scripts in docs/snippets/ print exactly what the pages show (their ``.out`` files), and
  nothing on stderr; the ``check`` transcripts are what ``check`` prints; the reload example works under
  gunicorn.
- The README stays a front page (at most 210 lines) whose links resolve; the options and commands the
  pages document exist; obsolete names (the C accelerator) and negative nanosecond figures stay out of
  the prose.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from cors_wsgi.options import OPTION_NAMES, markdown_table

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"
README = ROOT / "README.md"
README_MAX_LINES = 210

PAGES = sorted(DOCS.rglob("*.md"))
GENERATED = {DOCS / "performance-tables.md"}
"""Written by ``python -m benchmarks --markdown docs/performance-tables.md``, not by hand."""
PROSE = [page for page in PAGES if page not in GENERATED]

INCLUDE = re.compile(r'^[ \t]*--8<--[ \t]+"(?P<target>[^"]+)"[ \t]*$', re.M)
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[^\s`]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.S | re.M)
FILE_LANGUAGES = {"python", "py", "ini", "cfg", "toml", "json", "yaml", "yml"}
MARKED_INLINE = re.compile(r"<!--\s*(?:after:\s*flask-[a-z-]+\s*|not-run:[^>]*)-->\s*\n\s*$")
"""The comment that lets a code block stand inline: a migration "after" (to be switched to an include by
the cors_wsgi.flask examples) or code that is not meant to run (the "before" of a migration)."""
FLASK_IDIOMS = (
    "flask-cors-app",
    "flask-credentials",
    "flask-resources",
    "flask-cross-origin",
    "flask-after-request",
    "flask-crossdomain",
)


def ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a missing parent package
        return False


def includes(page: Path) -> list[tuple[str, int]]:
    """Each ``--8<-- "target"`` of a page, with its line number."""
    text = page.read_text()
    return [(match["target"], text.count("\n", 0, match.start()) + 1) for match in INCLUDE.finditer(text)]


def split_target(target: str) -> tuple[str, str]:
    """``path:10:20`` -> (``path``, ``10:20``); ``path:section`` -> (``path``, ``section``)."""
    match = re.fullmatch(r"(?P<path>.+?)(?::(?P<spec>[a-z][-_0-9a-z]*|\d*:?\d*))?", target)
    assert match is not None
    return match["path"], match["spec"] or ""


# --- the build -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    needed = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
    missing = [name for name in needed if not installed(name)]
    if missing:
        reason = f"{', '.join(missing)} not installed (pip install -e '.[docs]')"
        if ci():
            pytest.fail(f"{reason}, and CI is set: CI must build the documentation")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out


def test_site_builds_strict(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "migration" / "index.html").is_file()


def test_api_reference_documents_the_public_names(site: Path) -> None:
    html = (site / "reference" / "index.html").read_text()
    documented = (
        "cors_wsgi.CORSMiddleware",
        "cors_wsgi.CORSMiddleware.reconfigure",
        "cors_wsgi.CORSMiddleware.from_mapping",
        "cors_wsgi.CORSMiddleware.from_env",
        "cors_wsgi.CORSMiddleware.explain",
        "cors_wsgi.CORSMiddleware.decide",
        "cors_wsgi.ConfigError",
        "cors_wsgi.CORSConfigWarning",
        "cors_wsgi.Explanation",
        "cors_wsgi.options.CORSOptions",
        "cors_wsgi.flask.CORS",
        "cors_wsgi.flask.cross_origin",
    )
    for name in documented:
        assert f'id="{name}"' in html, f"docs/reference.md does not document {name}"
    assert ":class:" not in html and ":meth:" not in html, "docs/hooks.py should have rewritten the roles"


def test_options_table_renders_its_wildcards_as_written(site: Path) -> None:
    html = (site / "configuration" / "index.html").read_text()
    assert "https://*.example.com, http://localhost:*," in html
    assert "<em>" not in html.split('id="rules-for-every-option"')[0]


# --- what the pages hold -------------------------------------------------------------------------------


def test_options_table_is_the_registry() -> None:
    page = DOCS / "configuration" / "index.md"
    table = markdown_table()
    assert table in page.read_text(), (
        f"{page.relative_to(ROOT)} must hold cors_wsgi.options.markdown_table() verbatim (between the "
        f"options-table markers); paste this:\n\n{table}"
    )
    for name in OPTION_NAMES:
        assert f"| `{name}` |" in table


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_every_include_names_an_existing_file(page: Path) -> None:
    for target, line in includes(page):
        where = f"{page.relative_to(ROOT)}:{line}: --8<-- {target!r}"
        path, spec = split_target(target)
        source = ROOT / path
        assert source.is_file(), f"{where}: no such file (paths are relative to the repository root)"
        lines = source.read_text().splitlines()
        if not spec:
            continue
        if spec[0].isalpha():
            text = source.read_text()
            assert f"[start:{spec}]" in text and f"[end:{spec}]" in text, f"{where}: no section {spec!r}"
            continue
        start, _, end = spec.partition(":")
        first, last = int(start or 1), int(end or len(lines))
        assert 1 <= first <= last <= len(lines), f"{where}: the file has {len(lines)} lines"
        excerpt = lines[first - 1 : last]
        assert excerpt[0].strip() and excerpt[-1].strip(), f"{where}: starts or ends on a blank line: moved?"
        if source.suffix == ".py":
            try:
                compile(textwrap.dedent("\n".join(excerpt)), where, "exec")
            except SyntaxError as error:
                pytest.fail(f"{where}: these lines are not whole statements any more (moved?): {error}")
        elif source.suffix == ".ini":
            assert excerpt[0].startswith("["), f"{where}: should start at a [section] (moved?)"
        elif source.suffix == ".md":
            fences = [number for number, text in enumerate(lines, 1) if text.startswith("```")]
            assert any(opening < first and last < closing for opening, closing in zip(fences[::2], fences[1::2])), (
                f"{where}: should be the inside of a code block (moved?)"
            )


@pytest.mark.parametrize("page", PROSE, ids=lambda page: str(page.relative_to(DOCS)))
def test_code_is_included_not_pasted(page: Path) -> None:
    text = page.read_text()
    for block in FENCE.finditer(text):
        if block["lang"].lower() not in FILE_LANGUAGES:
            continue
        body = [line for line in block["body"].splitlines() if line.strip()]
        if body and all(INCLUDE.fullmatch(line) for line in body):
            continue
        line = text.count("\n", 0, block.start()) + 1
        assert MARKED_INLINE.search(text[: block.start()]), (
            f"{page.relative_to(ROOT)}:{line}: a ```{block['lang']} block must include a tested file "
            '(--8<-- "path"), not paste code'
        )


def test_migration_includes_each_flask_after_block_from_the_tested_idioms() -> None:
    """Each "after" is a section of examples/flask_migration/idioms.py, which tests/test_migration_examples.py
    runs; the migrated application is the one the browser suite compares with flask-cors."""
    text = (DOCS / "migration.md").read_text()
    for idiom in FLASK_IDIOMS:
        block = re.search(rf"<!-- after: {idiom}, [^>]*-->\n```python\n--8<-- \"([^\"]+)\"\n```", text)
        assert block is not None and block.group(1).startswith("examples/flask_migration/idioms.py:"), idiom
    assert "from cors_wsgi.flask import CORS, cross_origin" in text
    assert '--8<-- "examples/flask_migration/app.py:' in text


def test_prose_names_nothing_obsolete_and_no_negative_timing() -> None:
    for page in [*PROSE, README]:
        text = page.read_text()
        for obsolete in ("_speedups", "CORS_WSGI_PURE_PYTHON", "C accelerator"):
            assert obsolete not in text, f"{page.relative_to(ROOT)} mentions {obsolete!r}, which no longer exists"
        negative = re.search(r"(?<![\w.])[-\N{MINUS SIGN}]\s?\d[\d,.]*\s?(?:ns|µs|us)\b", text)
        assert negative is None, f"{page.relative_to(ROOT)}: a negative time in prose: {negative.group()!r}"


def test_performance_tables_are_a_separate_generated_file() -> None:
    page = (DOCS / "performance.md").read_text()
    assert "Regenerated by `python -m benchmarks --markdown docs/performance-tables.md`" in page
    assert '--8<-- "docs/performance-tables.md"' in page
    assert "| target (product contract) |" not in page, "the tables belong in docs/performance-tables.md"


def test_documented_command_options_exist() -> None:
    for page, command in (("troubleshooting/probe.md", ["-m", "cors_wsgi", "probe"]),
                          ("troubleshooting/check.md", ["-m", "cors_wsgi", "check"]),
                          ("index.md", ["-m", "cors_wsgi.demo"])):  # fmt: skip
        result = subprocess.run([sys.executable, *command, "--help"], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        documented = set(re.findall(r"`(--[a-z][-a-z]*)", (DOCS / page).read_text()))
        assert documented, page
        for option in documented:
            assert option in result.stdout, f"docs/{page} documents {option}, which {' '.join(command)} lacks"


def test_docs_python_is_ruff_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "docs"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the README ------------------------------------------------------------------------------------------


def test_readme_is_a_front_page() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= README_MAX_LINES, f"README.md: at most {README_MAX_LINES} lines"
    first_screen = "\n".join(text.splitlines()[:40])
    assert "+from cors_wsgi.flask import CORS, cross_origin" in first_screen
    assert "docs/migration.md" in first_screen
    assert '```sh\npip install -e ".[test]"\npython -m pytest\n```' in text
    assert "noxfile.py" in text  # the CI matrix is named where the test command is
    assert "python -m cors_wsgi.demo" in text and "mkdocs serve" in text and "mkdocs build" in text


def test_readme_links_resolve() -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", README.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        assert (ROOT / path).exists(), f"README.md links to {target}, which does not exist"


# --- the examples print what the pages show ---------------------------------------------------------------

SCRIPTS = sorted(SNIPPETS.glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.name)
def test_snippet_prints_what_the_docs_show(script: Path) -> None:
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stderr, result.stderr
    expected = script.with_suffix(".out")
    assert result.stdout == expected.read_text(), (
        f"{script.relative_to(ROOT)} no longer prints {expected.relative_to(ROOT)}, which the docs show; "
        f"if the new output is right, write it there:\n{result.stdout}"
    )


def test_every_snippet_output_belongs_to_a_script() -> None:
    for out in SNIPPETS.glob("*.out"):
        assert out.with_suffix(".py").is_file(), f"{out.relative_to(ROOT)} has no script"


CHECK = SNIPPETS / "check"
CHECK_TRANSCRIPTS = [
    # (arguments, environment, expected output file, exit status), as docs/troubleshooting/check.md shows them
    (["cors.toml"], {}, "cors.toml.out", 1),
    (["cors.json"], {}, "cors.json.out", 0),
    (["--strict", "cors.json"], {}, "cors.json.strict.out", 1),
    (
        ["--env"],
        {
            "CORS_ORIGINS": "https://app.example.com,https://admin.example.com/",
            "CORS_SUPPORTS_CREDENTIALS": "yes",
            "CORS_MAX_AGE": "10m",
            "CORS_ALLOWED_ORIGINS": "https://staging.example.com",
        },
        "env-invalid.out",
        1,
    ),
    (["--env"], {"CORS_RESOURCES": "/api/*", "CORS_ORIGINS": "https://app.example.com", "CORS_MAX_AGE": "600"},
     "env-valid.out", 0),
]  # fmt: skip


@pytest.mark.parametrize(("arguments", "environment", "output", "status"), CHECK_TRANSCRIPTS, ids=lambda v: str(v))
def test_check_transcripts(arguments: list[str], environment: dict[str, str], output: str, status: int) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CORS_")} | environment
    result = subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "check", *arguments], cwd=CHECK, env=env, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout) == (status, (CHECK / output).read_text()), result.stderr
    page = (DOCS / "troubleshooting" / "check.md").read_text()
    assert f"python -m cors_wsgi check {' '.join(arguments)}" in page
    assert all(f"{key}=" in page for key in environment)


# --- the reload example under gunicorn ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def allowed(port: int, origin: str) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/items", headers={"Origin": origin})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers.get("Access-Control-Allow-Origin") == origin


def eventually(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    return False


@pytest.mark.server
def test_reload_example_picks_up_new_origins_in_every_worker(tmp_path: Path) -> None:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which("gunicorn")
    if gunicorn is None:
        pytest.skip("gunicorn is not installed (pip install -e '.[test]')")
    origins = tmp_path / "allowed-origins.txt"
    origins.write_text("# one origin per line\nhttps://app.example.com\n")
    port = free_port()
    env = {**os.environ, "ORIGINS_FILE": str(origins), "CORS_RELOAD_SECONDS": "0.2", "PORT": str(port)}
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [gunicorn, "-c", "gunicorn.conf.py"], cwd=SNIPPETS / "reload", env=env, stdout=log, stderr=log
    )
    try:
        assert eventually(lambda: allowed(port, "https://app.example.com")), (tmp_path / "gunicorn.log").read_text()
        assert not allowed(port, "https://admin.example.com")
        origins.write_text("https://app.example.com\nhttps://admin.example.com\n")
        # Two workers: several requests in a row must all see the new origin.
        assert eventually(lambda: all(allowed(port, "https://admin.example.com") for _ in range(8)))
        origins.write_text("https://Admin.example.com/\n")  # refused: the previous configuration stays
        time.sleep(1)
        assert all(allowed(port, "https://admin.example.com") for _ in range(8))
        assert "CORS configuration not reloaded" in (tmp_path / "gunicorn.log").read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_check_flask_app_transcript() -> None:
    """The --flask-app table docs/troubleshooting/check.md shows, for the migrated example."""
    example = ROOT / "examples" / "flask_migration"
    result = subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "check", "--flask-app", "app:create_app()"],
        cwd=example,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (0, (CHECK / "flask-app.out").read_text()), result.stderr
