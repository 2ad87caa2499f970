"""Which release this process runs: the image tag and the git commit.

The image sets both at build time (``docker/Dockerfile`` ``ARG``s, which
``docker/deploy.sh`` fills with the tag it pushes and the commit). Outside an
image the commit is read from the checkout's ``.git`` (no subprocess), and the
version is its first 12 characters. Each API worker and each job worker logs
its release when it starts; the readiness details (``/api/v1/health`` for
staff or the health token) carry it as ``version`` and ``releaseId``, as the
health+json draft names them; metrics carry it as the ``Version`` dimension.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("fastship.release")
CHECKOUT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Release:
    version: str  # the image tag; the commit's first 12 characters; or "dev"
    commit: str  # the full commit, "" when unknown


def _git_commit(checkout: Path) -> str:
    """HEAD's commit from ``.git`` files: a detached HEAD, a loose or packed ref."""
    git = checkout / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head.removeprefix("ref: ")
        loose = git / ref
        if loose.exists():
            return loose.read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            commit, _, name = line.partition(" ")
            if name == ref:
                return commit
    except OSError:  # no checkout (an image without FASTSHIP_COMMIT), unreadable
        pass
    return ""


@functools.cache
def current() -> Release:
    commit = os.environ.get("FASTSHIP_COMMIT", "").strip() or _git_commit(CHECKOUT)
    version = os.environ.get("FASTSHIP_VERSION", "").strip()
    return Release(version=version or commit[:12] or "dev", commit=commit)


def log_start(role: str) -> None:
    """One JSON line saying this process started, and which release it runs."""
    release = current()
    logger.info(
        json.dumps(
            {
                "event": "start",
                "role": role,
                "pid": os.getpid(),
                "version": release.version,
                "commit": release.commit,
            }
        )
    )
