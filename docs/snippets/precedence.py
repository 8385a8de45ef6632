"""Which value wins when options come from several places (docs/configuration/sources.md)."""

from webtest import TestApp

from cors_wsgi import CORSMiddleware


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


# --8<-- [start:precedence]
cors = CORSMiddleware.from_mapping(
    app,
    {
        "CORS_ORIGINS": "https://app.example.com",
        "CORS_MAX_AGE": "600",
        "CORS_RESOURCES": {r"/api/*": {}, r"/public/*": {"origins": "*", "max_age": 3600}},
    },
    max_age=60,
)
# --8<-- [end:precedence]
client = TestApp(cors)
for path, origin in (("/api/x", "https://app.example.com"), ("/api/x", "https://other.example"),
                     ("/public/x", "https://other.example")):  # fmt: skip
    headers = {"Origin": origin, "Access-Control-Request-Method": "PUT"}
    response = client.options(path, headers=headers, status="*")
    print(path, origin, response.status_int, response.headers.get("Access-Control-Max-Age", "-"))
