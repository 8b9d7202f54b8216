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
