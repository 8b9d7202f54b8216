"""Regenerate the new-memory-technology example tables from NVSim runs.

    python tools/nvsim_table.py --nvsim PATH/TO/nvsim [--node 65] [--outdir DIR]

NVSim (https://github.com/SEAL-UCSB/NVSim, commit 6334d00; X. Dong, C. Xu, Y. Xie, N. P. Jouppi,
"NVSim: A Circuit-Level Performance, Energy, and Area Model for Emerging Nonvolatile Memory",
IEEE TCAD 31(7), 2012, doi:10.1109/TCAD.2012.2185930) is not part of this project: build it
(`make CXXFLAGS="-std=c++11 -O1"`) and point --nvsim at the binary. Its sample memory cells are
used as they are distributed with it: `sample_STTRAM.cell` (1T1MTJ, 54 F^2), `sample_RRAM.cell`
(a 4 F^2 cross-point cell without access device) and `SRAM.cell` (6T, 146 F^2); they are NVSim's
examples, not a particular product. Each is run as a RAM of 128 KiB (the example's global
buffer; --capacities for more) with 64-bit words at one node, ITRS low-standby-power periphery (LSTP), optimised for read energy-delay product,
and the script keeps read and write energy per access, leakage, area and read and write
latency. It writes, in --outdir:

- `nvm_nvsim_<node>nm.csv`: an energy table (classes STT_MRAM and RRAM) for `--energy-tables`,
- `nvsim_<node>nm_latency.csv`: every run's latencies and all its figures, SRAM included, for
  the comparison script (latency is not an ERT figure).
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTDIR = ROOT / "examples" / "new_memory_technology"
CELLS = {"STT_MRAM": "sample_STTRAM.cell", "RRAM": "sample_RRAM.cell", "SRAM": "SRAM.cell"}
CAPACITIES_KB = (128,)
WORD_BITS = 64

CONFIG = """\
-DesignTarget: RAM
-OptimizationTarget: ReadEDP
-EnablePruning: Yes
-ProcessNode: {node}
-Capacity (KB): {kb}
-WordWidth (bit): {word}
-DeviceRoadmap: LSTP
-LocalWireType: LocalAggressive
-LocalWireRepeaterType: RepeatedNone
-LocalWireUseLowSwing: No
-GlobalWireType: GlobalAggressive
-GlobalWireRepeaterType: RepeatedNone
-GlobalWireUseLowSwing: No
-Routing: H-tree
-InternalSensing: true
-MemoryCellInputFile: {cell}
-Temperature (K): 350
-BufferDesignOptimization: latency
"""

UNITS = {"pJ": 1.0, "nJ": 1e3, "fJ": 1e-3, "uW": 1.0, "mW": 1e3, "nW": 1e-3, "W": 1e6,
         "ns": 1.0, "ps": 1e-3, "us": 1e3, "um^2": 1.0, "mm^2": 1e6}
FIELDS = {"read_energy": r"-  Read Dynamic Energy = ([0-9.]+)(pJ|nJ|fJ)",
          "write_energy": r"- Write Dynamic Energy = ([0-9.]+)(pJ|nJ|fJ)",
          "leak_power": r"- Leakage Power = ([0-9.]+)(uW|mW|nW|W)",
          "area": r"- Total Area = .* = ([0-9.]+)(um\^2|mm\^2)",
          "read_ns": r"-  Read Latency = ([0-9.]+)(ns|ps|us)",
          "write_ns": r"- Write Latency = ([0-9.]+)(ns|ps|us)"}


def run(nvsim: Path, cell: str, kb: int, node: int) -> dict[str, float]:
    text = CONFIG.format(node=node, kb=kb, word=WORD_BITS, cell=nvsim.parent / cell)
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write(text)
        cfg = f.name
    try:
        out = subprocess.run([str(nvsim), cfg], cwd=nvsim.parent, capture_output=True,
                             text=True, timeout=1800).stdout
    finally:
        Path(cfg).unlink()
    found = {}
    for key, pattern in FIELDS.items():
        m = re.search(pattern, out)
        if m is None:
            raise SystemExit(f"NVSim gave no {key} for {cell} {kb} KB {node} nm")
        found[key] = float(m.group(1)) * UNITS[m.group(2)]
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nvsim", type=Path, required=True, help="the nvsim binary")
    ap.add_argument("--node", type=int, default=65)
    ap.add_argument("--capacities", default=",".join(map(str, CAPACITIES_KB)),
                    help="KiB, comma-separated (each run takes minutes)")
    ap.add_argument("--outdir", type=Path, default=OUTDIR)
    args = ap.parse_args()
    nvsim = args.nvsim.resolve()
    capacities = [int(c) for c in args.capacities.split(",")]
    results = {(name, kb): run(nvsim, cell, kb, args.node)
               for name, cell in CELLS.items() for kb in capacities}
    head = (f"# name: nvm_nvsim_{args.node}nm\n"
            f"# source: \"NVSim (SEAL-UCSB/NVSim 6334d00; Dong, Xu, Xie, Jouppi, IEEE TCAD 31(7), "
            f"2012) with its sample cells sample_STTRAM.cell (1T1MTJ, 54 F^2) and "
            f"sample_RRAM.cell (4 F^2 cross-point, no access device): RAM, {WORD_BITS}-bit words, "
            f"{args.node} nm, LSTP periphery, read-EDP optimised (tools/nvsim_table.py)\"\n"
            f"# accuracy: 90\n# technology: {args.node}nm\n"
            f"# classes: [{{name: STT_MRAM, kind: storage, aliases: [MRAM, stt_ram]}}, "
            f"{{name: RRAM, kind: storage, aliases: [ReRAM]}}]\n"
            f"# interpolate: {{capacity_bytes: log}}\n"
            f"# extrapolate: {{capacity_bytes: {{energy: 0.5, leak: 1.0, area: 1.0}}, "
            f"width: {{energy: 1.0, leak: 0.0, area: 0.0}}}}\n"
            f"# extrapolation_source: \"other capacities as CACTI's SRAM rows scale "
            f"(energy/tables/sram_cacti7.csv); other widths than 64 bits in proportion to the "
            f"bits accessed\"\n"
            "class,capacity_bytes,width,read_energy,write_energy,leak_power,area")
    energy = [head] + [f"{name},{kb * 1024},{WORD_BITS},{r['read_energy']:.6g},"
                       f"{r['write_energy']:.6g},{r['leak_power']:.6g},{r['area']:.6g}"
                       for (name, kb), r in results.items() if name != "SRAM"]
    latency = ["technology,capacity_bytes,width,read_energy_pJ,write_energy_pJ,leak_power_uW,"
               "area_um2,read_ns,write_ns"] + [
        f"{name},{kb * 1024},{WORD_BITS},{r['read_energy']:.6g},{r['write_energy']:.6g},"
        f"{r['leak_power']:.6g},{r['area']:.6g},{r['read_ns']:.4g},{r['write_ns']:.4g}"
        for (name, kb), r in results.items()]
    args.outdir.joinpath("tables").mkdir(parents=True, exist_ok=True)
    (args.outdir / "tables" / f"nvm_nvsim_{args.node}nm.csv").write_text("\n".join(energy) + "\n")
    (args.outdir / f"nvsim_{args.node}nm_latency.csv").write_text("\n".join(latency) + "\n")
    print(f"wrote {args.outdir}/tables/nvm_nvsim_{args.node}nm.csv and "
          f"{args.outdir}/nvsim_{args.node}nm_latency.csv", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
