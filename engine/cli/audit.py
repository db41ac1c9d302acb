"""`sanfu audit-purge` (audit log retention) and `sanfu admin-role appoint` (setting up
三员分立): operator commands."""
from __future__ import annotations

from engine.admin.audit_log import RETENTION_DAYS
from engine.cli.common import engine_for


def add_audit_commands(sub, as_user) -> None:
    purge = sub.add_parser("audit-purge", help=f"delete audit rows older than N days (N ≥ {RETENTION_DAYS})")
    purge.add_argument("--older-than-days", type=int, required=True, dest="older_than_days")
    purge.add_argument("--as", dest="actor", default="operator", metavar="NAME",
                       help="who runs the purge, as recorded in the audit log (default: operator)")
    role = sub.add_parser("admin-role", help="三员分立: appoint the first security or audit admin")
    actions = role.add_subparsers(dest="admin_role_command", required=True)
    appoint = actions.add_parser("appoint", help="while no active account holds the role (system admin)")
    appoint.add_argument("user")
    appoint.add_argument("role", choices=("security_admin", "audit_admin"))
    as_user(appoint)


def cmd_audit_purge(args) -> int:
    result = engine_for(args).purge_audit(args.older_than_days, args.actor)
    print(f"已删除 {result['deleted']} 条早于 {result['before']} 的审计记录")
    return 0


def cmd_admin_role(args) -> int:
    engine_for(args).appoint_first_admin(args.user, args.role, actor=args.actor)
    print(f"已指定 {args.user} 为{'安全管理员' if args.role == 'security_admin' else '审计管理员'}")
    return 0


AUDIT_HANDLERS = {"audit-purge": cmd_audit_purge, "admin-role": cmd_admin_role}
