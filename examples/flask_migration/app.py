"""A flask-cors application moved to cors_wsgi by its import line alone (docs/migration.md).

It uses every flask-cors idiom at once: settings in ``app.config``, the extension with per-path options,
a blueprint with its own origins, and a ``@cross_origin`` view. tests/browser/test_browser_migration.py
serves it twice in headless Chromium, once as it is and once with the import line put back to
``from flask_cors import CORS, cross_origin``, and checks that pages see the same answers.

    FLASK_APP=app:create_app flask run      # or: gunicorn "app:create_app()"
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, jsonify

from cors_wsgi.flask import CORS, cross_origin


def create_app(frontend: str = "https://app.example.com", partner: str = "https://partner.example.com") -> Flask:
    app = Flask(__name__)
    app.config["CORS_ORIGINS"] = [frontend]
    app.config["CORS_EXPOSE_HEADERS"] = ["X-Total-Count"]
    app.config["CORS_MAX_AGE"] = 600

    @app.route("/api/items", methods=["GET", "PUT", "DELETE"])
    def items():  # type: ignore[no-untyped-def]
        response = jsonify(items=[1, 2, 3])
        response.headers["X-Total-Count"] = "3"
        return response

    @app.route("/api/missing")
    def missing():  # type: ignore[no-untyped-def]
        abort(404)

    @app.route("/public/status")
    @cross_origin(origins="*")
    def status():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.route("/health")
    def health():  # type: ignore[no-untyped-def]
        return "ok"

    partners = Blueprint("partners", __name__)

    @partners.route("/deals", methods=["GET", "POST"])
    def deals():  # type: ignore[no-untyped-def]
        return jsonify(deals=["spring sale"])

    CORS(partners, origins=[partner])
    app.register_blueprint(partners, url_prefix="/partners")

    CORS(app, resources={r"/api/*": {"supports_credentials": True}})
    return app
