"""What the search minimizes: energy, delay, EDP, last-level accesses, a weighted sum of them,
or an ordered list of them (lexicographic, Timeloop's ``optimization_metrics``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.result import BatchResult
from ..spec.errors import Where, as_list, as_mapping, as_number, as_str

METRICS = ("energy", "delay", "edp", "last_level_accesses")
_ALIASES = {"cycles": "delay", "latency": "delay", "energy_delay_product": "edp",
            "last-level-accesses": "last_level_accesses", "dram_accesses": "last_level_accesses"}


def metric_values(result: BatchResult, metric: str) -> np.ndarray:
    """(B,) one metric of a batch: pJ, cycles, J*cycles, or words moved at the outermost level
    (reads + fills + updates over all its instances)."""
    if metric == "energy":
        return result.energy
    if metric == "delay":
        return result.cycles.astype(np.float64)
    if metric == "edp":
        return result.energy * 1e-12 * result.cycles
    if metric == "last_level_accesses":
        k = -1
        total = np.zeros(len(result), dtype=np.float64)
        for c in result.counts.values():
            total += (c.reads[k] + c.fills[k] + c.updates[k]) * result.utilized_instances[k]
        return total
    raise ValueError(metric)


@dataclass(frozen=True)
class Objective:
    """``weights`` set: minimize the weighted sum; else minimize ``metrics`` in order."""

    metrics: tuple[str, ...] = ("edp",)
    weights: tuple[float, ...] | None = None

    def key(self, result: BatchResult) -> np.ndarray:
        """(B, n) the columns to minimize lexicographically (n = 1 for a weighted sum)."""
        if self.weights is not None:
            total = sum(w * metric_values(result, m) for m, w in zip(self.metrics, self.weights))
            return np.asarray(total, dtype=np.float64)[:, None]
        return np.stack([metric_values(result, m) for m in self.metrics], axis=1)

    def describe(self) -> str:
        if self.weights is not None:
            return " + ".join(f"{w:g}*{m}" for m, w in zip(self.metrics, self.weights))
        return " then ".join(self.metrics)


def parse_objective(value, where: Where | None = None) -> Objective:
    """``"edp"``, ``"energy,delay"`` / ``[energy, delay]`` (lexicographic) or
    ``{energy: 1, delay: 0.5}`` (weighted)."""
    where = where or Where(None, "objective")
    if isinstance(value, dict):
        d = as_mapping(value, where)
        names = tuple(_metric(k, where / k) for k in d)
        return Objective(names, tuple(as_number(v, where / k, minimum=0) for k, v in d.items()))
    if isinstance(value, str):
        value = [v for v in value.replace(" ", "").split(",") if v]
    items = as_list(value, where)
    if not items:
        where.fail(f"expected at least one metric of {', '.join(METRICS)}")
    return Objective(tuple(_metric(as_str(v, where / i), where / i) for i, v in enumerate(items)))


def _metric(name: str, where: Where) -> str:
    name = _ALIASES.get(str(name).lower(), str(name).lower())
    if name not in METRICS:
        where.fail(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
    return name
