"""The schemas of the OpenAPI document (web/openapi.py): JSON Schema 2020-12 in the shapes of the
CLI's `--json` — Task is `sanfu tasks --json`'s row, Instance `sanfu show --json`, LedgerMatter a row
of `sanfu ledger --json` — the request bodies, and the error envelope."""
from __future__ import annotations

from engine.inbox.views import VIEWS

STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}  # ISO 8601 with its offset (web/json_provider.py)


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
    "history": {**_array(_ref("HistoryEvent")), "description": "the newest page of the instance's history"},
    "history_page": _ref("HistoryPage"),
    "comments_older": {**INT, "description": "older comments left out (the newest 50 are in comments; "
                                             "every comment is in the history)"},
})
HISTORY_PAGE = {**_object({"page": INT, "pages": INT, "per_page": INT, "total": INT}),
                "description": "where a page of an instance's history stands: page 1 is the newest events "
                               "(oldest first within the page); the instance's history_page parameter pages back"}
INSTANCE = _object({
    "id": INT, "process_key": STR, "version": INT, "status": STR, "started_by": _null(STR),
    "data": {"type": "object"}, "unit_id": _null(INT), "enterprise_id": _null(INT), "subject": _null(STR),
    "open_tasks": _array(_ref("Task")), "history": _array(_ref("HistoryEvent")),
    "history_page": _ref("HistoryPage"),
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
# Request bodies: what each view accepts, with the lengths of the columns the values reach; anything
# else (a wrong type, text too long, a field the operation does not take) is refused with 422 before
# the view runs (web/api_bodies.py). An optional text may be null or "" (= not given).
TEXT_2000 = {"type": "string", "minLength": 1, "maxLength": 2000}
NOTE = {"type": ["string", "null"], "maxLength": 2000}
LOGIN = {"type": "string", "minLength": 1, "maxLength": 64}
CODE = {"type": ["string", "null"], "maxLength": 128, "description": "a code (64) or a name (128)"}
FORM_DATA = {"type": "object", "description": "the form's fields (free-form here; the process's form checks them)"}


def _request(properties: dict, required=None) -> dict:
    """A request body's schema: these properties and no others."""
    return _object(properties, required=required, extra=False)


REQUESTS = {
    "ReleaseRequest": _request({"reason": TEXT_2000}),
    "CompleteRequest": _request({"data": FORM_DATA}, required=[]),
    "ReturnRequest": _request({"reason": TEXT_2000}),
    "DelegateRequest": _request({"to_user": LOGIN, "note": NOTE}, required=["to_user"]),
    "ResolveRequest": _request({"data": {**FORM_DATA, "description": "the form as entered (kept as the draft)"},
                                "comment": NOTE}, required=[]),
    "CopyRequest": _request({"to_users": {"type": "array", "items": LOGIN, "minItems": 1}, "note": NOTE},
                            required=["to_users"]),
    "CommentRequest": _request({"body": {"type": "string", "minLength": 1, "maxLength": 2000}}),
    "DraftRequest": _request({"data": {**FORM_DATA, "description": "the form as entered, unvalidated"}},
                             required=[]),
    "UploadRequest": {"type": "object", "properties": {"file": _array({"type": "string", "format": "binary"}),
                                                       "field": STR}, "required": ["file"],
                      "description": "multipart/form-data: one or more JPEG, PNG, WebP or PDF files"},
    "TransferRequest": {**_request({"reason": TEXT_2000, "to_user": {"type": ["string", "null"], "maxLength": 64},
                                    "to_section": CODE, "to_unit": CODE}, required=["reason"]),
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
    "UrgeRequest": _request({"message": {"type": "string", "minLength": 1, "maxLength": 500}}),
    "ExtensionRequest": _request({"new_due_date": {"type": "string", "format": "date", "maxLength": 10,
                                                   "description": "a working day later than the current deadline"},
                                  "reason": TEXT_2000}),
    "ExtensionDecision": _request({"approve": BOOL, "note": {**NOTE, "description": "required when refusing"}},
                                  required=["approve"]),
})
DEADLINE = {"type": "string", "maxLength": 40,
            "description": "a date (the end of that working day, Beijing time) or an ISO date-time"}
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
    "RecordDeadlineRequest": _request({"deadline": {**DEADLINE, "minLength": 1}, "note": NOTE},
                                      required=["deadline"]),
    "RecordReportRequest": _request({"note": TEXT_2000}),
    "RecordVerifyRequest": _request({"approve": BOOL, "note": {**NOTE, "description": "required when sending it back"}},
                                    required=["approve"]),
    "ListForSupervisionRequest": _request({"note": TEXT_2000, "deadline": {**DEADLINE, "type": ["string", "null"]}},
                                          required=["note"]),
})
REQUESTS.update({  # 加签 (web/api_cosign.py)
    "CosignRequest": _request({"to_user": LOGIN,
                               "mode": {"type": "string", "enum": ["before", "after"],
                                        "description": "before: 前加签; after: 后加签 (with `data`, validated)"},
                               "note": NOTE,
                               "data": {**_null(FORM_DATA), "description": "after: the form's fields"}},
                              required=["to_user", "mode"]),
    "SignRequest": _request({"agree": BOOL, "opinion": {**NOTE, "description": "required when refusing"}},
                            required=["agree"]),
})
REQUESTS.update({  # 发起 and 撤回 (web/api_start.py)
    "StartRequest": _request({"data": {**FORM_DATA, "description": "the start form's fields (validated in the "
                                       "engine); an attachment field lists refs from POST "
                                       "/api/v1/processes/{key}/attachments"}}, required=[]),
    "WithdrawRequest": _request({"reason": TEXT_2000}, required=["reason"]),
})
COSIGN = _object({"id": INT, "task_id": STR, "instance_id": INT, "mode": STR, "holder": STR, "cosigner": STR,
                  "note": STR, "data": _null({"type": "object"}), "status": STR, "opinion": STR, "created_at": TIME,
                  "decided_at": _null(TIME)}, required=["id", "task_id", "mode", "status"])
SCHEMAS = {"Task": TASK, "Extension": EXTENSION, "SupervisionRecord": RECORD,
           "InboxRow": INBOX_ROW, "InboxPage": INBOX_PAGE, "TaskView": TASK_VIEW,
           "Instance": INSTANCE, "HistoryEvent": HISTORY_EVENT, "HistoryPage": HISTORY_PAGE,
           "CompleteResult": COMPLETE_RESULT,
           "LedgerMatter": LEDGER_MATTER, "EnterpriseRow": ENTERPRISE_ROW, "EnterprisePage": ENTERPRISE_PAGE,
           "Enterprise": ENTERPRISE, "Error": ERROR, **REQUESTS}

ERRORS = {"400": "请求有误（如无法解析的 multipart 请求体）", "401": "缺少、无效或已撤销的 API 令牌",
          "403": "无权查看或办理",
          "404": "不存在", "409": "冲突：已被认领、已完成，或别人刚刚修改了同一事项", "413": "请求体过大",
          "422": "内容不符合要求：请求体不是 JSON 对象、不符合本文档的请求体定义，或表单校验未通过"
                 "（fields 列出每个字段的问题）"}
