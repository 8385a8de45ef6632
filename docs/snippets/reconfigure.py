"""``reconfigure()``: new allowed origins without a restart (docs/configuration/reconfigure.md)."""

import logging
import os
import signal
import tempfile
from pathlib import Path

from cors_wsgi import ConfigError, CORSMiddleware

os.environ["ORIGINS_FILE"] = os.path.join(tempfile.mkdtemp(), "allowed-origins.txt")
Path(os.environ["ORIGINS_FILE"]).write_text("https://app.example.com\n")


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def allowed(origin):
    return application.explain("GET", "/", {"Origin": origin}).allowed


# --8<-- [start:sighup]
ORIGINS_FILE = Path(os.environ["ORIGINS_FILE"])


def cors_options():
    """The whole configuration: reconfigure() replaces all of it, not only origins."""
    origins = [line.strip() for line in ORIGINS_FILE.read_text().splitlines() if line.strip()]
    return {"origins": origins, "supports_credentials": True}


application = CORSMiddleware(app, **cors_options())


def reload_cors(signum, frame):
    try:
        application.reconfigure(**cors_options())
    except (OSError, ConfigError):  # an exception here would surface in whatever the server was doing
        logging.getLogger(__name__).exception("CORS configuration not reloaded; the previous one stays")


signal.signal(signal.SIGHUP, reload_cors)  # kill -HUP <pid>
# --8<-- [end:sighup]

print("admin allowed:", allowed("https://admin.example.com"))
ORIGINS_FILE.write_text("https://app.example.com\nhttps://admin.example.com\n")
os.kill(os.getpid(), signal.SIGHUP)
print("after SIGHUP, admin allowed:", allowed("https://admin.example.com"))

# A mistake in the new configuration: the old one keeps serving.
ORIGINS_FILE.write_text("https://Admin.example.com/\n")
try:
    application.reconfigure(**cors_options())
except ConfigError as error:
    print(error)
print("after the refused reload, admin allowed:", allowed("https://admin.example.com"))
