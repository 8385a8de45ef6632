"""``python -m cors_wsgi check``: every file format and the environment, valid and invalid, warnings and
``--strict``, and agreement with what the middleware itself accepts from the same source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from cors_wsgi import ConfigError, CORSMiddleware
from cors_wsgi.__main__ import main
from cors_wsgi.check import check_environment, check_file
from cors_wsgi.paste import filter_app_factory

ROOT = Path(__file__).resolve().parent.parent


def app(environ, start_response):
    start_response("200 OK", [])
    return [b""]


@pytest.fixture(autouse=True)
def no_cors_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("CORS_"):
            monkeypatch.delenv(key)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_check(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["check", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- valid files, each format ---------------------------------------------------------------------------------

VALID = [
    pytest.param(
        "cors.json",
        '{"origins": ["https://app.test"], "supports_credentials": true, "max_age": 600}',
        ["'/*': origins https://app.test; credentials; max_age 600"],
        id="json option names",
    ),
    pytest.param(
        "cors.json",
        '{"CORS_ORIGINS": "https://a.test, https://b.test", "CORS_SUPPORTS_CREDENTIALS": "true", '
        '"CORS_RESOURCES": {"/api/*": {"methods": ["GET", "PUT"]}}}',
        ["'/api/*': origins https://a.test, https://b.test; methods GET, PUT; credentials"],
        id="json CORS_ keys, nested resources",
    ),
    pytest.param(
        "cors.json",
        '{"CORS_RESOURCES": "{\\"/api/*\\": {\\"origins\\": \\"*\\"}}"}',
        ["'/api/*': origins *"],
        id="json resources as a JSON string",
    ),
    pytest.param(
        "settings.json",
        '{"cors": {"origins": "https://app.test"}, "database": "ignored"}',
        ["'/*': origins https://app.test"],
        id="json under a cors key",
    ),
    pytest.param(
        "cors.toml",
        '[cors]\norigins = ["https://app.test"]\nmax_age = 60\n\n[cors.resources."/api/*"]\nmethods = ["PUT"]\n\n'
        '[cors.resources."/public/*"]\norigins = "*"\n',
        ["'/public/*': origins *; max_age 60", "'/api/*': origins https://app.test; methods PUT; max_age 60"],
        id="toml cors table",
    ),
    pytest.param("cors.toml", 'CORS_ORIGINS = "https://app.test"\n', ["'/*': origins https://app.test"], id="toml"),
    pytest.param(
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.cors_wsgi]\norigins = ["https://app.test"]\n',
        ["'/*': origins https://app.test"],
        id="pyproject tool table",
    ),
    pytest.param(
        "cors.ini",
        "[cors]\norigins =\n    https://a.test\n    https://b.test\nsupports_credentials = yes\n",
        ["'/*': origins https://a.test, https://b.test; credentials"],
        id="ini cors section, one origin per line",
    ),
    pytest.param(
        "development.ini",
        "[DEFAULT]\norigins = *\nsupports_credentials = true\n\n[pipeline:main]\npipeline = corsfilter myapp\n\n"
        "[filter:corsfilter]\nuse = egg:cors_wsgi\norigins = https://app.test\nmax_age = 600\n",
        ["'/*': origins https://app.test; max_age 600"],
        id="paste filter section, DEFAULT not read",
    ),
    pytest.param(
        "setup.cfg",
        "[metadata]\nname = x\n\n[filter:cors]\norigins = https://app.test\n",
        ["'/*': origins https://app.test"],
        id="cfg filter:cors",
    ),
]


@pytest.mark.parametrize(("name", "text", "rules"), VALID)
def test_valid_files(tmp_path: Path, name: str, text: str, rules: list[str], capsys) -> None:
    path = write(tmp_path, name, text)
    status, out, err = run_check(str(path), capsys=capsys)
    assert (status, err) == (0, ""), out
    count = len(rules)
    assert out.splitlines() == [f"{path}: OK, {count} rule{'s' if count > 1 else ''}"] + [
        f"  rule {rule}" for rule in rules
    ]


# --- invalid files: every problem, named as written -------------------------------------------------------------

INVALID = [
    pytest.param(
        "cors.json",
        '{"origin": "https://app.test", "origins": ["https://App.test/", "*"], "supports_credentials": true}',
        [
            "origin='https://app.test': is not a cors_wsgi setting; did you mean origins?",
            "origins='https://App.test/': is not an origin as browsers send it",
            "origins='*': allows every origin, and supports_credentials=True",
        ],
        id="every problem at once, past a bad key",
    ),
    pytest.param(
        "cors.json",
        '{"CORS_ALLOWED_ORIGINS": "x", "CORS_MAX_AGE": "10 minutes", "CORS_ORIGINS": "https://App.test"}',
        [
            "CORS_ALLOWED_ORIGINS='x': is not a cors_wsgi setting; did you mean CORS_ORIGINS?",
            "CORS_MAX_AGE='10 minutes': must be a whole number of seconds",
            "CORS_ORIGINS='https://App.test': is not an origin as browsers send it",
        ],
        id="CORS_ keys named as written",
    ),
    pytest.param(
        "cors.json",
        '{"CORS_ORIGINS": "https://app.test", "max_age": 5}',
        ["max_age=5: mixes a plain option name with CORS_* keys; write CORS_MAX_AGE"],
        id="mixed key styles",
    ),
    pytest.param("cors.json", '{"origins": [}', ["is not valid JSON"], id="json syntax"),
    pytest.param("cors.json", '["https://app.test"]', ["must hold an object of CORS options"], id="json list"),
    pytest.param(
        "cors.json",
        '{"resources": {"/api/*": {"origins": "https://*example.com"}}}',
        ["resources['/api/*'].origins='https://*example.com'"],
        id="nested resources problem",
    ),
    pytest.param("cors.toml", "[cors\norigins = 1\n", ["is not valid TOML"], id="toml syntax"),
    pytest.param(
        "cors.toml",
        '[cors]\norigins = "https://app.test"\nsupports_credentials = "maybe"\n',
        ["cors.supports_credentials='maybe': must be true or false"],
        id="toml bad value, named with its table",
    ),
    pytest.param(
        "cors.ini",
        "[cors]\norigins = https://app.test\nmethods = GET, TRACE\n",
        ["[cors] methods='TRACE': is a forbidden method"],
        id="ini bad value, named with its section",
    ),
    pytest.param("cors.ini", "[app]\nx = 1\n", ["has no CORS section"], id="ini without a CORS section"),
    pytest.param("cors.ini", "origins = x\n", ["is not a valid .ini file"], id="ini syntax"),
]


@pytest.mark.parametrize(("name", "text", "messages"), INVALID)
def test_invalid_files(tmp_path: Path, name: str, text: str, messages: list[str], capsys) -> None:
    path = write(tmp_path, name, text)
    status, out, err = run_check(str(path), capsys=capsys)
    assert (status, err) == (1, "")
    lines = out.splitlines()
    count = len(lines) - 1
    assert lines[0] == f"{path}: invalid, {count} problem{'s' if count > 1 else ''}"
    assert len(lines[1:]) == len(messages), out
    for line, message in zip(lines[1:], messages):
        assert line.startswith("  error: ") and message in line, (line, message)


# --- warnings ---------------------------------------------------------------------------------------------------


def test_warnings_are_printed_and_fail_only_with_strict(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "cors.ini", "[cors]\norigins = https://app.test\nsend_wildcard = true\n")
    status, out, _ = run_check(str(path), capsys=capsys)
    assert status == 0
    assert out.splitlines() == [
        f"{path}: OK, 1 rule",
        "  warning: [cors] send_wildcard=True: has no effect unless origins is '*' (the request's origin is sent "
        "back instead)",
        "  rule '/*': origins https://app.test",
    ]
    status, out, _ = run_check(str(path), "--strict", capsys=capsys)
    assert status == 1
    assert out.startswith(f"{path}: fails --strict, 1 rule")


def test_a_valid_file_without_warnings_passes_strict(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "cors.json", '{"origins": "https://app.test"}')
    assert run_check(str(path), "--strict", capsys=capsys)[0] == 0


def test_json_output(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "cors.json", '{"origins": ["http://app.example"], "supports_credentials": true, "x": 1}')
    status, out, _ = run_check(str(path), "--json", capsys=capsys)
    report = json.loads(out)
    assert status == 1 == report["exit_status"]
    assert report["ok"] is False
    assert report["errors"][0]["option"] == "x" and report["errors"][0]["value"] == 1
    path = write(tmp_path, "ok.json", '{"origins": ["http://app.example"], "supports_credentials": true}')
    status, out, _ = run_check(str(path), "--json", capsys=capsys)
    report = json.loads(out)
    assert (status, report["ok"], len(report["warnings"]), len(report["rules"])) == (0, True, 1, 1)
    assert "plain http" in report["warnings"][0]


# --- the environment ------------------------------------------------------------------------------------------


def test_environment_valid(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.test,https://b.test")
    monkeypatch.setenv("CORS_SUPPORTS_CREDENTIALS", "true")
    monkeypatch.setenv("CORS_MAX_AGE", "600")
    status, out, _ = run_check("--env", capsys=capsys)
    assert status == 0
    assert out.splitlines() == [
        "CORS_* environment: OK, 1 rule",
        "  rule '/*': origins https://a.test, https://b.test; credentials; max_age 600",
    ]


def test_environment_invalid_names_the_variables(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("CORS_ORIGIN", "https://a.test")
    monkeypatch.setenv("CORS_SUPPORTS_CREDENTIALS", "maybe")
    status, out, _ = run_check("--env", capsys=capsys)
    assert status == 1
    assert (
        "environment variable CORS_ORIGIN='https://a.test': is not a cors_wsgi setting; did you mean CORS_ORIGINS?"
        in out
    )
    assert "environment variable CORS_SUPPORTS_CREDENTIALS='maybe': must be true or false" in out


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("MYAPP_CORS_ORIGINS", "https://a.test")
    monkeypatch.setenv("CORS_ORIGINS", "not an origin")  # another prefix: ignored
    status, out, _ = run_check("--env", "--prefix", "MYAPP_CORS_", capsys=capsys)
    assert status == 0
    assert out.splitlines()[0] == "MYAPP_CORS_* environment: OK, 1 rule"


def test_environment_in_a_subprocess() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CORS_")}
    good = subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "check", "--env"],
        env={**env, "CORS_ORIGINS": "https://a.test"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert good.returncode == 0, good.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "check", "--env"],
        env={**env, "CORS_ORIGINS": "*", "CORS_SUPPORTS_CREDENTIALS": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "environment variable CORS_ORIGINS='*': allows every origin" in bad.stdout


# --- nothing to check: an error unless --allow-defaults ---------------------------------------------------------

DEFAULT_RULES = ["  rule '/*': origins *"]
ALLOWED_NOTE = "  note: no CORS settings found; checked the defaults, as --allow-defaults asks"


def test_environment_without_cors_settings_fails(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("MYAPP_CORS_ORIGINS", "https://a.test")  # another prefix: not a CORS_* setting
    monkeypatch.setenv("CORSAIR", "1")
    status, out, err = run_check("--env", capsys=capsys)
    assert (status, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == "CORS_* environment: invalid, 1 problem"
    assert lines[1].startswith("  error: no CORS_* settings found in the environment; ")
    assert "--allow-defaults" in lines[1] and "origins '*'" in lines[1]
    assert len(lines) == 2


def test_environment_without_cors_settings_passes_with_allow_defaults(capsys) -> None:
    status, out, err = run_check("--env", "--allow-defaults", capsys=capsys)
    assert (status, err) == (0, "")
    assert out.splitlines() == ["CORS_* environment: OK, 1 rule", ALLOWED_NOTE, *DEFAULT_RULES]
    # --strict too: the defaults give no warning
    assert run_check("--env", "--allow-defaults", "--strict", capsys=capsys)[0] == 0


def test_allow_defaults_changes_nothing_when_settings_exist(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.test")
    assert run_check("--env", "--allow-defaults", capsys=capsys)[:2] == (
        0,
        "CORS_* environment: OK, 1 rule\n  rule '/*': origins https://a.test\n",
    )
    monkeypatch.setenv("CORS_ORIGINS", "*")
    monkeypatch.setenv("CORS_SUPPORTS_CREDENTIALS", "true")
    assert run_check("--env", "--allow-defaults", capsys=capsys)[0] == 1  # still validated


def test_environment_prefix_without_settings(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.test")  # the default prefix: not MYAPP_CORS_*
    status, out, _ = run_check("--env", "--prefix", "MYAPP_CORS_", capsys=capsys)
    assert status == 1
    assert "error: no MYAPP_CORS_* settings found in the environment" in out
    status, out, _ = run_check("--env", "--prefix", "MYAPP_CORS_", "--allow-defaults", capsys=capsys)
    assert status == 0 and out.splitlines()[0] == "MYAPP_CORS_* environment: OK, 1 rule"


EMPTY_FILES = [
    pytest.param("cors.json", "{}", id="empty json object"),
    pytest.param("cors.json", '{"cors": {}}', id="empty cors object"),
    pytest.param("cors.toml", "", id="empty toml"),
    pytest.param("cors.toml", "[cors]\n", id="empty toml cors table"),
    pytest.param("pyproject.toml", '[project]\nname = "x"\n\n[tool.cors_wsgi]\n', id="empty tool table"),
    pytest.param("cors.ini", "[cors]\n", id="empty ini cors section"),
    pytest.param("cors.ini", "[cors]\n# origins = https://a.test\n", id="ini section, key commented out"),
    pytest.param("app.ini", "[filter:cors]\nuse = egg:cors_wsgi\n", id="paste filter with no CORS key"),
]


@pytest.mark.parametrize(("name", "text"), EMPTY_FILES)
def test_file_without_cors_settings_fails(tmp_path: Path, name: str, text: str, capsys) -> None:
    path = write(tmp_path, name, text)
    status, out, err = run_check(str(path), capsys=capsys)
    assert (status, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == f"{path}: invalid, 1 problem"
    assert lines[1].startswith(f"  error: no CORS settings found in {path}; "), lines
    assert len(lines) == 2
    status, out, err = run_check(str(path), "--allow-defaults", capsys=capsys)
    assert (status, err) == (0, "")
    assert out.splitlines() == [f"{path}: OK, 1 rule", ALLOWED_NOTE, *DEFAULT_RULES]


def test_json_output_without_settings(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "cors.json", "{}")
    status, out, _ = run_check(str(path), "--json", capsys=capsys)
    report = json.loads(out)
    assert (status, report["exit_status"], report["ok"], report["defaults"], report["rules"]) == (
        1,
        1,
        False,
        False,
        [],
    )
    assert report["errors"][0]["message"].startswith(f"no CORS settings found in {path}")
    status, out, _ = run_check(str(path), "--json", "--allow-defaults", capsys=capsys)
    report = json.loads(out)
    assert (status, report["ok"], report["defaults"], report["errors"]) == (0, True, True, [])
    assert report["rules"] == ["'/*': origins *"]


def test_functions_without_settings() -> None:
    assert not check_environment({}).ok
    assert not check_environment({"PATH": "/bin"}).ok
    assert check_environment({}, allow_defaults=True).ok
    assert check_environment({"CORS_ORIGINS": "https://a.test"}).defaults is False


def test_environment_without_settings_in_a_subprocess() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CORS_")}
    result = subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "check", "--env"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no CORS_* settings found" in result.stdout
    allowed = subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "check", "--env", "--allow-defaults"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "rule '/*': origins *" in allowed.stdout


# --- usage errors ----------------------------------------------------------------------------------------------


def test_usage_errors_exit_2(tmp_path: Path, capsys) -> None:
    assert run_check(capsys=capsys)[0:3:2] == (
        2,
        "check: error: give a configuration FILE (.json, .toml, .ini, .cfg), or --env for CORS_* variables\n",
    )
    path = write(tmp_path, "cors.json", "{}")
    assert run_check(str(path), "--env", capsys=capsys)[0] == 2
    status, _, err = run_check(str(tmp_path / "missing.json"), capsys=capsys)
    assert status == 2 and "No such file" in err
    yaml = write(tmp_path, "cors.yaml", "origins: x")
    status, _, err = run_check(str(yaml), capsys=capsys)
    assert status == 2 and "--format" in err


def test_format_option_overrides_the_extension(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "cors.conf.txt", '{"origins": "https://app.test"}')
    assert run_check(str(path), "--format", "json", capsys=capsys)[0] == 0


def test_toml_without_a_parser_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "tomllib", None)  # as on Python 3.9/3.10 without tomli
    monkeypatch.setitem(sys.modules, "tomli", None)
    path = write(tmp_path, "cors.toml", 'origins = "https://app.test"\n')
    status, out, err = run_check(str(path), capsys=capsys)
    assert (status, out) == (2, "")
    assert "needs Python 3.11+ or the tomli package" in err


# --- check accepts exactly what the middleware accepts ---------------------------------------------------------

ENVIRONMENTS = [
    {"CORS_ORIGINS": "https://a.test"},
    {"CORS_ORIGINS": "*", "CORS_SUPPORTS_CREDENTIALS": "true"},
    {"CORS_ORIGINS": "https://a.test", "CORS_SUPPORTS_CREDENTIALS": "true", "CORS_MAX_AGE": "90000"},
    {"CORS_RESOURCES": '{"/api/*": {"origins": "https://a.test", "methods": "PUT"}}'},
    {"CORS_RESOURCES": '{"/api/*": {"origin": "https://a.test"}}'},
    {"CORS_ALLOW_HEADERS": "X-Company-*"},
    {"CORS_EXPOSE_HEADERS": "Set-Cookie"},
    {"CORS_METHODS": "get, patch"},
    {"CORS_ORIGINS": "http://app.example", "CORS_SUPPORTS_CREDENTIALS": "yes"},
    {"CORS_DEBUG": "true", "CORS_ORIGINS": "https://a.test"},
    {},
]


@pytest.mark.parametrize("environ", ENVIRONMENTS)
def test_check_agrees_with_from_env(environ: dict[str, str]) -> None:
    result = check_environment(environ, allow_defaults=True)  # {}: from_env runs on the defaults
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            CORSMiddleware.from_env(app, environ)
        except ConfigError as error:
            assert [str(p) for p in result.problems] == [str(p) for p in error.problems]
        else:
            assert result.ok, result
            assert list(result.warnings) == [str(item.message) for item in caught]


@pytest.mark.parametrize(
    "section",
    [
        {"origins": "https://a.test\nhttps://b.test", "supports_credentials": "true"},
        {"origins": "*", "supports_credentials": "true"},
        {"origins": "https://a.test", "max_age": "ten"},
        {"origins": "http://app.example", "supports_credentials": "on"},
    ],
)
def test_check_agrees_with_the_paste_filter(tmp_path: Path, section: dict[str, str]) -> None:
    body = "".join(f"{key} = {value.replace(chr(10), chr(10) + '    ')}\n" for key, value in section.items())
    path = write(tmp_path, "app.ini", f"[filter:cors]\nuse = egg:cors_wsgi\n{body}")
    result = check_file(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            filter_app_factory(app, {}, **section)
        except ConfigError as error:
            assert len(result.problems) == len(error.problems)
            for ours, theirs in zip(result.problems, error.problems):
                assert (ours.option, ours.value, ours.message) == (
                    f"[filter:cors] {theirs.option}",
                    theirs.value,
                    theirs.message,
                )
        else:
            assert result.ok and len(result.warnings) == len(caught)


# --- --flask-app: route by route, against flask-cors' reading -------------------------------------------------

FLASK_APP = """
from flask import Blueprint, Flask
from cors_wsgi.flask import CORS, cross_origin

def create_app():
    app = Flask(__name__)
    for route in ("/api", "/api/users/<int:user_id>", "/apiary", "/health"):
        app.add_url_rule(route, route, lambda **kwargs: "ok")

    @app.route("/public/<path:name>")
    @cross_origin()
    def public(name):
        return name

    CORS(app, resources=r"/api/*")
    return app
"""


def test_flask_app_table_and_lost_routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    (tmp_path / "shop.py").write_text(FLASK_APP, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    assert main(["check", "--flask-app", "shop:create_app()"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("/")}
    assert rows["/api/users/<int:user_id>"][1:] == ["/api/*", "/api/*"]
    assert rows["/apiary"][1:] == ["-", "/api/*"]  # flask-cors' prefix match covered it; cors_wsgi does not
    assert rows["/health"][1:] == ["-", "-"]
    assert "its own view or blueprint rule" in out.split("/public/<path:name>")[1].splitlines()[0]
    assert "add '/apiary' to resources" in out
    assert "1 route(s) lose the coverage flask-cors gave them" in out
    sys.modules.pop("shop", None)
    assert main(["check", "--flask-app", "shop:create_app()", "--strict"]) == 1
    sys.modules.pop("shop", None)


def test_flask_app_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    (tmp_path / "shop2.py").write_text(FLASK_APP, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    assert main(["check", "--flask-app", "shop2:create_app()", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["lost"] == ["/apiary"]
    assert {row["route"]: row["cors_wsgi"] for row in document["routes"]}["/api"] == "/api/*"
    sys.modules.pop("shop2", None)


@pytest.mark.parametrize("target", ["shop", "nosuchmodule:app", "os:no_such_attribute", "os"])
def test_flask_app_usage_errors(target: str, capsys) -> None:
    assert main(["check", "--flask-app", target]) == 2
    assert "--flask-app" in capsys.readouterr().err
