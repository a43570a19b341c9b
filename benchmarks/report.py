"""RESULTS.md and lateness.png from results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import model

HERE = Path(__file__).resolve().parent


def write(results: dict[str, Any]) -> None:
    png = histogram(results.get("lateness_ms", {}).get("samples_ms") or [])
    (HERE / "RESULTS.md").write_text(markdown(results, png))


def histogram(samples: list[float]) -> str | None:
    if not samples:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4))
    axes.hist(samples, bins=60, color="#3b6ea5")
    axes.set_xlabel("lateness at the HTTP target (ms): received - scheduled")
    axes.set_ylabel("fires")
    axes.set_title(f"Sundial local stack: lateness of {len(samples)} fires")
    figure.tight_layout()
    figure.savefig(HERE / "lateness.png", dpi=100)
    plt.close(figure)
    return "lateness.png"


def lateness_notes(
    late: dict[str, Any], wait: dict[str, Any], deployed: dict[str, Any] | None = None
) -> list[str]:
    """Where the time goes, and which goal this run missed, if any: the machine is part of
    the figure. `deployed`: the second run's lateness, with the deployed send lead."""
    p50, p99 = late.get("p50"), late.get("p99")
    if p50 is None:
        return []
    machine = late.get("machine") or {}
    deployed = deployed or {}
    deployed_lead = wait.get("send_lead_ms", 100)
    lines = [
        "Where the time goes: delays are whole seconds, so the dispatcher sends each "
        "message at the sub-second phase that makes it visible between the send lead and "
        "half of it before its fire time (timed sends, `SEND_LEAD_MS`: "
        f"{late.get('send_lead_ms', deployed_lead)} ms on the local stack, "
        f"{deployed_lead} ms deployed). "
        "In that lead the executor receives it, reads the task and claims the run, then "
        "waits out the rest, so most fires reach the target a few milliseconds after "
        "their second. The tail is the fires whose read and claim do not fit in the lead. "
        "Locally they go through the emulator (moto, one DynamoDB request per table at a "
        "time) on a machine busy with that second's other fires and the sweep's commits, "
        "so the local stack sends with a longer lead, which costs nothing there",
    ]
    if deployed.get("p50") is not None:
        lines[-1] += (
            f" (a second run of {deployed.get('fires')} fires with the deployed "
            f"{deployed_lead} ms lead: p50 {deployed.get('p50')}, p95 {deployed.get('p95')}, "
            f"p99 {deployed.get('p99')}, max {deployed.get('max')} ms)"
        )
    lines[-1] += (
        "; deployed, those round trips take single-digit milliseconds and the wait is "
        "billed. The executor's wait for the fire time (paid Lambda time; "
        f"`FireTimeWaitMs`) in the run with the deployed lead, over {wait.get('runs')} runs: "
        f"p50 {wait.get('p50')} ms, mean {wait.get('mean')} ms, p99 {wait.get('p99')} ms. "
        "Messages that went out untimed (a sweep past its wait budget, a batch sent after "
        "its instant, a fire planned within its last second) show up to a second early and "
        "make up the tail of the wait."
    )
    lines.append("")
    missed = [name for name, ok in (("p50", p50 <= 50), ("p99", p99 <= 250)) if not ok]
    if missed:
        lines += [
            f"**The {' and '.join(missed)} goal is not met in this run** "
            f"({machine.get('cpus', '?')} vCPUs shared with other machines, load average "
            f"{machine.get('load_average_before', '?')} before and "
            f"{machine.get('load_average_after', '?')} after the run).",
            "",
        ]
    return lines


SCENARIO_TITLES = {
    "lone_per_minute_task": "one per-minute task alone",
    "at_scale_per_minute": "10,000 per-minute tasks",
    "at_scale_per_second": "1,000 per-second tasks (1,000 fires/s)",
}
# The cost goals: (scenario, payload, capacity mode, most USD per million fires).
COST_GOALS = (
    ("at_scale_per_minute", "1KB", "on_demand", 1.75),
    ("at_scale_per_minute", "1KB", "provisioned", 0.90),
    ("at_scale_per_minute", "100KB", "on_demand", 4.00),
    ("lone_per_minute_task", "1KB", "on_demand", 8.00),
)
IDLE_GOAL_USD_PER_MONTH = 3.00
THROUGHPUT_GOALS = {"default": 1000, "high_throughput": 5000}


def cost_goal_rows(cost: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(figure, value, goal) for each cost goal the results can say something about."""
    per_million = cost.get("per_million_fires_usd") or {}
    rows = []
    for scenario, payload, mode, most in COST_GOALS:
        value = _get(per_million, scenario, payload, mode, "total")
        verdict = "n/a" if value is None else ("met" if value <= most else "**not met**")
        rows.append(
            (
                f"{scenario}, {payload}, {mode.replace('_', '-')} (USD per million fires)",
                value,
                f"<= {most:.2f}: {verdict}",
            )
        )
    idle = _get(cost, "idle_deployment_usd_per_month", "total")
    verdict = (
        "n/a" if idle is None else ("met" if idle <= IDLE_GOAL_USD_PER_MONTH else "**not met**")
    )
    rows.append(("idle deployment (USD per month)", idle, f"<= 3.00: {verdict}"))
    return rows


def throughput_goal_rows(model: dict[str, Any]) -> list[str]:
    """The throughput goals, for the lesser of the scenarios' figures."""
    scenarios = (model.get("scenarios") or {}).values()
    rows = []
    for which, least in THROUGHPUT_GOALS.items():
        values = [row.get(f"{which}_fires_per_second") for row in scenarios]
        if not values or None in values:
            continue
        value = min(values)
        where = "template defaults" if which == "default" else "documented parameters"
        verdict = "met" if value >= least else "**not met**"
        rows.append(f"| throughput model, {where} (fires/s) | {value} | >= {least:,}: {verdict} |")
    return rows


def cost_lines(cost: dict[str, Any], capacity: dict[str, Any]) -> list[str]:
    """Cost per million fires by scenario and payload, the capacity behind it, and the
    idle deployment's month."""
    per_million = cost.get("per_million_fires_usd") or {}
    if not per_million:
        return []
    ebs = cost.get("ebs_lambda_per_million_fires_usd") or {}
    payloads = sorted(
        (capacity.get("lone_per_minute_task") or {}).items(),
        key=lambda kv: kv[1].get("payload_bytes", 0),
    )
    labels = [label for label, _ in payloads]
    lines = [
        "## Cost per million fires (metered)",
        "",
        "USD per million fires, on-demand / provisioned (70% utilisation); EventBridge "
        "Scheduler invoking a small Lambda for comparison.",
        "",
        "| scenario | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for scenario, title in SCENARIO_TITLES.items():
        cells = [
            f"{_get(per_million, scenario, label, 'on_demand', 'total')} / "
            f"{_get(per_million, scenario, label, 'provisioned', 'total')}"
            for label in labels
        ]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    lines.append(
        "| EventBridge Scheduler + Lambda | "
        + " | ".join(str(_get(ebs, label, "total")) for label in labels)
        + " |"
    )
    lines += ["", "Where the money goes, 1 KB payload, on-demand (USD per million fires):", ""]
    parts = ("dynamodb", "sqs", "lambda_executor", "lambda_dispatcher", "logs", "xray")
    lines += ["| scenario | " + " | ".join(parts) + " |", "|---|" + "---|" * len(parts)]
    for scenario, title in SCENARIO_TITLES.items():
        row = _get(per_million, scenario, "1KB", "on_demand") or {}
        lines.append(f"| {title} | " + " | ".join(str(row.get(p)) for p in parts) + " |")
    lines += [
        "",
        "### Capacity per fire",
        "",
        "| scenario | payload | task item (B) | commits | WRU | RRU | SQS requests "
        "| executor invocations |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, m in payloads:
        lines.append(
            f"| {SCENARIO_TITLES['lone_per_minute_task']} | {label} | "
            f"{m.get('task_item_bytes')} | {m.get('commits_per_fire')} | "
            f"{m.get('write_units_per_fire')} | "
            f"{m.get('read_units_per_fire')} | {m.get('sqs_billed_requests_per_fire')} | 1 |"
        )
    for scenario in ("at_scale_per_minute", "at_scale_per_second"):
        for label in labels:
            m = _get(capacity, scenario, label) or {}
            lines.append(
                f"| {SCENARIO_TITLES[scenario]} (sample of {m.get('sample_tasks')}, "
                f"{m.get('simulated_minutes')} min) | {label} | | "
                f"{m.get('commits_per_fire')} | {m.get('write_units_per_fire')} | "
                f"{m.get('read_units_per_fire')} | "
                f"{m.get('sqs_billed_requests_per_fire')} | "
                f"{m.get('executor_invocations_per_fire')} |"
            )
    idle_tick = capacity.get("idle_tick") or {}
    lines += [
        "",
        "At scale, each row is what a fire costs beyond the ticks it runs in; every tick "
        f"also costs {idle_tick.get('write_units_per_tick')} WRU and "
        f"{idle_tick.get('read_units_per_tick')} RRU whatever it finds "
        f"({json.dumps(idle_tick.get('dynamodb_requests_per_tick', {}))} with "
        f"{idle_tick.get('shards')} shards), spread in the prices above over the tick's "
        "fires (10,000 and 60,000).",
        "",
        "How it is measured: the dispatcher and executor run over the emulator on a "
        "simulated clock, with template.yaml's defaults (shard count, horizon, lookahead, "
        "fires per commit, send lead), so a commit plans many fires of a task ahead "
        "('commits': dispatch commits per fire, measured). A lone task is one per-minute "
        "task, one sweep per fire, run long enough for several commits. A scenario at "
        "scale is a sample of its tasks "
        "standing for one busy shard (all on one shard, firing on the same seconds, so "
        "they fill query pages and message batches as a busy shard's tasks do), run for "
        "several simulated minutes; its cost per fire is what it meters beyond the same "
        "number of idle ticks, its queries priced by the bytes they read (a busy shard "
        "shares each page's rounding among many tasks), plus an idle tick spread over a "
        "tick's fires. Every DynamoDB request is metered as the emulator applies it "
        "(benchmarks/metering.py): the item before and after each write, priced by "
        "DynamoDB's documented size rules (benchmarks/capacity.py): 1 write unit per "
        "started KB of the larger of the two, plus each global secondary index entry "
        "put, deleted or rewritten (a moved index key is a delete and a put), sized by "
        "the index's projection in template.yaml; reads per started 4 KB, halved when "
        "eventually consistent, a Query's items summed then rounded. SQS requests are "
        "billed per started 64 KB: Sundial's calls and the event source mapping's "
        "receive and delete per batch, plus the idle long polls of every SQS event source "
        "mapping (15 a minute each: the work queue's and the notifications queue's). Executor "
        "invocations per fire are the batches received (one ReceiveMessage each). Logs: "
        "the bytes the dispatcher's handler prints on an idle tick and the executor on a "
        "batch of ten (benchmarks/telemetry.py), plus Lambda's own 350 bytes per "
        "invocation, at $0.50 per GB ingested. X-Ray: "
        f"tracing is {cost.get('tracing')} in this deployment. Prices "
        f"(benchmarks/model.py, as of {cost.get('prices_as_of')}): Lambda at each "
        "function's architecture and memory in template.yaml, DynamoDB on-demand, or "
        "provisioned at 70% utilisation.",
        "",
        "The executor's billed time per invocation, "
        f"{cost.get('executor_seconds_per_invocation')} s for a batch of ten. Its work up "
        "to the claims (the batch's reads of its tasks, then a record's claim: "
        f"{cost.get('executor_requests_in_turn') or 4} requests in turn with the outcome, "
        "measured per scenario by the capacity step, 10 ms each; the records run in "
        "parallel threads, so their round trips overlap; a fire carrying its definition "
        "needs no definition read; and the records' CPU up to their claims) runs inside "
        "the lead the batch arrived with, before its fire time: "
        + (
            "each batch is billed the longer of the two, over the batch leads the lateness "
            "step measured (how long before its fire time each batch began, "
            "lateness.executor_wait_ms.batch_lead_percentiles in results.json)"
            if cost.get("executor_batch_leads") == "measured"
            else "without measured batch leads, the wait for the fire time ("
            + (
                f"the lateness step's measured mean wait, {cost.get('executor_wait_mean_ms')} ms"
                if cost.get("executor_wait") == "measured"
                else "estimated: the template's send lead"
            )
            + ") is added to that work, an upper bound"
        )
        + ". Then the rest of every record's CPU and the outcome. CPU ("
        + (
            f"{cost.get('executor_cpu_us_per_fire')} us a fire, measured by the executor_cpu step"
            if cost.get("executor_cpu") == "measured"
            else f"estimated at {cost.get('executor_cpu_us_per_fire')} us a fire"
        )
        + ") at the executor's share of a vCPU; a lone task's invocation runs one fire. "
        "Estimated: the dispatcher's 0.1 s per sweep, plus per fire its requests' round "
        "trips (10 ms each) over the threads that wait on them and its CPU per fire (the "
        "dispatcher_cpu step) at its share of a vCPU. EventBridge Scheduler's target: "
        "128 MB arm64, 100 ms.",
        "",
        *executor_memory_lines(cost.get("executor_memory") or {}),
        *lone_task_lines(cost),
        *idle_lines(cost.get("idle_deployment_usd_per_month") or {}),
    ]
    return lines


def notification_lines(notifications: dict[str, Any]) -> list[str]:
    """What a `run.succeeded` notification to an SQS queue adds per fire."""
    if not notifications:
        return []
    usd = notifications["extra_per_million_fires_usd"]
    counted = notifications["counted"]
    with_, without = counted["with"], counted["without"]
    return [
        "## Notifications (metered)",
        "",
        "A lone per-minute task whose notifications ask for `run.succeeded` to an SQS "
        "queue, against the same task without notifications "
        f"({with_['fires']} fires each). A task without notifications costs exactly what "
        "it did: its outcome writes are unchanged and none of its stream records passes "
        f"the notifier's filter ({without['stream_records_passing_the_filter']} did).",
        "",
        "| per fire | without | with |",
        "|---|---|---|",
        f"| runs-table write units (the outcome's mark included) | "
        f"{without['runs_table_write_units_per_fire']} | "
        f"{with_['runs_table_write_units_per_fire']} |",
        f"| notifier / deliverer invocations | 0 / 0 | "
        f"{with_['notifier_invocations_per_fire']} / {with_['deliverer_invocations_per_fire']} |",
        f"| notifier read units (the definition) | 0 | {with_['notifier_read_units_per_fire']} |",
        f"| SQS billed requests (send, receive, delete, destination) | 0 | "
        f"{with_['sqs_billed_requests_per_fire']} |",
        "",
        "| extra USD per million fires | DynamoDB | SQS | Lambda | streams | total |",
        "|---|---|---|---|---|---|",
        f"| with `run.succeeded` to SQS | {usd['dynamodb']} | {usd['sqs']} | {usd['lambda']} | "
        f"{usd['dynamodb_streams']} | {usd['total']} |",
        "",
        notifications["notes"],
        "",
    ]


def executor_memory_lines(memory: dict[str, Any]) -> list[str]:
    """The executor's memory priced at each size, and the one the measurement picks."""
    if not memory:
        return []
    lines = [
        "### The executor's memory",
        "",
        f"A model, not a measurement on Lambda: a full batch of {memory['batch_size']} at "
        "each memory size, with this run's wait, CPU and "
        f"{memory.get('requests_in_turn', 4)} requests in turn, and Lambda's CPU share "
        "in proportion to memory (one vCPU at 1,769 MB). Less memory costs less while "
        "the executor waits, but gives the "
        "batch's records less of a vCPU to share; the size to deploy is the cheapest at "
        "which the batch's CPU up to its claims fits in the send lead "
        f"({memory['send_lead_ms']} ms), so the batch's last record claims its run "
        "before its fire time.",
        "",
        "| memory (MB) | billed s per batch | batch CPU (ms) | up to the claims (ms) "
        "| executor USD per million fires | fits the lead |",
        "|---|---|---|---|---|---|",
    ]
    for o in memory["options"]:
        lines.append(
            f"| {o['memory_mb']} | {o['seconds_per_invocation']} | {o['batch_cpu_ms']} | "
            f"{o['batch_cpu_before_claims_ms']} | {o['usd_per_million_fires']} | "
            f"{'yes' if o['fits_lead'] else 'no'} |"
        )
    verdict = (
        "the template deploys it"
        if memory["choice_mb"] == memory["template_mb"]
        else f"**the template deploys {memory['template_mb']} MB**"
    )
    return [*lines, "", f"Chosen: {memory['choice_mb']} MB; {verdict}.", ""]


IDLE_LINES = {
    "ticks_dynamodb": "ticks with nothing due: DynamoDB (shard queries, sweep lease), metered",
    "ticks_lambda": "ticks with nothing due: dispatcher invocations, 0.1 s each",
    "ticks_logs": "ticks with nothing due: log ingestion, measured bytes",
    "ticks_xray": "ticks with nothing due: X-Ray traces (Active tracing only)",
    "event_source_idle_polls": "SQS event source mappings' empty long polls (15 a minute each)",
    "custom_metrics": "custom metrics an idle tick publishes ($0.30 each)",
    "alarms": "alarms ($0.10 per metric each reads)",
    "secrets": "Secrets Manager secret (pagination key)",
    "tables_and_queues": "tables (on-demand, empty: storage only), queues, topic, schedule",
    "dashboard": "dashboard (free as one of an account's first three)",
}


def lone_task_lines(cost: dict[str, Any]) -> list[str]:
    """What a lone per-minute task's price is made of: the deployment's fixed costs,
    borne by its fires alone, and the fires' own."""
    idle = cost.get("idle_deployment_usd_per_month") or {}
    lone = _get(cost, "per_million_fires_usd", "lone_per_minute_task", "1KB", "on_demand")
    if not idle.get("ticks_per_month") or not lone:
        return []
    # A million fires of a per-minute task take a million minutes: this many months.
    months = 1e6 / idle["ticks_per_month"]
    polls = idle["event_source_idle_polls"] * months
    ticks = (idle["ticks_dynamodb"] + idle["ticks_lambda"] + idle["ticks_logs"]) * months
    poll_usd = model.PRICES_USD["sqs_request_per_million"] / 1e6
    polls_a_minute = model.EVENT_SOURCE_RECEIVES_PER_MINUTE
    mappings = round(
        idle["event_source_idle_polls"] / (idle["ticks_per_month"] * polls_a_minute * poll_usd)
    )
    per_mapping = polls / max(mappings, 1)
    return [
        "A lone per-minute task bears the deployment's fixed costs alone: its million "
        f"fires take a million minutes ({months:.1f} months), in which the idle long polls "
        f"of the {mappings} SQS event source mappings cost ${polls:.2f} and the ticks "
        f"${ticks:.2f} (the idle month's lines below, times {months:.1f}); the fires' own "
        f"requests and invocations cost ${lone['total'] - polls - ticks:.2f}. The $8 goal is "
        "below what the work queue's mapping polls in that time by itself "
        f"(${per_mapping:.2f}: Lambda's pollers long-poll the queue about {polls_a_minute} "
        "times a minute, "
        "billed as SQS requests) plus the ticks, so no deployment fed by an SQS event "
        "source mapping reaches it; more tasks share those costs (an idle month is "
        f"${idle.get('total')}).",
        "",
    ]


def idle_lines(idle: dict[str, Any]) -> list[str]:
    if not idle:
        return []
    lines = [
        "## An idle deployment (USD per month)",
        "",
        "| line | USD per month |",
        "|---|---|",
    ]
    lines += [f"| {title} | {idle.get(key)} |" for key, title in IDLE_LINES.items()]
    names = idle.get("custom_metric_names") or []
    lines += [
        f"| **total** | **{idle.get('total')}** |",
        "",
        f"{idle.get('ticks_per_month')} ticks a month (one a minute). The alarms read "
        f"{idle.get('alarm_metrics')} metrics. An idle tick publishes "
        + (f"{len(names)} custom metrics ({', '.join(names)})" if names else "no custom metric")
        + ". The dashboard costs "
        f"${idle.get('dashboard_beyond_three_free')} a month in an account that already "
        "has three; the total above assumes it does not.",
        "",
    ]
    return lines


def throughput_lines(model: dict[str, Any]) -> list[str]:
    scenarios = model.get("scenarios") or {}
    if not scenarios:
        return []
    defaults = model.get("defaults") or {}
    high = model.get("high_throughput_parameters") or {}
    lines = [
        "## Throughput model (fires/s per deployment, not a measurement)",
        "",
        "| tasks | template defaults | documented parameters | by ShardCount (= "
        "DispatchThreads): 1 / 4 / 16 / 64 / 256 |",
        "|---|---|---|---|",
    ]
    for name, row in scenarios.items():
        by_shards = row.get("fires_per_second_by_shards") or {}
        lines.append(
            f"| {name.replace('_', ' ')} | {row.get('default_fires_per_second')} | "
            f"{row.get('high_throughput_fires_per_second')} | "
            # results.json sorts keys as text ("16" before "4"): order by the count.
            + " / ".join(str(by_shards[k]) for k in sorted(by_shards, key=int))
            + " |"
        )
    lines += ["", "| cap (fires/s) at the defaults | " + " | ".join(scenarios) + " |"]
    lines.append("|---|" + "---|" * len(scenarios))
    caps = next(iter(scenarios.values())).get("default_caps") or {}
    # Tightest first, whatever order results.json keeps them in.
    for cap in sorted(caps, key=lambda c: _sort_cap(caps[c])):
        lines.append(
            f"| {cap.replace('_', ' ')} | "
            + " | ".join(_cap(_get(row, "default_caps", cap)) for row in scenarios.values())
            + " |"
        )
    lines += [
        "",
        f"Defaults: {json.dumps(defaults)}. Documented parameters: {json.dumps(high)}. "
        "Each cap comes from the metered write units per fire of the 1 KB scenarios and "
        "the template's settings: the due index takes 1,000 write units/s per shard (one "
        "partition key each); the runs and tasks tables 40,000 each (the default "
        "on-demand table limit); one tenant's tasks share a `by_tenant` partition (1,000 "
        "write units/s; not a deployment cap); the executor runs MaximumConcurrency "
        "invocations at once, each a batch of fires lasting "
        f"{model.get('executor_seconds_per_invocation')} s; the dispatcher's threads "
        "(at most ShardCount, DispatchThreads and its 64 pooled connections) each plan a "
        "fire on the dispatcher's share of a vCPU, then wait 10 ms per request it makes. "
        "SQS standard queues have no practical limit. The deployment holds its tightest cap.",
        "",
    ]
    return lines


def megabytes(count: int | None) -> str:
    return "?" if count is None else f"{count / 1_000_000:.1f}"


def artifact_lines(artifacts: dict[str, Any]) -> list[str]:
    """Each function's deployment package, with and without the shared layer, and the
    time its handler module takes to import in a fresh interpreter."""
    functions = artifacts.get("functions") or {}
    if not functions:
        return []
    layer = artifacts.get("layer") or {}
    lines = [
        "## Lambda artifacts",
        "",
        "| function | code MB (zipped) | with the layer MB (zipped) | handler import ms, median |",
        "|---|---|---|---|",
    ]
    for logical_id, f in functions.items():
        lines.append(
            f"| {logical_id} | {megabytes(f.get('unzipped_bytes'))} "
            f"({megabytes(f.get('zipped_bytes'))}) | "
            f"{megabytes(f.get('with_layer_unzipped_bytes'))} "
            f"({megabytes(f.get('with_layer_zipped_bytes'))}) | {f.get('import_ms_median')} |"
        )
    lines += [
        "",
        f"`sam build` for {artifacts.get('built_for')}: each function's code is the "
        "`sundial` package alone; its dependencies are one layer shared by the four "
        f"({megabytes(layer.get('unzipped_bytes'))} MB, "
        f"{megabytes(layer.get('zipped_bytes'))} MB zipped), uploaded once. Import time: "
        "the handler's module imported in a fresh interpreter with only the function, the "
        "layer and the standard library on its path, compiling what it imports (the "
        "build ships no byte code and Lambda's package directories are read-only), as on "
        f"Lambda; a build for {artifacts.get('import_measured_on')}, this machine, median "
        f"of {artifacts.get('repetitions')}. It is the part of a cold start the code "
        "controls, and depends on the machine and its load like the other timed figures.",
        "",
    ]
    return lines


def local_load_lines(load: dict[str, Any]) -> list[str]:
    if not load:
        return []
    sustained, overload = load.get("sustained") or {}, load.get("overload") or {}
    machine = load.get("machine") or {}
    return [
        "## Local stack under load",
        "",
        f"`sundial local` (default settings) on {machine.get('cpus')} CPUs: "
        f"{load.get('rate')} per-second tasks for {load.get('sustained_minutes')} minutes, "
        f"then twice that for {load.get('overload_minutes')} minute(s), at a loopback HTTP "
        "target that counts deliveries per execution id.",
        "",
        "| phase | fires/s | fires | lateness p50 / p99 / max (ms) |",
        "|---|---|---|---|",
        *[
            f"| {name} | {p.get('fires_per_second')} | {p.get('deliveries')} | "
            f"{p.get('p50_ms')} / {p.get('p99_ms')} / {p.get('max_ms')} |"
            for name, p in (("sustained", sustained), ("twice the load", overload))
        ],
        "",
        f"Expected {load.get('expected_fires')} fires: {load.get('lost')} lost, "
        f"{load.get('doubled')} delivered twice. The last fire of the overload arrived "
        f"{load.get('caught_up_after_s')} s after its second. Load average before / after: "
        f"{machine.get('load_average_before')} / {machine.get('load_average_after')}. "
        "Lateness counts from each fire's second: a p50 past a second means the stack ran "
        "behind the load on this machine (its cores shared with whatever else ran, as "
        "the load average shows) and caught up later, every fire still exactly once.",
        "",
    ]


def _get(results: dict[str, Any], *path: str) -> Any:
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def markdown(r: dict[str, Any], png: str | None) -> str:
    late = r.get("lateness_ms") or {}
    amp = r.get("read_amplification") or {}
    rpf = r.get("requests_per_fire") or {}
    cost = r.get("cost") or {}
    measured = r.get("capacity_per_fire") or {}
    cpu = r.get("dispatcher_cpu_us_per_fire") or {}
    executor_cpu = r.get("executor_cpu_us_per_fire") or {}
    soak = r.get("soak") or {}
    detail = r.get("soak_detail") or {}
    fuzz = r.get("api_fuzz") or {}
    model = r.get("throughput_model") or {}
    run = r.get("run") or {}

    def goal(ok: bool | None) -> str:
        return "n/a" if ok is None else ("met" if ok else "**not met**")

    p50, p99 = late.get("p50"), late.get("p99")
    wait = (r.get("lateness") or {}).get("executor_wait_ms") or {}
    lines = [
        "# Sundial benchmarks",
        "",
        "Produced by `make bench` (benchmarks/run.py); the figures are in",
        "`benchmarks/results.json`. Counted figures (requests, items read) are exact;",
        "timed figures (lateness, CPU) depend on the machine that ran them.",
        "",
        "## Summary",
        "",
        "| figure | value | goal |",
        "|---|---|---|",
        f"| lateness p50 / p95 / p99 / max (ms), {late.get('fires')} fires | "
        f"{p50} / {late.get('p95')} / {p99} / {late.get('max')} | p50 <= 50: "
        f"{goal(None if p50 is None else p50 <= 50)}, p99 <= 250: "
        f"{goal(None if p99 is None else p99 <= 250)} |",
        f"| executor wait for the fire time p50 / mean / p99 (ms), {wait.get('runs')} runs, "
        f"{wait.get('send_lead_ms', 100)} ms lead | "
        f"{wait.get('p50')} / {wait.get('mean')} / {wait.get('p99')} | |",
        f"| read amplification ({amp.get('stored_tasks')} stored, {amp.get('due_tasks')} due) | "
        f"{amp.get('value')} | <= 1.1: "
        f"{goal(None if amp.get('value') is None else amp['value'] <= 1.1)} |",
        f"| dispatcher CPU per fire (us), stubbed AWS | {cpu.get('value')} "
        f"({cpu.get('fires_per_second_per_vcpu')} fires/s per vCPU) | |",
        f"| executor CPU per fire (us), in all / up to the claim, the emulator's work "
        f"left out | {executor_cpu.get('value')} / "
        f"{executor_cpu.get('us_before_claim_per_fire')} | |",
        f"| soak: fires / lost / duplicates | {soak.get('fires')} / {soak.get('lost')} / "
        f"{soak.get('duplicates')} | 0 lost, 0 duplicates: "
        f"{goal(None if not soak else soak.get('lost') == 0 and soak.get('duplicates') == 0)} |",
        f"| API fuzzing: requests / 5xx / envelope violations | {fuzz.get('requests')} / "
        f"{fuzz.get('server_errors')} / {fuzz.get('envelope_violations')} | none: "
        f"{goal(None if not fuzz else not fuzz.get('server_errors') and not fuzz.get('envelope_violations'))} |",  # noqa: E501
        *[f"| {figure} | {value} | {verdict} |" for figure, value, verdict in cost_goal_rows(cost)],
        *throughput_goal_rows(model),
        "",
    ]
    if png:
        lines += ["## Lateness", "", f"![lateness histogram]({png})", ""]
    lines += [
        "Local stack (`sundial local`, default tick, horizon and send lead), "
        f"{late.get('per_second_tasks')} tasks firing every second (6-field cron) and "
        f"{late.get('one_time_tasks')} one-time `at()` tasks over {late.get('minutes')} "
        "minutes; lateness is the receive time at a loopback HTTP target minus the fire's "
        "scheduled time (`X-Sundial-Scheduled-Time`), on one clock.",
        "",
        *lateness_notes(late, wait, (r.get("lateness") or {}).get("at_deployed_lead_ms")),
        *local_load_lines(r.get("local_load") or {}),
        "## Requests per fire (counted)",
        "",
        "| task | fires | DynamoDB writes | DynamoDB reads | SQS requests |",
        "|---|---|---|---|---|",
    ]
    for label in ("per_minute_task", "per_second_task"):
        m = rpf.get(label) or {}
        lines.append(
            f"| {m.get('schedule')} x {m.get('tasks')} | {m.get('fires')} | "
            f"{m.get('dynamodb_writes_per_fire')} | {m.get('dynamodb_reads_per_fire')} | "
            f"{m.get('sqs_requests_per_fire')} |"
        )
    lines += [
        "",
        "Dispatcher and executor together, no faults, over a simulated clock; SQS counts "
        "what Sundial calls plus the event source mapping's ReceiveMessage and "
        "DeleteMessageBatch per batch. Sweeps use the template's lookahead: "
        f"{_get(rpf, 'per_minute_task', 'commits_per_fire')} and "
        f"{_get(rpf, 'per_second_task', 'commits_per_fire')} dispatch commits per fire. "
        "Included: the sweep lease writes of each sweep "
        f"({_get(rpf, 'per_minute_task', 'lease_writes_per_sweep')} per sweep, measured "
        "on a sweep with nothing due, whatever the shard count), a fixed cost per minute "
        "that a busy deployment spreads over many more fires than these small runs.",
        "",
        *cost_lines(cost, measured),
        *notification_lines(cost.get("notifications") or {}),
        *throughput_lines(model),
        "## Chaos soak",
        "",
        f"{soak.get('fires')} fires; injected: {soak.get('crashes_injected')} crashes "
        f"({json.dumps(detail.get('crashes_by_point', {}))}), "
        f"{soak.get('duplicate_deliveries_injected')} duplicate SQS deliveries, "
        f"{soak.get('throttles_injected')} DynamoDB throttling errors, "
        f"{soak.get('lost_responses_injected')} conditional writes applied with their "
        f"response lost ({json.dumps(detail.get('lost_responses_by_write', {}))}), "
        f"{detail.get('timeouts_injected')} target timeouts. Result: {soak.get('lost')} "
        f"lost, {soak.get('duplicates')} duplicated, {soak.get('skipped_by_overlap', 0)} "
        "skipped by their buffer_one policy (they came when two other runs of their task "
        "held its slots, one running and one waiting), "
        f"{soak.get('misnumbered_attempts')} "
        "first calls with an attempt number no earlier attempt explains; the target saw "
        f"{detail.get('target_calls')} calls, the extra ones all for executions whose "
        "attempt crashed or timed out after calling it (at-least-once delivery, "
        "effectively-once runs: one recorded success per execution id). See "
        "tests/soak/chaos.py for the harness (moto DynamoDB, an SQS stand-in with SQS's "
        "visibility, redelivery and redrive semantics on a simulated clock).",
        "",
        "## API fuzzing",
        "",
        f"schemathesis against the local stack's `/v1/openapi.json` with a valid key: "
        f"{fuzz.get('requests')} requests over {fuzz.get('operations')} operations, "
        f"statuses {json.dumps(fuzz.get('statuses', {}))}; "
        f"{fuzz.get('server_errors')} 5xx, {fuzz.get('envelope_violations')} errors "
        "outside the API's error envelope.",
        "",
        *artifact_lines(r.get("lambda_artifacts") or {}),
        "## Reproduce",
        "",
        "`make bench` (everything, about 30 minutes on a fresh clone, most of it the "
        "soak and the local stack's runs), `make soak` (the soak alone), or "
        "`.venv/bin/python benchmarks/run.py --quick` for a smoke run. "
        f"Step times of this run (s): {json.dumps(run.get('step_seconds', {}))}.",
        "",
    ]
    if run.get("errors"):
        lines += ["## Steps that failed in this run", ""]
        lines += [f"* {name}" for name in run["errors"]]
        lines.append("")
    return "\n".join(lines)


def _sort_cap(fires_per_second: Any) -> float:
    return float(fires_per_second) if fires_per_second is not None else float("inf")


def _cap(fires_per_second: Any) -> str:
    """A cap, or "no cap" where the fires write nothing it limits (the model's None)."""
    return "no cap" if fires_per_second is None else str(fires_per_second)
