"""What each `sanfu` subcommand does, and how its result is printed."""
from __future__ import annotations

import json
import os
import socket
import sys

from engine import clock
from engine.cli.common import (
    deadline_text,
    engine_for,
    page_window,
    parse_json_object,
    parse_now,
    print_json,
    say_there_is_more,
)
from engine.errors import DefinitionError, InvalidInput


def cmd_init(args) -> int:
    from engine.store.db import make_engine
    from engine.store.migrate import upgrade
    engine = make_engine(args.database)
    upgrade(engine)
    print(f"数据库已就绪：{engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_demo(args) -> int:
    from engine.demo.loader import load_demo
    for line in load_demo(engine_for(args)):
        print(line)
    return 0


def cmd_deploy(args) -> int:
    try:
        result = engine_for(args, forms_dir=args.forms).deploy(args.files, args.actor)
    except DefinitionError as err:
        problems = getattr(err, "errors", None) or [err]
        if len(problems) == 1:
            raise  # one problem: main prints it as any other refusal
        for problem in problems:  # one line each: file[:line], element 'id' (name): reason
            print(f"错误：{problem}", file=sys.stderr)
        print(f"共 {len(problems)} 处错误，未部署 ({len(problems)} errors, nothing deployed)", file=sys.stderr)
        return 1  # main.EXIT_INVALID, as for any other refusal (main imports this module)
    for process in result.processes:
        state = "已部署" if process["status"] == "deployed" else "未变化"
        print(f"{process['key']} v{process['version']}: {state} ({process['status']})")
    for warning in result.warnings:
        print(f"警告：{warning}")
    return 0


def cmd_start(args) -> int:
    result = engine_for(args).start(args.key, args.actor, parse_json_object(args.data), args.version)
    print(f"实例 {result['id']} 已启动：{result['process_key']} v{result['version']} ({result['status']})")
    return 0


def cmd_tasks(args) -> int:
    engine = engine_for(args)
    limit, offset = page_window(args.page, args.limit)
    query = engine.unrouted if args.unrouted else engine.tasks
    rows = query(args.actor, limit=limit + 1, offset=offset)  # one more: is there a next page?
    more, rows = len(rows) > limit, rows[:limit]
    if more:
        say_there_is_more(args.page, len(rows))
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("没有待办任务 (no open tasks)")
    for row in rows:
        who = row["assignee"] or ("未分派" if row["unrouted"] else "待认领:" + ",".join(
            row["candidate_groups"] + row["candidate_users"]))
        due = f" 截止 {row['due_at_local'][:16]} {deadline_text(row)}" if row["due_at_local"] else ""
        about = f" 「{row['subject']}」" if row.get("subject") else ""
        print(f"{row['id']}  #{row['instance_id']} {row['process_key']} v{row['version']} "
              f"{row['name']}{about} [{who}]{due}")
    return 0


def cmd_claim(args) -> int:
    task = engine_for(args).claim(args.task, args.actor)
    print(f"已认领：{task['name']} ({task['id']})")
    return 0


def cmd_release(args) -> int:
    task = engine_for(args).release(args.task, args.actor, args.reason)
    print(f"已释放：{task['name']} ({task['id']})")
    return 0


def cmd_complete(args) -> int:
    result = engine_for(args).complete(args.task, args.actor, parse_json_object(args.data))
    print(f"已完成；实例 {result['instance_id']} 状态：{result['status']}")
    for warning in result.get("warnings", []):
        print(f"警告：{warning}")
    return 0


def cmd_assign(args) -> int:
    task = engine_for(args).assign(args.task, args.user, args.actor)
    print(f"已指派给 {task['assignee']}：{task['name']} ({task['id']})")
    return 0


def cmd_message(args) -> int:
    result = engine_for(args).send_message(args.name, args.actor, parse_json_object(args.data), args.instance)
    print(f"消息 {args.name} 已送达实例 {', '.join(map(str, result['instances']))}")
    return 0


def cmd_signal(args) -> int:
    result = engine_for(args).broadcast_signal(args.name, args.actor, parse_json_object(args.data))
    print(f"信号 {args.name} 已送达 {len(result['instances'])} 个实例")
    return 0


def cmd_show(args) -> int:
    info = engine_for(args).show(args.instance, args.actor)
    if args.json:
        print_json(info)
        return 0
    print(f"实例 {info['id']}：{info['process_key']} v{info['version']}，状态 {info['status']}，"
          f"发起人 {info['started_by']}")
    print("数据：" + json.dumps(info["data"], ensure_ascii=False, default=str))
    for task in info["open_tasks"]:
        print(f"  待办 {task['id']} {task['name']} → {task['assignee'] or '待认领'}")
    for event in info["history"]:
        local = clock.to_local(clock.parse_moment(event["at"]))
        print(f"  {local:%Y-%m-%d %H:%M:%S} {event['actor']} {event['action']}")
    return 0


def cmd_fire_timers(args) -> int:
    moment = parse_now(args.now)
    with clock.frozen_at(moment):
        result = engine_for(args).fire_due_timers(owner=_owner())
    print(f"到期 {result['due']}，已触发 {result['fired']}，新启动实例 {result.get('started', 0)}，"
          f"失败 {result['failed']} "
          f"(as of {clock.to_local(moment):%Y-%m-%d %H:%M:%S})")
    return 1 if result["failed"] else 0


def cmd_scheduler(args) -> int:
    from engine.jobs.scheduler import run_scheduler
    if args.interval <= 0:
        raise InvalidInput("--interval 须大于 0 秒 (must be positive)")
    run_scheduler(engine_for(args), interval=args.interval, owner=_owner())
    return 0


def cmd_user(args) -> int:
    if args.user_command in ("disable", "enable"):
        engine_for(args).set_active(args.name, args.user_command == "enable", actor=args.actor)
        print(f"用户 {args.name} 已{'停用' if args.user_command == 'disable' else '启用'}")
        return 0
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    roles = tuple(r.strip() for r in args.roles.split(",") if r.strip())
    engine_for(args).add_user(args.name, groups, admin=args.admin, display_name=args.display_name, roles=roles)
    print(f"用户 {args.name} 已创建" + (f"，组：{', '.join(groups)}" if groups else ""))
    return 0


def cmd_group(args) -> int:
    engine_for(args).add_group(args.name, args.display_name)
    print(f"组 {args.name} 已创建")
    return 0


def cmd_bench(args) -> int:
    from engine.bench.hot_path import run_bench
    report = run_bench(instances=args.instances, workdir=args.workdir, database=args.bench_database)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


def cmd_bench_inbox(args) -> int:
    from engine.bench.inbox import run_bench_inbox
    report = run_bench_inbox(instances=args.instances, tasks_per_instance=args.tasks_per_instance,
                             database=args.bench_database, repeat=args.repeat)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    for key, value in report.items():
        if key == "views":
            for view, figures in value.items():
                print(f"view {view}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
                      f"max {figures['max_ms']} ms")
        elif key == "deep_pages":
            for page, figures in value.items():
                print(f"deep page {page}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
                      f"max {figures['max_ms']} ms ({figures['users']} users)")
        elif key == "count_plans":
            print(f"count plans for {value['user']}:")
            for view, info in value.items():
                if view != "user":
                    print(f"  {view}: {info['count_ms']} ms")
                    for line in info["plan"]:
                        print(f"    {line}")
        elif key != "counts_by_user":
            print(f"{key}: {value}")
    return 0


def cmd_bench_timers(args) -> int:
    from engine.bench.timers import run_bench_timers
    report = run_bench_timers(timers=args.timers, schedulers=args.schedulers, database=args.bench_database,
                              runs=args.runs)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    last = report["last_run"]
    print(f"{report['database']}: {report['timers']} 个到期定时器，{report['schedulers']} 个调度进程，"
          f"{report['runs']} 次 (timers due, scheduler processes, runs)")
    print(f"timers_per_s: {report['timers_per_s']} (median; runs: {report['timers_per_s_runs']})")
    print(f"drain_s: {report['drain_s']} (median); build_s: {last['build_s']} (last run)")
    print(f"exactly_once: {report['exactly_once']}  last run: {last['check']}")
    for worker in last["workers"]:
        print(f"  {worker['owner']}: fired {worker['fired']} in {worker['calls']} calls")
    return 0 if report["exactly_once"] else 1


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


COMMAND_HANDLERS = {
    "init": cmd_init, "demo": cmd_demo, "deploy": cmd_deploy, "start": cmd_start,
    "tasks": cmd_tasks, "claim": cmd_claim, "release": cmd_release, "complete": cmd_complete,
    "assign": cmd_assign, "show": cmd_show, "message": cmd_message, "signal": cmd_signal,
    "fire-timers": cmd_fire_timers, "scheduler": cmd_scheduler, "user": cmd_user, "group": cmd_group,
    "bench": cmd_bench, "bench-inbox": cmd_bench_inbox, "bench-timers": cmd_bench_timers,
}
