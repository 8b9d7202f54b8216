"""The Timeloop reference cases: their mappings are valid tilings of the model, and on the
Eyeriss-like arch the model agrees with the rule-by-rule judge on perturbed mappings."""
from __future__ import annotations

import numpy as np
import pytest

from mapper.prune import TilingModel
from mapper.spec.timeloop_constraints import read_constraints

from ..constraints.refs import CASES, RESNET_CASE, load
from .brute import valid


@pytest.mark.parametrize("d", CASES, ids=lambda p: p.name)
def test_reference_mappings_are_admitted(d):
    ref = load(d)
    c = read_constraints(ref.inputs, ref.arch, ref.workload)
    tm = TilingModel(ref.arch, ref.workload, c)
    assert tm.feasible()
    assert tm.admits(ref.mapping)
    keep = [lm.keep for lm in ref.mapping.levels]
    assert TilingModel(ref.arch, ref.workload, c, keep).admits(ref.mapping)


@pytest.fixture(scope="module")
def eyeriss():
    ref = load(next(d for d in CASES if d.name == RESNET_CASE))
    return ref, read_constraints(ref.inputs, ref.arch, ref.workload)


def _arrays(ref):
    dims = ref.workload.dims
    t = [list(lm.temporal) for lm in ref.mapping.levels]
    x = [[f if d in lm.spatial_order[: lm.split] else 1 for f, d in zip(lm.spatial, dims)]
         for lm in ref.mapping.levels]
    y = [[f if d not in lm.spatial_order[: lm.split] else 1 for f, d in zip(lm.spatial, dims)]
         for lm in ref.mapping.levels]
    return t, x, y


def _fixed(dims, t, x, y):
    return {(k, s, d): arr[k][j] for s, arr in zip("TXY", (t, x, y))
            for k in range(len(t)) for j, d in enumerate(dims)}


def test_ifmap_spad_halo_decides_capacity(eyeriss):
    """C at weights_spad grows the Inputs tile at ifmap_spad (C x 3 x 1 words, 24 fit)."""
    ref, c = eyeriss
    keep = [lm.keep for lm in ref.mapping.levels]
    tm = TilingModel(ref.arch, ref.workload, c, keep)
    dims = ref.workload.dims
    t, x, y = _arrays(ref)
    j, ws, dram = dims.index("C"), ref.arch.level_index("weights_spad"), len(t) - 1
    for c_ws, fits in ((8, True), (16, False)):
        t[ws][j], t[dram][j] = c_ws, 512 // c_ws
        assert tm.feasible(_fixed(dims, t, x, y)) is fits
        assert valid(ref.arch, ref.workload, c, keep, t, x, y) is fits


def test_perturbed_eyeriss_mappings_agree_with_the_judge(eyeriss):
    """Move prime factors of the reference mapping between loops; the model and the
    rule-by-rule judge (capacity with halos, fan-out, factors, axes) must agree."""
    ref, c = eyeriss
    arch, wl = ref.arch, ref.workload
    keep = [lm.keep for lm in ref.mapping.levels]
    tm = TilingModel(arch, wl, c, keep)
    dims, K = wl.dims, len(arch.storage)
    rng = np.random.default_rng(7)
    movable = [j for j, d in enumerate(dims) if wl.bounds[d] > 1]
    outcomes = []
    for _ in range(150):
        arrs = [[row[:] for row in a] for a in _arrays(ref)]
        for _ in range(rng.integers(1, 4)):
            j = movable[rng.integers(len(movable))]
            src = [(s, k) for s in range(3) for k in range(K) if arrs[s][k][j] > 1]
            s0, k0 = src[rng.integers(len(src))]
            p = next(p for p in (2, 3, 5, 7) if arrs[s0][k0][j] % p == 0)
            s1, k1 = int(rng.integers(3)), int(rng.integers(K))
            arrs[s0][k0][j] //= p
            arrs[s1][k1][j] *= p
        t, x, y = arrs
        expected = valid(arch, wl, c, keep, t, x, y)
        assert tm.feasible(_fixed(dims, t, x, y)) is expected, (t, x, y)
        outcomes.append(expected)
    assert 10 < sum(outcomes) < len(outcomes) - 10
