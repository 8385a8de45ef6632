"""A function in ``origins``: tenants' sites, decided at request time (docs/configuration/origins.md)."""

from cors_wsgi import CORSMiddleware


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"[]"]


# --8<-- [start:function]
ACTIVE_TENANTS = {"acme", "globex"}  # in real life a database or a cache you refresh


def is_tenant_origin(origin):
    """https://<tenant>.shop.example, for active tenants only."""
    scheme, _, host = origin.partition("://")
    tenant, _, domain = host.partition(".")
    return scheme == "https" and domain == "shop.example" and tenant in ACTIVE_TENANTS


application = CORSMiddleware(
    app,
    resources=r"/api/*",
    origins=["https://app.example.com", is_tenant_origin],
    supports_credentials=True,
)
# --8<-- [end:function]

for origin in ("https://acme.shop.example", "https://initech.shop.example", "https://app.example.com"):
    print(application.explain("GET", "/api/orders", {"Origin": origin}))
