"""Regenerate energy/tables/sram_cacti7.csv: SRAM energy, leakage and area from CACTI 7.

    python tools/cacti_sram_table.py --cacti PATH/TO/cacti [--nodes 32,45,65] [-o FILE]

CACTI 7.0 (https://github.com/HewlettPackard/cacti, commit 1ffd8df; N. Muralimanohar,
R. Balasubramonian, N. P. Jouppi, "CACTI 6.0", HP Labs HPL-2009-85; R. Balasubramonian et al.,
"CACTI 7: New Tools for Interconnect Exploration in Innovative Off-Chip Memories", ACM TACO
14(2), 2017) is not part of this project: build it (`make`) and point --cacti at the binary.
For every grid point this script writes a CACTI configuration of a scratchpad RAM (`cache type
"ram"`, associativity 1, no tags, no ECC), one bank count and read-write port count, block size
= width / 8 bytes, ITRS low-standby-power cells and periphery (`itrs-lstp`, the cell type
Accelergy's CACTI plug-in uses), 360 K, and CACTI's default optimisation (ED^2, the sample
cache.cfg's objective and deviation), runs CACTI, and keeps:

- read and write energy per access (CACTI's "Total dynamic read/write energy per access"),
- leakage: "Total leakage power of a bank" x banks,
- area: "Cache height x width".

Grid points CACTI rejects (too few rows for the banks, ...) are left out. The table is data:
the estimator interpolates it (energy/tables/README.md) and the tests check rows against it.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "energy" / "tables" / "sram_cacti7.csv"

CAPACITIES = [2 ** k for k in range(6, 23)]          # 64 B .. 4 MiB
WIDTHS = [8, 16, 32, 64, 128, 256, 512]               # bits per access
BANKS = [1, 2, 4, 8, 16, 32]
PORTS = [1, 2]                                        # read-write ports

CONFIG = """\
-size (bytes) {size}
-block size (bytes) {block}
-associativity 1
-read-write port {ports}
-exclusive read port 0
-exclusive write port 0
-single ended read ports 0
-UCA bank count {banks}
-technology (u) {tech}
-page size (bits) 8192
-burst length 8
-internal prefetch width 8
-Data array cell type - "itrs-lstp"
-Data array peripheral type - "itrs-lstp"
-Tag array cell type - "itrs-lstp"
-Tag array peripheral type - "itrs-lstp"
-output/input bus width {bus}
-operating temperature (K) 360
-cache type "ram"
-tag size (b) "default"
-access mode (normal, sequential, fast) - "normal"
-design objective (weight delay, dynamic power, leakage power, cycle time, area) 0:0:0:100:0
-deviate (delay, dynamic power, leakage power, cycle time, area) 20:100000:100000:100000:100000
-NUCAdesign objective (weight delay, dynamic power, leakage power, cycle time, area) 100:100:0:0:100
-NUCAdeviate (delay, dynamic power, leakage power, cycle time, area) 10:10000:10000:10000:10000
-Optimize ED or ED^2 (ED, ED^2, NONE): "ED^2"
-Cache model (NUCA, UCA)  - "UCA"
-NUCA bank count 0
-Wire signaling (fullswing, lowswing, default) - "Global_30"
-Wire inside mat - "semi-global"
-Wire outside mat - "semi-global"
-Interconnect projection - "conservative"
-Core count 8
-Cache level (L2/L3) - "L3"
-Add ECC - "false"
-Print level (DETAILED, CONCISE) - "DETAILED"
-Print input parameters - "false"
-Force cache config - "false"
-Ndwl 1
-Ndbl 1
-Nspd 0
-Ndcm 1
-Ndsam1 0
-Ndsam2 0
-Array Power Gating - "false"
-WL Power Gating - "false"
-CL Power Gating - "false"
-Bitline floating - "false"
-Interconnect Power Gating - "false"
-Power Gating Performance Loss 0.01
"""

FIELDS = {
    "read": r"Total dynamic read energy per access \(nJ\): ([0-9.e+-]+)",
    "write": r"Total dynamic write energy per access \(nJ\): ([0-9.e+-]+)",
    "leak": r"Total leakage power of a bank \(mW\): ([0-9.e+-]+)",
    "height": r"Cache height x width \(mm\): ([0-9.e+-]+) x",
    "width": r"Cache height x width \(mm\): [0-9.e+-]+ x ([0-9.e+-]+)",
}

HEADER = """\
# name: sram_cacti7
# source: "CACTI 7.0 (HewlettPackard/cacti 1ffd8df; Balasubramonian et al., ACM TACO 14(2), 2017; Muralimanohar et al., HP Labs HPL-2009-85): scratchpad RAM, itrs-lstp cells and periphery, 360 K, ED^2 optimisation; one row per grid point as CACTI printed it (tools/cacti_sram_table.py regenerates the file)"
# derivation: "read/write energy = CACTI's total dynamic energy per access (pJ); leak_power = CACTI's total leakage power of a bank x banks (uW; Accelergy's CACTI plug-in takes CACTI's standby leakage instead, several times lower); area = CACTI's height x width (um^2)"
# accuracy: 80
# interpolate: {capacity_bytes: log, width: log, n_banks: log, n_rw_ports: linear}
# extrapolate: {capacity_bytes: {energy: 0.5, leak: 1.0, area: 1.0}, width: {energy: 0.9, leak: 0.0, area: 0.1}, n_banks: 0.0, n_rw_ports: {energy: 1.0, leak: 0.25, area: 1.0}}
# extrapolation_source: "the slopes of this table's own rows in log-log (45 nm): capacity 1 -> 4 MiB, 64 and 256 bits: energy 0.47-0.53, leakage 0.98-1.0, area 0.94; width 256 -> 512 bits at 4 MiB: energy 0.85-0.95, leakage 0, area 0.07; 2 read-write ports over 1: median energy x2.2, area x2.1, leakage x1.2; banks: the nearest bank count CACTI accepts"
# voltage: 0.8
"""
COLUMNS = ("class,technology,capacity_bytes,width,n_banks,n_rw_ports,"
           "read_energy,write_energy,leak_power,area")


def run_cacti(cacti: Path, tech_nm: int, size: int, width: int, banks: int,
              ports: int) -> dict[str, float] | None:
    text = CONFIG.format(size=size, block=width // 8, ports=ports, banks=banks,
                         tech=tech_nm / 1000, bus=width)
    # CACTI reads its external-IO parameters even for a RAM: keep the sample file's defaults
    sample = (cacti.parent / "cache.cfg").read_text().splitlines()
    start = next(i for i, line in enumerate(sample) if line.startswith("-dram_type"))
    text += "\n".join(line for line in sample[start:] if line.startswith("-")) + "\n"
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write(text)
        cfg = f.name
    try:
        out = subprocess.run([str(cacti), "-infile", cfg], cwd=cacti.parent,
                             capture_output=True, text=True, timeout=600).stdout
    except subprocess.TimeoutExpired:
        return None
    finally:
        Path(cfg).unlink()
    found = {}
    for key, pattern in FIELDS.items():
        m = re.search(pattern, out)
        if m is None:
            return None
        found[key] = float(m.group(1))
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cacti", type=Path, required=True, help="the cacti binary")
    ap.add_argument("--nodes", default="32,45,65", help="technology nodes in nm")
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args()
    cacti = args.cacti.resolve()
    if not cacti.is_file():
        ap.error(f"--cacti {cacti}: no such file")
    lines = [HEADER.rstrip("\n"), COLUMNS]
    for node in (int(n) for n in args.nodes.split(",")):
        for size in CAPACITIES:
            for width in WIDTHS:
                if size * 8 < width * 4:                     # fewer than 4 rows
                    continue
                for banks in BANKS:
                    if size // banks < 64:
                        continue
                    for ports in PORTS:
                        r = run_cacti(cacti, node, size, width, banks, ports)
                        if r is None:
                            print(f"{node} nm {size} B x{width} b {banks} banks {ports} ports: "
                                  f"CACTI gave no result", file=sys.stderr)
                            continue
                        lines.append(
                            f"SRAM,{node}nm,{size},{width},{banks},{ports},"
                            f"{r['read'] * 1e3:.6g},{r['write'] * 1e3:.6g},"
                            f"{r['leak'] * banks * 1e3:.6g},"
                            f"{r['height'] * r['width'] * 1e6:.6g}")
            print(f"{node} nm {size} B done", file=sys.stderr, flush=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 2} rows to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
