"""The new-memory-technology example runs as its README says and shows the MRAM difference."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_example_runs_and_shows_the_mram_buffer():
    out = subprocess.run([sys.executable, "examples/new_memory_technology/compare_ert.py"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = {tuple(line.split()[:2]): line.split() for line in out.stdout.splitlines()
            if line.startswith("shared_glb") or line.startswith("mac")}
    read, write = rows[("shared_glb", "read")], rows[("shared_glb", "write")]
    assert read[3] == "40" and write[3] == "150" and read[-1] == "mram_glb_65nm"
    assert float(write[3]) > float(write[2])  # writes cost more in MRAM than in the SRAM baseline
    assert rows[("mac", "compute")][2] == rows[("mac", "compute")][3]  # nothing else moved
