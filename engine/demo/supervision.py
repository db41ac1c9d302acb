"""The demo's supervision, as a first login should find it: the ladder run over the stories'
overdue work as the scheduler would have run it (each task at the step its age gives it), and
one 挂牌督办 from last year still open (跨年) — a 萧山 sewer matter listed last December and
given until the year's end, a deadline it missed."""
from __future__ import annotations

from datetime import datetime, time

from engine import clock
from engine.demo import data

CARRIED = ("xs", 1, "sewer_connect")  # county, enterprise index, finding
CITY_SUPERVISOR = "hz_super"


def load_supervision(engine, enterprises: dict) -> list[str]:
    number = _last_years_record(engine, enterprises)
    taken = engine.run_ladder(owner="demo")
    return [f"督办：跨年挂牌督办 {number}；今日逐级督办 提醒科室负责人 {taken['section_head']}，"
            f"报分管领导 {taken['leader']}，挂牌督办 {taken['listed']} (supervision ladder)"]


def _at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime.combine(datetime(year, month, day).date(), time(hour), tzinfo=clock.SHANGHAI)


def _last_years_record(engine, enterprises: dict) -> str:
    county, index, finding = CARRIED
    enterprise = enterprises[(county, index)]
    last_year = clock.to_local(clock.now()).year - 1
    fields = dict(zip(("category", "description", "severity", "suggestion"), data.FINDINGS[finding]))
    with clock.frozen_at(_at(last_year, 11, 3)):
        engine.start("ledger_matter", f"{county}_water", {"enterprise_id": enterprise["id"], "source": "日常检查",
                                                          **fields})
    with clock.frozen_at(_at(last_year, 12, 10, 10)):
        engine.run_ladder(owner="demo")
    records = engine.supervision_records(CITY_SUPERVISOR, year=last_year)["rows"]
    record = next(r for r in records if r["title"].startswith(enterprise["name"]))
    with clock.frozen_at(_at(last_year, 12, 11, 10)):
        engine.set_record_deadline(record["id"], CITY_SUPERVISOR, _at(last_year, 12, 31, 17),
                                   "纳管接入方案须与住建部门协调，限年底前完成")
    return record["number"]
