"""督办看板: the dashboard's figures equal figures counted here from the raw rows (every row
read back and judged in Python), for several units and periods; its scope; the drill-down."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from engine import clock
from engine.calendar.deadlines import colour
from engine.errors import InvalidInput, NotAllowed
from engine.store.org_tables import Unit
from engine.store.supervision_tables import EfficiencyWarning, SupervisionRecord, Urge
from engine.store.tables import AuditEvent, HumanTask
from engine.supervision.periods import parse_period
from tests.helpers.dashboard_rows import EXTENDED_LATE_ID, NOW, fill
from tests.helpers.province import build_province

PERIODS = ("2026-11", "2026-W45", "2026-10-15..2026-11-14")


@pytest.fixture
def world(engine):
    build_province(engine)
    with clock.frozen_at(NOW):
        units = fill(engine)
    return engine, units


def _raw(engine):
    with engine.uow(write=False) as uow:
        s = uow.session
        return {"tasks": list(s.scalars(select(HumanTask))), "units": list(s.scalars(select(Unit))),
                "urges": list(s.scalars(select(Urge))), "warnings": list(s.scalars(select(EfficiencyWarning))),
                "records": list(s.scalars(select(SupervisionRecord))),
                "audit": list(s.scalars(select(AuditEvent).where(AuditEvent.action == "task_completed")))}


def _subtree(units, unit_id):
    ids = {unit_id}
    while True:
        more = {u.id for u in units if u.parent_id in ids} - ids
        if not more:
            return ids
        ids |= more


def _bounds(key: str):
    """The period's UTC bounds, worked out here without engine.supervision.periods."""
    if "W" in key:
        first = date.fromisocalendar(int(key[:4]), int(key[6:]), 1)
        last = first + timedelta(days=6)
    elif ".." in key:
        first, last = (date.fromisoformat(part) for part in key.split(".."))
    else:
        first = date(int(key[:4]), int(key[5:]), 1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    local = [datetime.combine(d, time(), clock.SHANGHAI) for d in (first, last + timedelta(days=1))]
    return local[0].astimezone(UTC), local[1].astimezone(UTC)


def expected(raw, unit_id: int, key: str) -> dict:
    ids = _subtree(raw["units"], unit_id)
    start, end = _bounds(key)
    tasks = [t for t in raw["tasks"] if t.unit_id in ids]
    open_colours = [colour(NOW, t.due_at, t.blue_at, t.yellow_at) for t in tasks if t.status == "open"]
    done = [t for t in tasks if t.status == "completed" and start <= t.completed_at < end]
    on_time = [t for t in done if t.completed_at <= (t.original_due_at or t.due_at)]
    scores = {e.task_id: e.detail["data"]["satisfaction"]["overall"] for e in raw["audit"]}
    rated = [scores[t.id] for t in done if t.form_key == "service_followup" and t.id in scores]
    in_period = [u for u in raw["urges"] if u.unit_id in ids and start <= u.created_at < end]
    warned = [w for w in raw["warnings"] if w.unit_id in ids and start <= w.created_at < end]
    records = [r for r in raw["records"] if r.unit_id in ids]
    open_records = [r for r in records if r.status != "closed"]
    return {"open": len(open_colours), "red": open_colours.count("red"), "yellow": open_colours.count("yellow"),
            "blue": open_colours.count("blue"), "done": len(done), "on_time": len(on_time),
            "extended": sum(t.original_due_at is not None for t in done),
            "rated": len(rated), "satisfied": sum(s >= 4 for s in rated),
            "urges": len(in_period), "warnings": len(warned), "records_open": len(open_records),
            "records_cross_year": sum(r.year < 2026 for r in open_records),
            "records_closed": sum(r.status == "closed" and start <= r.closed_at < end for r in records)}


def _figures(board: dict, code: str) -> dict:
    if board["unit"]["code"] == code:
        return board["total"]
    return next(row["figures"] for row in board["units"] if row["code"] == code)


@pytest.mark.parametrize("key", PERIODS)
def test_figures_equal_an_independent_count_from_raw_rows(world, key):
    engine, units = world
    raw = _raw(engine)
    with clock.frozen_at(NOW):
        province = engine.dashboard("root", period=key)
        city = engine.dashboard("hz_super", "hz", period=key)
    assert [row["code"] for row in province["units"]] == ["hz"]
    assert [row["code"] for row in city["units"]] == ["xh", "bj"]
    for board, code in ((province, "zj"), (province, "hz"), (city, "xh"), (city, "bj")):
        want, got = expected(raw, units[code], key), _figures(board, code)
        assert {name: got[name] for name in want} == want, (code, key)
        assert got["on_time_rate"] == (round(100 * want["on_time"] / want["done"], 1) if want["done"] else None)
    # the city's own row (本级) plus its counties make its total
    assert city["own"]["open"] + sum(r["figures"]["open"] for r in city["units"]) == city["total"]["open"]
    assert expected(raw, units["hz"], key)["red"] > 0


def test_a_task_completed_late_after_an_extension_counts_late(world):
    engine, _units = world
    with clock.frozen_at(NOW):
        late = engine.supervision_tasks("hz_super", "xh", late_period="2026-11")
        board = engine.dashboard("hz_super", "xh", period="2026-11")
    row = next(r for r in late["rows"] if r["id"] == EXTENDED_LATE_ID)
    assert row["extended"] and row["completed_at"] < row["due_at"]  # before the moved deadline, after the first
    assert board["total"]["extended"] >= 1 and board["total"]["late"] == late["total"]


def test_the_red_list_is_the_red_count(world):
    engine, _units = world
    with clock.frozen_at(NOW):
        board = engine.dashboard("hz_super", "hz", period="2026-11")
        for row in board["units"]:
            listed = engine.supervision_tasks("hz_super", row["code"], colour="red")
            assert listed["total"] == row["figures"]["red"]
            assert all(r["colour"] == "red" and r["working_seconds_left"] < 0 for r in listed["rows"])
            yellow = engine.supervision_tasks("hz_super", row["code"], colour="yellow")
            assert yellow["total"] == row["figures"]["yellow"]
        own = engine.supervision_tasks("hz_super", "hz", colour="open", own_only=True)  # 本级
        assert own["total"] == board["own"]["open"] > 0 and {r["unit_name"] for r in own["rows"]} == {"杭州市生态环境局"}
        for section in board["sections"]:
            listed = engine.supervision_tasks("hz_super", "hz", colour="red", section_id=section["id"])
            assert listed["total"] == section["figures"]["red"]


def test_sections_of_the_chosen_unit_and_a_section_heads_view(world):
    engine, _units = world
    with clock.frozen_at(NOW):
        county = engine.dashboard("xh_leader", period="2026-11")
        head = engine.dashboard("xh_water_head", period="2026-11")
    water = next(s for s in county["sections"] if s["code"] == "water")
    assert [s["code"] for s in head["sections"]] == ["water"]
    assert head["sections"][0]["figures"]["open"] == water["figures"]["open"] > 0
    assert head["units"] == [] and head["mode"] == "sections"


def test_scope(world):
    engine, _units = world
    with clock.frozen_at(NOW):
        assert engine.dashboard("xh_leader")["unit"]["code"] == "xh"
        with pytest.raises(NotAllowed):
            engine.dashboard("xh_leader", "hz")  # a county's leader cannot look up to the city
        with pytest.raises(NotAllowed):
            engine.dashboard("xh_leader", "bj")  # nor across to another county
        with pytest.raises(NotAllowed):
            engine.dashboard("xh_water1")  # staff
        with pytest.raises(NotAllowed):
            engine.supervision_tasks("xh_water1", "xh")
        with pytest.raises(NotAllowed):
            engine.supervision_tasks("xh_leader", "bj")


@pytest.mark.parametrize("text", ["2026-13", "2026-W60", "yesterday", "2026-11-10..2026-11-01"])
def test_bad_periods_are_refused_in_words(text):
    with pytest.raises(InvalidInput) as err:
        parse_period(text)
    assert "统计周期" in str(err.value) or "日期范围" in str(err.value)


def test_periods():
    assert parse_period("2026-W48").label == "2026年第48周"
    assert parse_period("2026-11").last_day == date(2026, 11, 30)
    assert parse_period("2026-12").last_day == date(2026, 12, 31)


def test_liaison_coverage_is_the_monthly_services_per_unit_and_rolled_up(world):
    from engine.enterprises.monthly_service import monthly_coverage
    engine, units = world
    with clock.frozen_at(NOW):
        board = engine.dashboard("hz_super", "hz", period="2026-12")
        with engine.uow(write=False) as uow:
            found = monthly_coverage(uow.session, [units["xh"], units["bj"], units["hz"]], 2026, 12)
    xh = next(r for r in board["units"] if r["code"] == "xh")["figures"]["coverage"]
    want = found["units"][units["xh"]]
    assert (xh["due"], xh["served"], xh["unserved"]) == (want["required"], want["served"], want["unserved"])
    assert board["total"]["coverage"]["due"] == found["total"]["required"] >= 1
