"""Job functions the tests enqueue (importable by a worker by dotted path)."""

from __future__ import annotations


def store_value(key: str, value: str) -> None:
    from fastship.redis import get_redis

    get_redis().set(key, value, ex=60)


def current_request_id() -> str | None:
    from fastship.logs import request_id_var

    return request_id_var.get()


def note_queue(name: str) -> None:
    """Append ``name`` to a Redis list: the order jobs ran in."""
    from fastship.redis import get_redis

    get_redis().rpush("test:ran", name)


def fail_on_purpose() -> None:
    raise RuntimeError("a job that fails, for a test")


def fail_with(text: str) -> None:
    raise RuntimeError(f"could not use {text}")
