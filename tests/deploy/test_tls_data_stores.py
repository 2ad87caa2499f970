"""TLS to PostgreSQL and Redis as the data stack sets them up, for real.

A private PostgreSQL that refuses plain connections (``hostnossl ... reject``:
what ``rds.force_ssl`` does) and a ``redis-server`` that speaks only TLS and
wants a password (ElastiCache with transit encryption and an auth token), both
with a certificate from a CA of the test's own. The API, started with production
settings and the URLs in the form data.yaml writes them
(``sslmode=verify-full&sslrootcert=<bundle>``, ``rediss://:<token>@``), reports
both dependencies healthy; trusting another CA, it reaches neither.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.healthcheck.conftest import PRODUCTION
from tests.servers import (
    free_port,
    gunicorn_argv,
    http_request,
    private_cluster,
    private_redis,
    running_server,
    server_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
TOKEN = {"Authorization": f"Bearer {PRODUCTION['HEALTH_TOKEN']}"}
HOST = {"Host": "api.fastship.example", "X-Forwarded-Proto": "https"}
REDIS_TOKEN = "redis-auth-token-for-the-tls-test-0123"


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def certificate_authority(folder: Path, name: str) -> Path:
    """A CA (its certificate and key in ``folder``); return its certificate."""
    openssl(
        *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
        *("-keyout", str(folder / f"{name}.key"), "-out", str(folder / f"{name}.pem")),
        *("-subj", f"/CN={name}"),
        *("-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
    )
    return folder / f"{name}.pem"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict[str, Path]:
    """The servers' CA, a server certificate for 127.0.0.1 it signed, another CA."""
    folder = tmp_path_factory.mktemp("tls")
    ca = certificate_authority(folder, "fastship-test-ca")
    other = certificate_authority(folder, "some-other-ca")
    key, request = folder / "server.key", folder / "server.csr"
    openssl(
        *("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1"),
        *("-keyout", str(key), "-out", str(request)),
    )
    extensions = folder / "server.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n"
    )
    openssl(
        *("x509", "-req", "-in", str(request), "-days", "2", "-CAcreateserial"),
        *("-CA", str(ca), "-CAkey", str(folder / "fastship-test-ca.key")),
        *("-out", str(folder / "server.pem"), "-extfile", str(extensions)),
    )
    return {"ca": ca, "other": other, "cert": folder / "server.pem", "key": key}


@pytest.fixture(scope="module")
def tls_postgres(certificates) -> Iterator[int]:
    """A migrated PostgreSQL that accepts TLS connections only; yield its port."""
    with private_cluster() as cluster:
        cluster.stop()
        postgres = pwd.getpwnam("postgres")
        files = {}
        for name in ("cert", "key"):
            files[name] = cluster.folder / f"server.{name}"
            shutil.copy(certificates[name], files[name])
            os.chown(files[name], postgres.pw_uid, postgres.pw_gid)
            files[name].chmod(0o600)
        hba = cluster.folder / "pg_hba.conf"
        hba.write_text(
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 trust\n"
            "hostnossl all all 0.0.0.0/0 reject\n"
        )
        os.chown(hba, postgres.pw_uid, postgres.pw_gid)
        cluster.start(
            "ssl=on",
            f"ssl_cert_file={files['cert']}",
            f"ssl_key_file={files['key']}",
            f"hba_file={hba}",
        )
        yield cluster.port


@pytest.fixture(scope="module")
def tls_redis(certificates) -> Iterator[int]:
    """A redis-server that speaks only TLS and wants the auth token."""
    with private_redis(
        *("--port", "0", "--tls-port", "{port}"),
        *("--tls-cert-file", str(certificates["cert"])),
        *("--tls-key-file", str(certificates["key"])),
        *("--tls-ca-cert-file", str(certificates["ca"])),
        *("--tls-auth-clients", "no", "--requirepass", REDIS_TOKEN),
    ) as server:
        yield server.port


def urls(postgres: int, redis: int, ca: Path) -> dict[str, str]:
    """DATABASE_URL and REDIS_URL as data.yaml writes them, for these servers."""
    return {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{postgres}/fastship"
        f"?sslmode=verify-full&sslrootcert={ca}",
        "REDIS_URL": f"rediss://:{REDIS_TOKEN}@127.0.0.1:{redis}/0",
        # Redis verifies against the default trust store; ElastiCache's
        # certificates are in the image's. Here the test CA stands in.
        "SSL_CERT_FILE": str(ca),
    }


def readiness(environment: dict[str, str]) -> dict:
    port = free_port()
    env = server_env(**PRODUCTION, **environment)
    with running_server(
        gunicorn_argv("fastship.asgi:application", port), port=port, env=env
    ):
        time.sleep(0.1)
        answer = http_request(
            port, "/api/v1/health", headers={**HOST, **TOKEN}, timeout=30
        )
    body = json.loads(answer.body)
    return {name: entries[0]["status"] for name, entries in body["checks"].items()}


def test_the_servers_refuse_plain_connections(tls_postgres, tls_redis):
    """The stand-ins really demand TLS, as RDS and ElastiCache are set up to."""
    with pytest.raises(psycopg.OperationalError, match=r"no encryption|reject"):
        psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{tls_postgres}/fastship?sslmode=disable",
            connect_timeout=5,
        ).close()
    import redis

    plain = redis.Redis(host="127.0.0.1", port=tls_redis, socket_timeout=3)
    with pytest.raises(redis.RedisError):
        plain.ping()


def test_the_api_reaches_both_over_verified_tls(tls_postgres, tls_redis, certificates):
    checks = readiness(urls(tls_postgres, tls_redis, certificates["ca"]))
    for name in ("database:responseTime", "database:migrations", "redis:responseTime"):
        assert checks[name] == "pass", checks


def test_a_certificate_it_cannot_verify_is_refused(
    tls_postgres, tls_redis, certificates
):
    checks = readiness(urls(tls_postgres, tls_redis, certificates["other"]))
    assert checks["database:responseTime"] == "fail", checks
    assert checks["redis:responseTime"] != "pass", checks
