"""The README's per-stack snippets are verbatim copies of the examples that tests/test_examples.py runs.

A snippet in README.md is a fenced code block preceded by a comment naming the file it was copied from::

    <!-- snippet: examples/flask_app/app.py -->
    ```python
    ...
    ```

Its lines must appear, contiguously and unchanged, in that file; only a common indentation may be
removed, so that three lines from inside a function read as they would at the top level. So a README
snippet can only change together with the example, and the example is served by a real server and
checked over HTTP: what a reader copies from the README is what was tested.

Every code block in a programming or configuration language (``python``, ``ini``, ``toml``, ``json``,
``yaml``) must be such a snippet: code that is not in a tested file has no place in the README. Shell
commands, terminal output and diffs (``sh``, ``text``, ``diff``) may stand alone. (GitHub renders no
includes, so the README keeps copies; the documentation site in docs/ includes the files themselves,
which tests/test_docs.py checks.)
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MARKER = re.compile(r"<!--\s*snippet:")
SNIPPET = re.compile(
    r"<!--\s*snippet:\s*(?P<source>[^\s>]+)\s*-->[ \t]*\n(?:[ \t]*\n)*```[^\n]*\n(?P<code>.*?)^```[ \t]*$",
    re.S | re.M,
)
FENCE = re.compile(r"^```(?P<lang>[^\s`]*)[^\n]*\n.*?^```[ \t]*$", re.S | re.M)
FILE_LANGUAGES = {"python", "py", "ini", "cfg", "toml", "json", "yaml", "yml"}
"""Code blocks in these languages must be snippets of a tested file."""
STACKS = {
    "Flask": "examples/flask_app/",
    "Django": "examples/django_project/",
    "Bottle": "examples/bottle_app/",
    "Pyramid": "examples/pyramid_app/",
    "Falcon": "examples/falcon_app/",
    "gunicorn": "examples/gunicorn_env/",
}


@dataclass(frozen=True)
class Snippet:
    source: str
    lines: tuple[str, ...]
    line: int
    """Where the snippet's comment is in the README (1-based), for messages."""


def find_snippets(text: str) -> tuple[list[Snippet], list[str]]:
    """Every snippet of a README, and a problem for each marker not followed by a fenced block."""
    snippets = [
        Snippet(match["source"], tuple(match["code"].splitlines()), text.count("\n", 0, match.start()) + 1)
        for match in SNIPPET.finditer(text)
    ]
    found = {snippet.line for snippet in snippets}
    problems = [
        f"line {line}: a snippet comment must be '<!-- snippet: path -->' directly followed by a fenced code block"
        for line in (text.count("\n", 0, marker.start()) + 1 for marker in MARKER.finditer(text))
        if line not in found
    ]
    covered = {match.end() for match in SNIPPET.finditer(text)}
    for block in FENCE.finditer(text):
        if block["lang"].lower() in FILE_LANGUAGES and block.end() not in covered:
            line = text.count("\n", 0, block.start()) + 1
            problems.append(
                f"line {line}: a ```{block['lang']} block must be a copy of a tested file, preceded by "
                "'<!-- snippet: path -->'"
            )
    return snippets, problems


def drift(snippet: Snippet, root: Path = ROOT) -> str | None:
    """Why ``snippet`` is not a contiguous copy of its source file, or None when it is."""
    where = f"line {snippet.line}: snippet from {snippet.source}"
    source = (root / snippet.source).resolve()
    if not source.is_relative_to(root.resolve()) or not source.is_file():
        return f"{where}: no such file in the repository"
    if not any(line.strip() for line in snippet.lines):
        return f"{where}: the code block is empty"
    file_lines = [line.rstrip() for line in source.read_text().splitlines()]
    wanted = _dedented([line.rstrip() for line in snippet.lines])
    for start in range(len(file_lines) - len(wanted) + 1):
        if _dedented(file_lines[start : start + len(wanted)]) == wanted:
            return None
    return f"{where}: these lines are not in that file, contiguous and unchanged:\n" + "\n".join(wanted)


def _dedented(lines: list[str]) -> list[str]:
    """``lines`` without the indentation they all share (blank lines aside)."""
    return textwrap.dedent("\n".join(lines)).split("\n")


def check_readme(path: Path, root: Path = ROOT) -> list[str]:
    """Every problem with the snippets of ``path`` (README.md, or a draft of one of its sections)."""
    snippets, problems = find_snippets(path.read_text())
    problems += [message for snippet in snippets if (message := drift(snippet, root)) is not None]
    for stack, directory in STACKS.items():
        if not any(snippet.source.startswith(directory) for snippet in snippets):
            problems.append(f"no snippet from {directory} ({stack}): every stack needs a tested example")
    return problems


def test_readme_snippets_are_copies_of_the_tested_examples() -> None:
    problems = check_readme(ROOT / "README.md")
    assert not problems, "\n\n".join(problems)


# --- the checker itself, on small made-up READMEs --------------------------------------------------------


def fake_repository(tmp_path: Path, readme: str) -> Path:
    for directory in STACKS.values():
        (tmp_path / directory).mkdir(parents=True)
        (tmp_path / directory / "app.py").write_text("import os\n\napp = make_app(\n    debug=False,\n)\n")
    (tmp_path / "README.md").write_text(readme)
    return tmp_path / "README.md"


def all_stacks(code: str) -> str:
    return "".join(f"<!-- snippet: {directory}app.py -->\n```python\n{code}```\n\n" for directory in STACKS.values())


def test_checker_accepts_contiguous_copies(tmp_path: Path) -> None:
    readme = fake_repository(tmp_path, all_stacks("app = make_app(\n    debug=False,\n)\n"))
    assert check_readme(readme, tmp_path) == []


def test_checker_catches_a_changed_line(tmp_path: Path) -> None:
    readme = fake_repository(tmp_path, all_stacks("app = make_app(\n    debug=True,\n)\n"))
    problems = check_readme(readme, tmp_path)
    assert len(problems) == len(STACKS)
    assert "debug=True" in problems[0]


def test_checker_accepts_a_copy_without_its_common_indentation(tmp_path: Path) -> None:
    readme = fake_repository(tmp_path, all_stacks("app = make_app(\ndebug=False,\n") + all_stacks("debug=False,\n"))
    problems = check_readme(readme, tmp_path)
    assert len(problems) == len(STACKS)  # the first set lost only the indentation of one line: not a copy
    assert all("debug=False," in problem for problem in problems)


def test_checker_requires_a_snippet_for_code_but_not_for_commands(tmp_path: Path) -> None:
    text = all_stacks("import os\n") + "```python\nprint('pasted')\n```\n\n```sh\npip install cors_wsgi\n```\n"
    text += "```diff\n-from flask_cors import CORS\n+from cors_wsgi.flask import CORS\n```\n"
    problems = check_readme(fake_repository(tmp_path, text), tmp_path)
    assert len(problems) == 1 and "a ```python block must be a copy of a tested file" in problems[0]


def test_checker_catches_lines_that_are_not_contiguous(tmp_path: Path) -> None:
    readme = fake_repository(tmp_path, all_stacks("import os\napp = make_app(\n"))  # a blank line was dropped
    assert len(check_readme(readme, tmp_path)) == len(STACKS)


def test_checker_catches_a_missing_stack_a_missing_file_and_a_marker_without_code(tmp_path: Path) -> None:
    text = all_stacks("import os\n").replace("examples/falcon_app/app.py", "examples/falcon_app/gone.py")
    text = text.replace(
        "<!-- snippet: examples/bottle_app/app.py -->\n", "<!-- snippet: examples/bottle_app/app.py -->\ntext\n"
    )
    problems = check_readme(fake_repository(tmp_path, text), tmp_path)
    assert any("snippet from examples/falcon_app/gone.py: no such file" in problem for problem in problems)
    assert any("a snippet comment must be" in problem for problem in problems)
    assert any("no snippet from examples/bottle_app/ (Bottle)" in problem for problem in problems)
