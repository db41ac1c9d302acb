"""Task page actions besides completing: 转办, 委派, 退回, 抄送, comments, drafts."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("task_actions", __name__)
