"""Uploading and downloading a task's attachments."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("attachments", __name__)
