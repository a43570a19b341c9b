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
