"""The authorization specification: every route of the app (method + endpoint) with the
URL it is called on, the form or JSON it sends, and the outcome each role must get.

Outcomes:
- OK: 2xx, or a redirect that is not to /login; a POST must also change something.
- LOGIN: not signed in → a redirect to /login (pages) or 401 (API).
- FORBIDDEN: 403 (the 无权访问 page, or the API's JSON error).
- NOT_FOUND: 404 (where the app hides that something exists).
- NOOP: 2xx or a redirect (not to /login), and nothing changed (e.g. a bulk action whose
  every row was refused, a form re-shown with its message).
- PUBLIC: like OK, for everyone including anonymous visitors (/login, the rating page).
- SIGNED_OUT: a redirect to /login (sign-out).

A route missing from ROUTES fails the matrix: add it here with its outcome per role.
URLs and bodies are templates filled from the world (tests/web/authz_world.py).
"""
from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tests.helpers.web import PASSWORD
from tests.web.authz_world import ROLES, tiny_png

OK, LOGIN, FORBIDDEN, NOT_FOUND, NOOP, PUBLIC, SIGNED_OUT = (
    "ok", "login", "forbidden", "not_found", "noop", "public", "signed_out")
SIGNED_IN = tuple(role for role, user in ROLES.items() if user)
# Who may see the 西湖 service instance and its 整改 tasks: its starter (the liaison),
# whoever worked on it (the expert), the holder and the section's candidates, the section
# head and the city supervisor (scope), the system admin. Not another county, and not the
# security or audit admin (三员分立: no business data).
TASK_VIEWERS = ("liaison", "expert", "staff", "section_head", "supervisor", "system_admin")
# Who may see the 西湖 enterprise: users of 西湖 (its unit), of the units above with a
# supervising role, and the system admin.
ENTERPRISE_VIEWERS = ("liaison", "expert", "staff", "section_head", "supervisor", "system_admin")
# 督办看板: supervising roles (the city's 督查 sees 西湖 below it, the section head their sections), the
# system admin; staff, liaisons, experts and the security and audit admins (三员分立) are refused.
DASHBOARD_VIEWERS = ("section_head", "supervisor", "system_admin")


def expect(default: str = FORBIDDEN, anonymous: str = LOGIN, **roles) -> dict[str, str]:
    """Each role's outcome: `default` for signed-in roles unless named, e.g.
    expect(ok=("staff", "system_admin")) or expect(OK, other_county=FORBIDDEN)."""
    out = {role: default for role in SIGNED_IN}
    out["anonymous"] = anonymous
    for key, value in roles.items():
        if key in ROLES:
            out[key] = value
        else:  # an outcome name with a tuple of roles
            for role in value:
                out[role] = key
    return out


def everyone(outcome: str) -> dict[str, str]:
    return {role: outcome for role in ROLES}


@dataclass(frozen=True)
class Route:
    method: str
    endpoint: str
    url: str                                   # str.format(**world)
    expected: dict[str, str]
    body: Callable[[dict], dict] | None = None  # form fields (pages) or JSON (API)
    note: str = ""
    changes: bool = True                       # an OK POST must change the database
    headers: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.method} {self.endpoint}"

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")


# bodies ----------------------------------------------------------------------------------
RECTIFIED = {"measures": "已完成厂区雨污管网改造", "evidence": "整改后.jpg",
             "completion_date": date.today().isoformat(), "responsible_person": "赵强"}
RECTIFIED_JSON = {"data": {**RECTIFIED, "evidence": ["整改后.jpg"], "completion_date": "2026-03-12"}}


def _photo(_world) -> dict:
    return {"file": (io.BytesIO(tiny_png()), "整改中.png", "image/png")}


def _calendar_file(_world) -> dict:
    data = "日期,类型,名称\n2028-01-03,休,试行\n".encode()
    return {"file": (io.BytesIO(data), "cn-2028.csv", "text/csv"), "year": "2028"}


def _pairing_file(_world) -> dict:
    from engine.exchange.pairing import PairingRow, write_pairing
    from engine.org.creditcode import demo_credit_codes
    code = demo_credit_codes(5, seed=43)[4]
    row = PairingRow(1, "西湖新材料有限公司", code, "小", "传统产业", "西湖区分局", "西湖 联络员", "13800000000",
                     "西湖 分管局长", False, 2026, "paired")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        write_pairing([row], path)
        data = path.read_bytes()
    return {"file": (io.BytesIO(data), "list.csv", "text/csv"), "action": "import"}


def _designer_upload(_world) -> dict:
    from tests.helpers.models import GHOST_MODEL
    return {"files": (io.BytesIO(GHOST_MODEL.encode()), "ghostly.bpmn", "application/xml")}


def _designer_kept_upload(_world) -> dict:
    """An upload 校验 kept for the system admin: a ghostly model with a fresh task name (a new version)."""
    import secrets

    from tests.helpers.models import GHOST_MODEL
    from web.designer import UPLOADS
    token = secrets.token_urlsafe(24)
    (UPLOADS / token / "files").mkdir(parents=True)
    (UPLOADS / token / "owner").write_text(ROLES["system_admin"], encoding="utf-8")
    model = GHOST_MODEL.replace("无人认领的步骤", f"无人认领的步骤 {token[:6]}")
    (UPLOADS / token / "files" / "ghostly.bpmn").write_text(model, encoding="utf-8")
    return {"upload": token}


def _editor_model(_world) -> dict:
    """The ghostly process as the editor sends it, with a fresh task name: each call a new version."""
    import secrets

    from tests.helpers.models import GHOST_MODEL
    return {"content": GHOST_MODEL.replace("无人认领的步骤", f"无人认领的步骤 {secrets.token_hex(3)}")}


def _form_edit(_world) -> dict:
    """The 督办 form as the form editor sends it, with a fresh field title: each call new versions."""
    import json
    import secrets

    from tests.helpers.paths import FORMS
    schema = json.loads((FORMS / "supervision_urge.json").read_text(encoding="utf-8"))
    schema["properties"]["urge_mode"]["title"] = f"督办方式 {secrets.token_hex(3)}"
    text = json.dumps(schema, ensure_ascii=False)
    return {"content": text.replace("{", "{{").replace("}", "}}")}  # the bodies are str.format templates


def _rating(world) -> dict:
    return {**{f"stage.{key}": "5" for key in world["rating_stages"]}, "comment": "服务很好"}


def _deputy(_world) -> dict:
    today = date.today()
    return {"user": "xh_water1", "deputy": "xh_water2", "starts": today.isoformat(),
            "ends": (today + timedelta(days=3)).isoformat()}


def _record_deadline(_world) -> dict:
    return {"deadline": (date.today() + timedelta(days=10)).isoformat(), "note": "限期整改"}


def _extension(world) -> dict:
    return {"new_due_date": world["extension_day"], "reason": "企业设备到货推迟"}


def _contact(_world) -> dict:
    from engine.enterprises.monthly_service import today
    return {"mode": "电话", "contacted_on": today().isoformat(), "summary": "电话了解污水站运行情况"}


def fixed(values: dict) -> Callable[[dict], dict]:
    return lambda _world: dict(values)


ADMIN_ONLY = expect(system_admin=OK)
# 发起 a 台账事项: staff and section heads (the liaison is office staff), admins; another county's
# staff open the form but may not start one for this county's enterprise.
MATTER_STARTERS_ANYWHERE = expect(ok=("liaison", "staff", "section_head", "other_county", "system_admin"))
MATTER_STARTERS = expect(ok=("liaison", "staff", "section_head", "system_admin"), not_found=("other_county",))


def _matter_start(world) -> dict:
    return {"enterprise_id": str(world["enterprise_id"]), "category": "水", "description": "雨水口检出生产废水",
            "severity": "一般"}


def _matter_start_json(world) -> dict:
    return {"data": {"enterprise_id": world["enterprise_id"], "category": "水", "description": "雨水口检出生产废水",
                     "severity": "一般"}}
SCENARIO_RUNNERS = expect(ok=tuple(role for role in ("designer", "system_admin") if role in ROLES))
SECURITY_ONLY = expect(security_admin=OK)
AUDIT_ONLY = expect(audit_admin=OK)
SEE_TASK = expect(ok=TASK_VIEWERS)
DASHBOARD = expect(ok=DASHBOARD_VIEWERS)
SEE_ENTERPRISE = expect(ok=ENTERPRISE_VIEWERS)
HOLDER = expect(ok=("staff", "system_admin"))
URGERS = expect(ok=("section_head", "supervisor"))  # 催办: supervising roles in scope
EXTENSION_DECIDERS = expect(ok=("section_head", "system_admin"))
# 督办单: leaders and supervisors of the unit and above, the section (its head answers for it), admins.
RECORD_VIEWERS = expect(NOT_FOUND, ok=("supervisor", "section_head", "system_admin"))
# The section's candidates claim; so may the system admin ("admins everything").
CANDIDATES = expect(ok=("staff", "section_head", "system_admin"))

ROUTES: tuple[Route, ...] = (
    # sign-in, language ---------------------------------------------------------------------
    Route("GET", "auth.login", "/login", everyone(PUBLIC)),
    Route("GET", "health.healthz", "/healthz", everyone(PUBLIC), note="database, migrations, scheduler age"),
    Route("POST", "auth.login", "/login", everyone(PUBLIC), fixed({"name": "xh_water2", "password": PASSWORD}),
          changes=False, note="signed in already: back to the inbox"),
    Route("POST", "auth.logout", "/logout", everyone(SIGNED_OUT), changes=False),
    Route("POST", "auth.set_language", "/lang", everyone(PUBLIC), fixed({"lang": "en", "next": "/"}),
          changes=False),
    # inbox -----------------------------------------------------------------------------------
    Route("GET", "inbox.index", "/", expect(OK)),
    Route("POST", "inbox_bulk.apply", "/inbox/bulk", expect(NOOP, ok=("staff", "section_head", "system_admin")),
          fixed({"action": "claim", "task_id": "{open}"}),
          note="every signed-in user may post; only candidates' claims succeed, the others' rows fail"),
    # 备案: returns and transfers filed for the section head ----------------------------------
    # 督办看板 and the 周/月通报: leaders, supervisors and section heads (their scope), admins ---------
    Route("GET", "supervision.index", "/supervision/", DASHBOARD),
    Route("GET", "supervision.tasks", "/supervision/tasks?unit=xh&colour=red", DASHBOARD,
          note="the list behind a figure; the section head: their sections of 西湖"),
    Route("GET", "supervision.bulletin", "/supervision/bulletin?unit=xh", DASHBOARD),
    Route("GET", "supervision.bulletin_xlsx", "/supervision/bulletin.xlsx?unit=xh", DASHBOARD),
    # 督办单 (挂牌督办) ---------------------------------------------------------------------------
    Route("GET", "records.index", "/supervision/records/", expect(OK), note="each sees the records of their scope"),
    Route("GET", "records.show", "/supervision/records/{record}", RECORD_VIEWERS),
    Route("POST", "records.set_deadline", "/supervision/records/{record}/deadline",
          expect(NOT_FOUND, ok=("supervisor", "system_admin"), forbidden=("section_head",)), _record_deadline),
    Route("POST", "records.report", "/supervision/records/{record}/report",
          expect(NOT_FOUND, ok=("section_head", "system_admin"), forbidden=("supervisor",)),
          fixed({"note": "已整改"})),
    Route("POST", "records.verify", "/supervision/records/{reported_record}/verify",
          expect(NOT_FOUND, ok=("supervisor", "system_admin"), forbidden=("section_head", "staff")),
          fixed({"decision": "approve", "note": ""})),
    Route("POST", "records.list_task", "/supervision/records/list", expect(ok=("supervisor", "system_admin")),
          fixed({"task_id": "{verify}", "note": "重点督办"}), note="挂牌督办 by hand: supervisors of the unit and above"),
    Route("GET", "filings.index", "/filings/", expect(OK), note="each sees the filings of the sections they head"),
    Route("POST", "filings.acknowledge", "/filings/acknowledge", expect(NOOP, section_head=OK),
          fixed({"filing": "{filing}"}), note="anyone else: refused with a message, nothing acknowledged"),
    # 场景测试 on the designer's workbench: designers and admins; runs in a throwaway database
    Route("GET", "designer_scenarios.index", "/designer/scenarios/", SCENARIO_RUNNERS),
    Route("POST", "designer_scenarios.run", "/designer/scenarios/run", SCENARIO_RUNNERS,
          fixed({"scenario": "ledger_matter.scenario.yaml"}), changes=False,
          note="the scenario runs in a temporary SQLite database: the app's own changes nothing"),
    # 流程设计: the workbench — versions, diagrams, diff, decision tables, upload → 校验 → 部署
    Route("GET", "designer.index", "/designer/", SCENARIO_RUNNERS),
    Route("GET", "designer.process", "/designer/process/ledger_matter/1", SCENARIO_RUNNERS),
    Route("GET", "designer.diff", "/designer/process/ledger_matter/diff?from=1&to=1", SCENARIO_RUNNERS),
    Route("GET", "designer.decision", "/designer/decision/routing/1", SCENARIO_RUNNERS),
    Route("POST", "designer.validate", "/designer/validate", SCENARIO_RUNNERS, _designer_upload, changes=False,
          note="deploy's checks only: nothing is saved"),
    Route("POST", "designer.deploy", "/designer/deploy", SCENARIO_RUNNERS, _designer_kept_upload,
          note="deploys the upload kept by 校验 for its uploader (the system admin here) as a new version"),
    # 编辑 in the browser (web/designer_editor.py): designers and admins
    Route("GET", "designer_editor.new_process", "/designer/new", SCENARIO_RUNNERS),
    Route("POST", "designer_editor.new_process", "/designer/new", SCENARIO_RUNNERS,
          fixed({"key": "site_check", "name": "现场核查"}), changes=False, note="opens the editor on a blank diagram"),
    Route("GET", "designer_editor.edit", "/designer/edit/process/ledger_matter", SCENARIO_RUNNERS),
    Route("POST", "designer_editor.save_draft", "/designer/edit/process/ledger_matter/draft", SCENARIO_RUNNERS,
          fixed({"content": "<definitions id='draft'/>"})),
    Route("POST", "designer_editor.discard_draft", "/designer/edit/decision/routing/discard", SCENARIO_RUNNERS,
          changes=False, note="there is no draft of routing: nothing to discard"),
    Route("POST", "designer_editor.from_upload", "/designer/edit/from-upload", SCENARIO_RUNNERS,
          lambda world: {**_editor_model(world), "file_name": "ghostly.bpmn"},
          note="an uploaded model becomes the draft of its process, then the editor opens"),
    Route("POST", "designer_editor.deploy", "/designer/edit/process/ghostly/deploy", SCENARIO_RUNNERS,
          _editor_model, note="a new version of the ghostly process each time"),
    # 表单: the JSON Schema form editor (web/designer_forms.py): designers and admins
    Route("GET", "designer_forms.index", "/designer/forms/", SCENARIO_RUNNERS),
    Route("GET", "designer_forms.edit", "/designer/edit/form/supervision_urge", SCENARIO_RUNNERS),
    Route("POST", "designer_forms.preview", "/designer/edit/form/supervision_urge/preview", SCENARIO_RUNNERS,
          _form_edit, changes=False, note="the preview fragment: nothing is saved"),
    Route("POST", "designer_forms.save_draft", "/designer/edit/form/supervision_urge/draft", SCENARIO_RUNNERS,
          _form_edit),
    Route("POST", "designer_forms.discard_draft", "/designer/edit/form/supervision_urge/discard", SCENARIO_RUNNERS,
          changes=False, note="there is no draft of the form: nothing to discard"),
    Route("POST", "designer_forms.deploy", "/designer/edit/form/supervision_urge/deploy", SCENARIO_RUNNERS,
          _form_edit, note="new versions of the processes using the form each time"),
    # 迁移 running instances between versions: designers and admins
    Route("GET", "designer_migration.index", "/designer/migrate/",
          expect(ok=tuple(role for role in ("designer", "system_admin") if role in ROLES))),
    Route("POST", "designer_migration.run", "/designer/migrate/run",
          expect(noop=tuple(role for role in ("designer", "system_admin") if role in ROLES)),
          fixed({"key": "ledger_matter", "from": "1", "to": "1", "mapping": ""}),
          note="the world has one version of each process: a migration to itself is refused with a message"),
    # 发起 and 撤回 (web/start.py): ledger_matter names staff and section heads as starters
    Route("GET", "start.index", "/start/", expect(OK), note="each sees what they may start (maybe nothing)"),
    Route("GET", "start.form", "/start/ledger_matter?enterprise_id={enterprise_id}", MATTER_STARTERS_ANYWHERE),
    Route("POST", "start.submit", "/start/ledger_matter", MATTER_STARTERS, _matter_start,
          note="another county's staff may start matters, not for this enterprise (404)"),
    Route("POST", "start.withdraw", "/start/withdraw/{withdrawable}", expect(liaison=OK),
          fixed({"reason": "重复登记"}), note="only the starter, before anyone else acts"),
    # the task page and its actions -------------------------------------------------------------
    Route("GET", "tasks.show", "/tasks/{held}", SEE_TASK),
    Route("POST", "tasks.complete", "/tasks/{held}", HOLDER, fixed(RECTIFIED)),
    Route("POST", "tasks.claim", "/tasks/{open}/claim", CANDIDATES),
    Route("POST", "tasks.release", "/tasks/{held}/release", HOLDER, fixed({"reason": "需科长协调"})),
    Route("POST", "task_actions.transfer", "/tasks/{held}/transfer", HOLDER,
          fixed({"target": "user", "to_user": "xh_water2", "reason": "本人出差"})),
    Route("POST", "task_actions.return_task", "/tasks/{verify}/return", expect(ok=("section_head", "system_admin")),
          fixed({"reason": "佐证材料不足"}), note="科长审核 back to 整改"),
    Route("POST", "task_actions.delegate", "/tasks/{held}/delegate", HOLDER,
          fixed({"to_user": "xh_water2", "note": "请协助现场核查"})),
    Route("POST", "task_actions.save_draft", "/tasks/{held}/draft", HOLDER, fixed({"measures": "正在改造管网"})),
    Route("POST", "task_actions.resolve", "/tasks/{delegated}/resolve", expect(section_head=OK),
          fixed({**RECTIFIED, "_resolve_comment": "已核实"})),
    Route("POST", "task_actions.copy", "/tasks/{held}/copy", SEE_TASK, fixed({"recipients": "xh_air1"})),
    Route("POST", "cosign.add", "/tasks/{verify}/cosign", expect(ok=("section_head", "system_admin")),
          fixed({"_cosign_mode": "before", "_cosign_to": "xh_water2", "_cosign_note": "请复核"}),
          note="加签 on 科长审核: its holder (or an admin)"),
    Route("POST", "cosign.sign", "/cosigns/{cosign}/sign", expect(staff=OK),
          fixed({"agree": "1", "opinion": "同意", "task_id": "{cosigned_task}"}), note="only the co-signer signs"),
    Route("POST", "task_actions.comment", "/tasks/{held}/comments", SEE_TASK, fixed({"body": "请尽快整改"})),
    # people acting on deadlines: 催办, 延期申请 and its decision, 退单, 效能告诫 -------------------------
    Route("POST", "deadline_actions.urge", "/tasks/{held}/urge", URGERS, fixed({"message": "请加快整改进度"}),
          note="the city's supervisor and the water section's head; not the holder, not an admin"),
    Route("POST", "deadline_actions.request_extension", "/tasks/{held}/extension", HOLDER, _extension),
    Route("GET", "deadline_actions.index", "/extensions/", expect(OK), note="each sees the requests they decide"),
    Route("POST", "deadline_actions.decide", "/extensions/{extension}/decide", EXTENSION_DECIDERS,
          fixed({"decision": "approve", "note": "同意"}), note="xh_water2 asked; the water section's head decides"),
    Route("POST", "deadline_actions.send_back", "/tasks/{held}/send-back", HOLDER,
          fixed({"reason": "不属本科室职责"}), note="退单 to the health check's expert"),
    Route("POST", "deadline_actions.warn", "/tasks/{overdue}/warn", expect(supervisor=OK),
          fixed({"reason": "超期未办结"}), note="supervisors and leaders only, on an overdue task"),
    Route("POST", "attachments.upload", "/tasks/{held}/attachments", HOLDER, _photo),
    Route("GET", "attachments.download", "/attachments/{attachment}", SEE_TASK),
    Route("POST", "attachments.delete", "/attachments/{attachment}/delete", expect(staff=OK),
          note="only the uploader deletes"),
    # the rating link ---------------------------------------------------------------------------
    Route("POST", "rating.issue", "/tasks/{follow_up_task}/rating-link", expect(ok=("liaison", "system_admin"))),
    Route("GET", "rating.form", "/r/{rating_token}", everyone(PUBLIC)),
    Route("POST", "rating.submit", "/r/{rating_token}", everyone(PUBLIC), _rating),
    Route("GET", "rating.thanks", "/r/thanks", everyone(PUBLIC)),
    # instances ---------------------------------------------------------------------------------
    Route("GET", "instances.show", "/instances/{service}", SEE_TASK),
    Route("GET", "instances.diagram", "/instances/{service}/diagram", SEE_TASK),
    # enterprises and ledgers ------------------------------------------------------------------
    Route("GET", "enterprises.index", "/enterprises", expect(OK)),
    Route("GET", "enterprises.show", "/enterprises/{enterprise_id}", SEE_ENTERPRISE),
    Route("GET", "enterprises.card_print", "/enterprises/{enterprise_id}/card/print", SEE_ENTERPRISE),
    Route("GET", "enterprises.enterprise_ledger", "/enterprises/{enterprise_id}/ledger.xlsx", SEE_ENTERPRISE),
    Route("GET", "enterprises.unit_ledger", "/ledger.xlsx?unit=xh", SEE_ENTERPRISE),
    Route("GET", "enterprises.matter_print", "/matters/{service}/{matter_scope}/print", SEE_ENTERPRISE),
    # 每月服务: the enterprise's liaison (xh_liaison; it has no contact leader) or an admin records a contact
    Route("POST", "monthly_service.record", "/enterprises/{enterprise_id}/contacts",
          expect(ok=("liaison", "system_admin")), _contact),
    Route("GET", "monthly_service.mine", "/enterprises/service", expect(OK), note="each sees their own enterprises"),
    # the notification centre: everyone signed in has their own ------------------------------------
    Route("GET", "notifications.index", "/notifications/", expect(OK)),
    Route("POST", "notifications.mark_read", "/notifications/read", expect(OK), changes=False,
          note="marks only the signer's own notifications"),
    # 个人设置 (email): everyone signed in sets their own ----------------------------------------------
    Route("GET", "account.index", "/account/", expect(OK)),
    Route("POST", "account.save", "/account/", expect(OK),
          fixed({"email": "someone@example.gov.cn", "mode": "digest"}), note="only the signer's own settings"),
    # administration (三员分立) --------------------------------------------------------------------
    Route("GET", "admin.index", "/admin/", expect(ok=("system_admin", "security_admin", "audit_admin"))),
    Route("GET", "admin.accounts", "/admin/accounts", ADMIN_ONLY),
    Route("POST", "admin.create_account", "/admin/accounts", ADMIN_ONLY,
          fixed({"name": "xh_water3", "display_name": "西湖 水 科员3", "unit": "xh", "sections": "water",
                 "roles": "staff", "password": PASSWORD})),
    Route("POST", "admin.edit_account", "/admin/accounts/xh_water2/edit", ADMIN_ONLY,
          fixed({"display_name": "西湖 水 科员2", "unit": "xh", "sections": "water air", "roles": "staff"})),
    Route("POST", "admin.set_active", "/admin/accounts/xh_water2/active", ADMIN_ONLY, fixed({"active": "0"})),
    Route("GET", "admin.unrouted", "/admin/unrouted", ADMIN_ONLY),
    Route("POST", "admin.assign", "/admin/unrouted/{ghost}/assign", ADMIN_ONLY, fixed({"user": "xh_water2"})),
    Route("GET", "admin.handover", "/admin/handover", ADMIN_ONLY),
    Route("POST", "admin.handover", "/admin/handover", ADMIN_ONLY,
          fixed({"from_user": "xh_liaison", "to_user": "xh_water2"})),
    Route("GET", "admin.deputies", "/admin/deputies", ADMIN_ONLY),
    Route("POST", "admin.set_deputy", "/admin/deputies", ADMIN_ONLY, _deputy),
    Route("GET", "admin.pairing_import", "/admin/import", ADMIN_ONLY),
    Route("POST", "admin.pairing_import_run", "/admin/import", ADMIN_ONLY, _pairing_file),
    Route("GET", "admin.pairing_template", "/admin/import/template.xlsx", ADMIN_ONLY),
    Route("GET", "admin.calendar", "/admin/calendar?year=2026", ADMIN_ONLY),
    Route("GET", "admin.calendar_csv", "/admin/calendar/2026.csv", ADMIN_ONLY),
    Route("POST", "admin.calendar_set_day", "/admin/calendar/day", ADMIN_ONLY,
          fixed({"day": "2026-03-09", "kind": "rest", "name": "防汛停工", "year": "2026"})),
    Route("POST", "admin.calendar_import", "/admin/calendar/import", ADMIN_ONLY, _calendar_file),
    Route("GET", "admin.outbox", "/admin/outbox?status=failed", ADMIN_ONLY),
    Route("POST", "admin.retry_email", "/admin/outbox/999/retry", expect(FORBIDDEN, system_admin=NOOP),
          note="the world has no mail: the admin is told so, nothing changes"),
    Route("GET", "admin.security", "/admin/security", SECURITY_ONLY),
    Route("POST", "admin.grant_roles", "/admin/security/xh_water2/roles", SECURITY_ONLY,
          fixed({"roles": ["staff", "section_head"]})),
    Route("POST", "admin.reset_password", "/admin/security/xh_water2/password", SECURITY_ONLY,
          fixed({"password": "Another2026pass"})),
    Route("POST", "admin.unlock_login", "/admin/security/unlock/xh_water2", SECURITY_ONLY),
    Route("GET", "admin_audit.index", "/admin/audit", AUDIT_ONLY),
    Route("GET", "admin_audit.export", "/admin/audit/export.csv", AUDIT_ONLY),
    # the JSON API (bearer tokens; anonymous = no token → 401) ---------------------------------
    Route("GET", "api.openapi", "/api/v1/openapi.json", everyone(PUBLIC)),
    Route("GET", "api.inbox", "/api/v1/inbox", expect(OK)),
    Route("GET", "api.task", "/api/v1/tasks/{held}", SEE_TASK),
    Route("POST", "api.claim", "/api/v1/tasks/{open}/claim", CANDIDATES),
    Route("POST", "api.release", "/api/v1/tasks/{held}/release", HOLDER, fixed({"reason": "需科长协调"})),
    Route("POST", "api.complete", "/api/v1/tasks/{held}/complete", HOLDER, fixed(RECTIFIED_JSON)),
    Route("POST", "api.transfer", "/api/v1/tasks/{held}/transfer", HOLDER,
          fixed({"reason": "本人出差", "to_user": "xh_water2"})),
    Route("POST", "api.return_task", "/api/v1/tasks/{verify}/return", expect(ok=("section_head", "system_admin")),
          fixed({"reason": "佐证材料不足"})),
    Route("POST", "api.delegate", "/api/v1/tasks/{held}/delegate", HOLDER, fixed({"to_user": "xh_water2"})),
    Route("POST", "api.resolve", "/api/v1/tasks/{delegated}/resolve", expect(section_head=OK),
          fixed({"data": RECTIFIED_JSON["data"], "comment": "已核实"})),
    Route("POST", "api.copy", "/api/v1/tasks/{held}/copy", SEE_TASK, fixed({"to_users": ["xh_air1"]})),
    Route("POST", "api.add_cosigner", "/api/v1/tasks/{verify}/cosign", expect(ok=("section_head", "system_admin")),
          fixed({"mode": "before", "to_user": "xh_water2"})),
    Route("POST", "api.sign_cosign", "/api/v1/cosigns/{cosign}/sign", expect(staff=OK),
          fixed({"agree": True, "opinion": "同意"})),
    Route("POST", "api.comment", "/api/v1/tasks/{held}/comments", SEE_TASK, fixed({"body": "请尽快整改"})),
    Route("GET", "api.startable", "/api/v1/startable", expect(OK)),
    # designers' tools (web/api_designer.py): designers and admins
    Route("GET", "api.definitions", "/api/v1/definitions", SCENARIO_RUNNERS),
    Route("POST", "api.validate_definitions", "/api/v1/definitions/validate", SCENARIO_RUNNERS, _designer_upload,
          changes=False, note="deploy's checks only: nothing is saved"),
    Route("POST", "api.deploy_definitions", "/api/v1/deployments", SCENARIO_RUNNERS,
          lambda world: {"files": (io.BytesIO(_editor_model(world)["content"].encode()), "ghostly.bpmn",
                                   "application/xml")},
          note="multipart; a new version of the ghostly process each time"),
    Route("POST", "api.start_process", "/api/v1/processes/ledger_matter/start", MATTER_STARTERS, _matter_start_json),
    Route("POST", "api.upload_start_attachments", "/api/v1/processes/complaint_12369/attachments",
          expect(ok=("liaison", "supervisor", "system_admin")), _photo, note="multipart; office staff start complaints"),
    Route("POST", "api.withdraw", "/api/v1/instances/{withdrawable}/withdraw", expect(liaison=OK),
          fixed({"reason": "重复登记"})),
    Route("POST", "api.urge", "/api/v1/tasks/{held}/urge", URGERS, fixed({"message": "请加快整改进度"})),
    Route("POST", "api.request_extension", "/api/v1/tasks/{held}/extension", HOLDER, _extension),
    Route("GET", "api.pending_extensions", "/api/v1/extensions", expect(OK)),
    Route("POST", "api.decide_extension", "/api/v1/extensions/{extension}/decide", EXTENSION_DECIDERS,
          fixed({"approve": True, "note": "同意"})),
    Route("GET", "api.records", "/api/v1/supervision/records", expect(OK)),
    Route("GET", "api.record", "/api/v1/supervision/records/{record}", RECORD_VIEWERS),
    Route("POST", "api.set_record_deadline", "/api/v1/supervision/records/{record}/deadline",
          expect(NOT_FOUND, ok=("supervisor", "system_admin"), forbidden=("section_head",)), _record_deadline),
    Route("POST", "api.report_record", "/api/v1/supervision/records/{record}/report",
          expect(NOT_FOUND, ok=("section_head", "system_admin"), forbidden=("supervisor",)), fixed({"note": "已整改"})),
    Route("POST", "api.verify_record", "/api/v1/supervision/records/{reported_record}/verify",
          expect(NOT_FOUND, ok=("supervisor", "system_admin"), forbidden=("section_head", "staff")),
          fixed({"approve": True})),
    Route("POST", "api.list_for_supervision", "/api/v1/tasks/{verify}/supervision",
          expect(ok=("supervisor", "system_admin")), fixed({"note": "重点督办"})),
    Route("PUT", "api.save_draft", "/api/v1/tasks/{held}/draft", HOLDER, fixed({"data": {"measures": "正在改造管网"}})),
    Route("GET", "api.attachments", "/api/v1/tasks/{held}/attachments", SEE_TASK),
    Route("POST", "api.upload", "/api/v1/tasks/{held}/attachments", HOLDER, _photo, note="multipart, not JSON"),
    Route("GET", "api.download", "/api/v1/attachments/{attachment}", SEE_TASK),
    Route("GET", "api.instance", "/api/v1/instances/{service}", SEE_TASK),
    Route("GET", "api.enterprises", "/api/v1/enterprises", expect(OK)),
    Route("GET", "api.enterprise", "/api/v1/enterprises/{enterprise_id}", SEE_ENTERPRISE),
    Route("GET", "api.ledger", "/api/v1/enterprises/{enterprise_id}/ledger", SEE_ENTERPRISE),
)
