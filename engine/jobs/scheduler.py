"""`sanfu scheduler`: fires due timers as they fall due, and drains a backlog at full speed.

Idle, it asks every `interval` seconds (half a second by default) whether anything is due
— one indexed read, no write lock — so a timer fires within a second of falling due.
When something is due it drains it (Engine.fire_due_timers: batch after batch until none
is left) and asks again at once, since more may have fallen due meanwhile.

Several schedulers may run against one database; each claims its batches with leases in
the database (engine.jobs.leases), so none fires a timer twice, and together they drain
a backlog faster than one. Ctrl-C or SIGTERM stops a scheduler after the timer it is firing
(engine.jobs.stopping); what it had claimed and not fired is released for the others. A second
Ctrl-C or SIGTERM stops it at once (the firing under way rolls back).
"""
from __future__ import annotations

import logging
import time

from engine.errors import Unavailable
from engine.jobs import firing, periodic, stopping

log = logging.getLogger("sanfu.scheduler")
PAUSE_AFTER_ERROR = 5.0  # seconds: a database that is down is not asked twice a second


def run_scheduler(engine, interval: float, owner: str) -> None:
    # Its own lines only: SpiffWorkflow logs every task state change at INFO, a flood (and
    # a slowdown) when thousands of timers fire.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    print(f"调度器已启动（空闲时每 {interval:g} 秒检查一次到期定时器；Ctrl-C 退出）owner={owner}", flush=True)
    with stopping.on_signals():
        try:
            while not stopping.requested():
                if not tick(engine, owner):
                    stopping.pause(interval)  # cut short by a stop
        except (KeyboardInterrupt, SystemExit):
            pass  # a second signal: stopped at once


def tick(engine, owner: str) -> bool:
    """Drain what is due, if anything; whether there was (then the caller asks again at once).
    Then run the periodic jobs (ladder, monthly service, outbox) whose turn it is."""
    busy = _fire_timers(engine, owner)
    run_periodic_jobs(engine, owner)
    return busy


def run_periodic_jobs(engine, owner: str) -> list[str]:
    """Run each of the engine's periodic jobs that is due and whose turn this scheduler takes;
    their names. A failing job is logged and does not stop the others."""
    ran = []
    for job in engine.periodic_jobs():
        if stopping.requested():
            break
        try:
            with engine.uow(write=False) as uow:
                if not periodic.is_due(uow.session, job.name, job.every):
                    continue
            with engine.uow() as uow:
                mine = periodic.take_turn(uow.session, job.name, job.every, owner)
            if not mine:
                continue
            result = job.run(owner)
            with engine.uow() as uow:
                periodic.record_result(uow.session, job.name, result)
            ran.append(job.name)
            log.info("job %s: %s", job.name, result)
        except Unavailable:
            OUTAGE.down()
            break  # the next job would find the database down too
        except Exception:  # noqa: BLE001 - one failing job must not stop the scheduler or the others
            log.exception("job %s failed", job.name)
    return ran


def _fire_timers(engine, owner: str) -> bool:
    try:
        due = firing.anything_due(engine)
        OUTAGE.up()
        if not due:
            return False
        result = engine.fire_due_timers(owner=owner)
    except Unavailable:  # one line per outage; claims are leased, so nothing fires twice meanwhile
        OUTAGE.down()
        stopping.pause(PAUSE_AFTER_ERROR)
        return False
    except Exception:  # noqa: BLE001 - a scheduler outlives a failed tick (a database restart …)
        log.exception("tick failed; retrying in %g s", PAUSE_AFTER_ERROR)
        stopping.pause(PAUSE_AFTER_ERROR)
        return False
    log.info("timers due %(due)s, fired %(fired)s, instances started %(started)s, failed %(failed)s", result)
    return result["due"] > 0


class Outage:
    """A database outage as the scheduler lives it: one line when it starts, one when it ends."""

    def __init__(self):
        self.since: float | None = None

    def down(self) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("database unavailable: the scheduler waits and retries every %g s", PAUSE_AFTER_ERROR)

    def up(self) -> None:
        if self.since is not None:
            log.warning("database reachable again after %.0f s", time.monotonic() - self.since)
            self.since = None


OUTAGE = Outage()
