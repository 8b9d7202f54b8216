"""From tilings and loop orders to model batches.

The model evaluates batches that share one skeleton (loop orders, X/Y splits, keep sets).
Tilings whose non-unit loops sit in the same places (their *support pattern*) admit the same
distinct loop orders, so they are grouped by pattern, and each group is evaluated once per
combination of level orders.
"""
from __future__ import annotations

import itertools
from typing import Iterator

import numpy as np

from ..mapspace.orders import complete_order, level_orders, spatial_order
from ..mapspace.space import MapSpace, Tilings
from ..model.batch import MappingBatch, Skeleton
from ..spec.mapping import Axis


def row_groups(keys: np.ndarray) -> Iterator[np.ndarray]:
    """Row indices of each distinct row of a (B, n) bool array."""
    packed = np.packbits(keys, axis=1) if keys.shape[1] else np.zeros((len(keys), 1), np.uint8)
    _, inverse = np.unique(packed, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    yield from np.split(order, np.cumsum(np.bincount(inverse))[:-1])


def axis_bits(space: MapSpace, tilings: Tilings) -> np.ndarray:
    """(B, n) for the (level, dimension) pairs that may use either fan-out axis: whether the
    tiling uses X there, and whether it uses Y. Elsewhere the slot fixes the axis."""
    cols = []
    for j, d in enumerate(space.dims):
        levels = [s.level for s in space.slots[d] if s.axis == Axis.X]
        for k in levels:
            if any(s.level == k and s.axis == Axis.Y for s in space.slots[d]):
                used = tilings.spatial[:, k, j] > 1
                cols += [used & ~tilings.on_y[:, k, j], used & tilings.on_y[:, k, j]]
    return np.stack(cols, axis=1) if cols else np.zeros((len(tilings), 0), dtype=bool)


def support_groups(space: MapSpace, tilings: Tilings, temporal: bool = True
                   ) -> Iterator[np.ndarray]:
    """Row indices of each group of tilings that can share a skeleton: the same fan-out axis
    choices and (with ``temporal``) the same non-unit temporal loops."""
    keys = axis_bits(space, tilings)
    if temporal:
        keys = np.concatenate([keys, (tilings.temporal > 1).reshape(len(tilings), -1)], axis=1)
    yield from row_groups(keys)


def pattern_orders(space: MapSpace, tilings: Tilings,
                   row: int) -> list[tuple[tuple[str, ...], ...]]:
    """Every combination of distinct level orders for the temporal support of ``row``."""
    dims = space.dims
    per_level = []
    for k in range(len(space.arch.storage)):
        nonunit = tuple(d for j, d in enumerate(dims) if tilings.temporal[row, k, j] > 1)
        per_level.append(level_orders(nonunit, dims, space.constraints.levels[k].temporal.order))
    return list(itertools.product(*per_level))


def skeleton_for(space: MapSpace, tilings: Tilings, rows: np.ndarray,
                 orders: tuple[tuple[str, ...], ...], keep) -> Skeleton:
    """The skeleton of a group of tilings with the given full temporal orders and keep sets;
    each level's spatial dimensions go on the axis the group's tilings use them on."""
    dims = space.dims
    s_orders, splits = [], []
    used = tilings.spatial[rows] > 1                                   # (B, K, D)
    on_y = tilings.on_y[rows]
    x_dims = (used & ~on_y).any(axis=0).tolist()                       # (K, D)
    y_dims = (used & on_y).any(axis=0).tolist()
    for k in range(len(space.arch.storage)):
        x = tuple(d for d, on in zip(dims, x_dims[k]) if on)
        y = tuple(d for d, on in zip(dims, y_dims[k]) if on)
        order, split = spatial_order(x, y, dims, space.constraints.levels[k].spatial.order)
        s_orders.append(order)
        splits.append(split)
    return Skeleton(dims, tuple(orders), tuple(s_orders), tuple(splits), tuple(keep))


def canonical_form(space: MapSpace, batch: MappingBatch, row: int) -> MappingBatch:
    """Mapping ``row`` of a batch as a batch of one, written one way whatever batch it came
    in: each level's non-unit temporal loops in its order, completed as the permutation
    constraint allows (:func:`complete_order`), and its spatial loops on their axes in the
    order the spatial constraint gives (:func:`spatial_order`). Where unit loops sit and
    which other mappings shared the batch change nothing in the model, but they would change
    how the result is written: equal mappings (``incumbent.canonical``) are written alike
    whichever worker found them."""
    sk, dims = batch.skeleton, batch.skeleton.dims
    t, s = batch.temporal[row], batch.spatial[row]
    orders = batch.orders_of(row)
    temporal, spatial, splits = [], [], []
    for k in range(sk.n_levels):
        lc = space.constraints.levels[k]
        temporal.append(complete_order(
            tuple(d for d in orders[k] if t[k, dims.index(d)] > 1), dims, lc.temporal.order))
        used = [d for j, d in enumerate(dims) if s[k, j] > 1]
        x = tuple(d for d in used if sk.spatial_axis(k, d) == Axis.X)
        y = tuple(d for d in used if sk.spatial_axis(k, d) == Axis.Y)
        order, split = spatial_order(x, y, dims, lc.spatial.order)
        spatial.append(order)
        splits.append(split)
    return MappingBatch(Skeleton(dims, tuple(temporal), tuple(spatial), tuple(splits), sk.keep),
                        batch.temporal[[row]], batch.spatial[[row]])


def exhaustive_batches(space: MapSpace, tilings: Tilings, keep) -> Iterator[MappingBatch]:
    """Every (tiling, distinct loop order) of a chunk, as model batches."""
    for rows in support_groups(space, tilings):
        for orders in pattern_orders(space, tilings, rows[0]):
            sk = skeleton_for(space, tilings, rows, orders, keep)
            yield MappingBatch(sk, tilings.temporal[rows], tilings.spatial[rows])


def random_order(space: MapSpace, k: int, rng: np.random.Generator) -> tuple[str, ...]:
    """A full permutation of level k drawn uniformly from those its constraint allows: the
    pinned inner loops, the free ones in a random order, the pinned outer ones."""
    constraint = space.constraints.levels[k].temporal.order
    if constraint is None:
        return tuple(space.dims[i] for i in rng.permutation(len(space.dims)))
    free = [d for d in space.dims if d not in constraint.inner and d not in constraint.outer]
    return complete_order(tuple(free[i] for i in rng.permutation(len(free))), space.dims,
                          constraint)
