"""RESULTS.md and lateness.png from results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


DEFAULT_CAP = "executor_fires_per_second_at_default_concurrency"


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


def lateness_notes(late: dict[str, Any], wait: dict[str, Any]) -> list[str]:
    """Where the time goes, and which goal this run missed, if any: the machine is part of
    the figure."""
    p50, p99 = late.get("p50"), late.get("p99")
    if p50 is None:
        return []
    machine = late.get("machine") or {}
    lines = [
        "Where the time goes: delays are whole seconds, so the dispatcher sends each "
        "message at the sub-second phase that makes it visible 50-100 ms before its fire "
        "time (timed sends, `SEND_LEAD_MS`). In that lead the executor receives it, reads "
        "the task and claims the run, then waits out the rest, so most fires reach the "
        "target a few milliseconds after their second. The tail is the fires whose read "
        "and claim do not fit in the lead: locally they go through the emulator (moto, "
        "one DynamoDB request per table at a time) on a machine busy with that second's "
        "other fires and the sweep's commits; deployed, those round trips take "
        "single-digit milliseconds. The executor's wait for the fire time (paid Lambda "
        f"time; `FireTimeWaitMs`) over {wait.get('runs')} runs: p50 {wait.get('p50')} ms, "
        f"mean {wait.get('mean')} ms, p99 {wait.get('p99')} ms. Messages that went out "
        "untimed (a sweep past its wait budget, a batch sent after its instant, a fire "
        "planned within its last second) show up to a second early and make up the tail "
        "of the wait.",
        "",
    ]
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


def cost_lines(cost: dict[str, Any], capacity: dict[str, Any]) -> list[str]:
    """Capacity metered per fire and its price, for one per-minute task at each payload."""
    if not capacity:
        return []
    lone = (cost.get("per_million_fires_usd") or {}).get("lone_per_minute_task") or {}
    ebs = cost.get("ebs_lambda_per_million_fires_usd") or {}
    lines = [
        "## Capacity and cost per fire: one per-minute task (metered)",
        "",
        "| payload | task item (B) | WRU / RRU / SQS requests per fire | USD per million "
        "fires, on-demand | provisioned (70%) | EventBridge Scheduler + Lambda |",
        "|---|---|---|---|---|---|",
    ]
    by_payload = sorted(capacity.items(), key=lambda kv: kv[1].get("payload_bytes", 0))
    for label, m in by_payload:
        c = lone.get(label) or {}
        lines.append(
            f"| {label} | {m.get('task_item_bytes')} | {m.get('write_units_per_fire')} / "
            f"{m.get('read_units_per_fire')} / {m.get('sqs_billed_requests_per_fire')} | "
            f"{_get(c, 'on_demand', 'total')} | {_get(c, 'provisioned', 'total')} | "
            f"{_get(ebs, label, 'total')} |"
        )
    lines += [
        "",
        "How it is measured: the dispatcher and executor run one task that fires every "
        "minute, over the emulator, with template.yaml's default shard count, one sweep "
        "per fire. Every DynamoDB request is metered as the emulator applies it "
        "(benchmarks/metering.py): the item before and after each write, priced by "
        "DynamoDB's documented size rules (benchmarks/capacity.py): 1 write unit per "
        "started KB of the larger of the two, plus each global secondary index entry "
        "put, deleted or rewritten (a moved index key is a delete and a put), sized by "
        "the index's projection in template.yaml; reads per started 4 KB, halved when "
        "eventually consistent, a Query's items summed then rounded. SQS requests are "
        "billed per started 64 KB; the SQS column counts Sundial's calls and the event "
        "source mapping's receive and delete per batch, and the price adds its idle long "
        "polls. Prices (benchmarks/model.py, as of "
        f"{cost.get('prices_as_of')}): Lambda at each function's architecture and memory "
        "in template.yaml, X-Ray traces of active tracing, DynamoDB on-demand, or "
        "provisioned at 70% utilisation. Estimated, not measured: the executor's billed "
        "30 ms of work plus a 0.5 s average wait for the fire second, the dispatcher's "
        "0.1 s per sweep, and EventBridge Scheduler's target (128 MB arm64, 100 ms).",
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
    capacity = (r.get("capacity_per_fire") or {}).get("lone_per_minute_task") or {}
    cpu = r.get("dispatcher_cpu_us_per_fire") or {}
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
        f"| executor wait for the fire time p50 / mean / p99 (ms), {wait.get('runs')} runs | "
        f"{wait.get('p50')} / {wait.get('mean')} / {wait.get('p99')} | |",
        f"| read amplification ({amp.get('stored_tasks')} stored, {amp.get('due_tasks')} due) | "
        f"{amp.get('value')} | <= 1.1: "
        f"{goal(None if amp.get('value') is None else amp['value'] <= 1.1)} |",
        f"| dispatcher CPU per fire (us), stubbed AWS | {cpu.get('value')} "
        f"({cpu.get('fires_per_second_per_vcpu')} fires/s per vCPU) | |",
        f"| soak: fires / lost / duplicates | {soak.get('fires')} / {soak.get('lost')} / "
        f"{soak.get('duplicates')} | 0 lost, 0 duplicates: "
        f"{goal(None if not soak else soak.get('lost') == 0 and soak.get('duplicates') == 0)} |",
        f"| API fuzzing: requests / 5xx / envelope violations | {fuzz.get('requests')} / "
        f"{fuzz.get('server_errors')} / {fuzz.get('envelope_violations')} | none: "
        f"{goal(None if not fuzz else not fuzz.get('server_errors') and not fuzz.get('envelope_violations'))} |",  # noqa: E501
        "",
    ]
    if png:
        lines += ["## Lateness", "", f"![lateness histogram]({png})", ""]
    lines += [
        "Local stack (`sundial local`, default tick and horizon), "
        f"{late.get('per_second_tasks')} tasks firing every second (6-field cron) and "
        f"{late.get('one_time_tasks')} one-time `at()` tasks over {late.get('minutes')} "
        "minutes; lateness is the receive time at a loopback HTTP target minus the fire's "
        "scheduled time (`X-Sundial-Scheduled-Time`), on one clock.",
        "",
        *lateness_notes(late, wait),
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
        "DeleteMessageBatch per batch. Included: the shard lease writes of each sweep "
        f"({_get(rpf, 'per_minute_task', 'lease_writes_per_sweep')} per sweep with "
        "the soak's shard count), a fixed cost per minute that a busy deployment spreads "
        "over many more fires than these small runs.",
        "",
        *cost_lines(cost, capacity),
        "## Throughput model (fires/s per deployment, not a measurement)",
        "",
        "| shards | per-minute tasks | per-second tasks |",
        "|---|---|---|",
    ]
    for shards, row in (model.get("fires_per_second_by_shards") or {}).items():
        lines.append(f"| {shards} | {row.get('per_minute_task')} | {row.get('per_second_task')} |")
    limits = model.get("limits") or {}
    lines += [
        "",
        "Each shard of the due index is one GSI partition (1,000 write units/s); a sweep "
        "commit moves one task's `due_at` (a delete and an insert in the index: 2 writes) "
        "and covers every fire of that task inside the horizon (1 for a per-minute task, "
        "60 for a per-second one). Caps: the runs table "
        f"({limits.get('runs_table_fires_per_second')} fires/s: 2 writes per fire against "
        "the default 40,000 WCU/s table limit) and executor concurrency "
        f"({limits.get('executor_fires_per_second')} fires/s at 1,000 concurrent "
        "invocations of full 10-fire batches lasting 0.53 s each). Both caps are "
        "adjustable account limits. The template's default `ExecutorMaximumConcurrency` "
        f"of 50 caps a deployment at {limits.get(DEFAULT_CAP)} fires/s; raise it for more.",
        "",
        "## Chaos soak",
        "",
        f"{soak.get('fires')} fires; injected: {soak.get('crashes_injected')} crashes "
        f"({json.dumps(detail.get('crashes_by_point', {}))}), "
        f"{soak.get('duplicate_deliveries_injected')} duplicate SQS deliveries, "
        f"{soak.get('throttles_injected')} DynamoDB throttling errors, "
        f"{detail.get('timeouts_injected')} target timeouts. Result: {soak.get('lost')} "
        f"lost, {soak.get('duplicates')} duplicated; the target saw "
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
        "`make bench` (everything, about 17 minutes on a fresh clone, most of it the "
        "soak), `make soak` (the soak alone), or "
        "`.venv/bin/python benchmarks/run.py --quick` for a smoke run. "
        f"Step times of this run (s): {json.dumps(run.get('step_seconds', {}))}.",
        "",
    ]
    if run.get("errors"):
        lines += ["## Steps that failed in this run", ""]
        lines += [f"* {name}" for name in run["errors"]]
        lines.append("")
    return "\n".join(lines)
