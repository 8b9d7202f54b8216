"""Shared settings of the network tests: a quick search, so the suite stays fast."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NETWORKS = ROOT / "problems" / "networks"
LIBRARY = ROOT / "problems" / "layers"

#: random evaluations per layer before the hill climbing: enough to find valid mappings on
#: every template, small enough for a whole network in about a second
QUICK = 300


def network_names() -> list[str]:
    return sorted(p.stem for p in NETWORKS.glob("*.yaml"))


def small_params(network: str) -> dict:
    """Small parameter values (BERT's sequence length) for quick runs."""
    return {"seq": 32} if network == "bert_base" else {}


def write_network(path: Path, layers: list[str], name: str = "small") -> Path:
    """A network of ResNet-18 library layers, one entry each."""
    lines = [f"network:\n  name: {name}\n  library: {LIBRARY / 'resnet18.yaml'}\n  layers:"]
    lines += [f"    - {{name: l{i}, layer: {layer}}}" for i, layer in enumerate(layers)]
    path.write_text("\n".join(lines) + "\n")
    return path


def no_clock_template(tmp_path: Path) -> Path:
    """eyeriss_like without its clock (global_cycle_seconds comes from clock_mhz)."""
    path = tmp_path / "noclock.yaml"
    path.write_text((ROOT / "arch_templates" / "eyeriss_like.yaml").read_text().replace(
        ", global_cycle_seconds: 1 / (clock_mhz * 1e6)", ""))
    return path
