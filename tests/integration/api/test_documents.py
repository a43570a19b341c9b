"""/openapi.json is a valid OpenAPI document listing every route of the API; /docs and /console
are self-contained pages served without credentials."""

from __future__ import annotations

import re

from api_client import Api
from openapi_spec_validator import validate

# Every route of the API: each must be in the document (path parameters named freely).
API_ROUTES = {
    ("post", "/tasks"),
    ("get", "/tasks"),
    ("get", "/tasks/{}"),
    ("patch", "/tasks/{}"),
    ("delete", "/tasks/{}"),
    ("post", "/tasks/{}/pause"),
    ("post", "/tasks/{}/resume"),
    ("post", "/tasks/{}/trigger"),
    ("post", "/tasks/{}/backfill"),
    ("get", "/tasks/{}/runs"),
    ("post", "/preview"),
    ("put", "/calendars/{}"),
    ("get", "/calendars"),
    ("get", "/calendars/{}"),
    ("delete", "/calendars/{}"),
    ("get", "/dead-letters"),
    ("post", "/dead-letters/redrive"),
    ("get", "/openapi.json"),
    ("get", "/docs"),
    ("get", "/console"),
}


def _routes(document: dict) -> set[tuple[str, str]]:
    return {
        (method, re.sub(r"\{[^}]+\}", "{}", path))
        for path, item in document["paths"].items()
        for method in item
    }


def test_the_openapi_document_is_valid(api: Api) -> None:
    response = api.call("GET", "/openapi.json", tenant=None)
    assert response.status == 200
    validate(response.body)


def test_the_openapi_document_lists_every_api_route(api: Api) -> None:
    document = api.call("GET", "/openapi.json", tenant=None).body
    assert _routes(document) == API_ROUTES
    assert document["servers"] == [{"url": "/v1"}]


def test_every_error_response_is_documented_as_the_envelope(api: Api) -> None:
    document = api.call("GET", "/openapi.json", tenant=None).body
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "422" not in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == envelope, (method, path, status)


def test_request_models_reject_unknown_fields_in_the_document_too(api: Api) -> None:
    schemas = api.call("GET", "/openapi.json", tenant=None).body["components"]["schemas"]
    for name in ("TaskSpec", "TaskUpdate", "PreviewRequest", "BackfillRequest", "RedriveRequest"):
        assert schemas[name]["additionalProperties"] is False, name


def test_docs_serve_swagger_ui_without_any_external_resource(api: Api) -> None:
    response = api.call("GET", "/docs", tenant=None)
    assert response.status == 200
    assert response.header("Content-Type").startswith("text/html")
    page = response.body
    assert "SwaggerUIBundle" in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page), "no CDN or external asset"
    assert '"/tasks/{task_id}/backfill"' in page  # the spec is embedded


def test_console_serves_a_self_contained_html_page(api: Api) -> None:
    response = api.call("GET", "/console", tenant=None)
    assert response.status == 200
    assert response.header("Content-Type").startswith("text/html")
    assert "<title>Sundial console</title>" in response.body
    assert not re.search(r"(src|href)=\"https?://", response.body)


# --- what generated clients rely on ----------------------------------------------------------

OPERATION_IDS = {
    ("post", "/tasks"): "createTask",
    ("get", "/tasks"): "listTasks",
    ("get", "/tasks/{task_id}"): "getTask",
    ("patch", "/tasks/{task_id}"): "updateTask",
    ("delete", "/tasks/{task_id}"): "deleteTask",
    ("post", "/tasks/{task_id}/pause"): "pauseTask",
    ("post", "/tasks/{task_id}/resume"): "resumeTask",
    ("post", "/tasks/{task_id}/trigger"): "triggerTask",
    ("post", "/tasks/{task_id}/backfill"): "backfillTask",
    ("get", "/tasks/{task_id}/runs"): "listRuns",
    ("post", "/preview"): "previewSchedule",
    ("put", "/calendars/{name}"): "putCalendar",
    ("get", "/calendars"): "listCalendars",
    ("get", "/calendars/{name}"): "getCalendar",
    ("delete", "/calendars/{name}"): "deleteCalendar",
    ("get", "/dead-letters"): "listDeadLetters",
    ("post", "/dead-letters/redrive"): "redriveDeadLetters",
    ("get", "/openapi.json"): "getOpenApiDocument",
    ("get", "/docs"): "getApiDocs",
    ("get", "/console"): "getConsole",
}
_NULL = {"type": "null"}
_DATE_TIME = {"type": "string", "format": "date-time"}


def _document(api: Api) -> dict:
    return api.call("GET", "/openapi.json", tenant=None).body


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def _nullable(schema: dict) -> bool:
    return _NULL in schema.get("anyOf", []) or schema.get("type") == "null"


def _is_date_time(schema: dict) -> bool:
    return any(
        {k: v for k, v in choice.items() if k in ("type", "format")} == _DATE_TIME
        for choice in [schema, *schema.get("anyOf", [])]
    )


def test_every_operation_has_its_stable_operation_id(api: Api) -> None:
    document = _document(api)
    found = {(method, path): op["operationId"] for method, path, op in _operations(document)}
    assert found == OPERATION_IDS


def test_response_timestamps_are_date_times_as_in_requests(api: Api) -> None:
    schemas = _document(api)["components"]["schemas"]
    response_times = {
        "TaskView": ("start_at", "end_at", "created_at", "updated_at"),
        "RunView": ("fire_at", "started_at", "finished_at", "next_attempt_at"),
        "DeadLetterView": ("fire_at", "dead_lettered_at"),
    }
    for model, fields in response_times.items():
        for name in fields:
            assert _is_date_time(schemas[model]["properties"][name]), (model, name)
    assert _is_date_time(schemas["TaskView"]["properties"]["next_fire_times"]["items"])
    assert _is_date_time(schemas["PreviewResponse"]["properties"]["fire_times"]["items"])
    assert _is_date_time(schemas["BackfillRequest"]["properties"]["start"])


def test_the_patch_body_allows_null_only_where_null_clears_a_field(api: Api) -> None:
    schemas = _document(api)["components"]["schemas"]
    update = schemas["TaskUpdate"]["properties"]
    nullable = {name for name, schema in update.items() if _nullable(schema)}
    assert nullable == {"name", "start_at", "end_at", "max_runs", "pause_after_failures"}
    # payload is any JSON value, null included: its schema names no type.
    assert "type" not in update["payload"] and "anyOf" not in update["payload"]
    for patch in ("RetryPatch", "MisfirePatch"):
        for name, schema in schemas[patch]["properties"].items():
            assert not _nullable(schema), (patch, name)
    assert not schemas["TaskUpdate"].get("required")


def test_null_for_a_field_the_document_marks_non_nullable_is_refused(api: Api) -> None:
    task = api.create()
    response = api.call("PATCH", f"/tasks/{task['id']}", {"retry": None})
    assert response.status == 400
    assert response.body["error"]["field"] == "retry"


def test_redrive_takes_an_optional_body_that_is_the_plain_request_schema(api: Api) -> None:
    operation = _document(api)["paths"]["/dead-letters/redrive"]["post"]
    body = operation["requestBody"]
    assert body["required"] is False
    schema = body["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/RedriveRequest"}
    assert api.call("POST", "/dead-letters/redrive").status == 202


def test_a_malformed_if_match_and_a_non_json_body_are_documented(api: Api) -> None:
    for method, path, operation in _operations(_document(api)):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if "If-Match" in headers:
            assert "400" in operation["responses"], (method, path)
        if "requestBody" in operation:
            assert "415" in operation["responses"], (method, path)


def test_a_non_json_body_is_answered_415_as_documented(api: Api) -> None:
    response = api.call("POST", "/preview", "schedule=x", headers={"Content-Type": "text/plain"})
    assert response.status == 415


def test_last_run_is_the_run_resource(api: Api) -> None:
    last_run = _document(api)["components"]["schemas"]["TaskView"]["properties"]["last_run"]
    assert last_run["anyOf"] == [{"$ref": "#/components/schemas/RunView"}, _NULL]


def test_dead_letters_document_their_reason(api: Api) -> None:
    schemas = _document(api)["components"]["schemas"]
    reason = schemas["DeadLetterView"]["properties"]["reason"]
    assert "attempts_exhausted" in reason["description"]


def test_create_documents_the_idempotent_replayed_header(api: Api) -> None:
    created = _document(api)["paths"]["/tasks"]["post"]["responses"]["201"]
    assert set(created["headers"]) == {"ETag", "Location", "Idempotent-Replayed"}


def test_create_declares_the_defaults_the_server_applies(api: Api) -> None:
    spec = _document(api)["components"]["schemas"]["TaskSpec"]["properties"]
    task = api.create()
    for name in ("retry", "misfire", "tags"):
        assert spec[name]["default"] == task[name], name


def test_the_document_describes_notifications_as_a_discriminated_union_of_destinations(
    api: Api,
) -> None:
    schemas = _document(api)["components"]["schemas"]
    for body in ("TaskSpec", "TaskUpdate"):
        field = schemas[body]["properties"]["notifications"]
        assert (field["type"], field["maxItems"]) == ("array", 5), body
        assert field["items"] == {"$ref": "#/components/schemas/Notification"}, body
        assert "signing_secret" in field["description"], body  # the PATCH rule
    on = schemas["Notification"]["properties"]["on"]
    assert on["items"] == {"$ref": "#/components/schemas/EventType"}
    assert (on["minItems"], on["uniqueItems"]) == (1, True)
    assert schemas["EventType"]["enum"] == [
        "run.succeeded", "run.failed", "run.retrying", "run.dead_lettered",
        "task.paused", "task.completed",
    ]  # fmt: skip
    for model, http in (
        ("Notification", "HttpDestination"),
        ("NotificationView", "HttpDestinationView"),
    ):
        destination = schemas[model]["properties"]["destination"]
        assert destination["discriminator"]["propertyName"] == "type"
        assert set(destination["discriminator"]["mapping"]) == {"http", "sns", "sqs", "eventbridge"}
        assert destination["discriminator"]["mapping"]["http"] == f"#/components/schemas/{http}"
    assert schemas["HttpDestination"]["properties"]["method"]["const"] == "POST"
    assert "signing_secret" in schemas["HttpDestination"]["properties"]
    assert "signing_secret" not in schemas["HttpDestinationView"]["properties"]
    shown = schemas["TaskView"]["properties"]["notifications"]
    assert shown["items"] == {"$ref": "#/components/schemas/NotificationView"}
