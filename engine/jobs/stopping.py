"""A stop asked of this process (SIGTERM or Ctrl-C to `sanfu scheduler`).

The first signal only sets a flag: the scheduler's drain finishes the timer under way (a few
milliseconds), gives the rest of its batch back and the loop ends. A handler that raised
SystemExit instead would land wherever the main thread happened to be, and inside a weakref
callback or a __del__ (the connection pool's and the ORM's, at a garbage collection) Python
prints the exception with a traceback and drops it. A second signal stops at once: the firing
under way rolls back and its claims are given back (engine.jobs.firing)."""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

REQUESTED = threading.Event()
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def requested() -> bool:
    return REQUESTED.is_set()


def ask(_signum=None, _frame=None) -> None:
    """The signal handler: the first call asks for a stop, a second one stops at once."""
    if REQUESTED.is_set():
        raise SystemExit(0)
    REQUESTED.set()


@contextmanager
def on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT ask for a stop while the block runs (in the main thread; elsewhere
    only `ask` does); the flag is cleared on leaving, so that a later drain in the same
    process (a test, `sanfu fire-timers`) is not taken for a stopped one."""
    REQUESTED.clear()
    main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, ask) for sig in SIGNALS} if main else {}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        REQUESTED.clear()
