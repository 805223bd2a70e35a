"""gunicorn settings for Opora: production (docs/DEPLOY.md) and bench/load use this file.
Each setting can be changed by the environment variable named next to it."""
import multiprocessing
import os

bind = os.environ.get("OPORA_BIND", "127.0.0.1:8000")
# Sync workers, one request at a time each, behind a buffering reverse proxy (nginx). A request
# waits for a free worker in the kernel's accept queue, so load spreads evenly; threads or
# keep-alive connections pin requests to a busy worker and lengthen the tail (bench/load:
# task update p95 62 ms with sync workers against 160–190 ms with 4 threads, 2 cores).
worker_class = "sync"
workers = int(os.environ.get("OPORA_WORKERS", multiprocessing.cpu_count() + 1))
timeout = int(os.environ.get("OPORA_WORKER_TIMEOUT", "60"))  # Excel exports run as jobs, not in the request
graceful_timeout = 30
# Opora writes its own JSON access log line with the request id (app/logs.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("OPORA_GUNICORN_LOG_LEVEL", "info")
# The reverse proxy whose X-Forwarded-* headers are trusted (HTTPS detection, client address).
forwarded_allow_ips = os.environ.get("OPORA_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
