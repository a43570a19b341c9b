"""Pages the docs site generates at build time, so they never drift from the code:

* `reference/api.md` from the OpenAPI document the API serves (`/v1/openapi.json`);
* `reference/cli.md` from the `sundial` command's own definitions (click);
* `benchmarks/results.md` from `benchmarks/RESULTS.md`, with its chart, as `make bench`
  last wrote them.

A MkDocs hook (mkdocs.yml `hooks:`): `on_files` adds the pages to the build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PREFIX = "#/components/schemas/"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    results = ROOT / "benchmarks" / "RESULTS.md"
    pages = {
        "reference/api.md": api_reference(),
        "reference/cli.md": cli_reference(),
        "benchmarks/results.md": results.read_text(encoding="utf-8"),
    }
    for uri, content in pages.items():
        files.append(File.generated(config, uri, content=content))
    chart = ROOT / "benchmarks" / "lateness.png"
    if chart.exists():
        files.append(File.generated(config, "benchmarks/lateness.png", abs_src_path=str(chart)))
    return files


# --- the API -----------------------------------------------------------------------------------


def api_reference() -> str:
    from sundial.api import docs
    from sundial.api.app import app

    document = docs.openapi_document(app, docs.OPENAPI_INFO)
    schemas = document.get("components", {}).get("schemas", {})
    lines = [
        "# API reference",
        "",
        "Generated from the OpenAPI document the API serves at `/v1/openapi.json` "
        f"(version {document['info']['version']}). Every path is under the stage's base "
        "URL, e.g. `https://{api-id}.execute-api.{region}.amazonaws.com/v1`. Errors always "
        "answer the error envelope ([ErrorEnvelope](#errorenvelope)).",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            tag = (operation.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append((method.upper(), path, operation))
    for tag, operations in by_tag.items():
        lines += [f"## {tag.replace('-', ' ').capitalize()}", ""]
        for method, path, operation in operations:
            lines += _operation(method, path, operation)
    lines += ["## Schemas", ""]
    for name, schema in schemas.items():
        lines += _schema(name, schema)
    return "\n".join(lines) + "\n"


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### {method} {path}", "", operation.get("summary", ""), ""]
    if operation.get("description"):
        lines += [operation["description"], ""]
    if operation.get("security") == [{}]:
        lines += ["No credentials needed.", ""]
    parameters = operation.get("parameters") or []
    if parameters:
        lines += ["| parameter | in | required | type | description |", "|---|---|---|---|---|"]
        for p in parameters:
            lines.append(
                f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} | "
                f"{_type(p.get('schema', {}))} | {_cell(p.get('description', ''))} |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body:
        schema = body.get("content", {}).get("application/json", {}).get("schema", {})
        required = "required" if body.get("required") else "optional"
        lines += [f"Body ({required}): {_type(schema)}.", ""]
    lines += ["| status | answer |", "|---|---|"]
    for status, answer in operation.get("responses", {}).items():
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        shape = f" {_type(schema)}" if schema else ""
        lines.append(f"| {status} | {_cell(answer.get('description', ''))}{shape} |")
    return [*lines, ""]


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [_paragraph(schema["description"]), ""]
    if "enum" in schema:
        values = ", ".join(f"`{v}`" for v in schema["enum"])
        return [*lines, f"One of {values}.", ""]
    properties = schema.get("properties") or {}
    if not properties:
        return [*lines, f"Type: {_type(schema)}.", ""]
    required = set(schema.get("required") or [])
    lines += ["| field | type | required | description |", "|---|---|---|---|"]
    for field, spec in properties.items():
        description = spec.get("description", "")
        if "default" in spec:
            description += f" Default: `{json.dumps(spec['default'])}`."
        lines.append(
            f"| `{field}` | {_type(spec)} | {'yes' if field in required else 'no'} | "
            f"{_cell(description)} |"
        )
    return [*lines, ""]


def _type(schema: dict[str, Any]) -> str:
    """A schema as a short type: a link for a named schema, `a | b` for a union."""
    if not schema:
        return "any"
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(SCHEMA_PREFIX)
        return f"[{name}](#{name.lower()})"
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " \\| ".join(_type(s) for s in schema[union])
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "object")
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _paragraph(text: str) -> str:
    return " ".join(str(text).split())


# --- the command line --------------------------------------------------------------------------


def cli_reference() -> str:
    from sundial_cli.app import cli

    lines = [
        "# Command-line reference",
        "",
        "Generated from the `sundial` command itself (`sundial COMMAND --help` prints the "
        "same). Global options go before the command: `sundial --url URL --key KEY tasks "
        "list`.",
        "",
    ]
    _command(cli, "sundial", click.Context(cli, info_name="sundial"), lines)
    return "\n".join(lines) + "\n"


def _command(command: click.Command, name: str, context: click.Context, lines: list[str]) -> None:
    depth = min(name.count(" ") + 2, 4)
    usage = " ".join(command.collect_usage_pieces(context))
    lines += [f"{'#' * depth} `{name}`", "", f"    {name} {usage}".rstrip(), ""]
    if command.help:
        lines += [_help(command.help), ""]
    options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if arguments:
        lines.append("Arguments: " + ", ".join(f"`{a.human_readable_name}`" for a in arguments))
        lines.append("")
    if options:
        lines += ["| option | description |", "|---|---|"]
        for option in options:
            record = option.get_help_record(context)
            if record:
                flags, text = record
                lines.append(f"| `{flags}` | {_cell(text)} |")
        lines.append("")
    if isinstance(command, click.Group):
        for sub_name, sub in sorted(command.commands.items()):
            if sub.hidden:
                continue
            sub_context = click.Context(sub, info_name=sub_name, parent=context)
            _command(sub, f"{name} {sub_name}", sub_context, lines)


def _help(text: str) -> str:
    """click's help text as Markdown: `\\b` blocks kept as written, the rest reflowed."""
    blocks = []
    for block in text.split("\n\n"):
        if block.startswith("\b"):
            body = block.removeprefix("\b").strip("\n")
            blocks.append("\n".join(f"    {line}" for line in body.splitlines()))
        else:
            blocks.append(_paragraph(block))
    return "\n\n".join(blocks)
