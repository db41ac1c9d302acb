"""`sanfu scheduler`: APScheduler wakes up every few seconds and fires due timers.

Several schedulers may run against one database; each timer is claimed with a lease in
the database (engine.jobs.timer_rows.claim), so none fires twice.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger("sanfu.scheduler")


def run_scheduler(engine, interval: float, owner: str) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per tick is noise
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")

    def tick():
        result = engine.fire_due_timers(owner=owner)
        if result["due"]:
            log.info("timers due %(due)s, fired %(fired)s, instances started %(started)s, "
                     "failed %(failed)s", result)

    scheduler.add_job(tick, "interval", seconds=interval, id="fire-timers", max_instances=1,
                      coalesce=True, next_run_time=datetime.now(UTC))
    print(f"调度器已启动（每 {interval:g} 秒检查一次到期定时器；Ctrl-C 退出）owner={owner}", flush=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
