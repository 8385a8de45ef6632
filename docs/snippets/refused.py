"""Refused configurations and warnings (docs/configuration/refused.md)."""

from cors_wsgi import ConfigError, CORSMiddleware


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


try:
    # --8<-- [start:error]
    CORSMiddleware(
        app,
        origin="https://app.example.com",
        origins=["https://App.example.com/", "*"],
        supports_credentials=True,
    )
    # --8<-- [end:error]
except ConfigError as error:
    print(f"{type(error).__module__}.{type(error).__name__}: {error}")
