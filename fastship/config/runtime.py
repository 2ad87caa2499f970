"""Variables of the platform: environment, security, database, Redis, server, logs."""

from __future__ import annotations

from fastship.config import (
    ENVIRONMENTS,
    Bool,
    Choice,
    Float,
    Group,
    Int,
    List,
    Networks,
    Text,
)


class Environment(Group):
    title = "environment"
    DJANGO_ENV = Choice(
        "development",
        "development (reads .env), production (the Docker image) or test (the "
        "test suite's own; the embedded defaults without .env).",
        choices=ENVIRONMENTS,
        example="development",
    )
    DJANGO_DEBUG = Bool(False, "Debug pages.", development=True)
    DJANGO_SECRET_KEY = Text(
        "django-insecure-dev-only-key-never-used-in-production-0123456789abcdef",
        "Django's signing key, 50+ random characters.",
        required_in_production=True,
        secret=True,
    )
    JWT_SECRET = Text(
        "dev-only-jwt-secret-never-used-in-production",
        "Signs JWT access and refresh tokens; distinct from DJANGO_SECRET_KEY.",
        required_in_production=True,
        secret=True,
    )
    DJANGO_ALLOWED_HOSTS = List(
        ["localhost", "127.0.0.1", "[::1]", "testserver"],
        "Comma list of host names served (the health probe answers any Host).",
        required_in_production=True,
    )
    CSRF_TRUSTED_ORIGINS = List(
        [], "Comma list of origins trusted for CSRF (https://admin.example.com)."
    )
    ADMIN_ALLOWED_NETWORKS = Networks(
        [],
        "Comma list of networks that may open /admin/ and /django-rq/ "
        "(10.0.0.0/16, 192.0.2.7); others get a 403. Checked against the client "
        "address the load balancer reports (see TRUSTED_PROXIES). Empty: every "
        "network.",
    )
    TRUSTED_PROXIES = Int(
        0,
        "Proxies in front that append to X-Forwarded-For, so the client address "
        "is that many entries from the right: request logs, throttles (DRF's "
        "NUM_PROXIES) and ADMIN_ALLOWED_NETWORKS use it. 0: the socket peer "
        "(behind the ALB with uvicorn trusting it, keep 0).",
        minimum=0,
    )
    DJANGO_SECURE_SSL_REDIRECT = Bool(
        False,
        "Redirect plain HTTP to HTTPS (the ALB sets X-Forwarded-Proto).",
        production=True,
    )
    DJANGO_SECURE_HSTS_SECONDS = Int(
        0, "HSTS max-age in seconds.", production=31_536_000, minimum=0
    )
    DJANGO_STATIC_ROOT = Text(
        "",
        "Where collectstatic puts static files, served by WhiteNoise. Empty: "
        "staticfiles/ in the project (the image uses /app/staticfiles).",
    )
    DJANGO_MAX_BODY_BYTES = Int(
        1_048_576, "Largest request body accepted; larger gets 413.", minimum=1024
    )
    PUBLIC_BASE_URL = Text(
        "http://127.0.0.1:8000",
        "Absolute base of links in emails (tracking, verification, reset, review); "
        "the default is where make run, make dev and make up serve.",
        example="http://127.0.0.1:8000",
    )


class Database(Group):
    title = "database"
    DATABASE_URL = Text(
        "",
        "postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=verify-full&sslrootcert="
        "/path.pem. Query options go to libpq; asyncpg's ssl=require becomes "
        "sslmode=require. Neither this nor POSTGRES_HOST: an embedded SQLite file "
        "(db.sqlite3).",
    )
    POSTGRES_HOST = Text("", "Used when DATABASE_URL is unset; turns PostgreSQL on.")
    POSTGRES_PORT = Int(5432, "PostgreSQL port (with POSTGRES_HOST).", minimum=1)
    POSTGRES_DB = Text("fastship", "Database name (with POSTGRES_HOST).")
    POSTGRES_USER = Text("postgres", "User (with POSTGRES_HOST).")
    POSTGRES_PASSWORD = Text("", "Password (with POSTGRES_HOST).")
    POSTGRES_SSLMODE = Text(
        "", "libpq sslmode, e.g. require or verify-full (with POSTGRES_HOST)."
    )
    POSTGRES_SSLROOTCERT = Text(
        "", "CA bundle path, e.g. the RDS global bundle (with POSTGRES_HOST)."
    )
    DATABASE_CONNECT_TIMEOUT = Int(5, "Seconds to open a connection.", minimum=1)
    DATABASE_STATEMENT_TIMEOUT_MS = Int(
        5000, "Longest statement, in milliseconds.", minimum=1
    )
    DATABASE_POOL = Bool(
        False,
        "Django's psycopg pool: connections shared by the threads that serve "
        "requests. docker/entrypoint.sh turns it on for the API (gunicorn with "
        "uvicorn workers); the worker forks and keeps it off.",
    )
    DATABASE_POOL_MAX_SIZE = Int(10, "Pool size bound.", minimum=1)
    DATABASE_POOL_TIMEOUT = Float(
        0.8,
        "Seconds a request waits for a pooled connection: past that the database "
        "is down or overloaded, and a quick 503 beats a queue.",
        minimum=0.1,
    )
    PASSWORD_HASH_CONCURRENCY = Int(
        2,
        "Password hashes (logins) that run at once per process; others wait "
        "PASSWORD_HASH_WAIT, then answer 503 with Retry-After, so a flood of "
        "logins cannot take every request thread and the CPU.",
        minimum=1,
    )
    PASSWORD_HASH_WAIT = Float(
        0.1,
        "Seconds a login waits for a hashing slot before it answers 503: short, "
        "so a flood of logins is shed at once instead of holding request threads.",
        minimum=0.0,
    )
    REQUEST_THREADS = Int(
        0,
        "Threads per ASGI worker that run requests' synchronous part (middleware, "
        "view, ORM) in one hop each. 0: as many as DATABASE_POOL_MAX_SIZE, so "
        "none waits for a connection.",
        minimum=0,
    )
    REQUEST_QUEUE_TIMEOUT = Float(
        0.5,
        "Seconds a request may wait for a request thread; past that it is "
        "answered 503 with Retry-After without being run (with the pool's "
        "DATABASE_POOL_TIMEOUT, a request is answered or shed within about 1 s).",
        minimum=0.0,
    )
    REQUEST_QUEUE_MAX = Int(
        0,
        "Requests that may wait for a request thread at once per ASGI worker; "
        "one more is answered 503 with Retry-After at once. 0: 16 x the threads "
        "(a backstop: REQUEST_QUEUE_TIMEOUT sheds first; requests whose client "
        "left still wait their turn, so a burst of reconnects must not trip it).",
        minimum=0,
    )
    DATABASE_LOCK_TIMEOUT_MS = Int(
        0,
        "Longest wait for a row or table lock, in milliseconds (0: PostgreSQL's "
        "own, no limit but the statement timeout). docker/entrypoint.sh sets "
        "500 for the API; a create waiting on its partner's row tries once "
        "more, then answers 503 with Retry-After after about a second, not "
        "after the 5 s statement timeout.",
        minimum=0,
    )
    DATABASE_POOL_MIN_SIZE = Int(
        4,
        "Connections the pool keeps open while idle: a burst after a quiet "
        "spell finds them ready instead of opening them one by one.",
        minimum=1,
    )


class Redis(Group):
    title = "redis (RQ jobs, cache, throttling)"
    REDIS_URL = Text(
        "",
        "redis://[:password@]host:6379/0, or rediss:// for TLS (ElastiCache in "
        "transit). Neither this nor REDIS_HOST: jobs run inline in-process and "
        "the cache is local memory.",
    )
    REDIS_HOST = Text("", "Used when REDIS_URL is unset.")
    REDIS_PORT = Int(6379, "Port (with REDIS_HOST).", minimum=1)
    REDIS_DB = Int(0, "Database number (with REDIS_HOST).", minimum=0)
    REDIS_PASSWORD = Text("", "Password (with REDIS_HOST).")
    REDIS_SSL = Bool(False, "TLS (with REDIS_HOST).")
    REDIS_CONNECT_TIMEOUT = Float(
        1.0, "Seconds every Redis client waits to connect.", minimum=0.01
    )
    REDIS_SOCKET_TIMEOUT = Float(
        1.0,
        "Seconds every Redis client waits for a reply (redis-py's own default "
        "would retry ten times with 5 s timeouts: a minute per hung call).",
        minimum=0.01,
    )
    REDIS_RETRIES = Int(1, "Retries after a failed Redis call.", minimum=0)
    THROTTLE_REDIS_TIMEOUT = Float(
        0.2,
        "The throttles' own client: connect and reply timeout in seconds, no "
        "retries, so a hung Redis costs a login at most a few of these.",
        minimum=0.01,
    )
    RQ_JOB_TIMEOUT = Int(60, "Longest run of one RQ job, in seconds.", minimum=1)


class Server(Group):
    title = "server (docker/gunicorn.conf.py)"
    WEB_CONCURRENCY = Int(2, "gunicorn worker processes.", minimum=1)
    PORT = Int(8000, "Port gunicorn listens on.", minimum=1)
    FORWARDED_ALLOW_IPS = Text(
        "10.0.0.0/8",
        "Peers whose X-Forwarded-For/-Proto uvicorn trusts: the VPC CIDR.",
    )
    DRAIN_SECONDS = Float(
        5.0,
        "On SIGTERM, seconds the API keeps answering (each answer with "
        "Connection: close, the probe 503) before gunicorn stops its workers; "
        "with graceful_timeout (20 s) it must stay below the task's "
        "stopTimeout (30 s): docker/ecs_rules.py checks it. 0: stop at once.",
        minimum=0.0,
    )
    GUNICORN_MAX_REQUESTS = Int(
        0,
        "Recycle a gunicorn worker after this many requests (10 % jitter). 0: "
        "never, since a recycle resets the keep-alive connections the ALB "
        "reuses, and `make bench-soak` shows a worker's memory flat.",
        minimum=0,
    )


class Logging(Group):
    title = "logging"
    LOG_LEVEL = Choice(
        "INFO",
        "DEBUG, INFO, WARNING or ERROR.",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
    )
    LOG_JSON = Bool(
        False, "JSON lines on stdout (readable lines when off).", production=True
    )
