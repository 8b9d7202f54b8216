"""The loop nest of a batch, innermost first, with its tile extents (TIMELOOP_SEMANTICS §1-2).

Per storage level k (innermost first) the nest holds the level's spatial loops, then its
temporal loops, each in permutation order. Loops with factor 1 in *every* mapping of the batch
are dropped (they change nothing); loops that are 1 in only some mappings stay and contribute
nothing there (weights ``N - 1 = 0``, extents times 1).

Arrays keep the batch on the **last** axis so that every row a formula touches is contiguous.
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
      loops        list of L :class:`Loop`, innermost first
      factor       (L, B) trip counts
      step         (L, B) vector stride of each loop: the product of the ends of the inner
                   loops over the same dimension (advancing the loop moves the box this far)
      box(i)       (D, B) extent per dimension of the box of the sub-nest ``0..i-1``, for i
                   a level boundary or spatial end
      boundary     K+1 ints: ``boundary[k+1]`` = number of loops at levels <= k, so
                   ``box(boundary[k+1])`` is the box of level k's tile
      spatial_end  K ints: index after level k's spatial loops (the span of its children)
    """

    def __init__(self, batch: MappingBatch):
        sk = batch.skeleton
        dims = sk.dims
        D, K, B = len(dims), sk.n_levels, len(batch)
        loops: list[Loop] = []
        rows: list[np.ndarray] = []
        boundary, spatial_end = [0], []
        temporal = np.ascontiguousarray(batch.temporal.transpose(1, 2, 0))   # (K, D, B)
        spatial = np.ascontiguousarray(batch.spatial.transpose(1, 2, 0))
        for k in range(K):
            for kind, order, factors in ((True, sk.spatial_order[k], spatial[k]),
                                         (False, sk.temporal_order[k], temporal[k])):
                for d in order:
                    j = dims.index(d)
                    if (factors[j] > 1).any():
                        loops.append(Loop(k, kind, j, sk.spatial_axis(k, d) if kind else "T"))
                        rows.append(factors[j])
                if kind:
                    spatial_end.append(len(loops))
            boundary.append(len(loops))
        L = len(loops)
        self.loops, self.boundary, self.spatial_end = loops, boundary, spatial_end
        self.factor = np.stack(rows).astype(np.int64) if rows else np.ones((0, B), np.int64)
        self.dim_of = np.array([lp.dim for lp in loops], dtype=np.int64)
        self.is_temporal = np.array([not lp.spatial for lp in loops], dtype=bool)
        # Boxes are needed only at level boundaries and spatial ends: keep just those.
        wanted = set(boundary) | set(spatial_end)
        step = np.ones((L, B), dtype=np.int64)
        running = np.ones((D, B), dtype=np.int64)
        self._ext = {0: running.copy()}
        for i, lp in enumerate(loops):
            step[i] = running[lp.dim]
            running[lp.dim] = running[lp.dim] * self.factor[i]
            if i + 1 in wanted:
                self._ext[i + 1] = running.copy()
        self.step = step
        #: MAC iterations per MAC instance: the product of all temporal factors, (B,)
        self.temporal_product = np.ones(B, dtype=np.int64)
        #: fan-out used at each level, in all and per axis, (K, B)
        self.fanout_used = np.ones((K, B), dtype=np.int64)
        self.fanout_x = np.ones((K, B), dtype=np.int64)
        self.fanout_y = np.ones((K, B), dtype=np.int64)
        for i, lp in enumerate(loops):
            if not lp.spatial:
                self.temporal_product *= self.factor[i]
                continue
            self.fanout_used[lp.level] *= self.factor[i]
            (self.fanout_x if lp.axis == "X" else self.fanout_y)[lp.level] *= self.factor[i]

    def box(self, i: int) -> np.ndarray:
        return self._ext[i]

    def tile_extents(self, k: int) -> np.ndarray:
        """(D, B) box of level k's tile (all loops at levels <= k)."""
        return self._ext[self.boundary[k + 1]]

    def span_extents(self, k: int) -> np.ndarray:
        """(D, B) box of all children of level k together (its tile without its temporal loops)."""
        return self._ext[self.spatial_end[k]]

    def temporal_above(self, k: int) -> list[int]:
        """Indices of the temporal loops outside level k's tile, innermost first."""
        return [i for i in range(self.boundary[k + 1], len(self.loops)) if self.is_temporal[i]]

    def spatial_of(self, k: int) -> list[int]:
        """Indices of level k's own spatial loops, innermost first."""
        return list(range(self.boundary[k], self.spatial_end[k]))


def rank_extents(A: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(R, B) extent of each rank of a data space over a (D, B) box: the halo rule
    ``e_r = 1 + sum_d A[r, d] * (E_d - 1)`` (the axis-aligned hull, TIMELOOP_SEMANTICS §2)."""
    out = np.ones((A.shape[0], box.shape[1]), dtype=np.int64)
    for r, d in zip(*np.nonzero(A)):
        out[r] += A[r, d] * (box[d] - 1)
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
