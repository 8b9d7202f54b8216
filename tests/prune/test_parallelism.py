"""max_parallelism (Eyexam's steps 2-5) against brute force: with every limit on, the most MACs
in parallel is the largest spatial product among every valid tiling the model enumerates."""
import pytest

from mapper.prune import ArchLimits, FanoutLimit, TilingModel
from tests.eyexam.cases import array_inputs


@pytest.mark.parametrize("P, R, mesh, glb", [(16, 3, (4, 4), 12), (6, 4, (2, 3), 10),
                                             (12, 2, (4, 1), 9), (5, 3, (3, 3), 30)])
def test_with_every_limit_it_is_the_best_enumerated_tiling(P, R, mesh, glb):
    i = array_inputs(P=P, R=R, mesh=mesh, glb_depth=glb)
    tm = TilingModel(i.arch, i.workload, i.constraints)
    best = tm.max_parallelism(ArchLimits())
    tilings = tm.enumerate_tilings()
    brute = int(tilings.spatial.prod(axis=(1, 2)).max())
    assert best.macs_in_parallel == brute and best.proven
    assert tm.feasible({k: v for k, v in best.tiling.items()})    # the witness is valid


def test_each_limit_only_lowers_the_optimum():
    """P=16, R=3 on 4 x 4 (see tests/eyexam): 48 unlimited, 16 PEs, 12 on X/Y, 6 with the glb."""
    i = array_inputs()
    tm = TilingModel(i.arch, i.workload, i.constraints)
    got = [tm.max_parallelism(ArchLimits(f, c)).macs_in_parallel for f, c in (
        (FanoutLimit.NONE, False), (FanoutLimit.PE_COUNT, False),
        (FanoutLimit.PHYSICAL, False), (FanoutLimit.PHYSICAL, True))]
    assert got == [48, 16, 12, 6]
