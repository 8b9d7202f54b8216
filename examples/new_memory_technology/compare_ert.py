"""The ERT of an Eyeriss-like accelerator with an SRAM global buffer and with an MRAM one.

Run from the repository root: ``python examples/new_memory_technology/compare_ert.py``
(``--report`` also prints where every number came from). The MRAM numbers come from
``tables/mram_glb.yaml``, a table file on the search path: no code knows about MRAM.
"""
from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from energy import Component, EstimationWarning, estimate_tables

HERE = Path(__file__).resolve().parent


def eyeriss_like(glb_class: str) -> list[Component]:
    """Eyeriss-like levels (the Timeloop/Accelergy exercises' eyeriss_like) at 65 nm."""
    t = {"technology": "65nm"}
    spad = {"width": 16, "datawidth": 16, **t}
    return [
        Component("DRAM", "DRAM", {"type": "LPDDR4", "width": 64, "datawidth": 16}),
        Component("shared_glb", glb_class, {"depth": 16384, "width": 64, "datawidth": 16,
                                            "n_banks": 32, **t}),
        Component("ifmap_spad", "smartbuffer_RF", {"depth": 12, **spad}, instances=168),
        Component("weights_spad", "smartbuffer_RF", {"depth": 192, **spad}, instances=168),
        Component("psum_spad", "smartbuffer_RF", {"depth": 16, **spad}, instances=168),
        Component("mac", "intmac", {"datawidth": 16, **t}, instances=168),
    ]


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--report", action="store_true", help="print the provenance reports")
    opts = args.parse_args(argv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EstimationWarning)
        sram, sram_report = estimate_tables(eyeriss_like("smartbuffer_SRAM"))
        mram, mram_report = estimate_tables(eyeriss_like("MRAM"), search_path=[HERE / "tables"])
    print(f"{'component':<14}{'action':<9}{'SRAM glb':>12}{'MRAM glb':>12}{'ratio':>8}  "
          f"estimator (MRAM run)")
    for rec in mram_report.records:
        base = (sram.area(rec.component) if rec.action == "area"
                else sram.energy(rec.component, rec.action))
        new = rec.value
        ratio = f"{new / base:.2f}" if base and new is not None else "-"
        fmt = lambda v: "-" if v is None else f"{v:.4g}"
        print(f"{rec.component:<14}{rec.action:<9}{fmt(base):>12}{fmt(new):>12}{ratio:>8}  "
              f"{rec.estimator}")
    print("(pJ per action; area in um^2; '-' = no estimator supplies it, left out, not zero)")
    if opts.report:
        print("\nSRAM baseline:\n" + sram_report.format())
        print("\nMRAM:\n" + mram_report.format())
    for w in caught:
        print(f"warning: {w.message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
