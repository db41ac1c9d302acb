"""What a long-running process does once it has started: take what it holds out of the cyclic
garbage collector's sight.

A started engine process holds ~140,000 objects that live as long as it does (modules, mappers,
compiled statements, parsed process specs). CPython's full collection walks all of them: the
profile of `sanfu bench` showed one such collection every few hundred commands, 100–200 ms
each (a latency spike for whoever's request it lands in, ~0.6 ms per command on average).
`gc.freeze()` moves the objects alive now into a generation the collector never scans; garbage
made later is collected as before. Called once per process after start-up (the web app's
factory, the bench), never per command."""
from __future__ import annotations

import gc

_settled = False


def settle() -> None:
    """Once per process: an app factory called again (tests) freezes nothing more."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
