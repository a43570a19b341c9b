"""The settings of the API function and of its authorizer (template.yaml ApiFunction,
AuthorizerFunction), checked at cold start."""

from __future__ import annotations

from typing import Annotated, Final, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from sundial.core.network import NetworkPolicy
from sundial.settings import DottedNames, Flag, Settings, load_settings, one_of

# How callers authenticate (docs/api.md "Authentication"): a bearer key looked up by the
# authorizer, SigV4 with the caller's IAM principal as the tenant, or a bearer JWT of an
# OIDC issuer verified by the authorizer, a claim of it naming the tenant.
AUTH_MODE_API_KEY: Final = "API_KEY"
AUTH_MODE_IAM: Final = "IAM"
AUTH_MODE_JWT: Final = "JWT"
AUTH_MODES = (AUTH_MODE_API_KEY, AUTH_MODE_IAM, AUTH_MODE_JWT)
# The modes whose bearer credential the authorizer function checks.
AUTHORIZER_MODES = (AUTH_MODE_API_KEY, AUTH_MODE_JWT)
DEFAULT_TENANT_CLAIM = "sub"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# A retried create with the same Idempotency-Key returns the first response for this
# long: a day covers any client retry loop, as Stripe's keys do.
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400


class ApiSettings(Settings):
    """Tasks and runs are read and written, fires enqueued on write, trigger and
    backfill; creates with an Idempotency-Key are remembered in the idempotency table."""

    tasks_table: str
    runs_table: str
    work_queue_url: str
    idempotency_table: str
    idempotency_ttl_seconds: Annotated[int, Field(ge=60)] = DEFAULT_IDEMPOTENCY_TTL_SECONDS
    auth_mode: Annotated[Literal["API_KEY", "IAM", "JWT"], BeforeValidator(one_of(*AUTH_MODES))] = (
        AUTH_MODE_API_KEY
    )
    # The executor's network policy (the same template parameters), so that a task whose
    # URL is a refused IP literal is refused when written rather than at its first fire.
    allow_loopback_targets: Flag = False
    allow_private_targets: Flag = False
    # The executor's HANDLER_MODULES, imported so that their @task names are known here.
    handler_modules: DottedNames = ()

    @property
    def network_policy(self) -> NetworkPolicy:
        return NetworkPolicy(
            allow_loopback=self.allow_loopback_targets, allow_private=self.allow_private_targets
        )


def _key_source_url(value: str | None) -> str | None:
    """An issuer or JWKS URL: HTTPS, so that nobody on the path can swap the keys; plain
    HTTP only on loopback (the local stack serves its keys so)."""
    if value is None or value == "":
        return None
    url = urlsplit(value)
    loopback_http = url.scheme == "http" and url.hostname in _LOOPBACK_HOSTS
    if not url.hostname or (url.scheme != "https" and not loopback_http):
        raise ValueError("must be an https:// URL (http:// only on loopback)")
    return value


KeySourceUrl = Annotated[str | None, AfterValidator(_key_source_url)]


class AuthorizerSettings(Settings):
    """API_KEY: a bearer key is looked up by its hash in the keys table. JWT: a bearer
    token is verified against the issuer's keys, `iss` and `aud` must be these, and the
    tenant is the value of `jwt_tenant_claim`."""

    keys_table: str
    auth_mode: Annotated[Literal["API_KEY", "JWT"], BeforeValidator(one_of(*AUTHORIZER_MODES))] = (
        AUTH_MODE_API_KEY
    )
    jwt_issuer: KeySourceUrl = None
    jwt_audience: str | None = None
    jwt_tenant_claim: Annotated[str, Field(min_length=1)] = DEFAULT_TENANT_CLAIM
    # Empty: the `jwks_uri` of the issuer's OIDC discovery document.
    jwt_jwks_url: KeySourceUrl = None

    @model_validator(mode="after")
    def _jwt_mode_names_its_issuer(self) -> Self:
        if self.auth_mode == AUTH_MODE_JWT and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError("AUTH_MODE=JWT needs JWT_ISSUER and JWT_AUDIENCE")
        return self


def api_settings() -> ApiSettings:
    return load_settings(ApiSettings)


def authorizer_settings() -> AuthorizerSettings:
    return load_settings(AuthorizerSettings)
