"""The best mapping so far (the incumbent) and the canonical order that breaks ties.

Of mappings with equal objective keys a search keeps the first in :func:`canonical` order,
whatever the order in which it met them: so ``exhaustive`` and ``optimal`` return the same
mapping for any number of workers and any seed (timing and workers never decide a tie).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.batch import MappingBatch
from ..spec.mapping import Axis


def _on_x(skeleton) -> np.ndarray:
    """(K, D) whether each dimension's spatial loop of each level sits on the X axis."""
    return np.array([[d not in skeleton.spatial_order[k] or skeleton.spatial_axis(k, d) == Axis.X
                      for d in skeleton.dims] for k in range(skeleton.n_levels)])


def factor_rows(batch: MappingBatch, rows: np.ndarray) -> np.ndarray:
    """(n, 3 K D) the factors of the rows: temporal, spatial on X, spatial on Y."""
    on_x = _on_x(batch.skeleton)
    t, s = batch.temporal[rows], batch.spatial[rows]
    return np.concatenate([t.reshape(len(rows), -1), np.where(on_x, s, 1).reshape(len(rows), -1),
                           np.where(on_x, 1, s).reshape(len(rows), -1)], axis=1)


def canonical(batch: MappingBatch, row: int) -> tuple:
    """A total order of mappings independent of how they were met: the factors (temporal,
    then spatial on X, then on Y, level by level), then each level's order of its non-unit
    temporal loops, then the keep sets. Unit loops do not count, so equal mappings written
    differently are equal here."""
    sk = batch.skeleton
    factors = tuple(int(x) for x in factor_rows(batch, np.array([row]))[0])
    t = batch.temporal[row]
    orders = tuple(tuple(d for d in sk.temporal_order[k] if t[k, sk.dims.index(d)] > 1)
                   for k in range(sk.n_levels))
    return factors, orders, tuple(tuple(sorted(k)) for k in sk.keep)


@dataclass(frozen=True)
class Incumbent:
    """The best mapping so far: its objective key, its batch and row, its canonical order."""

    key: tuple[float, ...]
    batch: MappingBatch
    row: int
    canonical: tuple

    def beaten_by(self, key: tuple[float, ...], canon) -> bool:
        """Whether a mapping with this key (and canonical order, a tuple or a function that
        gives it) replaces the incumbent: a better key, or an equal one first in canonical
        order."""
        if key != self.key:
            return key < self.key
        return (canon() if callable(canon) else canon) < self.canonical


@dataclass
class Best:
    """The incumbent, replaced whole (one store: an interrupt cannot leave it half
    updated), and every incumbent so far (the hill climbing starts from them)."""

    current: Incumbent | None = None
    history: list[tuple[tuple[float, ...], MappingBatch, int]] = field(default_factory=list)

    @property
    def key(self) -> tuple[float, ...] | None:
        return None if self.current is None else self.current.key

    @property
    def batch(self) -> MappingBatch | None:
        return None if self.current is None else self.current.batch

    @property
    def row(self) -> int:
        return -1 if self.current is None else self.current.row

    def one(self) -> MappingBatch | None:
        """The incumbent as a batch of one."""
        c = self.current
        return None if c is None else c.batch.take([c.row])
