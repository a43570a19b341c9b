"""Metrics stay out of the output when they are disabled (the local stack, the tests that
serve the API in-process): Powertools itself would print them every 100 values."""

from __future__ import annotations

import warnings

import pytest

from sundial.observability import QuietWhenDisabledMetrics


def test_disabled_metrics_never_print_even_after_a_hundred_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    metrics = QuietWhenDisabledMetrics(namespace="Test")
    for _ in range(250):
        metrics.add_metric(name="TasksCreated", unit="Count", value=1)
        metrics.flush_metrics(raise_on_empty_metrics=False)
    assert capsys.readouterr().out == ""


def test_enabled_metrics_are_printed_at_each_flush(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics = QuietWhenDisabledMetrics(namespace="Test")
    metrics.add_metric(name="TasksCreated", unit="Count", value=1)
    metrics.flush_metrics()
    assert '"TasksCreated"' in capsys.readouterr().out


def test_an_invocation_that_recorded_no_metric_flushes_without_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics = QuietWhenDisabledMetrics(namespace="Test")

    @metrics.log_metrics
    def handler(event: dict, context: object) -> str:
        return "read only"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert handler({}, None) == "read only"
    assert capsys.readouterr().out == ""
