"""Why a search stopped, and how it is told to stop early.

:class:`StopReason` is what a search reports (``stats.json``'s ``stopped_by`` is its value, a
readable string). :class:`StopFlag` is what a running search polls (``Search.out_of_time``):
a signal handler, the parent of a worker process or a watchdog sets it, and the search
returns its best mapping so far at its next check. :func:`stop_on_signals` turns SIGINT and
SIGTERM into such a request for the duration of a run; a second Ctrl-C raises
``KeyboardInterrupt`` at once.
"""
from __future__ import annotations

import _thread
import signal
import threading
from contextlib import contextmanager
from enum import StrEnum
from typing import Iterator


#: seconds a search has, after a stop request, to return by itself before it is interrupted
RETURN_S = 3.0


class StopReason(StrEnum):
    """Why a search (or one of its workers) stopped; the value is the readable form."""

    FINISHED = "finished"                       # the whole space (or share) was searched
    CONVERGED = "converged"                     # hill climbing found no improving move
    SEARCH_SIZE = "search size"                 # the requested number of evaluations
    VICTORY_CONDITION = "victory condition"     # that many valid mappings without improvement
    TIME_LIMIT = "time limit"
    INTERRUPTED = "interrupted"                 # Ctrl-C (SIGINT)
    TERMINATED = "terminated"                   # SIGTERM

    @property
    def early(self) -> bool:
        """Stopped from outside (a signal), not by the search's own rules or its budget."""
        return self in (StopReason.INTERRUPTED, StopReason.TERMINATED)

    @classmethod
    def overall(cls, reasons) -> "StopReason":
        """The reason of a run made of several workers: the most external one (a signal over
        the time limit over the search's own ends; ``finished`` only when all finished)."""
        reasons = [cls(r) for r in reasons]
        return max(reasons, key=_RANK.index) if reasons else cls.FINISHED


#: least to most external
_RANK = [StopReason.FINISHED, StopReason.CONVERGED, StopReason.SEARCH_SIZE,
         StopReason.VICTORY_CONDITION, StopReason.TIME_LIMIT, StopReason.TERMINATED,
         StopReason.INTERRUPTED]
#: codes of the reasons in a shared integer (0: no request)
_CODES = {r: i + 1 for i, r in enumerate(StopReason)}


class StopFlag:
    """A request to stop early, with its reason; cheap to poll, safe to set from a signal
    handler (plain stores, no locks). ``shared``: a ``multiprocessing`` ``RawValue("i")``
    that carries the request to or from other processes."""

    def __init__(self, shared=None):
        self._local: StopReason | None = None
        self.shared = shared
        #: within :meth:`raising`: the signal handlers raise KeyboardInterrupt at once
        self.raise_now = False

    def request(self, reason: StopReason) -> None:
        if self._local is None:
            self._local = reason
        if self.shared is not None and self.shared.value == 0:
            self.shared.value = _CODES[reason]

    def reason(self) -> StopReason | None:
        if self._local is not None:
            return self._local
        if self.shared is not None and self.shared.value:
            return list(StopReason)[self.shared.value - 1]
        return None

    def __bool__(self) -> bool:
        return self.reason() is not None

    @contextmanager
    def raising(self) -> Iterator[None]:
        """Within this block a signal handled by :func:`stop_on_signals` also raises
        KeyboardInterrupt, for work that polls nothing (a CP-SAT solve)."""
        before, self.raise_now = self.raise_now, True
        try:
            yield
        finally:
            self.raise_now = before


class _Handler:
    """What :func:`stop_on_signals` installs for SIGINT and SIGTERM."""

    def __init__(self, flag: StopFlag):
        self.flag = flag

    def __call__(self, signum, frame) -> None:
        again = self.flag.reason() is not None
        self.flag.request(StopReason.TERMINATED if signum == signal.SIGTERM
                          else StopReason.INTERRUPTED)
        if self.flag.raise_now or (again and signum == signal.SIGINT):
            raise KeyboardInterrupt


@contextmanager
def stop_on_signals(flag: StopFlag) -> Iterator[StopFlag]:
    """While the block runs (on the main thread), SIGINT and SIGTERM set ``flag``
    (INTERRUPTED, TERMINATED) instead of killing the process; a second SIGINT raises
    KeyboardInterrupt. The previous handlers come back afterwards. Off the main thread
    (where Python cannot install handlers) nothing changes, nor for a signal the process
    was started with ignored (``nohup``, a background job of a script)."""
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)
              if signal.getsignal(s) is not signal.SIG_IGN}
    handler = _Handler(flag)
    for s in before:
        signal.signal(s, handler)
    try:
        yield flag
    finally:
        for s, h in before.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)


@contextmanager
def interrupted_after(flag: StopFlag, signum: int = signal.SIGINT,
                      grace_s: float = RETURN_S) -> Iterator[None]:
    """Once ``flag`` is set, give the block ``grace_s`` seconds to end by itself, then raise
    KeyboardInterrupt in it (through the Python handler of ``signum``, as a second Ctrl-C
    would, see :func:`stop_on_signals`): for the phases of a search that poll nothing. Only
    on the main thread, and only if that handler raises (a handler set to SIG_IGN or SIG_DFL
    makes this do nothing). Within such a block, another one does nothing: the outermost
    watches."""
    global _watching
    if threading.current_thread() is not threading.main_thread() or _watching:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            if flag.reason() is not None:
                if not done.wait(grace_s):
                    _thread.interrupt_main(signum)
                return

    watcher = threading.Thread(target=watch, name="mapper-stop-watch", daemon=True)
    watcher.start()
    _watching = True
    try:
        yield
    finally:
        _watching = False
        done.set()
        watcher.join()


_watching = False
