"""Fail on a pinned dependency with a known vulnerability (PyPI's advisories).

Each pin of constraints.txt is looked up in PyPI's JSON API, whose
``vulnerabilities`` list carries the Python Packaging Advisory Database (the
data pip-audit reads). Exit 1 if any pin has an advisory, naming it and the
versions that fix it; exit 0 with a plain "not checked" when PyPI's API does
not answer (a machine without internet): the check is then not done, and
says so rather than pass in silence.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

# PYPI_JSON_API points elsewhere (a test's own server, a mirror with the API).
API = (
    os.environ.get("PYPI_JSON_API", "https://pypi.org/pypi") + "/{name}/{version}/json"
)
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)")
TIMEOUT = 5.0


def pins(path: Path) -> list[tuple[str, str]]:
    found = []
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found.append((match[1].lower(), match[2]))
    return found


def advisories(name: str, version: str) -> list[dict]:
    url = API.format(name=name, version=version)
    with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
        return list(json.load(answer).get("vulnerabilities") or [])


def reachable() -> str | None:
    """None when PyPI's JSON API answers; else why not."""
    try:
        advisories("pip", "24.0")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def main() -> int:
    constraints = Path(sys.argv[1] if len(sys.argv) > 1 else "constraints.txt")
    problem = reachable()
    if problem is not None:
        print(
            "dependency audit: NOT CHECKED - PyPI's advisory data did not answer "
            f"({problem}); run `make audit` where it does."
        )
        return 0
    vulnerable = []
    for name, version in pins(constraints):
        try:
            found = advisories(name, version)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                continue  # not on PyPI under that name: nothing known
            raise
        for advisory in found:
            fixed = ", ".join(advisory.get("fixed_in") or []) or "no fix yet"
            vulnerable.append(
                f"{name}=={version}: {advisory.get('id')} (fixed in {fixed})"
            )
    if vulnerable:
        print("dependency audit: known-vulnerable pins:")
        print("\n".join(f"  {line}" for line in vulnerable))
        return 1
    print(f"dependency audit: {len(pins(constraints))} pins, no known vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main())
