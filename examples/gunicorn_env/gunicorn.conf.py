"""gunicorn settings from the environment, as on a PaaS: ``PORT``, ``WEB_CONCURRENCY``, ``GUNICORN_THREADS``."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
wsgi_app = "wsgi:application"
accesslog = "-"
