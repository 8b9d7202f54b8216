"""Few large, reused allocations for the many arrays of one batch evaluation.

Why: evaluating B mappings makes some dozens of (K, B) and (J, B) arrays. Allocated one by one
(each above glibc's mmap threshold), each is mapped afresh and unmapped when freed, so its
pages are faulted in again on every batch: a third of the run time at B = 4096. Carved out of
a few blocks, and the blocks reused from batch to batch (:class:`BlockPool`), the pages stay
mapped. A block goes back to its pool only when the last array carved from it is freed, so a
result that is kept keeps its memory.
"""
from __future__ import annotations

import _thread
import math
import threading
import weakref

import numpy as np

_ALIGN = 64


class _Lease:
    """The owner of a pooled block while arrays use it: numpy keeps it alive through every
    view (``__array_interface__`` exporter), and it returns the block when the last one dies."""

    def __init__(self, pool: "BlockPool", block: np.ndarray):
        self.pool, self.block = pool, block
        self.__array_interface__ = block.__array_interface__

    def __del__(self):
        try:
            self.pool.give_back(self.block)
        except KeyboardInterrupt:
            # a signal handler raised while the collector ran this finalizer, where Python
            # can only print the exception (a traceback, to the user) and drop it. Delivered
            # again from another thread a moment later, it is raised by the main thread's
            # next steps, out of this finalizer (should it land in one again: again later)
            timer = threading.Timer(0.01, _thread.interrupt_main)
            timer.daemon = True
            timer.start()


class BlockPool:
    """Free uint8 blocks of memory, reused by the arenas of later batches: at most ``keep``
    blocks and ``keep_bytes`` bytes, the most recently freed (the sizes in use now)."""

    def __init__(self, keep: int = 4, keep_bytes: int = 256 << 20):
        self.keep, self.keep_bytes = keep, keep_bytes
        self._free: list[np.ndarray] = []
        self._lock = threading.RLock()       # re-entrant: give_back may run from a __del__

    def take(self, nbytes: int) -> np.ndarray:
        """A uint8 array of at least ``nbytes``: a free block if one fits (not more than
        twice as large, so small batches do not pin big blocks), else a new one."""
        with self._lock:
            for i, block in enumerate(self._free):
                if nbytes <= len(block) <= 2 * nbytes + (1 << 20):
                    del self._free[i]
                    break
            else:
                block = None
        if block is None:
            block = np.empty(nbytes, dtype=np.uint8)
        return np.asarray(_Lease(self, block))

    def __getstate__(self):                 # a pickled model (e.g. to joblib workers)
        return {"keep": self.keep, "keep_bytes": self.keep_bytes}   # starts empty

    def __setstate__(self, state):
        self.__init__(state["keep"], state["keep_bytes"])

    def give_back(self, block: np.ndarray) -> None:
        with self._lock:
            self._free.append(block)
            while len(self._free) > self.keep or \
                    sum(len(b) for b in self._free) > self.keep_bytes:
                del self._free[0]


class Arena:
    """Hands out uninitialised arrays from large blocks (``empty``), or filled ones.

    ``nbytes`` sizes the first block (the model passes what the previous batch of the same
    shape used, so one block usually serves the whole batch); later blocks are at least as
    large as the request and ``min_block``. Blocks come from ``pool`` when given.
    """

    def __init__(self, nbytes: int = 0, pool: BlockPool | None = None,
                 min_block: int = 256 << 10):
        self.min_block = min_block
        self.pool = pool
        self.used = 0                       # bytes handed out, over all blocks
        self._block = self._new_block(nbytes) if nbytes else np.empty(0, dtype=np.uint8)
        self._next = 0

    def _new_block(self, nbytes: int) -> np.ndarray:
        return self.pool.take(nbytes) if self.pool else np.empty(nbytes, dtype=np.uint8)

    def empty(self, shape: tuple[int, ...], dtype=np.int64) -> np.ndarray:
        dtype = np.dtype(dtype)
        n = math.prod(shape) * dtype.itemsize
        size = -(-n // _ALIGN) * _ALIGN
        if self._next + size > len(self._block):
            self._block = self._new_block(max(size, self.min_block))
            self._next = 0
        out = self._block[self._next: self._next + n].view(dtype).reshape(shape)
        self._next += size
        self.used += size
        return out

    def full(self, shape: tuple[int, ...], value, dtype=np.int64) -> np.ndarray:
        out = self.empty(shape, dtype)
        out.fill(value)
        return out


class Columns:
    """The result arrays of a whole batch evaluated in passes, a window of columns at a time.

    Every pass asks for the same arrays in the same order (the model's allocations of results
    do not depend on the data), so request i of the pass over columns [a, b) gets columns
    [a, b) of whole array i: the passes write the whole result in place, no join copies.
    """

    def __init__(self, arena: Arena, batch_size: int):
        self.arena, self.batch_size = arena, batch_size
        self.arrays: list[np.ndarray] = []
        #: id of a window -> (the window, its whole array); the window is kept so that its
        #: id cannot be reused by another array while this map exists
        self._whole: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def window(self, start: int, stop: int) -> "_Window":
        return _Window(self, start, stop)

    def whole(self, window: np.ndarray) -> np.ndarray | None:
        """The whole array of a window handed out (None for other arrays)."""
        entry = self._whole.get(id(window))
        return entry[1] if entry is not None and entry[0] is window else None


class _Window:
    """The arena of one pass (see :class:`Columns`)."""

    def __init__(self, columns: Columns, start: int, stop: int):
        self.columns, self.start, self.stop = columns, start, stop
        self.used = 0
        self._next = 0

    def empty(self, shape: tuple[int, ...], dtype=np.int64) -> np.ndarray:
        c, dtype = self.columns, np.dtype(dtype)
        if shape[-1] != self.stop - self.start:
            raise ValueError(f"a window of {self.stop - self.start} columns, asked {shape}")
        if self._next == len(c.arrays):
            c.arrays.append(c.arena.empty(tuple(shape[:-1]) + (c.batch_size,), dtype))
        whole = c.arrays[self._next]
        if whole.shape[:-1] != tuple(shape[:-1]) or whole.dtype != dtype:
            raise ValueError("the passes of a batch asked for different result arrays")
        self._next += 1
        out = whole[..., self.start: self.stop]
        c._whole[id(out)] = (out, whole)
        self.used += out.nbytes
        return out

    def full(self, shape: tuple[int, ...], value, dtype=np.int64) -> np.ndarray:
        out = self.empty(shape, dtype)
        out.fill(value)
        return out


class Memory:
    """The one interface of the model to this module: where the arrays of its evaluations
    live. The model asks for the arenas of a pass (:meth:`results`, :meth:`work`) or the
    columns of a batch evaluated in passes (:meth:`passes`), and reports what a pass used
    (:meth:`used`) so the next batch of the same kind gets one block of the right size.

    Result arrays are sized per skeleton (their number does not depend on the factors), work
    arrays per nest shape (weakly: a shape the model drops takes its entry along).
    """

    def __init__(self):
        self._pools = (BlockPool(), BlockPool())                   # results, work
        self._result_bytes: dict = {}                              # skeleton -> bytes/mapping
        self._work_bytes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def results(self, skeleton, batch_size: int) -> Arena:
        """The arena of a pass's result arrays."""
        return Arena(self._result_bytes.get(skeleton, 0) * batch_size, self._pools[0])

    def work(self, shape, batch_size: int) -> Arena:
        """The arena of a pass's work arrays (they live while its nest does)."""
        return Arena(self._work_bytes.get(shape, 0) * batch_size, self._pools[1])

    def passes(self, skeleton, batch_size: int) -> Columns:
        """The whole result arrays of a batch evaluated in passes (see :class:`Columns`)."""
        return Columns(self.results(skeleton, batch_size), batch_size)

    def used(self, skeleton, shape, results, work, batch_size: int) -> None:
        """Remember the bytes per mapping a pass of ``batch_size`` took from each arena."""
        if batch_size:
            self._result_bytes[skeleton] = -(-results.used // batch_size)
            self._work_bytes[shape] = -(-work.used // batch_size)

    def __getstate__(self):                 # a pickled model (e.g. to joblib workers)
        return {"empty": True}              # starts empty (a falsy state would skip
                                            # __setstate__)

    def __setstate__(self, state):
        self.__init__()
