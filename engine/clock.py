"""The engine's notion of "now".

Everything time-dependent (timer events, due dates, leases) asks `now()` so that an
operator or a test can evaluate "as of" another moment (`sanfu fire-timers --now ...`).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: ContextVar[datetime | None] = ContextVar("sanfu_frozen_now", default=None)


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    frozen = _frozen.get()
    return frozen if frozen is not None else datetime.now(UTC)


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


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is read as Asia/Shanghai local time."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def to_local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(SHANGHAI) if moment is not None else None
