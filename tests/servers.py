"""Real servers and sockets for tests: subprocess servers, hung and closed ports."""

from __future__ import annotations

import contextlib
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent


def wait_until(
    condition: Callable[[], bool], *, seconds: float, every: float = 0.05
) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; return its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def closed_port() -> Iterator[int]:
    """Yield a port whose connections are refused at once."""
    yield free_port()


@contextmanager
def hanging_port() -> Iterator[int]:
    """Yield a port that accepts connections and never answers a byte."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_forever() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            accepted.append(connection)  # held open, never read, never answered

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        listener.close()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def http_request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 5.0,
) -> Response:
    """Send one request to 127.0.0.1:``port`` with exactly the given headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.putrequest(method, path, skip_host="Host" in (headers or {}))
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return Response(
            status=response.status,
            headers={key.lower(): value for key, value in response.getheaders()},
            body=data,
            seconds=time.monotonic() - started,
        )
    finally:
        connection.close()


def server_env(**overrides: str | None) -> dict[str, str]:
    """Return the environment for a server subprocess; ``None`` removes a variable."""
    environ = dict(os.environ)
    environ.pop("PYTEST_VERSION", None)
    environ.setdefault("DJANGO_ENV", "test")
    for key, value in overrides.items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    return environ


def worker_env(redis_url: str, **overrides: str | None) -> dict[str, str]:
    """The environment of a server or worker on the test database and the Redis
    at ``redis_url`` (the test's own), as ``docker/entrypoint.sh`` reads it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    return server_env(
        PYTHON=sys.executable,
        DATABASE_URL=(
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}"
        ),
        POSTGRES_HOST=None,
        REDIS_URL=redis_url,
        REDIS_HOST=None,
        **overrides,
    )


def entrypoint_worker(env: Mapping[str, str]) -> ServerProcess:
    """``docker/entrypoint.sh worker``, as the image starts the worker."""
    return ServerProcess(
        ["sh", str(PROJECT_DIR / "docker/entrypoint.sh"), "worker"], env
    )


class ServerProcess:
    """A server subprocess whose output is drained (a full pipe would block it)."""

    def __init__(
        self,
        argv: list[str],
        env: Mapping[str, str],
        *,
        cwd: Path = PROJECT_DIR,
        tee: Path | None = None,
    ) -> None:
        self.tee = tee  # also written here, line by line (for a shell to read)
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        sink = self.tee.open("a") if self.tee is not None else None
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            if sink is not None:
                sink.write(line + "\n")
                sink.flush()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def poll(self) -> int | None:
        return self.process.poll()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Signal the server (as ECS signals PID 1), wait, return the exit code.

        Only the main process gets the signal: gunicorn's master passes it on
        to its workers, and a worker signalled twice dies before its exit hooks.
        Whatever is left after ``timeout`` is killed, group and all.
        """
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._reader.join(timeout=5)
        return self.process.returncode


@contextmanager
def running_server(
    argv: list[str],
    *,
    port: int,
    env: Mapping[str, str],
    ready_path: str = "/health",
    timeout: float = 30.0,
    cwd: Path = PROJECT_DIR,
    tee: Path | None = None,
) -> Iterator[ServerProcess]:
    """Start ``argv`` (a server on ``port``), wait until it answers, stop it after."""
    process = ServerProcess(argv, env, cwd=cwd, tee=tee)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                process.stop()
                raise RuntimeError(
                    f"server exited with {process.poll()}:\n{process.output}"
                )
            try:
                http_request(port, ready_path, headers={"Host": "localhost"}, timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server on port {port} did not answer in {timeout}s"
                    ) from None
                time.sleep(0.1)
        yield process
    finally:
        process.stop()


@contextmanager
def embedded_server(
    workdir: Path, *, tee: Path | None = None, env: Mapping[str, str] | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """FastShip as ``make run`` serves it (SQLite, jobs inline, mail on the
    console, runserver), from a copy of the code in ``workdir`` so the SQLite
    file is the caller's own; yields the port and the environment used."""
    project = workdir / "project"
    for name in ("fastship", "shipping", "healthcheck"):
        shutil.copytree(
            PROJECT_DIR / name,
            project / name,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    shutil.copy(PROJECT_DIR / "manage.py", project)
    port = free_port()
    served = {
        "PATH": f"{PROJECT_DIR / '.venv/bin'}:/usr/bin:/bin",
        "HOME": str(workdir),
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    for command in (["migrate", "--no-input"], ["demo_data"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=project,
            env=served,
            check=True,
            capture_output=True,
            timeout=120,
        )
    argv = [sys.executable, "manage.py", "runserver", "--noreload", "--insecure"]
    argv.append(f"127.0.0.1:{port}")
    with running_server(
        argv,
        port=port,
        env={**served, "PYTHONUNBUFFERED": "1"},
        cwd=project,
        tee=tee,
    ):
        yield port, served


def gunicorn_argv(
    app: str, port: int, *, asgi: bool = True, workers: int = 1
) -> list[str]:
    """Return the argv of a gunicorn serving ``app`` on 127.0.0.1:``port``."""
    argv = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers), "--graceful-timeout", "5", "--timeout", "60"]
    if asgi:
        # As docker/entrypoint.sh serves the API: request threads share the pool.
        argv += ["--worker-class", "uvicorn_worker.UvicornWorker"]
        argv += ["--env", f"DATABASE_POOL={os.environ.get('DATABASE_POOL', '1')}"]
    return argv


class PrivateRedis:
    """A ``redis-server`` of the test's own: hang it, kill it, start it again empty."""

    def __init__(self, *options: str) -> None:
        """``options`` go to redis-server as they are (e.g. TLS instead of the
        plain port: ``--port 0 --tls-port <port> ...``, with ``{port}`` in them
        replaced by this server's port)."""
        self.port = free_port()
        self.options = [option.format(port=self.port) for option in options]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--loglevel", "warning"),
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def pause(self) -> None:
        """SIGSTOP: connections are accepted by the kernel, never answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: everything in it is gone, the port refuses."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()

    def restart_empty(self) -> None:
        self.kill()
        self.start()


@contextmanager
def private_redis(*options: str) -> Iterator[PrivateRedis]:
    """Yield a started :class:`PrivateRedis`; it is killed after."""
    server = PrivateRedis(*options)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def run_or_say(argv: list[str], **kwargs: Any) -> None:
    """Run ``argv``; if it fails, raise with what it printed (not just its code)."""
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:6])} exited {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )


PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


@dataclass
class PrivateCluster:
    folder: Path
    port: int

    def _pg_ctl(self, *args: str) -> None:
        assert PG_BIN is not None
        run_or_say(
            [
                *("runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl")),
                *("-D", str(self.folder / "data"), "-w", "-t", "30", *args),
            ]
        )

    def start(self, *settings: str) -> None:
        """Start it; each of ``settings`` is a ``name=value`` of postgresql.conf."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder}"
        ) + "".join(f" -c {setting}" for setting in settings)
        self._pg_ctl("-o", options, "-l", str(self.folder / "log"), "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/fastship"

    def sql(
        self, statement: str, params: tuple = (), *, database: str = "postgres"
    ) -> None:
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/{database}", autocommit=True
        ) as connection:
            connection.execute(statement, params)


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A migrated PostgreSQL cluster of the test's own (initdb, run as postgres)."""
    assert PG_BIN is not None
    folder = Path(tempfile.mkdtemp(prefix="fastship-pg-"))
    postgres = pwd.getpwnam("postgres")
    os.chown(folder, postgres.pw_uid, postgres.pw_gid)
    run_or_say(
        [
            *("runuser", "-u", "postgres", "--", str(PG_BIN / "initdb")),
            *("-D", str(folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync"),
        ]
    )
    server = PrivateCluster(folder, free_port())
    server.start()
    try:
        server.sql("CREATE DATABASE fastship")
        run_or_say(
            [sys.executable, "manage.py", "migrate", "-v0"],
            env=server_env(DATABASE_URL=server.url(), REDIS_URL=None),
            cwd=PROJECT_DIR,
        )
        yield server
    finally:
        with contextlib.suppress(RuntimeError):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
