"""JSON as the API documents it: every date-time is ISO 8601 / RFC 3339 with its UTC offset
(`2026-12-04T08:20:00+00:00`; a `*_local` field is Beijing time, `+08:00`), every date
`YYYY-MM-DD` — not Flask's default RFC 822 (`Fri, 04 Dec 2026 08:20:00 GMT`), which
`datetime.fromisoformat` and JSON Schema's `format: date-time` refuse.

The engine stores and returns timezone-aware UTC; a naive datetime (none should reach here)
is read as UTC, as the database columns are (engine.store.tables.UtcDateTime)."""
from __future__ import annotations

from datetime import UTC, date, datetime

from flask.json.provider import DefaultJSONProvider


def iso_default(value):
    if isinstance(value, datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return DefaultJSONProvider.default(value)


class IsoJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider (jsonify, `tojson`) with ISO 8601 dates and date-times."""

    default = staticmethod(iso_default)
