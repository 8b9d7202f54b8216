"""Typed results of the model: arrays for a batch, objects for one mapping.

Counts are **per instance** as Timeloop's stats print them; totals are per-instance counts x
utilized instances. Energies are totals over all utilized instances, in pJ: dynamic (action
counts x ERT) plus leakage (ERT ``leak`` per cycle x utilized instances x cycles, see
``cost.py``), which ``leak_energy_pJ`` gives apart.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..spec.mapping import Mapping
from .access import DataSpaceCounts
from .cost import ActionEnergies
from .batch import MappingBatch
from .perf import edp
from .ramp import RampRule


@dataclass(frozen=True)
class DataSpaceStats:
    reads_per_instance: int
    fills_per_instance: int
    updates_per_instance: int
    temporal_reductions_per_instance: int
    utilized_capacity: int
    utilized_instances: int
    partition_size: int
    energy_pJ: float


@dataclass(frozen=True)
class LevelStats:
    name: str
    instances: int
    utilized_instances: int
    cycles: int
    energy_pJ: float
    dataspaces: dict[str, DataSpaceStats] = field(default_factory=dict)
    bandwidth_throttling: float = 1.0
    computes: int | None = None          # compute level only
    area_um2: float = 0.0
    leak_energy_pJ: float = 0.0          # of energy_pJ: static (leak per cycle x cycles)

    @property
    def dynamic_energy_pJ(self) -> float:
        return self.energy_pJ - self.leak_energy_pJ


@dataclass(frozen=True)
class Evaluation:
    """Everything the model says about one mapping."""

    mapping: Mapping
    valid: bool
    violations: tuple[str, ...]
    cycles: int
    energy_pJ: float
    computes: int
    utilization: float
    area_um2: float
    compute: LevelStats
    storage: tuple[LevelStats, ...]      # innermost first
    area_missing: tuple[str, ...] = ()   # components with no area in the tables (counted 0)
    leak_energy_pJ: float = 0.0          # of energy_pJ: leakage over all levels
    leak_missing: tuple[str, ...] = ()   # components with no leak in the tables (counted 0)

    @property
    def dynamic_energy_pJ(self) -> float:
        return self.energy_pJ - self.leak_energy_pJ

    @property
    def levels(self) -> dict[str, LevelStats]:
        """Compute level first, then storage innermost first (Timeloop's level numbering)."""
        return {lv.name: lv for lv in (self.compute, *self.storage)}

    @property
    def edp(self) -> float:
        """Energy-delay product in J x cycles (:func:`~mapper.model.perf.edp`)."""
        return edp(self.energy_pJ, self.cycles)

    @property
    def tiles(self) -> list[dict[str, int]]:
        """Per storage level (innermost first), the words of its tile of every data space it
        reports (Timeloop's utilized capacity)."""
        return [{n: ds.utilized_capacity for n, ds in lv.dataspaces.items()}
                for lv in self.storage]

    def to_json(self) -> dict:
        """The ``stats.json`` schema of ``mapper model``."""
        levels = {}
        for lv in (self.compute, *self.storage):
            entry = {"instances": lv.instances, "utilized_instances": lv.utilized_instances,
                     "cycles": lv.cycles, "energy_pJ": lv.energy_pJ,
                     "leak_energy_pJ": lv.leak_energy_pJ,
                     "dataspaces": {n: ds.__dict__.copy() for n, ds in lv.dataspaces.items()}}
            if lv.computes is not None:
                entry["computes"] = lv.computes
            levels[lv.name] = entry
        return {"cycles": self.cycles, "energy_pJ": self.energy_pJ,
                "leak_energy_pJ": self.leak_energy_pJ, "computes": self.computes,
                "utilization": self.utilization, "area_um2": self.area_um2,
                "area_missing": list(self.area_missing),
                "leak_missing": list(self.leak_missing), "valid": self.valid,
                "violations": list(self.violations), "levels": levels}


@dataclass
class BatchResult:
    """Model outputs for a batch; arrays have the batch (B) as their **last** axis.

    ``counts[ds]`` holds (K, B) per-instance counts; ``reported[k, ds]`` says whether level k
    reports data space ds (kept, and not above its outermost keeper).
    """

    batch: MappingBatch
    ds_names: tuple[str, ...]
    counts: dict[str, DataSpaceCounts]
    reported: np.ndarray              # (K, DS) bool
    utilized_instances: np.ndarray    # (K, B)
    level_cycles: np.ndarray          # (K, B)
    slowdown: np.ndarray              # (K, B)
    ds_energy: np.ndarray             # (K, DS, B) pJ
    compute_energy: np.ndarray        # (B,)  dynamic
    leak_energy: np.ndarray           # (K, B) pJ of leakage of each storage level
    compute_leak_energy: np.ndarray   # (B,)  pJ of leakage of the compute level
    computes: np.ndarray              # (B,)
    mac_instances_used: np.ndarray    # (B,)
    compute_cycles: np.ndarray        # (B,)
    cycles: np.ndarray                # (B,)
    energy: np.ndarray                # (B,) pJ, dynamic + leakage
    utilization: np.ndarray           # (B,)
    valid: np.ndarray                 # (B,) bool
    capacity_used: np.ndarray         # (K, B) words of the kept tiles at each level
    fanout_x_used: np.ndarray         # (K, B) spatial X fan-out used below each level
    fanout_y_used: np.ndarray         # (K, B)
    energies: ActionEnergies          # the per-action energies and areas used
    ramp: RampRule                    # the ramp rule of the arch and workload (ramp.py)
    #: (n, D, B) with ``Bound.innermost_excess`` (n levels): pJ beyond ``energy`` of the
    #: orders whose innermost loop at each level is of each dimension
    #: (``Model._innermost_excess``)
    innermost_excess: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.cycles)

    def take(self, rows: np.ndarray, batch: MappingBatch | None = None) -> "BatchResult":
        """The results of mappings ``rows``, as the result of ``batch`` (default: those rows
        of this one's batch): every per-mapping array indexed on its last axis."""
        fields = {f.name: getattr(self, f.name)[..., rows] for f in dataclasses.fields(self)
                  if isinstance(getattr(self, f.name), np.ndarray) and f.name != "reported"}
        counts = {name: DataSpaceCounts(**{f.name: getattr(c, f.name)[..., rows]
                                           for f in dataclasses.fields(c)})
                  for name, c in self.counts.items()}
        return dataclasses.replace(self, batch=self.batch.take(rows) if batch is None else batch,
                                   counts=counts, **fields)

    @property
    def ramp_cycles(self) -> np.ndarray:
        """(B,) ramp-up plus ramp-down of the single-buffered levels (:mod:`.ramp`), which
        ``cycles`` (the average bandwidth model) leaves out; computed when asked."""
        tiles = np.stack([self.counts[name].tile for name in self.ds_names], axis=1)
        return self.ramp.cycles(tiles, self.reported)

    @property
    def edp(self) -> np.ndarray:
        """(B,) energy-delay products in J x cycles (:func:`~mapper.model.perf.edp`)."""
        return edp(self.energy, self.cycles)
