"""Problems reported under the name the user wrote (docs/configuration/sources.md)."""

from cors_wsgi import ConfigError, CORSMiddleware


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


environ = {
    "CORS_ORIGINS": "https://app.example.com",
    "CORS_MAX_AGE": "ten",
    "CORS_ALLOWED_ORIGINS": "https://admin.example.com",
}
try:
    CORSMiddleware.from_env(app, environ)
except ConfigError as error:
    print(error)
try:
    CORSMiddleware.from_env(app, {"CORS_ORIGINS": "*"}, supports_credentials=True)
except ConfigError as error:
    print(error)
try:
    CORSMiddleware.from_mapping(app, {"CORS_ALLOW_CREDENTIALS": True})
except ConfigError as error:
    print(error)
