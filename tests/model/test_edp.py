"""One energy-delay product: the model's results, the search's objective and the network
totals agree with mapper.model.perf.edp."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from mapper import api
from mapper.model import MappingBatch, Model
from mapper.model.perf import edp
from mapper.mapsearch.objective import metric_values

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "eyeriss_like"


def test_every_edp_is_the_one_definition():
    spec = api.load([EXAMPLE / "arch.yaml", EXAMPLE / "problem.yaml", EXAMPLE / "map.yaml"])
    ev = api.evaluate(spec)
    assert ev.edp == edp(ev.energy_pJ, ev.cycles) == ev.energy_pJ * 1e-12 * ev.cycles
    result = Model(spec.arch, spec.workload, spec.tables).evaluate(MappingBatch.of([spec.mapping]))
    assert np.array_equal(result.edp, edp(result.energy, result.cycles))
    assert np.array_equal(metric_values(result, "edp"), result.edp)
    assert result.edp[0] == ev.edp
