"""The web console in a real browser (headless Debian Chromium driven by Playwright),
against `sundial local`: sign in, create a task through the form with its live preview,
watch it run and chart it, pause, edit (and lose a race to another edit), backfill it;
trigger a failing task, see it in the overview, redrive its dead letter, delete it; a
completed one-time task's page.

Every wait is a bounded Playwright expectation; nothing sleeps and hopes. Every HTTP
response of 400 or more is recorded, and each test checks that it saw exactly the ones it
provoked: the console's own background requests never fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

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
    # "400 PATCH /v1/tasks/…" for each response >= 400 (or request that got none) so far.
    failures: list[str] = field(default_factory=list)

    def open(self, key: str, view: str = "") -> None:
        """Load the console (at `view`, e.g. "#/dead-letters") and sign in with `key`."""
        self.page.goto(f"{self.base}/console{view}")
        expect(self.page.get_by_role("heading", name="Sign in")).to_be_visible()
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Sign in").click()

    def status(self):
        return self.page.locator("#status")

    def take_failures(self) -> list[str]:
        """The failed requests since the last call, in order."""
        taken, self.failures[:] = list(self.failures), []
        return taken

    def metric(self, name: str) -> int:
        """A number of the overview, e.g. "failures-day"."""
        text = self.page.locator(f'td[data-metric="{name}"]').inner_text()
        assert text.isdigit(), (name, text)
        return int(text)

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

    def on_response(response) -> None:
        if response.status >= 400:
            path = urlsplit(response.url).path
            opened.failures.append(f"{response.status} {response.request.method} {path}")

    page.on("response", on_response)
    page.on(
        "requestfailed",
        lambda request: opened.failures.append(
            f"no response {request.method} {urlsplit(request.url).path}"
        ),
    )
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
    assert console.take_failures() == ["401 GET /v1/tasks"]

    # "Signed in." fades on its own and does not come back on the next page.
    expect(console.status()).to_have_text("Signed in.")
    expect(console.status()).to_be_empty()
    page.get_by_role("navigation").get_by_role("link", name="New task").click()
    expect(page.get_by_role("heading", name="New task")).to_be_visible()
    expect(console.status()).to_be_empty()
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
    assert console.take_failures() == ["400 POST /v1/preview"]

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

    # The chart of its runs: one dot per run, coloured by status, with a legend.
    chart = page.get_by_role("img", name=re.compile(r"^Lateness of the last \d+ runs?"))
    expect(chart).to_be_visible()
    expect(chart.locator("circle.point.p-succeeded").first).to_be_visible()
    expect(page.get_by_role("list", name="Runs by status")).to_contain_text("succeeded")

    # Edit it: the form starts from the task as read; an invalid value is refused next to
    # its field; a valid one is saved with the version it was read at.
    page.locator("summary", has_text="Edit task").click()
    edit = page.get_by_role("form", name="Edit task")
    expect(edit.get_by_label("Schedule")).to_have_value("*/2 * * * * *")
    zone = edit.get_by_label("Time zone")
    zone.fill("Mars/Olympus_Mons")
    edit.get_by_role("button", name="Save changes").click()
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(zone).to_have_accessible_description(re.compile("Mars/Olympus_Mons"))
    assert console.take_failures() == [f"400 PATCH /v1/tasks/{task_id}"]
    zone.fill("Europe/Berlin")
    edit.get_by_label("Description").fill("Edited in the console")
    edit.get_by_label("Maximum attempts").fill("5")
    edit.get_by_role("button", name="Save changes").click()
    expect(console.status()).to_contain_text(f"Saved “{name}”")
    expect(page.locator("dl.props")).to_contain_text("Edited in the console")
    saved = alpha.call("GET", f"/tasks/{task_id}").body
    assert (saved["timezone"], saved["description"]) == ("Europe/Berlin", "Edited in the console")
    assert saved["retry"]["max_attempts"] == 5 and saved["payload"] == json.loads(payload)

    # Someone else saves first: the console's save is refused (412), nothing is overwritten,
    # and the form offers to start again from their version.
    page.locator("summary", has_text="Edit task").click()
    edit.get_by_label("Description").fill("Mine")
    theirs = alpha.call("PATCH", f"/tasks/{task_id}", {"description": "Theirs"})
    assert theirs.status == 200, theirs.body
    edit.get_by_role("button", name="Save changes").click()
    expect(edit.get_by_role("alert")).to_contain_text("changed elsewhere")
    assert console.take_failures() == [f"412 PATCH /v1/tasks/{task_id}"]
    assert alpha.call("GET", f"/tasks/{task_id}").body["description"] == "Theirs"
    edit.get_by_role("button", name="Reload the form").click()
    expect(edit.get_by_label("Description")).to_have_value("Theirs")
    expect(edit.get_by_role("alert")).to_be_hidden()

    # Backfill ten seconds from before it existed: six fire times, both ends included.
    # (Whole seconds but not :00, which the date input would shorten to hh:mm.)
    end = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=30, microsecond=0)
    start = end - timedelta(seconds=10)
    page.locator("summary", has_text="Backfill").click()
    backfill = page.get_by_role("form", name="Backfill")
    backfill.get_by_label("From (UTC)").fill(start.strftime("%Y-%m-%dT%H:%M:%S"))
    backfill.get_by_label("To (UTC)").fill(end.strftime("%Y-%m-%dT%H:%M:%S"))
    backfill.get_by_role("button", name="Run these fires now").click()
    expect(backfill.get_by_role("status")).to_contain_text("Queued 6 runs")
    expect(console.status()).to_contain_text(f"Backfill of “{name}”: queued 6 runs")

    screenshot = tmp_path / "console.png"
    page.screenshot(path=screenshot, full_page=True)
    shutil.copyfile(screenshot, REVIEW_SCREENSHOT)
    assert console.errors == []
    assert console.take_failures() == []
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
            # `sleep` refuses a duration that is not a number: the run fails permanently
            # and is dead-lettered at once.
            "target": {"type": "handler", "name": "sleep"},
            "payload": {"html": "<b>bold</b>", "seconds": "never"},
        },
    )
    assert created.status == 201, created.body
    task_id = created.body["id"]

    # The overview, before: this tenant's counts over the last hour and day.
    console.open(beta.key, "#/overview")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator('td[data-metric="failures-day"]')).to_have_text(re.compile(r"^\d+$"))
    failures_before = console.metric("failures-day")
    dead_letters_before = console.metric("dead-letters-day")

    # A link to a task page keeps working once signed in.
    page.goto(f"{console.base}/console#/tasks/{task_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("dl.props")).to_contain_text("<script>window.__pwned=1</script>")
    expect(page.locator("main b")).to_have_count(0)

    page.get_by_role("button", name=f"Trigger {name} now").click()
    expect(console.status()).to_contain_text(f"Triggered “{name}”")
    run = page.locator("table.runs tbody tr").first
    expect(run).to_contain_text("failed", timeout=RUN_TIMEOUT_MS)
    expect(run).to_contain_text("payload.seconds must be a non-negative number")
    execution_id = run.get_attribute("data-execution-id")

    page.get_by_role("navigation").get_by_role("link", name="Dead letters").click()
    expect(page.get_by_role("heading", name="Dead letters")).to_be_visible()
    dead = page.locator(f'tr[data-execution-id="{execution_id}"]')
    expect(dead).to_contain_text(
        "payload.seconds must be a non-negative number", timeout=RUN_TIMEOUT_MS
    )
    expect(dead.get_by_role("link", name=task_id)).to_be_visible()
    page.screenshot(path=tmp_path / "console-dead-letters.png", full_page=True)

    # The overview counts the failed fire and its dead letter.
    page.get_by_role("navigation").get_by_role("link", name="Overview").click()
    failures_hour = page.locator('td[data-metric="failures-hour"]')
    expect(page.locator('td[data-metric="failures-day"]')).to_have_text(str(failures_before + 1))
    expect(failures_hour).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(page.locator('td[data-metric="dead-letters-day"]')).to_have_text(
        str(dead_letters_before + 1)
    )
    expect(page.locator('td[data-metric="fires-hour"]')).to_have_text(re.compile(r"^[1-9]"))
    expect(page.locator("table.by-task")).to_contain_text(name)
    page.screenshot(path=tmp_path / "console-overview.png", full_page=True)

    page.get_by_role("navigation").get_by_role("link", name="Dead letters").click()
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
    assert console.take_failures() == []


def test_console_shows_a_completed_one_time_task_without_failing_requests(console, stack):
    page = console.page
    beta = stack.client("beta")
    name = f"console-once-{uuid.uuid4().hex[:8]}"
    fire_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    created = beta.call(
        "POST",
        "/tasks",
        {
            "name": name,
            "schedule": f"at({fire_at:%Y-%m-%dT%H:%M:%S})",
            "target": {"type": "handler", "name": "echo"},
        },
    )
    assert created.status == 201, created.body
    task_id = created.body["id"]

    # Its page follows it to `completed`; the schedule is still described (the preview
    # counts from its creation, not from now, when it has no fire time left).
    console.open(beta.key, f"#/tasks/{task_id}")
    expect(page.locator("main .badge").first).to_have_text("completed", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("dl.props .desc")).to_contain_text("Once, at")
    expect(page.locator(".chart circle.point.p-succeeded")).to_have_count(1)
    # A few more refreshes of the page (every 3 s), then back to the list.
    updated = page.locator("#runs-title + span")
    first = updated.inner_text()
    expect(updated).not_to_have_text(first)
    page.get_by_role("link", name="All tasks").click()
    row = page.locator("tr", has=page.get_by_role("link", name=name, exact=True))
    expect(row).to_contain_text("Once, at")
    assert console.errors == []
    assert console.take_failures() == []
    assert beta.call("DELETE", f"/tasks/{task_id}").status == 204


def test_console_shows_notifications_excluded_days_why_paused_and_calendars(console, stack):
    page = console.page
    beta = stack.client("beta")
    calendar = f"holidays-{uuid.uuid4().hex[:6]}"
    put = beta.call(
        "PUT",
        f"/calendars/{calendar}",
        {"description": "Public holidays", "dates": ["2030-12-25", "2030-12-24..2030-12-31"]},
    )
    assert put.status == 200, put.body
    name = f"console-notified-{uuid.uuid4().hex[:8]}"
    hook = "https://hooks.example.com/sundial"
    created = beta.call(
        "POST",
        "/tasks",
        {
            "name": name,
            "schedule": "@daily",
            "target": {"type": "handler", "name": "echo"},
            "exclude": [f"calendar:{calendar}", "2030-01-01"],
            "notifications": [
                {
                    "on": ["run.failed", "task.paused"],
                    "destination": {
                        "type": "http",
                        "url": hook,
                        "signing_secret": "whsec-console-secret",
                        "headers": {"Authorization": "Bearer console-token"},
                    },
                },
                {"on": ["task.completed"], "destination": {"type": "eventbridge", "bus": "ops"}},
            ],
        },
    )
    assert created.status == 201, created.body
    task_id = created.body["id"]
    assert beta.call("POST", f"/tasks/{task_id}/pause").status == 200

    console.open(beta.key, f"#/tasks/{task_id}")
    props = page.locator("dl.props")
    expect(props).to_contain_text("by its user")
    expect(props).to_contain_text(f"run.failed, task.paused \u2192 webhook {hook}")
    expect(props).to_contain_text("task.completed \u2192 EventBridge bus ops")
    expect(props).to_contain_text("2030-01-01")
    content = page.content()
    assert "whsec-console-secret" not in content and "console-token" not in content

    # The excluded calendar links to its page: its dates, 8 days in 2 entries.
    props.get_by_role("link", name=f"calendar:{calendar}").click()
    expect(page.get_by_role("heading", name=calendar)).to_be_visible()
    expect(page.locator("dl.props")).to_contain_text("8 (2 entries)")
    expect(page.locator("ul.dates li")).to_have_count(2)
    page.get_by_role("link", name="All calendars").click()
    expect(page.get_by_role("heading", name="Calendars")).to_be_visible()
    row = page.locator(f'tr[data-calendar="{calendar}"]')
    expect(row).to_contain_text("Public holidays")
    expect(row.locator("td[data-days]")).to_have_text("8")
    current = page.get_by_role("navigation").get_by_role("link", name="Calendars")
    expect(current).to_have_attribute("aria-current", "page")
    assert console.errors == []
    assert console.take_failures() == []
    assert beta.call("DELETE", f"/tasks/{task_id}").status == 204
    assert beta.call("DELETE", f"/calendars/{calendar}").status == 204
