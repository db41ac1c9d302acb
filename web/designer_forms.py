"""表单 — the designer's JSON Schema form editor: the list of forms (title, key, the processes using
it, a draft saved?) and, per form, a JSON editor beside a live preview rendered by the task page's own
code (web/schema_form.py and the tasks/_fields.html macros), so what the designer sees is what the
handler will get. 保存草稿 keeps the text without deploying; 部署为新版本 deploys a new version of every
process using the form (engine deploy_form). Designers and admins only: the engine refuses others.

The buttons post with fetch and read JSON (web/static/form_editor.js); without JavaScript the same
form posts and the page comes back with the message, and with what was typed."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.errors import DefinitionError, InvalidInput

from .extensions import get_engine
from .helpers import error_text, local_time, plain_message
from .schema_form import build_fields

bp = Blueprint("designer_forms", __name__, url_prefix="/designer")


@bp.route("/forms/", methods=["GET"])
@login_required
def index():
    return render_template("designer_forms/index.html", forms=get_engine().form_sources(current_user.id))


@bp.route("/edit/form/<key>", methods=["GET"])
@login_required
def edit(key: str):
    return _page(get_engine().form_source(current_user.id, key))


@bp.route("/edit/form/<key>/preview", methods=["POST"])
@login_required
def preview(key: str):
    """The preview as an HTML fragment; a schema deploy would refuse → its reason instead (422)."""
    content = request.form.get("content", "")
    try:
        schema = get_engine().preview_form(current_user.id, key, content)
    except DefinitionError as err:
        return render_template("designer_forms/_preview_error.html", error=_error(err)), 422
    return render_template("designer_forms/_preview.html", schema=schema, fields=build_fields(schema, {}, {}))


@bp.route("/edit/form/<key>/draft", methods=["POST"])
@login_required
def save_draft(key: str):
    engine = get_engine()
    source = engine.form_source(current_user.id, key)
    content = request.form.get("content", "")
    try:
        draft = engine.save_designer_draft(current_user.id, "form", key, content, name=source["title"])
    except InvalidInput as err:
        return _answer(source, content, errors=[{"text": error_text(err)}], status=422)
    message = _("草稿已保存（%(time)s），尚未部署", time=local_time(draft["saved_at"], "%H:%M:%S"))
    return _answer(engine.form_source(current_user.id, key), content, message=message)


@bp.route("/edit/form/<key>/discard", methods=["POST"])
@login_required
def discard_draft(key: str):
    engine = get_engine()
    gone = engine.discard_designer_draft(current_user.id, "form", key)
    source = engine.form_source(current_user.id, key)
    message = _("草稿已放弃，恢复为当前表单") if gone else _("没有草稿")
    return _answer(source, source["content"], message=message, extra={"discarded": gone,
                                                                      "content": source["content"]})


@bp.route("/edit/form/<key>/deploy", methods=["POST"])
@login_required
def deploy(key: str):
    """部署为新版本: the processes using the form, each as a new version (all-or-nothing)."""
    engine = get_engine()
    content = request.form.get("content", "")
    try:
        result = engine.deploy_form(current_user.id, key, content)
    except DefinitionError as err:
        errors = getattr(err, "errors", None) or [err]
        return _answer(engine.form_source(current_user.id, key), content, errors=[_error(e) for e in errors],
                       status=422)
    except InvalidInput as err:  # no deployed process uses the form
        return _answer(engine.form_source(current_user.id, key), content, errors=[{"text": error_text(err)}],
                       status=422)
    deployed = [p for p in result["processes"] if p["status"] == "deployed"]
    message = (_("已部署：%(list)s", list="、".join(f"{p['key']} v{p['version']}" for p in deployed)) if deployed
               else _("与已部署的表单相同，未生成新版本"))
    return _answer(engine.form_source(current_user.id, key), content, message=message,
                   extra={"processes": deployed, "warnings": [plain_message(w) for w in result["warnings"]],
                          "deployed_text": _("已部署为新版本，新发起的实例使用新表单：")})


def _answer(source: dict, content: str, message: str | None = None, errors: list | None = None,
            status: int = 200, extra: dict | None = None):
    """JSON for the editor's fetch; without JavaScript, the page again with what was typed."""
    if request.accept_mimetypes.best == "application/json":
        body = {"ok": not errors, "message": message, "errors": errors or [], **(extra or {})}
        return jsonify(body), status
    return _page(source, content=content, message=message, errors=errors, status=status)


def _page(source: dict, content: str | None = None, message: str | None = None, errors: list | None = None,
          status: int = 200):
    text = source["edit"] if content is None else content
    schema, preview_error = None, None
    try:
        schema = get_engine().preview_form(current_user.id, source["key"], text)
    except DefinitionError as err:
        preview_error = _error(err)
    fields = build_fields(schema, {}, {}) if schema else []
    return render_template("designer_forms/edit.html", f=source, content=text, schema=schema, fields=fields,
                           preview_error=preview_error, message=message, errors=errors or [],
                           config=_config(source["key"])), status


def _config(key: str) -> dict:
    """What form_editor.js needs: where to post, and its words in the page's language."""
    return {"preview": url_for(".preview", key=key),
            "process": url_for("designer.process", key="__key__", version=0).replace("/0", "/__version__"),
            "text": {"refreshing": _("正在刷新…"), "bad_json": _("JSON 格式错误，无法格式化"),
                     "failed": _("操作失败，请稍后重试"), "confirm_discard": _("确定放弃草稿吗？将恢复为当前表单。"),
                     "not_done": _("未完成：请修改下列问题"), "unsaved": _("有未保存的修改")}}


def _error(err: DefinitionError) -> dict:
    """File, line and the reason in the page's language (the reason without the file prefix)."""
    return {"file": err.file, "line": err.line, "text": plain_message(getattr(err, "reason", None) or str(err))}
