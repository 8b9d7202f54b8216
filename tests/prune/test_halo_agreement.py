"""One halo rule: the model, the mapspace and the CP-SAT model agree on tile sizes.

On 2-D convolutions with strides and dilations (Timeloop's cnn-layer shape, whose Inputs
ranks are ``Wdilation*R + Wstride*P`` and ``Hdilation*S + Hstride*Q``), over every tiling of
small spaces:

* the model's tile of each data space equals an obvious count: per rank, the hull
  ``max - min + 1`` of the rank's coordinate over the points of the tile's box, enumerated;
* the mapspace's capacity use (``capacity.tile_words``) equals the model's;
* the tilings CP-SAT enumerates are exactly those the model finds valid, and the mapspace
  enumerates the same set;
* CP-SAT admits a tiling at a capacity of exactly the words the model counts, and not one
  word less (the values agree, not only the verdicts).
"""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper.mapspace.space import MapSpace
from mapper.model.batch import MappingBatch, Skeleton
from mapper.model.capacity import tile_words
from mapper.model.evaluate import Model
from mapper.prune import TilingModel
from mapper.prune.solve import Tilings
from mapper.spec.constraints import Constraints
from mapper.spec.errors import Where
from mapper.spec.timeloop_problem import read_problem_v04

from ..model.builders import arch, level
from .brute import rows, slots, splits


def conv2d(P, Q, R, S, C, wstride, hstride, wdilation, hdilation):
    """A Timeloop cnn-layer problem, read as a user's problem file is."""
    instance = {"R": R, "S": S, "P": P, "Q": Q, "C": C, "K": 1, "N": 1,
                "Wstride": wstride, "Hstride": hstride,
                "Wdilation": wdilation, "Hdilation": hdilation}
    return read_problem_v04({"shape": "cnn-layer", "instance": instance},
                            Where("problem.yaml", "problem"))


def small_arch(pe_depth: int, glb_depth: int):
    """DRAM -> glb -> 2 PEs in X -> pe -> 2 MACs in X."""
    return arch(level("DRAM"), level("glb", depth=glb_depth),
                level("pe", instances=2, mesh=(2, 1), depth=pe_depth), macs=4, mac_mesh=(4, 1))


def every_tiling(a, wl) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """(B, K, D) temporal and spatial factors of every factor assignment over the slots
    (spatial factors on X: the arch has no Y fan-out), and the slot list."""
    sl = slots(a)
    K, D = len(a.storage), len(wl.dims)
    choices = list(itertools.product(*[list(splits(wl.bounds[d], len(sl))) for d in wl.dims]))
    temporal = np.ones((len(choices), K, D), dtype=np.int64)
    spatial = np.ones((len(choices), K, D), dtype=np.int64)
    for b, choice in enumerate(choices):
        for j, parts in enumerate(choice):
            for (k, s), v in zip(sl, parts):
                (temporal if s == "T" else spatial)[b, k, j] = v
    return temporal, spatial, sl


def hull_words(wl, ds, extents: dict[str, int]) -> int:
    """Words of ``ds`` over a box at the origin, counted point by point: per rank, the
    coordinate's max - min + 1 over every point of the box (Timeloop's axis-aligned hull)."""
    box = list(itertools.product(*[range(extents[d]) for d in wl.dims]))
    words = 1
    for rank in ds.ranks:
        coords = [sum(c * p[wl.dims.index(d)] for d, c in rank) for p in box]
        words *= max(coords) - min(coords) + 1
    return words


@st.composite
def problems(draw):
    wl = conv2d(P=draw(st.sampled_from([2, 3, 4])), Q=draw(st.sampled_from([1, 2])),
                R=draw(st.sampled_from([1, 2, 3])), S=draw(st.sampled_from([1, 2])),
                C=draw(st.sampled_from([1, 2])),
                wstride=draw(st.integers(1, 3)), hstride=draw(st.integers(1, 2)),
                wdilation=draw(st.integers(1, 3)), hdilation=draw(st.integers(1, 2)))
    a = small_arch(draw(st.integers(2, 40)), draw(st.integers(8, 200)))
    inner = [frozenset(draw(st.sets(st.sampled_from(wl.ds_names), min_size=1)))
             for _ in a.storage[:-1]]
    return a, wl, tuple(inner) + (frozenset(wl.ds_names),)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.randoms(use_true_random=False))
def test_model_mapspace_and_cpsat_agree_on_strided_dilated_tiles(problem, rnd):
    a, wl, keep = problem
    K, D = len(a.storage), len(wl.dims)
    temporal, spatial, sl = every_tiling(a, wl)
    B = len(temporal)
    sk = Skeleton(wl.dims, (wl.dims,) * K, (wl.dims,) * K, (D,) * K, keep)
    model = Model(a, wl)
    result = model.evaluate(MappingBatch(sk, temporal, spatial))

    # the model's tiles against the point-by-point hull, on a sample of tilings
    extents = np.cumprod((temporal * spatial).transpose(1, 2, 0), axis=0)      # (K, D, B)
    for b in rnd.sample(range(B), min(B, 12)):
        for k in range(K):
            box = {d: int(extents[k, j, b]) for j, d in enumerate(wl.dims)}
            for ds in wl.data_spaces:
                assert int(result.counts[ds.name].tile[k, b]) == hull_words(wl, ds, box), \
                    (ds.name, k, box)

    # the mapspace's capacity use is the model's, for every tiling and kept level
    for k in range(K):
        if keep[k]:
            np.testing.assert_array_equal(tile_words(wl, extents[k], keep[k]),
                                          result.capacity_used[k])

    # the same space, three ways
    def row(b):
        x = tuple(int(v) for v in spatial[b].reshape(-1))
        return tuple(int(v) for v in temporal[b].reshape(-1)) + x + (1,) * (K * D)
    by_model = {row(b) for b in np.flatnonzero(result.valid)}
    tm = TilingModel(a, wl, Constraints.none(a), keep)
    assert rows(tm.enumerate_tilings()) == by_model
    mapspace = set()
    for t in MapSpace(a, wl).tilings(keep):
        x = np.where(t.on_y, 1, t.spatial)
        y = np.where(t.on_y, t.spatial, 1)
        mapspace |= rows(Tilings(t.temporal, x, y))
    assert mapspace == by_model

    # the values: glb holds exactly what the model counts for a tiling that fits elsewhere
    fits = np.flatnonzero(result.valid)
    for b in rnd.sample(list(fits), min(len(fits), 3)):
        used = int(result.capacity_used[1, b])
        fixed = {(k, s, d): int((temporal if s == "T" else spatial)[b, k, j])
                 for (k, s) in sl for j, d in enumerate(wl.dims)}
        for depth, ok in ((used, True), (used - 1, False)):
            if depth < 1:
                continue
            tight = small_arch(a.storage[0].depth, depth)
            assert TilingModel(tight, wl, Constraints.none(tight), keep).feasible(fixed) == ok
            assert bool(Model(tight, wl).evaluate(
                MappingBatch(sk, temporal[b:b + 1], spatial[b:b + 1])).valid[0]) == ok


def test_hand_checked_strided_dilated_input_tile():
    """Wstride 2, Wdilation 3: a tile of P = 2, R = 3 touches W in 1 + 2*(2-1) + 3*(3-1) = 9
    columns (0, 2 for P; 0, 3, 6 for R: coordinates 0..8), Hstride 1, Hdilation 2 with Q = 2,
    S = 2: 1 + 1*1 + 2*1 = 4 rows; C = 2: 2 * 9 * 4 = 72 words of Inputs."""
    wl = conv2d(P=2, Q=2, R=3, S=2, C=2, wstride=2, hstride=1, wdilation=3, hdilation=2)
    ext = {"R": 3, "S": 2, "P": 2, "Q": 2, "C": 2, "K": 1, "N": 1}
    assert wl.footprint(wl.data_space("Inputs"), ext) == 72 == \
        hull_words(wl, wl.data_space("Inputs"), ext)
