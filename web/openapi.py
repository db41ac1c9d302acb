"""The OpenAPI 3.1 document of /api/v1 (served at /api/v1/openapi.json).

The schemas are JSON Schema 2020-12 and use the shapes of the CLI's `--json`: Task is
`sanfu tasks --json`'s row, Instance is `sanfu show --json`, LedgerMatter is a row of
`sanfu ledger --json`.
"""
from __future__ import annotations

from engine.inbox.views import VIEWS

from .openapi_designer import designer_operations

STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}


def _null(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


def _object(properties: dict, required=None, extra: bool = True) -> dict:
    out = {"type": "object", "properties": properties,
           "required": list(properties) if required is None else required}
    if not extra:
        out["additionalProperties"] = False
    return out


TASK = _object({
    "id": STR, "instance_id": INT, "process_key": STR, "version": INT, "element_id": STR, "name": STR,
    "lane": _null(STR), "assignee": _null(STR), "candidate_groups": _array(STR),
    "candidate_users": _array(STR), "due_at": _null(TIME), "due_at_local": _null(TIME),
    "created_at": TIME, "status": STR,
    "form_key": _null(STR), "unrouted": BOOL, "unit_id": _null(INT), "enterprise_id": _null(INT),
    "completed_at": _null(TIME), "completed_by": _null(STR),
    "subject": {**_null(STR), "description": "what work without an enterprise is about (a complaint's summary)"},
    "urge_count": {**INT, "description": "how many times it was urged (催办 ×N)"},
})
HISTORY_EVENT = _object({"id": INT, "at": TIME, "actor": STR, "action": STR, "instance_id": _null(INT),
                         "task_id": _null(STR), "detail": {}})
COPY_INFO = _object({"id": INT, "sender": STR, "note": STR, "created_at": TIME, "read": BOOL})
INBOX_ROW = {"allOf": [_ref("Task"), _object({"enterprise_name": STR, "assignee_name": _null(STR), "overdue": BOOL,
                                              "copy_info": COPY_INFO}, required=["enterprise_name", "overdue"])],
             "description": "copy_info only in the copied (抄送我的) view"}
INBOX_PAGE = _object({
    "view": {"type": "string", "enum": list(VIEWS)}, "rows": _array(_ref("InboxRow")),
    "counts": {**_object({view: INT for view in VIEWS}),
               "description": "per view, counted up to count_cap + 1 rows (shown as 99+ beyond the cap); "
                              "copied counts unread copies"},
    "count_cap": INT, "counts_capped": _object({view: BOOL for view in VIEWS}),
    "total": {**_null(INT), "description": "the view's row count when under the cap, else null: page on has_next"},
    "has_next": BOOL, "page": INT, "per_page": INT,
    "filters": {"type": "object", "description": "the filters applied, as given back"},
})
TASK_VIEW = _object({
    "task": {"allOf": [_ref("Task"), _object({"enterprise_name": STR, "process_name": STR})]},
    "form": {"type": ["object", "null"], "description": "the task's form (JSON Schema), if it has one"},
    "data": {"type": "object"}, "can_claim": BOOL, "can_complete": BOOL, "can_release": BOOL,
    "history": _array(_ref("HistoryEvent")),
})
INSTANCE = _object({
    "id": INT, "process_key": STR, "version": INT, "status": STR, "started_by": _null(STR),
    "data": {"type": "object"}, "unit_id": _null(INT), "enterprise_id": _null(INT), "subject": _null(STR),
    "open_tasks": _array(_ref("Task")), "history": _array(_ref("HistoryEvent")),
})
COMPLETE_RESULT = _object({"instance_id": INT, "status": STR, "warnings": _array(STR)})
LEDGER_MATTER = _object({
    "id": INT, "instance_id": INT, "scope": STR, "enterprise_id": _null(INT), "unit_id": _null(INT),
    "source": STR, "category": STR, "description": STR, "severity": STR, "section": STR,
    "responsible_person": STR, "status": STR, "deadline": _null(TIME), "measures": STR,
    "evidence": _array({}), "explanation": STR, "department": STR, "answer": STR,
    "closed_at": _null(TIME), "updated_at": TIME,
})
ENTERPRISE_ROW = _object({
    "id": INT, "name": STR, "credit_code": STR, "scale": STR, "type": STR, "priority": BOOL, "unit": STR,
    "liaison": STR, "contact_leader": STR, "status": STR, "phone": STR, "pairing_year": INT,
    "open_matters": INT, "overdue_matters": INT,
    "service": {"type": "object", "description": "本月服务: status (served, pending, warning, missed, not_required), "
                "text, colour (yellow, red or null), last_missed (last month ended without service), last_month"},
})
ENTERPRISE_PAGE = _object({"rows": _array(_ref("EnterpriseRow")), "total": INT, "page": INT, "per_page": INT})
ENTERPRISE = _object({
    "enterprise": {**_object({"id": INT, "name": STR, "credit_code": STR, "unit": STR, "unit_id": INT}),
                   "description": "the enterprise with its unit, liaison (and phone) and contact leader"},
    "visits": _array({"type": "object", "description": "走访: each visit step completed"}),
    "checks": _array({"type": "object", "description": "体检: each health check completed"}),
    "matters": _array(_ref("LedgerMatter")),
    "ratings": _array({"type": "object", "description": "回访评价: each follow-up's satisfaction"}),
    "service": _array({"type": "object", "description": "每月服务: the last six months, newest first: year, "
                       "month, label, status, text, colour and the contacts (date, mode, summary, recorded_by)"}),
    "may_record_contact": BOOL,
}, required=["enterprise", "visits", "checks", "matters", "ratings"])
ERROR = _object({"error": _object({
    "status": INT, "title": STR, "message": STR,
    "code": {"type": "string", "description": "stable error code: invalid_input, form_invalid, definition_error, "
             "script_error, not_found, gone, not_allowed, conflict, unauthorized, error; or a more precise one "
             "(no_such_task, no_such_instance, task_closed, already_claimed, task_delegated, not_assignee, "
             "not_candidate, task_not_visible, instance_not_visible, unknown_user, admins_only, designers_only)"},
    "fields": {"type": "object", "additionalProperties": STR,
               "description": "field (dotted path for nested fields) → message"},
}, required=["status", "code", "message"])})
# The lengths of the columns these values reach (web/input_guard.py refuses longer ones with 422).
TEXT_2000 = {"type": "string", "minLength": 1, "maxLength": 2000}
NOTE, LOGIN, CODE = {"type": "string", "maxLength": 2000}, {"type": "string", "minLength": 1, "maxLength": 64}, \
    {"type": "string", "maxLength": 128}
REQUESTS = {
    "ReleaseRequest": _object({"reason": TEXT_2000}),
    "CompleteRequest": _object({"data": {"type": "object", "description": "the form's fields"}}, required=[]),
    "ReturnRequest": _object({"reason": TEXT_2000}),
    "DelegateRequest": _object({"to_user": LOGIN, "note": NOTE}, required=["to_user"]),
    "ResolveRequest": _object({"data": {"type": "object", "description": "the form as entered (kept as the draft)"},
                               "comment": NOTE}, required=[]),
    "CopyRequest": _object({"to_users": {"type": "array", "items": STR, "minItems": 1}, "note": NOTE},
                           required=["to_users"]),
    "CommentRequest": _object({"body": {"type": "string", "minLength": 1, "maxLength": 2000}}),
    "DraftRequest": _object({"data": {"type": "object", "description": "the form as entered, unvalidated"}}),
    "UploadRequest": {"type": "object", "properties": {"file": _array({"type": "string", "format": "binary"}),
                                                       "field": STR}, "required": ["file"],
                      "description": "multipart/form-data: one or more JPEG, PNG, WebP or PDF files"},
    "TransferRequest": {**_object({"reason": TEXT_2000, "to_user": LOGIN, "to_section": CODE, "to_unit": CODE},
                                  required=["reason"]),
                        "description": "reason, and one of to_user, to_section (a section code or name; "
                                       "with to_unit: of that unit) or to_unit (its 办公室)"},
}
EXTENSION = _object({
    "id": INT, "task_id": STR, "instance_id": INT, "status": {"type": "string", "enum": ["pending", "approved",
                                                                                         "refused", "withdrawn"]},
    "status_text": STR, "section_id": _null(INT), "requested_by": STR, "requested_at": TIME,
    "current_due_at": _null(TIME), "new_due_at": TIME, "new_due_date": {"type": "string", "format": "date"},
    "reason": STR, "decided_by": _null(STR), "decided_at": _null(TIME), "decision_note": STR,
}, required=["id", "task_id", "status", "new_due_at", "reason"])
REQUESTS.update({
    "UrgeRequest": _object({"message": {"type": "string", "minLength": 1, "maxLength": 500}}),
    "ExtensionRequest": _object({"new_due_date": {"type": "string", "format": "date",
                                                  "description": "a working day later than the current deadline"},
                                 "reason": {"type": "string", "minLength": 1, "maxLength": 2000}}),
    "ExtensionDecision": _object({"approve": BOOL, "note": {"type": "string", "maxLength": 2000,
                                                            "description": "required when refusing"}},
                                 required=["approve"]),
})
RECORD_STATUS = {"type": "string", "enum": ["open", "verifying", "closed"],
                 "description": "督办中 → 待复核 → 已销号"}
RECORD = _object({
    "id": INT, "number": STR, "year": INT, "serial": INT, "title": STR, "detail": STR,
    "source": {"type": "string", "enum": ["ladder", "manual"]}, "task_id": _null(STR), "instance_id": _null(INT),
    "enterprise_id": _null(INT), "unit_id": _null(INT), "unit_name": STR, "unit_code": STR, "section_id": _null(INT),
    "section_name": STR, "responsible": _null(STR), "responsible_name": STR, "status": RECORD_STATUS,
    "status_text": STR, "deadline": _null(TIME), "deadline_passed": BOOL, "opened_at": TIME, "opened_by": STR,
    "closed_at": _null(TIME), "closed_by": _null(STR),
    "carried_over": {"type": "boolean", "description": "跨年: opened in an earlier year and still open when this "
                                                      "year began"},
}, required=["id", "number", "status", "title"])
REQUESTS.update({
    "RecordDeadlineRequest": _object({"deadline": {"type": "string", "description": "a date (the end of that "
                                                   "working day, Beijing time) or an ISO date-time", "maxLength": 40},
                                      "note": {"type": "string", "maxLength": 2000}}, required=["deadline"]),
    "RecordReportRequest": _object({"note": {"type": "string", "minLength": 1, "maxLength": 2000}}),
    "RecordVerifyRequest": _object({"approve": BOOL, "note": {"type": "string", "maxLength": 2000,
                                                              "description": "required when sending it back"}},
                                   required=["approve"]),
    "ListForSupervisionRequest": _object({"note": {"type": "string", "minLength": 1, "maxLength": 2000},
                                          "deadline": {"type": "string", "maxLength": 40}}, required=["note"]),
})
REQUESTS.update({  # 加签 (web/api_cosign.py)
    "CosignRequest": _object({"to_user": {"type": "string", "minLength": 1},
                              "mode": {"type": "string", "enum": ["before", "after"],
                                       "description": "before: 前加签; after: 后加签 (with `data`, validated)"},
                              "note": {"type": "string", "maxLength": 2000},
                              "data": {"type": "object", "description": "after: the form's fields"}},
                             required=["to_user", "mode"]),
    "SignRequest": _object({"agree": BOOL, "opinion": {"type": "string", "maxLength": 2000,
                                                       "description": "required when refusing"}},
                           required=["agree"]),
})
REQUESTS.update({  # 发起 and 撤回 (web/api_start.py)
    "StartRequest": _object({"data": {"type": "object", "description": "the start form's fields (validated); "
                                      "an attachment field lists refs from POST /api/v1/processes/{key}/attachments"}}),
    "WithdrawRequest": _object({"reason": {"type": "string", "minLength": 1, "maxLength": 2000}},
                               required=["reason"]),
})
COSIGN = _object({"id": INT, "task_id": STR, "instance_id": INT, "mode": STR, "holder": STR, "cosigner": STR,
                  "note": STR, "data": _null({"type": "object"}), "status": STR, "opinion": STR, "created_at": TIME,
                  "decided_at": _null(TIME)}, required=["id", "task_id", "mode", "status"])
SCHEMAS = {"Task": TASK, "Extension": EXTENSION, "SupervisionRecord": RECORD,
           "InboxRow": INBOX_ROW, "InboxPage": INBOX_PAGE, "TaskView": TASK_VIEW,
           "Instance": INSTANCE, "HistoryEvent": HISTORY_EVENT, "CompleteResult": COMPLETE_RESULT,
           "LedgerMatter": LEDGER_MATTER, "EnterpriseRow": ENTERPRISE_ROW, "EnterprisePage": ENTERPRISE_PAGE,
           "Enterprise": ENTERPRISE, "Error": ERROR, **REQUESTS}

ERRORS = {"400": "请求体不是合法的 JSON 对象", "401": "缺少、无效或已撤销的 API 令牌", "403": "无权查看或办理",
          "404": "不存在", "409": "冲突：已被认领、已完成，或别人刚刚修改了同一事项", "413": "请求体过大",
          "422": "内容不符合要求（fields 列出每个字段的问题）"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(summary: str, ok: dict, errors: str, *, params=(), body: str | None = None) -> dict:
    out = {"summary": summary, "operationId": summary.split(":")[0], "responses": {"200": _json(*ok.values())}}
    out["responses"].update({code: {"$ref": f"#/components/responses/E{code}"} for code in errors.split()})
    if params:
        out["parameters"] = list(params)
    if body:
        media = "multipart/form-data" if body == "UploadRequest" else "application/json"
        out["requestBody"] = {"required": body not in ("CompleteRequest", "ResolveRequest"),
                              "content": {media: {"schema": _ref(body)}}}
    return out


def _path_param(name: str, schema: dict) -> dict:
    # What the database can hold, enforced before any query (web/converters.py, web/input_guard.py): an id
    # is a PostgreSQL integer, a process key at most 255 characters.
    if schema.get("type") == "integer":
        schema = {**schema, "minimum": 1, "maximum": 2**31 - 1}
    elif schema.get("type") == "string" and "maxLength" not in schema and "pattern" not in schema:
        schema = {**schema, "minLength": 1, "maxLength": 255}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _ok(schema: dict, description: str = "OK") -> dict:
    return {"schema": schema, "description": description}


def _inbox_params() -> list:
    return [_query("view", {"type": "string", "enum": list(VIEWS), "default": "todo"},
                   "todo 待办, claimable 科室待认领, done 已办, started 我发起的, copied 抄送我的"),
            _query("page", {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1}, "page number"),
            _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "rows per page"),
            _query("q", {"type": "string", "maxLength": 100}, "enterprise name or credit code"),
            _query("process", {"type": "string", "maxLength": 100}, "process key"),
            _query("task_name", {"type": "string", "maxLength": 100}, "step name"),
            _query("due_from", {"type": "string", "format": "date"}, "due on or after (Asia/Shanghai day)"),
            _query("due_to", {"type": "string", "format": "date"}, "due on or before (Asia/Shanghai day)"),
            _query("overdue", {"type": "boolean"}, "overdue tasks only"),
            _query("sort", {"type": "string", "enum": ["due", "-due", "-created", "created"]},
                   "due date (default) or created time; '-' = descending")]


def _enterprise_params() -> list:
    enterprise_filters = [_query(name, {"type": "string", "maxLength": 100}, text) for name, text in (
        ("q", "name or credit code"), ("unit", "unit code (and the units below it)"), ("scale", "大 中 小 微"),
        ("type", "enterprise type"), ("liaison", "the liaison's login name"), ("status", "pairing status"),
        ("service", "本月服务: served | unserved | warning (unserved from the 25th) | missed (last month)"))]
    return enterprise_filters + _inbox_params()[1:3]


def _task_operations(task_id: dict) -> dict:
    """POST /api/v1/tasks/{task_id}/<verb>, and the task's attachments."""
    ops = {
        "claim": ("claim: 认领 a task of one's section", _ok(_ref("Task")), "401 403 404 409", None),
        "release": ("release: 释放 a claimed task back to its section (with a reason)", _ok(_ref("Task")),
                    "400 401 403 404 409 413 422", "ReleaseRequest"),
        "complete": ("complete: 办理 — submit the task's form", _ok(_ref("CompleteResult")),
                     "400 401 403 404 409 413 422", "CompleteRequest"),
        "transfer": ("transfer: 转办 to a person, section or unit", _ok(_ref("Task")),
                     "400 401 403 404 409 413 422", "TransferRequest"),
        "return": ("return: 退回 to the previous step (with a reason, filed for the section head); "
                   "answers the reopened task", _ok(_ref("Task")), "400 401 403 404 409 413 422", "ReturnRequest"),
        "delegate": ("delegate: 委派 — the delegate works on it and resolves it back to the holder",
                     _ok(_ref("Task")), "400 401 403 404 409 413 422", "DelegateRequest"),
        "resolve": ("resolve: 完成委派 — back to the owner, the data kept as the draft", _ok(_ref("Task")),
                    "400 401 403 404 409 413 422", "ResolveRequest"),
        "copy": ("copy: 抄送 to colleagues, who may then read the task",
                 _ok(_object({"task_id": STR, "added": _array(STR), "already": _array(STR)})),
                 "400 401 403 404 413 422", "CopyRequest"),
        "comments": ("comment: a comment on the task's instance",
                     _ok(_object({"id": INT, "instance_id": INT, "task_id": STR, "author": STR, "body": STR},
                                 required=["id", "body"])), "400 401 403 404 413 422", "CommentRequest"),
    }
    paths = {f"/api/v1/tasks/{{task_id}}/{verb}": {
        "post": _operation(summary, ok, errors, params=[task_id], body=body)}
        for verb, (summary, ok, errors, body) in ops.items()}
    uploaded = _object({"attachments": _array({"type": "object"}),
                        "errors": {"type": "object", "additionalProperties": STR, "description": UPLOAD_ERRORS}})
    paths["/api/v1/tasks/{task_id}/attachments"] = {
        "post": _operation("upload: attach photos or PDFs to the task (each file its own command)",
                           _ok(uploaded), "401 403 404 409 413 422", params=[task_id], body="UploadRequest"),
        "get": _operation("attachments: the files of the task's instance", _ok({"type": "object"}),
                          "401 403 404", params=[task_id])}
    return paths


UPLOAD_ERRORS = ("file.<n> → why that file was refused: some files saved answer 200 with the others here; "
                 "none saved answers 422 with the error envelope")


def _deadline_operations(task_id: dict) -> dict:
    """催办 and 延期 (web/api_deadlines.py)."""
    urged = _object({"id": INT, "task_id": STR, "message": STR, "urge_count": INT, "recipients": _array(STR),
                     "created_at": TIME})
    pending = _object({"rows": _array({"allOf": [_ref("Extension"), _object(
        {"task_name": STR, "enterprise_name": STR, "section_name": STR})]}), "heads_sections": BOOL})
    extension_id = _path_param("extension_id", INT)
    return {
        "/api/v1/tasks/{task_id}/urge": {"post": _operation(
            "urge: 催办 — a leader, supervisor or section head presses the holder (counted, notified)",
            _ok(urged), "400 401 403 404 409 413 422", params=[task_id], body="UrgeRequest")},
        "/api/v1/tasks/{task_id}/extension": {"post": _operation(
            "extension: 延期申请 — the holder asks the section head for a later deadline",
            _ok(_ref("Extension")), "400 401 403 404 409 413 422", params=[task_id], body="ExtensionRequest")},
        "/api/v1/extensions": {"get": _operation(
            "extensions: the 延期申请 waiting for the caller's decision (the sections they head)",
            _ok(pending), "401")},
        "/api/v1/extensions/{extension_id}/decide": {"post": _operation(
            "decide: 延期审批 — approve (the deadline moves) or refuse (with a note) a pending request",
            _ok(_ref("Extension")), "400 401 403 404 409 413 422", params=[extension_id],
            body="ExtensionDecision")},
    }


def _cosign_operations(task_id: dict) -> dict:
    """加签 (web/api_cosign.py)."""
    completed = {"anyOf": [_ref("CompleteResult"), {"type": "null"}]}  # after, agreed: the step's completion
    signed = _object({"cosign": COSIGN, "task": _ref("Task"), "completed": completed})
    return {
        "/api/v1/tasks/{task_id}/cosign": {"post": _operation(
            "cosign: 加签 — the holder of an approval step adds a co-signer before (前加签) or after (后加签, "
            "submitting the form) themselves; the step waits for them", _ok(COSIGN),
            "400 401 403 404 409 413 422", params=[task_id], body="CosignRequest")},
        "/api/v1/cosigns/{cosign_id}/sign": {"post": _operation(
            "sign: the co-signer agrees, or refuses with a reason (the task returns to its holder; an agreed "
            "后加签 completes the step with the holder's data)", _ok(signed), "400 401 403 404 409 413 422",
            params=[_path_param("cosign_id", INT)], body="SignRequest")},
    }


def _record_operations(task_id: dict) -> dict:
    """督办单 (web/api_records.py)."""
    record_id = _path_param("record_id", INT)
    page = _object({"year": INT, "rows": _array(_ref("SupervisionRecord")), "has_next": BOOL,
                    "counts": _object({s: INT for s in ("open", "verifying", "closed")}), "carried_over": INT})
    shown = {"allOf": [_ref("SupervisionRecord"), _object({
        "history": _array(_object({"at": TIME, "actor": STR, "actor_name": STR, "action": STR, "action_text": STR,
                                   "note": STR, "deadline": _null(TIME)})),
        "can_set_deadline": BOOL, "can_report": BOOL, "can_verify": BOOL})]}
    changed = _ok(_object({"id": INT, "status": RECORD_STATUS}))
    params = [_query("year", {"type": "integer", "minimum": 2000, "maximum": 2100}, "default: this year"),
              _query("status", RECORD_STATUS, "only records in this state"),
              _query("unit", {"type": "string", "maxLength": 64}, "a unit code: it and the units below it"),
              _query("page", {"type": "integer", "minimum": 1, "maximum": 100_000}, "1-based"),
              _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "default 50")]
    step = "400 401 403 404 409 413 422"
    return {
        "/api/v1/supervision/records": {"get": _operation(
            "records: 挂牌督办 — the year's 督办单 the caller sees, 跨年 ones carried over",
            _ok(page), "401 404 422", params=params)},
        "/api/v1/supervision/records/{record_id}": {"get": _operation(
            "record: a 督办单 with its history and what the caller may do", _ok(shown), "401 404",
            params=[record_id])},
        "/api/v1/supervision/records/{record_id}/deadline": {"post": _operation(
            "record_deadline: 限期整改 — a new deadline (the task's moves with it)", changed, step,
            params=[record_id], body="RecordDeadlineRequest")},
        "/api/v1/supervision/records/{record_id}/report": {"post": _operation(
            "record_report: 报告整改情况 — the person responsible asks for 复核", changed, step,
            params=[record_id], body="RecordReportRequest")},
        "/api/v1/supervision/records/{record_id}/verify": {"post": _operation(
            "record_verify: 复核 — close it (销号) or send it back", changed, step, params=[record_id],
            body="RecordVerifyRequest")},
        "/api/v1/tasks/{task_id}/supervision": {"post": _operation(
            "list_for_supervision: 挂牌督办 by hand — a supervisor lists an open task of their scope",
            _ok(_object({"id": INT, "number": STR})), step, params=[task_id], body="ListForSupervisionRequest")},
    }


def _paths() -> dict:
    task_id = _path_param("task_id", {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,64}$",
                                      "description": "a task's id (a UUID)"})
    inbox, enterprise_filters = _inbox_params(), _enterprise_params()
    paths = {
        "/api/v1/inbox": {"get": _operation("inbox: one page of an inbox view, with every view's count",
                                            _ok(_ref("InboxPage")), "401 422", params=inbox)},
        "/api/v1/tasks/{task_id}": {"get": _operation("task: a task with its form, data and history",
                                                      _ok(_ref("TaskView")), "401 403 404", params=[task_id])},
        "/api/v1/instances/{instance_id}": {"get": _operation(
            "instance: an instance's state, open tasks and history (as `sanfu show --json`)",
            _ok(_ref("Instance")), "401 403 404", params=[_path_param("instance_id", INT)])},
        "/api/v1/enterprises": {"get": _operation(
            "enterprises: one page of the paired enterprises the caller sees, with open and overdue matters",
            _ok(_ref("EnterprisePage")), "401 422", params=enterprise_filters)},
        "/api/v1/enterprises/{enterprise_id}": {"get": _operation(
            "enterprise: 一企一账 — the enterprise with its visits, health checks, matters and ratings",
            _ok(_ref("Enterprise")), "401 403 404", params=[_path_param("enterprise_id", INT)])},
        "/api/v1/enterprises/{enterprise_id}/ledger": {"get": _operation(
            "ledger: 一企一账 — every matter of an enterprise (as `sanfu ledger --json`)",
            _ok(_array(_ref("LedgerMatter"))), "401 403 404", params=[_path_param("enterprise_id", INT)])},
        "/api/v1/tasks/{task_id}/draft": {"put": _operation(
            "draft: 保存草稿 — keep the form as entered, unvalidated",
            _ok(_object({"task_id": STR, "saved_by": STR, "saved_at": TIME})), "400 401 403 404 409 413 422",
            params=[task_id], body="DraftRequest")},
        "/api/v1/attachments/{attachment_id}": {"get": {
            **_operation("download: an attachment's file", _ok({"type": "string", "format": "binary"}),
                         "401 403 404", params=[_path_param("attachment_id", {"type": "string",
                                                                               "pattern": "^[0-9a-f]{32}$"})]),
            "responses": {"200": {"description": "the file (JPEG, PNG, WebP or PDF)",
                                  "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in
                                              ("image/jpeg", "image/png", "image/webp", "application/pdf")}},
                          **{code: {"$ref": f"#/components/responses/E{code}"} for code in ("401", "403", "404")}}}},
        "/api/v1/openapi.json": {"get": {**_operation("openapi: this document", _ok({"type": "object"}), ""),
                                         "security": []}},
    }
    paths.update(_task_operations(task_id))
    paths.update(_deadline_operations(task_id))
    paths.update(_cosign_operations(task_id))
    paths.update(_record_operations(task_id))
    paths.update(_start_operations())
    paths.update(designer_operations())  # web/openapi_designer.py
    return paths


def _start_operations() -> dict:
    """发起 and 撤回 (web/api_start.py)."""
    startable = _array(_object({"key": STR, "name": STR, "version": INT, "description": STR,
                                "form_key": _null(STR), "form": _null({"type": "object"})}))
    started = _object({"id": INT, "process_key": STR, "version": INT, "status": STR})
    return {
        "/api/v1/startable": {"get": _operation(
            "startable: the processes the caller may start, each with its start form's JSON Schema",
            _ok(startable), "401")},
        "/api/v1/processes/{key}/start": {"post": _operation(
            "start: 发起 — start the latest version with the start form's data (a second running 结对服务 of "
            "the enterprise this year: 409)", _ok(started), "400 401 403 404 409 413 422",
            params=[_path_param("key", STR)], body="StartRequest")},
        "/api/v1/processes/{key}/attachments": {"post": _operation(
            "upload for a start: photos or PDFs for the start form's attachment field (multipart `file`, optional "
            "`field`), each file its own command, stored as a task's are; put each answer's `ref` "
            "(attachment:<id>) in that field of the start's data — the instance takes them when it starts, a "
            "refused start leaves them for the next try, unused ones are deleted after a day",
            _ok(_object({"attachments": _array({"type": "object"}),
                         "errors": {"type": "object", "additionalProperties": STR, "description": UPLOAD_ERRORS}})),
            "401 403 404 413 422", params=[_path_param("key", STR)], body="UploadRequest")},
        "/api/v1/instances/{instance_id}/withdraw": {"post": _operation(
            "withdraw: 撤回 — the starter cancels the instance while nobody else has acted on it (filed)",
            _ok(_object({"id": INT, "status": STR})), "400 401 403 404 409 413 422",
            params=[_path_param("instance_id", INT)], body="WithdrawRequest")},
    }


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "sanfu 三服务 API", "version": "1.0.0",
                 "description": "The task inbox and the workflow engine of the 三服务 campaign. "
                                "Authenticate with `Authorization: Bearer <token>` "
                                "(create one with `sanfu token create NAME --as USER`)."},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "an API token: sanfu_…"}},
            "schemas": SCHEMAS,
            "responses": {f"E{code}": _json(_ref("Error"), text) for code, text in ERRORS.items()},
        },
    }
