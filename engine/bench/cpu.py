"""Where the machine's CPU went during a loopback benchmark (Linux /proc): how busy all cores
were, and how much of it the server (a process group), the benchmark's own clients and the
rest (on a quiet machine: the database) took. With every core busy, more workers cannot be
faster; a load average above the core count at the start says the figures are noisy."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Snapshot:
    busy_ticks: int
    total_ticks: int
    group_ticks: int
    client_seconds: float
    database_ticks: int | None = None


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all cores since boot; idle and iowait count as not busy."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _processes():
    """(pid folder, the fields of its stat after the name) of each live process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield entry, (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue


def _ticks(after_name: list[str]) -> int:
    # after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    return int(after_name[11]) + int(after_name[12])


def _group_ticks(pgid: int) -> int:
    """user+system jiffies of the live processes in process group `pgid`."""
    return sum(_ticks(fields) for _, fields in _processes() if int(fields[2]) == pgid)


def _backend_ticks(database: str) -> int | None:
    """user+system jiffies of the PostgreSQL backends serving `database` (their title is
    `postgres: <user> <database> <client> <activity>`); None when none can be seen (another
    machine, another user's processes)."""
    ticks, seen = 0, False
    for entry, fields in _processes():
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:
            continue
        if len(title) >= 3 and title[0] == "postgres:" and title[2] == database:
            ticks, seen = ticks + _ticks(fields), True
    return ticks if seen else None


def snapshot(server_pgid: int | None, database: str | None = None) -> Snapshot | None:
    """`database`: a PostgreSQL database on this machine whose backends' CPU is counted apart."""
    try:
        busy, total = _machine_ticks()
        group = _group_ticks(server_pgid) if server_pgid else 0
        backends = _backend_ticks(database) if database else None
    except (OSError, ValueError, IndexError):
        return None  # not Linux: the report goes without it
    times = os.times()
    return Snapshot(busy, total, group, times.user + times.system, backends)


def spent(before: Snapshot | None, after: Snapshot | None, load_at_start: float) -> dict:
    """The window's CPU: machine busy %, and CPU seconds of the server, the clients and the rest."""
    if before is None or after is None or after.total_ticks <= before.total_ticks:
        return {}
    busy = (after.busy_ticks - before.busy_ticks) / TICKS
    server = (after.group_ticks - before.group_ticks) / TICKS
    client = after.client_seconds - before.client_seconds
    database = None
    if before.database_ticks is not None and after.database_ticks is not None:
        database = max(0, after.database_ticks - before.database_ticks) / TICKS
    return {"cores": os.cpu_count(), "load_avg_1m_at_start": round(load_at_start, 2),
            "machine_busy_pct": round(100 * (after.busy_ticks - before.busy_ticks)
                                      / (after.total_ticks - before.total_ticks), 1),
            "server_cpu_s": round(server, 2), "client_cpu_s": round(client, 2),
            **({} if database is None else {"database_cpu_s": round(database, 2)}),
            "other_cpu_s": round(max(0.0, busy - server - client - (database or 0.0)), 2)}


def per_unit(spent_cpu: dict, units: int) -> dict:
    """The CPU one unit of work (a completion) took, by whom, and the rate the machine's cores
    could sustain at that cost: the ceiling a faster server alone cannot lift past what the
    database and the clients take per unit. Where the database's backends were measured apart,
    the rest of the machine (`other`: anything else running) is left out of the cost; where they
    were not (SQLite runs in the server; a database on another machine), `other` stands for it."""
    if not spent_cpu or units <= 0:
        return {}
    whose = ("server", "client", "database" if "database_cpu_s" in spent_cpu else "other")
    ms = {who: 1000 * spent_cpu[f"{who}_cpu_s"] / units for who in whose}
    total = sum(ms.values())
    return {**{f"{who}_ms": round(value, 2) for who, value in ms.items()},
            "ceiling_per_s": round(1000 * spent_cpu["cores"] / total, 1) if total else None,
            "ceiling_without_server_per_s": round(1000 * spent_cpu["cores"] / (total - ms["server"]), 1)
            if total > ms["server"] else None}


def server_group(port: int) -> int | None:
    """The process group of the server listening on the loopback `port` (its master's pid: the
    benchmarks start it in a session of its own)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if f"127.0.0.1:{port}" in cmdline and "gunicorn" in cmdline:
                    return os.getpgid(int(entry.name))
            except (OSError, ProcessLookupError):
                continue
    return None
