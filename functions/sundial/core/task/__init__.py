"""The task resource of the API: what a user may send, what is stored, what is returned.

* `TaskSpec` (alias `TaskCreate`, in `spec`) is a task's full definition: the
  `POST /tasks` body, with every default filled in, and what the store persists
  (including the HTTP target's `signing_secret`).
* `TaskUpdate` (in `update`) is the `PATCH /tasks/{id}` body; `apply_update` merges it
  into a spec and validates the result as a whole.
* `TaskView` (in `view`) is the response shape: the spec without secrets, plus state,
  version, timestamps and the next fire times.
* `parsing` turns JSON-decoded input into a model or raises the one `SundialError` that
  names the first thing wrong (code and dotted field path).
* `fields`, `targets` and `limits` are the parts a definition is made of.
"""

from sundial.core.task.fields import (
    Description,
    Payload,
    ScheduleExpression,
    Tags,
    TaskName,
    Timestamp,
    TimeZoneName,
    encode_payload,
)
from sundial.core.task.limits import (
    HANDLER_NAME_PATTERN,
    NAME_MAX_LENGTH,
    PAYLOAD_MAX_BYTES,
    SCHEDULE_MAX_LENGTH,
)
from sundial.core.task.parsing import parameter_error, parse_task_create, to_sundial_error, validate
from sundial.core.task.spec import (
    Misfire,
    MisfirePolicy,
    Overlap,
    Retry,
    TaskCreate,
    TaskSpec,
)
from sundial.core.task.targets import (
    TARGET_MODELS,
    TARGET_TYPES,
    EventBridgeTarget,
    HandlerTarget,
    HttpTarget,
    HttpTargetView,
    LambdaTarget,
    SnsTarget,
    SqsTarget,
    Target,
    TargetView,
)
from sundial.core.task.update import TaskUpdate, apply_update
from sundial.core.task.view import RunView, TaskView

__all__ = [
    "HANDLER_NAME_PATTERN",
    "NAME_MAX_LENGTH",
    "PAYLOAD_MAX_BYTES",
    "SCHEDULE_MAX_LENGTH",
    "TARGET_MODELS",
    "TARGET_TYPES",
    "Description",
    "EventBridgeTarget",
    "HandlerTarget",
    "HttpTarget",
    "HttpTargetView",
    "LambdaTarget",
    "Misfire",
    "MisfirePolicy",
    "Overlap",
    "Payload",
    "Retry",
    "RunView",
    "ScheduleExpression",
    "SnsTarget",
    "SqsTarget",
    "Tags",
    "Target",
    "TargetView",
    "TaskCreate",
    "TaskName",
    "TaskSpec",
    "TaskUpdate",
    "TaskView",
    "TimeZoneName",
    "Timestamp",
    "apply_update",
    "encode_payload",
    "parameter_error",
    "parse_task_create",
    "to_sundial_error",
    "validate",
]
