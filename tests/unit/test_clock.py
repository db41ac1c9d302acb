"""engine.clock: frozen_at stops the clock at a moment; running_from sets it to a moment and
lets it run on; outside both it is the wall clock."""
import time
from datetime import UTC, datetime, timedelta

from engine import clock

DAY = clock.parse_moment("2026-12-08T10:30:00")


def test_running_from_a_moment_the_clock_starts_there_and_runs_on():
    with clock.running_from(DAY):
        first = clock.now()
        time.sleep(0.05)
        second = clock.now()
        with clock.frozen_at(DAY + timedelta(days=3)):
            assert clock.now() == DAY + timedelta(days=3)   # frozen inside wins
        assert clock.now() >= second
    assert abs(first - DAY) < timedelta(seconds=5)
    assert timedelta(seconds=0.04) < second - first < timedelta(seconds=5)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)   # the wall clock again


def test_a_moment_without_an_offset_is_shanghai_time():
    with clock.running_from(datetime(2026, 12, 8, 10, 30)):
        assert abs(clock.now() - DAY) < timedelta(seconds=5)
        assert clock.now().tzinfo == UTC
