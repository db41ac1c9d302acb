"""Persistence: tables, database connections and the unit of work."""
# Every table registers on Base.metadata when its module is imported.
from engine.store import collab_tables, cosign_tables, designer_tables, org_tables, supervision_tables, tables

__all__ = ["collab_tables", "cosign_tables", "designer_tables", "org_tables", "supervision_tables", "tables"]
