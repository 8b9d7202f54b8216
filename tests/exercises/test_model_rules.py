"""The model rules that the exercise designs showed (issue 11, item 2), each on the exercise
that shows it, against the figures of its reference output."""
from __future__ import annotations

import pytest

from mapper import api
from tests.exercises import DESIGNS, needs_exercises
from tests.timeloop_stats import parse


def _evaluate(out):
    """(spec, our figures, the reference's) of a timeloopfe processed input and its mapping."""
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


@needs_exercises
def test_a_fan_out_from_level_0_lets_a_mac_take_a_word_that_did_not_move_from_its_neighbour():
    """The 2024 design-space exercise: buffer -> inter_PE_spatial (keeps nothing, M8 to 8 MACs
    in a row) with the buffer's loops M8 (innermost), Q32, C64. The 8 MACs share each Input
    word and each has a neighbour with it: at every M carry the word stays, and Timeloop
    lets them take it over the links, so the buffer is read once per M8 run:
    1073741824 / 8 = 134217728 Inputs reads, not one per MAC cycle (1073741824). Weights and
    Outputs differ per MAC: 8 x 1073741824."""
    from tests.exercises import DSE
    _, ours, ref = _evaluate(DSE / "outputs")
    mine, theirs = ours["levels"]["buffer"]["dataspaces"], ref["levels"]["buffer"]["dataspaces"]
    assert theirs["Inputs"]["reads_per_instance"] == 134217728
    assert ours["cycles"] == 1073741824
    for ds in ("Weights", "Inputs", "Outputs"):
        assert mine[ds]["reads_per_instance"] == theirs[ds]["reads_per_instance"], ds
        assert mine[ds]["updates_per_instance"] == theirs[ds]["updates_per_instance"], ds
        assert mine[ds]["energy_pJ"] == pytest.approx(theirs[ds]["energy_pJ"], rel=1e-3), ds
