"""The designer's workbench, deploy side: files uploaded in the browser (BPMN, DMN, JSON-Schema
forms) are validated with exactly the checks of `sanfu deploy` (deploy.check_bundle), saving
nothing, and then deployed as new versions. Hostile XML is refused by the same parser
(engine.definitions.xmlsafe) with the same messages.

Limits: at most MAX_FILES files; each at most xmlsafe.MAX_BYTES (5 MB, the CLI's limit, refused
with the CLI's message); the web layer caps the whole request (MAX_CONTENT_LENGTH)."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from engine import access
from engine.definitions.bundle import SourceDoc
from engine.definitions.deploy import check_bundle, deploy, read_bundle
from engine.definitions.xmlsafe import MAX_BYTES
from engine.errors import DefinitionError, InvalidInput
from engine.runtime.facade import EngineParts
from engine.store.tables import ProcessDefinition, SourceFile

MAX_FILES = 30
SUFFIXES = (".bpmn", ".dmn", ".xml", ".json")
_ELEMENT = re.compile(r"element '([^']+)'(?: \(([^)]*)\))?")


class DesignerCommands(EngineParts):
    def validate_upload(self, files: list[tuple[str, bytes]], actor: str) -> dict:
        """{"ok", "errors": [{file, element_id, element_name, line, message}], "warnings": [...]}:
        what `sanfu deploy` would say of these files; nothing is saved."""
        with self.uow(write=False) as uow:
            access.require_designer(uow.session, actor)
            try:
                docs, forms = self._upload_bundle(uow.session, files)
                checked = check_bundle(uow.session, docs, forms)
            except DefinitionError as err:  # DefinitionErrors: every problem, in file and document order
                return {"ok": False, "errors": [_error(e) for e in all_errors(err)], "warnings": []}
            return {"ok": True, "errors": [], "warnings": [_warning(w) for w in checked.warnings]}

    def deploy_upload(self, files: list[tuple[str, bytes]], actor: str) -> dict:
        """Deploy the uploaded files (all-or-nothing, audited as `deploy`); raises DefinitionError."""
        with self.uow() as uow:
            access.require_designer(uow.session, actor)
            docs, forms = self._upload_bundle(uow.session, files)
            result = deploy(uow.session, docs, forms, actor)
            return {"deployment_id": result.deployment_id, "processes": result.processes,
                    "decisions": result.decisions, "warnings": result.warnings}

    def _upload_bundle(self, session, files: list[tuple[str, bytes]]) -> tuple[list[SourceDoc], dict[str, SourceDoc]]:
        """Models as SourceDocs, and the forms: the shipped ones, the deployed ones over them (a
        form edited in the browser must not fall back to the shipped file when its process is
        redeployed), any uploaded form over both."""
        files = checked_files(files)
        _docs, forms = read_bundle([], self.forms_dir)
        forms.update(deployed_forms(session))
        docs = []
        for name, content in files:
            doc = _doc(name, content)
            if name.endswith(".json"):
                forms[Path(name).stem] = doc
            else:
                docs.append(doc)
        return docs, forms


def newest_versions(session) -> list[ProcessDefinition]:
    """The newest version of each process key, by key."""
    newest: dict[str, ProcessDefinition] = {}
    for row in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)):
        newest[row.key] = row
    return list(newest.values())


def deployed_forms(session) -> dict[str, SourceDoc]:
    """Each form key as the newest deployed process version carries it."""
    forms: dict[str, SourceDoc] = {}
    bundles = session.scalars(select(ProcessDefinition.bundle).order_by(ProcessDefinition.id))
    file_ids = {key: file_id for bundle in bundles for key, file_id in (bundle.get("forms") or {}).items()}
    rows = session.scalars(select(SourceFile).where(SourceFile.id.in_(set(file_ids.values()))))
    sources = {row.id: row for row in rows}
    for key, file_id in file_ids.items():
        forms[key] = SourceDoc(sources[file_id].name, "form", sources[file_id].content)
    return forms


def checked_files(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Plain file names (no folders) of allowed kinds, not too many; InvalidInput otherwise."""
    files = [(Path(name or "").name, content) for name, content in files if name]
    if not files:
        raise InvalidInput("请选择要上传的 BPMN、DMN 或表单文件 (no files uploaded)", code="designer_upload")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"一次最多上传 {MAX_FILES} 个文件 (too many files)", code="designer_upload")
    for name, _content in files:
        if not name.endswith(SUFFIXES) or name.startswith("."):
            raise InvalidInput(f"文件 {name} 不是 BPMN、DMN 或表单文件（.bpmn、.dmn、.json） "
                               "(not a model or form file)", code="designer_upload")
    return files


def _doc(name: str, content: bytes) -> SourceDoc:
    if len(content) > MAX_BYTES:  # the parser's own limit and words, for forms too
        raise DefinitionError(f"文件过大：{len(content)} 字节，上限 {MAX_BYTES} 字节 (file too large)", file=name)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DefinitionError("文件不是 UTF-8 编码 (file is not UTF-8)", file=name) from None
    return SourceDoc(name, "form" if name.endswith(".json") else "bpmn", text)


def all_errors(err: DefinitionError) -> list[DefinitionError]:
    """Each problem a refusal names: a DefinitionErrors lists several, any other just itself."""
    return list(getattr(err, "errors", None) or [err])


def _error(err: DefinitionError) -> dict:
    return {"file": err.file, "element_id": err.element_id, "element_name": err.element_name,
            "line": err.line, "message": str(err), "reason": err.reason}


def _warning(text: str) -> dict:
    file_name = text.split(":", 1)[0] if ": " in text else None
    match = _ELEMENT.search(text)
    return {"file": file_name, "element_id": match.group(1) if match else None,
            "element_name": match.group(2) if match else None, "line": None, "message": text}

