"""The audit administrator's log viewer."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_audit", __name__)
