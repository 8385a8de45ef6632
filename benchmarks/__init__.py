"""Benchmarks for cors_wsgi: ``python -m benchmarks`` from the repository root (see benchmarks/README.md).

Every figure is measured in one process and one run, interleaving the variants of each scenario round by
round, so that ratios between them are meaningful even on a busy machine; absolute times are not.

Modules: :mod:`.apps` (the WSGI apps, reference layers and peers, configured equivalently),
:mod:`.scenarios` (requests and which variants face them), :mod:`.timing` (the measuring loop),
:mod:`.report` (statistics, ratios, targets, table and JSON), :mod:`.cli` (options, profiling).
"""
