"""What a whole-network run reports: per layer and in total, the metric set of Sze et al.
(Efficient Processing of Deep Neural Networks, ch. 3): throughput, latency, energy per
inference, power, utilization, off-chip (DRAM) traffic, and on-chip storage, PE count and
area as cost proxies; as ``network.json``, ``network.csv`` and a text summary.

Conventions: a layer record holds one occurrence of the layer over the whole batch (the
network's ``batch`` folded into its N); totals are the sum over layers x ``repeat``. Layers run
one after another, so ``latency_s`` is the time of one batch and ``inferences_per_s`` =
batch / latency. Utilization in total = MACs / (PEs x cycles), the MAC-weighted mean of the
layers'. A layer's record is :func:`mapper.report.metrics.layer_metrics` (the one rule for
every metric of a layer); totals use its :func:`~mapper.report.metrics.rates`. Totals cover
the mapped layers; ``complete`` says whether that is all.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from ..model.perf import edp
from ..report.metrics import (dram_peak_bytes_per_cycle, layer_metrics, on_chip_bytes, rates,
                              si, technology_of)

def _add(into: dict, more: dict, times: int) -> None:
    for k, v in more.items():
        if isinstance(v, dict):
            _add(into.setdefault(k, {}), v, times)
        else:
            into[k] = into.get(k, 0) + v * times


def network_summary(result) -> dict:
    """The ``network.json`` record of a :class:`~mapper.network.run.NetworkResult`."""
    net, arch, cycle_s, batch = result.network, result.arch, result.cycle_s, result.network.batch
    records, unmapped = [], []
    tot = {"macs": 0, "cycles": 0, "energy_pJ": 0.0, "leak_energy_pJ": 0.0, "dram": 0.0,
           "active_pe_cycles": 0, "mac_energy_pJ": 0.0}
    by_level: dict = {}
    by_ds: dict = {}
    leak_by_level: dict = {}
    traffic: dict = {}
    area, area_missing = None, ()
    for r in result.layers:
        d = r.layer
        for entry in d.layers:
            rec: dict[str, Any] = {"name": entry.name, "repeat": entry.repeat,
                                   "searched_as": d.name, "status": r.status,
                                   "source": entry.source, "inputs": list(entry.inputs),
                                   "macs": entry.workload.macs}
            if r.evaluation is not None:
                m = layer_metrics(r.evaluation, arch, cycle_s, batch).to_json()
                rec.update(m)
                rec["mapping"] = f"mappings/{r.file_name}.yaml"
                rec["map"] = f"maps/{r.file_name}.txt"
                tot["macs"] += m["macs"] * entry.repeat
                tot["cycles"] += m["cycles"] * entry.repeat
                tot["energy_pJ"] += m["energy_pJ"] * entry.repeat
                tot["leak_energy_pJ"] += m["leak_energy_pJ"] * entry.repeat
                tot["dram"] += m["dram_bytes_per_inference"] * batch * entry.repeat
                tot["active_pe_cycles"] += m["active_pes"] * m["cycles"] * entry.repeat
                tot["mac_energy_pJ"] += m["mac_energy_pJ"] * entry.repeat
                _add(by_level, m["energy_by_level"], entry.repeat)
                _add(by_ds, m["energy_by_dataspace"], entry.repeat)
                _add(leak_by_level, m["leak_energy_by_level"], entry.repeat)
                _add(traffic, m["dram_bytes_by_dataspace"], entry.repeat)
                area, area_missing = r.evaluation.area_um2, r.evaluation.area_missing
            else:
                unmapped.append(entry.name)
            if r.search is not None:
                rec["search"] = r.search
            if r.reasons:
                rec["reasons"] = list(r.reasons)
            records.append(rec)
    records.sort(key=lambda rec: [e.name for e in net.layers].index(rec["name"]))
    return _totals(result, records, unmapped, tot, by_level, by_ds, traffic, area, area_missing,
                   leak_by_level)


def _totals(result, records, unmapped, tot, by_level, by_ds, traffic, area,
            area_missing, leak_by_level) -> dict:
    net, arch, cycle_s, batch = result.network, result.arch, result.cycle_s, result.network.batch
    cycles, energy = tot["cycles"], tot["energy_pJ"]
    r = rates(macs=tot["macs"], cycles=cycles, energy_pJ=energy,
              leak_energy_pJ=tot["leak_energy_pJ"], dram_bytes=tot["dram"], batch=batch,
              cycle_s=cycle_s)
    pes = arch.compute.instances
    util = tot["macs"] / (pes * cycles) if cycles else 0.0
    # eq. (3) over layers run one after another: the cycle-weighted fraction of active PEs
    active = tot["active_pe_cycles"] / (pes * cycles) if cycles else 0.0
    dram_level = arch.storage[-1].name
    dram_pJ = by_level.get(dram_level, 0.0)
    s = result.settings
    return {
        "network": net.name, "network_file": net.file, "arch": arch.name, "batch": batch,
        "parameters": dict(net.parameters),
        "objective": result.objective.describe(), "algorithm": s.algorithm,
        "search_settings": {"search_size": s.search_size, "seed": s.seed,
                            "time_limit_per_layer_s": s.time_limit,
                            "victory_condition": s.victory_condition, "jobs": s.jobs},
        "clock": {"cycle_s": cycle_s, "source": result.clock_source},
        "technology": technology_of(arch),
        "energy_source": result.energy_source,
        "complete": not unmapped, "unmapped": unmapped, "note": result.note,
        "macs": net.macs, "mapped_macs": tot["macs"],
        "energy_pJ": energy, "leak_energy_pJ": tot["leak_energy_pJ"], "cycles": cycles,
        "latency_s": r.latency_s,
        "inferences_per_s": r.inferences_per_s,
        "energy_per_inference_pJ": energy / batch, "edp_J_cycles": edp(energy, cycles),
        "utilization": util, "dram_bytes_per_inference": tot["dram"] / batch,
        "power_W": r.power_W,
        "energy_by_level": by_level, "energy_by_dataspace": by_ds,
        "leak_energy_by_level": leak_by_level, "dram_bytes_by_dataspace": traffic,
        "metrics": {  # Sze et al.'s set (mapper.report.metrics; totals of layers in sequence)
            "throughput_inferences_per_s": r.inferences_per_s,
            "throughput_macs_per_s": r.macs_per_s,
            "macs_per_cycle": tot["macs"] / cycles if cycles else None,
            "peak_macs_per_s": pes / cycle_s if cycle_s else None,
            "latency_s": r.latency_s, "latency_cycles": cycles,
            "energy_per_inference_pJ": energy / batch,
            "pJ_per_mac": energy / tot["macs"] if tot["macs"] else None,
            "mac_energy_pJ": tot["mac_energy_pJ"],
            "data_movement_energy_pJ": energy - tot["mac_energy_pJ"],
            "dram_level": dram_level, "dram_energy_per_inference_pJ": dram_pJ / batch,
            "power_W": r.power_W, "leakage_power_W": r.leakage_power_W, "utilization": util,
            "active_pe_fraction": active,
            "active_pe_utilization": util / active if active else None,
            "offchip_bytes_per_inference": tot["dram"] / batch,
            "dram_bytes_per_cycle": tot["dram"] / cycles if cycles else None,
            "dram_GB_per_s": r.dram_GB_per_s,
            "dram_peak_bytes_per_cycle": dram_peak_bytes_per_cycle(arch),
            "onchip_storage_bytes": on_chip_bytes(arch), "pes": pes,
            "area_mm2": None if area is None else area / 1e6,
            "area_missing": list(area_missing)},   # components with no known area (0 mm^2)
        "distinct_layers": len(result.layers), "cache": result.cache,
        "wall_s": round(result.wall_s, 3),
        "layers": records,
    }


# -- files and text -------------------------------------------------------------------------

CSV_COLUMNS = ("layer", "repeat", "searched_as", "status", "macs", "cycles", "latency_s",
               "energy_pJ", "leak_energy_pJ", "energy_per_inference_pJ", "pJ_per_mac",
               "edp_J_cycles",
               "utilization", "dram_bytes_per_inference", "mapping")


def format_csv(summary: dict) -> str:
    """One row per layer (one occurrence; multiply by ``repeat``) and a ``TOTAL`` row."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for rec in summary["layers"]:
        row = {**rec, "layer": rec["name"]}
        w.writerow(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])
    total = {**summary, "layer": "TOTAL", "repeat": "", "searched_as": "",
             "status": "complete" if summary["complete"] else "incomplete",
             "macs": summary["mapped_macs"], "pJ_per_mac": summary["metrics"]["pJ_per_mac"],
             "mapping": ""}
    w.writerow(["" if total.get(c) is None else total.get(c) for c in CSV_COLUMNS])
    return out.getvalue()


def format_text(summary: dict) -> str:
    s, m = summary, summary["metrics"]
    lines = [f"{s['network']} on {s['arch']}, batch {s['batch']}: {len(s['layers'])} layers "
             f"({s['distinct_layers']} distinct searched), {s['macs'] / 1e9:.4g} GMACs; "
             f"objective {s['objective']}, algorithm {s['algorithm']}"]
    if s["note"]:
        lines.append(f"  note: {s['note']}")
    lines.append(f"  clock: {s['clock']['source']}")
    lines.append(f"  energy data: {s['energy_source']}")
    head = (f"  {'layer':<28} {'x':>3} {'MACs':>9} {'cycles':>11} {'energy':>10} "
            f"{'pJ/MAC':>7} {'util':>5} {'DRAM/inf':>10}  mapping")
    lines += ["", head]
    for rec in s["layers"]:
        name = rec["name"] if len(rec["name"]) <= 28 else rec["name"][:27] + "~"
        if "cycles" not in rec:
            lines.append(f"  {name:<28} {rec['repeat']:>3} {si(rec['macs'], ''):>9} "
                         f"  {rec['status'].upper()}")
            continue
        cached = " (cached)" if rec.get("search", {}).get("cached") else ""
        lines.append(f"  {name:<28} {rec['repeat']:>3} {si(rec['macs'], ''):>9} "
                     f"{rec['cycles']:>11,} {si(rec['energy_pJ'] * 1e-12, 'J'):>10} "
                     f"{rec['pJ_per_mac']:>7.3f} {rec['utilization']:>5.2f} "
                     f"{si(rec['dram_bytes_per_inference'], 'B'):>10}  "
                     f"{rec['mapping']}{cached}")
    lines.append(f"  {'total (x repeat)':<28} {'':>3} {si(s['mapped_macs'], ''):>9} "
                 f"{s['cycles']:>11,} {si(s['energy_pJ'] * 1e-12, 'J'):>10} "
                 f"{(m['pJ_per_mac'] or 0):>7.3f} {s['utilization']:>5.2f} "
                 f"{si(s['dram_bytes_per_inference'], 'B'):>10}")
    lat = (f"{si(s['latency_s'], 's')} ({s['cycles']:,} cycles)" if s["latency_s"]
           else f"{s['cycles']:,} cycles (no clock)")
    thr = (f"{si(m['throughput_inferences_per_s'], 'inferences/s')} ("
           f"{si(m['throughput_macs_per_s'], 'MAC/s')} of {si(m['peak_macs_per_s'], 'MAC/s')}"
           f" peak)" if s["latency_s"] else "- (no clock)")
    lines += ["", "  metrics (Sze et al.):",
              f"    throughput       {thr}",
              f"    latency          {lat}",
              f"    energy           {si(s['energy_per_inference_pJ'] * 1e-12, 'J')} per "
              f"inference ({(m['pJ_per_mac'] or 0):.3f} pJ/MAC); EDP "
              f"{s['edp_J_cycles']:.4g} J*cycle",
              f"    power            {si(m['power_W'], 'W')}" + (
                  f" (leakage {si(m['leakage_power_W'], 'W')} of it)"
                  if m.get("leakage_power_W") is not None else ""),
              f"    utilization      {m['utilization']:.3f} = {m['active_pe_fraction']:.3f} "
              f"active PEs (cycle-weighted) x {m['active_pe_utilization'] or 0:.3f} "
              f"utilization of the active PEs",
              f"    off-chip traffic {si(m['offchip_bytes_per_inference'], 'B')} per inference"
              + (f", {m['dram_GB_per_s']:.4g} GB/s needed" if m["dram_GB_per_s"] is not None
                 else ""),
              f"    cost             {si(m['onchip_storage_bytes'], 'B')} on-chip storage, "
              f"{m['pes']} PEs" + (f", {m['area_mm2']:.3f} mm^2" if m["area_mm2"] else "")
              + (f" (no area known for {', '.join(m['area_missing'])})"
                 if m["area_missing"] else "")]
    if s["energy_pJ"]:
        shares = ", ".join(f"{name} {100 * e / s['energy_pJ']:.1f}%"
                           for name, e in s["energy_by_level"].items())
        lines.append(f"    energy by level  {shares}")
    if not s["complete"]:
        lines += ["", f"  INCOMPLETE: totals leave out {len(s['unmapped'])} layer(s) with no "
                  f"mapping: {', '.join(s['unmapped'])}"]
    return "\n".join(lines) + "\n"
