"""Fixtures for the scenario tests."""
import pytest

from engine import clock

# A Tuesday far from any holiday.
DEMO_DAY = clock.parse_moment("2026-12-08T10:30:00")


@pytest.fixture
def demo_day():
    """The demo is built relative to today, and its deadlines count working days: near a
    holiday (元旦, 春节) one or another of its stages is missing on some days. Tests that check
    every stage build it on a working day far from one, the clock running on from there."""
    with clock.running_from(DEMO_DAY):
        yield
