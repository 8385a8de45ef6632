"""The WSGI application test_load.py serves with gunicorn: the reference application behind CORSMiddleware.

Served as ``_load_app:application`` (the test runs gunicorn with ``--chdir tests``). ``LOAD_OPTIONS`` is
what the test checks every response against, with ``_oracle.check``.
"""

from __future__ import annotations

from typing import Any

from _oracle import oracle_app

from cors_wsgi import CORSMiddleware

LOAD_OPTIONS: dict[str, Any] = {
    "origins": ["https://app.example.com", "https://*.example.org:8443", r"https://app\d+\.example\.com"],
    "supports_credentials": True,
    "methods": ["GET", "PUT", "DELETE"],
    "allow_headers": ["X-A", "Content-Type", r"x-custom-\d+"],
    "expose_headers": ["X-Total"],
    "max_age": 600,
    "resources": {
        "/api/*": {},
        "/public/*": {"origins": "*", "supports_credentials": False, "send_wildcard": True},
        "/users": {"origins": ["http://localhost:*"], "supports_credentials": False, "automatic_options": False},
        r"/api/v\d+/items": {"allow_private_network": True, "vary_header": False},
        "/private/*": {"origins": "https://app.example.com"},
        "/test_acl*": {"origins": "*", "supports_credentials": False, "allow_headers": "*", "methods": "*"},
    },
}

application = CORSMiddleware(oracle_app, **LOAD_OPTIONS)
