"""The web console in a real browser (headless Debian Chromium driven by Playwright),
against `sundial local`: sign in, create a task through the form with its live preview,
watch it run, pause it; trigger a failing task, redrive its dead letter, delete it.

Every wait is a bounded Playwright expectation; nothing sleeps and hopes.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError as error:  # a dev dependency: a missing one must fail, not skip
    raise ImportError(
        "the console's browser test needs Playwright's Python package "
        "(pip install -e '.[dev]', or pip install playwright; no browser download needed)"
    ) from error

# Debian's package (apt-get install chromium); Playwright only drives it.
CHROMIUM = Path(os.environ.get("SUNDIAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",  # runs as root in containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAUNCH_TIMEOUT_MS = 60_000
STEP_TIMEOUT_MS = 15_000
# A */2-second task on the e2e stack (tick 2 s, horizon 4 s) runs within a few seconds;
# the console's task page shows it at its next 3-second refresh.
RUN_TIMEOUT_MS = 45_000
REVIEW_SCREENSHOT = Path("/tmp/console.png")

expect.set_options(timeout=STEP_TIMEOUT_MS)


@dataclass
class Console:
    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def open(self, key: str, view: str = "") -> None:
        """Load the console (at `view`, e.g. "#/dead-letters") and sign in with `key`."""
        self.page.goto(f"{self.base}/console{view}")
        expect(self.page.get_by_role("heading", name="Sign in")).to_be_visible()
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Sign in").click()

    def status(self):
        return self.page.get_by_role("status")

    def task_id_from_url(self) -> str:
        match = re.search(r"#/tasks/([^/?]+)$", self.page.url)
        assert match, self.page.url
        return match.group(1)


# Only a missing browser skips (before the stack starts); one that is there but fails to
# launch fails the test.
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM}: install one (Debian: apt-get install chromium) or "
    "point SUNDIAL_CHROMIUM at a Chromium binary; CI's .ci/run installs it",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=LAUNCH_TIMEOUT_MS
        )
        yield launched
        launched.close()


@pytest.fixture
def console(browser: Browser, stack) -> Iterator[Console]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    opened = Console(page, stack.base)
    page.on("pageerror", lambda error: opened.errors.append(f"page error: {error}"))

    def on_console(message) -> None:
        # The browser logs every non-2xx fetch; the tests provoke 400s and 401s on purpose.
        if message.type == "error" and "Failed to load resource" not in message.text:
            opened.errors.append(f"console error: {message.text}")  # e.g. a CSP violation

    page.on("console", on_console)
    yield opened
    context.close()


def test_console_creates_a_task_shows_its_runs_and_pauses_it(console, stack, tmp_path):
    page = console.page
    alpha = stack.client("alpha")

    # A wrong key: the API's 401 envelope is shown, and the sign-in form stays.
    console.open("not-a-key")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("not accepted")
    expect(alert).to_contain_text("unauthorized")
    page.get_by_label("API key").fill(alpha.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()

    page.get_by_role("navigation").get_by_role("link", name="New task").click()
    expect(page.get_by_role("heading", name="New task")).to_be_visible()
    name = f"console-{uuid.uuid4().hex[:8]}"
    page.get_by_label("Name", exact=True).fill(name)
    schedule = page.get_by_label("Schedule")

    # An invalid schedule: the API's message appears under the field, tied to it.
    schedule.fill("*/2 * * *")
    expect(schedule).to_have_accessible_description(re.compile("has 4 fields"))
    expect(schedule).to_have_attribute("aria-invalid", "true")

    # A valid one: the live preview shows it in words and its next fire times.
    schedule.fill("*/2 * * * * *")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Every 2 seconds")
    expect(preview.get_by_role("listitem")).to_have_count(5)
    expect(preview.get_by_role("listitem").first).to_have_text(
        re.compile(r"\d{2}:\d{2}:\d[02468] \((in \d+ s|now)\)")
    )
    expect(schedule).not_to_have_attribute("aria-invalid", "true")

    page.get_by_label("Handler", exact=True).check()
    page.get_by_label("Handler name").fill("echo")
    # Markup in a payload must come back as text, never as elements or script.
    payload = '{"from": "<img src=x onerror=window.__pwned=1>"}'
    page.get_by_label("Payload (JSON)").fill(payload)
    page.screenshot(path=tmp_path / "console-new.png", full_page=True)
    page.get_by_role("button", name="Create task").click()

    # The task page; its run history refreshes on its own until a run shows up.
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(console.status()).to_contain_text(f"Created “{name}”")
    task_id = console.task_id_from_url()
    # (A run shows as `running` from its claim, just before its fire time, until it ends.)
    succeeded = page.locator("table.runs tbody tr", has_text="succeeded").first
    expect(succeeded).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(succeeded.locator("td").nth(2)).to_have_text("1")  # attempt
    expect(succeeded.locator("td").nth(3)).to_have_text(re.compile(r"^-?\d+(\.\d)? m?s$"))
    expect(page.locator("pre")).to_contain_text('"from": "<img src=x onerror=window.__pwned=1>"')
    expect(page.locator("main img")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None

    # The list: state, the schedule in words, next fire times and the last run.
    page.get_by_role("link", name="All tasks").click()
    row = page.locator("tr", has=page.get_by_role("link", name=name, exact=True))
    expect(row).to_contain_text("active")
    expect(row).to_contain_text("*/2 * * * * *")
    expect(row).to_contain_text("Every 2 seconds")
    expect(row.locator("td").nth(3).locator("time")).to_have_count(3)
    expect(row.locator("td").nth(4)).to_contain_text(re.compile("succeeded|running"))
    page.screenshot(path=tmp_path / "console-tasks.png", full_page=True)

    # Pause it from its page: the state changes there and in the API.
    row.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_role("button", name=f"Pause {name}").click()
    expect(console.status()).to_contain_text(f"Paused “{name}”")
    expect(page.get_by_role("button", name=f"Resume {name}")).to_be_visible()
    expect(page.locator("main .badge").first).to_have_text("paused")
    assert alpha.call("GET", f"/tasks/{task_id}").body["state"] == "paused"

    screenshot = tmp_path / "console.png"
    page.screenshot(path=screenshot, full_page=True)
    shutil.copyfile(screenshot, REVIEW_SCREENSHOT)
    assert console.errors == []
    assert alpha.call("DELETE", f"/tasks/{task_id}").status == 204


def test_console_triggers_a_failing_task_redrives_its_dead_letter_and_deletes_it(
    console, stack, tmp_path
):
    page = console.page
    beta = stack.client("beta")
    name = f"console-dl-{uuid.uuid4().hex[:8]}"
    created = beta.call(
        "POST",
        "/tasks",
        {
            "name": name,
            "schedule": "0 0 1 1 *",
            "description": "<script>window.__pwned=1</script>",
            # No such handler: the run fails permanently and is dead-lettered at once.
            "target": {"type": "handler", "name": "no_such_handler"},
            "payload": {"html": "<b>bold</b>"},
        },
    )
    assert created.status == 201, created.body
    task_id = created.body["id"]

    # Signing in keeps the page the link pointed to.
    console.open(beta.key, f"#/tasks/{task_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("dl.props")).to_contain_text("<script>window.__pwned=1</script>")
    expect(page.locator("main b")).to_have_count(0)

    page.get_by_role("button", name=f"Trigger {name} now").click()
    expect(console.status()).to_contain_text(f"Triggered “{name}”")
    run = page.locator("table.runs tbody tr").first
    expect(run).to_contain_text("failed", timeout=RUN_TIMEOUT_MS)
    expect(run).to_contain_text("no handler named 'no_such_handler'")
    execution_id = run.get_attribute("data-execution-id")

    page.get_by_role("navigation").get_by_role("link", name="Dead letters").click()
    expect(page.get_by_role("heading", name="Dead letters")).to_be_visible()
    dead = page.locator(f'tr[data-execution-id="{execution_id}"]')
    expect(dead).to_contain_text("no handler named 'no_such_handler'", timeout=RUN_TIMEOUT_MS)
    expect(dead.get_by_role("link", name=task_id)).to_be_visible()
    page.screenshot(path=tmp_path / "console-dead-letters.png", full_page=True)
    dead.get_by_role("button", name=f"Redrive {execution_id}").click()
    expect(console.status()).to_contain_text("Redriven: 1")

    # Delete from the task page, confirming the browser's dialog.
    dead.get_by_role("link", name=task_id).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Delete {name}").click()
    expect(console.status()).to_contain_text(f"Deleted “{name}”")
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    assert beta.call("GET", f"/tasks/{task_id}").status == 404
    assert page.evaluate("window.__pwned") is None
    assert console.errors == []
