"""The Engine's 督办看板 queries: the dashboard, the lists behind its figures, the bulletin."""
from __future__ import annotations

from engine.runtime.facade import EngineParts
from engine.supervision import bulletin, drilldown
from engine.supervision.dashboard import dashboard
from engine.supervision.periods import Period, parse_period


def _period(period: str | Period | None) -> Period:
    return period if isinstance(period, Period) else parse_period(period)


class DashboardQueries(EngineParts):
    """Mixed into engine.service.Engine."""

    def dashboard(self, actor: str, unit_code: str | None = None, period: str | Period | None = None) -> dict:
        """督办看板: the figures of `unit_code`'s subtree (default: the actor's unit) for the period
        (`2026-11`, `2026-W48`, `2026-11-01..2026-11-15`; default: this month)."""
        chosen = _period(period)
        with self.uow(write=False) as uow:
            return dashboard(uow.session, actor, unit_code, chosen)

    def supervision_tasks(self, actor: str, unit_code: str | None = None, *, colour: str | None = "red",
                          late_period: str | Period | None = None, section_id: int | None = None,
                          own_only: bool = False, page: int = 1) -> dict:
        """The tasks behind a figure: open ones in `colour` (red, yellow, blue, open), or with
        `late_period` those completed late in it; of the unit's subtree, its own (本级) or one section."""
        late_in = _period(late_period) if late_period else None
        with self.uow(write=False) as uow:
            return drilldown.task_list(uow.session, actor, unit_code, colour=colour, late_in=late_in,
                                       section_id=section_id, own_only=own_only, page=page)

    def bulletin(self, actor: str, unit_code: str | None = None, period: str | Period | None = None) -> dict:
        """周/月通报 of the unit's subtree for the period (scoped as the dashboard)."""
        chosen = _period(period)
        with self.uow(write=False) as uow:
            return bulletin.bulletin(uow.session, actor, unit_code, chosen)

    def bulletin_xlsx(self, actor: str, unit_code: str | None = None, period: str | Period | None = None
                      ) -> tuple[str, bytes]:
        """(file name, xlsx bytes) of the 周/月通报."""
        data = self.bulletin(actor, unit_code, period)
        return f"{data['title']}.xlsx", bulletin.workbook(data)
