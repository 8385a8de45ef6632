"""``python -m benchmarks``: options, the run, and ``--profile``."""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from . import report, scenarios, timing
from .apps import Peers

DEFAULT_ROUNDS = 1000
DEFAULT_BATCH_MS = 2.0
QUICK_ROUNDS = 5
QUICK_BATCH_MS = 0.3


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Per-request cost of cors_wsgi vs a bare WSGI app, two reference layers and its peers, "
        "measured in one process, interleaving the variants of each scenario round by round.",
    )
    parser.add_argument("--rounds", type=int, help=f"rounds (default {DEFAULT_ROUNDS}; --quick: {QUICK_ROUNDS})")
    parser.add_argument(
        "--batch-ms",
        type=float,
        help=f"target time of one batch of the slowest variant, in ms (default {DEFAULT_BATCH_MS})",
    )
    parser.add_argument("--quick", action="store_true", help="a few tiny batches: checks that the harness runs")
    parser.add_argument("--json", metavar="PATH", help="also write every figure to this JSON file")
    parser.add_argument(
        "--markdown", metavar="PATH", help="also write the README's Performance tables (Markdown) to this file"
    )
    parser.add_argument(
        "--only",
        metavar="SUBSTRING",
        action="append",
        help="run only scenarios whose name contains SUBSTRING (repeatable; e.g. --only trivial/ --only flask/allowed)",
    )
    parser.add_argument(
        "--profile",
        metavar="SCENARIO",
        help="instead of timing, run cProfile on the scenario's cors_wsgi variant and print the top functions "
        "(0.5 s worth of unprofiled requests, several times that under the profiler; 0.02 s with --quick)",
    )
    parser.add_argument(
        "--without",
        metavar="PACKAGE",
        action="append",
        default=[],
        help="behave as if PACKAGE (wsgicors, flask, flask-cors, django, django-cors-headers) were not installed",
    )
    parser.add_argument("--list", action="store_true", help="list the scenario names and exit")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.list:
        print("\n".join(scenarios.ALL))
        return 0
    if args.profile:
        return profile(args.profile, args.without, seconds=0.02 if args.quick else 0.5)

    rounds = args.rounds or (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    batch_ms = args.batch_ms or (QUICK_BATCH_MS if args.quick else DEFAULT_BATCH_MS)
    only = args.only or []

    def wanted(name: str) -> bool:
        return not only or any(part in name for part in only)

    peers = Peers(args.without)
    selected = scenarios.build(peers, wanted)
    info = report.environment()
    print(report.environment_line(info))
    for line in peers.skipped:
        print(line)
    if not selected:
        print(f"no scenario matches {only}; see --list")
        return 2

    checks = [item for scenario in selected for item in timing.check(scenario)]
    print(f"measuring {len(selected)} scenarios, {rounds} rounds, batches of ~{batch_ms:g} ms ...", flush=True)
    measurement = timing.measure(
        selected,
        rounds,
        batch_ms * 1e6,
        min_batch=5 if args.quick else 20,
        progress=not args.quick,
    )
    results = report.Results(selected, measurement, checks)
    verdicts = report.evaluate(results)

    print(f"\nmeasured in {measurement.seconds:.0f} s\n")
    print(report.table(results))
    print(report.LEGEND)
    problems = report.check_lines(checks)
    if problems:
        print("\nAnswers that differ from a correct CORS implementation's:")
        print("\n".join(f"  {line}" for line in problems))
    print("\nTargets (ratios from this run, each with a 95% bootstrap interval over its rounds):")
    print("\n".join(report.target_lines(verdicts)))
    end_load = report.load_average()
    if end_load:
        print(f"\nload average at the end: {end_load[0]:.2f} ({info['cpu_count']} CPUs)")
    if args.markdown:
        Path(args.markdown).write_text(report.markdown(results, verdicts, info, rounds, end_load), encoding="utf-8")
        print(f"wrote {args.markdown}")
    if args.json:
        settings: dict[str, Any] = {"rounds": rounds, "batch_ms": batch_ms, "quick": args.quick, "only": only}
        document = report.to_json(results, verdicts, info, settings, peers.skipped)
        report.write_json(args.json, document)
        print(f"wrote {args.json}")
    return 0


def profile(name: str, without: list[str], seconds: float = 0.5, top: int = 25) -> int:
    """cProfile over about ``seconds`` of the scenario's cors_wsgi variant, unprofiled (the profiler
    slows each call several times over, most for the smallest functions: read proportions, not times)."""
    matches = [candidate for candidate in scenarios.ALL if candidate == name] or [
        candidate for candidate in scenarios.ALL if name in candidate
    ]
    if len(matches) != 1:
        print(f"--profile needs one scenario; {name!r} matches {matches or 'none'} (see --list)")
        return 2
    peers = Peers(without)
    built = scenarios.build(peers, lambda candidate: candidate == matches[0])
    for line in peers.skipped:
        print(line)
    if not built:
        print(f"{matches[0]} cannot run here")
        return 2
    scenario = built[0]
    variant = scenario.variant(scenario.subject)
    assert variant is not None
    requests = scenario.requests_for(variant)
    timing.run_batch(variant.app, timing.batch_of(requests, 200))
    per_call = timing.run_batch(variant.app, timing.batch_of(requests, 2000)) / 2000
    calls = max(1000, int(seconds * 1e9 / per_call))
    batch = timing.batch_of(requests, calls)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(timing.run_batch, variant.app, batch)
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime")
    stats.print_stats(top)
    print(f"cProfile of {scenario.name} ({scenario.description}), variant {variant.name}:")
    print(f"{calls:,} requests in {elapsed:.2f} s under the profiler (unprofiled: {per_call:,.0f} ns per request)")
    print(f"Includes the harness loop ({timing.__name__}.run_batch) and the floor app; sorted by own time.")
    from cors_wsgi.middleware import ACCELERATED

    if ACCELERATED:
        print("cors_wsgi is compiled by mypyc here, and cProfile does not see inside compiled functions; to")
        print("profile the code itself, run from an editable install (pip install -e .), which is interpreted.")
    print(out.getvalue().rstrip())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
