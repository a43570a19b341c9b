"""The cost and throughput model: prices from metered usage, fixed costs spread over a
tick's fires, the idle deployment's month and the caps, from template.yaml's settings."""

import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import model  # noqa: E402
from model import Deployment, FireUsage, FunctionSize  # noqa: E402

HALF_GB_ARM = FunctionSize("arm64", 0.5)
WHERE = Deployment(
    sizes={"DispatcherFunction": HALF_GB_ARM, "ExecutorFunction": HALF_GB_ARM},
    shard_count=16,
    dispatch_threads=16,
    executor_maximum_concurrency=100,
    executor_batch_size=10,
    tracing="PassThrough",
    alarm_metrics=13,
    dashboards=1,
    secrets=1,
    connections=64,
)
TELEMETRY = {
    "idle_tick": {"custom_metrics": [], "log_bytes_per_invocation": 1000},
    "executor_batch": {"custom_metrics": [], "log_bytes_per_invocation": 900},
}
IDLE_TICK = {"write_units_per_tick": 32.0, "read_units_per_tick": 8.0}
FLEET = {
    "write_units_per_fire": 11.0,
    "read_units_per_fire": 1.2,
    "sqs_billed_requests_per_fire": 0.3,
    "executor_invocations_per_fire": 0.1,
    "dispatcher_requests_per_fire": 1.1,
    "write_units_by_table_and_index": {
        "RunsTable": 3.0,
        "TasksTable": 2.0,
        "TasksTable.schedule_due": 4.0,
        "TasksTable.by_tenant": 2.0,
    },
}
NOTHING = FireUsage(0, 0, 0, 0, 0, 0, 0, 1)
# An executor invocation billed 0.5 s, whatever it runs: the wait plus one record's
# four round trips of 10 ms, no CPU.
HALF_SECOND = model.ExecutorTime(0.46, "measured", 0.0, "measured", 0.0)


def test_an_alarm_on_a_metric_reads_one_and_a_math_alarm_reads_each_metric_stat():
    assert model.alarm_metrics({"MetricName": "Errors"}) == 1
    queries = [{"Id": "a", "MetricStat": {}}, {"Id": "b", "MetricStat": {}}, {"Expression": "a+b"}]
    assert model.alarm_metrics({"Metrics": queries}) == 2


def test_the_deployment_is_what_the_template_makes_with_its_parameters():
    defaults = model.deployment()
    assert defaults.tracing == "PassThrough"
    assert defaults.executor_batch_size == 10
    high = model.deployment(model.HIGH_THROUGHPUT_PARAMETERS)
    assert high.shard_count == model.HIGH_THROUGHPUT_PARAMETERS["ShardCount"]
    assert high.executor_maximum_concurrency == 400
    assert high.sizes["DispatcherFunction"].memory_gb == 1.0
    assert model.deployment({"TracingMode": "Active"}).tracing == "Active"


def test_the_executor_wait_is_the_one_measured_with_the_deployed_lead_else_that_lead():
    measured = {"lateness": {"executor_wait_ms": {"mean": 120.0, "send_lead_ms": 100}}}
    time = model.executor_time(measured)
    assert (time.wait_seconds, time.wait_source) == (pytest.approx(0.12), "measured")
    time = model.executor_time({})
    assert (time.wait_seconds, time.wait_source) == (pytest.approx(0.1), "estimated")  # the lead
    # A wait measured with another lead (the local stack's own) says nothing of a deployment.
    other_lead = {"lateness": {"executor_wait_ms": {"mean": 240.0, "send_lead_ms": 300}}}
    assert model.executor_time(other_lead).wait_seconds == pytest.approx(0.1)


def test_a_batch_bills_one_records_round_trips_and_every_records_cpu_at_its_vcpu_share():
    measured = {"executor_cpu_us_per_fire": {"value": 2000.0, "us_before_claim_per_fire": 900.0}}
    time = model.executor_time(measured)
    assert (time.cpu_seconds_per_fire, time.cpu_source) == (0.002, "measured")
    assert time.cpu_before_claim_seconds_per_fire == 0.0009
    # 10 records x 2 ms of CPU on 512/1769 of a vCPU, after the wait and 4 round trips.
    expected = 0.1 + 4 * 0.010 + 10 * 0.002 / (512 / 1769)
    assert time.seconds(10, HALF_GB_ARM) == pytest.approx(expected)
    # The records' threads share one interpreter: more than a vCPU does not run them faster.
    assert time.seconds(10, FunctionSize("arm64", 4.0)) == pytest.approx(0.1 + 0.04 + 0.02)


def test_a_batch_bills_the_requests_in_turn_the_capacity_step_measured():
    measured = {"executor_cpu_us_per_fire": {"value": 2000.0, "us_before_claim_per_fire": 900.0}}
    time = model.executor_time(measured)
    # Fires carrying their definitions: the batch's one read, then a claim and an outcome.
    carried = time.seconds(10, FunctionSize("arm64", 4.0), requests_in_turn=3)
    assert carried == pytest.approx(0.1 + 0.03 + 0.02)
    assert time.seconds(10, FunctionSize("arm64", 4.0), None) == pytest.approx(0.1 + 0.04 + 0.02)


def test_a_batch_is_billed_for_the_longer_of_its_lead_and_its_work_up_to_its_claims():
    wait = {
        "mean": 120.0,
        "send_lead_ms": 100,
        "batch_lead_percentiles": [200.0, 50.0, -100.0],
    }
    measured = {
        "lateness": {"executor_wait_ms": wait},
        "executor_cpu_us_per_fire": {"value": 2000.0, "us_before_claim_per_fire": 900.0},
    }
    time = model.executor_time(measured)
    assert time.batch_leads == pytest.approx((0.2, 0.05, -0.1))
    big = FunctionSize("arm64", 4.0)  # a whole vCPU
    # Up to the claims: 10 x 0.9 ms of CPU and the batch read and claim (2 x 10 ms) =
    # 29 ms. Batches 200 and 50 ms early wait out their leads; one arriving late is
    # billed its work. Then the rest of the CPU (11 ms) and the outcome (10 ms).
    claimed = 0.009 + 0.02
    expected = (0.2 + 0.05 + claimed) / 3 + 0.011 + 0.01
    assert time.seconds(10, big, requests_in_turn=3) == pytest.approx(expected)
    # Without measured leads, the mean wait follows the claims: never less.
    without = model.executor_time(
        {**measured, "lateness": {"executor_wait_ms": {**wait, "batch_lead_percentiles": None}}}
    )
    assert without.seconds(10, big, requests_in_turn=3) == pytest.approx(0.12 + claimed + 0.021)
    # Leads measured with another send lead say nothing of the deployment's.
    other = {**measured, "lateness": {"executor_wait_ms": {**wait, "send_lead_ms": 300}}}
    assert model.executor_time(other).batch_leads == ()


def test_the_executor_memory_chosen_is_the_cheapest_whose_batch_claims_fit_the_send_lead():
    time = model.ExecutorTime(0.1, "measured", 0.004, "measured", 0.002)
    choice = model.executor_memory_choice(time, WHERE, lead_ms=100)
    by_memory = {o["memory_mb"]: o for o in choice["options"]}
    # 20 ms of CPU up to a batch's claims: 256 MB's share of a vCPU takes 138 ms, past
    # the lead; 384 MB's 92 ms fits.
    assert not by_memory[256]["fits_lead"] and by_memory[384]["fits_lead"]
    fitting = [o for o in choice["options"] if o["fits_lead"]]
    cheapest = min(fitting, key=lambda o: o["usd_per_million_fires"])
    assert choice["choice_mb"] == cheapest["memory_mb"]
    assert by_memory[256]["usd_per_million_fires"] < cheapest["usd_per_million_fires"]


def test_active_tracing_records_every_request_below_one_a_second_and_5_percent_beyond():
    assert model.traced_fraction(0.5) == 1.0
    assert model.traced_fraction(101) == pytest.approx((1 + 0.05 * 100) / 101)
    assert model.traced_fraction(0) == 0.0


def test_idle_polls_are_what_the_fires_own_receives_leave_of_15_a_minute():
    assert model.idle_polls_per_fire(1.0, 1) == 14
    assert model.idle_polls_per_fire(0.1, 10_000) == 0


def test_one_write_unit_per_fire_costs_its_on_demand_and_provisioned_price():
    prices = model.dynamodb_per_million(1, 0)
    assert prices["on_demand"] == pytest.approx(0.625)
    assert prices["provisioned"] == pytest.approx(0.00065 * 1e6 / (3600 * 0.7))


def test_a_fleet_fire_pays_its_own_usage_and_its_share_of_the_tick():
    scenario = model.SCENARIOS["at_scale_per_minute"]
    usage = model.fleet_usage(scenario, FLEET, IDLE_TICK, TELEMETRY, WHERE, cpu_us_per_fire=60)
    assert usage.write_units == pytest.approx(11.0 + 32 / 10_000)
    assert usage.read_units == pytest.approx(1.2 + 8 / 10_000)
    assert usage.sweeps == pytest.approx(1 / 10_000)
    assert usage.executor_invocations == 0.1
    assert usage.log_bytes == pytest.approx(1000 / 10_000 + 900 * 0.1)


def test_nothing_used_costs_nothing_and_tracing_costs_only_when_active():
    assert model.per_million(NOTHING, WHERE, HALF_SECOND)["on_demand"]["total"] == 0
    one_invocation = replace(NOTHING, executor_invocations=1.0)
    passthrough = model.per_million(one_invocation, WHERE, HALF_SECOND)["on_demand"]
    active = model.per_million(one_invocation, replace(WHERE, tracing="Active"), HALF_SECOND)[
        "on_demand"
    ]
    assert passthrough["xray"] == 0
    assert active["xray"] == pytest.approx(5.0)  # one trace a fire at one fire a second
    # 0.2 per million requests, 0.5 GB x 0.5 s per invocation at the arm64 price
    assert passthrough["lambda_executor"] == pytest.approx(0.2 + 0.25 * 1e6 * 0.0000133334, 1e-3)


def test_a_sweep_is_as_fast_as_its_threads_wait_unless_its_cpu_is_slower():
    waits = WHERE.sweep_seconds_per_fire(requests_per_fire=1.0, cpu_us_per_fire=0)
    assert waits == pytest.approx(0.010 / 16)
    busy = WHERE.sweep_seconds_per_fire(requests_per_fire=0.0, cpu_us_per_fire=1000)
    assert busy == pytest.approx(0.001 / HALF_GB_ARM.vcpus())
    assert replace(WHERE, dispatch_threads=256, shard_count=256).sweep_parallelism() == 64


def test_throughput_caps_follow_shards_concurrency_and_write_units_per_fire():
    caps = model.throughput_caps(FLEET, WHERE, HALF_SECOND, cpu_us_per_fire=0)
    assert caps["due_index"] == pytest.approx(16 * 1000 / 4)
    assert caps["runs_table"] == pytest.approx(40_000 / 3)
    assert caps["executor"] == pytest.approx(100 * 10 / 0.5)
    assert caps["dispatcher"] == pytest.approx(16 / (1.1 * 0.010))
    assert caps["one_tenant"] == pytest.approx(1000 / 2)
    assert model.deployment_fires_per_second(caps) == pytest.approx(caps["dispatcher"])


def test_the_idle_month_adds_up_its_lines_and_counts_a_free_dashboard():
    idle = model.idle_deployment_per_month(WHERE, IDLE_TICK, TELEMETRY)
    about = {"total", "dashboard_beyond_three_free", "custom_metric_names", "alarm_metrics"}
    lines = {k: v for k, v in idle.items() if k not in about | {"ticks_per_month"}}
    assert idle["total"] == pytest.approx(sum(lines.values()), abs=0.01)
    assert idle["alarms"] == pytest.approx(1.3)
    assert idle["custom_metrics"] == 0
    assert idle["dashboard"] == 0 and idle["dashboard_beyond_three_free"] == 3.0
    ticks = 730 * 60
    assert idle["ticks_dynamodb"] == pytest.approx(ticks * (32 * 0.625 + 8 * 0.125) / 1e6, 1e-2)


def test_every_queue_the_deployment_polls_is_billed_while_idle():
    # The notifications queue's event source mapping long-polls as the work queue's
    # does, fires or not: the template's deployment has it, and the idle month pays it.
    assert model.deployment().other_queue_mappings == 1
    one = model.idle_deployment_per_month(WHERE, IDLE_TICK, TELEMETRY)
    two = model.idle_deployment_per_month(
        replace(WHERE, other_queue_mappings=1), IDLE_TICK, TELEMETRY
    )
    assert two["event_source_idle_polls"] == pytest.approx(2 * one["event_source_idle_polls"])
    assert one["event_source_idle_polls"] == pytest.approx(15 * 60 * 730 * 0.40 / 1e6, 1e-2)
