"""The instance page and its bpmn-js diagram."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("instances", __name__)
