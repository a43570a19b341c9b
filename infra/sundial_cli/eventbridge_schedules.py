"""Reading EventBridge Scheduler schedules with the AWS SDK (the `scheduler` client).

ListSchedules gives one summary per schedule (name, group, target ARN only), page by
page; GetSchedule gives the whole definition. The summaries are read first, so that an
import knows how many schedules it has before it reads and creates them one by one.

AWS's errors (no credentials, no region, access denied) end the command with exit code
1, like every failure on the AWS side of a command.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sundial_cli.errors import CliError


class ScheduleReader:
    """The schedules of one account and region: `region` None is the SDK's default."""

    def __init__(self, region: str | None, *, page_size: int | None = None):
        import boto3
        from botocore.exceptions import NoRegionError

        try:
            self.client = boto3.client("scheduler", region_name=region)
        except NoRegionError:
            raise CliError("no AWS region: pass --region or set AWS_REGION") from None
        self.page_size = page_size

    def summaries(self, group: str | None) -> list[dict[str, Any]]:
        """Every schedule (of `group`, or of every group), sorted by group and name."""
        parameters: dict[str, Any] = {}
        if group:
            parameters["GroupName"] = group
        if self.page_size:
            parameters["PaginationConfig"] = {"PageSize": self.page_size}
        found: list[dict[str, Any]] = []
        with _aws_failures("list the schedules"):
            for page in self.client.get_paginator("list_schedules").paginate(**parameters):
                found += page.get("Schedules", [])
        return sorted(found, key=lambda s: (s.get("GroupName") or "default", s["Name"]))

    def schedule(self, summary: dict[str, Any]) -> dict[str, Any]:
        """The whole definition of the schedule a summary names."""
        group = summary.get("GroupName") or "default"
        with _aws_failures(f"read schedule {group}/{summary['Name']}"):
            answer = self.client.get_schedule(Name=summary["Name"], GroupName=group)
        answer.pop("ResponseMetadata", None)
        return dict(answer)


@contextmanager
def _aws_failures(doing: str) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "error"), error.get("Message", str(exc))
        raise CliError(f"EventBridge Scheduler: cannot {doing}: {code}: {message}") from None
    except BotoCoreError as exc:
        raise CliError(f"EventBridge Scheduler: cannot {doing}: {exc}") from None
