"""One exception hierarchy for the engine.

Every error carries a message a user (designer, staff, operator) can read: no tracebacks,
no SpiffWorkflow internals. The CLI maps each class to an exit code, the web layer to an
HTTP status; the domain never knows about either.
"""
from __future__ import annotations


class SanfuError(Exception):
    """Base class: `str(err)` is the user-facing message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class InvalidInput(SanfuError):
    """Refused or invalid: bad data, a command that makes no sense in this state."""


class DefinitionError(InvalidInput):
    """A BPMN/DMN/form bundle cannot be deployed.

    `file`, `element_id`, `element_name` and `line` locate the problem; the message is
    one line naming all of them that are known.
    """

    def __init__(self, reason: str, *, file: str | None = None, element_id: str | None = None,
                 element_name: str | None = None, line: int | None = None):
        self.reason = reason
        self.file = file
        self.element_id = element_id
        self.element_name = element_name
        self.line = line
        super().__init__(self._compose())

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


class ScriptError(InvalidInput):
    """An expression or script was refused by the sandbox or failed while running."""


class FormValidationError(InvalidInput):
    """Submitted task data does not satisfy the task's form; `fields` maps field -> message."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class NotFound(SanfuError):
    """The thing named does not exist (or the caller may not know that it does)."""


class Gone(NotFound):
    """It existed but is no longer usable (a used or expired one-time link)."""


class NotAllowed(SanfuError):
    """The caller may not do this."""


class Conflict(SanfuError):
    """Someone else changed the same thing first; nothing was saved."""
