"""What ``resources`` covers: one pattern, a list, a dict with per-path options (docs/configuration/paths.md)."""

from cors_wsgi import CORSMiddleware


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


# --8<-- [start:resources]
one = CORSMiddleware(app, resources=r"/api/*", origins=["https://app.example.com"])
several = CORSMiddleware(app, resources=[r"/api/*", r"/v2/*"], origins=["https://app.example.com"])
per_path = CORSMiddleware(
    app,
    resources={r"/api/*": {}, r"/public/*": {"origins": "*", "supports_credentials": False}},
    origins=["https://app.example.com"],
    supports_credentials=True,
)
# --8<-- [end:resources]
origin = {"Origin": "https://other.example"}
for name, cors in (("one", one), ("several", several), ("per_path", per_path)):
    for path in ("/api/items", "/v2/items", "/public/logo.png", "/health"):
        decision = cors.decide("GET", path, origin)
        print(f"{name:9} {path:17} rule={decision.resource or '-':10} allowed={decision.allowed}")
