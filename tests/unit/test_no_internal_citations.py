"""The repository's files stand alone: none cites a document that is not in the repository.

The team's design notes, HTTP contract and style guide live outside the repository, so a
comment, docstring, test or page that points at them ("see DESIGN, section 3") leaves its
reader with nothing to follow; the pydantic and enum docstrings even reach the public
OpenAPI document. What such a reference meant belongs in the sentence itself, or in the
README section that explains it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Written so that this file does not match itself: the three documents by name, and the
# section marks ("DESIGN" then a section sign) used to cite the design notes.
INTERNAL_CITATION = re.compile(r"\b(?:API|DESIGN|STYLE)\.md\b|\bDESIGN \N{SECTION SIGN}")


def tracked_files() -> list[str]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listing.returncode != 0:
        pytest.skip("not a git checkout: there are no tracked files to check")
    paths = listing.stdout.decode("utf-8").split("\0")
    return [path for path in paths if path]


def citations_in(path: str) -> list[str]:
    file = ROOT / path
    if not file.is_file():  # tracked, but deleted in the working tree
        return []
    content = file.read_bytes()
    if b"\0" in content:  # binary
        return []
    text = content.decode("utf-8", errors="replace")
    return [
        f"{path}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if INTERNAL_CITATION.search(line)
    ]


def test_every_tracked_file_stands_alone_citing_no_document_outside_the_repository() -> None:
    citations = [citation for path in tracked_files() for citation in citations_in(path)]
    assert not citations, "say what the cited section says instead:\n" + "\n".join(citations)


def test_the_check_recognises_each_internal_citation() -> None:
    md, section = ".md", "\N{SECTION SIGN}"  # spelled apart, or this file would match
    for text in (f"see API{md}", f"DESIGN{md} {section}3", f"(STYLE{md})", f"DESIGN {section}5"):
        assert INTERNAL_CITATION.search(text), text
    for text in ("docs/api.md", "RFC 7235 §2.1", 'README "Schedules"'):
        assert not INTERNAL_CITATION.search(text), text
