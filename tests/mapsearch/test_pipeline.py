"""The one search pipeline: `mapper search`, `mapper network` and the Python API give what
`mapper.mapsearch.pipeline.search` gives; the proven algorithms return the same mapping for any
number of jobs (ties broken in canonical order, never by timing or worker)."""
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import mapper
from mapper import api
from mapper.cli import main
from mapper.mapspace import MapSpace
from mapper.model import MappingBatch, Model
from mapper.network.run import run_network
from mapper.mapsearch import Objective, StopReason, parse_objective, run_search
from mapper.mapsearch import pipeline
from mapper.mapsearch.state import SearchState
from mapper.mapsearch.incumbent import canonical
from mapper.mapsearch.pipeline import Feasibility, SearchInputs, SearchOutcome, SearchStarted
from mapper.spec.constraints import Constraints, DataSpaceRule, LevelConstraints
from mapper.spec.timeloop_mapping import read_mapping
from mapper.spec.errors import Where
from tests.model.builders import conv1d
from tests.network.helpers import LIBRARY, QUICK

from tests.mapsearch.cases import ARCH, TABLES, every_valid_mapping, free_fanout_gemm

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"
ARCH_FILE = DATA / "archs" / "eyeriss_like.yaml"
PROBLEM = DATA / "problems" / "resnet18_conv3x3_7.yaml"


def test_cli_search_writes_the_pipelines_outcome(tmp_path, capsys, monkeypatch):
    calls = []
    real = pipeline.search
    monkeypatch.setattr(pipeline, "search", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert main(["search", str(ARCH_FILE), str(PROBLEM), "--algorithm", "random",
                 "--search-size", "3000", "--seed", "3", "-o", str(tmp_path)]) == 0
    assert len(calls) == 1
    spec = api.load([ARCH_FILE, PROBLEM], need_mapping=False)
    outcome = api.search(spec, algorithm="random", search_size=3000, seed=3)
    assert isinstance(outcome, SearchOutcome) and outcome.feasibility == Feasibility.FEASIBLE
    stats = json.loads((tmp_path / "stats.json").read_text())
    expected = outcome.to_json()
    assert {k: v for k, v in stats["search"].items() if k != "wall_s"} == \
        {k: v for k, v in expected.items() if k != "wall_s"}
    assert stats["search"]["stopped_by"] == "search size"
    written = read_mapping(yaml.safe_load((tmp_path / "mapping.yaml").read_text())["mapping"],
                           Where("mapping.yaml", "mapping"), spec.arch, spec.workload)
    assert canonical(MappingBatch.of([written]), 0) == \
        canonical(MappingBatch.of([outcome.best.mapping]), 0)
    assert stats["energy_pJ"] == outcome.best.energy_pJ and stats["cycles"] == outcome.best.cycles


def test_network_layers_are_the_pipelines_outcomes():
    result = run_network("eyeriss_like", "resnet18", search_size=QUICK, cache_dir=None, only=2)
    assert result.stopped_by is None and result.complete
    for r in result.layers:
        name = r.layer.layers[0].source.rsplit("#", 1)[1]
        outcome = api.search(["eyeriss_like", LIBRARY / "resnet18.yaml"], layer=name,
                             search_size=QUICK)
        assert r.evaluation.mapping == outcome.best.mapping
        assert r.evaluation.energy_pJ == outcome.best.energy_pJ
        assert r.search["evaluated"] == outcome.stats.evaluated
        assert r.search["stopped_by"] == str(outcome.stopped_by)


def test_package_level_search_and_run_network():
    """``mapper.search`` is the package and, called, api.search (like mapper.load)."""
    events = []
    outcome = mapper.search([ARCH_FILE, PROBLEM], algorithm="random", search_size=2000,
                            progress=events.append)
    assert outcome.best.valid and not outcome.proven_optimal
    assert outcome.stopped_by == StopReason.SEARCH_SIZE and not outcome.stopped_early
    started = [e for e in events if isinstance(e, SearchStarted)]
    assert len(started) == 1 and started[0].space_size == outcome.stats.space_size
    assert any(getattr(e, "evaluated", 0) > 0 for e in events)
    assert mapper.mapsearch.run_search is run_search
    assert mapper.run_network.__doc__ and callable(mapper.run_network)


def test_infeasible_constraints_give_the_reasons_and_no_search(tmp_path, capsys):
    """A weights spad of 4 words with a whole filter row forced into it: nothing fits."""
    cons = tmp_path / "cons.yaml"
    cons.write_text("architecture_constraints:\n  targets:\n"
                    "    - {target: weights_spad, type: temporal, factors: R=0}\n")
    files = ["eyeriss_like", cons, LIBRARY / "resnet18.yaml"]
    outcome = api.search(files, layer="conv7x7_3_64_112_s2",
                         overrides={"weights_spad_depth": 2})
    assert outcome.feasibility == Feasibility.INFEASIBLE
    assert outcome.best is None and outcome.stats is None
    assert any("needs at least 7 words with R=7, but the level holds 4" in r
               for r in outcome.reasons)
    code = main(["search", *map(str, files), "--layer", "conv7x7_3_64_112_s2", "--set",
                 "weights_spad_depth=2", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "no mapping fits" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# -- determinism ------------------------------------------------------------------------------

def _fanout_case():
    """A 2 x 2 array: each spatial dimension may go on X or Y, so many mappings tie."""
    a, wl, constraints, _ = free_fanout_gemm()
    return Model(a, wl, TABLES), MapSpace(a, wl, constraints)


def _conv_case():
    wl = conv1d(P=4, R=3)
    keep = frozenset({"Inputs", "Outputs", "Weights"})
    constraints = Constraints((LevelConstraints("rf"), LevelConstraints(
        "glb", dataspaces=tuple(DataSpaceRule(n, True) for n in keep)), LevelConstraints("DRAM")))
    return Model(ARCH, wl, TABLES), MapSpace(ARCH, wl, constraints)


@pytest.mark.parametrize("case", [_fanout_case, _conv_case])
@pytest.mark.parametrize("objective", ["edp", "delay"])
def test_ties_are_broken_in_canonical_order_whatever_the_order_met(case, objective):
    model, space = case()
    obj = parse_objective(objective)
    every = every_valid_mapping(model, space, obj)
    key, first, *_ = min(every, key=lambda f: f[:2])
    assert len({f[1] for f in every if f[0] == key}) > 1          # there are ties to break
    for order in (every, every[::-1]):
        search = SearchState(model, space, obj)
        for _, _, batch, row in order:
            search.consider(batch.take([row]))
        assert search.best.key == key and search.best.current.canonical == first
    # within one batch too: the rows of a batch in either order
    batch = next(f[2] for f in every if f[0] == key)
    for rows in (np.arange(len(batch)), np.arange(len(batch))[::-1]):
        s1 = SearchState(model, space, obj)
        s1.consider(batch.take(rows))
        expected = min((f[0], f[1]) for f in every if f[2] is batch)
        assert (s1.best.key, s1.best.current.canonical) == expected


@pytest.mark.parametrize("case", [_fanout_case, _conv_case])
@pytest.mark.parametrize("algorithm", ["exhaustive", "optimal"])
def test_proven_algorithms_give_the_same_mapping_for_any_jobs(case, algorithm):
    """The hybrid seed of optimal differs with the jobs and the seed; the result does not."""
    model, space = case()
    for obj in (Objective(), parse_objective("delay")):
        every = every_valid_mapping(model, space, obj)
        key, first, *_ = min(every, key=lambda f: f[:2])
        runs = [run_search(model, space, obj, algorithm, jobs=jobs, seed=seed, search_size=500)
                for jobs, seed in ((1, 0), (2, 0), (1, 7))]
        for r in runs:
            assert r.stats.proven_optimal and r.stats.stopped_by == StopReason.FINISHED
            assert canonical(MappingBatch.of([r.best.mapping]), 0) == first
        assert runs[0].best.mapping == runs[1].best.mapping == runs[2].best.mapping


def test_pipeline_runs_in_steps(tmp_path):
    """The steps are public: the feasibility check alone, then the search."""
    spec = api.load([ARCH_FILE, PROBLEM], need_mapping=False)
    inputs = SearchInputs.of(spec)
    check = pipeline.check_feasibility(inputs)
    assert check.status == Feasibility.FEASIBLE and not check.reasons
    settings = api.search_settings(spec, algorithm="random", search_size=1000)
    assert settings.jobs == 1 and settings.search_size == 1000
    assert settings.objective == Objective()
    assert api.search_settings(spec, objective="energy:1,delay:0.5").objective.weights == \
        (1.0, 0.5)
