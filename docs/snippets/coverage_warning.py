"""What cors_wsgi.flask says about routes that flask-cors' prefix matching covered (docs/migration.md)."""

import warnings

from flask import Flask

from cors_wsgi.flask import CORS

app = Flask(__name__)
for route in ("/api", "/api/users", "/api/users/<int:user_id>", "/apiary", "/api2/status"):
    app.add_url_rule(route, route, lambda **kwargs: "ok")

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    # --8<-- [start:prefix]
    CORS(app, resources=r"/api/*")  # under flask-cors: every path starting with "/api"
    # --8<-- [end:prefix]
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")
