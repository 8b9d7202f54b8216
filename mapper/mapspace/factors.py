"""Tilings: how each dimension's bound splits into factors over the loop slots of the levels.

A *slot* is one place a dimension's factor may go: the temporal nest of a storage level, or
its spatial fan-out on X or on Y. The product of a dimension's factors over its slots is its
bound (perfect factorization). Enumeration is level by level from the innermost, so that a
partial tiling whose tile already overflows a buffer, or whose spatial factors overflow a
fan-out, is dropped before anything outside it is enumerated.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..primes import divisors
from ..spec.mapping import Axis


def count_factorizations(bound: int, ranges: list[tuple[int, int]]) -> int:
    """Ordered factorizations of ``bound`` into ``len(ranges)`` factors, factor i in
    ``ranges[i]`` (inclusive): the exact size of one dimension's tiling space."""
    @lru_cache(maxsize=None)
    def ways(rest: int, i: int) -> int:
        lo, hi = ranges[i]
        if i == len(ranges) - 1:
            return int(lo <= rest <= hi)
        return sum(ways(rest // f, i + 1) for f in divisors(rest) if lo <= f <= hi)
    return ways(bound, 0) if ranges else int(bound == 1)


def factorizations(bound: int, ranges: list[tuple[int, int]]) -> np.ndarray:
    """(n, len(ranges)) every ordered factorization of ``bound`` with factor i in ranges[i]."""
    rows: list[tuple[int, ...]] = []

    def walk(rest: int, i: int, prefix: tuple[int, ...]) -> None:
        lo, hi = ranges[i]
        if i == len(ranges) - 1:
            if lo <= rest <= hi:
                rows.append(prefix + (rest,))
            return
        for f in divisors(rest):
            if lo <= f <= hi:
                walk(rest // f, i + 1, prefix + (f,))
    if ranges:
        walk(bound, 0, ())
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(ranges))


@dataclass(frozen=True)
class Slot:
    """Where a factor of one dimension may go: level k's temporal nest (``Axis.TEMPORAL``) or
    its fan-out on X or Y; ``lo..hi`` from the user's factor constraints. A spatial slot's
    range bounds the level's spatial factor, the product over its axes (:func:`allowed`)."""

    level: int
    axis: Axis
    lo: int = 1
    hi: int = 1 << 62

    def walk_range(self, slots: list["Slot"]) -> tuple[int, int]:
        """The range this factor alone may take among ``slots`` (one dimension's): its own,
        but from 1 for a spatial slot whose level has the other axis too (there the product
        of the two factors, not each, must reach ``lo``)."""
        if self.axis != Axis.TEMPORAL and any(s.level == self.level and s.axis not in (Axis.TEMPORAL, self.axis)
                                    for s in slots):
            return 1, self.hi
        return self.lo, self.hi


def allowed(slots: list[Slot], rows: np.ndarray) -> np.ndarray:
    """(n,) which rows of factors of one dimension (one column per slot of ``slots``) the
    slots allow: each temporal factor within its range; per level, at most one fan-out axis
    used (a loop sits on one axis) and the spatial factor, the product over the axes, within
    the range (as ``check_mapping`` judges the level's spatial factor)."""
    ok = np.ones(len(rows), dtype=bool)
    spatial: dict[int, list[int]] = {}
    for c, s in enumerate(slots):
        if s.axis == Axis.TEMPORAL:
            ok &= (rows[:, c] >= s.lo) & (rows[:, c] <= s.hi)
        else:
            spatial.setdefault(s.level, []).append(c)
    for cols in spatial.values():
        f = rows[:, cols]
        used = f.prod(axis=1)
        lo, hi = slots[cols[0]].lo, slots[cols[0]].hi
        ok &= ((f > 1).sum(axis=1) <= 1) & (used >= lo) & (used <= hi)
    return ok


def cartesian_rows(options: list[np.ndarray]) -> np.ndarray:
    """Cartesian product of row sets: (prod n_i, sum w_i), the first set varying slowest."""
    out = np.zeros((1, 0), dtype=np.int64)
    for opt in options:
        n, m = len(out), len(opt)
        out = np.concatenate([np.repeat(out, m, axis=0), np.tile(opt, (n, 1))], axis=1)
    return out
