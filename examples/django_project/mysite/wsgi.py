"""WSGI entry point: Django's application, wrapped by cors_wsgi configured from ``settings.CORS_*``."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from cors_wsgi import CORSMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
application = CORSMiddleware.from_mapping(get_wsgi_application(), settings)
