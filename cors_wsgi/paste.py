"""PasteDeploy support: a ``[filter:cors]`` section in a Pyramid (or any Paste) ``.ini`` pipeline.

::

    [pipeline:main]
    pipeline = cors myapp

    [filter:cors]
    use = egg:cors_wsgi
    origins =
        https://app.example.com
        https://admin.example.com
    supports_credentials = true
    max_age = 600

Keys are the plain option names; values are strings, read like ``CORS_*`` environment variables
(lists separated by commas or newlines, booleans ``true``/``false``, ``resources`` as a pattern or a
JSON object). The ``[DEFAULT]`` section (``global_conf``) is not read: it is shared by every section,
and CORS settings leaking into it from another filter would be a surprise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .middleware import CORSMiddleware

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIApplication


def filter_app_factory(app: WSGIApplication, global_conf: Mapping[str, str], **local_conf: str) -> CORSMiddleware:
    """The ``paste.filter_app_factory`` entry point behind ``use = egg:cors_wsgi``."""
    return CORSMiddleware.from_mapping(app, local_conf, prefix="")
