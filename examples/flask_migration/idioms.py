"""The "after" of each idiom in docs/migration.md, as small applications that tests/test_migration_examples.py
runs. The guide includes each section verbatim (the ``--8<--`` markers), so what a reader copies was tested.
"""

from __future__ import annotations

from flask import Flask, jsonify

from cors_wsgi.flask import CORS, cross_origin


def every_origin() -> Flask:
    app = Flask(__name__)
    # --8<-- [start:cors-app]
    CORS(app)  # every origin may read every response; no cookies
    # --8<-- [end:cors-app]
    app.add_url_rule("/api/items", "items", lambda: jsonify(items=[]))
    return app


def with_credentials() -> Flask:
    app = Flask(__name__)
    # --8<-- [start:credentials]
    CORS(app, origins=["https://app.example.com"], supports_credentials=True)
    # --8<-- [end:credentials]
    app.add_url_rule("/api/me", "me", lambda: jsonify(user="ada"))
    return app


def per_path() -> Flask:
    app = Flask(__name__)
    # --8<-- [start:resources]
    CORS(
        app,
        resources={
            r"/api/*": {"origins": ["https://app.example.com"], "supports_credentials": True},
            r"/public/*": {"origins": "*"},
        },
    )
    # --8<-- [end:resources]
    app.add_url_rule("/api/me", "me", lambda: jsonify(user="ada"))
    app.add_url_rule("/public/status", "status", lambda: jsonify(status="ok"))
    app.add_url_rule("/admin", "admin", lambda: "admin")
    return app


def one_view() -> Flask:
    app = Flask(__name__)

    # --8<-- [start:cross-origin]
    @app.route("/api/report", methods=["GET", "POST"])
    @cross_origin(origins=["https://reports.example.com"], methods=["GET", "POST"])
    def report():  # type: ignore[no-untyped-def]
        return jsonify(rows=[])

    # --8<-- [end:cross-origin]
    app.add_url_rule("/api/other", "other", lambda: "other")
    return app


def instead_of_an_after_request_hook() -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/api/items", "items", lambda: jsonify(items=[]))
    # --8<-- [start:after-request]
    # Delete the @app.after_request hook that set "Access-Control-Allow-Origin: *", and:
    CORS(app, send_wildcard=True)  # "*" itself, as the hook sent; preflights now work too
    # --8<-- [end:after-request]
    return app


def instead_of_crossdomain() -> Flask:
    app = Flask(__name__)

    # --8<-- [start:crossdomain]
    # Instead of the old snippet's @crossdomain(origin="*", methods=["GET", "POST"],
    #                                           headers=["Content-Type"], max_age=21600):
    @app.route("/api/feed", methods=["GET", "POST"])
    @cross_origin(
        origins="*",
        send_wildcard=True,
        methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        max_age=7200,  # what Chromium keeps at most; 21600 is accepted, with a warning
    )
    def feed():  # type: ignore[no-untyped-def]
        return jsonify(entries=[])

    # --8<-- [end:crossdomain]
    return app
