"""A function in ``origins`` that raises: the origin is rejected, never a 500 (docs/configuration/origins.md)."""

import logging
import sys

from cors_wsgi import CORSMiddleware

logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s")


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"[]"]


# --8<-- [start:raises]
def lookup_failed(origin):
    raise TimeoutError("tenant database did not answer")


broken = CORSMiddleware(app, origins=[lookup_failed])
# --8<-- [end:raises]
print(broken.explain("GET", "/api/orders", {"Origin": "https://acme.shop.example"}))
