"""A flask-cors application, migrated by its import line alone, looks the same to pages in Chromium.

``examples/flask_migration/app.py`` imports ``cors_wsgi.flask``; the same source with that one line put
back to ``from flask_cors import CORS, cross_origin`` is the application before the migration. Both are
served, in turn, behind the same API server, and pages on three origins (the front end, a partner, a
stranger) make the same requests: what JavaScript can read (status, body, exposed headers) or the
``TypeError`` must be the same. Where cors_wsgi differs on purpose (docs/migration.md, "Differences from
flask-cors"), nothing here is visible to a page: a refused preflight is blocked either way, with 403 or
with 200 and no allow-headers.
"""

from __future__ import annotations

import types
import warnings
from pathlib import Path
from typing import Any

import pytest

from cors_wsgi import CORSConfigWarning

pytestmark = pytest.mark.browser

SOURCE = Path(__file__).resolve().parents[2] / "examples" / "flask_migration" / "app.py"
AFTER = "from cors_wsgi.flask import CORS, cross_origin"
BEFORE = "from flask_cors import CORS, cross_origin"

PARTNER_HOST = "partner.example.test"
STRANGER_HOST = "stranger.example.test"

# (page host, path, fetch options): every request a page of each origin makes.
REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("127.0.0.1", "/api/items", {}),
    ("127.0.0.1", "/api/items", {"credentials": "include"}),
    ("127.0.0.1", "/api/items", {"method": "PUT", "headers": {"Content-Type": "application/json"}, "body": "{}"}),
    ("127.0.0.1", "/api/items", {"method": "DELETE", "credentials": "include"}),
    ("127.0.0.1", "/api/missing", {}),
    ("127.0.0.1", "/public/status", {}),
    ("127.0.0.1", "/health", {}),
    ("127.0.0.1", "/partners/deals", {}),
    (PARTNER_HOST, "/partners/deals", {}),
    (
        PARTNER_HOST,
        "/partners/deals",
        {"method": "POST", "headers": {"Content-Type": "application/json"}, "body": "{}"},
    ),
    (PARTNER_HOST, "/api/items", {}),
    (STRANGER_HOST, "/public/status", {}),
    (STRANGER_HOST, "/api/items", {"method": "PUT", "headers": {"X-Custom": "1"}}),
]


def load(import_line: str, frontend: str, partner: str) -> Any:
    """The example application, built from its source with ``import_line`` as its CORS import."""
    source = SOURCE.read_text(encoding="utf-8")
    assert source.count(AFTER) == 1, "the example must import cors_wsgi.flask exactly once"
    module = types.ModuleType(f"migration_example_{abs(hash(import_line))}")
    module.__file__ = str(SOURCE)
    exec(compile(source.replace(AFTER, import_line), str(SOURCE), "exec"), module.__dict__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        return module.create_app(frontend=frontend, partner=partner)


def seen_by_pages(cors: Any, app: Any) -> list[tuple[str, str, str, Any]]:
    cors.api.middleware = app  # the Flask application itself, behind the recording server
    outcomes = []
    for host, path, init in REQUESTS:
        cors.open(host)
        fetched = cors.fetch(path, **init)
        readable = {name: value for name, value in fetched.headers.items() if name in ("x-total-count",)}
        outcome = (fetched.status, fetched.body, readable) if fetched.ok else fetched.error
        outcomes.append((host, path, init.get("method", "GET"), outcome))
    return outcomes


def test_pages_see_the_same_answers_before_and_after_the_import_change(cors: Any) -> None:
    frontend = cors.page_origin()
    partner = cors.page_origin(PARTNER_HOST)
    before = seen_by_pages(cors, load(BEFORE, frontend, partner))
    cors.forget()
    after = seen_by_pages(cors, load(AFTER, frontend, partner))
    assert after == before
    # The comparison means something: both allow and block.
    outcomes = [outcome for *_, outcome in after]
    assert any(isinstance(outcome, tuple) and outcome[0] == 200 for outcome in outcomes)
    assert any(outcome == "TypeError: Failed to fetch" for outcome in outcomes)
    allowed_put = after[2][3]
    assert isinstance(allowed_put, tuple) and allowed_put[2] == {"x-total-count": "3"}
