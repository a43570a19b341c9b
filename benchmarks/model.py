"""Cost per million fires, an idle deployment's cost per month, and the throughput model,
computed from metered capacity (counts.py), what the functions print (telemetry.py) and
template.yaml's settings.

Prices: AWS us-east-1 list prices, as of PRICES_AS_OF; only the price sheet changes
when they do. Free tiers are ignored. Each Lambda function is priced at the
architecture and memory size template.yaml gives it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

PRICES_AS_OF = "2026-11-22"
PRICES_USD = {
    # DynamoDB on-demand (https://aws.amazon.com/dynamodb/pricing/on-demand/).
    "dynamodb_write_request_unit_per_million": 0.625,
    "dynamodb_read_request_unit_per_million": 0.125,
    "dynamodb_storage_gb_month": 0.25,
    "dynamodb_point_in_time_recovery_gb_month": 0.20,
    # DynamoDB provisioned (https://aws.amazon.com/dynamodb/pricing/provisioned/).
    "dynamodb_write_capacity_unit_hour": 0.00065,
    "dynamodb_read_capacity_unit_hour": 0.00013,
    # SQS standard queue, per million requests, each 64 KB chunk of payload one request
    # (https://aws.amazon.com/sqs/pricing/). A queue itself costs nothing.
    "sqs_request_per_million": 0.40,
    # Lambda (https://aws.amazon.com/lambda/pricing/): per million requests, and per
    # GB-second by architecture.
    "lambda_request_per_million": 0.20,
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_gb_second_x86_64": 0.0000166667,
    # X-Ray, per million traces recorded (https://aws.amazon.com/xray/pricing/).
    "xray_trace_recorded_per_million": 5.00,
    # CloudWatch (https://aws.amazon.com/cloudwatch/pricing/): a custom metric (name and
    # dimension set) per month, prorated by the hour it receives data; a standard alarm
    # per metric it reads (a metric-math alarm pays for each); a dashboard per month
    # beyond an account's first three; log data ingested per GB.
    "cloudwatch_custom_metric_month": 0.30,
    "cloudwatch_alarm_metric_month": 0.10,
    "cloudwatch_dashboard_month": 3.00,
    "cloudwatch_logs_ingested_gb": 0.50,
    # Secrets Manager, per secret per month (https://aws.amazon.com/secrets-manager/pricing/).
    "secrets_manager_secret_month": 0.40,
    # EventBridge Scheduler, per million invocations, each 64 KB chunk of payload one
    # invocation (https://aws.amazon.com/eventbridge/pricing/).
    "eventbridge_scheduler_invocation_per_million": 1.00,
}
# Provisioned capacity is paid by the hour whether used or not; autoscaling keeps a
# table near its target utilisation, so each unit consumed costs 1/0.7 of a unit-second.
PROVISIONED_UTILISATION = 0.70
SECONDS_PER_HOUR = 3600
HOURS_PER_MONTH = 730  # AWS's month
GB = 1e9
EVENT_PAYLOAD_CHUNK_BYTES = 64 * 1024

# The executor's billed time per invocation (ExecutorTime): one record's requests in turn
# (a batch's records run in parallel threads, so their round trips overlap) and the CPU
# of every record of the batch on the executor's share of a vCPU (the executor_cpu step
# measures it per fire; the threads share one interpreter, so never more than one vCPU).
# The work up to the claims runs inside the lead the batch arrived with, before its fire
# time: the invocation is billed for the longer of the two (the lateness step measures
# each batch's lead, lateness.executor_wait_ms.batch_lead_percentiles). Without measured
# leads, the wait for the fire time (the measured mean, else SendLeadMs: timed sends make
# a message visible about that long before its fire time) is added to that work.
# The requests an invocation waits for in turn, as the capacity step measures them per
# scenario (executor_requests_in_turn): the batch's reads of its tasks, then a record's
# claim and outcome. When not measured: the guard read, the definition read, the claim
# and the outcome (a fire carrying its definition makes no definition read).
EXECUTOR_REQUESTS_PER_FIRE = 4
# When the executor_cpu step has not run: per fire, and up to the run's claim.
EXECUTOR_CPU_SECONDS_PER_FIRE_ESTIMATE = 0.003
EXECUTOR_CPU_BEFORE_CLAIM_SECONDS_PER_FIRE_ESTIMATE = 0.0015
# Memory sizes the executor is priced at to choose its own (executor_memory_choice).
EXECUTOR_MEMORY_CANDIDATES_MB = (256, 384, 512, 768, 1024, 1769)
# A sweep's fixed part: its shard queries and leases, a few DynamoDB round trips of
# ~10 ms each in parallel threads, so ~0.1 s billed.
DISPATCHER_SECONDS_PER_SWEEP = 0.1
SWEEPS_PER_MINUTE = 1  # template.yaml's rate(1 minute) tick
# One DynamoDB or SQS request from Lambda in the same region, as the sweep's threads wait
# for it; each thread works one shard at a time.
REQUEST_ROUND_TRIP_SECONDS = 0.010
# Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB. The
# dispatcher's CPU per fire is measured on the benchmark machine's core (one vCPU).
LAMBDA_MB_PER_VCPU = 1769
# Lambda's SQS event source mapping long-polls the work queue (20 s) with five pollers
# while idle: ~15 ReceiveMessage a minute, empty or not, billed whether a fire came or not.
EVENT_SOURCE_RECEIVES_PER_MINUTE = 15
# Active tracing's sampling rule (Lambda's default): the first request each second and
# 5% of the rest.
XRAY_RESERVOIR_PER_SECOND = 1.0
XRAY_FIXED_RATE = 0.05
# EventBridge Scheduler's target: an arm64 Lambda of 128 MB making the HTTP call, ~100 ms
# billed, untraced (the smallest honest equivalent of the executor's work).
EBS_TARGET_MEMORY_GB = 0.125
EBS_TARGET_SECONDS = 0.100
EBS_TARGET_ARCHITECTURE = "arm64"


@dataclass(frozen=True)
class FunctionSize:
    """What Lambda bills a function by: its architecture and memory."""

    architecture: str
    memory_gb: float

    def gb_second_price(self) -> float:
        return PRICES_USD[f"lambda_gb_second_{self.architecture}"]

    def vcpus(self) -> float:
        return self.memory_gb * 1024 / LAMBDA_MB_PER_VCPU


def function_sizes(template: Any = None) -> dict[str, FunctionSize]:
    """Each AWS::Serverless::Function of template.yaml, by logical id, with Globals as the
    default (Lambda's own defaults: x86_64, 128 MB)."""
    from sundial_local.template import Template, functions

    template = template or Template.load()
    defaults = template.body.get("Globals", {}).get("Function", {})
    sizes = {}
    for logical_id, properties in functions(template).items():
        merged = {**defaults, **properties}
        architecture = template.resolve(merged.get("Architectures", ["x86_64"]))[0]
        memory_mb = template.resolve(merged.get("MemorySize", 128))
        sizes[logical_id] = FunctionSize(architecture, int(memory_mb) / 1024)
    return sizes


# --- the deployment -------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """What template.yaml (with its parameters) sets that cost and throughput depend on."""

    sizes: Mapping[str, FunctionSize]
    shard_count: int
    dispatch_threads: int
    executor_maximum_concurrency: int
    executor_batch_size: int
    tracing: str  # "Active" or "PassThrough", every function alike
    alarm_metrics: int  # metrics read by the alarms (a metric-math alarm reads several)
    dashboards: int
    secrets: int
    connections: int  # the dispatcher's DynamoDB connection pool
    # SQS event source mappings besides the work queue's (the notifications queue's):
    # each long-polls its queue while idle, whether or not a fire needs it.
    other_queue_mappings: int = 0

    def sweep_parallelism(self) -> int:
        """Requests a sweep has in flight at once: a thread per shard, at most
        DispatchThreads, each holding one of the client's pooled connections."""
        return max(1, min(self.dispatch_threads, self.shard_count, self.connections))

    def sweep_seconds_per_fire(self, requests_per_fire: float, cpu_us_per_fire: float) -> float:
        """Time a sweep spends per fire, hence what the dispatcher is billed per fire and
        how many fires a second it sends. Each thread plans (CPU, holding the
        interpreter) then waits on its requests (REQUEST_ROUND_TRIP_SECONDS each, not
        holding it), so N threads send N fires per plan-and-wait, unless the planning
        alone fills the CPU the dispatcher's memory buys."""
        cpu = cpu_us_per_fire / 1e6 / self.sizes["DispatcherFunction"].vcpus()
        waiting = requests_per_fire * REQUEST_ROUND_TRIP_SECONDS
        return max((cpu + waiting) / self.sweep_parallelism(), cpu)


def deployment(parameters: Mapping[str, Any] | None = None, template: Any = None) -> Deployment:
    """The deployment template.yaml makes with `parameters` (defaults for the others)."""
    from sundial_local.template import Template

    from sundial.store.models import DYNAMODB_MAX_POOL_CONNECTIONS

    template = template or Template.load(parameters=parameters)
    resources = template.body["Resources"]

    def of_type(kind: str) -> list[dict[str, Any]]:
        return [
            r
            for r in resources.values()
            if r.get("Type") == kind
            and ("Condition" not in r or template.condition(r["Condition"]))
        ]

    raw_mapping = resources["ExecutorWorkMapping"]
    raw = raw_mapping["Properties"]
    mapping = {k: template.resolve(raw[k]) for k in ("BatchSize", "ScalingConfig")}
    tracing = template.resolve(template.body.get("Globals", {}).get("Function", {}).get("Tracing"))
    return Deployment(
        sizes=function_sizes(template),
        shard_count=int(template.parameters["ShardCount"]),
        dispatch_threads=int(template.parameters["DispatchThreads"]),
        executor_maximum_concurrency=int(mapping["ScalingConfig"]["MaximumConcurrency"]),
        executor_batch_size=int(mapping["BatchSize"]),
        tracing=str(tracing or "PassThrough"),
        alarm_metrics=sum(
            alarm_metrics(a["Properties"]) for a in of_type("AWS::CloudWatch::Alarm")
        ),
        dashboards=len(of_type("AWS::CloudWatch::Dashboard")),
        secrets=len(of_type("AWS::SecretsManager::Secret")),
        connections=DYNAMODB_MAX_POOL_CONNECTIONS,
        other_queue_mappings=sum(
            1
            for m in of_type("AWS::Lambda::EventSourceMapping")
            if m is not raw_mapping and _polls_a_queue(m, resources)
        ),
    )


def _polls_a_queue(mapping: Mapping[str, Any], resources: Mapping[str, Any]) -> bool:
    source = mapping["Properties"].get("EventSourceArn", {})
    name = source.get("Fn::GetAtt", [None])[0] if isinstance(source, dict) else None
    return resources.get(name, {}).get("Type") == "AWS::SQS::Queue"


def alarm_metrics(properties: Mapping[str, Any]) -> int:
    """Metrics an alarm reads, as CloudWatch bills it: one for an alarm on a metric, one
    per MetricStat for an alarm on a metric-math expression."""
    queries = properties.get("Metrics")
    if not queries:
        return 1
    return sum(1 for query in queries if "MetricStat" in query)


def executor_wait_mean_ms(results: Mapping[str, Any], lead_ms: int | None = None) -> float | None:
    """The lateness step's measured mean wait of the executor for a fire time, if any;
    with `lead_ms`, only a wait measured with that send lead (the wait follows the lead,
    and the local stack may send with its own)."""
    wait = (results.get("lateness") or {}).get("executor_wait_ms") or {}
    if wait.get("mean") is None:
        return None
    if lead_ms is not None and wait.get("send_lead_ms") != lead_ms:
        return None
    return float(wait["mean"])


@dataclass(frozen=True)
class ExecutorTime:
    """What an executor invocation is billed for, apart from its memory."""

    wait_seconds: float  # the mean wait for the fire time
    wait_source: str  # "measured" (lateness step) or "estimated" (the send lead)
    cpu_seconds_per_fire: float  # on one vCPU
    cpu_source: str  # "measured" (executor_cpu step) or "estimated"
    # The part of it up to the run's claim (the batch's task reads included): what a
    # record must get done before its fire time.
    cpu_before_claim_seconds_per_fire: float
    # How long before its fire time each batch began (seconds; negative: after it), at
    # the percentiles 0..100 the lateness step measured; empty when it has not.
    batch_leads: tuple[float, ...] = ()

    def seconds(
        self,
        fires_per_invocation: float,
        size: FunctionSize,
        requests_in_turn: float | None = None,
    ) -> float:
        """Billed seconds of one invocation running `fires_per_invocation` fires, waiting
        for `requests_in_turn` requests one after the other (measured; else
        EXECUTOR_REQUESTS_PER_FIRE), the last of them the outcome.

        Up to its claims a batch works inside the lead it arrived with: the invocation
        is billed for the longer of that lead and that work, then for the rest of its
        CPU and its outcome. Without measured leads, the wait is taken to follow the
        claims (their sum: an upper bound).
        """
        share = min(size.vcpus(), 1.0)
        requests = EXECUTOR_REQUESTS_PER_FIRE if requests_in_turn is None else requests_in_turn
        before_cpu = fires_per_invocation * self.cpu_before_claim_seconds_per_fire / share
        after_cpu = (
            fires_per_invocation
            * (self.cpu_seconds_per_fire - self.cpu_before_claim_seconds_per_fire)
            / share
        )
        claimed = before_cpu + max(requests - 1, 0) * REQUEST_ROUND_TRIP_SECONDS
        outcome = after_cpu + min(requests, 1) * REQUEST_ROUND_TRIP_SECONDS
        if self.batch_leads:
            on_time = sum(max(lead, claimed) for lead in self.batch_leads)
            return on_time / len(self.batch_leads) + outcome
        return self.wait_seconds + claimed + outcome


def send_lead_ms(template: Any = None) -> int:
    """The template's SendLeadMs default."""
    from sundial_local.template import Template

    return int((template or Template.load()).parameters["SendLeadMs"])


def executor_time(results: Mapping[str, Any], template: Any = None) -> ExecutorTime:
    """The executor's time from this run's measurements: the lateness step's mean wait
    for the fire time (results["lateness"]["executor_wait_ms"]["mean"]) and its batch
    leads when measured with the template's send lead, else that lead; the executor_cpu
    step's CPU per fire, else an estimate."""
    lead_ms = send_lead_ms(template)
    wait_ms = executor_wait_mean_ms(results, lead_ms)
    leads_ms = () if wait_ms is None else batch_leads_ms(results)
    cpu = results.get("executor_cpu_us_per_fire") or {}
    measured = cpu.get("value") is not None and cpu.get("us_before_claim_per_fire") is not None
    return ExecutorTime(
        wait_seconds=(lead_ms if wait_ms is None else wait_ms) / 1000,
        wait_source="estimated" if wait_ms is None else "measured",
        cpu_seconds_per_fire=cpu["value"] / 1e6
        if measured
        else EXECUTOR_CPU_SECONDS_PER_FIRE_ESTIMATE,
        cpu_source="measured" if measured else "estimated",
        cpu_before_claim_seconds_per_fire=cpu["us_before_claim_per_fire"] / 1e6
        if measured
        else EXECUTOR_CPU_BEFORE_CLAIM_SECONDS_PER_FIRE_ESTIMATE,
        batch_leads=tuple(lead / 1000 for lead in leads_ms),
    )


def batch_leads_ms(results: Mapping[str, Any]) -> tuple[float, ...]:
    """The lateness step's batch leads (ms before the fire time each batch began, at the
    percentiles 0..100), if it measured them."""
    wait = (results.get("lateness") or {}).get("executor_wait_ms") or {}
    return tuple(float(lead) for lead in wait.get("batch_lead_percentiles") or ())


def executor_memory_choice(
    time: ExecutorTime, where: Deployment, lead_ms: int, requests_in_turn: float | None = None
) -> dict[str, Any]:
    """The executor's memory priced at each candidate size for full batches (a model:
    the measured wait, CPU and requests, with Lambda's CPU share per MB), and the one to
    deploy: the cheapest at which a full batch's CPU up to its claims fits in the send
    lead, so the batch's last record claims its run before its fire time and a smaller
    size adds no lateness. Less memory is cheaper while the executor waits (the wait is
    billed by the GB), but shares less of a vCPU among the batch's records."""
    base = where.sizes["ExecutorFunction"]
    batch = where.executor_batch_size
    options = []
    for memory_mb in EXECUTOR_MEMORY_CANDIDATES_MB:
        size = FunctionSize(base.architecture, memory_mb / 1024)
        seconds = time.seconds(batch, size, requests_in_turn)
        share = min(size.vcpus(), 1.0)
        before_claims_ms = 1000 * batch * time.cpu_before_claim_seconds_per_fire / share
        options.append(
            {
                "memory_mb": memory_mb,
                "seconds_per_invocation": round(seconds, 3),
                "batch_cpu_ms": round(1000 * batch * time.cpu_seconds_per_fire / share, 1),
                "batch_cpu_before_claims_ms": round(before_claims_ms, 1),
                "usd_per_million_fires": round(_invocation(size, seconds) / batch, 4),
                "fits_lead": before_claims_ms <= lead_ms,
            }
        )
    fitting = [o for o in options if o["fits_lead"]] or options[-1:]
    choice = min(fitting, key=lambda o: o["usd_per_million_fires"])
    return {
        "options": options,
        "choice_mb": choice["memory_mb"],
        "template_mb": round(base.memory_gb * 1024),
        "send_lead_ms": lead_ms,
        "batch_size": batch,
        "requests_in_turn": EXECUTOR_REQUESTS_PER_FIRE
        if requests_in_turn is None
        else requests_in_turn,
    }


# --- cost per fire --------------------------------------------------------------------------


@dataclass(frozen=True)
class FireUsage:
    """What one fire uses, its share of the deployment's fixed costs included."""

    write_units: float
    read_units: float
    sqs_requests: float  # billed (each 64 KB chunk one), idle polls included
    executor_invocations: float  # 1 for a lone task's fire, 1/batch at scale
    sweeps: float  # dispatcher invocations: 1 / fires per tick
    dispatcher_seconds: float  # billed beyond the sweep's fixed DISPATCHER_SECONDS_PER_SWEEP
    log_bytes: float
    fires_per_second: float  # the deployment's average rate, for trace sampling
    # What an executor invocation waits for in turn (measured; None: the estimate).
    executor_requests_in_turn: float | None = None


def _invocation(size: FunctionSize, seconds: float) -> float:
    """USD per million invocations of `seconds` billed."""
    p = PRICES_USD
    return p["lambda_request_per_million"] + size.memory_gb * seconds * 1e6 * size.gb_second_price()


def dynamodb_per_million(write_units: float, read_units: float) -> dict[str, float]:
    """USD per million fires for the capacity one fire consumes, in both capacity modes."""
    p = PRICES_USD
    unit_hours = SECONDS_PER_HOUR * PROVISIONED_UTILISATION
    return {
        "on_demand": write_units * p["dynamodb_write_request_unit_per_million"]
        + read_units * p["dynamodb_read_request_unit_per_million"],
        "provisioned": (
            write_units * p["dynamodb_write_capacity_unit_hour"]
            + read_units * p["dynamodb_read_capacity_unit_hour"]
        )
        * 1e6
        / unit_hours,
    }


def traced_fraction(requests_per_second: float) -> float:
    """Share of a function's requests Active tracing records at a steady rate."""
    if requests_per_second <= 0:
        return 0.0
    reservoir = min(requests_per_second, XRAY_RESERVOIR_PER_SECOND)
    return (reservoir + XRAY_FIXED_RATE * (requests_per_second - reservoir)) / requests_per_second


def per_million(
    usage: FireUsage, where: Deployment, executor: ExecutorTime
) -> dict[str, dict[str, float]]:
    """USD per million fires of `usage`, on-demand and provisioned."""
    p = PRICES_USD
    dispatcher = where.sizes["DispatcherFunction"]
    sweep = usage.sweeps * _invocation(dispatcher, DISPATCHER_SECONDS_PER_SWEEP)
    sweep += dispatcher.memory_gb * usage.dispatcher_seconds * 1e6 * dispatcher.gb_second_price()
    traces = 0.0
    if where.tracing == "Active":
        executor_rate = usage.fires_per_second * usage.executor_invocations
        traces = usage.executor_invocations * traced_fraction(executor_rate) + usage.sweeps * 1.0
    executor_size = where.sizes["ExecutorFunction"]
    invocations = usage.executor_invocations
    executor_seconds = executor.seconds(
        1 / invocations if invocations else 0, executor_size, usage.executor_requests_in_turn
    )
    shared = {
        "sqs": usage.sqs_requests * p["sqs_request_per_million"],
        "lambda_executor": usage.executor_invocations
        * _invocation(executor_size, executor_seconds),
        "lambda_dispatcher": sweep,
        "logs": usage.log_bytes * 1e6 / GB * p["cloudwatch_logs_ingested_gb"],
        "xray": traces * p["xray_trace_recorded_per_million"],
    }
    dynamodb = dynamodb_per_million(usage.write_units, usage.read_units)
    return {
        mode: _rounded({"dynamodb": dynamodb[mode], **shared})
        for mode in ("on_demand", "provisioned")
    }


def idle_polls_per_fire(receives_per_fire: float, fires_per_minute: float) -> float:
    """The event source mapping's empty long polls, per fire: its idle pollers' receives
    a minute that the fires' own receives do not already account for."""
    receives_per_minute = receives_per_fire * fires_per_minute
    return max(0.0, EVENT_SOURCE_RECEIVES_PER_MINUTE - receives_per_minute) / fires_per_minute


def lone_task_usage(
    capacity: Mapping[str, Any], telemetry: Mapping[str, Any], where: Deployment
) -> FireUsage:
    """One per-minute task alone in a deployment, from its metered capacity per fire
    (counts.lone_task_capacity): every fire carries a whole sweep (already in its
    metered units), its own executor invocation and a minute of the event source's
    polling."""
    receives = capacity["sqs_requests_per_fire"].get("ReceiveMessage", 0.0)
    return FireUsage(
        write_units=capacity["write_units_per_fire"],
        read_units=capacity["read_units_per_fire"],
        sqs_requests=capacity["sqs_billed_requests_per_fire"]
        + idle_polls_per_fire(receives, 1)
        + where.other_queue_mappings * EVENT_SOURCE_RECEIVES_PER_MINUTE,
        executor_invocations=max(receives, 1.0),
        sweeps=1.0,
        dispatcher_seconds=0.0,  # one task: the sweep's fixed time covers it
        log_bytes=telemetry["idle_tick"]["log_bytes_per_invocation"]
        + telemetry["executor_batch"]["log_bytes_per_invocation"],
        fires_per_second=1 / 60,
        executor_requests_in_turn=capacity.get("executor_requests_in_turn"),
    )


@dataclass(frozen=True)
class Scenario:
    """Many tasks on one schedule: the fires of a tick share its fixed cost."""

    tasks: int
    schedule: str
    fires_per_task_per_minute: float
    sample_tasks: int  # how many of them the benchmark runs (one busy shard's worth)

    def fires_per_minute(self) -> float:
        return self.tasks * self.fires_per_task_per_minute


SCENARIOS = {
    # 10,000 tasks firing every minute, on second 0 as cron tasks do.
    "at_scale_per_minute": Scenario(10_000, "0 * * * * *", 1, sample_tasks=20),
    # 1,000 tasks firing every second: 1,000 fires/s, EventBridge Scheduler's default
    # invocation rate.
    "at_scale_per_second": Scenario(1_000, "* * * * * *", 60, sample_tasks=10),
}


def fleet_usage(
    scenario: Scenario,
    fleet: Mapping[str, Any],
    idle: Mapping[str, Any],
    telemetry: Mapping[str, Any],
    where: Deployment,
    cpu_us_per_fire: float,
) -> FireUsage:
    """A fire of `scenario`: the sample's metered usage per fire beyond its ticks
    (counts.fleet_capacity), plus an idle tick's (counts.idle_ticks) spread over the
    fires of a tick, the event source's idle polls over the fires of a minute, and the
    dispatcher's time per fire: its requests' round trips, in parallel over the shards
    it sweeps at once, and its CPU at the dispatcher's share of a vCPU."""
    fires_per_tick = scenario.fires_per_minute() / SWEEPS_PER_MINUTE
    invocations = fleet["executor_invocations_per_fire"]
    return FireUsage(
        write_units=fleet["write_units_per_fire"] + idle["write_units_per_tick"] / fires_per_tick,
        read_units=fleet["read_units_per_fire"] + idle["read_units_per_tick"] / fires_per_tick,
        sqs_requests=fleet["sqs_billed_requests_per_fire"]
        + idle_polls_per_fire(invocations, scenario.fires_per_minute())
        + where.other_queue_mappings
        * EVENT_SOURCE_RECEIVES_PER_MINUTE
        / scenario.fires_per_minute(),
        executor_invocations=invocations,
        sweeps=1 / fires_per_tick,
        dispatcher_seconds=where.sweep_seconds_per_fire(
            fleet["dispatcher_requests_per_fire"], cpu_us_per_fire
        ),
        log_bytes=telemetry["idle_tick"]["log_bytes_per_invocation"] / fires_per_tick
        + telemetry["executor_batch"]["log_bytes_per_invocation"] * invocations,
        fires_per_second=scenario.fires_per_minute() / 60,
        executor_requests_in_turn=fleet.get("executor_requests_in_turn"),
    )


def ebs_lambda_per_million(payload_bytes: int) -> dict[str, float]:
    """USD per million fires of EventBridge Scheduler invoking a small arm64 Lambda that
    makes the HTTP call: no wait for the fire time (the scheduler invokes when it fires)."""
    chunks = max(1, -(-payload_bytes // EVENT_PAYLOAD_CHUNK_BYTES))
    target = FunctionSize(EBS_TARGET_ARCHITECTURE, EBS_TARGET_MEMORY_GB)
    return _rounded(
        {
            "scheduler": chunks * PRICES_USD["eventbridge_scheduler_invocation_per_million"],
            "lambda_target": _invocation(target, EBS_TARGET_SECONDS),
        }
    )


def _rounded(parts: dict[str, float]) -> dict[str, float]:
    return {**{k: round(v, 3) for k, v in parts.items()}, "total": round(sum(parts.values()), 3)}


# --- an idle deployment ---------------------------------------------------------------------


def idle_deployment_per_month(
    where: Deployment, idle: Mapping[str, Any], telemetry: Mapping[str, Any]
) -> dict[str, Any]:
    """USD a month of a deployment with no task due, line by line: every tick's sweep
    (its metered capacity, its Lambda time, its log), the event source's empty polls,
    the custom metrics an idle tick publishes, the alarms, the secret and the dashboard.
    Empty tables cost nothing (on-demand bills storage, $0.25 per GB-month, plus $0.20
    for point-in-time recovery); queues, the SNS topic and the schedule rule cost
    nothing by themselves. The dashboard is free for an account's first three: counted
    as free here, and given on its own line as what it costs otherwise."""
    p = PRICES_USD
    ticks = HOURS_PER_MONTH * 60 * SWEEPS_PER_MINUTE
    tick = telemetry["idle_tick"]
    dispatcher = where.sizes["DispatcherFunction"]
    lines = {
        "ticks_dynamodb": ticks
        * dynamodb_per_million(idle["write_units_per_tick"], idle["read_units_per_tick"])[
            "on_demand"
        ]
        / 1e6,
        "ticks_lambda": ticks * _invocation(dispatcher, DISPATCHER_SECONDS_PER_SWEEP) / 1e6,
        "ticks_logs": ticks
        * tick["log_bytes_per_invocation"]
        / GB
        * p["cloudwatch_logs_ingested_gb"],
        "ticks_xray": ticks * p["xray_trace_recorded_per_million"] / 1e6
        if where.tracing == "Active"
        else 0.0,
        "event_source_idle_polls": EVENT_SOURCE_RECEIVES_PER_MINUTE
        * (1 + where.other_queue_mappings)
        * 60
        * HOURS_PER_MONTH
        * p["sqs_request_per_million"]
        / 1e6,
        "custom_metrics": len(tick["custom_metrics"]) * p["cloudwatch_custom_metric_month"],
        "alarms": where.alarm_metrics * p["cloudwatch_alarm_metric_month"],
        "secrets": where.secrets * p["secrets_manager_secret_month"],
        "tables_and_queues": 0.0,
        "dashboard": 0.0,
    }
    rounded = _rounded(lines)
    return {
        **rounded,
        "dashboard_beyond_three_free": round(where.dashboards * p["cloudwatch_dashboard_month"], 3),
        "custom_metric_names": list(tick["custom_metrics"]),
        "alarm_metrics": where.alarm_metrics,
        "ticks_per_month": ticks,
    }


# --- throughput -----------------------------------------------------------------------------

# DynamoDB limits behind the throughput model.
PARTITION_WRITE_UNITS_PER_SECOND = 1000  # per partition key value: a due shard, a tenant
TABLE_WRITE_UNITS_PER_SECOND = 40_000  # default on-demand table limit (adjustable)
LAMBDA_CONCURRENCY = 1000  # default account concurrency (adjustable)
SHARD_COUNTS = (1, 4, 16, 64, 256)
# Parameters documented for 5,000 fires/s and more (docs/deploy.md, "Parameters").
HIGH_THROUGHPUT_PARAMETERS = {
    "ShardCount": 64,
    "DispatchThreads": 64,
    "DispatcherMemorySize": 1024,
    "ExecutorMaximumConcurrency": 400,
}


def throughput_caps(
    fleet: Mapping[str, Any], where: Deployment, executor: ExecutorTime, cpu_us_per_fire: float
) -> dict[str, float]:
    """Sustained fires/s each part of `where` allows for fires like `fleet`'s
    (counts.fleet_capacity), from their metered write units:

    * due index: each shard is one partition key of the index (1,000 WRU/s);
    * tables: the runs table and the tasks table (40,000 WRU/s each by default);
    * one tenant: the by_tenant index entries of one tenant share a partition key;
    * executor: MaximumConcurrency invocations at once, each running the fires of a
      batch (1 / invocations per fire) for ExecutorTime.seconds;
    * dispatcher: one sweep's time per fire (Deployment.sweep_seconds_per_fire).
    """
    per_fire = fleet["write_units_by_table_and_index"]
    fires_per_invocation = 1 / fleet["executor_invocations_per_fire"]
    sweep = where.sweep_seconds_per_fire(fleet["dispatcher_requests_per_fire"], cpu_us_per_fire)

    def cap(limit: float, units: float) -> float:
        return math.inf if units <= 0 else limit / units

    return {
        "due_index": cap(
            where.shard_count * PARTITION_WRITE_UNITS_PER_SECOND,
            per_fire.get("TasksTable.schedule_due", 0.0),
        ),
        "runs_table": cap(TABLE_WRITE_UNITS_PER_SECOND, per_fire.get("RunsTable", 0.0)),
        "tasks_table": cap(TABLE_WRITE_UNITS_PER_SECOND, per_fire.get("TasksTable", 0.0)),
        "executor": where.executor_maximum_concurrency
        * fires_per_invocation
        / executor.seconds(
            fires_per_invocation,
            where.sizes["ExecutorFunction"],
            fleet.get("executor_requests_in_turn"),
        ),
        "dispatcher": 1 / sweep,
        "one_tenant": cap(
            PARTITION_WRITE_UNITS_PER_SECOND, per_fire.get("TasksTable.by_tenant", 0.0)
        ),
    }


def deployment_fires_per_second(caps: Mapping[str, float]) -> float:
    """What the deployment sustains: its tightest cap (a single tenant's is separate)."""
    return min(v for k, v in caps.items() if k != "one_tenant")


def throughput_model(
    fleets: Mapping[str, Mapping[str, Any]],
    executor: ExecutorTime,
    cpu_us_per_fire: float,
    defaults: Deployment,
    high: Deployment,
) -> dict[str, Any]:
    """Sustained fires/s by scenario: at the template's defaults, at the documented
    high-throughput parameters, and by shard count (other settings at their defaults,
    DispatchThreads following ShardCount)."""
    out: dict[str, Any] = {
        "scenarios": {},
        "high_throughput_parameters": HIGH_THROUGHPUT_PARAMETERS,
    }
    for name, fleet in fleets.items():
        caps = throughput_caps(fleet, defaults, executor, cpu_us_per_fire)
        high_caps = throughput_caps(fleet, high, executor, cpu_us_per_fire)
        by_shards = {}
        for shards in SHARD_COUNTS:
            sized = replace(defaults, shard_count=shards, dispatch_threads=shards)
            by_shards[str(shards)] = _whole(
                deployment_fires_per_second(
                    throughput_caps(fleet, sized, executor, cpu_us_per_fire)
                )
            )
        out["scenarios"][name] = {
            "default_fires_per_second": _whole(deployment_fires_per_second(caps)),
            "default_caps": {k: _whole(v) for k, v in caps.items()},
            "high_throughput_fires_per_second": _whole(deployment_fires_per_second(high_caps)),
            "high_throughput_caps": {k: _whole(v) for k, v in high_caps.items()},
            "fires_per_second_by_shards": by_shards,
        }
    out["defaults"] = {
        "ShardCount": defaults.shard_count,
        "DispatchThreads": defaults.dispatch_threads,
        "ExecutorMaximumConcurrency": defaults.executor_maximum_concurrency,
        "ExecutorBatchSize": defaults.executor_batch_size,
        "DispatcherMemoryMB": round(defaults.sizes["DispatcherFunction"].memory_gb * 1024),
    }
    out["executor_seconds_per_invocation"] = round(
        executor.seconds(
            defaults.executor_batch_size,
            defaults.sizes["ExecutorFunction"],
            fleets["per_minute_task"].get("executor_requests_in_turn"),
        ),
        3,
    )
    return out


def _whole(value: float) -> int | None:
    return None if math.isinf(value) else int(value)


# --- notifications --------------------------------------------------------------------------

# Request round trips of one notifier invocation (the definition's GetItem, the queue's
# SendMessageBatch) and of one deliverer invocation (the destination's call), plus the
# CPU of building or sending one document: estimates, as the executor's CPU is above.
NOTIFIER_ROUND_TRIPS = 2
DELIVERER_ROUND_TRIPS = 1
NOTIFICATION_CPU_SECONDS_ESTIMATE = 0.005


def notifications_per_million(hops: Mapping[str, Any], template: Any = None) -> dict[str, Any]:
    """USD per million fires that a task's `run.succeeded` notification to an SQS queue
    adds (counts.notification_hops), by part; a task without notifications adds none."""
    sizes = function_sizes(template)
    with_ = hops["with"]
    p = PRICES_USD
    dynamodb = dynamodb_per_million(
        hops["extra_write_units_per_fire"], with_["notifier_read_units_per_fire"]
    )["on_demand"]
    notifier_seconds = NOTIFIER_ROUND_TRIPS * REQUEST_ROUND_TRIP_SECONDS
    deliverer_seconds = DELIVERER_ROUND_TRIPS * REQUEST_ROUND_TRIP_SECONDS
    lambda_ = with_["notifier_invocations_per_fire"] * _invocation(
        sizes["NotifierFunction"], notifier_seconds + NOTIFICATION_CPU_SECONDS_ESTIMATE
    ) + with_["deliverer_invocations_per_fire"] * _invocation(
        sizes["DelivererFunction"], deliverer_seconds + NOTIFICATION_CPU_SECONDS_ESTIMATE
    )
    sqs = with_["sqs_billed_requests_per_fire"] * p["sqs_request_per_million"]
    parts = {"dynamodb": dynamodb, "sqs": sqs, "lambda": lambda_, "dynamodb_streams": 0.0}
    return {
        "extra_per_million_fires_usd": _rounded(parts),
        "without_notifications_extra_usd": 0.0,
        "counted": dict(hops),
        "notes": (
            "Lambda's reads of a DynamoDB stream are free; records the mapping's filter "
            "drops (every write of a task without notifications) invoke nothing."
        ),
    }
