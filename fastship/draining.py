"""Draining on SIGTERM: one flag the gunicorn master sets and its workers read.

ECS takes a task out of its target group first (the deregistration delay),
then sends SIGTERM; a manual StopTask sends it at once. Either way requests
may still arrive on connections that are open. On SIGTERM the master
(docker/gunicorn.conf.py) sets this flag and waits ``DRAIN_SECONDS`` before
it stops its workers; meanwhile the workers answer every request, with
``Connection: close`` so each client opens its next connection elsewhere, and
the probe answers 503 so the load balancer stops choosing this task.

The flag is one byte of anonymous shared memory made when this module is
first imported: by gunicorn's configuration, in the master, before any worker
is forked, so every worker shares it. Outside gunicorn it is a plain flag.
"""

from __future__ import annotations

import mmap

_flag = mmap.mmap(-1, 1)


def draining_start() -> None:
    _flag[0] = 1


def draining_stop() -> None:
    """Forget a drain (tests)."""
    _flag[0] = 0


def is_draining() -> bool:
    return _flag[0] == 1
