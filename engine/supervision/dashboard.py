"""督办看板 (/supervision/): the figures of a unit's subtree for a period — the unit's own
figures (本级) and one row per child unit (province → cities → counties, navigable down the
tree), and one row per section of the chosen unit; a section head sees their sections only.
Scope as the overview's (engine.access.supervision_scope): leaders and supervisors their unit
and below, section heads their sections, admins everything; anyone else is refused."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine import access, clock
from engine.enterprises.monthly_service import monthly_coverage
from engine.errors import NotAllowed, NotFound
from engine.store.org_tables import Section, Unit
from engine.store.supervision_tables import SupervisionRecord
from engine.store.tables import HumanTask
from engine.supervision import statistics as stats
from engine.supervision.periods import Period
from engine.supervision.statistics import Figures

NOT_IN_SCOPE = "该单位不在您的督办范围内 (the unit is outside your scope)"


@dataclass
class Viewer:
    """Who looks, and what they may see: `units` (None = all) or only `sections`."""
    name: str
    unit_id: int | None
    units: list[int] | None
    sections: list[int] | None  # a section head without a supervising role: their sections


@dataclass
class Tree:
    """All units (a small table), to roll figures up and to navigate."""
    units: dict[int, Unit]
    children: dict[int | None, list[int]]

    @classmethod
    def load(cls, session: Session) -> Tree:
        units = {u.id: u for u in session.scalars(select(Unit).order_by(Unit.id))}
        children: dict[int | None, list[int]] = {}
        for unit in units.values():
            children.setdefault(unit.parent_id, []).append(unit.id)
        return cls(units, children)

    def below(self, unit_id: int) -> list[int]:
        found, frontier = [unit_id], [unit_id]
        while frontier:
            frontier = [c for u in frontier for c in self.children.get(u, [])]
            found += frontier
        return found

    def path(self, unit_id: int) -> list[int]:
        out = []
        while unit_id is not None:
            out.append(unit_id)
            unit_id = self.units[unit_id].parent_id
        return out[::-1]


def viewer(session: Session, actor: str) -> Viewer:
    user, units, sections = access.dashboard_scope(session, actor)
    return Viewer(actor, user.unit_id, units, sections)


def chosen_unit(session: Session, who: Viewer, tree: Tree, unit_code: str | None) -> Unit:
    """The unit asked for (by code), else the viewer's own (an admin: the top unit)."""
    if unit_code:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise NotFound(f"单位 {unit_code} 不存在 (no such unit)", code="no_unit")
    elif who.unit_id is not None:
        unit = tree.units[who.unit_id]
    else:
        roots = tree.children.get(None) or []
        if not roots:
            raise NotFound("还没有任何单位 (no units yet)", code="no_unit")
        unit = tree.units[roots[0]]
    if who.units is not None and unit.id not in who.units:
        raise NotAllowed(NOT_IN_SCOPE, code="unit_out_of_scope")
    return unit


def unit_dict(unit: Unit) -> dict:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "level": unit.level}


def _rolled(figures: dict, ids) -> Figures:
    total = Figures()
    for unit_id in ids:
        if unit_id in figures:
            total.add(figures[unit_id])
    return total


def section_rows(session: Session, unit: Unit, window, only: list[int] | None = None) -> list[dict]:
    """One row per section of `unit` (or of `only`), its own tasks only."""
    query = select(Section.id, Section.name, Section.code).where(Section.unit_id == unit.id).order_by(Section.id)
    sections = [s for s in session.execute(query) if only is None or s.id in only]
    ids = [s.id for s in sections]
    key, source = stats.sections_of_unit(unit.id)
    where = HumanTask.unit_id == unit.id
    if only is not None:
        where = and_(where, key.in_(ids))
    figures = stats.gather(session, where, (key, source), window, acts_sections=ids,
                           record_column=SupervisionRecord.section_id, record_keys=ids)
    return [{"id": s.id, "code": s.code, "name": s.name, "figures": figures.get(s.id, Figures())}
            for s in sections]


def dashboard(session: Session, actor: str, unit_code: str | None, period: Period) -> dict:
    who = viewer(session, actor)
    tree = Tree.load(session)
    unit = chosen_unit(session, who, tree, unit_code)
    now = clock.now()
    window = (period.start, period.end, now)
    out = {"period": period.as_dict(), "unit": unit_dict(unit), "as_of": now.isoformat(),
           "breadcrumbs": [unit_dict(tree.units[u]) for u in tree.path(unit.id)
                           if who.units is None or u in who.units]}
    if who.sections is not None:
        rows = section_rows(session, unit, window, only=who.sections)
        total = Figures()
        for row in rows:
            total.add(row["figures"])
        out.update(mode="sections", total=total, own=None, units=[], sections=rows,
                   steps=stats.handling_times(session, and_(HumanTask.unit_id == unit.id,
                                                            stats.section_of_task().in_(who.sections)), *window[:2]))
        return _finish(out)
    subtree = tree.below(unit.id)
    figures = stats.gather(session, HumanTask.unit_id.in_(subtree), HumanTask.unit_id, window, acts_units=subtree)
    children = tree.children.get(unit.id, [])
    units = [{**unit_dict(tree.units[c]), "has_children": bool(tree.children.get(c)),
              "figures": _rolled(figures, tree.below(c))} for c in children]
    coverage = unit_coverage(session, subtree, period)
    for row in units:
        row["figures"].coverage = _sum_coverage(coverage, tree.below(row["id"]))
    total = _rolled(figures, subtree)
    total.coverage = _sum_coverage(coverage, subtree)
    own = figures.get(unit.id, Figures())
    own.coverage = _sum_coverage(coverage, [unit.id])
    out.update(mode="units", total=total, own=own if children else None, units=units,
               sections=section_rows(session, unit, window),
               steps=stats.handling_times(session, HumanTask.unit_id.in_(subtree), *window[:2]))
    return _finish(out)


def _finish(out: dict) -> dict:
    out["total"] = out["total"].as_dict()
    out["own"] = out["own"].as_dict() if out["own"] is not None else None
    for row in out["units"] + out["sections"]:
        row["figures"] = row["figures"].as_dict()
    return out


def unit_coverage(session: Session, unit_ids: list[int], period: Period) -> dict:
    """{unit_id: {"due", "served", "missed"}} of the liaisons' monthly service for the month the
    period ends in (engine.enterprises.monthly_service; "missed" once that month has ended)."""
    year, month = period.coverage_month
    found = monthly_coverage(session, unit_ids, year, month)
    return {int(key): {"due": v["required"], "served": v["served"], "missed": v["unserved"]}
            for key, v in found["units"].items()}


def _sum_coverage(coverage: dict, unit_ids) -> dict:
    if not coverage:
        return {}
    due = sum(coverage.get(u, {}).get("due", 0) for u in unit_ids)
    served = sum(coverage.get(u, {}).get("served", 0) for u in unit_ids)
    missed = sum(coverage.get(u, {}).get("missed", 0) for u in unit_ids)  # not yet served
    return {"due": due, "served": served, "unserved": missed,
            "rate": round(100 * served / due, 1) if due else None}
