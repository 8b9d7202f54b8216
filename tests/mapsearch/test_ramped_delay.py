"""The ``ramped_delay`` objective (cycles + the ramps of ``mapper/model/ramp.py``): the
branch and bound, with and without an incumbent, and ``exhaustive`` all reach the brute-force
optimum; it is reachable from ``mapper search --objective`` and ``mapper.api.search``."""
import json
import re

import numpy as np
import pytest

from mapper import api
from mapper.mapsearch import parse_objective, run_search
from mapper.mapsearch.batches import exhaustive_batches
from mapper.mapsearch.branch_and_bound import BranchAndBound
from mapper.mapsearch.objective import metric_values
from mapper.mapsearch.state import SearchState
from mapper.mapspace import MapSpace
from mapper.model import MappingBatch, Model
from mapper.model.ramp import RampRule
from mapper.spec.constraints import Constraints, DataSpaceRule, LevelConstraints
from tests.mapsearch.cases import TABLES
from tests.mapsearch.test_search import brute_force, brute_force_results
from tests.model.builders import arch, conv1d, gemm, level

#: DRAM > glb (single-buffered, 2 words/cycle in and out) > 2 rfs (2 words/cycle in, depth
#: 3) > 2 MACs: the glb ramps up and down, the rf up; both bandwidths also throttle. On
#: conv1d P=4 R=3 the least cycles (7) and the least cycles + ramps (12) are attained by
#: different mappings (test_the_ramped_optimum_differs_from_the_delay_optimum).
ARCH = arch(level("DRAM"), level("glb", depth=12, read_bandwidth=2.0, write_bandwidth=2.0),
            level("rf", instances=2, mesh=(2, 1), depth=3, write_bandwidth=2.0), macs=2)


def glb_keeps_all(wl):
    keep = frozenset(wl.ds_names)
    return keep, Constraints((LevelConstraints("rf"),
                              LevelConstraints("glb", dataspaces=tuple(
                                  DataSpaceRule(n, True) for n in keep)),
                              LevelConstraints("DRAM")))


def first_results(wl):
    """The model's results of the first batch of mappings of ``wl`` (glb keeps everything)."""
    space = MapSpace(ARCH, wl, glb_keeps_all(wl)[1])
    keep = space.keep_choices[0]
    batch = next(exhaustive_batches(space, next(space.tilings(keep, chunk=64)), keep))
    return Model(ARCH, wl, TABLES).evaluate(batch)


def test_the_metric_is_cycles_plus_ramps():
    obj = parse_objective("ramped_delay")
    assert obj.metrics == ("ramped_delay",) and parse_objective("ramped-delay") == obj
    result = first_results(conv1d(P=4, R=3))
    assert np.array_equal(metric_values(result, "ramped_delay"),
                          result.cycles + result.ramp_cycles)
    assert (result.ramp_cycles > 0).any()


@pytest.mark.parametrize("algorithm", ["exhaustive", "optimal", "optimal without incumbent"])
@pytest.mark.parametrize("workload,objective", [
    (conv1d(P=4, R=3), "ramped_delay"), (conv1d(P=4, R=3), "ramped_delay,energy"),
    (conv1d(P=4, R=3), "ramped_delay:1,energy:0.01"), (gemm(M=2, N=2, K=3), "ramped_delay")],
    ids=["conv1d", "conv1d-lexicographic", "conv1d-weighted", "gemm"])
def test_optimal_and_exhaustive_equal_brute_force(workload, objective, algorithm):
    """Brute force: every factorization over (rf T, glb X, glb T, DRAM T), every order of
    every level, every rf keep set. The branch and bound prunes with the ramped cycles of
    bounding evaluations; run alone (no incumbent) it must still reach the optimum."""
    obj = parse_objective(dict((m, float(w)) for m, w in (p.split(":") for p in
                                                          objective.split(",")))
                          if ":" in objective else objective)
    glb_keep, constraints = glb_keeps_all(workload)
    model = Model(ARCH, workload, TABLES)
    space = MapSpace(ARCH, workload, constraints)
    if algorithm == "optimal without incumbent":
        state = SearchState(model, space, obj)
        assert BranchAndBound().run(state) == "finished"
        mapping = state.evaluation().mapping
    else:
        result = run_search(model, space, obj, algorithm)
        assert result.stats.proven_optimal and result.stats.stopped_by == "finished"
        mapping = result.best.mapping
    found = model.evaluate(MappingBatch.of([mapping]))
    assert tuple(float(x) for x in obj.key(found)[0]) == pytest.approx(
        brute_force(brute_force_of(model, glb_keep), obj))


BRUTE_FORCE: dict[tuple, list] = {}


def brute_force_of(model, glb_keep):
    """The brute force's results on ``model``'s workload (they do not depend on the objective):
    one brute force per workload for every objective and algorithm here, which only read it."""
    wl = model.workload
    key = (wl.name, tuple(wl.bounds[d] for d in wl.dims), glb_keep)
    if key not in BRUTE_FORCE:
        BRUTE_FORCE[key] = brute_force_results(model, glb_keep)
    return BRUTE_FORCE[key]


def test_the_ramped_optimum_differs_from_the_delay_optimum():
    """The objective is not the delay under another name: on this space the least cycles
    and the least cycles + ramps are attained by different mappings (brute force).

    Least cycles, 7: DRAM P=2; glb R=3 in time, P=2 across the rfs; the rfs keep Inputs and
    Outputs. Each rf's Inputs tile is one word, and the visits above it (R=3 inside P=2;
    TIMELOOP_SEMANTICS §3) all shift it by +1: 1 + 2 + 1 + 2 = 6 words each. The rfs'
    translations differ by 1, so at the 5 visits after the first rf 0 takes its word from
    rf 1 over their link (§4): the glb reads Inputs 2 + 5 = 7 times, not 2 x 6 = 12. With
    Weights 6, the glb reads 13 words at 2 words/cycle (and is written 13: fills 3 + 6,
    updates 4): ceil(6.5) = 7 cycles (12 MACs on 2 MACs take 6). Without links it took
    ceil(18 / 2) = 9, and the least was 8 (DRAM R=3, glb P=2 across the rfs, rf P=2). Its
    ramps: the rf's first Inputs word, ceil(1 / 2) = 1; the glb's first Weights 3 +
    Inputs 4, ceil(7 / 2) = 4, its last Outputs 2, ceil(2 / 2) = 1: 7 + 6 = 13. The ramped
    optimum, 12 = 9 + 3, is worked out in tests/eyexam/test_eyexam.py
    (test_step_7_is_the_least_cycles_plus_ramps_not_step_6s_mapping_ramped)."""
    wl = conv1d(P=4, R=3)
    glb_keep, _ = glb_keeps_all(wl)
    model = Model(ARCH, wl, TABLES)
    delay = brute_force(brute_force_of(model, glb_keep), parse_objective("delay,ramped_delay"))
    ramped = brute_force(brute_force_of(model, glb_keep), parse_objective("ramped_delay,delay"))
    assert delay == (7, 13) and ramped == (12, 9)      # (first metric, then the other)


def test_cli_and_api_search_with_ramped_delay(tmp_path, capsys):
    from mapper.cli import main
    files = ["eyeriss_like", "problems/layers/resnet18.yaml"]
    outcome = api.search(files, layer="fc_512_1000", objective="ramped_delay",
                         algorithm="hybrid", search_size=2000)
    assert outcome.objective.metrics == ("ramped_delay",) and outcome.best.valid
    assert main(["search", *files, "--layer", "fc_512_1000", "--objective", "ramped_delay",
                 "--algorithm", "hybrid", "--search-size", "2000", "-o", str(tmp_path)]) == 0
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["search"]["objective"] == "ramped_delay"
    # it prints the value it minimized: cycles + ramps of the mapping it wrote
    line = next(x for x in capsys.readouterr().out.splitlines() if "ramped delay:" in x)
    total, cycles, ramp = (int(w.replace(",", "")) for w in re.findall(r"\d[\d,]*", line)[:3])
    spec = api.load([*files, str(tmp_path / "mapping.yaml")], layer="fc_512_1000")
    ev = api.evaluate(spec)
    assert cycles == ev.cycles == stats["cycles"] and total == cycles + ramp
    assert ramp == sum(r.cycles for r in RampRule(spec.arch, spec.workload).levels(ev.tiles))


@pytest.mark.parametrize("objective", ["edp", "energy", "delay", "last_level_accesses",
                                       "ramped_delay", "energy,delay", "delay:1,energy:0.01",
                                       "ramped_delay:2,edp:1"])
def test_key_with_energy_is_the_key_of_the_rows_with_that_energy(objective):
    """The tile bound's key (``Objective.key_with_energy``: some rows of a result, their
    energy replaced, nothing copied) equals ``key`` of those rows taken and replaced, for
    every metric, lexicographic and weighted."""
    from dataclasses import replace
    obj = parse_objective(objective)
    result = first_results(conv1d(P=4, R=3))
    rng = np.random.default_rng(7)
    rows = rng.integers(len(result), size=20)
    energy = result.energy[rows] * rng.uniform(1.0, 3.0, size=20)
    expect = obj.key(replace(result.take(rows), energy=energy))
    assert np.array_equal(obj.key_with_energy(result, rows, energy), expect)
    assert not np.array_equal(obj.key_with_energy(result, rows, result.energy[rows]), expect) \
        or obj.metrics in (("delay",), ("last_level_accesses",), ("ramped_delay",))
