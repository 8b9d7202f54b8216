"""The sweep's tables: one row per (design, energy tables, network, batch) with the full metric
set of Sze et al. (never TOPS/W alone), the Pareto front marked, as CSV text (the standard
library's csv; a pandas DataFrame when pandas is installed).

Names are those of ``network.json`` where one exists; ``area_missing`` lists the components
whose area the energy tables do not know (counted 0 in ``area_mm2``). The Pareto front is taken within each
(network, batch, energy tables) group, over :data:`PARETO_AXES` (all minimised) by default,
by the dominance rule of :mod:`mapper.report.pareto`, throughput and utilization maximised;
latency (and throughput) in cycles for every run when any design has no clock
(:func:`mapper.report.pareto.axes_in_use`); a run that failed, or lacks a value of an axis,
is never on it.
"""
from __future__ import annotations

import csv
import io
import math
from typing import Any, Sequence

import numpy as np

from ..report.pareto import ParetoAxes, axes_in_use, non_dominated, sense
from .tasks import OK

#: the default axes of the Pareto front: energy, latency and cost, as on-chip storage and area
#: (both: the energy tables often know no area for a buffer, which then counts 0 mm^2)
PARETO_AXES = ("energy_per_inference_pJ", "latency_s", "onchip_storage_bytes", "area_mm2")

#: the metric columns, after the design's columns, in order
METRICS = (
    "energy_per_inference_pJ", "dram_energy_per_inference_pJ", "energy_pJ", "pJ_per_mac",
    "leak_energy_pJ", "latency_s", "cycles", "inferences_per_s", "macs_per_s", "power_W",
    "leakage_power_W",
    "utilization", "active_pe_fraction", "active_pe_utilization",
    "dram_bytes_per_inference", "onchip_storage_bytes", "pes", "area_mm2", "area_missing", "edp_J_cycles",
    "macs", "energy_by_level_pJ", "leak_energy_by_level_pJ",
)
#: the columns that say which run a row is
KEYS = ("design", "template", "energy_tables", "network", "batch", "status", "reason")


def row_of(task, status: str, reason: str, total: dict, layers: list[dict]) -> dict[str, Any]:
    """One table row: the task's identity, its parameters, the metrics of its total (none for
    a failed run: the total of the layers that did map is not the network's)."""
    row: dict[str, Any] = {
        "design": task.design.name,
        "template": task.design.template and _stem(task.design.template),
        "energy_tables": task.tables_label, "network": task.network.name,
        "batch": total.get("batch", task.batch), "status": status, "reason": reason,
        **task.design.params}
    if not total or status != OK:
        return row
    m = total.get("metrics", {})
    batch = total["batch"]
    by_level = total.get("energy_by_level", {})
    dram_level = total.get("dram_level")
    util = total.get("utilization")
    pe_frac, pe_util = _pe_factors(layers, m.get("pes"))
    row.update({
        "energy_per_inference_pJ": total.get("energy_per_inference_pJ"),
        "dram_energy_per_inference_pJ": (by_level[dram_level] / batch
                                         if dram_level is not None else None),
        "energy_pJ": total.get("energy_pJ"), "pJ_per_mac": m.get("pJ_per_mac"),
        "leak_energy_pJ": total.get("leak_energy_pJ"),
        "leakage_power_W": m.get("leakage_power_W", total.get("leakage_power_W")),
        "latency_s": total.get("latency_s"), "cycles": total.get("cycles"),
        "inferences_per_s": total.get("inferences_per_s"),
        "macs_per_s": m.get("throughput_macs_per_s"), "power_W": total.get("power_W"),
        "utilization": util, "active_pe_fraction": pe_frac,
        "active_pe_utilization": (util / pe_frac if util is not None and pe_frac else None),
        "dram_bytes_per_inference": total.get("dram_bytes_per_inference"),
        "onchip_storage_bytes": m.get("onchip_storage_bytes"), "pes": m.get("pes"),
        "area_mm2": m.get("area_mm2"),
        "area_missing": ";".join(m.get("area_missing") or ()), "edp_J_cycles": total.get("edp_J_cycles"),
        "macs": total.get("mapped_macs"),
        "energy_by_level_pJ": ";".join(f"{k}={v:.6g}" for k, v in by_level.items()),
        "leak_energy_by_level_pJ": ";".join(
            f"{k}={v:.6g}" for k, v in total.get("leak_energy_by_level", {}).items()),
    })
    return row


#: the breakdown table's columns after the design's (:func:`breakdown_of`)
BREAKDOWN = ("level", "data_space", "energy_per_inference_pJ")
#: ``data_space`` of the compute level's dynamic energy (the MACs, eq. 7's first term) and of
#: a level's static energy (leakage: per cycle, not per access, so of no one data space)
MAC, LEAKAGE = "MAC", "leakage"


def breakdown_of(row: dict[str, Any], total: dict,
                 parameters: Sequence[str]) -> list[dict[str, Any]]:
    """Energy per inference of one run by (level, data space), long format: the design's
    columns of its results ``row``, then for each level from the compute level out (the
    total's order) its data spaces' dynamic energy (accesses and their network), or the MACs'
    at the compute level, then its leakage where there is any. Read from the network total
    (the layers' :func:`mapper.report.metrics.energy_breakdown` x repeat, summed as
    ``energy_per_inference_pJ`` is) / batch: the rows of a run sum to its
    ``energy_per_inference_pJ``. None for a failed run (it has no whole-network total)."""
    if row["status"] != OK or not total:
        return []
    key = {c: row.get(c) for c in breakdown_columns(parameters)[:-len(BREAKDOWN)]}
    batch = total["batch"]
    by_ds, leak = total.get("energy_by_dataspace", {}), total.get("leak_energy_by_level", {})
    out = []
    for level, pJ in total.get("energy_by_level", {}).items():
        static = leak.get(level, 0.0)
        parts = dict(by_ds[level]) if level in by_ds else {MAC: pJ - static}
        if static:
            parts[LEAKAGE] = static
        out += [{**key, "level": level, "data_space": name,
                 "energy_per_inference_pJ": v / batch} for name, v in parts.items()]
    return out


def breakdown_columns(parameters: Sequence[str]) -> list[str]:
    """The breakdown table's columns: the design's as in results.csv (:func:`columns`), then
    :data:`BREAKDOWN`."""
    return ["design", "template", *parameters, "energy_tables", "network", "batch", *BREAKDOWN]


def _stem(path: str) -> str:
    from pathlib import Path
    return Path(path).stem


def _pe_factors(layers: list[dict], pes) -> tuple[float | None, float | None]:
    """Utilization's first factor (Sze et al., eq. 3): the cycle-weighted fraction of PEs a
    layer's mapping uses. ``utilization`` = MACs / (PEs x cycles) is this times the
    utilization of the active PEs (the second factor, derived from the two)."""
    if not pes:
        return None, None
    cycles = active = 0.0
    for rec in layers:
        if rec.get("cycles") is None or rec.get("active_pes") is None:
            continue
        cycles += rec["cycles"] * rec["repeat"]
        active += rec["active_pes"] * rec["cycles"] * rec["repeat"]
    if not cycles:
        return None, None
    return active / (pes * cycles), None


def columns(parameters: Sequence[str], rows: list[dict]) -> list[str]:
    extra = [k for k in parameters]
    return [*KEYS[:2], *extra, *KEYS[2:], *METRICS, "pareto"]


def mark_pareto(rows: list[dict], axes: Sequence[str] = PARETO_AXES) -> ParetoAxes:
    """Set ``row["pareto"]`` within each (network, batch, energy tables) group: on the front
    of :func:`mapper.report.pareto.non_dominated` over the axes used for ``axes``
    (:func:`~mapper.report.pareto.axes_in_use`: ``cycles`` for ``latency_s`` when a design
    has no clock), each maximised or minimised (:func:`~mapper.report.pareto.sense`); a failed
    run, or one without a number on an axis, is never on it and dominates nothing. Returns the
    axes used."""
    used = axes_in_use(axes, [r for r in rows if r["status"] == OK])
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["network"], r["batch"], r["energy_tables"]), []).append(r)
    for group in groups.values():
        points = np.array([[_number(r.get(a)) * sense(a) if r["status"] == OK else math.nan
                            for a in used.used] for r in group],
                          dtype=float).reshape(len(group), len(used.used))
        for r, on in zip(group, non_dominated(points)):
            r["pareto"] = bool(on)
    return used


def _number(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) else math.nan


def format_csv(rows: list[dict], cols: Sequence[str]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r.get(c) is None else _cell(r.get(c)) for c in cols])
    return out.getvalue()


def _cell(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return v
