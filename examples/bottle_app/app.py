"""Bottle: routes on the default app, which cors_wsgi wraps.

Run: ``waitress-serve --listen=127.0.0.1:8080 app:app`` (see README.md).
"""

import bottle

from cors_wsgi import CORSMiddleware

# Routes registered on the default app below (or anywhere else) are covered too: it is the same object.
app = CORSMiddleware(
    bottle.default_app(),
    resources=r"/api/*",
    origins="https://app.example.com",
    methods=["GET", "PUT"],
    expose_headers="X-Request-Id",
)


@bottle.get("/api/items")
def list_items():
    bottle.response.set_header("X-Request-Id", "req-1")
    return {"items": [{"id": 1, "name": "teapot"}]}


@bottle.put("/api/items/<item_id:int>")
def update_item(item_id):
    return {"id": item_id, "updated": True}


@bottle.get("/api/boom")
def boom():
    raise RuntimeError("an unhandled bug: Bottle answers 500")


@bottle.get("/health")
def health():
    return "ok"


if __name__ == "__main__":
    bottle.run(app=app, host="127.0.0.1", port=8080)
