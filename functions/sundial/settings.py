"""Deployment settings: the environment variables template.yaml gives the functions.

`Settings` holds what every function is given (template.yaml Globals) and what the
layers they share read (the store: table names, region, shards, page-token key). Each
function has its own model beside its handler (`dispatch/settings.py`,
`execute/settings.py`, `api/settings.py`): it adds that function's variables and makes
required what the function cannot run without. The handler module loads its model when
Lambda imports it, so a deployment with a missing or malformed variable fails its cold
start with `InvalidSettings` naming the variable, not its first event.

Tests and the local stack change the environment after import: `reset_settings()` makes
the next read parse it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import AliasChoices, BeforeValidator, Field, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Only for laptops and tests. A deployment must set PAGINATION_SECRET (the HMAC key of
# page tokens) to a generated secret through template.yaml, otherwise anyone who reads
# this file could forge page tokens.
DEV_PAGINATION_SECRET = "sundial-dev-pagination-secret-not-for-production"

DEFAULT_SHARD_COUNT = 16
# The due index partition key is a number 0..S-1; template.yaml allows 1..256.
MAX_SHARD_COUNT = 256
DEFAULT_RUN_RETENTION_DAYS = 30
# The dispatcher runs every 60 s; a horizon longer than the tick lets a late tick still
# enqueue fires before they are due.
DEFAULT_HORIZON_SECONDS = 90
# Every fire's delay must fit SQS's 900 s DelaySeconds limit (template.yaml HorizonSeconds).
MAX_HORIZON_SECONDS = 840
# How far past the horizon one commit may plan a frequent task (template.yaml
# LookaheadSeconds). The planner bounds each such fire's jittered time by planning time +
# lookahead, and a delay is computed when its batch is sent, later than that: so the delay
# is at most the lookahead. The minute kept below SQS's 900 s limit is for what may round
# a delay up (whole seconds, a send timed to a sub-second phase), so none is clamped and
# arrives early.
DEFAULT_LOOKAHEAD_SECONDS = 840
MAX_LOOKAHEAD_SECONDS = 840
# Fires of one task one commit may plan beyond the horizon (template.yaml
# MaxFiresPerCommit). Bounds the messages one page of a sweep sends (page size x this,
# or the horizon's fires if more); 120 lets a per-second task commit every other tick.
DEFAULT_MAX_FIRES_PER_COMMIT = 120
MAX_FIRES_PER_COMMIT = 900


def _flag(value: Any) -> Any:
    """`true`/`false` in any case, also 1/0 and yes/no."""
    if not isinstance(value, str):
        return value
    word = value.strip().lower()
    if word in ("true", "1", "yes"):
        return True
    if word in ("false", "0", "no"):
        return False
    raise ValueError("must be true or false")


def _dotted_names(value: Any) -> Any:
    """A comma-separated list of dotted Python names (module paths)."""
    if not isinstance(value, str):
        return value
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    for name in names:
        if not all(piece.isidentifier() for piece in name.split(".")):
            raise ValueError(f"{name!r} is not a dotted module name")
    return names


def one_of(*choices: str) -> Callable[[Any], Any]:
    """Matches a value to one of `choices` case-insensitively, spelled as in `choices`."""

    def canonical(value: Any) -> Any:
        if isinstance(value, str):
            for choice in choices:
                if value.strip().upper() == choice.upper():
                    return choice
        return value  # the Literal it precedes refuses it, listing the choices

    return canonical


# Field types for what environment variables spell.
Flag = Annotated[bool, BeforeValidator(_flag)]
# NoDecode: the variable is a plain comma list, not the JSON pydantic-settings expects of
# a sequence.
DottedNames = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_dotted_names)]


class Settings(BaseSettings):
    """What every function is given: each field is the variable of its name in upper case.

    Everything is optional here: the shared layers also run where the tests and the local
    stack bind tables themselves. The function models make required what they need.
    """

    # A variable set to "" counts as unset (its default, or missing): a blank table name,
    # URL or number is never meant.
    model_config = SettingsConfigDict(env_ignore_empty=True, frozen=True)

    tasks_table: str | None = None
    runs_table: str | None = None
    keys_table: str | None = None
    shard_count: Annotated[int, Field(ge=1, le=MAX_SHARD_COUNT)] = DEFAULT_SHARD_COUNT
    # The due index a sweep queries: this release's, or during an upgrade from a release
    # with the old one, that one (template.yaml's LegacyDueIndex; see store/models.py).
    due_index: Literal["schedule_due", "due"] = "schedule_due"
    run_retention_days: Annotated[int, Field(ge=1)] = DEFAULT_RUN_RETENTION_DAYS
    horizon_seconds: Annotated[int, Field(ge=1, le=MAX_HORIZON_SECONDS)] = DEFAULT_HORIZON_SECONDS
    # Read by the dispatcher's sweep and by the API's dispatch-on-write alike.
    lookahead_seconds: Annotated[int, Field(ge=0, le=MAX_LOOKAHEAD_SECONDS)] = (
        DEFAULT_LOOKAHEAD_SECONDS
    )
    max_fires_per_commit: Annotated[int, Field(ge=1, le=MAX_FIRES_PER_COMMIT)] = (
        DEFAULT_MAX_FIRES_PER_COMMIT
    )
    work_queue_url: str | None = None
    dead_letter_queue_url: str | None = None
    # Out of repr, so that logging the settings does not log the key.
    pagination_secret: str = Field(default=DEV_PAGINATION_SECRET, repr=False)
    # Lambda sets both; botocore itself only reads AWS_DEFAULT_REGION.
    region: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )


class InvalidSettings(ValueError):
    """The environment lacks a variable a function needs, or holds one it cannot use."""

    def __init__(self, model: type[Settings], errors: list[ErrorDetails]) -> None:
        self.variables = tuple(_variable(error) for error in errors)
        problems = "; ".join(_problem(error) for error in errors)
        super().__init__(f"{model.__name__}: {problems}")


def _variable(error: ErrorDetails) -> str:
    # Fields are named after their variables (lower case); an alias is the variable itself.
    return str(error["loc"][0]).upper() if error["loc"] else "the environment"


def _problem(error: ErrorDetails) -> str:
    variable = _variable(error)
    if error["type"] == "missing":
        return f"{variable} is not set"
    if error["type"] == "value_error":
        reason = str(error.get("ctx", {}).get("error", error["msg"]))
    else:
        reason = error["msg"][:1].lower() + error["msg"][1:]
    return f"{variable}: {reason}, got {error['input']!r}"


M = TypeVar("M", bound=Settings)
_loaded: dict[type[Settings], Settings] = {}
_loading = threading.Lock()


def load_settings(model: type[M]) -> M:
    """`model` read from the environment, once per process until `reset_settings()`.

    Raises InvalidSettings naming each missing or malformed variable.
    """
    loaded = _loaded.get(model)
    if loaded is None:
        with _loading:
            loaded = _loaded.get(model)
            if loaded is None:
                try:
                    loaded = model()
                except ValidationError as exc:
                    raise InvalidSettings(model, exc.errors()) from None
                _loaded[model] = loaded
    return cast(M, loaded)


def get_settings() -> Settings:
    """What the shared layers read: the variables every function is given."""
    return load_settings(Settings)


def reset_settings() -> None:
    """Forget every parsed model so the next read parses the environment again.

    For tests and the local stack, which change the environment after import.
    """
    with _loading:
        _loaded.clear()
