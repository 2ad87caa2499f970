"""The README stays a front door; the rest lives in docs/ (built by `make docs`)."""

from __future__ import annotations

import re

from tests.servers import PROJECT_DIR


def test_the_readme_is_short_and_its_lines_readable():
    lines = (PROJECT_DIR / "README.md").read_text().splitlines()
    assert len(lines) <= 200, len(lines)
    prose = [line for line in lines if not line.startswith(("|", " ", "curl", "-"))]
    assert max(map(len, prose)) <= 100


def test_every_chapter_the_readme_names_exists_and_is_in_the_site():
    readme = (PROJECT_DIR / "README.md").read_text()
    site = (PROJECT_DIR / "mkdocs.yml").read_text()
    chapters = re.findall(r"\]\(docs/([a-z-]+\.md)", readme)
    assert len(chapters) >= 8
    for chapter in chapters:
        assert (PROJECT_DIR / "docs" / chapter).is_file(), chapter
        assert f": {chapter}" in site, chapter
