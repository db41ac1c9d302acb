"""Persistence: tables, database connections and the unit of work."""
from . import org_tables, tables  # noqa: F401  (every table registered on Base.metadata)
