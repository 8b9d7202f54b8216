"""Worker processes that can be stopped: the parallelism of ``run_search`` and of network runs.

A task is a module-level function called as ``fn(*args, context=context)``; the
:class:`Context` gives it the :class:`StopFlag` to poll and ``report`` to send its progress
(at most every :data:`REPORT_EVERY` seconds) to the caller. The same task runs in the
calling process with :class:`LocalContext` (one job) or in a :class:`WorkerPool`.

Why not joblib's loky executor, which ran the workers before: it keeps its workers alive
after a call, has no way to ask a running task to stop and return what it has, and a Ctrl-C
or SIGTERM of the parent left workers computing for minutes. Why not ``multiprocessing``'s
spawn: it re-runs the caller's main script in every worker (a script without an
``if __name__ == "__main__"`` guard then fails). Here a worker is a fresh interpreter
(``sys.executable``, the caller's ``sys.path``) that talks to the parent over two pipes:

* it is started with SIGINT and SIGTERM blocked until its handlers are set; it ignores SIGINT
  (a Ctrl-C reaches the whole process group; the parent decides) and turns SIGTERM into a
  stop request of its own;
* the parent hands out tasks one at a time (an idle worker gets the next), sends "stop"
  when its flag is set (the running searches then return their best), and reads results
  and progress reports;
* end of file on its pipe from the parent means the parent is gone (killed): the worker
  exits at once, so no worker outlives the command;
* a search that does not return within ``stopping.RETURN_S`` seconds of a stop (a phase that
  polls nothing) is interrupted inside the worker and returns its best so far; a worker
  that has still not returned after :data:`GRACE_S` seconds is killed (by
  :meth:`WorkerPool.results` or :meth:`WorkerPool.close`).
"""
from __future__ import annotations

import importlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterator, Sequence

from .stopping import StopFlag, StopReason, interrupted_after

#: seconds between two progress reports of a task
REPORT_EVERY = 0.2
#: seconds the workers have to return their best after a stop request before they are killed
GRACE_S = 5.0
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class WorkerError(RuntimeError):
    """A worker process died, or a task failed with an error that cannot be passed on."""


@dataclass(frozen=True)
class Task:
    """``fn(*args, context=...)``; ``fn`` must be a module-level function (it is pickled by
    name) and ``args`` picklable."""

    fn: Callable[..., Any]
    args: tuple = ()


class Context:
    """What a running task sees: the stop flag, and a way to report progress."""

    #: the signal whose Python handler :func:`~mapper.mapsearch.stopping.interrupted_after`
    #: calls to interrupt a task that does not return after a stop
    interrupt_signal = signal.SIGINT

    def __init__(self, stop: StopFlag):
        self.stop = stop
        self._last = 0.0

    def due(self) -> bool:
        """Whether a progress report is due (the task builds one only then)."""
        return time.monotonic() - self._last >= REPORT_EVERY

    def report(self, payload: Any) -> None:
        self._last = time.monotonic()
        self._send(payload)

    def _send(self, payload: Any) -> None:
        raise NotImplementedError


class LocalContext(Context):
    """A task run in the calling process: reports go straight to ``on_report``."""

    def __init__(self, stop: StopFlag, on_report: Callable[[Any], None] | None = None):
        super().__init__(stop)
        self.on_report = on_report

    def _send(self, payload: Any) -> None:
        if self.on_report is not None:
            self.on_report(payload)


class _WorkerContext(Context):
    interrupt_signal = signal.SIGUSR1        # a worker ignores SIGINT (see worker_main)

    def __init__(self, stop: StopFlag, out: "_Sender", task_id: int):
        super().__init__(stop)
        self.out, self.task_id = out, task_id

    def _send(self, payload: Any) -> None:
        self.out.send(("report", self.task_id, payload))


class _Worker:
    """The parent's end of one worker: the process, its two pipes, its current task."""

    def __init__(self, index: int, preload: tuple[str, ...] = ()):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        boot = (f"import sys; sys.path[:0] = {[p for p in sys.path]!r}; "
                f"from mapper.mapsearch.workers import worker_main; "
                f"worker_main({to_child_r}, {from_child_w}, {os.getpid()}, {preload!r})")
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", boot], stdin=subprocess.DEVNULL,
                                         pass_fds=(to_child_r, from_child_w))
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.index = index
        self.to = Connection(to_child_w, readable=False)
        self.inbox = Connection(from_child_r, writable=False)
        self.task: int | None = None
        self.alive = True

    def send(self, message) -> bool:
        try:
            self.to.send(message)
            return True
        except OSError:
            return False


class WorkerPool:
    """``jobs`` worker processes; use as a context manager (closing kills what is left).

    ``stop``: the caller's flag (set by its signal handlers): once set, no task is handed
    out any more and the running ones are told to stop; a worker's own stop request (it
    received SIGTERM) is carried back to it. ``preload``: modules each worker imports as it
    starts, before any task comes (a pool started early then boots while the caller works).
    """

    POLL_S = 0.05

    def __init__(self, jobs: int, stop: StopFlag, grace_s: float = GRACE_S,
                 preload: tuple[str, ...] = ()):
        self.stop, self.grace_s = stop, grace_s
        self._next_id = 0
        self._closed = False
        self._told: StopReason | None = None            # the stop the workers were sent
        self.workers: list[_Worker] = []
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            for i in range(jobs):
                self.workers.append(_Worker(i, preload))
        except BaseException:
            self.close(now=True)
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers]

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, kind, value, tb) -> None:
        self.close(now=kind is not None)

    def _tell_stop(self, reason: StopReason) -> None:
        if self._told is None:
            self._told = reason
            for w in self.workers:
                if w.alive:
                    w.send(("stop", str(reason)))

    def results(self, tasks: Sequence[Task], on_report: Callable[[int, Any], None] | None
                = None, deadline: float | None = None) -> Iterator[tuple[int, Any]]:
        """Run the tasks; yield ``(index, result)`` as each finishes. After a stop request
        (or ``deadline``, a ``time.monotonic()`` value, plus a second: the workers are past
        their time limit), tasks not started are dropped, and those running get
        :data:`GRACE_S` seconds to return before the workers are killed; dropped and killed
        tasks yield nothing. ``on_report(index, payload)``: a task's progress. A task's
        exception is raised here."""
        first = self._next_id
        self._next_id += len(tasks)
        todo = deque((first + i, t) for i, t in enumerate(tasks))
        stopped_at = None
        while todo or any(w.task is not None for w in self.workers):
            if deadline is not None and time.monotonic() > deadline + 1.0:
                self._tell_stop(StopReason.TIME_LIMIT)
            reason = self.stop.reason() or self._told
            if reason is not None:
                self._tell_stop(reason)
                todo.clear()
                if stopped_at is None:
                    stopped_at = time.monotonic()
                elif time.monotonic() - stopped_at > self.grace_s:
                    self._kill()
                    return
            for w in self.workers:
                if todo and w.alive and w.task is None:
                    tid, task = todo.popleft()
                    w.task = tid
                    if not w.send(("task", tid, task)):
                        todo.appendleft((tid, task))
                        self._lost(w, stopped_at is not None)
            busy = {w.inbox: w for w in self.workers if w.alive}
            if not busy:
                if todo:
                    raise WorkerError("every worker process has died")
                return
            for conn in wait(list(busy), timeout=self.POLL_S):
                w = busy[conn]
                try:
                    kind, tid, payload, *theirs = conn.recv()
                except (EOFError, OSError):
                    self._lost(w, stopped_at is not None)
                    continue
                except Exception as e:                # noqa: BLE001 -- a message not read
                    raise WorkerError(f"a worker's message could not be read: {e!r}") from e
                if kind == "report":
                    if on_report is not None and tid == w.task:
                        on_report(tid - first, payload)
                    continue
                w.task = None
                if theirs and theirs[0] and self.stop.reason() is None:
                    self.stop.request(StopReason(theirs[0]))     # the worker got SIGTERM
                if kind == "error":
                    raise payload
                if kind == "done" and tid >= first:
                    yield tid - first, payload

    def _lost(self, w: _Worker, stopping: bool) -> None:
        """A worker's pipe closed: it died (its task is lost)."""
        w.alive, task, w.task = False, w.task, None
        code = w.proc.wait()
        if task is not None and not stopping:
            raise WorkerError(f"a worker process died (exit code {code}); its share of the "
                              f"work is lost")

    def close(self, now: bool = False) -> None:
        """End the workers: tell them there is no more work (with ``now``, to stop first),
        wait up to :data:`GRACE_S` seconds (one with ``now``), then kill what is left."""
        if self._closed:
            return
        self._closed = True
        if now:
            self._tell_stop(self.stop.reason() or StopReason.INTERRUPTED)
        for w in self.workers:
            if w.alive:
                w.send(("exit",))
            w.to.close()
        wait_until = time.monotonic() + (1.0 if now else self.grace_s)
        for w in self.workers:
            try:
                w.proc.wait(max(0.0, wait_until - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        self._kill()
        for w in self.workers:
            w.inbox.close()

    def _kill(self) -> None:
        for w in self.workers:
            if w.proc.poll() is None:
                w.proc.kill()
        for w in self.workers:
            w.proc.wait()
            w.alive = False


# -- in the worker process --------------------------------------------------------------------

class _Sender:
    """The worker's pipe to the parent; a write that fails means the parent is gone."""

    def __init__(self, fd: int):
        self.conn = Connection(fd, readable=False)
        self.lock = threading.Lock()

    def send(self, message) -> None:
        try:
            with self.lock:
                self.conn.send(message)
        except OSError:
            os._exit(1)


def worker_main(inbox_fd: int, outbox_fd: int, parent: int,
                preload: tuple[str, ...] = ()) -> None:
    """A worker's life: tasks in, results and reports out, until "exit" or the parent's
    end of the pipe closes."""
    flag = StopFlag()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: flag.request(StopReason.TERMINATED))
    signal.signal(signal.SIGUSR1, _raise_interrupt)       # never sent: see _WorkerContext
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    for module in preload:
        importlib.import_module(module)
    out = _Sender(outbox_fd)
    tasks: queue.Queue = queue.Queue()
    threading.Thread(target=_listen, args=(Connection(inbox_fd, writable=False), flag, tasks),
                     daemon=True).start()
    while True:
        item = tasks.get()
        if item is None:
            break
        tid, task = item
        try:
            with interrupted_after(flag, _WorkerContext.interrupt_signal):
                result = task.fn(*task.args, context=_WorkerContext(flag, out, tid))
        except KeyboardInterrupt:            # interrupted after a stop, with nothing to return
            out.send(("dropped", tid, None, _told(flag)))
            continue
        except BaseException as e:                   # noqa: BLE001 -- passed to the parent
            out.send(("error", tid, _passable(e), _told(flag)))
            continue
        out.send(("done", tid, result, _told(flag)))


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _told(flag: StopFlag) -> str:
    """The worker's own stop request (SIGTERM), for the parent."""
    reason = flag.reason()
    return str(reason) if reason is not None and reason.early else ""


def _listen(inbox: Connection, flag: StopFlag, tasks: queue.Queue) -> None:
    """The parent's messages: tasks, "stop", "exit"; end of file: the parent is gone."""
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            os._exit(1)
        if message[0] == "task":
            tasks.put(message[1:])
        elif message[0] == "stop":
            flag.request(StopReason(message[1]))
        else:
            tasks.put(None)
            return


def _passable(e: BaseException) -> BaseException:
    """The exception itself if it can be pickled, else a WorkerError with its traceback."""
    import pickle
    try:
        pickle.loads(pickle.dumps(e))
        return e
    except Exception:                                 # noqa: BLE001
        return WorkerError("".join(traceback.format_exception(e)))
