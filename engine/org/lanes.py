"""Resolving a lane or candidate group to people, per instance (the bureau's routing rules).

A name drawn on a lane means, in the instance's unit:
- a section code (`water`) or display name (水环境科) → that section's staff (claimable);
- 联络员 → the enterprise's liaison; 专家组/技术组 → the unit's experts;
- 责任科室 → the section in the instance data's `section` (chosen by routing.dmn);
- 科长 → the head(s) of that section; 分管领导 → the leader in charge of it;
- 督办 → the unit's supervisors, or those of the unit above where it has none;
- anything else → a plain group of that name (engine groups, as before).
Each resolution gives candidate keys (stored with the task, matched against a user's own
keys in the inbox) and the users they currently mean (one → assigned; none → unrouted).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import String, and_, bindparam, case, cast, exists, literal, or_, select, union_all
from sqlalchemy.orm import Session

from engine import clock
from engine.store.org_tables import Deputy, Enterprise, LeaderSection, Section, Unit, UserRole, UserSection
from engine.store.tables import Group, TaskCandidate, User, UserGroup

EXPERTS = ("专家组", "技术组")


@dataclass
class Context:
    unit_id: int | None
    enterprise_id: int | None


@dataclass
class Resolved:
    keys: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) candidate rows
    users: set[str] = field(default_factory=set)               # who that means today


def resolve(session: Session, name: str, ctx: Context, data: dict) -> Resolved:
    if ctx.unit_id is not None:
        special = _special(session, name, ctx, data)
        if special is not None:
            return special
        section_id, users = _section_people(session, ctx.unit_id, name, "staff")
        if section_id is not None:
            return Resolved([("section", str(section_id))], users)
    return Resolved([("group", name)], _group_members(session, name))


def _special(session, name, ctx, data) -> Resolved | None:
    if name == "联络员":
        liaison = session.scalar(select(User.name).join(Enterprise, Enterprise.liaison_id == User.id)
                                 .where(Enterprise.id == ctx.enterprise_id))
        return Resolved([("user", liaison)] if liaison else [], {liaison} if liaison else set())
    if name in EXPERTS:
        return _role(session, ctx.unit_id, "expert")
    if name == "督办":
        return _supervisors(session, ctx.unit_id)
    if name in ("责任科室", "科长", "分管领导"):
        via = {"责任科室": "staff", "科长": "head", "分管领导": "leader"}[name]
        section_id, users = _section_people(session, ctx.unit_id, str(data.get("section") or ""), via)
        if section_id is None:
            return Resolved()
        if via == "staff":
            return Resolved([("section", str(section_id))], users)
        return Resolved([("user", u) for u in sorted(users)], users)
    return None


def _active_users(query):
    return query.where(User.active.is_(True))


def _section_people_statement(via: str):
    """The section of the unit with the code or name :name, and its active staff (`staff`),
    heads (`head`) or leaders in charge (`leader`): one row per person, or one with no name."""
    active = User.active.is_(True)
    if via == "leader":
        link, person = LeaderSection, and_(User.id == LeaderSection.user_id, active)
    else:
        link, person = UserSection, and_(User.id == UserSection.user_id, active)
        if via == "head":
            person = and_(person, exists().where(UserRole.user_id == User.id, UserRole.role == "section_head"))
    name = bindparam("name")
    return (select(Section.id, User.name).select_from(Section)
            .outerjoin(link, link.section_id == Section.id).outerjoin(User, person)
            .where(Section.unit_id == bindparam("unit_id"), or_(Section.code == name, Section.name == name))
            .order_by(Section.id))


_SECTION_PEOPLE = {via: _section_people_statement(via) for via in ("staff", "head", "leader")}


def _section_people(session, unit_id: int, name: str, via: str) -> tuple[int | None, set[str]]:
    """(the section's id, the names) in one round trip; (None, set()) when no section is so named."""
    if not name:
        return None, set()
    rows = session.execute(_SECTION_PEOPLE[via], {"unit_id": unit_id, "name": name}).all()
    if not rows:
        return None, set()
    section_id = rows[0][0]  # two sections answering to one name: the first, as before
    return section_id, {person for found, person in rows if found == section_id and person}


def _role(session, unit_id: int, role: str) -> Resolved:
    users = set(session.scalars(_active_users(select(User.name).join(UserRole, UserRole.user_id == User.id)
                                              .where(UserRole.role == role, User.unit_id == unit_id))))
    return Resolved([("role", f"{unit_id}:{role}")], users)


def _supervisors(session, unit_id: int) -> Resolved:
    while unit_id is not None:
        resolved = _role(session, unit_id, "supervisor")
        if resolved.users:
            return resolved
        unit_id = session.scalar(select(Unit.parent_id).where(Unit.id == unit_id))
    return Resolved()


def _group_members(session, name: str) -> set[str]:
    return set(session.scalars(_active_users(
        select(User.name).join(UserGroup, UserGroup.user_id == User.id)
        .join(Group, Group.id == UserGroup.group_id).where(Group.name == name))))


def _keys_of(named) -> list:
    """The four branches of candidate keys for the users `named` selects."""
    return [
        select(literal("user"), User.name, User.unit_id).where(named),
        select(literal("group"), Group.name, literal(None)).join(UserGroup, UserGroup.group_id == Group.id)
        .join(User, User.id == UserGroup.user_id).where(named),
        select(literal("section"), cast(UserSection.section_id, String), literal(None))
        .join(User, User.id == UserSection.user_id).where(named),
        select(literal("role"), UserRole.role, User.unit_id).join(User, User.id == UserRole.user_id).where(named)]


def _acting_and_keys_statement(with_actor: bool = False, with_task_candidates: bool = False):
    """The user, whom they stand in for now (as directory.acting_for), and the candidate keys of
    all of them, in one statement. `with_actor`: also the user's own row while the account is
    active ('actor', or 'admin' for an administrator): access.actor's check, in the same round trip.
    `with_task_candidates`: also the candidate rows of the task :task_id ('candidate:<kind>')."""
    principal, deputy, now = User.__table__.alias("principal"), User.__table__.alias("deputy"), bindparam("now")
    acting = union_all(
        select(bindparam("name", type_=String).label("name")),
        select(principal.c.name).select_from(Deputy)
        .join(principal, principal.c.id == Deputy.user_id).join(deputy, deputy.c.id == Deputy.deputy_id)
        .where(deputy.c.name == bindparam("name"), Deputy.starts_at <= now, Deputy.ends_at > now)).cte("acting")
    branches = [select(literal("acting"), acting.c.name, literal(None)),
                *_keys_of(User.name.in_(select(acting.c.name)))]
    if with_actor:
        branches.append(select(case((User.is_admin.is_(True), literal("admin")), else_=literal("actor")),
                               User.name, User.unit_id).where(User.name == bindparam("name"), User.active.is_(True)))
    if with_task_candidates:
        branches.append(select(literal(CANDIDATE) + TaskCandidate.kind, TaskCandidate.name, literal(None))
                        .where(TaskCandidate.task_id == bindparam("task_id")))
    return union_all(*branches)


CANDIDATE = "candidate:"


# Built once: constructing the union and its cache key cost more than running it, on every inbox
# page and every claim (names are bound parameters, so the compiled form is reused).
ACTING_AND_KEYS = _acting_and_keys_statement()
ACTOR_ACTING_AND_KEYS = _acting_and_keys_statement(with_actor=True)
ACTING_KEYS_AND_TASK_CANDIDATES = _acting_and_keys_statement(with_task_candidates=True)


class _Found(NamedTuple):
    acting: list[str]
    keys: dict[str, set[str]]
    actor: tuple | None
    candidates: list[tuple[str, str]]


def _keys(rows) -> _Found:
    found = _Found([], {"user": set(), "group": set(), "section": set(), "role": set()}, None, [])
    acting, keys = found.acting, found.keys
    for kind, name, unit_id in rows:
        if kind == "acting":
            if name not in acting:
                acting.append(name)
        elif kind in ("actor", "admin"):
            found = found._replace(actor=(name, kind == "admin", unit_id))
        elif kind.startswith(CANDIDATE):
            found.candidates.append((kind[len(CANDIDATE):], name))
        elif kind != "role":
            keys[kind].add(name)
        elif unit_id is not None:
            keys["role"].add(f"{unit_id}:{name}")
    return found


def acting_and_candidate_keys(session: Session, name: str) -> tuple[list[str], dict[str, set[str]]]:
    """(`name` and whom they stand in for now, the candidate keys of them all): what every
    inbox page and claim check asks first, in one statement instead of two."""
    found = _keys(session.execute(ACTING_AND_KEYS, {"name": name, "now": clock.now()}))
    return [name] + [other for other in found.acting if other != name], found.keys


def is_task_candidate(session: Session, name: str, task_id: str) -> bool:
    """Whether `name`, or someone they stand in for now, is among the task's candidates: the keys
    and the task's candidate rows in one statement (a claim's check)."""
    found = _keys(session.execute(ACTING_KEYS_AND_TASK_CANDIDATES,
                                  {"name": name, "now": clock.now(), "task_id": task_id}))
    return any(candidate in found.keys.get(kind, ()) for kind, candidate in found.candidates)


def actor_acting_and_candidate_keys(session: Session, name: str
                                    ) -> tuple[tuple | None, list[str], dict[str, set[str]]]:
    """The active user's (name, is_admin, unit_id) — None for an unknown or disabled account —
    and acting_and_candidate_keys, in one statement: an inbox page's first round trip."""
    found = _keys(session.execute(ACTOR_ACTING_AND_KEYS, {"name": name, "now": clock.now()}))
    return found.actor, [name] + [other for other in found.acting if other != name], found.keys


# The roles the special lanes reach, in whichever unit an instance belongs to.
LANE_ROLES = {"科长": "section_head", "分管领导": "leader", "督办": "supervisor",
              **dict.fromkeys(EXPERTS, "expert")}


def reachable_somewhere(session: Session, name: str) -> bool:
    """Whether a lane or candidate group reaches anybody in some unit (a deploy warns where it
    reaches nobody anywhere): a special lane whose people exist, a section with staff, or a
    group with members."""
    if name == "联络员":
        query = select(Enterprise.id).join(User, User.id == Enterprise.liaison_id)
    elif name == "责任科室":
        query = select(UserSection.section_id).join(User, User.id == UserSection.user_id)
    elif name in LANE_ROLES:
        query = select(UserRole.user_id).join(User, User.id == UserRole.user_id).where(
            UserRole.role == LANE_ROLES[name])
    else:
        staffed = (select(UserSection.section_id).join(User, User.id == UserSection.user_id)
                   .join(Section, Section.id == UserSection.section_id)
                   .where(or_(Section.code == name, Section.name == name)))
        if session.scalar(_active_users(staffed).limit(1)) is not None:
            return True
        return bool(_group_members(session, name))
    return session.scalar(_active_users(query).limit(1)) is not None
