"""The benchmark harness (``python -m benchmarks``) runs, and reports every scenario and every target.

Nothing here looks at how fast anything is: ``--quick`` runs a few tiny batches, whose figures are noise.
What is checked is the plumbing the lead relies on when reading a real run: each scenario measured for
each variant, each target of the product contract evaluated to a number, cors_wsgi answering each
scenario as the harness assumes, and a missing peer skipped with a line instead of failing the run.
Each run is a subprocess: the Django scenarios configure Django's global settings.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import report, scenarios  # noqa: E402
from cors_wsgi.middleware import ACCELERATED  # noqa: E402

PURE = {scenarios.INTERPRETED} if ACCELERATED else set()


class Run(NamedTuple):
    stdout: str
    document: dict[str, Any]
    """The --json file."""
    markdown: str
    """The --markdown file."""


def run_harness(tmp_path: Path, *args: str) -> Run:
    out, md = tmp_path / "bench.json", tmp_path / "perf.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out), "--markdown", str(md), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return Run(result.stdout, json.loads(out.read_text(encoding="utf-8")), md.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_harness(tmp_path_factory.mktemp("bench"))


def test_every_scenario_is_measured_for_every_variant(quick_run: Run) -> None:
    stdout, document, _ = quick_run
    assert set(document["scenarios"]) == set(scenarios.ALL)
    assert document["skipped"] == []
    for name, scenario in document["scenarios"].items():
        assert f"{name}: " in stdout
        variants = scenario["variants"]
        assert scenario["floor"] in variants and scenario["subject"] in variants
        assert len(variants) >= 3, name  # the floor, cors_wsgi and a reference layer or a peer
        for variant, figures in variants.items():
            for key in ("median_ns", "min_ns", "max_ns", "overhead_ns"):
                assert math.isfinite(figures[key]), (name, variant, key)
            assert figures["min_ns"] <= figures["median_ns"] <= figures["max_ns"]
            assert len(figures["rounds_ns"]) == document["settings"]["rounds"]
    trivial = document["scenarios"]["trivial/allowed"]["variants"]
    # Where the compiled build is installed, the interpreted one is measured beside it.
    expected = {"bare", "R0", "R1", "cors_wsgi", "wsgicors", 'cors_wsgi[origins="*"]', "cors_wsgi[+function]", *PURE}
    assert set(trivial) == expected
    assert set(document["scenarios"]["trivial/function-allowed"]["variants"]) == {"bare", "R1", "cors_wsgi[+function]"}
    assert document["machine"]["accelerated"] is ACCELERATED
    assert set(document["scenarios"]["flask/allowed"]["variants"]) == {
        "flask",
        "flask+cors_wsgi",
        "flask+cors_wsgi.flask",
        "flask+flask-cors",
    }
    assert set(document["scenarios"]["flask-view/allowed"]["variants"]) == {
        "flask",
        "flask+@cross_origin(cors_wsgi.flask)",
        "flask+@cross_origin(flask-cors)",
    }
    assert set(document["scenarios"]["django/allowed"]["variants"]) == {
        "django",
        "django+cors_wsgi",
        "django+corsheaders",
    }
    for key in ("python", "platform", "cpu_count", "packages"):
        assert document["machine"][key]


def test_every_target_has_a_ratio_and_a_verdict(quick_run: Run) -> None:
    stdout, document, _ = quick_run
    targets = {target["id"]: target for target in document["targets"]}
    assert set(targets) == {target.id for target in report.TARGETS}
    assert len(targets) == 28
    for target in report.TARGETS:
        reported = targets[target.id]
        assert f"] {target.text}: " in stdout
        if reported["status"] == "n/a":
            # Only when the denominator's overhead was lost in noise, which a tiny --quick run allows.
            assert reported["denominator_ns"] <= 0, reported
            continue
        assert reported["status"] in ("PASS", "FAIL"), reported
        assert isinstance(reported["ratio"], float) and math.isfinite(reported["ratio"])
        assert (reported["status"] == "PASS") == (reported["ratio"] <= target.threshold)
    assert "Targets (ratios from this run" in stdout


def test_markdown_for_the_readme_lists_every_target_and_scenario(quick_run: Run) -> None:
    text = quick_run.markdown
    for target in report.TARGETS:
        assert f"| {target.text} | " in text
    for name in scenarios.ALL:
        assert f"| {name} | " in text


def test_cors_wsgi_answers_every_scenario_as_the_harness_assumes(quick_run: Run) -> None:
    """Otherwise the timings would be of a misconfigured middleware (or cors_wsgi changed behaviour)."""
    stdout, document, _ = quick_run
    ours = [check for check in document["checks"] if "cors_wsgi" in check["variant"]]
    assert len(ours) >= len(scenarios.ALL)
    assert all(check["ok"] for check in ours), [check for check in ours if not check["ok"]]
    assert "CHECK FAILED" not in stdout
    statuses = {(c["scenario"], c["variant"]): c["status"] for c in document["checks"]}
    assert statuses["trivial/preflight-allowed", "cors_wsgi"].startswith("204")
    assert statuses["trivial/acrh-256k", "cors_wsgi[acrh 256 KiB]"].startswith("403")


def test_a_missing_peer_is_skipped_with_a_line(tmp_path: Path) -> None:
    stdout, document, _ = run_harness(
        tmp_path,
        "--without",
        "wsgicors",
        "--without",
        "flask-cors",
        "--only",
        "trivial/preflight-allowed",
        "--only",
        "flask/allowed",
    )
    assert "skipped wsgicors: not installed" in stdout
    assert "skipped flask_cors: not installed" in stdout
    assert len(document["skipped"]) == 2
    assert set(document["scenarios"]) == {"trivial/preflight-allowed", "flask/allowed"}
    measured = set(document["scenarios"]["trivial/preflight-allowed"]["variants"])
    assert measured == {"bare", "R0", "R1", "cors_wsgi", *PURE}
    assert set(document["scenarios"]["flask/allowed"]["variants"]) == {
        "flask",
        "flask+cors_wsgi",
        "flask+cors_wsgi.flask",
    }
    status = {target["id"]: target["status"] for target in document["targets"]}
    assert status["preflight-allowed"] == "skipped"
    assert status["flask-allowed"] == "skipped"
    assert status["covered-allowed"] == "not measured"


def test_profile_prints_the_top_functions() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--profile", "trivial/allowed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cProfile of trivial/allowed" in result.stdout
    assert "Ordered by: internal time" in result.stdout
    assert "run_batch" in result.stdout


def test_quantile_matches_statistics_and_survives_infinity() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 8.0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    summary = report.stats(values)
    assert (summary.q1, summary.median, summary.q3) == pytest.approx((q1, median, q3))
    assert report.stats([1.0, math.inf, math.inf]).median == math.inf  # not NaN
