"""The append-only audit trail: who did what, when, to which instance and task."""
from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from engine import clock
from engine.store import write_behind
from engine.store.names import display_names
from engine.store.tables import AuditEvent, ProcessDefinition

# Built once: constructing a statement costs more than executing it on the hot path.
_INSERT = insert(AuditEvent)
_EVENTS = AuditEvent.__table__
_COLUMNS = ("at", "actor", "action", "instance_id", "task_id", "detail")


write_behind.register_rows("audit", _EVENTS, _COLUMNS)


def record(session: Session, actor: str, action: str, *, instance_id: int | None = None,
           task_id: str | None = None, detail: dict | None = None) -> None:
    """Append an event in the command's transaction. Never read back by the command: a plain
    INSERT, without the ORM's bookkeeping; on PostgreSQL it goes with the command's next
    statement (engine.store.write_behind)."""
    values = {"at": clock.now(), "actor": actor, "action": action, "instance_id": instance_id,
              "task_id": task_id, "detail": detail or {}}
    connection = session.connection()
    if not write_behind.defer(connection, "audit", values):
        connection.execute(_INSERT, values)


# Detail keys that name a person by login (转办 to, 委派 to, the previous and new holder …).
PEOPLE_KEYS = ("from", "to", "to_user", "owner", "delegate", "to_users", "recipients")


# How many events a page of an instance's history shows. An instance that loops (整改 rounds,
# a 督办 that goes round) gathers thousands; a page never reads them all.
HISTORY_PER_PAGE = 50


def history(session: Session, instance_id: int) -> list[dict]:
    """The instance's events, oldest first; each with `names`: the display names of the
    people it mentions (its actor and the people in its detail), for pages to show."""
    return _named(session, [event_dict(row) for row in session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id))])


def history_page(session: Session, instance_id: int, page: int = 1,
                 per_page: int = HISTORY_PER_PAGE) -> tuple[list[dict], dict]:
    """One page of the instance's events, counted back from the newest (page 1 is the newest
    `per_page`), oldest first within the page as `history` gives them; and where the page
    stands: {"page", "pages", "per_page", "total"}. A page past the last is empty."""
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    total = len(rows) if page == 1 and len(rows) < per_page else session.scalar(  # a short history: no count
        select(func.count()).select_from(AuditEvent).where(AuditEvent.instance_id == instance_id)) or 0
    events = _named(session, [event_dict(row) for row in reversed(rows)])
    return events, {"page": page, "pages": max(1, -(-total // per_page)), "per_page": per_page, "total": total}


def last_event(session: Session, instance_id: int, task_id: str, action: str) -> dict | None:
    """The newest `action` event of one task (its completion, its last 委派), without reading
    the rest of the instance's history."""
    row = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                   AuditEvent.task_id == task_id, AuditEvent.action == action)
                          .order_by(AuditEvent.id.desc()).limit(1)).first()
    return event_dict(row) if row is not None else None


def _named(session: Session, events: list[dict]) -> list[dict]:
    """`events`, each given `names`: the display names of the people it mentions and of the
    process it names."""
    logins = {e["actor"] for e in events} | {login for e in events for login in _people(e["detail"])}
    names = display_names(session, logins)
    keys = {e["detail"].get("process_key") for e in events if isinstance(e["detail"], dict)} - {None}
    processes = dict(session.execute(select(ProcessDefinition.key, ProcessDefinition.name)
                                     .where(ProcessDefinition.key.in_(sorted(keys)))
                                     .order_by(ProcessDefinition.version)).all()) if keys else {}
    for event in events:
        mentioned = {event["actor"], *_people(event["detail"])}
        event["names"] = {login: names[login] for login in mentioned if names.get(login)}
        key = (event["detail"] or {}).get("process_key")
        if processes.get(key):  # the process by its name (the latest version's)
            event["names"][f"process:{key}"] = processes[key]
    return events


def _people(detail: dict | None) -> set[str]:
    found = set()
    for key in PEOPLE_KEYS:
        value = (detail or {}).get(key)
        found |= {v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v}
    return found


def event_dict(row: AuditEvent) -> dict:
    return {"id": row.id, "at": row.at.isoformat(), "actor": row.actor, "action": row.action,
            "instance_id": row.instance_id, "task_id": row.task_id, "detail": row.detail}
