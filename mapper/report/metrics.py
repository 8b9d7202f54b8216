"""The metric set of Sze et al. ("How to Evaluate Deep Neural Network Processors: TOPS/W (Alone)
Considered Harmful") for one evaluated layer: the one implementation that ``mapper model``,
``mapper search``, the network summary, the sweep's rows and ``mapper report`` all read.

A layer's record covers one run of the layer over its whole batch (``batch`` inferences):

- throughput and latency (§III-§IV): ``latency_s`` = cycles x seconds per cycle,
  ``inferences_per_s`` = batch / latency, ``macs_per_cycle`` = MACs / cycles;
- energy (§V): per inference, with the outermost level's (DRAM, off-chip) energy apart and the
  MAC vs data movement split of eq. (7) (energy = MAC energy + data movement energy, where data
  movement is every storage level and network); leakage is part of each level's energy;
- power = energy / latency (dynamic + leakage), with the leakage power apart;
- utilization (§VI, eq. 3) = active PEs / PEs x utilization of the active PEs, where the
  utilization of the active PEs is MACs / (active PEs x cycles); the product is the model's
  ``Evaluation.utilization`` (MACs / (PEs x cycles));
- cost (§VII): PEs, on-chip storage, area where the tables know it, and the off-chip bandwidth
  the mapping needs at the throughput it achieves (DRAM bytes / latency).

Without a clock, every time-based metric is ``None`` and latency is given in cycles (with
bytes per cycle for the bandwidth).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..model.perf import edp
from ..model.result import Evaluation
from ..spec.arch import Arch


@dataclass(frozen=True)
class Clock:
    """Seconds per cycle (``None``: the arch gives no clock) and where that came from."""
    cycle_s: float | None
    source: str

    @property
    def hz(self) -> float | None:
        return None if self.cycle_s is None else 1.0 / self.cycle_s


#: the arch attributes a clock is read from, with their scale to Hz (None: seconds per cycle)
CLOCK_KEYS = (("global_cycle_seconds", None), ("clock_hz", 1.0), ("clock_mhz", 1e6),
              ("clock_ghz", 1e9))


def clock_of(arch: Arch, arch_file: str | None = None) -> Clock:
    """Seconds per cycle from the arch's attributes (``global_cycle_seconds``, Accelergy's
    and Timeloop's name, or ``clock_hz``/``clock_mhz``/``clock_ghz``), top level first, then
    the storage levels outermost first; with where it came from."""
    where = f" in the attributes of {arch_file or arch.name}"
    for attrs in (arch.attributes, *(lv.attributes for lv in reversed(arch.storage))):
        for key, scale in CLOCK_KEYS:
            value = _number(attrs.get(key))
            if value is not None and value > 0:
                seconds = value if scale is None else 1.0 / (value * scale)
                return Clock(seconds, f"{key} = {value:g}{where} ({1e-6 / seconds:g} MHz)")
    return Clock(None, f"no clock: the arch gives no global_cycle_seconds (or clock_mhz) "
                       f"attribute{where}; latency and throughput are reported in cycles only")


def _number(value) -> float | None:
    """A number, or YAML 1.1's string for one (PyYAML reads ``1e-9`` as a string)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def technology_of(arch: Arch) -> str | None:
    """The technology node the arch declares (``technology`` attribute), if any."""
    for attrs in (arch.attributes, *(lv.attributes for lv in reversed(arch.storage)),
                  arch.compute.attributes):
        if attrs.get("technology") not in (None, ""):
            return str(attrs["technology"])
    return None


# -- what the arch gives: cost and roofs -------------------------------------------------------

def on_chip_bytes(arch: Arch) -> float:
    """Storage below the outermost level: capacity x word bits x instances / 8."""
    return sum(lv.capacity_words * lv.word_bits * lv.instances / 8
               for lv in arch.storage[:-1] if not lv.is_dummy and lv.depth is not None)


def dram_peak_bytes_per_cycle(arch: Arch) -> float | None:
    """The outermost level's bandwidth roof in bytes per cycle over all its instances: its
    shared bandwidth, else read + write bandwidth (words per cycle x word bits / 8); ``None``
    when the arch sets no bandwidth there (Timeloop: unlimited)."""
    lv = arch.storage[-1]
    if lv.shared_bandwidth is not None:
        words = lv.shared_bandwidth
    elif lv.read_bandwidth is None and lv.write_bandwidth is None:
        return None
    else:
        words = (lv.read_bandwidth or 0) + (lv.write_bandwidth or 0)
    return words * lv.word_bits / 8 * lv.instances


# -- what one mapping moves and spends ---------------------------------------------------------

def dram_bytes(ev: Evaluation, arch: Arch) -> dict[str, float]:
    """Bytes moved at the outermost level per data space (one run of the layer): (reads +
    fills + updates) x utilized instances x word bits / 8."""
    level, stats = arch.storage[-1], ev.storage[-1]
    return {name: (ds.reads_per_instance + ds.fills_per_instance + ds.updates_per_instance)
            * ds.utilized_instances * level.word_bits / 8
            for name, ds in stats.dataspaces.items()}


@dataclass(frozen=True)
class EnergyBreakdown:
    """pJ per level (compute level first, dummy levels left out; a level's energy is its data
    spaces' dynamic energy, its network's and its leakage), per level and data space (storage
    levels), and the leakage per level."""
    by_level: dict[str, float]
    by_dataspace: dict[str, dict[str, float]]
    leak_by_level: dict[str, float]


def energy_breakdown(ev: Evaluation, arch: Arch) -> EnergyBreakdown:
    dummy = {lv.name for lv in arch.storage if lv.is_dummy}
    levels = [lv for lv in (ev.compute, *ev.storage) if lv.name not in dummy]
    return EnergyBreakdown(
        {lv.name: lv.energy_pJ for lv in levels},
        {lv.name: {n: ds.energy_pJ for n, ds in lv.dataspaces.items()}
         for lv in ev.storage if lv.name not in dummy},
        {lv.name: lv.leak_energy_pJ for lv in levels})


# -- the rates a clock gives -------------------------------------------------------------------

@dataclass(frozen=True)
class Rates:
    """Cycles and energy turned into time-based metrics; all ``None`` without a clock."""
    latency_s: float | None
    inferences_per_s: float | None
    macs_per_s: float | None
    power_W: float | None              # dynamic + leakage
    leakage_power_W: float | None
    dram_GB_per_s: float | None         # the off-chip bandwidth needed at this throughput


def rates(*, macs: float, cycles: float, energy_pJ: float, leak_energy_pJ: float,
          dram_bytes: float, batch: int, cycle_s: float | None) -> Rates:
    """The one rule for a layer and a whole network alike (totals over layers in sequence)."""
    if cycle_s is None or not cycles:
        return Rates(None, None, None, None, None, None)
    latency = cycles * cycle_s
    return Rates(latency, batch / latency, macs / latency, energy_pJ * 1e-12 / latency,
                 leak_energy_pJ * 1e-12 / latency, dram_bytes / latency / 1e9)


# -- one layer ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerMetrics:
    """The metric set of one run of a layer over its batch (see the module's docstring)."""
    batch: int
    macs: int
    cycles: int
    cycle_s: float | None
    latency_s: float | None
    inferences_per_s: float | None
    macs_per_cycle: float
    macs_per_s: float | None
    energy_pJ: float
    leak_energy_pJ: float
    energy_per_inference_pJ: float
    pJ_per_mac: float
    mac_energy_pJ: float                 # eq. (7): the compute level
    data_movement_energy_pJ: float       # eq. (7): every storage level and network
    dram_level: str
    dram_energy_pJ: float
    dram_energy_per_inference_pJ: float
    edp_J_cycles: float
    power_W: float | None
    leakage_power_W: float | None
    pes: int
    active_pes: int
    active_pe_fraction: float            # eq. (3), first factor
    active_pe_utilization: float         # eq. (3), second factor
    utilization: float                   # their product
    dram_bytes_per_inference: float
    dram_bytes_per_cycle: float
    dram_GB_per_s: float | None
    dram_peak_bytes_per_cycle: float | None
    onchip_storage_bytes: float
    area_mm2: float | None
    area_missing: tuple[str, ...]
    dram_bytes_by_dataspace: dict[str, float] = field(default_factory=dict)
    energy_by_level: dict[str, float] = field(default_factory=dict)
    energy_by_dataspace: dict[str, dict[str, float]] = field(default_factory=dict)
    leak_energy_by_level: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["area_missing"] = list(self.area_missing)
        return d


def layer_metrics(ev: Evaluation, arch: Arch, cycle_s: float | None,
                  batch: int) -> LayerMetrics:
    """The metric set of one evaluated mapping (one run of the layer over ``batch``)."""
    traffic = dram_bytes(ev, arch)
    total_bytes = sum(traffic.values())
    energy = energy_breakdown(ev, arch)
    r = rates(macs=ev.computes, cycles=ev.cycles, energy_pJ=ev.energy_pJ,
              leak_energy_pJ=ev.leak_energy_pJ, dram_bytes=total_bytes, batch=batch,
              cycle_s=cycle_s)
    pes, active = arch.compute.instances, ev.compute.utilized_instances
    dram = arch.storage[-1].name
    dram_pJ = ev.storage[-1].energy_pJ
    mac_pJ = ev.compute.energy_pJ
    return LayerMetrics(
        batch=batch, macs=ev.computes, cycles=ev.cycles, cycle_s=cycle_s,
        latency_s=r.latency_s, inferences_per_s=r.inferences_per_s,
        macs_per_cycle=ev.computes / ev.cycles if ev.cycles else 0.0,
        macs_per_s=r.macs_per_s, energy_pJ=ev.energy_pJ, leak_energy_pJ=ev.leak_energy_pJ,
        energy_per_inference_pJ=ev.energy_pJ / batch,
        pJ_per_mac=ev.energy_pJ / ev.computes if ev.computes else 0.0,
        mac_energy_pJ=mac_pJ, data_movement_energy_pJ=ev.energy_pJ - mac_pJ,
        dram_level=dram, dram_energy_pJ=dram_pJ, dram_energy_per_inference_pJ=dram_pJ / batch,
        edp_J_cycles=edp(ev.energy_pJ, ev.cycles), power_W=r.power_W,
        leakage_power_W=r.leakage_power_W, pes=pes, active_pes=active,
        active_pe_fraction=active / pes,
        active_pe_utilization=ev.computes / (active * ev.cycles) if active and ev.cycles
        else 0.0,
        utilization=ev.utilization,
        dram_bytes_per_inference=total_bytes / batch,
        dram_bytes_per_cycle=total_bytes / ev.cycles if ev.cycles else 0.0,
        dram_GB_per_s=r.dram_GB_per_s, dram_peak_bytes_per_cycle=dram_peak_bytes_per_cycle(arch),
        onchip_storage_bytes=on_chip_bytes(arch),
        area_mm2=ev.area_um2 / 1e6 if ev.area_um2 else None, area_missing=ev.area_missing,
        dram_bytes_by_dataspace=traffic, energy_by_level=energy.by_level,
        energy_by_dataspace=energy.by_dataspace, leak_energy_by_level=energy.leak_by_level)


def layer_batch(workload) -> int:
    """The batch of a single layer: its ``N`` bound (1 when it has no ``N``)."""
    return int(workload.bounds.get("N", 1)) if "N" in workload.dims else 1


# -- text ------------------------------------------------------------------------------------

def si(x: float | None, unit: str) -> str:
    """``x`` with an SI prefix (``-`` for None)."""
    if x is None:
        return "-"
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""),
                          (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p")):
        if abs(x) >= scale:
            return f"{x / scale:.4g} {prefix}{unit}"
    return f"{x:.3g} {unit}"


def format_metrics(m: LayerMetrics, clock: Clock) -> list[str]:
    """The metric set as the lines ``mapper model`` and ``mapper search`` print."""
    if m.latency_s is not None:
        lat = f"{si(m.latency_s, 's')} ({m.cycles:,} cycles), batch {m.batch}"
        thr = (f"{si(m.inferences_per_s, 'inferences/s')}, {m.macs_per_cycle:.4g} MACs/cycle "
               f"({si(m.macs_per_s, 'MAC/s')})")
        power = (f"{si(m.power_W, 'W')} (dynamic {si(m.power_W - m.leakage_power_W, 'W')}, "
                 f"leakage {si(m.leakage_power_W, 'W')})")
        bw = f"{m.dram_GB_per_s:.4g} GB/s off-chip ({m.dram_bytes_per_cycle:.4g} B/cycle)"
    else:
        lat = f"{m.cycles:,} cycles (no clock: {clock.source}), batch {m.batch}"
        thr = f"{m.macs_per_cycle:.4g} MACs/cycle (no clock: no inferences/s)"
        power = "- (no clock)"
        bw = f"{m.dram_bytes_per_cycle:.4g} B/cycle off-chip (no clock: no GB/s)"
    cost = f"{m.pes} PEs, {si(m.onchip_storage_bytes, 'B')} on-chip storage, {bw}"
    if m.area_mm2 is not None:
        cost += f", {m.area_mm2:.4g} mm^2"
    if m.area_missing:
        cost += f" (no area known for {', '.join(m.area_missing)})"
    return [f"  latency      {lat}",
            f"  throughput   {thr}",
            f"  energy/inf.  {si(m.energy_per_inference_pJ * 1e-12, 'J')} "
            f"({m.pJ_per_mac:.3f} pJ/MAC; {m.dram_level} "
            f"{si(m.dram_energy_per_inference_pJ * 1e-12, 'J')}, "
            f"{si(m.dram_bytes_per_inference, 'B')} per inference)",
            f"  power        {power}",
            f"  utilization  {m.utilization:.3f} = {m.active_pe_fraction:.3f} active PEs "
            f"({m.active_pes} of {m.pes}) x {m.active_pe_utilization:.3f} utilization of "
            f"the active PEs",
            f"  cost         {cost}"]


def setup_record(arch: Arch, clock: Clock, energy_source: str, layer: str) -> dict[str, Any]:
    """The test set-up a result was obtained under (the ``setup`` block of stats.json): modelled
    by the analytical model, not measured; technology node; clock; where the energies came
    from."""
    return {"modelled": "analytical model (Timeloop's rules), not measured on silicon",
            "arch": arch.name, "layer": layer, "technology": technology_of(arch),
            "clock": {"cycle_s": clock.cycle_s, "source": clock.source},
            "energy_source": energy_source}
