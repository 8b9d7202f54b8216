"""Initial incumbents of ``optimal`` (``SearchInputs.incumbents``, e.g. a neighbouring design's
optimum in a sweep): a valid one prunes and never changes a finished search's answer; an
invalid one is ignored; a search stopped before it met anything returns the incumbent."""
from __future__ import annotations

from dataclasses import replace

from mapper.mapspace import MapSpace
from mapper.model import MappingBatch, Model
from mapper.mapsearch import Objective, StopReason, run_search
from mapper.mapsearch.incumbent import canonical
from mapper.mapsearch.pipeline import SearchInputs, search
from mapper.mapsearch.run import best_valid
from mapper.mapsearch.settings import SearchSettings
from mapper.mapsearch.stopping import StopFlag
from mapper.spec.constraints import Constraints, DataSpaceRule, LevelConstraints
from tests.model.builders import conv1d
from tests.mapsearch.cases import ARCH, TABLES, every_valid_mapping


def _case():
    wl = conv1d(P=4, R=3)
    keep = frozenset({"Inputs", "Outputs", "Weights"})
    constraints = Constraints((LevelConstraints("rf"), LevelConstraints(
        "glb", dataspaces=tuple(DataSpaceRule(n, True) for n in keep)), LevelConstraints("DRAM")))
    return wl, constraints, Model(ARCH, wl, TABLES), MapSpace(ARCH, wl, constraints)


def test_an_incumbent_prunes_and_leaves_the_answer_as_it_was():
    wl, constraints, model, space = _case()
    obj = Objective()
    valid = sorted(((key, c, batch.mapping(row)) for key, c, batch, row
                    in every_valid_mapping(model, space, obj)), key=lambda f: f[:2])
    optimum, worst = valid[0], valid[-1]
    plain = run_search(model, space, obj, "optimal", search_size=50)
    assert plain.stats.proven_optimal
    assert canonical(MappingBatch.of([plain.best.mapping]), 0) == optimum[1]
    # the last tie of the optimum in canonical order, the worst valid mapping: same answer
    tie = [f for f in valid if f[0] == optimum[0]][-1]
    for given in (tie, worst):
        start = best_valid(model, constraints, obj, [given[2]])
        assert start is not None and start[0] == given[0]
        r = run_search(model, space, obj, "optimal", search_size=50, incumbent=start)
        assert r.stats.proven_optimal and r.best.mapping == plain.best.mapping
        # a bound at least as tight from the start: never more tilings evaluated
        assert r.stats.evaluated <= plain.stats.evaluated
    # through the pipeline: an invalid incumbent is ignored, the best valid one is taken
    # every loop in the rf (depth 3): its tile of Inputs is P + R - 1 = 6 words, too many
    m = optimum[2]
    bounds = tuple(wl.bounds[d] for d in m.dims)
    ones = tuple(1 for _ in m.dims)
    invalid = replace(m, levels=(replace(m.levels[0], temporal=bounds, spatial=ones),
                                 *(replace(lv, temporal=ones, spatial=ones)
                                   for lv in m.levels[1:])))
    assert not model.evaluate_mapping(invalid).valid
    assert best_valid(model, constraints, obj, [invalid]) is None
    assert best_valid(model, constraints, obj, [invalid, worst[2], tie[2]])[0] == optimum[0]
    settings = SearchSettings(algorithm="optimal", search_size=50)
    out = search(SearchInputs(ARCH, wl, constraints, TABLES, (invalid, worst[2])), settings,
                 stop=StopFlag())
    assert out.proven_optimal and out.best.mapping == plain.best.mapping


def test_stopped_before_anything_is_met_the_incumbent_is_the_answer():
    wl, constraints, model, space = _case()
    obj = Objective()
    valid = [(key, c, batch.mapping(row))
             for key, c, batch, row in every_valid_mapping(model, space, obj)]
    given = max(valid, key=lambda f: f[:2])
    stop = StopFlag()
    stop.request(StopReason.TERMINATED)
    r = run_search(model, space, obj, "optimal", stop=stop,
                   incumbent=best_valid(model, constraints, obj, [given[2]]))
    assert r.best.mapping == given[2] and not r.stats.proven_optimal
    assert r.stats.evaluated == 0
    # other algorithms take no incumbent: stopped at once, they have nothing
    r = run_search(model, space, obj, "hybrid", stop=stop,
                   incumbent=best_valid(model, constraints, obj, [given[2]]))
    assert r.best is None
