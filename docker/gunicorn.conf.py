"""gunicorn settings for the API container (read by docker/entrypoint.sh api).

Timings are tied to the ALB and ECS settings in docker/cloudformation/app.yaml
(checked by docker/ecs_rules.py): keep-alive above the ALB idle timeout (60 s)
so the ALB never sends into a connection we are closing (502s); the graceful
timeout below the ECS stopTimeout (30 s) so workers finish before SIGKILL.
"""

import os
import signal
import threading

# Imported here, in the master, before any worker is forked: the drain flag's
# shared memory is then the same in every worker (fastship/draining.py).
from fastship.config.runtime import Logging, Server
from fastship.draining import draining_start, is_draining

bind = f"0.0.0.0:{Server.PORT.read(os.environ)}"
worker_class = "uvicorn_worker.UvicornWorker"
workers = Server.WEB_CONCURRENCY.read(os.environ)
keepalive = 75
graceful_timeout = 20
# On SIGTERM: answer on, with Connection: close, this long, then stop.
drain_seconds = Server.DRAIN_SECONDS.read(os.environ)
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


def when_ready(server):
    """Make the master's first SIGTERM a drain: set the flag, wait
    ``drain_seconds``, then stop as gunicorn does (graceful_timeout for the
    requests in hand). A second SIGTERM, or SIGINT/SIGQUIT, stops at once."""
    stop = server.handle_term

    def handle_term():
        if drain_seconds <= 0 or is_draining():
            stop()
            return
        draining_start()
        server.log.info("SIGTERM: draining for %.1f s, then stopping", drain_seconds)
        later = threading.Timer(drain_seconds, os.kill, (os.getpid(), signal.SIGTERM))
        later.daemon = True
        later.start()

    server.handle_term = handle_term
