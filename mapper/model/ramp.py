"""Ramp-up and ramp-down: the ends of a run that the average bandwidth model ignores
(Eyexam's step 7, Sze et al. Table II "varying access patterns"; docs/EYEXAM.md).

Timeloop's cycle count (:func:`mapper.model.perf.level_cycles`) spreads each level's traffic
over the whole run: fills overlap compute perfectly. They cannot at the two ends of a run: the
first tile of a level must be in place before its first MAC, and the last tile of Outputs
leaves the level after its last MAC. The rule: for every storage level k that has a parent
(not the outermost), is not a dummy, and is not multiple-buffered (``multiple_buffering < 2``):

* ramp-up ``ceil(F_k / W_k)`` cycles, ``F_k`` the words of its first tile of every kept data
  space that is only read (per instance: the utilized capacity), ``W_k`` the level's fill
  bandwidth (the smaller of its write and shared bandwidths);
* ramp-down ``ceil(D_k / R_k)`` cycles, ``D_k`` the words of its last tile of every kept
  read-write data space (Outputs), ``R_k`` its drain bandwidth (read and shared).

A level without the bandwidth in question adds nothing (the average model puts no limit
there either). Levels fill one after another (a level's first tile comes out of its parent's
first tile), so the ramps add up: ``ramped cycles = cycles + sum_k (up_k + down_k)``.

Every term is non-decreasing in the tile words, and those in the extents of the tile: so on
a bounding evaluation (:class:`~mapper.model.bound.Bound`), whose tiles are exact (open loop
orders) or contained in every completion's (open levels of a parked partial tiling), the
ramp is a lower bound of the ramp of every mapping the bound stands for
(docs/OPTIMAL_SEARCH.md, "Ramped delay").
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping, Sequence

import numpy as np

from ..spec.arch import Arch, StorageLevel
from ..spec.workload import Workload


@dataclass(frozen=True)
class LevelRamp:
    """The ramp of one exposed level of one mapping."""

    level: str
    fill_words: int          # F_k, words per instance
    fill_cycles: int         # ramp-up of the level
    drain_words: int         # D_k
    drain_cycles: int        # ramp-down of the level

    @property
    def cycles(self) -> int:
        return self.fill_cycles + self.drain_cycles


def exposed(level: StorageLevel) -> bool:
    """Whether the level's first fill and last drain stall the array (single-buffered)."""
    return not level.is_dummy and level.multiple_buffering < 2


def _bandwidth(*given: float | None) -> float:
    """The least of the given bandwidths (words/cycle); inf where none is given (no limit)."""
    values = [b for b in given if b is not None]
    return min(values) if values else np.inf


class RampRule:
    """The ramp rule of one (arch, workload): which levels are exposed, their fill and drain
    bandwidths, which data spaces are read-write. Built once per :class:`~mapper.model.Model`;
    applies to any batch of it (:meth:`cycles`) or to one evaluation (:meth:`levels`)."""

    def __init__(self, arch: Arch, workload: Workload):
        K = len(arch.storage)
        self.names = tuple(level.name for level in arch.storage)
        self.ds_names = workload.ds_names
        #: (K,) levels with a parent whose ends stall the array
        self.exposed = np.array([k < K - 1 and exposed(level)
                                 for k, level in enumerate(arch.storage)])
        #: (K,) words/cycle in (write, shared) and out (read, shared); inf: no limit
        self.fill_bandwidth = np.array([_bandwidth(lv.write_bandwidth, lv.shared_bandwidth)
                                        for lv in arch.storage])
        self.drain_bandwidth = np.array([_bandwidth(lv.read_bandwidth, lv.shared_bandwidth)
                                         for lv in arch.storage])
        #: (DS,) data spaces that drain (read-write) rather than fill
        self.read_write = np.array([ds.read_write for ds in workload.data_spaces])

    def words(self, tiles: np.ndarray, reported: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, B) words of the first fill and of the last drain of every level, from the
        (K, DS, B) tile words and the (K, DS) data spaces each level reports (keeps, up to
        the outermost keeper); 0 at the levels that are not exposed."""
        kept = reported & self.exposed[:, None]
        fill = np.einsum("kdb,kd->kb", tiles, kept & ~self.read_write[None])
        drain = np.einsum("kdb,kd->kb", tiles, kept & self.read_write[None])
        return fill, drain

    @staticmethod
    def _cycles(words: np.ndarray, bandwidth: np.ndarray) -> np.ndarray:
        """(K, B) ``ceil(words / bandwidth)``; 0 without a bandwidth (inf)."""
        return np.ceil(words / bandwidth[:, None]).astype(np.int64)

    def level_cycles(self, tiles: np.ndarray, reported: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(K, B) fill words, ramp-up cycles, drain words and ramp-down cycles per level."""
        fill, drain = self.words(tiles, reported)
        return (fill, self._cycles(fill, self.fill_bandwidth),
                drain, self._cycles(drain, self.drain_bandwidth))

    def cycles(self, tiles: np.ndarray, reported: np.ndarray) -> np.ndarray:
        """(B,) the ramp of every mapping of a batch (``BatchResult.ramp_cycles``): the sum
        over the levels of ramp-up and ramp-down, from the (K, DS, B) tile words and the
        (K, DS) reported data spaces. On a bounding evaluation, a lower bound (see the
        module docstring)."""
        _, up, _, down = self.level_cycles(tiles, reported)
        return (up + down).sum(axis=0)

    def levels(self, tiles: Sequence[Mapping[str, int]]) -> tuple[LevelRamp, ...]:
        """The ramp of every exposed level of one mapping, innermost first, from the words
        of each level's tile of every data space it reports (innermost first, as
        ``Evaluation.storage``'s ``utilized_capacity``)."""
        K, D = len(self.names), len(self.ds_names)
        words = np.zeros((K, D, 1), np.int64)
        reported = np.zeros((K, D), bool)
        for k, level in enumerate(tiles):
            for i, name in enumerate(self.ds_names):
                if name in level:
                    words[k, i, 0] = level[name]
                    reported[k, i] = True
        fill, up, drain, down = self.level_cycles(words, reported)
        return tuple(LevelRamp(self.names[k], int(fill[k, 0]), int(up[k, 0]),
                               int(drain[k, 0]), int(down[k, 0]))
                     for k in range(K) if self.exposed[k])
