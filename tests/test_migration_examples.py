"""Each "after" of the migration guide (examples/flask_migration/idioms.py) does what the guide says."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "flask_migration"))

import idioms  # noqa: E402

APP = "https://app.example.com"
EVIL = "https://evil.example"


def get(app: Any, path: str, origin: str | None = None) -> Any:
    return app.test_client().get(path, headers={} if origin is None else {"Origin": origin})


def preflight(app: Any, path: str, origin: str, method: str = "POST", headers: str | None = None) -> Any:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return app.test_client().options(path, headers=request_headers)


def test_cors_app_allows_every_origin_without_cookies() -> None:
    app = idioms.every_origin()
    answered = get(app, "/api/items", EVIL)
    assert answered.headers["Access-Control-Allow-Origin"] == EVIL
    assert "Access-Control-Allow-Credentials" not in answered.headers
    assert get(app, "/api/items").headers["Access-Control-Allow-Origin"] == "*"


def test_credentials_go_to_the_named_origin_only() -> None:
    app = idioms.with_credentials()
    answered = get(app, "/api/me", APP)
    assert answered.headers["Access-Control-Allow-Origin"] == APP
    assert answered.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in get(app, "/api/me", EVIL).headers


def test_per_path_options() -> None:
    app = idioms.per_path()
    assert get(app, "/api/me", APP).headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in get(app, "/api/me", EVIL).headers
    assert get(app, "/public/status", EVIL).headers["Access-Control-Allow-Origin"] == EVIL
    assert "Access-Control-Allow-Origin" not in get(app, "/admin", APP).headers  # no pattern covers it


def test_one_view_with_its_own_origins() -> None:
    app = idioms.one_view()
    assert get(app, "/api/report", "https://reports.example.com").headers["Access-Control-Allow-Origin"]
    assert "Access-Control-Allow-Origin" not in get(app, "/api/other", "https://reports.example.com").headers
    answered = preflight(app, "/api/report", "https://reports.example.com", "POST", "content-type")
    assert answered.status_code == 204
    assert answered.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert preflight(app, "/api/report", EVIL).status_code == 403


def test_after_request_hook_replaced() -> None:
    app = idioms.instead_of_an_after_request_hook()
    assert get(app, "/api/items", EVIL).headers["Access-Control-Allow-Origin"] == "*"
    assert get(app, "/api/items").headers["Access-Control-Allow-Origin"] == "*"
    answered = preflight(app, "/api/items", EVIL, "PUT", "authorization,content-type")
    assert answered.status_code == 204  # what the hook never answered: a preflight
    assert answered.headers["Access-Control-Allow-Origin"] == "*"
    assert answered.headers["Access-Control-Allow-Headers"] == "authorization, content-type"


def test_crossdomain_replaced() -> None:
    app = idioms.instead_of_crossdomain()
    assert get(app, "/api/feed", EVIL).headers["Access-Control-Allow-Origin"] == "*"
    answered = preflight(app, "/api/feed", EVIL, "POST", "content-type")
    assert answered.status_code == 204
    assert answered.headers["Access-Control-Max-Age"] == "7200"
    assert answered.headers["Access-Control-Allow-Methods"] == "GET, POST"


@pytest.mark.parametrize(
    "section", ["cors-app", "credentials", "resources", "cross-origin", "after-request", "crossdomain"]
)
def test_every_section_the_guide_includes_exists(section: str) -> None:
    text = (ROOT / "examples" / "flask_migration" / "idioms.py").read_text(encoding="utf-8")
    assert f"# --8<-- [start:{section}]" in text and f"# --8<-- [end:{section}]" in text
