"""The Timeloop reference cases and probes (tests/data/timeloop), read with our readers."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from mapper.spec.arch import Arch
from mapper.spec.loader import Inputs
from mapper.spec.mapping import Mapping
from mapper.spec.timeloop_arch import read_arch_v03
from mapper.spec.timeloop_mapping import read_mapping
from mapper.spec.timeloop_problem import read_problem_v04
from mapper.spec.workload import Workload

ROOT = Path(__file__).resolve().parents[1] / "data" / "timeloop"
CASES = sorted(p for p in (ROOT / "cases").iterdir() if p.is_dir())
PROBES = sorted(p for p in (ROOT / "probes").iterdir() if p.is_dir())
RESNET_CASE = "eyeriss_like__resnet18_conv3x3_7__mapper_default"


@dataclass
class Ref:
    dir: Path
    inputs: Inputs
    arch: Arch
    workload: Workload
    mapping: Mapping


def files(d: Path) -> list[Path]:
    if (d / "case.yaml").exists():
        case = yaml.safe_load((d / "case.yaml").read_text())
        return [ROOT / "archs" / f"{case['arch']}.yaml",
                ROOT / "problems" / f"{case['problem']}.yaml", d / "map.yaml"]
    return [d / "arch.yaml", d / "problem.yaml", d / "map.yaml"]


def load(d: Path) -> Ref:
    inputs = Inputs()
    for f in files(d):
        inputs.add_file(f)
    arch = read_arch_v03(*inputs.require("architecture", "architecture"))
    workload = read_problem_v04(*inputs.require("problem", "problem"))
    mapping = read_mapping(*inputs.require("mapping", "mapping"), arch, workload)
    return Ref(d, inputs, arch, workload, mapping)


def tile_sizes(arch: Arch, workload: Workload, mapping: Mapping) -> dict[str, dict[str, int]]:
    """Words of each data space touched by the tile of each level (all loops at and below)."""
    out = {}
    for k, level in enumerate(arch.storage):
        extents = {d: math.prod(lm.temporal[i] * lm.spatial[i] for lm in mapping.levels[: k + 1])
                   for i, d in enumerate(workload.dims)}
        out[level.name] = {ds.name: workload.footprint(ds, extents) for ds in workload.data_spaces}
    return out
