"""Per level and data space: tiles, fills, reads, updates, multicast and spatial reduction.

Implements Timeloop v3.0.3's nest analysis in closed form, vectorized over a batch
(TIMELOOP_SEMANTICS §3-5): the delta sum of eq. (1) with 0/1 temporal extrapolation and the
reset-on-stride-change rule, multicast by distinct spatial translations, bypass masking by
forwarding a bypassed level's demand to its parent, and legacy read-modify-write accounting
with first-read elision for the read-write data space.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from .nest import Nest, footprint, rank_extents


def delta_sum(nest: Nest, k: int, A: np.ndarray, tile: np.ndarray,
              ranks: np.ndarray) -> np.ndarray:
    """(B,) words that enter one instance of level k's tile of a data space over the run.

    ``D_k = |T| + sum_j (N_j - 1) * prod_{l>j} N_l * Delta_j`` over the temporal loops j above
    the tile (eq. 1): the carry of the innermost non-unit loop costs the slab ``delta(s_1)``
    that its shift ``s_1`` uncovers; a carry of an outer loop whose data-space shift differs
    from ``s_1`` refetches the whole tile (Timeloop resets its sliding window on a stride
    change), otherwise it costs ``delta(s_j)``. ``tile`` is ``|T|`` (B,), ``ranks`` its (B, R)
    rank extents.
    """
    above = nest.temporal_above(k)
    total = tile.copy()
    if not above:
        return total
    N = nest.factor[:, above]                                   # (B, J)
    outer = np.ones_like(N)                                     # prod_{l>j} N_l
    if len(above) > 1:
        outer[:, :-1] = np.cumprod(N[:, :0:-1], axis=1)[:, ::-1]
    lower = np.zeros_like(ranks)        # data-space shift of the non-unit loops below j
    s1 = np.zeros_like(ranks)
    found = np.zeros(len(tile), dtype=bool)
    for idx, i in enumerate(above):
        n = N[:, idx]
        moving = n >= 2
        v = nest.step[:, i, None] * A[:, nest.dim_of[i]][None, :]     # one step of loop i
        s = v - lower                                                 # carry: i up, lower down
        first = moving & ~found
        s1 = np.where(first[:, None], s, s1)
        found |= moving
        same = (s == s1).all(axis=1)
        kept_overlap = np.prod(np.maximum(ranks - np.abs(s), 0), axis=1)
        delta = np.where(same, tile - kept_overlap, tile)
        total += (n - 1) * outer[:, idx] * delta
        lower += np.where(moving[:, None], v, 0)
    return total


def distinct_translations(nest: Nest, k: int, projections: list[np.ndarray]) -> list[np.ndarray]:
    """Per data space, (B,) number of distinct data-space translations ``G_k`` among the
    children of level k's spatial loops (TIMELOOP_SEMANTICS §4).

    Children with equal translations receive identical deltas: one parent access serves them
    (multicast), and for the read-write data space their updates merge (spatial reduction).
    Translations are enumerated once per distinct (factor, stride) combination in the batch.
    """
    loops = nest.spatial_of(k)
    B = nest.factor.shape[0]
    if not loops:
        return [np.ones(B, dtype=np.int64) for _ in projections]
    params = np.concatenate([nest.factor[:, loops], nest.step[:, loops]], axis=1)
    uniq, inverse = np.unique(params, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    dims = nest.dim_of[loops]
    out = []
    for A in projections:
        counts = np.empty(len(uniq), dtype=np.int64)
        for u, row in enumerate(uniq):
            factors, steps = row[: len(loops)], row[len(loops):]
            vectors = [A[:, d] * s for d, s in zip(dims, steps)]       # one step of each loop
            moving = [(f, v) for f, v in zip(factors, vectors) if f > 1 and v.any()]
            if len(moving) <= 1:
                counts[u] = moving[0][0] if moving else 1
                continue
            grid = np.array(list(product(*(range(f) for f, _ in moving))), dtype=np.int64)
            translations = grid @ np.stack([v for _, v in moving])
            counts[u] = len(np.unique(translations, axis=0))
        out.append(counts[inverse])
    return out


@dataclass
class DataSpaceCounts:
    """Per-instance counts of one data space, arrays of shape (B, K) (0 where not kept)."""

    tile: np.ndarray          # utilized capacity |T(b_k)| (all levels)
    partition: np.ndarray     # partition size
    reads: np.ndarray
    fills: np.ndarray
    updates: np.ndarray
    multicast_groups: np.ndarray   # G_k: distinct translations under level k's fan-out


def data_space_counts(nest: Nest, A: np.ndarray, keep: list[bool], read_write: bool,
                      groups: np.ndarray) -> DataSpaceCounts:
    """Reads, fills and updates per instance of every level for one data space.

    ``keep[k]`` says whether level k keeps the data space; ``groups`` is (B, K) ``G_k``.
    Levels above the outermost keeper report nothing; the outermost keeper has no fills.
    Bypass: a bypassed level forwards its children's demand, times ``G`` of its fan-out.
    Read-write: every delta leaving a child is an update of the parent; the first touch of each
    element of an instance's partition needs no read and no fill (partial sums start at 0).
    """
    K = len(keep)
    B = nest.factor.shape[0]
    tiles = np.empty((B, K), dtype=np.int64)
    rank_ext = []
    for k in range(K):
        r = rank_extents(A, nest.tile_extents(k))
        rank_ext.append(r)
        tiles[:, k] = np.prod(r, axis=1)
    # Partition size, outside in: Part_k = floor(Part_{k+1} * |T_k| / span_{k+1}).
    partition = np.empty((B, K), dtype=np.int64)
    partition[:, K - 1] = tiles[:, K - 1]
    for k in range(K - 2, -1, -1):
        span = footprint(A, nest.span_extents(k + 1))
        partition[:, k] = partition[:, k + 1] * tiles[:, k] // span
    outermost = max(k for k in range(K) if keep[k])
    reads = np.zeros((B, K), dtype=np.int64)
    fills = np.zeros((B, K), dtype=np.int64)
    demand = groups[:, 0] * nest.temporal_product        # what the MACs ask of level 0
    for k in range(outermost + 1):
        if keep[k]:
            reads[:, k] = demand
            if k < outermost:
                fills[:, k] = delta_sum(nest, k, A, tiles[:, k], rank_ext[k])
                demand = fills[:, k]
        if k < outermost:
            demand = groups[:, k + 1] * demand
    updates = np.zeros((B, K), dtype=np.int64)
    if read_write:
        kept = np.array(keep[: outermost + 1] + [False] * (K - outermost - 1))
        updates[:, kept] = reads[:, kept]
        reads[:, kept] -= partition[:, kept]
        below = kept.copy()
        below[outermost] = False
        fills[:, below] -= partition[:, below]
    return DataSpaceCounts(tiles, partition, reads, fills, updates, groups)
