"""结对一批、服务一批、增补一批: an enterprise's pairing status moves with its service. A paired
(结对) or added (增补) enterprise whose 结对服务 run ends — visited, checked, its matters
closed or explained, followed up — is served (已服务) and shows so on the enterprise list."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.store.org_tables import Enterprise

SERVICE_PROCESS = "enterprise_service"
WAITING = ("paired", "added")


class ServiceStatusProjection:
    """The runtime's hook: when a service run ends, its enterprise is served."""

    def project(self, session: Session, loaded, new: bool) -> None:
        instance = loaded.instance
        if not loaded.completed or instance.status != "running" or instance.enterprise_id is None:
            return
        if instance.process_key != SERVICE_PROCESS:
            return
        session.execute(update(Enterprise).where(Enterprise.id == instance.enterprise_id,
                                                 Enterprise.status.in_(WAITING))
                        .values(status="served").execution_options(synchronize_session=False))
