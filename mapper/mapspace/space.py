"""The mapspace of one workload on one architecture under the user's constraints.

Three independent choices make a mapping (Timeloop's index-factorization, loop-permutation
and datatype-bypass subspaces):

* a **tiling**: each dimension's bound split over the slots (temporal nest, fan-out X, fan-out
  Y) of the storage levels, within the factor constraints;
* per level, a **loop order** of its non-unit temporal loops (``orders.py``);
* per level, the **kept data spaces** (``keep_choices``).

Tilings are enumerated in stages: first every spatial factor (all fan-outs at once, dropping
what overflows a fan-out or misses the utilization constraint), then the temporal factors
level by level from the innermost, dropping partial tilings whose tiles overflow a buffer
(for the kept data spaces) before anything outside them is enumerated. A partial tiling
"through level k" has every spatial factor and the temporal factors of levels 0..k (k = -1:
the spatial factors only). Stages are enumerated in pieces of bounded size.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..model.capacity import tile_words
from ..spec.arch import Arch
from ..spec.constraints import Constraints, NestConstraints
from ..spec.mapping import Axis
from ..spec.workload import Workload
from .factors import Slot, allowed, cartesian_rows, divisors, factorizations
from .orders import ReuseRoles, order_classes


@dataclass
class Tilings:
    """A chunk of tilings: ``temporal`` and ``spatial`` (B, K, D) factors, and per level which
    dimensions use the Y axis of the fan-out (``on_y`` (B, K, D) bool; the rest use X)."""

    temporal: np.ndarray
    spatial: np.ndarray
    on_y: np.ndarray

    def __len__(self) -> int:
        return len(self.temporal)


class MapSpace:
    def __init__(self, arch: Arch, workload: Workload, constraints: Constraints | None = None):
        self.arch, self.workload = arch, workload
        self.constraints = constraints or Constraints.none(arch)
        self.dims = workload.dims
        K = len(arch.storage)
        self.slots: dict[str, list[Slot]] = {d: [] for d in self.dims}
        for k, level in enumerate(arch.storage):
            lc = self.constraints.levels[k]
            fx, fy = arch.fanout(k)
            for d in self.dims:
                bound = workload.bounds[d]
                lo, hi = lc.spatial.factor_range(d, bound)
                for axis, fan in ((Axis.X, fx), (Axis.Y, fy)):
                    if fan > 1 and hi > 1 and axis in self._axes(lc.spatial, d):
                        self.slots[d].append(Slot(k, axis, lo, hi))
                lo, hi = lc.temporal.factor_range(d, bound)
                if hi > 1 or k == K - 1:
                    self.slots[d].append(Slot(k, Axis.TEMPORAL, lo, hi))
        self.keep_choices = self._keep_choices()
        self.reuse_roles = ReuseRoles.of(workload)
        self._option_cache: dict = {}
        self._tables: dict[str, np.ndarray] = {}
        bounds = [workload.bounds[d] + 1 for d in self.dims]
        self._radix = np.array([math.prod(bounds[:j]) for j in range(len(bounds))], np.int64)

    # ------------------------------------------------------------------ structure
    def order_classes(self, k: int, loops: tuple[str, ...], keep) -> tuple[tuple[str, ...], ...]:
        """One full order of level k per class of orders of its non-unit ``loops`` that give
        equal counts (:func:`~mapper.mapspace.orders.order_classes`). Only the data spaces
        that some level below k keeps can tell orders of level k apart: the others' delta
        sums never look at its loops. Where level 0 fans out to the MACs, every data space
        tells every level's orders apart (level 0's included): which carries leave a MAC's
        word in place, so that it may come over a link, is seen over every temporal loop.
        Likewise a fan-out at a level 1..k: its links (TIMELOOP_SEMANTICS §4) change what it
        forwards of a data space bypassed below it, by the carries of level k's loops."""
        fans = any(math.prod(self.arch.fanout(j)) > 1 for j in range(min(k, len(keep) - 1) + 1))
        below = [i for i, ds in enumerate(self.workload.ds_names)
                 if fans or any(ds in keep[j] for j in range(k))]
        return order_classes(loops, self.dims, self.constraints.levels[k].temporal.order,
                             self.reuse_roles.only(below))

    def _axes(self, nest: NestConstraints, d: str) -> set[str]:
        """The fan-out axes a dimension may use at a level, from the permutation and split."""
        n = len(self.dims)
        if nest.split is None:
            return {Axis.X, Axis.Y}
        split = min(nest.split, n)
        pos = nest.order.position(d, n) if nest.order else None
        if pos is not None:
            return {Axis.X} if pos < split else {Axis.Y}
        first = len(nest.order.inner) if nest.order else 0
        end = n - (len(nest.order.outer) if nest.order else 0)
        free = range(first, end)
        return {Axis.X if p < split else Axis.Y for p in free} or {Axis.X}

    def _keep_choices(self) -> list[tuple[frozenset[str], ...]]:
        """Every combination of keep sets the constraints allow; the outermost level keeps all
        (it is the backing store)."""
        per_level = []
        names = self.workload.ds_names
        for k, lc in enumerate(self.constraints.levels):
            if k == len(self.constraints.levels) - 1:
                per_level.append([frozenset(names)])
                continue
            free = [n for n in names if n not in lc.keep and n not in lc.bypass]
            per_level.append([frozenset(lc.keep | set(c)) for r in range(len(free) + 1)
                              for c in itertools.combinations(free, r)])
        return [tuple(c) for c in itertools.product(*per_level)]

    def size(self) -> dict[str, int]:
        """Exact sizes before pruning: tilings (each spatial axis choice counted), keep choices."""
        tilings = 1
        for d in self.dims:
            tilings *= len(self.factor_table(d))
        return {"tilings": tilings, "keep_choices": len(self.keep_choices)}

    # ------------------------------------------------------------------ enumeration
    def tilings(self, keep: tuple[frozenset[str], ...], chunk: int = 65536) -> Iterator[Tilings]:
        """Every tiling that fits (capacity with these keep sets, fan-outs, factor and
        utilization constraints), in chunks of at most about ``chunk``."""
        yield from self._expand(-1, *self.root(), keep, chunk)

    # ------------------------------------------------------------------ partial tilings
    def root(self) -> tuple[np.ndarray, np.ndarray]:
        """The empty partial tiling: no factor columns, every bound remaining."""
        return (np.zeros((1, 0), dtype=np.int64),
                np.array([[self.workload.bounds[d] for d in self.dims]], dtype=np.int64))

    def partial_tilings(self, keep: tuple[frozenset[str], ...], through: int,
                        chunk: int = 65536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The partial tilings through level ``through`` that fit, as (factor columns in
        ``slot_order(through)`` order, each row's remaining bound per dimension)."""
        yield from self._expand(-1, *self.root(), keep, chunk, stop=through)

    def parked(self, done: np.ndarray, rest: np.ndarray, through: int) -> Tilings:
        """The partial tilings with their remaining factors as temporal loops of the outermost
        level: what :meth:`Model.evaluate` bounds with ``fixed_through``."""
        tilings = self.assemble(done, self.slot_order(through))
        tilings.temporal[:, -1] *= rest
        return tilings

    def finish(self, done: np.ndarray, rest: np.ndarray, keep) -> np.ndarray:
        """Whole tilings, as factor columns in ``slot_order(K - 1)``, from partial tilings
        through the level below the outermost: the outermost level's temporal loops take
        each dimension's remainder (the only choice; vectorized, as each row would be a
        group of its own in :meth:`expand`)."""
        K = len(self.arch.storage)
        slots = self._stage_slots(K - 1)
        ok = np.ones(len(done), dtype=bool)
        has = np.zeros(len(self.dims), dtype=bool)
        for j, s in slots:
            has[j] = True
            ok &= (rest[:, j] >= s.lo) & (rest[:, j] <= s.hi)
        ok &= (rest[:, ~has] == 1).all(axis=1)
        cols = np.concatenate([done[ok], rest[ok][:, [j for j, _ in slots]]], axis=1)
        cols, _ = self._prune(K - 1, cols, rest[ok], keep)
        return cols

    def _stage_slots(self, k: int) -> list[tuple[int, Slot]]:
        """(dim index, slot) of the stage that completes the partial tilings through level k:
        every spatial slot for k = -1, else level k's temporal slot of each dimension."""
        if k < 0:
            return [(j, s) for j, d in enumerate(self.dims) for s in self.slots[d]
                    if s.axis != Axis.TEMPORAL]
        return [(j, s) for j, d in enumerate(self.dims) for s in self.slots[d]
                if s.level == k and s.axis == Axis.TEMPORAL]

    def expand(self, k: int, done: np.ndarray, rest: np.ndarray, keep,
               piece: int = 65536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Extend partial tilings ``done`` (through level k - 1, in slot order; ``rest``
        their remaining bound per dimension) to level k (k = -1: the spatial factors) by
        every choice that fits (fan-out, capacity with these keep sets, utilization), in
        pieces of at most about ``piece`` rows: memory stays bounded however many choices a
        level has."""
        last = k == len(self.arch.storage) - 1
        # Group the partial tilings by their remaining bounds (one integer key per row).
        key = rest @ self._radix
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        order = np.argsort(inverse.reshape(-1), kind="stable")
        groups = np.split(order, np.cumsum(np.bincount(inverse.reshape(-1)))[:-1])
        held: list[tuple[np.ndarray, np.ndarray]] = []       # pieces joined up to ``piece``
        size = 0
        for rows, r in zip(groups, rest[first]):
            choices = self._options(k, tuple(int(x) for x in r), last)
            if choices is None:
                continue
            for options, new_rest in self._option_blocks(k, r, choices, piece):
                per_row = max(1, piece // len(options))
                for a in range(0, len(rows), per_row):
                    sub = rows[a:a + per_row]
                    d = cartesian_rows([done[sub], options])
                    n = np.tile(new_rest, (len(sub), 1))
                    d, n = self._prune(k, d, n, keep)
                    if not len(d):
                        continue
                    held.append((d, n))
                    size += len(d)
                    if size >= piece:
                        yield np.concatenate([h[0] for h in held]), \
                            np.concatenate([h[1] for h in held])
                        held, size = [], 0
        if held:
            yield np.concatenate([h[0] for h in held]), np.concatenate([h[1] for h in held])

    def _expand(self, k: int, done: np.ndarray, rest: np.ndarray, keep, chunk: int,
                stop: int | None = None):
        """Depth first through levels k.. of :meth:`expand`; with ``stop``, yield (done, rest)
        once the partial tilings are through ``stop``, else whole tilings."""
        K = len(self.arch.storage)
        if stop is not None and k == stop + 1:
            yield done, rest
            return
        if k == K:
            yield self.assemble(done, self.slot_order(K - 1))
            return
        for d, n in self.expand(k, done, rest, keep, chunk):
            yield from self._expand(k + 1, d, n, keep, chunk, stop)

    def _options(self, k: int, rest: tuple[int, ...], last: bool) -> list[np.ndarray] | None:
        """Per dimension with slots in the stage of level k (:meth:`_stage_slots`), its factor
        choices there (rows over its slots) given its remaining bound; at the outermost level
        each dimension's factors must use up its remainder; None when some dimension has no choice. Memoized: many partial
        tilings share their remainders."""
        cache_key = (k, rest)
        if cache_key not in self._option_cache:
            if len(self._option_cache) > 100_000:            # bounded memory: start afresh
                self._option_cache.clear()
            self._option_cache[cache_key] = self._compute_options(k, rest, last)
        return self._option_cache[cache_key]

    def _compute_options(self, k: int, rest: tuple[int, ...], last: bool):
        slots = self._stage_slots(k)
        per_dim = []
        for j, d in enumerate(self.dims):
            mine = [s for jj, s in slots if jj == j]
            if not mine:
                if last and rest[j] != 1:
                    return None
                continue
            combos = []
            ranges = [s.walk_range(mine) for s in mine]
            for fs in itertools.product(*(divisors(rest[j]) for _ in mine)):
                p = math.prod(fs)
                if rest[j] % p or (last and p != rest[j]):
                    continue
                if any(not (lo <= f <= hi) for f, (lo, hi) in zip(fs, ranges)):
                    continue
                combos.append(fs)
            combos = np.array(combos, dtype=np.int64).reshape(len(combos), len(mine))
            combos = combos[allowed(mine, combos)]      # one fan-out axis; spatial products
            if not len(combos):
                return None
            per_dim.append(combos)
        return per_dim

    def _option_blocks(self, k: int, rest: np.ndarray, per_dim: list[np.ndarray], piece: int
                       ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The product of the dimensions' choices in blocks of at most ``piece`` rows (mixed
        radix over the choice indices, so no block needs the whole product), each with the
        bounds that remain after it."""
        slots = self._stage_slots(k)
        sizes = [len(c) for c in per_dim]
        total = math.prod(sizes)
        for a in range(0, total, piece):
            index = np.unravel_index(np.arange(a, min(a + piece, total)), sizes) \
                if sizes else ()
            options = np.concatenate([c[i] for c, i in zip(per_dim, index)], axis=1) \
                if sizes else np.ones((1, 0), dtype=np.int64)
            remaining = np.tile(np.asarray(rest, dtype=np.int64), (len(options), 1))
            for col, (j, _) in enumerate(slots):
                remaining[:, j] //= options[:, col]
            yield options, remaining

    def _prune(self, k: int, done: np.ndarray, rest: np.ndarray, keep):
        """Drop partial tilings through level k that overflow a fan-out or miss the
        utilization constraint (k = -1: the spatial factors are all known), or overflow
        level k's capacity."""
        order = self.slot_order(k)
        ok = np.ones(len(done), dtype=bool)
        if k < 0:
            for level in range(len(self.arch.storage)):
                fx, fy = self.arch.fanout(level)
                for axis, fan in ((Axis.X, fx), (Axis.Y, fy)):
                    cols = [c for c, (lv, a, _) in enumerate(order) if lv == level and a == axis]
                    if cols:
                        ok &= np.prod(done[:, cols], axis=1) <= fan
            if self.constraints.min_utilization:
                used = np.prod(done, axis=1) if done.shape[1] else np.ones(len(done))
                ok &= used >= self.constraints.min_utilization * self.arch.compute.instances
            return done[ok], rest[ok]
        level = self.arch.storage[k]
        if level.effective_capacity is not None and keep[k]:
            extents = np.ones((len(self.dims), len(done)), dtype=np.int64)
            for c, (lv, _, j) in enumerate(order):
                if lv <= k:
                    extents[j] *= done[:, c]
            ok &= tile_words(self.workload, extents, keep[k]) <= level.effective_capacity
        return done[ok], rest[ok]

    def slot_order(self, k: int) -> list[tuple[int, str, int]]:
        """(level, axis, dim index) of the columns of a partial tiling through level k: the
        spatial slots, then the temporal slots of levels 0..k."""
        return [(s.level, s.axis, j) for stage in range(-1, k + 1)
                for j, s in self._stage_slots(stage)]

    def assemble(self, columns: np.ndarray, where: list[tuple[int, str, int]]) -> Tilings:
        """Tilings from factor columns, column c going to (level, axis, dim index) where[c]."""
        K, D = len(self.arch.storage), len(self.dims)
        B = len(columns)
        temporal = np.ones((B, K, D), dtype=np.int64)
        spatial = np.ones((B, K, D), dtype=np.int64)
        on_y = np.zeros((B, K, D), dtype=bool)
        for c, (level, axis, j) in enumerate(where):
            if axis == Axis.TEMPORAL:
                temporal[:, level, j] = columns[:, c]
            else:
                spatial[:, level, j] *= columns[:, c]
                if axis == Axis.Y:
                    on_y[:, level, j] |= columns[:, c] > 1
        return Tilings(temporal, spatial, on_y)

    # ------------------------------------------------------------------ sampling
    def factor_table(self, d: str) -> np.ndarray:
        """(n, slots) every factorization of dimension ``d`` over its slots that the slots
        allow (``factors.allowed``: one fan-out axis per level, factor ranges); cached."""
        if d not in self._tables:
            slots = self.slots[d]
            table = factorizations(self.workload.bounds[d], [s.walk_range(slots) for s in slots])
            self._tables[d] = table[allowed(slots, table)]
        return self._tables[d]

    def sample(self, n: int, rng: np.random.Generator) -> Tilings:
        """``n`` tilings drawn uniformly from the product of the dimensions' factorizations
        (the capacity, fan-out and utilization checks are the model's)."""
        where, columns = [], []
        for j, d in enumerate(self.dims):
            table = self.factor_table(d)
            columns.append(table[rng.integers(0, len(table), size=n)])
            where += [(s.level, s.axis, j) for s in self.slots[d]]
        return self.assemble(np.concatenate(columns, axis=1), where)
