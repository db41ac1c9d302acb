"""The web's outage log (web/errors.OutageLog): a line when an outage begins, none for the refusals
that follow, a line when it ends — and the next outage, however soon, gets its line again."""
from __future__ import annotations

import logging

from engine.errors import Unavailable
from web.errors import OutageLog


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sanfu.web"]


def test_one_line_as_an_outage_begins_one_as_it_ends_and_again_for_the_next(caplog):
    log = OutageLog("database unavailable", "database reachable again")
    with caplog.at_level(logging.WARNING, logger="sanfu.web"):
        for _ in range(500):
            log.note(Unavailable())
        log.ended()
        log.ended()                    # a second new connection: nothing more to say
        log.note(Unavailable())        # a second outage two seconds later, not 30
        log.ended()
    lines = _lines(caplog)
    assert [line.split(" (")[0].split(" after")[0] for line in lines] == [
        "database unavailable", "database reachable again", "database unavailable", "database reachable again"]
    assert "500 requests were refused" in lines[1] and "1 requests were refused" in lines[3]


def test_a_long_outage_says_it_lasts_at_most_once_per_interval(caplog, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("web.errors.time.monotonic", lambda: now[0])
    log = OutageLog("database unavailable", "database reachable again", every=30)
    with caplog.at_level(logging.WARNING, logger="sanfu.web"):
        for _ in range(120):           # two minutes of refusals, one a second
            log.note(Unavailable())
            now[0] += 1
    lines = _lines(caplog)
    assert len(lines) == 4, lines
    assert "29 more requests refused since the last line" in lines[1]
