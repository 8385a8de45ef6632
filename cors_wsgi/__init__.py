"""cors_wsgi: correct, safe and fast CORS for any WSGI application.

::

    from cors_wsgi import CORSMiddleware

    app.wsgi_app = CORSMiddleware(app.wsgi_app, origins=["https://app.example.com"])
"""

import logging

from .errors import ConfigError, CORSConfigWarning
from .explain import Explanation
from .middleware import CORSMiddleware

__all__ = ["CORSConfigWarning", "CORSMiddleware", "ConfigError", "Explanation"]
__version__ = "0.1.0"

logging.getLogger("cors_wsgi").addHandler(logging.NullHandler())
