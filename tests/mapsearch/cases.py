"""Small search cases shared by the search tests (brute-forceable spaces)."""
from energy import ReferenceTables
from mapper.spec.constraints import Constraints, DataSpaceRule, LevelConstraints
from tests.model.builders import arch, gemm, level

TABLES = ReferenceTables({"DRAM": {"read": 100.0, "write": 100.0},
                          "glb": {"read": 6.0, "write": 7.0}, "rf": {"read": 1.0, "write": 1.2},
                          "mac": {"compute": 0.5}})
ARCH = arch(level("DRAM"), level("glb", depth=12), level("rf", instances=2, mesh=(2, 1), depth=3),
            macs=2)


def free_fanout_gemm():
    """(arch, workload, constraints, keep sets): a GEMM on a 2 x 2 array under the glb, so each spatial
    dimension may go on X or Y and many mappings tie; rf keeps A and Z."""
    wl = gemm(M=2, N=2, K=3)
    a = arch(level("DRAM"), level("glb", depth=16),
             level("rf", instances=4, mesh=(2, 2), depth=4), macs=4, mac_mesh=(2, 2))
    keep = (frozenset({"A", "Z"}), frozenset(wl.ds_names), frozenset(wl.ds_names))
    constraints = Constraints(tuple(
        LevelConstraints(n, dataspaces=tuple(DataSpaceRule(d, d in kp) for d in wl.ds_names))
        for n, kp in zip(("rf", "glb", "DRAM"), keep)))
    return a, wl, constraints, keep


def every_valid_mapping(model, space, objective):
    """(key, canonical order, batch, row) of every valid mapping of the space, in the order
    ``exhaustive`` meets them (brute force for the determinism and incumbent tests)."""
    import numpy as np
    from mapper.mapsearch.batches import exhaustive_batches
    from mapper.mapsearch.incumbent import canonical
    found = []
    for keep in space.keep_choices:
        for tilings in space.tilings(keep, chunk=4096):
            for batch in exhaustive_batches(space, tilings, keep):
                result = model.evaluate(batch)
                keys = objective.key(result)
                for i in np.flatnonzero(result.valid):
                    found.append((tuple(float(x) for x in keys[i]), canonical(batch, int(i)),
                                  batch, int(i)))
    return found
