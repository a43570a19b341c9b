"""Reading a crontab: which lines become tasks, and what each of the others means.

What a line becomes:

* `m h dom mon dow command` and `@daily command` (with `system=True`, a user column
  before the command, as in /etc/crontab and /etc/cron.d): a job, scheduled as written
  in the timezone in effect. The command is kept, not run: it goes into the task's
  payload for the target to run (`{"command": ..., "line": n}`). As cron does, an
  unescaped `%` ends the command, and what follows it is the command's standard input
  (`payload.stdin`, `%` as line breaks); `\\%` is a literal `%`.
* `CRON_TZ=zone` / `TZ=zone`: the timezone of the jobs below it (before any, the
  `timezone` argument). `RANDOM_DELAY=minutes` (cronie): their jitter.
* `MAILTO=` / `MAILFROM=`: skipped; Sundial sends no mail.
* Any other `NAME=value` (PATH, SHELL, HOME, ...): passed to the jobs below it as
  `payload.env`, since the command will need them to run as cron would run it.
* `@reboot`: skipped; a scheduler has no boot.
* Comments and blank lines: ignored. Anything else: refused, with the reason.

Parsing only reads the structure; whether a schedule is valid is the task model's call.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

# cronie's RANDOM_DELAY is in minutes; Sundial's jitter in seconds (at most an hour).
SECONDS_PER_MINUTE = 60
MAIL_VARIABLES = frozenset({"MAILTO", "MAILFROM"})
TIMEZONE_VARIABLES = frozenset({"CRON_TZ", "TZ"})
_ENV_LINE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)")
_FIVE_FIELDS = re.compile(r"(?P<fields>(?:\S+\s+){4}\S+)\s+(?P<rest>.*)")
_MACRO = re.compile(r"(?P<macro>@\w+)\s+(?P<rest>.*)")
_USER_AND_COMMAND = re.compile(r"(?P<user>\S+)\s+(?P<command>.*)")
# Task names the API accepts: letters, digits, '.', '_', '-', at most 64 characters.
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
PREFIX_MAX, SLUG_MAX, DIGEST_CHARS = 20, 30, 8
DESCRIPTION_MAX = 1024


@dataclass(frozen=True)
class CronJob:
    """A crontab line that becomes a task."""

    line: int
    text: str
    schedule: str
    command: str
    timezone: str
    stdin: str | None = None
    user: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    jitter_seconds: int = 0
    warning: str | None = None

    def payload(self) -> dict[str, Any]:
        """What the target receives: the command, its line, and how cron would run it."""
        payload: dict[str, Any] = {"command": self.command, "line": self.line}
        if self.stdin is not None:
            payload["stdin"] = self.stdin
        if self.user is not None:
            payload["user"] = self.user
        if self.env:
            payload["env"] = dict(self.env)
        return payload

    def digest(self) -> str:
        """Stable for the same job wherever it sits in the file: names it across imports."""
        identity = "\n".join(
            [self.schedule, self.timezone, self.user or "", self.command, self.stdin or ""]
        )
        return hashlib.sha256(identity.encode()).hexdigest()

    def task_name(self, prefix: str) -> str:
        """`<prefix>-<program>-<digest>`: readable, and the same on every import."""
        words = self.command.split()
        program = words[0].rsplit("/", 1)[-1] if words else "job"
        slug = _safe(program)[:SLUG_MAX].strip("._-") or "job"
        return f"{safe_prefix(prefix)}-{slug}-{self.digest()[:DIGEST_CHARS]}"

    def task(self, prefix: str, target: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
        """The `POST /tasks` body of this job."""
        return {
            "name": self.task_name(prefix),
            "schedule": self.schedule,
            "timezone": self.timezone,
            "description": f"crontab line {self.line}: {self.text}"[:DESCRIPTION_MAX],
            "target": dict(target),
            "payload": self.payload(),
            "jitter_seconds": self.jitter_seconds,
            "tags": {"source": "crontab", **tags},
        }


@dataclass(frozen=True)
class Remark:
    """A line that is not a job: a setting it applied, a skip, or a line refused."""

    line: int
    text: str
    status: Literal["applied", "skipped", "failed"]
    reason: str


@dataclass
class Crontab:
    entries: list[CronJob | Remark]
    ignored: int  # comments and blank lines

    @property
    def jobs(self) -> list[CronJob]:
        return [entry for entry in self.entries if isinstance(entry, CronJob)]


def safe_prefix(prefix: str) -> str:
    return _safe(prefix)[:PREFIX_MAX].strip("._-") or "crontab"


def _safe(text: str) -> str:
    return _NAME_UNSAFE.sub("-", text).lower()


def parse_crontab(text: str, *, timezone: str = "UTC", system: bool = False) -> Crontab:
    """Every line of a crontab, read as cron reads it (see the module docstring)."""
    from sundial.core.schedule import MACROS

    entries: list[CronJob | Remark] = []
    ignored = 0
    env: dict[str, str] = {}
    jitter = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            ignored += 1
            continue
        setting = _ENV_LINE.fullmatch(line)
        if setting:
            name, value = setting["name"], _unquote(setting["value"].strip())
            if name in TIMEZONE_VARIABLES:
                timezone = value
                entries.append(_timezone_remark(number, line, name, value))
            elif name in MAIL_VARIABLES:
                entries.append(
                    Remark(
                        number,
                        line,
                        "skipped",
                        f"{name}: Sundial sends no mail; failed "
                        "runs are in `sundial tasks runs` and `sundial dead-letters list`",
                    )
                )
            elif name == "RANDOM_DELAY":
                if value.isdigit():
                    jitter = int(value) * SECONDS_PER_MINUTE
                    entries.append(
                        Remark(number, line, "applied", f"jitter of the jobs below: {jitter} s")
                    )
                else:
                    entries.append(
                        Remark(
                            number, line, "failed", "RANDOM_DELAY must be a whole number of minutes"
                        )
                    )
            else:
                env[name] = value
                entries.append(
                    Remark(
                        number, line, "applied", f"passed to the jobs below as payload.env.{name}"
                    )
                )
            continue
        entries.append(
            _job(
                number,
                line,
                timezone=timezone,
                system=system,
                env=dict(env),
                jitter=jitter,
                macros=MACROS,
            )
        )
    return Crontab(entries, ignored)


def _job(
    number: int,
    line: str,
    *,
    timezone: str,
    system: bool,
    env: dict[str, str],
    jitter: int,
    macros: dict[str, str],
) -> CronJob | Remark:
    user_column = " a user," if system else ""
    if line.startswith("@"):
        match = _MACRO.fullmatch(line)
        macro = match["macro"] if match else line.split()[0]
        if macro.lower() == "@reboot":
            return Remark(
                number,
                line,
                "skipped",
                "@reboot runs when a machine boots, and a "
                "scheduler never boots; run it from your machine's startup instead",
            )
        if macro.lower() not in macros:
            known = ", ".join(sorted(macros))
            return Remark(number, line, "failed", f"unknown macro {macro} (known: {known})")
        if match is None:
            return Remark(number, line, "failed", f"expected{user_column} a command after {macro}")
        schedule, rest = macro.lower(), match["rest"]
    else:
        match = _FIVE_FIELDS.fullmatch(line)
        if match is None:
            return Remark(
                number, line, "failed", f"expected 5 time fields,{user_column} and a command"
            )
        schedule, rest = " ".join(match["fields"].split()), match["rest"]
    user = None
    if system:
        split = _USER_AND_COMMAND.fullmatch(rest)
        if split is None:
            return Remark(
                number,
                line,
                "failed",
                "expected a user and a command after the time fields (a system crontab line)",
            )
        user, rest = split["user"], split["command"]
    command, stdin = _split_percent(rest)
    if not command.strip():
        return Remark(number, line, "failed", "the command is empty")
    warning = None
    if not system and command.split()[0] == "root":
        warning = "the command starts with 'root': for /etc/crontab or /etc/cron.d use --system"
    return CronJob(
        line=number,
        text=line,
        schedule=schedule,
        command=command.strip(),
        timezone=timezone,
        stdin=stdin,
        user=user,
        env=env,
        jitter_seconds=jitter,
        warning=warning,
    )


def _timezone_remark(number: int, line: str, name: str, zone: str) -> Remark:
    from sundial.core.errors import ScheduleError
    from sundial.core.zones import load_zone

    try:
        load_zone(zone)
    except ScheduleError as exc:
        return Remark(number, line, "failed", f"{name}: {exc.message}")
    return Remark(number, line, "applied", f"timezone of the jobs below: {zone}")


def _split_percent(text: str) -> tuple[str, str | None]:
    """cron's `%`: the first unescaped one ends the command; the rest, with the others
    as line breaks, is its standard input. `\\%` stands for a literal `%`."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1 : index + 2] == "%":
            current.append("%")
            index += 2
            continue
        if char == "%":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    if len(parts) == 1:
        return parts[0], None
    return parts[0], "\n".join(parts[1:])


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
