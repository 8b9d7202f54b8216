"""What a whole-network run reports: per layer and in total, the metric set of Sze et al.
(Efficient Processing of Deep Neural Networks, ch. 3): throughput, latency, energy per
inference, power, utilization, off-chip (DRAM) traffic, and on-chip storage, PE count and
area as cost proxies; as ``network.json``, ``network.csv`` and a text summary.

Conventions: a layer record holds one occurrence of the layer over the whole batch (the
network's ``batch`` folded into its N); totals are the sum over layers x ``repeat``. Layers run
one after another, so ``latency_s`` is the time of one batch and ``inferences_per_s`` =
batch / latency. Utilization in total = MACs / (PEs x cycles), the MAC-weighted mean of the
layers'. DRAM traffic = (reads + fills + updates) x utilized instances x word bits / 8 at the
outermost level. Totals cover the mapped layers; ``complete`` says whether that is all.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from ..model import Evaluation
from ..model.perf import edp
from ..spec.arch import Arch


def dram_bytes(ev: Evaluation, arch: Arch) -> dict[str, float]:
    """Bytes moved at the outermost level per data space (one run of the layer)."""
    level, stats = arch.storage[-1], ev.storage[-1]
    return {name: (ds.reads_per_instance + ds.fills_per_instance + ds.updates_per_instance)
            * ds.utilized_instances * level.word_bits / 8
            for name, ds in stats.dataspaces.items()}


def on_chip_bytes(arch: Arch) -> float:
    """Storage below the outermost level: capacity x word bits x instances."""
    return sum(lv.capacity_words * lv.word_bits * lv.instances / 8
               for lv in arch.storage[:-1] if not lv.is_dummy and lv.depth is not None)


def energy_breakdown(ev: Evaluation, arch: Arch) -> tuple[dict, dict, dict]:
    """({level: pJ}, {level: {data space: pJ}}, {level: leakage pJ}), compute level first,
    dummy levels left out. A level's energy is its data spaces' (dynamic) plus its leakage."""
    dummy = {lv.name for lv in arch.storage if lv.is_dummy}
    levels = [lv for lv in (ev.compute, *ev.storage) if lv.name not in dummy]
    by_level = {lv.name: lv.energy_pJ for lv in levels}
    by_ds = {lv.name: {n: ds.energy_pJ for n, ds in lv.dataspaces.items()}
             for lv in ev.storage if lv.name not in dummy}
    leak = {lv.name: lv.leak_energy_pJ for lv in levels}
    return by_level, by_ds, leak


def layer_metrics(ev: Evaluation, arch: Arch, cycle_s: float | None, batch: int) -> dict:
    """One occurrence of a layer (the whole batch)."""
    traffic = dram_bytes(ev, arch)
    by_level, by_ds, leak = energy_breakdown(ev, arch)
    return {"macs": ev.computes, "cycles": ev.cycles,
            "latency_s": None if cycle_s is None else ev.cycles * cycle_s,
            "energy_pJ": ev.energy_pJ, "leak_energy_pJ": ev.leak_energy_pJ,
            "energy_per_inference_pJ": ev.energy_pJ / batch,
            "pJ_per_mac": ev.energy_pJ / ev.computes, "edp_J_cycles": ev.edp,
            "utilization": ev.utilization,
            "dram_bytes_per_inference": sum(traffic.values()) / batch,
            "dram_bytes_by_dataspace": traffic,
            "energy_by_level": by_level, "energy_by_dataspace": by_ds,
            "leak_energy_by_level": leak}


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
    tot = {"macs": 0, "cycles": 0, "energy_pJ": 0.0, "leak_energy_pJ": 0.0, "dram": 0.0}
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
                m = layer_metrics(r.evaluation, arch, cycle_s, batch)
                rec.update(m)
                rec["mapping"] = f"mappings/{r.file_name}.yaml"
                tot["macs"] += m["macs"] * entry.repeat
                tot["cycles"] += m["cycles"] * entry.repeat
                tot["energy_pJ"] += m["energy_pJ"] * entry.repeat
                tot["leak_energy_pJ"] += m["leak_energy_pJ"] * entry.repeat
                tot["dram"] += m["dram_bytes_per_inference"] * batch * entry.repeat
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
    latency = None if cycle_s is None else cycles * cycle_s
    pes = arch.compute.instances
    util = tot["macs"] / (pes * cycles) if cycles else 0.0
    throughput = batch / latency if latency else None
    power = energy * 1e-12 / latency if latency else None     # dynamic + leakage
    leak_power = tot["leak_energy_pJ"] * 1e-12 / latency if latency else None
    s = result.settings
    return {
        "network": net.name, "network_file": net.file, "arch": arch.name, "batch": batch,
        "parameters": dict(net.parameters),
        "objective": result.objective.describe(), "algorithm": s.algorithm,
        "search_settings": {"search_size": s.search_size, "seed": s.seed,
                            "time_limit_per_layer_s": s.time_limit,
                            "victory_condition": s.victory_condition, "jobs": s.jobs},
        "clock": {"cycle_s": cycle_s, "source": result.clock_source},
        "energy_source": result.energy_source,
        "complete": not unmapped, "unmapped": unmapped, "note": result.note,
        "macs": net.macs, "mapped_macs": tot["macs"],
        "energy_pJ": energy, "leak_energy_pJ": tot["leak_energy_pJ"], "cycles": cycles,
        "latency_s": latency,
        "inferences_per_s": throughput,
        "energy_per_inference_pJ": energy / batch, "edp_J_cycles": edp(energy, cycles),
        "utilization": util, "dram_bytes_per_inference": tot["dram"] / batch,
        "power_W": power,
        "energy_by_level": by_level, "energy_by_dataspace": by_ds,
        "leak_energy_by_level": leak_by_level, "dram_bytes_by_dataspace": traffic,
        "metrics": {  # Sze et al.'s set
            "throughput_inferences_per_s": throughput,
            "throughput_macs_per_s": tot["macs"] / latency if latency else None,
            "peak_macs_per_s": pes / cycle_s if cycle_s else None,
            "latency_s": latency, "latency_cycles": cycles,
            "energy_per_inference_pJ": energy / batch,
            "pJ_per_mac": energy / tot["macs"] if tot["macs"] else None,
            "power_W": power, "leakage_power_W": leak_power, "utilization": util,
            "offchip_bytes_per_inference": tot["dram"] / batch,
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


def _si(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""),
                          (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p")):
        if abs(x) >= scale:
            return f"{x / scale:.4g} {prefix}{unit}"
    return f"{x:.3g} {unit}"


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
            lines.append(f"  {name:<28} {rec['repeat']:>3} {_si(rec['macs'], ''):>9} "
                         f"  {rec['status'].upper()}")
            continue
        cached = " (cached)" if rec.get("search", {}).get("cached") else ""
        lines.append(f"  {name:<28} {rec['repeat']:>3} {_si(rec['macs'], ''):>9} "
                     f"{rec['cycles']:>11,} {_si(rec['energy_pJ'] * 1e-12, 'J'):>10} "
                     f"{rec['pJ_per_mac']:>7.3f} {rec['utilization']:>5.2f} "
                     f"{_si(rec['dram_bytes_per_inference'], 'B'):>10}  "
                     f"{rec['mapping']}{cached}")
    lines.append(f"  {'total (x repeat)':<28} {'':>3} {_si(s['mapped_macs'], ''):>9} "
                 f"{s['cycles']:>11,} {_si(s['energy_pJ'] * 1e-12, 'J'):>10} "
                 f"{(m['pJ_per_mac'] or 0):>7.3f} {s['utilization']:>5.2f} "
                 f"{_si(s['dram_bytes_per_inference'], 'B'):>10}")
    lat = (f"{_si(s['latency_s'], 's')} ({s['cycles']:,} cycles)" if s["latency_s"]
           else f"{s['cycles']:,} cycles (no clock)")
    thr = (f"{_si(m['throughput_inferences_per_s'], 'inferences/s')} ("
           f"{_si(m['throughput_macs_per_s'], 'MAC/s')} of {_si(m['peak_macs_per_s'], 'MAC/s')}"
           f" peak)" if s["latency_s"] else "- (no clock)")
    lines += ["", "  metrics (Sze et al.):",
              f"    throughput       {thr}",
              f"    latency          {lat}",
              f"    energy           {_si(s['energy_per_inference_pJ'] * 1e-12, 'J')} per "
              f"inference ({(m['pJ_per_mac'] or 0):.3f} pJ/MAC); EDP "
              f"{s['edp_J_cycles']:.4g} J*cycle",
              f"    power            {_si(m['power_W'], 'W')}" + (
                  f" (leakage {_si(m['leakage_power_W'], 'W')} of it)"
                  if m.get("leakage_power_W") is not None else ""),
              f"    utilization      {m['utilization']:.3f}",
              f"    off-chip traffic {_si(m['offchip_bytes_per_inference'], 'B')} per inference",
              f"    cost             {_si(m['onchip_storage_bytes'], 'B')} on-chip storage, "
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
