"""`sanfu outbox`: the email queue (list, retry one) and one delivery of what is due, for a
machine without a running scheduler (or to see at once whether the SMTP server answers)."""
from __future__ import annotations

from engine import clock
from engine.cli.common import engine_for, page_window, print_json
from engine.errors import InvalidInput
from engine.notifications.mail_commands import PAGE_MOST

STATUS_WORDS = {"pending": "待发送", "sent": "已发送", "failed": "失败"}


def add_outbox_commands(sub, _as_user) -> None:
    outbox = sub.add_parser("outbox", help="邮件队列：列出（管理员）、重新发送、立即投递到期邮件")
    outbox.add_argument("action", nargs="?", choices=("list", "deliver", "retry"), default="list",
                        help="list (default) | deliver: send what is due now, once | retry ID")
    outbox.add_argument("id", nargs="?", type=int, help="the mail to send again (retry)")
    outbox.add_argument("--status", choices=tuple(STATUS_WORDS), default=None,
                        help="list only these (default: pending and failed)")
    outbox.add_argument("--page", type=int, default=1)
    outbox.add_argument("--limit", type=int, default=100, help="rows per page (1–200, default 100)")
    outbox.add_argument("--json", action="store_true")
    outbox.add_argument("--as", dest="actor", default=None, metavar="USER", help="an admin (list, retry)")


def cmd_outbox(args) -> int:
    engine = engine_for(args)
    if args.action == "deliver":
        result = engine.deliver_outbox(owner="cli")
        if result.get("disabled"):
            print("未配置邮件服务器 (SANFU_SMTP_HOST)：不发送 (email is off)")
            return 0
        print(f"已发送 {result['sent']}，稍后重试 {result['retrying']}，失败 {result['failed']}")
        return 0
    if not args.actor:
        raise InvalidInput("请用 --as 指定管理员 (--as ADMIN is required)")
    if args.action == "retry":
        if args.id is None:
            raise InvalidInput("请给出要重新发送的邮件编号 (sanfu outbox retry ID)")
        row = engine.retry_email(args.actor, args.id)
        print(f"邮件 {row['id']}（{row['recipient']}）将随下次投递重新发送")
        return 0
    limit, offset = page_window(args.page, args.limit, most=PAGE_MOST)
    result = engine.outbox(args.actor, status=args.status, limit=limit, offset=offset)
    if args.json:
        print_json(result)
        return 0
    counts = result["counts"]
    print(f"待发送 {counts['pending']}，失败 {counts['failed']}，已发送 {counts['sent']}"
          + ("" if result["enabled"] else "（未配置邮件服务器）"))
    for row in result["rows"]:
        when = clock.to_local(clock.parse_moment(row["created_at"])).strftime("%Y-%m-%d %H:%M")
        error = f"  错误：{row['last_error']}" if row["last_error"] else ""
        print(f"{row['id']}  {STATUS_WORDS[row['status']]}  {when}  {row['recipient']} <{row['address']}>  "
              f"{row['subject']}  尝试 {row['attempts']} 次{error}")
    if result["has_next"]:
        print(f"（还有更多：--page {args.page + 1}）")
    return 0


OUTBOX_HANDLERS = {"outbox": cmd_outbox}
