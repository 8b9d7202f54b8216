"""The search: exhaustive equals brute force on small spaces; the others are deterministic;
`mapper search` writes a mapping that `mapper model` re-evaluates to the same figures."""
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from mapper.mapspace import MapSpace
from mapper.mapspace.factors import count_factorizations, factorizations
from mapper.model import MappingBatch, Model, Skeleton
from mapper.mapsearch import Objective, parse_objective, run_search
from mapper.mapsearch.branch_and_bound import BranchAndBound
from mapper.mapsearch.state import SearchState
from mapper.spec.constraints import Constraints, DataSpaceRule, LevelConstraints
from tests.model.builders import conv1d, gemm

from tests.mapsearch.cases import ARCH, TABLES, free_fanout_gemm


def brute_force_results(model, constraints_keep_glb):
    """Every factorization of every dimension over (rf T, glb X, glb T, DRAM T), every full
    permutation of every level, every keep set of rf: the model's results that hold a valid
    mapping (independent of the objective, so computed once for every objective)."""
    wl = model.workload
    dims = wl.dims
    tables = [factorizations(wl.bounds[d], [(1, 99)] * 4) for d in dims]
    rows = [np.concatenate(c) for c in itertools.product(*tables)]
    F = np.array(rows).reshape(len(rows), len(dims), 4)
    temporal = np.ones((len(rows), 3, len(dims)), np.int64)
    spatial = np.ones((len(rows), 3, len(dims)), np.int64)
    temporal[:, 0], spatial[:, 1], temporal[:, 1], temporal[:, 2] = (F[:, :, i] for i in range(4))
    found = []
    perms = list(itertools.permutations(dims))
    for keep_rf in itertools.chain.from_iterable(
            itertools.combinations(wl.ds_names, r) for r in range(len(wl.ds_names) + 1)):
        keep = (frozenset(keep_rf), constraints_keep_glb, frozenset(wl.ds_names))
        for orders in itertools.product(perms, repeat=3):
            sk = Skeleton(dims, orders, (dims,) * 3, (len(dims),) * 3, keep)
            res = model.evaluate(MappingBatch(sk, temporal, spatial))
            if res.valid.any():
                found.append(res)
    return found


def brute_force(results, objective):
    """The minimum valid objective key over the brute force's results."""
    return min(min(tuple(r) for r in objective.key(res)[res.valid]) for res in results)


GLB_KEEP = frozenset({"Inputs", "Outputs", "Weights"})


@pytest.fixture(scope="module")
def conv1d_brute_force():
    """The brute force's results over conv1d(P=4, R=3): one pass shared by every objective
    and algorithm below, which only read it."""
    return brute_force_results(Model(ARCH, conv1d(P=4, R=3), TABLES), GLB_KEEP)


@pytest.mark.parametrize("algorithm", ["exhaustive", "optimal", "optimal without incumbent"])
@pytest.mark.parametrize("objective", ["edp", "energy", "delay,energy", "energy:1,delay:50"])
def test_exhaustive_and_optimal_equal_brute_force(objective, algorithm, conv1d_brute_force):
    """``optimal`` prunes with bounds, seeded by a hybrid search; run on its own (no
    incumbent at all) the branch and bound must still reach the brute-force optimum."""
    wl = conv1d(P=4, R=3)
    obj = parse_objective(dict((m, float(w)) for m, w in (p.split(":") for p in
                                                          objective.split(",")))
                          if ":" in objective else objective)
    constraints = Constraints((LevelConstraints("rf"),
                               LevelConstraints("glb", dataspaces=tuple(
                                   DataSpaceRule(n, True) for n in GLB_KEEP)),
                               LevelConstraints("DRAM")))
    model = Model(ARCH, wl, TABLES)
    space = MapSpace(ARCH, wl, constraints)
    if algorithm == "optimal without incumbent":
        search = SearchState(model, space, obj)
        assert BranchAndBound().run(search) == "finished"
        mapping = search.evaluation().mapping
    else:
        result = run_search(model, space, obj, algorithm)
        assert result.stats.proven_optimal and result.stats.stopped_by == "finished"
        mapping = result.best.mapping
    found = tuple(float(x) for x in obj.key(model.evaluate(MappingBatch.of([mapping])))[0])
    assert found == pytest.approx(brute_force(conv1d_brute_force, obj))


def test_space_size_counts_timeloop_subspaces():
    wl = gemm(M=4, N=2, K=3)
    space = MapSpace(ARCH, wl)
    # every dimension over (rf T, glb X, glb T, DRAM T); keep sets free at rf and glb
    expected = 1
    for d in wl.dims:
        expected *= count_factorizations(wl.bounds[d], [(1, 99)] * 4)
    assert space.size() == {"tilings": expected, "keep_choices": 8 * 8}
    found = sum(len(t) for keep in space.keep_choices[:1] for t in space.tilings(keep))
    assert 0 < found <= expected


def test_random_and_hybrid_are_deterministic_for_a_seed():
    wl = gemm(M=8, N=4, K=6)
    model, space = Model(ARCH, wl, TABLES), MapSpace(ARCH, wl)
    a = run_search(model, space, Objective(), "random", search_size=3000, seed=7)
    b = run_search(model, space, Objective(), "random", search_size=3000, seed=7)
    assert a.best.mapping == b.best.mapping and a.stats.evaluated == b.stats.evaluated
    h = run_search(model, space, Objective(), "hybrid", search_size=2000, seed=3, time_limit=30)
    assert h.best.valid and h.best.edp <= a.best.edp * 1.5
    assert not h.stats.proven_optimal


def test_objective_parsing():
    assert parse_objective("edp").metrics == ("edp",)
    assert parse_objective("energy, cycles").metrics == ("energy", "delay")
    w = parse_objective({"energy": 1, "delay": 0.5})
    assert w.weights == (1.0, 0.5)
    from mapper.spec.errors import SpecError
    with pytest.raises(SpecError, match="unknown metric 'power'"):
        parse_objective("power")


def test_cli_search_writes_a_mapping_that_model_reproduces(tmp_path, capsys):
    from mapper.cli import main
    data = Path(__file__).resolve().parents[1] / "data" / "timeloop"
    arch_f, prob = data / "archs" / "eyeriss_like.yaml", data / "problems" / "resnet18_conv3x3_7.yaml"
    assert main(["search", str(arch_f), str(prob), "--algorithm", "random", "--search-size",
                 "20000", "-o", str(tmp_path)]) == 0
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["search"]["algorithm"] == "random" and not stats["search"]["proven_optimal"]
    assert stats["search"]["space_size"]["tilings"] == 8494200
    assert stats["search"]["space_size"]["loop_orders"] == 518400       # Timeloop's subspaces
    assert main(["model", str(arch_f), str(prob), str(tmp_path / "mapping.yaml"),
                 "-o", str(tmp_path / "m")]) == 0                         # valid, constraints kept
    again = json.loads((tmp_path / "m" / "stats.json").read_text())
    assert again["cycles"] == stats["cycles"] and again["energy_pJ"] == stats["energy_pJ"]


@pytest.fixture(scope="module")
def free_fanout_best_edp():
    """The brute-force minimum EDP of ``free_fanout_gemm`` (5184 skeletons, the slow part):
    computed once for both algorithms below, which only read it."""
    a, wl, constraints, keep = free_fanout_gemm()
    model = Model(a, wl, TABLES)
    dims = wl.dims
    tables = [factorizations(wl.bounds[d], [(1, 99)] * 4) for d in dims]
    F = np.array([np.concatenate(c) for c in itertools.product(*tables)]).reshape(-1, 3, 4)
    temporal = np.ones((len(F), 3, 3), np.int64)
    spatial = np.ones((len(F), 3, 3), np.int64)
    temporal[:, 0], spatial[:, 1], temporal[:, 1], temporal[:, 2] = (F[:, :, i] for i in range(4))
    best = None
    perms = list(itertools.permutations(dims))
    for s_order in perms:
        for split in range(4):
            for orders in itertools.product(perms, repeat=3):
                sk = Skeleton(dims, orders, (dims, s_order, dims), (3, split, 3), keep)
                res = model.evaluate(MappingBatch(sk, temporal, spatial))
                if res.valid.any():
                    k = float(res.edp[res.valid].min())
                    best = k if best is None or k < best else best
    return best


@pytest.mark.parametrize("algorithm", ["exhaustive", "optimal"])
def test_exhaustive_and_optimal_equal_brute_force_with_free_fanout_axes(algorithm,
                                                                         free_fanout_best_edp):
    """A 2 x 2 array under the glb: each spatial dimension may go on X or Y; brute force
    tries every spatial permutation and split (which puts each dimension on an axis)."""
    a, wl, constraints, keep = free_fanout_gemm()
    model = Model(a, wl, TABLES)
    result = run_search(model, MapSpace(a, wl, constraints), Objective(), algorithm)
    assert result.stats.proven_optimal
    assert result.best.edp == pytest.approx(free_fanout_best_edp)


def test_search_a_layer_of_the_library_on_a_template(tmp_path, capsys):
    from mapper.cli import main
    root = Path(__file__).resolve().parents[2]
    lib = root / "problems" / "layers" / "resnet18.yaml"
    assert main(["search", "eyeriss_like", str(lib), "--layer", "conv3x3_512_512_7",
                 "--set", "pe_rows=8", "--search-size", "5000", "-o", str(tmp_path)]) == 0
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["computes"] == 512 * 512 * 9 * 49
    assert stats["levels"]["mac"]["instances"] == 8 * 14
    assert main(["model", "eyeriss_like", str(lib), str(tmp_path / "mapping.yaml"),
                 "--layer", "conv3x3_512_512_7", "--set", "pe_rows=8",
                 "-o", str(tmp_path / "m")]) == 0
    assert main(["search", "eyeriss_like", str(lib), "-o", str(tmp_path / "x")]) == 2
    assert "choose a layer with --layer NAME" in capsys.readouterr().err


def test_infeasible_constraints_are_explained_not_searched(tmp_path, capsys):
    import yaml
    from mapper.cli import main
    data = Path(__file__).resolve().parents[1] / "data" / "timeloop"
    arch = yaml.safe_load((data / "archs" / "eyeriss_like.yaml").read_text())
    for t in arch["architecture_constraints"]["targets"]:
        if t["target"] == "weights_spad" and t["type"] == "temporal":
            t["factors"] = "N=1,M=1,P=1,Q=1,S=1,R=3,C=256"
    (tmp_path / "arch.yaml").write_text(yaml.safe_dump(arch))
    code = main(["search", str(tmp_path / "arch.yaml"),
                 str(data / "problems" / "resnet18_conv3x3_7.yaml"), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and not (tmp_path / "o").exists()
    assert "Inputs tile at ifmap_spad needs at least 256 words with C=256" in err
    assert "architecture_constraints.targets[12].factors" in err


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--time-limit", "-1"],
                                    ["--search-size", "-5"], ["--seed", "x"]])
def test_bad_numeric_options_are_usage_errors(tmp_path, capsys, option):
    from mapper.cli import main
    ex = Path(__file__).resolve().parents[2] / "examples" / "eyeriss_like"
    with pytest.raises(SystemExit) as exit_:
        main(["search", str(ex / "arch.yaml"), str(ex / "problem.yaml"), *option,
              "-o", str(tmp_path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option[0]}: expected" in err and "Traceback" not in err


def branch_and_bound_reaches_exhaustive(hierarchy, tables, wl, keep,
                                        objectives=("edp", "energy")) -> list[int]:
    """On a four-level hierarchy with the keep sets ``keep`` (rf, l1, glb): the branch and
    bound without an incumbent reaches exhaustive's optimum key (every column), for each
    of ``objectives`` (EDP and energy unless given); the mappings it pruned, per
    objective."""
    keep = tuple(frozenset(k) for k in keep) + (frozenset(wl.ds_names),)
    constraints = Constraints(tuple(
        LevelConstraints(n, dataspaces=tuple(DataSpaceRule(d, d in kp) for d in wl.ds_names))
        for n, kp in zip(("rf", "l1", "glb", "DRAM"), keep)))
    model = Model(hierarchy, wl, tables)
    space = MapSpace(hierarchy, wl, constraints)
    pruned = []
    for obj in map(parse_objective, objectives):
        exhaustive = run_search(model, space, obj, "exhaustive")
        search = SearchState(model, space, obj)
        assert BranchAndBound().run(search) == "finished"
        assert search.best.key == pytest.approx(tuple(obj.key(model.evaluate(
            MappingBatch.of([exhaustive.best.mapping])))[0]))
        pruned.append(search.progress.pruned)
    return pruned


@pytest.mark.parametrize("objective", ["delay,energy", "energy,delay"])
def test_optimal_equals_exhaustive_for_lexicographic_objectives(objective):
    """A lexicographic objective prunes on every column (``SearchState.may_improve``: a
    bound above the incumbent in the first column where they differ), and sharpening raises
    each column to the least of its own metric over the candidate innermost loops: the
    branch and bound (no incumbent) still reaches exhaustive's optimum key, on the joint
    floor's hierarchy and on a strided sliding window, and prunes more than it would on
    the first column alone."""
    from tests.model.test_bound import ARCH as A4, ARCH_SMALL_BLOCKS, JOINT_KEEPS, TABLES as T4
    from tests.model.test_bound import conv1d as conv
    branch_and_bound_reaches_exhaustive(ARCH_SMALL_BLOCKS, T4,
                                        conv(R=3, P=8, C=4, M=2, stride=1),
                                        JOINT_KEEPS[0], (objective,))
    pruned, = branch_and_bound_reaches_exhaustive(
        A4, T4, conv(R=3, P=4, C=1, M=2, stride=2),
        ({"Weights"}, {"Outputs"}, {"Inputs", "Outputs"}), (objective,))
    assert pruned > 0


def test_may_improve_is_lexicographic():
    """Hand-checked: against the incumbent key (10, 5), a bound may improve when its first
    column is lower (whatever the second), or equal with the second at most 5; not when
    the first is higher (whatever the second) or equal with the second higher. With no
    incumbent, every finite bound may."""
    wl = gemm(M=2, N=2, K=2)
    state = SearchState(Model(ARCH, wl, TABLES), MapSpace(ARCH, wl),
                        parse_objective("delay,energy"))
    keys = np.array([[9, 99], [10, 4], [10, 5], [10, 6], [11, 0], [np.inf, 0]], dtype=float)
    assert state.may_improve(keys).tolist() == [True, True, True, True, True, False]
    state.bound = (10.0, 5.0)
    assert state.may_improve(keys).tolist() == [True, True, True, False, False, False]


def test_optimal_equals_exhaustive_on_a_sliding_window_with_strides():
    """Four levels, a fan-out under l1, a strided sliding window and a channel the inputs do not
    project on: the branch and bound (no incumbent) reaches exhaustive's optimum."""
    from tests.model.test_bound import ARCH as A4, TABLES as T4, conv1d as conv
    pruned = branch_and_bound_reaches_exhaustive(
        A4, T4, conv(R=3, P=4, C=1, M=2, stride=2),
        ({"Weights"}, {"Outputs"}, {"Inputs", "Outputs"}))
    assert all(p > 0 for p in pruned)


@pytest.mark.parametrize("keep_at", [0, 4])
def test_optimal_equals_exhaustive_where_the_joint_floor_binds(keep_at):
    """Small buffers, the glb holding Inputs and Outputs while the Weights pass it, to l1 (as
    simba_like's global buffer) or to the rf below l1's fan-out: the joint floor of the glb
    (model/floors.py) raises partial tilings' bounds, and the branch and bound (no
    incumbent) still reaches exhaustive's optimum."""
    from tests.model.test_bound import ARCH_SMALL_BLOCKS as A4, JOINT_KEEPS, TABLES as T4
    from tests.model.test_bound import conv1d as conv
    branch_and_bound_reaches_exhaustive(A4, T4, conv(R=3, P=8, C=4, M=2, stride=1),
                                        JOINT_KEEPS[keep_at])


def test_optimal_equals_exhaustive_with_sharpening_only_on_its_probes(monkeypatch):
    """Sharpening of partial tilings is skipped where what a stage's sharpening spares
    stays below SHARPEN_MARGIN times what it spends after its sample (here: at once, and
    nothing ever pays), except on every SHARPEN_PROBE-th call: the bounds are only lower
    then, and the branch and bound still reaches exhaustive's optimum. (Whole tilings are
    always sharpened: not counted.)"""
    from tests.model.test_bound import ARCH as A4, TABLES as T4, conv1d as conv
    calls = {"asked": 0, "ran": 0}
    asked, ran = BranchAndBound._sharpened_if_paying, BranchAndBound._sharpened

    def count(name, method):
        def counted(self, tilings, keys, keep, fixed_through=None):
            calls[name] += fixed_through is not None
            return method(self, tilings, keys, keep, fixed_through)
        return counted
    monkeypatch.setattr(BranchAndBound, "_sharpened_if_paying", count("asked", asked))
    monkeypatch.setattr(BranchAndBound, "_sharpened", count("ran", ran))
    monkeypatch.setattr(BranchAndBound, "SHARPEN_SAMPLE", 1)
    # small pieces, one partial tiling at a time: many calls per stage
    monkeypatch.setattr(BranchAndBound, "PIECE", 4)
    monkeypatch.setattr(BranchAndBound, "DESCEND", 1)
    monkeypatch.setattr(BranchAndBound, "SHARPEN_MARGIN", float("inf"))
    branch_and_bound_reaches_exhaustive(A4, T4, conv(R=3, P=4, C=1, M=2, stride=2),
                                        ({"Weights"}, {"Outputs"}, {"Inputs", "Outputs"}))
    assert 0 < calls["ran"] < calls["asked"] / 2
