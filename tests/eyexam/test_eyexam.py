"""Eyexam: a hand-checked 1-D convolution on a 4 x 4 array, the bounds never increase on
random small layers and arrays, step 6 is the delay-optimal search's, bad inputs."""
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mapper import api
from mapper.eyexam import eyexam
from mapper.eyexam.outputs import format_table, to_json_text
from mapper.eyexam.steps import Proof
from mapper.mapsearch.objective import Objective
from mapper.mapsearch.pipeline import SearchStarted, search
from mapper.mapsearch.settings import SearchSettings
from mapper.mapsearch.stopping import StopFlag, StopReason
from mapper.model.ramp import RampRule
from mapper.spec.errors import SpecError
from tests.eyexam.cases import array_inputs, ramp_inputs

FAST = SearchSettings(search_size=2000)


def test_conv1d_on_a_4x4_array_by_hand():
    """Outputs[p] += Weights[r] * Inputs[p + r], P=16, R=3: 48 MACs, 16 PEs as 4 x 4.

    1. every MAC at once: 16 * 3 = 48.
    2. no dataflow constraint, PEs unlimited: P=16 on one axis, R=3 on the other: 48.
    3. at most 16 PEs, in factors of P (1,2,4,8,16) times R (1,3): 16 (P=16) -- 24 or 48
       would need more PEs, 12 = 4 * 3 < 16: 16 (fragmentation would show as 3x lost).
    4. X <= 4 and Y <= 4, each dimension on one axis: P <= 4, R <= 3: 4 * 3 = 12.
    5. the glb (12 words) keeps all three tiles of its spatial factors: P=4, R=3 needs
       Weights 3 + Inputs (4 + 3 - 1) + Outputs 4 = 13 > 12; P=2, R=3 needs 3 + 4 + 2 = 9;
       P=4, R=1 needs 1 + 4 + 4 = 9: the most is 2 * 3 = 6.
    6. 8 words/cycle at the glb throttle nothing here: 48 / 6 = 8 cycles, 6 MACs/cycle, the
       step-5 bound attained (so proven without the branch and bound).
    7. step 6's mapping (P=2, R=3 spatial; the glb tile cannot grow: P=4 gives 13 words):
       ramp-up of the glb ceil((3 + 4) / 8) = 1, ramp-down ceil(2 / 8) = 1; the rf has no
       bandwidth (adds nothing), DRAM is the outermost: 8 + 2 = 10 cycles, 4.8 MACs/cycle.
       No valid mapping does better: its cycles are >= 8 (step 6) and the glb (single-
       buffered, made to keep all three data spaces) fills at least Weights 1 + Inputs 1
       words, ceil(2 / 8) = 1, and drains at least 1 word of Outputs, ceil(1 / 8) = 1:
       >= 8 + 1 + 1 = 10. The search (objective ramped_delay) proves it.
    """
    r = eyexam(array_inputs(), FAST)
    assert [s.macs_per_cycle for s in r.steps] == [48, 48, 16, 12, 6, 6, 4.8]
    assert [round(s.loss, 4) for s in r.steps] == [1, 1, 3, 1.3333, 2, 1, 1.25]
    assert r.macs == 48 and r.pes == 16 and r.cycles == 8
    assert r.proof == Proof.ATTAINS_CAPACITY_BOUND
    glb = next(x for x in r.ramp if x.level == "glb")
    assert (glb.fill_words, glb.fill_cycles, glb.drain_words, glb.drain_cycles) == (7, 1, 2, 1)
    assert sum(x.cycles for x in r.ramp) == 2
    assert "P=2" in r.steps[4].mapping and "R=3" in r.steps[4].mapping
    assert all(s.proven for s in r.steps)
    assert r.ramped.total == 10 and r.ramped.proof == Proof.SEARCH


def test_a_dataflow_that_forbids_R_loses_at_step_2():
    """glb spatial factors R=1 (R may not be parallel): step 2 = P = 16 of 48 (3x lost);
    step 4: P <= 4 on one axis: 4; step 5: P=4 needs 1 + 4 + 4 = 9 <= 12 words: 4."""
    r = eyexam(array_inputs(spatial_factors=("R=1",)), FAST)
    assert [s.macs_per_cycle for s in r.steps[:5]] == [48, 16, 16, 4, 4]


def test_step_6_is_the_delay_optimal_search():
    """With 1 word/cycle at the glb the bandwidth binds, so step 6 needs the branch and
    bound; it equals MACs / cycles of `search --objective delay --algorithm optimal`."""
    inputs = array_inputs(glb_bandwidth=1.0)
    r = eyexam(inputs, FAST)
    best = search(inputs, SearchSettings(objective=Objective(("delay",)),
                                         algorithm="optimal")).best
    assert r.steps[5].macs_per_cycle == 48 / best.cycles
    assert r.steps[5].macs_per_cycle < r.steps[4].macs_per_cycle
    assert r.proof == Proof.SEARCH and r.search.proven_optimal


def test_step_7_is_the_least_cycles_plus_ramps_not_step_6s_mapping_ramped():
    """Outputs[p] += Weights[r] * Inputs[p + r], P=4, R=3 (12 MACs) on DRAM > glb (12 words,
    2 words/cycle in and out, keeps all three) > 2 rfs (depth 3, 2 words/cycle in, no read
    bandwidth) > 2 MACs (tests/mapsearch/test_ramped_delay.py's ARCH).

    Step 6: 7 cycles (12 / 7 = 1.714 MACs/cycle). Its mapping: DRAM P=2; glb R=3 in time,
    P=2 spatial; the rf keeping Inputs and Outputs. Each rf's one-word Inputs tile moves by
    +1 at every visit (1 + 2 + 1 + 2 = 6 words), and the rfs' translations differ by 1, so
    after the first visit rf 0 takes its word from rf 1 over their link (TIMELOOP_SEMANTICS
    §4): the glb reads Inputs 2 + 5 = 7 times, Weights 6, 13 words at 2/cycle (and is
    written 13: fills 3 + 6, updates 4): ceil(6.5) = 7 cycles (the MACs alone take 6). Ramps:
    glb first tile Weights 3 + Inputs 4 = 7 words, ceil(7 / 2) = 4; last Outputs 2,
    ceil(2 / 2) = 1; rf first Inputs 1, ceil(1 / 2) = 1, its drain has no bandwidth:
    7 + 4 + 1 + 1 = 13 cycles (0.923 MACs/cycle) -- what step 7 was before it was an
    optimum; brute force (test_ramped_delay): every 7-cycle mapping ramps to >= 13.
    Step 7: DRAM P=2 R=3, glb P=2 spatial, the rf keeping only Outputs: 9 cycles (the glb
    reads 6 + 12 = 18 words at 2/cycle; the rfs keep no Inputs, so none pass over their
    links, §5), glb first tile Weights 1 + Inputs 2 = 3 words, ceil(3 / 2) = 2, last Outputs
    2, ceil(2 / 2) = 1, the rf adds nothing: 9 + 3 = 12 cycles, 1 MAC/cycle, the least over
    every valid mapping (the exhaustive search and test_ramped_delay's brute force agree).
    """
    inputs = ramp_inputs()
    arch, wl = inputs.arch, inputs.workload
    r = eyexam(inputs, FAST)
    assert [s.macs_per_cycle for s in r.steps[5:]] == [12 / 7, 1.0]
    assert r.cycles == 7 and r.proof == Proof.SEARCH
    assert (r.ramped.best.cycles, r.ramped.total) == (9, 12)
    assert r.ramped.proof == Proof.SEARCH and r.steps[6].proven
    assert [(x.level, x.fill_words, x.fill_cycles, x.drain_words, x.drain_cycles)
            for x in r.ramp] == [("rf", 0, 0, 1, 0), ("glb", 3, 2, 2, 1)]
    six = RampRule(arch, wl).levels(r.search.best.tiles)
    assert [(x.level, x.fill_words, x.fill_cycles, x.drain_words, x.drain_cycles)
            for x in six] == [("rf", 1, 1, 1, 0), ("glb", 7, 4, 2, 1)]
    assert r.cycles + sum(x.cycles for x in six) == 13
    exhaustive = search(inputs, SearchSettings(objective=Objective(("ramped_delay",)),
                                               algorithm="exhaustive")).best
    assert exhaustive.cycles + sum(x.cycles for x in RampRule(arch, wl).levels(
        exhaustive.tiles)) == 12
    data = json.loads(to_json_text(r))
    assert data["cycles_ramped"] == 12 and data["step7_cycles_average_model"] == 9
    assert data["steps"][6]["proven"] and "Inputs:2" in data["steps"][6]["mapping"]


def test_a_stop_during_step_7_keeps_its_incumbent_unproven():
    """Ctrl-C as step 7's search starts: step 7 is the best so far (at worst step 6's
    mapping with its ramps: 7 + 4 + 1 + 1 = 13 cycles of the case above), not proven, and
    the result says which signal stopped it (the CLI exits 130 on it)."""
    stop = StopFlag()

    def progress(p):
        if isinstance(p, SearchStarted) and p.settings.objective.metrics == ("ramped_delay",):
            stop.request(StopReason.INTERRUPTED)
    r = eyexam(ramp_inputs(), FAST, progress, stop)
    assert r.proof == Proof.SEARCH and r.steps[5].proven
    assert r.ramped.proof == Proof.NONE and not r.steps[6].proven
    assert r.stopped_by == StopReason.INTERRUPTED
    assert 12 <= r.ramped.total <= 13 and r.steps[6].macs_per_cycle <= r.steps[5].macs_per_cycle


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(P=st.integers(1, 12), R=st.integers(1, 4), mx=st.integers(1, 4), my=st.integers(1, 4),
       glb=st.integers(8, 24), bw=st.sampled_from([None, 1.0, 2.0, 8.0]))
def test_the_bounds_never_increase(P, R, mx, my, glb, bw):
    try:
        r = eyexam(array_inputs(P=P, R=R, mesh=(mx, my), glb_depth=glb, glb_bandwidth=bw),
                   FAST)
    except SpecError as e:                     # nothing fits: said so, with the reason
        assert "fits" in str(e)
        return
    bounds = [s.macs_per_cycle for s in r.steps]
    assert bounds[0] == P * R
    assert all(b <= a for a, b in zip(bounds, bounds[1:])), bounds
    assert bounds[3] <= mx * my
    assert all(s.loss >= 1 for s in r.steps)


def test_outputs_have_the_issue_schema():
    r = eyexam(array_inputs(), FAST)
    data = json.loads(to_json_text(r))
    assert data["layer"] == "conv1d" and data["macs"] == 48
    assert [s["step"] for s in data["steps"]] == list(range(1, 8))
    for s in data["steps"]:
        assert set(s) >= {"step", "name", "bound_macs_per_cycle", "loss", "reason", "mapping"}
    assert "DRAM" in data["steps"][5]["mapping"]          # map.txt of the attaining mapping
    table = format_table(r)
    assert "storage capacity" in table and "4.80" in table


def test_the_roofline_figure_is_a_png():
    pytest.importorskip("matplotlib")
    from mapper.eyexam.outputs import figure_png
    png = figure_png(eyexam(array_inputs(), FAST))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_layer_nothing_fits_is_a_clear_error():
    """A glb of 2 words cannot hold its three tiles even with every factor 1 (Weights 1 +
    Inputs 1 + Outputs 1 = 3 words); the error names the level (CP-SAT's explanation)."""
    with pytest.raises(SpecError, match="no mapping of conv1d fits.*glb"):
        eyexam(array_inputs(glb_depth=2), FAST)


def test_api_eyexam_reads_files(tmp_path):
    r = api.eyexam(["eyeriss_like", "problems/layers/resnet18.yaml"],
                   layer="conv1x1_256_512_7_s2", search_size=2000)
    bounds = [s.macs_per_cycle for s in r.steps]
    assert bounds[0] == r.macs and all(b <= a for a, b in zip(bounds, bounds[1:]))
    assert bounds[4] <= 168
