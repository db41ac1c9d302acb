"""Bulk actions on selected inbox rows: claim, transfer, complete acknowledgements."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("inbox_bulk", __name__)
