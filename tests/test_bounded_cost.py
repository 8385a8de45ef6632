"""Bounded cost: an oversized ``Origin`` or ``Access-Control-Request-Headers`` is refused before it is
split, hashed, matched or scanned in any other way (product-contract.md, "Per-request cost stays bounded
whatever the input"; cors-protocol.md, "Unbounded ACRH parsing: an 8 KiB header of commas costs
milliseconds per request in some peers").

Nothing here is timed. Instead:

* :class:`OnlyLen` stands in for the oversized header value: an object whose only operations are
  ``len()`` and a short slice (what a log message may quote). Splitting, lower-casing, hashing (a dict or
  set lookup), comparing, iterating or running a regular expression on it fails the test (the regex
  engine refuses a non-``str``; every other operation raises), so the middleware can only answer if it
  decides from the length alone. PEP 3333 values are ``str``: this is a probe, not a real server value.
* :class:`Recording` is a real ``str`` that records which of its methods ran, for values within the caps:
  a 4096-character list of commas must be counted once and never split.
* For genuine ``str`` values (the C accelerator only takes exact ``str`` and would hand :class:`OnlyLen`
  to Python), the ``hash`` field of CPython's str object shows whether anything hashed the value.
* The number of Python function calls (``sys.setprofile``) made while answering is the same for an
  oversized value of 4 KiB and of 256 KiB: the work does not grow with the input.
"""

from __future__ import annotations

import ctypes
import gc
import os
import re
import sys
from typing import Any

import pytest
from _oracle import Request, call, oracle_app

from cors_wsgi import CORSMiddleware
from cors_wsgi.headers import MAX_ACRH_LENGTH, MAX_METHOD_LENGTH, parse_request_headers
from cors_wsgi.middleware import ACCELERATED
from cors_wsgi.origins import MAX_ORIGIN_LENGTH

KIB = 1024
ALLOWED = "https://app.example.com"

CONFIGS = {
    "star": {},
    "star+send_wildcard": {"send_wildcard": True},
    "exact+credentials": {"origins": [ALLOWED], "supports_credentials": True},
    "wildcard+regex": {"origins": ["https://*.example.com", re.compile(r"https://(a|b)\.example\.org")]},
    "allow_headers-list": {"origins": [ALLOWED], "allow_headers": ["X-A", r"x-custom-\d+"]},
    "manual-options": {"origins": [ALLOWED], "automatic_options": False},
    "private-network": {"origins": [ALLOWED], "allow_private_network": True},
}


class Scanned(AssertionError):
    pass


class OnlyLen:
    """A header value of ``length`` characters that allows nothing but ``len()`` and short slices."""

    MAX_SLICE = 300

    def __init__(self, length: int) -> None:
        self.length = length
        self.used: list[str] = []

    def __len__(self) -> int:
        self.used.append("len")
        return self.length

    def __getitem__(self, index: Any) -> str:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.length)
            if step == 1 and stop - start <= self.MAX_SLICE:
                self.used.append(f"slice[{start}:{stop}]")
                return "x" * (stop - start)
        raise Scanned(f"indexed with {index!r}")

    def __hash__(self) -> int:
        raise Scanned("hashed (a dict or set lookup reads every character)")

    def __eq__(self, other: object) -> bool:
        raise Scanned("compared")

    def __ne__(self, other: object) -> bool:
        raise Scanned("compared")

    def __iter__(self) -> Any:
        raise Scanned("iterated")

    def __contains__(self, item: object) -> bool:
        raise Scanned("searched")

    def __getattr__(self, name: str) -> Any:
        raise Scanned(f"str method {name!r} called")  # split, lower, strip, count, startswith, ...


SIZES = {"just-over-the-cap": None, "8KiB": 8 * KIB, "256KiB": 256 * KIB}


def oversized(cap: int, label: str) -> int:
    return SIZES[label] or cap + 1


def answer(options: dict[str, Any], request: Request, **hostile: Any):
    environ = request.environ()
    environ.update({"HTTP_" + name.upper(): value for name, value in hostile.items()})
    return call(CORSMiddleware(oracle_app, **options), request, environ)


# Each from an allowed origin with a valid rest, so nothing but the oversized value can refuse the preflight.
# An oversized Access-Control-Request-Method must not even be hashed (the preflight-cache lookups).
PREFLIGHT_CAPS = {"origin": MAX_ORIGIN_LENGTH, "access_control_request_method": MAX_METHOD_LENGTH}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("header", PREFLIGHT_CAPS)
def test_oversized_origin_or_acrm_on_preflight_is_refused_by_length_alone(header: str, config: str, size: str) -> None:
    value = OnlyLen(oversized(PREFLIGHT_CAPS[header], size))
    request = Request("OPTIONS", "/r", origin=ALLOWED, acrm="PUT", acrh="x-a")
    response = answer(CONFIGS[config], request, **{header: value})
    assert not response.cors()
    assert response.status.startswith("403") or response.app_called
    assert set(value.used) <= {"len"}, value.used


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("config", CONFIGS)
def test_oversized_origin_on_actual_request_is_refused_by_length_alone(config: str, size: str) -> None:
    origin = OnlyLen(oversized(MAX_ORIGIN_LENGTH, size))
    response = answer(CONFIGS[config], Request("GET", "/r", origin=ALLOWED), origin=origin)
    assert response.status == "200 OK" and response.app_called
    if config == "star+send_wildcard":
        assert response.cors() == {"access-control-allow-origin": "*"}  # the same for every Origin
    else:
        assert response.cors() == {}
    assert set(origin.used) <= {"len"}, origin.used


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("config", CONFIGS)
def test_oversized_acrh_is_refused_by_length_alone(config: str, size: str) -> None:
    """From an allowed origin, so nothing but the header list can refuse the preflight."""
    acrh = OnlyLen(oversized(MAX_ACRH_LENGTH, size))
    request = Request("OPTIONS", "/r", origin=ALLOWED, acrm="PUT")
    response = answer(CONFIGS[config], request, access_control_request_headers=acrh)
    assert not response.cors()
    assert response.status.startswith("403") or response.app_called
    assert all(use == "len" or use.startswith("slice[") for use in acrh.used), acrh.used


# Stand-ins that record which str methods ran: compiled code calls str's C functions directly and never
# sees them, so these pin the interpreted build; test_an_oversized_str_is_never_hashed covers both.
interpreted_only = pytest.mark.skipif(ACCELERATED, reason="compiled code bypasses a str subclass's methods")


@interpreted_only
def test_parser_refuses_oversized_value_by_length_alone() -> None:
    value = OnlyLen(256 * KIB)
    assert parse_request_headers(value) is None  # type: ignore[arg-type]
    assert value.used == ["len"]


class Recording(str):
    """A real ``str`` that records which of its scanning methods ran."""

    used: list[str]


def _recorded(name: str) -> Any:
    method = getattr(str, name)

    def recorded(self: Recording, *args: Any) -> Any:
        self.used.append(name)
        return method(self, *args)

    return recorded


for _name in ("split", "rsplit", "lower", "upper", "strip", "count", "find", "partition", "replace"):
    setattr(Recording, _name, _recorded(_name))


def recording(text: str) -> Recording:
    value = Recording(text)
    value.used = []
    return value


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("," * MAX_ACRH_LENGTH, id="4096-commas"),
        pytest.param("x," * (MAX_ACRH_LENGTH // 2), id="2048-names"),
        pytest.param("a," * 129, id="129-commas"),
    ],
)
@interpreted_only
def test_too_many_commas_are_counted_once_never_split(text: str) -> None:
    value = recording(text)
    assert len(value) <= MAX_ACRH_LENGTH
    assert parse_request_headers(value) is None
    assert value.used == ["count"]


@interpreted_only
def test_a_normal_list_is_split_once() -> None:
    value = recording("x-a,x-b")
    assert parse_request_headers(value) == ["x-a", "x-b"]
    assert value.used == ["count", "lower"]  # lower() returns a plain str, which is then split once


_HYPOTHESIS = os.sep + "hypothesis" + os.sep


def python_calls(middleware: CORSMiddleware, environ: dict[str, Any]) -> int:
    """How many Python and C function calls answering one request takes."""
    request = Request("OPTIONS", "/r")
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call") and _HYPOTHESIS not in frame.f_code.co_filename:
            count += 1

    # A garbage collection inside the call runs Python code that is not the request's: hypothesis times
    # collections with GC hooks (on PyPy, gc.hooks, which fire on minor collections too; they once counted
    # 2,291 extra calls at 256 KiB), and a major collection may run finalizers.
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    sys.setprofile(profile)
    try:
        call(middleware, request, dict(environ))
    finally:
        sys.setprofile(None)
        if enabled:
            gc.enable()
    return count


@pytest.mark.parametrize("header", ["HTTP_ORIGIN", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"])
@pytest.mark.parametrize("config", CONFIGS)
def test_work_does_not_grow_with_the_size_of_a_hostile_value(config: str, header: str) -> None:
    middleware = CORSMiddleware(oracle_app, **CONFIGS[config])
    base = Request("OPTIONS", "/r", origin=ALLOWED, acrm="PUT", acrh="x-a").environ()
    costs = {}
    for size in (5 * KIB, 64 * KIB, 256 * KIB):
        filler = "a," * (size // 2) if header.endswith("HEADERS") else "https://" + "a" * size + ".test"
        environ = {**base, header: filler}
        python_calls(middleware, environ)  # warm up: first-call caches (logging's level cache) are not per request
        costs[size] = python_calls(middleware, environ)
    assert len(set(costs.values())) == 1, costs


# --- real str values: the C accelerator only takes exact str, so OnlyLen would send it to Python ------------


def hash_computed(value: str) -> bool:
    """Whether CPython has computed (and cached) ``hash(value)``: the ``hash`` field of its str object,
    after the object header and the length, stays -1 until something hashes it (a dict or set lookup)."""
    offset = object.__basicsize__ + ctypes.sizeof(ctypes.c_ssize_t)
    return ctypes.c_ssize_t.from_address(id(value) + offset).value != -1


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="reads CPython's str layout")
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize(
    ("kind", "header", "cap"),
    [
        ("preflight", "HTTP_ORIGIN", MAX_ORIGIN_LENGTH),
        ("preflight", "HTTP_ACCESS_CONTROL_REQUEST_METHOD", MAX_METHOD_LENGTH),
        ("preflight", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS", MAX_ACRH_LENGTH),
        ("actual", "HTTP_ORIGIN", MAX_ORIGIN_LENGTH),
    ],
)
def test_an_oversized_str_is_never_hashed(config: str, kind: str, header: str, cap: int) -> None:
    """The same property as above for genuine ``str`` values, through whichever implementation serves
    requests (the C accelerator when compiled): no dict or set lookup ever hashes the oversized value."""
    unused = "".join(["x"] * 8)  # built at run time: a fresh str whose hash is not computed yet
    assert not hash_computed(unused)
    hash(unused)
    assert hash_computed(unused)  # the probe reads the right field

    middleware = CORSMiddleware(oracle_app, **CONFIGS[config])
    request = Request("OPTIONS", "/r", origin=ALLOWED, acrm="PUT", acrh="x-a")
    if kind == "actual":
        request = Request("GET", "/r", origin=ALLOWED)
    for size in (cap + 1, 256 * KIB):
        value = "".join(["a"] * size)
        environ = request.environ()
        environ[header] = value
        response = call(middleware, request, environ)
        assert not hash_computed(value), f"{header} of {size} characters was hashed"
        if kind == "preflight":
            assert not response.cors()
