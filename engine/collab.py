"""抄送 copies, comments, 委派 delegation and drafts of a task."""
from __future__ import annotations


class CollabCommands:
    """Mixed into engine.service.Engine."""
