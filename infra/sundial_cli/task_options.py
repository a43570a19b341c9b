"""The task flags of `tasks create` and `tasks update`, and the JSON body they make.

Flags override what `--file` holds, field by field (`retry`, `misfire` and `tags` merge
key by key, `--exclude` and `--notify` add to the file's lists); the API validates the
result, so its limits and messages live in one place.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from sundial_cli.notify import NotifyParam, signed

F = TypeVar("F", bound=Callable[..., Any])

TARGET_FLAGS = ("target_url", "handler", "target_json")
HTTP_TARGET_FLAGS = {
    "method": "--method",
    "headers": "--header",
    "signing_secret": "--signing-secret",
}
# Flag -> (object, key) for the retry and misfire policies.
POLICY_FLAGS = {
    "retry_max_attempts": ("retry", "max_attempts"),
    "retry_backoff_seconds": ("retry", "backoff_seconds"),
    "retry_max_backoff_seconds": ("retry", "max_backoff_seconds"),
    "retry_max_event_age_seconds": ("retry", "max_event_age_seconds"),
    "misfire_policy": ("misfire", "policy"),
    "misfire_grace_seconds": ("misfire", "grace_seconds"),
}
PLAIN_FLAGS = (
    "name",
    "schedule",
    "timezone",
    "description",
    "start_at",
    "end_at",
    "timeout_seconds",
    "overlap",
    "jitter_seconds",
    "max_runs",
    "pause_after_failures",
)
# What `tasks update --clear FIELD` resets, and to what.
CLEARABLE: dict[str, Any] = {
    "name": None,
    "start_at": None,
    "end_at": None,
    "description": "",
    "tags": {},
    "max_runs": None,
    "pause_after_failures": None,
    "exclude": [],
    "notifications": [],
}


class JsonText(click.ParamType):
    """A JSON value given inline, or `@path` to read it from a file (`@-`: stdin)."""

    name = "JSON"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        source = value
        if value.startswith("@"):
            try:
                source = click.open_file(value[1:] or "-").read()
            except OSError as exc:
                self.fail(f"cannot read {value[1:]}: {exc.strerror or exc}", param, ctx)
        try:
            return json.loads(source)
        except ValueError as exc:
            self.fail(f"is not valid JSON ({exc})", param, ctx)


class KeyValue(click.ParamType):
    """`key<sep>value`, split at the first separator."""

    def __init__(self, separator: str, example: str):
        self.separator = separator
        self.example = example
        self.name = example

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        key, sep, rest = str(value).partition(self.separator)
        if not sep or not key.strip():
            self.fail(f"{value!r} is not {self.example}", param, ctx)
        return key.strip(), rest.strip()


TAG = KeyValue(":", "KEY:VALUE")
HEADER = KeyValue(":", "'NAME: VALUE'")


def task_options(*, update: bool) -> Callable[[F], F]:
    """The flags for every task field; with `update`, also --clear."""

    def decorate(function: F) -> F:
        options = [
            click.option(
                "--file",
                "-f",
                type=click.File("r"),
                help="A JSON task body (- for stdin); flags override its fields.",
            ),
            click.option("--name", help="Unique name: letters, digits, '.', '_', '-'."),
            click.option("--schedule", "-s", help="cron, rate(), at(), @every or a macro."),
            click.option("--timezone", "--tz", help="IANA zone of the schedule (default UTC)."),
            click.option("--description"),
            click.option("--start-at", metavar="RFC3339", help="No fires before this time."),
            click.option("--end-at", metavar="RFC3339", help="No fires after this time."),
            click.option("--target-url", metavar="URL", help="HTTP target: this URL."),
            click.option(
                "--method",
                type=click.Choice(["GET", "POST", "PUT", "PATCH", "DELETE"], case_sensitive=False),
                help="HTTP target's method (default POST).",
            ),
            click.option(
                "--header", "headers", type=HEADER, multiple=True, help="HTTP target header."
            ),
            click.option("--signing-secret", help="HTTP target: sign requests (write-only)."),
            click.option("--handler", metavar="NAME", help="Handler target: a registered name."),
            click.option(
                "--target-json",
                type=JsonText(),
                help='Any target as JSON, e.g. \'{"type": "sqs", "queue_url": "..."}\'.',
            ),
            click.option("--payload", type=JsonText(), help="JSON the target receives (or @file)."),
            click.option("--retry-max-attempts", type=int),
            click.option("--retry-backoff-seconds", type=int),
            click.option("--retry-max-backoff-seconds", type=int),
            click.option("--retry-max-event-age-seconds", type=int),
            click.option("--timeout-seconds", type=int),
            click.option("--overlap", type=click.Choice(["allow", "skip", "buffer_one"])),
            click.option("--misfire-policy", type=click.Choice(["fire_once", "fire_all", "skip"])),
            click.option("--misfire-grace-seconds", type=int),
            click.option("--jitter-seconds", type=int),
            click.option(
                "--max-runs",
                type=int,
                help="Complete the task after this many scheduled runs"
                + (" (--clear max_runs: no limit)." if update else "."),
            ),
            click.option(
                "--pause-after-failures",
                type=int,
                metavar="N",
                help="Pause the task after N consecutive failed runs"
                + (" (--clear pause_after_failures: never)." if update else "."),
            ),
            click.option(
                "--tag",
                "tags",
                type=TAG,
                multiple=True,
                help="KEY:VALUE; repeat for more." + (" Replaces all tags." if update else ""),
            ),
            click.option(
                "--exclude",
                multiple=True,
                metavar="DAYS",
                help=(
                    "Skip occurrences on these days (task's zone): 2026-12-25, "
                    "2026-12-24..2026-12-31 or calendar:NAME; repeat for more."
                    + (" Replaces all exclusions." if update else "")
                ),
            ),
            click.option(
                "--notify",
                type=NotifyParam(),
                multiple=True,
                help=(
                    "Send these events (comma-separated, e.g. run.failed,task.paused) to a "
                    "destination: an https URL, an SNS topic ARN, an SQS queue URL or "
                    "eventbridge:BUS; repeat for more (at most 5)."
                    + (" Replaces all notifications." if update else "")
                ),
            ),
            click.option(
                "--notify-secret",
                metavar="SECRET",
                help="Sign the webhooks given with --notify (write-only).",
            ),
        ]
        if update:
            options.append(
                click.option(
                    "--clear",
                    type=click.Choice(sorted(CLEARABLE)),
                    multiple=True,
                    help=(
                        "Reset a field (name, window ends, description, tags, run limit, "
                        "pause, exclude, notifications)."
                    ),
                )
            )
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def task_body(options: Mapping[str, Any], *, update: bool) -> dict[str, Any]:
    """The POST (or PATCH) body the flags describe; click.UsageError when they contradict."""
    body = _file_body(options.get("file"))
    for flag in PLAIN_FLAGS:
        if options.get(flag) is not None:
            body[flag] = options[flag]
    if options.get("payload") is not None or _given_on_command_line("payload"):
        body["payload"] = options["payload"]
    for flag, (policy, key) in POLICY_FLAGS.items():
        if options.get(flag) is not None:
            section = body.setdefault(policy, {})
            if not isinstance(section, dict):
                raise click.UsageError(f"{policy} in --file must be a JSON object")
            section[key] = options[flag]
    _apply_target(body, options)
    if options.get("tags"):
        tags = {} if update else dict(body.get("tags") or {})
        tags.update(dict(options["tags"]))
        body["tags"] = tags
    if options.get("exclude"):
        exclude = [] if update else list(body.get("exclude") or [])
        body["exclude"] = [*exclude, *options["exclude"]]
    if options.get("notify"):
        notifications = [] if update else list(body.get("notifications") or [])
        given = copy.deepcopy(list(options["notify"]))
        if options.get("notify_secret"):
            given = signed(given, options["notify_secret"])
        body["notifications"] = [*notifications, *given]
    elif options.get("notify_secret"):
        raise click.UsageError("--notify-secret signs webhooks: give --notify EVENTS=https://...")
    for field in options.get("clear") or ():
        if field in body:
            raise click.UsageError(f"--clear {field} contradicts a value given for {field}")
        body[field] = copy.deepcopy(CLEARABLE[field])
    return body


def _given_on_command_line(name: str) -> bool:
    """Whether an option was given, even as JSON null (`--payload null`)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False
    source = ctx.get_parameter_source(name)
    return source is click.core.ParameterSource.COMMANDLINE


def _file_body(stream: Any) -> dict[str, Any]:
    if stream is None:
        return {}
    name = getattr(stream, "name", "--file")
    try:
        body = json.loads(stream.read())
    except ValueError as exc:
        raise click.BadParameter(f"{name} is not valid JSON ({exc})", param_hint="--file") from None
    if not isinstance(body, dict):
        raise click.BadParameter(f"{name} must hold a JSON object", param_hint="--file")
    return body


def _apply_target(body: dict[str, Any], options: Mapping[str, Any]) -> None:
    given = [flag for flag in TARGET_FLAGS if options.get(flag) is not None]
    if len(given) > 1:
        flags = " and ".join("--" + flag.replace("_", "-") for flag in given)
        raise click.UsageError(f"{flags} both name a target: give one")
    if given == ["target_url"]:
        body["target"] = {"type": "http", "url": options["target_url"]}
    elif given == ["handler"]:
        body["target"] = {"type": "handler", "name": options["handler"]}
    elif given == ["target_json"]:
        body["target"] = options["target_json"]
    http_flags = [flag for flag in HTTP_TARGET_FLAGS if options.get(flag)]
    if not http_flags:
        return
    target = body.get("target")
    if not isinstance(target, dict) or target.get("type") != "http":
        names = ", ".join(HTTP_TARGET_FLAGS[flag] for flag in http_flags)
        raise click.UsageError(
            f"{names} configure an HTTP target: give --target-url (a target is replaced whole)"
        )
    if options.get("method"):
        target["method"] = options["method"].upper()
    if options.get("headers"):
        target["headers"] = {**(target.get("headers") or {}), **dict(options["headers"])}
    if options.get("signing_secret"):
        target["signing_secret"] = options["signing_secret"]
