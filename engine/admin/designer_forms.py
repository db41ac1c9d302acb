"""The designer's JSON Schema form editor: every form with its current schema (the one the newest
deployed process version carries, else the shipped file in forms/), the draft saved in the browser,
and 部署为新版本 — a form is stored per process version, so deploying an edited form deploys a new
version of every process whose newest version uses it, in one unit of work, with deploy's checks.
Running instances keep the form of their version; instances started afterwards get the new one."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from engine import access
from engine.admin.designer_deploy import deployed_forms, newest_versions
from engine.definitions import drafts, validation
from engine.definitions.bundle import SourceDoc
from engine.definitions.deploy import deploy, read_bundle
from engine.definitions.xmlsafe import MAX_BYTES
from engine.errors import DefinitionError, InvalidInput, NotFound
from engine.runtime.facade import EngineParts
from engine.store.designer_tables import DesignerDraft
from engine.store.tables import ProcessDefinition, SourceFile

FORM_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


class FormEditorCommands(EngineParts):
    def form_sources(self, actor: str) -> list[dict]:
        """[{key, title, file_name, content, processes, deployed, draft}] by key: `processes` are
        the keys whose newest version uses the form; `draft` who saved one and when (or None)."""
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_designer(session, actor)
            newest = newest_versions(session)  # read once for every form
            return [_form_entry(session, key, doc, newest) for key, doc in sorted(self._current_forms(session).items())]

    def form_source(self, actor: str, key: str) -> dict:
        """One form as the editor opens it: as form_sources, plus `edit` = the draft's text when
        there is one, else the current schema."""
        check_form_key(key)
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_designer(session, actor)
            doc = self._current_forms(session).get(key)
            if doc is None:
                raise NotFound(f"表单 '{key}' 不存在 (form not found)", code="form_not_found")
            entry = _form_entry(session, key, doc, newest_versions(session), with_draft_text=True)
            entry["edit"] = entry["draft"]["content"] if entry["draft"] else entry["content"]
            return entry

    def preview_form(self, actor: str, key: str, content: str) -> dict:
        """The schema as deploy would accept it (for the live preview); DefinitionError naming
        `<key>.json` and the reason when it would be refused."""
        check_form_key(key)
        with self.uow(write=False) as uow:
            access.require_designer(uow.session, actor)
        return checked_schema(key, content)

    def deploy_form(self, actor: str, form_key: str, content: str) -> dict:
        """Deploy new versions of every process whose newest version uses `form_key`, with this
        schema (all-or-nothing, audited as deploy); the form's draft is cleared. Raises
        DefinitionError (file `<key>.json`, the reason) for a schema deploy would refuse,
        InvalidInput when no deployed process uses the form."""
        check_form_key(form_key)
        with self.uow() as uow:
            session = uow.session
            access.require_designer(session, actor)
            checked_schema(form_key, content)
            users = _using(newest_versions(session), form_key)
            if not users:
                raise InvalidInput(f"没有已部署的流程使用表单 '{form_key}'，无法部署：请先部署引用它的流程 "
                                   "(no deployed process uses this form)", code="form_unused")
            forms = self._current_forms(session)
            forms[form_key] = SourceDoc(f"{form_key}.json", "form", content)
            result = deploy(session, _bpmn_docs(session, users), forms, actor)
            drafts.clear_draft(session, "form", form_key)
            return {"deployment_id": result.deployment_id, "form": form_key, "processes": result.processes,
                    "decisions": result.decisions, "warnings": result.warnings}

    def _current_forms(self, session) -> dict[str, SourceDoc]:
        """The shipped forms, the deployed ones over them (as deploy_upload reads them)."""
        _docs, forms = read_bundle([], self.forms_dir)
        forms.update(deployed_forms(session))
        return forms



def _form_entry(session, key: str, doc: SourceDoc, newest: list[ProcessDefinition],
                with_draft_text: bool = False) -> dict:
    row = session.scalar(select(DesignerDraft).where(DesignerDraft.kind == "form", DesignerDraft.key == key))
    draft = None
    if row is not None:
        draft = {"saved_by": row.saved_by, "saved_at": row.saved_at, "based_on_version": row.based_on_version}
        if with_draft_text:
            draft["content"] = row.content
    users = _using(newest, key)
    return {"key": key, "title": _title(doc.content) or key, "file_name": doc.name, "content": doc.content,
            "processes": [{"key": p.key, "name": p.name, "version": p.version} for p in users],
            "deployed": bool(users), "draft": draft}


def check_form_key(key: str) -> None:
    if not FORM_KEY.match(key or ""):
        raise InvalidInput("表单标识只能由字母、数字、下划线、点和连字符组成 (form key: letters, digits, _ . -)",
                           code="bad_form_key")


def checked_schema(key: str, content: str) -> dict:
    """parse_form, deploy's own check of a form, on the text as the file `<key>.json`."""
    name = f"{key}.json"
    if len(content.encode("utf-8")) > MAX_BYTES:
        raise DefinitionError(f"文件过大：上限 {MAX_BYTES} 字节 (file too large)", file=name)
    if not content.strip():
        raise DefinitionError("表单内容为空 (empty form)", file=name)
    return validation.parse_form(SourceDoc(name, "form", content))  # refuses deep nesting too


def _title(content: str) -> str:
    try:
        schema = json.loads(content)
    except ValueError:
        return ""
    return str(schema.get("title") or "") if isinstance(schema, dict) else ""


def _using(newest: list[ProcessDefinition], form_key: str) -> list[ProcessDefinition]:
    return [row for row in newest if form_key in (row.bundle.get("forms") or {})]


def _bpmn_docs(session, definitions: list[ProcessDefinition]) -> list[SourceDoc]:
    """The BPMN files of these versions, each once (deploy adds the DMN they reference)."""
    docs: dict[str, SourceDoc] = {}
    for definition in definitions:
        for file_id in definition.bundle.get("bpmn", []):
            source = session.get(SourceFile, file_id)
            docs.setdefault(source.name, SourceDoc(source.name, "bpmn", source.content))
    return list(docs.values())
