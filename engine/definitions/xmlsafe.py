"""Hardened XML parsing for everything designers upload.

SpiffWorkflow never sees raw bytes: files are parsed here first, with no DTD, no entity
expansion, no network or file access, a size limit and a depth limit. A document type
declaration is refused before the parser reads it, so XXE and billion-laughs payloads are
never expanded.
"""
from __future__ import annotations

import io

from lxml import etree

from engine.errors import DefinitionError

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64


def parse_xml(data: bytes | str, file_name: str) -> etree._Element:
    """Parse `data` safely and return the root element, or raise DefinitionError."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise DefinitionError(
            f"文件过大：{len(data)} 字节，上限 {MAX_BYTES} 字节 (file too large)", file=file_name)
    if not data.strip():
        raise DefinitionError("文件为空 (empty file)", file=file_name)
    _refuse_doctype(data, file_name)
    return _parse_bounded(data, file_name)


def _refuse_doctype(data: bytes, file_name: str) -> None:
    # A well-formed BPMN/DMN file never needs a DTD; any DOCTYPE or ENTITY declaration is
    # where XXE and entity-expansion attacks live, so refuse before parsing at all.
    head = data.upper()
    for marker, what in ((b"<!DOCTYPE", "DOCTYPE"), (b"<!ENTITY", "ENTITY")):
        pos = head.find(marker)
        if pos >= 0:
            line = data.count(b"\n", 0, pos) + 1
            raise DefinitionError(
                f"不允许 {what} 声明（可能是 XXE 或实体扩展攻击）(DTD/entity declarations are not allowed)",
                file=file_name, line=line)


def _parse_bounded(data: bytes, file_name: str) -> etree._Element:
    events = etree.iterparse(
        io.BytesIO(data), events=("start", "end"), resolve_entities=False, no_network=True,
        load_dtd=False, dtd_validation=False, huge_tree=False, remove_blank_text=False)
    depth = 0
    root = None
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                root = element if root is None else root
                if depth > MAX_DEPTH:
                    raise DefinitionError(
                        f"XML 嵌套过深（超过 {MAX_DEPTH} 层）(nesting too deep)", file=file_name,
                        line=element.sourceline, element_id=element.get("id"))
            else:
                depth -= 1
    except etree.XMLSyntaxError as err:
        line = err.lineno if getattr(err, "lineno", None) else None
        raise DefinitionError(f"XML 格式错误：{_clean_syntax_message(err)} (malformed XML)",
                              file=file_name, line=line) from None
    if root is None:
        raise DefinitionError("文件不含 XML 元素 (no XML element)", file=file_name)
    return root


def _clean_syntax_message(err: etree.XMLSyntaxError) -> str:
    message = err.msg or str(err)
    # lxml appends ", line N, column M"; the line is already reported separately.
    return message.split(", line ")[0]
