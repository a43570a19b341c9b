from sundial.core.clock import utc_rfc3339


def test_whole_seconds_have_no_fraction_and_milliseconds_are_kept():
    assert utc_rfc3339(1_780_000_000_000) == "2026-05-28T20:26:40Z"
    assert utc_rfc3339(1_780_000_000_250) == "2026-05-28T20:26:40.250Z"
    assert utc_rfc3339(0) == "1970-01-01T00:00:00Z"
