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
