"""A batch of mappings that share one skeleton (loop orders, X/Y splits, keep sets).

The batch is what the model evaluates: ``temporal`` and ``spatial`` are ``(B, K, D)`` integer
arrays of loop factors (B mappings, K storage levels innermost first, D workload dimensions in
``workload.dims`` order). One mapping is a batch of one.

Mappings whose temporal orders differ can still share one evaluation: a level's order in the
skeleton may then be a *supersequence* that names a dimension more than once, and
``placement`` says per mapping at which of its occurrences the dimension's loop is (the
others are loops of 1, which change nothing: TIMELOOP_SEMANTICS §3). Each mapping is then
the order its placed occurrences give (:meth:`MappingBatch.orders_of`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spec.mapping import Axis, LevelMapping, Mapping


@dataclass(frozen=True)
class Skeleton:
    """What the mappings of a batch share; per storage level, innermost first."""

    dims: tuple[str, ...]
    temporal_order: tuple[tuple[str, ...], ...]
    spatial_order: tuple[tuple[str, ...], ...]
    split: tuple[int, ...]
    keep: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, mapping: Mapping) -> "Skeleton":
        return cls(mapping.dims,
                   tuple(lv.temporal_order for lv in mapping.levels),
                   tuple(lv.spatial_order for lv in mapping.levels),
                   tuple(lv.split for lv in mapping.levels),
                   tuple(lv.keep for lv in mapping.levels))

    @property
    def n_levels(self) -> int:
        return len(self.temporal_order)

    def spatial_axis(self, k: int, dim: str) -> Axis:
        """X or Y: the axis of dimension ``dim`` in level ``k``'s spatial nest."""
        return Axis.X if self.spatial_order[k].index(dim) < self.split[k] else Axis.Y


@dataclass(frozen=True)
class MappingBatch:
    skeleton: Skeleton
    temporal: np.ndarray   # (B, K, D) int64
    spatial: np.ndarray    # (B, K, D) int64
    #: (B, K, D): which occurrence of a dimension in a supersequence order holds its temporal
    #: loop (0: the first); None: every order names each dimension once
    placement: np.ndarray | None = None

    def __post_init__(self):
        K, D = self.skeleton.n_levels, len(self.skeleton.dims)
        for name in ("temporal", "spatial"):
            a = getattr(self, name)
            if a.ndim != 3 or a.shape[1:] != (K, D):
                raise ValueError(f"{name} factors must have shape (B, {K}, {D}), got {a.shape}")
        if self.placement is not None and self.placement.shape != self.temporal.shape:
            raise ValueError(f"placement must have shape {self.temporal.shape}, "
                             f"got {self.placement.shape}")

    def orders_of(self, i: int) -> tuple[tuple[str, ...], ...]:
        """Mapping i's temporal order per level: with a supersequence, each dimension where
        its placed occurrence is."""
        sk = self.skeleton
        if self.placement is None:
            return sk.temporal_order
        out = []
        for k, order in enumerate(sk.temporal_order):
            where = {}
            for pos, d in enumerate(order):
                occ = where.setdefault(d, [])
                occ.append(pos)
            place = self.placement[i, k]
            at = {d: where[d][min(int(place[sk.dims.index(d)]), len(where[d]) - 1)]
                  for d in where}
            out.append(tuple(sorted(at, key=at.get)))
        return tuple(out)

    def __len__(self) -> int:
        return self.temporal.shape[0]

    @classmethod
    def of(cls, mappings: list[Mapping]) -> "MappingBatch":
        """Stack mappings of one skeleton (raises ValueError if the skeletons differ)."""
        skeleton = Skeleton.of(mappings[0])
        for m in mappings[1:]:
            if Skeleton.of(m) != skeleton:
                raise ValueError("all mappings of a batch must share loop orders, splits and "
                                 "keep sets")
        temporal = np.array([[lv.temporal for lv in m.levels] for m in mappings], dtype=np.int64)
        spatial = np.array([[lv.spatial for lv in m.levels] for m in mappings], dtype=np.int64)
        return cls(skeleton, temporal, spatial)

    def mapping(self, i: int) -> Mapping:
        s = self.skeleton
        orders = self.orders_of(i)
        return Mapping(s.dims, tuple(
            LevelMapping(tuple(int(x) for x in self.temporal[i, k]), orders[k],
                         tuple(int(x) for x in self.spatial[i, k]), s.spatial_order[k],
                         s.split[k], s.keep[k])
            for k in range(s.n_levels)))

    def take(self, index) -> "MappingBatch":
        return MappingBatch(self.skeleton, self.temporal[index], self.spatial[index],
                            None if self.placement is None else self.placement[index])
