"""`sanfu urge|extension|send-back|warn`: people acting on deadlines from the command line —
催办 a task, 延期申请 (request, decide, list what waits), 退单, 效能告诫 (and `warn --list` a
person's warnings). The rules are the engine's, as on the task page."""
from __future__ import annotations

import sys

from engine import clock
from engine.cli.common import engine_for, print_json
from engine.errors import InvalidInput


def add_deadline_commands(sub, as_user) -> None:
    urge = sub.add_parser("urge", help="催办：督促办理人（领导、督查人员、科长）")
    urge.add_argument("task_id")
    urge.add_argument("--message", required=True, help="催办内容")
    as_user(urge)
    extension = sub.add_parser("extension", help="延期申请：申请、审批、待审批列表")
    actions = extension.add_subparsers(dest="extension_command", required=True)
    request = actions.add_parser("request", help="the holder asks for a new due date")
    request.add_argument("task_id")
    request.add_argument("--date", required=True, help="新的期限 YYYY-MM-DD (a working day)")
    request.add_argument("--reason", required=True, help="延期理由")
    as_user(request)
    decide = actions.add_parser("decide", help="the section head approves or refuses")
    decide.add_argument("extension_id", type=int)
    choice = decide.add_mutually_exclusive_group(required=True)
    choice.add_argument("--approve", action="store_true")
    choice.add_argument("--refuse", action="store_true")
    decide.add_argument("--note", default="", help="审批意见 (required when refusing)")
    as_user(decide)
    waiting = actions.add_parser("list", help="the requests waiting for your decision")
    waiting.add_argument("--json", action="store_true")
    as_user(waiting)
    send_back = sub.add_parser("send-back", help="退单：派错的任务退回派单人重新派发")
    send_back.add_argument("task_id")
    send_back.add_argument("--reason", required=True, help="退单理由")
    as_user(send_back)
    warn = sub.add_parser("warn", help="效能告诫：对超期任务的责任人发出告诫；--list PERSON 查看其告诫")
    warn.add_argument("task_id", nargs="?")
    warn.add_argument("--reason", help="告诫事由")
    warn.add_argument("--list", dest="person", metavar="PERSON", help="list the warnings recorded against PERSON")
    as_user(warn)


def cmd_urge(args) -> int:
    result = engine_for(args).urge(args.task_id, args.actor, args.message)
    told = "、".join(result["recipients"]) or "无人"
    print(f"已催办（第 {result['urge_count']} 次），通知：{told}")
    return 0


def cmd_extension(args) -> int:
    engine = engine_for(args)
    if args.extension_command == "request":
        ext = engine.request_extension(args.task_id, args.actor, args.date, args.reason)
        print(f"延期申请 {ext['id']} 已提交：申请延至 {ext['new_due_date']}，等待科长审批")
    elif args.extension_command == "decide":
        ext = engine.decide_extension(args.extension_id, args.actor, args.approve, args.note)
        moved = f"，期限延至 {ext['new_due_date']}" if args.approve else "，期限不变"
        print(f"延期申请 {ext['id']}：{ext['status_text']}{moved}")
    else:
        pending = engine.pending_extensions(args.actor)
        rows = pending["rows"]
        if pending["more"]:  # never cut a list silently (stderr: --json stays parseable)
            print(f"只列出最早的 {len(rows)} 条，还有更多待审批：审批后再次列出 "
                  f"(the oldest {len(rows)} shown; more are waiting)", file=sys.stderr)
        if args.json:
            print_json(rows)
            return 0
        for ext in rows:
            current = clock.to_local(clock.parse_moment(ext["current_due_at"])).date() if ext["current_due_at"] else "—"
            print(f"{ext['id']}  {ext['task_name']}  {ext['enterprise_name'] or '—'}  {ext['requested_by_name']}  "
                  f"{current} → {ext['new_due_date']}  {ext['reason']}")
        if not rows:
            print("没有待审批的延期申请")
    return 0


def cmd_send_back(args) -> int:
    task = engine_for(args).send_back(args.task_id, args.actor, args.reason)
    print(f"已退单给 {task['assignee']} 重新派发，理由已报科长备案")
    return 0


def cmd_warn(args) -> int:
    engine = engine_for(args)
    if args.person:
        for warning in engine.warnings_of(args.person, args.actor):
            at = clock.to_local(clock.parse_moment(warning["created_at"])).strftime("%Y-%m-%d %H:%M")
            print(f"{at}  {warning['issued_by_name']}  {warning['reason']}")
        return 0
    if not args.task_id or not args.reason:
        raise InvalidInput("请给出任务编号和 --reason 告诫事由 (a task and --reason are required)")
    warning = engine.issue_warning(args.task_id, args.actor, args.reason)
    print(f"已对 {warning['person_name']} 发出效能告诫")
    return 0


DEADLINE_HANDLERS = {"urge": cmd_urge, "extension": cmd_extension, "send-back": cmd_send_back, "warn": cmd_warn}
