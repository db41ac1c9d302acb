"""`sanfu token create|list|revoke`: API tokens for the JSON API (`/api/v1`)."""
from __future__ import annotations

import sys

from engine.admin.api_tokens import LAST_USED_GRAIN
from engine.cli.common import engine_for, print_json


def add_token_commands(sub, as_user) -> None:
    token = sub.add_parser("token", help="API tokens for /api/v1")
    actions = token.add_subparsers(dest="token_command", required=True)
    create = actions.add_parser("create", help="create a token (its secret is shown once)")
    create.add_argument("name", help="a label, e.g. the system that will use it")
    as_user(create)
    listing = actions.add_parser("list", help="list your tokens")
    listing.add_argument("--json", action="store_true")
    as_user(listing)
    revoke = actions.add_parser("revoke", help="revoke a token")
    revoke.add_argument("id", type=int)
    as_user(revoke)


def cmd_token(args) -> int:
    engine = engine_for(args)
    if args.token_command == "create":
        secret = engine.create_api_token(args.actor, args.name)
        print(secret)
        print("请立即保存此令牌：它只显示这一次 (store it now: it is shown only once)", file=sys.stderr)
        return 0
    if args.token_command == "revoke":
        token = engine.revoke_api_token(args.actor, args.id)
        print(f"已撤销令牌 {token['id']} {token['prefix']}… {token['name']}")
        return 0
    rows = engine.api_tokens(args.actor)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("没有 API 令牌 (no tokens)")
    else:  # the last-used time is written at most once per grain (engine.admin.api_tokens)
        minutes = int(LAST_USED_GRAIN.total_seconds() // 60)
        print(f"最近使用时间精确到 {minutes} 分钟 (last used: to within {minutes} minutes)")
    for row in rows:
        state = "已撤销" if row["revoked_at"] else "有效"
        used = (row["last_used_at"] or "-")[:19]
        print(f"{row['id']}  {row['prefix']}…  {row['name']}  [{state}]  "
              f"创建 {row['created_at'][:19]}  最近使用 {used}")
    return 0


TOKEN_HANDLERS = {"token": cmd_token}
