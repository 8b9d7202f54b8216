"""The loop nest of a batch, innermost first, with its tile extents (TIMELOOP_SEMANTICS §1-2).

Per storage level k (innermost first) the nest holds the level's spatial loops, then its
temporal loops, each in permutation order. Loops with factor 1 in *every* mapping of the batch
are dropped (they change nothing); loops that are 1 in only some mappings stay and contribute
nothing there (weights ``N - 1 = 0``, extents times 1).

Arrays keep the batch on the **last** axis so that every row a formula touches is contiguous.
What depends only on the skeleton and on which loops are present (:class:`NestShape`) is
computed once and shared by every batch of that pattern.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..spec.mapping import Axis
from ..spec.workload import rank_extent
from .arena import Arena
from .batch import MappingBatch, Skeleton


@dataclass(frozen=True)
class Loop:
    level: int
    spatial: bool
    dim: int      # index into workload.dims
    axis: Axis    # X / Y for spatial loops, TEMPORAL for temporal


def active_slots(batch: MappingBatch) -> tuple[np.ndarray, np.ndarray]:
    """(K, D) bool per kind (temporal, spatial): the slots with a factor > 1 in some mapping."""
    B = len(batch)
    K, D = batch.temporal.shape[1:]
    if B == 0:
        return np.zeros((K, D), dtype=bool), np.zeros((K, D), dtype=bool)
    return (_column_max(batch.temporal.reshape(B, K * D)).reshape(K, D) > 1,
            _column_max(batch.spatial.reshape(B, K * D)).reshape(K, D) > 1)


def _column_max(x: np.ndarray) -> np.ndarray:
    """(C,) maximum of each column of a (B, C) array. Reduced as 64 long rows first: along
    axis 0 of (B, C) numpy runs B inner loops C wide, which is slow for C ~ 50."""
    B, C = x.shape
    q = B // 64
    if q < 2:
        return x.max(axis=0)
    out = x[: 64 * q].reshape(64, q * C).max(axis=0).reshape(q, C).max(axis=0)
    if B > 64 * q:
        np.maximum(out, x[64 * q:].max(axis=0), out=out)
    return out


@dataclass(frozen=True)
class ShiftPlan:
    """What the shift keys of one data space need of a nest shape (access.Shifts)."""

    abs_A: np.ndarray        # (R, D) |A|
    a: np.ndarray            # (R, J) |A| over the dimension of each temporal loop
    moved_below: list[int]   # per rank: 1 + position of the outermost temporal loop moving it


@dataclass(frozen=True)
class ClosedTranslations:
    """G_k in closed form: one term per rank moved by level k's spatial loops, ``(loop,)``
    (one loop moves it: its factor) or ``(loop1, loop2, c1, c2)`` (two loops: a sumset)."""

    terms: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class EnumeratedTranslations:
    """G_k by enumeration over the distinct rows of the loops' factors and steps."""

    loops: list[int]         # level k's spatial loops (nest indices)
    a: np.ndarray            # (R, Q) the projection over those loops' dimensions


#: how G_k of a data space is computed on a nest shape; None: no spatial loop moves it
TranslationPlan = ClosedTranslations | EnumeratedTranslations | None


@dataclass
class DataSpacePlans:
    """The static plans of one data space on one nest shape, each made on first use."""

    tiles: "TilePlan"
    shifts: ShiftPlan | None = None
    #: per level k with spatial loops
    translations: dict[int, TranslationPlan] = field(default_factory=dict)
    #: G' (links.unlinked_translations) per (level 0's physical X fan-out, bytes of a row of
    #: level 0's spatial factors and steps)
    unlinked: dict[tuple[int, bytes], int] = field(default_factory=dict)
    #: (|Λ|, G') (links.neighbour_links) per (level, its physical X fan-out, bytes of a row of
    #: the level's spatial factors and steps and the shift)
    links: dict[tuple[int, int, bytes], tuple[int, int]] = field(default_factory=dict)


class NestShape:
    """The static part of a nest: its loops, level boundaries and what shares a tile.

    Depends only on the skeleton and on the active slots (:func:`active_slots`), so a model
    builds it once per pattern, with the plans of its data spaces (:meth:`plans`).
    """

    def __init__(self, sk: Skeleton, active_temporal: np.ndarray, active_spatial: np.ndarray):
        dims = sk.dims
        D = len(dims)
        loops: list[Loop] = []
        boundary, spatial_end = [0], []
        source = {True: ([], []), False: ([], [])}       # kind -> (nest rows, batch columns)
        #: per temporal source row: which occurrence of its dimension in a supersequence
        #: order it is (``MappingBatch.placement``), -1 where the level names it once
        occurrence: list[int] = []
        for k in range(sk.n_levels):
            for kind, order, active in ((True, sk.spatial_order[k], active_spatial[k]),
                                        (False, sk.temporal_order[k], active_temporal[k])):
                seen: dict[str, int] = {}
                for d in order:
                    j = dims.index(d)
                    nth = seen[d] = seen.get(d, -1) + 1
                    if active[j]:
                        source[kind][0].append(len(loops))
                        source[kind][1].append(k * D + j)
                        if not kind:
                            occurrence.append(nth if order.count(d) > 1 else -1)
                        loops.append(Loop(k, kind, j, sk.spatial_axis(k, d) if kind else Axis.TEMPORAL))
                if kind:
                    spatial_end.append(len(loops))
            boundary.append(len(loops))
        self.loops, self.boundary, self.spatial_end = loops, boundary, spatial_end
        self.n_dims = D
        self.source = {kind: (np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp))
                       for kind, (rows, cols) in source.items()}
        self.occurrence = occurrence
        self.dim_of = np.array([lp.dim for lp in loops], dtype=np.int64)
        self.is_temporal = np.array([not lp.spatial for lp in loops], dtype=bool)
        self.temporal = np.flatnonzero(self.is_temporal)
        #: the positions whose boxes are kept: level boundaries and spatial ends
        self.positions = sorted(set(boundary) | set(spatial_end))
        #: per level k: position among the temporal loops of the first one outside k's tile
        self.first_above = [int(np.searchsorted(self.temporal, boundary[k + 1]))
                            for k in range(sk.n_levels)]
        self._plans: dict[tuple[tuple[int, ...], bytes], DataSpacePlans] = {}

    def plans(self, A: np.ndarray) -> DataSpacePlans:
        """The plans of the data space of projection ``A`` (R, D) on this shape."""
        key = (A.shape, A.tobytes())
        plans = self._plans.get(key)
        if plans is None:
            plans = self._plans[key] = DataSpacePlans(TilePlan(self, A))
        return plans

    def last_loop_on(self, dims: set[int], i: int) -> int:
        """Index of the last loop before position ``i`` over one of ``dims`` (-1 if none):
        two positions with the same value have the same extents along ``dims``."""
        for j in range(i - 1, -1, -1):
            if self.loops[j].dim in dims:
                return j
        return -1


class Nest:
    """Factors, strides and boundary extents of a batch's loop nest.

    Attributes (B = batch size, L = kept loops, D = dimensions, K = storage levels):
      loops        list of L :class:`Loop`, innermost first
      factor       (L, B) trip counts
      step         (L, B) vector stride of each loop: the product of the ends of the inner
                   loops over the same dimension (advancing the loop moves the box this far)
      box(i)       (D, B) extent per dimension of the box of the sub-nest ``0..i-1``, for i
                   a level boundary or spatial end
      boundary     K+1 ints: ``boundary[k+1]`` = number of loops at levels <= k, so
                   ``box(boundary[k+1])`` is the box of level k's tile
      spatial_end  K ints: index after level k's spatial loops (the span of its children)
      iters        (J+1, B) iterations of the temporal loops from the j-th outwards
                   (``iters[0]`` = ``temporal_product``, ``iters[J]`` = 1)
      out, scratch the arenas of the arrays that go into the result and of the work arrays
                   (the work arrays, ``factor`` and ``step`` included, live while the nest
                   does)
    """

    def __init__(self, batch: MappingBatch, shape: NestShape | None = None,
                 out: Arena | None = None, scratch: Arena | None = None):
        sk = batch.skeleton
        if shape is None:
            shape = NestShape(sk, *active_slots(batch))
        self.shape = shape
        #: where the arrays of the results (out) and of the work (scratch) come from
        self.out = out if out is not None else Arena()
        self.scratch = scratch if scratch is not None else Arena()
        D, K, B = len(sk.dims), sk.n_levels, len(batch)
        self.loops, self.boundary, self.spatial_end = shape.loops, shape.boundary, \
            shape.spatial_end
        self.dim_of, self.is_temporal = shape.dim_of, shape.is_temporal
        L = len(self.loops)
        factor = self.scratch.empty((L, B))
        for kind, factors in ((False, batch.temporal), (True, batch.spatial)):
            columns = factors.reshape(B, K * D)
            for row, col in zip(*shape.source[kind]):
                factor[row] = columns[:, col]
        if any(n >= 0 for n in shape.occurrence):
            # a supersequence order: each loop holds its factor only where it is placed
            placed = (np.zeros((B, K * D), dtype=np.int64) if batch.placement is None
                      else batch.placement.reshape(B, K * D))
            for row, col, nth in zip(*shape.source[False], shape.occurrence):
                if nth >= 0:
                    factor[row][placed[:, col] != nth] = 1
        self.factor = factor
        # Boxes are needed only at level boundaries and spatial ends: keep just those, as
        # tuples of per-dimension rows (a row is shared until a loop over its dimension).
        wanted = set(shape.positions)
        self.step_with_zero_row = self.scratch.empty((L + 1, B))
        self.step_with_zero_row[L] = 0
        step = self.step_with_zero_row[:L]
        extents = self.scratch.empty((L + 1, B))       # row L: the unit box
        extents[L] = 1
        running = [extents[L]] * D
        self._rows = {0: tuple(running)}
        for i, d in enumerate(self.dim_of):
            step[i] = running[d]
            running[d] = np.multiply(running[d], factor[i], out=extents[i])
            if i + 1 in wanted:
                self._rows[i + 1] = tuple(running)
        self.step = step
        temporal = shape.temporal
        self.iters = self.scratch.empty((len(temporal) + 1, B))
        self.iters[len(temporal)] = 1
        for j in range(len(temporal) - 1, -1, -1):
            np.multiply(self.iters[j + 1], factor[temporal[j]], out=self.iters[j])
        #: MAC iterations per MAC instance: the product of all temporal factors, (B,)
        self.temporal_product = self.iters[0]
        #: (distinct rows, inverse) of level 0's spatial factors and steps, filled by
        #: links.unlinked_translations for the data spaces to share
        self.level0_rows: tuple[np.ndarray, np.ndarray] | None = None
        #: fan-out used at each level, in all and per axis, (K, B)
        self.fanout_used = self.out.full((K, B), 1)
        self.fanout_x = self.out.full((K, B), 1)
        self.fanout_y = self.out.full((K, B), 1)
        for i, lp in enumerate(self.loops):
            if lp.spatial:
                self.fanout_used[lp.level] *= factor[i]
                (self.fanout_x if lp.axis == Axis.X else self.fanout_y)[lp.level] *= factor[i]

    @property
    def batch_size(self) -> int:
        return self.factor.shape[1]

    def box(self, i: int) -> np.ndarray:
        return np.stack(self._rows[i])

    def tile_extents(self, k: int) -> np.ndarray:
        """(D, B) box of level k's tile (all loops at levels <= k)."""
        return self.box(self.boundary[k + 1])

    def temporal_above(self, k: int) -> list[int]:
        """Indices of the temporal loops outside level k's tile, innermost first."""
        return [i for i in range(self.boundary[k + 1], len(self.loops)) if self.is_temporal[i]]

    def spatial_of(self, k: int) -> list[int]:
        """Indices of level k's own spatial loops, innermost first."""
        return list(range(self.boundary[k], self.spatial_end[k]))

    def box_rows(self, i: int) -> tuple[np.ndarray, ...]:
        """The D rows (B,) of ``box(i)``, shared: read only."""
        return self._rows[i]


class TilePlan:
    """Which rank extents and footprints of one data space can differ between the kept box
    positions of a nest shape (static), so that each is computed once per batch.

    A rank's extent changes only at a loop over one of its dimensions: positions with the same
    last such loop share it; likewise a footprint and the data space's dimensions.
    """

    def __init__(self, shape: NestShape, A: np.ndarray):
        self.A = A
        #: per rank: its (dimension, coefficient) terms
        self.terms = projection_terms(A)
        support = [set(np.flatnonzero(row).tolist()) for row in A]
        all_dims = set().union(*support) if support else set()
        self.slots: list[tuple[int, int]] = []       # (rank, position) computed per batch
        self.sizes: list[tuple[int, list[int]]] = []  # (position, slots of its ranks)
        self.rank_slots: dict[int, list[int]] = {}
        self.size_of: dict[int, int] = {}
        slot_ids: dict[tuple[int, int], int] = {}
        size_ids: dict[int, int] = {}
        for i in shape.positions:
            ids = []
            for r, dims in enumerate(support):
                key = (r, shape.last_loop_on(dims, i))
                if key not in slot_ids:
                    slot_ids[key] = len(self.slots)
                    self.slots.append((r, i))
                ids.append(slot_ids[key])
            self.rank_slots[i] = ids
            last = shape.last_loop_on(all_dims, i)
            if last not in size_ids:
                size_ids[last] = len(self.sizes)
                self.sizes.append((i, ids))
            self.size_of[i] = size_ids[last]

    def evaluate(self, nest: "Nest") -> tuple[dict, dict]:
        """(ranks, sizes): per kept position i, its R rank-extent rows and its footprint row
        (B,), shared between positions: read only."""
        rows = [_rank_row(self.terms[r], nest.box_rows(i)) for r, i in self.slots]
        B = nest.batch_size
        sizes = nest.scratch.empty((len(self.sizes), B))
        for size, (i, ids) in zip(sizes, self.sizes):
            if not ids:
                size.fill(1)
                continue
            size[:] = rows[ids[0]]
            for s in ids[1:]:
                size *= rows[s]
        return ({i: [rows[s] for s in ids] for i, ids in self.rank_slots.items()},
                {i: sizes[s] for i, s in self.size_of.items()})


def projection_terms(A: np.ndarray) -> list[list[tuple[int, int]]]:
    """Per rank of a projection matrix, its (dimension index, coefficient) terms."""
    return [[(int(d), int(row[d])) for d in np.flatnonzero(row)] for row in A]


def _rank_row(terms: list[tuple[int, int]], box) -> np.ndarray:
    """(B,) extent of one rank over a box given as D rows (B,): :func:`rank_extent`, the
    halo rule, as a row (a rank with no dimension is a row of ones)."""
    e = rank_extent(terms, box)
    return e if isinstance(e, np.ndarray) else np.full(len(box[0]), e, dtype=np.int64)


def level_tile_extents(temporal: np.ndarray, spatial: np.ndarray, k: int) -> np.ndarray:
    """(D, B) the box of level k's tile from factors (K, D, B): every temporal and spatial
    factor of levels <= k (the same box as :meth:`Nest.tile_extents`, without a nest)."""
    return np.prod(temporal[: k + 1] * spatial[: k + 1], axis=0)


def rank_extents(A: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(R, B) extent of each rank of a data space over a (D, B) box (:func:`rank_extent`,
    the axis-aligned hull, TIMELOOP_SEMANTICS §2)."""
    out = np.empty((A.shape[0], box.shape[1]), dtype=np.int64)
    for r, terms in enumerate(projection_terms(A)):
        out[r] = rank_extent(terms, box)
    return out


def product_rows(rows: np.ndarray) -> np.ndarray:
    """(B,) product of the rows of an (R, B) array (faster than a short-axis reduction)."""
    out = np.ones(rows.shape[1], dtype=rows.dtype)
    for row in rows:
        out *= row
    return out


def footprint(A: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(B,) words of a data space touched by a (D, B) box."""
    return product_rows(rank_extents(A, box))
