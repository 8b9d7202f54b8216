"""Eyexam's step 7: the ramp-up and ramp-down that the average bandwidth model ignores.

Timeloop's cycle count (``mapper.model.perf.level_cycles``) spreads each level's traffic over
the whole run: fills overlap compute perfectly. They cannot at the two ends of a run: the
first tile of a level must be in place before its first MAC, and the last tile of Outputs
leaves the level after its last MAC. The rule (docs/EYEXAM.md, with a worked example): for
every storage level k that has a parent (not the outermost), is not a dummy, and is not
multiple-buffered (``multiple_buffering < 2``):

* ramp-up ``ceil(F_k / W_k)`` cycles, ``F_k`` the words of its first tile of every kept data
  space that is only read (per instance: ``utilized_capacity``), ``W_k`` the level's fill
  bandwidth (the smaller of its write and shared bandwidths);
* ramp-down ``ceil(D_k / R_k)`` cycles, ``D_k`` the words of its last tile of every kept
  read-write data space (Outputs), ``R_k`` its drain bandwidth (read and shared).

A level without the bandwidth in question adds nothing (the average model puts no limit
there either). Levels fill one after another (a level's first tile comes out of its parent's
first tile), so the ramps add up: ``cycles_7 = cycles_6 + sum_k (up_k + down_k)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..model import Evaluation
from ..spec.arch import Arch, StorageLevel
from ..spec.workload import Workload


@dataclass(frozen=True)
class LevelRamp:
    level: str
    fill_words: int          # F_k, words per instance
    fill_cycles: int         # ramp-up of the level
    drain_words: int         # D_k
    drain_cycles: int        # ramp-down of the level

    @property
    def cycles(self) -> int:
        return self.fill_cycles + self.drain_cycles


def _bandwidth(*given: float | None) -> float | None:
    values = [b for b in given if b is not None]
    return min(values) if values else None


def _cycles(words: int, bandwidth: float | None) -> int:
    return 0 if bandwidth is None or words == 0 else math.ceil(words / bandwidth)


def exposed(level: StorageLevel) -> bool:
    """Whether the level's first fill and last drain stall the array (single-buffered)."""
    return not level.is_dummy and level.multiple_buffering < 2


def ramps(arch: Arch, workload: Workload, ev: Evaluation) -> tuple[LevelRamp, ...]:
    """The ramp of every exposed level with a parent, innermost first."""
    out = []
    for k, (level, lm, stats) in enumerate(zip(arch.storage, ev.mapping.levels, ev.storage)):
        if k == len(arch.storage) - 1 or not exposed(level):
            continue
        fill = drain = 0
        for ds in workload.data_spaces:
            if ds.name not in lm.keep or ds.name not in stats.dataspaces:
                continue
            words = stats.dataspaces[ds.name].utilized_capacity
            if ds.read_write:
                drain += words
            else:
                fill += words
        up = _cycles(fill, _bandwidth(level.write_bandwidth, level.shared_bandwidth))
        down = _cycles(drain, _bandwidth(level.read_bandwidth, level.shared_bandwidth))
        out.append(LevelRamp(level.name, fill, up, drain, down))
    return tuple(out)
