"""What a feature's commands need from the Engine facade, declared once.

Each feature (inbox, tasks, supervision, enterprises, admin …) writes its commands as a
class mixed into engine.service.Engine. They use the facade only through these parts — a
unit of work per command, the runtime, the settings — and the public methods of the
Engine; never a private helper of another feature (the rules of who may do what are in
engine.access)."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from engine.config import Settings
from engine.runtime.core import Runtime
from engine.store.uow import UnitOfWork


class EngineParts(Protocol):
    runtime: Runtime
    settings: Settings
    forms_dir: Path

    def uow(self, write: bool = True) -> UnitOfWork: ...

    def read_one(self, statement, params: dict): ...
