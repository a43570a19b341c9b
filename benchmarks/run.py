"""`make bench`: every benchmark, then benchmarks/results.json, RESULTS.md and the
lateness histogram (lateness.png).

Each step merges its figures into results.json as soon as it finishes, so a failed or
skipped step leaves the others' figures (and says so under "errors").

    python benchmarks/run.py [--skip soak,lateness,...] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "soak"))

import model  # noqa: E402
from results import load_results, merge_results  # noqa: E402

STEPS = (
    "dispatcher_cpu",
    "executor_cpu",
    "requests",
    "notifications",
    "capacity",
    "read_amplification",
    "soak",
    "lateness",
    "local_load",
    "fuzz",
    "artifacts",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip", default="", help=f"comma-separated steps of {STEPS}")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    quick = args.quick
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}

    def step(name: str, run: Callable[[], dict[str, Any]]) -> None:
        if name in skip:
            print(f"-- {name}: skipped (figures kept from the last run, if any)")
            return
        print(f"-- {name} ...", flush=True)
        began = time.monotonic()
        try:
            merge_results(run())
        except Exception:
            errors[name] = traceback.format_exc(limit=5)
            print(errors[name], file=sys.stderr)
        timings[name] = round(time.monotonic() - began, 1)
        print(f"   {name}: {timings[name]} s", flush=True)

    step("dispatcher_cpu", lambda: {"dispatcher_cpu_us_per_fire": cpu(quick)})
    step("executor_cpu", lambda: {"executor_cpu_us_per_fire": executor_cpu(quick)})
    step("requests", lambda: {"requests_per_fire": requests(quick)})
    step("capacity", lambda: capacity(quick))
    step("notifications", lambda: {"notifications_per_fire": notifications(quick)})
    step("read_amplification", lambda: {"read_amplification": amplification(quick)})
    step("soak", lambda: soak(quick))
    step("lateness", lambda: lateness(quick))
    step("local_load", lambda: {"local_load": local_load(quick)})
    step("fuzz", lambda: {"api_fuzz": fuzz(quick)})
    step("artifacts", artifacts)
    results = load_results()
    results.update(derived(results))
    # Skipped steps keep their figures, and so their times, from the run that made them.
    kept = (results.get("run") or {}).get("step_seconds") or {}
    timings = {**{name: kept[name] for name in skip if name in kept}, **timings}
    results["run"] = {"errors": errors, "step_seconds": timings, "quick": quick}
    merge_results(results)
    import report

    report.write(results)
    print(f"wrote {HERE / 'results.json'} and {HERE / 'RESULTS.md'}")
    return 1 if errors else 0


def cpu(quick: bool) -> dict[str, Any]:
    import counts

    figures = counts.dispatcher_cpu(200 if quick else 2000)
    per_fire = [v["us_per_fire"] for v in figures.values()]
    return {
        "value": max(per_fire),  # the slowest schedule form, conservatively
        "fires_per_second_per_vcpu": min(v["fires_per_second_per_vcpu"] for v in figures.values()),
        "by_schedule": figures,
    }


def executor_cpu(quick: bool) -> dict[str, Any]:
    import counts

    figures = counts.executor_cpu(tasks=10 if quick else 40, minutes=3 if quick else 10)
    return {"value": figures["us_per_fire"], **figures}


def requests(quick: bool) -> dict[str, Any]:
    import counts

    minute = counts.requests_per_fire("0 * * * * *", 10 if quick else 50, 5 if quick else 10)
    second = counts.requests_per_fire("* * * * * *", 1 if quick else 3, 3 if quick else 5)
    return {"per_minute_task": minute, "per_second_task": second}


def notifications(quick: bool) -> dict[str, Any]:
    """What a `run.succeeded` notification to an SQS queue adds to a lone per-minute
    task's fire, hop by hop, against the same task without notifications."""
    import counts

    return counts.notification_hops(5 if quick else 30)


# Task payloads priced: KB as DynamoDB counts them (1,024 bytes).
PAYLOADS = {"0B": 0, "1KB": 1024, "10KB": 10 * 1024, "100KB": 100 * 1024}


def capacity(quick: bool) -> dict[str, Any]:
    """Capacity per fire at each payload, with template.yaml's default shard count: a lone
    per-minute task; each scenario of model.SCENARIOS, from a sample of its tasks, beyond
    the ticks it ran in; an idle tick; and what an idle tick and an executor batch print."""
    import counts
    import telemetry

    shards = model.deployment().shard_count
    # Long enough for a lone task's commits (one per ~14 fires) to come round several times.
    minutes = 10 if quick else 60
    idle = counts.idle_ticks(shards, 3)
    # Long enough for a commit that covers many fires to come round more than once.
    scenario_minutes = {
        "at_scale_per_minute": 5 if quick else 30,
        "at_scale_per_second": 2 if quick else 3,
    }
    scenarios = {
        name: {
            label: counts.fleet_capacity(
                scenario.schedule,
                scenario.sample_tasks,
                scenario_minutes[name],
                shards,
                size,
                idle,
            )
            for label, size in PAYLOADS.items()
        }
        for name, scenario in model.SCENARIOS.items()
    }
    return {
        "capacity_per_fire": {
            "lone_per_minute_task": {
                label: counts.lone_task_capacity(size, minutes, shards, idle)
                for label, size in PAYLOADS.items()
            },
            **scenarios,
            "idle_tick": idle,
        },
        "telemetry": {
            "idle_tick": telemetry.idle_tick(shards),
            "executor_batch": telemetry.executor_batch(),
        },
    }


def amplification(quick: bool) -> dict[str, Any]:
    import counts

    return counts.read_amplification(5_000 if quick else 100_000)


def soak(quick: bool) -> dict[str, Any]:
    from chaos import run_soak

    result = run_soak(500 if quick else 10_000)
    return {"soak": result.figures(), "soak_detail": result.as_dict()}


def lateness(quick: bool) -> dict[str, Any]:
    """Lateness at the target under `lateness_ms`: the local stack as `sundial local`
    runs it, with its own send lead. The executor's wait for each fire time (the paid
    wait the cost model prices) under `lateness.executor_wait_ms`, from a second, shorter
    run with the deployed lead (the wait follows the lead), whose lateness is kept too
    (`lateness.at_deployed_lead_ms`)."""
    import model
    import stack
    from sundial_local.stack import LOCAL_SEND_LEAD_MS

    figures = stack.lateness(fires_wanted=300 if quick else 2400, minutes=1.0 if quick else 4.0)
    figures.pop("executor_wait_ms")  # waits at the local lead: no deployment's
    figures["send_lead_ms"] = LOCAL_SEND_LEAD_MS
    deployed_lead = model.send_lead_ms()
    at_deployed_lead = stack.lateness(
        fires_wanted=300 if quick else 1200,
        minutes=1.0 if quick else 2.0,
        send_lead_ms=deployed_lead,
    )
    wait = at_deployed_lead.pop("executor_wait_ms")
    # Recorded with its lead: the cost model takes it only for a deployment sending with it.
    wait["send_lead_ms"] = deployed_lead
    kept = ("p50", "p95", "p99", "max", "fires", "expected_fires")
    return {
        "lateness_ms": figures,
        "lateness": {
            "executor_wait_ms": wait,
            "at_deployed_lead_ms": {
                **{k: at_deployed_lead[k] for k in kept},
                "send_lead_ms": deployed_lead,
            },
        },
    }


def local_load(quick: bool) -> dict[str, Any]:
    """The local stack under load: 30 fires/s for 5 minutes, then 60 for one minute."""
    import stack

    if quick:
        return stack.local_load(rate=30, minutes=1.0, overload_minutes=0.5)
    return stack.local_load(rate=30, minutes=5.0, overload_minutes=1.0)


def fuzz(quick: bool) -> dict[str, Any]:
    import stack

    return stack.fuzz_api(100 if quick else 1000)


def artifacts() -> dict[str, Any]:
    import artifact_sizes

    return artifact_sizes.measure()


def derived(results: dict[str, Any]) -> dict[str, Any]:
    """Cost and throughput, computed from the metered capacity."""
    out: dict[str, Any] = {}
    measured = results.get("capacity_per_fire") or {}
    tel = results.get("telemetry")
    if not (measured.get("idle_tick") and tel):
        return out  # the capacity step has not run
    defaults = model.deployment()
    executor = model.executor_time(results)
    measured_wait = (
        model.executor_wait_mean_ms(results) if executor.wait_source == "measured" else None
    )
    cpu_us = (results.get("dispatcher_cpu_us_per_fire") or {}).get("value", 0.0)
    # The executor's requests in turn for a batch of 1 KB fires at scale (measured).
    in_turn = (
        (measured.get("at_scale_per_minute") or {}).get("1KB", {}).get("executor_requests_in_turn")
    )
    per_million: dict[str, Any] = {
        "lone_per_minute_task": {
            label: model.per_million(model.lone_task_usage(m, tel, defaults), defaults, executor)
            for label, m in measured["lone_per_minute_task"].items()
        }
    }
    for name, scenario in model.SCENARIOS.items():
        per_million[name] = {
            label: model.per_million(
                model.fleet_usage(scenario, m, measured["idle_tick"], tel, defaults, cpu_us),
                defaults,
                executor,
            )
            for label, m in measured[name].items()
        }
    out["cost"] = {
        "per_million_fires_usd": per_million,
        "ebs_lambda_per_million_fires_usd": {
            label: model.ebs_lambda_per_million(size) for label, size in PAYLOADS.items()
        },
        "idle_deployment_usd_per_month": model.idle_deployment_per_month(
            defaults, measured["idle_tick"], tel
        ),
        "executor_seconds_per_invocation": round(
            executor.seconds(
                defaults.executor_batch_size, defaults.sizes["ExecutorFunction"], in_turn
            ),
            3,
        ),
        "executor_requests_in_turn": in_turn,
        "executor_wait": executor.wait_source,
        "executor_batch_leads": "measured" if executor.batch_leads else None,
        "executor_wait_mean_ms": measured_wait,
        "executor_cpu": executor.cpu_source,
        "executor_cpu_us_per_fire": round(executor.cpu_seconds_per_fire * 1e6, 1),
        "executor_memory": model.executor_memory_choice(
            executor, defaults, model.send_lead_ms(), in_turn
        ),
        "tracing": defaults.tracing,
        **(
            {"notifications": model.notifications_per_million(results["notifications_per_fire"])}
            if results.get("notifications_per_fire")
            else {}
        ),
        "prices_usd": model.PRICES_USD,
        "prices_as_of": model.PRICES_AS_OF,
    }
    out["throughput_model"] = model.throughput_model(
        {
            "per_minute_task": measured["at_scale_per_minute"]["1KB"],
            "per_second_task": measured["at_scale_per_second"]["1KB"],
        },
        executor,
        cpu_us,
        defaults,
        model.deployment(model.HIGH_THROUGHPUT_PARAMETERS),
    )
    return out


if __name__ == "__main__":
    sys.exit(main())
