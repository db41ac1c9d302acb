"""Importing and exporting the org and the pairing list through the Engine.

A file with bad rows imports nothing (every error is reported with its row number and
reason) unless the caller asks for the good rows only; rows the database refuses (an
unknown unit or liaison) count as bad rows too. One unit of work. A pairing row whose
enterprise the unit already pairs updates that pairing (the yearly list sent again); a
dry run (`dry_run=True`) reports what an import would do and writes nothing. Roles in an
org file obey 三员分立 like the account forms (engine.org.roles).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select

from engine import access
from engine.errors import InvalidInput, SanfuError
from engine.exchange.org_workbook import SectionRow, UnitRow, UserRow
from engine.exchange.pairing import (
    PAIRING_COLUMNS,
    PAIRING_OPTIONAL,
    ROLE_ALIASES,
    PairingRow,
    RowError,
    read_org,
    read_pairing,
    write_org,
    write_pairing,
)
from engine.exchange.spreadsheet import data_rows, map_header, read_tables
from engine.org import directory
from engine.org.roles import roles_for_system_admin
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.org_tables import ROLES, Enterprise, LeaderSection, Section, Unit, UserRole, UserSection
from engine.store.tables import User

LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}


@dataclass
class ImportReport:
    """`problems` are the errors as {"row", "column", "message"} (row: the spreadsheet row,
    header = 1); `skipped` counts the rows left out for their errors."""
    imported: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[dict] = field(default_factory=list)
    dry_run: bool = False

    def refuse(self, row: int | None, column: str | None, message: str, seq: int | None = None) -> None:
        where = (f"第 {row} 行" if row else "") + (f"（序号 {seq}）" if seq is not None else "") \
            + (f"「{column}」列" if column else "")
        self.errors.append(f"{where}：{message}" if where else message)
        self.problems.append({"row": row, "column": column, "message": message})


class ImportRefused(InvalidInput):
    def __init__(self, errors: list[str], report: ImportReport | None = None):
        super().__init__(f"文件有 {len(errors)} 处错误，未导入任何数据 (nothing imported)：" + "；".join(errors[:20]))
        self.errors = errors
        self.report = report


class CellRefused(InvalidInput):
    """The database refused one cell of a row (an unknown unit or person)."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column


class OrgTransfer(EngineParts):
    def import_pairing(self, path: Path, *, actor: str, good_rows_only: bool = False,
                       dry_run: bool = False) -> ImportReport:
        """Import the pairing list (系统管理员). Refused (ImportRefused, nothing written)
        when a row is bad, unless `good_rows_only`; `dry_run` reports without writing."""
        result = read_pairing(Path(path))
        report = ImportReport(dry_run=dry_run)
        for error in result.errors:
            report.refuse(error.row_number, error.column, error.reason)
        numbers = _good_row_numbers(Path(path), result)
        with self.uow() as uow:
            session = uow.session
            access.require_admin(session, actor)
            batch = session.begin_nested()
            for number, row in zip(numbers, result.rows):
                self._import_pairing_row(session, number, row, report)
            report.skipped = len({p["row"] for p in report.problems})
            if dry_run:
                batch.rollback()
                return report
            batch.commit()
            _finish(report, good_rows_only)
            audit.record(session, actor, "pairing_imported", detail={
                "file": Path(path).name, "rows": report.imported, "created": report.created,
                "updated": report.updated, "skipped": report.skipped})
        return report

    def _import_pairing_row(self, session, number: int | None, row: PairingRow, report: ImportReport) -> None:
        savepoint = session.begin_nested()
        try:
            created, warnings = _pairing(session, row)
            savepoint.commit()
        except SanfuError as err:
            savepoint.rollback()
            report.refuse(number, getattr(err, "column", None), str(err), seq=row.seq)
            return
        report.imported += 1
        report.created += created
        report.updated += not created
        report.warnings += warnings

    def _import_row(self, session, row, report: ImportReport, apply) -> None:
        savepoint = session.begin_nested()
        try:
            warnings = apply(row)
            savepoint.commit()
            report.imported += 1
            report.warnings += warnings or []
        except SanfuError as err:
            savepoint.rollback()
            report.refuse(None, getattr(err, "column", None), _row_label(row) + str(err))

    def pairing_template(self, path: Path) -> None:
        """An empty pairing list (the header row only) to fill in, as xlsx or CSV."""
        write_pairing([], Path(path))

    def export_pairing(self, path: Path, unit: str | None = None) -> int:
        with self.uow(write=False) as uow:
            rows = _pairing_rows(uow.session, unit)
        write_pairing(rows, Path(path))
        return len(rows)

    def import_org(self, path: Path, *, actor: str, good_rows_only: bool = False) -> ImportReport:
        with self.uow() as uow:
            session = uow.session
            access.require_admin(session, actor)
            known_units = dict(session.execute(select(Unit.code, Unit.level)).all())
            sections = select(Unit.code, Section.code).join(Section, Section.unit_id == Unit.id)
            known_sections = session.execute(sections).all()
            result = read_org(Path(path), known_units=known_units, known_sections=[tuple(s) for s in known_sections])
            report = ImportReport(errors=[str(e) for e in result.errors])
            for unit in sorted(result.units, key=lambda u: LEVEL_ORDER[u.level]):
                if unit.code not in known_units:
                    self._import_row(session, unit, report, lambda u: _unit(session, u))
            for section in result.sections:
                self._import_row(session, section, report, lambda s: _section(session, s))
            for user in result.users:
                self._import_row(session, user, report, lambda u: _person(session, actor, u))
            _finish(report, good_rows_only)
            audit.record(session, actor, "org_imported", detail={"file": Path(path).name, "rows": report.imported})
        return report

    def export_org(self, path: Path) -> None:
        with self.uow(write=False) as uow:
            units, sections, users = _org_rows(uow.session)
        write_org(units, sections, users, Path(path))


def _finish(report: ImportReport, good_rows_only: bool) -> None:
    if report.errors and not good_rows_only:
        raise ImportRefused(report.errors, report)  # the unit of work rolls everything back


def _row_label(row) -> str:
    if isinstance(row, UserRow):
        return f"人员 {row.name}："
    if isinstance(row, UnitRow):
        return f"单位 {row.code}："
    if isinstance(row, SectionRow):
        return f"科室 {row.unit_code}/{row.code}："
    return ""


def _good_row_numbers(path: Path, result) -> list[int | None]:
    """The spreadsheet row of each good row: read_pairing keeps every data row without an
    error, in file order, so the good rows are the data rows no error names."""
    tables = read_tables(path)
    positions, header_error = map_header(tables[0], PAIRING_COLUMNS, PAIRING_OPTIONAL)
    bad = {error.row_number for error in result.errors}
    numbers = [n for n, _ in data_rows(tables[0], positions) if n not in bad] if not header_error else []
    return numbers if len(numbers) == len(result.rows) else [None] * len(result.rows)


def _unit(session, row: UnitRow) -> list[str]:
    directory.add_unit(session, row.code, row.name, row.level, row.parent_code)
    return []


def _person(session, actor: str, row: UserRow) -> list[str]:
    try:
        roles = roles_for_system_admin(session, actor, row.name, row.roles)
    except SanfuError as err:
        raise CellRefused("角色", str(err)) from None
    directory.save_person(session, directory.Person(row.name, row.display_name, row.unit_code, row.sections, roles,
                                        row.leads, row.phone))
    return []


def _section(session, row: SectionRow) -> list[str]:
    unit = directory.unit_by_code(session, row.unit_code)
    if directory.section_of(session, unit.id, row.code) is None:
        directory.add_section(session, row.unit_code, row.code, row.name)
    return []


def _unit_code(session, written: str) -> str:
    code = session.scalar(select(Unit.code).where(or_(Unit.code == written, Unit.name == written)))
    if code is None:
        raise CellRefused("所属单位", f"所属单位 '{written}' 不存在 (unknown unit)")
    return code


def _login(session, written: str | None, column: str) -> str | None:
    if not written:
        return None
    names = list(session.scalars(select(User.name).where(or_(User.name == written, User.display_name == written))))
    if len(names) != 1:
        raise CellRefused(column, f"人员 '{written}' {'不存在' if not names else '重名，请用登录名'} "
                                  "(unknown or ambiguous user)")
    return names[0]


def _pairing(session, row: PairingRow) -> tuple[bool, list[str]]:
    """(created, warnings): a new pairing, or the unit's existing pairing of that
    enterprise brought up to date."""
    pairing = directory.Pairing(row.name, row.credit_code, row.scale, row.type, _unit_code(session, row.unit),
                          liaison=_login(session, row.liaison, "联络员"),
                          contact_leader=_login(session, row.contact_leader, "联系领导"),
                          phone=row.phone or "", priority=row.priority, year=row.year or 0, status=row.status)
    unit = directory.unit_by_code(session, pairing.unit_code)
    existing = session.scalar(select(Enterprise).where(Enterprise.unit_id == unit.id,
                                                       Enterprise.credit_code == row.credit_code))
    if existing is None:
        return True, directory.pair_enterprise(session, pairing)[1]
    ids = {name: session.scalar(select(User.id).where(User.name == name)) if name else None
           for name in (pairing.liaison, pairing.contact_leader)}
    existing.name, existing.scale, existing.type, existing.phone = row.name, row.scale, row.type, row.phone or ""
    existing.priority, existing.status = row.priority, row.status
    existing.liaison_id, existing.contact_leader_id = ids[pairing.liaison], ids[pairing.contact_leader]
    if row.year:
        existing.pairing_year = row.year
    return False, []


def _pairing_rows(session, unit_code: str | None) -> list[PairingRow]:
    query = select(Enterprise, Unit.name).join(Unit, Unit.id == Enterprise.unit_id).order_by(Enterprise.id)
    if unit_code:
        query = query.where(Unit.id.in_(directory.units_below(session, directory.unit_by_code(session, unit_code).id)))
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
        own_ids = session.scalars(select(UserSection.section_id).where(UserSection.user_id == user.id))
        own = [section_code[s] for s in own_ids]
        # Only roles the org workbook can name travel (it has no column for the security
        # and audit admins, who are appointed by the security admin, never imported).
        roles = tuple(sorted((r for r in session.scalars(select(UserRole.role).where(UserRole.user_id == user.id))
                              if r in ROLE_ALIASES), key=ROLES.index)) or ("staff",)
        led_ids = session.scalars(select(LeaderSection.section_id).where(LeaderSection.user_id == user.id))
        leads = [section_code[s] for s in led_ids]
        users.append(UserRow(user.name, user.display_name, code_of[user.unit_id], tuple(own), roles, tuple(leads),
                             user.phone))
    return unit_rows, section_rows, users


__all__ = ["OrgTransfer", "ImportReport", "ImportRefused", "RowError"]
