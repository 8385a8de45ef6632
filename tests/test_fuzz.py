"""Random configurations x random requests, checked against the naive reference in ``_oracle.py``.

For every generated request the middleware must: not raise; hand the server PEP 3333 headers (native
strings, latin-1, no CR/LF or other control characters; also checked by ``wsgiref.validate`` on both
sides of the middleware whenever the request is one ``validate`` accepts); send an
``Access-Control-Allow-Origin`` that is ``*`` or byte-equal to the request's ``Origin`` *and* allowed by
the reference; never pair ``ACAO: *`` with ``ACAC: true``; answer an allowed preflight with a 2xx; and,
beyond those invariants, answer exactly what the reference expects (status, every ``Access-Control-*``
header, ``Vary``, whether the application ran, an untouched response where it must be left alone).

Configurations come from pools covering every option and every origin and path form; a few of them are
invalid on purpose, and ``ConfigError`` must be raised exactly for those (``config_is_valid``). Requests
mix what browsers send with near misses (suffix and prefix attacks, case, trailing slash, ports, CR/LF,
commas) and raw latin-1 text, on paths with ``%``, ``+``, ``../`` and UTF-8-as-latin-1.

* ``test_fuzz_shrinkable`` (default run): Hypothesis draws every choice, so a failure shrinks to a small
  configuration and request (about 300 configurations, 900 requests).
* ``test_fuzz_sample`` (default run): Hypothesis draws the configurations (about 400) and a seed for each;
  25 requests per configuration come from ``random.Random(seed)`` (about 8 500 requests).
* ``test_fuzz_100k`` (``python -m pytest -m slow tests/test_fuzz.py``): Hypothesis draws seeds; each
  seed gives a configuration and 400 requests from ``random.Random``, at least 100 000 in all.

Two bugs it found are fixed and now generated on purpose: ``origins=["*", exact...]`` with
``send_wildcard`` answering an exact origin with itself instead of ``*``, and a malformed ``Origin``
allowed from the wildcard preflight cache.

Both print their counts (``-s`` shows them) and assert that every kind of outcome was exercised.
"""

from __future__ import annotations

import collections
import time
import warnings
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import _generators as gen
import pytest
from _oracle import Request, Response, call, check, oracle_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_wsgi import ConfigError, CORSConfigWarning, CORSMiddleware

# wsgiref.validate warns about odd REQUEST_METHODs, which the fuzzer sends on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::wsgiref.validate.WSGIWarning")

OUTCOMES = (
    "not covered",
    "no origin",
    "actual allowed",
    "actual refused",
    "preflight allowed",
    "preflight refused",
    "left untouched",
)


class Stats:
    def __init__(self) -> None:
        self.valid = 0
        self.invalid = 0
        self.requests = 0
        self.validated = 0
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.started = time.perf_counter()

    def summary(self, name: str) -> str:
        configs = self.valid + self.invalid
        seconds = time.perf_counter() - self.started
        outcomes = ", ".join(f"{key}: {self.outcomes[key]}" for key in OUTCOMES)
        return (
            f"{name}: {self.requests} requests ({self.validated} also under wsgiref.validate) over "
            f"{self.valid} valid configurations; {self.invalid} of {configs} generated configurations were "
            f"invalid ({self.invalid / max(configs, 1):.1%}); {seconds:.1f} s\n  {outcomes}"
        )

    def assert_everything_exercised(self, minimum: int) -> None:
        for key in OUTCOMES:
            assert self.outcomes[key] >= minimum, self.summary("not every outcome was exercised")


def build(options: dict[str, Any], stats: Stats) -> tuple[CORSMiddleware, CORSMiddleware] | None:
    """The middleware around the application, and around ``validator(application)``; None when the
    configuration is (rightly) refused."""
    valid = gen.config_is_valid(options)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CORSConfigWarning)  # risky but legal settings warn by design
            middleware = CORSMiddleware(oracle_app, **options)
            checked = CORSMiddleware(validator(oracle_app), **options)
    except ConfigError:
        assert not valid, f"ConfigError for a valid configuration: {options!r}"
        stats.invalid += 1
        return None
    assert valid, f"no ConfigError for an invalid configuration: {options!r}"
    stats.valid += 1
    return middleware, checked


def validated_environ(request: Request) -> dict[str, Any] | None:
    """A complete environ for ``wsgiref.validate``, or None if it would refuse the request itself."""
    if request.path and not request.path.startswith("/"):
        return None
    environ = request.environ()
    setup_testing_defaults(environ)
    return environ


def run(
    options: dict[str, Any], middlewares: tuple[CORSMiddleware, CORSMiddleware], request: Request, stats: Stats
) -> None:
    environ = validated_environ(request)
    if environ is None:
        response: Response = call(middlewares[0], request)
    else:
        # wsgiref's checker on both sides: what the application hands the middleware, and what the
        # middleware hands the server.
        response = call(validator(middlewares[1]), request, environ)
        stats.validated += 1
    try:
        want = check(options, request, response)
    except AssertionError as error:
        context = f"\n  options={options!r}\n  request={request!r}\n  response={response!r}"
        raise AssertionError(f"{error}{context}") from None
    stats.requests += 1
    if not want.covered:
        stats.outcomes["not covered"] += 1
    elif want.untouched:
        stats.outcomes["left untouched"] += 1
    elif want.preflight:
        stats.outcomes["preflight allowed" if want.allowed else "preflight refused"] += 1
    elif request.origin is None:
        stats.outcomes["no origin"] += 1
    else:
        stats.outcomes["actual allowed" if want.cors else "actual refused"] += 1


FUZZ = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_fuzz_shrinkable() -> None:
    """Every choice from Hypothesis: a failure shrinks to a minimal configuration and request."""
    stats = Stats()

    @settings(FUZZ, max_examples=300)
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        chooser = gen.HypothesisChooser(data)
        options = gen.config(chooser)
        middlewares = build(options, stats)
        if middlewares is not None:
            for _ in range(chooser.integer(1, 6)):
                run(options, middlewares, gen.request(chooser, options), stats)

    fuzz()
    print("\n" + stats.summary("fuzz, shrinkable"))
    assert stats.requests >= 300


def test_fuzz_sample() -> None:
    """Configurations from Hypothesis, a seeded batch of requests for each: the CI sample."""
    stats = Stats()

    @settings(FUZZ, max_examples=400)
    @given(st.data(), st.integers(0, 2**64 - 1))
    def fuzz(data: st.DataObject, seed: int) -> None:
        options = gen.config(gen.HypothesisChooser(data))
        middlewares = build(options, stats)
        if middlewares is not None:
            requests = gen.RandomChooser(seed)
            for _ in range(25):
                run(options, middlewares, gen.request(requests, options), stats)

    fuzz()
    print("\n" + stats.summary("fuzz sample"))
    # Usually 10-17% of the configurations are invalid, but Hypothesis sometimes steers its search into
    # the invalid branches (29.8% seen once): these bounds only catch a generator gone mostly to waste.
    assert stats.requests >= 5000
    assert stats.invalid / (stats.valid + stats.invalid) < 0.4
    stats.assert_everything_exercised(minimum=50)


@pytest.mark.slow
def test_fuzz_100k() -> None:
    """At least 100 000 requests: each seed gives a configuration and 400 requests."""
    stats = Stats()

    @settings(FUZZ, max_examples=320)
    @given(st.integers(0, 2**64 - 1))
    def fuzz(seed: int) -> None:
        chooser = gen.RandomChooser(seed)
        options = gen.config(chooser)
        middlewares = build(options, stats)
        if middlewares is not None:
            for _ in range(400):
                run(options, middlewares, gen.request(chooser, options), stats)

    fuzz()
    print("\n" + stats.summary("fuzz 100k"))
    assert stats.requests >= 100_000
    assert stats.invalid / (stats.valid + stats.invalid) < 0.2
    stats.assert_everything_exercised(minimum=1000)
