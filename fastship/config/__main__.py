"""Print ``.env.example``: ``python -m fastship.config > .env.example``."""

import sys

from fastship.config import render_env_example

sys.stdout.write(render_env_example())
