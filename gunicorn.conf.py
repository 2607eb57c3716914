"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working directory.

Synchronous workers, one more than the machine has cores: on the 2-core machine of
docs/benchmarks.md ("Last") this gave the shortest and tightest response times of the variants
measured (3, 4, 5, 6 sync workers; 4 gthread workers with 2 threads each), because every request is
CPU-bound Python and keep-alive connections pinned to threaded workers queue unevenly.
Sync workers must sit behind a buffering reverse proxy (nginx, Apache) that talks to slow clients.
Every setting can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = 60  # large spreadsheet imports run in the request; everything heavy else runs in Celery
max_requests = 2000  # a fresh process now and then bounds memory growth
max_requests_jitter = 200
