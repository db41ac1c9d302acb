"""Attachments of a task: stored outside the database, read only by those who may see the task."""
from __future__ import annotations


class AttachmentCommands:
    """Mixed into engine.service.Engine."""
