"""Few large allocations for the many arrays of one batch evaluation.

Why: evaluating B mappings makes some dozens of (K, B) and (J, B) arrays. Allocated one by one
(each above glibc's mmap threshold), every one is mapped afresh and unmapped when freed, so
each page is faulted in again on every batch: a third of the run time at B = 4096. Carved out
of one block per batch, the memory is mapped once, or reused by the allocator from the
previous batch. The block lives as long as any array carved from it.
"""
from __future__ import annotations

import math

import numpy as np

_ALIGN = 64


class Arena:
    """Hands out uninitialised arrays from large blocks (``empty``), or filled ones.

    ``nbytes`` sizes the first block (the model passes what the previous batch of the same
    shape used, so one block usually serves the whole batch); later blocks are at least as
    large as the request and ``min_block``.
    """

    def __init__(self, nbytes: int = 0, min_block: int = 256 << 10):
        self.min_block = min_block
        self.used = 0                       # bytes handed out, over all blocks
        self._block = np.empty(0, dtype=np.uint8)
        self._next = 0
        if nbytes:
            self._block = np.empty(nbytes, dtype=np.uint8)

    def empty(self, shape: tuple[int, ...], dtype=np.int64) -> np.ndarray:
        dtype = np.dtype(dtype)
        n = math.prod(shape) * dtype.itemsize
        size = -(-n // _ALIGN) * _ALIGN
        if self._next + size > len(self._block):
            self._block = np.empty(max(size, self.min_block), dtype=np.uint8)
            self._next = 0
        out = self._block[self._next: self._next + n].view(dtype).reshape(shape)
        self._next += size
        self.used += size
        return out

    def full(self, shape: tuple[int, ...], value, dtype=np.int64) -> np.ndarray:
        out = self.empty(shape, dtype)
        out.fill(value)
        return out
