"""``stats.txt``: the human-readable per-level, per-data-space statistics of one mapping.

Laid out like Timeloop's stats (levels innermost first, the same figure names) so that a
Timeloop user finds every number where they expect it, followed by the summary metrics of
Sze et al. (throughput, latency, energy per MAC and its breakdown, utilization, off-chip
traffic), not TOPS/W alone.
"""
from __future__ import annotations

from ..model.result import Evaluation
from ..spec.arch import Arch
from ..spec.workload import Workload
from .metrics import layer_batch, layer_metrics


def _num(x: float | None, unit: str = "") -> str:
    if x is None:
        return "-"
    return f"{x:.2f}{unit}"


def format_stats_txt(arch: Arch, workload: Workload, ev: Evaluation,
                     cycle_s: float | None = None) -> str:
    out: list[str] = []
    w = out.append
    w("Buffer and Arithmetic Levels")
    w("----------------------------")
    mac = ev.compute
    w("Level 0")
    w("-------")
    w(f"=== {mac.name} ===")
    w("")
    w("    SPECS")
    w("    -----")
    w(f"    Instances             : {arch.compute.instances} "
      f"({arch.compute.mesh_x}*{arch.compute.mesh_y})")
    w(f"    Compute energy        : "
      f"{_num(mac.dynamic_energy_pJ / mac.computes if mac.computes else 0)} pJ")
    w("")
    w("    STATS")
    w("    -----")
    w(f"    Utilized instances      : {mac.utilized_instances}")
    w(f"    Computes (total)        : {mac.computes}")
    w(f"    Cycles                  : {mac.cycles}")
    w(f"    Energy (total)          : {mac.energy_pJ:.2f} pJ")
    w(f"    Leakage energy (total)  : {mac.leak_energy_pJ:.2f} pJ")
    w(f"    Area (total)            : {mac.area_um2:.2f} um^2")
    w("")
    for k, (level, stats) in enumerate(zip(arch.storage, ev.storage)):
        w(f"Level {k + 1}")
        w("-" * len(f"Level {k + 1}"))
        w(f"=== {level.name} ===")
        w("")
        w("    SPECS")
        w("    -----")
        size = level.capacity_words
        rows = [
            ("Class", level.component_class),
            ("Size", size if size is not None else "-"),
            ("Word bits", level.word_bits),
            ("Block size", level.block_size),
            ("Instances", f"{level.instances} ({level.mesh_x}*{level.mesh_y})"),
            ("Fan-out", "{}x{}".format(*arch.fanout(k))),
            ("Read bandwidth", _num(level.read_bandwidth)),
            ("Write bandwidth", _num(level.write_bandwidth)),
            ("Shared bandwidth", _num(level.shared_bandwidth)),
            ("Multiple buffering", f"{level.multiple_buffering:.2f}"),
            ("Area (total)", f"{stats.area_um2:.2f} um^2"),
        ]
        for name, value in rows:
            w(f"        {name:<27} : {value}")
        w("")
        w("    STATS")
        w("    -----")
        w(f"    Cycles               : {stats.cycles}")
        w(f"    Bandwidth throttling : {stats.bandwidth_throttling:.2f}")
        w(f"    Leakage energy (total) : {stats.leak_energy_pJ:.2f} pJ")
        for ds_name, ds in stats.dataspaces.items():
            w(f"    {ds_name}:")
            total = ds.utilized_instances
            for label, value in (
                    ("Partition size", ds.partition_size),
                    ("Utilized capacity", ds.utilized_capacity),
                    ("Utilized instances (max)", ds.utilized_instances),
                    ("Scalar reads (per-instance)", ds.reads_per_instance),
                    ("Scalar updates (per-instance)", ds.updates_per_instance),
                    ("Scalar fills (per-instance)", ds.fills_per_instance),
                    ("Temporal reductions (per-instance)", ds.temporal_reductions_per_instance),
                    ("Scalar reads (total)", ds.reads_per_instance * total),
                    ("Scalar updates (total)", ds.updates_per_instance * total),
                    ("Scalar fills (total)", ds.fills_per_instance * total),
                    ("Energy (per-instance)", f"{ds.energy_pJ / total:.2f} pJ" if total else "-"),
                    ("Energy (total)", f"{ds.energy_pJ:.2f} pJ")):
                w(f"        {label:<40} : {value}")
        w("")
    out.extend(format_summary(arch, workload, ev, cycle_s))
    return "\n".join(out) + "\n"


def format_summary(arch: Arch, workload: Workload, ev: Evaluation,
                   cycle_s: float | None = None) -> list[str]:
    """The summary block: the metric set of Sze et al. (:mod:`mapper.report.metrics`), not
    TOPS/W alone."""
    m = layer_metrics(ev, arch, cycle_s, layer_batch(workload))
    lines = ["Summary Stats", "-------------"]
    w = lines.append
    w(f"Valid: {'yes' if ev.valid else 'NO: ' + '; '.join(ev.violations)}")
    w(f"MACs: {workload.macs}")
    w(f"Cycles: {ev.cycles}")
    if m.latency_s is not None:
        w(f"Latency: {m.latency_s * 1e3:.6f} ms at {1e-9 / cycle_s:g} GHz (batch {m.batch})")
        w(f"Throughput: {m.inferences_per_s:.6g} inferences/s, "
          f"{m.macs_per_s / 1e9:.2f} GMAC/s ({m.macs_per_cycle:.2f} MACs/cycle)")
        w(f"Power: {m.power_W:.6g} W (leakage {m.leakage_power_W:.6g} W)")
    else:
        w(f"Throughput: {m.macs_per_cycle:.2f} MACs/cycle (no clock: latency in cycles only)")
    w(f"Energy: {ev.energy_pJ / 1e6:.2f} uJ (dynamic {ev.dynamic_energy_pJ / 1e6:.2f} uJ, "
      f"leakage {ev.leak_energy_pJ / 1e6:.2f} uJ"
      + (f"; no leakage figure for {', '.join(ev.leak_missing)}" if ev.leak_missing else "")
      + ")")
    w(f"EDP(J*cycle): {ev.edp:.3e}")
    w(f"Utilization: {ev.utilization:.2f} (= active PEs {m.active_pes} of {m.pes} "
      f"({m.active_pe_fraction:.2f}) x utilization of the active PEs "
      f"{m.active_pe_utilization:.2f})")
    w(f"Area: {ev.area_um2 / 1e6:.4f} mm^2")
    w(f"Off-chip traffic ({m.dram_level}): {m.dram_bytes_per_inference * m.batch:.0f} bytes"
      + (f" ({m.dram_GB_per_s:.4g} GB/s needed)" if m.dram_GB_per_s is not None else
         f" ({m.dram_bytes_per_cycle:.4g} bytes/cycle needed)"))
    w(f"On-chip storage: {m.onchip_storage_bytes:.0f} bytes")
    w(f"MAC instances: {arch.compute.instances}")
    w("")
    w("pJ/MAC (dynamic + leakage)")
    rows = [(lv.name, lv.energy_pJ, lv.leak_energy_pJ) for lv in (ev.compute, *ev.storage)]
    width = max(len(n) for n, _, _ in rows)
    for name, e, leak in rows:
        w(f"    {name:<{width}} = {e / ev.computes:.5f}"
          + (f" (leakage {leak / ev.computes:.5f})" if leak else ""))
    w(f"    {'Total':<{width}} = {ev.energy_pJ / ev.computes:.5f}"
      + (f" (leakage {ev.leak_energy_pJ / ev.computes:.5f})" if ev.leak_energy_pJ else ""))
    return lines
