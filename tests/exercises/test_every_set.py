"""Every public exercise set loads as its own scripts pass it (benchmarks/exercises_load.py
says which sets there are); timeloopfe's processed inputs of the dense ones, with their
reference ERT and mapping, give the reference's cycles, every count and its total energy."""
from __future__ import annotations

import pytest

from benchmarks.exercises_load import exercise_sets, load_set
from mapper import api
from tests.exercises import ROOT, WS, needs_exercises
from tests.timeloop_stats import parse

SETS = exercise_sets(ROOT) if WS.is_dir() else []

#: sets that do not load, with the clear error each gives (none now: the Accelergy-only
#: exercises 03 and 04 load for mapper energy, tests/exercises/test_accelergy_sets.py)
NOT_LOADING: dict[tuple[str, str], str] = {}
#: figures the model computes differently (issue 11, item 2); the test fails when one agrees,
#: to have its entry removed
KNOWN_DIFFERENT: set[tuple[str, str, str, str]] = set()


@needs_exercises
def test_there_are_the_sets_the_scripts_run():
    groups = {}
    for s in SETS:
        groups[s.group] = groups.get(s.group, 0) + 1
    assert groups == {"tutorial": 13, "tutorial+accelergy": 2, "accelergy": 3, "dse-2024": 4,
                      "example": 16, "processed": 32}


@needs_exercises
@pytest.mark.parametrize("s", SETS, ids=lambda s: f"{s.group}/{s.name}")
def test_every_set_loads(s):
    status, message, _ = load_set(s)
    expected = NOT_LOADING.get((s.group, s.name))
    if expected is None:
        assert status == "loads", message
    else:
        assert status == "fails" and expected in message, message


@needs_exercises
@pytest.mark.parametrize("s", [s for s in SETS if s.group == "processed" and not s.sparse],
                         ids=lambda s: s.name)
def test_processed_inputs_give_the_reference_counts(s):
    out = s.files[0].parent
    ert = sorted(out.glob("timeloop-*.ERT.yaml"))[0]
    ref = parse(sorted(out.glob("timeloop-*.stats.txt"))[0])
    ours = api.evaluate(api.load([str(f) for f in s.files], ert=ert)).to_json()
    assert ours["cycles"] == ref["cycles"]
    # The total, leakage in, to 0.1 % or the 0.01 uJ the reference prints. Timeloop v3 does
    # not charge the MACs' leak (its ERT lists it: 0.52 pJ a cycle on fpmac); we do, as
    # static power is part of the paper's power figure, and report it on the compute level.
    compute_leak, = [level["leak_energy_pJ"] for level in ours["levels"].values()
                     if "computes" in level]
    assert abs(ours["energy_pJ"] - compute_leak - ref["energy_pJ"]) <= \
        1e-3 * ref["energy_pJ"] + 0.005e6, (ours["energy_pJ"], compute_leak, ref["energy_pJ"])
    compared = 0
    for name, level in ref["levels"].items():
        for ds, fields in level["dataspaces"].items():
            for field, value in fields.items():
                mine = ours["levels"][name]["dataspaces"].get(ds, {}).get(field, 0)
                # a data space's energy (leakage is the level's, not in it) to 0.1 %,
                # printed with 2 decimals
                agrees = (abs(mine - value) <= 1e-3 * abs(value) + 0.005
                          if field == "energy_pJ" else mine == value)
                if (s.name, name, ds, field) in KNOWN_DIFFERENT:
                    assert not agrees, "agrees now: remove it from KNOWN_DIFFERENT"
                else:
                    assert agrees, (name, ds, field, mine, value)
                compared += 1
    assert compared >= 6
