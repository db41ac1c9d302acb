"""What a long-running process does once it has started: take what it holds out of the cyclic
garbage collector's sight.

A started engine process holds ~140,000 objects that live as long as it does (modules, mappers,
compiled statements, parsed process specs). CPython's full collection walks all of them: the
profile of `sanfu bench` showed one such collection every few hundred commands, 100–200 ms
each (a latency spike for whoever's request it lands in, ~0.6 ms per command on average).
`gc.freeze()` moves the objects alive now into a generation the collector never scans; garbage
made later is collected as before. Called once per process after start-up (the web app's
factory, the bench), never per command.

The youngest generation is also collected less often (every YOUNG_THRESHOLD allocations instead of
CPython's 700). A command's workflow is a web of reference cycles (each task points to its
workflow, the workflow to its tasks): ~2,000 objects for a 200-item parallel step, freed only by
the collector. Collected every 700 allocations, the command's own live objects were caught
mid-command again and again and moved to the older generations, whose collections then walked
them (and, later, the dead workflows): ~1 ms of every such completion (gc callbacks, sanfu bench's
200-item step). Every 20,000 allocations the young collection mostly finds the finished commands'
workflows already dead and frees them there."""
from __future__ import annotations

import gc

_settled = False
YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Once per process: an app factory called again (tests) freezes nothing more."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
    _threshold, *older = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *older)
