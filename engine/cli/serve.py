"""`sanfu serve`: the web application under gunicorn, as production runs it — N sync workers
sharing one database (PostgreSQL; SQLite only on a single host), started only when the schema is
current (`sanfu init` upgrades it first), stopped gracefully by SIGTERM or Ctrl-C. The timers and
the ladder run in `sanfu scheduler`, a separate process (several may run)."""
from __future__ import annotations

import os
import sys

from engine.errors import InvalidInput


def add_serve_commands(sub, _as_user) -> None:
    serve = sub.add_parser("serve", help="run the web application under gunicorn (production)")
    serve.add_argument("--workers", type=int, default=None,
                       help="sync worker processes (default: 2 × CPUs + 1, at most 9)")
    serve.add_argument("--bind", default="127.0.0.1:8000", help="host:port (default 127.0.0.1:8000)")
    serve.add_argument("--timeout", type=int, default=60, help="seconds before a stuck worker is restarted")
    serve.add_argument("--access-log", action="store_true", help="log each request to stdout")


def cmd_serve(args) -> int:
    from engine.store.db import make_engine
    from engine.store.migrate import current_revision, head_revision
    workers = args.workers if args.workers is not None else min(2 * (os.cpu_count() or 1) + 1, 9)
    if not 1 <= workers <= 64:
        raise InvalidInput("--workers 须在 1–64 之间 (workers 1–64)")
    db = make_engine(args.database)
    try:
        with db.connect() as conn:
            current = current_revision(conn)
    finally:
        db.dispose()
    if current != head_revision():
        raise InvalidInput(f"数据库结构不是最新（{current or '未初始化'}，应为 {head_revision()}）："
                           "请先运行 sanfu init (the schema is not current: run sanfu init first)")
    if args.database:
        os.environ["SANFU_DATABASE_URL"] = args.database  # the workers read the environment
    argv = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", args.bind,
            "--timeout", str(args.timeout), "--graceful-timeout", "30", "--worker-class", "sync"]
    if args.access_log:
        argv += ["--access-logfile", "-"]
    argv += _control_socket()
    print(f"sanfu：{workers} 个工作进程，监听 {args.bind}（SIGTERM 或 Ctrl-C 停止）", flush=True)
    os.execv(sys.executable, [*argv, "web:create_app()"])
    return 0  # not reached: gunicorn replaced this process


def _control_socket() -> list[str]:
    """gunicorn 27 opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl), shared by
    every server on the host: give each sanfu instance its own, in its instance folder."""
    import gunicorn

    from engine.store.db import instance_path
    if tuple(int(part) for part in gunicorn.__version__.split(".")[:2]) < (27, 0):
        return []
    instance_path().mkdir(parents=True, exist_ok=True)
    return ["--control-socket", str(instance_path() / "gunicorn.ctl")]


SERVE_HANDLERS = {"serve": cmd_serve}
