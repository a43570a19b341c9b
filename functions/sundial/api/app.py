"""The HTTP API: one Powertools REST resolver, the routers per resource, and the error
handlers that make every failure the API's one error envelope (docs/api.md "Errors").

Routes (in `sundial.api.routes`) parse (Powertools validates parameters and bodies against
the pydantic models, which also generate /openapi.json), take the tenant from the request
context, call `service`, and shape the reply. Every failure, including Powertools' own
validation errors, unknown routes and unexpected exceptions, leaves as the envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from sundial.api.body import checked_request
from sundial.api.errors import (
    InternalError,
    MethodNotAllowed,
    RouteNotFound,
    UnsupportedMediaType,
    from_validation_errors,
)
from sundial.api.replies import error_reply, raw_error_reply
from sundial.api.routes import calendars, dead_letters, documents, preview, runs, tasks
from sundial.core.errors import SundialError
from sundial.core.vocabulary import ErrorCode
from sundial.observability import logger

app = APIGatewayRestResolver(
    enable_validation=True,
    # A response that does not match its model is our bug: 500, not the client's 400.
    response_validation_error_http_code=500,
)
# In this order the OpenAPI document lists them.
for _resource in (tasks, runs, preview, calendars, dead_letters, documents):
    app.include_router(_resource.router)


def resolve(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The response to an API Gateway REST (proxy) event; never raises.

    Whatever escapes the resolver (an error inside an error handler, an event that is not
    a REST proxy event) still leaves as the envelope, without a stack trace.
    """
    try:
        try:
            checked = checked_request(event)
        except SundialError as error:
            return raw_error_reply(error)
        return app.resolve(checked, context)
    except Exception:
        logger.exception("request could not be resolved")
        return raw_error_reply(InternalError())


# --- errors -------------------------------------------------------------------------------


@app.exception_handler(SundialError)
def _sundial_error(error: SundialError) -> Response[Any]:
    if error.status >= 500:
        logger.error("request failed", extra={"code": error.code, "error": error.message})
    return error_reply(error)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[Any]:
    return error_reply(from_validation_errors(error.errors(), _body_model()))


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported_media_type(error: RequestUnsupportedContentType) -> Response[Any]:
    content_type = app.current_event.headers.get("content-type", "")
    return error_reply(UnsupportedMediaType(content_type))


@app.not_found
def _no_route(error: NotFoundError) -> Response[Any]:
    method, path = app.current_event.http_method.upper(), app.current_event.path
    allowed = _methods_of(path)
    if allowed:
        return error_reply(MethodNotAllowed(method, path, allowed))
    return error_reply(RouteNotFound(method, path))


@app.exception_handler(ResponseValidationError)
def _invalid_response(error: ResponseValidationError) -> Response[Any]:
    logger.error("response does not match its model", extra={"errors": error.errors()})
    return error_reply(InternalError())


@app.exception_handler(ServiceError)
def _service_error(error: ServiceError) -> Response[Any]:
    generic = SundialError(
        str(error.msg),
        code=ErrorCode.VALIDATION_ERROR if error.status_code < 500 else ErrorCode.INTERNAL_ERROR,
    )
    generic.status = error.status_code
    return error_reply(generic)


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("unhandled error")
    return error_reply(InternalError())


def _body_model() -> type[BaseModel] | None:
    """The request body model of the route being served (for naming fields in errors)."""
    route = app.context.get("_route")
    params = getattr(getattr(route, "dependant", None), "body_params", None) or []
    for param in params:
        for candidate in (param.type_, *getattr(param.type_, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                return candidate
    return None


def _methods_of(path: str) -> list[str]:
    """The methods some route serves at `path` (empty: no such path at all).

    Powertools answers a known path with the wrong method as "not found"; this API
    answers 405 `method_not_allowed` with an Allow header instead. Powertools' route
    table is not public API, so the 405 tests pin this down.
    """
    routes = [*app._static_routes, *app._dynamic_routes]
    return sorted({route.method for route in routes if route.rule.match(path)})
