"""cors_wsgi: correct, safe and fast CORS for any WSGI application.

::

    from cors_wsgi import CORSMiddleware

    app.wsgi_app = CORSMiddleware(app.wsgi_app, origins=["https://app.example.com"])
"""

import logging
import sys
from pathlib import Path

from . import _build

if not _build.in_main_interpreter():  # compiled modules are not sub-interpreter safe (cors_wsgi._build)
    sys.meta_path.insert(0, _build.SourceFinder(__name__, Path(__file__).parent, only=_build.COMPILED))

from .errors import ConfigError, CORSConfigWarning
from .explain import Explanation
from .middleware import CORSMiddleware

__all__ = ["CORSConfigWarning", "CORSMiddleware", "ConfigError", "Explanation"]
__version__ = "0.1.0"

logging.getLogger("cors_wsgi").addHandler(logging.NullHandler())
