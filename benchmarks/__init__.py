"""Benchmarks for cors_wsgi: ``python -m benchmarks`` from the repository root (see benchmarks/README.md).

Every figure is measured in one process and one run, interleaving the variants of each scenario round by
round, so that ratios between them are meaningful even on a busy machine; absolute times are not.

Modules: :mod:`.apps` (the WSGI apps, reference layers and peers, configured equivalently),
:mod:`.scenarios` (requests and which variants face them), :mod:`.timing` (the measuring loop),
:mod:`.report` (statistics, ratios, targets, table and JSON), :mod:`.cli` (options, profiling).
"""

from __future__ import annotations

import importlib.machinery
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _measure_the_installed_build() -> None:
    """``python -m benchmarks`` puts the checkout first on ``sys.path``, where ``cors_wsgi/`` holds only the
    ``.py`` files. When a (compiled or not) cors_wsgi is installed from a wheel or ``pip install .``, measure
    that one, which is what users run; an editable install resolves to the checkout either way."""
    others = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT]
    spec = importlib.machinery.PathFinder.find_spec("cors_wsgi", others)
    if spec is not None and spec.origin is not None and ROOT not in Path(spec.origin).resolve().parents:
        sys.path[:] = others


if "cors_wsgi" not in sys.modules:
    _measure_the_installed_build()
