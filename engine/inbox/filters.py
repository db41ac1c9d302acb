"""Filters and sort orders of the inbox views: enterprise (name or credit code), process,
task name, due range (Asia/Shanghai days), overdue only; sort by due date or by creation.

`parse_filter` validates what a user typed (the web's query string, the API's arguments)
into an `InboxFilter`; a bad date or an unknown sort is an InvalidInput with a message the
user reads, never a crash further down.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select

from engine import clock
from engine.errors import InvalidInput
from engine.store.org_tables import Enterprise
from engine.store.tables import HumanTask

# due: soonest first, tasks without a due date last; -due: latest first (still last without);
# -created: newest first; created: oldest first.
SORTS = ("due", "-due", "-created", "created")
MAX_TEXT = 100


@dataclass(frozen=True)
class InboxFilter:
    q: str | None = None
    process: str | None = None
    task_name: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    sort: str = "due"

    @property
    def needs_due(self) -> bool:
        """Whether only tasks with a due date can match."""
        return bool(self.due_from or self.due_to or self.overdue)

    def as_dict(self) -> dict:
        """Plain values (dates as YYYY-MM-DD) for the caller to echo back."""
        out = asdict(self)
        for key in ("due_from", "due_to"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def _text(value) -> str | None:
    text = str(value).strip()[:MAX_TEXT] if value is not None else ""
    return text or None


def _day(value, label: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return clock.to_local(value).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{label}“{text[:20]}”不是有效日期，请按 YYYY-MM-DD 填写 "
                           f"(not a date: use YYYY-MM-DD)") from None


def parse_filter(q=None, process=None, task_name=None, due_from=None, due_to=None, overdue=False,
                 sort=None) -> InboxFilter:
    start, end = _day(due_from, "期限起始日期"), _day(due_to, "期限截止日期")
    if start and end and start > end:
        raise InvalidInput("期限起始日期不能晚于截止日期 (the due range starts after it ends)")
    sort = (sort or "due").strip()
    if sort not in SORTS:
        raise InvalidInput(f"排序方式“{sort[:20]}”无效 (unknown sort; one of {', '.join(SORTS)})")
    return InboxFilter(q=_text(q), process=_text(process), task_name=_text(task_name), due_from=start,
                       due_to=end, overdue=bool(overdue), sort=sort)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.SHANGHAI)


def conditions(f: InboxFilter) -> list:
    """WHERE clauses on human_tasks for the filter (the view's own clauses come first)."""
    out = []
    if f.q:
        matching = select(Enterprise.id).where(or_(Enterprise.name.contains(f.q, autoescape=True),
                                                   Enterprise.credit_code.contains(f.q, autoescape=True)))
        out.append(or_(HumanTask.enterprise_id.in_(matching), HumanTask.subject.contains(f.q, autoescape=True)))
    if f.process:
        out.append(HumanTask.process_key == f.process)
    if f.task_name:
        out.append(HumanTask.name.contains(f.task_name, autoescape=True))
    if f.due_from:
        out.append(HumanTask.due_at >= _local_midnight(f.due_from))
    if f.due_to:
        out.append(HumanTask.due_at < _local_midnight(f.due_to + timedelta(days=1)))
    if f.overdue:
        out += [HumanTask.status == "open", HumanTask.due_at < clock.now()]
    return out
