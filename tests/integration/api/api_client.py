"""A client for the API function: the REST (v1) proxy events of infra/events/ (the `sam local`
samples), adjusted per request and sent through the real Lambda handler, responses decoded."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

EVENTS = Path(__file__).resolve().parents[3] / "infra" / "events"
REGION = "us-east-1"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@dataclass
class FakeLambdaContext:
    function_name: str = "sundial-api"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:sundial-api"
    aws_request_id: str = "5f1a7c1e-0000-4000-8000-000000000000"
    remaining_ms: int = 29_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any
    raw: dict[str, Any] = field(repr=False)

    @property
    def error(self) -> dict[str, Any]:
        """The error of the API's error envelope (asserting the envelope's exact shape)."""
        assert set(self.body) == {"error"}, self.body
        assert set(self.body["error"]) == {"code", "message", "field"}, self.body
        assert isinstance(self.body["error"]["message"], str) and self.body["error"]["message"]
        return dict(self.body["error"])

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class Api:
    """Sends requests through `sundial.api.handler.handler` as API Gateway would."""

    def __init__(self, auth_mode: str = "API_KEY"):
        self.auth_mode = auth_mode

    def event(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        tenant: str | None = "acme",
        headers: dict[str, str] | None = None,
        raw_body: str | None = None,
    ) -> dict[str, Any]:
        split = urlsplit(path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        if self.auth_mode == "IAM":
            event = load_event("api-list-tasks-iam.json")
            identity = event["requestContext"]["identity"]
            identity["userArn"] = tenant
            identity["caller"] = tenant
        else:
            event = load_event("api-list-tasks.json")
            if tenant is None:
                del event["requestContext"]["authorizer"]
            else:
                event["requestContext"]["authorizer"]["tenant"] = tenant
        event["httpMethod"] = method
        event["path"] = split.path
        event["pathParameters"] = {"proxy": split.path.lstrip("/")}
        event["requestContext"]["httpMethod"] = method
        event["requestContext"]["path"] = "/v1" + split.path
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
        for name, value in (headers or {}).items():
            event["headers"][name] = value
        if raw_body is not None:
            event["body"] = raw_body
        elif body is not None:
            event["body"] = json.dumps(body)
        event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
        return event

    def send(self, event: dict[str, Any]) -> ApiResponse:
        from sundial.api.handler import handler

        raw = handler(copy.deepcopy(event), FakeLambdaContext())
        headers = dict(raw.get("headers") or {})
        for name, values in (raw.get("multiValueHeaders") or {}).items():
            headers.setdefault(name, values[-1])
        text = raw.get("body") or ""
        is_json = "json" in (headers.get("Content-Type") or "")
        body = json.loads(text) if is_json and text else text
        return ApiResponse(raw["statusCode"], headers, body, raw)

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.send(self.event(method, path, body, **kwargs))

    # shorthands
    def create(self, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
        response = self.call("POST", "/tasks", task_body(**fields), tenant=tenant)
        assert response.status == 201, response.body
        return dict(response.body)


def daily_far_from_now() -> str:
    """A daily UTC schedule whose next fire is at least 11 hours away.

    Creating or rescheduling a task dispatches the fires inside the dispatch horizon at
    once; tests that compare the due index with the next fire times use this schedule so
    that no fire falls inside the horizon whatever the time of day the suite runs.
    """
    hour = (datetime.now(UTC).hour + 12) % 24
    return f"0 0 {hour} * * *"


def task_body(**overrides: Any) -> dict[str, Any]:
    """A minimal valid POST /tasks body; keyword arguments override fields."""
    body: dict[str, Any] = {
        "schedule": "0 30 2 * * *",
        "timezone": "Europe/Berlin",
        "target": {"type": "http", "url": "https://example.com/hook"},
        "payload": {"report": "nightly"},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}
