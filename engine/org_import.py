"""Importing and exporting the org and the pairing list through the Engine.

A file with bad rows imports nothing (every error is reported with its row number and
reason) unless the caller asks for the good rows only; rows the database refuses (an
enterprise already paired, an unknown liaison) count as bad rows too. One unit of work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select

from . import audit, org
from .errors import InvalidInput, SanfuError
from .orgio import PairingRow, RowError, read_org, read_pairing, write_org, write_pairing
from .orgio_org import SectionRow, UnitRow, UserRow
from .store.org_tables import ROLES, Enterprise, LeaderSection, Section, Unit, UserRole, UserSection
from .store.tables import User

LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ImportRefused(InvalidInput):
    def __init__(self, errors: list[str]):
        super().__init__(f"文件有 {len(errors)} 处错误，未导入任何数据 (nothing imported)：" + "；".join(errors[:20]))
        self.errors = errors


class OrgTransfer:
    def import_pairing(self, path: Path, *, actor: str, good_rows_only: bool = False) -> ImportReport:
        result = read_pairing(Path(path))
        report = ImportReport(errors=[str(e) for e in result.errors])
        with self.uow() as uow:
            session = uow.session
            self._admin(session, actor)
            for row in result.rows:
                self._import_row(session, row, report, lambda r: _pairing(session, r))
            _finish(report, good_rows_only)
            audit.record(session, actor, "pairing_imported", detail={"file": Path(path).name,
                                                                     "rows": report.imported})
        return report

    def _import_row(self, session, row, report: ImportReport, apply) -> None:
        savepoint = session.begin_nested()
        try:
            warnings = apply(row)
            savepoint.commit()
            report.imported += 1
            report.warnings += warnings or []
        except SanfuError as err:
            savepoint.rollback()
            number = getattr(row, "seq", None)
            report.errors.append(f"序号 {number}：{err}" if number is not None else str(err))

    def export_pairing(self, path: Path, unit: str | None = None) -> int:
        with self.uow(write=False) as uow:
            rows = _pairing_rows(uow.session, unit)
        write_pairing(rows, Path(path))
        return len(rows)

    def import_org(self, path: Path, *, actor: str, good_rows_only: bool = False) -> ImportReport:
        with self.uow() as uow:
            session = uow.session
            self._admin(session, actor)
            known_units = dict(session.execute(select(Unit.code, Unit.level)).all())
            known_sections = session.execute(select(Unit.code, Section.code).join(Section, Section.unit_id == Unit.id)).all()
            result = read_org(Path(path), known_units=known_units, known_sections=[tuple(s) for s in known_sections])
            report = ImportReport(errors=[str(e) for e in result.errors])
            for unit in sorted(result.units, key=lambda u: LEVEL_ORDER[u.level]):
                if unit.code not in known_units:
                    self._import_row(session, unit, report, lambda u: _unit(session, u))
            for section in result.sections:
                self._import_row(session, section, report, lambda s: _section(session, s))
            for user in result.users:
                self._import_row(session, user, report, lambda u: _person(session, u))
            _finish(report, good_rows_only)
            audit.record(session, actor, "org_imported", detail={"file": Path(path).name, "rows": report.imported})
        return report

    def export_org(self, path: Path) -> None:
        with self.uow(write=False) as uow:
            units, sections, users = _org_rows(uow.session)
        write_org(units, sections, users, Path(path))


def _finish(report: ImportReport, good_rows_only: bool) -> None:
    if report.errors and not good_rows_only:
        raise ImportRefused(report.errors)  # the unit of work rolls everything back


def _unit(session, row: UnitRow) -> list[str]:
    org.add_unit(session, row.code, row.name, row.level, row.parent_code)
    return []


def _person(session, row: UserRow) -> list[str]:
    org.save_person(session, org.Person(row.login, row.name, row.unit_code, row.sections, row.roles,
                                        row.leads, row.phone))
    return []


def _section(session, row: SectionRow) -> list[str]:
    unit = org.unit_by_code(session, row.unit_code)
    if org.section_of(session, unit.id, row.code) is None:
        org.add_section(session, row.unit_code, row.code, row.name)
    return []


def _unit_code(session, written: str) -> str:
    code = session.scalar(select(Unit.code).where(or_(Unit.code == written, Unit.name == written)))
    if code is None:
        raise InvalidInput(f"所属单位 '{written}' 不存在 (unknown unit)")
    return code


def _login(session, written: str | None) -> str | None:
    if not written:
        return None
    names = list(session.scalars(select(User.name).where(or_(User.name == written, User.display_name == written))))
    if len(names) != 1:
        raise InvalidInput(f"人员 '{written}' {'不存在' if not names else '重名，请用登录名'} (unknown or ambiguous user)")
    return names[0]


def _pairing(session, row: PairingRow) -> list[str]:
    pairing = org.Pairing(row.name, row.credit_code, row.scale, row.type, _unit_code(session, row.unit),
                          liaison=_login(session, row.liaison), contact_leader=_login(session, row.contact_leader),
                          phone=row.phone or "", priority=row.priority, year=row.year or 0, status=row.status)
    return org.pair_enterprise(session, pairing)[1]


def _pairing_rows(session, unit_code: str | None) -> list[PairingRow]:
    query = select(Enterprise, Unit.name).join(Unit, Unit.id == Enterprise.unit_id).order_by(Enterprise.id)
    if unit_code:
        query = query.where(Unit.id.in_(org.units_below(session, org.unit_by_code(session, unit_code).id)))
    names = dict(session.execute(select(User.id, User.display_name)).all())
    rows = []
    for seq, (e, unit_name) in enumerate(session.execute(query), start=1):
        rows.append(PairingRow(seq, e.name, e.credit_code, e.scale, e.type, unit_name,
                               names.get(e.liaison_id, ""), e.phone, names.get(e.contact_leader_id, ""),
                               e.priority, e.pairing_year, e.status))
    return rows


def _org_rows(session):
    units = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.level, Unit.parent_id).order_by(Unit.id)).all()
    code_of = {u.id: u.code for u in units}
    sections = session.execute(select(Section.id, Section.unit_id, Section.code, Section.name)).all()
    section_code = {s.id: s.code for s in sections}
    unit_rows = [UnitRow(u.code, u.name, u.level, code_of.get(u.parent_id)) for u in units]
    section_rows = [SectionRow(code_of[s.unit_id], s.code, s.name) for s in sections]
    users = []
    for user in session.scalars(select(User).where(User.unit_id.is_not(None)).order_by(User.id)):
        own = [section_code[s] for s in session.scalars(select(UserSection.section_id).where(UserSection.user_id == user.id))]
        roles = tuple(sorted(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)),
                             key=ROLES.index)) or ("staff",)
        leads = [section_code[s] for s in session.scalars(select(LeaderSection.section_id).where(LeaderSection.user_id == user.id))]
        users.append(UserRow(user.name, user.display_name, code_of[user.unit_id], tuple(own), roles, tuple(leads),
                             user.phone))
    return unit_rows, section_rows, users


__all__ = ["OrgTransfer", "ImportReport", "ImportRefused", "RowError"]
