"""The limits of a task definition. Each is a contract with users; the reason is why it
is not larger."""

from __future__ import annotations

import re

from sundial.core.aws_limits import (
    LAMBDA_MAX_TIMEOUT_SECONDS,
    SQS_MAX_MESSAGE_BYTES,
    SQS_MAX_RETENTION_SECONDS,
    SQS_MAX_VISIBILITY_SECONDS,
)

# Names appear in URLs, logs and CLI arguments: short, and no characters that need quoting.
NAME_MAX_LENGTH = 64
NAME_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{NAME_MAX_LENGTH - 1}}}")
# Longer than any real cron/rate/at/@every expression; bounds the parser's work.
SCHEDULE_MAX_LENGTH = 256
# A note for humans, not a document store: keeps the task item small.
DESCRIPTION_MAX_LENGTH = 1024
# 256 KiB: the SQS message size limit, and a comfortable share of DynamoDB's 400 KB item.
PAYLOAD_MAX_BYTES = SQS_MAX_MESSAGE_BYTES

# Retries are bounded by SQS: a message's visibility can be extended by at most 12 hours
# at a time, and SQS keeps a message at most 14 days.
MAX_ATTEMPTS_MIN, MAX_ATTEMPTS_MAX = 1, 100
BACKOFF_MIN, BACKOFF_MAX = 0, 3600
MAX_BACKOFF_MIN, MAX_BACKOFF_MAX = 1, SQS_MAX_VISIBILITY_SECONDS
MAX_EVENT_AGE_MIN, MAX_EVENT_AGE_MAX = 60, SQS_MAX_RETENTION_SECONDS
# A run executes inside one Lambda invocation, which lasts at most 15 minutes.
TIMEOUT_MIN, TIMEOUT_MAX = 1, LAMBDA_MAX_TIMEOUT_SECONDS
# A day: a fire later than that is not "late" any more, it is a different fire.
GRACE_MIN, GRACE_MAX = 0, 86_400
# Jitter spreads load inside the hour; beyond that it changes what the schedule means.
JITTER_MIN, JITTER_MAX = 0, 3600

# A run limit counts the task's scheduled runs; the cap only keeps the number a plain
# JSON integer that every client reads exactly (2^53 - 1).
MAX_RUNS_MIN, MAX_RUNS_MAX = 1, 2**53 - 1
# Consecutive failed runs that pause a task: beyond a thousand, the setting no longer
# protects anything a user would notice.
PAUSE_AFTER_FAILURES_MIN, PAUSE_AFTER_FAILURES_MAX = 1, 1000

# Tags are for filtering (`?tag=k:v`): keys have no `:` so the filter is unambiguous.
TAGS_MAX_COUNT = 50
TAG_KEY_MAX_LENGTH = 128
TAG_KEY_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_./@+=-]{{0,{TAG_KEY_MAX_LENGTH - 1}}}")
TAG_VALUE_MAX_LENGTH = 256

# HTTP targets. Headers are stored in the task item and sent on every attempt; most
# servers refuse requests whose header block exceeds 8-16 KiB.
URL_MAX_LENGTH = 2048
HEADERS_MAX_COUNT = 50
HEADERS_MAX_BYTES = 16 * 1024
HEADER_NAME_PATTERN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")  # RFC 9110 token
# Sundial sets these itself (docs/execution.md "HTTP targets") or the HTTP client
# owns them (framing, hop-by-hop); a user value would break signing, dedupe or framing.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "idempotency-key",
    }
)
RESERVED_HEADER_PREFIX = "x-sundial-"
SIGNING_SECRET_MAX_LENGTH = 1024
# Header values that carry credentials are write-only, like `signing_secret`: responses
# show the header with this value in place of the stored one. A header carries
# credentials when its name (case-insensitively) is one of CREDENTIAL_HEADERS or
# contains one of CREDENTIAL_HEADER_WORDS.
HIDDEN_HEADER_VALUE = "***"
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
CREDENTIAL_HEADER_WORDS = ("auth", "token", "secret", "key", "password", "credential", "cookie")

# AWS naming rules, as the AWS APIs enforce them.
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
LAMBDA_ARN_PATTERN = re.compile(
    rf"arn:aws[a-z-]*:lambda:{_REGION}:\d{{12}}:function:[A-Za-z0-9_-]{{1,64}}"
    r"(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
# Any host: the local stack's emulator serves queues at http://127.0.0.1:<port>/<account>/<name>.
SQS_QUEUE_URL_PATTERN = re.compile(r"https?://[^/\s]+/\d{12}/[A-Za-z0-9_-]{1,80}(?:\.fifo)?")
SNS_TOPIC_ARN_PATTERN = re.compile(
    rf"arn:aws[a-z-]*:sns:{_REGION}:\d{{12}}:[A-Za-z0-9_-]{{1,256}}(?:\.fifo)?"
)
_BUS_NAME = r"[A-Za-z0-9._/-]{1,256}"
EVENT_BUS_PATTERN = re.compile(
    rf"{_BUS_NAME}|arn:aws[a-z-]*:events:{_REGION}:\d{{12}}:event-bus/{_BUS_NAME}"
)
EVENT_SOURCE_MAX_LENGTH = 256  # PutEvents limit
EVENT_DETAIL_TYPE_MAX_LENGTH = 128  # PutEvents limit
HANDLER_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,127}")
