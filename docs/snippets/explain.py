"""``explain()``: what one configuration does with one request (docs/troubleshooting/explain.md)."""

# --8<-- [start:explain]
from cors_wsgi import CORSMiddleware


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


cors = CORSMiddleware(
    app,
    resources=r"/api/*",
    origins=["https://app.example.com"],
    allow_headers=["Content-Type", "X-Request-Id"],
)
print(cors.explain("OPTIONS", "/api/items", {
    "Origin": "https://app.example.com",
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "content-type,x-foo",
}))
print(cors.explain("GET", "/v2/items", {"Origin": "https://app.example.com"}))
print(cors.explain("GET", "/api/items", {"Origin": "https://staging.example.com"}))
# --8<-- [end:explain]
