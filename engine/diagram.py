"""The instance diagram: the deployed BPMN with completed and current elements."""
from __future__ import annotations


class DiagramQueries:
    """Mixed into engine.service.Engine."""
