"""One middleware instance shared by many threads, as gunicorn's gthread workers and waitress use it.

Eight threads hammer the same ``CORSMiddleware`` with a mix of preflights (which fill its preflight cache
while others read it), actual requests, allowed, refused and malformed origins, on paths covered by rules
with different policies and on paths no rule covers. Every response is checked against the reference in
``_oracle.py``, and every header list handed to the "server" is kept alive, so that two responses can be
shown never to share one list object (a server may append to the list it is given; a list shared between
two responses on two threads would corrupt both). The wrapped application deliberately hands the
middleware the same list object for every response, which it must never mutate, and must pass on only
where it leaves the response untouched (paths no rule covers, the application's own
``Access-Control-Allow-Origin``, 5xx with ``intercept_exceptions=False``), as if it were not there.

The interpreter's thread switch interval is shortened for the test so that threads really interleave
inside the middleware.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import _generators as gen
from _load_app import LOAD_OPTIONS
from _oracle import APP_STATUSES, Request, Response, app_headers, call, check

from cors_wsgi import CORSMiddleware

THREADS = 8
REQUESTS_PER_THREAD = 1000

OPTIONS = LOAD_OPTIONS  # the same rules the real-server load test serves: several policies side by side

# The application's own header lists: one object per mode, reused for every response.
SHARED = {mode: app_headers(mode) for mode in ("plain", "vary")}
SHARED_COPIES = {mode: list(headers) for mode, headers in SHARED.items()}


def shared_list_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    mode, _, status = environ["HTTP_X_TEST_APP"].partition(":")
    environ["test.calls"].append(1)
    # An application that sets its own Access-Control-Allow-Origin gets its list handed through untouched
    # (the contract: "its CORS headers win and the middleware adds nothing"), so that one is fresh here.
    start_response(APP_STATUSES[int(status)], SHARED.get(mode) or app_headers(mode))
    return [b"app body"]


def requests_for(thread: int) -> list[Request]:
    chooser = gen.RandomChooser(1000 + thread)
    return [gen.request(chooser, OPTIONS) for _ in range(REQUESTS_PER_THREAD)]


def test_one_instance_hammered_by_eight_threads() -> None:
    middleware = CORSMiddleware(shared_list_app, **OPTIONS)
    plans = [requests_for(thread) for thread in range(THREADS)]
    responses: list[list[tuple[Request, Response]]] = [[] for _ in range(THREADS)]
    failures: list[str] = []
    barrier = threading.Barrier(THREADS)

    def worker(thread: int) -> None:
        barrier.wait()
        for request in plans[thread]:
            try:
                response = call(middleware, request)
                responses[thread].append((request, response))  # keeps every header list alive
            except BaseException as error:  # reported below, with the request
                failures.append(f"{request!r}: {error!r}")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=worker, args=(thread,)) for thread in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    finally:
        sys.setswitchinterval(interval)

    assert failures == []
    everything = [pair for per_thread in responses for pair in per_thread]
    assert len(everything) == THREADS * REQUESTS_PER_THREAD

    # Checked after the run, so the checks do not serialise the threads; the reference is pure.
    problems = []
    kinds = {"preflight allowed": 0, "preflight refused": 0, "actual": 0, "not covered": 0, "untouched": 0}
    built: list[list[tuple[str, str]]] = []
    for request, response in everything:
        try:
            want = check(OPTIONS, request, response)
        except AssertionError as error:
            problems.append(f"{request!r} -> {response!r}: {error}")
            continue
        if want.untouched:
            # Not covered, the application's own ACAO, or a 5xx left alone: the application's very list,
            # exactly as if the middleware were not there.
            kinds["not covered" if not want.covered else "untouched"] += 1
            if request.app_mode in SHARED:
                assert response.headers is SHARED[request.app_mode]
            continue
        built.append(response.headers)
        if want.preflight:
            kinds["preflight allowed" if want.allowed else "preflight refused"] += 1
        else:
            kinds["actual"] += 1
    assert problems == [], f"{len(problems)} wrong responses, e.g. {problems[:3]}"
    assert all(count >= 50 for count in kinds.values()), kinds

    # Every list the middleware handed over is its own object: all are alive, so distinct ids mean
    # distinct lists; and none of them is the application's (which would then be mutated by the server).
    assert len({id(headers) for headers in built}) == len(built)
    assert not any(headers is shared for headers in built for shared in SHARED.values())
    assert SHARED == SHARED_COPIES, "the application's own header lists were mutated"
