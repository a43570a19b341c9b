"""Retry backoff (sundial.core.backoff): exponential, full jitter, capped, SQS-bounded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sundial.core.aws_limits import SQS_MAX_VISIBILITY_SECONDS
from sundial.core.backoff import backoff_ceiling_seconds, retry_delay_seconds


def test_ceiling_doubles_from_the_base_until_the_cap():
    ceilings = [backoff_ceiling_seconds(n, 2, 60) for n in range(1, 8)]
    assert ceilings == [2, 4, 8, 16, 32, 60, 60]


def test_ceiling_never_exceeds_sqs_visibility_limit():
    assert backoff_ceiling_seconds(40, 3600, 10**9) == SQS_MAX_VISIBILITY_SECONDS
    assert backoff_ceiling_seconds(10_000, 1, 10**9) == SQS_MAX_VISIBILITY_SECONDS


def test_full_jitter_spans_zero_to_the_ceiling():
    assert retry_delay_seconds(3, 2, 300, random=lambda: 0.0) == 0
    assert retry_delay_seconds(3, 2, 300, random=lambda: 0.5) == 4
    assert retry_delay_seconds(3, 2, 300, random=lambda: 0.999999) == 8


def test_delay_is_rounded_up_to_whole_seconds():
    # SQS hides messages for whole seconds; rounding down would show it before it is due.
    assert retry_delay_seconds(1, 10, 300, random=lambda: 0.01) == 1


def test_zero_base_retries_at_once():
    assert retry_delay_seconds(5, 0, 300, random=lambda: 0.9) == 0


@given(
    failures=st.integers(1, 200),
    base=st.integers(0, 3600),
    cap=st.integers(1, 43_200),
    draw=st.floats(0, 1, exclude_max=True),
)
def test_delay_is_within_zero_and_every_bound(failures, base, cap, draw):
    delay = retry_delay_seconds(failures, base, max(cap, base), random=lambda: draw)
    assert 0 <= delay <= min(max(cap, base), base * 2 ** (failures - 1), SQS_MAX_VISIBILITY_SECONDS)


def test_delays_vary_with_the_random_source():
    draws = iter([0.1, 0.6])
    delays = {retry_delay_seconds(4, 10, 300, random=lambda: next(draws)) for _ in range(2)}
    assert delays == {8, 48}


@pytest.mark.parametrize(("failures", "base", "cap"), [(0, 1, 10), (1, -1, 10), (1, 1, -5)])
def test_nonsense_arguments_are_refused(failures, base, cap):
    with pytest.raises(ValueError):
        backoff_ceiling_seconds(failures, base, cap)


def test_random_source_outside_the_unit_interval_is_refused():
    with pytest.raises(ValueError):
        retry_delay_seconds(1, 1, 10, random=lambda: 1.0)
