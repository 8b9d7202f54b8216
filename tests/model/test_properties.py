"""Laws of Timeloop's model that must hold for every mapping (hypothesis).

Includes an oracle: a literal, visit-by-visit transcription of TIMELOOP_SEMANTICS §3 (a)-(c)
(binary-counter visits with 0/1 extrapolation weights, exact box differences, the reset on a
stride change), against which the model's closed form (eq. 1) is checked.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy import ReferenceTables
from mapper.model.batch import MappingBatch
from mapper.model.evaluate import Model
from mapper.model.nest import Nest
from mapper.spec.mapping import LevelMapping, Mapping
from mapper.spec.workload import DataSpace, Workload

from . import reference
from .builders import arch, level

# A strided 1-D conv with channels: Outputs[m,p] += Weights[m,c,r] * Inputs[c, s*p + r]
DIMS = ("C", "M", "R", "P")


def workload(bounds, stride):
    return Workload("conv", DIMS, dict(zip(DIMS, bounds)), (
        DataSpace("Weights", ((("M", 1),), (("C", 1),), (("R", 1),))),
        DataSpace("Inputs", ((("C", 1),), (("P", stride), ("R", 1)))),
        DataSpace("Outputs", ((("M", 1),), (("P", 1),)), read_write=True)))


# DRAM -> glb (fan-out 4 in X, 2 in Y) -> rf (8 PEs) -> mac
ARCH = arch(level("DRAM"), level("glb", depth=10_000),
            level("rf", instances=8, mesh=(4, 2), depth=10_000), macs=8, mac_mesh=(4, 2))
TABLES = ReferenceTables({"DRAM": {"read": 200.0, "write": 200.0},
                          "glb": {"read": 6.0, "write": 7.0}, "rf": {"read": 1.0, "write": 1.5},
                          "mac": {"compute": 1.0}})


@st.composite
def split_bound(draw, bound, spatial_cap):
    """Factors of ``bound`` over rf temporal, glb spatial, glb temporal, DRAM temporal."""
    rest, out = bound, []
    for cap in (None, spatial_cap, None):
        divs = [d for d in range(1, rest + 1) if rest % d == 0 and (cap is None or d <= cap)]
        f = draw(st.sampled_from(divs))
        out.append(f)
        rest //= f
    return out + [rest]


@st.composite
def mapping_case(draw, n=1, sliding=True):
    """A workload and ``n`` mappings sharing one skeleton (orders, split, keep sets).
    ``sliding=False`` sets R = 1 and stride 1: every rank is one dimension, densely."""
    bounds = [draw(st.sampled_from([1, 2, 3, 4, 6])) for _ in DIMS]
    if not sliding:
        bounds[DIMS.index("R")] = 1
    stride = draw(st.sampled_from([1, 2])) if sliding else 1
    wl = workload(bounds, stride)
    orders = [tuple(draw(st.permutations(DIMS))) for _ in range(3)]
    s_order = tuple(draw(st.permutations(DIMS)))
    split = draw(st.integers(0, len(DIMS)))
    keep_rf = frozenset(draw(st.sets(st.sampled_from(wl.ds_names))))
    keep_glb = frozenset(draw(st.sets(st.sampled_from(wl.ds_names))))
    caps = {d: (4 if s_order.index(d) < split else 2) for d in DIMS}
    mappings = []
    for _ in range(n):
        per_dim = {d: draw(split_bound(b, caps[d])) for d, b in zip(DIMS, bounds)}
        for axis_dims, cap in ((s_order[:split], 4), (s_order[split:], 2)):
            if math.prod(per_dim[d][1] for d in axis_dims) > cap:   # over the fan-out:
                for d in axis_dims:                                  # move it to DRAM
                    per_dim[d][3] *= per_dim[d][1]
                    per_dim[d][1] = 1
        f = [per_dim[d] for d in DIMS]
        levels = (
            LevelMapping(tuple(x[0] for x in f), orders[0], (1,) * 4, DIMS, 4, keep_rf),
            LevelMapping(tuple(x[2] for x in f), orders[1], tuple(x[1] for x in f), s_order,
                         split, keep_glb),
            LevelMapping(tuple(x[3] for x in f), orders[2], (1,) * 4, DIMS, 4,
                         frozenset(wl.ds_names)))
        mappings.append(Mapping(DIMS, levels))
    return wl, mappings


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(mapping_case())
def test_computes_equal_macs_and_counts_are_sane(case):
    wl, (m,) = case
    ev = Model(ARCH, wl).evaluate_mapping(m)
    assert ev.computes == wl.macs
    assert ev.cycles >= ev.computes // ev.compute.utilized_instances
    for lv in ev.storage:
        for ds in lv.dataspaces.values():
            assert min(ds.reads_per_instance, ds.fills_per_instance, ds.updates_per_instance,
                       ds.partition_size) >= 0


@FAST
@given(mapping_case())
def test_closed_form_delta_sum_equals_visit_by_visit_simulation(case):
    """The model's closed form against the visit-by-visit delta sum of the plain reference
    evaluator (tests/model/reference.py)."""
    wl, (m,) = case
    batch = MappingBatch.of([m])
    nest = reference.Nest(m)
    res = Model(ARCH, wl).evaluate(batch)
    for j, ds in enumerate(wl.data_spaces):
        c = res.counts[ds.name]
        for k in range(2):                       # rf, glb (DRAM has no fills)
            if ds.name not in m.levels[k].keep:
                continue
            oracle = reference.delta_sum(wl, nest, k, ds)
            fills = int(c.fills[k, 0]) + (int(c.partition[k, 0]) if ds.read_write else 0)
            assert fills == oracle, (ds.name, k)


@FAST
@given(mapping_case(n=3))
def test_a_batch_equals_its_mappings_evaluated_alone(case):
    wl, mappings = case
    model = Model(ARCH, wl, TABLES)
    res = model.evaluate(MappingBatch.of(mappings))
    for i, m in enumerate(mappings):
        alone = model.evaluate_mapping(m)
        together = model.evaluation(res, i)
        assert alone.to_json() == together.to_json()


@FAST
@given(mapping_case())
def test_fills_are_served_by_parent_reads_up_to_multicast(case):
    """Total reads of the parent keeper <= total fills of the child <= parent reads x fan-out,
    where the children take nothing from each other (links, §4: then the parent serves less,
    and the children fill from their neighbours too)."""
    wl, (m,) = case
    ev = Model(ARCH, wl).evaluate_mapping(m)
    for ds in wl.data_spaces:
        if ds.read_write or reference.links_used(ARCH, m, ds):
            continue
        keepers = [k for k in range(3) if ds.name in m.levels[k].keep]
        for child, parent in zip(keepers, keepers[1:]):
            c = ev.storage[child].dataspaces[ds.name]
            p = ev.storage[parent].dataspaces[ds.name]
            fills = c.fills_per_instance * c.utilized_instances
            reads = p.reads_per_instance * p.utilized_instances
            fanout = c.utilized_instances // p.utilized_instances
            assert reads <= fills <= reads * fanout


def bypass(m: Mapping, k: int, ds: str) -> Mapping:
    return Mapping(m.dims, tuple(
        LevelMapping(l.temporal, l.temporal_order, l.spatial, l.spatial_order, l.split,
                     l.keep - {ds}) if i == k else l for i, l in enumerate(m.levels)))


@FAST
@given(mapping_case(sliding=False), st.integers(0, 1), st.integers(0, 2))
def test_bypassing_never_lowers_reads_of_the_level_above(case, k, j):
    """Holds for dense ranks of one dimension each. With sliding windows Timeloop's reset rule
    breaks it, and with strides its hull tiles do (see the two tests below)."""
    wl, (m,) = case
    ds = wl.ds_names[j]
    if ds not in m.levels[k].keep:
        return
    model = Model(ARCH, wl)
    before, after = model.evaluate_mapping(m), model.evaluate_mapping(bypass(m, k, ds))
    parent = next(i for i in range(k + 1, 3) if ds in m.levels[i].keep)
    r0 = before.storage[parent].dataspaces[ds]
    r1 = after.storage[parent].dataspaces[ds]
    assert r1.reads_per_instance + r1.updates_per_instance >= \
        r0.reads_per_instance + r0.updates_per_instance


def test_sliding_window_reset_makes_a_kept_level_fetch_more_than_its_child():
    """Timeloop's reset on a stride change, pinned: Inputs W = p + r, DRAM loops R2 (inner)
    then P2. At the glb (tile 1) the P carry shifts W by +1 - 1 = 0, which differs from the
    R carry's +1: the whole tile is refetched (1 + 2 + 1 = 4 fills). The rf below has glb M2
    innermost (s_1 = 0), so the same zero shift matches s_1 and costs nothing (3 fills).
    Bypassing Inputs at the glb therefore *lowers* DRAM reads from 4 to 3."""
    wl = workload([1, 2, 2, 2], stride=1)
    unit = (1, 1, 1, 1)
    m = Mapping(DIMS, (
        LevelMapping(unit, DIMS, unit, DIMS, 4, frozenset({"Inputs", "Weights"})),
        LevelMapping((1, 2, 1, 1), DIMS, unit, DIMS, 0, frozenset({"Inputs"})),
        LevelMapping((1, 1, 2, 2), DIMS, unit, DIMS, 4, frozenset(wl.ds_names))))
    model = Model(ARCH, wl)
    ev = model.evaluate_mapping(m)
    assert ev.levels["rf"].dataspaces["Inputs"].fills_per_instance == 3
    assert ev.levels["glb"].dataspaces["Inputs"].fills_per_instance == 4
    assert ev.levels["DRAM"].dataspaces["Inputs"].reads_per_instance == 4
    after = model.evaluate_mapping(bypass(m, 1, "Inputs"))
    assert after.levels["DRAM"].dataspaces["Inputs"].reads_per_instance == 3


@FAST
@given(mapping_case())
def test_every_output_reaches_dram_and_innermost_reads_cover_the_macs(case):
    wl, (m,) = case
    ev = Model(ARCH, wl).evaluate_mapping(m)
    out = ev.storage[-1].dataspaces["Outputs"]
    assert out.updates_per_instance >= wl.tensor_size(wl.output)
    for ds in wl.data_spaces:
        if reference.links_used(ARCH, m, ds):       # a neighbour's words are read there too
            continue
        k = next(k for k in range(3) if ds.name in m.levels[k].keep)
        s = ev.storage[k].dataspaces[ds.name]
        total = (s.updates_per_instance if ds.read_write else s.reads_per_instance) \
            * s.utilized_instances
        assert ev.computes // 8 <= total <= ev.computes


def test_strided_hull_tile_makes_keeping_cost_more_than_bypassing():
    """Timeloop counts a strided tile as its hull (TIMELOOP_SEMANTICS §2): Inputs W = 2p over
    P4 is 1 + 2*3 = 7 words though the MACs touch 4. Keeping Inputs at the glb fetches the
    7-word hull from DRAM; bypassing it lets the 4 MAC reads go to DRAM directly."""
    wl = workload([1, 1, 1, 4], stride=2)
    unit = (1, 1, 1, 1)
    m = Mapping(DIMS, (
        LevelMapping((1, 1, 1, 4), DIMS, unit, DIMS, 4, frozenset()),
        LevelMapping(unit, DIMS, unit, DIMS, 0, frozenset({"Inputs"})),
        LevelMapping(unit, DIMS, unit, DIMS, 4, frozenset(wl.ds_names))))
    model = Model(ARCH, wl)
    kept = model.evaluate_mapping(m).levels["DRAM"].dataspaces["Inputs"]
    assert (kept.reads_per_instance, kept.utilized_capacity) == (7, 7)
    after = model.evaluate_mapping(bypass(m, 1, "Inputs")).levels["DRAM"].dataspaces["Inputs"]
    assert after.reads_per_instance == 4


@FAST
@given(mapping_case(n=4))
def test_closed_form_multicast_equals_enumeration(case):
    """G_k from the two-stride sumset formula equals counting the translations one by one."""
    from mapper.model.access import _enumerate_translations, distinct_translations
    wl, mappings = case
    nest = Nest(MappingBatch.of(mappings))
    for ds in wl.data_spaces:
        A = ds.projection(wl.dims)
        loops = nest.spatial_of(1)
        if loops:
            brute = _enumerate_translations(nest, loops, A[:, nest.dim_of[loops]])
            assert (distinct_translations(nest, 1, A) == brute).all()


def test_sumset_formula_on_eyeriss_like_collisions():
    """Spatial S3 and Q7 both move the Inputs H rank (stride 1): 3 + 7 - 1 = 9 rows."""
    from mapper.model.access import _sumset_size
    n1, n2, v1, v2 = (np.array([x]) for x in (3, 7, 1, 1))
    assert _sumset_size(n1, n2, v1, v2)[0] == 9
    # strides 2 and 3 over 4 and 3 steps: {0,2,4,6} + {0,3,6} has 11 distinct sums
    assert _sumset_size(*(np.array([x]) for x in (4, 3, 2, 3)))[0] == 11
