"""The periodic job `monthly_service`: the liaisons' monthly service reminders.

From the 25th, each liaison hears once per enterprise of theirs still unserved that month
(yellow, 预警); once the month has ended, the liaison and the enterprise's contact leader
each hear once of every enterprise left without service (red, 逾期未服务). "Once" is the
notification's dedupe key (monthly:<enterprise>:<YYYY-MM>:yellow, …:red:liaison,
…:red:leader) with its unique constraint, so two schedulers running the job at the same
moment still send each reminder once; each reminder sent is audited once, in the same
transaction. Only the month that just ended is reported red: a scheduler that was stopped
for longer does not flood people with old months.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.enterprises import monthly_service as ms
from engine.jobs.periodic import PeriodicJob
from engine.notifications.centre import notify
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.collab_tables import Notification

JOB = "monthly_service"
EVERY = timedelta(minutes=5)
SENDER = "scheduler"
KIND = "monthly_service"


def key(enterprise_id: int, year: int, month: int, step: str) -> str:
    return f"monthly:{enterprise_id}:{year}-{month:02d}:{step}"


def _sent(session: Session, keys: list[str]) -> set[str]:
    """Which of `keys` were sent already (one query per 500, instead of one per reminder)."""
    found = set()
    for start in range(0, len(keys), 500):
        found |= set(session.scalars(select(Notification.dedupe_key)
                                     .where(Notification.dedupe_key.in_(keys[start:start + 500]))))
    return found


def _yellow_text(e: dict, year: int, month: int) -> str:
    return (f"【本月服务预警】结对企业「{e['name']}」{year} 年 {month} 月尚无服务记录，请在月底前走访或电话、视频联系，"
            f"并在企业页面记录服务。")


def _red_text(e: dict, year: int, month: int) -> str:
    return (f"【逾期未服务】结对企业「{e['name']}」{year} 年 {month} 月没有任何服务记录（每月至少服务一次），"
            f"联络员：{e['liaison_name']}。")


def _send(session: Session, e: dict, recipient: str | None, dedupe: str, text: str, sent: set[str]) -> int:
    if not recipient or dedupe in sent:
        return 0
    if notify(session, recipient, KIND, SENDER, text, dedupe_key=dedupe) is None:
        return 0  # sent a moment ago by another scheduler
    audit.record(session, SENDER, "monthly_service_reminded",
                 detail={"enterprise_id": e["id"], "to": recipient, "key": dedupe})
    return 1


def remind(session: Session, on: date) -> dict:
    """Send what is due on day `on`; the counts sent (yellow, red) and still unserved."""
    year, month = ms.month_of(on)
    counts = {"yellow": 0, "red": 0, "unserved": 0, "missed": 0}
    if ms.phase(year, month, on) == "warning":
        unserved = ms.unserved_enterprises(session, None, year, month)
        counts["unserved"] = len(unserved)
        sent = _sent(session, [key(e["id"], year, month, "yellow") for e in unserved])
        for e in unserved:
            counts["yellow"] += _send(session, e, e["liaison"], key(e["id"], year, month, "yellow"),
                                      _yellow_text(e, year, month), sent)
    last_year, last_month = ms.shift(year, month, -1)
    missed = ms.unserved_enterprises(session, None, last_year, last_month)
    counts["missed"] = len(missed)
    keys = {(e["id"], who): key(e["id"], last_year, last_month, f"red:{who}")
            for e in missed for who in ("liaison", "leader")}
    sent = _sent(session, list(keys.values()))
    for e in missed:
        text = _red_text(e, last_year, last_month)
        counts["red"] += _send(session, e, e["liaison"], keys[(e["id"], "liaison")], text, sent)
        counts["red"] += _send(session, e, e["contact_leader"], keys[(e["id"], "leader")], text, sent)
    return counts


class MonthlyServiceJob(EngineParts):
    """Mixed into engine.service.Engine."""

    def monthly_service_reminders(self, owner: str = "sanfu") -> dict:
        """Run the job once now (the scheduler calls it every EVERY; safe to run twice at once)."""
        with self.uow() as uow:
            return remind(uow.session, ms.today())

    def monthly_service_job(self) -> PeriodicJob:
        return PeriodicJob(JOB, EVERY, self.monthly_service_reminders)
