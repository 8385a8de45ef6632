"""``debug=True``: what allowed and refused origins see when their preflight fails (docs/troubleshooting/debug.md)."""

import logging
import sys
import warnings

from webtest import TestApp

from cors_wsgi import CORSMiddleware

logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s")


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    # --8<-- [start:debug]
    cors = CORSMiddleware(
        app,
        resources=r"/api/*",
        origins=["https://app.example.com"],
        allow_headers=["Content-Type", "X-Request-Id"],
        debug=True,  # development only
    )
    # --8<-- [end:debug]
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")

# --8<-- [start:requests]
logging.getLogger("cors_wsgi").setLevel(logging.DEBUG)
client = TestApp(cors)
for origin in ("https://app.example.com", "https://evil.example"):
    response = client.options("/api/items", status="*", headers={
        "Origin": origin,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-foo",
    })
    print(response.status)
    for name, value in response.headerlist:
        print(f"  {name}: {value}")
# --8<-- [end:requests]

# The same two preflights without debug=True: bare 403s, and one log line each.
logging.getLogger("cors_wsgi").setLevel(logging.INFO)  # leave out the startup line listing each rule
plain = TestApp(CORSMiddleware(app, resources=r"/api/*", origins=["https://app.example.com"],
                               allow_headers=["Content-Type", "X-Request-Id"]))  # fmt: skip
logging.getLogger("cors_wsgi").setLevel(logging.DEBUG)
for origin in ("https://app.example.com", "https://evil.example"):
    response = plain.options("/api/items", status="*", headers={
        "Origin": origin,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-foo",
    })
    print(response.status)
