"""Allowed origins kept in a file, one per line, re-read by each worker (docs/configuration/reconfigure.md).

Run: ``ORIGINS_FILE=allowed-origins.txt gunicorn -c gunicorn.conf.py`` (tests/test_docs.py does, on a free port).
"""

import os
from pathlib import Path

from cors_wsgi import CORSMiddleware

ORIGINS_FILE = Path(os.environ.get("ORIGINS_FILE", "allowed-origins.txt"))


def cors_options():
    """The whole configuration: reconfigure() replaces all of it, not only origins."""
    lines = ORIGINS_FILE.read_text().splitlines()
    origins = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return {"resources": r"/api/*", "origins": origins, "supports_credentials": True}


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"items": []}']


application = CORSMiddleware(app, **cors_options())
