"""The test suite's settings: the product's own, plus what only tests want.

pytest (``pyproject.toml``) and the servers the tests start (they inherit
``DJANGO_SETTINGS_MODULE``) load this module. pytest-django reads settings
before any conftest runs, so these choices cannot live in ``conftest.py``.
"""

import os

from django.conf import global_settings

os.environ.setdefault("DJANGO_ENV", "test")

# Each run, and each pytest-xdist worker of it, its own Redis database
# (tests/redis_db.py); the product's settings below read the claimed URL.
if os.environ.get("REDIS_URL"):
    from tests.redis_db import claim

    os.environ["REDIS_URL"] = claim(
        os.environ["REDIS_URL"], os.environ.get("PYTEST_XDIST_WORKER", "main")
    )

from fastship.settings import *  # noqa: F403

# Hashing speed is irrelevant to what the tests prove; the product's hashers
# stay listed, so accounts a product-settings subprocess made still log in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *global_settings.PASSWORD_HASHERS,
]

# Each run its own test database (test_<name>_<run>), so two runs on one
# machine never share one; the servers a test starts inherit the run's id.
# `make test` drops what a killed run left (scripts/test_services.py).
TEST_RUN = os.environ.setdefault("FASTSHIP_TEST_RUN", str(os.getpid()))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    _database = DATABASES["default"]  # noqa: F405
    _database["TEST"] = {"NAME": f"test_{_database['NAME']}_{TEST_RUN}"}

# A server a test starts may serve the views that fail on purpose as well.
if os.environ.get("FASTSHIP_TEST_URLS") == "1":
    ROOT_URLCONF = "tests.urls"
