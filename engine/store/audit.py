"""The append-only audit trail: who did what, when, to which instance and task."""
from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine import clock
from engine.store.names import display_names
from engine.store.tables import AuditEvent, ProcessDefinition

# Built once: constructing a statement costs more than executing it on the hot path.
_INSERT = insert(AuditEvent)


def record(session: Session, actor: str, action: str, *, instance_id: int | None = None,
           task_id: str | None = None, detail: dict | None = None) -> None:
    """Append an event in the command's transaction (never read back by the command, so a
    plain INSERT on the connection, without the ORM's bookkeeping)."""
    session.connection().execute(_INSERT, {"at": clock.now(), "actor": actor, "action": action,
                                           "instance_id": instance_id, "task_id": task_id,
                                           "detail": detail or {}})


# Detail keys that name a person by login (转办 to, 委派 to, the previous and new holder …).
PEOPLE_KEYS = ("from", "to", "to_user", "owner", "delegate", "to_users", "recipients")


def history(session: Session, instance_id: int) -> list[dict]:
    """The instance's events, oldest first; each with `names`: the display names of the
    people it mentions (its actor and the people in its detail), for pages to show."""
    events = [event_dict(row) for row in session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id))]
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
