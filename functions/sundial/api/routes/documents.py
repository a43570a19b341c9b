"""The public documents: `/openapi.json`, `/docs` (Swagger UI) and `/console`.

template.yaml serves them without authorization; `security=[{}]` says so in the
OpenAPI document.
"""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from sundial.api import docs
from sundial.api.console import CONSOLE_HEADERS, CONSOLE_HTML
from sundial.api.docs import HTML_PAGE, OPENAPI_INFO
from sundial.api.replies import html_reply, json_reply

router = Router()


@router.get(
    "/openapi.json",
    operation_id="getOpenApiDocument",
    summary="This API's OpenAPI document",
    tags=["documents"],
    security=[{}],
)
def openapi_json() -> Response[dict[str, Any]]:
    return json_reply(200, _openapi_document())


@router.get(
    "/docs",
    operation_id="getApiDocs",
    summary="Interactive API documentation (Swagger UI)",
    tags=["documents"],
    security=[{}],
    responses=HTML_PAGE,
)
def swagger_ui() -> Response[str]:
    return html_reply(_swagger_page())


@router.get(
    "/console",
    operation_id="getConsole",
    summary="The web console",
    tags=["documents"],
    security=[{}],
    responses=HTML_PAGE,
)
def console() -> Response[str]:
    return html_reply(CONSOLE_HTML, CONSOLE_HEADERS)


def _resolver() -> APIGatewayRestResolver:
    """The resolver this router is included in: the document describes all its routes."""
    resolver = router.api_resolver
    if not isinstance(resolver, APIGatewayRestResolver):
        raise RuntimeError("the documents router is not included in a REST resolver")
    return resolver


@functools.cache
def _openapi_document() -> dict[str, Any]:
    # The routes are fixed at import: generated once per process.
    return docs.openapi_document(_resolver(), OPENAPI_INFO)


@functools.cache
def _swagger_page() -> str:
    return docs.swagger_page(_openapi_document())
