"""Personal data in instance data: who may see it, and masking for everyone else.

A form marks a field `"x-sensitive": true` and names, in `"x-sensitive-visible-to"`, the
lanes whose people may read it (e.g. the 12369 intake office and the handling section:
`["office", "责任科室"]`), resolved in the instance's unit like any lane. Everyone else —
other sections, supervisors, exports, the enterprise concerned — sees a masked value.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.org.directory import acting_for
from engine.org.lanes import Context, resolve

MASK = "＊"


def sensitive_fields(forms: dict[str, dict]) -> tuple[set[str], list[str]]:
    """(field names, lanes allowed to see them) declared by a definition's forms."""
    fields: set[str] = set()
    lanes: list[str] = []
    for schema in forms.values():
        marked = {name for name, spec in schema.get("properties", {}).items()
                  if isinstance(spec, dict) and spec.get("x-sensitive")}
        if marked:
            fields |= marked
            lanes += [lane for lane in schema.get("x-sensitive-visible-to", []) if lane not in lanes]
    return fields, lanes


def may_see(session: Session, actor: str | None, lanes: list[str], ctx: Context, data: dict) -> bool:
    if actor is None:
        return False
    people = {actor, *acting_for(session, actor)}
    return any(people & resolve(session, lane, ctx, data).users for lane in lanes)


def mask_value(value):
    if isinstance(value, str) and value:
        if value.isdigit() and len(value) >= 7:
            return value[:3] + MASK * (len(value) - 7) + value[-4:]
        return value[0] + MASK * max(2, len(value) - 1)
    return value if value in (None, "") else MASK * 3


def masked(data, fields: set[str]):
    """A copy of `data` (dicts/lists nested) with the sensitive fields masked."""
    if isinstance(data, dict):
        return {k: mask_value(v) if k in fields else masked(v, fields) for k, v in data.items()}
    if isinstance(data, list):
        return [masked(v, fields) for v in data]
    return data
