"""A lower bound of the delta sum of eq. (1) over every loop order, for a fixed tiling.

The optimal search prunes whole tilings with it: energy and cycles only grow with the words
that enter each tile (every action count is a non-negative combination of delta sums), so the
model run on these bounds instead of the delta sums bounds the energy and the cycles of every
loop order of the tiling from below.

With ``s_1`` the shift of the innermost moving loop ``a`` above level k, eq. (1) reads
``D = |T| N - overlap(s_1) W_same`` (``N`` the product of the trip counts above k, ``W_same``
the carry weights of the loops whose shift equals ``s_1``; TIMELOOP_SEMANTICS §3). The loop
``a`` is one of the non-unit temporal loops of the lowest level above k that has any, and its
step does not depend on the order. Which carries can shift like ``a`` follows from signs
alone (projection coefficients >= 0): a carry of loop j moves rank r by
``A[r, d_j] step_j - sum of A[r, d_l] step_l`` over the moving loops l inside j, and the loops
over j's own dimension inside j never add up to ``step_j`` (each step is at least twice the
one inside it). Hence a carry of j can shift like ``a`` only if

* j moves every rank that ``a`` moves (a shift along them must be positive), and
* every rank that j, or a moving loop inside j, moves outside the ranks of ``a`` is a sum of
  at least two dimensions that both have non-unit loops above k (a single-dimension rank, or a
  rank only one loop can move, cannot come back to zero).

A loop that satisfies the second condition is *compatible*; the candidates ``S(a)`` are the
compatible loops of a level all of whose inner levels (from ``a``'s on) hold only compatible
loops, which also satisfy the first. Placing ``S(a)`` innermost maximises their carry weights:
``sum_{j in S} w_j <= N - N / prod_{j in S} N_j``. So

    D >= min over a of  |T| N - overlap(s_a) (N - N / prod_{j in S(a)} N_j),

exact for data spaces whose ranks are single dimensions (the minimum then keeps the largest run
of non-projecting loops innermost) and a bound for sliding windows.

Where the order of level L1 is known, the minimum runs over fewer loops ``a``: a level whose
order the batch fixes (``Bound.exact_from``) has one innermost non-unit loop, and a permutation
constraint (``Bound.orders``) allows only some (:func:`innermost_candidates`), and the search
may ask for the bound of the orders whose innermost loop at one level is given
(``Bound.innermost``). Every order the
search may visit still has its innermost loop among them, so the bound still holds for each.

Links between neighbouring children of a fan-out at a level k >= 1 (TIMELOOP_SEMANTICS §4)
let the parent serve less than ``G D``. Where the orders above the child are open, the bound
assumes them only where some order can link (:func:`links_possible`: a carry that moves a
*rigid* rank, one that at most one spread or looping dimension touches, shifts it further
than any two children differ, so it is never linked), and there keeps the visits no link can
serve at ``G`` (:func:`bound_under_links`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Collection

import numpy as np

from ..primes import divisors, exponent_table, factorize
from ..spec.constraints import LoopOrder
from .nest import level_tile_extents, product_rows, rank_extents


@dataclass(frozen=True)
class Bound:
    """What a bounding evaluation (``Model.evaluate(batch, bound)``) leaves open.

    * Loop orders: those of levels below ``exact_from`` are open; the batch's orders of level
      ``exact_from`` and above are the real ones, so the delta sums of the tiles below them
      (levels ``exact_from - 1`` and up) are exact. None: every order is open.
    * ``fixed_through = k``: the batch stands for partial tilings whose levels above k are
      open. Each row carries all of its remaining factors as temporal loops of the outermost
      level (the *parked* form) and no spatial slot may remain above k. The bounds then hold
      for every way of splitting those factors among the levels above k
      (``docs/OPTIMAL_SEARCH.md``): a tile above k enters its instance at least once, and so
      does its partition when the data space has no stride gaps (``DeltaBound.dense``).
    * ``orders``: the temporal permutation constraint of each storage level (innermost
      first; None for a level without one): the open orders are only those they allow.
    * ``innermost = (L, d)``: only the orders whose innermost non-unit loop at level L is of
      dimension d (the search takes the least bound over d: a bound of every order). With
      ``fixed_through``, L may be the outermost level: d is then the innermost of the
      open loops (parked there), wherever a completion puts them.
    * ``innermost_excess = (L, ...)``: the result also carries, per level L and dimension
      d, a lower bound of the energy the orders with d innermost at L spend beyond the
      bound's (with ``fixed_through``, L a fixed level or the parked one).
    """

    exact_from: int | None = None
    fixed_through: int | None = None
    orders: tuple[LoopOrder | None, ...] | None = None
    innermost: tuple[int, str] | None = None
    #: levels L: also bound, per dimension, the energy beyond the bound of the orders whose
    #: innermost loop at L is of that dimension (``Model._innermost_excess``)
    innermost_excess: tuple[int, ...] = ()

    def pinned_fills(self, L: int, K: int) -> int | None:
        """The level whose delta sum's innermost loop above is the one ``innermost = (L,
        d)`` names: L - 1 below a level with loops (whole tilings, and the fixed levels of
        a partial one), ``fixed_through`` for the parked level K - 1 (its loops are all
        that is above it); None for an open level other than the parked one."""
        if self.fixed_through is None or L <= self.fixed_through:
            return L - 1 if L >= 1 else None
        return self.fixed_through if L == K - 1 and self.fixed_through >= 0 else None

    def exact(self, k: int) -> bool:
        return self.exact_from is not None and k >= self.exact_from - 1

    def open_tiling(self, k: int) -> bool:
        return self.fixed_through is not None and k > self.fixed_through

    def order_facts(self, batch_orders: tuple[tuple[str, ...], ...],
                    dims: tuple[str, ...], placement: np.ndarray | None = None
                    ) -> "OrderFacts":
        """What is known of each level's temporal order: the batch's own from ``exact_from``
        up (per mapping where the order is a supersequence with ``placement`` (B, K, D)),
        the permutation constraint below, nothing for the open levels of a partial tiling
        (their factors are parked at the outermost level, not where they will be)."""
        known, ranks = [], []
        for k, order in enumerate(batch_orders):
            exact = self.exact_from is not None and k >= self.exact_from
            if exact and len(set(order)) < len(order):
                ranks.append(placed_positions(order, dims, placement, k))
                known.append(None)
                continue
            ranks.append(None)
            if exact:
                known.append(LoopOrder(tuple(order)))
            elif self.open_tiling(k) or self.orders is None:
                known.append(None)
            else:
                known.append(self.orders[k])
        # A partial tiling's parked loops stand for every open level at once: a pin at the
        # outermost level names the innermost of all of them (some loop is, in every
        # completion); a pin at another open level would name nothing real.
        parked = len(batch_orders) - 1
        innermost = None if self.innermost is None or (
            self.open_tiling(self.innermost[0]) and self.innermost[0] != parked) \
            else self.innermost
        return OrderFacts(tuple(known), dims, innermost, tuple(ranks))


def placed_positions(order: tuple[str, ...], dims: tuple[str, ...],
                     placement: np.ndarray | None, k: int) -> np.ndarray:
    """(D, B): where each dimension's loop is in a supersequence ``order`` of level k, per
    mapping (``MappingBatch.placement``; a dimension the order does not name: last)."""
    B = 1 if placement is None else placement.shape[0]
    out = np.full((len(dims), B), len(order), dtype=np.int64)
    for j, d in enumerate(dims):
        at = np.array([p for p, x in enumerate(order) if x == d], dtype=np.int64)
        if len(at):
            nth = 0 if placement is None else placement[:, k, j]
            out[j] = at[np.minimum(nth, len(at) - 1)]
    return out


@dataclass(frozen=True)
class OrderFacts:
    """What a bounding evaluation knows of the levels' temporal orders (innermost first):
    a :class:`LoopOrder` per level (None: any order), and ``Bound.innermost``."""

    orders: tuple[LoopOrder | None, ...]
    dims: tuple[str, ...]
    innermost: tuple[int, str] | None = None
    #: per level, (D, B) positions of each mapping's loops where its order is known per
    #: mapping (a supersequence with placement: :func:`placed_positions`), else None
    ranks: tuple[np.ndarray | None, ...] | None = None

    def rank(self, level: int) -> np.ndarray | None:
        return None if self.ranks is None else self.ranks[level]

    def restricts(self, levels: range) -> bool:
        return any(self.orders[k] is not None or self.rank(k) is not None for k in levels) \
            or (self.innermost is not None and self.innermost[0] in levels)

    def before(self, level: int) -> np.ndarray:
        """(D, D): [p, d] when a loop of dimension p is inside one of d in every order of
        ``level`` allowed (pinned ``inner`` loops in their order, then the free ones in any
        order, then the pinned ``outer`` ones)."""
        order, D = self.orders[level], len(self.dims)
        rank = self.rank(level)
        if rank is not None:                               # (D, D, B): per mapping
            return rank[:, None, :] < rank[None, :, :]
        if order is None:
            return np.zeros((D, D), dtype=bool)
        rank = np.array([len(order.inner) if p is None else p
                         for p in (order.position(d, D) for d in self.dims)])
        free = np.array([order.position(d, D) is None for d in self.dims])
        out = rank[:, None] < rank[None, :]
        return out & ~(free[:, None] & free[None, :])

    def candidates(self, level: int, nonunit: np.ndarray) -> np.ndarray:
        """(D, B): the dimensions whose loop can be the innermost non-unit loop of ``level``
        (non-unit loops ``nonunit`` (D, B)). Where ``innermost`` names a dimension that cannot
        be (an empty branch), all candidates stay: a looser bound, still a bound."""
        rank = self.rank(level)
        if rank is not None:                       # each mapping's own innermost loop
            at = np.where(nonunit, rank, np.iinfo(np.int64).max)
            out = nonunit & (at == at.min(axis=0)[None])
        else:
            out = innermost_candidates(self.orders[level], nonunit, self.dims)
        if self.innermost is None or self.innermost[0] != level:
            return out
        pinned = out & (np.array(self.dims) == self.innermost[1])[:, None]
        return np.where(pinned.any(axis=0)[None], pinned, out)


@dataclass(frozen=True)
class DataSpaceBound:
    """What a bounding evaluation needs for one data space: its :class:`DeltaBound`, the
    :class:`Bound`, the batch's (K, D, B) factors, its loops above each level
    (:class:`LoopsAbove`, shared by the data spaces) and, for partial tilings,
    ``floor(k)``: the capacity-aware floor (B,) of the fills of open level k
    (:class:`FillFloor`; None where there is none)."""

    delta: "DeltaBound"
    bound: Bound
    temporal: np.ndarray
    spatial: np.ndarray
    floor: Callable[[int], np.ndarray | None] | None = None
    loops: "LoopsAbove | None" = None
    #: levels whose delta-sum bound is also wanted per innermost loop above them, and where
    #: ``access.data_space_counts`` leaves it: level -> (D, B) (``lower_bound(per_loop=True)``)
    per_loop_at: frozenset[int] = frozenset()
    per_loop: dict[int, np.ndarray] = field(default_factory=dict)
    #: per level of ``per_loop`` whose next keeper p reads its fills times G (no link on
    #: the way; G the distinct tiles of the fan-outs between): level -> (p, G (B,) or 1),
    #: left by ``access.data_space_counts``
    parent_reads: dict[int, tuple] = field(default_factory=dict)


def innermost_candidates(order: LoopOrder | None, nonunit: np.ndarray,
                         dims: tuple[str, ...]) -> np.ndarray:
    """(D, B): the dimensions whose loop can be the innermost non-unit loop of a nest with
    non-unit loops ``nonunit`` (D, B) under ``order`` (spec.constraints: pinned ``inner``
    loops innermost in their order, then the free ones in any order, then ``outer``)."""
    if order is None:
        return nonunit.copy()
    out = np.zeros_like(nonunit)
    decided = np.zeros(nonunit.shape[1], dtype=bool)
    pinned = [d for d in (*order.inner, *order.outer) if d in dims]
    free = np.array([d not in pinned for d in dims])
    for group in ([d for d in order.inner if d in dims], None,
                  [d for d in order.outer if d in dims]):
        if group is None:                             # the free loops, in any order
            loose = nonunit & free[:, None]
            here = loose.any(axis=0) & ~decided
            out |= loose & here[None]
            decided |= here
            continue
        for d in group:
            j = dims.index(d)
            here = nonunit[j] & ~decided
            out[j] |= here
            decided |= here
    return out


def no_stride_gaps(A: np.ndarray) -> bool:
    """Whether every element of the hull of a data space (projection ``A`` (R, D)) over any
    box is touched: coefficients 0 or 1, and no dimension in two ranks (``A[i, i]`` touches
    a diagonal of its square hull)."""
    return bool(((A == 0) | (A == 1)).all() and ((A != 0).sum(axis=0) <= 1).all())


def unsplit(A: np.ndarray, spatial_above: np.ndarray) -> bool | np.ndarray:
    """Whether no fan-out above a level splits a data space (projection ``A``): the spatial
    factors above it (``spatial_above`` (D,) or (D, B), products over the levels) are 1 on
    every dimension of the data space, so each instance's partition is all of it."""
    touched = (A != 0).any(axis=0)
    out = (np.asarray(spatial_above)[touched] == 1).all(axis=0)
    return bool(out) if np.ndim(out) == 0 else out


def hull_touched(A: np.ndarray, extents: np.ndarray) -> bool | np.ndarray:
    """Whether every element of the hull of a data space (projection ``A`` (R, D)) over a box
    of dimension ``extents`` ((D,), or (D, n): one answer per column) is touched. The ranks
    must move independently (no moving dimension in two ranks: else the hull is larger than
    what the box touches), and each rank's values ``sum_j a_j x_j`` (0 <= x_j < e_j) must
    have no gap: taking the terms by increasing coefficient, the values so far are 0..L, and
    the next coefficient fills on from there only if it is at most L + 1 (a smaller value
    than L + 1 cannot come from it or any later term). A strided window with a kernel at
    least the stride (``2q + s``, S >= 2) has none; a 1x1 kernel with stride 2 (``2q``) has."""
    E = np.asarray(extents)
    cols = E.reshape(E.shape[0], -1)
    moves = cols > 1                                                   # (D, n)
    shared = (A != 0).sum(axis=0) > 1                                  # (D,)
    ok = ~(moves & shared[:, None]).any(axis=0)
    for r in range(A.shape[0]):
        reach = np.zeros(cols.shape[1], dtype=np.int64)
        for d in sorted(np.flatnonzero(A[r]), key=lambda d: A[r, d]):
            ok &= ~moves[d] | (A[r, d] <= reach + 1)
            reach = reach + np.where(moves[d], A[r, d] * (cols[d] - 1), 0)
    return bool(ok[0]) if E.ndim == 1 else ok


@dataclass(frozen=True)
class ServedChild:
    """What an open level l (or, for data passing l, its parent) serves the next keeper c
    below l of one data space, for the joint floor (:class:`FillFloor`): ``groups`` the
    groups of c's instances under one instance of l whose tiles differ (one access serves a
    group: multicast), ``held`` the words of the data space c holds at most when a visit of
    l's tile begins (its fixed tile's, within its capacity), ``weight`` the energy per word
    served (pJ, at least)."""

    groups: int
    held: int
    weight: float


class DeltaBound:
    """Static facts of one data space's projection ``A`` (R, D) for :meth:`lower_bound`."""

    def __init__(self, A: np.ndarray, bounds: np.ndarray | None = None):
        self.A = A
        self.valid = bool((A >= 0).all())          # the sign argument needs A >= 0
        #: every element of a tile's hull is touched (:func:`no_stride_gaps`), so the
        #: partition (a hull) is a lower bound of the elements that must enter
        self.dense = no_stride_gaps(A)
        #: every element of the whole data space's hull is touched by the workload (its
        #: dimension extents ``bounds`` (D,)), stride gaps or not (:func:`hull_touched`): an
        #: instance whose partition is the whole data space must take in all of it
        self.whole_touched = self.dense or (bounds is not None and hull_touched(A, bounds))
        R, D = A.shape
        self.touches = A != 0                                      # (R, D)
        self.multi = self.touches.sum(axis=1) >= 2                 # (R,)
        self.ranks_of = [np.flatnonzero(self.touches[:, d]) for d in range(D)]
        #: per dimension d moving some rank: (S, D) 0/1 rows, every subset of the other
        #: dimensions that move only ranks d moves (:func:`zero_shift_visits`)
        self.cancelling = {}
        for d in range(D):
            if not self.touches[:, d].any():
                continue
            others = [e for e in range(D) if e != d and self.touches[:, e].any() and
                      not (self.touches[:, e] & ~self.touches[:, d]).any()]
            rows = np.zeros((1 << len(others), D), np.int64)
            for m in range(len(rows)):
                rows[m, [e for j, e in enumerate(others) if m >> j & 1]] = 1
            self.cancelling[d] = rows

    def lower_bound(self, k: int, tile: np.ndarray, ranks: list[np.ndarray],
                    loops: "LoopsAbove", per_loop: bool = False) -> np.ndarray:
        """(B,) lower bound of level k's delta sum over all loop orders (those ``loops``
        knows to be allowed).

        ``tile`` (B,) and ``ranks`` (R rows (B,)) are level k's tile and rank extents;
        ``loops`` the batch's loops above each level. ``per_loop``: (D, B), the bound of the
        orders whose innermost loop above k is of each dimension (max int where none can be;
        the tile for every dimension where no loop is above k).
        """
        B = tile.shape[0]
        at = loops.above(k)
        if at is None or not self.valid:
            return np.broadcast_to(tile, (self.A.shape[1], B)).copy() if per_loop \
                else tile.copy()
        has, N = at.has, at.trips
        # a rank can come back to zero when two of its dimensions have loops above k
        cancels = self.multi[:, None] & ((self.touches[:, :, None] & at.movable[None])
                                         .sum(axis=1) >= 2)                  # (R, B)
        full = tile * N
        best = None
        every = np.full((self.A.shape[1], B), np.iinfo(np.int64).max) if per_loop else None
        # the run of loops that can shift like a depends on a only through its ranks Ra
        # (dimensions of the same ranks, e.g. every one the data space does not project
        # on, share it): computed once per distinct Ra
        runs: dict[tuple, np.ndarray] = {}
        for da in range(self.A.shape[1]):
            cand = has & at.first[da]
            if not cand.any():
                continue
            Ra = self.ranks_of[da]
            overlap = np.ones(B, dtype=np.int64)
            for r, row in enumerate(ranks):
                if r in Ra:
                    overlap *= np.maximum(row - self.A[r, da] * at.step[da], 0)
                else:
                    overlap *= row
            if not overlap.any():
                bound_a = full
            else:
                key = tuple(Ra)
                if key not in runs:
                    runs[key] = N - N // self._run_product(Ra, cancels, at)
                bound_a = full - overlap * runs[key]
            bound_a = np.where(cand, bound_a, np.iinfo(np.int64).max)
            if per_loop:
                every[da] = bound_a
            best = bound_a if best is None else np.minimum(best, bound_a)
        if per_loop:
            every[:, ~has] = tile[~has]
            return every
        return np.where(has, best, tile)

    def _run_product(self, Ra: np.ndarray, cancels: np.ndarray, at: "Above") -> np.ndarray:
        """(B,) ``prod_{j in S(a)} N_j`` for an innermost moving loop ``a`` whose dimension
        moves the ranks ``Ra`` (module docstring): the trip counts of the compatible loops
        that may run with it (``Above.run``)."""
        nonunit, B = at.nonunit, at.has.shape[0]
        outside = np.ones(len(self.A), dtype=bool)
        outside[Ra] = False
        # compatible[d]: every rank of d outside Ra can cancel
        bad = outside[:, None] & ~cancels                                   # (R, B)
        compatible = ~((self.touches[:, :, None] & bad[:, None, :]).any(axis=0))
        if len(Ra):
            covers = self.touches[Ra].all(axis=0)               # (D,) moves all of Ra
            allowed = compatible & covers[:, None]
        else:
            allowed = compatible
        level_ok = ~(nonunit & ~compatible[None]).any(axis=1)               # (La, B)
        prefix = np.ones_like(level_ok)
        if len(level_ok) > 1:
            prefix[1:] = np.cumprod(level_ok[:-1], axis=0).astype(bool)
        members = at.run(compatible) & allowed[None] & prefix[:, None, :]
        return np.where(members, at.factors, 1).reshape(-1, B).prod(axis=0)


@dataclass(frozen=True)
class Above:
    """The temporal loops above one level k of a batch, as :meth:`DeltaBound.lower_bound`
    needs them (La levels above k, D dimensions, B mappings)."""

    factors: np.ndarray        # (La, D, B) temporal factors above k
    nonunit: np.ndarray        # (La, D, B)
    has: np.ndarray            # (B,) any loop above k
    trips: np.ndarray          # (B,) product of the trip counts above k (N)
    step: np.ndarray           # (D, B) step of a loop of each dimension at L1
    first: np.ndarray          # (D, B) the dimensions that can be the innermost loop a at L1
    movable: np.ndarray        # (D, B) the dimensions with a loop above k
    starts: np.ndarray | None = None     # (La, D, B) each level's possible innermost loops
    #: (La, D, D) [p, d]: loop p is inside loop d in every allowed order of a level
    #: ((La, D, D, B) where some level's order is known per mapping)
    before: np.ndarray | None = None

    def run(self, compatible: np.ndarray) -> np.ndarray:
        """(La, D, B): the loops that may be in a run of ``compatible`` (D, B) loops from the
        innermost moving loop outward, as far as each level's known order allows: a carry
        shifts like ``a`` only if no incompatible moving loop lies inside it, so a level
        whose innermost loop must be incompatible adds nothing (nor, by ``prefix``, does
        any level above it), and within a level a loop that some incompatible non-unit loop
        must precede is out. Without known orders: every compatible non-unit loop."""
        run = self.nonunit & compatible[None]
        if self.starts is None:
            return run
        blocking = (self.nonunit & ~compatible[None]).astype(np.int64)       # (La, D, B)
        blocked = (np.einsum("lpd,lpb->ldb", self.before, blocking) if self.before.ndim == 3
                   else np.einsum("lpdb,lpb->ldb", self.before, blocking)) > 0
        opens = (self.starts & compatible[None]).any(axis=1)                 # (La, B)
        return run & ~blocked & opens[:, None, :]


class LoopsAbove:
    """The loops above each level of one batch, computed once per level and shared by the
    bounds of every data space (they depend on the factors and the orders, not on the
    projection). ``temporal``, ``spatial``: (K, D, B); ``orders``: what is known of the
    levels' orders (None: nothing)."""

    def __init__(self, temporal: np.ndarray, spatial: np.ndarray,
                 orders: OrderFacts | None = None, landing: tuple[int, ...] = ()):
        """``landing``: for parked partial tilings (``Bound.fixed_through``), the open
        levels whose temporal loops may hold parked factors (none: whole tilings)."""
        self.temporal, self.spatial, self.orders = temporal, spatial, orders
        self.landing = landing
        self._above: dict[int, Above | None] = {}
        self._candidates: dict[int, np.ndarray] = {}

    def candidates(self, level: int) -> np.ndarray:
        """(D, B) the dimensions that can be level's innermost non-unit loop."""
        if level not in self._candidates:
            nonunit = self.temporal[level] > 1
            self._candidates[level] = nonunit if self.orders is None else \
                self.orders.candidates(level, nonunit)
        return self._candidates[level]

    def above(self, k: int) -> Above | None:
        """The loops above level k; None where there are none."""
        if k not in self._above:
            self._above[k] = self._compute(k)
        return self._above[k]

    def _compute(self, k: int) -> Above | None:
        temporal, spatial = self.temporal, self.spatial
        above = temporal[k + 1:]                                  # (La, D, B)
        if above.shape[0] == 0:
            return None
        B = above.shape[2]
        nonunit = above > 1
        level_any = nonunit.any(axis=1)                           # (La, B)
        has = level_any.any(axis=0)
        if not has.any():
            return None
        N = above.reshape(-1, B).prod(axis=0)
        L1 = np.argmax(level_any, axis=0)                         # lowest level with a loop
        # Step of a loop of dimension d at level L1: the extent of d inside it, i.e. the tile
        # times the spatial factors of levels k+1..L1 (the temporal ones between are units).
        extent = temporal[0] * spatial[0]                                   # (D, B)
        for level in range(1, k + 1):
            extent = extent * temporal[level] * spatial[level]
        spread = running = spatial[k + 1]                                   # (D, B)
        cumulative = [running]
        for i in range(1, above.shape[0]):
            running = running * spatial[k + 1 + i]
            cumulative.append(running)
            spread = np.where(L1 == i, running, spread)
        # The parked loops of a partial tiling may land at the lowest open level above k
        # that can hold them, inside the fan-outs above that level: their step there is
        # the smallest (smaller steps only overlap more, so that is a bound of every split)
        low = min((level for level in self.landing if level > k), default=None)
        if low is not None:
            parked = above.shape[0] - 1
            spread = np.where(L1 == parked, cumulative[low - k - 1], spread)
        starts = before = None
        if self.orders is not None and self.orders.restricts(range(k + 1, len(temporal))):
            starts = np.stack([self.candidates(level)
                               for level in range(k + 1, len(temporal))])
            rows = [self.orders.before(level) for level in range(k + 1, len(temporal))]
            if any(r.ndim == 3 for r in rows):                  # some order per mapping
                rows = [np.broadcast_to(r if r.ndim == 3 else r[:, :, None], r.shape[:2] + (B,))
                        for r in rows]
            before = np.stack(rows)
            innermost = starts
        else:
            innermost = nonunit
        return Above(above, nonunit, has, N, extent * spread,
                     pick_level(innermost, L1), nonunit.any(axis=0),
                     starts, before)


def pick_level(x: np.ndarray, level: np.ndarray) -> np.ndarray:
    """(D, B): ``x[level[b], :, b]`` of an (La, D, B) array (fancy indexing is slower)."""
    out = x[0]
    for i in range(1, x.shape[0]):
        out = np.where(level == i, x[i], out)
    return out


def least_over_multiples(values: np.ndarray, bounds: tuple[int, ...]) -> np.ndarray:
    """(n,) for each point of the divisor lattice of ``bounds`` (one axis per dimension, its
    divisors ascending, flattened in C order), the least of ``values`` (n,) over its
    multiples: the points that divide the bounds and are multiples of it in every
    dimension. Written with one axis per prime of each bound, the multiples of a point are
    the points at or above it on every axis, so this is a suffix minimum along each axis:
    a few numpy passes over the lattice, however many divisors a bound has."""
    flat, shape = _lattice_by_primes(bounds)
    x = values[flat].reshape(shape)
    for axis, size in enumerate(shape):
        if size > 1:
            x = np.flip(np.minimum.accumulate(np.flip(x, axis), axis=axis), axis)
    out = np.empty_like(values)
    out[flat] = x.reshape(-1)
    return out


@lru_cache(maxsize=256)
def _lattice_by_primes(bounds: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    """The divisor lattice of ``bounds`` (flat, C order, each dimension's divisors
    ascending) with one axis per prime of each bound: the flat index of each point in that
    order, and its shape (a bound of 1 keeps one axis of length 1)."""
    positions, shape = [], []
    for b in bounds:
        primes = factorize(b)
        positions.append(np.searchsorted(divisors(b), [row[-1] for row in
                                                       exponent_table(primes)]))
        shape += [e + 1 for e in primes.values()] or [1]
    lattice = tuple(len(divisors(b)) for b in bounds)
    grid = np.meshgrid(*positions, indexing="ij")
    flat = np.ravel_multi_index([g.reshape(-1) for g in grid], lattice)
    return flat, tuple(shape)


class FillFloor:
    """Capacity-aware lower bounds of the fills of an open level (``Bound.fixed_through``).

    With the levels through k fixed, an open level l's tile is not known, but it must fit
    l's capacity and it contains the fixed part: its extent ``E`` is a multiple of the
    parked tile's extent ``e`` (everything at levels <= k, and the spatial factors up to l).
    Whatever ``E`` a completion picks, the tile then enters l at least ``F(E)`` times the
    words, ``F`` being :meth:`DeltaBound.lower_bound` with every temporal loop above l in one
    level (any split among the levels above is one of its orders), the trip counts ``bound /
    (E S)`` (``S`` the spatial factors above l, fixed) and no spatial loop between (smaller
    steps only overlap more). So the fills are at least ``min F(E)`` over the multiples ``E``
    of ``e`` that divide the bounds and fit: a table over the divisor lattice, closed upward
    once. This is what bounds the outer memory traffic of a partial tiling by the capacity
    of the buffers it has yet to tile (the parked form alone gives compulsory traffic only).

    The data spaces l keeps share its tile and the innermost loop above it: with ``weights``
    (a lower bound of the energy each word filled into l costs, per data space), ``joint`` is
    the table of ``min over E and a of sum_i weights_i F_i(E, a)``, ``F_i(E, a)`` the bound
    of the orders whose innermost loop above l is of dimension ``a``. Each data space's own
    floor picks its own ``E`` and ``a``, so their weighted sum only bounds it from below. One
    table per data space in ``projections`` (its index as key).
    """

    #: tables larger than this many tile shapes are not built (no floor: still a bound)
    MAX_SHAPES = 1 << 17
    #: joint tables kept per table at most (one per set of words the keepers below hold;
    #: the least recently used goes first): simba_like BERT ffn1 asks up to 23 of one table
    #: in turn, and recomputing them cost it half its time
    JOINTS = 32

    def __init__(self, projections: dict[int, np.ndarray], bounds: np.ndarray,
                 capacity: int | None, kept: list[np.ndarray], spatial_above: np.ndarray,
                 weights: dict[int, float] | None = None,
                 floors_of: Collection[int] | None = None,
                 served: dict[int, ServedChild] | None = None,
                 passed: dict[int, ServedChild] | None = None,
                 charge: Callable[[int], None] | None = None):
        """``bounds`` (D,); ``kept``: the projections of the data spaces level l keeps (its
        capacity holds their tiles); ``spatial_above`` (D,) the product of the spatial factors
        above l; ``weights``: pJ per word new to the tile, for the data spaces of the joint
        table; ``floors_of``: the data spaces that get their own table (default: all);
        ``served``: the data spaces whose serving of the next keeper below joins the joint
        table (:meth:`served_words`); ``passed``: weighted data spaces passing l whose
        keeper below takes at least :meth:`served_words` from l's parent (their term is the
        larger of that and their words new to l's tile); ``charge(nbytes)``: told of the
        bytes its joint tables take and free as they come and go (the cache's account)."""
        D = len(bounds)
        self._bounds = tuple(int(b) for b in bounds)
        self.divisors = [np.array(divisors(b), np.int64) for b in self._bounds]
        self.shape = shape = tuple(len(d) for d in self.divisors)
        self.tables: dict[int, np.ndarray] = {}
        #: (D, n) per tile that fits and innermost loop above l: the weighted words that do
        #: not depend on what the keepers below hold (None: no joint table)
        self._joint_base: np.ndarray | None = None
        self._served: dict[int, tuple[np.ndarray, ServedChild]] = {}
        self._passed: dict[int, tuple[np.ndarray, ServedChild, np.ndarray]] = {}
        self._joints: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._n = 0
        self._charge = charge or (lambda nbytes: None)
        if int(np.prod(shape, dtype=np.float64)) > self.MAX_SHAPES:
            return
        grid = np.meshgrid(*self.divisors, indexing="ij")
        E = np.stack([g.reshape(-1) for g in grid])                        # (D, n)
        outer = bounds[:, None] // E
        ok = (outer % spatial_above[:, None] == 0).all(axis=0)
        trips = np.where(ok, outer // spatial_above[:, None], 1)
        if capacity is not None:
            words = sum(product_rows(rank_extents(P, E)) for P in kept)
            ok &= words <= capacity
        # only the tiles that fit need their bound (most of the lattice does not, on a
        # buffer with a capacity)
        fits = np.flatnonzero(ok)
        loops = LoopsAbove(np.stack([E[:, fits], trips[:, fits]]),
                           np.ones((2, D, len(fits)), np.int64))
        weights = {i: w for i, w in (weights or {}).items() if i in projections and w > 0}
        served = {i: c for i, c in (served or {}).items() if i in projections and c.weight > 0}
        joint = np.zeros((D, len(fits))) if len(weights) + len(served) > 1 else None
        # what the keepers below hold (ServedChild.held) varies from row to row: the terms
        # that depend on it are added per value asked (joint_floor), the rest once here
        self._E, self._fits, self._n = E[:, fits], fits, E.shape[1]
        self._sweeps = trips[:, fits].prod(axis=0)
        self._served = {i: (projections[i], c) for i, c in served.items()}
        for i, A in projections.items():
            ranks = rank_extents(A, E[:, fits])
            # per dimension of the innermost loop above l: one loop for every data space
            fills = DeltaBound(A).lower_bound(0, product_rows(ranks), list(ranks), loops,
                                              per_loop=True)
            if floors_of is None or i in floors_of:
                floor = np.full(E.shape[1], np.iinfo(np.int64).max)
                floor[fits] = fills.min(axis=0)
                self.tables[i] = self._closed(floor)
            if joint is not None and i in weights:
                words = np.where(fills == np.iinfo(np.int64).max, np.inf, fills)
                if i in (passed or {}):
                    # data passing l to its keeper below: what the parent serves it
                    # covers both the words new to l's tile and those re-entering the keeper
                    self._passed[i] = (A, passed[i], words)
                else:
                    joint += weights[i] * words
        self._joint_base = joint

    def _joint_table(self, held: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The joint table with the keepers below holding ``held`` words: closed upward, and
        at each tile itself (inf where it does not fit)."""
        joint = self._joint_base.copy()
        for i, (A, child) in self._served.items():
            child = replace(child, held=held[i])
            joint += child.weight * self.served_words(A, self._E, self._sweeps, child)
        for i, (A, child, words) in self._passed.items():
            child = replace(child, held=held[i])
            joint += child.weight * np.maximum(words, self.served_words(A, self._E,
                                                                        self._sweeps, child))
        floor = np.full(self._n, np.inf)
        floor[self._fits] = joint.min(axis=0)
        return self._closed(floor), floor

    @staticmethod
    def served_words(A: np.ndarray, E: np.ndarray, sweeps: np.ndarray,
                     child: ServedChild) -> np.ndarray:
        """(n,) words level l serves, at least, to the instances of the next keeper c below
        it under one instance of l, for each tile ``E`` (D, n) of l, which the loops above l
        visit ``sweeps`` (n,) times.

        In one visit each instance of c computes over its share of l's tile, so every word
        that share touches passes through c's tile, which held at most ``held`` words at the
        visit's start (none at the first; a buffer holds one tile, and c's is fixed): at
        least ``w_g + (sweeps - 1) max(0, w_g - held)`` words enter it, ``w_g`` the
        footprint of the share of its group g (the instances of a group have one tile; one
        access serves them all). Where every word of the tile's hull is touched
        (:func:`hull_touched`; else nothing is claimed), each lies in some share, so the
        ``G`` groups' footprints add up to at least ``W``, the tile's footprint, and since
        ``max(0, x - held)`` is convex, in all at least ``W + (sweeps - 1) max(0, W - G
        held)`` (``floors.distinct_groups`` gives ``G`` where no link can serve c's
        instances)."""
        words = product_rows(rank_extents(A, E))
        entering = words + (sweeps - 1) * np.maximum(words - child.groups * child.held, 0)
        return np.where(hull_touched(A, E), entering, 0)

    def _closed(self, floor: np.ndarray) -> np.ndarray:
        """(n,) the least of ``floor`` over the multiples of each tile shape (upward closure)."""
        return least_over_multiples(floor, self._bounds)

    @property
    def nbytes(self) -> int:
        """Bytes of the tables held, and of what the joint tables are made of."""
        return sum(t.nbytes for t in self.tables.values()) + \
            (0 if self._joint_base is None else self._joint_base.nbytes) + \
            sum(words.nbytes for _, _, words in self._passed.values()) + \
            sum(t.nbytes + exact.nbytes for t, exact in self._joints.values())

    def detach(self) -> None:
        """Stop telling the account of the joint tables' bytes (the cache let it go)."""
        self._charge = lambda nbytes: None

    def _index(self, extents: np.ndarray) -> np.ndarray:
        index = [np.searchsorted(d, e) for d, e in zip(self.divisors, extents)]
        return np.ravel_multi_index(index, self.shape)

    def __call__(self, i: int, extents: np.ndarray) -> np.ndarray | None:
        """(B,) the least fills of data space i into a tile containing the (D, B) ``extents``
        (None: no table)."""
        table = self.tables.get(i)
        return None if table is None else table[self._index(extents)]

    def joint_floor(self, extents: np.ndarray, held: dict[int, int] | None = None,
                    exact: bool = False) -> np.ndarray | None:
        """(B,) the least weighted fills (pJ) of the weighted data spaces into one tile
        containing the (D, B) ``extents`` (``exact``: into the tile ``extents`` itself, inf
        where it does not fit), the keepers below holding ``held`` words (data space index
        -> :attr:`ServedChild.held`, for each served or passed one) when a visit begins
        (None: no joint table)."""
        if self._joint_base is None:
            return None
        key = tuple(sorted((i, h) for i, h in (held or {}).items()
                           if i in self._served or i in self._passed))
        tables = self._joints.pop(key, None)
        if tables is None:
            if len(self._joints) >= self.JOINTS:      # memory bounded: least recent goes
                old = self._joints.pop(next(iter(self._joints)))
                self._charge(-old[0].nbytes - old[1].nbytes)
            tables = self._joint_table(dict(key))
            self._charge(tables[0].nbytes + tables[1].nbytes)
        self._joints[key] = tables                         # the most recent last
        return tables[1 if exact else 0][self._index(extents)]


@dataclass(frozen=True)
class LinkBound:
    """Where the children of one fan-out (level k >= 1) may take deltas over links in some
    order a bound leaves open (:func:`links_possible`), (B,) each: ``possible``; ``zero``
    where a carry may also leave the tile in place (then every child may be linked); and
    ``unlinked``, a lower bound of the child's delta sum over the visits no link can serve
    (the first one, and every carry that moves a rigid rank)."""

    possible: np.ndarray
    zero: np.ndarray
    unlinked: np.ndarray
    #: (B,) where the children sharing a translation form groups of one size (no rank is
    #: moved by two spread dimensions): a bypassed child's ``F A / W`` is then at least ``G``
    equal_groups: np.ndarray
    #: (D, B) the innermost loops above the child that allow links (None: not known)
    first: np.ndarray | None = None
    #: (B,) where only a carry that leaves the tile in place can link (every rank the
    #: fan-out moves is rigid), at most this many such visits in any order; else None or
    #: -1 per row (:func:`zero_shift_visits`)
    zero_visits: np.ndarray | None = None


def links_possible(bound: DataSpaceBound, k: int, groups: np.ndarray, fanout: np.ndarray,
                   tile: np.ndarray, ranks: list[np.ndarray]) -> LinkBound | None:
    """Where the children of level k >= 1 may pass deltas over links (TIMELOOP_SEMANTICS §4)
    in some loop order (and, for a partial tiling, some completion) ``bound`` stands for;
    None where no mapping of the batch can. ``groups``, ``fanout`` (B,): ``G_k``, ``F_k``;
    ``tile``, ``ranks``: the child's (level k-1) tile and rank extents.

    The spatial factors are fixed in every bound. A link at a visit of shift ``s`` needs two
    neighbours whose translations differ by ``s`` (§4; ``s = 0``: equal translations, so
    ``G_k < F_k``). Seen from level k-1, with ``sigma`` the step of a temporal loop above it,
    a carry of loop j moves rank r by ``s_j[r] = sum_d A[r, d] (sigma_j [d_j = d] - sum of
    sigma_l over the moving loops l of d inside j)`` (§3), and the first moving loop ``a``
    above level k-1 is inside every carry (``s_1 = 0`` where it moves nothing: no links).
    Call rank r *rigid* where at most one dimension d touching it has a spatial loop at
    level k or a temporal loop above k-1. There the children's translations differ by at
    most ``A[r, d] e_d (F_d - 1)`` (``e_d`` the child's extent, ``F_d`` the fan-out of d),
    while a carry shifts it by 0 or by at least ``A[r, d] sigma`` with ``sigma >= e_d F_d``
    the step of the innermost moving loop of d above (the steps of d inside a loop of d sum
    to less than its own step, each being at least twice the one inside it); by 0 only if
    neither j nor a moving loop inside j is of d. So a carry that moves a rigid rank is
    never linked, and there are no links at all where

    * every rank the fan-out moves is rigid and every dimension it spreads touches a rank:
      a link then needs ``s = 0`` and equal translations, but the translations are distinct
      (each dimension's spread is read off one of its ranks); or
    * every dimension that can be ``a`` (the innermost non-unit loop of the lowest level
      above k-1 with one, as far as the bound knows the orders: ``LoopsAbove``) moves no
      rank, or moves a rigid one (then so does every carry).

    ``zero`` further needs ``G_k < F_k`` and an ``a`` whose every rank sums two dimensions
    with loops above k-1 (only then can a carry shift it by 0). ``unlinked``: the carries of
    the loops of the dimensions that move a rigid rank, and of every loop outside one of
    them, are never linked; placing the others innermost leaves at least ``U``, the product
    of the former's trip counts, visits unlinked (the first one included), each bringing
    ``|T|`` or the slab ``|T| - overlap(s_1)`` (§3): at least ``|T| + (U - 1) (|T| - max
    overlap(v_a))`` over the ``a`` that allow links. Where the child's tile is open (a
    partial tiling) the loops above it are not known: ``|T|``.
    """
    db = bound.delta
    B = groups.shape[0]
    if not db.valid:                                 # the argument needs A >= 0
        return LinkBound(np.ones(B, bool), groups < fanout, tile.copy(), np.zeros(B, bool))
    touches = db.touches                                                   # (R, D)
    spread = bound.spatial[k] > 1                                          # (D, B)
    trips = bound.temporal[k:].prod(axis=0)                                # (D, B)
    movable = trips > 1
    weights = touches.astype(np.int64)
    count = lambda dims: weights @ dims                                    # noqa: E731 (R, B)
    rigid = count(spread | movable) <= 1                                   # (R, B)
    moved = count(spread) > 0                                              # by the fan-out
    relevant = touches.any(axis=0)                                         # (D,)
    distinct = ~(spread & ~relevant[:, None]).any(axis=0)
    moved_rigid = (rigid | ~moved).all(axis=0)
    # a whole tiling: every loop's step is known, so whether a carry can leave the tile in
    # place is decided (the only link across a fan-out that moves rigid ranks alone)
    still = groups < fanout                  # equal translations: a zero shift may link
    zero_visits = None
    # asked only where it decides: every moved rank rigid, children of equal translation
    at = np.flatnonzero(still & moved_rigid & ~distinct)
    if bound.bound.fixed_through is None and len(at):
        visits = zero_shift_visits(db, bound.temporal[:, :, at], bound.spatial[:, :, at], k,
                                   _first_moving_candidates(bound, k - 1)[:, at])
        still[at] = visits > 0
        zero_visits = np.full(B, -1, np.int64)
        zero_visits[at] = visits
    structural = moved_rigid & (distinct | ~still)
    # every rank rigid: every loop that moves the data space moves a rigid rank
    if (structural | rigid.all(axis=0)).all():
        return None
    cancel = db.multi[:, None] & (count(movable) >= 2)
    first = _first_moving_candidates(bound, k - 1)                         # (D, B)
    open_child = bound.loops is None or bound.bound.open_tiling(k - 1)
    step = None if open_child else _least_steps(bound, k - 1)             # (D, B)
    linkable = np.zeros(B, bool)
    allows = np.zeros_like(first)
    zero = np.zeros(B, bool)
    overlap = np.zeros(B, np.int64)              # the largest overlap(v_a) of a linkable a
    for d in range(touches.shape[1]):
        Rd = db.ranks_of[d]
        if not len(Rd):
            continue                                 # a = d: s_1 = 0
        can = first[d] & ~rigid[Rd].any(axis=0)
        allows[d] = can
        linkable |= can
        zero |= can & cancel[Rd].all(axis=0)
        if step is not None:
            o = np.ones(B, np.int64)
            for r, row in enumerate(ranks):
                o *= np.maximum(row - db.A[r, d] * step[d], 0) if r in Rd else row
            overlap = np.maximum(overlap, np.where(can, o, 0))
    possible = linkable & ~structural
    if not possible.any():
        return None
    if step is None:
        unlinked = tile.copy()
    else:
        # the dimensions that move a rigid rank: each is the one movable dimension there
        fixed = (touches[:, :, None] & (rigid & (count(movable) == 1))[:, None, :]
                 ).any(axis=0) & movable                                   # (D, B)
        U = np.where(fixed, trips, 1).prod(axis=0)
        unlinked = tile + (U - 1) * (tile - overlap)
    return LinkBound(possible, possible & zero & still, unlinked,
                     (count(spread) <= 1).all(axis=0), None if open_child else allows,
                     zero_visits)


def zero_shift_visits(delta: "DeltaBound", temporal: np.ndarray, spatial: np.ndarray,
                      k: int, first: np.ndarray) -> np.ndarray:
    """(B,) at most how many visits, in the loop orders of each whole tiling (factors
    (K, D, B)) whose innermost loop above level k-1 is one of ``first`` (D, B), are carries
    that leave the child's tile in place (``s_j = 0`` in every rank); 0 where none has one.

    A carry of loop j (dimension d, step ``sigma_j``) shifts the tile by ``A[:, d] sigma_j``
    less ``A[:, d_l] sigma_l`` of every moving loop l inside it (TIMELOOP_SEMANTICS §3, as
    ``access.Shifts`` takes it). A loop's step is its dimension's extent below it (the
    spatial factors of its own level included), fixed by the tiling; what the order decides
    is only which loops of j's own level lie inside j (the loops of the levels between are
    inside it in every order). So each loop is tried with every subset S of its level's
    other loops whose dimensions move only ranks d moves (``DeltaBound.cancelling``: any
    other one leaves a rank moved, A being non-negative); with S inside it and the rest of
    its level outside, its carries weigh ``(N_j - 1)`` times the trip counts outside it
    (§3 (a)). The innermost loop a lies inside every other carry: at a's level, S holds it.
    Per candidate a, the largest weight over the S that cancel, summed over the loops,
    bounds the orders with a innermost; the largest over the candidates bounds them all
    (an irrelevant a moves nothing: no links). Permutation constraints are not read."""
    A = delta.A
    K, D, B = temporal.shape
    above = temporal[k:].prod(axis=(0, 1))               # every trip count above k-1
    if not delta.valid:
        return above
    moves = temporal >= 2                                                  # (K, D, B)
    has = moves[k:].any(axis=1)                                            # (K - k, B)
    lowest = k + np.where(has.any(axis=0), has.argmax(axis=0), K - k)      # a's level
    # per candidate a: the zero-shift weight of the carries of a's level (S holds a) and
    # of the levels above it (a inside them all)
    at_level = np.zeros((D, B), np.int64)
    higher = np.zeros(B, np.int64)
    inside = np.zeros((A.shape[0], B), np.int64)     # the loops of the levels between, summed
    tile = level_tile_extents(temporal, spatial, k - 1)          # level L - 1's, as L goes
    for L in range(k, K):                                                  # k >= 1
        if not moves[L].any():
            tile = tile * spatial[L]
            continue             # no loop at L in any tiling: no carry, nothing to add
        step = tile * spatial[L] * moves[L]
        tile = tile * temporal[L] * spatial[L]
        here = A[:, :, None] * step[None]                                      # (R, D, B)
        mine = lowest == L
        for d, subsets in delta.cancelling.items():
            # (an irrelevant loop's carry moves the tile back, or nothing moves inside it,
            # and then the innermost loop moves nothing: s_1 = 0, no links)
            if not moves[L, d].any():
                continue                              # no loop of d at L: no carry
            N = temporal[L, d]
            base = here[:, d] - inside                                             # (R, B)
            total = np.einsum("sd,rdb->srb", subsets, here)
            found = (total == base[None]).all(axis=1) & moves[L, d]               # (S, B)
            if not found.any():
                continue
            # trip counts outside j: those of its level but j and S, and the levels above
            inner = np.where(subsets[:, :, None] == 1, temporal[L][None], 1).prod(axis=1)
            weight = np.where(found, (N - 1) * (above // (N * inner)), 0)          # (S, B)
            higher += np.where(L > lowest, weight.max(axis=0), 0)
            if mine.any():
                # per a: the largest weight over the S holding a (a = d is j itself)
                with_a = np.where(subsets[:, :, None] == 1, weight[:, None], 0).max(axis=0)
                with_a[d] = 0
                at_level += np.where(mine, with_a, 0)
        inside += here.sum(axis=1)
        above //= temporal[L].prod(axis=0)
    candidates = first & moves[np.minimum(lowest, K - 1), :, np.arange(B)].T & \
        delta.touches.any(axis=0)[:, None]
    return np.where(candidates, at_level + higher, 0).max(axis=0)


def _first_moving_candidates(bound: DataSpaceBound, k: int) -> np.ndarray:
    """(D, B) the dimensions whose loop can be the innermost moving loop above level k in
    the orders (and completions) ``bound`` stands for: ``LoopsAbove``'s candidates at the
    lowest level above k with a loop; where level k's tile is open (a partial tiling), any
    dimension with a loop above it, since a completion may move parked loops below."""
    temporal = bound.temporal[k + 1:]
    if bound.loops is None or bound.bound.open_tiling(k):
        return (temporal > 1).any(axis=0)
    at = bound.loops.above(k)
    return np.zeros(temporal.shape[1:], bool) if at is None else at.first & at.has[None]


def _least_steps(bound: DataSpaceBound, k: int) -> np.ndarray:
    """(D, B) a lower bound of the step of the innermost moving loop of each dimension above
    level k: ``Above.step`` for a whole tiling (the lowest level above k with a loop is
    known); for a partial one, whose parked loops may land lower, the extent of d in level
    k's tile times the spatial factors of level k+1 (inside every loop above k)."""
    if bound.bound.fixed_through is None:
        at = bound.loops.above(k)
        if at is not None:
            return at.step
    return level_tile_extents(bound.temporal, bound.spatial, k) * bound.spatial[k + 1]


def bound_under_links(links: LinkBound, bound: DataSpaceBound, k: int, tile: np.ndarray,
                      ranks: list[np.ndarray], groups: np.ndarray, fanout: np.ndarray,
                      demand: np.ndarray, fills: np.ndarray | None) -> np.ndarray:
    """Lower bounds of what level k+1 serves (returned) and of the fills of a kept child k
    (``fills``: its delta sum bound, lowered in place; ``tile``, ``ranks`` its tile) where
    links may save (:func:`links_possible`), from what links leave in every order.

    The orders whose innermost loop above k allows no link cost ``G D`` as without links.
    In the others, with ``D'`` their delta sum (bounded over those innermost loops alone)
    and ``X`` its part over visits no link can serve (``LinkBound.unlinked``, at most
    ``D'``): at a linked visit of shift ``s != 0`` the child whose translation is furthest
    along ``s`` has no neighbour to take its delta from, so the parent still sends at least
    one delta, and at most ``F - 1`` children take theirs over links. So the parent serves at
    least ``D' + (G - 1) X`` and the share ``W / F`` of a child is at least
    ``X + (D' - X) / F``. Where a carry may leave the tile in place every child may be
    linked: ``G X`` and ``X``; where only such a carry can link (``LinkBound.zero_visits``:
    at most ``V`` visits, each a whole tile), ``X`` is also at least ``D' - V |T|``.

    A bypassed child's demand ``c F A / W`` is at least ``c`` (the parent sends at least
    one delta per ``F`` that the children take), and at least ``G c`` where the children
    sharing a translation form groups of one size ``m = F / G`` (``equal_groups``): a
    translation leaves the ``G'`` the parent serves only when all m of its children are
    linked, so ``G - G' <= |Λ| / m`` at every linked visit, the accesses saved are at most
    ``G / F`` of the transfers, and ``A = G D - saved >= (G / F)(F D - transfers) = (G / F) W``.
    """
    any_, zero = links.possible, links.zero
    if fills is None:
        return np.where(any_ & ~links.equal_groups, demand, groups * demand)
    D = fills.copy()
    linked = D if links.first is None else np.where(any_, np.maximum(D, _linkable_delta(
        bound, k, tile, ranks, links.first)), D)
    X = np.minimum(links.unlinked, linked)
    if links.zero_visits is not None:
        # only visits that leave the tile in place link, each a whole tile (§4): the rest
        # of the delta sum is unlinked
        z = links.zero_visits >= 0
        X = np.where(z, np.maximum(X, linked - links.zero_visits * tile), X)
    served = np.where(zero, groups * X, linked + (groups - 1) * X)
    share = np.where(zero, X, X + (linked - X) // fanout)
    np.copyto(fills, np.minimum(D, share), where=any_)
    return np.where(any_, np.minimum(groups * D, served), groups * D)


@dataclass(frozen=True)
class _LoopsAboveOne:
    """The loops above one level, as :meth:`DeltaBound.lower_bound` asks ``LoopsAbove``."""

    level: int
    at: Above

    def above(self, k: int) -> Above:
        assert k == self.level
        return self.at


def _linkable_delta(bound: DataSpaceBound, k: int, tile: np.ndarray, ranks: list[np.ndarray],
                    first: np.ndarray) -> np.ndarray:
    """(B,) :meth:`DeltaBound.lower_bound` of level k over the orders whose innermost loop
    above k is one of ``first`` (D, B) (a large value where none can be)."""
    at = bound.loops.above(k)
    if at is None:
        return tile.copy()
    only = replace(at, first=at.first & first)
    return bound.delta.lower_bound(k, tile, ranks, _LoopsAboveOne(k, only))
