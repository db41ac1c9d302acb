"""The designer's workbench, read side: every process and decision key with its versions (who
deployed it, when, what changed, its instances), one version's diagram, user tasks, forms and
decision tables, and the semantic diff between two versions. Designers and admins only."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from engine import access
from engine.definitions import diff as semantic
from engine.definitions.xmlsafe import parse_xml
from engine.errors import NotFound
from engine.runtime.facade import EngineParts
from engine.store.tables import DecisionDefinition, Deployment, Instance, ProcessDefinition, SourceFile


class DesignerQueries(EngineParts):
    def definition_catalog(self, actor: str) -> dict:
        """{"processes": [{key, name, versions: [...] newest first}], "decisions": [...]}."""
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_designer(session, actor)
            deployments = {d.id: d for d in session.scalars(select(Deployment))}
            counts = _instance_counts(session)
            processes: dict[str, dict] = {}
            previous: dict[str, ProcessDefinition] = {}
            rows = session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version))
            for row in rows:
                entry = processes.setdefault(row.key, {"key": row.key, "name": row.name, "versions": []})
                entry["name"] = row.name or entry["name"]
                changes = _diff_rows(session, previous.get(row.key), row) if row.key in previous else None
                entry["versions"].insert(0, {
                    **_deployed(deployments.get(row.deployment_id)), "version": row.version,
                    "summary": semantic.summary(changes) if changes is not None else "首个版本",
                    "running": counts.get((row.id, "running"), 0),
                    "finished": sum(n for (d, status), n in counts.items() if d == row.id and status != "running")})
                previous[row.key] = row
            decisions: dict[str, dict] = {}
            for row in session.scalars(select(DecisionDefinition)
                                       .order_by(DecisionDefinition.key, DecisionDefinition.version)):
                entry = decisions.setdefault(row.key, {"key": row.key, "versions": []})
                entry["versions"].insert(0, {**_deployed(deployments.get(row.deployment_id)), "version": row.version})
            return {"processes": list(processes.values()), "decisions": list(decisions.values())}

    def definition_detail(self, key: str, version: int, actor: str) -> dict:
        """One version: its BPMN (for the viewer), user tasks as deployed, forms (JSON Schema)."""
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_designer(session, actor)
            row = _version(session, key, version)
            forms = {form_key: json.loads(_source(session, file_id).content)
                     for form_key, file_id in sorted((row.bundle.get("forms") or {}).items())}
            tasks = [{"id": task_id, **meta} for task_id, meta in row.task_meta.items()]
            return {"key": row.key, "version": row.version, "name": row.name,
                    **_deployed(session.get(Deployment, row.deployment_id)),
                    "xml": [_source(session, i).content for i in row.bundle.get("bpmn", [])],
                    "tasks": tasks, "forms": forms,
                    "versions": list(session.scalars(select(ProcessDefinition.version)
                                                     .where(ProcessDefinition.key == key)
                                                     .order_by(ProcessDefinition.version)))}

    def decision_detail(self, key: str, version: int, actor: str) -> dict:
        """A DMN decision's table: hit policy, input and output labels, the rules' cells."""
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_designer(session, actor)
            row = session.scalar(select(DecisionDefinition).where(DecisionDefinition.key == key,
                                                                  DecisionDefinition.version == version))
            if row is None:
                raise NotFound(f"决策 '{key}' 版本 {version} 不存在 (decision not deployed)", code="decision_not_found")
            source = _source(session, row.file_id)
            return {"key": key, "version": version, "file": source.name, **_decision_table(source.content, key),
                    **_deployed(session.get(Deployment, row.deployment_id))}

    def definition_diff(self, key: str, from_version: int, to_version: int, actor: str) -> dict:
        """What changed from one version of `key` to another (elements added, removed, changed)."""
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_designer(session, actor)
            old, new = _version(session, key, from_version), _version(session, key, to_version)
            return {"key": key, "from": from_version, "to": to_version, "changes": _diff_rows(session, old, new)}


def _diff_rows(session, old: ProcessDefinition, new: ProcessDefinition) -> list[dict]:
    xml = [[_source(session, i).content for i in row.bundle.get("bpmn", [])] for row in (old, new)]
    return semantic.diff_versions(xml[0], xml[1], old.task_meta or {}, new.task_meta or {})


def _version(session, key: str, version: int) -> ProcessDefinition:
    row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                         ProcessDefinition.version == version))
    if row is None:
        raise NotFound(f"流程 '{key}' 版本 {version} 未部署 (process not deployed)", code="definition_not_found")
    return row


def _source(session, file_id: int) -> SourceFile:
    return session.get(SourceFile, file_id)


def _deployed(deployment: Deployment | None) -> dict:
    if deployment is None:
        return {"deployed_by": None, "deployed_at": None, "warnings": []}
    return {"deployed_by": deployment.deployed_by, "deployed_at": deployment.deployed_at,
            "warnings": list((deployment.summary or {}).get("warnings", []))}


def _instance_counts(session) -> dict[tuple[int, str], int]:
    rows = session.execute(select(Instance.definition_id, Instance.status, func.count())
                           .group_by(Instance.definition_id, Instance.status))
    return {(definition_id, status): n for definition_id, status, n in rows}


def _decision_table(xml: str, key: str) -> dict:
    root = parse_xml(xml, "")
    decision = next((d for d in root.iter() if isinstance(d.tag, str) and d.tag.endswith("}decision")
                     and d.get("id") == key), None)
    table = decision.find(f"{{{_ns(decision)}}}decisionTable") if decision is not None else None
    if table is None:
        return {"name": key, "hit_policy": "", "inputs": [], "outputs": [], "rules": []}
    ns = _ns(table)
    inputs = [i.get("label") or _cell(i.find(f"{{{ns}}}inputExpression"), ns) for i in table.findall(f"{{{ns}}}input")]
    outputs = [o.get("label") or o.get("name") or "" for o in table.findall(f"{{{ns}}}output")]
    rules = [[_cell(e, ns) for e in rule.findall(f"{{{ns}}}inputEntry")]
             + [_cell(e, ns) for e in rule.findall(f"{{{ns}}}outputEntry")] for rule in table.findall(f"{{{ns}}}rule")]
    return {"name": decision.get("name") or key, "hit_policy": table.get("hitPolicy") or "UNIQUE",
            "inputs": inputs, "outputs": outputs, "rules": rules}


def _ns(element) -> str:
    return element.tag[1:].split("}")[0] if element is not None and element.tag.startswith("{") else ""


def _cell(element, ns: str) -> str:
    if element is None:
        return ""
    text = element.find(f"{{{ns}}}text")
    return " ".join(((text.text if text is not None else element.text) or "").split()) or "-"

