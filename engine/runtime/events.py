"""Messages and signals between the outside world and instances, and between instances.

Every instance waiting on a message or signal catch event has an `event_subscriptions`
row (a projection of its state, like timer rows), so a message or a signal finds its
receivers with one indexed query. A message goes to one waiting instance (the one named,
or the longest waiting); a signal goes to every instance waiting for it. Events an
instance throws that nothing inside it catches are delivered the same way, in the same
transaction as the command that threw them.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import (
    MessageEventDefinition as SpiffMessage,
    SignalEventDefinition as SpiffSignal,
)
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import clock
from engine.store.tables import EventSubscription

KINDS = ((MessageEventDefinition, "message"), (SignalEventDefinition, "signal"))
MAX_HOPS = 20  # a signal ping-pong between instances stops here


def kind_of(definition) -> str | None:
    for cls, kind in KINDS:
        if isinstance(definition, cls):
            return kind
    return None


def waiting_subscriptions(workflow) -> set[tuple[str, str, str]]:
    """(task id, kind, name) for every catch event the workflow is waiting on."""
    found = set()
    for task in workflow.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        parts = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        for part in parts:
            kind = kind_of(part)
            if kind:
                found.add((str(task.id), kind, part.name))
    return found


def project(session: Session, instance, workflow, new: bool) -> None:
    wanted = waiting_subscriptions(workflow)
    if not new:
        session.execute(delete(EventSubscription).where(EventSubscription.instance_id == instance.id))
    now = clock.now()
    session.add_all([EventSubscription(instance_id=instance.id, task_id=task_id, kind=kind, name=name,
                                       created_at=now) for task_id, kind, name in sorted(wanted)])


def receivers(session: Session, kind: str, name: str, instance_id: int | None = None) -> list[int]:
    query = (select(EventSubscription.instance_id)
             .where(EventSubscription.kind == kind, EventSubscription.name == name)
             .order_by(EventSubscription.instance_id))
    if instance_id is not None:
        query = query.where(EventSubscription.instance_id == instance_id)
    ids = list(dict.fromkeys(session.scalars(query)))
    return ids[:1] if kind == "message" else ids


def make_event(kind: str, name: str, payload: dict | None) -> BpmnEvent:
    # SpiffWorkflow matches events by class as well as name: use the parser's own classes.
    definition = SpiffMessage(name) if kind == "message" else SpiffSignal(name)
    return BpmnEvent(definition, payload or None)


def thrown(workflow) -> list[tuple[str, str, dict | None]]:
    """Events the workflow threw that nothing inside it caught: (kind, name, payload)."""
    out = []
    for event in workflow.get_events():
        kind = kind_of(event.event_definition)
        if kind:
            out.append((kind, event.event_definition.name, event.payload))
    return out


def deliver(runtime, session: Session, pending: list[tuple[str, str, dict | None]], actor: str,
            instance_id: int | None = None) -> list[int]:
    """Deliver events to their receivers (and what those throw in turn); returns the ids of
    the instances that received one. All in the caller's transaction."""
    from engine.store import audit
    from engine.store.tables import Instance
    reached: list[int] = []
    queue = [(kind, name, payload, instance_id) for kind, name, payload in pending]
    for _ in range(MAX_HOPS):
        if not queue:
            break
        next_queue = []
        for kind, name, payload, target in queue:
            for receiver in receivers(session, kind, name, target):
                loaded = runtime.load(session, session.get(Instance, receiver))
                loaded.workflow.catch(make_event(kind, name, payload))
                runtime.advance(loaded)
                audit.record(session, actor, f"{kind}_received", instance_id=receiver,
                             detail={"name": name, "payload": payload})
                runtime.save(session, loaded, actor)
                reached.append(receiver)
                next_queue += [(k, n, p, None) for k, n, p in loaded.thrown]
        queue = next_queue
    return reached
