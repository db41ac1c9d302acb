"""`sanfu cosign add|list|sign`: 加签 from the command line, as the task page and the API do it
(engine.tasks.cosign): the holder of an approval step adds a co-signer before (前加签) or after
(后加签, with the form's data) themselves; the co-signer lists what waits for them and signs."""
from __future__ import annotations

from engine.cli.common import engine_for, parse_json_object, print_json

MODE_WORDS = {"before": "before", "前加签": "before", "after": "after", "后加签": "after"}


def add_cosign_commands(sub, as_user) -> None:
    cosign = sub.add_parser("cosign", help="加签：审批环节前加签/后加签，加签人签署")
    actions = cosign.add_subparsers(dest="cosign_command", required=True)
    add = actions.add_parser("add", help="add a co-signer to an approval step you hold")
    add.add_argument("task", help="the task id")
    add.add_argument("--to", dest="to_user", required=True, metavar="USER", help="the co-signer")
    add.add_argument("--mode", required=True, choices=sorted(MODE_WORDS),
                     help="before/前加签: they sign first; after/后加签: you submit --data, they sign last")
    add.add_argument("--note", default=None, help="加签说明")
    add.add_argument("--data", default=None, help="后加签: the form's data as a JSON object")
    add.add_argument("--json", action="store_true")
    as_user(add)
    listing = actions.add_parser("list", help="the co-signs waiting for your signature, or a task's co-signs")
    listing.add_argument("--task", default=None, help="list this task's co-signs instead")
    listing.add_argument("--json", action="store_true")
    as_user(listing)
    sign = actions.add_parser("sign", help="sign a co-sign you were asked for: agree, or refuse with a reason")
    sign.add_argument("cosign", type=int, help="the co-sign id (sanfu cosign list)")
    verdict = sign.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--agree", action="store_true", help="同意")
    verdict.add_argument("--refuse", action="store_true", help="不同意 (needs --opinion)")
    sign.add_argument("--opinion", default=None, help="加签意见")
    sign.add_argument("--json", action="store_true")
    as_user(sign)


def cmd_cosign(args) -> int:
    engine = engine_for(args)
    if args.cosign_command == "add":
        data = parse_json_object(args.data) if args.data is not None else None
        added = engine.add_cosigner(args.task, args.actor, args.to_user, MODE_WORDS[args.mode], args.note, data)
        if args.json:
            print_json(added)
        else:
            print(f"已{added['mode_name']}：加签 {added['id']}，等待 {added['cosigner']} 签署")
        return 0
    if args.cosign_command == "sign":
        signed = engine.sign(args.cosign, args.actor, bool(args.agree), args.opinion)
        if args.json:
            print_json(signed)
            return 0
        cosign, task = signed["cosign"], signed["task"]
        print(f"已签署加签 {cosign['id']}：{'同意' if args.agree else '不同意'}")
        print("任务已完成，流程继续" if signed["completed"] else f"任务“{task['name']}”已回到 {task['assignee']}")
        return 0
    rows = engine.task_cosigns(args.task, args.actor) if args.task else engine.cosigns_waiting(args.actor)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("没有加签" if args.task else "没有等待你签署的加签")
    for c in rows:
        print(f"{c['id']}\t{c['mode_name']}\t{_status(c['status'])}\t{c['task_name']}\t{c['task_id']}\t"
              f"{c['holder_name']} → {c['cosigner_name']}\t{c['note'] or c['opinion'] or ''}")
    return 0


def _status(status: str) -> str:
    return {"pending": "待签署", "agreed": "同意", "refused": "不同意", "cancelled": "已失效"}.get(status, status)


COSIGN_HANDLERS = {"cosign": cmd_cosign}
