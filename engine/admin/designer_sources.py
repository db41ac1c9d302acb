"""The browser editors' side of the workbench: what a process or decision editor opens (the
designer's draft if there is one, else the newest deployed file, else a blank diagram for a new
process key) and what it deploys (the edited file, as a new version, through the upload's checks).

The editor edits one file; its name is the deployed file's, so a redeploy replaces that file in
the bundle and the diff between versions compares like with like."""
from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from sqlalchemy import select

from engine import access
from engine.admin.designer_deploy import newest_versions
from engine.definitions.drafts import draft_dict
from engine.definitions.xmlsafe import parse_xml
from engine.errors import DefinitionError, InvalidInput, NotFound
from engine.runtime.facade import EngineParts
from engine.store.designer_tables import DesignerDraft
from engine.store.tables import DecisionDefinition, ProcessDefinition, SourceFile

EDITABLE = ("process", "decision")
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


class EditorSources(EngineParts):
    def designer_source(self, actor: str, kind: str, key: str, *, new_name: str = "") -> dict:
        """{kind, key, file_name, content, deployed_version, draft}: the draft when there is one
        (draft holds who saved it and when), else the newest deployed file; a process key that is
        neither deployed nor drafted opens as a blank diagram named `new_name`."""
        check_editable(kind, key)
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_designer(session, actor)
            file_name, content, version = _deployed_file(session, kind, key)
            row = session.scalar(select(DesignerDraft).where(DesignerDraft.kind == kind, DesignerDraft.key == key))
            draft = draft_dict(row) if row else None
            if draft:
                content = draft["content"]
            elif content is None:
                if kind == "decision":
                    raise NotFound(f"决策 '{key}' 未部署 (decision not deployed)", code="decision_not_found")
                content = blank_process(key, new_name or key)
            return {"kind": kind, "key": key, "file_name": file_name, "content": content,
                    "deployed_version": version, "draft": draft}

    def save_editor_draft(self, actor: str, kind: str, key: str, content: str) -> dict:
        """保存草稿 from the editor: named as the model names the process (or decision), based on
        the version deployed now; a draft need not be valid, so an unreadable one is saved unnamed."""
        check_editable(kind, key)
        with self.uow(write=False) as uow:
            access.require_designer(uow.session, actor)
            _name, _content, version = _deployed_file(uow.session, kind, key)
        return self.save_designer_draft(actor, kind, key, content, name=model_name(content, kind, key),
                                        based_on_version=version)

    def draft_from_upload(self, actor: str, file_name: str, content: str) -> tuple[str, str]:
        """An uploaded model opened in the editor ("在编辑器中修改" on the 校验 page): saved as the
        draft of the process (or decision) it defines, to be fixed in the browser. (kind, key)."""
        kind = "decision" if file_name.endswith(".dmn") else "process"
        root = parse_xml(content.encode("utf-8"), file_name)
        tag = "}process" if kind == "process" else "}decision"
        elements = [e for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith(tag) and e.get("id")]
        executable = [e for e in elements if kind == "decision" or e.get("isExecutable") == "true"] or elements
        if not executable:
            raise DefinitionError("文件中没有流程或决策，无法在编辑器中打开 (no process or decision)", file=file_name)
        key = executable[0].get("id")
        check_editable(kind, key)
        with self.uow(write=False) as uow:
            access.require_designer(uow.session, actor)
            _name, _content, version = _deployed_file(uow.session, kind, key)
        self.save_designer_draft(actor, kind, key, content, name=executable[0].get("name") or "",
                                 based_on_version=version)
        return kind, key

    def deploy_from_editor(self, actor: str, kind: str, key: str, content: str) -> dict:
        """Deploy the edited file as a new version (all-or-nothing, audited; the draft is cleared).
        A decision goes with the newest version of every process that calls it: a process binds
        its decisions when it is deployed, so without that the new table would reach nobody.
        Raises DefinitionError naming the file and element when the model is refused."""
        check_editable(kind, key)
        with self.uow(write=False) as uow:
            access.require_designer(uow.session, actor)
            file_name, _content, _version = _deployed_file(uow.session, kind, key)
            callers = _calling_process_files(uow.session, key) if kind == "decision" else []
        require_key_in(content, kind, key, file_name)
        return self.deploy_upload([(file_name, content.encode("utf-8")), *callers], actor)


def check_editable(kind: str, key: str) -> None:
    if kind not in EDITABLE:
        raise InvalidInput("只能在浏览器中编辑流程和决策 (only processes and decisions)", code="bad_draft_kind")
    if not KEY.match(key or ""):
        raise InvalidInput("标识只能由字母、数字、下划线、点和连字符组成，以字母或下划线开头，不超过64字 "
                           "(key: letters, digits, _ . -)", code="bad_draft_key")


def require_key_in(content: str, kind: str, key: str, file_name: str) -> None:
    """The edited file must still define `key`: renaming the process or decision id in the editor
    would deploy a different key and leave this one behind."""
    root = parse_xml(content.encode("utf-8"), file_name)
    tag = "process" if kind == "process" else "decision"
    ids = [e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("}" + tag)]
    if key not in ids:
        what = "流程" if kind == "process" else "决策"
        found = "、".join(i for i in ids if i) or "无"
        raise DefinitionError(f"文件中没有标识为 '{key}' 的{what}（文件中的{what}：{found}）：请在属性面板中把"
                              f"{what}的 ID 改回 {key} (the {tag} id must stay '{key}')", file=file_name)


def model_name(content: str, kind: str, key: str) -> str:
    try:
        root = parse_xml(content.encode("utf-8"), f"{key}.{'bpmn' if kind == 'process' else 'dmn'}")
    except DefinitionError:
        return ""
    tag = "}process" if kind == "process" else "}decision"
    found = [e for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith(tag) and e.get("id") == key]
    return (found[0].get("name") or "") if found else ""


def _deployed_file(session, kind: str, key: str) -> tuple[str, str | None, int | None]:
    """(file name, content, version) of the newest deployed file holding `key`."""
    default_name = f"{key}.bpmn" if kind == "process" else f"{key}.dmn"
    if kind == "decision":
        row = session.scalar(select(DecisionDefinition).where(DecisionDefinition.key == key)
                             .order_by(DecisionDefinition.version.desc()).limit(1))
        if row is None:
            return default_name, None, None
        source = session.get(SourceFile, row.file_id)
        return source.name, source.content, row.version
    row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                         .order_by(ProcessDefinition.version.desc()).limit(1))
    if row is None:
        return default_name, None, None
    sources = [session.get(SourceFile, file_id) for file_id in row.bundle.get("bpmn", [])]
    holding = [s for s in sources if f'id="{key}"' in s.content or f"id='{key}'" in s.content] or sources
    return holding[0].name, holding[0].content, row.version


def _calling_process_files(session, decision_key: str) -> list[tuple[str, bytes]]:
    """The BPMN files of the newest version of each process bound to a version of `decision_key`."""
    decision_files = set(session.scalars(select(DecisionDefinition.file_id)
                                         .where(DecisionDefinition.key == decision_key)))
    files: dict[str, bytes] = {}
    for row in newest_versions(session):
        if decision_files & set(row.bundle.get("dmn", [])):
            for file_id in row.bundle.get("bpmn", []):
                source = session.get(SourceFile, file_id)
                files[source.name] = source.content.encode("utf-8")
    return sorted(files.items())


def blank_process(key: str, name: str) -> str:
    """A new executable process with one start event, as Camunda Modeler starts a diagram."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_{key}"
  targetNamespace="http://bpmn.io/schema/bpmn" exporter="sanfu">
  <bpmn:process id={quoteattr(key)} name={quoteattr(name)} isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" name="开始" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement={quoteattr(key)}>
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
