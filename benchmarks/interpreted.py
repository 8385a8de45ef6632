"""The interpreted build of the installed cors_wsgi, loaded beside the compiled one in the same process.

A compiled install ships the ``.py`` sources next to the mypyc extension modules, and Python imports the
extensions. To measure (``python -m benchmarks``) and compare (``tests/test_builds.py``) both builds in one
run, :func:`load` imports those same ``.py`` files a second time, as the package ``cors_wsgi_interpreted``
(:class:`cors_wsgi._build.SourceFinder`). Nothing is copied: it is the very source the extensions were
compiled from.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

ALIAS = "cors_wsgi_interpreted"


def load() -> ModuleType | None:
    """The interpreted ``cors_wsgi`` package, or None when the installed one is interpreted already."""
    import cors_wsgi
    from cors_wsgi._build import SourceFinder
    from cors_wsgi.middleware import ACCELERATED

    if not ACCELERATED:
        return None
    if ALIAS not in sys.modules:
        sys.meta_path.insert(0, SourceFinder(ALIAS, Path(cors_wsgi.__file__).parent))
    module = importlib.import_module(ALIAS)
    assert not importlib.import_module(ALIAS + ".middleware").ACCELERATED
    return module
