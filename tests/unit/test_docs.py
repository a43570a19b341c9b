"""The documentation stands alone: a short README whose links all resolve, docs pages whose
links all resolve, and references generated from the code that list all of it.

`make docs` (run by `make test`) builds the site strictly, which checks the pages' links
and anchors as MkDocs resolves them; these tests also cover the README, which MkDocs
does not build, and run without the site.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# Pages the build generates (docs/hooks/reference.py), absent from the tree.
GENERATED = {
    DOCS / "reference" / "api.md",
    DOCS / "reference" / "cli.md",
    DOCS / "benchmarks" / "results.md",
    DOCS / "benchmarks" / "lateness.png",
}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def local_links(page: Path) -> list[str]:
    """The links of `page` to files of the repository (not to the web, not in-page)."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return [
        target
        for target in LINK.findall(text)
        if not re.match(r"^[a-z]+:", target) and not target.startswith("#")
    ]


def test_the_readme_is_short_and_says_how_to_run_and_test():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 250
    assert "make run" in text and "make test" in text


def test_every_link_of_the_readme_and_the_docs_resolves():
    pages = [README, *sorted(DOCS.rglob("*.md"))]
    broken = []
    for page in pages:
        for target in local_links(page):
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if not path.exists() and path not in GENERATED:
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []
    assert len(pages) > 10


def test_the_readme_links_every_docs_page():
    linked = {(ROOT / t.split("#", 1)[0]).resolve() for t in local_links(README)}
    written = {p.resolve() for p in DOCS.glob("*.md")}
    assert written - linked == set()
