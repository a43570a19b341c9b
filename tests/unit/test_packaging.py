"""The Lambda layer and the Python package declare the same runtime dependencies."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _requirements() -> list[str]:
    lines = (ROOT / "infra" / "layer" / "requirements.txt").read_text().splitlines()
    return sorted(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def test_lambda_requirements_match_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert _requirements() == sorted(project["dependencies"])


def test_core_imports_nothing_from_aws():
    forbidden = ("boto3", "botocore", "pynamodb", "aws_lambda_powertools", "moto")
    for path in (ROOT / "functions" / "sundial" / "core").glob("*.py"):
        text = path.read_text()
        for name in forbidden:
            assert f"import {name}" not in text and f"from {name}" not in text, (path, name)


def test_every_file_the_functions_read_is_package_data():
    """A non-editable install (pip install .) carries the console's static files, py.typed,
    and any other non-Python file under functions/sundial."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    source = ROOT / "functions"
    for path in (source / "sundial").rglob("*"):
        if path.is_dir() or path.suffix in (".py", ".pyc"):
            continue
        package = path.parent
        while not (package / "__init__.py").exists():
            package = package.parent
        name = ".".join(package.relative_to(source).parts)
        relative = path.relative_to(package)
        assert any(relative.match(pattern) for pattern in globs.get(name, [])), (name, relative)
