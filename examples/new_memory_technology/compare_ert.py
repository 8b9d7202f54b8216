"""The Eyeriss-like accelerator with an SRAM, an STT-MRAM or an RRAM global buffer: energy per
access, static power, area and latency of the buffer, and the energy of one mapping.

Run from the repository root: ``python examples/new_memory_technology/compare_ert.py``.
The three arch files differ only in the buffer's class. SRAM comes from the built-in CACTI table;
STT-MRAM and RRAM from ``tables/nvm_nvsim_65nm.csv`` (NVSim's sample cells), which
``arch_mram.yaml`` and ``arch_rram.yaml`` put on the search path: no code knows them. The
latencies are NVSim's runs of all three cells (``nvsim_65nm_latency.csv``); the model's cycles
do not use them (the arch's bandwidths decide cycles).
"""
from __future__ import annotations

import csv
from pathlib import Path

from mapper import api

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "eyeriss_like"
TECHS = {"sram": "SRAM", "mram": "STT_MRAM", "rram": "RRAM"}


def main() -> None:
    runs = {name: api.load([HERE / f"arch_{name}.yaml", EXAMPLE / "problem.yaml",
                            EXAMPLE / "map.yaml"]) for name in TECHS}
    print("global buffer, 128 KiB, 64-bit access, 65 nm:")
    print(f"  {'':<16}" + "".join(f"{TECHS[n]:>12}" for n in runs) + "  (STT-MRAM/RRAM from)")
    rows = [("read, pJ", "read"), ("write, pJ", "write"), ("leak, pJ/cycle", "leak"),
            ("area, mm^2", None)]
    for label, action in rows:
        cells = []
        for spec in runs.values():
            v = spec.tables.area("shared_glb") / 1e6 if action is None else \
                spec.tables.energy("shared_glb", action)
            cells.append(f"{v:>12.4g}")
        who = runs["mram"].energy_report.get("shared_glb", action or "area").estimator
        print(f"  {label:<16}" + "".join(cells) + f"  {who}")
    latency = {r["technology"]: r for r in csv.DictReader(
        (HERE / "nvsim_65nm_latency.csv").read_text().splitlines())}
    for label, key in (("read latency, ns", "read_ns"), ("write latency, ns", "write_ns")):
        print(f"  {label:<16}" + "".join(f"{float(latency[t][key]):>12.4g}"
                                         for t in TECHS.values()) + "  NVSim (all three)")
    print("  (SRAM's energies and area: CACTI 7, energy/tables/sram_cacti7.csv, 32 banks; "
          "its latency: NVSim's SRAM cell)")
    print("\nenergy of the example mapping (resnet18 3x3 conv, C=M=512), uJ "
          "(dynamic + leakage):")
    evs = {name: api.evaluate(spec) for name, spec in runs.items()}
    print(f"  {'':<24}" + "".join(f"{TECHS[n]:>12}" for n in evs))
    names = [lv.name for lv in evs["sram"].levels.values()]
    for name in names:
        if all(ev.levels[name].energy_pJ == 0 for ev in evs.values()):
            continue
        print(f"  {name:<24}" + "".join(f"{ev.levels[name].energy_pJ / 1e6:>12.2f}"
                                        for ev in evs.values()))
    print(f"  {'  of it glb leakage':<24}" + "".join(
        f"{ev.levels['shared_glb'].leak_energy_pJ / 1e6:>12.2f}" for ev in evs.values()))
    print(f"  {'total':<24}" + "".join(f"{ev.energy_pJ / 1e6:>12.2f}" for ev in evs.values()))
    print(f"  {'area of the chip, mm^2':<24}" + "".join(f"{ev.area_um2 / 1e6:>12.3f}"
                                                      for ev in evs.values()))


if __name__ == "__main__":
    main()
