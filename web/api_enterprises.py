"""/api/v1 endpoints for enterprises: the list the enterprise page shows (with the same
filters) and one enterprise's 一企一账. Registered on the API blueprint (web/api.py), so
the same token authentication and JSON errors apply."""
from __future__ import annotations

from flask import jsonify, request

from .api import MAX_PER_PAGE, _actor, _int_arg, bp
from .extensions import get_engine

FILTERS = ("q", "unit", "scale", "type", "liaison", "status", "service")


@bp.get("/enterprises")
def enterprises():
    chosen = {name: (request.args.get(name) or "").strip()[:100] or None for name in FILTERS}
    return jsonify(get_engine().enterprises(_actor(), **chosen, page=_int_arg("page", 1, 1, 100_000),
                                            per_page=_int_arg("per_page", 20, 1, MAX_PER_PAGE)))


@bp.get("/enterprises/<int:enterprise_id>")
def enterprise(enterprise_id: int):
    return jsonify(get_engine().enterprise(_actor(), enterprise_id))
