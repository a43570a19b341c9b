"""The references the docs site generates from the code (docs/hooks/reference.py) list
all of it: every route and schema of the OpenAPI document, every command of the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "hooks"))

import reference  # noqa: E402  (the docs site's build hook)


def test_the_api_reference_documents_every_route_and_schema():
    from sundial.api import docs
    from sundial.api.app import app

    document = docs.openapi_document(app, docs.OPENAPI_INFO)
    page = reference.api_reference()
    for path, item in document["paths"].items():
        for method in item:
            assert f"### {method.upper()} {path}\n" in page
    for name in document["components"]["schemas"]:
        assert f"### {name}\n" in page


def test_the_cli_reference_documents_every_command():
    from sundial_cli.app import cli

    page = reference.cli_reference()

    def names(command: click.Command, prefix: str) -> list[str]:
        found = [prefix]
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                if not sub.hidden:
                    found += names(sub, f"{prefix} {name}")
        return found

    commands = names(cli, "sundial")
    assert len(commands) > 10
    for name in commands:
        assert f" `{name}`\n" in page
