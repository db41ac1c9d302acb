"""Turning a set of BPMN/DMN/form files into runnable specs — or a precise refusal.

Used at deploy time (with full validation) and when a deployed version's spec is rebuilt
from its stored files (same code path, so what deployed is exactly what runs).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.definitions.parser import SanfuParser, bpmn_validator
from engine.definitions.structure import check_structure
from engine.definitions.xmlsafe import parse_xml
from engine.dialects import camunda, namespaces
from engine.dialects.assignment import user_task_meta
from engine.dialects.starters import start_form_keys
from engine.errors import DefinitionError, DefinitionErrors, Refusals


@dataclass
class SourceDoc:
    name: str
    kind: str  # bpmn | dmn | form
    content: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()


@dataclass
class ProcessInfo:
    key: str
    name: str
    file: str
    task_meta: dict
    decision_refs: set[str]
    form_keys: set[str]


@dataclass
class Compiled:
    parser: SanfuParser
    processes: dict[str, ProcessInfo] = field(default_factory=dict)
    roots: dict[str, etree._Element] = field(default_factory=dict)
    dmn_roots: dict[str, etree._Element] = field(default_factory=dict)
    decisions_by_file: dict[str, set[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Each process is built into a SpiffWorkflow spec once per bundle: deploy validates with
    # it, schedules timer start events from it, and a caller's subprocess walk reuses it.
    specs: dict[str, object] = field(default_factory=dict)
    built: dict[str, tuple] = field(default_factory=dict)  # key → (spec, embedded)
    refused: Refusals = field(default_factory=Refusals)  # what the checks refused so far
    stopped: dict[str, etree._Element] = field(default_factory=dict)  # files not compiled: name → root


def read_source(path: Path) -> SourceDoc:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DefinitionError(f"无法读取文件：{err.strerror} (cannot read file)", file=path.name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DefinitionError("文件不是 UTF-8 编码 (file is not UTF-8)", file=path.name) from None
    kind = "form" if path.suffix == ".json" else "bpmn"
    return SourceDoc(path.name, kind, text)


def compile_docs(docs: list[SourceDoc], keep_going: bool = False) -> Compiled:
    """Parse, check and normalise every BPMN/DMN doc; build the SpiffWorkflow parser.

    Hostile, oversized or malformed XML is refused at once (parse_xml): nothing more is read.
    A file that breaks the BPMN schema or that SpiffWorkflow cannot compile stops that file
    (later checks of it would only report what follows) and is left out; an element refused
    while normalizing (a JUEL condition, a timer) does not stop its file. Without `keep_going`
    DefinitionErrors names them all at the end; with it (deploy's checks) the compiled bundle
    is returned with them in `refused` and the stopped files in `stopped`, for the checks
    that follow to add theirs about the other files."""
    compiled = Compiled(parser=SanfuParser())
    for doc in docs:
        if doc.kind == "form":
            continue
        root = parse_xml(doc.content, doc.name)
        try:
            _add_doc(compiled, doc, root)
        except DefinitionError as err:
            compiled.refused.add(err)
            _leave_out(compiled, doc.name, root)
    if not keep_going:
        compiled.refused.raise_any([d.name for d in docs], element_lines(compiled))
    return compiled


def _leave_out(compiled: Compiled, file_name: str, root) -> None:
    """A file that did not compile is not checked further; its process and decision ids stay
    known (in `stopped`, and `decisions_by_file`) so that no other file's reference to them is
    refused because of it."""
    compiled.stopped[file_name] = root
    compiled.roots.pop(file_name, None)
    compiled.dmn_roots.pop(file_name, None)
    for key in [key for key, info in compiled.processes.items() if info.file == file_name]:
        del compiled.processes[key]


def element_lines(compiled: Compiled) -> dict[tuple[str, str], int]:
    """(file, element id) → the line the element starts on, to order errors that name only an id."""
    lines: dict[tuple[str, str], int] = {}
    for file_name, root in [*compiled.roots.items(), *compiled.dmn_roots.items()]:
        for element in root.iter():
            if isinstance(element.tag, str) and element.get("id") and element.sourceline:
                lines.setdefault((file_name, element.get("id")), element.sourceline)
    return lines


def _add_doc(compiled: Compiled, doc: SourceDoc, root) -> None:
    namespace = etree.QName(root).namespace
    if namespace in namespaces.DMN_NAMESPACES:
        doc.kind = "dmn"
        _add_dmn(compiled, doc, root)
    elif namespace == namespaces.BPMN_NS:
        doc.kind = "bpmn"
        _add_bpmn(compiled, doc, root)
    else:
        raise DefinitionError(f"不是 BPMN 2.0 或 DMN 文件（根元素 {root.tag}）(not a BPMN or DMN file)",
                              file=doc.name, line=root.sourceline)


def _add_dmn(compiled: Compiled, doc: SourceDoc, root) -> None:
    ids = {d.get("id") for d in root.iter() if isinstance(d.tag, str) and etree.QName(d).localname == "decision"}
    compiled.decisions_by_file[doc.name] = ids
    compiled.dmn_roots[doc.name] = root
    with spiff_errors(doc.name):
        compiled.parser.add_dmn_xml(root, filename=doc.name)


def _add_bpmn(compiled: Compiled, doc: SourceDoc, root) -> None:
    _schema_check(root, doc.name)
    normalized = camunda.normalize(root, doc.name, compiled.refused)
    check_structure(root, doc.name)
    compiled.warnings.extend(normalized.warnings)
    compiled.roots[doc.name] = root
    with spiff_errors(doc.name):
        compiled.parser.add_bpmn_xml(root, filename=doc.name)
    for process in root.iter(namespaces.bpmn("process")):
        key = process.get("id")
        if not key:
            raise DefinitionError("流程缺少 id 属性 (process has no id)", file=doc.name,
                                  line=process.sourceline, element_name=process.get("name"))
        if key in compiled.processes:
            raise DefinitionError(f"流程 id '{key}' 重复定义 (duplicate process id)",
                                  file=doc.name, **camunda.describe(process))
        if process.get("isExecutable", "true").lower() != "true":
            continue
        compiled.processes[key] = _process_info(process, doc.name)


def _process_info(process, file_name: str) -> ProcessInfo:
    decisions = set()
    for task in process.iter(namespaces.bpmn("businessRuleTask")):
        ref = namespaces.decision_ref(task)
        if ref:
            decisions.add(ref)
    meta = user_task_meta(process)
    forms = {m["form_key"] for m in meta.values() if m["form_key"]} | start_form_keys(process)
    return ProcessInfo(process.get("id"), process.get("name") or process.get("id"), file_name,
                       meta, decisions, forms)


def _schema_check(root, file_name: str) -> None:
    validator = bpmn_validator()
    validator.preprocess(root)
    if validator.validator.validate(root):
        return
    refused = []  # every schema error of the file (Refusals.raise_any keeps one per element)
    for error in validator.validator.error_log:
        element = _element_at_line(root, error.line)
        where = camunda.describe(element) if element is not None else {"line": error.line}
        where["line"] = error.line
        refused.append(DefinitionError(f"不符合 BPMN 2.0 规范：{_short_schema_message(error.message)} (schema error)",
                                       file=file_name, **where))
    raise DefinitionErrors(refused)


def _element_at_line(root, line: int):
    found = None
    for element in root.iter():
        if element.sourceline == line and isinstance(element.tag, str):
            return element
        if element.sourceline and element.sourceline < line:
            found = element
    return found


def _short_schema_message(message: str) -> str:
    for namespace, prefix in ((namespaces.BPMN_NS, "bpmn:"),):
        message = message.replace("{" + namespace + "}", prefix)
    return message


class spiff_errors:
    """Translate SpiffWorkflow parse errors into DefinitionError naming file and element."""

    def __init__(self, file_name: str):
        self.file_name = file_name

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, DefinitionError):
            return False
        if isinstance(exc, ValidationException):
            raise DefinitionError(_spiff_reason(exc), file=exc.file_name or self.file_name,
                                  element_id=exc.id or None, element_name=exc.name or None,
                                  line=exc.line_number or None) from None
        if isinstance(exc, (SpiffWorkflowException, KeyError, ValueError, TypeError,
                            AttributeError, IndexError)):
            raise DefinitionError(f"无法解析：{_spiff_reason(exc)} (cannot parse)",
                                  file=self.file_name) from None
        return False


_ELEMENT_REPR = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-fA-F]+>")


def _spiff_reason(exc: Exception) -> str:
    """SpiffWorkflow's message, as one line a designer can read (no object reprs)."""
    text = str(exc) or exc.__class__.__name__
    notes = getattr(exc, "__notes__", None)
    text += "; " + "; ".join(notes) if notes else ""
    return " ".join(_ELEMENT_REPR.sub(r"\1", text).split())


def process_spec(compiled: Compiled, key: str):
    """The spec of `key` and the specs of its embedded subprocesses (not call activities),
    built once per compiled bundle."""
    if key in compiled.built:
        return compiled.built[key]
    info = compiled.processes.get(key)
    file_name = info.file if info else None
    with spiff_errors(file_name or "?"):
        spec = _spec(compiled, key)
        subprocesses = _subprocess_specs(compiled, spec, {})
    embedded = {}
    for name, sub in subprocesses.items():
        if sub is not None and name not in _call_targets(spec, subprocesses):
            embedded[name] = sub
    compiled.built[key] = spec, embedded
    return spec, embedded


def _spec(compiled: Compiled, name: str, required: bool = True):
    if compiled.specs.get(name) is None:  # not built yet, or missing (raise now if required)
        compiled.specs[name] = compiled.parser.get_spec(name, required=required)
    return compiled.specs[name]


def _subprocess_specs(compiled: Compiled, spec, used: dict) -> dict:
    """SpiffWorkflow's `get_subprocess_specs`, walking specs already built instead of building
    each twice. An embedded subprocess is always in its file; a call activity's target, at
    any depth (inside an embedded subprocess, or in a called process of the same bundle), may
    be deployed apart: it is checked to exist at validation and bound when first reached
    (engine.runtime.core.BoundSpecs), so here it is built only when the bundle holds it."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, SubWorkflowTask) and task_spec.spec not in used:
            sub = _spec(compiled, task_spec.spec, required=not isinstance(task_spec, CallActivity))
            used[task_spec.spec] = sub
            if sub is not None:
                _subprocess_specs(compiled, sub, used)
    return used


def _call_targets(spec, subprocesses) -> set[str]:
    targets = set()
    for candidate in [spec, *[s for s in subprocesses.values() if s is not None]]:
        for task_spec in candidate.task_specs.values():
            if isinstance(task_spec, CallActivity):
                targets.add(task_spec.spec)
    return targets


def content_hash(docs: list[SourceDoc]) -> str:
    digest = hashlib.sha256()
    for doc in sorted(docs, key=lambda d: (d.kind, d.name)):
        digest.update(json.dumps([doc.kind, doc.name, doc.sha256]).encode())
    return digest.hexdigest()
