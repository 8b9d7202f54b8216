"""Small sweeps for the tests: a network of two or three ResNet-18 library layers, a quick
hybrid search (deterministic for its seed), a private layer cache."""
from __future__ import annotations

from pathlib import Path

from ..network.helpers import QUICK, write_network

SEARCH = f"{{algorithm: hybrid, search_size: {QUICK}, seed: 0}}"


def write_spec(tmp: Path, designs: str, *, batch: str = "[1]", extra: str = "",
               layers=("fc_512_1000", "conv1x1_64_128_28_s2", "fc_512_1000"),
               name: str = "sweep.yaml") -> Path:
    """A spec over a small network (``net.yaml`` beside it); ``designs``: the YAML list."""
    write_network(tmp / "net.yaml", list(layers))
    path = tmp / name
    path.write_text(f"sweep:\n  designs: {designs}\n  networks: [net.yaml]\n"
                    f"  batch: {batch}\n  objective: edp\n  search: {SEARCH}\n{extra}")
    return path
