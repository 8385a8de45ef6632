"""Property tests for the request-header parsers and the path matcher, each against a naive reference."""

from __future__ import annotations

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from cors_wsgi.headers import MAX_ACRH_LENGTH, add_cors_headers, merge_vary, parse_request_headers
from cors_wsgi.paths import compile_path

TCHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
token = st.text(alphabet=TCHARS, min_size=1, max_size=20)


def reference_acrh(value: str) -> list[str] | None:
    """The ACRH grammar, naively: comma-separated tokens with optional spaces/tabs, empties ignored."""
    if len(value) > MAX_ACRH_LENGTH:
        return None
    names = []
    for element in value.split(","):
        element = element.strip(" \t")
        if element == "":
            continue
        if not all(char in TCHARS for char in element):
            return None
        names.append(element.lower())
    return names or None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=TCHARS + ', \t\r\n\x00é:;"', max_size=60))
def test_acrh_parser_matches_reference(value: str) -> None:
    assert parse_request_headers(value) == reference_acrh(value)


@settings(max_examples=200, deadline=None)
@given(st.lists(token, min_size=1, max_size=10), st.sampled_from([",", ", ", " ,", "\t,\t", ",,"]))
def test_acrh_parser_accepts_any_separator_spacing(names: list[str], separator: str) -> None:
    assert parse_request_headers(separator.join(names)) == [name.lower() for name in names]


def test_acrh_parser_refuses_oversized_value_without_scanning() -> None:
    assert parse_request_headers("a," * (MAX_ACRH_LENGTH // 2 + 1)) is None
    assert parse_request_headers("a" * MAX_ACRH_LENGTH) == ["a" * MAX_ACRH_LENGTH]


vary_token = st.sampled_from(["Origin", "origin", "Accept", "Accept-Encoding", "Cookie", "*", "X-A"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(vary_token, min_size=0, max_size=3).map(", ".join), max_size=3))
def test_vary_merge_properties(app_vary_lines: list[str]) -> None:
    headers = [("Content-Type", "text/plain")] + [("Vary", line) for line in app_vary_lines]
    result = add_cors_headers(headers, (), "Origin")
    vary_lines = [value for name, value in result if name.lower() == "vary"]
    original = [item.strip() for line in app_vary_lines for item in line.split(",") if item.strip()]
    assert result is not headers
    if "*" in original:
        assert vary_lines == app_vary_lines  # left alone
        return
    assert len(vary_lines) == 1  # folded into one line
    items = [item.strip() for item in vary_lines[0].split(",")]
    app_origins = [item.lower() for item in original].count("origin")
    assert [item.lower() for item in items].count("origin") == max(1, app_origins)  # never added twice
    assert items[: len(original)] == original  # the app's own order and spelling kept
    assert ("Content-Type", "text/plain") in result


def test_merge_vary_returns_none_when_nothing_changes() -> None:
    assert merge_vary([("Vary", "Origin")], ["Origin"]) is None
    assert merge_vary([("Vary", "*")], ["Origin"]) is None


# --- paths --------------------------------------------------------------------------------------------

segment = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%+", min_size=0, max_size=6)
paths = st.lists(segment, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts))


def reference_covers(pattern: str, path: str) -> bool:
    """The contract's path rule written out naively for literal prefixes."""
    if pattern.endswith("/*"):
        prefix = pattern[:-2]
        return path == prefix or path.startswith(prefix + "/")
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


literal_prefix = st.lists(st.text(alphabet=string.ascii_lowercase + "-_", min_size=1, max_size=5), max_size=3).map(
    lambda parts: "/" + "/".join(parts) if parts else ""
)


@settings(max_examples=400, deadline=None)
@given(literal_prefix, st.sampled_from(["/*", "*", ""]), paths)
def test_path_patterns_match_reference(prefix: str, suffix: str, path: str) -> None:
    pattern = prefix + suffix
    if pattern == "":
        return
    compiled, error = compile_path(pattern)
    assert error is None and compiled is not None
    assert compiled.matches(path) == reference_covers(pattern, path)


@settings(max_examples=300, deadline=None)
@given(paths)
def test_regex_path_patterns_are_full_matches(path: str) -> None:
    compiled, _ = compile_path(r"/api/v\d+/items")
    assert compiled is not None
    assert compiled.matches(path) == (re.fullmatch(r"/api/v\d+/items", path) is not None)
