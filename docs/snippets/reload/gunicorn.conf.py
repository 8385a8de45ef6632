"""gunicorn: each worker re-reads the allowed origins every CORS_RELOAD_SECONDS, without a restart."""

import os
import threading
import time

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = 2
wsgi_app = "wsgi:application"
RELOAD_SECONDS = float(os.environ.get("CORS_RELOAD_SECONDS", "60"))


def post_worker_init(worker):
    """Runs in each worker once it has imported wsgi.py: the same module object the worker serves."""
    from wsgi import application, cors_options

    def reload_forever():
        while True:
            time.sleep(RELOAD_SECONDS)
            try:
                application.reconfigure(**cors_options())
            except Exception:  # a bad file: log it, the previous configuration keeps serving
                worker.log.exception("CORS configuration not reloaded; the previous one stays")

    threading.Thread(target=reload_forever, name="cors-reload", daemon=True).start()
