"""The task resource of the API: defaults, limits, error codes and field paths, merging."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sundial.core.errors import SundialError
from sundial.core.task import (
    PAYLOAD_MAX_BYTES,
    HttpTarget,
    TaskSpec,
    TaskUpdate,
    TaskView,
    apply_update,
    encode_payload,
    parse_task_create,
    validate,
)


def parse_task_update(data):
    return validate(TaskUpdate, data)


HOOK = {"type": "http", "url": "https://example.com/hook"}
MINIMAL = {"schedule": "0 30 2 * * *", "target": HOOK}

# The policy fields of the API's documented task example, verbatim: the defaults.
API_EXAMPLE_POLICIES = json.loads(
    """{
  "start_at": null,
  "end_at": null,
  "description": "",
  "target": {"type": "http", "url": "https://example.com/hook", "method": "POST", "headers": {}},
  "retry": {"max_attempts": 3, "backoff_seconds": 2, "max_backoff_seconds": 300,
            "max_event_age_seconds": 86400},
  "timeout_seconds": 30,
  "overlap": "allow",
  "misfire": {"policy": "fire_once", "grace_seconds": 60},
  "jitter_seconds": 0,
  "tags": {}
}"""
)


def create(**fields):
    return parse_task_create({**MINIMAL, **fields})


def error_of(call, *args):
    with pytest.raises(SundialError) as caught:
        call(*args)
    return caught.value


def create_error(**fields):
    return error_of(parse_task_create, {**MINIMAL, **fields})


def view_of(spec):
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    return TaskView.of(
        spec, task_id="01JD", state="active", version=1, created_at=now, updated_at=now
    ).to_json()


# --------------------------------------------------------------------------- defaults


def test_defaults_are_the_values_of_the_api_example():
    dumped = view_of(create())
    for field, expected in API_EXAMPLE_POLICIES.items():
        assert dumped[field] == expected, field
    assert dumped["timezone"] == "UTC"
    assert dumped["payload"] == {}
    assert dumped["name"] is None


def test_view_has_exactly_the_fields_of_the_api_example():
    api_fields = [
        "id", "name", "schedule", "timezone", "start_at", "end_at", "description", "target",
        "payload", "retry", "timeout_seconds", "overlap", "misfire", "jitter_seconds", "tags",
        "max_runs", "remaining_runs", "pause_after_failures", "exclude", "notifications",
        "state", "pause_reason", "version", "next_fire_times", "last_run", "created_at",
        "updated_at",
    ]  # fmt: skip
    assert list(view_of(create())) == api_fields


def test_a_full_task_round_trips_through_the_view():
    spec = create(
        name="nightly-report",
        timezone="Europe/Berlin",
        payload={"any": "json"},
        start_at="2026-01-01T00:00:00+01:00",
        end_at="2027-01-01T00:00:00Z",
        tags={"env": "prod"},
    )
    view = view_of(spec)
    assert view["name"] == "nightly-report"
    assert view["start_at"] == "2026-01-01T00:00:00+01:00"
    assert view["end_at"] == "2027-01-01T00:00:00+00:00"
    assert view["payload"] == {"any": "json"}
    assert view["created_at"] == "2026-11-22T12:00:00+00:00"


def test_view_renders_next_fire_times_in_the_task_zone():
    spec = create(timezone="Europe/Berlin")
    fire = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    now = datetime(2026, 11, 22, tzinfo=UTC)
    view = TaskView.of(
        spec,
        task_id="01JD",
        state="active",
        version=3,
        created_at=now,
        updated_at=now,
        next_fire_times=[fire],
    ).to_json()
    assert view["next_fire_times"] == ["2026-11-23T02:30:00+01:00"]
    assert view["version"] == 3


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize(
    ("path", "low", "high"),
    [
        ("retry.max_attempts", 1, 100),
        ("retry.backoff_seconds", 0, 3600),
        ("retry.max_backoff_seconds", 3600, 43200),  # low side: must stay >= backoff (2)
        ("retry.max_event_age_seconds", 60, 1209600),
        ("timeout_seconds", 1, 900),
        ("misfire.grace_seconds", 0, 86400),
        ("jitter_seconds", 0, 3600),
    ],
)
def test_each_numeric_limit_accepts_its_bounds_and_rejects_one_beyond(path, low, high):
    def body(value):
        if "." in path:
            outer, inner = path.split(".")
            # Room for the backoff fields to move without tripping backoff <= max_backoff.
            room = {"backoff_seconds": 0, "max_backoff_seconds": 43200} if outer == "retry" else {}
            return {**MINIMAL, outer: {**room, inner: value}}
        return {**MINIMAL, path: value}

    for value in (low, high):
        parse_task_create(body(value))
    true_low = 1 if path == "retry.max_backoff_seconds" else low
    for value in (true_low - 1, high + 1):
        error = error_of(parse_task_create, body(value))
        assert (error.code, error.field) == ("validation_error", path)
        assert error.message == f"{path} must be between {true_low} and {high}"


def test_max_backoff_may_equal_backoff_but_not_undercut_it():
    create(retry={"backoff_seconds": 60, "max_backoff_seconds": 60})
    error = create_error(retry={"backoff_seconds": 60, "max_backoff_seconds": 59})
    assert (error.code, error.field) == ("validation_error", "retry.max_backoff_seconds")
    assert "at least backoff_seconds (60)" in error.message


def test_name_length_limit():
    assert create(name="a" * 64).name == "a" * 64
    error = create_error(name="a" * 65)
    assert (error.code, error.field) == ("validation_error", "name")


def test_description_length_limit():
    create(description="x" * 1024)
    error = create_error(description="x" * 1025)
    assert (error.code, error.field) == ("validation_error", "description")
    assert "1024 characters" in error.message


def test_tag_limits():
    create(tags={f"k{i}": "v" for i in range(50)})
    create(tags={"k" * 128: "v" * 256})
    assert create_error(tags={f"k{i}": "v" for i in range(51)}).field == "tags"
    assert create_error(tags={"k" * 129: "v"}).field == "tags." + "k" * 129
    assert create_error(tags={"env": "v" * 257}).field == "tags.env"


def test_header_limits():
    create(target={**HOOK, "headers": {f"X-H{i}": "v" for i in range(50)}})
    error = create_error(target={**HOOK, "headers": {f"X-H{i}": "v" for i in range(51)}})
    assert (error.code, error.field) == ("invalid_target", "target.headers")
    error = create_error(target={**HOOK, "headers": {"X-A": "v" * 9000, "X-B": "v" * 9000}})
    assert (error.code, error.field) == ("invalid_target", "target.headers")


def payload_of_size(size):
    """A JSON string payload whose compact encoding is exactly `size` bytes."""
    return "x" * (size - 2)


def test_payload_exactly_at_the_limit_is_accepted():
    payload = payload_of_size(PAYLOAD_MAX_BYTES)
    assert len(encode_payload(payload)) == 256 * 1024
    assert create(payload=payload).payload == payload


def test_payload_one_byte_over_the_limit_is_413():
    error = create_error(payload=payload_of_size(PAYLOAD_MAX_BYTES + 1))
    assert (error.code, error.field, error.status) == ("payload_too_large", "payload", 413)
    assert "262144" in error.message


def test_payload_size_counts_utf8_bytes_of_compact_json():
    # 'é' is 2 bytes in UTF-8; separators add nothing to the count.
    assert encode_payload({"a": [1, 2], "b": "é"}) == '{"a":[1,2],"b":"é"}'.encode()
    error = create_error(payload="é" * (PAYLOAD_MAX_BYTES // 2))
    assert error.code == "payload_too_large"


def test_payload_accepts_any_json():
    for payload in ([1, "two", None], "text", 42, None, {"nested": {"deep": [True]}}):
        assert create(payload=payload).payload == payload


# --------------------------------------------------------------------------- bad inputs

BAD_INPUTS = [
    # (body changes, code, field)
    ({"schedule": "not a cron"}, "invalid_schedule", "schedule"),
    ({"schedule": ""}, "invalid_schedule", "schedule"),
    ({"schedule": 5}, "invalid_schedule", "schedule"),
    ({"schedule": "* " * 200}, "invalid_schedule", "schedule"),
    ({"schedule": "0 0 30 2 *"}, "invalid_schedule", "schedule"),
    ({"timezone": "Mars/Olympus"}, "invalid_timezone", "timezone"),
    ({"timezone": ""}, "invalid_timezone", "timezone"),
    ({"timezone": 1}, "invalid_timezone", "timezone"),
    ({"name": ""}, "validation_error", "name"),
    ({"name": "-leading-dash"}, "validation_error", "name"),
    ({"name": "has space"}, "validation_error", "name"),
    ({"name": 7}, "validation_error", "name"),
    ({"description": None}, "validation_error", "description"),
    ({"start_at": "2026-01-01T00:00:00"}, "validation_error", "start_at"),
    ({"start_at": "2026-01-01"}, "validation_error", "start_at"),
    ({"start_at": 1767225600}, "validation_error", "start_at"),
    ({"end_at": "2026-13-01T00:00:00Z"}, "validation_error", "end_at"),
    ({"end_at": "tomorrow"}, "validation_error", "end_at"),
    (
        {"start_at": "2026-01-01T00:00:00Z", "end_at": "2026-01-01T00:00:00Z"},
        "validation_error",
        "end_at",
    ),
    ({"retry": {"max_attempts": 0}}, "validation_error", "retry.max_attempts"),
    ({"retry": {"max_attempts": "3"}}, "validation_error", "retry.max_attempts"),
    ({"retry": {"max_attempts": 2.5}}, "validation_error", "retry.max_attempts"),
    ({"retry": {"max_attempts": True}}, "validation_error", "retry.max_attempts"),
    ({"retry": {"backoff_seconds": -1}}, "validation_error", "retry.backoff_seconds"),
    ({"retry": {"max_event_age_seconds": 59}}, "validation_error", "retry.max_event_age_seconds"),
    ({"retry": 3}, "validation_error", "retry"),
    ({"retry": None}, "validation_error", "retry"),
    ({"timeout_seconds": 901}, "validation_error", "timeout_seconds"),
    ({"overlap": "never"}, "validation_error", "overlap"),
    ({"misfire": {"policy": "fire_twice"}}, "validation_error", "misfire.policy"),
    ({"misfire": {"grace_seconds": -1}}, "validation_error", "misfire.grace_seconds"),
    ({"jitter_seconds": 3601}, "validation_error", "jitter_seconds"),
    ({"tags": []}, "validation_error", "tags"),
    ({"tags": {"env": 1}}, "validation_error", "tags.env"),
    ({"tags": {"a:b": "x"}}, "validation_error", "tags.a:b"),
    ({"tags": {"": "x"}}, "validation_error", "tags."),
    ({"payload": float("nan")}, "validation_error", "payload"),
    ({"target": None}, "invalid_target", "target"),
    ({"target": "https://example.com"}, "invalid_target", "target"),
    ({"target": {}}, "invalid_target", "target.type"),
    ({"target": {"type": "ftp"}}, "invalid_target", "target.type"),
    ({"target": {"type": "http"}}, "invalid_target", "target.url"),
    ({"target": {"type": "http", "url": "ftp://example.com"}}, "invalid_target", "target.url"),
    ({"target": {"type": "http", "url": "/relative/path"}}, "invalid_target", "target.url"),
    ({"target": {"type": "http", "url": "https://"}}, "invalid_target", "target.url"),
    ({"target": {"type": "http", "url": "https://a b.com"}}, "invalid_target", "target.url"),
    ({"target": {"type": "http", "url": "https://x.com:99999"}}, "invalid_target", "target.url"),
    ({"target": {**HOOK, "method": "TRACE"}}, "invalid_target", "target.method"),
    ({"target": {**HOOK, "headers": {"Host": "x"}}}, "invalid_target", "target.headers.Host"),
    (
        {"target": {**HOOK, "headers": {"content-length": "1"}}},
        "invalid_target",
        "target.headers.content-length",
    ),
    (
        {"target": {**HOOK, "headers": {"Idempotency-Key": "k"}}},
        "invalid_target",
        "target.headers.Idempotency-Key",
    ),
    (
        {"target": {**HOOK, "headers": {"X-Sundial-Attempt": "9"}}},
        "invalid_target",
        "target.headers.X-Sundial-Attempt",
    ),
    (
        {"target": {**HOOK, "headers": {"X-Evil": "a\r\nHost: b"}}},
        "invalid_target",
        "target.headers.X-Evil",
    ),
    (
        {"target": {**HOOK, "headers": {"X-Emoji": "\u2603"}}},
        "invalid_target",
        "target.headers.X-Emoji",
    ),
    (
        {"target": {**HOOK, "headers": {"Bad Name": "v"}}},
        "invalid_target",
        "target.headers.Bad Name",
    ),
    (
        {"target": {**HOOK, "headers": {"X-A": "1", "x-a": "2"}}},
        "invalid_target",
        "target.headers.x-a",
    ),
    ({"target": {**HOOK, "headers": {"X-N": 1}}}, "invalid_target", "target.headers.X-N"),
    ({"target": {**HOOK, "signing_secret": ""}}, "invalid_target", "target.signing_secret"),
    ({"target": {"type": "lambda", "arn": "my-function"}}, "invalid_target", "target.arn"),
    (
        {
            "target": {
                "type": "lambda",
                "arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "invocation": "sync",
            }
        },
        "invalid_target",
        "target.invocation",
    ),
    ({"target": {"type": "sqs", "queue_url": "my-queue"}}, "invalid_target", "target.queue_url"),
    (
        {"target": {"type": "sns", "topic_arn": "arn:aws:sqs:us-east-1:123456789012:q"}},
        "invalid_target",
        "target.topic_arn",
    ),
    ({"target": {"type": "eventbridge", "source": "app"}}, "invalid_target", "target.detail_type"),
    (
        {"target": {"type": "eventbridge", "source": "aws.ec2", "detail_type": "x"}},
        "invalid_target",
        "target.source",
    ),
    (
        {"target": {"type": "eventbridge", "bus": "bad bus", "source": "a", "detail_type": "x"}},
        "invalid_target",
        "target.bus",
    ),
    ({"target": {"type": "handler", "name": "9lives"}}, "invalid_target", "target.name"),
    ({"target": {"type": "handler"}}, "invalid_target", "target.name"),
]


@pytest.mark.parametrize(("changes", "code", "field"), BAD_INPUTS)
def test_bad_input_names_its_code_and_field(changes, code, field):
    error = create_error(**changes)
    assert (error.code, error.field) == (code, field)
    assert error.status == 400
    if code != "invalid_schedule":  # the schedule parser's messages quote the expression
        assert error.message.startswith(field.split(".")[0])  # a sentence naming the field
    assert "Input should" not in error.message  # never pydantic's raw text


@pytest.mark.parametrize("body", [None, [], "text", 42, True])
def test_a_body_that_is_not_an_object_is_a_validation_error_without_field(body):
    for parse in (parse_task_create, parse_task_update):
        error = error_of(parse, body)
        assert (error.code, error.field) == ("validation_error", None)


def test_required_fields():
    error = error_of(parse_task_create, {"target": HOOK})
    assert (error.code, error.field, error.message) == (
        "invalid_schedule",
        "schedule",
        "schedule is required",
    )
    error = error_of(parse_task_create, {"schedule": "@daily"})
    assert (error.code, error.field) == ("invalid_target", "target")


def test_messages_say_what_to_do():
    assert create_error(retry={"max_attempts": 101}).message == (
        "retry.max_attempts must be between 1 and 100"
    )
    assert create_error(overlap="x").message == (
        "overlap must be one of 'allow', 'skip' or 'buffer_one'"
    )
    assert create_error(target={"type": "x"}).message == (
        "target.type must be one of http, lambda, sqs, sns, eventbridge, handler"
    )
    assert "UTC offset" in create_error(start_at="2026-01-01T09:00:00").message


def test_error_envelope_is_the_api_shape():
    assert create_error(jitter_seconds=-1).to_dict() == {
        "error": {
            "code": "validation_error",
            "message": "jitter_seconds must be between 0 and 3600",
            "field": "jitter_seconds",
        }
    }


# --------------------------------------------------------------------------- unknown fields


def test_unknown_top_level_field_is_rejected_with_a_suggestion():
    error = create_error(retires={"max_attempts": 5})
    assert (error.code, error.field) == ("validation_error", "retires")
    assert "did you mean 'retry'" in error.message


def test_unknown_nested_fields_are_rejected():
    error = create_error(retry={"max_attempt": 5})
    assert (error.code, error.field) == ("validation_error", "retry.max_attempt")
    assert "did you mean 'max_attempts'" in error.message
    error = create_error(misfire={"policy": "skip", "grace": 5})
    assert (error.code, error.field) == ("validation_error", "misfire.grace")


def test_unknown_field_inside_target_is_an_invalid_target():
    error = create_error(target={**HOOK, "secret": "x"})
    assert (error.code, error.field) == ("invalid_target", "target.secret")
    error = create_error(target={"type": "sqs", "queue_url": "x", "url": "y"})
    assert (error.code, error.field) == ("invalid_target", "target.url")


def test_misspelled_required_field_reports_the_typo_not_the_missing_field():
    error = error_of(parse_task_create, {"schedul": "@daily", "target": HOOK})
    assert (error.code, error.field) == ("validation_error", "schedul")
    assert "did you mean 'schedule'" in error.message


def test_unknown_fields_are_rejected_in_updates():
    error = error_of(parse_task_update, {"retry": {"max_attempts": 2, "jitter": 1}})
    assert (error.code, error.field) == ("validation_error", "retry.jitter")
    error = error_of(parse_task_update, {"state": "paused"})
    assert (error.code, error.field) == ("validation_error", "state")


# --------------------------------------------------------------------------- targets

GOOD_TARGETS = [
    {"type": "http", "url": "http://127.0.0.1:9000/hook", "method": "get"},
    {"type": "http", "url": "https://example.com/a?b=c", "headers": {"Authorization": "Bearer t"}},
    {"type": "lambda", "arn": "arn:aws:lambda:us-east-1:123456789012:function:my-fn"},
    {
        "type": "lambda",
        "arn": "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:live",
        "invocation": "request_response",
    },
    {"type": "sqs", "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo"},
    {"type": "sqs", "queue_url": "http://127.0.0.1:5000/123456789012/local-queue"},
    {"type": "sns", "topic_arn": "arn:aws:sns:ap-southeast-2:123456789012:alerts"},
    {"type": "eventbridge", "source": "sundial.reports", "detail_type": "Report due"},
    {
        "type": "eventbridge",
        "bus": "arn:aws:events:us-east-1:123456789012:event-bus/orders",
        "source": "app",
        "detail_type": "tick",
    },
    {"type": "handler", "name": "builtin.noop"},
]


@pytest.mark.parametrize("target", GOOD_TARGETS, ids=lambda t: t["type"])
def test_every_target_type_is_accepted(target):
    spec = create(target=target)
    assert spec.target.type == target["type"]
    assert view_of(spec)["target"]["type"] == target["type"]


def test_target_defaults():
    assert create(target=HOOK).target.model_dump() == {
        "type": "http",
        "url": "https://example.com/hook",
        "method": "POST",
        "headers": {},
        "signing_secret": None,
    }
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert create(target={"type": "lambda", "arn": arn}).target.invocation == "event"
    eb = create(target={"type": "eventbridge", "source": "a", "detail_type": "b"}).target
    assert eb.bus == "default"


def test_http_method_is_case_insensitive():
    assert create(target={**HOOK, "method": "put"}).target.method == "PUT"


def test_content_type_may_be_overridden():
    create(target={**HOOK, "headers": {"Content-Type": "application/cloudevents+json"}})


# --------------------------------------------------------------------------- signing secret


def test_signing_secret_is_stored_but_never_shown():
    spec = create(target={**HOOK, "signing_secret": "s3cret-value"})
    assert spec.target.signing_secret == "s3cret-value"
    assert spec.model_dump(mode="json")["target"]["signing_secret"] == "s3cret-value"
    view = view_of(spec)
    assert "signing_secret" not in view["target"]
    assert "s3cret-value" not in json.dumps(view)
    assert "s3cret-value" not in repr(spec)


# --------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    "naive", ["2026-01-01T09:00:00", "2026-01-01 09:00:00", "2026-01-01T09:00:00.5"]
)
def test_naive_timestamps_are_rejected(naive):
    error = create_error(start_at=naive)
    assert (error.code, error.field) == ("validation_error", "start_at")
    assert "UTC offset" in error.message


def test_datetime_objects_from_python_callers_need_an_offset_too():
    error = create_error(start_at=datetime(2026, 1, 1))
    assert (error.code, error.field) == ("validation_error", "start_at")
    moment = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=3)))
    assert create(start_at=moment).start_at == moment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01T09:00:00Z", datetime(2026, 1, 1, 9, tzinfo=UTC)),
        ("2026-01-01t09:00:00z", datetime(2026, 1, 1, 9, tzinfo=UTC)),
        ("2026-01-01T09:00:00.250+01:00", datetime(2026, 1, 1, 8, 0, 0, 250000, tzinfo=UTC)),
        ("2026-01-01T09:00:00-05:30", datetime(2026, 1, 1, 14, 30, tzinfo=UTC)),
    ],
)
def test_rfc3339_timestamps_with_offsets_are_accepted(text, expected):
    assert create(start_at=text).start_at == expected


def test_timestamps_keep_their_offset_when_rendered():
    spec = create(end_at="2026-06-01T12:00:00-04:00")
    assert spec.end_at.utcoffset() == timedelta(hours=-4)
    assert view_of(spec)["end_at"] == "2026-06-01T12:00:00-04:00"


def test_window_compares_instants_not_wall_clocks():
    # 10:00+02:00 is 08:00Z, which is before 09:00Z.
    create(start_at="2026-01-01T10:00:00+02:00", end_at="2026-01-01T09:00:00Z")
    error = create_error(start_at="2026-01-01T10:00:00+00:00", end_at="2026-01-01T11:00:00+02:00")
    assert error.field == "end_at"


def test_timezone_is_any_iana_zone():
    for zone in ("UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Asia/Kolkata"):
        assert create(timezone=zone).timezone == zone


def test_schedule_forms_of_design_section_5_are_accepted():
    for schedule in (
        "*/5 * * * *",
        "0 30 2 * * *",
        "cron(0 12 ? * MON-FRI *)",
        "rate(5 minutes)",
        "at(2030-01-01T09:00:00)",
        "@daily",
        "@every 1h30m10s",
    ):
        assert create(schedule=schedule).schedule == schedule


# --------------------------------------------------------------------------- updates


def test_update_fields_are_all_optional():
    assert parse_task_update({}).model_dump(exclude_unset=True) == {}
    spec = create(name="a")
    assert apply_update(spec, parse_task_update({})) == spec


def update(spec, body):
    return apply_update(spec, parse_task_update(body))


def test_update_replaces_scalars_and_keeps_the_rest():
    spec = create(name="report", description="old", jitter_seconds=5)
    new = update(spec, {"description": "new", "overlap": "skip"})
    assert (new.description, new.overlap, new.name, new.jitter_seconds) == (
        "new",
        "skip",
        "report",
        5,
    )
    assert spec.description == "old"  # the current spec is not modified


def test_retry_and_misfire_merge_field_by_field():
    spec = create(retry={"max_attempts": 7, "backoff_seconds": 10})
    new = update(spec, {"retry": {"max_attempts": 2}, "misfire": {"policy": "skip"}})
    assert new.retry.model_dump() == {
        "max_attempts": 2,
        "backoff_seconds": 10,
        "max_backoff_seconds": 300,
        "max_event_age_seconds": 86400,
    }
    assert new.misfire.model_dump() == {"policy": "skip", "grace_seconds": 60}


def test_target_tags_and_payload_are_replaced_whole():
    spec = create(
        target={**HOOK, "method": "PUT", "headers": {"X-A": "1"}},
        tags={"a": "1", "b": "2"},
        payload={"x": 1, "y": 2},
    )
    new = update(
        spec,
        {
            "target": {"type": "http", "url": "https://other.example/hook"},
            "tags": {"c": "3"},
            "payload": {"z": 3},
        },
    )
    assert new.target.method == "POST"
    assert new.target.headers == {}
    assert new.tags == {"c": "3"}
    assert new.payload == {"z": 3}
    assert update(spec, {"tags": {}}).tags == {}


def test_target_may_change_type():
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    new = update(create(), {"target": {"type": "lambda", "arn": arn}})
    assert new.target.type == "lambda"


def test_http_target_patch_without_secret_keeps_the_stored_secret():
    spec = create(target={**HOOK, "signing_secret": "keep-me"})
    new = update(spec, {"target": {"type": "http", "url": "https://example.com/v2"}})
    assert isinstance(new.target, HttpTarget)
    assert new.target.signing_secret == "keep-me"
    assert new.target.url == "https://example.com/v2"


def test_http_target_patch_can_replace_or_remove_the_secret():
    spec = create(target={**HOOK, "signing_secret": "old"})
    assert update(spec, {"target": {**HOOK, "signing_secret": "new"}}).target.signing_secret == (
        "new"
    )
    assert update(spec, {"target": {**HOOK, "signing_secret": None}}).target.signing_secret is None


def test_a_get_edit_patch_round_trip_keeps_the_secret():
    spec = create(target={**HOOK, "signing_secret": "keep-me"})
    shown = view_of(spec)["target"]
    new = update(spec, {"target": {**shown, "method": "PUT"}})
    assert new.target.signing_secret == "keep-me"


def test_null_clears_nullable_fields():
    spec = create(name="n", start_at="2026-01-01T00:00:00Z", end_at="2027-01-01T00:00:00Z")
    new = update(spec, {"name": None, "start_at": None, "end_at": None})
    assert (new.name, new.start_at, new.end_at) == (None, None, None)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"schedule": None}, "invalid_schedule", "schedule"),
        ({"timezone": None}, "invalid_timezone", "timezone"),
        ({"target": None}, "invalid_target", "target"),
        ({"retry": None}, "validation_error", "retry"),
        ({"retry": {"backoff_seconds": None}}, "validation_error", "retry.backoff_seconds"),
        ({"tags": None}, "validation_error", "tags"),
        ({"overlap": None}, "validation_error", "overlap"),
    ],
)
def test_null_is_refused_where_a_field_cannot_be_empty(body, code, field):
    error = error_of(parse_task_update, body)
    assert (error.code, error.field) == (code, field)
    assert "leave it out" in error.message


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"retry": {"max_attempts": 0}}, "validation_error", "retry.max_attempts"),
        ({"timezone": "Nowhere/Land"}, "invalid_timezone", "timezone"),
        ({"schedule": ""}, "invalid_schedule", "schedule"),
        ({"target": {"type": "sqs"}}, "invalid_target", "target.queue_url"),
        ({"target": {"type": "http", "url": "x"}}, "invalid_target", "target.url"),
        ({"payload": "x" * PAYLOAD_MAX_BYTES}, "payload_too_large", "payload"),
        ({"start_at": "2026-01-01T00:00:00"}, "validation_error", "start_at"),
    ],
)
def test_update_fields_are_validated_like_create(body, code, field):
    error = error_of(parse_task_update, body)
    assert (error.code, error.field) == (code, field)


def test_merged_result_is_revalidated():
    spec = create(
        start_at="2026-01-01T00:00:00Z",
        end_at="2026-06-01T00:00:00Z",
        retry={"backoff_seconds": 10, "max_backoff_seconds": 20},
    )
    error = error_of(update, spec, {"start_at": "2026-07-01T00:00:00Z"})
    assert (error.code, error.field) == ("validation_error", "end_at")
    error = error_of(update, spec, {"retry": {"max_backoff_seconds": 5}})
    assert (error.code, error.field) == ("validation_error", "retry.max_backoff_seconds")
    error = error_of(update, spec, {"schedule": "0 0 31 2 *"})
    assert (error.code, error.field) == ("invalid_schedule", "schedule")


def test_timezone_change_alone_rechecks_the_schedule():
    spec = create(timezone="Europe/Berlin")
    assert update(spec, {"timezone": "Asia/Tokyo"}).timezone == "Asia/Tokyo"


# --------------------------------------------------------------------------- schema


def test_models_produce_json_schemas_for_openapi():
    for model in (TaskSpec, TaskUpdate):
        schema = model.model_json_schema()
        assert schema["additionalProperties"] is False
    view = TaskView.model_json_schema(mode="serialization")
    assert "signing_secret" not in json.dumps(view["$defs"]["HttpTargetView"])
    retry = TaskSpec.model_json_schema()["$defs"]["Retry"]["properties"]["max_attempts"]
    assert (retry["minimum"], retry["maximum"], retry["default"]) == (1, 100, 3)
