"""The fast model equals the plain reference evaluation (tests/model/reference.py) on random
mappings of small layers: halos (R sliding over P), strides and dilations, spatial fan-out
on both axes with multicast and spatial reduction, a fan-out from level 0 to the MACs (with
its links), bypass at every inner level, bandwidth limits and vector (block) accesses; and
mappings made for links between the PEs (a sliding dimension across the glb's fan-out, the
other one in time above it), which random mappings rarely have."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy import ReferenceTables
from mapper.model.batch import MappingBatch
from mapper.model.evaluate import Model
from mapper.spec.mapping import LevelMapping, Mapping
from mapper.spec.workload import DataSpace, Workload

from . import reference
from .builders import arch, level

DIMS = ("C", "M", "R", "P")


def conv1d(bounds, stride, dilation):
    """Outputs[m, p] += Weights[m, c, r] * Inputs[c, stride*p + dilation*r]."""
    return Workload("conv", DIMS, dict(zip(DIMS, bounds)), (
        DataSpace("Weights", ((("M", 1),), (("C", 1),), (("R", 1),))),
        DataSpace("Inputs", ((("C", 1),), (("P", stride), ("R", dilation)))),
        DataSpace("Outputs", ((("M", 1),), (("P", 1),)), read_write=True)))


# DRAM -> glb (fan-out 4 in X, 2 in Y) -> rf -> mac; the second also fans rf out to 2 MACs
ARCHS = [
    arch(level("DRAM"), level("glb", depth=64, read_bandwidth=3, write_bandwidth=2),
         level("rf", instances=8, mesh=(4, 2), depth=12), macs=8, mac_mesh=(4, 2)),
    arch(level("DRAM", block=4), level("glb", depth=64, block=2, shared_bandwidth=4),
         level("rf", instances=8, mesh=(4, 2), depth=12), macs=16, mac_mesh=(8, 2)),
]
ERT = {"DRAM": {"read": 200.0, "write": 210.0}, "glb": {"read": 6.0, "write": 7.0},
       "rf": {"read": 1.0, "write": 1.5}, "mac": {"compute": 0.5}}


@st.composite
def cases(draw):
    a = draw(st.sampled_from(ARCHS))
    bounds = [draw(st.sampled_from([1, 2, 3, 4, 6])) for _ in DIMS]
    wl = conv1d(bounds, draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    # per dimension, its bound split over the slots, innermost first: each level's spatial
    # factor (where it fans out; it may exceed the fan-out: invalid mappings are compared
    # too) and temporal factor, the rest to DRAM
    K = 3
    fans = [a.fanout(k) for k in range(K)]
    t = [[1] * len(DIMS) for _ in range(K)]
    s = [[1] * len(DIMS) for _ in range(K)]
    for j, b in enumerate(bounds):
        rest = b
        for k in range(K):
            for kind in ("s", "t"):
                if kind == "s" and fans[k] == (1, 1) or k == K - 1:
                    continue
                f = draw(st.sampled_from([x for x in range(1, rest + 1) if rest % x == 0]))
                (s if kind == "s" else t)[k][j] = f
                rest //= f
        t[K - 1][j] = rest
    levels = []
    for k in range(K):
        keep = frozenset(wl.ds_names) if k == K - 1 else \
            frozenset(draw(st.sets(st.sampled_from(wl.ds_names))))
        levels.append(LevelMapping(tuple(t[k]), tuple(draw(st.permutations(DIMS))), tuple(s[k]),
                                   tuple(draw(st.permutations(DIMS))),
                                   draw(st.integers(0, len(DIMS))) if fans[k][1] > 1
                                   else len(DIMS), keep))
    return a, wl, Mapping(DIMS, tuple(levels))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_fast_model_equals_plain_reference(case):
    a, wl, m = case
    ref = reference.evaluate(a, wl, m, ERT)
    model = Model(a, wl, ReferenceTables(ERT))
    got = model.evaluate(MappingBatch.of([m]))
    for name, c in ref.counts.items():
        fast = got.counts[name]
        for field in ("tile", "partition", "reads", "fills", "updates"):
            assert [int(x) for x in getattr(fast, field)[:, 0]] == getattr(c, field), \
                (name, field)
        spread = [k for k in range(len(a.storage)) if any(
            f > 1 for f in m.levels[k].spatial)]
        assert [int(fast.multicast_groups[k, 0]) for k in spread] == \
            [c.groups[k] for k in spread], name
    assert [int(x) for x in got.utilized_instances[:, 0]] == ref.utilized_instances
    assert int(got.mac_instances_used[0]) == ref.mac_instances
    assert int(got.computes[0]) == ref.computes
    assert int(got.compute_cycles[0]) == ref.compute_cycles
    assert [int(x) for x in got.level_cycles[:, 0]] == ref.level_cycles
    assert int(got.cycles[0]) == ref.cycles
    assert [int(x) for x in got.capacity_used[:, 0]] == ref.capacity_used
    assert bool(got.valid[0]) == ref.valid
    assert float(got.energy[0]) == pytest.approx(ref.energy_pJ, rel=1e-12)


@st.composite
def pe_link_cases(draw):
    """R or P spread over the glb's fan-out and the other in the glb's loops, often
    innermost: the window slides across neighbouring PEs (TIMELOOP_SEMANTICS §4)."""
    a = draw(st.sampled_from(ARCHS))
    bounds = [draw(st.sampled_from([1, 2])), draw(st.sampled_from([1, 2])),
              draw(st.sampled_from([2, 3])), draw(st.sampled_from([2, 3, 4, 6]))]
    wl = conv1d(bounds, draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    across = draw(st.sampled_from(["R", "P"]))
    along = "P" if across == "R" else "R"
    j, i = DIMS.index(across), DIMS.index(along)
    t = [[1] * len(DIMS) for _ in range(3)]
    s = [[1] * len(DIMS) for _ in range(3)]
    f = draw(st.sampled_from([x for x in range(2, min(bounds[j], 4) + 1) if bounds[j] % x == 0]))
    s[1][j] = f
    t[0][j] = bounds[j] // f
    for d in range(len(DIMS)):
        if d != j:
            k = draw(st.sampled_from([0, 1, 1, 2]))
            t[k][d] = bounds[d]
    t[1][i], t[0][i], t[2][i] = bounds[i], 1, 1
    inner = draw(st.booleans())
    glb_order = (along,) + tuple(d for d in draw(st.permutations(DIMS)) if d != along) \
        if inner else tuple(draw(st.permutations(DIMS)))
    levels = []
    for k in range(3):
        keep = frozenset(wl.ds_names) if k == 2 else \
            frozenset(draw(st.sets(st.sampled_from(wl.ds_names))))
        order = glb_order if k == 1 else tuple(draw(st.permutations(DIMS)))
        levels.append(LevelMapping(tuple(t[k]), order, tuple(s[k]),
                                   tuple(draw(st.permutations(DIMS))),
                                   draw(st.integers(0, len(DIMS))) if k == 1 else len(DIMS),
                                   keep))
    return a, wl, Mapping(DIMS, tuple(levels))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pe_link_cases())
def test_fast_model_equals_plain_reference_where_pes_pass_deltas(case):
    test_fast_model_equals_plain_reference.hypothesis.inner_test(case)
