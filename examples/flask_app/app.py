"""Flask: an app factory, the API in a blueprint under /api, CORS settings in ``app.config``.

Run: ``gunicorn --bind 127.0.0.1:8080 'app:create_app()'`` (see README.md).
"""

from flask import Blueprint, Flask, jsonify

from cors_wsgi import CORSMiddleware


def create_app(test_config=None):
    app = Flask(__name__)
    app.config.from_mapping(
        CORS_RESOURCES=r"/api/*",
        CORS_ORIGINS=["https://app.example.com"],
        CORS_EXPOSE_HEADERS=["X-Request-Id"],
    )
    if test_config:
        app.config.update(test_config)
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(site)
    # Last, once app.config is final: the CORS_* keys are read here, once, not per request.
    app.wsgi_app = CORSMiddleware.from_mapping(app.wsgi_app, app.config)
    return app


api = Blueprint("api", __name__)
site = Blueprint("site", __name__)


@api.get("/items")
def list_items():
    return jsonify(items=[{"id": 1, "name": "teapot"}]), 200, {"X-Request-Id": "req-1"}


@api.put("/items/<int:item_id>")
def update_item(item_id):
    return jsonify(id=item_id, updated=True)


@api.get("/boom")
def boom():
    raise RuntimeError("an unhandled bug: Flask answers 500")


@site.get("/health")
def health():
    return "ok"
