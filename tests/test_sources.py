"""Options from CORS_* mappings (Flask app.config, Django settings), the environment and PasteDeploy.

Each source goes through the same validation as keyword arguments; what differs is string parsing and
that problems are reported under the key the operator wrote. Precedence: a resources entry's own
options > keyword arguments > the mapping > defaults.
"""

from __future__ import annotations

import re
import textwrap
import types
import warnings
from pathlib import Path
from typing import Any

import pytest
from webtest import TestApp

from cors_wsgi import ConfigError, CORSConfigWarning, CORSMiddleware
from cors_wsgi.options import ALLOW_HEADERS, EXPOSE_HEADERS, METHODS, ORIGINS
from cors_wsgi.sources import options_from_mapping


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def problems(excinfo: pytest.ExceptionInfo[ConfigError]) -> list[tuple[str, object, str]]:
    return [(p.option, p.value, p.message) for p in excinfo.value.problems]


# --- string parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["true", "True", " TRUE ", "1", "yes", "on"])
def test_true_strings(text: str) -> None:
    assert options_from_mapping({"CORS_SUPPORTS_CREDENTIALS": text}) == {"supports_credentials": True}


@pytest.mark.parametrize("text", ["false", "False", "0", "no", "off"])
def test_false_strings(text: str) -> None:
    assert options_from_mapping({"CORS_VARY_HEADER": text}) == {"vary_header": False}


@pytest.mark.parametrize("text", ["", "maybe", "2", "tru", "y"])
def test_bad_boolean_string_names_the_key_and_an_example(text: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        options_from_mapping({"CORS_SEND_WILDCARD": text})
    [(option, value, message)] = problems(excinfo)
    assert option == "CORS_SEND_WILDCARD"
    assert value == text
    assert "true or false" in message and "CORS_SEND_WILDCARD=true" in message


def test_max_age_string_is_seconds() -> None:
    assert options_from_mapping({"CORS_MAX_AGE": " 600 "}) == {"max_age": 600}
    assert options_from_mapping({"CORS_MAX_AGE": ""}) == {"max_age": None}


@pytest.mark.parametrize("text", ["ten", "10.5", "-1", "1e3", "٣"])
def test_bad_max_age_string(text: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_env(hello, {"CORS_MAX_AGE": text})
    [(option, value, message)] = problems(excinfo)
    assert option == "environment variable CORS_MAX_AGE"
    assert value == text
    assert "CORS_MAX_AGE=600" in message
    assert f"CORS_MAX_AGE={text!r}" in str(excinfo.value)


def test_max_age_out_of_range_is_reported_under_the_key() -> None:
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_env(hello, {"CORS_MAX_AGE": "999999"})
    [(option, value, message)] = problems(excinfo)
    assert (option, value) == ("environment variable CORS_MAX_AGE", 999999)
    assert "between 0 and 86400" in message


def test_lists_split_on_commas_and_newlines() -> None:
    mw = CORSMiddleware.from_env(
        hello,
        {
            "CORS_ORIGINS": "https://a.example, https://b.example\nhttps://c.example",
            "CORS_METHODS": "GET,PUT",
            "CORS_ALLOW_HEADERS": "X-A, X-B",
            "CORS_EXPOSE_HEADERS": "X-Request-Id",
        },
    )
    settings = mw.policy.table.rules[0][1].settings
    assert settings[ORIGINS].exact == {"https://a.example", "https://b.example", "https://c.example"}
    assert settings[METHODS] == ("GET", "PUT")
    assert settings[ALLOW_HEADERS].allows("x-b") and not settings[ALLOW_HEADERS].allows("x-c")
    assert settings[EXPOSE_HEADERS] == ("X-Request-Id",)


def test_resources_json_object_with_per_path_options() -> None:
    mw = CORSMiddleware.from_env(
        hello,
        {"CORS_RESOURCES": '{"/api/*": {"origins": "https://a.example", "supports_credentials": true}}'},
    )
    allowed = mw.decide("GET", "/api/x", {"Origin": "https://a.example"})
    assert allowed.allowed and ("Access-Control-Allow-Credentials", "true") in allowed.headers
    assert mw.decide("GET", "/other", {"Origin": "https://a.example"}).kind == "path not covered"


def test_resources_plain_pattern_string_keeps_its_commas() -> None:
    mw = CORSMiddleware.from_env(hello, {"CORS_RESOURCES": r"/v\d{1,2}/*"})
    assert mw.decide("GET", "/v12/x", {"Origin": "https://a.example"}).kind == "actual"
    assert mw.decide("GET", "/v123/x", {"Origin": "https://a.example"}).kind == "path not covered"


def test_resources_invalid_json_names_the_key_and_the_position() -> None:
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_env(hello, {"CORS_RESOURCES": '{"/api/*": '})
    [(option, _value, message)] = problems(excinfo)
    assert option == "environment variable CORS_RESOURCES"
    assert "not valid JSON" in message and "char 10" in message


def test_problem_inside_json_resources_is_named_by_key_and_pattern() -> None:
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_env(hello, {"CORS_RESOURCES": '{"/api/*": {"origins": "https://A.example/"}}'})
    [(option, value, message)] = problems(excinfo)
    assert option == "environment variable CORS_RESOURCES['/api/*'].origins"
    assert value == "https://A.example/"
    assert "did you mean 'https://a.example'" in message


# --- keys ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("CORS_ALLOWED_ORIGINS", "did you mean CORS_ORIGINS?"),  # django-cors-headers
        ("CORS_ALLOW_CREDENTIALS", "did you mean CORS_SUPPORTS_CREDENTIALS?"),  # django-cors-headers
        ("CORS_PREFLIGHT_MAX_AGE", "did you mean CORS_MAX_AGE?"),  # django-cors-headers
        ("CORS_ALLOW_METHODS", "did you mean CORS_METHODS?"),  # django-cors-headers
        ("CORS_ORIGN", "did you mean CORS_ORIGINS?"),  # typo
        ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGINS='*'"),  # django-cors-headers, no 1:1 equivalent
        ("CORS_URLS_REGEX", "CORS_RESOURCES"),
        ("CORS_ALLOWED_ORIGIN_REGEXES", "put the regexes in CORS_ORIGINS"),  # django-cors-headers
        ("CORS_FROBNICATE", "valid settings are CORS_RESOURCES, CORS_ORIGINS"),
    ],
)
def test_unknown_key_is_an_error_with_a_hint(key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_mapping(hello, {key: "x", "CORS_ORIGINS": "https://a.example"})
    [(option, value, message)] = problems(excinfo)
    assert (option, value) == (key, "x")
    assert "is not a cors_wsgi setting" in message and hint in message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_env(hello, {"CORS_MAX_AGE": "ten", "CORS_ORIGN": "x", "CORS_ALWAYS_SEND": "maybe"})
    assert [p[0] for p in problems(excinfo)] == [
        "environment variable CORS_ALWAYS_SEND",
        "environment variable CORS_MAX_AGE",
        "environment variable CORS_ORIGN",
    ]


def test_keys_without_the_prefix_are_ignored() -> None:
    found = options_from_mapping({"SECRET_KEY": "s", "DEBUG": True, "cors_origins": "x", "CORS_ORIGINS": "*"})
    assert found == {"origins": "*"}


def test_custom_prefix() -> None:
    found = options_from_mapping(
        {"API_CORS_ORIGINS": "https://a.example", "CORS_ORIGINS": "ignored"}, prefix="API_CORS_"
    )
    assert found == {"origins": "https://a.example"}
    assert found.labels == {"origins": "API_CORS_ORIGINS"}


def test_typed_values_pass_through_unchanged() -> None:
    pattern = re.compile(r"https://.*\.example\.com")
    found = options_from_mapping({"CORS_ORIGINS": [pattern], "CORS_SUPPORTS_CREDENTIALS": True, "CORS_MAX_AGE": 60})
    assert found == {"origins": [pattern], "supports_credentials": True, "max_age": 60}


def test_typed_value_of_the_wrong_type_is_still_refused_under_its_key() -> None:
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_mapping(hello, {"CORS_SEND_WILDCARD": 1})
    [(option, value, message)] = problems(excinfo)
    assert (option, value) == ("CORS_SEND_WILDCARD", 1)
    assert "True or False" in message


def test_warnings_name_the_source_key() -> None:
    with pytest.warns(CORSConfigWarning, match=r"environment variable CORS_SEND_WILDCARD=True"):
        CORSMiddleware.from_env(hello, {"CORS_ORIGINS": "https://a.example", "CORS_SEND_WILDCARD": "true"})


# --- precedence ----------------------------------------------------------------------------------------


def test_keyword_arguments_beat_the_mapping() -> None:
    mw = CORSMiddleware.from_mapping(hello, {"CORS_ORIGINS": "https://mapping.example"}, origins="https://kw.example")
    assert mw.decide("GET", "/", {"Origin": "https://kw.example"}).allowed
    assert not mw.decide("GET", "/", {"Origin": "https://mapping.example"}).allowed


def test_a_problem_in_a_keyword_argument_is_named_as_the_keyword() -> None:
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_mapping(hello, {"CORS_MAX_AGE": "ten"}, max_age="ten")
    # The mapping's own value is checked on its own, and the keyword's by the policy.
    assert ("CORS_MAX_AGE", "ten") in [p[:2] for p in problems(excinfo)]
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_mapping(hello, {"CORS_MAX_AGE": "60"}, max_age=-1)
    assert [p[0] for p in problems(excinfo)] == ["max_age"]


def test_the_mapping_beats_the_defaults() -> None:
    mw = CORSMiddleware.from_mapping(hello, {"CORS_ORIGINS": "https://a.example"})
    assert not mw.decide("GET", "/", {"Origin": "https://b.example"}).allowed  # default would be "*"


def test_resource_entry_beats_keywords_and_mapping() -> None:
    mw = CORSMiddleware.from_mapping(
        hello,
        {
            "CORS_ORIGINS": "https://mapping.example",
            "CORS_RESOURCES": {r"/api/*": {"origins": "https://entry.example"}},
        },
        origins="https://kw.example",
    )
    assert mw.decide("GET", "/api/x", {"Origin": "https://entry.example"}).allowed
    assert not mw.decide("GET", "/api/x", {"Origin": "https://kw.example"}).allowed
    assert not mw.decide("GET", "/api/x", {"Origin": "https://mapping.example"}).allowed


def test_keyword_resources_with_mapping_origins() -> None:
    mw = CORSMiddleware.from_mapping(hello, {"CORS_ORIGINS": "https://a.example"}, resources=r"/api/*")
    assert mw.decide("GET", "/api/x", {"Origin": "https://a.example"}).allowed
    assert mw.decide("GET", "/x", {"Origin": "https://a.example"}).kind == "path not covered"


def test_mapping_and_keyword_combine_into_a_refused_configuration() -> None:
    """Credentials from a keyword with '*' from the environment: named where the '*' came from."""
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_env(hello, {"CORS_ORIGINS": "*"}, supports_credentials=True)
    [(option, value, message)] = problems(excinfo)
    assert (option, value) == ("environment variable CORS_ORIGINS", "*")
    assert "supports_credentials=True" in message


# --- each source, through a real request ---------------------------------------------------------------


def test_flask_app_config_with_flask_cors_idioms() -> None:
    flask = pytest.importorskip("flask")
    app = flask.Flask(__name__)
    app.config.update(
        CORS_RESOURCES={r"/api/*": {"origins": "*"}, r"/private/*": {"origins": ["https://app.example.com"]}},
        CORS_SUPPORTS_CREDENTIALS=False,
        CORS_EXPOSE_HEADERS=["X-Total-Count"],
    )

    @app.route("/api/items")
    def items() -> str:
        return "items"

    @app.route("/private/me")
    def me() -> str:
        return "me"

    app.wsgi_app = CORSMiddleware.from_mapping(app.wsgi_app, app.config)  # type: ignore[method-assign]
    client = TestApp(app)
    public = client.get("/api/items", headers={"Origin": "https://anyone.example"})
    assert public.headers["Access-Control-Allow-Origin"] == "https://anyone.example"
    assert public.headers["Access-Control-Expose-Headers"] == "X-Total-Count"
    private = client.get("/private/me", headers={"Origin": "https://anyone.example"})
    assert "Access-Control-Allow-Origin" not in private.headers
    private = client.get("/private/me", headers={"Origin": "https://app.example.com"})
    assert private.headers["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_flask_cors_supports_credentials_setting() -> None:
    mw = CORSMiddleware.from_mapping(
        hello, {"CORS_ORIGINS": ["https://app.example.com"], "CORS_SUPPORTS_CREDENTIALS": True}
    )
    response = TestApp(mw).get("/", headers={"Origin": "https://app.example.com"})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_django_settings_object() -> None:
    """Django's settings are attributes, not a mapping; upper-case CORS_* attributes are read."""
    settings = types.SimpleNamespace(
        CORS_ORIGINS=["https://app.example.com"],
        CORS_MAX_AGE=600,
        DEBUG=False,
        cors_origins="lower-case attributes are not settings",
    )
    mw = CORSMiddleware.from_mapping(hello, settings)
    response = TestApp(mw).options(
        "/", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_int == 204
    assert response.headers["Access-Control-Max-Age"] == "600"


def test_django_lazy_settings() -> None:
    django_conf = pytest.importorskip("django.conf")
    settings = django_conf.LazySettings()
    settings.configure(CORS_ORIGINS=["https://app.example.com"], CORS_ALLOW_PRIVATE_NETWORK=True)
    mw = CORSMiddleware.from_mapping(hello, settings)
    response = TestApp(mw).options(
        "/",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert response.headers["Access-Control-Allow-Private-Network"] == "true"


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://env.example")
    monkeypatch.setenv("CORS_SUPPORTS_CREDENTIALS", "true")
    response = TestApp(CORSMiddleware.from_env(hello)).get("/", headers={"Origin": "https://env.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://env.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_from_env_unknown_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://env.example")
    with pytest.raises(ConfigError, match=r"environment variable CORS_ALLOWED_ORIGINS=.*did you mean CORS_ORIGINS"):
        CORSMiddleware.from_env(hello)


def write_ini(tmp_path: Path, cors_section: str) -> Path:
    (tmp_path / "ini_app.py").write_text(
        textwrap.dedent(
            """
            def main(global_conf, **settings):
                def app(environ, start_response):
                    start_response("200 OK", [("Content-Type", "text/plain")])
                    return [b"from paste"]
                return app
            """
        )
    )
    ini = tmp_path / "app.ini"
    ini.write_text(
        "[pipeline:main]\npipeline = cors myapp\n\n[filter:cors]\nuse = egg:cors_wsgi\n"
        + textwrap.dedent(cors_section)
        + "\n[app:myapp]\nuse = call:ini_app:main\n"
    )
    return ini


def test_paste_filter_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loadwsgi = pytest.importorskip("paste.deploy.loadwsgi")
    monkeypatch.syspath_prepend(str(tmp_path))
    ini = write_ini(
        tmp_path,
        """\
        origins =
            https://app.example.com
            https://admin.example.com
        supports_credentials = true
        max_age = 600
        """,
    )
    app = loadwsgi.loadapp(f"config:{ini}")
    assert isinstance(app, CORSMiddleware)
    client = TestApp(app)
    response = client.options(
        "/x", headers={"Origin": "https://admin.example.com", "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Max-Age"] == "600"
    response = client.get("/x", headers={"Origin": "https://evil.example.com"})
    assert response.text == "from paste" and "Access-Control-Allow-Origin" not in response.headers


def test_paste_filter_bad_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loadwsgi = pytest.importorskip("paste.deploy.loadwsgi")
    monkeypatch.syspath_prepend(str(tmp_path))
    ini = write_ini(tmp_path, "max_age = ten\norign = https://a.example\n")
    with pytest.raises(ConfigError) as excinfo:
        loadwsgi.loadapp(f"config:{ini}")
    assert [p[:2] for p in problems(excinfo)] == [("max_age", "ten"), ("orign", "https://a.example")]
    assert "did you mean origins?" in str(excinfo.value)


def test_no_warning_for_a_clean_mapping() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CORSMiddleware.from_mapping(hello, {"CORS_ORIGINS": "https://a.example", "CORS_MAX_AGE": "10"})


def test_key_problems_and_value_problems_are_reported_together() -> None:
    with pytest.raises(ConfigError) as excinfo:
        CORSMiddleware.from_env(
            hello,
            {"CORS_ORIGINS": "https://app.example.com/", "CORS_MAX_AGE": "ten", "CORS_ALLOWED_ORIGINS": "x"},
        )
    assert [p[0] for p in problems(excinfo)] == [
        "environment variable CORS_ALLOWED_ORIGINS",
        "environment variable CORS_MAX_AGE",
        "environment variable CORS_ORIGINS",
    ]
    assert "did you mean 'https://app.example.com'" in str(excinfo.value)


def test_comma_separated_resources_from_the_environment_warn_that_they_are_one_pattern() -> None:
    """CORS_ORIGINS splits on commas, so CORS_RESOURCES='/api/*, /v2/*' looks as if it would too; it is
    one pattern covering neither path, which must not pass silently."""
    with pytest.warns(CORSConfigWarning, match=r"CORS_RESOURCES='/api/\*, /v2/\*'.*is one path pattern") as record:
        mw = CORSMiddleware.from_env(hello, {"CORS_RESOURCES": "/api/*, /v2/*"})
    assert len([w for w in record if "one path pattern" in str(w.message)]) == 1
    assert mw.decide("GET", "/api/x", {"Origin": "https://a.example"}).kind == "path not covered"
    listed = CORSMiddleware.from_env(hello, {"CORS_RESOURCES": '["/api/*", "/v2/*"]'})
    assert listed.decide("GET", "/v2/x", {"Origin": "https://a.example"}).allowed


def test_the_packages_own_variables_are_not_settings() -> None:
    """``CORS_WSGI_COMPILE`` (a build switch) may sit in a deployment's environment: it is no CORS setting."""
    environ = {"CORS_WSGI_COMPILE": "1", "CORS_WSGI_EXPECT_BUILD": "compiled", "CORS_ORIGINS": "https://a.example"}
    middleware = CORSMiddleware.from_env(lambda environ, start_response: [], environ=environ)
    assert middleware.policy.lookup("/") is not None


def test_an_empty_list_variable_is_an_empty_list() -> None:
    """``CORS_EXPOSE_HEADERS=`` (set, but to nothing) exposes nothing; it is not a header named ''."""
    environ = {"CORS_EXPOSE_HEADERS": "", "CORS_ORIGINS": "https://a.example"}
    middleware = CORSMiddleware.from_env(lambda environ, start_response: [], environ=environ)
    decision = middleware.decide("GET", "/", {"Origin": "https://a.example"})
    assert decision.allowed and "Access-Control-Expose-Headers" not in dict(decision.headers)
