"""The documentation index lists every page of docs/, and every page it links exists."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_docs_index_lists_every_page():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([^)#]+\.md)\)", index))
    pages = {p.name for p in DOCS.glob("*.md")} - {"README.md"}
    assert pages - linked == set(), f"not in docs/README.md: {sorted(pages - linked)}"
    local = {p for p in linked if not p.startswith(("http", "../"))}
    assert local <= pages, f"linked but missing: {sorted(local - pages)}"
