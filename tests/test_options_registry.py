"""One declaration per option: the registry (cors_wsgi/options.py) and everything derived from it agree.

Adding an option means an ``Option`` in the registry, a line in ``CORSOptions``, and its effect in the
policy; these tests fail until the static type, the runtime signature, the sources' string parsing and the
documentation all know it.
"""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path

import pytest

from cors_wsgi import ConfigError, CORSMiddleware
from cors_wsgi.options import ALIASES, BY_NAME, DEFAULTS, OPTIONS, CORSOptions, annotation_text, markdown_table
from cors_wsgi.sources import read_options

ROOT = Path(__file__).resolve().parent.parent


def app(environ: object, start_response: object) -> list[bytes]:
    return []


def test_the_static_type_lists_every_option() -> None:
    assert list(CORSOptions.__annotations__) == [option.name for option in OPTIONS]
    assert CORSOptions.__total__ is False  # every option is optional


def test_the_signature_shows_every_option_with_its_default() -> None:
    parameters = inspect.signature(CORSMiddleware).parameters
    assert next(iter(parameters)) == "app"
    options = {name: parameter for name, parameter in parameters.items() if name != "app"}
    assert list(options) == [option.name for option in OPTIONS]
    for option in OPTIONS:
        parameter = options[option.name]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default == option.default
        assert parameter.annotation == annotation_text(option.name)
    assert "origins: 'OriginItem | Iterable[OriginItem]' = '*'" in str(inspect.signature(CORSMiddleware))


def test_an_instance_is_a_wsgi_application_not_a_constructor() -> None:
    middleware = CORSMiddleware(app)
    with pytest.raises(AttributeError):
        middleware.__signature__  # noqa: B018 (the class answers, an instance does not)


@pytest.mark.parametrize(
    ("module", "functions"),
    [
        ("middleware", ["__init__", "reconfigure", "from_mapping", "from_env"]),
        ("flask", ["__init__", "init_app", "cross_origin"]),
    ],
)
def test_every_entry_point_takes_the_typed_options(module: str, functions: list[str]) -> None:
    """Read from the source (a compiled function has no introspectable signature; mypy and IDEs read this)."""
    source = (ROOT / "cors_wsgi" / f"{module}.py").read_text(encoding="utf-8")
    for function in functions:
        signature = re.search(rf"def {function}\((.*?)\) ->", source, re.S)
        assert signature is not None, function
        assert "**options: Unpack[CORSOptions]" in signature.group(1), function


def test_every_option_is_checked_by_its_own_normaliser() -> None:
    """A wrong type for each option is a ConfigError naming that option (never a crash)."""
    for option in OPTIONS:
        with pytest.raises(ConfigError) as refused:
            CORSMiddleware(app, **{option.name: object()})
        assert refused.value.problems[0].option.startswith(option.name)


@pytest.mark.parametrize("option", [option.name for option in OPTIONS])
def test_every_option_reads_its_default_from_a_cors_key(option: str) -> None:
    """Each option has a CORS_* key, whose string its own parser reads (here: the default, as text)."""
    default = DEFAULTS[option]
    if isinstance(default, tuple):
        text = ",".join(default)
    elif isinstance(default, bool):
        text = str(default).lower()
    else:
        text = "" if default is None else str(default)
    found, problems = read_options({f"CORS_{option.upper()}": text})
    assert problems == [] and option in found
    assert CORSMiddleware(app, **{option: found[option]}).policy.lookup("/x") is not None


def test_aliases_point_at_real_options() -> None:
    assert set(ALIASES.values()) <= set(BY_NAME)
    assert not set(ALIASES) & set(BY_NAME)


def test_every_option_has_a_one_line_doc_in_the_generated_table() -> None:
    table = markdown_table()
    for option in OPTIONS:
        assert option.doc and "\n" not in option.doc
        assert re.search(rf"^\| `{option.name}` \| `[^|]+` \| .+ \|$", table, re.M), option.name


def test_typing_resolves_the_options_type() -> None:
    """The annotations name real types (a typo in CORSOptions would only show up in an IDE)."""
    import re as re_module
    from collections.abc import Iterable, Mapping
    from datetime import timedelta

    from cors_wsgi.options import HeaderItem, OriginItem
    from cors_wsgi.paths import PathPattern

    namespace = {
        "Iterable": Iterable,
        "Mapping": Mapping,
        "Any": typing.Any,
        "timedelta": timedelta,
        "re": re_module,
        "OriginItem": OriginItem,
        "HeaderItem": HeaderItem,
        "PathPattern": PathPattern,
    }
    for option in OPTIONS:
        text = annotation_text(option.name)
        if "|" in text:  # PEP 604 at run time needs 3.10; Union says the same on every version
            text = f"typing.Union[{', '.join(part.strip() for part in _split_top(text))}]"
        eval(text, {"typing": typing, **namespace})


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]
