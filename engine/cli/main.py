"""The `sanfu` command line.

Exit codes: 0 done, 1 refused or invalid (the message says why), 2 usage, 3 conflict,
4 not found or not allowed. No traceback ever reaches the user: unexpected failures are
logged to the instance folder and reported in one line.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from engine.cli.audit import AUDIT_HANDLERS, add_audit_commands
from engine.cli.bench_auth import BENCH_AUTH_HANDLERS, add_bench_auth_commands
from engine.cli.bench_http import BENCH_HTTP_HANDLERS, add_bench_http_commands
from engine.cli.bulletin import BULLETIN_HANDLERS, add_bulletin_commands
from engine.cli.calendar import CALENDAR_HANDLERS, add_calendar_commands
from engine.cli.commands import COMMAND_HANDLERS
from engine.cli.cosign import COSIGN_HANDLERS, add_cosign_commands
from engine.cli.deadlines import DEADLINE_HANDLERS, add_deadline_commands
from engine.cli.history import HISTORY_HANDLERS, add_history_commands
from engine.cli.migrate import MIGRATE_HANDLERS, add_migrate_commands
from engine.cli.org import ORG_HANDLERS, add_org_commands
from engine.cli.outbox import OUTBOX_HANDLERS, add_outbox_commands
from engine.cli.scenarios import SCENARIO_HANDLERS, add_scenario_commands
from engine.cli.serve import SERVE_HANDLERS, add_serve_commands
from engine.cli.service import SERVICE_HANDLERS, add_service_commands
from engine.cli.soak import SOAK_HANDLERS, add_soak_commands
from engine.cli.supervision import SUPERVISION_HANDLERS, add_supervision_commands
from engine.cli.tokens import TOKEN_HANDLERS, add_token_commands
from engine.errors import Conflict, InvalidInput, NotAllowed, NotFound, SanfuError

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_CONFLICT, EXIT_NOT_FOUND = 0, 1, 2, 3, 4
log = logging.getLogger("sanfu")


# One table, `sanfu <command>` → its handler; each module lists its own commands.
HANDLERS = {**COMMAND_HANDLERS, **ORG_HANDLERS, **TOKEN_HANDLERS, **AUDIT_HANDLERS, **CALENDAR_HANDLERS,
            **OUTBOX_HANDLERS, **BULLETIN_HANDLERS, **SUPERVISION_HANDLERS, **DEADLINE_HANDLERS, **SERVICE_HANDLERS,
            **SCENARIO_HANDLERS, **MIGRATE_HANDLERS, **COSIGN_HANDLERS, **SERVE_HANDLERS, **SOAK_HANDLERS,
            **HISTORY_HANDLERS, **BENCH_HTTP_HANDLERS, **BENCH_AUTH_HANDLERS}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sanfu", description="sanfu 三服务工作流引擎")
    parser.add_argument("--database", help="database URL (default: $SANFU_DATABASE_URL or instance/sanfu.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create or upgrade the database schema")
    sub.add_parser("demo", help="load the demo users, processes and instances")
    deploy = sub.add_parser("deploy", help="deploy BPMN/DMN files (with their forms)")
    deploy.add_argument("files", nargs="+", type=Path)
    deploy.add_argument("--forms", type=Path, default=None,
                        help="forms folder (default: SANFU_FORMS_DIR, else the project's forms/)")
    _as(deploy)
    start = sub.add_parser("start", help="start an instance")
    start.add_argument("key")
    start.add_argument("--version", type=int)
    start.add_argument("--data", default=None, help="JSON object")
    _as(start)
    tasks = sub.add_parser("tasks", help="list a user's open tasks")
    tasks.add_argument("--unrouted", action="store_true", help="tasks nobody can claim (admins)")
    tasks.add_argument("--json", action="store_true")
    tasks.add_argument("--page", type=int, default=1, help="page number (default 1)")
    tasks.add_argument("--limit", type=int, default=100, help="rows per page (1–1000, default 100)")
    _as(tasks)
    for name in ("claim", "release", "complete"):
        cmd = sub.add_parser(name, help=f"{name} a task")
        cmd.add_argument("task")
        if name == "complete":
            cmd.add_argument("--data", default=None, help="JSON object")
        if name == "release":
            cmd.add_argument("--reason", required=True)
        _as(cmd)
    assign = sub.add_parser("assign", help="assign a task to a user (admins)")
    assign.add_argument("task")
    assign.add_argument("user")
    _as(assign)
    message = sub.add_parser("message", help="deliver a message to the instance waiting for it")
    message.add_argument("name")
    message.add_argument("--instance", type=int, default=None)
    message.add_argument("--data", default=None, help="JSON object")
    _as(message)
    signal = sub.add_parser("signal", help="broadcast a signal to every instance waiting for it")
    signal.add_argument("name")
    signal.add_argument("--data", default=None, help="JSON object")
    _as(signal)
    show = sub.add_parser("show", help="show an instance")
    show.add_argument("instance", type=int)
    show.add_argument("--json", action="store_true")
    show.add_argument("--as", dest="actor", default=None, metavar="USER",
                      help="view as this user (personal data is masked unless they may see it)")
    _add_operator_commands(sub)
    add_org_commands(sub, _as)
    add_token_commands(sub, _as)
    add_serve_commands(sub, _as)
    add_soak_commands(sub)
    add_calendar_commands(sub, _as)
    add_supervision_commands(sub, _as)
    add_deadline_commands(sub, _as)  # 催办, 延期申请, 退单, 效能告诫
    add_bulletin_commands(sub, _as)
    add_audit_commands(sub, _as)
    add_outbox_commands(sub, _as)
    add_service_commands(sub, _as)  # 联络员每月服务
    add_scenario_commands(sub)  # sanfu test-process: designers' scenario files
    add_migrate_commands(sub, _as)  # sanfu migrate: running instances to another version
    add_cosign_commands(sub, _as)  # 加签: add, list, sign
    add_history_commands(sub)  # sanfu bench-history: a looping instance's cost as rounds add up
    add_bench_auth_commands(sub)  # sanfu bench-auth: the token and session checks' cost per request
    add_bench_http_commands(sub)  # sanfu bench-http: the HTTP path under gunicorn
    return parser


def _add_operator_commands(sub) -> None:
    """Timers, identity and the benchmark: what operators and admins run."""
    fire = sub.add_parser("fire-timers", help="fire every timer due now (or as of --now), however many")
    fire.add_argument("--now", default=None, help="ISO date-time; without offset: Asia/Shanghai")
    sched = sub.add_parser("scheduler", help="run the timer scheduler in the foreground")
    sched.add_argument("--interval", type=float, default=0.5,
                       help="seconds between checks while nothing is due (default 0.5)")
    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    user_add = user_sub.add_parser("add")
    user_add.add_argument("name")
    user_add.add_argument("--groups", default="")
    user_add.add_argument("--admin", action="store_true")
    user_add.add_argument("--roles", default="", help="comma-separated roles, e.g. designer")
    user_add.add_argument("--display-name", default="")
    for verb in ("disable", "enable"):
        toggle = user_sub.add_parser(verb)
        toggle.add_argument("name")
        _as(toggle)
    group = sub.add_parser("group", help="manage groups")
    group_sub = group.add_subparsers(dest="group_command", required=True)
    group_add = group_sub.add_parser("add")
    group_add.add_argument("name")
    group_add.add_argument("--display-name", default="")
    bench = sub.add_parser("bench", help="run the reference benchmark")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--instances", type=int, default=200)
    bench.add_argument("--workdir", type=Path, default=None)
    bench.add_argument("--database", dest="bench_database", default=None, metavar="URL",
                       help="a PostgreSQL URL (uses and drops its own schema); default: SQLite in a temporary folder")
    inbox = sub.add_parser("bench-inbox", help="benchmark the inbox views at volume (fresh database)")
    inbox.add_argument("--instances", type=int, default=100_000)
    inbox.add_argument("--tasks-per-instance", type=int, default=10)
    inbox.add_argument("--repeat", type=int, default=30, help="timed calls per user and view")
    inbox.add_argument("--database", dest="bench_database", default=None, metavar="URL",
                       help="an empty database URL (PostgreSQL: uses and drops its own schema); "
                            "default: SQLite in a temporary folder")
    inbox.add_argument("--json", action="store_true")
    timers = sub.add_parser("bench-timers", help="benchmark draining a backlog of due timers (fresh database)")
    timers.add_argument("--timers", type=int, default=10_000)
    timers.add_argument("--schedulers", type=int, default=1, help="scheduler processes draining together")
    timers.add_argument("--runs", type=int, default=1, help="runs, each on a fresh database (median reported)")
    timers.add_argument("--database", dest="bench_database", default=None, metavar="URL",
                        help="an empty database URL (PostgreSQL: uses and drops its own schema); "
                             "default: SQLite in a temporary folder")
    timers.add_argument("--json", action="store_true")


def _as(cmd) -> None:
    cmd.add_argument("--as", dest="actor", required=True, metavar="USER")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    try:
        return HANDLERS[args.command](args) or EXIT_OK
    except (NotFound, NotAllowed) as err:
        return _fail(err, EXIT_NOT_FOUND)
    except Conflict as err:
        return _fail(err, EXIT_CONFLICT)
    except (InvalidInput, SanfuError) as err:
        return _fail(err, EXIT_INVALID)
    except (KeyboardInterrupt, BrokenPipeError):
        return EXIT_OK
    except Exception as err:  # noqa: BLE001 - last line of defence: no tracebacks to users
        _log_unexpected(err)
        print(f"错误：内部错误 ({err.__class__.__name__})，详情已记录到 instance/sanfu.log", file=sys.stderr)
        return EXIT_INVALID


def _fail(err: SanfuError, code: int) -> int:
    print(f"错误：{err}", file=sys.stderr)
    for name, message in getattr(err, "fields", {}).items():
        print(f"  - {name}: {message}", file=sys.stderr)
    return code


def _log_unexpected(err: Exception) -> None:
    from engine.store.db import instance_path
    try:
        instance_path().mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(instance_path() / "sanfu.log", encoding="utf-8")
        log.addHandler(handler)
        log.exception("unexpected error: %s", err)
        log.removeHandler(handler)
    except OSError:
        pass
