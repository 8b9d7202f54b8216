"""A mapping: per storage level a temporal nest, a spatial nest and the kept data spaces.

Permutations list dimensions **innermost first** (Timeloop's convention) and always name
every dimension of the workload. In a spatial nest the dimension at permutation position
``i`` goes to X if ``i < split`` else to Y, so X loops sit inside Y loops.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Axis(StrEnum):
    """Where a loop of a level runs: in time, or on the X or Y axis of the level's fan-out
    (its spatial permutation's positions before ``split`` are X, the rest Y)."""

    TEMPORAL = "T"
    X = "X"
    Y = "Y"


@dataclass(frozen=True)
class LevelMapping:
    """The loops and the keep set of one storage level (factors as ``{dim: factor}``)."""

    temporal: tuple[int, ...]           # factor per workload dimension (workload.dims order)
    temporal_order: tuple[str, ...]     # innermost first, every dimension
    spatial: tuple[int, ...]
    spatial_order: tuple[str, ...]
    split: int                          # first `split` dims of spatial_order go to X
    keep: frozenset[str]

    def spatial_x(self, dims: tuple[str, ...]) -> int:
        """The X fan-out this level's spatial nest uses."""
        return math.prod(self.spatial[dims.index(d)] for d in self.spatial_order[: self.split])

    def spatial_y(self, dims: tuple[str, ...]) -> int:
        return math.prod(self.spatial[dims.index(d)] for d in self.spatial_order[self.split:])


@dataclass(frozen=True)
class Mapping:
    """One mapping of a workload onto an architecture; ``levels`` innermost first."""

    dims: tuple[str, ...]
    levels: tuple[LevelMapping, ...]

    def factor_product(self, d: str) -> int:
        i = self.dims.index(d)
        return math.prod(lv.temporal[i] * lv.spatial[i] for lv in self.levels)
