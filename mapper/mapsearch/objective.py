"""What the search minimizes: energy, delay, EDP, last-level accesses, delay with the ramps of
the run's ends, a weighted sum of them, or an ordered list of them (lexicographic, Timeloop's
``optimization_metrics``)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model.perf import edp
from ..model.result import BatchResult
from ..spec.errors import Where, as_list, as_mapping, as_str

METRICS = ("energy", "delay", "edp", "last_level_accesses", "ramped_delay")
_ALIASES = {"cycles": "delay", "latency": "delay", "energy_delay_product": "edp",
            "last-level-accesses": "last_level_accesses", "dram_accesses": "last_level_accesses",
            "ramped-delay": "ramped_delay", "ramped_cycles": "ramped_delay"}


def metric_values(result: BatchResult, metric: str) -> np.ndarray:
    """(B,) one metric of a batch: pJ, cycles, J*cycles, words moved at the outermost level
    (reads + fills + updates over all its instances), or ``ramped_delay``: cycles plus the
    ramp-up and ramp-down of the single-buffered levels (:mod:`mapper.model.ramp`, Eyexam's
    step 7), a lower bound on a bounding evaluation like the cycles themselves."""
    if metric == "energy":
        return result.energy
    if metric == "delay":
        return result.cycles.astype(np.float64)
    if metric == "edp":
        return result.edp
    if metric == "ramped_delay":
        return (result.cycles + result.ramp_cycles).astype(np.float64)
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

    @property
    def columns(self) -> int:
        """How many columns a key has: one per metric, one for a weighted sum."""
        return 1 if self.weights is not None else len(self.metrics)

    def key(self, result: BatchResult) -> np.ndarray:
        """(B, n) the columns to minimize lexicographically (n = 1 for a weighted sum)."""
        return self._columns(lambda m: metric_values(result, m))

    def key_with_energy(self, result: BatchResult, rows: np.ndarray,
                        energy: np.ndarray) -> np.ndarray:
        """``key`` of ``result``'s mappings ``rows`` with their energy replaced by ``energy``
        (n,), without copying the result: a bound raised in its energy alone, one lookup per
        mapping (``BranchAndBound``'s tile bound)."""
        def value(metric: str) -> np.ndarray:
            if metric == "energy":
                return energy
            if metric == "edp":
                return edp(energy, result.cycles[rows])
            return metric_values(result, metric)[rows]
        return self._columns(value)

    def _columns(self, value) -> np.ndarray:
        """The key's columns from each metric's (B,) values."""
        if self.weights is not None:
            total = sum(w * value(m) for m, w in zip(self.metrics, self.weights))
            return np.asarray(total, dtype=np.float64)[:, None]
        return np.stack([value(m) for m in self.metrics], axis=1)

    def describe(self) -> str:
        if self.weights is not None:
            return " + ".join(f"{w:g}*{m}" for m, w in zip(self.metrics, self.weights))
        return " then ".join(self.metrics)


#: what an objective may be, for error messages
EXPECTED = (f"expected a metric ({', '.join(METRICS)}), a comma-separated list of metrics "
            f"minimized in order ('energy,delay'), or a weighted sum whose every item is "
            f"metric:weight ('energy:1,delay:0.5')")


def parse_objective(value, where: Where | None = None) -> Objective:
    """``"edp"``, ``"energy,delay"`` / ``[energy, delay]`` (lexicographic),
    ``"energy:1,delay:0.5"`` / ``{energy: 1, delay: 0.5}`` (weighted)."""
    where = where or Where(None, "objective")
    if isinstance(value, str):
        return parse_objective_text(value, where)
    if isinstance(value, dict):
        d = as_mapping(value, where)
        if not d:
            where.fail(EXPECTED + ", got an empty mapping")
        names = tuple(_metric(k, where / k) for k in d)
        return _weighted(names, tuple(_weight(v, where / k) for k, v in d.items()), where)
    items = as_list(value, where)
    if not items:
        where.fail(EXPECTED + ", got an empty list")
    return Objective(tuple(_metric(as_str(v, where / i), where / i) for i, v in enumerate(items)))


def parse_objective_text(text: str, where: Where | None = None) -> Objective:
    """The text form of an objective, the one parser of ``--objective`` and of strings in
    files: ``edp``; ``energy,delay`` (lexicographic); ``energy:1,delay:0.5`` (a weighted sum:
    then every item is ``metric:weight``, each weight a finite number >= 0, one of them > 0).
    Anything else fails through ``where`` with what was expected (a :class:`SpecError`)."""
    where = where or Where()
    items = [item.strip() for item in str(text).split(",") if item.strip()]
    if not items:
        where.fail(f"{EXPECTED}; got {text!r}")
    if not any(":" in item for item in items):
        return Objective(tuple(_metric(item, where) for item in items))
    names, weights = [], []
    for item in items:
        parts = [p.strip() for p in item.split(":")]
        if len(parts) != 2 or not all(parts):
            hint = "" if ":" in item else " (no weight; in a weighted sum every item has one)"
            where.fail(f"{EXPECTED}; got the item {item!r}{hint} in {text!r}")
        names.append(_metric(parts[0], where))
        weights.append(_weight(parts[1], where, parts[0]))
    return _weighted(tuple(names), tuple(weights), where)


def _weighted(names: tuple[str, ...], weights: tuple[float, ...], where: Where) -> Objective:
    for i, name in enumerate(names):
        if name in names[:i]:
            where.fail(f"metric {name} appears twice in the weighted sum; expected each "
                       f"metric at most once")
    if not any(w > 0 for w in weights):
        where.fail("every weight of the weighted sum is 0; expected at least one weight > 0")
    return Objective(names, weights)


def _weight(value, where: Where, metric: str | None = None) -> float:
    of = f" of {metric}" if metric else ""
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
    if isinstance(number, bool) or not isinstance(number, (int, float)) \
            or not math.isfinite(number) or number < 0:
        where.fail(f"expected the weight{of} to be a finite number >= 0, got {value!r}")
    return float(number)


def _metric(name: str, where: Where) -> str:
    name = _ALIASES.get(str(name).lower(), str(name).lower())
    if name not in METRICS:
        where.fail(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
    return name
