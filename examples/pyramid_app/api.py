"""Pyramid: the application factory ``main`` named by ``[app:api]`` in production.ini.

CORS is not configured here at all: production.ini puts ``[filter:cors]`` in front of this app.
"""

from pyramid.config import Configurator
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config


@view_config(route_name="items", request_method="GET", renderer="json")
def list_items(request):
    request.response.headers["X-Request-Id"] = "req-1"
    return {"items": [{"id": 1, "name": "teapot"}]}


@view_config(route_name="item", request_method="PUT", renderer="json")
def update_item(request):
    return {"id": int(request.matchdict["item_id"]), "updated": True}


@view_config(route_name="boom")
def boom(request):
    raise RuntimeError("an unhandled bug: the exception view below answers 500")


@view_config(route_name="health", renderer="string")
def health(request):
    return "ok"


# Pyramid has no 500 page of its own: without an exception view the exception leaves the WSGI app and
# the server writes its own 500, which no middleware (CORS or other) ever sees.
@exception_view_config(Exception)
def server_error(exc, request):
    return Response("Internal Server Error", status=500, content_type="text/plain")


def main(global_config, **settings):
    with Configurator(settings=settings) as config:
        config.add_route("items", "/api/items")
        config.add_route("item", r"/api/items/{item_id:\d+}")
        config.add_route("boom", "/api/boom")
        config.add_route("health", "/health")
        config.scan()
    return config.make_wsgi_app()
