"""API Gateway, emulated: HTTP requests become REST (v1) proxy events for the API function,
with the TOKEN authorizer invoked first, as API Gateway does.

What it reads from template.yaml, so local and deployed cannot drift apart:
* which paths skip the authorizer (methods with `AuthorizationType: NONE`);
* the authorizer's identity validation expression;
* the Gateway Responses (the API's error envelope, for what API Gateway answers itself).
Resources whose Condition does not hold for the stack's parameters are left out, and
intrinsics (a response that differs by AuthMode) are resolved.

In JWT mode the server also plays the OIDC issuer: it serves the local issuer's
discovery document and keys under `/.well-known/` (outside the stage), where the
authorizer fetches them as it would a real issuer's.

The stage is `v1`: `/v1/tasks` reaches the function as path `/tasks`. The authorizer's
results are not cached locally, so a revoked key stops working at once.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sundial_local.runtime import LocalFunction
from sundial_local.template import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Template

log = logging.getLogger(__name__)


class BurstTolerantHTTPServer(ThreadingHTTPServer):
    """A thread per request, and a listen backlog for bursts.

    socketserver listens with a backlog of 5: a sixth simultaneous connection has its
    SYN dropped and retried by the client a second later (the initial TCP
    retransmission timeout), a second added to a request for no reason.
    """

    daemon_threads = True
    request_queue_size = 128


STAGE = "v1"
API_ID = "local"
# API Gateway refuses payloads above 10 MB with its REQUEST_TOO_LARGE response.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")


@dataclass(frozen=True)
class GatewayReply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class GatewayConfig:
    """What the template says about the REST API."""

    public_paths: set[str] = field(default_factory=set)
    token_pattern: re.Pattern[str] | None = None
    responses: dict[str, tuple[int, str]] = field(default_factory=dict)

    @classmethod
    def from_template(cls, template: Template) -> GatewayConfig:
        resources = template.body["Resources"]
        config = cls()
        for resource in resources.values():
            kind, properties = resource.get("Type"), resource.get("Properties", {})
            if "Condition" in resource and not template.condition(resource["Condition"]):
                continue
            if kind == "AWS::ApiGateway::Method" and properties.get("AuthorizationType") == "NONE":
                target = properties["ResourceId"]
                if isinstance(target, dict) and "Ref" in target:
                    config.public_paths.add(
                        "/" + resources[target["Ref"]]["Properties"]["PathPart"]
                    )
            elif kind == "AWS::ApiGateway::Authorizer":
                expression = template.resolve(properties.get("IdentityValidationExpression"))
                if expression:
                    config.token_pattern = re.compile(expression)
            elif kind == "AWS::ApiGateway::GatewayResponse":
                templates = template.resolve(properties.get("ResponseTemplates", {}))
                body = templates.get("application/json", "")
                config.responses[properties["ResponseType"]] = (
                    int(properties.get("StatusCode", 500)),
                    body,
                )
        return config

    def response(self, response_type: str, fallback: str) -> GatewayReply:
        """A Gateway Response of the template (DEFAULT_4XX/5XX when the type has none)."""
        status, body = self.responses.get(
            response_type, self.responses.get(fallback, (500, '{"message": null}'))
        )
        return GatewayReply(status, {"Content-Type": "application/json"}, body.encode())


class ApiGateway:
    def __init__(self, api: LocalFunction, authorizer: LocalFunction | None, config: GatewayConfig):
        self.api = api
        self.authorizer = authorizer
        self.config = config

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> GatewayReply:
        url = urlsplit(target)
        prefix = f"/{STAGE}"
        if url.path != prefix and not url.path.startswith(prefix + "/"):
            return self.config.response("MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX")
        path = url.path[len(prefix) :] or "/"
        if len(body) > MAX_PAYLOAD_BYTES:
            return self.config.response("REQUEST_TOO_LARGE", "DEFAULT_4XX")
        public = method in ("GET", "HEAD") and path in self.config.public_paths
        authorizer_context: dict[str, Any] | None = None
        if not public and self.authorizer is not None:
            outcome = self._authorize(headers, method, path)
            if isinstance(outcome, GatewayReply):
                return outcome
            authorizer_context = outcome
        event = self._event(method, path, url.query, headers, body, source_ip, public)
        if authorizer_context is not None:
            event["requestContext"]["authorizer"] = authorizer_context
        try:
            result = self.api.invoke(event)
        except Exception:
            log.exception("the API function failed")
            return self.config.response("DEFAULT_5XX", "DEFAULT_5XX")
        return _reply(result)

    def _authorize(
        self, headers: list[tuple[str, str]], method: str, path: str
    ) -> dict[str, Any] | GatewayReply:
        assert self.authorizer is not None
        token = next((v for k, v in headers if k.lower() == "authorization"), None)
        unauthorized = self.config.response("UNAUTHORIZED", "DEFAULT_4XX")
        if not token:
            return unauthorized
        if self.config.token_pattern is not None and not self.config.token_pattern.match(token):
            return unauthorized
        method_arn = (
            f"arn:aws:execute-api:{DEFAULT_REGION}:{DEFAULT_ACCOUNT_ID}:{API_ID}/{STAGE}/"
            f"{method}{path}"
        )
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        try:
            policy = self.authorizer.invoke(event)
        except Exception as exc:
            if str(exc) == "Unauthorized":
                return unauthorized
            log.exception("the authorizer failed")
            return self.config.response("AUTHORIZER_FAILURE", "DEFAULT_5XX")
        if not _allows(policy):
            return self.config.response("ACCESS_DENIED", "DEFAULT_4XX")
        context = dict(policy.get("context") or {})
        return {**context, "principalId": policy.get("principalId"), "integrationLatency": 0}

    def _event(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
        public: bool,
    ) -> dict[str, Any]:
        multi_headers: dict[str, list[str]] = {}
        for name, value in headers:
            multi_headers.setdefault(name, []).append(value)
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            multi_query.setdefault(name, []).append(value)
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        is_text = (
            not body or any(content_type.startswith(t) for t in TEXT_TYPES) or not content_type
        ) and _is_utf8(body)
        resource = path if public else ("/" if path == "/" else "/{proxy+}")
        now = time.time()
        return {
            "resource": resource,
            "path": path,
            "httpMethod": method,
            "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": None if resource != "/{proxy+}" else {"proxy": path.lstrip("/")},
            "stageVariables": None,
            "requestContext": {
                "resourcePath": resource,
                "httpMethod": method,
                "path": f"/{STAGE}{path}",
                "accountId": DEFAULT_ACCOUNT_ID,
                "protocol": "HTTP/1.1",
                "stage": STAGE,
                "requestId": str(uuid.uuid4()),
                "requestTimeEpoch": int(now * 1000),
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "identity": {"sourceIp": source_ip, "userAgent": None},
                "domainName": "localhost",
                "apiId": API_ID,
            },
            "body": (body.decode("utf-8") if is_text else base64.b64encode(body).decode())
            if body
            else None,
            "isBase64Encoded": bool(body) and not is_text,
        }


def _is_utf8(body: bytes) -> bool:
    """Text that is not UTF-8 travels base64-encoded, so the API sees the bytes sent (and
    refuses them) rather than text with replacement characters."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _allows(policy: Any) -> bool:
    """Whether an authorizer's IAM policy allows the call (every statement must not deny)."""
    if not isinstance(policy, dict):
        return False
    statements = policy.get("policyDocument", {}).get("Statement", [])
    effects = {str(s.get("Effect", "")).lower() for s in statements if isinstance(s, dict)}
    return "allow" in effects and "deny" not in effects


def _reply(result: Any) -> GatewayReply:
    if not isinstance(result, dict) or "statusCode" not in result:
        return GatewayReply(
            502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
        )
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return GatewayReply(int(result["statusCode"]), headers, body)


class GatewayServer:
    """A threaded HTTP server in front of an ApiGateway, and of `documents` (JSON by
    path, answered as they are: the local issuer's).

    It listens from construction, so its port is known (and can name the local issuer)
    before the gateway behind it is made; it answers once `start` runs.
    """

    def __init__(self, gateway: ApiGateway | None, host: str, port: int):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                document = outer.documents.get(self.path)
                if self.path in ("/", ""):
                    reply = GatewayReply(302, {"Location": f"/{STAGE}/console"}, b"")
                elif document is not None and self.command in ("GET", "HEAD"):
                    reply = GatewayReply(200, {"Content-Type": "application/json"}, document)
                else:
                    assert outer.gateway is not None, "start() after setting the gateway"
                    reply = outer.gateway.handle(
                        self.command,
                        self.path,
                        list(self.headers.items()),
                        body,
                        self.client_address[0],
                    )
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:
                log.info("%s %s", self.address_string(), format % args)

        self.gateway = gateway
        self.documents: dict[str, bytes] = {}
        self.httpd = BurstTolerantHTTPServer((host, port), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="sundial-http", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for a serve_forever that never ran
            self.httpd.shutdown()
        self.httpd.server_close()
