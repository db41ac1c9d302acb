"""The audit log viewer (审计管理员) and its retention."""
from __future__ import annotations


class AuditLogQueries:
    """Mixed into engine.service.Engine."""
