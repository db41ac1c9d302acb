"""The demo's 每月服务: the liaisons' phone and video contacts of last month and this month,
recorded through the Engine as the liaisons would, so the enterprise list shows 已服务 and
未服务 side by side — and one liaison who missed an enterprise last month, so it shows
逾期未服务 in red, and that liaison and the enterprise's contact leader find the reminder in
their notifications on first login (the monthly_service job is run once, as the scheduler
would).

The demo's enterprises are paired when it loads; they are dated back to the start of the
pairing season (four months ago) so that last month counts for them.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from engine import clock
from engine.enterprises import monthly_service as ms
from engine.store.org_tables import Enterprise
from engine.store.supervision_tables import ServiceContact
from engine.store.tables import User

SUMMARIES = {"电话": "电话了解企业生产和治污设施运行情况，企业暂无新的诉求",
             "视频": "视频连线查看废水处理站运行，提醒做好汛期雨污分流"}


def add_monthly_service(engine) -> dict:
    """Contacts for most paired enterprises this month and last; returns who missed what."""
    today = ms.today()
    this, last = ms.month_of(today), ms.shift(*ms.month_of(today), -1)
    with engine.uow() as uow:
        uow.session.execute(update(Enterprise).values(created_at=clock.now() - timedelta(days=120))
                            .execution_options(synchronize_session=False))
    with engine.uow(write=False) as uow:
        session = uow.session
        paired = list(session.execute(
            select(Enterprise.id, User.name, Enterprise.contact_leader_id).join(User, User.id == Enterprise.liaison_id)
            .where(Enterprise.status.in_(ms.IN_PAIRING)).order_by(Enterprise.id)))
        served_last = set(session.scalars(select(ServiceContact.enterprise_id).where(
            ServiceContact.contacted_on >= ms.first_day(*last), ServiceContact.contacted_on <= ms.last_day(*last))))
    # The one who missed: the first enterprise with a contact leader that nobody served last month.
    missed = next((eid for eid, _liaison, leader in paired if leader and eid not in served_last), None)
    for index, (enterprise_id, liaison, _leader) in enumerate(paired):
        mode = "视频" if index % 4 == 0 else "电话"
        if enterprise_id != missed and enterprise_id not in served_last:
            _record(engine, enterprise_id, liaison, mode, ms.first_day(*last).replace(day=3 + index % 20))
        if enterprise_id != missed and index % 3 != 0:  # a third still waits for this month's service
            _record(engine, enterprise_id, liaison, mode, min(today, ms.first_day(*this).replace(day=1 + index % 5)))
    reminded = engine.monthly_service_reminders(owner="demo")
    return {"missed": missed, "reminders": reminded}


def _record(engine, enterprise_id: int, liaison: str, mode: str, day) -> None:
    moment = datetime.combine(day, time(16), tzinfo=clock.SHANGHAI)
    with clock.frozen_at(min(moment, clock.now())):
        engine.record_contact(enterprise_id, liaison, mode, day.isoformat(), SUMMARIES[mode])
