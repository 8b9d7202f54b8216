"""Shared by the template and network tests: a mapping every template accepts, and its run."""
from __future__ import annotations

from mapper.inputs.energy_tables import estimate_arch_tables
from mapper.model import Model
from mapper.spec.arch import Arch
from mapper.spec.constraints import check_mapping
from mapper.spec.mapping import LevelMapping, Mapping
from mapper.spec.timeloop_constraints import build_constraints
from mapper.spec.workload import Workload


def outermost_mapping(arch: Arch, workload: Workload, spatial: dict | None = None) -> Mapping:
    """Every loop at DRAM in an order its constraints allow (plus ``spatial``: ``{level:
    ({dim: factor} on X, {..} on Y)}`` taken out of DRAM's loops); each level keeps what its
    constraints do not bypass."""
    constraints = build_constraints([], arch, workload)
    dims = workload.dims
    outer = dict(workload.bounds)
    levels = []
    for level in arch.storage:
        x, y = (spatial or {}).get(level.name, ({}, {}))
        for d, f in {**x, **y}.items():
            outer[d] //= f
        rule = constraints.level(level.name)
        inner = rule.spatial.order.inner if rule.spatial.order else ()
        rank = {d: (inner.index(d) if d in inner else len(inner) + i) for i, d in enumerate(dims)}
        order = tuple(sorted(x, key=rank.get)) + tuple(sorted((d for d in dims if d not in x),
                                                              key=rank.get))
        fac = tuple({**x, **y}.get(d, 1) for d in dims)
        keep = frozenset() if level.is_dummy else frozenset(
            ds for ds in workload.ds_names if ds not in rule.bypass)
        pinned = rule.temporal.order
        inner, outer_dims = (pinned.inner, pinned.outer) if pinned else ((), ())
        temporal_order = inner + tuple(d for d in dims if d not in inner + outer_dims) \
            + outer_dims
        levels.append([tuple(1 for _ in dims), temporal_order, fac, order, len(x), keep])
    levels[-1][0] = tuple(outer[d] for d in dims)
    return Mapping(dims, tuple(LevelMapping(*lv) for lv in levels))


def run(arch: Arch, workload: Workload, mapping: Mapping):
    """(constraint violations, Evaluation) of one mapping, energies estimated."""
    tables, _, _ = estimate_arch_tables(arch)
    broken = check_mapping(mapping, arch, workload, build_constraints([], arch, workload))
    return broken, Model(arch, workload, tables).evaluate_mapping(mapping)
