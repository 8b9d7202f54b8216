"""Infeasible constraint sets are explained by a minimal conflict, in the user's words."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mapper.prune import TilingModel
from mapper.prune.explain import _infeasible_under
from mapper.spec.constraints import (Constraints, FactorBound, LevelConstraints, LoopOrder,
                                     NestConstraints)
from mapper.spec.errors import Where
from mapper.spec.loader import Inputs
from mapper.spec.timeloop_arch import read_arch_v03
from mapper.spec.timeloop_constraints import read_constraints
from mapper.spec.timeloop_problem import read_problem_v04

from ..constraints.refs import CASES, RESNET_CASE, ROOT, load
from ..model.builders import conv1d
from .test_enumeration import small_arch

TARGETS = "architecture_constraints.targets"


def eyeriss_variant(tmp_path: Path, depths: dict[str, int] = {}, factors: dict[int, str] = {},
                    extra: list[dict] = (), keep=None) -> TilingModel:
    """The Eyeriss-like arch with some depths and constraint targets changed, as a file."""
    a = yaml.safe_load((ROOT / "archs" / "eyeriss_like.yaml").read_text())
    for node in a["architecture"]["subtree"][0]["local"]:
        name = node["name"].split("[")[0]
        if name in depths:
            node["attributes"]["depth"] = depths[name]
    for i, text in factors.items():
        a["architecture_constraints"]["targets"][i]["factors"] = text
    a["architecture_constraints"]["targets"] += list(extra)
    path = tmp_path / "arch.yaml"
    path.write_text(yaml.safe_dump(a))
    inputs = Inputs()
    inputs.add_file(path)
    inputs.add_file(ROOT / "problems" / "resnet18_conv3x3_7.yaml")
    arch = read_arch_v03(*inputs.require("architecture", "architecture"))
    wl = read_problem_v04(*inputs.require("problem", "problem"))
    return TilingModel(arch, wl, read_constraints(inputs, arch, wl), keep)


def assert_minimal(tm: TilingModel) -> None:
    """The conflict is infeasible, and dropping any one of its constraints is not."""
    conflict = [c.index for c in tm.conflicts()]
    assert conflict and _infeasible_under(tm, conflict)[0]
    for i in conflict:
        assert not _infeasible_under(tm, [j for j in conflict if j != i])[0]


def test_tiny_weights_spad_with_forced_factors(tmp_path):
    tm = eyeriss_variant(tmp_path, depths={"weights_spad": 6},
                         factors={12: "N=1,M=1,P=1,Q=1,S=1,R=3,C=8"})
    assert not tm.feasible()
    got = {(c.kind, c.level, c.text, c.where.path if c.where else None)
           for c in tm.conflicts()}
    assert got == {
        ("capacity", "weights_spad", "capacity of weights_spad", None),
        ("factor", "weights_spad", "temporal factors: R=3", f"{TARGETS}[12].factors"),
        ("factor", "weights_spad", "temporal factors: C=8", f"{TARGETS}[12].factors"),
        ("keep", "weights_spad", "keep Weights", f"{TARGETS}[11].keep[0]")}
    lines = tm.explain_infeasible()
    f = str(tmp_path / "arch.yaml")
    assert lines == [
        "Weights tile at weights_spad needs at least 24 words with C=8, R=3, but the level "
        "holds 12 (depth 6 x block 2)",
        f"the constraint `temporal factors: R=3` at weights_spad ({f}: {TARGETS}[12].factors) "
        "forces R=3 in the temporal loops there",
        f"the constraint `temporal factors: C=8` at weights_spad ({f}: {TARGETS}[12].factors) "
        "forces C=8 in the temporal loops there",
        f"the constraint `keep Weights` at weights_spad ({f}: {TARGETS}[11].keep[0]) keeps "
        "Weights there"]
    assert_minimal(tm)


def test_halo_of_the_inputs_tile(tmp_path):
    """ifmap_spad holding 16 words; with C=2, R=3 (weights_spad) and P=7 (ifmap_spad) its Inputs
    tile is C x (R + P - 1) x 1 = 18 words: the sliding window's hull (not 2 x 3 x 7 = 42).
    Without R=3 the tile is 2 x 7 = 14, so R=3 is part of the conflict."""
    tm = eyeriss_variant(tmp_path, depths={"ifmap_spad": 8},
                         factors={10: "N=1,M=1,C=1,Q=1,R=1,S=1,P=7",
                                  12: "N=1,M=1,P=1,Q=1,S=1,R=3,C>=2"})
    assert not tm.feasible()
    got = {(c.kind, c.level, c.text) for c in tm.conflicts()}
    assert got == {("capacity", "ifmap_spad", "capacity of ifmap_spad"),
                   ("factor", "ifmap_spad", "temporal factors: P=7"),
                   ("factor", "weights_spad", "temporal factors: R=3"),
                   ("factor", "weights_spad", "temporal factors: C>=2"),
                   ("keep", "ifmap_spad", "keep Inputs")}
    lines = tm.explain_infeasible()
    assert lines[0] == ("Inputs tile at ifmap_spad needs at least 18 words with C=2, R=3, P=7, "
                        "but the level holds 16 (depth 8 x block 2)")
    assert any(line.endswith("needs C>=2 in the temporal loops there") for line in lines)
    assert_minimal(tm)


def test_spatial_factor_beyond_the_fan_out(tmp_path):
    tm = eyeriss_variant(tmp_path, factors={3: "N=1,C=1,P=1,R=1,S=1,M=16"})
    lines = tm.explain_infeasible()
    f = str(tmp_path / "arch.yaml")
    assert lines == [
        "the spatial loops at inter_PE_column_spatial need a fan-out of at least 16 in X, but "
        "the level has 14 children in X",
        f"the constraint `spatial factors: M=16` at inter_PE_column_spatial ({f}: "
        f"{TARGETS}[3].factors) forces M=16 in the spatial loops there"]
    assert_minimal(tm)


def test_utilization_out_of_reach(tmp_path):
    """168 MACs = 2^3 x 3 x 7: with S=1 in the 12-wide Y fan-out only powers of 2 fit there."""
    tm = eyeriss_variant(tmp_path, factors={6: "N=1,P=1,Q=1,R=1,S=1"},
                         extra=[{"target": "DRAM", "type": "utilization", "min": 1.0}])
    lines = tm.explain_infeasible()
    kinds = {c.kind for c in tm.conflicts()}
    assert "utilization" in kinds and "factor" in kinds
    util = next(line for line in lines if "utilization min 1" in line)
    assert "needs 168 of the 168 MACs busy, but the other constraints allow at most" in util
    assert_minimal(tm)


def test_keep_set_against_a_bypass_rule():
    ref = load(next(d for d in CASES if d.name == RESNET_CASE))
    c = read_constraints(ref.inputs, ref.arch, ref.workload)
    keep = [set(lm.keep) for lm in ref.mapping.levels]
    keep[ref.arch.level_index("shared_glb")].add("Weights")
    tm = TilingModel(ref.arch, ref.workload, c, keep)
    (line,) = tm.explain_infeasible()
    assert line.startswith("the constraint `bypass Weights` at shared_glb (")
    assert line.endswith(f"{TARGETS}[1].bypass[0]) contradicts the keep set asked for, which "
                         "keeps Weights there")


@pytest.mark.parametrize("keep", [None, "mapping"])
def test_feasible_models_have_nothing_to_explain(keep):
    ref = load(next(d for d in CASES if d.name == RESNET_CASE))
    c = read_constraints(ref.inputs, ref.arch, ref.workload)
    keep = None if keep is None else [lm.keep for lm in ref.mapping.levels]
    tm = TilingModel(ref.arch, ref.workload, c, keep)
    assert tm.explain_infeasible() == [] and tm.conflicts() == []


def test_axes_pinned_by_permutation_and_split():
    """P=4 across the fan-out only fits on X (4 wide), but `RP` split 1 pins P to Y (2 high)."""
    a, w = small_arch(100, 100, mesh=(4, 2)), conv1d(4, 2)
    glb = a.level_index("glb")
    where = Where("c.yaml", "targets[0]")
    levels = list(Constraints.none(a).levels)
    levels[glb] = LevelConstraints("glb", spatial=NestConstraints(
        (FactorBound("P", 4, 4, "P=4", where / "factors"),),
        LoopOrder(("R", "P"), (), "RP", where / "permutation"), 1))
    tm = TilingModel(a, w, Constraints(tuple(levels)))
    assert tm.explain_infeasible() == [
        "the spatial loops at glb need a fan-out of at least 4 in Y, but the level has 2 "
        "children in Y",
        "the constraint `spatial factors: P=4` at glb (c.yaml: targets[0].factors) forces P=4 "
        "in the spatial loops there",
        "the constraint `spatial permutation RP split 1` at glb (c.yaml: "
        "targets[0].permutation) lets only these onto the axes: X: R; Y: P"]
    assert_minimal(tm)
