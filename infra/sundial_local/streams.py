"""The DynamoDB stream event source mappings, emulated the way Lambda runs them.

One thread per mapping reads its table's stream (the emulator's DynamoDB Streams) in
order, keeps the records its FilterCriteria let through (`filtering.py`, the
template's own patterns), and invokes the function with a Lambda stream event. A
partial batch response (ReportBatchItemFailures) moves the position to just before
the first failed record and invokes again from there after a pause; a function that
raises retries the whole batch. After `MaximumRetryAttempts` retries the batch is
reported to the mapping's on-failure destination (an SQS queue: a record of the
batch, as Lambda sends) and reading goes on past it.

Across a restart: the stream starts afresh with the restored tables (the emulator
replays its journal), and the mapping reads it from its start (TRIM_HORIZON). Writes
already folded into the state file's snapshot come back as inserts, which are never
events; the journal's later writes come back as the changes they were, so an event
whose write was not yet notified before the stop is notified after it, and one that was
is sent again with the same event id (at least once, bounded by the journal).
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sundial_local.filtering import matches_any, parse_filters
from sundial_local.runtime import LocalFunction
from sundial_local.template import DEFAULT_REGION, Template, TemplateError

log = logging.getLogger(__name__)

MAPPING_TYPE = "AWS::Lambda::EventSourceMapping"
# How often an idle mapping looks at its stream again.
POLL_SECONDS = 0.25
# The pause before a failed batch is retried.
RETRY_PAUSE_SECONDS = 0.5


@dataclass(frozen=True)
class StreamMapping:
    """A stream event source mapping of the template."""

    logical_id: str
    function_id: str
    stream_arn: str
    batch_size: int
    patterns: list[dict[str, Any]]
    max_retries: int
    on_failure_queue_arn: str | None


def stream_mappings(template: Template) -> list[StreamMapping]:
    """The template's mappings whose source is a DynamoDB stream (the tables are made)."""
    found = []
    for logical_id, resource in template.body["Resources"].items():
        if resource.get("Type") != MAPPING_TYPE:
            continue
        raw = resource.get("Properties", {})
        if not _is_stream(raw.get("EventSourceArn")):
            continue
        # The function is not a resource the emulator makes: its name is all it takes.
        properties = template.resolve(
            {k: v for k, v in raw.items() if k not in ("FunctionName", "DestinationConfig")}
        )
        try:
            on_failure = template.resolve(raw.get("DestinationConfig", {})).get("OnFailure", {})
        except TemplateError:  # its queue is not made (a template read without queues)
            on_failure = {}
        found.append(
            StreamMapping(
                logical_id=logical_id,
                function_id=_function_id(raw.get("FunctionName")),
                stream_arn=str(properties["EventSourceArn"]),
                batch_size=int(properties.get("BatchSize", 100)),
                patterns=parse_filters(properties.get("FilterCriteria")),
                max_retries=int(properties.get("MaximumRetryAttempts", -1)),
                on_failure_queue_arn=on_failure.get("Destination"),
            )
        )
    return found


def _is_stream(source: Any) -> bool:
    """`!GetAtt <Table>.StreamArn`, in either of the spellings YAML loading gives."""
    if not isinstance(source, Mapping) or "Fn::GetAtt" not in source:
        return False
    target = source["Fn::GetAtt"]
    attribute = target.split(".", 1)[1] if isinstance(target, str) else target[1]
    return bool(attribute == "StreamArn")


def _function_id(raw: Any) -> str:
    if isinstance(raw, Mapping) and "Ref" in raw:
        return str(raw["Ref"])
    raise ValueError(f"a stream mapping's FunctionName must be a !Ref to a function: {raw}")


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A DynamoDB Streams record as Lambda hands it to a function."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime.datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", DEFAULT_REGION),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def first_failure(response: Any, batch: list[dict[str, Any]]) -> int | None:
    """The index in `batch` the next invocation starts from (None: all done), as Lambda
    reads a stream function's partial batch response."""
    if response is None:
        return None
    failures = response.get("batchItemFailures", []) if isinstance(response, dict) else None
    if not isinstance(failures, list):
        return 0
    sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
    failed = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in sequences:
            return 0  # an unknown or empty identifier fails the whole batch
        failed.append(sequences.index(identifier))
    return min(failed) if failed else None


@dataclass
class StreamPoller:
    """Runs one stream mapping in a thread until `stop` is set."""

    streams: Any  # a dynamodbstreams client
    sqs: Any
    mapping: StreamMapping
    function: LocalFunction
    stop: threading.Event
    queue_urls: Mapping[str, str] = field(default_factory=dict)  # queue ARN -> URL
    invocations: int = 0
    _thread: threading.Thread | None = None
    _iterators: dict[str, str] = field(default_factory=dict)  # shard id -> iterator
    _pending: list[dict[str, Any]] = field(default_factory=list)  # matched, not yet done

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._work, name=f"sundial-stream-{self.mapping.logical_id}", daemon=True
        )
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self) -> None:
        while not self.stop.is_set():
            try:
                if not self.poll_once():
                    self.stop.wait(POLL_SECONDS)
            except Exception:
                log.exception("reading %s failed", self.mapping.stream_arn)
                self.stop.wait(1)

    def poll_once(self) -> int:
        """Read what the stream has, invoke the function for what matches; the number of
        records read."""
        read = self._read()
        if self._pending:
            self._deliver()
        return read

    def _read(self) -> int:
        arn = self.mapping.stream_arn
        shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        read = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            iterator = self._iterators.get(shard_id)
            if iterator is None:
                iterator = self.streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            answer = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            records = answer.get("Records", [])
            read += len(records)
            self._pending.extend(
                lambda_record(r, arn)
                for r in records
                if matches_any(self.mapping.patterns, lambda_record(r, arn))
            )
            if answer.get("NextShardIterator"):
                self._iterators[shard_id] = answer["NextShardIterator"]
        return read

    def _deliver(self) -> None:
        """Invoke batches of the matched records, in order, retrying as Lambda does."""
        while self._pending and not self.stop.is_set():
            batch = self._pending[: self.mapping.batch_size]
            retries = 0
            while batch:
                try:
                    response = self.function.invoke({"Records": batch})
                    start = first_failure(response, batch)
                except Exception:
                    log.exception("%s failed; the batch is retried", self.function.name)
                    start = 0
                self.invocations += 1
                done = batch if start is None else batch[:start]
                del self._pending[: len(done)]
                if start is None:
                    break
                batch = batch[start:]
                retries += 1
                if 0 <= self.mapping.max_retries < retries:
                    self._give_up(batch)
                    del self._pending[: len(batch)]
                    break
                if self.stop.wait(RETRY_PAUSE_SECONDS):
                    return

    def _give_up(self, batch: list[dict[str, Any]]) -> None:
        """Report a batch whose retries ran out to the on-failure destination."""
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        log.error("%s: giving up on %d stream records", self.mapping.logical_id, len(batch))
        url = self.queue_urls.get(self.mapping.on_failure_queue_arn or "")
        if url is None:
            return
        self.sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(
                {
                    "requestContext": {"condition": "RetryAttemptsExhausted"},
                    "DDBStreamBatchInfo": {
                        "shardId": "local",
                        "startSequenceNumber": first["SequenceNumber"],
                        "endSequenceNumber": last["SequenceNumber"],
                        "batchSize": len(batch),
                        "streamArn": self.mapping.stream_arn,
                    },
                }
            ),
        )
