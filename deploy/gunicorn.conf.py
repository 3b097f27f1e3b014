"""gunicorn settings for Parley, every one overridable from the environment."""

import multiprocessing
import os

# Not PORT: honcho sets PORT for every process it starts.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PARLEY_PORT', '8000')}")
# Requests spend most of their time in the database, so a few threads per worker pay off;
# 2 x cores + 1 workers is gunicorn's own rule of thumb.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
