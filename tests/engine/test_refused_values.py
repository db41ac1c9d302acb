"""A value the database cannot hold — text past its column, a number past its integer, a NUL in
text on PostgreSQL — that a command's own checks missed is refused as bad input (InvalidInput, a
422 for the user) before the database sees it, naming the field in Chinese, never a 500, and the
command saves nothing. On SQLite and PostgreSQL (engine.store.limits; the database's own refusal,
engine.store.uow.refused_value, stays behind it)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidInput, NotFound
from engine.org.creditcode import demo_credit_codes
from engine.org.directory import Pairing, Person
from engine.store import limits
from engine.store.org_tables import Enterprise, Filing
from engine.store.tables import Group, HumanTask, User
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province
from tests.helpers.snapshots import snapshot


def _groups(engine) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Group))


def test_text_past_its_column_is_refused_whole(engine):
    before = _groups(engine)
    with pytest.raises(InvalidInput) as refused, engine.uow() as uow:
        uow.session.add(Group(name="ok-group", display_name="ok"))      # would be saved with it
        uow.session.add(Group(name="g" * 129, display_name="too long"))
    assert refused.value.code == "value_too_long" and "未保存" in str(refused.value)
    # a column without a Chinese label is named table.column
    assert refused.value.params == {"field": "groups.name", "column": "groups.name", "attribute": "name", "max": 128}
    assert _groups(engine) == before


def test_a_number_past_any_integer_is_refused_not_a_crash(engine):
    with pytest.raises(InvalidInput) as refused, engine.uow() as uow:
        uow.session.add(Group(name="overflow", display_name="x"))
        uow.session.flush()
        uow.session.execute(select(HumanTask.id).where(HumanTask.urge_count == 2**70)).all()
        if engine.db.dialect.name == "postgresql":   # PostgreSQL compares it as numeric: a write overflows
            uow.session.add(Group(id=2**40, name="overflow-id", display_name="x"))
    assert refused.value.code == "value_out_of_range"
    assert _groups(engine) == 0


def test_a_start_naming_an_enterprise_no_database_could_hold_is_not_found(engine):
    build_province(engine)
    engine.deploy([PROCESSES / name for name in ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")],
                  "root")
    for enterprise_id in (2**31, 2**63, 2**70):
        with pytest.raises((InvalidInput, NotFound)) as missing:   # the start form names the field
            engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise_id})
        assert f"企业 {enterprise_id} 不存在" in str(missing.value)


def _enterprises(engine) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Enterprise))


def _pairing(**changes) -> Pairing:
    fields = {"name": "滨江新材料有限公司", "credit_code": demo_credit_codes(2, seed=11)[1], "scale": "小",
              "type": "传统产业", "unit_code": "bj", "year": 2026, **changes}
    return Pairing(**fields)


def test_an_overlong_enterprise_name_is_refused_by_its_chinese_name(engine):
    build_province(engine)
    before = _enterprises(engine)
    with pytest.raises(InvalidInput) as refused:
        engine.pair_enterprise(_pairing(name="企" * 256), actor="root")
    assert refused.value.code == "value_too_long"
    assert refused.value.zh.startswith("企业名称不能超过 255 字，未保存")
    assert "the enterprise name: at most 255 characters" in refused.value.en
    assert refused.value.params["field"] == "企业名称" and refused.value.params["attribute"] == "name"
    assert _enterprises(engine) == before
    engine.pair_enterprise(_pairing(name="企" * 255), actor="root")   # exactly the column's length is kept
    assert _enterprises(engine) == before + 1


def test_an_out_of_range_year_is_refused_by_name_before_the_database(engine):
    build_province(engine)
    before = _enterprises(engine)
    for year in (2**31, -(2**31) - 1, 2**70):
        with pytest.raises(InvalidInput) as refused:
            engine.pair_enterprise(_pairing(year=year), actor="root")
        assert refused.value.code == "value_out_of_range", year
        assert refused.value.zh.startswith("结对年度超出允许的范围（-2147483648 至 2147483647）")
    assert _enterprises(engine) == before


def test_a_changed_display_name_too_long_is_refused_and_the_old_one_kept(engine):
    build_province(engine)
    with pytest.raises(InvalidInput) as refused:
        engine.save_person(Person("xh_water1", "张" * 129, "xh", ("water",), ("staff",)), actor="root")
    assert refused.value.code == "value_too_long" and refused.value.zh.startswith("姓名不能超过 128 字")
    with engine.uow(write=False) as uow:
        assert uow.session.scalar(select(User.display_name).where(User.name == "xh_water1")) == "西湖 水 科员1"


def test_a_nul_in_text_is_refused_by_name_on_postgresql(engine):
    build_province(engine)
    pairing = _pairing(name="滨江\x00材料")
    if engine.db.dialect.name != "postgresql":
        engine.pair_enterprise(pairing, actor="root")   # SQLite stores it as typed
        return
    with pytest.raises(InvalidInput) as refused:
        engine.pair_enterprise(pairing, actor="root")
    assert refused.value.code == "value_has_nul" and refused.value.zh.startswith("企业名称不能包含空字符")


def test_only_what_a_flush_writes_is_checked(engine):
    """A row loaded and changed elsewhere is checked only in what changed: a value the database
    already holds (SQLite keeps text of any length) does not refuse an unrelated change."""
    build_province(engine)
    long_phone = "1" * (40 if engine.db.dialect.name == "sqlite" else 32)
    with engine.uow() as uow:
        uow.session.execute(User.__table__.update().where(User.name == "xh_water1").values(phone=long_phone))
    with engine.uow() as uow:
        user = uow.session.scalar(select(User).where(User.name == "xh_water1"))
        user.session_epoch = (user.session_epoch or 0) + 1     # dirty, but its phone unchanged
        limit = limits.limits_of(User, user._sa_instance_state.mapper)
    with engine.uow(write=False) as uow:
        assert uow.session.scalar(select(User.session_epoch).where(User.name == "xh_water1")) == 1
    assert limits.limits_of(User, None) is limit          # compiled once per class
    assert {"name", "display_name", "phone", "session_epoch"} <= limit.keys() and "created_at" not in limit
    with pytest.raises(InvalidInput) as refused, engine.uow() as uow:
        uow.session.scalar(select(User).where(User.name == "xh_water1")).phone = "1" * 33
    assert refused.value.params["field"] == "电话"


def test_an_overlong_reason_is_refused_by_name_not_cut_to_fit(engine):
    """转办/退回/释放 reasons are filed as written (filings.reason): one past 2,000 characters was
    cut to 2,000 without a word; now it is refused, naming 理由, and nothing moves."""
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")],
                  "root")
    instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    [task] = [t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance]
    before = snapshot(engine)
    for move in (lambda reason: engine.transfer(task["id"], "xh_liaison", reason=reason, to_section="air"),
                 lambda reason: engine.release(task["id"], "xh_liaison", reason),
                 lambda reason: engine.return_task(task["id"], "xh_liaison", reason)):
        with pytest.raises(InvalidInput) as refused:
            move("因" * 2001)
        assert refused.value.code == "reason_too_long" and refused.value.zh == "理由不能超过 2000 字，未保存"
    assert snapshot(engine) == before
    engine.transfer(task["id"], "xh_liaison", reason="因" * 2000, to_section="air")   # exactly 2,000: kept whole
    with engine.uow(write=False) as uow:
        assert uow.session.scalar(select(func.length(Filing.reason)).where(Filing.task_id == task["id"])) == 2000


def test_every_declared_label_is_chinese_with_its_english():
    """A label is what the user reads in the refusal: Chinese, with the English the message ends in."""
    from engine.store.tables import Base
    labelled = {}
    for mapper in Base.registry.mappers:
        for limit in limits.limits_of(mapper.class_, mapper).values():
            if limit.label != limit.column:
                labelled[limit.column] = (limit.label, limit.english)
    assert {"enterprises.name", "users.display_name", "filings.reason", "enterprises.pairing_year"} <= labelled.keys()
    for column, (label, english) in labelled.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in label), column
        assert english.isascii() and english != column, column
