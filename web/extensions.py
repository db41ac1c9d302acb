"""What every blueprint shares with the app: its Engine, CSRF protection, the languages.

Kept apart from web/__init__.py (create_app) so that a blueprint imports these without
importing the package that imports it."""
from __future__ import annotations

from flask import current_app
from flask_wtf.csrf import CSRFProtect

from engine.service import Engine

LANGUAGES = ("zh_CN", "en")
csrf = CSRFProtect()


def get_engine() -> Engine:
    """The app's Engine (created once per app)."""
    return current_app.extensions["sanfu"]
