"""The architecture page's "Layout" tree and "Architecture" table (docs/architecture.md)
name only paths that exist, so moving or renaming code without updating them fails here
instead of misleading a reader."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
SUNDIAL = ROOT / "functions" / "sundial"

# A file or directory name, or several joined by '/': `core/`, `layer/requirements.txt`.
PATH = re.compile(r"^\.?[\w-]+(\.[\w-]+)*(/[\w.-]+)*/?$")


def section(title: str) -> str:
    start = PAGE.index(f"\n## {title}\n")
    end = PAGE.find("\n## ", start + 1)
    return PAGE[start:end]


def layout_paths() -> list[str]:
    """The Layout tree's entries as paths from the repository root.

    Each line is `<indent><path> <description>`; an indented path is relative to the
    nearest directory entry above it with less indent."""
    tree = section("Layout").split("```")[1]
    parents: list[tuple[int, str]] = []
    paths = []
    for line in tree.splitlines():
        if not line.strip():
            continue
        entry = line.split()[0]
        if not PATH.match(entry) or ("/" not in entry and "." not in entry):
            continue
        indent = len(line) - len(line.lstrip(" "))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        path = (parents[-1][1] if parents else "") + entry
        if entry.endswith("/"):
            parents.append((indent, path))
        paths.append(path)
    return paths


def test_every_path_the_layout_lists_exists() -> None:
    paths = layout_paths()
    assert "functions/sundial/core/task/" in paths  # the nesting was understood
    assert len(paths) > 30
    missing = [path for path in paths if not (ROOT / path).exists()]
    assert missing == []


def test_every_directory_the_layout_lists_is_one() -> None:
    files_as_directories = [
        path for path in layout_paths() if path.endswith("/") and not (ROOT / path).is_dir()
    ]
    assert files_as_directories == []


def test_every_sundial_package_and_tests_directory_has_a_line_in_the_layout() -> None:
    listed = set(layout_paths())
    packages = {
        f"functions/sundial/{child.name}/"
        for child in SUNDIAL.iterdir()
        if (child / "__init__.py").is_file()
    }
    test_directories = {
        f"tests/{child.name}/"
        for child in (ROOT / "tests").iterdir()
        if child.is_dir() and not child.name.startswith(("_", "."))
    }
    assert packages - listed == set()
    assert test_directories - listed == set()


def test_every_place_the_behaviour_table_names_exists() -> None:
    architecture = section("Architecture")
    table = architecture[architecture.index("| behaviour | where |") :]
    places = []
    for row in table.splitlines():
        if not row.startswith("|"):
            break
        where = row.rsplit("|", 2)[-2]
        places += [p for p in re.findall(r"`([^`]+)`", where) if "/" in p or "." in p]
    assert len(places) > 20
    # Paths are under functions/sundial/ unless they start at the repository root.
    missing = [
        place for place in places if not (ROOT / place).exists() and not (SUNDIAL / place).exists()
    ]
    assert missing == []
