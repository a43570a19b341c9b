"""Hypothesis strategies for times at the edges of the planning range (years 1 and 9999)
in every offset and a sample of zones, shared by the validation property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from sundial.core.clock import EARLIEST_INSTANT, LATEST_INSTANT

ZONES = [
    "UTC",
    "America/Los_Angeles",
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "Pacific/Pago_Pago",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Europe/Berlin",
]
EDGE_DAYS = [datetime(1, 1, 1), datetime(1, 1, 3), datetime(9999, 12, 28), datetime(9999, 12, 31)]


@st.composite
def wall_times(draw: st.DrawFn) -> datetime:
    """A naive time within two days of a range edge, or anywhere in between."""
    anywhere = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
    near_edge = st.sampled_from(EDGE_DAYS).flatmap(
        lambda day: st.integers(-2 * 86_400, 2 * 86_400).map(
            lambda s: _shift(day, timedelta(seconds=s))
        )
    )
    return draw(st.one_of(near_edge, anywhere))


def _shift(day: datetime, by: timedelta) -> datetime:
    try:
        return day + by
    except OverflowError:
        return day


offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    wall = draw(wall_times())
    offset = draw(offsets).utcoffset(None)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{wall:%Y-%m-%dT%H:%M:%S}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


schedules = st.one_of(
    st.sampled_from(
        [
            "@daily",
            "* * * * *",
            "0 0 29 2 *",
            "0 30 2 * * *",
            "rate(1 day)",
            "@every 1h",
            "cron(0 12 ? * 6L *)",
            "cron(0 0 1 1 ? 2199)",
            "cron(0 0 L * ? *)",
        ]
    ),
    wall_times().map(lambda wall: f"at({wall:%Y-%m-%dT%H:%M:%S})"),
)


instants = st.one_of(
    st.sampled_from([EARLIEST_INSTANT, LATEST_INSTANT, LATEST_INSTANT - timedelta(days=1)]),
    st.datetimes(
        min_value=EARLIEST_INSTANT.replace(tzinfo=None),
        max_value=LATEST_INSTANT.replace(tzinfo=None),
    ).map(lambda naive: naive.replace(tzinfo=UTC)),
)
