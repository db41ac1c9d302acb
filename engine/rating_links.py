"""The enterprise's one-time rating link (回访): issued from the follow-up step, used once, expires."""
from __future__ import annotations


class RatingCommands:
    """Mixed into engine.service.Engine."""
