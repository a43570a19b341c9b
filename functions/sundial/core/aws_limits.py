"""The AWS service limits Sundial's behaviour depends on, each named once.

Every bound below is fixed by the service, not chosen by Sundial: code that derives a
policy from one (a retry cap, a payload bound, a batch size) imports it from here, so
a limit AWS raises is changed in one place.
"""

from __future__ import annotations

# --- SQS ---------------------------------------------------------------------------------

# The largest message body SQS accepts.
SQS_MAX_MESSAGE_BYTES = 256 * 1024
# SendMessage / SendMessageBatch delay a message by at most 15 minutes.
SQS_MAX_DELAY_SECONDS = 900
# ChangeMessageVisibility hides a received message for at most 12 hours.
SQS_MAX_VISIBILITY_SECONDS = 43_200
# SQS keeps a message at most 14 days.
SQS_MAX_RETENTION_SECONDS = 1_209_600
# SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch take at most 10
# entries per call, and ReceiveMessage returns at most 10 messages.
SQS_MAX_BATCH_ENTRIES = 10
# SQS bills each started 64 KB chunk of a request's payload as one request.
SQS_BILLING_CHUNK_BYTES = 64 * 1024

# --- Lambda ------------------------------------------------------------------------------

# An invocation runs for at most 15 minutes.
LAMBDA_MAX_TIMEOUT_SECONDS = 900

# --- DynamoDB ----------------------------------------------------------------------------

# TransactWriteItems takes at most 100 actions per call.
DYNAMODB_MAX_TRANSACT_ITEMS = 100
# BatchWriteItem takes at most 25 put or delete requests per call.
DYNAMODB_MAX_BATCH_WRITE_ITEMS = 25
