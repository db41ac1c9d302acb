"""/healthz for the reverse proxy and monitoring: 200 when the database answers and its schema is
current ("degraded" when no scheduler has run for two minutes: pages work, timers and the ladder
wait), 503 with Retry-After when the database is down or needs `sanfu init`. No login, no cookie,
nothing about people or cases."""
from __future__ import annotations

from flask import Blueprint, jsonify

from engine.errors import Unavailable

from .extensions import get_engine

bp = Blueprint("health", __name__)


@bp.route("/healthz", methods=["GET"])
def healthz():
    try:
        report = get_engine().health()
    except Unavailable as err:
        response = jsonify({"status": "down", "database": False})
        response.status_code, response.headers["Retry-After"] = 503, str(err.retry_after)
        return response
    if not report["migrations"]["ok"]:
        status = "down"
    else:
        status = "ok" if report["scheduler"]["ok"] else "degraded"
    response = jsonify({"status": status, **report})
    response.status_code = 503 if status == "down" else 200
    return response
