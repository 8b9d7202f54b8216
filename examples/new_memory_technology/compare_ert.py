"""ERT and energy of one mapping on the Eyeriss-like accelerator: SRAM vs MRAM global buffer.

Run from the repository root: ``python examples/new_memory_technology/compare_ert.py``.
Both arch files are the same but for the buffer's class; the MRAM numbers come from
``tables/mram_glb.yaml``, which ``arch_mram.yaml`` puts on the search path. No code knows MRAM.
"""
from __future__ import annotations

from pathlib import Path

from mapper import api

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "eyeriss_like"
ACTIONS = ("read", "write", "update")


def main() -> None:
    runs = {name: api.load([HERE / f"arch_{name}.yaml", EXAMPLE / "problem.yaml",
                            EXAMPLE / "map.yaml"]) for name in ("sram", "mram")}
    sram, mram = runs["sram"], runs["mram"]
    print(f"{'component':<12} {'action':<7} {'SRAM glb':>10} {'MRAM glb':>10} {'ratio':>6}  "
          f"estimator (MRAM run)")
    for comp in ("shared_glb", "DRAM", "mac"):
        for action in ACTIONS + ("compute",):
            a, b = sram.tables.energy(comp, action), mram.tables.energy(comp, action)
            if a is None and b is None:
                continue
            who = mram.energy_report.get(comp, action).estimator
            print(f"{comp:<12} {action:<7} {a:>10.4g} {b:>10.4g} {b / a:>6.2f}  {who}")
    print("\nenergy of the example mapping (resnet18 3x3 conv, C=M=512) per level, uJ:")
    evs = {name: api.evaluate(spec) for name, spec in runs.items()}
    for lv_s, lv_m in zip(evs["sram"].levels.values(), evs["mram"].levels.values()):
        print(f"  {lv_s.name:<24} {lv_s.energy_pJ / 1e6:>9.2f} {lv_m.energy_pJ / 1e6:>9.2f}")
    print(f"  {'total':<24} {evs['sram'].energy_pJ / 1e6:>9.2f} {evs['mram'].energy_pJ / 1e6:>9.2f}")


if __name__ == "__main__":
    main()
