"""The API's self-description: what each route documents, `/openapi.json` and `/docs`.

Powertools generates the document from the route signatures and models. It also adds,
for every route, the 422 and response-validation bodies of its own default error
handling; this API never sends those (every error is the API's one error envelope,
see errors.py), so they are replaced before the document is served.

Swagger UI is the copy bundled in the Powertools package, inlined into the page: no
CDN, so /docs works in a private network and leaks no request to a third party.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_lambda_powertools.event_handler as powertools_event_handler
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import APIKey, HTTPBearer, Server
from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

from sundial.api.models import ErrorEnvelope

# The API lives under /v1 (the REST API's stage, and the local stack's prefix).
API_PREFIX = "/v1"
API_VERSION = "1.0.0"
OPENAPI_INFO: dict[str, Any] = {
    "title": "Sundial",
    "version": API_VERSION,
    "description": (
        "A serverless task scheduler: tasks fire on cron, rate, one-time and interval "
        "schedules in any time zone. Authenticate with `Authorization: Bearer <key>` "
        "(API_KEY deployments), SigV4 (IAM deployments) or `Authorization: Bearer <JWT>` "
        "of the deployment's OIDC issuer (JWT deployments)."
    ),
    "servers": [Server(url=API_PREFIX)],
    # Which one applies is chosen at deploy time; either satisfies every route.
    "security_schemes": {
        "apiKey": HTTPBearer(description="An API key from `sundial keys create`."),
        "jwt": HTTPBearer(
            bearerFormat="JWT",
            description=(
                "A JWT of the deployment's OIDC issuer (JWT deployments): RS/PS/ES-signed, "
                "`iss` and `aud` the deployment's, `exp` not past; the tenant is the "
                "configured claim (default `sub`)."
            ),
        ),
        "sigv4": APIKey.model_validate(
            {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "description": "AWS SigV4 signature (IAM deployments); the tenant is the caller.",
            }
        ),
    },
    "security": [{"apiKey": []}, {"sigv4": []}, {"jwt": []}],
}
# The error responses routes document, by status; each is the API's error envelope.
_ERROR_STATUSES = {
    400: (
        "Invalid request (validation_error, invalid_schedule, invalid_timezone, "
        "invalid_target; a malformed If-Match is a validation_error on field If-Match)"
    ),
    401: "Missing or invalid credentials (unauthorized)",
    404: "No such task for this tenant (not_found)",
    409: (
        "Conflict (name_conflict, idempotency_key_reused, idempotency_in_progress, calendar_in_use)"
    ),
    412: "If-Match names a stale version (version_mismatch)",
    413: "Payload too large (payload_too_large)",
    415: "The body is not sent as application/json (unsupported_media_type)",
    429: "Too many requests (rate_limited)",
}
ETAG_HEADER = {
    "ETag": {"description": 'The task\'s version, quoted: "3"', "schema": {"type": "string"}}
}
CREATED_HEADERS = {
    **ETAG_HEADER,
    "Location": {"description": "/v1/tasks/{id}", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": (
            "`true` when this is the stored response of an earlier request with the same "
            "Idempotency-Key (nothing was created this time); absent otherwise."
        ),
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def responses(
    status: int, description: str, *errors: int, headers: dict[str, Any] | None = None
) -> dict[int, Any]:
    """OpenAPI documentation of a route's responses: its success (whose body schema comes
    from the return annotation) and the errors it can give, all in the envelope."""
    success: dict[str, Any] = {"description": description}
    if status == 204:
        success["content"] = {}
    if headers:
        success["headers"] = headers
    content = {"application/json": {"model": ErrorEnvelope}}
    documented = {
        s: {"description": _ERROR_STATUSES[s], "content": content} for s in (401, 429, *errors)
    }
    return {status: success, **documented}


# The pages (/docs, /console) are HTML.
HTML_PAGE: dict[int, Any] = {
    200: {"description": "An HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
}

_SWAGGER_ASSETS = Path(powertools_event_handler.__file__).parent / "openapi" / "swagger_ui"
# Schemas of Powertools' default error bodies, which this API never sends.
_POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
_NULL_SCHEMA = {"type": "null"}


def openapi_document(app: APIGatewayRestResolver, info: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document of `app`, its error responses all in the API's error envelope."""
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema(**info))
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            answers = operation.setdefault("responses", {})
            answers.pop("422", None)
            body = operation.get("requestBody")
            if body is not None:
                _optional_body_without_null(body)
                # Any body that is not JSON is refused before a route runs (415).
                answers["415"] = {
                    "description": _ERROR_STATUSES[415],
                    "content": {"application/json": {"schema": _ENVELOPE_REF}},
                }
            answers["500"] = {
                "description": "Internal error (internal_error)",
                "content": {"application/json": {"schema": _ENVELOPE_REF}},
            }
            operation["responses"] = dict(sorted(answers.items(), key=_status_order))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _POWERTOOLS_ERROR_SCHEMAS:
        schemas.pop(name, None)
    return document


def _status_order(entry: tuple[str, Any]) -> tuple[int, str]:
    status = entry[0]
    return (int(status), status) if status.isdigit() else (1000, status)


def _optional_body_without_null(body: dict[str, Any]) -> None:
    """An optional body (`Model | None = None`) as `required: false` with the model's schema.

    Powertools documents it as `anyOf [Model, null]`; generators turn that into a union
    they cannot serialize, while leaving the body out is exactly what the route accepts.
    """
    for media in body.get("content", {}).values():
        schema = media.get("schema", {})
        choices = schema.get("anyOf")
        if choices is not None and _NULL_SCHEMA in choices and len(choices) == 2:
            (model,) = (choice for choice in choices if choice != _NULL_SCHEMA)
            media["schema"] = model
            body["required"] = False


def swagger_page(document: dict[str, Any]) -> str:
    """Swagger UI for `document`, with its script and styles inlined."""
    # `</` inside a <script> would end it early: escaped, the JSON means the same.
    spec = json.dumps(document).replace("</", "<\\/")
    script = (_SWAGGER_ASSETS / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    styles = (_SWAGGER_ASSETS / "swagger-ui.min.css").read_text(encoding="utf-8")
    # An empty base URL makes Powertools inline `script` and `styles` instead of linking.
    return generate_swagger_html(spec, script, styles, "", None, persist_authorization=True)
