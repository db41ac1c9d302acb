"""The enterprise's one-time rating page (no account) and issuing its link."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rating", __name__)
