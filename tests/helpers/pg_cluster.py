"""A throwaway PostgreSQL cluster of a test's own (initdb on a free port under /tmp), which the
test may restart or stop and start at will without touching the shared test server
(/work/shared/RECIPES.md §1). As root, PostgreSQL's tools run as the `postgres` user.

`throwaway_cluster()` skips when the binaries are missing — except under CI=true, where a
missing binary is a failure: CI must run what needs a real server."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.gunicorn_world import free_port
from tests.helpers.paths import IN_CI

PG_BIN = Path(os.environ.get("SANFU_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_OPTIONS = "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
PASSWORD = "secret"


@dataclass
class Cluster:
    base: Path     # data directory, socket directory and server log
    port: int

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "server.log"

    def url(self, database: str = "app_test") -> str:
        return f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._ctl("start", "-w", "-t", "60", "-o", f"-p {self.port} -k {self.base} {SERVER_OPTIONS}")

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: open sessions are ended, the server is down until `start`."""
        self._ctl("stop", "-m", "fast", "-w", "-t", "60")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: down and up again (the options are reused from postmaster.opts)."""
        self._ctl("restart", "-m", "fast", "-w", "-t", "60")

    def server_log(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def _ctl(self, *args: str) -> None:
        # -l always: without it the server would inherit (and hold open) the pipe we read pg_ctl from
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args)


def _as_postgres(*argv: str, timeout: float = 90) -> str:
    """Run a PostgreSQL tool: as `postgres` when we are root (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        argv = ("runuser", "-u", "postgres", "--", *argv)
    done = subprocess.run(argv, cwd="/", capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _missing() -> str | None:
    """Why a cluster cannot be made here, or None."""
    for tool in ("initdb", "pg_ctl", "psql"):
        if not (PG_BIN / tool).exists():
            return f"PostgreSQL binaries not found at {PG_BIN} ({tool}); set SANFU_PG_BIN"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root needs runuser to start PostgreSQL as postgres"
    return None


@contextmanager
def throwaway_cluster():
    """A running cluster with role `app` (password `secret`) owning database `app_test`;
    stopped and deleted afterwards, whatever happened."""
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    # /tmp itself, not a private TMPDIR: every parent must be traversable by postgres, and the
    # socket path must stay under 107 bytes
    base = Path(tempfile.mkdtemp(prefix="pg.", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    cluster = Cluster(base, free_port())
    try:
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres", "-E", "UTF8",
                     "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")
        cluster.start()
        _as_postgres(str(PG_BIN / "psql"), "-h", str(base), "-p", str(cluster.port), "-U", "postgres",
                     "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
                     "-c", f"CREATE ROLE app LOGIN PASSWORD '{PASSWORD}' CREATEDB",
                     "-c", "CREATE DATABASE app_test OWNER app")
        yield cluster
    finally:
        try:
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "-w", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass  # never started, or already down
        shutil.rmtree(base, ignore_errors=True)
