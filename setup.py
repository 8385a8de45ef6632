"""The optional C accelerator (cors_wsgi/_speedups.c); everything else is in pyproject.toml.

``optional=True``: where it cannot be compiled (no compiler, PyPy), the install still succeeds and
cors_wsgi runs its pure-Python implementation, which gives the same answers.
"""

import platform

from setuptools import Extension, setup

setup(
    ext_modules=[Extension("cors_wsgi._speedups", ["cors_wsgi/_speedups.c"], optional=True)]
    if platform.python_implementation() == "CPython"
    else [],
)
