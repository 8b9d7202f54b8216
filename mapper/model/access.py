"""Per level and data space: tiles, fills, reads, updates, multicast and spatial reduction.

Implements Timeloop v3.0.3's nest analysis in closed form, vectorized over a batch
(TIMELOOP_SEMANTICS §3-5): the delta sum of eq. (1) with 0/1 temporal extrapolation and the
reset-on-stride-change rule, multicast by distinct spatial translations, bypass masking by
forwarding a bypassed level's demand to its parent, and legacy read-modify-write accounting
with first-read elision for the read-write data space. Arrays keep the batch last.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from .bound import bound_under_links, links_possible, unsplit
from .links import level0_accesses, spatial_links
from .nest import (ClosedTranslations, EnumeratedTranslations, Nest, ShiftPlan,
                   TranslationPlan)


class Carries:
    """What the temporal loops contribute to every delta sum, computed once per batch.

    For the J temporal loops of the whole nest (innermost first), (J, B) arrays: ``moving``
    (trip count ``N >= 2``), carry weights ``weight_j = (N_j - 1) prod_{l>j} N_l``
    (TIMELOOP_SEMANTICS §3 (a): the weight of the visits whose carry is at j) and
    ``moving_step``; ``iters`` (J+1, B) is ``prod_{l>=j} N_l`` and ``step`` the J step rows.
    """

    def __init__(self, nest: Nest):
        self.loops = loops = nest.shape.temporal
        J, B = len(loops), nest.batch_size
        self.iters = nest.iters
        self.dim_of = nest.dim_of[loops]
        #: rows (B,) of the loops' steps (views into the nest)
        self.step = [nest.step[i] for i in loops]
        scratch = nest.scratch
        self.moving = scratch.empty((J, B), bool)
        self.weight = scratch.empty((J, B))
        #: what a carry rewinds of each loop inside it: its step if it moves, else nothing
        self.moving_step = scratch.empty((J, B))
        #: work rows for the delta sums: which carries shift like s_1, and their weights
        self.same = scratch.empty((J, B), bool)
        self.same_weight = scratch.empty((J, B))
        for j, i in enumerate(loops):
            np.greater_equal(nest.factor[i], 2, out=self.moving[j])
            np.multiply(nest.factor[i] - 1, self.iters[j + 1], out=self.weight[j])
            np.multiply(self.step[j], self.moving[j], out=self.moving_step[j])
        #: |step| <= step_bound per loop over the batch (keeps the shift keys exact)
        self.step_bound = (np.maximum(nest.step.max(axis=1), -nest.step.min(axis=1))[loops]
                           if B else np.zeros(J, dtype=np.int64))
        self.nest = nest
        # Index of the first moving loop at or above each position (J where none), filled
        # from the outside in as delta sums ask for positions further in.
        self._first = {J: np.full(B, J, dtype=np.int16)}
        self._row_of = np.append(loops, len(nest.loops))      # nest row of each position
        self._dim_of = np.append(self.dim_of, 0)
        self._columns = np.arange(B)
        self._first_step: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def first_above(self, k: int) -> int:
        """Position in ``loops`` of the first temporal loop outside level k's tile."""
        return self.nest.shape.first_above[k]

    def first_moving(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """(step, dim) (B,) of the innermost loop at position >= p that moves (step 0 where
        none does): the carry that sets Timeloop's reference translation ``s_1``."""
        if p not in self._first_step:
            q = min(self._first)
            while q > p:                  # first = q where loop q moves (arithmetic: fast)
                q -= 1
                outer = self._first[q + 1]
                self._first[q] = outer - (outer - np.int16(q)) * self.moving[q]
            first = self._first[p]
            # gather from the nest's steps, whose extra last row is 0 (no moving loop)
            rows = np.take(self._row_of, first)
            rows *= len(first)
            rows += self._columns
            step = np.take(self.nest.step_with_zero_row.reshape(-1), rows)
            self._first_step[p] = step, np.take(self._dim_of, first)
        return self._first_step[p]

    def first_moving_position(self, p: int) -> np.ndarray:
        """(B,) position in ``loops`` of the innermost loop at position >= p that moves (J
        where none does)."""
        self.first_moving(p)
        return self._first[p]

    def same_as_first(self, shifts: "Shifts", p: int, step: np.ndarray,
                      dim: np.ndarray) -> np.ndarray | None:
        """(J - p, B) whether the carry of each loop from position p on shifts the data space
        like ``s_1``, the carry of the innermost moving loop (``step``, ``dim`` from
        :meth:`first_moving`); None if no loop moves the data space. A work row: read it
        before the next call."""
        J = len(self.loops)
        same = None
        for kappa, key, inner in shifts.groups:
            first = (inner[p] - np.take(kappa, dim) * step).astype(key.dtype)
            if same is None:
                same = np.equal(key[p:], first, out=self.same[: J - p])
            else:
                same &= key[p:] == first
        return same

    def shifts(self, A: np.ndarray) -> "Shifts":
        return Shifts(self, A)


class Shifts:
    """The data-space shift of every carry of one data space, as comparable integer keys.

    One step of loop j moves the data space by ``v_j = A e(dim_j) step_j``; the carry of j also
    rewinds every moving loop inside it, so seen from level k (loops from position p on) it
    shifts the tile by ``s_j = v_j - (C_j - C_p)`` with ``C_j = sum of v_l over the moving
    l < j``. Two carries shift alike iff ``C_j - v_j`` agree, and vectors compare as one key:
    with ``|x_r| <= M_r`` the balanced mixed-radix numeral ``sum_r x_r W_r``,
    ``W_{r+1} = W_r (2 M_r + 1)``, is injective. Ranks are grouped so that keys fit int64.

    ``groups``: per group of ranks ``(kappa, key, inner)``: ``kappa`` (D,) the key of a unit
    step along each dimension, ``key`` (J, B) the keys of ``C_j - v_j``, ``inner`` the J+1
    rows of the keys of ``C_j``.
    """

    LIMIT = 2 ** 62

    def __init__(self, carries: Carries, A: np.ndarray):
        plans = carries.nest.shape.plans(A)
        if plans.shifts is None:
            a = np.abs(A)[:, carries.dim_of]                              # (R, J)
            # per rank, 1 + the position of the outermost loop that moves it (0 if none)
            moved_below = [int(np.flatnonzero(row)[-1]) + 1 if row.any() else 0 for row in a]
            plans.shifts = ShiftPlan(np.abs(A), a, moved_below)
        self.A = A
        self.abs_A, self.moved_below = plans.shifts.abs_A, plans.shifts.moved_below
        a = plans.shifts.a
        self.groups = []
        J, B = len(carries.loops), carries.nest.batch_size
        if J == 0:
            return
        estimate = a.astype(np.float64) @ carries.step_bound.astype(np.float64)
        if estimate.max(initial=0.0) <= 2.0 ** 61:
            bound = (a @ carries.step_bound).tolist()            # exact: far from overflow
        else:
            bound = [sum(int(x) * int(b) for x, b in zip(row, carries.step_bound)) for row in a]
        groups, W = [[]], 1
        for r, m in enumerate(bound):
            if m == 0:
                continue
            if W * (2 * m + 1) > self.LIMIT:
                groups.append([])
                W = 1
            groups[-1].append((r, W))
            W *= 2 * m + 1
        # no delta sum looks at the loops inside level 0 unless level 0 fans out to the MACs
        # (then the MACs' one-word tiles see every temporal loop)
        nest = carries.nest
        first = 0 if nest.spatial_end[0] > nest.boundary[0] else carries.first_above(0)
        dim_of = carries.dim_of
        for group in groups:
            if not group:
                continue
            kappa = sum(A[r] * W for r, W in group)                       # (D,)
            width = np.int32 if _radix(group, bound) <= 2 ** 31 else np.int64
            key = carries.nest.scratch.empty((J, B), width)
            sums = carries.nest.scratch.empty((J + 1, B))   # rows of inner, where they change
            sums[0] = 0
            inner = [sums[0]]
            for j in range(J):
                c, kap = inner[-1], int(kappa[dim_of[j]])
                if kap == 0:
                    if j >= first:
                        key[j] = c
                    inner.append(c)
                else:
                    if j >= first:
                        np.subtract(c, carries.step[j] * kap, out=key[j], casting="unsafe")
                    inner.append(np.add(c, carries.moving_step[j] * kap, out=sums[j + 1]))
            self.groups.append((kappa, key, inner))


def _radix(group: list[tuple[int, int]], bound: list[int]) -> int:
    """The product of the radices ``2 M_r + 1`` of a group: keys lie strictly within half of it."""
    out = 1
    for r, _ in group:
        out *= 2 * bound[r] + 1
    return out


def delta_sum(carries: Carries, k: int, shifts: Shifts, tile: np.ndarray,
              ranks: np.ndarray) -> np.ndarray:
    """(B,) words that enter one instance of level k's tile of a data space over the run.

    Eq. (1): ``D_k = |T| + sum_j w_j Delta_j`` over the temporal loops j above the tile, where
    ``Delta_j`` is the slab ``|T| - overlap(s_j)`` uncovered by the carry's shift ``s_j`` if
    ``s_j`` equals the shift ``s_1`` of the innermost non-unit loop above, and the whole tile
    otherwise (Timeloop resets its window on a stride change). As
    ``1 + sum_j w_j = prod_j N_j`` this is ``|T| prod_j N_j - sum_{j: s_j = s_1} w_j overlap(s_j)``,
    and as every such ``s_j`` is ``s_1`` — one step of that innermost loop, nothing inside it
    moves — the overlap is that of ``s_1`` alone: ``|T| prod_j N_j - overlap(s_1) W_same``.
    ``shifts`` comes from :meth:`Carries.shifts`; ``tile`` is ``|T|`` (B,), ``ranks`` its (R, B)
    rank extents.
    """
    p = carries.first_above(k)
    if p == len(carries.loops):
        return tile.copy()
    step, dim = carries.first_moving(p)
    overlap = None
    for r in range(len(ranks)):
        if shifts.moved_below[r] > p:
            o = np.maximum(ranks[r] - np.take(shifts.abs_A[r], dim) * step, 0)
        else:
            o = ranks[r]                                   # no loop above moves this rank
        overlap = o if overlap is None else overlap * o
    J = len(carries.loops)
    same = carries.same_as_first(shifts, p, step, dim)
    if same is None:                                       # nothing above moves the data space
        return tile * carries.iters[p] - overlap * (carries.iters[p] - 1)
    same_weight = np.multiply(carries.weight[p:], same, out=carries.same_weight[: J - p])
    return tile * carries.iters[p] - overlap * same_weight.sum(axis=0)


def _sumset_size(n1, n2, v1, v2):
    """|{v1 i + v2 j : i < n1, j < n2}| for positive steps (B,) arrays: pairs (i, j) and
    (i - b, j + a) with a = v1/g, b = v2/g, g = gcd hit the same value, so the distinct values
    are the chain heads: n1 n2 - max(0, n1 - b) max(0, n2 - a)."""
    g = np.gcd(v1, v2)
    return n1 * n2 - np.maximum(n1 - v2 // g, 0) * np.maximum(n2 - v1 // g, 0)


def distinct_translations(nest: Nest, k: int, A: np.ndarray) -> np.ndarray:
    """(B,) number of distinct data-space translations ``G_k`` among the children of level k's
    spatial loops (TIMELOOP_SEMANTICS §4).

    Children with equal translations receive identical deltas: one parent access serves them
    (multicast); for the read-write data space their updates merge (spatial reduction).
    Ranks moved by at most two loops each have a closed form; anything else (three loops on
    one rank, a dimension in several ranks) is enumerated once per distinct row. Which case
    applies is static: decided once per nest shape.
    """
    plans = nest.shape.plans(A).translations
    if k not in plans:
        plans[k] = _translation_plan(nest, k, A)
    plan = plans[k]
    B = nest.factor.shape[1]
    if plan is None:
        return np.ones(B, dtype=np.int64)
    if isinstance(plan, EnumeratedTranslations):
        return _enumerate_translations(nest, plan.loops, plan.a)
    g = None
    for term in plan.terms:
        if len(term) == 1:
            x = nest.factor[term[0]]
        else:
            i1, i2, c1, c2 = term
            x = _sumset_size(nest.factor[i1], nest.factor[i2], c1 * nest.step[i1],
                             c2 * nest.step[i2])
        g = x.copy() if g is None else g * x
    return g


def _translation_plan(nest: Nest, k: int, A: np.ndarray) -> TranslationPlan:
    """How G_k is computed: closed form where every rank is moved by at most two loops, each
    moving one rank; else enumerated; None if no spatial loop moves the data space."""
    loops = nest.spatial_of(k)
    if not loops:
        return None
    a = A[:, nest.dim_of[loops]]                                     # (R, Q) static
    moving = [q for q in range(len(loops)) if a[:, q].any()]
    if not moving:
        return None
    per_rank = [[q for q in moving if a[r, q]] for r in range(A.shape[0])]
    if all(np.count_nonzero(a[:, q]) == 1 for q in moving) and \
            all(len(qs) <= 2 for qs in per_rank):
        terms = []
        for r, qs in enumerate(per_rank):
            if len(qs) == 1:
                terms.append((loops[qs[0]],))
            elif len(qs) == 2:
                terms.append((loops[qs[0]], loops[qs[1]], int(a[r, qs[0]]), int(a[r, qs[1]])))
        return ClosedTranslations(tuple(terms))
    return EnumeratedTranslations(loops, a)


def _enumerate_translations(nest: Nest, loops: list[int], a: np.ndarray) -> np.ndarray:
    params = np.concatenate([nest.factor[loops], nest.step[loops]], axis=0).T
    uniq, inverse = np.unique(params, axis=0, return_inverse=True)
    counts = np.empty(len(uniq), dtype=np.int64)
    Q = len(loops)
    for u, row in enumerate(uniq):
        factors, steps = row[:Q], row[Q:]
        vecs = [(f, a[:, q] * steps[q]) for q, f in enumerate(factors) if f > 1 and a[:, q].any()]
        if len(vecs) <= 1:
            counts[u] = vecs[0][0] if vecs else 1
            continue
        grid = np.array(list(product(*(range(f) for f, _ in vecs))), dtype=np.int64)
        counts[u] = len(np.unique(grid @ np.stack([v for _, v in vecs]), axis=0))
    return counts[inverse.reshape(-1)]


@dataclass
class DataSpaceCounts:
    """Per-instance counts of one data space, arrays of shape (K, B) (0 where not kept)."""

    tile: np.ndarray          # utilized capacity |T(b_k)| (all levels)
    partition: np.ndarray     # partition size
    reads: np.ndarray
    fills: np.ndarray
    updates: np.ndarray
    multicast_groups: np.ndarray   # G_k: distinct translations under level k's fan-out


def data_space_counts(nest: Nest, carries: Carries | None, A: np.ndarray, keep: list[bool],
                      read_write: bool, bound=None,
                      mesh_x: tuple[int, ...] | None = None) -> DataSpaceCounts:
    """Reads, fills and updates per instance of every level for one data space.

    ``keep[k]`` says whether level k keeps the data space. Levels above the outermost keeper
    report nothing; the outermost keeper has no fills. Bypass: a bypassed level forwards its
    children's demand, times the number ``G`` of distinct translations of its fan-out.
    Read-write: every delta leaving a child is an update of the parent; the first touch of each
    element of an instance's partition needs no read and no fill (partial sums start at 0).
    Links (§4-5, ``links.py``): where the children of level k+1 take deltas from their
    neighbours, the parent serves ``A_{k+1} < G D_k``, a kept level k is filled with its share
    ``W_{k+1} / F_{k+1}`` plus the peer transfers ``LT_{k+1} / inst_k``, read as often more,
    and a bypassed level k forwards ``c_k F A / W``; Timeloop carries these in floating point
    and rounds the reported counts (fills of read-only data truncated).
    With ``bound`` (:class:`~mapper.model.bound.DataSpaceBound`) the delta sums of the levels
    whose loop orders or tiles it leaves open are replaced by lower bounds, so every count is
    a lower bound. ``mesh_x``: the physical X fan-out of each level (its children's grid).
    """
    K = len(keep)
    B = nest.factor.shape[1]
    mesh_x = mesh_x or (1,) * K
    groups = nest.out.empty((K, B))                 # every row written once below
    spread = [k for k in range(K) if nest.spatial_end[k] > nest.boundary[k]]
    for k in range(K):
        if k in spread:                              # a level with spatial loops
            groups[k] = distinct_translations(nest, k, A)
        else:
            groups[k] = 1
    ranks, sizes = nest.shape.plans(A).tiles.evaluate(nest)
    tiles = nest.out.empty((K, B))
    rank_ext = []
    for k in range(K):
        rank_ext.append(ranks[nest.boundary[k + 1]])
        tiles[k] = sizes[nest.boundary[k + 1]]
    # Partition size, outside in: Part_k = floor(Part_{k+1} * |T_k| / span_{k+1}).
    partition = nest.out.empty((K, B))
    partition[K - 1] = tiles[K - 1]
    for k in range(K - 2, -1, -1):
        if k + 1 not in spread:
            partition[k] = partition[k + 1]
        else:
            span = sizes[nest.spatial_end[k + 1]]
            np.floor_divide(partition[k + 1] * tiles[k], span, out=partition[k])
    outermost = max(k for k in range(K) if keep[k])
    shifts = carries.shifts(A) if carries is not None else None
    # the links of the fan-outs above level 0 that serve a keeper, where the orders are known
    links, maybe = {}, {}
    for k in spread:
        if not 1 <= k <= outermost:
            continue
        if bound is None or bound.bound.exact(k - 1):
            saved = spatial_links(nest, carries, shifts, k, A, tiles[k - 1], rank_ext[k - 1],
                                  groups[k], mesh_x[k])
            if saved is not None:
                links[k] = saved
        else:
            possible = links_possible(bound, k, groups[k], nest.fanout_used[k],
                                      tiles[k - 1], rank_ext[k - 1])
            if possible is not None:
                maybe[k] = possible
    reads, fills, updates = (nest.out.empty((K, B)) for _ in range(3))
    demand = nest.temporal_product                   # what the MACs ask of level 0
    if 0 in spread:
        demand = level0_accesses(nest, carries, shifts, A, groups[0], mesh_x[0], bound)
    #: levels whose counts links make fractional: (content, share or None, peer), float (B,)
    fractional: dict[int, tuple] = {}
    # a level whose per-loop bound was taken, until its next keeper: the distinct tiles of
    # the fan-outs between, by which that keeper's reads multiply its fills (no links)
    pending, scale = None, 1
    for k in range(K):
        content = demand
        if keep[k] and k <= outermost:
            if pending is not None:
                bound.parent_reads[pending] = (k, scale)
                pending = None
            reads[k] = _rounded(content)
            if k < outermost:
                if bound is None or bound.bound.exact(k):
                    fills[k] = delta_sum(carries, k, shifts, tiles[k], rank_ext[k])
                elif bound.bound.open_tiling(k):
                    # every element of the instance's partition enters it at least once,
                    # when the data space has no stride gaps (DeltaBound.dense), or when
                    # no fan-out above k splits it and the workload touches all of it
                    # (DeltaBound.whole_touched); and the tile it will have must fit
                    # (FillFloor)
                    if bound.delta.dense:
                        fills[k] = np.maximum(tiles[k], partition[k])
                    elif bound.delta.whole_touched:
                        whole = unsplit(A, np.prod(bound.spatial[k + 1:], axis=0))
                        fills[k] = np.maximum(tiles[k], np.where(whole, partition[k], 0))
                    else:
                        fills[k] = tiles[k].copy()
                    floor = None if bound.floor is None else bound.floor(k)
                    if floor is not None:
                        np.maximum(fills[k], floor, out=fills[k])
                elif k in bound.per_loop_at:
                    every = bound.delta.lower_bound(k, tiles[k], rank_ext[k], bound.loops,
                                                    per_loop=True)
                    bound.per_loop[k] = every
                    fills[k] = every.min(axis=0)
                    pending, scale = k, 1
                else:
                    fills[k] = bound.delta.lower_bound(k, tiles[k], rank_ext[k], bound.loops)
                demand = fills[k]
            else:
                fills[k] = 0
            if content.dtype.kind == "f":
                fractional[k] = (content, None, 0.0)
        else:
            reads[k] = fills[k] = 0
        if k < outermost and k + 1 in spread:
            saved = links.get(k + 1)
            if k + 1 in maybe:               # a bound: the orders that decide the links are open
                if bound is not None:
                    bound.per_loop.pop(k, None)       # links may lower k's fills: no claim
                pending = None
                demand = bound_under_links(maybe[k + 1], bound, k, tiles[k], rank_ext[k],
                                           groups[k + 1], nest.fanout_used[k + 1], demand,
                                           fills[k] if keep[k] else None)
                continue
            if saved is None:
                demand = groups[k + 1] * demand
                scale = scale * groups[k + 1]
                continue
            pending = None
            F = nest.fanout_used[k + 1]
            if keep[k]:
                D = fills[k]
                inst = np.prod(nest.fanout_used[k + 1:], axis=0)     # utilized instances of k
                fractional[k] = (content.astype(np.float64), (F * D - saved.transfers) / F,
                                 saved.transfers / inst)
                demand = groups[k + 1] * D - saved.accesses
            else:                      # Timeloop's MaskTiles: c F A / W, no links into k
                D = delta_sum(carries, k, shifts, tiles[k], rank_ext[k])
                demand = demand * (F * (groups[k + 1] * D - saved.accesses) /
                                   (F * D - saved.transfers))
    for k in range(K):
        kept = keep[k] and k <= outermost
        if kept and k in fractional:
            content, share, peer = fractional[k]
            if read_write:
                updates[k] = _rounded(content)
                reads[k] = _rounded(content + peer - partition[k])
                if k < outermost:
                    fills[k] = _rounded((fills[k] if share is None else share) + peer
                                        - partition[k])
            else:
                updates[k] = 0
                reads[k] = _rounded(content + peer)
                if share is not None:
                    fills[k] = share + peer                    # truncated, as Timeloop
        elif read_write and kept:
            updates[k] = reads[k]
            reads[k] -= partition[k]
            if k < outermost:
                fills[k] -= partition[k]
        else:
            updates[k] = 0
    return DataSpaceCounts(tiles, partition, reads, fills, updates, groups)


def _rounded(x: np.ndarray) -> np.ndarray:
    """C's ``std::round`` of non-negative counts carried in floating point (ints as they are)."""
    return np.floor(x + 0.5) if x.dtype.kind == "f" else x
