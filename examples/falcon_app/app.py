"""Falcon: a ``falcon.App`` with resource classes, wrapped by cors_wsgi.

Run: ``waitress-serve --listen=127.0.0.1:8080 app:application`` (see README.md).
"""

import falcon

from cors_wsgi import CORSMiddleware

app = falcon.App()  # Falcon's own CORS (cors_enable=True) stays off: cors_wsgi answers preflights
application = CORSMiddleware(
    app,
    resources=r"/api/*",
    origins=["https://app.example.com"],
    allow_headers=["Content-Type", "Authorization"],
    expose_headers=["X-Request-Id"],
    max_age=3600,
)


class Items:
    def on_get(self, req, resp):
        resp.media = {"items": [{"id": 1, "name": "teapot"}]}
        resp.set_header("X-Request-Id", "req-1")


class Item:
    def on_put(self, req, resp, item_id):
        resp.media = {"id": item_id, "updated": True}


class Boom:
    def on_get(self, req, resp):
        raise RuntimeError("an unhandled bug: Falcon's default error handler answers 500")


class Health:
    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "ok"


app.add_route("/api/items", Items())
app.add_route("/api/items/{item_id:int}", Item())
app.add_route("/api/boom", Boom())
app.add_route("/health", Health())
