"""The scenarios' measurements over the emulator: an idle tick's fixed cost, a busy
shard's fires beyond it, and what an idle tick publishes."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import counts  # noqa: E402
import pytest  # noqa: E402
import telemetry  # noqa: E402

SHARDS = 4
# A sample of ten per-minute tasks fills the executor's batches of ten; fifteen minutes
# take each task's commit (one per lookahead, 14 fires) round twice, the steady state.
SAMPLE_TASKS, SAMPLE_MINUTES = 10, 15


@pytest.fixture(scope="module")
def idle() -> dict:
    """One idle tick's figures: what the scenarios' fires are measured beyond (read only)."""
    return counts.idle_ticks(SHARDS, 1)


def test_an_idle_tick_costs_the_same_every_tick(idle):
    one, three = idle, counts.idle_ticks(SHARDS, 3)
    assert three["ticks"] == 3
    for figure in ("write_units_per_tick", "read_units_per_tick", "dynamodb_requests_per_tick"):
        assert one[figure] == three[figure]
    assert one["read_units_unrounded_per_tick"] == 0  # empty queries read no bytes
    assert one["sqs_billed_requests_per_tick"] == 0


def test_a_busy_shards_fires_fill_their_batches_and_pay_nothing_of_the_tick(idle):
    fleet = counts.fleet_capacity("0 * * * * *", 10, 2, SHARDS, 0, idle)
    assert fleet["sweeps"] == 2 and fleet["fires"] >= 20  # and those the commits planned ahead
    assert fleet["executor_invocations_per_fire"] == 0.1  # one batch of ten a second
    # The leases are the tick's: what is left on the tasks table is the fires' own.
    by_table = fleet["write_units_by_table_and_index"]
    # (each figure rounded to 0.001)
    assert fleet["write_units_per_fire"] == pytest.approx(sum(by_table.values()), abs=0.002)
    assert fleet["dispatcher_requests_per_fire"] > 0


def test_the_benchmark_sweeps_commit_many_fires_at_once_with_the_templates_lookahead(idle):
    settings = counts.template_sweep_settings()
    assert settings.lookahead.total_seconds() > 600  # the template plans minutes ahead
    fleet = counts.fleet_capacity("0 * * * * *", 2, SAMPLE_MINUTES, SHARDS, 0, idle)
    assert fleet["dynamodb_requests_per_fire"].get("TransactWriteItems", 0) == 0
    assert fleet["commits_per_fire"] < 0.2  # one commit per many fires, not one per fire


def test_a_lone_tasks_fires_all_run_one_sweep_each_and_share_their_commits(idle):
    lone = counts.lone_task_capacity(0, SAMPLE_MINUTES, SHARDS, idle)
    # One sweep a minute, and a fire a minute (and those the last commit planned).
    assert lone["sweeps"] == SAMPLE_MINUTES and lone["fires"] >= SAMPLE_MINUTES
    assert lone["commits_per_fire"] < 0.2
    # Every fire pays one whole tick (its lease, its shards' queries) on top of its own.
    assert lone["write_units_per_fire"] > idle["write_units_per_tick"]
    assert lone["dynamodb_requests_per_fire"]["Query"] == SHARDS


NOTIFIED = {
    "notifications": [
        {
            "on": ["run.failed"],
            "destination": {"type": "sqs", "queue_url": "https://sqs.us-east-1.amazonaws.com/1/q"},
        }
    ]
}


@pytest.fixture(scope="module")
def notified_sample(idle) -> dict:
    """The sample's figures with 1 KB payloads and notifications, which keep the executor's
    read of the definition (a fire carries none): read only, by the tests below."""
    return counts.fleet_capacity(
        "0 * * * * *", SAMPLE_TASKS, SAMPLE_MINUTES, SHARDS, 1024, idle, **NOTIFIED
    )


def test_a_fire_carrying_its_definition_reads_it_once_per_commit_not_once_per_fire(
    idle, notified_sample
):
    carried = counts.fleet_capacity("0 * * * * *", SAMPLE_TASKS, SAMPLE_MINUTES, SHARDS, 1024, idle)
    read = notified_sample
    assert carried["commits_per_fire"] == read["commits_per_fire"] < 0.2
    # The executor's eventually consistent read of the definition (0.5 RRU a fire) is
    # replaced by the sweep's, once per commit; writes and SQS requests are unchanged
    # (a batch of ten carrying definitions still fits one 64 KB chunk).
    saved = 0.5 - 0.5 * carried["commits_per_fire"]
    assert carried["read_units_per_fire"] == pytest.approx(
        read["read_units_per_fire"] - saved, abs=0.0002
    )  # each figure rounded to 0.0001
    assert carried["write_units_per_fire"] == read["write_units_per_fire"]
    assert carried["sqs_billed_requests_per_fire"] == read["sqs_billed_requests_per_fire"]
    # A batch of ten: one BatchGetItem of schedule states, none of definitions.
    assert read["dynamodb_requests_per_fire"]["BatchGetItem"] == 0.2
    assert carried["dynamodb_requests_per_fire"]["BatchGetItem"] == pytest.approx(
        0.1 + carried["commits_per_fire"] / 10, abs=0.001
    )


def test_a_fire_whose_definition_is_not_carried_costs_what_it_did(notified_sample):
    # A task with notifications keeps the executor's definition read: 1 RRU for the
    # schedule state read consistently, 0.5 for the definition, and its share of the
    # query pages, as before definitions were carried. The figures are per fire: a sample
    # of 20 tasks over 30 minutes measures these same ones.
    read = notified_sample
    assert read["read_units_per_fire"] == 1.5018
    assert read["write_units_per_fire"] == 2.2143


def test_a_sweep_writes_only_its_lease_whatever_the_shard_count():
    assert counts.sweep_writes(1) == counts.sweep_writes(16) == 2  # taken and released


def test_an_idle_tick_publishes_no_custom_metric():
    assert telemetry.idle_tick(SHARDS)["custom_metrics"] == []


def test_an_executor_batch_publishes_its_outcomes_and_lateness():
    metrics = telemetry.executor_batch(10)["custom_metrics"]
    assert "Sundial/RunsSucceeded[service=executor]" in metrics
    assert "Sundial/LatenessMs[service=executor]" in metrics


def test_the_executor_cpu_measure_runs_every_planned_fire_and_times_the_emulator_apart():
    figures = counts.executor_cpu(tasks=2, minutes=3)
    assert figures["fires"] == 6  # every fire of every task, none dropped as stale
    assert figures["emulator_us_per_fire"] > 0  # moto's answers were timed, to be left out
