"""gunicorn entry point: any WSGI application, wrapped by cors_wsgi configured from ``CORS_*`` variables."""

from myproject import app  # any WSGI application

from cors_wsgi import CORSMiddleware

application = CORSMiddleware.from_env(app)
