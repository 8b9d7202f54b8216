"""Small architectures, workloads and mappings built in Python for hand-checked tests."""
from __future__ import annotations

from mapper.spec.arch import Arch, ComputeLevel, StorageLevel
from mapper.spec.mapping import LevelMapping, Mapping
from mapper.spec.workload import DataSpace, Workload


def conv1d(P: int, R: int) -> Workload:
    """Outputs[p] += Weights[r] * Inputs[p + r]."""
    return Workload("conv1d", ("R", "P"), {"R": R, "P": P}, (
        DataSpace("Weights", ((("R", 1),),)),
        DataSpace("Inputs", ((("R", 1), ("P", 1)),)),
        DataSpace("Outputs", ((("P", 1),),), read_write=True)))


def gemm(M: int, N: int, K: int) -> Workload:
    """Z[m, n] += A[m, k] * B[k, n]."""
    return Workload("gemm", ("M", "N", "K"), {"M": M, "N": N, "K": K}, (
        DataSpace("A", ((("M", 1),), (("K", 1),))),
        DataSpace("B", ((("K", 1),), (("N", 1),))),
        DataSpace("Z", ((("M", 1),), (("N", 1),)), read_write=True)))


def level(name, instances=1, mesh=(1, 1), depth=None, block=1, **kw) -> StorageLevel:
    return StorageLevel(name=name, component_class="DRAM" if depth is None else "SRAM",
                        instances=instances, mesh_x=mesh[0], mesh_y=mesh[1], depth=depth,
                        width=8 * block, word_bits=8, block_size=block, **kw)


def arch(*levels_outer_first: StorageLevel, macs=1, mac_mesh=None) -> Arch:
    mesh = mac_mesh or (macs, 1)
    return Arch("test", tuple(reversed(levels_outer_first)),
                ComputeLevel("mac", "intmac", macs, mesh[0], mesh[1]))


def mapping(workload: Workload, *levels_inner_first: dict) -> Mapping:
    """Each level: dict(t={dim: f}, order="RP", s={dim: f}, sorder="..", split=n, keep={..})."""
    dims = workload.dims
    out = []
    for lv in levels_inner_first:
        t, s = lv.get("t", {}), lv.get("s", {})
        order = tuple(lv.get("order", "")) + tuple(d for d in dims if d not in lv.get("order", ""))
        sorder = tuple(lv.get("sorder", "")) + tuple(d for d in dims
                                                      if d not in lv.get("sorder", ""))
        out.append(LevelMapping(tuple(t.get(d, 1) for d in dims), order,
                                tuple(s.get(d, 1) for d in dims), sorder,
                                lv.get("split", len(dims)),
                                frozenset(lv.get("keep", workload.ds_names))))
    return Mapping(dims, tuple(out))
