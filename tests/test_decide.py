"""``decide()`` is the middleware's own logic as plain data: on generated requests the two never
disagree (headers added, status of self-answered preflights, whether the application ran)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cors_wsgi import CORSMiddleware

CONFIGS = [
    {},
    {"origins": ["https://a.example", "https://*.b.example"], "supports_credentials": True, "max_age": 60},
    {"send_wildcard": True, "expose_headers": "X-Total"},
    {"resources": {r"/api/*": {"origins": "https://a.example", "methods": ["PUT"]}, "/open": {}}},
    {"automatic_options": False, "allow_headers": ["X-A"], "always_send": False},
    {"vary_header": False, "allow_private_network": True, "origins": r"https://app\d\.example"},
]
MIDDLEWARES = []


class App:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


for options in CONFIGS:
    app = App()
    MIDDLEWARES.append((app, CORSMiddleware(app, **options)))

optional = lambda values: st.one_of(st.none(), st.sampled_from(values))  # noqa: E731
requests = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "POST", "OPTIONS", "PUT", "options", "DELETE"]),
        "path": st.sampled_from(["/", "/api", "/api/x", "/apiary", "/open", "/open/x", ""]),
        "Origin": optional(
            ["https://a.example", "https://x.b.example", "https://app1.example", "null", "", "https://a.example/"]
        ),
        "Access-Control-Request-Method": optional(["PUT", "GET", "put", "PATCH", "", "X Y"]),
        "Access-Control-Request-Headers": optional(["x-a", "X-A, content-type", "", ",", "authorization", "*"]),
        "Access-Control-Request-Private-Network": optional(["true", "false"]),
    }
)


@settings(max_examples=400, deadline=None, database=None)
@given(st.integers(0, len(CONFIGS) - 1), requests)
def test_decide_and_middleware_agree(index: int, request: dict) -> None:
    app, middleware = MIDDLEWARES[index]
    method, path = request.pop("method"), request.pop("path")
    headers = {name: value for name, value in request.items() if value is not None}
    decision = middleware.decide(method, path, headers)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": ""}
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    sent = {}

    def start_response(status, response_headers, exc_info=None):
        sent["status"] = int(status[:3])
        sent["headers"] = response_headers

    calls_before = app.calls
    list(middleware(environ, start_response))

    added = tuple((k, v) for k, v in sent["headers"] if k.startswith("Access-Control-") or k == "Vary")
    assert sorted(added) == sorted(decision.headers), (decision, sent)
    if decision.status is not None:
        assert sent["status"] == decision.status
        assert app.calls == calls_before  # answered by the middleware
    else:
        assert app.calls == calls_before + 1
    if decision.kind == "path not covered":
        assert added == ()
