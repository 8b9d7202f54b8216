"""Small Eyexam cases: a 1-D convolution on a 4 x 4 array (hand-checked) and its variants."""
from energy import ReferenceTables
from mapper.mapsearch.pipeline import SearchInputs
from mapper.spec.constraints import (Constraints, DataSpaceRule, FactorBound, LevelConstraints,
                                     NestConstraints)
from tests.model.builders import arch, conv1d, level

TABLES = ReferenceTables({"DRAM": {"read": 100.0, "write": 100.0},
                          "glb": {"read": 6.0, "write": 7.0}, "rf": {"read": 1.0, "write": 1.2},
                          "mac": {"compute": 0.5}})
DS = ("Weights", "Inputs", "Outputs")


def array_inputs(P=16, R=3, mesh=(4, 4), glb_depth=12, glb_bandwidth=8.0, rf_depth=8,
                 spatial_factors=()) -> SearchInputs:
    """DRAM > glb (keeps all three data spaces; ``glb_bandwidth`` words/cycle read and write)
    > a ``mesh`` fan-out > rf (one per MAC) > MAC; ``spatial_factors``: FactorBound texts
    ("R=1") on the array's fan-out (the dataflow)."""
    n = mesh[0] * mesh[1]
    a = arch(level("DRAM"),
             level("glb", depth=glb_depth, read_bandwidth=glb_bandwidth,
                   write_bandwidth=glb_bandwidth),
             level("rf", instances=n, mesh=mesh, depth=rf_depth), macs=n, mac_mesh=mesh)
    bounds = tuple(FactorBound(t.split("=")[0], int(t.split("=")[1]), int(t.split("=")[1]), t)
                   for t in spatial_factors)
    c = Constraints((LevelConstraints("rf"),
                     LevelConstraints("glb", spatial=NestConstraints(factors=bounds),
                                      dataspaces=tuple(DataSpaceRule(d, True) for d in DS)),
                     LevelConstraints("DRAM")))
    return SearchInputs(a, conv1d(P=P, R=R), c, TABLES)


def ramp_inputs() -> SearchInputs:
    """conv1d P=4, R=3 on DRAM > glb (2 words/cycle in and out, keeps all three) > 2 rfs (2
    words/cycle in) > 2 MACs (``tests/mapsearch/test_ramped_delay.ARCH``): the delay optimum
    and the optimum of cycles + ramps are different mappings."""
    from tests.mapsearch.test_ramped_delay import ARCH
    wl = conv1d(P=4, R=3)
    c = Constraints((LevelConstraints("rf"),
                     LevelConstraints("glb", dataspaces=tuple(DataSpaceRule(d, True) for d in DS)),
                     LevelConstraints("DRAM")))
    return SearchInputs(ARCH, wl, c, TABLES)
