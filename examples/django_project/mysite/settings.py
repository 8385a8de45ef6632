"""A minimal Django project: one app-less URLconf, no database, DEBUG off as in production."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "mysite.urls"
# runserver serves this object: the wrapped one, so the development server has CORS too.
WSGI_APPLICATION = "mysite.wsgi.application"
INSTALLED_APPS = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES = {}
USE_TZ = True

# CORS, read by mysite/wsgi.py with CORSMiddleware.from_mapping(..., settings).
# django-cors-headers users: CORS_ALLOWED_ORIGINS is CORS_ORIGINS here, CORS_ALLOW_CREDENTIALS is
# CORS_SUPPORTS_CREDENTIALS (a misspelt or foreign key is a startup error that names the right one).
CORS_RESOURCES = r"/api/*"
CORS_ORIGINS = ["https://app.example.com"]
CORS_METHODS = ["GET", "PUT", "DELETE"]
CORS_ALLOW_HEADERS = ["Content-Type", "Authorization"]
CORS_SUPPORTS_CREDENTIALS = True
