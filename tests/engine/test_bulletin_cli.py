"""`sanfu bulletin` writes the 周/月通报 xlsx for the actor's scope (refused, in words, to staff and
for a bad period); `sanfu overview` lists the same scope's open tasks, most overdue first."""
from __future__ import annotations

from openpyxl import load_workbook

from engine import clock
from engine.cli.main import main
from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from tests.helpers.dashboard_rows import NOW, RED_TASK_NAME, fill
from tests.helpers.paths import FORMS
from tests.helpers.province import build_province


def _world(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SANFU_DATABASE_URL", url)
    monkeypatch.setenv("SANFU_INSTANCE_PATH", str(tmp_path / "instance"))
    db = make_engine(url)
    upgrade(db)
    engine = Engine(db_engine=db, forms_dir=FORMS)
    build_province(engine)
    with clock.frozen_at(NOW):
        fill(engine)
    return engine


def test_a_monthly_and_a_weekly_bulletin(tmp_path, monkeypatch, capsys):
    engine = _world(tmp_path, monkeypatch)
    month, week = tmp_path / "month.xlsx", tmp_path / "week.xlsx"
    with clock.frozen_at(NOW):
        assert main(["bulletin", "--unit", "hz", "--period", "2026-11", "--xlsx", str(month), "--as", "hz_super"]) == 0
        assert main(["bulletin", "--week", "2026-W49", "--xlsx", str(week), "--as", "bj_water1"]) == 4  # staff
        assert main(["bulletin", "--period", "2026-13", "--xlsx", str(week), "--as", "hz_super"]) == 1
        board = engine.dashboard("hz_super", "hz", period="2026-11")
    out = capsys.readouterr()
    assert "杭州市生态环境局三服务工作月通报（2026年11月）" in out.out and "统计周期" in out.err
    assert not week.exists()
    book = load_workbook(month)
    summary = [[c.value for c in row] for row in book["汇总"].iter_rows(min_row=3)]
    total = summary[-1]
    assert total[0] == "合计" and total[1:4] == [board["total"]["open"], board["total"]["red"], board["total"]["yellow"]]
    overdue = [[c.value for c in row] for row in book["超期事项"].iter_rows(min_row=3)]
    assert len(overdue) == board["total"]["red"]
    mine = next(row for row in overdue if row[2] == RED_TASK_NAME)
    assert mine[:2] == ["滨江区分局", "水环境科"] and mine[6] >= 2 and mine[7] == 2  # working days overdue, 催办
    records = [[c.value for c in row] for row in book["挂牌督办"].iter_rows(min_row=3)]
    assert [r[-1] for r in records if r[0].startswith("督办〔2025〕")] == ["跨年"]


def test_overview_lists_the_scope(tmp_path, monkeypatch, capsys):
    engine = _world(tmp_path, monkeypatch)
    with clock.frozen_at(NOW):
        assert main(["overview", "--as", "hz_super"]) == 0
        rows = engine.overview("hz_super")
        county = engine.overview("xh_leader")
    out = capsys.readouterr().out
    assert RED_TASK_NAME in out and "超期" in out
    board_open = engine.dashboard("hz_super", "hz", period="2026-11")["total"]["open"]
    assert len(rows) == board_open and {r["unit_id"] for r in county} == {engine.dashboard("xh_leader")["unit"]["id"]}
    assert rows[0]["due_at"] <= rows[-1]["due_at"]
