"""Origins decided at request time by a function, and a configuration replaced while requests run.

``origins=["https://app.example.com", is_tenant_origin]``: the function sees only well-formed origins that
no static item allowed, only ``True`` allows, an exception rejects (and is logged), nothing is cached, and
the answers are exactly those of the same configuration with the function's allowed set written out.
``middleware.reconfigure(**options)`` replaces the whole configuration atomically, after validating it.
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any
from wsgiref.validate import validator

import _generators as gen
import pytest
from _oracle import Request, call, oracle_app, well_formed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webtest import TestApp

from cors_wsgi import ConfigError, CORSConfigWarning, CORSMiddleware
from cors_wsgi.check import check_mapping

STATIC = "https://app.example.com"
TENANT = "https://tenant.example.net"
OTHER = "https://other.example.org"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class Recorder:
    """A function for ``origins`` that remembers every origin it was asked about."""

    def __init__(self, answer: Any = True, allowed: frozenset[str] = frozenset({TENANT})) -> None:
        self.answer = answer
        self.allowed = allowed
        self.asked: list[str] = []

    def __call__(self, origin: str) -> Any:
        self.asked.append(origin)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer if origin in self.allowed else False


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def client(**options: Any) -> TestApp:
    return TestApp(validator(CORSMiddleware(validator(app), **options)))


def cors(response: Any) -> dict[str, str]:
    return {name: value for name, value in response.headerlist if name.lower().startswith("access-control-")}


def get(test_app: TestApp, origin: str | None) -> Any:
    return test_app.get("/r", headers={} if origin is None else {"Origin": origin})


def preflight(test_app: TestApp, origin: str, method: str = "PUT") -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    return test_app.options("/r", headers=headers, status="*")


# --- what the function decides ------------------------------------------------------------------------


def test_a_static_origin_never_asks_the_function() -> None:
    decide = Recorder()
    test_app = client(origins=[STATIC, decide])
    assert cors(get(test_app, STATIC)) == {"Access-Control-Allow-Origin": STATIC}
    assert cors(preflight(test_app, STATIC))["Access-Control-Allow-Origin"] == STATIC
    assert decide.asked == []


@pytest.mark.parametrize("alone", [True, False], ids=["alone", "in-a-list"])
def test_the_function_allows_what_no_static_item_did(alone: bool) -> None:
    decide = Recorder()
    test_app = client(origins=decide if alone else [STATIC, decide])
    response = get(test_app, TENANT)
    assert cors(response) == {"Access-Control-Allow-Origin": TENANT}
    assert response.headers["Vary"] == "Origin"
    answer = preflight(test_app, TENANT)
    assert answer.status_int == 204 and answer.headers["Access-Control-Allow-Origin"] == TENANT
    assert cors(get(test_app, OTHER)) == {}
    assert decide.asked == [TENANT, TENANT, OTHER]


@pytest.mark.parametrize("answer", ["yes", 1, [1], object()], ids=["a string", "1", "a list", "an object"])
def test_only_true_allows(answer: Any) -> None:
    test_app = client(origins=[Recorder(answer)])
    assert cors(get(test_app, TENANT)) == {}
    assert preflight(test_app, TENANT).status_int == 403


@pytest.mark.parametrize(
    "origin",
    ["null", "", "https://Tenant.example.net", "https://tenant.example.net/", " https://tenant.example.net",
     "https://tenant.example.net:443x", "https://" + "a" * 300 + ".example.net", "https://tenant\r\n.example.net",
     "https://ténant.example.net"],
)  # fmt: skip
def test_a_malformed_oversized_or_null_origin_never_reaches_user_code(origin: str) -> None:
    decide = Recorder(allowed=frozenset({origin}))
    mw = CORSMiddleware(oracle_app, origins=[decide])
    response = call(mw, Request("GET", "/r", origin=origin))
    refused = call(mw, Request("OPTIONS", "/r", origin=origin, acrm="PUT"))
    assert response.cors() == {} and response.app_called
    assert refused.status.startswith("403") and refused.cors() == {}
    assert decide.asked == []


def test_an_exception_rejects_logs_a_warning_and_is_never_a_500(caplog: pytest.LogCaptureFixture) -> None:
    hostile = "https://evil.example\u2028.com"  # not well formed: never reaches the function
    decide = Recorder(answer=LookupError("tenant table locked"))
    test_app = client(origins=[STATIC, decide], supports_credentials=True)
    with caplog.at_level(logging.WARNING, logger="cors_wsgi"):
        response = get(test_app, TENANT)
        refused = preflight(test_app, TENANT)
        get(test_app, hostile)
    assert response.status_int == 200 and cors(response) == {} and response.headers["Vary"] == "Origin"
    assert refused.status_int == 403 and cors(refused) == {} and refused.headers["Vary"] == PREFLIGHT_VARY
    messages = [record.getMessage() for record in caplog.records if record.name == "cors_wsgi"]
    assert len(messages) == 2, messages
    for message in messages:
        assert repr(TENANT) in message and "LookupError('tenant table locked')" in message
        assert "Recorder" in message  # the function, named


def test_nothing_is_cached_by_the_middleware() -> None:
    decide = Recorder()
    test_app = client(origins=[decide], max_age=600)
    for _ in range(3):
        get(test_app, TENANT)
        preflight(test_app, TENANT)  # the preflight cache keeps headers, never the function's verdict
    assert decide.asked == [TENANT] * 6
    decide.allowed = frozenset()  # the database changed
    assert cors(get(test_app, TENANT)) == {}
    assert preflight(test_app, TENANT).status_int == 403


def test_every_covered_response_varies_by_origin() -> None:
    test_app = client(origins=[Recorder()], resources=r"/r")
    for origin in (None, TENANT, OTHER):
        assert get(test_app, origin).headers["Vary"] == "Origin"
    assert "Vary" not in test_app.get("/uncovered").headers


def test_credentials_are_allowed_with_a_function() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test_app = client(origins=[Recorder()], supports_credentials=True)
    assert cors(get(test_app, TENANT)) == {
        "Access-Control-Allow-Origin": TENANT,
        "Access-Control-Allow-Credentials": "true",
    }
    assert cors(get(test_app, OTHER)) == {}


def test_a_function_next_to_star_is_never_asked_and_says_so() -> None:
    with pytest.warns(CORSConfigWarning, match="never asked"):
        mw = CORSMiddleware(app, origins=["*", Recorder()])
    assert mw.policy.lookup("/") is not None


def test_explain_debug_and_check_say_a_function_decided(caplog: pytest.LogCaptureFixture) -> None:
    def is_tenant_origin(origin: str) -> bool:
        return origin == TENANT

    with pytest.warns(CORSConfigWarning, match="debug"):
        mw = CORSMiddleware(app, origins=[STATIC, is_tenant_origin], debug=True)
    allowed = mw.explain("GET", "/r", {"Origin": TENANT})
    refused = mw.explain("OPTIONS", "/r", {"Origin": OTHER, "Access-Control-Request-Method": "PUT"})
    assert allowed.allowed and "is_tenant_origin()" in allowed.reason
    assert not refused.allowed and "is_tenant_origin() did not return True" in refused.reason
    assert "return True from the function" in (refused.fix or "")
    test_app = TestApp(mw)
    assert get(test_app, TENANT).headers["X-CORS-Debug"] == "origin allowed by is_tenant_origin()"
    assert preflight(test_app, TENANT).headers["X-CORS-Debug"] == "origin allowed by is_tenant_origin()"
    assert "X-CORS-Debug" not in get(test_app, OTHER).headers  # nothing for an origin that was refused
    assert "X-CORS-Debug" not in get(test_app, STATIC).headers  # a listed origin: nothing to explain
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        get(test_app, TENANT)
    assert any("is_tenant_origin()" in record.getMessage() for record in caplog.records)
    result = check_mapping({"origins": [STATIC, is_tenant_origin]}, prefix="", where="", source="test")
    assert result.ok and any("decided by" in rule and "is_tenant_origin()" in rule for rule in result.rules)


# --- the function's answers are a static list's ----------------------------------------------------------


def _with_function(options: dict[str, Any], chooser: gen.Chooser) -> tuple[dict[str, Any], dict[str, Any]]:
    """The configuration with some exact origins moved into a function, and with them written out."""

    def split(value: Any) -> tuple[Any, Any]:
        items = gen.as_list(value)
        moved = frozenset(item for item in items if isinstance(item, str) and well_formed(item) and chooser.chance(60))
        if not moved:
            return value, value
        kept = [item for item in items if not (isinstance(item, str) and item in moved)]
        return [*kept, lambda origin: origin in moved], value  # a pure function over the origin

    dynamic, static = dict(options), dict(options)
    if "origins" in options:
        dynamic["origins"], static["origins"] = split(options["origins"])
    if isinstance(options.get("resources"), dict):
        dynamic["resources"], static["resources"] = {}, {}
        for pattern, own in options["resources"].items():
            dynamic["resources"][pattern], static["resources"][pattern] = dict(own), dict(own)
            if "origins" in own:
                dynamic["resources"][pattern]["origins"], static["resources"][pattern]["origins"] = split(
                    own["origins"]
                )
    return dynamic, static


@settings(deadline=None, database=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**64 - 1))
def test_a_function_answers_as_its_allowed_set_written_out(seed: int) -> None:
    chooser = gen.RandomChooser(seed)
    options = gen.config(chooser, invalid_percent=0)
    dynamic, static = _with_function(options, chooser)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        try:
            written_out = CORSMiddleware(oracle_app, **static)
        except ConfigError:
            return
        decided = CORSMiddleware(oracle_app, **dynamic)
    for _ in range(40):
        request = gen.request(chooser, static)
        assert call(decided, request) == call(written_out, request), (options, request)


# --- reconfigure ------------------------------------------------------------------------------------------


def test_reconfigure_replaces_the_whole_configuration() -> None:
    mw = CORSMiddleware(app, origins=[STATIC], max_age=600, resources=r"/api/*")
    test_app = TestApp(mw)
    assert (
        test_app.options("/api/x", headers={"Origin": STATIC, "Access-Control-Request-Method": "PUT"}).headers[
            "Access-Control-Max-Age"
        ]
        == "600"
    )
    mw.reconfigure(origins=[TENANT])
    assert cors(get(test_app, TENANT)) == {"Access-Control-Allow-Origin": TENANT}  # resources back to r"/*"
    assert cors(get(test_app, STATIC)) == {}
    answer = preflight(test_app, TENANT)
    assert "Access-Control-Max-Age" not in answer.headers  # max_age back to its default


def test_a_refused_configuration_leaves_the_old_one_serving() -> None:
    mw = CORSMiddleware(app, origins=[STATIC])
    before = mw.policy
    with pytest.raises(ConfigError) as refused:
        mw.reconfigure(origins=["*"], supports_credentials=True, max_age=-1)
    assert len(refused.value.problems) == 2
    assert mw.policy is before
    assert cors(get(TestApp(mw), STATIC)) == {"Access-Control-Allow-Origin": STATIC}


def test_reconfigure_takes_the_constructor_options_only() -> None:
    mw = CORSMiddleware(app)
    with pytest.raises(ConfigError, match="did you mean 'origins'"):
        mw.reconfigure(origin=[STATIC])  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        mw.reconfigure([STATIC])  # type: ignore[call-arg]


def test_each_response_is_entirely_the_old_or_the_new_configuration() -> None:
    """8 request threads against one that keeps swapping two configurations: every response must equal
    one configuration's answer, header for header; a mix of the two (the old origin with the new
    max_age, say) fails."""
    first = {"origins": [STATIC], "max_age": 100, "methods": ["GET", "PUT"], "expose_headers": ["X-One"]}
    second = {"origins": [TENANT, STATIC], "max_age": 200, "methods": ["GET", "PATCH"], "supports_credentials": True}
    requests = [
        Request("GET", "/r", origin=STATIC),
        Request("GET", "/r", origin=TENANT),
        Request("OPTIONS", "/r", origin=STATIC, acrm="PUT"),
        Request("OPTIONS", "/r", origin=STATIC, acrm="PATCH"),
        Request("OPTIONS", "/r", origin=TENANT, acrm="PATCH", acrh="x-one"),
    ]
    reference = {
        id(request): {repr(call(CORSMiddleware(oracle_app, **config), request)) for config in (first, second)}
        for request in requests
    }
    for request in requests:
        assert len(reference[id(request)]) == 2, request  # each request tells the two apart
    mw = CORSMiddleware(oracle_app, **first)
    stop = threading.Event()
    failures: list[str] = []
    counts = [0] * 8

    def swap() -> None:
        while not stop.is_set():
            mw.reconfigure(**second)
            mw.reconfigure(**first)

    def serve(thread: int) -> None:
        while not stop.is_set() and counts[thread] < 4000:
            request = requests[counts[thread] % len(requests)]
            seen = repr(call(mw, request))
            if seen not in reference[id(request)]:
                failures.append(f"{request}: {seen}")
            counts[thread] += 1

    swapper = threading.Thread(target=swap)
    workers = [threading.Thread(target=serve, args=(thread,)) for thread in range(8)]
    swapper.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    stop.set()
    swapper.join()
    assert failures == []
    assert sum(counts) == 8 * 4000
