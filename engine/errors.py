"""One exception hierarchy for the engine.

Every error carries what a user (designer, staff, operator) can read — no tracebacks, no
SpiffWorkflow internals — as structured fields: a stable `code` (the class's, or a more
precise one given where it is raised), the Chinese text `zh`, the English text `en` and the
`params` it was made from. The CLI maps each class to an exit code, the web layer to an HTTP
status and its pages' language; the domain never knows about either, and nobody outside
this module reads the message text apart. `str(err)` stays the bilingual one-line message
("中文 (English)") the CLI and the logs print.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

# Messages are written "中文 (English)": the English part is the trailing parenthesis of
# printable ASCII. Split once, here, when the error is made.
_TRAILING_ENGLISH = re.compile(r"\s*\(([ -~]+)\)\s*$")


def bilingual(text: str) -> tuple[str, str]:
    """(Chinese, English) of an engine message; English falls back to the whole text."""
    text = str(text)
    match = _TRAILING_ENGLISH.search(text)
    if match is None:
        return text, text
    return text[:match.start()], match.group(1)


class SanfuError(Exception):
    """Base class: `str(err)` is the user-facing message."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, params: dict | None = None,
                 en: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or type(self).code
        self.params = dict(params or {})
        self.zh, self.en = (message, en) if en is not None else bilingual(message)

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message

    def text(self, language: str = "zh") -> str:
        """The message in `language` ("zh…" or "en…")."""
        return self.en if language.startswith("en") else self.zh


class InvalidInput(SanfuError):
    """Refused or invalid: bad data, a command that makes no sense in this state."""

    code = "invalid_input"


def checked_text(value: str | None, field: str, most: int, *, required: bool = True, code: str = "field",
                 english: str = "the field") -> str:
    """What a person typed into `field` (named in Chinese in the error), stripped; refused when
    it is required and empty, or longer than `most` characters (codes `{code}_required`,
    `{code}_too_long`; params name the field)."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"请填写{field} ({english} is required)", code=f"{code}_required",
                           params={"field": field})
    if len(text) > most:
        raise InvalidInput(f"{field}不能超过 {most} 字 ({english}: at most {most} characters)",
                           code=f"{code}_too_long", params={"field": field, "max": most})
    return text


class DefinitionError(InvalidInput):
    """A BPMN/DMN/form bundle cannot be deployed.

    `file`, `element_id`, `element_name` and `line` locate the problem; the message is
    one line naming all of them that are known.
    """

    code = "definition_error"

    def __init__(self, reason: str, *, file: str | None = None, element_id: str | None = None,
                 element_name: str | None = None, line: int | None = None):
        self.reason = reason
        self.file = file
        self.element_id = element_id
        self.element_name = element_name
        self.line = line
        super().__init__(self._compose(), params={"file": file, "element_id": element_id,
                                                  "element_name": element_name, "line": line})
        where = self.message[:len(self.message) - len(self.reason)]
        self.zh, self.en = (where + text for text in bilingual(self.reason))

    def _compose(self) -> str:
        # Names and reasons may carry line breaks from the XML; a refusal is one line.
        self.reason = " ".join(self.reason.split())
        self.element_name = " ".join(self.element_name.split()) if self.element_name else None
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            where.append(f"line {self.line}")
        if self.element_id:
            label = f"element '{self.element_id}'"
            if self.element_name:
                label += f" ({self.element_name})"
            where.append(label)
        return (", ".join(where) + ": " if where else "") + self.reason


class DefinitionErrors(DefinitionError):
    """Every problem found in a bundle, not only the first: `.errors` lists them (file, then
    document order). It is a DefinitionError whose message, `file`, `element_id`,
    `element_name` and `line` are those of the first, so every `except DefinitionError`
    and every message shown until now keep working."""

    def __init__(self, errors: list[DefinitionError]):
        flat = [each for err in errors for each in (getattr(err, "errors", None) or [err])]
        if not flat:
            raise ValueError("DefinitionErrors needs at least one error")
        first = flat[0]
        super().__init__(first.reason, file=first.file, element_id=first.element_id,
                         element_name=first.element_name, line=first.line)
        self.errors = flat


class Refusals:
    """DefinitionErrors gathered element by element while a bundle is checked, so that a check
    goes on to the next element (and file) instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[DefinitionError] = []

    def add(self, err: DefinitionError) -> None:
        self.errors.extend(getattr(err, "errors", None) or [err])

    @contextmanager
    def each(self) -> Iterator[None]:
        """One element's checks: its refusal is kept and the caller goes on."""
        try:
            yield
        except DefinitionError as err:
            self.add(err)

    def raise_any(self, file_order: list[str], lines: dict[tuple, int] | None = None) -> None:
        """DefinitionErrors with one error per element (its first), in file order and then
        document order (`lines`: (file, element id) → line, for errors that name only an id)."""
        if not self.errors:
            return
        files = {name: index for index, name in reversed(list(enumerate(file_order)))}
        lines = lines or {}

        def place(err: DefinitionError) -> tuple[int, int]:
            return files.get(err.file, len(files)), err.line or lines.get((err.file, err.element_id)) or 0
        seen, kept = set(), []
        for err in sorted(self.errors, key=place):  # stable: on one line, the order found
            where = (err.file, err.element_id)
            if err.element_id is None or where not in seen:
                seen.add(where)
                kept.append(err)
        raise DefinitionErrors(kept) from None


class ScriptError(InvalidInput):
    """An expression or script was refused by the sandbox or failed while running."""

    code = "script_error"


class FormValidationError(InvalidInput):
    """Submitted task data does not satisfy the task's form; `fields` maps field -> message."""

    code = "form_invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message, params={"fields": sorted(fields or {})})
        self.fields = fields or {}

    def field_texts(self, language: str = "zh") -> dict[str, str]:
        return {name: bilingual(text)[language.startswith("en")] for name, text in self.fields.items()}


class NotFound(SanfuError):
    """The thing named does not exist (or the caller may not know that it does)."""

    code = "not_found"


class Gone(NotFound):
    """It existed but is no longer usable (a used or expired one-time link)."""

    code = "gone"


class NotAllowed(SanfuError):
    """The caller may not do this."""

    code = "not_allowed"


class Conflict(SanfuError):
    """Someone else changed the same thing first; nothing was saved."""

    code = "conflict"


class Unavailable(SanfuError):
    """The database cannot be reached (down, restarting, a dropped connection); nothing was
    saved and the caller may retry shortly. Not a bug: the web answers 503 with Retry-After."""

    code = "unavailable"
    retry_after = 5

    def __init__(self, message: str = "数据库暂时不可用，请稍后重试 (database unavailable; retry shortly)", **kwargs):
        super().__init__(message, **kwargs)


class StorageFull(Unavailable):
    """The attachments' disk is full (or over quota): the file was not saved, nothing points at it."""

    code = "storage_full"
    retry_after = 60

    def __init__(self, message: str = "附件存储空间已满，文件未保存：请稍后重试或联系管理员 "
                                      "(attachment storage is full; nothing was saved)", **kwargs):
        super().__init__(message, **kwargs)


class WorkflowInconsistent(SanfuError):
    """The workflow library's answer contradicts the workflow's own tasks (it says the
    instance ended while a step is still open): nothing is saved rather than a lie."""

    code = "workflow_inconsistent"

    def __init__(self, message: str = "流程状态异常：引擎判断实例已结束，但仍有未完成的步骤；"
                                      "本次操作未保存，请联系管理员 "
                                      "(the workflow reports it ended while steps are still open; nothing was saved)",
                 **kwargs):
        super().__init__(message, **kwargs)
