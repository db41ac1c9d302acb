"""The engine's notion of "now".

Everything time-dependent (timer events, due dates, leases) asks `now()` so that an
operator or a test can evaluate "as of" another moment (`sanfu fire-timers --now ...`).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: ContextVar[datetime | None] = ContextVar("sanfu_frozen_now", default=None)
_offset: ContextVar[timedelta | None] = ContextVar("sanfu_clock_offset", default=None)


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    offset = _offset.get()
    return datetime.now(UTC) if offset is None else datetime.now(UTC) + offset


@contextmanager
def frozen_at(moment: datetime):
    """Within the block, `now()` returns `moment` (converted to UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    token = _frozen.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _frozen.reset(token)


@contextmanager
def running_from(moment: datetime):
    """Within the block the clock reads `moment` at first and then runs on, as the wall clock
    does (frozen_at stops it): a whole day's work, such as the demo, built as of another day."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    token = _offset.set(moment.astimezone(UTC) - datetime.now(UTC))
    try:
        yield
    finally:
        _offset.reset(token)


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is read as Asia/Shanghai local time."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def to_local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(SHANGHAI) if moment is not None else None
