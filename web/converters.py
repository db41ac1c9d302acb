"""URL converters: an id in a URL is what the database can hold, or the URL names nothing.

Every `<int:…>` route takes ids 1 … 2^31-1 (PostgreSQL's `integer`): `/api/v1/enterprises/2147483648`
is a clean 404 before any query, not an "integer out of range" 500. `bounded_int` is the same
converter under its own name for routes that want to say so."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from engine.store.ids import MAX_ID


class BoundedIntConverter(IntegerConverter):
    """An integer 1 ≤ n ≤ 2^31-1 (a route may narrow it, never widen it); anything else does not match: 404."""

    def __init__(self, url_map, fixed_digits: int = 0, signed: bool = False, **bounds) -> None:
        low = 1 if bounds.get("min") is None else sorted((1, bounds["min"]))[1]
        high = MAX_ID if bounds.get("max") is None else sorted((MAX_ID, bounds["max"]))[0]
        super().__init__(url_map, fixed_digits=fixed_digits, min=low, max=high, signed=signed)


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: rules bind their converters when they are added."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["bounded_int"] = BoundedIntConverter
