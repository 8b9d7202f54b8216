"""The loop nest of a batch, innermost first, with its tile extents (TIMELOOP_SEMANTICS §1-2).

Per storage level k (innermost first) the nest holds the level's spatial loops, then its
temporal loops, each in permutation order. Loops with factor 1 in *every* mapping of the batch
are dropped (they change nothing); loops that are 1 in only some mappings stay and contribute
nothing there (weights ``N - 1 = 0``, extents times 1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .batch import MappingBatch


@dataclass(frozen=True)
class Loop:
    level: int
    spatial: bool
    dim: int      # index into workload.dims
    axis: str     # 'X' / 'Y' for spatial loops, 'T' for temporal


class Nest:
    """Factors, strides and boundary extents of a batch's loop nest.

    Attributes (B = batch size, L = kept loops, D = dimensions, K = storage levels):
      loops      list of L :class:`Loop`, innermost first
      factor     (B, L) trip counts
      step       (B, L) vector stride of each loop: the product of the ends of the inner
                 loops over the same dimension (advancing the loop moves the box this far)
      ext        (B, L+1, D) extent of the box of the sub-nest ``0..i-1`` per dimension
      boundary   K+1 ints: ``boundary[k+1]`` = loops at levels <= k, so ``ext[:, boundary[k+1]]``
                 is the tile of level k; ``boundary[0] = 0``
      spatial_end  K ints: index after level k's spatial loops (its children's span)
    """

    def __init__(self, batch: MappingBatch):
        sk = batch.skeleton
        dims = sk.dims
        D, K = len(dims), sk.n_levels
        loops: list[Loop] = []
        columns: list[np.ndarray] = []
        boundary = [0]
        spatial_end = []
        for k in range(K):
            for d in sk.spatial_order[k]:
                j = dims.index(d)
                col = batch.spatial[:, k, j]
                if (col > 1).any():
                    loops.append(Loop(k, True, j, sk.spatial_axis(k, d)))
                    columns.append(col)
            spatial_end.append(len(loops))
            for d in sk.temporal_order[k]:
                j = dims.index(d)
                col = batch.temporal[:, k, j]
                if (col > 1).any():
                    loops.append(Loop(k, False, j, "T"))
                    columns.append(col)
            boundary.append(len(loops))
        B, L = len(batch), len(loops)
        self.loops = loops
        self.boundary = boundary
        self.spatial_end = spatial_end
        self.factor = (np.stack(columns, axis=1) if columns
                       else np.ones((B, 0), dtype=np.int64)).astype(np.int64)
        per_dim = np.ones((B, L, D), dtype=np.int64)
        dim_of = np.array([lp.dim for lp in loops], dtype=np.int64)
        if L:
            per_dim[:, np.arange(L), dim_of] = self.factor
        self.ext = np.concatenate([np.ones((B, 1, D), dtype=np.int64),
                                   np.cumprod(per_dim, axis=1)], axis=1)
        self.step = self.ext[:, np.arange(L), dim_of] if L else np.ones((B, 0), np.int64)
        self.dim_of = dim_of
        temporal = np.array([not lp.spatial for lp in loops], dtype=bool)
        self.is_temporal = temporal
        #: MAC iterations per MAC instance (product of all temporal factors)
        self.temporal_product = np.prod(self.factor[:, temporal], axis=1) if L \
            else np.ones(B, dtype=np.int64)
        #: fan-out used at each level (product of its spatial factors), (B, K)
        self.fanout_used = np.ones((B, K), dtype=np.int64)
        self.fanout_x = np.ones((B, K), dtype=np.int64)
        self.fanout_y = np.ones((B, K), dtype=np.int64)
        for i, lp in enumerate(loops):
            if lp.spatial:
                self.fanout_used[:, lp.level] *= self.factor[:, i]
                target = self.fanout_x if lp.axis == "X" else self.fanout_y
                target[:, lp.level] *= self.factor[:, i]

    def tile_extents(self, k: int) -> np.ndarray:
        """(B, D) box of level k's tile (all loops at levels <= k)."""
        return self.ext[:, self.boundary[k + 1]]

    def span_extents(self, k: int) -> np.ndarray:
        """(B, D) box of all children of level k together (its tile without its temporal loops)."""
        return self.ext[:, self.spatial_end[k]]

    def temporal_above(self, k: int) -> list[int]:
        """Indices of the temporal loops outside level k's tile, innermost first."""
        return [i for i in range(self.boundary[k + 1], len(self.loops)) if self.is_temporal[i]]

    def spatial_of(self, k: int) -> list[int]:
        """Indices of level k's own spatial loops, innermost first."""
        return list(range(self.boundary[k], self.spatial_end[k]))


def rank_extents(A: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(B, R) extent of each rank of a data space over a (B, D) box: the halo rule
    ``e_r = 1 + sum_d A[r, d] * (E_d - 1)`` (the axis-aligned hull, TIMELOOP_SEMANTICS §2)."""
    return 1 + (box - 1) @ A.T


def footprint(A: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(B,) words of a data space touched by a (B, D) box."""
    return np.prod(rank_extents(A, box), axis=1)
