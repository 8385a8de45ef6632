"""The measuring loop: interleaved rounds of fixed-size batches, timed with ``perf_counter_ns``.

Each request is what a WSGI server does, minus the network: a shallow copy of the scenario's environ
(servers build a new dict per request; the copy costs the same for every variant, so it is part of the
floor), ``app(environ, start_response)`` with a trivial ``start_response``, iterate the body, call its
``close()`` if it has one.

A round times one batch of every variant of every scenario, the variants of a scenario back to back in
an order that rotates from round to round; rounds repeat. So each variant is measured in the same
conditions as the others of its scenario (a burst of load from another process hits one round of all
of them, not all rounds of one), and the median over rounds ignores such bursts. The garbage collector
is off during a batch and back on between batches.
"""

from __future__ import annotations

import gc
import sys
import time
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any, Callable

from .apps import Environ, WSGIApp
from .scenarios import Scenario, Variant


def _write(data: bytes) -> None:
    """The ``write()`` callable a server returns from ``start_response``."""


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
    return _write


def run_batch(app: WSGIApp, requests: list[Environ]) -> int:
    """Serve every request in ``requests`` once; the elapsed nanoseconds."""
    respond = start_response
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = perf_counter_ns()
        for env in requests:
            body = app(env.copy(), respond)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return perf_counter_ns() - start
    finally:
        if enabled:
            gc.enable()


def batch_of(requests: list[Environ], size: int) -> list[Environ]:
    """``size`` requests, cycling through ``requests`` (built once, outside the timed loop)."""
    return [requests[i % len(requests)] for i in range(size)]


@dataclass
class Check:
    scenario: str
    variant: str
    role: str
    status: str
    acao: str | None
    expected: bool | None
    """Whether Access-Control-Allow-Origin should be present; None: not checked (floor, R0, R1)."""

    @property
    def ok(self) -> bool:
        return self.expected is None or (self.acao is not None) == self.expected


def respond_once(app: WSGIApp, env: Environ) -> tuple[str, list[tuple[str, str]]]:
    captured: list[tuple[str, list[tuple[str, str]]]] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        captured.append((status, list(headers)))
        return _write

    body = app(env.copy(), capture)
    try:
        for _chunk in body:
            pass
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return captured[-1]


def check(scenario: Scenario) -> list[Check]:
    """One request per variant before timing: is each one configured as the scenario assumes?"""
    checks = []
    for variant in scenario.variants:
        status, headers = respond_once(variant.app, scenario.requests_for(variant)[0])
        acao = next((value for name, value in headers if name.lower() == "access-control-allow-origin"), None)
        expected: bool | None = variant.expect_acao if variant.expect_acao is not None else scenario.expect_acao
        if variant.role not in ("subject", "alt", "peer"):
            expected = None  # the floor and the reference layers are not CORS implementations
        checks.append(Check(scenario.name, variant.name, variant.role, status, acao, expected))
    return checks


def calibrate(scenario: Scenario, batch_ns: float, min_batch: int, max_batch: int) -> int:
    """The batch size (the same for every variant of the scenario) at which its slowest variant takes
    about ``batch_ns``: long enough to dwarf the timer, short enough for many rounds."""
    slowest = 0.0
    for variant in scenario.variants:
        requests = scenario.requests_for(variant)
        run_batch(variant.app, batch_of(requests, min(200, max_batch)))  # warm caches and lazy setup
        size = 16
        while True:
            elapsed = run_batch(variant.app, batch_of(requests, size))
            if elapsed >= min(2_000_000, batch_ns) or size >= max_batch:
                break
            size *= 4
        slowest = max(slowest, elapsed / size)
    return max(min_batch, min(max_batch, int(batch_ns / max(slowest, 1.0))))


@dataclass
class Measurement:
    batch: dict[str, int]
    """Scenario name -> calls per batch."""
    samples: dict[str, dict[str, list[float]]]
    """Scenario name -> variant name -> per-request nanoseconds, one value per round (in round order)."""
    seconds: float


def measure(
    scenarios: list[Scenario],
    rounds: int,
    batch_ns: float,
    min_batch: int = 20,
    max_batch: int = 50_000,
    progress: bool = True,
) -> Measurement:
    start = time.monotonic()
    sizes = {scenario.name: calibrate(scenario, batch_ns, min_batch, max_batch) for scenario in scenarios}
    batches: list[tuple[Scenario, list[tuple[Variant, list[Environ]]]]] = [
        (scenario, [(v, batch_of(scenario.requests_for(v), sizes[scenario.name])) for v in scenario.variants])
        for scenario in scenarios
    ]
    samples: dict[str, dict[str, list[float]]] = {s.name: {v.name: [] for v in s.variants} for s in scenarios}
    report_every = max(1, rounds // 10)
    for round_index in range(rounds):
        for scenario, variants in batches:
            shift = round_index % len(variants)
            for variant, requests in variants[shift:] + variants[:shift]:
                elapsed = run_batch(variant.app, requests)
                samples[scenario.name][variant.name].append(elapsed / len(requests))
        if progress and ((round_index + 1) % report_every == 0 or round_index + 1 == rounds):
            print(
                f"  round {round_index + 1}/{rounds} ({time.monotonic() - start:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    return Measurement(sizes, samples, time.monotonic() - start)
