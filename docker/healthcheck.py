#!/usr/bin/env python3
"""Container health check for ECS: probe /health with the standard library only.

Usage in the task definition: ["CMD", "python", "/app/docker/healthcheck.py"].
Exits 0 when the server answers 200 within --timeout, 1 otherwise.
"""

import sys
from pathlib import Path

# sys.path[0] is this folder, where this very file would shadow the
# ``healthcheck`` package: look in the project folder instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from healthcheck.client import main  # noqa: E402 - after the path fallback

if __name__ == "__main__":
    sys.exit(main(["--quiet", *sys.argv[1:]]))
