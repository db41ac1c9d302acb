"""A stop asked of this process (SIGTERM or Ctrl-C to `sanfu scheduler`).

The first signal only raises a flag: the scheduler's drain finishes the timer under way (a few
milliseconds), gives the rest of its batch back and the loop ends. A handler that raised
SystemExit instead would land wherever the main thread happened to be, and inside a weakref
callback or a __del__ (the connection pool's and the ORM's, at a garbage collection) Python
prints the exception with a traceback and drops it. A second signal stops at once: the firing
under way rolls back and its claims are given back (engine.jobs.firing).

The flag is a plain attribute, not a threading.Event: the handler runs in the main thread,
and Event.set() there would deadlock on the Event's own lock if the signal came while the
main thread was inside Event.wait()."""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGTERM, signal.SIGINT)
SLICE = 0.1  # seconds: how soon a pause notices a stop


class _Flag:
    raised = False


_FLAG = _Flag()


def requested() -> bool:
    return _FLAG.raised


def ask(_signum=None, _frame=None) -> None:
    """The signal handler: the first call asks for a stop, a second one stops at once."""
    if _FLAG.raised:
        raise SystemExit(0)
    _FLAG.raised = True


def reset() -> None:
    _FLAG.raised = False


def pause(seconds: float) -> None:
    """Sleep `seconds`, or less if a stop is asked meanwhile."""
    deadline = time.monotonic() + seconds
    while not _FLAG.raised and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(SLICE, left))


@contextmanager
def on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT ask for a stop while the block runs (in the main thread, unless
    ignored; elsewhere only `ask` does); the flag is lowered on leaving, so that a later drain
    in the same process (a test, `sanfu fire-timers`) is not taken for a stopped one."""
    reset()
    main = threading.current_thread() is threading.main_thread()
    # A signal the parent set to be ignored stays ignored: a shell's background job (`make run`
    # starts the scheduler with `&`) ignores Ctrl-C, and the shell's trap sends SIGTERM instead.
    ours = [sig for sig in SIGNALS if signal.getsignal(sig) != signal.SIG_IGN] if main else []
    previous = {sig: signal.signal(sig, ask) for sig in ours}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        reset()
