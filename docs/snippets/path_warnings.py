"""Legal configurations that cannot mean what was written: warnings (docs/configuration/paths.md)."""

import warnings

from cors_wsgi import CORSMiddleware


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    # --8<-- [start:warnings]
    CORSMiddleware(app, resources=["/items/<int:id>", "/orders/{id}", "^/api/", "/v1/*, /v2/*"])
    # --8<-- [end:warnings]
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")
