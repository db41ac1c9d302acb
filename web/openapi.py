"""The OpenAPI 3.1 document of /api/v1 (served at /api/v1/openapi.json): its operations, one
function per area; the schemas they name are in web/openapi_schemas.py, the designers' operations
in web/openapi_designer.py. web/input_guard.py enforces the parameters' documented rules."""
from __future__ import annotations

from engine.inbox.views import VIEWS

from .openapi_designer import designer_operations
from .openapi_schemas import BOOL, COSIGN, ERRORS, INT, RECORD_STATUS, SCHEMAS, STR, TIME, _array, _null, _object, _ref


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
        "get": _operation(
            "attachments: the task's own files and the newest `others` of its instance's other steps "
            "(others_more: how many older ones are left out); with page: all the instance's files, 50 a page",
            _ok(_object({"attachments": _array({"type": "object"}), "others_more": INT,
                         "attachments_page": _ref("HistoryPage")}, required=["attachments"])), "401 403 404 422",
            params=[task_id, _query("others", {"type": "integer", "minimum": 0, "maximum": 200}, "default 20"),
                    _query("page", {"type": "integer", "minimum": 1, "maximum": 100_000},
                           "one page of the instance's files, page 1 the newest")])}
    return paths


UPLOAD_ERRORS = ("file.<n> → why that file was refused: some files saved answer 200 with the others here; "
                 "none saved answers 422 with the error envelope")


def _deadline_operations(task_id: dict) -> dict:
    """催办 and 延期 (web/api_deadlines.py)."""
    urged = _object({"id": INT, "task_id": STR, "message": STR, "urge_count": INT, "recipients": _array(STR),
                     "created_at": TIME})
    pending = _object({"rows": _array({"allOf": [_ref("Extension"), _object(
        {"task_name": STR, "enterprise_name": STR, "section_name": STR})]}), "more": BOOL, "heads_sections": BOOL})
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
            "instance: an instance's state, open tasks and one page of its history (50 events, page 1 the newest)",
            _ok(_ref("Instance")), "401 403 404 422",
            params=[_path_param("instance_id", INT),
                    _query("history_page", {"type": "integer", "minimum": 1, "maximum": 100_000},
                           "1 (default) is the newest events; 2 the 50 before them …")])},
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
                                "(create one with `sanfu token create NAME --as USER`). "
                                "Date-times are ISO 8601 / RFC 3339 with their offset: instants in UTC "
                                "(`2026-12-04T08:20:00+00:00`), `*_local` fields in Beijing time (`+08:00`); "
                                "dates are `YYYY-MM-DD`. Request bodies are JSON objects checked against "
                                "their schemas here (422 names each field that breaks one)."},
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
