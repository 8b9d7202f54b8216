"""``hybrid``: a fixed number of random evaluations (``random_sampling``), then hill climbing
from the best mappings found. A climb takes the best improving move until none improves
(first-improvement would depend on the move order; best-improvement does not); a move shifts
one prime factor of a dimension between two of its slots (re-tiling) or one loop of a level's
order.

Moves stay inside the mapspace: a re-tiling only where the factor constraints allow it
(``factors.allowed``, as the mapspace's own tilings), a reorder only to an order the level's
permutation constraint allows. Each level's order is a full permutation the constraint allows
as a whole (``complete_order``), so a loop that a re-tiling makes non-unit sits where the
constraint lets it. What the model or the constraints still reject (capacity, fan-out,
utilization, spatial splits) never becomes an incumbent: ``SearchState.consider`` keeps valid
mappings only."""
from __future__ import annotations

import numpy as np

from ..mapspace.factors import allowed
from ..mapspace.orders import complete_order
from ..mapspace.space import Tilings
from ..model.batch import MappingBatch, Skeleton
from ..primes import factorize
from ..spec.constraints import order_allows
from ..spec.mapping import Axis
from .algorithm import Budget, Share
from .batches import skeleton_for, support_groups
from .random_sampling import RandomSampling
from .state import SearchState
from .stopping import StopReason

#: random evaluations of a hybrid search before the hill climbing (per worker)
SAMPLES = 200_000
#: climbs, from the best mappings of the random phase
STARTS = 4
#: moves of one climb at most
MAX_STEPS = 200


class Hybrid:
    name = "hybrid"
    proves_optimality = False

    def run(self, state: SearchState, share: Share = Share(),
            rng: np.random.Generator | None = None, budget: Budget = Budget()) -> StopReason:
        """Random sampling (``budget.search_size`` evaluations, default :data:`SAMPLES`;
        deterministic for a seed), then climbs from the best :data:`STARTS` mappings; the
        time limit only cuts it short."""
        sampling = Budget(budget.search_size or SAMPLES, budget.victory_condition)
        returned = RandomSampling().run(state, share, rng, sampling)
        if state.out_of_time():
            return returned
        state.progress.phase = "local search"
        starts = sorted(state.best.history, key=lambda h: h[0])[:STARTS]
        for _, batch, row in starts:
            status = climb(state, batch.take([row]))
            if status != StopReason.CONVERGED:
                return status
        return StopReason.CONVERGED


def _slot_values(state: SearchState, batch: MappingBatch) -> list[tuple[int, str, int, int]]:
    """(level, axis, dim index, factor) of every slot of the space for a one-mapping batch."""
    sk, space = batch.skeleton, state.space
    out = []
    for j, d in enumerate(space.dims):
        for s in space.slots[d]:
            if s.axis == Axis.TEMPORAL:
                f = int(batch.temporal[0, s.level, j])
            else:
                on_axis = sk.spatial_axis(s.level, d) == s.axis
                f = int(batch.spatial[0, s.level, j]) if on_axis else 1
            out.append((s.level, s.axis, j, f))
    return out


def retilings(state: SearchState, batch: MappingBatch) -> Tilings:
    """Every tiling one prime-factor move away from the batch's single mapping."""
    slots = _slot_values(state, batch)
    base = np.array([f for *_, f in slots], dtype=np.int64)
    rows = []
    for a, (la, xa, ja, fa) in enumerate(slots):
        for p in factorize(fa):
            for b, (lb, xb, jb, fb) in enumerate(slots):
                if jb != ja or b == a:
                    continue
                row = base.copy()
                row[a] //= p
                row[b] *= p
                rows.append(row)
    where = [(lv, ax, j) for lv, ax, j, _ in slots]
    cols = np.array(rows, dtype=np.int64).reshape(len(rows), len(slots))
    ok = np.ones(len(cols), dtype=bool)
    for j, d in enumerate(state.space.dims):
        mine = [c for c, (_, _, jj, _) in enumerate(slots) if jj == j]
        ok &= allowed(state.space.slots[d], cols[:, mine])
    return state.space.assemble(cols[ok], where)


def reorders(state: SearchState, batch: MappingBatch) -> list[tuple[tuple[str, ...], ...]]:
    """Every full order set one loop move away: one non-unit loop of one level moved to another
    position among that level's non-unit loops, where the level's permutation constraint
    allows the result."""
    sk, dims = batch.skeleton, batch.skeleton.dims
    out = []
    for k, order in enumerate(sk.temporal_order):
        constraint = state.space.constraints.levels[k].temporal.order
        nonunit = [d for d in order if batch.temporal[0, k, dims.index(d)] > 1]
        for i in range(len(nonunit)):
            for t in range(len(nonunit)):
                if t == i:
                    continue
                moved = nonunit[:i] + nonunit[i + 1:]
                moved.insert(t, nonunit[i])
                if constraint is not None and not order_allows(constraint, len(dims),
                                                                len(dims), moved):
                    continue
                new = list(sk.temporal_order)
                new[k] = complete_order(tuple(moved), dims, constraint)
                out.append(tuple(new))
    return out


def completed(state: SearchState, batch: MappingBatch) -> MappingBatch:
    """The one-mapping batch with each level's order completed into a full permutation its
    constraint allows (the non-unit loops keep their order; the mapping is the same)."""
    sk, dims = batch.skeleton, batch.skeleton.dims
    orders = []
    for k, order in enumerate(sk.temporal_order):
        constraint = state.space.constraints.levels[k].temporal.order
        loops = tuple(d for d in order if batch.temporal[0, k, dims.index(d)] > 1)
        if constraint is not None and not order_allows(constraint, len(dims), len(dims), loops):
            orders.append(order)                 # not allowed as it is: never kept anyway
        else:
            orders.append(complete_order(loops, dims, constraint))
    return MappingBatch(Skeleton(dims, tuple(orders), sk.spatial_order, sk.split, sk.keep),
                        batch.temporal, batch.spatial)


def climb(state: SearchState, batch: MappingBatch, max_steps: int = MAX_STEPS) -> StopReason:
    """Best-improvement hill climbing from a one-mapping batch."""
    batch = completed(state, batch)
    key, _, _ = state.consider(batch)
    for _ in range(max_steps):
        if state.out_of_time():
            return StopReason.TIME_LIMIT
        best_key, best_batch = key, None
        tilings = retilings(state, batch)
        keep = batch.skeleton.keep
        if len(tilings):
            for rows in support_groups(state.space, tilings, temporal=False):
                sk = skeleton_for(state.space, tilings, rows, batch.skeleton.temporal_order, keep)
                cand = MappingBatch(sk, tilings.temporal[rows], tilings.spatial[rows])
                k2, r2, _ = state.consider(cand)
                if k2 is not None and (best_key is None or k2 < best_key):
                    best_key, best_batch = k2, cand.take([r2])
        for orders in reorders(state, batch):
            sk = batch.skeleton
            cand = MappingBatch(Skeleton(sk.dims, orders, sk.spatial_order, sk.split, sk.keep),
                                batch.temporal, batch.spatial)
            k2, _, _ = state.consider(cand)
            if k2 is not None and (best_key is None or k2 < best_key):
                best_key, best_batch = k2, cand
        if best_batch is None:
            return StopReason.CONVERGED
        key, batch = best_key, best_batch
    return StopReason.CONVERGED
