"""The inbox as the Engine offers it (mixed into engine.service.Engine)."""
from __future__ import annotations

from engine import access
from engine.inbox.filters import parse_filter
from engine.inbox.views import inbox_page, process_options
from engine.runtime.facade import EngineParts


class InboxQueries(EngineParts):
    def inbox(self, actor: str, view: str = "todo", *, page: int = 1, per_page: int = 20,
              q: str | None = None, process: str | None = None, task_name: str | None = None,
              due_from=None, due_to=None, overdue: bool = False, sort: str | None = None,
              options: bool = False) -> dict:
        """One page of an inbox view with every tab's count (capped: see engine.inbox.views),
        filtered by enterprise `q`, `process` key, `task_name`, due range `due_from`/`due_to`
        (YYYY-MM-DD, Asia/Shanghai days), `overdue` only; `sort` one of inbox_filters.SORTS.
        `options`: also the deployed processes and their task names, for filter menus."""
        filters = parse_filter(q, process, task_name, due_from, due_to, overdue, sort)
        with self.uow(write=False) as uow:
            _, *acting_keys = access.actor_and_keys(uow.session, actor)   # one statement for both
            result = inbox_page(uow.session, actor, view, page, min(max(per_page, 1), 100), filters, tuple(acting_keys))
            if options:
                result["processes"] = process_options(uow.session)
            return result
