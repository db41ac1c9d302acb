"""Every value a column cannot hold is refused before the database sees it, naming its field.

A command's own checks name the fields they know; what they miss (text past its column, a number
past a 32/64-bit integer, a NUL character PostgreSQL cannot store in text) the database would
refuse without saying which column — so the unit of work could only say "a value". Here, before
each flush, every new object's and every changed attribute's value is held against its column's
type, and the refusal names the field by the label declared beside the column
(`mapped_column(..., info={"label": "企业名称", "en": "the enterprise name"})`), or `table.column`.
The database's own refusal (engine.store.uow.refused_value) stays as the last line of defence.

The limits of each mapped class are compiled once, the first time one of its objects is flushed:
a flush then costs a dictionary look-up per object and one comparison per limited value.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, SmallInteger, String, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.state import InstanceState

from engine.errors import InvalidInput

# Largest magnitude of each integer type (PostgreSQL's smallint, integer, bigint; SQLite's is 64 bits,
# checked here to PostgreSQL's rule so both databases refuse the same value).
_INTEGER_BITS = ((BigInteger, 63), (SmallInteger, 15), (Integer, 31))


@dataclass(frozen=True, slots=True)
class Limit:
    attribute: str          # the mapped attribute's name (what an API body calls the field, usually)
    column: str             # table.column
    label: str              # 企业名称, or table.column when no label is declared
    english: str
    max_length: int | None  # characters, for String(n)
    bits: int | None        # 31 or 63 (or 15), for integers
    text: bool              # a string column: NUL characters are refused on PostgreSQL

    def refusal(self, value, nul_refused: bool) -> InvalidInput | None:
        if isinstance(value, str):
            if self.max_length is not None and len(value) > self.max_length:
                return self._too_long()
            if nul_refused and self.text and "\x00" in value:
                return self._has_nul()
        elif self.bits is not None and isinstance(value, int) and not isinstance(value, bool):
            if not -(1 << self.bits) <= value < (1 << self.bits):
                return self._out_of_range()
        return None

    def _params(self, **more) -> dict:
        return {"field": self.label, "column": self.column, "attribute": self.attribute, **more}

    def _too_long(self) -> InvalidInput:
        most = self.max_length
        return InvalidInput(f"{self.label}不能超过 {most} 字，未保存 ({self.english}: at most {most} characters; "
                            "nothing was saved)", code="value_too_long", params=self._params(max=most))

    def _out_of_range(self) -> InvalidInput:
        low, high = -(1 << self.bits), (1 << self.bits) - 1
        return InvalidInput(f"{self.label}超出允许的范围（{low} 至 {high}），未保存 ({self.english}: out of range "
                            f"{low}..{high}; nothing was saved)", code="value_out_of_range",
                            params=self._params(min=low, max=high))

    def _has_nul(self) -> InvalidInput:
        return InvalidInput(f"{self.label}不能包含空字符 (NUL)，未保存 ({self.english}: contains a NUL character; "
                            "nothing was saved)", code="value_has_nul", params=self._params())


_COMPILED: dict[type, dict[str, Limit]] = {}


def limits_of(cls: type, mapper) -> dict[str, Limit]:
    """The limited attributes of a mapped class, by attribute name (compiled once per class)."""
    found = _COMPILED.get(cls)
    if found is None:
        found = _COMPILED[cls] = _compile(mapper)
    return found


def _compile(mapper) -> dict[str, Limit]:
    limits: dict[str, Limit] = {}
    for prop in mapper.column_attrs:
        if len(prop.columns) != 1 or prop.columns[0].table is None:
            continue
        column = prop.columns[0]
        limit = _limit(prop.key, column)
        if limit is not None:
            limits[prop.key] = limit
    return limits


def _limit(attribute: str, column) -> Limit | None:
    kind = column.type
    kind = getattr(kind, "impl_instance", kind)  # a TypeDecorator: the type it stores as
    bits = next((count for base, count in _INTEGER_BITS if isinstance(kind, base)), None)
    text = isinstance(kind, String)
    if bits is None and not text:
        return None
    name = f"{column.table.name}.{column.name}"
    return Limit(attribute=attribute, column=name, label=column.info.get("label", name),
                 english=column.info.get("en", name), max_length=getattr(kind, "length", None) if text else None,
                 bits=bits, text=text)


def check_flush(session: Session, _context, _instances) -> None:
    """before_flush: refuse the first value of a new or changed object its column cannot hold."""
    nul_refused = _refuses_nul(session)
    for obj in session.new:
        _check(obj, None, nul_refused)
    for obj in session.dirty:
        _check(obj, obj._sa_instance_state.committed_state, nul_refused)


def _check(obj, changed: dict | None, nul_refused: bool) -> None:
    state: InstanceState = obj._sa_instance_state
    limits = limits_of(type(obj), state.mapper)
    if not limits:
        return
    values = state.dict
    names = limits.keys() if changed is None else (name for name in changed if name in limits)
    for name in names:
        value = values.get(name)
        if value is None:
            continue
        refused = limits[name].refusal(value, nul_refused)
        if refused is not None:
            raise refused


def _refuses_nul(session: Session) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def install(sessions: sessionmaker) -> sessionmaker:
    """Check every flush of the sessions `sessions` (a new sessionmaker) makes.

    Listened unconditionally: `event.contains` keys its registry by id(), so for a sessionmaker
    whose Session class sits at the address of a collected one it answered yes, and that
    sessionmaker's flushes went unchecked (tests/engine/test_session_guards.py)."""
    event.listen(sessions, "before_flush", check_flush)
    return sessions
