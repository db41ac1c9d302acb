"""Persistence: tables, database connections and the unit of work."""
from . import collab_tables, org_tables, tables  # noqa: F401  (every table registered on Base.metadata)
from engine import api_tokens  # noqa: E402,F401  (the api_tokens table, defined with its commands)
