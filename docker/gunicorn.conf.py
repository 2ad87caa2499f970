"""gunicorn settings for the API container (read by docker/entrypoint.sh api).

Timings are tied to the ALB and ECS settings in docker/cloudformation/app.yaml
(checked by docker/ecs_rules.py): keep-alive above the ALB idle timeout (60 s)
so the ALB never sends into a connection we are closing (502s); the graceful
timeout below the ECS stopTimeout (30 s) so workers finish before SIGKILL.
"""

import os

from fastship.config.runtime import Logging, Server

bind = f"0.0.0.0:{Server.PORT.read(os.environ)}"
worker_class = "uvicorn_worker.UvicornWorker"
workers = Server.WEB_CONCURRENCY.read(os.environ)
keepalive = 75
graceful_timeout = 20
timeout = 30
# Uvicorn rewrites the scheme and client address from X-Forwarded-* only for
# peers in this range: the VPC's (the ALB's nodes change address).
forwarded_allow_ips = Server.FORWARDED_ALLOW_IPS.read(os.environ)
# The application logs every request itself (fastship.requestlog).
accesslog = None
errorlog = "-"
loglevel = Logging.LOG_LEVEL.read(os.environ).lower()
# The heartbeat file on a RAM disk: a slow /tmp must not get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# gunicorn 23+ opens a control socket by default; nothing here uses it.
control_socket_disable = True
# Worker recycling is off: a recycled worker closes the keep-alive
# connections the ALB reuses (502s; 256-320 socket errors in 10 s of /health
# at 5,000), and it is not needed: `make bench-soak` held one worker at
# 123.2-123.8 MiB over 1.5 million requests of the hot paths (2026-12-02).
# An operator who sees growth sets GUNICORN_MAX_REQUESTS (jitter 10 %).
max_requests = Server.GUNICORN_MAX_REQUESTS.read(os.environ)
max_requests_jitter = max_requests // 10


def worker_exit(server, worker):
    """Flush buffered request logs when a worker exits (also done at ASGI shutdown)."""
    from fastship.requestlog.shipper import flush_shipper

    flush_shipper()
