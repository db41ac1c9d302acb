"""What an id must be for the database to hold it: PostgreSQL's `integer` (SQLite's would take
more, and then PostgreSQL, the production database, would not). A number past it names nothing:
callers answer "not found" instead of letting the driver fail with an overflow."""
from __future__ import annotations

MAX_ID = 2**31 - 1


def storable_id(value) -> bool:
    """1 ≤ value ≤ 2^31-1, an int (a bool is not an id)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def ids_from(texts) -> list[int]:
    """The storable ids among texts of digits (checkbox values of a bulk form); others are dropped."""
    return [int(t) for t in texts if isinstance(t, str) and t.isdigit() and storable_id(int(t))]
