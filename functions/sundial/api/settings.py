"""The settings of the API function and of its authorizer (template.yaml ApiFunction,
AuthorizerFunction), checked at cold start."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BeforeValidator, Field

from sundial.core.network import NetworkPolicy
from sundial.settings import DottedNames, Flag, Settings, load_settings, one_of

# How callers authenticate (docs/api.md "Authentication"): a bearer key looked up by the
# authorizer, or SigV4 with the caller's IAM principal as the tenant.
AUTH_MODE_API_KEY: Final = "API_KEY"
AUTH_MODE_IAM: Final = "IAM"
AUTH_MODES = (AUTH_MODE_API_KEY, AUTH_MODE_IAM)
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
    auth_mode: Annotated[Literal["API_KEY", "IAM"], BeforeValidator(one_of(*AUTH_MODES))] = (
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


class AuthorizerSettings(Settings):
    """A bearer key is looked up by its hash in the keys table."""

    keys_table: str


def api_settings() -> ApiSettings:
    return load_settings(ApiSettings)


def authorizer_settings() -> AuthorizerSettings:
    return load_settings(AuthorizerSettings)
