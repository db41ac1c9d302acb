"""The bureaus' organisation: units, sections, people and their roles, paired enterprises.

Functions here work inside the caller's unit of work (a SQLAlchemy session) and raise the
engine's domain errors; the Engine facade and the import commands call them.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, event, func, literal, select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidInput, NotFound
from engine.org.roles import check_known, check_separation, replace_roles
from engine.store.ids import storable_id
from engine.store.org_tables import LEVELS, Deputy, Enterprise, LeaderSection, Section, Unit, UserRole, UserSection
from engine.store.tables import User

SCALES = ("大", "中", "小", "微")
TYPES = ("传统产业", "战略性新兴产业", "重点排污企业", "第三方治理企业")
STATUSES = ("paired", "served", "added", "unpaired")
LEVEL_NAMES = {"省": "province", "市": "city", "县": "county"}


def unit_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"单位 '{code}' 不存在 (no such unit)")
    return unit


def add_unit(session: Session, code: str, name: str, level: str, parent_code: str | None = None) -> Unit:
    level = LEVEL_NAMES.get(level, level)
    if level not in LEVELS:
        raise InvalidInput(f"单位层级 '{level}' 无效，应为 省/市/县 (province/city/county)")
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise InvalidInput(f"单位编码 '{code}' 已存在 (unit exists)")
    parent = unit_by_code(session, parent_code) if parent_code else None
    if (parent is None) != (level == "province"):
        raise InvalidInput(f"单位 '{name}'：省级单位没有上级，市、县级单位必须有上级 (parent rule)")
    unit = Unit(code=code, name=name, level=level, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    return unit


def section_of(session: Session, unit_id: int, code: str) -> Section | None:
    return session.scalar(select(Section).where(Section.unit_id == unit_id, Section.code == code))


def add_section(session: Session, unit_code: str, code: str, name: str) -> Section:
    unit = unit_by_code(session, unit_code)
    if section_of(session, unit.id, code) is not None:
        raise InvalidInput(f"{unit.name} 已有科室 '{code}' (section exists)")
    section = Section(unit_id=unit.id, code=code, name=name)
    session.add(section)
    session.flush()
    return section


@dataclass
class Person:
    name: str
    display_name: str
    unit_code: str
    sections: tuple[str, ...] = ()
    roles: tuple[str, ...] = ("staff",)
    leads: tuple[str, ...] = ()
    phone: str = ""


def save_person(session: Session, person: Person) -> User:
    """Create the account, or update its unit, sections, roles and leadership. The roles
    obey 三员分立 (engine.org.roles): never two administrator roles on one account."""
    check_known(person.roles)
    check_separation(person.roles)
    unit = unit_by_code(session, person.unit_code)
    user = session.scalar(select(User).where(User.name == person.name))
    if user is None:
        user = User(name=person.name, created_at=clock.now())
        session.add(user)
    user.display_name, user.unit_id, user.phone = person.display_name, unit.id, person.phone
    user.is_admin = "admin" in person.roles
    session.flush()
    _replace(session, UserSection, user.id, [UserSection(user_id=user.id, section_id=s.id)
                                            for s in _sections(session, unit, person.sections)])
    replace_roles(session, user, person.roles)
    _replace(session, LeaderSection, user.id, [LeaderSection(user_id=user.id, section_id=s.id)
                                              for s in _sections(session, unit, person.leads)])
    return user


def _sections(session: Session, unit: Unit, codes) -> list[Section]:
    found = []
    for code in dict.fromkeys(codes):
        section = section_of(session, unit.id, code)
        if section is None:
            raise InvalidInput(f"{unit.name} 没有科室 '{code}' (no such section)")
        found.append(section)
    return found


def _replace(session: Session, table, user_id: int, rows: list) -> None:
    session.query(table).filter(table.user_id == user_id).delete(synchronize_session=False)
    session.add_all(rows)


def user_by_name(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"用户 '{name}' 不存在 (no such user)")
    return user


@dataclass
class Pairing:
    name: str
    credit_code: str
    scale: str
    type: str
    unit_code: str
    liaison: str | None = None
    contact_leader: str | None = None
    phone: str = ""
    priority: bool = False
    year: int = 0
    status: str = "paired"


def pair_enterprise(session: Session, pairing: Pairing) -> tuple[Enterprise, list[str]]:
    """Record a unit's pairing with an enterprise. The same credit code paired by another
    unit is allowed but flagged (扎堆服务/重复走访); paired twice by one unit is refused."""
    from engine.org.creditcode import validate_credit_code
    code = validate_credit_code(pairing.credit_code)
    if pairing.scale not in SCALES:
        raise InvalidInput(f"规模 '{pairing.scale}' 无效，应为 {'/'.join(SCALES)}")
    if pairing.type not in TYPES:
        raise InvalidInput(f"类型 '{pairing.type}' 无效，应为 {'/'.join(TYPES)}")
    if pairing.status not in STATUSES:
        raise InvalidInput(f"状态 '{pairing.status}' 无效 (status)")
    unit = unit_by_code(session, pairing.unit_code)
    if session.scalar(select(Enterprise.id).where(Enterprise.unit_id == unit.id,
                                                  Enterprise.credit_code == code)) is not None:
        raise InvalidInput(f"{unit.name} 已与统一社会信用代码 {code} 的企业结对 (already paired)")
    others = list(session.scalars(select(Unit.name).join(Enterprise, Enterprise.unit_id == Unit.id)
                                  .where(Enterprise.credit_code == code)))
    enterprise = Enterprise(
        name=pairing.name, credit_code=code, scale=pairing.scale, type=pairing.type,
        priority=pairing.priority, unit_id=unit.id, phone=pairing.phone,
        liaison_id=user_by_name(session, pairing.liaison).id if pairing.liaison else None,
        contact_leader_id=user_by_name(session, pairing.contact_leader).id if pairing.contact_leader else None,
        pairing_year=pairing.year or clock.to_local(clock.now()).year, status=pairing.status,
        created_at=clock.now())
    session.add(enterprise)
    session.flush()
    warnings = [f"{pairing.name}（{code}）已由 {'、'.join(others)} 结对：注意避免扎堆服务、重复走访 "
                "(paired by another unit too)"] if others else []
    return enterprise, warnings


def duplicate_pairings(session: Session) -> list[dict]:
    """Credit codes paired by more than one unit (扎堆服务)."""
    codes = select(Enterprise.credit_code).group_by(Enterprise.credit_code).having(func.count() > 1)
    rows = session.execute(select(Enterprise.credit_code, Enterprise.name, Unit.name)
                           .join(Unit, Unit.id == Enterprise.unit_id)
                           .where(Enterprise.credit_code.in_(codes)).order_by(Enterprise.credit_code))
    out: dict[str, dict] = {}
    for code, name, unit_name in rows:
        out.setdefault(code, {"credit_code": code, "name": name, "units": []})["units"].append(unit_name)
    return list(out.values())


def _units_below_statement():
    """Built once: the unit :unit and every unit under it, level by level, in one statement (a
    recursive CTE; it was one query per level of the tree: four on a task page of a city's
    supervisor). The depth bound keeps a parent loop (a corrupt import) from running forever."""
    tree = select(bindparam("unit", type_=Integer).label("id"), literal(0, Integer).label("depth")) \
        .cte("units_tree", recursive=True)
    tree = tree.union_all(select(Unit.id, tree.c.depth + 1)
                          .where(Unit.parent_id == tree.c.id, tree.c.depth < MAX_UNIT_DEPTH))
    return select(tree.c.id).order_by(tree.c.depth, tree.c.id)


MAX_UNIT_DEPTH = 32   # province → city → county → …: real trees are 3–4 deep
UNITS_BELOW = _units_below_statement()


def units_below(session: Session, unit_id: int) -> list[int]:
    """The unit and every unit under it (for supervising roles): the unit first, then each
    level of the tree in turn."""
    return list(dict.fromkeys(session.scalars(UNITS_BELOW, {"unit": unit_id})))


def _acting_for_statement():
    """Built once: every request asks whom its user stands in for (the names are parameters)."""
    principal, deputy, now = User.__table__.alias("principal"), User.__table__.alias("deputy"), bindparam("now")
    return (select(principal.c.name).select_from(Deputy)
            .join(principal, principal.c.id == Deputy.user_id)
            .join(deputy, deputy.c.id == Deputy.deputy_id)
            .where(deputy.c.name == bindparam("deputy"), Deputy.starts_at <= now, Deputy.ends_at > now))


ACTING_FOR = _acting_for_statement()


ACTING_MEMO = "sanfu.acting_for"  # session.info: deputy → principals, for one command


def acting_for(session: Session, deputy_name: str) -> list[str]:
    """Whom `deputy_name` currently stands in for (their leave has a deputy). One command asks
    it several times (a task page: may they see it, act on it, urge, extend, co-sign), so the
    answer is kept for the command's session until its next flush (`_forget_acting`)."""
    memo = session.info.setdefault(ACTING_MEMO, {})
    if deputy_name not in memo:
        memo[deputy_name] = tuple(session.scalars(ACTING_FOR, {"deputy": deputy_name, "now": clock.now()}))
    return list(memo[deputy_name])


@event.listens_for(Session, "after_flush")
def _forget_acting(session: Session, _context) -> None:
    """A flush may have written a leave or a deputy: ask again after it."""
    session.info.pop(ACTING_MEMO, None)


def business_context(session: Session, data: dict, actor_unit_id: int | None) -> tuple[int | None, int | None]:
    """(unit, enterprise) a new instance belongs to: the enterprise's owning unit when the
    data names an enterprise, else the unit named (e.g. the unit receiving a complaint),
    else the starter's own unit."""
    enterprise_id = data.get("enterprise_id")
    if enterprise_id is not None:
        unit_id = session.scalar(select(Enterprise.unit_id).where(Enterprise.id == enterprise_id)) \
            if storable_id(enterprise_id) else None
        if unit_id is None:
            raise InvalidInput(f"企业 {enterprise_id} 不存在 (no such enterprise)")
        return unit_id, enterprise_id
    unit_id = data.get("unit_id")
    if unit_id is not None:
        if not storable_id(unit_id) or session.scalar(select(Unit.id).where(Unit.id == unit_id)) is None:
            raise InvalidInput(f"单位 {unit_id} 不存在 (no such unit)")
        return unit_id, None
    return actor_unit_id, None


def headed_sections(session: Session, user_name: str) -> list[int]:
    """The sections `user_name` is head of (section_head role + member)."""
    return list(session.scalars(
        select(UserSection.section_id).join(User, User.id == UserSection.user_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.name == user_name, UserRole.role == "section_head")))
