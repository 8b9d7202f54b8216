"""Every algorithm returns only mappings that ``mapper model`` accepts: valid in the model
(capacity, fan-out) and breaking none of the constraints (``check_mapping``), after being
written as Timeloop mapping YAML and read back.

The properties draw a small constrained problem around a *witness*: a random mapping that
fits, from which the constraints are derived (factors, permutations, splits, keep/bypass,
utilization) so that they stay feasible. The search's vectorized validity predicate must agree
with ``check_mapping``; the mapspace's generators and the hill climbing's moves must stay
inside the constraints; every algorithm's result must pass, and the proven algorithms must find
a mapping at least as good as the witness and agree with each other. Then the cases users
reported, through the command line."""
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
from mapper.mapsearch import parse_objective, run_search
from mapper.mapsearch.batches import (exhaustive_batches, random_order, skeleton_for,
                                   support_groups)
from mapper.mapsearch.state import SearchState
from mapper.mapsearch.hybrid import completed, reorders, retilings
from mapper.mapsearch.validity import InvalidResult, constraint_mask, verified_best
from mapper.spec.constraints import (Constraints, DataSpaceRule, FactorBound, LevelConstraints,
                                     LoopOrder, NestConstraints, check_mapping)
from mapper.spec.errors import Where
from mapper.spec.mapping import LevelMapping, Mapping
from mapper.spec.timeloop_mapping import read_mapping
from mapper.spec.timeloop_writer import dump_yaml, mapping_to_timeloop
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


def _no_worse(key, than) -> bool:
    """``key <= than`` lexicographically, up to rounding."""
    for a, b in zip(key, than):
        if a != pytest.approx(b, rel=1e-9):
            return a < b
    return True


def _round_trip(mapping: Mapping, a, wl) -> Mapping:
    text = dump_yaml({"mapping": mapping_to_timeloop(mapping, a, wl)})
    return read_mapping(yaml.safe_load(text), Where("mapping.yaml"), a, wl)


def _accepted(mapping: Mapping, a, wl, constraints) -> None:
    """What ``mapper model`` checks, on the mapping as written to and read from YAML."""
    back = _round_trip(mapping, a, wl)
    assert check_mapping(back, a, wl, constraints) == []
    ev = Model(a, wl, TABLES).evaluate_mapping(back)
    assert ev.valid, ev.violations


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems(), st.sampled_from(["edp", "energy", "delay,energy"]))
def test_every_algorithm_returns_a_mapping_mapper_model_accepts(problem, objective):
    a, wl, constraints, witness = problem
    model = Model(a, wl, TABLES)
    space = MapSpace(a, wl, constraints)
    obj = parse_objective(objective)
    witness_key = tuple(obj.key(model.evaluate(MappingBatch.of([witness])))[0])
    keys = {}
    for algorithm in ("hybrid", "random", "exhaustive", "optimal"):
        result = run_search(model, space, obj, algorithm, jobs=1, time_limit=1.0,
                            search_size=300)
        if result.best is None:
            assert algorithm in ("hybrid", "random") or result.stats.stopped_by != "finished"
            continue
        _accepted(result.best.mapping, a, wl, constraints)
        if result.stats.stopped_by == "finished" and algorithm in ("exhaustive", "optimal"):
            keys[algorithm] = tuple(obj.key(model.evaluate(MappingBatch.of(
                [result.best.mapping])))[0])
            assert _no_worse(keys[algorithm], witness_key)
    if len(keys) == 2:
        assert keys["optimal"] == pytest.approx(keys["exhaustive"])


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


#: what local moves and the mapspace's own generators may still break, left to the search's
#: validity predicate: how many free loops fit on a fan-out axis, and the utilization
LEFT_TO_THE_MASK = ("spatial permutation", "spatial split", "utilization")


def _generated_violations(batch: MappingBatch, a, wl, constraints) -> list:
    return [v for i in range(len(batch)) for v in check_mapping(batch.mapping(i), a, wl,
                                                                  constraints)
            if not v.constraint.startswith(LEFT_TO_THE_MASK)]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems())
def test_local_moves_stay_in_the_constrained_space(problem):
    """From a mapping that satisfies the constraints, every re-tiling and every reorder of the
    hill climbing keeps the factor, permutation and keep constraints (the root cause of
    hybrid returning K4/K8 under K=16 / K=2, and of loops breaking a DRAM permutation)."""
    a, wl, constraints, witness = problem
    space = MapSpace(a, wl, constraints)
    search = SearchState(Model(a, wl, TABLES), space, parse_objective("edp"))
    batch = completed(search, MappingBatch.of([witness]))
    assert _generated_violations(batch, a, wl, constraints) == []
    tilings = retilings(search, batch)
    for rows in support_groups(space, tilings, temporal=False):
        sk = skeleton_for(space, tilings, rows, batch.skeleton.temporal_order,
                          batch.skeleton.keep)
        moved = MappingBatch(sk, tilings.temporal[rows], tilings.spatial[rows])
        assert _generated_violations(moved, a, wl, constraints) == []
    for orders in reorders(search, batch):
        sk = batch.skeleton
        moved = MappingBatch(Skeleton(sk.dims, orders, sk.spatial_order, sk.split, sk.keep),
                             batch.temporal, batch.spatial)
        assert _generated_violations(moved, a, wl, constraints) == []


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems(), st.integers(0, 2**32 - 1))
def test_mapspace_generators_stay_in_the_constrained_space(problem, seed):
    """The exhaustive enumeration (distinct loop orders of each tiling) and the random
    sampling (a random allowed full order per level) keep the factor, permutation and keep
    constraints; the exhaustive one includes the witness's tiling."""
    a, wl, constraints, witness = problem
    space = MapSpace(a, wl, constraints)
    rng = np.random.default_rng(seed)
    found = False
    for keep in space.keep_choices:
        for tilings in space.tilings(keep):
            found |= bool(((tilings.temporal == np.array([lv.temporal for lv in witness.levels]))
                           .all(axis=(1, 2)) & (tilings.spatial == np.array(
                               [lv.spatial for lv in witness.levels])).all(axis=(1, 2))).any())
            for batch in exhaustive_batches(space, tilings, keep):
                assert _generated_violations(batch, a, wl, constraints) == []
        tilings = space.sample(32, rng)
        orders = tuple(random_order(space, k, rng) for k in range(len(a.storage)))
        for rows in support_groups(space, tilings, temporal=False):
            sk = skeleton_for(space, tilings, rows, orders, keep)
            batch = MappingBatch(sk, tilings.temporal[rows], tilings.spatial[rows])
            assert _generated_violations(batch, a, wl, constraints) == []
    assert found


def test_a_spatial_factor_constraint_bounds_the_product_over_both_axes():
    """``M=2`` at a 2x2 fan-out: M's spatial factor is 2 on X or on Y (a loop sits on one
    axis), so each axis alone may be 1. Per-slot bounds (2 on X *and* 2 on Y) left no tiling
    at all: the search found nothing, and the random sampler raised a ValueError."""
    a = build_arch((2, 2), False, {"glb": BIG, "rf": BIG})
    wl = gemm(2, 1, 1)
    glb = NestConstraints((FactorBound("M", 2, 2, "M=2"),))
    constraints = Constraints((LevelConstraints("rf"), LevelConstraints("glb", spatial=glb),
                               LevelConstraints("DRAM")))
    space = MapSpace(a, wl, constraints)
    assert [s.axis for s in space.slots["M"] if s.level == 1] == ["X", "Y", "T"]
    assert sorted(map(tuple, space.factor_table("M"))) == [(1, 1, 2, 1, 1), (1, 2, 1, 1, 1)]
    tilings = [t for keep in space.keep_choices for t in space.tilings(keep)]
    spatial = np.concatenate([t.spatial[:, 1, 0] for t in tilings])
    on_y = np.concatenate([t.on_y[:, 1, 0] for t in tilings])
    assert set(spatial) == {2} and set(on_y) == {False, True}
    result = run_search(Model(a, wl, TABLES), space, parse_objective("edp"), "random",
                        search_size=10)
    assert result.best.mapping.levels[1].spatial == (2, 1, 1)


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
