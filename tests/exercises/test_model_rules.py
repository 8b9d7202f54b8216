"""The model rules that the exercise designs showed (issue 11, item 2), each on the exercise
that shows it, against the figures of its reference output."""
from __future__ import annotations

import pytest

from mapper import api
from tests.exercises import DESIGNS, needs_exercises
from tests.timeloop_stats import parse


def _evaluate(out):
    ert = sorted(out.glob("timeloop-*.ERT.yaml"))[0]
    files = [out / "parsed-processed-input.yaml", sorted(out.glob("timeloop-*.map.yaml"))[0]]
    spec = api.load([str(f) for f in files], ert=ert)
    return spec, api.evaluate(spec).to_json(), parse(sorted(out.glob("timeloop-*.stats.txt"))[0])


@needs_exercises
def test_cluster_size_spreads_a_cluster_access_over_the_used_instances_of_the_cluster():
    """simba_like PEWeightRegs: width 512, datawidth 8, cluster_size 64, 256 instances. Timeloop
    makes the block 512 / 64 / 8 = 1 word (not 64) and charges each of the 48 used instances
    one cluster access / 12 (48 used instances over min(48, 256 / 64) = 4 clusters)."""
    spec, ours, ref = _evaluate(DESIGNS / "simba_like" / "ref_outputs" / "default_problem")
    level = next(s for s in spec.arch.storage if s.name == "PEWeightRegs")
    assert (level.block_size, level.cluster_size) == (1, 64)
    mine = ours["levels"]["PEWeightRegs"]["dataspaces"]["Weights"]
    theirs = ref["levels"]["PEWeightRegs"]["dataspaces"]["Weights"]
    assert mine["utilized_instances"] == theirs["utilized_instances"] == 48
    assert mine["energy_pJ"] == pytest.approx(theirs["energy_pJ"], rel=1e-3)   # 245072.31
    assert theirs["energy_pJ"] == pytest.approx(245072.31)


@needs_exercises
def test_a_partial_v04_spatial_permutation_is_expanded_as_timeloopfe_does_before_the_split():
    """simple_weight_stationary's PE container: ``permutation: [C, M], split: 1`` with factors
    R=S=P=Q=1 (and N = 1 in the problem). timeloopfe puts the unit dimensions in front,
    ``NQPSRCM``, so split 1 leaves C and M on Y, and the reference mapping (M4 C3, both
    Spatial-Y) satisfies the constraints as the files give them."""
    from benchmarks.exercises_load import exercise_sets
    from mapper.spec.constraints import check_mapping
    from tests.exercises import ROOT
    s = next(s for s in exercise_sets(ROOT)
             if s.group == "example" and s.name == "simple_weight_stationary")
    spec = api.load([str(f) for f in s.files], overrides=s.values or None, need_mapping=False)
    spatial = spec.constraints.level("inter_PE_spatial").spatial
    assert (spatial.order.text, spatial.split) == ("NQPSRCM", 1)
    out = DESIGNS / "simple_weight_stationary" / "ref_outputs" / "default_problem"
    reference = api.load([str(out / "parsed-processed-input.yaml"),
                          str(out / "timeloop-mapper.map.yaml")]).mapping
    k = spec.arch.level_index("inter_PE_spatial")
    wl = spec.workload
    assert reference.levels[k].spatial_x(wl.dims) == 1
    assert reference.levels[k].spatial_y(wl.dims) == 12                  # M4 C3 on Y
    assert check_mapping(reference, spec.arch, spec.workload, spec.constraints) == []
