"""Statistics, ratios, the contract's targets, the printed table and the JSON file.

Definitions (also printed under the table):

* ``median``: the median over rounds of one batch's per-request time; ``p25..p75`` its interquartile
  range, ``min``/``max`` (JSON) its extremes.
* ``overhead``: ``median(variant) - median(floor)``, the floor being the application alone.
* a ratio divides two such figures (overheads, or totals) from the same scenario, hence the same rounds;
  targets also show a 95 % bootstrap interval (rounds resampled), the noise of this run. A ratio whose
  denominator is not above zero (an overhead lost in noise) is reported as ``n/a``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .scenarios import Scenario
from .timing import Check, Measurement

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Stats:
    median: float
    min: float
    q1: float
    q3: float
    max: float


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (``statistics.quantiles(method="inclusive")``), safe
    with infinite values (which ``statistics`` would turn into NaN)."""
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    a, b = ordered[low], ordered[high]
    if low == high or a == b:
        return a
    fraction = position - low
    if math.isinf(a) or math.isinf(b):
        return b if fraction >= 0.5 else a
    return a + (b - a) * fraction


def stats(values: Sequence[float]) -> Stats:
    ordered = sorted(values)
    return Stats(quantile(ordered, 0.5), ordered[0], quantile(ordered, 0.25), quantile(ordered, 0.75), ordered[-1])


@dataclass(frozen=True)
class Ratio:
    value: float | None
    """None when the denominator is not above zero (an overhead lost in noise)."""
    low: float | None
    high: float | None
    """A 95 % bootstrap interval over rounds (None unless asked for; infinite bounds are None)."""
    numerator: float
    denominator: float


BOOTSTRAP_RESAMPLES = 200


class Results:
    """The measurement of a list of scenarios, with the arithmetic the report needs."""

    def __init__(self, scenarios: list[Scenario], measurement: Measurement, checks: list[Check]) -> None:
        self.scenarios = {scenario.name: scenario for scenario in scenarios}
        self.measurement = measurement
        self.checks = checks

    def has(self, scenario: str, *variants: str) -> bool:
        samples = self.measurement.samples.get(scenario)
        return samples is not None and all(variant in samples for variant in variants)

    def samples(self, scenario: str, variant: str) -> list[float]:
        return self.measurement.samples[scenario][variant]

    def stats(self, scenario: str, variant: str) -> Stats:
        return stats(self.samples(scenario, variant))

    def floor(self, scenario: str) -> str:
        return self.scenarios[scenario].variants[0].name

    def ratio(self, scenario: str, numerator: str, denominator: str, measure: str, interval: bool = False) -> Ratio:
        """``measure`` (``overhead`` or ``total``) of ``numerator`` / the same of ``denominator``.

        Each figure comes from medians over rounds (overhead = median - the floor's median), and the
        ratio is taken last: a ratio per round would divide by one batch's overhead, which on a busy
        machine is often lost in noise. With ``interval``, the rounds are resampled (keeping each
        round's batches together) to give a 95 % bootstrap interval of the ratio.
        """
        series = [self.samples(scenario, numerator), self.samples(scenario, denominator)]
        if measure == "overhead":
            series.append(self.samples(scenario, self.floor(scenario)))

        def figures(rows: Sequence[int] | None) -> tuple[float, float]:
            medians = [statistics.median(values if rows is None else [values[i] for i in rows]) for values in series]
            if measure == "overhead":
                return medians[0] - medians[2], medians[1] - medians[2]
            return medians[0], medians[1]

        top, bottom = figures(None)
        low = high = None
        if interval:
            rng = random.Random(0)  # the same resamples for the same data: reruns differ by the data only
            count = len(series[0])
            estimates = []
            for _ in range(BOOTSTRAP_RESAMPLES):
                t, b = figures(rng.choices(range(count), k=count))
                estimates.append(t / b if b > 0 else math.inf)
            estimates.sort()
            low, high = _finite(quantile(estimates, 0.025)), _finite(quantile(estimates, 0.975))
        return Ratio(top / bottom if bottom > 0 else None, low, high, top, bottom)


# --- the contract's targets --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    id: str
    text: str
    scenario: str
    numerator: str
    denominator: str
    measure: str
    """``overhead`` or ``total`` (per-request time, floor included)."""
    threshold: float
    """The ratio must be at most this."""
    inverse_label: str = ""
    """When set, the ratio is also shown inverted under this label (``flask-cors / cors_wsgi``)."""


def _targets() -> list[Target]:
    targets = []
    for name, what in (
        ("no-origin", "no Origin"),
        ("rejected", "rejected Origin"),
        ("rotating-rejected", "a different rejected Origin each time"),
        ("allowed", "allowed Origin"),
    ):
        targets.append(
            Target(
                f"covered-{name}",
                f"covered path, {what}: overhead <= 1.5 x R1's",
                f"trivial/{name}",
                "cors_wsgi",
                "R1",
                "overhead",
                1.5,
            )
        )
    targets.append(
        Target(
            "uncovered",
            "path not covered: overhead <= 1.5 x R0's",
            "trivial/uncovered",
            "cors_wsgi",
            "R0",
            "overhead",
            1.5,
        )
    )
    for name in ("allowed", "rejected"):
        targets.append(
            Target(
                f"preflight-{name}",
                f"preflight ({name}): total <= 0.5 x wsgicors' total",
                f"trivial/preflight-{name}",
                "cors_wsgi",
                "wsgicors",
                "total",
                0.5,
            )
        )
    for name, measure in (("allowed", "overhead"), ("rejected", "overhead"), ("preflight", "total")):
        targets.append(
            Target(
                f"1000-origins-{name}",
                f"1000 exact origins vs 1 ({name}): {measure} ratio <= 1.1",
                f"trivial/1000-origins-{name}",
                "cors_wsgi[1000 origins]",
                "cors_wsgi",
                measure,
                1.1,
            )
        )
    for size in (256, 8):
        targets.append(
            Target(
                f"acrh-{size}k",
                f"preflight with a hostile {size} KiB ACRH vs a normal one: total ratio <= 1.5",
                f"trivial/acrh-{size}k",
                f"cors_wsgi[acrh {size} KiB]",
                "cors_wsgi",
                "total",
                1.5,
            )
        )
    targets.append(
        Target(
            "function-beside-static",
            "a function in origins: a listed origin's overhead <= 1.05 x without it",
            "trivial/allowed",
            "cors_wsgi[+function]",
            "cors_wsgi",
            "overhead",
            1.05,
        )
    )
    for subject, label in (("flask+cors_wsgi", "cors_wsgi"), ("flask+cors_wsgi.flask", "cors_wsgi.flask")):
        for name in ("no-origin", "allowed", "rejected", "uncovered", "preflight-allowed", "preflight-rejected"):
            targets.append(
                Target(
                    f"flask-{name}" if label == "cors_wsgi" else f"flask-dropin-{name}",
                    f"around Flask ({label}), {name}: >= 10 x less overhead than flask-cors "
                    f"({label} / flask-cors <= 0.1)",
                    f"flask/{name}",
                    subject,
                    "flask+flask-cors",
                    "overhead",
                    0.1,
                    inverse_label=f"flask-cors / {label}",
                )
            )
    for name in ("allowed", "rejected", "preflight-allowed"):
        targets.append(
            Target(
                f"flask-view-{name}",
                f"a @cross_origin view, {name}: >= 10 x less overhead than flask-cors' decorator (<= 0.1)",
                f"flask-view/{name}",
                "flask+@cross_origin(cors_wsgi.flask)",
                "flask+@cross_origin(flask-cors)",
                "overhead",
                0.1,
                inverse_label="flask-cors / cors_wsgi.flask",
            )
        )
    return targets


TARGETS = _targets()


@dataclass(frozen=True)
class Verdict:
    target: Target
    status: str
    """``PASS``, ``FAIL``, ``n/a`` (denominator lost in noise), ``skipped`` (a peer is missing) or
    ``not measured`` (scenario not selected)."""
    ratio: Ratio | None
    detail: str


def evaluate(results: Results) -> list[Verdict]:
    verdicts = []
    for target in TARGETS:
        if target.scenario not in results.measurement.samples:
            verdicts.append(Verdict(target, "not measured", None, "scenario not selected"))
            continue
        if not results.has(target.scenario, target.numerator, target.denominator):
            verdicts.append(Verdict(target, "skipped", None, "a variant is missing (peer not installed?)"))
            continue
        ratio = results.ratio(target.scenario, target.numerator, target.denominator, target.measure, interval=True)
        if ratio.value is None:
            detail = f"{target.denominator} {target.measure} = {ratio.denominator:,.0f} ns: lost in noise"
            verdicts.append(Verdict(target, "n/a", ratio, detail))
            continue
        detail = f"{ratio.value:.2f} (95% interval {_fmt_ratio(ratio.low)}..{_fmt_ratio(ratio.high)})"
        if target.inverse_label:
            if ratio.numerator <= 0:
                inverse = "cors_wsgi's measured overhead is not above zero"
            else:
                inverse = f"{ratio.denominator / ratio.numerator:.1f} x"
            detail += f"; {target.inverse_label} = {inverse}"
        detail += f"; {target.numerator} {ratio.numerator:,.0f} ns / {target.denominator} {ratio.denominator:,.0f} ns"
        status = "PASS" if ratio.value <= target.threshold else "FAIL"
        verdicts.append(Verdict(target, status, ratio, detail))
    return verdicts


def _fmt_ratio(value: float | None) -> str:
    return "inf" if value is None else f"{value:.2f}"


# --- the table ----------------------------------------------------------------------------------------

_REFERENCES = ("R0", "R1")


def table(results: Results) -> str:
    lines = []
    rounds = 0
    for name, scenario in results.scenarios.items():
        if name not in results.measurement.samples:
            continue
        rounds = len(results.samples(name, scenario.variants[0].name))
        batch = results.measurement.batch[name]
        lines.append(f"{name}: {scenario.description}  [{batch:,} requests x {rounds} rounds]")
        references = [ref for ref in _REFERENCES if scenario.variant(ref)] + [scenario.subject]
        header = f"  {'variant':<26}{'median ns':>11}{'p25..p75 ns':>19}{'overhead ns':>13}{'x bare':>8}"
        header += "".join(f"{'ovh/' + _short(ref):>15}" for ref in references)
        lines.append(header)
        floor_median = results.stats(name, scenario.variants[0].name).median
        for variant in scenario.variants:
            s = results.stats(name, variant.name)
            overhead = s.median - floor_median
            row = f"  {variant.name:<26}{s.median:>11,.0f}{f'{s.q1:,.0f}..{s.q3:,.0f}':>19}"
            if variant.role == "floor":
                lines.append(row + f"{'-':>13}{'1.00':>8}")
                continue
            row += f"{overhead:>13,.0f}{s.median / floor_median:>8.2f}"
            for ref in references:
                ratio = results.ratio(name, variant.name, ref, "overhead")
                row += f"{'-' if ratio.value is None else format(ratio.value, '.2f'):>15}"
            lines.append(row)
        for note in scenario.notes:
            lines.append(f"  note: {note}")
        lines.append("")
    return "\n".join(lines)


def _short(name: str) -> str:
    return "cors_wsgi" if "cors_wsgi" in name else name


def check_lines(checks: list[Check]) -> list[str]:
    """Variants whose answer is not what a correct CORS implementation gives (peers' behaviour, or a
    harness/cors_wsgi problem when it is cors_wsgi)."""
    lines = []
    for item in checks:
        if item.ok:
            continue
        expected = "Access-Control-Allow-Origin" if item.expected else "no Access-Control-Allow-Origin"
        got = f"status {item.status!r}, ACAO {_clip(item.acao)}"
        prefix = "CHECK FAILED" if item.role in ("subject", "alt") else "note"
        lines.append(f"{prefix}: {item.scenario} {item.variant}: expected {expected}, got {got}")
    return lines


def _clip(value: str | None) -> str:
    if value is None:
        return "absent"
    return repr(value) if len(value) <= 40 else f"{value[:30]!r}... ({len(value):,} chars)"


def target_lines(verdicts: list[Verdict]) -> list[str]:
    lines = []
    for verdict in verdicts:
        lines.append(f"  [{verdict.status}] {verdict.target.text}: {verdict.detail}")
    counts = {status: sum(v.status == status for v in verdicts) for status in ("PASS", "FAIL", "n/a", "skipped")}
    lines.append("  " + ", ".join(f"{count} {status}" for status, count in counts.items() if count))
    return lines


LEGEND = """\
median: per-request time (median over rounds of each batch's mean); p25..p75: its spread over rounds.
overhead: median minus the floor's median (the floor is the first row: the application alone).
x bare: total per-request time / the floor's. ovh/X: this row's overhead / X's overhead (same run).
Absolute times depend on the machine and its load; read the ratios."""


# --- Markdown, for the README -------------------------------------------------------------------------


def markdown(results: Results, verdicts: list[Verdict], info: dict[str, Any], rounds: int, end_load: Any) -> str:
    """The README's Performance figures: the targets, then what each layer adds per request."""
    load = info["load_average"]
    lines = [
        f"Measured by `python -m benchmarks` ({rounds} rounds) on {time.strftime('%Y-%m-%d')}: "
        f"cors_wsgi {info['git'] or info['packages'].get('cors_wsgi')}"
        f"{', compiled by mypyc' if info['accelerated'] else ' (interpreted build)'}, Python {info['python']}, "
        f"{info['cpu_count']} CPUs shared with other jobs"
        + (f" (load average {load[0]:.1f} at the start, {end_load[0]:.1f} at the end)" if load and end_load else "")
        + ".",
        "",
        "| target (product contract) | measured ratio | 95 % interval | |",
        "|---|---:|---:|---|",
    ]
    for verdict in verdicts:
        if verdict.status in ("not measured",):
            continue
        ratio = verdict.ratio
        value = "-" if ratio is None or ratio.value is None else f"{ratio.value:.2f}"
        interval = "-" if ratio is None else f"{_fmt_ratio(ratio.low)}..{_fmt_ratio(ratio.high)}"
        lines.append(f"| {verdict.target.text} | {value} | {interval} | {verdict.status} |")
    lines += [
        "",
        "| scenario | app alone | R1 adds | cors_wsgi adds | / R1's | peer | peer adds | / cors_wsgi's |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, scenario in results.scenarios.items():
        if name not in results.measurement.samples:
            continue
        floor = results.stats(name, scenario.variants[0].name).median
        r1 = scenario.variant("R1")
        for variant in scenario.variants:
            if variant.role not in ("subject", "alt"):
                continue
            suffix = _suffix(variant.name)
            label = name if variant.name == scenario.subject else f"{name} {suffix or variant.name}"
            overhead = results.stats(name, variant.name).median - floor
            row = f"| {label} | {floor:,.0f} ns | "
            if r1 is not None:
                r1_overhead = results.stats(name, "R1").median - floor
                vs_r1 = results.ratio(name, variant.name, "R1", "overhead").value
                row += f"{_ns(r1_overhead)} | {_ns(overhead)} | {_fmt_optional(vs_r1)} | "
            else:
                row += f"- | {_ns(overhead)} | - | "
            peer = next((p for p in scenario.variants if p.role == "peer" and _suffix(p.name) == suffix), None)
            if peer is None:
                row += "- | - | - |"
            else:
                peer_overhead = results.stats(name, peer.name).median - floor
                vs_subject = results.ratio(name, peer.name, variant.name, "overhead").value
                row += f"{_base(peer.name)} | {_ns(peer_overhead)} | {_fmt_optional(vs_subject)} |"
            lines.append(row)
    return "\n".join(lines) + "\n"


def _ns(overhead: float) -> str:
    """An overhead, in words when it is negative: a preflight answered without calling the app takes less
    time than the app alone."""
    return f"{overhead:,.0f} ns" if overhead >= 0 else f"{-overhead:,.0f} ns less"


def _suffix(name: str) -> str:
    return name[name.index("[") :] if "[" in name else ""


def _base(name: str) -> str:
    return name.split("[")[0]


def _fmt_optional(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


# --- environment and JSON -----------------------------------------------------------------------------

PACKAGES = ("cors_wsgi", "wsgicors", "flask", "flask-cors", "werkzeug", "django", "django-cors-headers")


def environment() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": load_average(),
        "git": _git_revision(),
        "packages": versions,
        "accelerated": _accelerated(),
    }


def _accelerated() -> bool:
    from cors_wsgi.middleware import ACCELERATED

    return ACCELERATED


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _git_revision() -> str | None:
    """The commit measured, and whether cors_wsgi/ had uncommitted changes (the figures change with it)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "cors_wsgi"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not head:
        return None
    return head + (" + uncommitted changes in cors_wsgi/" if dirty else "")


def environment_line(info: dict[str, Any]) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in info["packages"].items() if version)
    load = info["load_average"]
    return (
        f"Python {info['python']} ({info['implementation']}) on {info['platform']}, {info['cpu_count']} CPUs"
        + (f", load average {load[0]:.2f}" if load else "")
        + (f"\ncors_wsgi at {info['git']}" if info["git"] else "")
        + (
            "\ncors_wsgi: the compiled build (mypyc); cors_wsgi[interpreted] rows: the same source, interpreted"
            if info["accelerated"]
            else "\ncors_wsgi: the interpreted build (PyPy, no compiler, or an editable install)"
        )
        + f"\n{packages}"
    )


def to_json(
    results: Results, verdicts: list[Verdict], info: dict[str, Any], settings: dict[str, Any], skipped: list[str]
) -> dict[str, Any]:
    scenarios: dict[str, Any] = {}
    for name, scenario in results.scenarios.items():
        if name not in results.measurement.samples:
            continue
        floor = results.stats(name, scenario.variants[0].name).median
        references = [ref for ref in ("bare", *_REFERENCES) if scenario.variant(ref)]
        variants = {}
        for variant in scenario.variants:
            s = results.stats(name, variant.name)
            ratios: dict[str, float | None] = {"total_vs_floor": s.median / floor}
            if variant.role != "floor":
                for ref in [*references[1:], scenario.subject]:
                    ratios[f"overhead_vs_{ref}"] = results.ratio(name, variant.name, ref, "overhead").value
                for peer in scenario.variants:
                    if peer.role == "peer" and peer.environs is None and variant.role in ("subject", "alt"):
                        ratios[f"total_vs_{peer.name}"] = results.ratio(name, variant.name, peer.name, "total").value
            variants[variant.name] = {
                "role": variant.role,
                "median_ns": s.median,
                "min_ns": s.min,
                "q1_ns": s.q1,
                "q3_ns": s.q3,
                "max_ns": s.max,
                "overhead_ns": s.median - floor,
                "ratios": ratios,
                "rounds_ns": [round(value, 1) for value in results.samples(name, variant.name)],
            }
        scenarios[name] = {
            "description": scenario.description,
            "floor": scenario.variants[0].name,
            "subject": scenario.subject,
            "batch": results.measurement.batch[name],
            "notes": scenario.notes,
            "variants": variants,
        }
    targets = [
        {
            "id": v.target.id,
            "text": v.target.text,
            "scenario": v.target.scenario,
            "numerator": v.target.numerator,
            "denominator": v.target.denominator,
            "measure": v.target.measure,
            "threshold": v.target.threshold,
            "ratio": v.ratio.value if v.ratio else None,
            "interval95": [v.ratio.low, v.ratio.high] if v.ratio else None,
            "numerator_ns": v.ratio.numerator if v.ratio else None,
            "denominator_ns": v.ratio.denominator if v.ratio else None,
            "status": v.status,
            "detail": v.detail,
        }
        for v in verdicts
    ]
    checks = [
        {"scenario": c.scenario, "variant": c.variant, "status": c.status, "acao": c.acao, "ok": c.ok}
        for c in results.checks
    ]
    return {
        "machine": info,
        "settings": settings,
        "seconds": results.measurement.seconds,
        "skipped": skipped,
        "checks": checks,
        "scenarios": scenarios,
        "targets": targets,
    }


def write_json(path: str, document: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
