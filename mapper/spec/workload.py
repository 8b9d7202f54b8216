"""The workload: one Einsum with named dimensions, bounds and affine data-space projections.

A data space (tensor) has ranks; each rank is an affine sum of dimensions with non-negative
integer coefficients, ``x_r = sum_{(d, c) in terms(r)} c * x_d`` (e.g. the Inputs width rank
``W = Wstride*P + Wdilation*R``). Exactly one data space is read-write (the Outputs).
Conv, strided/dilated conv, depthwise/grouped conv, GEMM and batched matmul are all instances.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable

import numpy as np

Term = tuple[str, int]          # (dimension, coefficient)
Rank = tuple[Term, ...]         # an affine sum of dimensions


def rank_extent(terms: Iterable[tuple[Hashable, int]], extent: Any) -> Any:
    """Extent of one rank over a box of per-dimension extents ``E_d``: Timeloop's
    axis-aligned hull ``1 + sum_d c_d (E_d - 1)`` (TIMELOOP_SEMANTICS §2), the halo of a
    sliding window (e.g. ``W = Wstride*P + Wdilation*R``).

    The one implementation of the rule, for every layer: ``extent[d]`` may be ints (the
    spec), (B,) numpy rows of a batch (the model and the mapspace, ``terms`` keyed by
    dimension index) or CP-SAT linear expressions (the prune layer). Computed as
    ``sum_d c_d E_d + (1 - sum_d c_d)``; a rank that is one dimension with coefficient 1 is
    that dimension's extent itself (a numpy row is shared, not copied: read only), and a rank
    with no dimension is the int 1.
    """
    terms = [(d, c) for d, c in terms if c]
    if len(terms) == 1 and terms[0][1] == 1:
        return extent[terms[0][0]]
    total = None
    for d, c in terms:
        term = extent[d] if c == 1 else c * extent[d]
        total = term if total is None else total + term
    if total is None:
        return 1
    offset = 1 - sum(c for _, c in terms)
    return total + offset if offset else total


@dataclass(frozen=True)
class DataSpace:
    """A tensor of the Einsum: its ranks as affine projections of the dimensions."""

    name: str
    ranks: tuple[Rank, ...]
    read_write: bool = False
    rank_names: tuple[str, ...] = ()

    def projection(self, dims: tuple[str, ...]) -> np.ndarray:
        """(ranks, dims) int64 matrix A with x_rank = A @ x_dims."""
        a = np.zeros((len(self.ranks), len(dims)), dtype=np.int64)
        for r, rank in enumerate(self.ranks):
            for d, c in rank:
                a[r, dims.index(d)] += c
        return a

    def dims(self) -> set[str]:
        return {d for rank in self.ranks for d, c in rank if c}


@dataclass(frozen=True)
class Workload:
    """Dimensions (in a fixed order), their bounds, and the data spaces."""

    name: str
    dims: tuple[str, ...]
    bounds: dict[str, int]
    data_spaces: tuple[DataSpace, ...]
    coefficients: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        rw = [ds.name for ds in self.data_spaces if ds.read_write]
        if len(rw) != 1:
            raise ValueError(f"a workload needs exactly one read-write data space, got {rw}")

    @property
    def macs(self) -> int:
        return math.prod(self.bounds[d] for d in self.dims)

    @property
    def output(self) -> DataSpace:
        return next(ds for ds in self.data_spaces if ds.read_write)

    def data_space(self, name: str) -> DataSpace:
        for ds in self.data_spaces:
            if ds.name == name:
                return ds
        raise KeyError(name)

    @property
    def ds_names(self) -> tuple[str, ...]:
        return tuple(ds.name for ds in self.data_spaces)

    def footprint(self, ds: DataSpace, extents: dict[str, int]) -> int:
        """Words of ``ds`` touched by a box of the given per-dimension extents: the product
        of its ranks' extents (:func:`rank_extent`, the halo rule)."""
        size = 1
        for rank in ds.ranks:
            size *= rank_extent(rank, extents)
        return size

    def tensor_size(self, ds: DataSpace) -> int:
        return self.footprint(ds, self.bounds)
