"""The new-memory-technology example runs as its README says and shows the buffers' difference."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "new_memory_technology"


def test_example_runs_and_shows_the_three_buffers():
    out = subprocess.run([sys.executable, "examples/new_memory_technology/compare_ert.py"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = {line[:18].strip(): line[18:].split() for line in out.stdout.splitlines()
            if line.startswith("  ")}
    sram, mram, rram = rows["read, pJ"][:3]
    assert rows["read, pJ"][3] == "nvm_nvsim_65nm"
    # NVSim's figures as the table gives them (tables/nvm_nvsim_65nm.csv)
    table = {r["class"]: r for r in csv.DictReader(
        line for line in (EXAMPLE / "tables" / "nvm_nvsim_65nm.csv").read_text().splitlines()
        if not line.startswith("#"))}
    assert mram == f"{float(table['STT_MRAM']['read_energy']):.4g}" == "10.38"
    assert rram == f"{float(table['RRAM']['read_energy']):.4g}" == "15.54"
    sram, mram, rram = float(sram), float(mram), float(rram)
    writes = [float(x) for x in rows["write, pJ"][:3]]
    assert writes[1] > writes[0] and writes[2] > writes[0]      # costlier writes
    assert mram < sram and rram < sram                          # cheaper reads
    areas = [float(x) for x in rows["area, mm^2"][:3]]
    assert areas[1] < areas[0] and areas[2] < areas[0]          # denser arrays
    macs = rows["mac"]
    assert macs[0] == macs[1] == macs[2]                        # nothing else moved
