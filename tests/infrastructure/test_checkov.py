"""checkov, the infrastructure-as-code security scanner, finds nothing in template.yaml.

checkov lives in a virtualenv of its own (`make checkov`), as the SAM CLI does: it pins
boto3 and packaging exactly, which would otherwise dictate the project's versions. It
runs offline: no policy download, no update check, no upload."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sundial_local.template import load_template

from .artifacts import REPO

# Nothing here may reach the network: the built-in policies are all that run.
OFFLINE = {
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
}


def find_checkov() -> Path | None:
    """The `checkov` executable: $CHECKOV, the Makefile's tool virtualenv, this
    virtualenv, PATH."""
    candidates = [
        os.environ.get("CHECKOV"),
        str(REPO / ".venv" / "checkov" / "bin" / "checkov"),
        str(Path(sys.executable).parent / "checkov"),
        shutil.which("checkov"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


@pytest.fixture(scope="module")
def checkov() -> Path:
    found = find_checkov()
    if found is None:
        message = "checkov is not installed: run `make checkov` (or set CHECKOV)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def scan(checkov: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_API", "PRISMA"))}
    env.update(OFFLINE)
    result = subprocess.run(
        [
            str(checkov),
            "--file",
            "template.yaml",
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # checkov exits 1 when a check fails; anything else is checkov itself failing.
    assert result.returncode in (0, 1), result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_checkov_finds_nothing_in_the_template(checkov):
    report = scan(checkov)
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["passed"] > 0  # the template was parsed and checked
    # Every suppression is one the template declares (below), none from elsewhere.
    skipped = {
        (c["check_id"], c["resource"].split(".")[-1]) for c in report["results"]["skipped_checks"]
    }
    assert skipped == set(declared_skips())


def declared_skips() -> dict[tuple[str, str], str]:
    """(check, resource) -> reason of every checkov:skip in the template's Metadata."""
    skips: dict[tuple[str, str], str] = {}
    for logical_id, resource in load_template()["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            skips[(skip["id"], logical_id)] = skip.get("comment", "")
    return skips


def test_every_suppressed_check_says_why():
    skips = declared_skips()
    assert skips  # the walk found the Metadata
    for (check, logical_id), reason in skips.items():
        assert len(reason.split()) >= 5, f"{check} on {logical_id} needs a reason"
