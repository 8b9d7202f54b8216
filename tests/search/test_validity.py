"""Every algorithm returns only mappings that ``mapper model`` accepts: valid in the model
(capacity, fan-out) and breaking none of the constraints (``check_mapping``), after being
written as Timeloop mapping YAML and read back.

The properties draw a small constrained problem around a *witness*: a random mapping that
fits, from which the constraints are derived (factors, permutations, splits, keep/bypass,
utilization) so that they stay feasible. The search's vectorized validity predicate must agree
with ``check_mapping``. Then the cases users reported, through the command line."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy import ReferenceTables
from mapper import api
from mapper.cli import main
from mapper.mapspace import MapSpace
from mapper.model import MappingBatch, Model, Skeleton
from mapper.search import parse_objective, run_search
from mapper.search.batches import random_order, skeleton_for, support_groups
from mapper.search.validity import InvalidResult, constraint_mask, verified_best
from mapper.spec.constraints import (Constraints, DataSpaceRule, FactorBound, LevelConstraints,
                                     LoopOrder, NestConstraints, check_mapping)
from mapper.spec.mapping import LevelMapping, Mapping
from tests.model.builders import arch, gemm, level

TABLES = ReferenceTables({"DRAM": {"read": 100.0, "write": 100.0},
                          "glb": {"read": 6.0, "write": 7.0}, "mid": {"read": 3.0, "write": 3.5},
                          "rf": {"read": 1.0, "write": 1.2}, "mac": {"compute": 0.5}})
BIG = 1 << 20


def build_arch(fan: tuple[int, int], mid: bool, depths: dict[str, int]):
    """DRAM -> glb -(fan-out fx x fy)-> [mid] -> rf -> one MAC per PE."""
    n = fan[0] * fan[1]
    levels = [level("DRAM"), level("glb", depth=depths["glb"])]
    if mid:
        levels.append(level("mid", instances=n, mesh=fan, depth=depths["mid"]))
    levels.append(level("rf", instances=n, mesh=fan, depth=depths["rf"]))
    return arch(*levels, macs=n, mac_mesh=fan)


def _factor_bound(draw, dim: str, f: int, bound: int) -> FactorBound | None:
    kind = draw(st.sampled_from(["none", "none", "=", "<=", ">="]))
    if kind == "=":
        return FactorBound(dim, f, f, f"{dim}={f}")
    if kind == "<=":
        hi = draw(st.integers(f, bound))
        return FactorBound(dim, 1, hi, f"{dim}<={hi}")
    if kind == ">=":
        lo = draw(st.integers(1, f))
        return FactorBound(dim, lo, bound, f"{dim}>={lo}")
    return None


def _pinned(draw, order: tuple[str, ...]) -> LoopOrder | None:
    """None, or a permutation constraint pinning a prefix (inner) and a suffix (outer) of
    ``order``, which therefore allows it."""
    if not draw(st.booleans()):
        return None
    n = len(order)
    a = draw(st.integers(0, n))
    b = draw(st.integers(0, n - a))
    inner, outer = order[:a], order[n - b:] if b else ()
    return LoopOrder(inner, outer, "".join(inner) + ("_" + "".join(outer) if outer else ""))


@st.composite
def problems(draw):
    """(arch, workload, constraints, witness mapping)."""
    bounds = {d: draw(st.sampled_from([1, 2, 3, 4])) for d in ("M", "N", "K")}
    wl = gemm(bounds["M"], bounds["N"], bounds["K"])
    dims = wl.dims
    fan = draw(st.sampled_from([(2, 1), (2, 2), (4, 1), (1, 2)]))
    mid = draw(st.booleans())
    names = ["rf", "mid", "glb", "DRAM"] if mid else ["rf", "glb", "DRAM"]
    K = len(names)
    glb = names.index("glb")
    # The witness: the glb fan-out's order and split decide each dimension's axis.
    s_order = tuple(draw(st.permutations(dims)))
    split = draw(st.integers(0, len(dims)))
    caps = {"X": fan[0], "Y": fan[1]}
    temporal = np.ones((K, len(dims)), np.int64)
    spatial = np.ones((K, len(dims)), np.int64)
    for j, d in enumerate(dims):
        rest = bounds[d]
        axis = "X" if s_order.index(d) < split else "Y"
        divs = [f for f in range(1, rest + 1) if rest % f == 0 and f <= caps[axis]]
        f = draw(st.sampled_from(divs))
        caps[axis] //= f
        spatial[glb, j], rest = f, rest // f
        for k in range(K - 1):
            f = draw(st.sampled_from([f for f in range(1, rest + 1) if rest % f == 0]))
            temporal[k, j], rest = f, rest // f
        temporal[K - 1, j] = rest
    t_orders = [tuple(draw(st.permutations(dims))) for _ in range(K)]
    keeps = [frozenset(ds for ds in wl.ds_names if draw(st.booleans())) for _ in range(K - 1)]
    keeps.append(frozenset(wl.ds_names))
    witness = Mapping(dims, tuple(
        LevelMapping(tuple(int(x) for x in temporal[k]), t_orders[k],
                     tuple(int(x) for x in spatial[k]), s_order if k == glb else dims,
                     split if k == glb else len(dims), keeps[k]) for k in range(K)))
    # Depths: what the witness's kept tiles need, plus some slack.
    roomy = build_arch(fan, mid, {n: BIG for n in names})
    need = Model(roomy, wl, TABLES).evaluate(MappingBatch.of([witness])).capacity_used[:, 0]
    depths = {n: int(need[k]) + draw(st.sampled_from([0, 0, 1, 4, BIG])) or 1
              for k, n in enumerate(names) if n != "DRAM"}
    a = build_arch(fan, mid, depths)
    # Constraints the witness satisfies.
    levels = []
    for k, name in enumerate(names):
        t_bounds = tuple(b for j, d in enumerate(dims)
                         if (b := _factor_bound(draw, d, int(temporal[k, j]), bounds[d])))
        t_nest = NestConstraints(t_bounds, _pinned(draw, t_orders[k]))
        s_nest = NestConstraints()
        if k == glb:
            s_bounds = tuple(b for j, d in enumerate(dims)
                             if (b := _factor_bound(draw, d, int(spatial[k, j]), bounds[d])))
            s_split = split if draw(st.booleans()) else None
            s_nest = NestConstraints(s_bounds, _pinned(draw, s_order), s_split)
        rules = () if k == K - 1 else tuple(
            DataSpaceRule(ds, ds in keeps[k]) for ds in wl.ds_names
            if draw(st.sampled_from([True, True, True, False])))
        levels.append(LevelConstraints(name, t_nest, s_nest, rules))
    used = int(spatial.prod()) / a.compute.instances
    min_util = draw(st.sampled_from([None, None, used, used / 2]))
    constraints = Constraints(tuple(levels), min_util)
    assert check_mapping(witness, a, wl, constraints) == []
    assert Model(a, wl, TABLES).evaluate_mapping(witness).valid
    return a, wl, constraints, witness


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems(), st.data())
def test_constraint_mask_equals_check_mapping(problem, data):
    """The search's vectorized judgement agrees with ``check_mapping`` row by row, on
    random mappings of the problem (most break some constraint)."""
    a, wl, constraints, witness = problem
    space = MapSpace(a, wl, Constraints.none(a))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    tilings = space.sample(64, rng)
    keep = space.keep_choices[data.draw(st.integers(0, len(space.keep_choices) - 1))]
    orders = tuple(random_order(space, k, rng) for k in range(len(a.storage)))
    n = len(wl.dims)
    for rows in support_groups(space, tilings, temporal=False):
        sk = skeleton_for(space, tilings, rows, orders, keep)
        # any spatial order and split: the judgement must agree whatever the axes
        s_orders = tuple(tuple(wl.dims[i] for i in rng.permutation(n)) for _ in a.storage)
        splits = tuple(int(x) for x in rng.integers(0, n + 2, size=len(a.storage)))
        sk = Skeleton(sk.dims, sk.temporal_order, s_orders, splits, sk.keep)
        batch = MappingBatch(sk, tilings.temporal[rows], tilings.spatial[rows])
        mask = constraint_mask(batch, constraints, a)
        expected = [not check_mapping(batch.mapping(i), a, wl, constraints)
                    for i in range(len(batch))]
        assert mask.tolist() == expected
    one = MappingBatch.of([witness])
    assert constraint_mask(one, constraints, a).tolist() == [True]


# --------------------------------------------------------------------------------------------
# The cases users reported, through the command line as they ran them.

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"


def test_optimal_keeps_the_dram_permutation_of_eyeriss_like(tmp_path, capsys):
    """eyeriss_like + gemm_bert_ffn: the DRAM permutation ``N`` (N innermost) was broken by
    the hill climbing of the hybrid round (DRAM loops M32 N2 C2), and that mapping, being
    better than every valid one, came out of ``optimal`` as "proven optimal"."""
    arch_f, prob = DATA / "archs" / "eyeriss_like.yaml", DATA / "problems" / "gemm_bert_ffn.yaml"
    out = tmp_path / "s"
    assert main(["search", str(arch_f), str(prob), "--algorithm", "optimal", "--jobs", "1",
                 "--search-size", "20000", "-o", str(out)]) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["search"]["proven_optimal"] and stats["valid"]
    assert main(["model", str(arch_f), str(prob), str(out / "mapping.yaml"),
                 "-o", str(tmp_path / "m")]) == 0
    assert "breaks a constraint" not in capsys.readouterr().err


def test_hybrid_returns_the_one_mapping_of_a_fully_constrained_space(tmp_path, capsys):
    """The Timeloop exercises' 05-mapper ``1mapping`` constraints (MIT-licensed files, copied
    in tests/data/timeloop/exercise05_1mapping) leave one tiling: K2 R3 at the register file,
    K16 P16 at the global buffer, all kept. Hybrid's hill climbing moved factors of K out of
    the constrained slots (K4 at the buffer, K8 at the register file)."""
    ex = DATA / "exercise05_1mapping"
    files = [str(ex / n) for n in ("arch.yaml", "problem.yaml", "constraints.yaml")]
    tables = ["--ert", str(ex / "ERT.yaml"), "--art", str(ex / "ART.yaml")]
    out = tmp_path / "s"
    assert main(["search", *files, *tables, "--search-size", "2000", "-o", str(out)]) == 0
    assert main(["model", *files, str(out / "mapping.yaml"), *tables,
                 "-o", str(tmp_path / "m")]) == 0
    capsys.readouterr()
    directives = yaml.safe_load((out / "mapping.yaml").read_text())["mapping"]
    temporal = {d["target"]: d["factors"] for d in directives if d["type"] == "temporal"}
    assert temporal == {"RegisterFile": "K2 R3 P1", "GlobalBuffer": "K16 R1 P16",
                        "MainMemory": "K1 R1 P1"}
    assert all(sorted(d["keep"]) == ["Inputs", "Outputs", "Weights"]
               for d in directives if d["type"] == "datatype")


def test_a_mapping_breaking_a_constraint_is_never_returned():
    """The final check: a result that breaks a constraint is an internal error, not output."""
    ex = DATA / "exercise05_1mapping"
    spec = api.load([ex / "arch.yaml", ex / "problem.yaml", ex / "constraints.yaml"],
                    ert=ex / "ERT.yaml", art=ex / "ART.yaml", need_mapping=False)
    model = api.model_of(spec)
    space = MapSpace(spec.arch, spec.workload, spec.constraints)
    result = run_search(model, space, parse_objective("edp"), "exhaustive")
    good = MappingBatch.of([result.best.mapping])
    assert verified_best(model, spec.constraints, good).valid
    k = spec.arch.level_index("GlobalBuffer")
    j = spec.workload.dims.index("K")
    bad = MappingBatch(good.skeleton, good.temporal.copy(), good.spatial.copy())
    bad.temporal[0, k, j] //= 2                       # K8 at the buffer ...
    bad.temporal[0, k + 1, j] *= 2                    # ... K2 at the main memory
    assert not constraint_mask(bad, spec.constraints, spec.arch).any()
    with pytest.raises(InvalidResult, match="GlobalBuffer: temporal factor K=16"):
        verified_best(model, spec.constraints, bad)
