"""Every variable the settings read is documented in .env.example."""

from __future__ import annotations

import re

from tests.servers import PROJECT_DIR

READ_PATTERN = re.compile(
    r"""(?:env_\w+\(\s*(?:env|environ),\s*|require\(\s*(?:env|environ),\s*|"""
    r"""(?:env|environ)\.get\(\s*|(?:env|environ)\[)"([A-Z][A-Z0-9_]+)\""""
)
INTERNAL = {"FASTSHIP_ASGI"}  # set by fastship/asgi.py, not by operators


def variables_read() -> set[str]:
    names: set[str] = set()
    for module in ("fastship/settings.py", "fastship/env.py"):
        names |= set(READ_PATTERN.findall((PROJECT_DIR / module).read_text()))
    return names - INTERNAL


def test_every_variable_is_in_env_example():
    """No setting reads a variable that .env.example does not list."""
    documented = set(
        re.findall(
            r"^([A-Z][A-Z0-9_]+)=", (PROJECT_DIR / ".env.example").read_text(), re.M
        )
    )
    assert variables_read(), "the pattern found no variables: it is broken"
    assert variables_read() - documented == set()
